"""Reads and writes behind the startup pages: programme choices, interests in rank order, a startup's own proposals."""

from __future__ import annotations

from typing import Optional

import sqlmodel as sm
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel, select

from models import crud
from models.enums import ChallengeStatus, RunStatus
from models.schema import Challenge, Field, Interest, InterestCreate, MatchRun, Organization, Programme, Proposal
from models.text import Paragraphs

NOTE_MAX = 2000


class InterestNoteUpdate(SQLModel):
    """A new note on an interest: NFC, at most NOTE_MAX characters (the same rule as InterestCreate)."""

    note: Paragraphs = sm.Field(default="", max_length=NOTE_MAX)


# --- reads -----------------------------------------------------------------------------------


def programmes_with_fields(*, session: Session) -> list[Programme]:
    """Lists every programme with its fields, newest edition first (for field choices and filters)."""
    return list(session.exec(
        select(Programme).options(selectinload(Programme.fields)).order_by(Programme.year.desc(), Programme.id)
    ))


def interest_ranks(*, session: Session, startup_id: int) -> dict[int, int]:
    """Returns the startup's interests as challenge id -> rank."""
    return dict(session.exec(select(Interest.challenge_id, Interest.rank).where(Interest.startup_id == startup_id)).all())


def interests_for_startup(*, session: Session, startup_id: int) -> list[Interest]:
    """Lists the startup's interests, first choice first, with each challenge's field, programme and sponsor loaded."""
    return list(session.exec(
        select(Interest)
        .where(Interest.startup_id == startup_id)
        .options(
            selectinload(Interest.challenge).selectinload(Challenge.field).selectinload(Field.programme),
            selectinload(Interest.challenge).selectinload(Challenge.sponsor),
        )
        .order_by(Interest.rank, Interest.id)
    ))


def proposals_with_sponsors(*, session: Session, startup_id: int) -> list[Proposal]:
    """Lists the startup's proposals (crud.proposals_for_startup) with each challenge's sponsor loaded too."""
    proposals = crud.proposals_for_startup(session=session, startup_id=startup_id)
    sponsor_ids = {p.challenge.sponsor_id for p in proposals}
    if sponsor_ids:
        # One query for all sponsors, set on each challenge as if loaded with it (no query per row).
        sponsors = {o.id: o for o in session.exec(select(Organization).where(Organization.id.in_(sponsor_ids)))}
        for proposal in proposals:
            set_committed_value(proposal.challenge, "sponsor", sponsors[proposal.challenge.sponsor_id])
    return proposals


def latest_proposal(*, session: Session, startup_id: int, challenge_id: int) -> Optional[Proposal]:
    """Gets the startup's proposal for a challenge from the newest successful run that has one."""
    return session.exec(
        select(Proposal)
        .join(MatchRun, Proposal.run_id == MatchRun.id)
        .where(Proposal.startup_id == startup_id, Proposal.challenge_id == challenge_id,
               MatchRun.status == RunStatus.succeeded)
        .order_by(MatchRun.finished_at.desc(), MatchRun.id.desc())
        .limit(1)
    ).first()


# --- writes ----------------------------------------------------------------------------------


def express_interest(*, session: Session, startup_id: int, challenge_id: int, note: str = "") -> Interest:
    """Records the startup's interest in a challenge after its current ones; raises ValidationError for a bad note.

    A draft challenge answers NotFound like a missing one: startups must not learn that it
    exists. A closed challenge or a repeated interest is refused by crud.add_interest.
    """
    interest_in = InterestCreate(
        challenge_id=challenge_id, note=note, rank=crud.next_interest_rank(session=session, startup_id=startup_id)
    )
    challenge = session.get(Challenge, challenge_id)
    if challenge is None or challenge.status == ChallengeStatus.draft:
        raise crud.NotFound(f"challenge {challenge_id} does not exist")
    return crud.add_interest(session=session, startup_id=startup_id, interest_in=interest_in)


def move_interest(*, session: Session, startup_id: int, challenge_id: int, offset: int) -> list[Interest]:
    """Moves one interest up (offset < 0) or down (offset > 0) in the startup's order; the ends stay put."""
    order = [i.challenge_id for i in crud.list_interests(session=session, startup_id=startup_id)]
    if challenge_id not in order:
        raise crud.NotFound("no interest in that challenge")
    position = order.index(challenge_id)
    target = min(max(position + offset, 0), len(order) - 1)
    order.insert(target, order.pop(position))
    return crud.reorder_interests(session=session, startup_id=startup_id, challenge_ids=order)


def set_interest_note(*, session: Session, startup_id: int, challenge_id: int, note: str) -> Interest:
    """Replaces the note on one of the startup's interests; raises ValidationError for a bad note."""
    note_in = InterestNoteUpdate(note=note)
    interest = session.exec(
        select(Interest).where(Interest.startup_id == startup_id, Interest.challenge_id == challenge_id)
    ).first()
    if interest is None:
        raise crud.NotFound("no interest in that challenge")
    interest.note = note_in.note
    session.flush()
    return interest
