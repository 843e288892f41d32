"""The JSON API: token sign-in, the pages' permissions, every resource, refusals of bad input, and the OpenAPI contract.

Every call made through `Api` is checked against the OpenAPI document the app serves: the status
must be one the route documents, and the body must validate against the documented schema.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import timedelta

import jsonschema_rs
import pytest
from sqlmodel import select

from models import crud
from models.enums import ProposalStatus, Role, RoundStatus, RunStatus
from models.schema import ApiToken, Challenge, ChallengeCreate, Interest, MatchRun, Proposal, Round, RoundUpdate
from models.types import utcnow
from tests.conftest import USERS

API = "/api/v1"

# (title, description) in Korean, English and both at once, as sponsors and startups write them.
TEXTS = {
    "korean": ("저전력 NPU 음성 인식", "리모컨 없이 음성으로 채널을 바꾸는 온디바이스 음성 인식 모델이 필요합니다. 전력은 50mW 이하."),
    "english": ("Low-power keyword spotting",
                "We need an on-device keyword spotting model that runs on the TV SoC within 50 mW."),
    "mixed": ("NPU 기반 real-time 업스케일링 v2", "720p 방송 영상을 4K로 upscale하는 lightweight 모델; latency는 프레임당 16ms 이하."),
}


# --- the contract check every call goes through ------------------------------------------------------


class Contract:
    """Checks answers against the served OpenAPI document."""

    def __init__(self, document: dict):
        self.document = document
        self.validators: dict[str, jsonschema_rs.Validator] = {}
        self.templates = [
            (re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$"), template)
            for template in document["paths"]
        ]

    def operation(self, method: str, path: str) -> dict:
        path = path.split("?", 1)[0]
        matches = [template for pattern, template in self.templates if pattern.match(path)]
        # A literal segment wins over a template value (/interests/order before /interests/{challenge_id}).
        matches.sort(key=lambda t: t.count("{"))
        assert matches, f"{path} is not in the OpenAPI document"
        operation = self.document["paths"][matches[0]].get(method.lower())
        assert operation is not None, f"{method} {matches[0]} is not in the OpenAPI document"
        return operation

    def validator(self, ref: str) -> jsonschema_rs.Validator:
        if ref not in self.validators:
            self.validators[ref] = jsonschema_rs.validator_for({
                "$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": ref,
                "components": self.document["components"],
            })
        return self.validators[ref]

    def check(self, method: str, path: str, response) -> None:
        documented = self.operation(method, path)["responses"]
        status = str(response.status_code)
        assert status in documented, f"{method} {path} answered {status}, not documented: {response.data[:300]!r}"
        content = documented[status].get("content")
        if content is None:
            assert response.data == b""
            return
        assert response.mimetype == "application/json"
        validator = self.validator(content["application/json"]["schema"]["$ref"])
        errors = [f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(response.get_json())]
        assert not errors, f"{method} {path} ({status}) does not match its schema: {errors[:5]}"


class Api:
    """A client that sends a bearer token and checks each answer against the contract."""

    def __init__(self, client, contract: Contract, token: str | None):
        self.client, self.contract, self.token = client, contract, token

    def call(self, method: str, path: str, body=None, *, data=None, content_type=None, headers=None, token=...):
        token = self.token if token is ... else token
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            content_type = content_type or "application/json"
        path = path if path.startswith(API) else API + path
        response = self.client.open(path, method=method, data=data, content_type=content_type, headers=headers)
        self.contract.check(method, path[len(API):], response)
        if self.client.get_cookie("session") is None:
            # API clients authenticate per request; they never get a session cookie.
            assert "Set-Cookie" not in response.headers
        return response

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


@pytest.fixture
def contract(app):
    return Contract(app.test_client().get(f"{API}/openapi.json").get_json())


def issue_token(session, who: str, **kwargs) -> str:
    # End the test's read transaction first: on SQLite it could not become a write after the app committed.
    session.commit()
    user = crud.get_user_by_email(session=session, email=USERS[who][0])
    _row, token = crud.create_api_token(session=session, user_id=user.id, name=f"tests: {who}", **kwargs)
    session.commit()
    return token


@pytest.fixture
def api(app, seeded, contract):
    """Returns a function giving an Api client with a fresh token of one of USERS (None: no token)."""

    def make(who: str | None) -> Api:
        return Api(app.test_client(), contract, issue_token(seeded, who) if who else None)

    return make


def challenge_id(session, code: str) -> int:
    return crud.get_challenge_by_code(session=session, code=code).id


def field_id(session, key: str) -> int:
    return crud.get_field_by_key(session=session, key=key).id


def profile_id(session, slug: str) -> int:
    organization = crud.get_organization_by_slug(session=session, slug=slug)
    return crud.get_profile_by_organization(session=session, organization_id=organization.id).id


def proposal_id(session, code: str, slug: str) -> int:
    return session.exec(select(Proposal.id).where(
        Proposal.challenge_id == challenge_id(session, code), Proposal.startup_id == profile_id(session, slug)
    ).order_by(Proposal.id.desc())).first()


def new_challenge(field: int, title: str = "Keyword spotting on the remote", **extra) -> dict:
    return {"field_id": field, "title": title,
            "description": "An on-device keyword spotting model for the TV remote control, within 5 mW.", **extra}


# --- token authentication ------------------------------------------------------------------------------


def test_a_request_without_a_token_gets_401_json_with_a_bearer_challenge(api):
    response = api(None).get("/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="matchmaker API"'
    assert "Authorization: Bearer" in response.get_json()["error"]["message"]

    basic = api(None).get("/me", headers={"Authorization": "Basic cGl4ZWw6cGFzcw=="})
    assert basic.status_code == 401


def test_an_unknown_token_gets_401_with_invalid_token(api):
    for token in ("mmk_not-a-real-token", "something-else", "mmk_" + "x" * 5000, "토큰"):
        response = api(None).get("/me", token=token)
        assert response.status_code == 401
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_the_token_acts_as_its_owner(api):
    response = api("startup").get("/me")
    assert response.status_code == 200
    me = response.get_json()
    assert (me["email"], me["role"], me["display_name"]) == ("pixel@example.kr", "startup", "김픽셀")
    assert me["organization"]["name_ko"] == "픽셀웨이브"
    # Hangul is sent as UTF-8, not as \\u escapes.
    assert "김픽셀".encode() in response.data


def test_a_revoked_token_stops_working_at_once(api, seeded):
    client = api("sponsor")
    assert client.get("/me").status_code == 200
    row = seeded.exec(select(ApiToken).where(ApiToken.token_hash == crud._token_digest(client.token))).one()
    crud.revoke_api_token(session=seeded, token_id=row.id, user_id=row.user_id)
    seeded.commit()
    response = client.get("/me")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_an_expired_token_is_refused(app, seeded, contract):
    token = issue_token(seeded, "manager", expires_at=utcnow() + timedelta(days=1))
    client = Api(app.test_client(), contract, token)
    assert client.get("/rounds").status_code == 200
    row = seeded.exec(select(ApiToken).where(ApiToken.token_hash == crud._token_digest(token))).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    seeded.commit()
    assert client.get("/rounds").status_code == 401


def test_a_deactivated_users_token_is_refused(api, seeded):
    client = api("other_startup")
    crud.get_user_by_email(session=seeded, email=USERS["other_startup"][0]).is_active = False
    seeded.commit()
    assert client.get("/me").status_code == 401


def test_the_api_notes_when_a_token_was_last_used(api, seeded):
    client = api("startup")
    client.get("/me")
    seeded.rollback()  # a fresh transaction sees what the app committed
    row = seeded.exec(select(ApiToken).where(ApiToken.token_hash == crud._token_digest(client.token))).one()
    assert row.last_used_at is not None and utcnow() - row.last_used_at < timedelta(minutes=1)


def test_a_signed_in_browser_session_does_not_authenticate_the_api(seeded, login_as, contract):
    # The API is exempt from CSRF; accepting the cookie would let any site call it on a user's behalf.
    browser = login_as("sponsor")
    response = Api(browser, contract, None).get("/challenges")
    assert response.status_code == 401


def test_api_answers_are_not_cached_and_set_no_cookie(api):
    response = api("startup").get("/profile")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Authorization" in response.headers["Vary"]
    assert "Set-Cookie" not in response.headers


# --- challenges -------------------------------------------------------------------------------------------


def codes(response) -> list[str]:
    return [item["code"] for item in response.get_json()["items"]]


def test_each_role_lists_only_the_challenges_it_may_see(api):
    assert codes(api("sponsor").get("/challenges")) == ["LG-TV-01", "LG-AUDIO-01"]
    assert codes(api("other_sponsor").get("/challenges")) == ["QC-DRONE-01", "QC-DRONE-02"]
    assert codes(api("startup").get("/challenges")) == ["LG-TV-01", "LG-AUDIO-01", "QC-DRONE-01"]
    assert codes(api("manager").get("/challenges")) == ["LG-TV-01", "LG-AUDIO-01", "QC-DRONE-01", "QC-DRONE-02"]
    # A startup asking for drafts gets none: the filter narrows what it may see, never widens it.
    assert codes(api("startup").get("/challenges?status=draft")) == []


def test_challenges_filter_by_status_field_and_programme(api, seeded):
    manager = api("manager")
    assert codes(manager.get("/challenges?status=draft")) == ["QC-DRONE-02"]
    assert codes(manager.get(f"/challenges?field_id={field_id(seeded, 'ai-2025-on-device/audio')}")) == ["LG-AUDIO-01"]
    vertical = crud.get_programme_by_slug(session=seeded, slug="ai-2025-vertical").id
    assert codes(manager.get(f"/challenges?programme_id={vertical}&status=open")) == ["QC-DRONE-01"]


def test_challenges_come_in_pages_linked_to_each_other(api, seeded):
    smart_tv = field_id(seeded, "ai-2025-on-device/smart-tv")
    lg = crud.get_organization_by_slug(session=seeded, slug="lg-electronics").id
    for n in range(3):
        crud.create_challenge(session=seeded, sponsor_id=lg, challenge_in=ChallengeCreate(
            **new_challenge(smart_tv, title=f"추가 과제 {n}"), code=f"LG-EXTRA-{n}"))
    seeded.commit()
    client = api("sponsor")

    first = client.get("/challenges?per_page=2").get_json()
    assert (first["total"], first["page"], first["per_page"], first["prev"]) == (5, 1, 2, None)
    seen, page = [], first
    while True:
        seen += [item["code"] for item in page["items"]]
        if page["next"] is None:
            break
        assert "per_page=2" in page["next"]
        page = client.get(page["next"]).get_json()
    assert seen == ["LG-TV-01", "LG-AUDIO-01", "LG-EXTRA-0", "LG-EXTRA-1", "LG-EXTRA-2"]
    assert page["page"] == 3 and page["prev"] is not None

    beyond = client.get("/challenges?per_page=2&page=9").get_json()
    assert beyond["items"] == [] and beyond["next"] is None and "page=3" in beyond["prev"]


def test_bad_list_parameters_are_refused_with_422(api):
    client = api("manager")
    for query in ("per_page=101", "per_page=0", "page=0", "page=abc", "page=1.5", "status=finished", "field_id=-1",
                  "field_id=2147483648", "programme_id=", "pagesize=5", "page=1&page=2"):
        response = client.get(f"/challenges?{query}")
        assert response.status_code == 422, query
        assert response.get_json()["error"]["status"] == 422


def test_a_startup_sees_an_open_challenge_but_not_a_draft(api, seeded):
    client = api("startup")
    assert client.get(f"/challenges/{challenge_id(seeded, 'QC-DRONE-01')}").get_json()["code"] == "QC-DRONE-01"
    assert client.get(f"/challenges/{challenge_id(seeded, 'QC-DRONE-02')}").status_code == 404


def test_another_sponsors_challenge_answers_404(api, seeded):
    client = api("sponsor")
    drone = challenge_id(seeded, "QC-DRONE-01")
    assert client.get(f"/challenges/{drone}").status_code == 404
    assert client.patch(f"/challenges/{drone}", {"version": 1, "capacity": 9}).status_code == 404
    assert client.get(f"/challenges/{drone}/proposals").status_code == 404


def test_a_sponsor_posts_challenges_in_korean_english_and_mixed_text_and_reads_them_back(api, seeded):
    client = api("sponsor")
    smart_tv = field_id(seeded, "ai-2025-on-device/smart-tv")
    for n, (language, (title, description)) in enumerate(TEXTS.items(), start=2):
        body = new_challenge(smart_tv, title=title, description=description, tags=["음성 인식", "NPU", "npu", " KWS "],
                             language={"korean": "ko", "english": "en", "mixed": "mixed"}[language], status="open")
        response = client.post("/challenges", body)

        assert response.status_code == 201, language
        created = response.get_json()
        assert (created["title"], created["description"]) == (title, description)
        assert created["tags"] == ["음성 인식", "NPU", "KWS"]  # trimmed, repeats dropped regardless of case
        assert created["code"] == f"SMART-TV-{n:02d}" and created["version"] == 1 and created["status"] == "open"
        assert created["sponsor"]["slug"] == "lg-electronics" and created["field"]["slug"] == "smart-tv"
        assert title.encode() in response.data  # UTF-8, not \\u escapes
        assert response.headers["Location"] == f"{API}/challenges/{created['id']}"
        assert client.get(response.headers["Location"]).get_json() == created
    assert codes(api("startup").get("/challenges?status=open"))[-3:] == ["SMART-TV-02", "SMART-TV-03", "SMART-TV-04"]


def test_decomposed_hangul_is_stored_composed_and_limits_count_characters(api, seeded):
    client = api("sponsor")
    smart_tv = field_id(seeded, "ai-2025-on-device/smart-tv")
    title = "가" * 200  # 200 characters: 600 bytes in UTF-8, 400 code points when decomposed
    decomposed = unicodedata.normalize("NFD", title + " 설명입니다. Decomposed Hangul is composed on the way in.")
    response = client.post("/challenges", new_challenge(smart_tv, title=unicodedata.normalize("NFD", title),
                                                        description=decomposed))
    assert response.status_code == 201
    created = response.get_json()
    assert created["title"] == title and unicodedata.is_normalized("NFC", created["description"])
    seeded.rollback()  # a fresh transaction sees what the app committed
    assert seeded.get(Challenge, created["id"]).title == title

    too_long = client.post("/challenges", new_challenge(smart_tv, title="가" * 201))
    assert too_long.status_code == 422
    assert too_long.get_json()["error"]["errors"][0]["loc"] == ["body", "title"]


def test_only_sponsors_post_challenges(api, seeded):
    body = new_challenge(field_id(seeded, "ai-2025-on-device/smart-tv"))
    for who in ("startup", "manager"):
        response = api(who).post("/challenges", body)
        assert response.status_code == 403
    # The role is checked before the body: a startup learns nothing from a malformed one either.
    assert api("startup").post("/challenges", data=b"{", content_type="application/json").status_code == 403


def test_a_sponsor_cannot_post_into_another_programmes_field(api, seeded):
    response = api("sponsor").post("/challenges", new_challenge(field_id(seeded, "ai-2025-vertical/inspection-drone")))
    assert response.status_code == 422
    assert "does not take part" in response.get_json()["error"]["message"]
    missing = api("sponsor").post("/challenges", new_challenge(999_999))
    assert missing.status_code == 422
    assert missing.get_json()["error"]["errors"][0]["loc"] == ["body", "field_id"]


def test_a_taken_challenge_code_answers_409(api, seeded):
    body = new_challenge(field_id(seeded, "ai-2025-on-device/smart-tv"), code="LG-TV-01")
    response = api("sponsor").post("/challenges", body)
    assert response.status_code == 409
    bad_code = api("sponsor").post("/challenges", {**body, "code": "lg tv 01"})
    assert bad_code.status_code == 422


def test_patch_changes_only_what_is_sent_and_bumps_the_version(api, seeded):
    client = api("sponsor")
    tv = challenge_id(seeded, "LG-TV-01")
    before = client.get(f"/challenges/{tv}").get_json()
    response = client.patch(f"/challenges/{tv}", {"version": 1, "title": "실시간 upscaling, 4K 120Hz", "capacity": 4})
    assert response.status_code == 200
    after = response.get_json()
    assert (after["title"], after["capacity"], after["version"]) == ("실시간 upscaling, 4K 120Hz", 4, 2)
    assert after["description"] == before["description"] and after["tags"] == before["tags"]
    # Nothing changed, same version: the challenge stays as it is.
    assert client.patch(f"/challenges/{tv}", {"version": 2}).get_json()["version"] == 2


def test_a_stale_version_answers_409_with_the_current_one(api, seeded):
    tv = challenge_id(seeded, "LG-TV-01")
    first, second = api("sponsor"), api("manager")
    assert first.patch(f"/challenges/{tv}", {"version": 1, "capacity": 5}).status_code == 200
    response = second.patch(f"/challenges/{tv}", {"version": 1, "title": "늦게 온 편집"})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["current_version"] == 2 and error["current"]["capacity"] == 5
    seeded.rollback()  # a fresh transaction sees what the app committed
    assert seeded.get(Challenge, tv).title == "저해상도 영상의 실시간 업스케일링"


def test_patch_needs_a_version_and_refuses_null_for_required_fields(api, seeded):
    client = api("sponsor")
    tv = challenge_id(seeded, "LG-TV-01")
    missing = client.patch(f"/challenges/{tv}", {"title": "버전 없음"})
    assert missing.status_code == 422
    assert ["body", "version"] in [e["loc"] for e in missing.get_json()["error"]["errors"]]
    nulls = client.patch(f"/challenges/{tv}", {"version": 1, "title": None, "description": None})
    assert nulls.status_code == 422
    refused = {tuple(e["loc"]) for e in nulls.get_json()["error"]["errors"]}
    assert {("body", "title"), ("body", "description")} <= refused
    # language may be cleared: the column is nullable.
    assert client.patch(f"/challenges/{tv}", {"version": 1, "language": None}).get_json()["language"] is None


def test_challenge_status_moves_follow_the_rules(api, seeded):
    client = api("other_sponsor")
    draft = challenge_id(seeded, "QC-DRONE-02")
    assert client.patch(f"/challenges/{draft}", {"version": 1, "status": "open"}).get_json()["status"] == "open"
    response = client.patch(f"/challenges/{draft}", {"version": 2, "status": "draft"})
    assert response.status_code == 422
    assert "cannot become draft" in response.get_json()["error"]["message"]


def test_startups_cannot_change_challenges(api, seeded):
    response = api("startup").patch(f"/challenges/{challenge_id(seeded, 'LG-TV-01')}", {"version": 1, "capacity": 1})
    assert response.status_code == 403


# --- bad input, everywhere ---------------------------------------------------------------------------------


MALFORMED = [
    (b"{", "application/json", 400),
    (b"", "application/json", 400),
    (b"\xff\xfe{}", "application/json", 400),
    (b'{"title": "a", "title": "b"}', "application/json", 400),
    (b'{"capacity": NaN}', "application/json", 400),
    (b'{"title": "\\ud800 lone surrogate"}', "application/json", 400),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
    (b"[]", "application/json", 422),
    (b'"a string"', "application/json", 422),
    (b"null", "application/json", 422),
    (b"title=x", "application/x-www-form-urlencoded", 415),
    (b'{"title": "x"}', "text/plain", 415),
]


def test_malformed_bodies_are_refused_with_4xx_json(api):
    client = api("sponsor")
    for data, content_type, status in MALFORMED:
        response = client.post("/challenges", data=data, content_type=content_type)
        assert response.status_code == status, data[:40]
        assert response.get_json()["error"]["status"] == status


REFUSED_FIELDS = [
    ({"capacity": "3"}, "capacity"),
    ({"capacity": True}, "capacity"),
    ({"capacity": 3.5}, "capacity"),
    ({"capacity": 101}, "capacity"),
    ({"field_id": "1"}, "field_id"),
    ({"tags": "NPU"}, "tags"),
    ({"tags": ["x" * 61]}, "tags"),
    ({"tags": [str(n) for n in range(31)]}, "tags"),
    ({"title": ["a list"]}, "title"),
    ({"title": "줄\n바꿈"}, "title"),
    ({"title": "제어\x07문자"}, "title"),
    ({"description": "설명에 제어 문자가 있습니다\x00 그리고 더 있습니다."}, "description"),
    ({"description": "Direction override \u202e hides what the text says."}, "description"),
    ({"description": "짧음"}, "description"),
    ({"description": "가" * 20_001}, "description"),
    ({"language": "jp"}, "language"),
    ({"status": "published"}, "status"),
    ({"sponsor_id": 2}, "sponsor_id"),
    ({"id": 1}, "id"),
]


def test_wrong_types_unknown_fields_and_bad_text_are_refused_with_422(api, seeded):
    client = api("sponsor")
    valid = new_challenge(field_id(seeded, "ai-2025-on-device/smart-tv"))
    for change, loc in REFUSED_FIELDS:
        response = client.post("/challenges", {**valid, **change})
        assert response.status_code == 422, change
        assert ["body", loc] in [e["loc"][:2] for e in response.get_json()["error"]["errors"]], change
    seeded.rollback()  # a fresh transaction sees what the app committed
    assert seeded.exec(select(Challenge).where(Challenge.code == "SMART-TV-02")).first() is None


def test_a_body_beyond_the_size_limit_answers_413(app, api, seeded):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    body = new_challenge(field_id(seeded, "ai-2025-on-device/smart-tv"), description="가" * 9_000)
    response = api("sponsor").post("/challenges", body)
    assert response.status_code == 413
    assert response.get_json()["error"]["status"] == 413


def test_ids_that_name_nothing_answer_404(api):
    client = api("manager")
    for bad_id in ("0", "999999", "2147483648", "99999999999999999999999"):
        for path in (f"/challenges/{bad_id}", f"/startups/{bad_id}", f"/proposals/{bad_id}", f"/rounds/{bad_id}",
                     f"/runs/{bad_id}", f"/rounds/{bad_id}/runs", f"/challenges/{bad_id}/proposals"):
            assert client.get(path).status_code == 404, path


def test_unknown_query_parameters_are_refused(api):
    response = api("startup").get("/profile?lang=en")
    assert response.status_code == 422
    assert "lang" in response.get_json()["error"]["message"]


# --- startup profiles ---------------------------------------------------------------------------------------


@pytest.fixture
def newcomer(app, seeded, contract):
    """A startup that has just signed up and has no profile yet."""
    user = crud.signup_startup(session=seeded, email="new@saessak.kr", password="long-enough-pw",
                               display_name="이새싹", name_ko="새싹로보틱스", name_en="Saessak Robotics")
    seeded.commit()
    _row, token = crud.create_api_token(session=seeded, user_id=user.id, name="새싹 CI")
    seeded.commit()
    return Api(app.test_client(), contract, token)


def profile_body(**extra) -> dict:
    return {"summary": "물류 로봇용 on-device 비전", "description": "창고 로봇이 NPU에서 물체를 인식하고 경로를 계획합니다. Runs fully offline.",
            "technologies": ["비전", "SLAM"], "stage": "pre_seed", "founded_year": 2023, "team_size": 5,
            "language": "mixed", **extra}


def test_a_startup_creates_its_profile_then_replaces_it_by_version(newcomer, seeded):
    smart_tv = field_id(seeded, "ai-2025-on-device/smart-tv")
    assert newcomer.get("/profile").status_code == 404

    summary, description = TEXTS["korean"]
    decomposed = unicodedata.normalize("NFD", description)
    created = newcomer.put("/profile", profile_body(summary=summary, description=decomposed, field_ids=[smart_tv]))
    assert created.status_code == 201
    profile = created.get_json()
    assert (profile["summary"], profile["description"], profile["version"]) == (summary, description, 1)
    assert profile["field_ids"] == [smart_tv] and profile["organization"]["name_ko"] == "새싹로보틱스"
    assert created.headers["Location"] == f"{API}/profile"
    assert newcomer.get("/profile").get_json() == profile

    for version, language in enumerate(("english", "mixed"), start=2):
        summary, description = TEXTS[language]
        replaced = newcomer.put("/profile", profile_body(summary=summary, description=description, version=version - 1))
        assert replaced.status_code == 200, language
        assert (replaced.get_json()["summary"], replaced.get_json()["version"]) == (summary, version)

    # PUT replaces the whole profile: what is left out takes its default.
    replaced = newcomer.put("/profile", {"description": description + " v4", "version": 3}).get_json()
    assert replaced["version"] == 4 and replaced["summary"] == "" and replaced["technologies"] == []
    assert replaced["field_ids"] == [] and replaced["stage"] == "seed" and replaced["team_size"] is None


def test_replacing_a_profile_needs_the_current_version(api, seeded):
    client = api("startup")
    assert client.get("/profile").get_json()["version"] == 1
    without = client.put("/profile", profile_body())
    assert without.status_code == 409 and without.get_json()["error"]["current_version"] == 1
    assert client.put("/profile", profile_body(version=1)).status_code == 200
    stale = client.put("/profile", profile_body(summary="덮어쓰기", version=1))
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["current_version"] == 2 and error["current"]["summary"] == profile_body()["summary"]


def test_a_first_profile_cannot_name_a_version(newcomer):
    assert newcomer.put("/profile", profile_body(version=3)).status_code == 409
    assert newcomer.get("/profile").status_code == 404


def test_a_profile_with_an_unknown_field_is_refused(newcomer):
    response = newcomer.put("/profile", profile_body(field_ids=[424242]))
    assert response.status_code == 422
    assert response.get_json()["error"]["errors"][0]["loc"] == ["body", "field_ids"]
    assert newcomer.get("/profile").status_code == 404


def test_profiles_are_for_startups_only(api):
    assert api("sponsor").get("/profile").status_code == 403
    assert api("manager").put("/profile", profile_body()).status_code == 403


def test_a_sponsor_sees_a_startup_only_once_it_is_proposed_to_it(api, seeded, make_run):
    quiet = profile_id(seeded, "quiet-audio")
    sponsor = api("sponsor")
    assert sponsor.get(f"/startups/{quiet}").status_code == 404
    make_run([("LG-AUDIO-01", "quiet-audio", 0.7)])
    response = sponsor.get(f"/startups/{quiet}")
    assert response.status_code == 200 and response.get_json()["organization"]["slug"] == "quiet-audio"
    assert api("other_sponsor").get(f"/startups/{quiet}").status_code == 404
    assert api("startup").get(f"/startups/{quiet}").status_code == 404
    assert api("other_startup").get(f"/startups/{quiet}").status_code == 200
    assert api("manager").get(f"/startups/{quiet}").status_code == 200


# --- proposals and decisions -----------------------------------------------------------------------------------


@pytest.fixture
def proposals(make_run, seeded):
    """A run proposing pixelwave and quiet-audio for LG-TV-01, and skyline-drones for QC-DRONE-01."""
    make_run([("LG-TV-01", "pixelwave", 0.81), ("LG-TV-01", "quiet-audio", 0.42),
              ("QC-DRONE-01", "skyline-drones", 0.9)])
    return {
        "pixel": proposal_id(seeded, "LG-TV-01", "pixelwave"),
        "quiet": proposal_id(seeded, "LG-TV-01", "quiet-audio"),
        "sky": proposal_id(seeded, "QC-DRONE-01", "skyline-drones"),
    }


def test_a_sponsor_sees_the_proposals_of_its_challenges_latest_run(api, seeded, proposals, make_run):
    tv = challenge_id(seeded, "LG-TV-01")
    listing = api("sponsor").get(f"/challenges/{tv}/proposals").get_json()
    assert [p["startup"]["organization"]["slug"] for p in listing["items"]] == ["pixelwave", "quiet-audio"]
    assert listing["items"][0]["decisions"] == ["shortlisted", "rejected"]
    assert listing["items"][0]["explanation"]["shared_terms"] == ["npu"]

    newer = make_run([("LG-TV-01", "quiet-audio", 0.6)])
    listing = api("sponsor").get(f"/challenges/{tv}/proposals").get_json()
    assert listing["run_id"] == newer.id and len(listing["items"]) == 1
    assert api("manager").get(f"/challenges/{tv}/proposals").get_json()["run_id"] == newer.id


def test_a_sponsor_cannot_see_another_sponsors_proposals(api, proposals):
    client = api("other_sponsor")
    assert client.get(f"/proposals/{proposals['pixel']}").status_code == 404
    assert client.post(f"/proposals/{proposals['pixel']}/decision", {"status": "shortlisted"}).status_code == 404
    assert client.get(f"/proposals/{proposals['sky']}").status_code == 200


def test_a_startup_sees_only_its_own_proposals(api, proposals):
    client = api("startup")
    mine = client.get("/proposals").get_json()["items"]
    assert [p["id"] for p in mine] == [proposals["pixel"]]
    assert mine[0]["challenge"]["code"] == "LG-TV-01" and mine[0]["decisions"] == []
    assert client.get(f"/proposals/{proposals['quiet']}").status_code == 404
    assert client.get(f"/challenges/{mine[0]['challenge']['id']}/proposals").status_code == 403


def test_shortlist_invite_and_accept(api, seeded, proposals):
    sponsor, startup = api("sponsor"), api("startup")
    pixel = proposals["pixel"]
    shortlisted = sponsor.post(f"/proposals/{pixel}/decision", {"status": "shortlisted"}).get_json()
    assert shortlisted["status"] == "shortlisted" and shortlisted["shortlist_rank"] == 1
    assert shortlisted["decisions"] == ["rejected", "invited"]
    invited = sponsor.post(f"/proposals/{pixel}/decision", {"status": "invited", "reason": "9월 PoC에 초대합니다."})
    assert invited.get_json()["reason"] == "9월 PoC에 초대합니다."
    assert startup.get(f"/proposals/{pixel}").get_json()["decisions"] == ["accepted", "declined"]
    accepted = startup.post(f"/proposals/{pixel}/decision", {"status": "accepted"})
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    seeded.rollback()  # a fresh transaction sees what the app committed
    assert seeded.get(Proposal, pixel).status == ProposalStatus.accepted


def test_a_startup_cannot_make_a_sponsors_decision(api, proposals):
    response = api("startup").post(f"/proposals/{proposals['pixel']}/decision", {"status": "shortlisted"})
    assert response.status_code == 403
    assert "sponsor" in response.get_json()["error"]["message"]
    assert api("sponsor").post(f"/proposals/{proposals['pixel']}/decision", {"status": "accepted"}).status_code == 403
    assert api("manager").post(f"/proposals/{proposals['pixel']}/decision", {"status": "rejected",
                                                                            "reason": "x"}).status_code == 403


def test_a_move_the_rules_never_allow_answers_422(api, proposals):
    response = api("sponsor").post(f"/proposals/{proposals['pixel']}/decision", {"status": "invited"})
    assert response.status_code == 422
    assert response.get_json()["error"]["current_status"] == "proposed"
    assert api("startup").post(f"/proposals/{proposals['pixel']}/decision", {"status": "accepted"}).status_code == 422
    assert api("sponsor").post(f"/proposals/{proposals['pixel']}/decision", {"status": "selected"}).status_code == 422


def test_a_decision_someone_made_first_answers_409(api, seeded, proposals):
    first, second = api("sponsor"), api("sponsor")
    quiet = proposals["quiet"]
    rejected = first.post(f"/proposals/{quiet}/decision", {"status": "rejected", "reason": "범위 밖입니다 (out of scope)."})
    assert rejected.status_code == 200
    response = second.post(f"/proposals/{quiet}/decision", {"status": "shortlisted"})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["current_status"] == "rejected" and error["current"]["reason"] == "범위 밖입니다 (out of scope)."


def test_a_decision_racing_another_answers_409(api, seeded, proposals, monkeypatch):
    # The other reviewer's decision commits between this request's read and its write.
    if seeded.get_bind().dialect.name == "sqlite":
        pytest.skip("SQLite has one writer: the request holds the write lock from its read to its write")
    from web.api import views

    real = views.crud.decide_proposal

    def someone_else_first(*, session, proposal, **kwargs):
        seeded.rollback()
        seeded.get(Proposal, proposal.id).status = ProposalStatus.rejected
        seeded.commit()
        return real(session=session, proposal=proposal, **kwargs)

    monkeypatch.setattr(views.crud, "decide_proposal", someone_else_first)
    response = api("sponsor").post(f"/proposals/{proposals['pixel']}/decision", {"status": "shortlisted"})
    assert response.status_code == 409
    assert response.get_json()["error"]["current_status"] == "rejected"


def test_rejecting_needs_a_clean_reason(api, seeded, proposals):
    client = api("sponsor")
    for reason in (None, "", "   ", "이유에\x00제어 문자", "x" * 2001, 42):
        body = {"status": "rejected"} if reason is None else {"status": "rejected", "reason": reason}
        response = client.post(f"/proposals/{proposals['pixel']}/decision", body)
        assert response.status_code == 422, reason
    seeded.rollback()
    assert seeded.get(Proposal, proposals["pixel"]).status == ProposalStatus.proposed


# --- interests -----------------------------------------------------------------------------------------------------


def test_a_startup_adds_orders_and_withdraws_interests(api, seeded):
    client = api("startup")
    tv, audio, drone = (challenge_id(seeded, c) for c in ("LG-TV-01", "LG-AUDIO-01", "QC-DRONE-01"))
    note = unicodedata.normalize("NFD", "초해상도 경험이 있습니다. We shipped SR on 2 TV SoCs.")
    first = client.post("/interests", {"challenge_id": tv, "note": note})
    assert first.status_code == 201
    assert first.get_json()["note"] == unicodedata.normalize("NFC", note) and first.get_json()["rank"] == 1
    assert client.post("/interests", {"challenge_id": audio}).get_json()["rank"] == 2
    assert client.post("/interests", {"challenge_id": drone, "note": "Drone 쪽도 관심"}).get_json()["rank"] == 3

    ordered = client.put("/interests/order", {"challenge_ids": [drone, tv, audio]}).get_json()["items"]
    assert [(i["challenge"]["code"], i["rank"]) for i in ordered] == [
        ("QC-DRONE-01", 1), ("LG-TV-01", 2), ("LG-AUDIO-01", 3)]

    assert client.delete(f"/interests/{drone}").status_code == 204
    listed = client.get("/interests").get_json()["items"]
    assert [(i["challenge"]["code"], i["rank"]) for i in listed] == [("LG-TV-01", 1), ("LG-AUDIO-01", 2)]
    assert client.delete(f"/interests/{drone}").status_code == 404


def test_interest_refusals(api, seeded):
    client = api("startup")
    tv = challenge_id(seeded, "LG-TV-01")
    assert client.post("/interests", {"challenge_id": challenge_id(seeded, "QC-DRONE-02")}).status_code == 404
    assert client.post("/interests", {"challenge_id": 777777}).status_code == 404
    assert client.post("/interests", {"challenge_id": tv}).status_code == 201
    assert client.post("/interests", {"challenge_id": tv}).status_code == 409
    assert client.post("/interests", {"challenge_id": tv, "rank": 1}).status_code == 422
    assert client.post("/interests", {"challenge_id": tv, "note": "x" * 2001}).status_code == 422
    assert client.put("/interests/order", {"challenge_ids": [tv, tv]}).status_code == 422
    assert client.put("/interests/order", {"challenge_ids": []}).status_code == 422
    assert api("sponsor").get("/interests").status_code == 403

    # Ranks stop at 1000: a list that reached it takes no more.
    seeded.rollback()
    seeded.exec(select(Interest)).one().rank = 1000
    seeded.commit()
    full = client.post("/interests", {"challenge_id": challenge_id(seeded, "LG-AUDIO-01")})
    assert full.status_code == 409 and "withdraw" in full.get_json()["error"]["message"]


def test_a_startup_without_a_profile_must_create_it_before_interests(newcomer, seeded):
    assert newcomer.get("/interests").get_json() == {"items": []}
    response = newcomer.post("/interests", {"challenge_id": challenge_id(seeded, "LG-TV-01")})
    assert response.status_code == 409 and "PUT /api/v1/profile" in response.get_json()["error"]["message"]
    assert newcomer.get("/suggestions").status_code == 409
    assert newcomer.get("/proposals").get_json() == {"items": []}
    seeded.rollback()  # a fresh transaction sees what the app committed
    assert seeded.exec(select(Interest)).first() is None


# --- rounds and runs ----------------------------------------------------------------------------------------------


def test_a_manager_reads_rounds_and_their_runs(api, seeded, make_run):
    run = make_run([("LG-TV-01", "pixelwave", 0.8)])
    failed = make_run([], status=RunStatus.failed)
    client = api("manager")
    rounds = client.get("/rounds").get_json()
    assert rounds["total"] == 1 and rounds["items"][0]["name_ko"] == "1차 매칭"
    round_id = rounds["items"][0]["id"]
    assert sorted(rounds["items"][0]["field_ids"]) == sorted(
        [field_id(seeded, "ai-2025-on-device/smart-tv"), field_id(seeded, "ai-2025-on-device/audio")])
    assert client.get(f"/rounds/{round_id}").get_json()["status"] == "scheduled"
    assert client.get("/rounds?status=draft").get_json()["total"] == 0
    runs = client.get(f"/rounds/{round_id}/runs?per_page=1")
    assert runs.get_json()["total"] == 2 and runs.get_json()["next"] is not None
    assert {r["id"] for r in client.get(f"/rounds/{round_id}/runs").get_json()["items"]} == {run.id, failed.id}
    assert client.get(f"/runs/{run.id}").get_json()["status"] == "succeeded"


def test_rounds_are_for_programme_managers(api, seeded):
    round_id = seeded.exec(select(Round.id)).first()
    for who in ("startup", "sponsor"):
        client = api(who)
        assert client.get("/rounds").status_code == 403
        assert client.get(f"/rounds/{round_id}").status_code == 403
        assert client.post(f"/rounds/{round_id}/runs").status_code == 403
    assert api("admin").get("/rounds").status_code == 200


def test_running_a_round_in_the_wrong_state_answers_409(api, seeded):
    round_ = seeded.exec(select(Round)).first()
    round_.status = RoundStatus.draft
    seeded.commit()
    response = api("manager").post(f"/rounds/{round_.id}/runs")
    assert response.status_code == 409
    assert "draft" in response.get_json()["error"]["message"]
    seeded.rollback()  # a fresh transaction sees what the app committed
    assert seeded.exec(select(MatchRun)).first() is None


@pytest.mark.slow
def test_a_manager_runs_a_round_and_the_sponsor_sees_its_proposals(api, seeded):
    round_ = seeded.exec(select(Round)).one()
    # Every eligible pair is proposed: this is about the API's plumbing, not about the model's judgement.
    crud.update_round(session=seeded, round_=round_, round_in=RoundUpdate(min_score=0.0),
                      expected_version=round_.version, actor_id=None)
    seeded.commit()
    round_id = round_.id
    response = api("manager").post(f"/rounds/{round_id}/runs")
    assert response.status_code == 201
    run = response.get_json()
    assert run["status"] == "succeeded" and run["trigger"] == "manual" and run["n_challenges"] == 2
    assert response.headers["Location"] == f"{API}/runs/{run['id']}"
    manager = crud.get_user_by_email(session=seeded, email=USERS["manager"][0])
    assert run["triggered_by_id"] == manager.id
    assert api("manager").get(f"/rounds/{round_id}").get_json()["status"] == "matched"

    listing = api("sponsor").get(f"/challenges/{challenge_id(seeded, 'LG-TV-01')}/proposals").get_json()
    assert listing["run_id"] == run["id"], run
    assert "pixelwave" in [p["startup"]["organization"]["slug"] for p in listing["items"]]
    assert all(0 <= p["score"] <= 1 and p["explanation"] for p in listing["items"])


@pytest.mark.slow
def test_suggestions_rank_the_open_challenges_of_a_startups_fields(api, seeded):
    response = api("startup").get("/suggestions?limit=5")
    assert response.status_code == 200
    items = response.get_json()["items"]
    # pixelwave (super-resolution, smart-TV field) gets the upscaling challenge, with its reason.
    assert [s["challenge"]["code"] for s in items] == ["LG-TV-01"]
    assert items[0]["band"] in ("strong", "possible", "weak") and 0 <= items[0]["score"] <= 1
    assert {"components", "best_pair", "shared_terms"} <= set(items[0]["explanation"])
    other_programme = crud.get_programme_by_slug(session=seeded, slug="ai-2025-vertical").id
    assert api("startup").get(f"/suggestions?programme_id={other_programme}").get_json()["items"] == []
    assert api("sponsor").get("/suggestions").status_code == 403
    assert api("startup").get("/suggestions?limit=101").status_code == 422


# --- the OpenAPI document -----------------------------------------------------------------------------------------


def test_every_api_route_is_in_the_openapi_document_and_nothing_else(app, contract):
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)[len(API):]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method.lower(), path))
    documented = {(method, path) for path, item in contract.document["paths"].items() for method in item}
    assert routes == documented
    assert len(routes) >= 20


def test_the_openapi_document_is_public_and_self_consistent(api, contract):
    response = api(None).get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0" and document["servers"] == [{"url": API}]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "mmk_…",
        "description": "A personal API token from /account/tokens."}
    assert document["paths"]["/openapi.json"]["get"]["security"] == []

    text = json.dumps(document)
    for ref in set(re.findall(r'"\$ref": "([^"]+)"', text)):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in document["components"]["schemas"]
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name
    operation_ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
    for path, item in document["paths"].items():
        for method, op in item.items():
            if path != "/openapi.json":
                assert "401" in op["responses"] and "security" not in op, (method, path)
            for parameter in op.get("parameters", []):
                if parameter["in"] == "path":
                    assert "{" + parameter["name"] + "}" in path


def test_the_documented_request_schemas_are_the_ones_enforced(contract):
    schemas = contract.document["components"]["schemas"]
    create = schemas["ChallengeCreate"]
    assert create["additionalProperties"] is False
    assert set(create["required"]) == {"title", "description", "field_id"}
    assert create["properties"]["title"]["maxLength"] == 200
    assert create["properties"]["code"]["anyOf"][0]["pattern"] == "^[A-Z0-9]+(?:-[A-Z0-9]+)*$"
    patch = schemas["ChallengePatch"]
    assert patch["required"] == ["version"]
    assert patch["properties"]["title"]["type"] == "string"  # null is refused, so it is not offered
    assert {"type": "null"} in patch["properties"]["language"]["anyOf"]
    assert schemas["DecisionIn"]["properties"]["status"]["enum"] == ["shortlisted", "rejected", "invited", "accepted",
                                                                     "declined"]


def test_the_contract_check_catches_a_body_that_breaks_its_schema(contract):
    class Fake:
        status_code, mimetype = 200, "application/json"
        data = b"{}"

        @staticmethod
        def get_json():
            return {"id": "not a number"}

    with pytest.raises(AssertionError, match="does not match its schema"):
        contract.check("GET", "/me", Fake)
    Fake.status_code = 418
    with pytest.raises(AssertionError, match="not documented"):
        contract.check("GET", "/me", Fake)


# --- every route, generically: no token, bad ids, bad bodies ---------------------------------------------------


def _operations(app):
    from web.api.registry import OPERATIONS

    return OPERATIONS


def test_every_route_but_the_document_needs_a_token(app, api):
    client = api(None)
    for op in _operations(app).values():
        path = re.sub(r"<(?:\w+:)?\w+>", "1", op.rule)
        response = client.call(op.method, path, {} if op.body else None)
        assert response.status_code == (200 if op.public else 401), (op.method, path)


@pytest.fixture
def samples(seeded, proposals):
    """A valid call (who, path, body) for every route that takes a body."""
    smart_tv = field_id(seeded, "ai-2025-on-device/smart-tv")
    return {
        "api.create_challenge": ("sponsor", "/challenges", new_challenge(smart_tv)),
        "api.update_challenge": ("sponsor", f"/challenges/{challenge_id(seeded, 'LG-TV-01')}",
                                 {"version": 1, "title": "새 제목", "tags": ["4K"], "language": "ko", "capacity": 2}),
        "api.put_profile": ("startup", "/profile", profile_body(field_ids=[smart_tv], version=1)),
        "api.decide": ("sponsor", f"/proposals/{proposals['quiet']}/decision",
                       {"status": "rejected", "reason": "범위 밖"}),
        "api.add_interest": ("startup", "/interests", {"challenge_id": challenge_id(seeded, "LG-TV-01"), "note": "관심"}),
        # Runs after the interest sample above has recorded that one interest.
        "api.order_interests": ("startup", "/interests/order", {"challenge_ids": [challenge_id(seeded, "LG-TV-01")]}),
    }


def _mutations(schema: dict, components: dict):
    """Yields (field, bad value) pairs for each property of a documented body schema."""
    for name, prop in schema["properties"].items():
        branches = prop.get("anyOf", [prop])
        for branch in branches:
            branch = components.get(branch.get("$ref", "").rsplit("/", 1)[-1], branch)
            kind = branch.get("type") or ("string" if "enum" in branch else None)
            if kind == "string":
                yield name, "제어\x00문자"
                yield name, 12
                if "maxLength" in branch:
                    yield name, "가" * (branch["maxLength"] + 1)
            elif kind == "integer":
                yield name, "1"
                yield name, True
                yield name, 1.5
                yield name, 2**63
            elif kind == "array":
                yield name, "not a list"
                yield name, [None]
                if "maxItems" in branch:
                    yield name, [1] * (branch["maxItems"] + 1)


def test_every_body_route_refuses_bad_input_with_4xx_never_500(app, api, contract, samples):
    with_body = {endpoint for endpoint, op in _operations(app).items() if op.body is not None}
    assert set(samples) == with_body, "give every route with a body a valid sample call"
    components = contract.document["components"]["schemas"]
    for endpoint, (who, path, valid) in samples.items():
        client = api(who)
        op = _operations(app)[endpoint]
        schema = components[contract.operation(op.method, path)["requestBody"]["content"]["application/json"]["schema"]
                            ["$ref"].rsplit("/", 1)[1]]
        for raw, content_type in ((b"{", "application/json"), (b"[1]", "application/json"),
                                  (json.dumps(valid).encode(), "text/plain")):
            response = client.call(op.method, path, data=raw, content_type=content_type)
            assert 400 <= response.status_code < 500, (endpoint, raw)
        response = client.call(op.method, path, {**valid, "not_a_field": 1})
        assert response.status_code == 422, endpoint
        for name, bad in _mutations(schema, components):
            response = client.call(op.method, path, {**valid, name: bad})
            assert response.status_code == 422, (endpoint, name, bad, response.get_json())
            assert ["body", name] == response.get_json()["error"]["errors"][0]["loc"][:2], (endpoint, name, bad)
        # The sample itself is accepted: the refusals above are about the one field changed.
        assert client.call(op.method, path, valid).status_code < 300, endpoint


def test_every_route_with_an_id_answers_404_for_ids_that_name_nothing(app, api, samples):
    for endpoint, op in _operations(app).items():
        if "<int:" not in op.rule:
            continue
        who = "manager" if op.roles is None or Role.manager in op.roles else sorted(op.roles)[0].value
        body = samples[endpoint][2] if endpoint in samples else None
        if endpoint == "api.decide":
            who = "sponsor"
        client = api(who)
        for bad in ("987654", "2147483648", "123456789012345678901234567890"):
            path = re.sub(r"<int:\w+>", bad, op.rule)
            response = client.call(op.method, path, body)
            assert response.status_code == 404, (endpoint, path, response.get_json())


def test_an_unknown_api_path_answers_404_json(api):
    response = api("manager").client.get(f"{API}/nowhere", headers={"Authorization": f"Bearer {api('manager').token}"})
    assert response.status_code == 404 and response.get_json()["error"]["status"] == 404

