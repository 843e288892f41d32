"""Read queries behind the JSON API's lists: filtered, paginated, each page in a fixed number of queries."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from models.enums import ChallengeStatus, RoundStatus
from models.schema import Challenge, Field, MatchRun, Round


def page_challenges(
    *,
    session: Session,
    offset: int,
    limit: int,
    sponsor_id: Optional[int] = None,
    only_open: bool = False,
    status: Optional[ChallengeStatus] = None,
    field_id: Optional[int] = None,
    programme_id: Optional[int] = None,
) -> tuple[list[Challenge], int]:
    """Lists one page of challenges in id order and counts all that match; field and sponsor are loaded."""
    # sponsor_id and only_open express who is asking (a sponsor, a startup); the rest are the caller's filters.
    conditions = []
    if sponsor_id is not None:
        conditions.append(Challenge.sponsor_id == sponsor_id)
    if only_open:
        conditions.append(Challenge.status == ChallengeStatus.open)
    if status is not None:
        conditions.append(Challenge.status == status)
    if field_id is not None:
        conditions.append(Challenge.field_id == field_id)
    if programme_id is not None:
        conditions.append(Challenge.field_id.in_(select(Field.id).where(Field.programme_id == programme_id)))
    total = session.exec(select(func.count()).select_from(Challenge).where(*conditions)).one()
    rows = session.exec(
        select(Challenge)
        .where(*conditions)
        .options(selectinload(Challenge.field), selectinload(Challenge.sponsor))
        .order_by(Challenge.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def page_rounds(
    *,
    session: Session,
    offset: int,
    limit: int,
    status: Optional[RoundStatus] = None,
    programme_id: Optional[int] = None,
) -> tuple[list[Round], int]:
    """Lists one page of rounds, latest match time first, and counts all that match; fields are loaded."""
    conditions = []
    if status is not None:
        conditions.append(Round.status == status)
    if programme_id is not None:
        conditions.append(Round.programme_id == programme_id)
    total = session.exec(select(func.count()).select_from(Round).where(*conditions)).one()
    rows = session.exec(
        select(Round)
        .where(*conditions)
        .options(selectinload(Round.fields))
        .order_by(Round.match_at.desc(), Round.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def page_runs(*, session: Session, round_id: int, offset: int, limit: int) -> tuple[list[MatchRun], int]:
    """Lists one page of a round's runs, newest first, and counts them all."""
    total = session.exec(select(func.count()).select_from(MatchRun).where(MatchRun.round_id == round_id)).one()
    rows = session.exec(
        select(MatchRun)
        .where(MatchRun.round_id == round_id)
        .order_by(MatchRun.started_at.desc(), MatchRun.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total
