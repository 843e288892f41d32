"""The sponsor pages: posting and editing challenges, reviewing proposals with their reasons, deciding, comparing."""

from __future__ import annotations

import re
import unicodedata

import pytest
from sqlmodel import select

from models import crud
from models.enums import ChallengeStatus, ProposalStatus, RunStatus, RunTrigger
from models.schema import Challenge, ChallengeUpdate, Event, InterestCreate, MatchRun, Proposal, Round
from models.types import utcnow
from tests.conftest import counting_statements, form_token

# --- helpers ---------------------------------------------------------------------------------


def fresh(session) -> None:
    """Ends the test session's read transaction, so it sees what the app committed since (SQLite WAL snapshots)."""
    session.rollback()


def challenge(session, code: str) -> Challenge:
    fresh(session)
    return crud.get_challenge_by_code(session=session, code=code)


def profile_id(session, slug: str) -> int:
    org = crud.get_organization_by_slug(session=session, slug=slug)
    return crud.get_profile_by_organization(session=session, organization_id=org.id).id


def field_id(session, key: str) -> int:
    return crud.get_field_by_key(session=session, key=key).id


def proposals(session, code: str) -> list[Proposal]:
    fresh(session)
    return crud.proposals_for_challenge(session=session, challenge_id=challenge(session, code).id)


def by_slug(session, code: str, slug: str) -> Proposal:
    return next(p for p in proposals(session, code) if p.startup_id == profile_id(session, slug))


def rich_run(session, pairs):
    """Writes a successful run whose proposals carry full explanations: (code, slug, score, band, sentences, terms)."""
    round_ = session.exec(select(Round)).first()
    run = MatchRun(round_id=round_.id, trigger=RunTrigger.manual, status=RunStatus.succeeded, finished_at=utcnow())
    session.add(run)
    session.flush()
    ranks: dict[str, int] = {}
    for code, slug, score, band, (c_sentence, s_sentence), terms in pairs:
        ranks[code] = ranks.get(code, 0) + 1
        components = {"semantic": 0.61, "coverage": 0.47, "english": None, "lexical": 0.12}
        session.add(Proposal(
            run_id=run.id, challenge_id=crud.get_challenge_by_code(session=session, code=code).id,
            startup_id=profile_id(session, slug), score=score, rank=ranks[code], components=components,
            explanation={"score": score, "band": band, "components": components,
                         "contributions": {"semantic": 1.2, "coverage": 0.8, "english": 0.0, "lexical": 0.1},
                         "best_pair": {"challenge": c_sentence, "startup": s_sentence, "similarity": 0.73},
                         "shared_terms": terms},
        ))
    session.commit()
    return run


def challenge_form(client, path: str, **overrides) -> dict:
    data = {
        "csrf_token": form_token(client, path), "field_id": "", "title": "", "description": "", "requirements": "",
        "tags": "", "language": "", "capacity": "3", "save": "Save",
    }
    data.update(overrides)
    return data


def decide(client, proposal_id: int, status: str, reason: str | None = None, back: str = ""):
    data = {"csrf_token": form_token(client, "/sponsor/challenges"), "status": status, "back": back}
    if reason is not None:
        data["reason"] = reason
    return client.post(f"/sponsor/proposals/{proposal_id}/decision", data=data)


def page(response) -> str:
    return response.get_data(as_text=True)


KOREAN = {
    "title": "냉장고 내부 카메라로 식재료 신선도 판별",
    "description": "냉장고 내부 카메라 영상으로 채소와 육류의 신선도를 온디바이스에서 판별하는 모델을 찾습니다. 클라우드 전송 없이 동작해야 합니다.",
    "requirements": "NPU 2 TOPS 이내\n추론 100ms 이내",
    "tags": "신선도, 비전，온디바이스、 경량화",
}
ENGLISH = {
    "title": "Wake-word detection under 1 mW",
    "description": "Detect a custom wake word on the TV's always-on DSP within a 1 mW power budget "
                   "and under 200 ms latency.",
    "requirements": "Runs on a Cortex-M55 class DSP",
    "tags": "wake word, DSP, low power",
}
MIXED = {
    "title": "On-device 음성 인식 for 사투리",
    "description": "TV 리모컨 마이크로 들어오는 경상도·전라도 사투리 voice command를 on-device로 인식하는 ASR 모델이 필요합니다.",
    "requirements": "Latency 300ms 이내, RAM 256MB",
    "tags": "ASR, 사투리, on-device",
}


# --- my challenges ---------------------------------------------------------------------------


def test_my_challenges_lists_only_the_sponsors_own_challenges_grouped_by_field(seeded, login_as):
    text = page(login_as("sponsor").get("/sponsor/challenges"))
    assert "LG-TV-01" in text and "LG-AUDIO-01" in text
    assert "QC-DRONE-01" not in text and "QC-DRONE-02" not in text
    assert "스마트 TV" in text and "이어폰·스피커" in text
    listing = text.split('class="sp-programme"', 1)[1]  # past the filter's field list
    assert listing.index("스마트 TV") < listing.index("LG-TV-01") < listing.index("이어폰·스피커") < listing.index("LG-AUDIO-01")


def row_of(text: str, code: str) -> list[str]:
    row = re.search(rf"<tr>\s*<td><code>{re.escape(code)}</code>.*?</tr>", text, re.S).group(0)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_my_challenges_counts_proposals_and_shortlist_of_the_latest_run(seeded, login_as, make_run):
    make_run([("LG-TV-01", "pixelwave", 0.9)])  # an older run: not counted
    make_run([("LG-TV-01", "pixelwave", 0.8), ("LG-TV-01", "quiet-audio", 0.4), ("LG-AUDIO-01", "quiet-audio", 0.7)])
    client = login_as("sponsor")
    assert decide(client, by_slug(seeded, "LG-TV-01", "pixelwave").id, "shortlisted").status_code == 302

    text = page(client.get("/sponsor/challenges"))
    # code, title, status, capacity, proposed, to review, shortlisted
    assert row_of(text, "LG-TV-01")[3:7] == ["3", "2", "1", "1"]
    assert row_of(text, "LG-AUDIO-01")[3:7] == ["2", "1", "1", "0"]


def test_my_challenges_filter_by_status_and_field(seeded, login_as):
    client = login_as("sponsor")
    tv = challenge(seeded, "LG-TV-01")
    crud.update_challenge(session=seeded, challenge=tv, challenge_in=ChallengeUpdate(status=ChallengeStatus.closed),
                          expected_version=tv.version, actor_id=None)
    seeded.commit()

    closed = page(client.get("/sponsor/challenges?status=closed"))
    assert "LG-TV-01" in closed and "LG-AUDIO-01" not in closed
    audio = page(client.get(f"/sponsor/challenges?field={field_id(seeded, 'ai-2025-on-device/audio')}"))
    assert "LG-AUDIO-01" in audio and "LG-TV-01" not in audio
    both = page(client.get(f"/sponsor/challenges?status=open&field={field_id(seeded, 'ai-2025-on-device/smart-tv')}"))
    assert "LG-TV-01" not in both and "LG-AUDIO-01" not in both
    # Another sponsor's field filters nothing of this sponsor's away and shows nothing of the other's.
    foreign = page(client.get(f"/sponsor/challenges?field={field_id(seeded, 'ai-2025-vertical/inspection-drone')}"))
    assert "LG-TV-01" in foreign and "QC-DRONE-01" not in foreign


# --- new and edit ----------------------------------------------------------------------------


@pytest.mark.parametrize("texts", [KOREAN, ENGLISH, MIXED], ids=["korean", "english", "mixed"])
def test_sponsor_creates_a_draft_challenge_with_its_code_assigned(seeded, login_as, texts):
    client = login_as("sponsor")
    tv = field_id(seeded, "ai-2025-on-device/smart-tv")
    # Typed in decomposed form (as some macOS input does); stored composed.
    typed = {k: unicodedata.normalize("NFD", v) for k, v in texts.items()}
    data = challenge_form(client, "/sponsor/challenges/new", field_id=str(tv), capacity="4", **typed)
    response = client.post("/sponsor/challenges/new", data=data)
    assert response.status_code == 302

    fresh(seeded)
    created = seeded.exec(select(Challenge).where(Challenge.code == "SMART-TV-02")).one()
    assert created.title == unicodedata.normalize("NFC", texts["title"])
    assert created.description == unicodedata.normalize("NFC", texts["description"])
    assert unicodedata.is_normalized("NFC", created.requirements)
    assert created.tags == [unicodedata.normalize("NFC", t.strip()) for t in re.split(r"[,，、]", texts["tags"])]
    assert created.status == ChallengeStatus.draft and created.capacity == 4
    assert created.sponsor_id == crud.get_organization_by_slug(session=seeded, slug="lg-electronics").id
    assert response.headers["Location"].endswith(f"/sponsor/challenges/{created.id}")
    audit = seeded.exec(select(Event).where(Event.entity == "challenge", Event.entity_id == created.id)).one()
    assert audit.action == "created"
    assert audit.actor_id == crud.get_user_by_email(session=seeded, email="lg@example.kr").id
    assert created.title in page(client.get("/sponsor/challenges"))


def test_save_and_open_creates_an_open_challenge(seeded, login_as):
    client = login_as("sponsor")
    data = challenge_form(client, "/sponsor/challenges/new", field_id=str(field_id(seeded, "ai-2025-on-device/audio")),
                          language="en", **ENGLISH)
    del data["save"]
    data["publish"] = "Save and open"
    assert client.post("/sponsor/challenges/new", data=data).status_code == 302
    fresh(seeded)
    created = seeded.exec(select(Challenge).where(Challenge.title == ENGLISH["title"])).one()
    assert created.status == ChallengeStatus.open and created.language.value == "en" and created.code == "AUDIO-02"


def test_title_length_is_counted_in_characters_and_errors_keep_the_typed_text(seeded, login_as):
    client = login_as("sponsor")
    tv = str(field_id(seeded, "ai-2025-on-device/smart-tv"))
    # 200 syllables decomposed are 400+ code points; still 200 characters once composed.
    just_fits = unicodedata.normalize("NFD", "가" * 200)
    ok = client.post("/sponsor/challenges/new", data=challenge_form(
        client, "/sponsor/challenges/new", field_id=tv, title=just_fits, description=KOREAN["description"]))
    assert ok.status_code == 302
    fresh(seeded)
    assert seeded.exec(select(Challenge).where(Challenge.title == "가" * 200)).one()

    too_long = client.post("/sponsor/challenges/new", data=challenge_form(
        client, "/sponsor/challenges/new", field_id=tv, title="나" * 201, description="짧은 설명",
        requirements="메모리 512MB", tags="NPU, 경량화"))
    text = page(too_long)
    assert too_long.status_code == 400
    assert "나" * 201 in text and "짧은 설명" in text and "메모리 512MB" in text and "NPU, 경량화" in text
    assert re.search(r"(At most 200 characters|200)", text)
    assert re.search(r"(At least 20 characters|20)", text)
    fresh(seeded)
    assert seeded.exec(select(Challenge).where(Challenge.title.startswith("나"))).first() is None


def test_tags_over_the_limit_are_refused_on_the_tags_field(seeded, login_as):
    client = login_as("sponsor")
    tv = str(field_id(seeded, "ai-2025-on-device/smart-tv"))
    texts = {k: v for k, v in KOREAN.items() if k != "tags"}
    long_tag = client.post("/sponsor/challenges/new", data=challenge_form(
        client, "/sponsor/challenges/new", field_id=tv, tags="NPU, " + "초" * 61, **texts))
    assert long_tag.status_code == 400 and "초" * 61 in page(long_tag)
    too_many = client.post("/sponsor/challenges/new", data=challenge_form(
        client, "/sponsor/challenges/new", field_id=tv, tags=", ".join(f"태그{i}" for i in range(31)), **texts))
    assert too_many.status_code == 400
    assert re.search(r'class="field has-error">\s*<label for="tags"', page(too_many))
    fresh(seeded)
    assert seeded.exec(select(Challenge).where(Challenge.title == KOREAN["title"])).first() is None


def test_control_characters_in_a_title_are_refused(seeded, login_as):
    client = login_as("sponsor")
    response = client.post("/sponsor/challenges/new", data=challenge_form(
        client, "/sponsor/challenges/new", field_id=str(field_id(seeded, "ai-2025-on-device/smart-tv")),
        title="보이지 않는\u202e문자", description=KOREAN["description"]))
    assert response.status_code == 400
    assert re.search(r'class="field has-error">\s*<label for="title"', page(response))


def test_sponsor_cannot_post_a_challenge_into_a_field_of_a_programme_it_does_not_sponsor(seeded, login_as):
    client = login_as("sponsor")
    drone = field_id(seeded, "ai-2025-vertical/inspection-drone")
    form_page = page(client.get("/sponsor/challenges/new"))
    assert "스마트 TV" in form_page and "점검 드론" not in form_page and f'<option value="{drone}"' not in form_page

    response = client.post("/sponsor/challenges/new", data=challenge_form(
        client, "/sponsor/challenges/new", field_id=str(drone), **KOREAN))
    assert response.status_code == 400
    assert KOREAN["title"] in page(response)
    fresh(seeded)
    assert seeded.exec(select(Challenge).where(Challenge.title == KOREAN["title"])).first() is None


def test_editing_saves_the_text_and_bumps_the_version(seeded, login_as):
    client = login_as("sponsor")
    tv = challenge(seeded, "LG-TV-01")
    path = f"/sponsor/challenges/{tv.id}/edit"
    form_page = page(client.get(path))
    assert tv.title in form_page and "업스케일링, NPU" in form_page
    response = client.post(path, data=challenge_form(client, path, field_id=str(tv.field_id), version="1",
                                                     capacity="5", **MIXED))
    assert response.status_code == 302
    tv = challenge(seeded, "LG-TV-01")
    assert (tv.title, tv.capacity, tv.version, tv.status) == (MIXED["title"], 5, 2, ChallengeStatus.open)


def test_an_edit_over_someone_elses_newer_version_keeps_the_typed_text_and_says_so(seeded, login_as):
    client = login_as("sponsor")
    tv = challenge(seeded, "LG-TV-01")
    path = f"/sponsor/challenges/{tv.id}/edit"
    token = form_token(client, path)  # the page is open at version 1...
    crud.update_challenge(session=seeded, challenge=tv, challenge_in=ChallengeUpdate(title="동료가 먼저 저장한 제목"),
                          expected_version=1, actor_id=None)
    seeded.commit()  # ...while a colleague saves version 2

    mine = {**challenge_form(client, path, field_id=str(tv.field_id), **KOREAN), "csrf_token": token, "version": "1"}
    response = client.post(path, data=mine)
    text = page(response)
    assert response.status_code == 409
    assert KOREAN["title"] in text and KOREAN["description"] in text
    assert "다른 사람이 이 과제를 먼저 저장했습니다." in text
    assert "동료가 먼저 저장한 제목" in text  # their version is shown to compare
    assert challenge(seeded, "LG-TV-01").title == "동료가 먼저 저장한 제목"

    # The form now carries the version the user has seen, so saving again replaces it deliberately.
    version = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', text)
    assert "2" in version.groups()
    again = client.post(path, data={**mine, "version": "2"})
    assert again.status_code == 302
    assert challenge(seeded, "LG-TV-01").title == KOREAN["title"]


def test_status_moves_from_draft_to_open_to_closed_and_reopens(seeded, login_as):
    client = login_as("other_sponsor")
    draft = challenge(seeded, "QC-DRONE-02")
    path = f"/sponsor/challenges/{draft.id}/status"
    for wanted in ("open", "closed", "open"):
        version = challenge(seeded, "QC-DRONE-02").version
        response = client.post(path, data={"csrf_token": form_token(client, f"/sponsor/challenges/{draft.id}"),
                                           "status": wanted, "version": str(version)})
        assert response.status_code == 302
        assert challenge(seeded, "QC-DRONE-02").status.value == wanted
    moves = seeded.exec(select(Event).where(Event.entity == "challenge", Event.entity_id == draft.id,
                                            Event.action == "updated")).all()
    assert len(moves) == 3


def test_an_open_challenge_cannot_go_back_to_draft(seeded, login_as):
    client = login_as("sponsor")
    tv = challenge(seeded, "LG-TV-01")
    response = client.post(f"/sponsor/challenges/{tv.id}/status", data={
        "csrf_token": form_token(client, f"/sponsor/challenges/{tv.id}"), "status": "draft", "version": "1"})
    assert response.status_code == 400
    assert "‘공개’ 상태인 과제는 ‘초안’ 상태로 바꿀 수 없습니다." in page(response)
    assert challenge(seeded, "LG-TV-01").status == ChallengeStatus.open


def test_a_status_button_on_a_stale_page_is_refused_as_a_conflict(seeded, login_as):
    client = login_as("sponsor")
    tv = challenge(seeded, "LG-TV-01")
    crud.update_challenge(session=seeded, challenge=tv, challenge_in=ChallengeUpdate(capacity=4), expected_version=1,
                          actor_id=None)
    seeded.commit()
    response = client.post(f"/sponsor/challenges/{tv.id}/status", data={
        "csrf_token": form_token(client, f"/sponsor/challenges/{tv.id}"), "status": "closed", "version": "1"})
    assert response.status_code == 409
    assert challenge(seeded, "LG-TV-01").status == ChallengeStatus.open


def test_edit_buttons_save_the_text_and_move_the_status_together(seeded, login_as):
    client = login_as("sponsor")
    tv = challenge(seeded, "LG-TV-01")
    path = f"/sponsor/challenges/{tv.id}/edit"
    data = challenge_form(client, path, field_id=str(tv.field_id), version="1", **ENGLISH)
    del data["save"]
    data["close"] = "Save and close"
    assert client.post(path, data=data).status_code == 302
    tv = challenge(seeded, "LG-TV-01")
    assert tv.status == ChallengeStatus.closed and tv.title == ENGLISH["title"]


# --- review and decisions --------------------------------------------------------------------


TV_RUN = [
    ("LG-TV-01", "pixelwave", 0.82, "strong",
     ("TV SoC의 NPU에서 720p 방송 영상을 4K로 실시간 업스케일링하는 경량 모델이 필요합니다.",
      "저사양 NPU에서 돌아가는 초해상도 신경망을 만듭니다."), ["NPU", "업스케일링"]),
    ("LG-TV-01", "quiet-audio", 0.31, "possible",
     ("지연은 프레임당 16ms 이하여야 합니다.", "We build adaptive noise cancellation that runs on the earbud's DSP."),
     ["DSP"]),
    ("LG-TV-01", "skyline-drones", 0.05, "weak",
     ("메모리 512MB 이내", "Our flight computer software finds cracked insulators."), []),
]


def test_review_shows_proposals_in_rank_order_with_their_reasons(seeded, login_as):
    rich_run(seeded, TV_RUN)
    tv = challenge(seeded, "LG-TV-01")
    text = page(login_as("sponsor").get(f"/sponsor/challenges/{tv.id}"))
    assert text.index("픽셀웨이브") < text.index("콰이어트오디오") < text.index("스카이라인드론")
    assert "82%" in text and "31%" in text and "5%" in text
    assert "저사양 NPU에서 돌아가는 초해상도 신경망을 만듭니다." in text  # best-matching sentence of the startup
    assert "We build adaptive noise cancellation" in text
    assert 'class="sp-tag">업스케일링<' in text  # a shared term
    assert "sp-band-strong" in text and "sp-band-weak" in text
    assert 'value="0.61"' in text  # the semantic signal
    assert "온디바이스 초해상도 엔진" in text  # the startup's profile summary
    assert "0.73" in text  # similarity of the best pair


def test_review_uses_only_the_latest_run(seeded, login_as, make_run):
    make_run([("LG-TV-01", "skyline-drones", 0.9)])
    make_run([("LG-TV-01", "pixelwave", 0.6)])
    text = page(login_as("sponsor").get(f"/sponsor/challenges/{challenge(seeded, 'LG-TV-01').id}"))
    assert "픽셀웨이브" in text and "스카이라인드론" not in text


def test_review_of_a_challenge_without_a_run_says_so(seeded, login_as):
    text = page(login_as("sponsor").get(f"/sponsor/challenges/{challenge(seeded, 'LG-AUDIO-01').id}"))
    assert "아직 이 과제에 스타트업을 제안한 매칭 실행이 없습니다." in text
    assert 'class="card sp-proposal"' not in text


def test_shortlist_then_invite_records_each_decision(seeded, login_as):
    rich_run(seeded, TV_RUN)
    client = login_as("sponsor")
    pixel = by_slug(seeded, "LG-TV-01", "pixelwave")

    response = decide(client, pixel.id, "shortlisted", back="proposed")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"status=proposed#proposal-{pixel.id}")
    pixel = by_slug(seeded, "LG-TV-01", "pixelwave")
    assert pixel.status == ProposalStatus.shortlisted and pixel.shortlist_rank == 1

    assert decide(client, pixel.id, "invited").status_code == 302
    assert by_slug(seeded, "LG-TV-01", "pixelwave").status == ProposalStatus.invited
    events = seeded.exec(select(Event).where(Event.entity == "proposal", Event.entity_id == pixel.id).order_by(Event.id))
    assert [e.action for e in events] == ["status.shortlisted", "status.invited"]


def test_inviting_a_startup_that_is_not_shortlisted_is_refused(seeded, login_as):
    rich_run(seeded, TV_RUN)
    client = login_as("sponsor")
    pixel = by_slug(seeded, "LG-TV-01", "pixelwave")
    assert decide(client, pixel.id, "invited").status_code == 403
    assert decide(client, pixel.id, "accepted").status_code == 403  # the startup's answer, not the sponsor's
    assert decide(client, pixel.id, "selected").status_code == 403
    assert decide(client, pixel.id, "nonsense").status_code == 400
    assert by_slug(seeded, "LG-TV-01", "pixelwave").status == ProposalStatus.proposed


def test_rejecting_needs_a_reason(seeded, login_as):
    rich_run(seeded, TV_RUN)
    client = login_as("sponsor")
    quiet = by_slug(seeded, "LG-TV-01", "quiet-audio")
    response = decide(client, quiet.id, "rejected", reason="   ")
    assert response.status_code == 400
    assert "반려 사유를 적어 주세요." in page(response)
    assert by_slug(seeded, "LG-TV-01", "quiet-audio").status == ProposalStatus.proposed
    fresh(seeded)
    assert not seeded.exec(select(Event).where(Event.entity == "proposal")).all()


@pytest.mark.parametrize("reason", [
    "영상 처리 경험이 없어 이번 과제와 맞지 않습니다.",
    "Their work is audio; this challenge is about video.",
    "Audio 전문이라 video 업스케일링 과제와는 거리가 있습니다.",
], ids=["korean", "english", "mixed"])
def test_rejecting_with_a_reason_writes_it_and_an_audit_event(seeded, login_as, reason):
    rich_run(seeded, TV_RUN)
    client = login_as("sponsor")
    quiet = by_slug(seeded, "LG-TV-01", "quiet-audio")
    assert decide(client, quiet.id, "rejected", reason=unicodedata.normalize("NFD", reason)).status_code == 302

    quiet = by_slug(seeded, "LG-TV-01", "quiet-audio")
    assert quiet.status == ProposalStatus.rejected and quiet.reason == reason
    audit = seeded.exec(select(Event).where(Event.entity == "proposal", Event.entity_id == quiet.id)).one()
    assert audit.action == "status.rejected" and audit.data["reason"] == reason
    assert audit.actor_id == crud.get_user_by_email(session=seeded, email="lg@example.kr").id
    assert reason in page(client.get(f"/sponsor/challenges/{quiet.challenge_id}?status=rejected"))


def test_a_reason_over_2000_characters_is_refused_and_kept(seeded, login_as):
    rich_run(seeded, TV_RUN)
    client = login_as("sponsor")
    quiet = by_slug(seeded, "LG-TV-01", "quiet-audio")
    long_reason = "이유" * 1000 + "끝"
    response = decide(client, quiet.id, "rejected", reason=long_reason)
    assert response.status_code == 400 and long_reason in page(response)
    fits = unicodedata.normalize("NFD", "가" * 2000)  # 2000 characters, 4000 code points decomposed
    assert decide(client, quiet.id, "rejected", reason=fits).status_code == 302


def test_review_filters_show_proposed_shortlisted_and_rejected(seeded, login_as):
    rich_run(seeded, TV_RUN)
    client = login_as("sponsor")
    decide(client, by_slug(seeded, "LG-TV-01", "pixelwave").id, "shortlisted")
    decide(client, by_slug(seeded, "LG-TV-01", "quiet-audio").id, "rejected", reason="영역이 다릅니다")
    base = f"/sponsor/challenges/{challenge(seeded, 'LG-TV-01').id}"

    def shown(status):
        text = page(client.get(f"{base}?status={status}"))
        body = text.split('id="shortlist"')[0].split('id="compare-form"')[1]
        return [name for name in ("픽셀웨이브", "콰이어트오디오", "스카이라인드론") if name in body]

    assert shown("all") == ["픽셀웨이브", "콰이어트오디오", "스카이라인드론"]
    assert shown("proposed") == ["스카이라인드론"]
    assert shown("shortlisted") == ["픽셀웨이브"]
    assert shown("rejected") == ["콰이어트오디오"]


def test_reordering_the_shortlist_changes_shortlist_rank(seeded, login_as):
    rich_run(seeded, TV_RUN)
    client = login_as("sponsor")
    for slug in ("pixelwave", "quiet-audio", "skyline-drones"):
        decide(client, by_slug(seeded, "LG-TV-01", slug).id, "shortlisted")
    # A startup rejected after shortlisting keeps no say in the order.
    decide(client, by_slug(seeded, "LG-TV-01", "quiet-audio").id, "rejected", reason="일정이 맞지 않음")
    pixel, sky = by_slug(seeded, "LG-TV-01", "pixelwave"), by_slug(seeded, "LG-TV-01", "skyline-drones")
    tv = challenge(seeded, "LG-TV-01")
    path = f"/sponsor/challenges/{tv.id}/shortlist"

    text = page(client.get(f"/sponsor/challenges/{tv.id}"))
    assert 'name="entries-0-proposal_id"' in text and 'name="entries-2-proposal_id"' not in text

    response = client.post(path, data={
        "csrf_token": form_token(client, f"/sponsor/challenges/{tv.id}"),
        "entries-0-proposal_id": str(pixel.id), "entries-0-position": "2",
        "entries-1-proposal_id": str(sky.id), "entries-1-position": "1",
    })
    assert response.status_code == 302
    assert (by_slug(seeded, "LG-TV-01", "skyline-drones").shortlist_rank,
            by_slug(seeded, "LG-TV-01", "pixelwave").shortlist_rank) == (1, 2)

    # The arrow buttons move one startup by one place.
    response = client.post(path, data={
        "csrf_token": form_token(client, f"/sponsor/challenges/{tv.id}"),
        "entries-0-proposal_id": str(sky.id), "entries-0-position": "1",
        "entries-1-proposal_id": str(pixel.id), "entries-1-position": "2", "move": f"up:{pixel.id}",
    })
    assert response.status_code == 302
    assert by_slug(seeded, "LG-TV-01", "pixelwave").shortlist_rank == 1
    assert seeded.exec(select(Event).where(Event.action == "shortlist.reordered")).all()


def test_a_shortlist_order_that_leaves_someone_out_is_refused(seeded, login_as):
    rich_run(seeded, TV_RUN)
    client = login_as("sponsor")
    for slug in ("pixelwave", "quiet-audio"):
        decide(client, by_slug(seeded, "LG-TV-01", slug).id, "shortlisted")
    tv = challenge(seeded, "LG-TV-01")
    pixel = by_slug(seeded, "LG-TV-01", "pixelwave")
    response = client.post(f"/sponsor/challenges/{tv.id}/shortlist", data={
        "csrf_token": form_token(client, f"/sponsor/challenges/{tv.id}"),
        "entries-0-proposal_id": str(pixel.id), "entries-0-position": "1",
    })
    assert response.status_code == 409
    assert by_slug(seeded, "LG-TV-01", "pixelwave").shortlist_rank == 1
    assert by_slug(seeded, "LG-TV-01", "quiet-audio").shortlist_rank == 2

    response = client.post(f"/sponsor/challenges/{tv.id}/shortlist", data={
        "csrf_token": form_token(client, f"/sponsor/challenges/{tv.id}"),
        "entries-0-proposal_id": str(pixel.id), "entries-0-position": "첫째",
    })
    assert response.status_code == 400


def test_interested_startups_are_listed_even_when_not_proposed(seeded, login_as, make_run):
    make_run([("LG-TV-01", "pixelwave", 0.8)])
    tv = challenge(seeded, "LG-TV-01")
    crud.add_interest(session=seeded, startup_id=profile_id(seeded, "skyline-drones"),
                      interest_in=InterestCreate(challenge_id=tv.id, rank=2, note="드론 영상 업스케일링에도 관심 있습니다"))
    seeded.commit()
    client = login_as("sponsor")
    text = page(client.get(f"/sponsor/challenges/{tv.id}"))
    interests = text.split('id="interests"')[1]
    assert "스카이라인드론" in interests and "드론 영상 업스케일링에도 관심 있습니다" in interests
    assert "제안 안 됨" in interests
    # Interest alone lets the sponsor open the startup's profile.
    assert client.get(f"/sponsor/startups/{profile_id(seeded, 'skyline-drones')}").status_code == 200


def test_startup_profile_shows_the_full_profile_of_a_proposed_startup(seeded, login_as, make_run):
    make_run([("LG-TV-01", "quiet-audio", 0.4)])
    response = login_as("sponsor").get(f"/sponsor/startups/{profile_id(seeded, 'quiet-audio')}?lang=en")
    text = page(response)
    assert response.status_code == 200
    assert "Quiet Audio" in text and "Adaptive ANC for tiny earbuds" in text
    assert "learns the room acoustics in seconds" in text
    assert 'class="sp-tag">ANC<' in text and 'class="sp-tag">DSP<' in text
    assert "Series A" in text and "2019" in text and "24" in text
    assert "Earphones and speakers" in text  # a field of interest
    assert "LG-TV-01" in text  # which of the sponsor's challenges it was proposed for


def test_sponsor_cannot_see_a_startup_unrelated_to_its_challenges(seeded, login_as, make_run):
    make_run([("QC-DRONE-01", "skyline-drones", 0.9)])
    client = login_as("sponsor")
    assert client.get(f"/sponsor/startups/{profile_id(seeded, 'skyline-drones')}").status_code == 404
    assert client.get("/sponsor/startups/999999").status_code == 404


def test_compare_shows_two_or_three_proposals_side_by_side(seeded, login_as):
    rich_run(seeded, TV_RUN)
    client = login_as("sponsor")
    ids = [by_slug(seeded, "LG-TV-01", s).id for s in ("pixelwave", "quiet-audio", "skyline-drones")]
    text = page(client.get(f"/sponsor/compare?ids={ids[0]},{ids[1]}"))
    assert "sp-compare-2" in text and "픽셀웨이브" in text and "콰이어트오디오" in text and "스카이라인드론" not in text
    assert "82%" in text and "31%" in text and "2021" in text and "2019" in text
    assert "저사양 NPU에서 돌아가는 초해상도 신경망을 만듭니다." in text

    three = client.get(f"/sponsor/compare?ids={ids[2]}&ids={ids[0]}&ids={ids[1]}")
    assert three.status_code == 200 and "sp-compare-3" in page(three)
    assert page(three).index("스카이라인드론") < page(three).index("픽셀웨이브")

    assert client.get(f"/sponsor/compare?ids={ids[0]}").status_code == 400
    assert client.get(f"/sponsor/compare?ids={ids[0]},{ids[0]}").status_code == 400
    assert client.get("/sponsor/compare?ids=1,2,3,4").status_code == 400
    assert client.get("/sponsor/compare?ids=1,x").status_code == 400


def test_compare_refuses_another_sponsors_proposals(seeded, login_as):
    rich_run(seeded, TV_RUN + [("QC-DRONE-01", "skyline-drones", 0.9, "strong", ("a", "b"), [])])
    client = login_as("sponsor")
    mine = by_slug(seeded, "LG-TV-01", "pixelwave").id
    theirs = by_slug(seeded, "QC-DRONE-01", "skyline-drones").id
    assert client.get(f"/sponsor/compare?ids={mine},{theirs}").status_code == 404
    assert client.get(f"/sponsor/compare?ids={mine},999999").status_code == 404


# --- who may use these pages -----------------------------------------------------------------


def test_sponsor_cannot_see_or_act_on_other_sponsors_challenges_or_proposals(seeded, login_as):
    rich_run(seeded, TV_RUN + [("QC-DRONE-01", "skyline-drones", 0.9, "strong", ("a", "b"), [])])
    client = login_as("other_sponsor")  # Qualcomm
    token = form_token(client, "/sponsor/challenges")
    own = {c.id for c in seeded.exec(select(Challenge).where(Challenge.code.startswith("QC-")))}
    every_id = {c.id for c in seeded.exec(select(Challenge))}
    # Every id that is not Qualcomm's, and the ones just past the end, answer as if they did not exist.
    for cid in sorted(every_id - own) + [max(every_id) + 1, max(every_id) + 2]:
        assert client.get(f"/sponsor/challenges/{cid}").status_code == 404
        assert client.get(f"/sponsor/challenges/{cid}/edit").status_code == 404
        assert client.post(f"/sponsor/challenges/{cid}/edit", data={"csrf_token": token, **ENGLISH}).status_code == 404
        assert client.post(f"/sponsor/challenges/{cid}/status",
                           data={"csrf_token": token, "status": "closed", "version": "1"}).status_code == 404
        assert client.post(f"/sponsor/challenges/{cid}/shortlist", data={"csrf_token": token}).status_code == 404
    lg_proposals = [p.id for p in proposals(seeded, "LG-TV-01")]
    all_ids = lg_proposals + [by_slug(seeded, "QC-DRONE-01", "skyline-drones").id]
    for pid in lg_proposals + [max(all_ids) + 1]:
        assert client.get(f"/sponsor/proposals/{pid}/decision").status_code == 404
        assert client.post(f"/sponsor/proposals/{pid}/decision",
                           data={"csrf_token": token, "status": "shortlisted"}).status_code == 404
    assert all(p.status == ProposalStatus.proposed for p in proposals(seeded, "LG-TV-01"))
    assert challenge(seeded, "LG-TV-01").status == ChallengeStatus.open
    text = page(client.get("/sponsor/challenges"))
    assert "QC-DRONE-01" in text and "LG-TV-01" not in text


SPONSOR_PAGES = ["/sponsor/", "/sponsor/challenges", "/sponsor/challenges/new", "/sponsor/challenges/{c}",
                 "/sponsor/challenges/{c}/edit", "/sponsor/startups/{s}", "/sponsor/proposals/{p}/decision",
                 "/sponsor/compare?ids={p},{p2}"]


@pytest.mark.parametrize("who", ["startup", "manager", "admin"])
def test_other_roles_are_refused(seeded, login_as, make_run, who):
    make_run([("LG-TV-01", "pixelwave", 0.8), ("LG-TV-01", "quiet-audio", 0.4)])
    ids = {"c": challenge(seeded, "LG-TV-01").id, "s": profile_id(seeded, "pixelwave"),
           "p": by_slug(seeded, "LG-TV-01", "pixelwave").id, "p2": by_slug(seeded, "LG-TV-01", "quiet-audio").id}
    client = login_as(who)
    for path in SPONSOR_PAGES:
        assert client.get(path.format(**ids)).status_code == 403, path
    token = form_token(client, "/")
    assert client.post(f"/sponsor/proposals/{ids['p']}/decision",
                       data={"csrf_token": token, "status": "shortlisted"}).status_code == 403
    assert by_slug(seeded, "LG-TV-01", "pixelwave").status == ProposalStatus.proposed


def test_anonymous_users_are_sent_to_sign_in(seeded, client, make_run):
    make_run([("LG-TV-01", "pixelwave", 0.8), ("LG-TV-01", "quiet-audio", 0.4)])
    ids = {"c": challenge(seeded, "LG-TV-01").id, "s": profile_id(seeded, "pixelwave"),
           "p": by_slug(seeded, "LG-TV-01", "pixelwave").id, "p2": by_slug(seeded, "LG-TV-01", "quiet-audio").id}
    for path in SPONSOR_PAGES:
        response = client.get(path.format(**ids))
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], path


def test_the_navigation_leads_sponsors_to_their_challenges(seeded, login_as):
    text = page(login_as("sponsor").get("/sponsor/challenges"))
    assert 'href="/sponsor/challenges" class="active"' in text


def test_pages_speak_english_when_asked(seeded, login_as):
    rich_run(seeded, TV_RUN)
    client = login_as("sponsor")
    tv = challenge(seeded, "LG-TV-01")
    text = page(client.get(f"/sponsor/challenges/{tv.id}?lang=en"))
    assert "PixelWave" in text and "Strong fit" in text and "Smart TV" in text


# --- a fixed number of queries per page ------------------------------------------------------


def count_queries(app, client, path: str) -> int:
    with counting_statements(app) as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_pages_take_the_same_number_of_queries_however_many_proposals(app, seeded, login_as):
    client = login_as("sponsor")
    tv = challenge(seeded, "LG-TV-01")
    pages = [f"/sponsor/challenges/{tv.id}", "/sponsor/challenges"]
    # One of everything first: a proposal, an interest, a shortlisted startup.
    rich_run(seeded, TV_RUN[:1])
    crud.add_interest(session=seeded, startup_id=profile_id(seeded, "pixelwave"),
                      interest_in=InterestCreate(challenge_id=tv.id, rank=1))
    seeded.commit()
    decide(client, by_slug(seeded, "LG-TV-01", "pixelwave").id, "shortlisted")
    few = [count_queries(app, client, path) for path in pages]
    # Then three of each, in a newer run, and a second challenge with proposals.
    fresh(seeded)
    for slug in ("quiet-audio", "skyline-drones"):
        crud.add_interest(session=seeded, startup_id=profile_id(seeded, slug),
                          interest_in=InterestCreate(challenge_id=tv.id, rank=1))
    seeded.commit()
    rich_run(seeded, TV_RUN + [("LG-AUDIO-01", "quiet-audio", 0.7, "strong", ("a", "b"), [])])
    for slug in ("pixelwave", "quiet-audio", "skyline-drones"):
        decide(client, by_slug(seeded, "LG-TV-01", slug).id, "shortlisted")
    many = [count_queries(app, client, path) for path in pages]
    assert many == few


def test_typed_markup_is_shown_as_text_not_run(seeded, login_as):
    client = login_as("sponsor")
    data = challenge_form(client, "/sponsor/challenges/new", field_id=str(field_id(seeded, "ai-2025-on-device/audio")),
                          title="<script>alert('x')</script> 소음 제거", description=ENGLISH["description"],
                          tags="<b>ANC</b>")
    assert client.post("/sponsor/challenges/new", data=data).status_code == 302
    text = page(client.get("/sponsor/challenges"))
    assert "<script>alert" not in text and "&lt;script&gt;alert(" in text
    fresh(seeded)
    created = seeded.exec(select(Challenge).where(Challenge.title.contains("소음 제거"))).one()
    assert "<b>ANC</b>" not in page(client.get(f"/sponsor/challenges/{created.id}"))


def test_a_decision_without_the_forms_csrf_token_is_refused(seeded, login_as, make_run):
    make_run([("LG-TV-01", "pixelwave", 0.8)])
    client = login_as("sponsor")
    pixel = by_slug(seeded, "LG-TV-01", "pixelwave")
    assert client.post(f"/sponsor/proposals/{pixel.id}/decision", data={"status": "shortlisted"}).status_code == 400
    assert by_slug(seeded, "LG-TV-01", "pixelwave").status == ProposalStatus.proposed


def test_the_decision_page_offers_only_the_moves_left(seeded, login_as, make_run):
    make_run([("LG-TV-01", "pixelwave", 0.8)])
    client = login_as("sponsor")
    pixel = by_slug(seeded, "LG-TV-01", "pixelwave")
    text = page(client.get(f"/sponsor/proposals/{pixel.id}/decision"))
    assert 'value="shortlisted"' in text and 'value="rejected"' in text and 'value="invited"' not in text
    decide(client, pixel.id, "shortlisted")
    text = page(client.get(f"/sponsor/proposals/{pixel.id}/decision"))
    assert 'value="invited"' in text and 'value="shortlisted"' not in text
    decide(client, pixel.id, "invited")
    text = page(client.get(f"/sponsor/proposals/{pixel.id}/decision"))
    assert 'name="status"' not in text  # the startup answers an invitation, not the sponsor
