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
