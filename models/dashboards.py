"""Reads for the programme office: programmes, rounds, runs, the dashboard, exports and the selection report.

Every function here takes a fixed number of queries, whatever the size of the programme.
Writes go through `models.crud`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field as dc_field
from datetime import datetime
from typing import Iterable, Optional

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from models import crud
from models.enums import ChallengeStatus, OrganizationKind, ProposalStatus, RunStatus
from models.schema import (
    Challenge,
    Event,
    Field,
    Interest,
    MatchRun,
    Organization,
    ProfileField,
    Programme,
    ProgrammeSponsor,
    Proposal,
    Round,
    StartupProfile,
    User,
)


def slugify(text: str, *, max_length: int = 80) -> str:
    """Returns a slug made of the ASCII letters and digits of a text ('' when it has none)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:max_length].strip("-")


# --- programmes, fields, sponsors ------------------------------------------------------------


def list_programmes(*, session: Session) -> list[Programme]:
    """Lists every programme with its fields and sponsors, newest edition first."""
    return list(session.exec(
        select(Programme)
        .options(
            selectinload(Programme.fields).selectinload(Field.participating_company),
            selectinload(Programme.sponsors).selectinload(ProgrammeSponsor.organization),
        )
        .order_by(Programme.year.desc(), Programme.id)
    ))


def get_programme(*, session: Session, programme_id: int) -> Optional[Programme]:
    """Gets a programme with its fields and sponsors loaded."""
    return session.exec(
        select(Programme)
        .where(Programme.id == programme_id)
        .options(
            selectinload(Programme.fields).selectinload(Field.participating_company),
            selectinload(Programme.sponsors).selectinload(ProgrammeSponsor.organization),
        )
    ).first()


def get_field(*, session: Session, field_id: int) -> Optional[Field]:
    """Gets a field with its programme and participating company loaded."""
    return session.exec(
        select(Field).where(Field.id == field_id)
        .options(selectinload(Field.programme), selectinload(Field.participating_company))
    ).first()


def partner_organizations(*, session: Session) -> list[Organization]:
    """Lists the organizations that can sponsor or partner a programme or take part in a field, by name."""
    return list(session.exec(
        select(Organization)
        .where(Organization.kind.in_([OrganizationKind.sponsor, OrganizationKind.partner]))
        .order_by(Organization.name_en, Organization.id)
    ))


def next_field_position(*, session: Session, programme_id: int) -> int:
    """Returns the position a new field gets: after the programme's last field."""
    current = session.exec(select(func.max(Field.position)).where(Field.programme_id == programme_id)).one()
    return 0 if current is None else current + 1


# --- rounds and runs -------------------------------------------------------------------------


@dataclass
class RoundRow:
    round: Round
    latest_run: Optional[MatchRun]


def _latest_runs(*, session: Session, round_ids: Iterable[int]) -> dict[int, MatchRun]:
    ids = list(round_ids)
    if not ids:
        return {}
    newest = select(func.max(MatchRun.id)).where(MatchRun.round_id.in_(ids)).group_by(MatchRun.round_id)
    return {run.round_id: run for run in session.exec(select(MatchRun).where(MatchRun.id.in_(newest)))}


def list_rounds(*, session: Session, programme_id: Optional[int] = None) -> list[RoundRow]:
    """Lists rounds (of one programme, or all) with programme, fields and latest run, next match first."""
    query = select(Round).options(selectinload(Round.programme), selectinload(Round.fields))
    if programme_id is not None:
        query = query.where(Round.programme_id == programme_id)
    rounds = list(session.exec(query.order_by(Round.match_at.desc(), Round.id.desc())))
    latest = _latest_runs(session=session, round_ids=[r.id for r in rounds])
    return [RoundRow(r, latest.get(r.id)) for r in rounds]


def get_round(*, session: Session, round_id: int) -> Optional[Round]:
    """Gets a round with its programme (and the programme's fields) and its own fields loaded."""
    return session.exec(
        select(Round).where(Round.id == round_id)
        .options(selectinload(Round.programme).selectinload(Programme.fields), selectinload(Round.fields))
    ).first()


def runs_for_round(*, session: Session, round_id: int) -> list[MatchRun]:
    """Lists every run of a round, newest first."""
    return list(session.exec(
        select(MatchRun).where(MatchRun.round_id == round_id).order_by(MatchRun.started_at.desc(), MatchRun.id.desc())
    ))


def users_by_id(*, session: Session, user_ids: Iterable[Optional[int]]) -> dict[int, User]:
    """Gets users by id in one query (missing ids are left out)."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in session.exec(select(User).where(User.id.in_(ids)))}


def get_run(*, session: Session, run_id: int) -> Optional[MatchRun]:
    """Gets a run with its round and the round's programme loaded."""
    return session.exec(
        select(MatchRun).where(MatchRun.id == run_id)
        .options(selectinload(MatchRun.round).selectinload(Round.programme))
    ).first()


def _proposal_parts():
    return (
        selectinload(Proposal.challenge).selectinload(Challenge.field).selectinload(Field.programme),
        selectinload(Proposal.challenge).selectinload(Challenge.sponsor),
        selectinload(Proposal.startup).selectinload(StartupProfile.organization),
    )


def _in_reading_order(proposals: list[Proposal]) -> list[Proposal]:
    # Field order as the programme lists it, then challenge code, then the run's rank.
    return sorted(proposals, key=lambda p: (
        p.challenge.field.programme_id, p.challenge.field.position, p.challenge.field_id,
        p.challenge.code, p.rank, p.id,
    ))


def run_proposals(*, session: Session, run_id: int) -> list[Proposal]:
    """Lists a run's proposals with challenge, field, programme, sponsor and startup loaded, per challenge by rank."""
    proposals = list(session.exec(select(Proposal).where(Proposal.run_id == run_id).options(*_proposal_parts())))
    return _in_reading_order(proposals)


def selected_proposals(*, session: Session, round_id: int) -> list[Proposal]:
    """Lists the proposals the final selection chose in a round, with everything an export shows loaded."""
    proposals = list(session.exec(
        select(Proposal).join(MatchRun, Proposal.run_id == MatchRun.id)
        .where(MatchRun.round_id == round_id, Proposal.status == ProposalStatus.selected)
        .options(*_proposal_parts())
    ))
    return _in_reading_order(proposals)


def startups_by_id(*, session: Session, profile_ids: Iterable[int]) -> dict[int, StartupProfile]:
    """Gets startup profiles with their organizations by id in one query."""
    ids = set(profile_ids)
    if not ids:
        return {}
    return {p.id: p for p in session.exec(
        select(StartupProfile).where(StartupProfile.id.in_(ids)).options(selectinload(StartupProfile.organization))
    )}


def challenges_by_id(*, session: Session, challenge_ids: Iterable[int]) -> dict[int, Challenge]:
    """Gets challenges with field and sponsor by id in one query."""
    ids = set(challenge_ids)
    if not ids:
        return {}
    return {c.id: c for c in session.exec(
        select(Challenge).where(Challenge.id.in_(ids))
        .options(selectinload(Challenge.field), selectinload(Challenge.sponsor))
    )}


# --- the dashboard ---------------------------------------------------------------------------

# A proposal has reached a stage of the funnel when its status is that stage or one after it.
# Rejection can follow a shortlisting; the shortlist rank it keeps says it was shortlisted.
FUNNEL = (
    ProposalStatus.proposed, ProposalStatus.shortlisted, ProposalStatus.invited,
    ProposalStatus.accepted, ProposalStatus.selected,
)
_REACHED = {
    ProposalStatus.proposed: set(ProposalStatus),
    ProposalStatus.shortlisted: {ProposalStatus.shortlisted, ProposalStatus.invited, ProposalStatus.accepted,
                                 ProposalStatus.declined, ProposalStatus.selected},
    ProposalStatus.invited: {ProposalStatus.invited, ProposalStatus.accepted, ProposalStatus.declined,
                             ProposalStatus.selected},
    ProposalStatus.accepted: {ProposalStatus.accepted, ProposalStatus.selected},
    ProposalStatus.selected: {ProposalStatus.selected},
}


def reached(proposal: Proposal, stage: ProposalStatus) -> bool:
    """Says whether a proposal has got as far as a funnel stage."""
    if stage == ProposalStatus.shortlisted and proposal.shortlist_rank is not None:
        return True
    return proposal.status in _REACHED[stage]


@dataclass
class FieldScores:
    field: Field
    scores: list[float]

    @property
    def median(self) -> Optional[float]:
        if not self.scores:
            return None
        ordered = sorted(self.scores)
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass
class ChallengeCoverage:
    challenge: Challenge
    proposals: int
    strong: int
    best: Optional[float]
    short: bool  # fewer strong candidates than the round asks for per challenge


@dataclass
class FieldBalance:
    field: Field
    open_challenges: int
    proposals: int
    startups_proposed: int  # distinct startups the run proposed in the field
    startups_interested: int  # distinct startups that expressed interest in one of the field's challenges
    startups_following: int  # startups that chose the field as a field of interest


@dataclass
class Dashboard:
    programme: Programme
    run: Optional[MatchRun]
    round: Optional[Round]
    k: int
    strong: float
    scores: list[FieldScores] = dc_field(default_factory=list)
    coverage: list[ChallengeCoverage] = dc_field(default_factory=list)
    funnel: list[tuple[ProposalStatus, int]] = dc_field(default_factory=list)
    statuses: dict[ProposalStatus, int] = dc_field(default_factory=dict)
    balance: list[FieldBalance] = dc_field(default_factory=list)

    @property
    def short_challenges(self) -> list[ChallengeCoverage]:
        return [c for c in self.coverage if c.short]

    @property
    def dropped(self) -> list[tuple[ProposalStatus, int]]:
        """Proposals that left the funnel: rejected by the sponsor or declined by the startup."""
        return [(s, self.statuses.get(s, 0)) for s in (ProposalStatus.rejected, ProposalStatus.declined)]


def programme_runs(*, session: Session, programme_id: int) -> list[MatchRun]:
    """Lists the successful runs of a programme's rounds, newest first, with their rounds loaded."""
    return list(session.exec(
        select(MatchRun).join(Round, MatchRun.round_id == Round.id)
        .where(Round.programme_id == programme_id, MatchRun.status == RunStatus.succeeded)
        .options(selectinload(MatchRun.round))
        .order_by(MatchRun.finished_at.desc(), MatchRun.id.desc())
    ))


def programme_dashboard(
    *, session: Session, programme: Programme, run: Optional[MatchRun], strong: float
) -> Dashboard:
    """Builds the dashboard of a programme for one run: scores per field, coverage, funnel and balance.

    strong: the score from which a candidate counts as strong (the engine's "strong" band).
    Without a run, only the balance of interest is filled in.
    """
    fields = list(programme.fields)
    field_ids = [f.id for f in fields]
    round_ = run.round if run is not None else None
    # The k the run used (its recorded parameters), not what the round says after a later edit.
    k = int((run.params or {}).get("proposals_per_challenge", round_.proposals_per_challenge)) if run is not None else 0
    board = Dashboard(programme=programme, run=run, round=round_, k=k, strong=strong)

    proposals: list[Proposal] = []
    if run is not None:
        proposals = list(session.exec(select(Proposal).where(Proposal.run_id == run.id)))
    challenges = list(session.exec(
        select(Challenge).where(Challenge.field_id.in_(field_ids))
        .options(selectinload(Challenge.field)).order_by(Challenge.code)
    )) if field_ids else []
    by_challenge = {c.id: c for c in challenges}
    following = Counter(dict(session.exec(
        select(ProfileField.field_id, func.count()).where(ProfileField.field_id.in_(field_ids))
        .group_by(ProfileField.field_id)
    ).all())) if field_ids else Counter()
    interested = Counter(dict(session.exec(
        select(Challenge.field_id, func.count(func.distinct(Interest.startup_id)))
        .join(Challenge, Interest.challenge_id == Challenge.id)
        .where(Challenge.field_id.in_(field_ids)).group_by(Challenge.field_id)
    ).all())) if field_ids else Counter()

    scores_by_field: dict[int, list[float]] = defaultdict(list)
    per_challenge: dict[int, list[float]] = defaultdict(list)
    startups_by_field: dict[int, set[int]] = defaultdict(set)
    for p in proposals:
        challenge = by_challenge.get(p.challenge_id)
        if challenge is None:  # a challenge that has moved to another programme since the run
            continue
        scores_by_field[challenge.field_id].append(p.score)
        per_challenge[p.challenge_id].append(p.score)
        startups_by_field[challenge.field_id].add(p.startup_id)
    counted = [p for p in proposals if p.challenge_id in by_challenge]

    if run is not None:
        board.scores = [FieldScores(f, sorted(scores_by_field[f.id])) for f in fields]
        round_fields = {f.id for f in round_.fields} or set(field_ids)
        for challenge in challenges:
            got = per_challenge.get(challenge.id, [])
            # Open challenges of the round's fields count, and any other challenge the run proposed for.
            if not got and (challenge.field_id not in round_fields or challenge.status != ChallengeStatus.open):
                continue
            strong_n = sum(1 for s in got if s >= strong)
            board.coverage.append(ChallengeCoverage(
                challenge=challenge, proposals=len(got), strong=strong_n, best=max(got) if got else None,
                short=strong_n < k,
            ))
        board.funnel = [(stage, sum(1 for p in counted if reached(p, stage))) for stage in FUNNEL]
        statuses = Counter(p.status for p in counted)
        board.statuses = {status: statuses[status] for status in ProposalStatus}

    open_counts = Counter(c.field_id for c in challenges if c.status == ChallengeStatus.open)
    board.balance = [
        FieldBalance(
            field=f, open_challenges=open_counts[f.id], proposals=len(scores_by_field[f.id]),
            startups_proposed=len(startups_by_field[f.id]), startups_interested=interested[f.id],
            startups_following=following[f.id],
        )
        for f in fields
    ]
    return board


# --- the final selection -----------------------------------------------------------------------

SELECTION_REPORT = "selection.report"


def record_selection_report(
    *, session: Session, round_id: int, run_id: int, not_selected: dict[int, str], actor_id: Optional[int]
) -> Event:
    """Keeps the final selection's reasons for the startups it did not select, for the results page."""
    return crud.record_event(
        session=session, entity="round", entity_id=round_id, action=SELECTION_REPORT, actor_id=actor_id,
        data={"run_id": run_id, "not_selected": {str(k): v for k, v in not_selected.items()}},
    )


@dataclass
class StartupOutcome:
    startup: StartupProfile
    proposals: list[Proposal]  # this startup's proposals in the run, by challenge code

    @property
    def accepted_any(self) -> bool:
        return any(p.status in (ProposalStatus.accepted, ProposalStatus.selected) for p in self.proposals)


@dataclass
class SelectionResult:
    run_id: Optional[int]
    selected: list[Proposal]
    not_selected: list[StartupOutcome]
    reasons: dict[int, str]  # startup profile id -> the selection's own explanation
    challenges: dict[int, Challenge]
    decided_at: Optional[datetime] = None


def selection_result(*, session: Session, round_id: int) -> SelectionResult:
    """Returns who the final selection chose in a round and, for every other startup of its run, why not."""
    report = session.exec(
        select(Event).where(Event.entity == "round", Event.entity_id == round_id, Event.action == SELECTION_REPORT)
        .order_by(Event.at.desc(), Event.id.desc()).limit(1)
    ).first()
    run_id = (report.data or {}).get("run_id") if report is not None else None
    if run_id is None:
        run_id = session.exec(
            select(MatchRun.id).where(MatchRun.round_id == round_id, MatchRun.status == RunStatus.succeeded)
            .order_by(MatchRun.finished_at.desc(), MatchRun.id.desc()).limit(1)
        ).first()
    proposals = run_proposals(session=session, run_id=run_id) if run_id is not None else []
    outcomes: dict[int, StartupOutcome] = {}
    for p in proposals:
        outcomes.setdefault(p.startup_id, StartupOutcome(p.startup, [])).proposals.append(p)
    selected = [p for p in proposals if p.status == ProposalStatus.selected]
    chosen = {p.startup_id for p in selected}
    not_selected = sorted((o for s, o in outcomes.items() if s not in chosen),
                          key=lambda o: (not o.accepted_any, o.startup.organization.name_en, o.startup.id))
    reasons = {int(k): str(v) for k, v in ((report.data or {}).get("not_selected") or {}).items()} if report else {}
    return SelectionResult(
        run_id=run_id, selected=selected, not_selected=not_selected, reasons=reasons,
        challenges={p.challenge_id: p.challenge for p in proposals},
        decided_at=report.at if report is not None else None,
    )
