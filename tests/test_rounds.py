"""Match rounds: the right proposals within capacities, one run per firing, nothing half-written, memory across runs."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

import matchmaker.rounds as rounds
from matchmaker.selection import SelectionProblem, blocking_pairs
from matchmaker.selection import select as stable_selection
from models import crud, runs
from models.db import session_for
from models.enums import ProposalStatus, RoundStatus, RunStatus, RunTrigger
from models.schema import (
    ChallengeUpdate, Embedding, Event, InterestCreate, MatchRun, OrganizationCreate, Proposal, Round,
    StartupProfileCreate, StartupProfileUpdate,
)

TV_PROFILE = ("저해상도 방송 영상을 TV 칩의 NPU에서 실시간으로 4K 화질로 키우는 초해상도 모델을 만듭니다. "
              "프레임당 10ms 안에 처리하고 영상은 기기 밖으로 나가지 않습니다.")


@pytest.fixture
def lg_round(seeded, encoders):
    """The LG programme's round (smart TV and audio), scheduled; the models are loaded."""
    round_ = seeded.exec(select(Round)).one()
    org = crud.get_organization_by_slug(session=seeded, slug="pixelwave")
    profile = crud.get_profile_by_organization(session=seeded, organization_id=org.id)
    crud.update_profile(session=seeded, profile=profile, profile_in=StartupProfileUpdate(description=TV_PROFILE),
                        expected_version=profile.version, actor_id=None)
    seeded.commit()
    return round_.id


def profile_id(session, slug):
    org = crud.get_organization_by_slug(session=session, slug=slug)
    return crud.get_profile_by_organization(session=session, organization_id=org.id).id


def challenge_id(session, code):
    return crud.get_challenge_by_code(session=session, code=code).id


def proposals_of(session, run_id):
    session.expire_all()
    return session.exec(select(Proposal).where(Proposal.run_id == run_id).order_by(Proposal.challenge_id, Proposal.rank)).all()


def test_a_round_proposes_each_startup_to_its_challenge_within_its_fields(seeded, engine, lg_round):
    run = rounds.run_round(engine=engine, round_id=lg_round)

    assert run.status == RunStatus.succeeded
    proposals = proposals_of(seeded, run.id)
    pairs = {(p.challenge_id, p.startup_id) for p in proposals}
    assert (challenge_id(seeded, "LG-TV-01"), profile_id(seeded, "pixelwave")) in pairs
    assert (challenge_id(seeded, "LG-AUDIO-01"), profile_id(seeded, "quiet-audio")) in pairs
    # Fields of interest hold: the TV startup is not proposed for audio, the drone startup for nothing of LG's.
    assert (challenge_id(seeded, "LG-AUDIO-01"), profile_id(seeded, "pixelwave")) not in pairs
    assert profile_id(seeded, "skyline-drones") not in {p.startup_id for p in proposals}
    for p in proposals:
        assert 0 <= p.score <= 1 and p.rank >= 1
        assert p.explanation["best_pair"]["challenge"] and "semantic" in p.components
    assert run.n_proposals == len(proposals)
    assert run.models["semantic_encoder"] == "use-multilingual" and len(run.input_hash) == 64
    assert {"load", "embed", "score", "assign", "total"} <= set(run.timings)
    seeded.expire_all()
    assert seeded.get(Round, lg_round).status == RoundStatus.matched


def test_capacities_bound_proposals_per_challenge_and_challenges_per_startup(seeded, engine, lg_round):
    round_ = seeded.get(Round, lg_round)
    crud.update_round(session=seeded, round_=round_, round_in=crud.RoundUpdate(proposals_per_challenge=1, min_score=0.0),
                      expected_version=round_.version, actor_id=None)
    seeded.commit()

    run = rounds.run_round(engine=engine, round_id=lg_round)

    per_challenge = {}
    for p in proposals_of(seeded, run.id):
        per_challenge[p.challenge_id] = per_challenge.get(p.challenge_id, 0) + 1
    assert per_challenge and max(per_challenge.values()) == 1


def test_the_same_scheduled_firing_twice_makes_one_run(seeded, engine, lg_round):
    first = rounds.run_round(engine=engine, round_id=lg_round, trigger=RunTrigger.scheduled, firing_key="round:1@x")
    seeded.get(Round, lg_round).status = RoundStatus.scheduled  # even if the round were due again
    seeded.commit()
    second = rounds.run_round(engine=engine, round_id=lg_round, trigger=RunTrigger.scheduled, firing_key="round:1@x")

    assert second.id == first.id
    seeded.expire_all()
    assert len(seeded.exec(select(MatchRun)).all()) == 1


def test_ten_concurrent_calls_for_one_firing_make_one_run(seeded, engine, lg_round):
    results, errors = [], []
    barrier = threading.Barrier(10)

    def call():
        barrier.wait()
        try:
            results.append(rounds.run_round(engine=engine, round_id=lg_round, trigger=RunTrigger.scheduled,
                                            firing_key="round:concurrent").id)
        except Exception as exc:  # noqa: BLE001 - collected to fail the test with the reason
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len(set(results)) == 1
    seeded.expire_all()
    runs_made = seeded.exec(select(MatchRun)).all()
    assert len(runs_made) == 1 and runs_made[0].status == RunStatus.succeeded
    assert len(proposals_of(seeded, runs_made[0].id)) == runs_made[0].n_proposals


def test_a_manual_rerun_creates_a_new_run_and_keeps_the_old_one(seeded, engine, lg_round):
    first = rounds.run_round(engine=engine, round_id=lg_round)
    second = rounds.run_round(engine=engine, round_id=lg_round)

    assert second.id != first.id
    assert len(proposals_of(seeded, first.id)) == first.n_proposals > 0
    assert len(proposals_of(seeded, second.id)) == second.n_proposals
    assert second.input_hash == first.input_hash


def test_a_failure_between_scoring_and_writing_leaves_no_proposals_and_a_failed_run(seeded, engine, lg_round, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("disk full while writing")

    monkeypatch.setattr(rounds, "write_proposals", broken)
    with pytest.raises(RuntimeError):
        rounds.run_round(engine=engine, round_id=lg_round)

    seeded.expire_all()
    run = seeded.exec(select(MatchRun)).one()
    assert run.status == RunStatus.failed and "disk full while writing" in run.error
    assert seeded.exec(select(Proposal)).all() == []
    assert seeded.get(Round, lg_round).status == RoundStatus.scheduled


def test_a_database_error_while_writing_leaves_the_previous_state_whole(seeded, engine, lg_round, monkeypatch):
    good = rounds.run_round(engine=engine, round_id=lg_round)
    real = runs.finish_run

    def half_then_fail(**kwargs):
        # Two proposals for the same pair break the unique key inside the writing transaction.
        duplicated = list(kwargs["proposals"]) + [kwargs["proposals"][0]]
        return real(**{**kwargs, "proposals": duplicated})

    monkeypatch.setattr(runs, "finish_run", half_then_fail)
    with pytest.raises(Exception):
        rounds.run_round(engine=engine, round_id=lg_round)

    seeded.expire_all()
    failed = seeded.exec(select(MatchRun).where(MatchRun.status == RunStatus.failed)).one()
    assert proposals_of(seeded, failed.id) == []
    assert len(proposals_of(seeded, good.id)) == good.n_proposals


def test_a_pair_a_sponsor_rejected_is_never_proposed_again(seeded, engine, lg_round):
    first = rounds.run_round(engine=engine, round_id=lg_round)
    tv, pixel = challenge_id(seeded, "LG-TV-01"), profile_id(seeded, "pixelwave")
    proposal = seeded.exec(select(Proposal).where(Proposal.run_id == first.id, Proposal.challenge_id == tv,
                                                  Proposal.startup_id == pixel)).one()
    crud.decide_proposal(session=seeded, proposal=proposal, status=ProposalStatus.rejected, actor_id=None,
                         reason="이미 자체 개발 중인 기술")
    seeded.commit()

    second = rounds.run_round(engine=engine, round_id=lg_round)

    assert (tv, pixel) not in {(p.challenge_id, p.startup_id) for p in proposals_of(seeded, second.id)}
    with session_for(engine) as session:
        suggested = rounds.suggest_challenges(session=session, profile=session.get(crud.StartupProfile, pixel))
    assert tv not in {s.challenge.id for s in suggested}


def test_a_rerun_keeps_the_sponsors_shortlist(seeded, engine, lg_round):
    first = rounds.run_round(engine=engine, round_id=lg_round)
    proposal = proposals_of(seeded, first.id)[0]
    crud.decide_proposal(session=seeded, proposal=proposal, status=ProposalStatus.shortlisted, actor_id=None)
    seeded.commit()

    second = rounds.run_round(engine=engine, round_id=lg_round)

    carried = [p for p in proposals_of(seeded, second.id)
               if (p.challenge_id, p.startup_id) == (proposal.challenge_id, proposal.startup_id)]
    assert carried and carried[0].status == ProposalStatus.shortlisted and carried[0].shortlist_rank == 1


def test_unchanged_texts_come_from_the_database_cache_and_only_an_edited_profile_is_embedded(seeded, engine, lg_round):
    rounds.run_round(engine=engine, round_id=lg_round)
    rounds._process_memory.cache_clear()  # as a new process would: only the database remembers
    again = rounds.run_round(engine=engine, round_id=lg_round)
    assert again.timings["cache_misses"] == 0 and again.timings["cache_hits"] > 0

    org = crud.get_organization_by_slug(session=seeded, slug="quiet-audio")
    profile = crud.get_profile_by_organization(session=seeded, organization_id=org.id)
    crud.update_profile(session=seeded, profile=profile,
                        profile_in=StartupProfileUpdate(summary="Adaptive ANC that learns a room in seconds"),
                        expected_version=profile.version, actor_id=None)
    seeded.commit()
    edited = rounds.run_round(engine=engine, round_id=lg_round)

    assert edited.timings["cache_misses"] == 2  # the edited profile's one passage, for each of the two models
    assert len(seeded.exec(select(Embedding)).all()) > 0


def test_a_startup_that_joins_after_a_run_gets_suggestions_at_once(seeded, engine, lg_round):
    rounds.run_round(engine=engine, round_id=lg_round)
    org = crud.create_organization(session=seeded, organization_in=OrganizationCreate(
        slug="late-joiner", kind="startup", name_ko="늦깎이", name_en="Late Joiner"))
    profile = crud.create_profile(session=seeded, profile_in=StartupProfileCreate(
        organization_id=org.id, description="We build adaptive noise cancellation for earbuds that tunes itself to the room "
                                            "on the earbud's own DSP within a few milliwatts."))
    seeded.commit()
    runs_before = len(seeded.exec(select(MatchRun)).all())

    with session_for(engine) as session:
        suggestions = rounds.suggest_challenges(session=session, profile=session.get(crud.StartupProfile, profile.id))

    assert suggestions[0].challenge.code == "LG-AUDIO-01"
    assert suggestions[0].band in ("strong", "possible")
    assert suggestions[0].explanation["best_pair"]["startup"]
    assert len(seeded.exec(select(MatchRun)).all()) == runs_before


def test_rounds_in_the_wrong_state_or_unknown_are_refused(seeded, engine, lg_round):
    with pytest.raises(rounds.RoundError, match="round 999 does not exist"):
        rounds.run_round(engine=engine, round_id=999)
    round_ = seeded.get(Round, lg_round)
    crud.set_round_status(session=seeded, round_=round_, status=RoundStatus.draft, actor_id=None)
    seeded.commit()
    with pytest.raises(rounds.RoundError, match="is draft"):
        rounds.run_round(engine=engine, round_id=lg_round)
    with pytest.raises(rounds.RoundError, match="close it before"):
        rounds.select_round(engine=engine, round_id=lg_round, actor_id=None)


def _accept(session, proposal):
    for status in (ProposalStatus.shortlisted, ProposalStatus.invited, ProposalStatus.accepted):
        crud.decide_proposal(session=session, proposal=proposal, status=status, actor_id=None)


def test_the_final_selection_is_stable_respects_capacities_and_says_why_not(seeded, engine, lg_round):
    round_ = seeded.get(Round, lg_round)
    crud.update_round(session=seeded, round_=round_, round_in=crud.RoundUpdate(min_score=0.0),
                      expected_version=round_.version, actor_id=None)
    tv = crud.get_challenge_by_code(session=seeded, code="LG-TV-01")
    crud.update_challenge(session=seeded, challenge=tv, challenge_in=ChallengeUpdate(capacity=1),
                          expected_version=tv.version, actor_id=None)
    # Quiet Audio may also look at smart TV, so two startups compete for one place.
    quiet = seeded.get(crud.StartupProfile, profile_id(seeded, "quiet-audio"))
    crud.set_profile_fields(session=seeded, profile=quiet, field_ids=[f.id for f in round_.programme.fields])
    seeded.commit()
    run = rounds.run_round(engine=engine, round_id=lg_round)
    tv_proposals = [p for p in proposals_of(seeded, run.id) if p.challenge_id == tv.id]
    assert len(tv_proposals) == 2
    for p in tv_proposals:
        _accept(seeded, p)
    crud.add_interest(session=seeded, startup_id=profile_id(seeded, "quiet-audio"),
                      interest_in=InterestCreate(challenge_id=tv.id, rank=1))
    crud.set_round_status(session=seeded, round_=seeded.get(Round, lg_round), status=RoundStatus.closed, actor_id=None)
    seeded.commit()

    report = rounds.select_round(engine=engine, round_id=lg_round, actor_id=None)

    pixel = profile_id(seeded, "pixelwave")
    first_choice = min(tv_proposals, key=lambda p: p.shortlist_rank).startup_id
    assert report.selected == [(tv.id, first_choice)]
    loser = ({pixel, profile_id(seeded, "quiet-audio")} - {first_choice}).pop()
    assert "filled its 1 place" in report.not_selected[loser]
    seeded.expire_all()
    assert seeded.get(Round, lg_round).status == RoundStatus.selected
    chosen = seeded.exec(select(Proposal).where(Proposal.status == ProposalStatus.selected)).all()
    assert [(p.challenge_id, p.startup_id) for p in chosen] == report.selected
    assert seeded.exec(select(Event).where(Event.action == "status.selected")).all()
    # Stable: with the same preferences, no pair would both rather be matched to each other.
    problem = SelectionProblem(shortlists={tv.id: [p.startup_id for p in sorted(tv_proposals, key=lambda p: p.shortlist_rank)]},
                               interests={p.startup_id: [tv.id] for p in tv_proposals}, challenge_capacity={tv.id: 1})
    assert blocking_pairs(problem, stable_selection(problem)) == []


def test_documents_from_plain_records_equal_documents_from_rows(seeded):
    from matchmaker.rounds import challenge_doc, record_doc, startup_doc

    by_id = {c["id"]: record_doc(c, kind="challenge") for c in runs.challenge_records(session=seeded)}
    for challenge in runs.open_challenges(session=seeded):
        assert by_id[challenge.id] == challenge_doc(challenge)
    by_id = {p["id"]: record_doc(p, kind="startup") for p in runs.profile_records(session=seeded)}
    for profile in runs.all_profiles(session=seeded):
        assert by_id[profile.id] == startup_doc(profile)
