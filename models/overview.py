"""Read-only summaries for the start page and dashboards, each in a fixed number of queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field as dc_field

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from models.enums import ChallengeStatus, SponsorRole
from models.schema import Challenge, Field, ProfileField, Programme, ProgrammeSponsor


@dataclass
class FieldSummary:
    field: Field
    open_challenges: int
    interested_startups: int


@dataclass
class ProgrammeSummary:
    programme: Programme
    sponsors: list[ProgrammeSponsor]
    partners: list[ProgrammeSponsor]
    fields: list[FieldSummary] = dc_field(default_factory=list)

    @property
    def open_challenges(self) -> int:
        return sum(f.open_challenges for f in self.fields)


def programme_overview(*, session: Session) -> list[ProgrammeSummary]:
    """Lists every programme with its sponsors, fields and per-field counts, newest edition first."""
    programmes = session.exec(
        select(Programme)
        .options(
            selectinload(Programme.fields).selectinload(Field.participating_company),
            selectinload(Programme.sponsors).selectinload(ProgrammeSponsor.organization),
        )
        .order_by(Programme.year.desc(), Programme.id)
    ).all()
    open_counts = Counter(
        dict(
            session.exec(
                select(Challenge.field_id, func.count())
                .where(Challenge.status == ChallengeStatus.open)
                .group_by(Challenge.field_id)
            ).all()
        )
    )
    interest_counts = Counter(
        dict(session.exec(select(ProfileField.field_id, func.count()).group_by(ProfileField.field_id)).all())
    )
    summaries = []
    for programme in programmes:
        summary = ProgrammeSummary(
            programme=programme,
            sponsors=[s for s in programme.sponsors if s.role == SponsorRole.sponsor],
            partners=[s for s in programme.sponsors if s.role == SponsorRole.partner],
        )
        for f in programme.fields:
            summary.fields.append(FieldSummary(f, open_counts[f.id], interest_counts[f.id]))
        summaries.append(summary)
    return summaries
