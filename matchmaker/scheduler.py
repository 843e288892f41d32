"""The clock: one process that fires scheduled match rounds, with its jobs kept in the same database.

The web process never talks to the clock; it only writes Round rows. The clock syncs a
job per scheduled round from those rows (`round:<id>`, at the round's match time) every
SYNC_SECONDS, and APScheduler keeps the jobs in the `apscheduler_jobs` table so a
restart picks them up. Each firing carries a key (round and match time) that is unique
on MatchRun, so a firing delivered twice makes one run. A firing later than
MISFIRE_GRACE_SECONDS is recorded as a missed run instead of running late.
"""

from __future__ import annotations

import logging
import signal
from datetime import datetime, timezone
from typing import Optional

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from matchmaker.rounds import RoundError, run_round
from models import runs
from models.enums import RunTrigger
from models.schema import MatchRun

log = logging.getLogger("matchmaker.clock")

MISFIRE_GRACE_SECONDS = 3600
SYNC_SECONDS = 30
SYNC_JOB = "sync-rounds"

# Jobs are stored by reference ("matchmaker.scheduler:fire_round") and find the database
# here; the clock sets it at start. An engine cannot be pickled into the job store.
_engine: Optional[Engine] = None
# Firings whose run a stopped clock left unfinished; the next sync gives them one more go.
_retry: set[str] = set()


def firing_key(round_id: int, match_at: datetime) -> str:
    """Names one firing of a round: the round and the match time it was scheduled for, in UTC."""
    return f"round:{round_id}@{match_at.astimezone(timezone.utc).isoformat()}"


def fire_round(round_id: int, match_at_iso: str) -> None:
    """The job a firing runs: the round, once, under its firing key."""
    key = firing_key(round_id, datetime.fromisoformat(match_at_iso))
    try:
        run = run_round(engine=_engine, round_id=round_id, trigger=RunTrigger.scheduled, firing_key=key)
    except RoundError as exc:
        log.warning("round %s not run: %s", round_id, exc)
        return
    log.info("round %s: run %s %s (%s proposals)", round_id, run.id, run.status.value, run.n_proposals)


def sync_jobs(scheduler: BaseScheduler) -> None:
    """Makes the jobs match the scheduled rounds: one job per round at its match time, none for others."""
    with Session(_engine) as session:
        rounds = runs.scheduled_rounds(session=session)
        keys = {r.id: firing_key(r.id, r.match_at) for r in rounds}
        done = set(session.exec(select(MatchRun.firing_key).where(MatchRun.firing_key.in_(list(keys.values())))))
    wanted = {f"round:{r.id}": r for r in rounds if keys[r.id] not in done or keys[r.id] in _retry}
    for job in scheduler.get_jobs():
        if job.id.startswith("round:") and job.id not in wanted:
            job.remove()
    for job_id, round_ in wanted.items():
        args = [round_.id, round_.match_at.astimezone(timezone.utc).isoformat()]
        job = scheduler.get_job(job_id)
        if job is not None and list(job.args) == args:
            continue
        scheduler.add_job(
            fire_round, trigger="date", run_date=round_.match_at, id=job_id, args=args, replace_existing=True,
            coalesce=True, max_instances=1, misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )
        _retry.discard(keys[round_.id])
        log.info("round %s scheduled for %s", round_.id, args[1])


def _on_missed(event: JobExecutionEvent) -> None:
    if not event.job_id.startswith("round:"):
        return
    round_id = int(event.job_id.split(":", 1)[1])
    key = firing_key(round_id, event.scheduled_run_time)
    runs.record_missed(engine=_engine, round_id=round_id, firing_key=key,
                       reason=f"the clock was not running within {MISFIRE_GRACE_SECONDS // 60} minutes of the match time")
    log.warning("round %s missed its match time %s", round_id, event.scheduled_run_time.isoformat())


def build_scheduler(engine: Engine, scheduler_class: type[BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    """Builds the clock's scheduler on this database (jobs in `apscheduler_jobs`, created by a migration)."""
    global _engine
    _engine = engine
    scheduler = scheduler_class(
        # Round jobs persist in the database; the sync job is rebuilt at every start, in memory.
        jobstores={"default": SQLAlchemyJobStore(engine=engine), "memory": MemoryJobStore()},
        # Two threads: a long round never keeps the sync job from noticing new rounds.
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        timezone=timezone.utc,
    )
    scheduler.add_listener(_on_missed, EVENT_JOB_MISSED)
    return scheduler


def run_clock(engine: Engine) -> None:
    """Runs the clock until SIGTERM or SIGINT, then finishes the round in progress and stops."""
    scheduler = build_scheduler(engine)
    abandoned = runs.fail_abandoned_runs(engine=engine)
    if abandoned:
        with Session(engine) as session:
            _retry.update(k for k in session.exec(select(MatchRun.firing_key).where(MatchRun.id.in_(abandoned))) if k)
        log.warning("runs %s were cut off by a stopped clock; their rounds run again", abandoned)

    def stop(signum, _frame):
        log.info("signal %s: stopping after the current run", signum)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Sync once now, then every SYNC_SECONDS.
    scheduler.add_job(sync_jobs, trigger="interval", seconds=SYNC_SECONDS, id=SYNC_JOB, args=[scheduler],
                      jobstore="memory", next_run_time=datetime.now(timezone.utc))
    log.info("clock started")
    scheduler.start()
    log.info("clock stopped")
