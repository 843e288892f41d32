"""Bad and unusual input on the pages: it round-trips exactly, or gets a clear 4xx; never a 500, never markup.

The API's share (types, sizes, Unicode, control characters) is in test_api.py and test_api_fuzz.py.
"""

from __future__ import annotations

import re
import unicodedata
from html import unescape

import pytest
from sqlmodel import select

from models import crud
from models.schema import Challenge, Field
from tests.conftest import form_token

# Text people really type: Korean with an emoji, a zero-width-joined emoji, a skin tone, right-to-left
# Hebrew and Arabic words, combining accents, CJK punctuation and a non-breaking space.
UNUSUAL = ("온디바이스 음성 인식 🎧 for 👩‍💻 developers 👍🏽 — עברית and العربية, café naïve, 「초저전력」\u00a0NPU")
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def profile_form(client, **overrides) -> dict:
    page = client.get("/startup/profile").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="([^"]*)"', page)
    return {
        "summary": "온디바이스 초해상도 엔진",
        "description": "저사양 NPU에서 돌아가는 초해상도 신경망을 만듭니다. 방송 영상 화질 개선에 특화되어 있습니다.",
        "technologies": "초해상도, 모델 경량화", "stage": "seed", "founded_year": "2021", "team_size": "9",
        "language": "auto", "website": "", "field_ids": [], "version": version.group(1) if version else "",
        "csrf_token": form_token(client, "/startup/profile"), **overrides,
    }


def test_emoji_right_to_left_and_accented_text_round_trip_through_the_profile_form(login_as, seeded):
    client = login_as("startup")
    decomposed = unicodedata.normalize("NFD", UNUSUAL)
    response = client.post("/startup/profile", data=profile_form(
        client, summary=decomposed[:120], description=decomposed + " 설명을 길게 씁니다.", technologies="NPU, 🎧 audio, עברית"))
    assert response.status_code == 302, text_of(response)[:500]

    seeded.commit()
    seeded.expire_all()
    org = crud.get_organization_by_slug(session=seeded, slug="pixelwave")
    profile = crud.get_profile_by_organization(session=seeded, organization_id=org.id)
    assert profile.description == UNUSUAL + " 설명을 길게 씁니다."  # stored composed (NFC), every character kept
    assert profile.technologies == ["NPU", "🎧 audio", "עברית"]
    seeded.commit()
    assert UNUSUAL[:40] in text_of(client.get("/startup/profile"))


@pytest.mark.parametrize("bad, reason", [
    ("제어\x00문자", "control"), ("벨\x07소리", "control"), ("escape \x1b[31m red", "control"),
    ("숨은 \u202e 방향 전환", "override"), ("isolate \u2066 text", "override"),
])
def test_invisible_characters_are_refused_on_the_field_and_the_rest_is_kept(login_as, seeded, bad, reason):
    client = login_as("startup")
    response = client.post("/startup/profile", data=profile_form(client, description=bad + " 설명은 충분히 깁니다. " * 3,
                                                                summary="유지될 요약 ✨"))
    assert response.status_code == 400
    page = text_of(response)
    assert 'value="유지될 요약 ✨"' in page  # nothing typed is lost
    assert re.search(r'class="[^"]*error', page)


def test_markup_typed_into_a_challenge_is_shown_as_text_everywhere(login_as, seeded, make_run):
    challenge = crud.get_challenge_by_code(session=seeded, code="LG-TV-01")
    challenge.title = SCRIPT
    field = seeded.exec(select(Field).where(Field.slug == "smart-tv")).one()
    field.name_ko = field.name_en = SCRIPT
    seeded.commit()
    make_run([("LG-TV-01", "pixelwave", 0.81)])

    pages = {
        "sponsor": ["/sponsor/challenges", f"/sponsor/challenges/{challenge.id}", f"/sponsor/challenges/{challenge.id}/edit"],
        "startup": ["/startup/suggestions", "/startup/proposals"],
        "manager": ["/manager/", "/manager/rounds"],
    }
    for who, paths in pages.items():
        client = login_as(who)
        for path in paths:
            response = client.get(path)
            html = response.get_data(as_text=True)
            assert response.status_code == 200, (who, path)
            assert "<script>alert" not in html and "<img src=x" not in html, (who, path)
    dashboard = login_as("manager").get("/manager/").get_data(as_text=True)
    assert "&lt;script&gt;alert" in dashboard  # the chart label is there, as text


JUNK_QUERY = ("?page=-1&per_page=99999999999999999999&field=abc&programme=%00&round=1e9&lang=xx&sort=%ff"
              "&q=%3Cscript%3E&status=nonsense&ids=1,a&show=all&compare=1&compare=x")


def _get_routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.rule.startswith("/api/") and rule.endpoint != "static":
            yield rule


def test_junk_query_parameters_on_every_page_never_cause_a_server_error(app, login_as, seeded, make_run):
    make_run([("LG-TV-01", "pixelwave", 0.81), ("LG-AUDIO-01", "quiet-audio", 0.52)])
    rules = list(_get_routes(app))
    assert len(rules) >= 25
    for who in (None, "startup", "sponsor", "manager"):
        client = login_as(who)
        for rule in rules:
            path = re.sub(r"<(?:\w+:)?\w+>", "1", rule.rule)
            response = client.get(path + JUNK_QUERY)
            assert response.status_code < 500, f"{path} as {who}: {response.status_code}"
            response.close()


def test_a_page_form_beyond_the_size_limit_answers_413_in_the_readers_language(app, login_as, seeded):
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    client = login_as("startup")
    response = client.post("/startup/profile", data=profile_form(client, description="가" * 60_000))
    assert response.status_code == 413
    assert "용량 초과" in text_of(response) and "보내신 내용이 허용 용량보다 큽니다." in text_of(response)


def test_bytes_that_are_not_utf8_get_a_clear_400(login_as, seeded):
    client = login_as("startup")
    token = form_token(client, "/startup/profile")
    body = b"csrf_token=" + token.encode() + b"&summary=%ff%fe%fd&description=" + ("가" * 30).encode()
    response = client.post("/startup/profile", data=body, content_type="application/x-www-form-urlencoded")
    assert 400 <= response.status_code < 500


def test_a_challenge_title_at_the_limit_in_korean_is_accepted_and_one_more_is_refused(login_as, seeded):
    from models.schema import TITLE_MAX

    client = login_as("sponsor")
    field = crud.get_field_by_key(session=seeded, key="ai-2025-on-device/smart-tv")
    seeded.commit()

    def post(title):
        return client.post("/sponsor/challenges/new", data={
            "field_id": str(field.id), "title": title, "description": "전력 5mW 이내에서 동작하는 키워드 인식 모델이 필요합니다.",
            "requirements": "", "tags": "", "capacity": "3", "language": "",
            "csrf_token": form_token(client, "/sponsor/challenges/new"),
        })

    assert post("가" * TITLE_MAX).status_code == 302
    refused = post("나" * (TITLE_MAX + 1))
    assert refused.status_code == 400 and "나" * (TITLE_MAX + 1) in text_of(refused)
    seeded.commit()
    assert seeded.exec(select(Challenge).where(Challenge.title == "나" * (TITLE_MAX + 1))).first() is None
