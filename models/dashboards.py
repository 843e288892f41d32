"""Reads for the programme office (dashboard, rounds, runs, exports) and the programme/field edits crud lacks.

Every function here takes a fixed number of queries, whatever the size of the programme.
Writes go through `models.crud` (plus the two update functions below, written in its style).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field as dc_field
from datetime import datetime
from typing import Iterable, Optional

import sqlmodel as sm
from sqlalchemy import func, update
from sqlalchemy.orm import selectinload
from sqlmodel import Session, SQLModel, select

from models import crud
from models.enums import ChallengeStatus, OrganizationKind, ProposalStatus, RunStatus, SponsorRole
from models.schema import (
    NAME_MAX,
    DESCRIPTION_MAX,
    Challenge,
    Event,
    Field,
    FieldCreate,
    Interest,
    MatchRun,
    Organization,
    ProfileField,
    Programme,
    ProgrammeCreate,
    ProgrammeSponsor,
    ProgrammeUpdate,
    Proposal,
    Round,
    RoundCreate,
    StartupProfile,
    User,
)
from models.text import Line, Paragraphs
from models.types import utcnow


# --- shapes the schema does not have yet ------------------------------------------------------


class ProgrammeEdit(ProgrammeUpdate):
    """ProgrammeUpdate plus the edition names and the year, which a programme office also corrects."""

    edition_ko: Optional[Line] = sm.Field(default=None, min_length=1, max_length=NAME_MAX)
    edition_en: Optional[Line] = sm.Field(default=None, min_length=1, max_length=NAME_MAX)
    year: Optional[int] = sm.Field(default=None, ge=2000, le=2100)


class FieldEdit(SQLModel):
    """The parts of a field that may change after creation (its slug is its stable key and does not)."""

    name_ko: Optional[Line] = sm.Field(default=None, min_length=1, max_length=NAME_MAX)
    name_en: Optional[Line] = sm.Field(default=None, min_length=1, max_length=NAME_MAX)
    description_ko: Optional[Paragraphs] = sm.Field(default=None, max_length=DESCRIPTION_MAX)
    description_en: Optional[Paragraphs] = sm.Field(default=None, max_length=DESCRIPTION_MAX)
    position: Optional[int] = sm.Field(default=None, ge=0)
    participating_company_id: Optional[int] = None


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


class StaleEdit(crud.Conflict):
    """Someone saved the programme or field after the editor loaded it."""


def _compare_and_set(*, session: Session, table, row, expected: dict, changes: dict) -> None:
    """Writes changes only if the row still holds the expected values, in one conditional UPDATE."""
    conditions = [table.id == row.id] + [getattr(table, name) == value for name, value in expected.items()]
    result = session.execute(update(table).where(*conditions).values(**changes))
    if result.rowcount != 1:
        session.rollback()
        raise StaleEdit(f"this {table.__name__.lower()} was changed by someone else while you were saving")
    session.refresh(row)


def programme_stamp(programme: Programme) -> str:
    """Returns the token an edit form carries to notice a newer save: the programme's last update time."""
    return programme.updated_at.isoformat()


def update_programme(
    *, session: Session, programme: Programme, programme_in: ProgrammeEdit, expected_stamp: str, actor_id: Optional[int]
) -> Programme:
    """Edits a programme if nobody saved it since the editor loaded it (see `programme_stamp`)."""
    if expected_stamp != programme_stamp(programme):
        raise StaleEdit("this programme was changed by someone else after you opened it")
    changes = programme_in.model_dump(exclude_unset=True)
    changed = {k: v for k, v in changes.items() if getattr(programme, k) != v}
    if not changed:
        return programme
    _compare_and_set(session=session, table=Programme, row=programme,
                     expected={"updated_at": programme.updated_at}, changes={**changed, "updated_at": utcnow()})
    crud.record_event(session=session, entity="programme", entity_id=programme.id, action="updated",
                      actor_id=actor_id, data={"fields": sorted(changed)})
    return programme


_FIELD_EDITABLE = ("name_ko", "name_en", "description_ko", "description_en", "position", "participating_company_id")


def field_stamp(field: Field) -> str:
    """Returns the token a field's edit form carries: a digest of its editable values (fields keep no version)."""
    values = json.dumps([getattr(field, name) for name in _FIELD_EDITABLE], ensure_ascii=False)
    return hashlib.sha256(values.encode("utf-8")).hexdigest()[:32]


def _check_participant(*, session: Session, organization_id: Optional[int]) -> None:
    if organization_id is None:
        return
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise crud.NotFound(f"organization {organization_id} does not exist")
    if organization.kind not in (OrganizationKind.sponsor, OrganizationKind.partner):
        raise crud.DataError("a participating company must be a sponsor or partner organization")


class SlugTaken(crud.DataError):
    """Another field of the programme has this slug."""


def add_field(*, session: Session, field_in: FieldCreate, actor_id: Optional[int]) -> Field:
    """Creates a field in a programme; its slug must be new within the programme."""
    taken = session.exec(
        select(Field.id).where(Field.programme_id == field_in.programme_id, Field.slug == field_in.slug)
    ).first()
    if taken is not None:
        raise SlugTaken(f"the programme has a field with slug '{field_in.slug}' already")
    _check_participant(session=session, organization_id=field_in.participating_company_id)
    field = crud.create_field(session=session, field_in=field_in)
    crud.record_event(session=session, entity="field", entity_id=field.id, action="created", actor_id=actor_id,
                      data={"programme_id": field.programme_id, "slug": field.slug})
    return field


def next_field_position(*, session: Session, programme_id: int) -> int:
    """Returns the position a new field gets: after the programme's last field."""
    current = session.exec(select(func.max(Field.position)).where(Field.programme_id == programme_id)).one()
    return 0 if current is None else current + 1


def update_field(
    *, session: Session, field: Field, field_in: FieldEdit, expected_stamp: str, actor_id: Optional[int]
) -> Field:
    """Edits a field if nobody saved it since the editor loaded it (see `field_stamp`)."""
    if expected_stamp != field_stamp(field):
        raise StaleEdit("this field was changed by someone else after you opened it")
    changes = field_in.model_dump(exclude_unset=True)
    if "participating_company_id" in changes:
        _check_participant(session=session, organization_id=changes["participating_company_id"])
    changed = {k: v for k, v in changes.items() if getattr(field, k) != v}
    if not changed:
        return field
    expected = {name: getattr(field, name) for name in changed}
    _compare_and_set(session=session, table=Field, row=field, expected=expected, changes=changed)
    session.refresh(field, ["participating_company"])
    crud.record_event(session=session, entity="field", entity_id=field.id, action="updated", actor_id=actor_id,
                      data={"fields": sorted(changed)})
    return field


def add_sponsor(
    *, session: Session, programme_id: int, organization_id: int, role: SponsorRole,
    contribution_ko: str = "", contribution_en: str = "", actor_id: Optional[int],
) -> ProgrammeSponsor:
    """Adds a sponsor (it poses challenges; must be a sponsor organization) or a partner to a programme, once."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise crud.NotFound(f"organization {organization_id} does not exist")
    if role == SponsorRole.sponsor and organization.kind != OrganizationKind.sponsor:
        raise crud.DataError("only a sponsor organization can pose challenges as a programme's sponsor")
    if organization.kind not in (OrganizationKind.sponsor, OrganizationKind.partner):
        raise crud.DataError("only sponsor and partner organizations take part in a programme")
    if session.get(ProgrammeSponsor, (programme_id, organization_id)) is not None:
        raise crud.DataError(f"'{organization.slug}' takes part in this programme already")
    link = ProgrammeSponsor.model_validate({
        "programme_id": programme_id, "organization_id": organization_id, "role": role,
        "contribution_ko": contribution_ko, "contribution_en": contribution_en,
    })
    crud.add_programme_sponsor(session=session, link=link)
    crud.record_event(session=session, entity="programme", entity_id=programme_id, action="sponsor.added",
                      actor_id=actor_id, data={"organization_id": organization_id, "role": role.value})
    return link


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


# --- creation with an audit line -------------------------------------------------------------


def create_programme(*, session: Session, programme_in: ProgrammeCreate, actor_id: Optional[int]) -> Programme:
    """Creates a programme and notes who did."""
    programme = crud.create_programme(session=session, programme_in=programme_in)
    crud.record_event(session=session, entity="programme", entity_id=programme.id, action="created",
                      actor_id=actor_id, data={"slug": programme.slug})
    return programme


def create_round(*, session: Session, round_in: RoundCreate, actor_id: Optional[int]) -> Round:
    """Creates a round and notes who did."""
    round_ = crud.create_round(session=session, round_in=round_in, created_by_id=actor_id)
    crud.record_event(session=session, entity="round", entity_id=round_.id, action="created", actor_id=actor_id,
                      data={"programme_id": round_.programme_id})
    return round_


# --- the final selection ---------------------------------------------------------------------

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
