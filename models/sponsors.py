"""Reads and writes behind the sponsor pages: a sponsor's challenges with their counts, reviews, comparisons."""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import case, func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from models import crud
from models.enums import ChallengeStatus, ProposalStatus, RunStatus
from models.schema import (
    Challenge,
    Field,
    Interest,
    MatchRun,
    Programme,
    ProgrammeSponsor,
    Proposal,
    StartupProfile,
)

# Statuses of a proposal that is still on the sponsor's shortlist: the final selection ranks these.
# A rejected or declined proposal keeps the shortlist rank it had, but no longer competes.
ON_SHORTLIST = frozenset({ProposalStatus.shortlisted, ProposalStatus.invited, ProposalStatus.accepted,
                          ProposalStatus.selected})

# The review page's filters: name -> the statuses it shows. "shortlisted" is the live shortlist,
# invited and accepted ones included, the same count the list of challenges shows.
REVIEW_FILTERS: dict[str, frozenset[ProposalStatus]] = {
    "all": frozenset(ProposalStatus),
    "proposed": frozenset({ProposalStatus.proposed}),
    "shortlisted": ON_SHORTLIST,
    "rejected": frozenset({ProposalStatus.rejected}),
}

_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


# --- the list of a sponsor's challenges ------------------------------------------------------


@dataclass
class ChallengeRow:
    """One challenge with the counts of its latest successful run (all zero before any run)."""

    challenge: Challenge
    run_id: Optional[int] = None
    proposals: int = 0
    to_review: int = 0
    shortlisted: int = 0


@dataclass
class FieldGroup:
    field: Field
    rows: list[ChallengeRow] = dc_field(default_factory=list)
    # False for a field of a programme the sponsor no longer takes part in: no new challenges there.
    open_for_new: bool = True


@dataclass
class ProgrammeGroup:
    programme: Programme
    fields: list[FieldGroup] = dc_field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(f.rows) for f in self.fields)


@dataclass
class SponsorOverview:
    """A sponsor's challenges grouped by programme and field, and the programmes it takes part in."""

    programmes: list[Programme]
    groups: list[ProgrammeGroup]

    @property
    def fields(self) -> list[Field]:
        """The fields the sponsor may post in, programme by programme."""
        return [f for programme in self.programmes for f in programme.fields]

    @property
    def total(self) -> int:
        return sum(g.count for g in self.groups)


def sponsor_programmes(*, session: Session, sponsor_id: int) -> list[Programme]:
    """Lists the programmes the sponsor takes part in, with their fields, newest year first."""
    return list(session.exec(
        select(Programme)
        .join(ProgrammeSponsor, ProgrammeSponsor.programme_id == Programme.id)
        .where(ProgrammeSponsor.organization_id == sponsor_id)
        .options(selectinload(Programme.fields))
        .order_by(Programme.year.desc(), Programme.id)
    ).all())


def sponsor_field_choices(*, session: Session, sponsor_id: int) -> list[Field]:
    """Lists the fields a sponsor may post challenges in, programme by programme, in their order."""
    return [f for programme in sponsor_programmes(session=session, sponsor_id=sponsor_id) for f in programme.fields]


def _latest_counts(*, session: Session, challenge_ids: list[int]) -> dict[int, tuple[int, int, int, int]]:
    """Returns, per challenge id, (run id, proposals, to review, on the shortlist) of its latest successful run."""
    if not challenge_ids:
        return {}
    rows = session.exec(
        select(
            Proposal.challenge_id,
            Proposal.run_id,
            MatchRun.finished_at,
            func.count(),
            func.sum(case((Proposal.status == ProposalStatus.proposed, 1), else_=0)),
            func.sum(case((Proposal.status.in_(ON_SHORTLIST), 1), else_=0)),
        )
        .join(MatchRun, MatchRun.id == Proposal.run_id)
        .where(Proposal.challenge_id.in_(challenge_ids), MatchRun.status == RunStatus.succeeded)
        .group_by(Proposal.challenge_id, Proposal.run_id, MatchRun.finished_at)
    ).all()
    latest: dict[int, tuple] = {}
    for challenge_id, run_id, finished_at, total, to_review, shortlisted in rows:
        # The same order as crud.latest_run_for_challenge: newest finish, then newest run.
        key = (finished_at or _EPOCH, run_id)
        if challenge_id not in latest or key > latest[challenge_id][0]:
            latest[challenge_id] = (key, (run_id, int(total), int(to_review or 0), int(shortlisted or 0)))
    return {challenge_id: counts for challenge_id, (_, counts) in latest.items()}


def sponsor_challenges(
    *, session: Session, sponsor_id: int, status: Optional[ChallengeStatus] = None, field_id: Optional[int] = None
) -> SponsorOverview:
    """Lists a sponsor's challenges grouped by programme and field, each with its latest run's counts.

    Without filters every field of the sponsor's programmes appears, empty ones too, so the
    sponsor sees where it has posted nothing yet; with a filter only fields with matches appear.
    """
    query = (
        select(Challenge)
        .where(Challenge.sponsor_id == sponsor_id)
        .options(selectinload(Challenge.field).selectinload(Field.programme))
        .order_by(Challenge.code)
    )
    if status is not None:
        query = query.where(Challenge.status == status)
    if field_id is not None:
        query = query.where(Challenge.field_id == field_id)
    challenges = list(session.exec(query).all())
    programmes = sponsor_programmes(session=session, sponsor_id=sponsor_id)
    counts = _latest_counts(session=session, challenge_ids=[c.id for c in challenges])

    groups: dict[int, ProgrammeGroup] = {}
    by_field: dict[int, FieldGroup] = {}
    filtered = status is not None or field_id is not None
    for programme in programmes:
        group = groups[programme.id] = ProgrammeGroup(programme=programme)
        for f in programme.fields:
            if field_id is not None and f.id != field_id:
                continue
            by_field[f.id] = FieldGroup(field=f)
            group.fields.append(by_field[f.id])
    for challenge in challenges:
        fg = by_field.get(challenge.field_id)
        if fg is None:
            # A challenge left in a programme the sponsor no longer takes part in still belongs to it.
            programme = challenge.field.programme
            group = groups.setdefault(programme.id, ProgrammeGroup(programme=programme))
            fg = by_field[challenge.field_id] = FieldGroup(field=challenge.field, open_for_new=False)
            group.fields.append(fg)
        run_id, total, to_review, shortlisted = counts.get(challenge.id, (None, 0, 0, 0))
        fg.rows.append(ChallengeRow(challenge=challenge, run_id=run_id, proposals=total, to_review=to_review,
                                    shortlisted=shortlisted))

    result = []
    for group in groups.values():
        if filtered:
            group.fields = [f for f in group.fields if f.rows]
            if not group.fields:
                continue
        group.fields.sort(key=lambda f: (f.field.position, f.field.id))
        result.append(group)
    return SponsorOverview(programmes=programmes, groups=result)


# --- one challenge's review ------------------------------------------------------------------


@dataclass
class Review:
    """What a sponsor reviews for one challenge: the latest run's proposals, its shortlist, the interested startups."""

    run: Optional[MatchRun]
    proposals: list[Proposal]
    interests: list[Interest]

    @property
    def shortlist(self) -> list[Proposal]:
        """The proposals still on the shortlist, in the sponsor's order of preference."""
        live = [p for p in self.proposals if p.status in ON_SHORTLIST and p.shortlist_rank is not None]
        return sorted(live, key=lambda p: (p.shortlist_rank, p.rank, p.id))

    @property
    def counts(self) -> dict[str, int]:
        """How many proposals each filter shows."""
        return {name: sum(1 for p in self.proposals if p.status in statuses)
                for name, statuses in REVIEW_FILTERS.items()}

    def filtered(self, name: str) -> list[Proposal]:
        """Returns the proposals a filter shows, in rank order."""
        statuses = REVIEW_FILTERS.get(name, REVIEW_FILTERS["all"])
        return [p for p in self.proposals if p.status in statuses]

    @property
    def proposal_by_startup(self) -> dict[int, Proposal]:
        return {p.startup_id: p for p in self.proposals}

    @property
    def proposal_by_id(self) -> dict[int, Proposal]:
        return {p.id: p for p in self.proposals}


def challenge_review(*, session: Session, challenge_id: int) -> Review:
    """Gets the latest run's proposals of a challenge (rank order) and the startups interested in it."""
    proposals = crud.proposals_for_challenge(session=session, challenge_id=challenge_id)
    # The run was loaded by the call above, so this comes from the session without another query.
    run = session.get(MatchRun, proposals[0].run_id) if proposals else None
    interests = list(session.exec(
        select(Interest)
        .where(Interest.challenge_id == challenge_id)
        .options(selectinload(Interest.startup).selectinload(StartupProfile.organization))
        .order_by(Interest.created_at, Interest.id)
    ).all())
    return Review(run=run, proposals=proposals, interests=interests)


def set_shortlist_order(
    *, session: Session, challenge_id: int, proposal_ids: list[int], actor_id: Optional[int]
) -> list[Proposal]:
    """Sets the order of a challenge's live shortlist (latest run), first choice first, and returns it.

    proposal_ids must list every proposal still on the shortlist exactly once. Rejected and
    declined ones that were shortlisted before keep their place after the live ones, because
    the write layer orders every proposal that ever had a shortlist rank.
    """
    run = crud.latest_run_for_challenge(session=session, challenge_id=challenge_id)
    if run is None:
        raise crud.DataError("this challenge has no proposals to order yet")
    ranked = list(session.exec(
        select(Proposal)
        .where(Proposal.run_id == run.id, Proposal.challenge_id == challenge_id, Proposal.shortlist_rank.is_not(None))
        .order_by(Proposal.shortlist_rank, Proposal.id)
    ).all())
    live = {p.id: p for p in ranked if p.status in ON_SHORTLIST}
    if len(set(proposal_ids)) != len(proposal_ids) or set(proposal_ids) != set(live):
        raise crud.DataError("the new order must list every shortlisted startup exactly once")
    ordered = [live[i] for i in proposal_ids] + [p for p in ranked if p.id not in live]
    crud.reorder_shortlist(session=session, proposals=ordered, actor_id=actor_id)
    return ordered[: len(live)]


# --- comparisons and profiles ----------------------------------------------------------------


def proposals_with_details(*, session: Session, proposal_ids: list[int]) -> list[Proposal]:
    """Loads proposals with their challenge and startup (organization, fields), in the order of the ids."""
    if not proposal_ids:
        return []
    rows = session.exec(
        select(Proposal)
        .where(Proposal.id.in_(proposal_ids))
        .options(
            selectinload(Proposal.challenge).selectinload(Challenge.field).selectinload(Field.programme),
            selectinload(Proposal.startup).selectinload(StartupProfile.organization),
            selectinload(Proposal.startup).selectinload(StartupProfile.fields).selectinload(Field.programme),
            selectinload(Proposal.run),
        )
    ).all()
    by_id = {p.id: p for p in rows}
    return [by_id[i] for i in proposal_ids if i in by_id]


def profile_with_details(*, session: Session, profile_id: int) -> Optional[StartupProfile]:
    """Loads a startup profile with its organization and its fields of interest (with their programmes)."""
    return session.exec(
        select(StartupProfile)
        .where(StartupProfile.id == profile_id)
        .options(
            selectinload(StartupProfile.organization),
            selectinload(StartupProfile.fields).selectinload(Field.programme),
        )
    ).first()


@dataclass
class Relation:
    """How a startup relates to one of the sponsor's challenges: its proposal in the latest run, its interest."""

    challenge: Challenge
    proposal: Optional[Proposal] = None
    interest: Optional[Interest] = None


def relations_to_sponsor(*, session: Session, sponsor_id: int, profile_id: int) -> list[Relation]:
    """Lists the sponsor's challenges a startup was proposed for (latest run of each) or is interested in."""
    proposals = session.exec(
        select(Proposal)
        .join(MatchRun, MatchRun.id == Proposal.run_id)
        .join(Challenge, Challenge.id == Proposal.challenge_id)
        .where(Proposal.startup_id == profile_id, Challenge.sponsor_id == sponsor_id,
               MatchRun.status == RunStatus.succeeded)
        .options(selectinload(Proposal.challenge), selectinload(Proposal.run))
    ).all()
    interests = session.exec(
        select(Interest)
        .join(Challenge, Challenge.id == Interest.challenge_id)
        .where(Interest.startup_id == profile_id, Challenge.sponsor_id == sponsor_id)
        .options(selectinload(Interest.challenge))
    ).all()
    relations: dict[int, Relation] = {}
    for proposal in proposals:
        relation = relations.setdefault(proposal.challenge_id, Relation(challenge=proposal.challenge))
        current = relation.proposal
        key = (proposal.run.finished_at or _EPOCH, proposal.run_id)
        if current is None or key > (current.run.finished_at or _EPOCH, current.run_id):
            relation.proposal = proposal
    for interest in interests:
        relations.setdefault(interest.challenge_id, Relation(challenge=interest.challenge)).interest = interest
    return sorted(relations.values(), key=lambda r: r.challenge.code)
