"""Command-line entry points: `flask --app web db upgrade`, `seed`, `run-round`, `scheduler`, `select`."""

from __future__ import annotations

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
@with_appcontext
def scheduler() -> None:
    """Runs the clock process that fires scheduled match rounds."""
    fail("match rounds are not implemented yet; the clock has nothing to run")


def init_app(app: Flask) -> None:
    """Registers the commands on the app."""
    app.cli.add_command(db_cli)
    app.cli.add_command(seed)
    app.cli.add_command(scheduler)
