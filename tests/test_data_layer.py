"""The write layer keeps its promises: no silent overwrites, one-way statuses, an audit line for every decision."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from models import crud
from models.db import session_for
from models.enums import ProposalStatus
from models.schema import ChallengeUpdate, Event, InterestCreate, Proposal, StartupProfileUpdate


def test_a_second_save_of_the_same_version_gets_a_conflict_and_writes_nothing(seeded):
    challenge = crud.get_challenge_by_code(session=seeded, code="LG-TV-01")
    version = challenge.version
    crud.update_challenge(session=seeded, challenge=challenge, challenge_in=ChallengeUpdate(title="첫 번째 저장"),
                          expected_version=version, actor_id=None)
    seeded.commit()

    with pytest.raises(crud.Conflict, match="changed by someone else"):
        crud.update_challenge(session=seeded, challenge=challenge, challenge_in=ChallengeUpdate(title="두 번째 저장"),
                              expected_version=version, actor_id=None)
    seeded.rollback()
    seeded.expire_all()
    assert crud.get_challenge_by_code(session=seeded, code="LG-TV-01").title == "첫 번째 저장"


def test_two_sessions_saving_the_same_profile_version_at_once_leave_exactly_one_winner(seeded, engine):
    org = crud.get_organization_by_slug(session=seeded, slug="pixelwave")
    profile_id = crud.get_profile_by_organization(session=seeded, organization_id=org.id).id
    version = crud.get_profile_by_organization(session=seeded, organization_id=org.id).version
    seeded.rollback()  # end this reader's transaction, as a finished request would
    outcomes, barrier = [], threading.Barrier(2)

    def save(summary):
        barrier.wait()
        with session_for(engine, write=True) as s:
            profile = s.get(crud.StartupProfile, profile_id)
            try:
                crud.update_profile(session=s, profile=profile, profile_in=StartupProfileUpdate(summary=summary),
                                    expected_version=version, actor_id=None)
                s.commit()
                outcomes.append("saved")
            except crud.Conflict:
                s.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(text,)) for text in ("요약 A", "요약 B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("saved") == 1, outcomes
    seeded.expire_all()
    assert seeded.get(crud.StartupProfile, profile_id).version == version + 1


def test_challenge_status_moves_only_forward(seeded):
    challenge = crud.get_challenge_by_code(session=seeded, code="LG-TV-01")
    crud.update_challenge(session=seeded, challenge=challenge, challenge_in=ChallengeUpdate(status="closed"),
                          expected_version=challenge.version, actor_id=None)
    with pytest.raises(crud.DataError, match="a closed challenge cannot become draft"):
        crud.update_challenge(session=seeded, challenge=challenge, challenge_in=ChallengeUpdate(status="draft"),
                              expected_version=challenge.version, actor_id=None)


def test_decisions_follow_the_one_way_path_and_each_writes_an_event(seeded, make_run):
    run = make_run([("LG-TV-01", "pixelwave", 0.9), ("LG-TV-01", "quiet-audio", 0.4)])
    first, second = crud.proposals_for_challenge(session=seeded, challenge_id=crud.get_challenge_by_code(
        session=seeded, code="LG-TV-01").id)
    assert first.run_id == run.id and first.score == 0.9

    crud.decide_proposal(session=seeded, proposal=first, status=ProposalStatus.shortlisted, actor_id=None)
    crud.decide_proposal(session=seeded, proposal=first, status=ProposalStatus.invited, actor_id=None)
    with pytest.raises(crud.DataError, match="say why"):
        crud.decide_proposal(session=seeded, proposal=second, status=ProposalStatus.rejected, actor_id=None)
    crud.decide_proposal(session=seeded, proposal=second, status=ProposalStatus.rejected, actor_id=None,
                         reason="온디바이스 요구사항과 맞지 않음")
    with pytest.raises(crud.DataError, match="a rejected proposal cannot become shortlisted"):
        crud.decide_proposal(session=seeded, proposal=second, status=ProposalStatus.shortlisted, actor_id=None)
    seeded.commit()

    events = seeded.exec(select(Event).where(Event.entity == "proposal").order_by(Event.id)).all()
    assert [(e.entity_id, e.action) for e in events] == [
        (first.id, "status.shortlisted"), (first.id, "status.invited"), (second.id, "status.rejected"),
    ]
    assert events[-1].data["reason"] == "온디바이스 요구사항과 맞지 않음"
    assert first.shortlist_rank == 1


def test_a_decision_on_a_proposal_someone_else_just_decided_is_refused(seeded, engine, make_run):
    make_run([("LG-TV-01", "pixelwave", 0.9)])
    proposal_id = seeded.exec(select(Proposal.id)).one()
    seeded.rollback()

    with session_for(engine) as other:
        stale = other.get(Proposal, proposal_id)  # the page another reviewer loaded while it was 'proposed'
        other.commit()
        crud.decide_proposal(session=seeded, proposal=seeded.get(Proposal, proposal_id),
                             status=ProposalStatus.shortlisted, actor_id=None)
        seeded.commit()
        with pytest.raises(crud.Conflict, match="decided on this proposal first"):
            crud.decide_proposal(session=other, proposal=stale, status=ProposalStatus.rejected, actor_id=None,
                                 reason="늦은 결정")
    assert seeded.exec(select(Event).where(Event.entity == "proposal")).all().__len__() == 1


def test_interests_keep_a_gapless_order_that_the_startup_sets(seeded):
    org = crud.get_organization_by_slug(session=seeded, slug="pixelwave")
    startup_id = crud.get_profile_by_organization(session=seeded, organization_id=org.id).id
    tv = crud.get_challenge_by_code(session=seeded, code="LG-TV-01").id
    audio = crud.get_challenge_by_code(session=seeded, code="LG-AUDIO-01").id
    for challenge_id in (tv, audio):
        rank = crud.next_interest_rank(session=seeded, startup_id=startup_id)
        crud.add_interest(session=seeded, startup_id=startup_id, interest_in=InterestCreate(challenge_id=challenge_id, rank=rank))

    crud.reorder_interests(session=seeded, startup_id=startup_id, challenge_ids=[audio, tv])
    assert [(i.challenge_id, i.rank) for i in crud.list_interests(session=seeded, startup_id=startup_id)] == [(audio, 1), (tv, 2)]
    with pytest.raises(crud.DataError, match="exactly once"):
        crud.reorder_interests(session=seeded, startup_id=startup_id, challenge_ids=[tv])

    crud.remove_interest(session=seeded, startup_id=startup_id, challenge_id=audio)
    assert [(i.challenge_id, i.rank) for i in crud.list_interests(session=seeded, startup_id=startup_id)] == [(tv, 1)]


def test_interest_in_a_challenge_that_is_not_open_is_refused(seeded):
    challenge = crud.get_challenge_by_code(session=seeded, code="LG-TV-01")
    crud.update_challenge(session=seeded, challenge=challenge, challenge_in=ChallengeUpdate(status="closed"),
                          expected_version=challenge.version, actor_id=None)
    org = crud.get_organization_by_slug(session=seeded, slug="pixelwave")
    startup_id = crud.get_profile_by_organization(session=seeded, organization_id=org.id).id
    with pytest.raises(crud.DataError, match="not open"):
        crud.add_interest(session=seeded, startup_id=startup_id, interest_in=InterestCreate(challenge_id=challenge.id))


def test_signing_up_creates_a_startup_organization_and_its_user(seeded):
    user = crud.signup_startup(session=seeded, email="New@Example.kr", password="a-long-password", display_name="홍길동",
                               name_ko="새싹랩", name_en="Saessak Lab")
    assert user.email == "new@example.kr" and user.role.value == "startup"
    assert user.organization.slug == "saessak-lab" and user.organization.kind.value == "startup"
    assert crud.authenticate(session=seeded, email="new@example.kr", password="a-long-password").id == user.id
    assert crud.authenticate(session=seeded, email="new@example.kr", password="wrong-password") is None


def test_no_decision_changes_once_the_round_is_closed(seeded, make_run):
    from models.enums import RoundStatus
    from models.schema import Round

    make_run([("LG-TV-01", "pixelwave", 0.9)])
    proposal = seeded.exec(select(Proposal)).one()
    round_ = seeded.exec(select(Round)).one()
    for status in (RoundStatus.matched, RoundStatus.closed):
        crud.set_round_status(session=seeded, round_=round_, status=status, actor_id=None)
    with pytest.raises(crud.DataError, match="the round is closed"):
        crud.decide_proposal(session=seeded, proposal=proposal, status=ProposalStatus.shortlisted, actor_id=None)


def test_a_rejected_proposal_leaves_the_shortlist_order(seeded, make_run):
    make_run([("LG-TV-01", "pixelwave", 0.9), ("LG-TV-01", "quiet-audio", 0.8)])
    first, second = seeded.exec(select(Proposal).order_by(Proposal.rank)).all()
    crud.decide_proposal(session=seeded, proposal=first, status=ProposalStatus.shortlisted, actor_id=None)
    crud.decide_proposal(session=seeded, proposal=second, status=ProposalStatus.shortlisted, actor_id=None)
    crud.decide_proposal(session=seeded, proposal=first, status=ProposalStatus.rejected, actor_id=None,
                         reason="예산 초과")

    assert first.shortlist_rank is None
    crud.reorder_shortlist(session=seeded, proposals=[second], actor_id=None)  # the live ones only
    assert second.shortlist_rank == 1


def test_a_reason_is_stored_composed_and_control_characters_are_refused(seeded, make_run):
    import unicodedata

    make_run([("LG-TV-01", "pixelwave", 0.9)])
    proposal = seeded.exec(select(Proposal)).one()
    with pytest.raises(crud.DataError, match="control characters"):
        crud.decide_proposal(session=seeded, proposal=proposal, status=ProposalStatus.rejected, actor_id=None,
                             reason="이유\x1b[31m")
    crud.decide_proposal(session=seeded, proposal=proposal, status=ProposalStatus.rejected, actor_id=None,
                         reason=unicodedata.normalize("NFD", "요구 성능 미달"))
    assert proposal.reason == "요구 성능 미달"


def test_creations_are_audited_with_who_did_them(seeded):
    from models.schema import ChallengeCreate

    field = crud.get_field_by_key(session=seeded, key="ai-2025-on-device/smart-tv")
    sponsor = crud.get_user_by_email(session=seeded, email="lg@example.kr")
    challenge = crud.create_challenge(session=seeded, challenge_in=ChallengeCreate(
        field_id=field.id, title="리모컨 없이 손짓으로 TV 조작", description="카메라 없이 레이더로 손짓을 인식하는 방법을 찾습니다."),
        sponsor_id=sponsor.organization_id, created_by_id=sponsor.id)
    event = seeded.exec(select(Event).where(Event.entity == "challenge", Event.entity_id == challenge.id)).one()
    assert (event.action, event.actor_id, event.data["code"]) == ("created", sponsor.id, challenge.code)


@pytest.mark.parametrize("address", ["javascript:alert(1)", "data:text/html,hi", "ftp://files.example", "www.example.kr"])
def test_a_website_must_be_a_web_address(address):
    from pydantic import ValidationError

    from models.schema import StartupProfileUpdate

    with pytest.raises(ValidationError, match="https://"):
        StartupProfileUpdate(website=address)
    assert StartupProfileUpdate(website="https://픽셀웨이브.kr").website == "https://픽셀웨이브.kr"


@pytest.mark.parametrize("slug", ["Has Capitals", "spaces here", "trailing-", "한글"])
def test_slugs_and_codes_follow_their_pattern(slug):
    from pydantic import ValidationError

    from models.schema import ChallengeCreate, OrganizationCreate

    with pytest.raises(ValidationError, match="pattern"):
        OrganizationCreate(slug=slug, kind="startup", name_ko="가", name_en="A")
    with pytest.raises(ValidationError, match="pattern"):
        ChallengeCreate(field_id=1, code="lg-tv-01", title="제목입니다", description="설명은 스무 글자 이상이어야 합니다 정말로요.")


def test_a_startups_reason_for_declining_does_not_overwrite_the_sponsors_note(seeded, make_run):
    make_run([("LG-TV-01", "pixelwave", 0.9)])
    proposal = seeded.exec(select(Proposal)).one()
    for status in (ProposalStatus.shortlisted, ProposalStatus.invited):
        crud.decide_proposal(session=seeded, proposal=proposal, status=status, actor_id=None, reason="내부 메모")
    crud.decide_proposal(session=seeded, proposal=proposal, status=ProposalStatus.declined, actor_id=None,
                         reason="일정이 맞지 않습니다")
    assert proposal.reason == "내부 메모"  # the sponsor's note from the invitation stays
    event = seeded.exec(select(Event).where(Event.action == "status.declined")).one()
    assert event.data["reason"] == "일정이 맞지 않습니다"
