"""The database engine and sessions, built from DATABASE_URL."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

DEFAULT_DATABASE_URL = "sqlite:///instance/matchmaker.db"


def database_url(url: str | None = None) -> str:
    """Returns the database URL to use: the one given, else DATABASE_URL, else the SQLite default.

    Heroku-style ``postgres://`` URLs are rewritten to use the psycopg 3 driver.
    """
    url = url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Take transaction control away from the sqlite3 module, which otherwise begins
    # transactions late and breaks SAVEPOINT and transactional DDL; SQLAlchemy's
    # "begin" event below emits BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets pages read while the clock writes a run; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # A deferred transaction that read first cannot upgrade to a write once another
    # writer has committed (SQLite answers "database is locked" at once, without waiting).
    # Sessions that will write therefore ask for IMMEDIATE, which takes the write lock at
    # the start and queues behind the busy timeout; reads stay deferred so they never
    # hold up anyone. See session_for(write=True).
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Builds an engine for the URL (see `database_url`); SQLite gets WAL mode and foreign keys."""
    url = database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("check_same_thread", False)
        connect_args.setdefault("timeout", 30)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def session_for(engine: Engine, *, write: bool = False) -> Session:
    """Opens a session on the engine; objects stay readable after commit.

    write=True is for a unit of work that will write: on SQLite its transactions take the
    write lock when they begin, so a read-then-write cannot fail halfway; on PostgreSQL
    it changes nothing. Keep such sessions short: SQLite has one writer at a time.
    """
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if write else engine
    return Session(bind, expire_on_commit=False)


def ping(session: Session) -> None:
    """Runs a trivial query; raises SQLAlchemyError when the database does not answer."""
    session.execute(text("SELECT 1")).scalar_one()
