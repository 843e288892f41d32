"""The startup pages: profile, suggestions with reasons, a challenge, interests, proposals; and who may see what."""

from __future__ import annotations

import re
import unicodedata
from html import unescape

import pytest
from sqlmodel import select

from models import crud
from models.enums import ChallengeStatus, Language, ProposalStatus, Stage
from models.schema import (
    SUMMARY_MAX,
    ChallengeCreate,
    ChallengeUpdate,
    Event,
    Interest,
    InterestCreate,
    Proposal,
    StartupProfile,
    StartupProfileUpdate,
)
from tests.conftest import counting_statements, form_token

# --- helpers ---------------------------------------------------------------------------------


def text_of(response) -> str:
    """The page as a reader sees it: entities decoded, so Korean and quotes compare plainly."""
    return unescape(response.get_data(as_text=True))


def in_english(client):
    """Switches the client's session to English, so assertions do not depend on the Korean catalog."""
    client.get("/?lang=en")
    return client


# The test's session ends each read with commit(): on SQLite a read transaction left open would
# hold an old snapshot, and its next write would fail once the app has written in between.


def fresh(session):
    """Returns the test's session on a new transaction with nothing cached: it sees what the app wrote."""
    session.commit()
    session.expire_all()
    return session


def profile_of(session, slug: str) -> StartupProfile:
    fresh(session)
    organization = crud.get_organization_by_slug(session=session, slug=slug)
    profile = crud.get_profile_by_organization(session=session, organization_id=organization.id)
    profile.fields  # loaded now, while the transaction is open
    session.commit()
    return profile


def field_id(session, key: str) -> int:
    found = crud.get_field_by_key(session=session, key=key).id
    session.commit()
    return found


def challenge_id(session, code: str) -> int:
    found = crud.get_challenge_by_code(session=session, code=code).id
    session.commit()
    return found


def hidden_value(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(rf'value="([^"]*)"[^>]*name="{name}"', page)
    assert match, f"no hidden {name} on the page"
    return match.group(1)


def profile_form(client, **overrides) -> dict:
    """A complete profile form as the page would send it, with the page's CSRF token and version."""
    page = client.get("/startup/profile").get_data(as_text=True)
    data = {
        "summary": "온디바이스 초해상도 엔진",
        "description": "저사양 NPU에서 돌아가는 초해상도 신경망을 만듭니다. 방송 영상 화질 개선에 특화되어 있습니다.",
        "technologies": "초해상도, 모델 경량화",
        "stage": "seed",
        "founded_year": "2021",
        "team_size": "9",
        "language": "auto",
        "website": "",
        "field_ids": [],
        "version": hidden_value(page, "version") if 'name="version"' in page else "",
        "csrf_token": hidden_value(page, "csrf_token"),
    }
    data.update(overrides)
    return data


def new_startup_client(app, client_name="새싹로보틱스"):
    """Signs up a fresh startup (no profile yet) and returns its signed-in client."""
    client = in_english(app.test_client())
    response = client.post("/auth/signup", data={
        "name_ko": client_name, "name_en": "Saessak Robotics", "display_name": "이새싹",
        "email": "founder@saessak.kr", "password": "long-enough-pw", "confirm": "long-enough-pw",
        "csrf_token": form_token(client, "/auth/signup"),
    })
    assert response.status_code == 302
    return client


def set_profile(session, slug: str, **changes) -> StartupProfile:
    profile = profile_of(session, slug)
    crud.update_profile(session=session, profile=profile, profile_in=StartupProfileUpdate(**changes),
                        expected_version=profile.version, actor_id=None)
    session.commit()
    return profile


# A Korean profile of a company that upscales TV video: the texts the real model scores below.
KOREAN_TV_PROFILE = {
    "summary": "TV용 실시간 초해상도 업스케일링 엔진",
    "description": "저해상도 방송 영상을 4K 화질로 실시간 업스케일링하는 경량 초해상도 신경망을 만듭니다. "
                   "TV SoC의 NPU에서 프레임당 10ms 이내로 동작합니다.",
    "technologies": ["초해상도", "업스케일링", "NPU", "모델 경량화"],
    "language": Language.ko,
    "field_ids": [],
}


def add_english_tv_challenge(session) -> int:
    """Adds an open English challenge in LG's smart-TV field that says what the Korean profile does."""
    lg = crud.get_organization_by_slug(session=fresh(session), slug="lg-electronics")
    challenge = crud.create_challenge(session=session, sponsor_id=lg.id, challenge_in=ChallengeCreate(
        field_id=field_id(session, "ai-2025-on-device/smart-tv"), code="LG-TV-02",
        title="Real-time upscaling of low-resolution broadcast video",
        description="Upscale 720p broadcast video to 4K in real time with a lightweight super-resolution network "
                    "that runs on the TV SoC's NPU. Each frame must take less than 16 ms.",
        tags=["super-resolution", "NPU"], language=Language.en, status=ChallengeStatus.open, capacity=2,
    ))
    session.commit()
    return challenge.id


def suggestion_codes(page: str) -> list[str]:
    """The challenge codes of the suggestion cards, in page order."""
    return re.findall(r'<article class="card suggestion[^"]*" id="challenge-\d+">.*?<code>([A-Z0-9-]+)</code>', page, re.S)


# --- who may open the pages ------------------------------------------------------------------

STARTUP_PAGES = ["/startup/profile", "/startup/suggestions", "/startup/interests", "/startup/proposals"]


@pytest.mark.parametrize("path", STARTUP_PAGES)
def test_anonymous_users_are_sent_to_sign_in(login_as, seeded, path):
    response = login_as(None).get(path)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("who", ["sponsor", "manager", "admin"])
def test_other_roles_cannot_open_startup_pages(login_as, seeded, who):
    client = login_as(who)
    for path in STARTUP_PAGES + [f"/startup/challenges/{challenge_id(seeded, 'LG-TV-01')}"]:
        assert client.get(path).status_code == 403, path


def test_startup_cannot_open_sponsor_or_manager_pages(app, login_as, seeded):
    client = login_as("startup")
    real_id = str(challenge_id(seeded, "LG-TV-01"))

    def sample(match: re.Match) -> str:
        # <any(csv, xlsx):fmt> takes its first choice; every other argument here is an id.
        choices = re.match(r"any\(([^,)]+)", match.group(1))
        return choices.group(1).strip() if choices else real_id

    pages = [re.sub(r"<([^>]+)>", sample, rule.rule) for rule in app.url_map.iter_rules()
             if rule.endpoint.split(".")[0] in ("sponsor", "manager") and "GET" in rule.methods]
    assert pages, "no sponsor or manager pages are installed to check"
    for path in pages:
        assert client.get(path).status_code == 403, path


def test_the_pages_render_in_korean_by_default(login_as, make_run, seeded):
    make_run([("LG-TV-01", "pixelwave", 0.81)])
    client = login_as("startup")
    for path in ("/startup/profile", "/startup/interests", "/startup/proposals"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<html lang="ko">' in response.get_data(as_text=True)
    assert "저해상도 영상의 실시간 업스케일링" in text_of(client.get("/startup/proposals"))


def test_the_navigation_of_a_startup_leads_to_its_pages(login_as, seeded):
    page = in_english(login_as("startup")).get("/startup/interests").get_data(as_text=True)
    for path in STARTUP_PAGES:
        assert f'href="{path}"' in page


# --- profile ---------------------------------------------------------------------------------


def test_a_new_startup_creates_its_profile_in_korean_and_decomposed_hangul_is_stored_composed(app, seeded):
    client = new_startup_client(app)
    assert client.get("/startup/suggestions").headers["Location"].endswith("/startup/profile")
    assert "프로필 만들기" in text_of(client.get("/startup/profile"))

    decomposed = unicodedata.normalize("NFD", "농업용 드론 영상 분석")
    assert decomposed != "농업용 드론 영상 분석"
    response = client.post("/startup/profile", data=profile_form(
        client, summary=decomposed,
        description=unicodedata.normalize("NFD", "드론으로 촬영한 논밭 영상에서 병해충을 찾아내는 경량 모델을 만듭니다."),
        technologies="컴퓨터 비전， 엣지 AI、드론, 컴퓨터 비전", stage="pre_seed", founded_year=" 2023 ", team_size="4",
        language="ko", website="saessak.kr", field_ids=[str(field_id(seeded, "ai-2025-vertical/inspection-drone"))],
    ))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/startup/suggestions")

    profile = profile_of(seeded, "saessak-robotics")
    assert profile.summary == "농업용 드론 영상 분석"
    assert profile.description.startswith("드론으로 촬영한")
    assert unicodedata.is_normalized("NFC", profile.description)
    assert profile.technologies == ["컴퓨터 비전", "엣지 AI", "드론"]
    assert (profile.stage, profile.founded_year, profile.team_size, profile.language) == (Stage.pre_seed, 2023, 4, Language.ko)
    assert profile.website == "https://saessak.kr"
    assert [f.slug for f in profile.fields] == ["inspection-drone"]
    assert fresh(seeded).exec(select(Event).where(Event.entity == "profile", Event.action == "created")).first()


def test_profile_edits_round_trip_in_english_and_mixed_text(login_as, seeded):
    client = in_english(login_as("startup"))
    page = text_of(client.get("/startup/profile"))
    assert 'value="온디바이스 초해상도 엔진"' in page and 'value="초해상도, 모델 경량화"' in page
    assert hidden_value(page, "version") == "1"

    tv, audio = field_id(seeded, "ai-2025-on-device/smart-tv"), field_id(seeded, "ai-2025-on-device/audio")
    response = client.post("/startup/profile", data=profile_form(
        client, summary="Super-resolution for TVs · TV 초해상도", description="We build tiny super-resolution networks "
        "for TV NPUs. 방송 영상 화질을 실시간으로 개선합니다.", technologies="super-resolution, NPU, 초해상도",
        stage="series_a", language="mixed", website="https://pixelwave.example/ko", field_ids=[str(tv), str(audio)],
    ))
    assert response.status_code == 302 and response.headers["Location"].endswith("/startup/profile")

    profile = profile_of(seeded, "pixelwave")
    assert profile.summary == "Super-resolution for TVs · TV 초해상도"
    assert profile.technologies == ["super-resolution", "NPU", "초해상도"]
    assert (profile.stage, profile.language, profile.version) == (Stage.series_a, Language.mixed, 2)
    assert {f.slug for f in profile.fields} == {"smart-tv", "audio"}

    page = text_of(client.get("/startup/profile"))
    assert "Your profile is saved." in page
    assert 'value="Super-resolution for TVs · TV 초해상도"' in page
    assert "방송 영상 화질을 실시간으로 개선합니다." in page
    assert hidden_value(page, "version") == "2"

    # English only, and every field of interest unchecked (which means: every field).
    client.post("/startup/profile", data=profile_form(
        client, summary="TV super-resolution", description="Tiny super-resolution networks for television NPUs.",
        language="en", field_ids=[]))
    profile = profile_of(seeded, "pixelwave")
    assert (profile.summary, profile.language, profile.fields) == ("TV super-resolution", Language.en, [])


def test_the_summary_limit_counts_korean_characters_not_bytes(login_as, seeded):
    client = in_english(login_as("startup"))
    longest = "가" * SUMMARY_MAX
    assert len(longest.encode("utf-8")) == 3 * SUMMARY_MAX
    assert client.post("/startup/profile", data=profile_form(client, summary=longest)).status_code == 302
    assert profile_of(seeded, "pixelwave").summary == longest

    too_long = "가" * (SUMMARY_MAX + 1)
    response = client.post("/startup/profile", data=profile_form(client, summary=too_long))
    assert response.status_code == 400
    page = text_of(response)
    assert f"At most {SUMMARY_MAX} characters." in page
    assert f'value="{too_long}"' in page
    assert profile_of(seeded, "pixelwave").summary == longest


def test_validation_errors_show_on_their_fields_and_keep_everything_typed(login_as, seeded):
    client = in_english(login_as("startup"))
    before = profile_of(seeded, "pixelwave").description
    response = client.post("/startup/profile", data=profile_form(
        client, summary="Mixed 요약 stays", description="너무 짧음 short", technologies="초해상도, NPU",
        founded_year="이천이십일", team_size="0", website="javascript:alert(1)", language="en",
    ))
    assert response.status_code == 400
    page = text_of(response)
    assert "At least 20 characters." in page      # description
    assert "Enter a number." in page              # founded year
    assert "Must be at least 1." in page          # team size
    assert "Enter a web address starting with http:// or https://." in page
    for typed in ('value="Mixed 요약 stays"', "너무 짧음 short</textarea>", 'value="초해상도, NPU"', 'value="이천이십일"',
                  'value="javascript:alert(1)"'):
        assert typed in page, typed
    assert re.search(r'<option selected value="en">|<option value="en" selected>', page)
    assert profile_of(seeded, "pixelwave").description == before


def test_invisible_control_and_direction_override_characters_are_refused(login_as, seeded):
    client = in_english(login_as("startup"))
    response = client.post("/startup/profile", data=profile_form(client, summary="초해상도\u202e엔진"))
    assert response.status_code == 400
    assert "Contains direction-override characters; remove them." in text_of(response)


def test_a_field_of_interest_that_does_not_exist_is_refused(login_as, seeded):
    client = in_english(login_as("startup"))
    response = client.post("/startup/profile", data=profile_form(client, field_ids=["999999"]))
    assert response.status_code == 400
    assert [f.slug for f in profile_of(seeded, "pixelwave").fields] == ["smart-tv"]


def test_a_version_conflict_keeps_the_typed_text_and_says_someone_saved_first(login_as, seeded):
    client = in_english(login_as("startup"))
    mine = profile_form(client, summary="내가 쓴 요약 — my own summary")
    assert mine["version"] == "1"

    set_profile(seeded, "pixelwave", summary="동료가 먼저 저장한 요약")  # a colleague saves version 2 meanwhile

    response = client.post("/startup/profile", data=mine)
    assert response.status_code == 409
    page = text_of(response)
    assert "Someone else saved this profile first." in page
    assert 'value="내가 쓴 요약 — my own summary"' in page
    assert "동료가 먼저 저장한 요약" in page          # what the other version says, to compare
    assert hidden_value(page, "version") == "2"
    assert profile_of(seeded, "pixelwave").summary == "동료가 먼저 저장한 요약"

    # Saving again, knowingly, replaces the colleague's version.
    again = dict(mine, version="2", csrf_token=hidden_value(page, "csrf_token"))
    assert client.post("/startup/profile", data=again).status_code == 302
    assert profile_of(seeded, "pixelwave").summary == "내가 쓴 요약 — my own summary"


def test_a_profile_form_without_its_csrf_token_is_refused(login_as, seeded):
    client = login_as("startup")
    data = profile_form(client, summary="no token")
    del data["csrf_token"]
    assert client.post("/startup/profile", data=data).status_code == 400
    assert profile_of(seeded, "pixelwave").summary == "온디바이스 초해상도 엔진"


# --- suggestions (the real model) ------------------------------------------------------------


@pytest.mark.slow
def test_a_korean_profile_gets_the_matching_english_challenge_first_with_its_reason(login_as, seeded):
    english_tv = add_english_tv_challenge(seeded)
    set_profile(seeded, "pixelwave", **KOREAN_TV_PROFILE)
    client = in_english(login_as("startup"))

    response = client.get("/startup/suggestions?weak=1")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = text_of(response)
    codes = suggestion_codes(page)
    assert "LG-AUDIO-01" in codes and "QC-DRONE-02" not in codes      # drafts are never suggested
    assert codes.index("LG-TV-02") < codes.index("LG-AUDIO-01")
    assert codes.index("LG-TV-01") < codes.index("LG-AUDIO-01")
    assert codes[0] in ("LG-TV-01", "LG-TV-02")

    card = page.split(f'id="challenge-{english_tv}"', 1)[1].split("</article>", 1)[0]
    assert "Real-time upscaling of low-resolution broadcast video" in card
    assert "LG Electronics" in card and "On-device AI" in card and "Smart TV" in card
    assert re.search(r'class="band band-(strong|possible)"', card)
    from_challenge = re.search(r"From the challenge</figcaption>\s*<blockquote lang=\"en\">([^<]+)</blockquote>", card)
    from_profile = re.search(r"From your profile</figcaption>\s*<blockquote lang=\"ko\">([^<]+)</blockquote>", card)
    assert from_challenge and from_profile
    challenge = crud.get_challenge_by_code(session=seeded, code="LG-TV-02")
    assert from_challenge.group(1) in f"{challenge.title}\n{challenge.description}"       # English, as written
    assert from_profile.group(1) in f"{KOREAN_TV_PROFILE['summary']}\n{KOREAN_TV_PROFILE['description']}"  # Korean
    assert 'name="challenge_id" value="%d"' % english_tv in card    # the express-interest button


@pytest.mark.slow
def test_weak_matches_are_hidden_until_asked_for(login_as, seeded):
    set_profile(seeded, "pixelwave", **KOREAN_TV_PROFILE)
    client = in_english(login_as("startup"))
    everything = suggestion_codes(text_of(client.get("/startup/suggestions?weak=1")))
    page = text_of(client.get("/startup/suggestions"))
    shown = suggestion_codes(page)
    weak = [code for code in everything if code not in shown]
    assert weak, "the drone challenge should be a weak match for a TV upscaling profile"
    assert "QC-DRONE-01" in weak
    assert re.search(rf"{len(weak)} weaker match(es are| is) hidden", page)
    assert "band-weak" not in page.split('<div class="suggestions">', 1)[1]


@pytest.mark.slow
def test_suggestions_filter_by_programme_and_field(login_as, seeded):
    set_profile(seeded, "pixelwave", **KOREAN_TV_PROFILE)
    client = in_english(login_as("startup"))
    vertical = crud.get_programme_by_slug(session=seeded, slug="ai-2025-vertical").id
    on_device = crud.get_programme_by_slug(session=seeded, slug="ai-2025-on-device").id
    audio = field_id(seeded, "ai-2025-on-device/audio")

    assert suggestion_codes(text_of(client.get(f"/startup/suggestions?weak=1&programme={vertical}"))) == ["QC-DRONE-01"]
    assert sorted(suggestion_codes(text_of(client.get(f"/startup/suggestions?weak=1&programme={on_device}")))) == [
        "LG-AUDIO-01", "LG-TV-01"]
    page = text_of(client.get(f"/startup/suggestions?weak=1&field={audio}"))
    assert suggestion_codes(page) == ["LG-AUDIO-01"]
    assert re.search(rf'<option value="{audio}" selected>', page)          # the filter shows what it applies
    assert re.search(rf'<option value="{on_device}" selected>', page)      # and the field's programme
    # A field of another programme than the one asked for, or an unknown id, is ignored rather than answered empty.
    assert len(suggestion_codes(text_of(client.get("/startup/suggestions?weak=1&field=987654")))) == 3
    assert suggestion_codes(text_of(client.get(f"/startup/suggestions?weak=1&programme={vertical}&field={audio}"))) == [
        "QC-DRONE-01"]


@pytest.mark.slow
def test_suggestions_respect_fields_of_interest_and_say_so_for_a_field_outside_them(login_as, seeded):
    client = in_english(login_as("startup"))  # pixelwave: interested in smart TV only
    assert suggestion_codes(text_of(client.get("/startup/suggestions?weak=1"))) == ["LG-TV-01"]
    audio = field_id(seeded, "ai-2025-on-device/audio")
    page = text_of(client.get(f"/startup/suggestions?field={audio}"))
    assert suggestion_codes(page) == []
    assert "This field is not among your fields of interest" in page


@pytest.mark.slow
def test_an_edited_profile_gets_fresh_suggestions_at_once(login_as, seeded):
    set_profile(seeded, "pixelwave", summary="드론 점검 소프트웨어", description="비행 중인 드론이 송전선 애자의 균열과 부식을 "
                "실시간으로 검출하는 엣지 AI 소프트웨어를 만듭니다.", technologies=["드론", "엣지 AI"], field_ids=[])
    client = in_english(login_as("startup"))
    assert suggestion_codes(text_of(client.get("/startup/suggestions?weak=1")))[0] == "QC-DRONE-01"

    response = client.post("/startup/profile", data=profile_form(
        client, summary=KOREAN_TV_PROFILE["summary"], description=KOREAN_TV_PROFILE["description"],
        technologies=", ".join(KOREAN_TV_PROFILE["technologies"]), field_ids=[]))
    assert response.status_code == 302
    assert suggestion_codes(text_of(client.get("/startup/suggestions?weak=1")))[0] == "LG-TV-01"


def test_a_startup_without_a_profile_is_sent_to_the_profile_page_with_a_message(app, seeded):
    client = new_startup_client(app)
    for path in ("/startup/suggestions", "/startup/interests", "/startup/proposals"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/startup/profile")
    assert "먼저 기업 프로필을 저장해 주세요." in text_of(client.get("/startup/profile"))


# --- one challenge ---------------------------------------------------------------------------


@pytest.mark.slow
def test_the_challenge_page_shows_the_full_text_and_the_live_score_with_its_reason(login_as, seeded):
    client = in_english(login_as("startup"))
    response = client.get(f"/startup/challenges/{challenge_id(seeded, 'LG-TV-01')}")
    assert response.status_code == 200
    page = text_of(response)
    assert "저해상도 영상의 실시간 업스케일링" in page
    assert "지연은 프레임당 16ms 이하여야 합니다." in page and "메모리 512MB 이내" in page
    assert "LG Electronics" in page and "Smart TV" in page and "Places: <b>3</b>" in page
    assert "Scored now against your current profile." in page
    assert re.search(r'class="band band-(strong|possible|weak)"', page)
    assert "From the challenge" in page and "From your profile" in page
    assert "Express interest" in page


def test_the_challenge_page_shows_the_startups_own_proposal_score_but_never_others(login_as, make_run, seeded):
    make_run([("LG-TV-01", "pixelwave", 0.81), ("LG-TV-01", "quiet-audio", 0.42)])
    page = text_of(in_english(login_as("startup")).get(f"/startup/challenges/{challenge_id(seeded, 'LG-TV-01')}"))
    assert "From the match run" in page and "81%" in page and "Proposed to the sponsor" in page
    assert "42%" not in page and "Quiet Audio" not in page and "콰이어트오디오" not in page


def test_a_startup_cannot_see_draft_or_missing_challenges(login_as, seeded):
    client = login_as("startup")
    assert client.get(f"/startup/challenges/{challenge_id(seeded, 'QC-DRONE-02')}").status_code == 404
    assert client.get("/startup/challenges/987654").status_code == 404


def test_a_closed_challenge_is_no_longer_shown(login_as, seeded):
    audio = crud.get_challenge_by_code(session=fresh(seeded), code="LG-AUDIO-01")
    crud.update_challenge(session=seeded, challenge=audio, challenge_in=ChallengeUpdate(status=ChallengeStatus.closed),
                          expected_version=audio.version, actor_id=None)
    seeded.commit()
    assert login_as("startup").get(f"/startup/challenges/{audio.id}").status_code == 404


@pytest.mark.slow
def test_interest_from_the_challenge_page_keeps_a_korean_note_composed(login_as, seeded):
    client = in_english(login_as("startup"))
    path = f"/startup/challenges/{challenge_id(seeded, 'LG-TV-01')}"
    note = unicodedata.normalize("NFD", "저희 초해상도 엔진은 NPU 4 TOPS 안에서 동작합니다. Demo ready.")
    response = client.post(path, data={"challenge_id": challenge_id(seeded, "LG-TV-01"), "note": note,
                                       "csrf_token": form_token(client, path)})
    assert response.status_code == 302
    interest = fresh(seeded).exec(select(Interest)).one()
    assert interest.note == "저희 초해상도 엔진은 NPU 4 TOPS 안에서 동작합니다. Demo ready."
    page = text_of(client.get(path))
    assert "In your interests: choice 1" in page and "Withdraw interest" in page


@pytest.mark.slow
def test_a_too_long_note_is_refused_and_kept(login_as, seeded):
    client = in_english(login_as("startup"))
    path = f"/startup/challenges/{challenge_id(seeded, 'LG-TV-01')}"
    note = "초해상도" * 500 + "!"   # 2001 characters
    response = client.post(path, data={"challenge_id": challenge_id(seeded, "LG-TV-01"), "note": note,
                                       "csrf_token": form_token(client, path)})
    assert response.status_code == 400
    page = text_of(response)
    assert "At most 2000 characters." in page and note in page
    assert fresh(seeded).exec(select(Interest)).first() is None


# --- interests -------------------------------------------------------------------------------


def add_interest(client, seeded, code: str, next_url: str = "/startup/suggestions"):
    return client.post("/startup/interests", data={
        "challenge_id": challenge_id(seeded, code), "next": next_url, "csrf_token": form_token(client, "/startup/interests"),
    })


def interest_order(seeded, slug: str = "pixelwave") -> list[str]:
    fresh(seeded)
    profile = profile_of(seeded, slug)
    return [i.challenge.code for i in crud.list_interests(session=seeded, startup_id=profile.id)]


def test_interests_are_added_reordered_and_removed(login_as, seeded):
    client = in_english(login_as("startup"))
    response = add_interest(client, seeded, "LG-TV-01", "/startup/suggestions?programme=1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/startup/suggestions?programme=1")
    add_interest(client, seeded, "LG-AUDIO-01")
    add_interest(client, seeded, "QC-DRONE-01")
    assert interest_order(seeded) == ["LG-TV-01", "LG-AUDIO-01", "QC-DRONE-01"]

    page = text_of(client.get("/startup/interests"))
    assert page.index("저해상도 영상의 실시간 업스케일링") < page.index("Noise cancellation") < page.index("송전선 애자")
    assert "Added to your interests as choice 3." in page

    token = form_token(client, "/startup/interests")
    drone, tv = challenge_id(seeded, "QC-DRONE-01"), challenge_id(seeded, "LG-TV-01")
    client.post(f"/startup/interests/{drone}/move", data={"direction": "up", "csrf_token": token})
    assert interest_order(seeded) == ["LG-TV-01", "QC-DRONE-01", "LG-AUDIO-01"]
    client.post(f"/startup/interests/{tv}/move", data={"direction": "down", "csrf_token": token})
    assert interest_order(seeded) == ["QC-DRONE-01", "LG-TV-01", "LG-AUDIO-01"]
    client.post(f"/startup/interests/{drone}/move", data={"direction": "up", "csrf_token": token})  # first stays first
    assert interest_order(seeded) == ["QC-DRONE-01", "LG-TV-01", "LG-AUDIO-01"]
    assert client.post(f"/startup/interests/{drone}/move", data={"direction": "sideways", "csrf_token": token}).status_code == 400

    assert client.post(f"/startup/interests/{tv}/remove", data={"csrf_token": token}).status_code == 302
    assert interest_order(seeded) == ["QC-DRONE-01", "LG-AUDIO-01"]
    profile = profile_of(seeded, "pixelwave")
    assert [i.rank for i in crud.list_interests(session=seeded, startup_id=profile.id)] == [1, 2]


def test_interest_notes_are_saved_in_korean_english_and_mixed_text(login_as, seeded):
    client = in_english(login_as("startup"))
    add_interest(client, seeded, "LG-TV-01")
    tv = challenge_id(seeded, "LG-TV-01")
    for note in ("데모 영상을 준비했습니다.", "We can demo on a 2024 TV SoC.", "NPU 4 TOPS 안에서 real-time 동작"):
        response = client.post(f"/startup/interests/{tv}/note", data={
            "note": unicodedata.normalize("NFD", note), "csrf_token": form_token(client, "/startup/interests")})
        assert response.status_code == 302
        fresh(seeded)
        assert seeded.exec(select(Interest)).one().note == note
        assert note in text_of(client.get("/startup/interests"))

    longest = "가" * 2000     # 6000 bytes in UTF-8; the limit counts characters
    response = client.post(f"/startup/interests/{tv}/note", data={"note": longest,
                                                                   "csrf_token": form_token(client, "/startup/interests")})
    assert response.status_code == 302
    assert fresh(seeded).exec(select(Interest)).one().note == longest

    too_long = "가" * 2001
    response = client.post(f"/startup/interests/{tv}/note", data={"note": too_long,
                                                                   "csrf_token": form_token(client, "/startup/interests")})
    assert response.status_code == 400
    assert "At most 2000 characters." in text_of(response) and too_long in text_of(response)


def test_interest_twice_or_in_a_closed_challenge_is_refused_with_a_message(login_as, seeded):
    client = in_english(login_as("startup"))
    add_interest(client, seeded, "LG-TV-01")
    assert "This challenge is in your interests already." in text_of(client.get(
        add_interest(client, seeded, "LG-TV-01", "/startup/interests").headers["Location"]))

    audio = crud.get_challenge_by_code(session=fresh(seeded), code="LG-AUDIO-01")
    crud.update_challenge(session=seeded, challenge=audio, challenge_in=ChallengeUpdate(status=ChallengeStatus.closed),
                          expected_version=audio.version, actor_id=None)
    seeded.commit()
    response = add_interest(client, seeded, "LG-AUDIO-01", "/startup/interests")
    assert "This challenge is closed and no longer takes interest." in text_of(client.get(response.headers["Location"]))
    assert interest_order(seeded) == ["LG-TV-01"]


def test_interest_in_a_draft_challenge_answers_not_found(login_as, seeded):
    client = login_as("startup")
    assert add_interest(client, seeded, "QC-DRONE-02").status_code == 404
    assert interest_order(seeded) == []


def test_interest_redirects_only_to_startup_pages(login_as, seeded):
    response = add_interest(login_as("startup"), seeded, "LG-TV-01", "https://evil.example/startup/")
    assert response.headers["Location"].endswith("/startup/interests")


def test_a_startup_cannot_touch_another_startups_interests(login_as, seeded):
    quiet = profile_of(seeded, "quiet-audio")
    audio = challenge_id(seeded, "LG-AUDIO-01")
    crud.add_interest(session=fresh(seeded), startup_id=quiet.id, interest_in=InterestCreate(challenge_id=audio, note="비공개 메모"))
    seeded.commit()
    client = login_as("startup")
    token = form_token(client, "/startup/interests")
    assert "비공개 메모" not in text_of(client.get("/startup/interests"))
    assert client.post(f"/startup/interests/{audio}/note", data={"note": "x", "csrf_token": token}).status_code == 404
    client.post(f"/startup/interests/{audio}/remove", data={"csrf_token": token})
    assert interest_order(seeded, "quiet-audio") == ["LG-AUDIO-01"]
    assert fresh(seeded).exec(select(Interest)).one().note == "비공개 메모"


def test_the_interests_page_takes_the_same_number_of_queries_for_one_or_many(app, login_as, seeded):
    client = login_as("startup")
    add_interest(client, seeded, "LG-TV-01")
    with counting_statements(app) as one:
        client.get("/startup/interests")
    add_interest(client, seeded, "LG-AUDIO-01")
    add_interest(client, seeded, "QC-DRONE-01")
    with counting_statements(app) as three:
        assert client.get("/startup/interests").status_code == 200
    assert len(three) == len(one)


# --- proposals -------------------------------------------------------------------------------


def sponsor_moves(seeded, proposal_id: int, *statuses: ProposalStatus, reason: str | None = None) -> None:
    for status in statuses:
        proposal = fresh(seeded).get(Proposal, proposal_id)
        crud.decide_proposal(session=seeded, proposal=proposal, status=status, actor_id=None,
                             reason=reason if status == ProposalStatus.rejected else None)
    seeded.commit()


def proposal_id(seeded, code: str, slug: str) -> int:
    profile = profile_of(seeded, slug)
    found = seeded.exec(select(Proposal.id).where(Proposal.challenge_id == challenge_id(seeded, code),
                                                  Proposal.startup_id == profile.id)).one()
    seeded.commit()
    return found


def decide(client, pid: int, decision: str):
    return client.post(f"/startup/proposals/{pid}/decision", data={
        "decision": decision, "csrf_token": form_token(client, "/startup/proposals")})


def test_a_startup_accepts_an_invitation(login_as, make_run, seeded):
    make_run([("LG-TV-01", "pixelwave", 0.81), ("LG-AUDIO-01", "pixelwave", 0.2)])
    tv = proposal_id(seeded, "LG-TV-01", "pixelwave")
    sponsor_moves(seeded, tv, ProposalStatus.shortlisted, ProposalStatus.invited)
    client = in_english(login_as("startup"))

    page = text_of(client.get("/startup/proposals"))
    assert "Invited: your answer is needed" in page and "Proposed to the sponsor" in page
    assert page.count("Accept invitation") == 1      # only the invited proposal can be answered
    assert 'data-confirm="Accept the invitation to this challenge?"' in page

    response = decide(client, tv, "accepted")
    assert response.status_code == 302
    fresh(seeded)
    assert seeded.get(Proposal, tv).status == ProposalStatus.accepted
    user = crud.get_user_by_email(session=seeded, email="pixel@example.kr")
    event = seeded.exec(select(Event).where(Event.entity == "proposal", Event.entity_id == tv,
                                            Event.action == "status.accepted")).one()
    assert event.actor_id == user.id
    page = text_of(client.get("/startup/proposals"))
    assert "You accepted the invitation." in page and "Accepted by you" in page and "Accept invitation" not in page


def test_a_startup_declines_an_invitation_and_cannot_take_it_back(login_as, make_run, seeded):
    make_run([("LG-TV-01", "pixelwave", 0.81)])
    tv = proposal_id(seeded, "LG-TV-01", "pixelwave")
    sponsor_moves(seeded, tv, ProposalStatus.shortlisted, ProposalStatus.invited)
    client = in_english(login_as("startup"))
    assert decide(client, tv, "declined").status_code == 302
    fresh(seeded)
    assert seeded.get(Proposal, tv).status == ProposalStatus.declined
    assert decide(client, tv, "accepted").status_code == 403
    assert "Declined by you" in text_of(client.get("/startup/proposals"))


def test_a_startup_may_only_answer_invitations(login_as, make_run, seeded):
    make_run([("LG-TV-01", "pixelwave", 0.81)])
    tv = proposal_id(seeded, "LG-TV-01", "pixelwave")
    client = login_as("startup")
    assert decide(client, tv, "accepted").status_code == 403          # not invited yet
    assert decide(client, tv, "shortlisted").status_code == 403       # the sponsor's move
    sponsor_moves(seeded, tv, ProposalStatus.shortlisted, ProposalStatus.invited)
    assert decide(client, tv, "selected").status_code == 403          # only the final selection selects
    assert decide(client, tv, "nonsense").status_code == 400
    fresh(seeded)
    assert seeded.get(Proposal, tv).status == ProposalStatus.invited


def test_a_startup_cannot_see_or_answer_another_startups_proposals(login_as, make_run, seeded):
    make_run([("LG-TV-01", "pixelwave", 0.81), ("LG-TV-01", "quiet-audio", 0.42), ("LG-AUDIO-01", "quiet-audio", 0.77)])
    theirs = proposal_id(seeded, "LG-AUDIO-01", "quiet-audio")
    sponsor_moves(seeded, theirs, ProposalStatus.shortlisted, ProposalStatus.invited)
    client = in_english(login_as("startup"))

    page = text_of(client.get("/startup/proposals"))
    assert "81%" in page
    assert "42%" not in page and "77%" not in page and "LG-AUDIO-01" not in page and "Quiet Audio" not in page
    assert decide(client, theirs, "accepted").status_code == 404
    fresh(seeded)
    assert seeded.get(Proposal, theirs).status == ProposalStatus.invited


def test_a_startup_sees_its_rejection_but_not_the_sponsors_internal_reason(login_as, make_run, seeded):
    make_run([("LG-TV-01", "pixelwave", 0.81)])
    tv = proposal_id(seeded, "LG-TV-01", "pixelwave")
    sponsor_moves(seeded, tv, ProposalStatus.rejected, reason="내부 사유: 경쟁사 투자 (internal only)")
    page = text_of(in_english(login_as("startup")).get("/startup/proposals"))
    assert "Not taken forward" in page
    assert "경쟁사 투자" not in page and "internal only" not in page


def test_a_proposal_shows_its_reason_from_the_run(login_as, make_run, seeded):
    make_run([("LG-TV-01", "pixelwave", 0.81)])
    page = text_of(in_english(login_as("startup")).get("/startup/proposals"))
    assert "From the challenge" in page and "From your profile" in page and '<span class="term">npu</span>' in page
    assert 'class="band band-strong"' in page        # 0.81 is a strong fit, though the run's explanation names no band


def test_the_proposals_page_takes_the_same_number_of_queries_for_one_or_many(app, login_as, make_run, seeded):
    make_run([("LG-TV-01", "pixelwave", 0.81)])
    client = login_as("startup")
    with counting_statements(app) as one:
        client.get("/startup/proposals")
    make_run([("LG-TV-01", "pixelwave", 0.8), ("LG-AUDIO-01", "pixelwave", 0.3), ("QC-DRONE-01", "pixelwave", 0.2)])
    with counting_statements(app) as three:
        page = text_of(client.get("/startup/proposals"))
    assert page.count('class="card proposal') == 3
    assert len(three) == len(one)


def test_no_proposals_yet_says_so(login_as, seeded):
    page = text_of(in_english(login_as("startup")).get("/startup/proposals"))
    assert "No proposals yet." in page
