"""The clock fires each scheduled round exactly once, across SIGKILL and restart, and records what it missed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import text
from sqlalchemy.pool import NullPool
from sqlmodel import select

from matchmaker import scheduler as clock
from models import crud
from models.db import make_engine
from models.enums import RoundStatus, RunStatus
from models.schema import MatchRun, Round
from tests.conftest import ROOT


def schedule(session, *, at: datetime) -> Round:
    """Sets the small fixture set's round to match at `at` (opening and closing around it)."""
    round_ = session.exec(select(Round)).one()
    crud.update_round(
        session=session, round_=round_,
        round_in=crud.RoundUpdate(opens_at=at - timedelta(days=30), match_at=at, closes_at=at + timedelta(days=30)),
        expected_version=round_.version, actor_id=None,
    )
    session.commit()
    return round_


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def runs_of(engine, round_id):
    with engine.connect() as conn:
        return conn.execute(text("SELECT id, status FROM match_runs WHERE round_id = :r ORDER BY id"), {"r": round_id}).all()


def stored_jobs(engine):
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT id FROM apscheduler_jobs"))]


@pytest.fixture
def in_process_clock(database_url, engine):
    # An engine of the clock's own that closes each connection on release: the scheduler
    # thread's last look at the job store must not leave one open after the test.
    clock_engine = make_engine(database_url, poolclass=NullPool)
    scheduler = clock.build_scheduler(clock_engine, BackgroundScheduler)
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown(wait=True)
    clock_engine.dispose()


def test_sync_keeps_one_stored_job_per_scheduled_round_and_drops_unscheduled_ones(seeded, engine, in_process_clock):
    round_ = schedule(seeded, at=datetime.now(timezone.utc) + timedelta(hours=2))

    clock.sync_jobs(in_process_clock)
    assert stored_jobs(engine) == [f"round:{round_.id}"]
    job = in_process_clock.get_job(f"round:{round_.id}")
    assert job.next_run_time == round_.match_at and job.coalesce and job.max_instances == 1

    crud.set_round_status(session=seeded, round_=seeded.get(Round, round_.id), status=RoundStatus.draft, actor_id=None)
    seeded.commit()
    clock.sync_jobs(in_process_clock)
    assert stored_jobs(engine) == []


def test_a_round_due_longer_ago_than_the_grace_time_is_recorded_as_missed_once(seeded, engine, in_process_clock, monkeypatch):
    monkeypatch.setattr(clock, "MISFIRE_GRACE_SECONDS", 60)
    round_ = schedule(seeded, at=datetime.now(timezone.utc) - timedelta(hours=2))

    clock.sync_jobs(in_process_clock)
    in_process_clock.resume()
    wait_for(lambda: runs_of(engine, round_.id), 20, "the missed run")
    clock.sync_jobs(in_process_clock)  # a later sync must not try again
    time.sleep(1)

    (run_id, status), = runs_of(engine, round_.id)
    assert status == RunStatus.missed.value
    seeded.expire_all()
    run = seeded.get(MatchRun, run_id)
    assert run.firing_key == clock.firing_key(round_.id, round_.match_at)
    assert "not running within 1 minutes" in run.error
    assert stored_jobs(engine) == []


def start_clock(database_url, log_path):
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "web", "scheduler", "--sync-seconds", "1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )


def stop(process):
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


@pytest.mark.slow
def test_a_clock_killed_before_the_match_time_runs_the_round_once_after_restart(seeded, engine, database_url, tmp_path):
    round_ = schedule(seeded, at=datetime.now(timezone.utc) + timedelta(seconds=8))
    log = tmp_path / "clock.log"

    first = start_clock(database_url, log)
    wait_for(lambda: stored_jobs(engine), 60, "the clock to store the round's job")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    wait_for(lambda: datetime.now(timezone.utc) > round_.match_at + timedelta(seconds=1), 20, "the match time")
    assert runs_of(engine, round_.id) == []  # nothing ran while the clock was down

    second = start_clock(database_url, log)
    try:
        wait_for(lambda: any(s == "succeeded" for _, s in runs_of(engine, round_.id)), 180, "the run after restart")
        time.sleep(3)  # a few more syncs must not fire it again
    finally:
        assert stop(second) == 0, log.read_text()

    assert [s for _, s in runs_of(engine, round_.id)] == ["succeeded"]
    seeded.expire_all()
    assert seeded.get(Round, round_.id).status == RoundStatus.matched


@pytest.mark.slow
def test_a_clock_killed_during_a_run_finishes_that_firing_once_after_restart(seeded, engine, database_url, tmp_path):
    round_ = schedule(seeded, at=datetime.now(timezone.utc) + timedelta(seconds=1))
    log = tmp_path / "clock.log"

    first = start_clock(database_url, log)
    wait_for(lambda: any(s == "running" for _, s in runs_of(engine, round_.id)), 120, "the run to start")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert [s for _, s in runs_of(engine, round_.id)] == ["running"]

    second = start_clock(database_url, log)
    try:
        wait_for(lambda: any(s == "succeeded" for _, s in runs_of(engine, round_.id)), 180, "the retried run")
        time.sleep(3)
    finally:
        assert stop(second) == 0, log.read_text()

    assert [s for _, s in runs_of(engine, round_.id)] == ["succeeded"]  # the same row, retried
    seeded.expire_all()
    proposals = seeded.exec(text("SELECT COUNT(*) FROM proposals")).one()[0]
    run = seeded.exec(select(MatchRun)).one()
    assert proposals == run.n_proposals > 0
