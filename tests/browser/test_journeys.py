"""One journey per role in a real browser against a real server: a startup, a sponsor and a programme manager."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models.db import make_engine, session_for
from models.schema import Proposal
from tests.conftest import DEMO_FIXTURES

pytestmark = pytest.mark.browser

HANGUL = re.compile(r"[\uac00-\ud7a3]")

# What the demo startup (소리마루, far-field Korean speech for TVs) types when it pivots to fridge cameras:
# the profile then fits LG-APP-01 (냉장고 내부 카메라로 식재료 인식과 보관 기한 관리) rather than LG-TV-01.
NEW_SUMMARY = "냉장고 내부 카메라 이미지로 반찬과 식재료를 알아보는 저전력 비전 모델을 만듭니다."
NEW_DESCRIPTION = (
    "소리마루는 원거리 음성 인식으로 시작해 지금은 가전 안에서 도는 비전 모델에 집중하고 있습니다. "
    "냉장고 문이 닫힐 때 찍은 사진으로 밀폐용기에 담긴 반찬과 김치통, 채소와 과일의 종류를 구분하고 남은 양을 추정합니다. "
    "모델은 1 TOPS 이하 NPU에서 동작하도록 INT8로 양자화했고, 한국 가정 냉장고 사진 4만 장으로 학습했습니다. "
    "식재료를 넣은 날짜를 기록해 보관 기한이 다가오면 앱으로 알려 줍니다."
)
NEW_TECHNOLOGIES = "식재료 인식, 컴퓨터 비전, 저전력 NPU, INT8 양자화"


def demo_challenges() -> dict[str, dict]:
    """Returns the demo's challenges by code, as the fixture files hold them."""
    lines = (DEMO_FIXTURES / "challenges.jsonl").read_text(encoding="utf-8").splitlines()
    return {record["code"]: record for record in map(json.loads, filter(str.strip, lines))}


def test_startup_edits_its_korean_profile_and_sees_a_suggestion_with_its_reason(page, sign_in, screenshot):
    sign_in("startup")
    page.goto("/startup/profile")
    screenshot("profile-before")

    page.fill("input[name=summary]", NEW_SUMMARY)
    page.fill("textarea[name=description]", NEW_DESCRIPTION)
    page.fill("input[name=technologies]", NEW_TECHNOLOGIES)
    page.check("input[data-field-key='ai-challenge-2025-on-device/smart-appliances']")
    screenshot("profile-typed")
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    # Saving returns to the profile with the Korean text as it was typed (NFC, nothing lost or escaped).
    assert page.url.endswith("/startup/profile")
    page.locator(".flash-success").wait_for()
    assert page.input_value("input[name=summary]") == unicodedata.normalize("NFC", NEW_SUMMARY)
    assert page.input_value("textarea[name=description]") == NEW_DESCRIPTION
    screenshot("profile-saved")

    with page.expect_navigation():
        page.click("main a[href='/startup/suggestions']")
    # Each suggestion names its challenge's code, which no translation touches.
    suggestions = page.locator("article.suggestion")
    fridge = suggestions.filter(has=page.locator("code", has_text=re.compile(r"^LG-APP-01$")))
    fridge.wait_for()
    # The pivot puts the fridge challenge first, ahead of the TV challenge the old profile was written for.
    assert suggestions.first.locator("code").inner_text() == "LG-APP-01"

    challenge = demo_challenges()["LG-APP-01"]
    challenge_text = " ".join([challenge["title"], challenge["description"], challenge["requirements"]])
    from_challenge = fridge.locator("[data-test=reason-challenge] blockquote").inner_text().strip()
    from_profile = fridge.locator("[data-test=reason-startup] blockquote").inner_text().strip()
    assert from_challenge and from_challenge in challenge_text
    # The reason quotes the profile as it is now: one of the sentences just typed.
    assert from_profile and from_profile in f"{NEW_SUMMARY} {NEW_DESCRIPTION}"
    shared = fridge.locator("[data-test=shared-terms] .term").all_inner_texts()
    assert shared, "the suggestion names no shared terms"
    typed = f"{NEW_SUMMARY} {NEW_DESCRIPTION} {NEW_TECHNOLOGIES}".lower()
    assert all(term.lower() in typed for term in shared), shared
    assert any(HANGUL.search(term) for term in shared), shared
    fridge.scroll_into_view_if_needed()
    screenshot("suggestions")


def test_sponsor_shortlists_a_proposal_on_a_challenge_review_page_and_sees_its_status_change(
        page, sign_in, screenshot):
    sign_in("sponsor")
    page.goto("/sponsor/challenges")
    screenshot("challenges")

    with page.expect_navigation():
        page.click("a[data-test=review][data-challenge-code='LG-TV-01']")
    proposed = page.locator("article.sp-proposal[data-status=proposed]")
    proposed.first.wait_for()
    assert page.locator("#shortlist").count() == 0, "the demo starts with an empty shortlist"
    card_id = proposed.first.get_attribute("id")
    startup_name = proposed.first.locator(".sp-startup-name").inner_text().strip()
    screenshot("review-before")

    with page.expect_navigation():
        proposed.first.locator("[data-test=shortlist]").click()

    card = page.locator(f"#{card_id}")
    assert card.get_attribute("data-status") == "shortlisted"
    assert card.locator(".sp-status-shortlisted").is_visible()
    # A shortlisted proposal can still be invited or rejected, but not shortlisted again.
    assert card.locator("[data-test=shortlist]").count() == 0
    assert card.locator("[data-test=invite]").count() == 1
    assert page.locator(".flash-success").inner_text().strip()
    assert startup_name in page.locator("#shortlist").inner_text()
    screenshot("review-after")


def test_manager_runs_a_round_and_downloads_its_xlsx_export_with_korean_intact(
        page, sign_in, screenshot, live_server, tmp_path):
    sign_in("manager")
    page.goto("/manager/rounds")
    screenshot("rounds")

    # The demo's second round is still scheduled: it has not matched yet.
    waiting = page.locator("tr:has(.badge-scheduled) a[href^='/manager/rounds/']")
    assert waiting.count() == 1
    round_path = waiting.get_attribute("href")
    with page.expect_navigation():
        waiting.click()
    screenshot("round-before")

    with page.expect_navigation(url=re.compile(r"/manager/runs/\d+$")):
        page.click(f"form[action='{round_path}/run'] button[type=submit]")
    assert page.locator(".flash-success").is_visible(), page.locator(".flash").all_inner_texts()
    run_id = int(page.url.rsplit("/", 1)[1])
    assert page.locator(".challenge-group").count() > 0, "the run proposed nothing"
    screenshot("run")

    with page.expect_download() as download_info:
        page.click(f"a[href='/manager/runs/{run_id}/proposals.xlsx']")
    download = download_info.value
    assert download.suggested_filename == f"run-{run_id}-proposals.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    engine = make_engine(live_server.database_url)
    try:
        with session_for(engine) as session:
            proposals = session.exec(select(Proposal).where(Proposal.run_id == run_id)).all()
    finally:
        engine.dispose()
    assert len(rows) == len(proposals) > 0
    # Columns 3 and 4 are the challenge code and title (web/manager/exports.py: proposal_columns).
    titles = {code: title for code, title in ((row[2], row[3]) for row in rows)}
    fixtures = demo_challenges()
    assert titles == {code: fixtures[code]["title"] for code in titles}
    assert any(HANGUL.search(title) for title in titles.values()), titles

    page.goto(round_path)
    assert page.locator(f"a[href='/manager/runs/{run_id}']").is_visible()
    screenshot("round-after")

    # The dashboard draws its charts as inline SVG, whose Korean labels must use the served font too.
    page.goto(f"/manager/runs/{run_id}")
    with page.expect_navigation():
        page.click(f"a[href^='/manager/?'][href$='run={run_id}']")
    assert page.locator(".mgr-chart svg").count() > 0
    screenshot("dashboard")
