"""The programme office's pages: programmes, fields, rounds, runs, dashboard charts, exports, the final selection."""

from __future__ import annotations

import csv
import html
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import openpyxl
import pytest
from sqlmodel import select

from models import crud
from models.enums import ProposalStatus, RoundStatus, RunStatus
from models.schema import (
    ChallengeUpdate,
    Event,
    Field,
    FieldUpdate,
    MatchRun,
    Programme,
    ProgrammeSponsor,
    ProgrammeUpdate,
    Proposal,
    Round,
    RoundUpdate,
)
from tests.conftest import counting_statements, form_token

SVG = "{http://www.w3.org/2000/svg}"


# --- helpers ---------------------------------------------------------------------------------


def page(response) -> str:
    return response.get_data(as_text=True)


def fetch(session, statement):
    """Reads rows afresh and ends the read, so that the next read sees what web requests wrote meanwhile.

    Nothing else is expired: touching an expired object would open a read of its own, whose
    snapshot (SQLite WAL) would hide later writes from this session.
    """
    try:
        return session.exec(statement.execution_options(populate_existing=True)).all()
    finally:
        session.commit()


def the_round(session) -> Round:
    (round_,) = fetch(session, select(Round))
    return round_


def programme_by_slug(session, slug) -> Programme:
    (programme,) = fetch(session, select(Programme).where(Programme.slug == slug))
    return programme


def field_by_slug(session, slug) -> Field:
    (field,) = fetch(session, select(Field).where(Field.slug == slug))
    return field


def post(client, path, data, *, form_path=None):
    """Posts a form with the CSRF token of the page it is on."""
    return client.post(path, data={**data, "csrf_token": form_token(client, form_path or path)})


def svg_texts(response) -> list[str]:
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == f"{SVG}svg"
    return [node.text or "" for node in root.iter(f"{SVG}text")]


def svg_values(response) -> dict[str, str]:
    """Returns the numbers drawn next to bars and rows, by their group id (value-<row>[-<series>], note-<row>)."""
    root = ET.fromstring(response.get_data())
    return {g.get("id"): "".join(g.itertext()).strip() for g in root.iter(f"{SVG}g")
            if (g.get("id") or "").startswith(("value-", "note-"))}


def svg_title(response) -> str:
    return ET.fromstring(response.get_data()).find(f"{SVG}title").text


def decide(session, code, slug, *statuses, reason=None):
    """Moves the proposal of (challenge code, startup slug) in the newest run through the statuses."""
    challenge = crud.get_challenge_by_code(session=session, code=code)
    org = crud.get_organization_by_slug(session=session, slug=slug)
    profile = crud.get_profile_by_organization(session=session, organization_id=org.id)
    proposal = session.exec(
        select(Proposal).where(Proposal.challenge_id == challenge.id, Proposal.startup_id == profile.id)
        .order_by(Proposal.run_id.desc())
    ).first()
    for status in statuses:
        crud.decide_proposal(session=session, proposal=proposal, status=status, actor_id=None,
                             reason=reason if status == ProposalStatus.rejected else None)
    session.commit()
    return proposal.id


ROUND_FORM = {
    "name_ko": "2차 매칭", "name_en": "Second match", "timezone": "Asia/Seoul",
    "opens_at": "2025-07-01T09:00", "match_at": "2025-07-15T10:30", "closes_at": "2025-08-31T18:00",
    "proposals_per_challenge": "4", "challenges_per_startup": "2", "min_score": "0.3", "solver": "greedy",
}


# --- who may use the pages ------------------------------------------------------------------

PAGES = ["/manager/", "/manager/programmes", "/manager/rounds", "/manager/programmes/new"]


def test_anonymous_users_are_sent_to_sign_in(login_as, seeded):
    client = login_as(None)
    for path in PAGES + ["/manager/dashboard/1/scores.svg", "/manager/runs/1/proposals.csv"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("who", ["startup", "sponsor", "other_sponsor"])
def test_startups_and_sponsors_are_not_allowed_in(login_as, seeded, make_run, who):
    run = make_run([("LG-TV-01", "pixelwave", 0.8)])
    round_id = the_round(seeded).id
    client = login_as(who)
    paths = PAGES + [f"/manager/runs/{run.id}", f"/manager/runs/{run.id}/proposals.xlsx",
                     f"/manager/rounds/{round_id}", f"/manager/rounds/{round_id}/selection.csv"]
    for path in paths:
        assert client.get(path).status_code == 403, path
    # A POST with a valid form is refused too, and changes nothing.
    response = client.post(f"/manager/rounds/{round_id}/unschedule", data={"csrf_token": form_token(client, "/")})
    assert response.status_code == 403
    assert the_round(seeded).status == RoundStatus.scheduled


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_managers_and_admins_see_every_page(login_as, seeded, who):
    client = login_as(who)
    for path in PAGES:
        assert client.get(path).status_code == 200, path


# --- programmes, fields, sponsors ------------------------------------------------------------


def test_a_manager_creates_a_programme_in_korean_and_english(login_as, seeded):
    client = login_as("manager")
    decomposed = unicodedata.normalize("NFD", "온디바이스 AI 2026")  # as some Mac keyboards send Hangul
    response = post(client, "/manager/programmes/new", {
        "edition_ko": "AI 초격차 챌린지 2026", "edition_en": "AI Super-Gap Challenge 2026",
        "name_ko": decomposed, "name_en": "On-device AI 2026",
        "description_ko": "LG전자와 함께하는 on-device 트랙\n두 번째 줄", "description_en": "With LG Electronics",
        "year": "2026", "selection_target": "12", "max_award_krw": "100,000,000원",
    })
    assert response.status_code == 302

    programme = programme_by_slug(seeded, "ai-super-gap-challenge-2026-on-device-ai-2026")
    assert programme.name_ko == "온디바이스 AI 2026" and unicodedata.is_normalized("NFC", programme.name_ko)
    assert programme.description_ko == "LG전자와 함께하는 on-device 트랙\n두 번째 줄"
    assert (programme.year, programme.selection_target, programme.max_award_krw) == (2026, 12, 100_000_000)
    assert programme.operator_id == crud.get_organization_by_slug(session=seeded, slug="kised").id
    seeded.commit()
    shown = page(client.get(response.headers["Location"]))
    assert "온디바이스 AI 2026" in shown and "On-device AI 2026" in shown


def test_programme_names_are_limited_in_characters_not_bytes_and_errors_keep_the_text(login_as, seeded):
    client = login_as("manager")
    base = {"edition_ko": "에디션", "edition_en": "Edition", "name_en": "Long", "year": "2026", "slug": "long-names"}
    # 200 Hangul syllables are 600 bytes in UTF-8 and still fit.
    assert post(client, "/manager/programmes/new", {**base, "name_ko": "가" * 200}).status_code == 302
    assert len(programme_by_slug(seeded, "long-names").name_ko) == 200

    response = post(client, "/manager/programmes/new", {**base, "slug": "longer-names", "name_ko": "나" * 201})
    assert response.status_code == 400
    assert "나" * 201 in page(response) and "200" in page(response)
    assert fetch(seeded, select(Programme).where(Programme.slug == "longer-names")) == []

    # A direction override would make the name display differently from what it says.
    response = post(client, "/manager/programmes/new", {**base, "slug": "tricky", "name_ko": "이름\u202eAI"})
    assert response.status_code == 400
    assert re.search(r'class="field has-error">\s*<label for="name_ko"', page(response))


def test_a_taken_address_name_is_shown_on_its_field(login_as, seeded):
    client = login_as("manager")
    response = post(client, "/manager/programmes/new", {
        "edition_ko": "에디션", "edition_en": "Edition", "name_ko": "중복", "name_en": "Duplicate", "year": "2025",
        "slug": "ai-2025-on-device",
    })
    assert response.status_code == 400
    assert re.search(r'class="field has-error">\s*<label for="slug"', page(response))
    assert 'value="중복"' in page(response)


def test_a_manager_edits_a_programme(login_as, seeded):
    programme = programme_by_slug(seeded, "ai-2025-on-device")
    client = login_as("manager")
    path = f"/manager/programmes/{programme.id}"
    form = page(client.get(path))
    stamp = re.search(r'name="version" type="hidden" value="([^"]+)"', form).group(1)
    response = post(client, path, {
        "edition_ko": "AI 초격차 챌린지 2025", "edition_en": "AI Super-Gap Challenge 2025", "name_ko": "온디바이스 AI (LG)",
        "name_en": "On-device AI (LG)", "description_ko": "수정된 설명", "description_en": "Edited", "year": "2025",
        "selection_target": "20", "max_award_krw": "200000000", "version": stamp,
    })
    assert response.status_code == 302
    programme = programme_by_slug(seeded, "ai-2025-on-device")
    assert (programme.name_ko, programme.selection_target, programme.max_award_krw) == (
        "온디바이스 AI (LG)", 20, 200_000_000)
    assert fetch(seeded, select(Event).where(Event.entity == "programme", Event.action == "updated"))


def test_a_programme_saved_meanwhile_keeps_the_editors_text_and_shows_the_saved_one(login_as, seeded):
    programme = programme_by_slug(seeded, "ai-2025-on-device")
    client = login_as("manager")
    path = f"/manager/programmes/{programme.id}"
    stamp = re.search(r'name="version" type="hidden" value="([^"]+)"', page(client.get(path))).group(1)
    admin = login_as("admin")
    admin_stamp = re.search(r'name="version" type="hidden" value="([^"]+)"', page(admin.get(path))).group(1)
    fields = {"edition_ko": "AI 초격차 챌린지 2025", "edition_en": "AI Super-Gap Challenge 2025", "name_en": "On-device AI",
              "year": "2025", "selection_target": "15", "max_award_krw": "100000000"}
    assert post(admin, path, {**fields, "name_ko": "관리자가 먼저 저장", "version": admin_stamp}).status_code == 302

    response = post(client, path, {**fields, "name_ko": "내가 쓴 이름 mixed", "version": stamp})
    assert response.status_code == 409
    assert 'value="내가 쓴 이름 mixed"' in page(response) and "관리자가 먼저 저장" in page(response)
    assert programme_by_slug(seeded, "ai-2025-on-device").name_ko == "관리자가 먼저 저장"

    # Saving again, having seen the other version, replaces it.
    new_stamp = re.search(r'name="version" type="hidden" value="([^"]+)"', page(response)).group(1)
    assert post(client, path, {**fields, "name_ko": "내가 쓴 이름 mixed", "version": new_stamp}).status_code == 302
    assert programme_by_slug(seeded, "ai-2025-on-device").name_ko == "내가 쓴 이름 mixed"


def test_a_manager_adds_and_edits_a_field(login_as, seeded):
    programme = programme_by_slug(seeded, "ai-2025-on-device")
    intel = crud.get_organization_by_slug(session=seeded, slug="intel")
    seeded.commit()
    client = login_as("manager")
    path = f"/manager/programmes/{programme.id}/fields/new"
    response = post(client, path, {
        "name_ko": "가전 로봇", "name_en": "Home robots", "description_ko": "집안일 robot", "description_en": "",
        "position": "5", "participating_company_id": str(intel.id),
    })
    assert response.status_code == 302
    field = field_by_slug(seeded, "home-robots")
    assert (field.name_ko, field.programme_id, field.participating_company_id) == ("가전 로봇", programme.id, intel.id)

    # The same address name twice in one programme is refused on the field.
    response = post(client, path, {"name_ko": "가전 로봇 2", "name_en": "Home robots", "participating_company_id": "0"})
    assert response.status_code == 400 and 'value="가전 로봇 2"' in page(response)

    edit = f"/manager/fields/{field.id}"
    stamp = re.search(r'name="version" type="hidden" value="([^"]+)"', page(client.get(edit))).group(1)
    response = post(client, edit, {"name_ko": "로봇 청소기", "name_en": "Robot vacuums", "position": "6",
                                   "participating_company_id": "0", "version": stamp})
    assert response.status_code == 302
    field = field_by_slug(seeded, "home-robots")
    assert (field.name_ko, field.name_en, field.position, field.participating_company_id) == (
        "로봇 청소기", "Robot vacuums", 6, None)


def test_a_field_saved_meanwhile_is_a_conflict_that_keeps_the_text(login_as, seeded):
    field = field_by_slug(seeded, "smart-tv")
    client = login_as("manager")
    edit = f"/manager/fields/{field.id}"
    stamp = re.search(r'name="version" type="hidden" value="([^"]+)"', page(client.get(edit))).group(1)
    row = seeded.get(Field, field.id)
    crud.update_field(session=seeded, field=row, field_in=FieldUpdate(name_ko="스마트 TV (수정됨)"),
                      expected_version=row.version, actor_id=None)  # another manager saves first
    seeded.commit()
    response = post(client, edit, {"name_ko": "나의 TV 이름", "name_en": "Smart TV", "position": "0",
                                   "participating_company_id": "0", "version": stamp})
    assert response.status_code == 409
    assert 'value="나의 TV 이름"' in page(response) and "스마트 TV (수정됨)" in page(response)


def test_a_manager_adds_a_partner_but_a_partner_cannot_be_a_sponsor(login_as, seeded):
    programme = programme_by_slug(seeded, "ai-2025-vertical")
    intel = crud.get_organization_by_slug(session=seeded, slug="intel")
    seeded.commit()
    client = login_as("manager")
    path = f"/manager/programmes/{programme.id}/sponsors/new"
    response = post(client, path, {"organization_id": str(intel.id), "role": "sponsor", "contribution_ko": "툴킷"})
    assert response.status_code == 400 and "툴킷" in page(response)

    response = post(client, path, {"organization_id": str(intel.id), "role": "partner",
                                   "contribution_ko": "OpenVINO 툴킷", "contribution_en": "OpenVINO tool kits"})
    assert response.status_code == 302
    (link,) = fetch(seeded, select(ProgrammeSponsor).where(ProgrammeSponsor.programme_id == programme.id,
                                                           ProgrammeSponsor.organization_id == intel.id))
    assert link.contribution_ko == "OpenVINO 툴킷" and link.role.value == "partner"
    assert "OpenVINO 툴킷" in page(client.get(f"/manager/programmes/{programme.id}"))


# --- rounds ----------------------------------------------------------------------------------


def test_a_round_is_created_in_korean_time_stored_in_utc_and_shown_in_kst(login_as, seeded):
    programme = programme_by_slug(seeded, "ai-2025-on-device")
    tv = field_by_slug(seeded, "smart-tv")
    client = login_as("manager")
    path = f"/manager/programmes/{programme.id}/rounds/new"
    response = post(client, path, {**ROUND_FORM, "name_ko": unicodedata.normalize("NFD", "2차 매칭"),
                                   "field_ids": [str(tv.id)], f"minimum_{tv.id}": "2"})
    assert response.status_code == 302

    (round_,) = fetch(seeded, select(Round).where(Round.name_en == "Second match"))
    assert round_.name_ko == "2차 매칭" and round_.status == RoundStatus.draft
    assert round_.opens_at == datetime(2025, 7, 1, 0, 0, tzinfo=timezone.utc)
    assert round_.match_at == datetime(2025, 7, 15, 1, 30, tzinfo=timezone.utc)
    assert round_.closes_at == datetime(2025, 8, 31, 9, 0, tzinfo=timezone.utc)
    assert (round_.proposals_per_challenge, round_.challenges_per_startup, round_.min_score, round_.solver) == (
        4, 2, 0.3, "greedy")
    assert round_.params == {"field_minimum": {str(tv.id): 2}}
    assert [f.id for f in fetch(seeded, select(Field).join(Round.fields).where(Round.id == round_.id))] == [tv.id]

    shown = page(client.get(response.headers["Location"]))
    assert "2025-07-01 09:00 KST" in shown and "2025-07-15 10:30 KST" in shown and "2025-08-31 18:00 KST" in shown
    edit = page(client.get(f"/manager/rounds/{round_.id}/edit"))
    assert 'value="2025-07-15T10:30"' in edit and f'name="minimum_{tv.id}" type="number" value="2"' in edit.replace(
        ' min="0"', "")


def test_round_times_typed_in_another_zone_are_converted(login_as, seeded):
    programme = programme_by_slug(seeded, "ai-2025-vertical")
    client = login_as("manager")
    response = post(client, f"/manager/programmes/{programme.id}/rounds/new",
                    {**ROUND_FORM, "name_en": "Pacific", "timezone": "America/Los_Angeles"})
    assert response.status_code == 302
    (round_,) = fetch(seeded, select(Round).where(Round.name_en == "Pacific"))
    # 10:30 in Los Angeles in July (UTC-7) is 17:30 UTC, 02:30 the next day in Seoul.
    assert round_.match_at == datetime(2025, 7, 15, 17, 30, tzinfo=timezone.utc)
    assert "2025-07-16 02:30 KST" in page(client.get(response.headers["Location"]))
    # No field ticked means every field of the programme.
    fields = fetch(seeded, select(Field).join(Round.fields).where(Round.id == round_.id))
    assert {f.slug for f in fields} == {"inspection-drone"}


def test_a_round_that_closes_before_it_opens_shows_the_error_and_keeps_the_text(login_as, seeded):
    programme = programme_by_slug(seeded, "ai-2025-on-device")
    client = login_as("manager")
    response = post(client, f"/manager/programmes/{programme.id}/rounds/new",
                    {**ROUND_FORM, "name_ko": "잘못된 라운드", "closes_at": "2025-06-01T09:00"})
    assert response.status_code == 400
    shown = page(response)
    assert 'value="잘못된 라운드"' in shown and 'value="2025-06-01T09:00"' in shown
    assert re.search(r'class="field has-error">\s*<label for="closes_at"', shown)
    assert fetch(seeded, select(Round).where(Round.name_en == "Second match")) == []

    response = post(client, f"/manager/programmes/{programme.id}/rounds/new",
                    {**ROUND_FORM, "match_at": "2025-09-30T09:00"})
    assert response.status_code == 400
    assert re.search(r'class="field has-error">\s*<label for="match_at"', page(response))


def test_a_round_saved_meanwhile_keeps_the_editors_text(login_as, seeded):
    round_ = the_round(seeded)
    client = login_as("manager")
    edit = f"/manager/rounds/{round_.id}/edit"
    form = page(client.get(edit))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    row = seeded.get(Round, round_.id)
    crud.update_round(session=seeded, round_=row, round_in=RoundUpdate(name_ko="다른 사람이 바꾼 이름"),
                      expected_version=row.version, actor_id=None)
    seeded.commit()

    response = post(client, edit, {**ROUND_FORM, "name_ko": "제가 고친 이름 Round", "version": version})
    assert response.status_code == 409
    shown = page(response)
    assert 'value="제가 고친 이름 Round"' in shown and "다른 사람이 바꾼 이름" in shown
    assert the_round(seeded).name_ko == "다른 사람이 바꾼 이름"

    new_version = re.search(r'name="version" type="hidden" value="(\d+)"', shown).group(1)
    assert new_version != version
    assert post(client, edit, {**ROUND_FORM, "name_ko": "제가 고친 이름 Round", "version": new_version}).status_code == 302
    assert the_round(seeded).name_ko == "제가 고친 이름 Round"


def test_a_round_is_unscheduled_and_scheduled_again(login_as, seeded):
    round_ = the_round(seeded)
    client = login_as("manager")
    detail = f"/manager/rounds/{round_.id}"
    assert post(client, f"{detail}/unschedule", {}, form_path=detail).status_code == 302
    assert the_round(seeded).status == RoundStatus.draft
    assert post(client, f"{detail}/schedule", {}, form_path=detail).status_code == 302
    assert the_round(seeded).status == RoundStatus.scheduled
    # Closing needs a matched round: refused with a message, nothing changes.
    response = post(client, f"{detail}/close", {}, form_path=detail)
    assert response.status_code == 302 and the_round(seeded).status == RoundStatus.scheduled
    assert "scheduled round cannot become closed" in page(client.get(detail))


def test_a_status_button_without_its_csrf_token_changes_nothing(login_as, seeded):
    round_ = the_round(seeded)
    client = login_as("manager")
    assert client.post(f"/manager/rounds/{round_.id}/unschedule").status_code == 400
    assert the_round(seeded).status == RoundStatus.scheduled


# --- runs ------------------------------------------------------------------------------------


def test_run_history_lists_every_run_with_its_record(login_as, seeded, make_run):
    ok = make_run([("LG-TV-01", "pixelwave", 0.81), ("LG-AUDIO-01", "quiet-audio", 0.42)])
    failed = make_run([], status=RunStatus.failed)
    row = seeded.get(MatchRun, ok.id)
    row.models, row.params, row.input_hash = {"semantic_encoder": "use-multilingual"}, {"min_score": 0.35}, "ab" * 32
    row.n_challenges, row.n_startups, row.n_proposals, row.timings = 2, 3, 2, {"embed": 1.25}
    seeded.get(MatchRun, failed.id).error = "ValueError: the encoder could not be loaded"
    seeded.commit()
    round_id = the_round(seeded).id

    client = login_as("manager")
    history = page(client.get(f"/manager/rounds/{round_id}"))
    assert f"#{ok.id}" in history and f"#{failed.id}" in history
    assert "the encoder could not be loaded" in history and "abababababab" in history

    shown = page(client.get(f"/manager/runs/{ok.id}"))
    assert "use-multilingual" in shown and "1.25" in shown and "ab" * 32 in shown
    assert "LG-TV-01" in shown and "저해상도 영상의 실시간 업스케일링" in shown and "픽셀웨이브" in shown
    assert "Noise cancellation that adapts to the room" in shown and "Quiet Audio" in shown
    assert "0.810" in shown and "npu" in shown


def test_the_rounds_list_shows_status_match_time_fields_and_latest_run(login_as, seeded, make_run):
    make_run([("LG-TV-01", "pixelwave", 0.6)])
    latest = make_run([("LG-TV-01", "pixelwave", 0.7)])
    shown = page(login_as("manager").get("/manager/rounds"))
    assert "1차 매칭" in shown and "2025-06-02 09:00 KST" in shown
    assert "스마트 TV" in shown and "이어폰·스피커" in shown
    assert f"#{latest.id}" in shown


def count_queries(app, client, path: str) -> int:
    with counting_statements(app) as statements:
        assert client.get(path).status_code == 200
    return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


def test_run_and_dashboard_pages_take_the_same_number_of_queries_whatever_the_size(app, login_as, seeded, make_run):
    client = login_as("manager")
    small = make_run([("LG-TV-01", "pixelwave", 0.6)])
    big = make_run([("LG-TV-01", "pixelwave", 0.6), ("LG-TV-01", "quiet-audio", 0.2),
                    ("LG-AUDIO-01", "quiet-audio", 0.7), ("LG-AUDIO-01", "pixelwave", 0.1),
                    ("LG-AUDIO-01", "skyline-drones", 0.05)])
    programme = programme_by_slug(seeded, "ai-2025-on-device")
    for path in ("/manager/runs/{}", "/manager/?programme=%d&run={}" % programme.id):
        small_page, big_page = path.format(small.id), path.format(big.id)
        assert count_queries(app, client, small_page) == count_queries(app, client, big_page), path


# --- the dashboard ---------------------------------------------------------------------------


@pytest.fixture
def lg_run(seeded, make_run):
    """A run of the LG round with k = 2: the TV challenge has two strong candidates, the audio one only one."""
    round_ = the_round(seeded)
    row = seeded.get(Round, round_.id)
    crud.update_round(session=seeded, round_=row, round_in=RoundUpdate(proposals_per_challenge=2),
                      expected_version=row.version, actor_id=None)
    seeded.commit()
    return make_run([
        ("LG-TV-01", "pixelwave", 0.91), ("LG-TV-01", "skyline-drones", 0.55),
        ("LG-AUDIO-01", "quiet-audio", 0.74), ("LG-AUDIO-01", "pixelwave", 0.12),
    ])


def test_the_dashboard_charts_are_svg_with_korean_field_names_and_the_datas_numbers(login_as, seeded, lg_run):
    programme = programme_by_slug(seeded, "ai-2025-on-device")
    decide(seeded, "LG-TV-01", "pixelwave", ProposalStatus.shortlisted, ProposalStatus.invited)
    decide(seeded, "LG-AUDIO-01", "pixelwave", ProposalStatus.rejected, reason="분야가 다릅니다")
    client = login_as("manager")
    base = f"/manager/dashboard/{programme.id}"

    response = client.get(f"{base}/scores.svg")
    assert "스마트 TV" in svg_texts(response) and "이어폰·스피커" in svg_texts(response)
    notes = svg_values(response)
    # Two proposals per field; medians (0.91 + 0.55) / 2 and (0.74 + 0.12) / 2.
    assert notes["note-0"] == "제안 2건 · 중앙값 0.73"
    assert notes["note-1"] == "제안 2건 · 중앙값 0.43"

    funnel = svg_values(client.get(f"{base}/funnel.svg"))
    # proposed 4, shortlisted 1, invited 1, accepted 0, selected 0
    assert [funnel[f"value-{i}"] for i in range(5)] == ["4 (100%)", "1 (25%)", "1 (25%)", "0 (0%)", "0 (0%)"]

    response = client.get(f"{base}/balance.svg")
    assert "스마트 TV" in svg_texts(response) and "이어폰·스피커" in svg_texts(response)
    balance = svg_values(response)
    # Series: proposals, startups interested in a challenge, startups following the field; rows: TV, audio.
    assert [balance[f"value-0-{j}"] for j in range(3)] == ["2", "0", "1"]
    assert [balance[f"value-1-{j}"] for j in range(3)] == ["2", "0", "1"]

    english = svg_texts(client.get(f"{base}/balance.svg?lang=en"))
    assert "Smart TV" in english and "Earphones and speakers" in english

    shown = page(client.get(f"/manager/?programme={programme.id}"))
    assert f"/manager/dashboard/{programme.id}/coverage.svg?run={lg_run.id}" in shown
    assert "<table>" in shown  # every chart has its table


def test_coverage_highlights_a_challenge_with_too_few_strong_candidates(login_as, seeded, lg_run):
    programme = programme_by_slug(seeded, "ai-2025-on-device")
    client = login_as("manager")
    coverage = client.get(f"/manager/dashboard/{programme.id}/coverage.svg")
    texts = svg_texts(coverage)
    audio = next(t for t in texts if "LG-AUDIO-01" in t)
    tv = next(t for t in texts if "LG-TV-01" in t)
    assert audio.startswith("! ") and not tv.startswith("!")
    # Rows in code order: LG-AUDIO-01 (1 strong of 2), LG-TV-01 (2 strong of 2).
    assert svg_values(coverage) == {"value-0": "1 / 2", "value-1": "2 / 2"}
    root = ET.fromstring(coverage.get_data())
    flagged = [n for n in root.iter(f"{SVG}text") if (n.text or "").startswith("! ")]
    assert flagged and all("#b3261e" in n.get("style") for n in flagged)
    assert svg_title(coverage)

    shown = page(client.get("/manager/"))
    short_rows = re.findall(r'<tr class="short">(.*?)</tr>', shown, re.S)
    assert len(short_rows) == 1 and "LG-AUDIO-01" in short_rows[0]
    assert re.search(r'class="warning">.*?LG-AUDIO-01', shown, re.S)


def test_the_dashboard_without_runs_shows_the_balance_of_interest(login_as, seeded):
    programme = programme_by_slug(seeded, "ai-2025-vertical")
    client = login_as("manager")
    shown = page(client.get(f"/manager/?programme={programme.id}"))
    assert "점검 드론" in shown and "coverage.svg" not in shown
    assert "점검 드론" in svg_texts(client.get(f"/manager/dashboard/{programme.id}/balance.svg"))
    assert svg_texts(client.get(f"/manager/dashboard/{programme.id}/scores.svg"))  # an empty chart says so


def test_the_dashboard_of_an_unknown_programme_or_foreign_run_is_not_found(login_as, seeded, lg_run):
    vertical = programme_by_slug(seeded, "ai-2025-vertical")
    client = login_as("manager")
    assert client.get("/manager/?programme=9999").status_code == 404
    assert client.get(f"/manager/?programme={vertical.id}&run={lg_run.id}").status_code == 404
    assert client.get(f"/manager/dashboard/{vertical.id}/scores.svg?run={lg_run.id}").status_code == 404


# --- exports ---------------------------------------------------------------------------------

FORMULA_TITLE = '=HYPERLINK("http://evil.example","클릭")'


@pytest.fixture
def formula_run(seeded, make_run):
    challenge = crud.get_challenge_by_code(session=seeded, code="LG-AUDIO-01")
    crud.update_challenge(session=seeded, challenge=challenge, challenge_in=ChallengeUpdate(title=FORMULA_TITLE),
                          expected_version=challenge.version, actor_id=None)
    seeded.commit()
    return make_run([("LG-TV-01", "pixelwave", 0.91), ("LG-AUDIO-01", "quiet-audio", 0.3)])


def test_the_csv_export_opens_with_korean_intact_and_formulas_neutralised(login_as, seeded, formula_run):
    decide(seeded, "LG-TV-01", "pixelwave", ProposalStatus.shortlisted)
    response = login_as("manager").get(f"/manager/runs/{formula_run.id}/proposals.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8

    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 3 and len(set(map(len, rows))) == 1
    tv = next(r for r in rows if "LG-TV-01" in r)
    audio = next(r for r in rows if "LG-AUDIO-01" in r)
    assert "온디바이스 AI" in tv and "스마트 TV" in tv and "저해상도 영상의 실시간 업스케일링" in tv
    assert "픽셀웨이브" in tv and "PixelWave" in tv and "LG전자" in tv and "0.91" in tv and "npu" in tv
    assert "'" + FORMULA_TITLE in audio and FORMULA_TITLE not in audio
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_xlsx_export_keeps_korean_and_stores_formula_looking_text_as_text(login_as, seeded, formula_run):
    response = login_as("manager").get(f"/manager/runs/{formula_run.id}/proposals.xlsx?lang=en")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    assert "Challenge title" in header and "Startup (Korean)" in header and "Decided at (KST)" in header
    rows = [[c for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == 2
    title = header.index("Challenge title")
    cells = {row[header.index("Challenge code")].value: row for row in rows}
    assert cells["LG-TV-01"][title].value == "저해상도 영상의 실시간 업스케일링"
    assert cells["LG-TV-01"][header.index("Startup (Korean)")].value == "픽셀웨이브"
    assert cells["LG-TV-01"][header.index("Score")].value == pytest.approx(0.91)
    formula = cells["LG-AUDIO-01"][title]
    assert formula.value == FORMULA_TITLE and formula.data_type == "s" and formula.quotePrefix
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_charts_answer_not_modified_when_nothing_changed(login_as, seeded, lg_run):
    programme = programme_by_slug(seeded, "ai-2025-on-device")
    client = login_as("manager")
    path = f"/manager/dashboard/{programme.id}/funnel.svg"
    first = client.get(path)
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    decide(seeded, "LG-TV-01", "pixelwave", ProposalStatus.shortlisted)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and svg_values(again)["value-1"] == "1 (25%)"


def test_the_selection_page_before_the_final_selection_lists_nobody(login_as, seeded, make_run):
    make_run([("LG-TV-01", "pixelwave", 0.91)])
    round_id = the_round(seeded).id
    shown = page(login_as("manager").get(f"/manager/rounds/{round_id}/selection"))
    assert 'class="empty"' in shown and "픽셀웨이브" not in shown


def test_the_selection_export_lists_the_selected_startups(login_as, seeded, make_run):
    make_run([("LG-TV-01", "pixelwave", 0.91), ("LG-AUDIO-01", "quiet-audio", 0.74)])
    decide(seeded, "LG-TV-01", "pixelwave", ProposalStatus.shortlisted, ProposalStatus.invited,
           ProposalStatus.accepted, ProposalStatus.selected)
    round_id = the_round(seeded).id
    client = login_as("manager")
    body = client.get(f"/manager/rounds/{round_id}/selection.csv").get_data()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 2 and "픽셀웨이브" in rows[1] and "LG-TV-01" in rows[1]
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"/manager/rounds/{round_id}/selection.xlsx").get_data()))
    sheet = workbook.active
    assert sheet.max_row == 2 and "픽셀웨이브" in [c.value for c in sheet[2]]


# --- Run now and the final selection, with the real engine -----------------------------------

TV_PROFILE = ("저해상도 방송 영상을 TV 칩의 NPU에서 실시간으로 4K 화질로 키우는 초해상도 모델을 만듭니다. "
              "프레임당 10ms 안에 처리하고 영상은 기기 밖으로 나가지 않습니다.")


@pytest.mark.slow
def test_run_now_then_close_and_final_selection_with_the_reason_for_who_was_not_selected(login_as, seeded, encoders):
    from models import dashboards
    from models.schema import StartupProfileUpdate

    pixelwave = crud.get_profile_by_organization(
        session=seeded, organization_id=crud.get_organization_by_slug(session=seeded, slug="pixelwave").id)
    crud.update_profile(session=seeded, profile=pixelwave, profile_in=StartupProfileUpdate(description=TV_PROFILE),
                        expected_version=pixelwave.version, actor_id=None)
    round_ = seeded.get(Round, the_round(seeded).id)
    crud.update_round(session=seeded, round_=round_, round_in=RoundUpdate(min_score=0.0),
                      expected_version=round_.version, actor_id=None)
    # One selection for the whole programme: two accepted startups compete for it.
    programme = dashboards.get_programme(session=seeded, programme_id=round_.programme_id)
    crud.update_programme(session=seeded, programme=programme, programme_in=ProgrammeUpdate(selection_target=1),
                          expected_version=programme.version, actor_id=None)
    seeded.commit()
    manager = crud.get_user_by_email(session=seeded, email="manager@example.kr")
    seeded.commit()

    client = login_as("manager")
    detail = f"/manager/rounds/{round_.id}"
    response = post(client, f"{detail}/run", {}, form_path=detail)
    assert response.status_code == 302 and "/manager/runs/" in response.headers["Location"]
    (run,) = fetch(seeded, select(MatchRun))
    assert run.status == RunStatus.succeeded and run.triggered_by_id == manager.id and run.trigger.value == "manual"
    assert the_round(seeded).status == RoundStatus.matched
    shown = page(client.get(response.headers["Location"]))
    assert "LG-TV-01" in shown and "픽셀웨이브" in shown and "LG-AUDIO-01" in shown and "콰이어트오디오" in shown
    assert f"#{run.id}" in page(client.get(detail))

    decide(seeded, "LG-TV-01", "pixelwave", ProposalStatus.shortlisted, ProposalStatus.invited, ProposalStatus.accepted)
    decide(seeded, "LG-AUDIO-01", "quiet-audio", ProposalStatus.shortlisted, ProposalStatus.invited,
           ProposalStatus.accepted)
    # The final selection needs a closed round.
    post(client, f"{detail}/select", {}, form_path=detail)
    assert the_round(seeded).status == RoundStatus.matched
    assert post(client, f"{detail}/close", {}, form_path=detail).status_code == 302
    assert the_round(seeded).status == RoundStatus.closed

    response = post(client, f"{detail}/select", {}, form_path=detail)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/rounds/{round_.id}/selection")
    assert the_round(seeded).status == RoundStatus.selected
    selected = fetch(seeded, select(Proposal).where(Proposal.status == ProposalStatus.selected))
    assert len(selected) == 1

    shown = page(client.get(response.headers["Location"]))
    rows = re.findall(r"<tr>(.*?)</tr>", shown, re.S)
    loser = "콰이어트오디오" if "픽셀웨이브" in next(r for r in rows if "LG-TV-01" in r and "0." in r) else "픽셀웨이브"
    reason = html.unescape(next(r for r in rows if loser in r and "badge" in r))
    # The engine's own words, with the challenge's code and the programme's name in place of ids.
    assert "track reached its 1 selection" in reason and "'온디바이스 AI' track" in reason
    assert re.search(r"'LG-(TV|AUDIO)-01' \(its 1st choice\)", reason)
    # Reloading the results keeps the reasons.
    assert "track reached its 1 selection" in page(client.get(response.headers["Location"]))
