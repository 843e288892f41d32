"""Command-line entry points: `flask --app web db upgrade`, `seed`, `run-round`, `scheduler`, `select`.

Each exits non-zero with one line on stderr when it cannot do what was asked.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from models import migrate
from models.db import session_for
from models.seed import SeedError, load_fixtures
from web.database import get_engine

db_cli = AppGroup("db", help="Manage the database schema (Alembic migrations).")


def _url() -> str:
    return current_app.config["DATABASE_URL"]


def fail(message: str, code: int = 1) -> None:
    """Prints one line on stderr and exits with the code."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


def require_migrated() -> None:
    """Stops with a clear message when the database is not at the newest schema."""
    current, head = migrate.current_revision(_url()), migrate.head_revision()
    if current != head:
        fail(f"the database schema is at {current or 'nothing'}, the code needs {head}: run `flask --app web db upgrade`")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Brings the database schema up to date (the release step)."""
    migrate.upgrade(_url(), revision)
    click.echo(f"database at revision {migrate.current_revision(_url())}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Takes the database schema back to REVISION ('base' for empty)."""
    migrate.downgrade(_url(), revision)
    click.echo(f"database at revision {migrate.current_revision(_url()) or 'base'}")


@db_cli.command("current")
def db_current() -> None:
    """Prints the revision the database is at and the newest one the code knows."""
    click.echo(f"database: {migrate.current_revision(_url()) or 'base'}; code: {migrate.head_revision()}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@click.option("--empty", is_flag=True, help="Write an empty migration instead of comparing with the models.")
def db_revision(message: str, empty: bool) -> None:
    """Writes a new migration from the difference between the models and the database."""
    migrate.revision(message, _url(), autogenerate=not empty)


@click.command("seed")
@with_appcontext
@click.option(
    "--fixtures",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Fixtures folder (default: FIXTURES_DIR, fixtures/demo).",
)
def seed(folder: Path | None) -> None:
    """Loads the demo fixtures; rows that exist already are kept, so a second run changes nothing."""
    folder = folder or Path(current_app.config["FIXTURES_DIR"])
    if not folder.is_dir():
        fail(f"{folder}: no such fixtures folder")
    require_migrated()
    with session_for(get_engine()) as session:
        try:
            report = load_fixtures(session=session, folder=folder)
        except SeedError as exc:
            fail(f"{exc} (nothing was written)")
    created = ", ".join(f"{n} {table}" for table, n in report.created.items()) or "nothing"
    click.echo(f"seeded from {folder}: created {created}; {sum(report.kept.values())} rows were there already")


@click.command("scheduler")
@click.option("--sync-seconds", type=click.IntRange(1, 3600), default=None,
              help="How often to read the scheduled rounds (default 30).")
@click.option("--grace-seconds", type=click.IntRange(1, 7 * 86400), default=None,
              help="How late a round may still run after its match time (default 3600); later it is recorded as missed.")
@with_appcontext
def scheduler(sync_seconds: int | None, grace_seconds: int | None) -> None:
    """Runs the clock: fires scheduled match rounds at their match time (one instance only; stops on SIGTERM)."""
    import logging

    from matchmaker import scheduler as clock

    require_migrated()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if sync_seconds:
        clock.SYNC_SECONDS = sync_seconds
    if grace_seconds:
        clock.MISFIRE_GRACE_SECONDS = grace_seconds
    clock.run_clock(get_engine())


def _round_ids(session, ids: tuple[int, ...], scheduled: bool) -> list[int]:
    from models import runs

    if scheduled:
        found = [r.id for r in runs.scheduled_rounds(session=session)]
        if not found:
            # Nothing due is not an error: the demo command runs this on every start.
            click.echo("no round is scheduled; nothing to run", err=True)
        return found
    if not ids:
        fail("name a ROUND_ID (or use --scheduled)", code=2)
    return list(ids)


@click.command("run-round")
@click.argument("round_ids", nargs=-1, type=int)
@click.option("--scheduled", is_flag=True,
              help="Run every scheduled round now; with none scheduled, say so and succeed (the demo uses this).")
@with_appcontext
def run_round_command(round_ids: tuple[int, ...], scheduled: bool) -> None:
    """Runs match rounds now (a manual run: earlier runs are kept)."""
    from tqdm import tqdm

    from matchmaker.rounds import RoundError, run_round

    require_migrated()
    with session_for(get_engine()) as session:
        ids = _round_ids(session, round_ids, scheduled)
    for round_id in ids:
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            bar = bars.get(stage)
            if bar is None:
                bar = bars[stage] = tqdm(total=total, desc=f"round {round_id}: {stage}", unit="text", file=sys.stderr,
                                         delay=0.5)
            bar.update(done - bar.n)

        try:
            run = run_round(engine=get_engine(), round_id=round_id, progress=progress)
        except RoundError as exc:
            fail(str(exc))
        finally:
            for bar in bars.values():
                bar.close()
        if run.status.value != "succeeded":
            fail(f"round {round_id}: run {run.id} {run.status.value}: {run.error}")
        click.echo(f"round {round_id}: run {run.id} proposed {run.n_proposals} pairs for {run.n_challenges} challenges "
                   f"from {run.n_startups} startups in {run.timings.get('total', 0):.1f} s")
        for line in run.params.get("binding", [])[:10]:
            click.echo(f"  note: {line}")


@click.command("select")
@click.argument("round_id", type=int)
@with_appcontext
def select_command(round_id: int) -> None:
    """Makes the final selection of a closed round (stable matching over shortlists and interests)."""
    from matchmaker.rounds import RoundError, select_round

    require_migrated()
    try:
        report = select_round(engine=get_engine(), round_id=round_id, actor_id=None)
    except RoundError as exc:
        fail(str(exc))
    click.echo(f"round {round_id}: selected {len(report.selected)} startups from run {report.run_id}")
    for startup_id, why in sorted(report.not_selected.items()):
        click.echo(f"  startup {startup_id} not selected: {why}")


def init_app(app: Flask) -> None:
    """Registers the commands on the app."""
    app.cli.add_command(db_cli)
    app.cli.add_command(seed)
    app.cli.add_command(scheduler)
    app.cli.add_command(run_round_command)
    app.cli.add_command(select_command)
