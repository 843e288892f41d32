"""Data access for match runs: a round's inputs, the embedding cache table, and writing a run's results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping, Optional, Sequence

import numpy as np
from sqlalchemy import insert, select as sa_select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import Session, select

from models.crud import record_event
from models.db import session_for
from models.enums import ChallengeStatus, ProposalStatus, RoundStatus, RunStatus, RunTrigger
from models.schema import (
    Challenge,
    Embedding,
    Field,
    Interest,
    MatchRun,
    ProfileField,
    Programme,
    Proposal,
    Round,
    RoundField,
    StartupProfile,
)
from models.types import utcnow


# --- inputs ----------------------------------------------------------------------------------


def load_round(*, session: Session, round_id: int) -> Optional[Round]:
    """Gets a round with its programme and fields."""
    return session.exec(
        select(Round).where(Round.id == round_id)
        .options(selectinload(Round.fields).selectinload(Field.programme), selectinload(Round.programme))
    ).first()


def open_challenges(
    *, session: Session, field_ids: Optional[Iterable[int]] = None, programme_id: Optional[int] = None
) -> list[Challenge]:
    """Lists open challenges (optionally of some fields or one programme) with field, programme and sponsor loaded."""
    query = (
        select(Challenge).where(Challenge.status == ChallengeStatus.open)
        .options(selectinload(Challenge.field).selectinload(Field.programme), selectinload(Challenge.sponsor))
        .order_by(Challenge.id)
    )
    if field_ids is not None:
        query = query.where(Challenge.field_id.in_(list(field_ids)))
    if programme_id is not None:
        query = query.join(Field, Challenge.field_id == Field.id).where(Field.programme_id == programme_id)
    return list(session.exec(query))


def all_profiles(*, session: Session) -> list[StartupProfile]:
    """Lists every startup profile with its organization and fields of interest."""
    return list(session.exec(
        select(StartupProfile)
        .options(selectinload(StartupProfile.organization),
                 selectinload(StartupProfile.fields).selectinload(Field.programme))
        .order_by(StartupProfile.id)
    ))


def rejected_pairs(*, session: Session, challenge_ids: Optional[Iterable[int]] = None,
                   startup_id: Optional[int] = None) -> set[tuple[int, int]]:
    """Returns every (challenge id, startup id) a sponsor has ever rejected, in any run."""
    query = select(Proposal.challenge_id, Proposal.startup_id).where(Proposal.status == ProposalStatus.rejected)
    if challenge_ids is not None:
        query = query.where(Proposal.challenge_id.in_(list(challenge_ids)))
    if startup_id is not None:
        query = query.where(Proposal.startup_id == startup_id)
    return {(c, s) for c, s in session.exec(query)}


def latest_successful_run(*, session: Session, round_id: int) -> Optional[MatchRun]:
    """Returns the round's newest successful run."""
    return session.exec(
        select(MatchRun).where(MatchRun.round_id == round_id, MatchRun.status == RunStatus.succeeded)
        .order_by(MatchRun.finished_at.desc(), MatchRun.id.desc()).limit(1)
    ).first()


@dataclass(frozen=True)
class Decision:
    """A sponsor's or startup's decision on a pair, carried into a re-run of the same round."""

    status: ProposalStatus
    shortlist_rank: Optional[int]
    reason: Optional[str]
    status_changed_at: Optional[datetime]


def decisions_of_run(*, session: Session, run_id: int) -> dict[tuple[int, int], Decision]:
    """Returns the decisions made on a run's proposals (every status but 'proposed'), by (challenge, startup)."""
    rows = session.exec(select(Proposal).where(Proposal.run_id == run_id, Proposal.status != ProposalStatus.proposed))
    return {
        (p.challenge_id, p.startup_id): Decision(p.status, p.shortlist_rank, p.reason, p.status_changed_at)
        for p in rows
    }


# --- runs --------------------------------------------------------------------------------------


def start_run(
    *, engine: Engine, round_id: int, trigger: RunTrigger, firing_key: Optional[str], triggered_by_id: Optional[int]
) -> tuple[MatchRun, bool]:
    """Creates the run row and commits it at once; returns (run, created).

    A firing key is unique in the database: when the same scheduled firing arrives twice
    the second insert is refused and the existing run is returned with created=False. A
    firing whose earlier attempt failed or was cut off is retried in the same row.
    """
    with session_for(engine, write=True) as session:
        run = MatchRun(round_id=round_id, trigger=trigger, firing_key=firing_key, triggered_by_id=triggered_by_id)
        session.add(run)
        try:
            session.commit()
            return run, True
        except IntegrityError:
            session.rollback()
        existing = session.exec(select(MatchRun).where(MatchRun.firing_key == firing_key)).one()
        if existing.status != RunStatus.failed:
            return existing, False
        # Claim the failed attempt for a retry; the status condition lets one caller win.
        claimed = session.execute(
            update(MatchRun).where(MatchRun.id == existing.id, MatchRun.status == RunStatus.failed)
            .values(status=RunStatus.running, error=None, started_at=utcnow(), finished_at=None)
        ).rowcount
        session.commit()
        session.refresh(existing)
        return existing, bool(claimed)


def fail_run(*, engine: Engine, run_id: int, error: str, status: RunStatus = RunStatus.failed) -> None:
    """Marks a run failed (or missed) with its reason, in a transaction of its own."""
    with session_for(engine, write=True) as session:
        run = session.get(MatchRun, run_id)
        run.status = status
        run.error = error[:4000]
        run.finished_at = utcnow()
        session.commit()


def fail_abandoned_runs(*, engine: Engine) -> list[int]:
    """Marks runs left 'running' by a stopped clock as failed, so their firings can be retried; returns their ids."""
    with session_for(engine, write=True) as session:
        ids = list(session.exec(select(MatchRun.id).where(
            MatchRun.status == RunStatus.running, MatchRun.trigger == RunTrigger.scheduled)))
        if ids:
            session.execute(update(MatchRun).where(MatchRun.id.in_(ids)).values(
                status=RunStatus.failed, error="the clock stopped during this run", finished_at=utcnow()))
            session.commit()
        return ids


@dataclass(frozen=True)
class NewProposal:
    challenge_id: int
    startup_id: int
    score: float
    components: dict
    rank: int
    explanation: dict


def finish_run(
    *,
    engine: Engine,
    run_id: int,
    proposals: Sequence[NewProposal],
    summary: Mapping[str, object],
    carry_over: Mapping[tuple[int, int], Decision],
) -> MatchRun:
    """Writes a run's proposals, its summary and the round's new status in one transaction.

    Decisions made on the same pair in the round's previous run are carried over, so a
    re-run does not undo a sponsor's shortlist.
    """
    now = utcnow()
    rows = []
    for p in proposals:
        decision = carry_over.get((p.challenge_id, p.startup_id))
        rows.append({
            "run_id": run_id, "challenge_id": p.challenge_id, "startup_id": p.startup_id, "score": p.score,
            "components": p.components, "rank": p.rank, "explanation": p.explanation, "created_at": now,
            "status": decision.status if decision else ProposalStatus.proposed,
            "shortlist_rank": decision.shortlist_rank if decision else None,
            "reason": decision.reason if decision else None,
            "status_changed_at": decision.status_changed_at if decision else None,
        })
    with session_for(engine, write=True) as session:
        run = session.get(MatchRun, run_id)
        # One multi-row INSERT per batch: thousands of proposals without an object each.
        for start in range(0, len(rows), 1000):
            session.execute(insert(Proposal), rows[start : start + 1000])
        for key, value in summary.items():
            setattr(run, key, value)
        run.n_proposals = len(proposals)
        run.status = RunStatus.succeeded
        run.finished_at = utcnow()
        round_ = session.get(Round, run.round_id)
        if round_.status == RoundStatus.scheduled:
            round_.status = RoundStatus.matched
            round_.version += 1
        record_event(session=session, entity="run", entity_id=run_id, action="succeeded",
                     actor_id=run.triggered_by_id, data={"proposals": len(proposals)})
        session.commit()
        return run


def record_missed(*, engine: Engine, round_id: int, firing_key: str, reason: str) -> None:
    """Records a scheduled firing the clock could not run in time as a missed run (once per firing)."""
    with session_for(engine, write=True) as session:
        session.add(MatchRun(round_id=round_id, trigger=RunTrigger.scheduled, firing_key=firing_key,
                             status=RunStatus.missed, error=reason, finished_at=utcnow()))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()


def scheduled_rounds(*, session: Session) -> list[Round]:
    """Lists rounds waiting for their match time."""
    return list(session.exec(select(Round).where(Round.status == RoundStatus.scheduled).order_by(Round.id)))


# --- final selection inputs --------------------------------------------------------------------


def accepted_proposals(*, session: Session, run_id: int) -> list[Proposal]:
    """Lists a run's accepted proposals with their challenges (and programmes) loaded."""
    return list(session.exec(
        select(Proposal).where(Proposal.run_id == run_id, Proposal.status == ProposalStatus.accepted)
        .options(selectinload(Proposal.challenge).selectinload(Challenge.field).selectinload(Field.programme))
        .order_by(Proposal.challenge_id, Proposal.shortlist_rank, Proposal.rank)
    ))


def interests_of(*, session: Session, startup_ids: Iterable[int]) -> dict[int, list[int]]:
    """Returns each startup's interests as challenge ids, first choice first."""
    out: dict[int, list[int]] = {}
    rows = session.exec(select(Interest).where(Interest.startup_id.in_(list(startup_ids)))
                        .order_by(Interest.startup_id, Interest.rank, Interest.id))
    for interest in rows:
        out.setdefault(interest.startup_id, []).append(interest.challenge_id)
    return out


# --- the embedding cache table ------------------------------------------------------------------


class DatabaseEmbeddingCache:
    """The embedding cache in the `embeddings` table; reads and writes use short transactions of their own."""

    CHUNK = 500

    def __init__(self, engine: Engine):
        self.engine = engine

    def get_many(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        hashes = list(hashes)
        with self.engine.connect() as conn:
            for start in range(0, len(hashes), self.CHUNK):
                chunk = hashes[start : start + self.CHUNK]
                rows = conn.execute(
                    sa_select(Embedding.content_hash, Embedding.vector)
                    .where(Embedding.model_id == model_id, Embedding.content_hash.in_(chunk))
                )
                for content_hash, vector in rows:
                    found[content_hash] = np.frombuffer(vector, dtype="<f4").copy()
        return found

    def put_many(self, model_id: str, vectors: Mapping[str, np.ndarray]) -> None:
        if not vectors:
            return
        now = utcnow()
        rows = [
            {"model_id": model_id, "content_hash": h, "dim": int(v.shape[0]),
             "vector": np.asarray(v, dtype="<f4").tobytes(), "created_at": now}
            for h, v in vectors.items()
        ]
        dialect = self.engine.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        with self.engine.execution_options(sqlite_begin="IMMEDIATE").begin() as conn:
            for start in range(0, len(rows), self.CHUNK):
                # Two processes may embed the same text at once; the first row wins, both are equal.
                conn.execute(insert(Embedding).values(rows[start : start + self.CHUNK]).on_conflict_do_nothing())

    def count(self) -> int:
        """Returns how many vectors the table holds."""
        from sqlalchemy import func

        with self.engine.connect() as conn:
            return conn.execute(sa_select(func.count()).select_from(Embedding)).scalar_one()


def programme_capacity(*, session: Session, programme_ids: Iterable[int]) -> dict[int, int]:
    """Returns each programme's selection target (0: no limit)."""
    return {p.id: p.selection_target for p in session.exec(select(Programme).where(Programme.id.in_(list(programme_ids))))}


def round_field_ids(*, session: Session, round_id: int) -> list[int]:
    """Returns the ids of the fields a round matches."""
    return list(session.exec(select(RoundField.field_id).where(RoundField.round_id == round_id)))


def open_challenges_fingerprint(*, session: Session) -> tuple:
    """Returns what changes whenever the set or text of open challenges does: (count, sum of versions, last update)."""
    from sqlalchemy import func

    return tuple(session.exec(
        select(func.count(), func.coalesce(func.sum(Challenge.version), 0), func.max(Challenge.updated_at))
        .where(Challenge.status == ChallengeStatus.open)
    ).one())


def challenges_by_ids(*, session: Session, ids: Sequence[int]) -> dict[int, Challenge]:
    """Gets challenges by id with field, programme and sponsor loaded, in one query (each is many-to-one)."""
    rows = session.exec(
        select(Challenge).where(Challenge.id.in_(list(ids)))
        .options(joinedload(Challenge.field).joinedload(Field.programme), joinedload(Challenge.sponsor))
    )
    return {c.id: c for c in rows.unique()}


# --- round inputs as plain rows (a round reads every profile: no ORM object per row) -------------


def challenge_records(
    *, session: Session, field_ids: Optional[Iterable[int]] = None, programme_id: Optional[int] = None
) -> list[dict]:
    """Lists open challenges as plain dicts: the document's inputs plus id, code, field_id and programme_id."""
    from models.schema import Organization

    query = (
        sa_select(Challenge.id, Challenge.code, Challenge.title, Challenge.description, Challenge.requirements,
                  Challenge.tags, Challenge.language, Challenge.field_id, Field.programme_id, Field.slug,
                  Programme.slug.label("programme_slug"), Organization.slug.label("sponsor_slug"))
        .join(Field, Challenge.field_id == Field.id)
        .join(Programme, Field.programme_id == Programme.id)
        .join(Organization, Challenge.sponsor_id == Organization.id)
        .where(Challenge.status == ChallengeStatus.open)
        .order_by(Challenge.id)
    )
    if field_ids is not None:
        query = query.where(Challenge.field_id.in_(list(field_ids)))
    if programme_id is not None:
        query = query.where(Field.programme_id == programme_id)
    return [
        {"id": r.id, "code": r.code, "title": r.title, "description": r.description, "requirements": r.requirements,
         "tags": list(r.tags or []), "language": r.language.value if r.language else None,
         "field": f"{r.programme_slug}/{r.slug}", "sponsor": r.sponsor_slug, "field_id": r.field_id,
         "programme_id": r.programme_id}
        for r in session.execute(query)
    ]


def profile_records(*, session: Session) -> list[dict]:
    """Lists every startup profile as a plain dict: the document's inputs plus id."""
    from models.schema import Organization

    fields: dict[int, list[str]] = {}
    for profile_id, programme_slug, field_slug in session.execute(
        sa_select(ProfileField.profile_id, Programme.slug, Field.slug)
        .join(Field, ProfileField.field_id == Field.id)
        .join(Programme, Field.programme_id == Programme.id)
        .order_by(ProfileField.profile_id, Field.id)
    ):
        fields.setdefault(profile_id, []).append(f"{programme_slug}/{field_slug}")
    rows = session.execute(
        sa_select(StartupProfile.id, Organization.name_en, Organization.name_ko, StartupProfile.summary,
                  StartupProfile.description, StartupProfile.technologies, StartupProfile.language,
                  StartupProfile.stage, StartupProfile.founded_year)
        .join(Organization, StartupProfile.organization_id == Organization.id)
        .order_by(StartupProfile.id)
    )
    return [
        {"id": r.id, "name": r.name_en or r.name_ko, "summary": r.summary, "description": r.description,
         "technologies": list(r.technologies or []), "language": r.language.value if r.language else None,
         "stage": r.stage.value if r.stage else None, "founded": r.founded_year, "fields": fields.get(r.id, [])}
        for r in rows
    ]
