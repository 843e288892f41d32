"""One database session per request, opened on first use and closed on teardown."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.db import make_engine, session_for


def init_app(app: Flask) -> None:
    """Binds the engine to the app. The engine connects lazily, so creating it does no I/O."""
    app.extensions["engine"] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    """Returns the app's engine."""
    return current_app.extensions["engine"]


READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session() -> Session:
    """Returns this request's session, opening it on first use.

    Requests that may write (POST, PUT, PATCH, DELETE) get a writing session; see
    models.db.session_for. A view that calls a service with sessions of its own (a round
    run) commits this session first, so SQLite's single writer is free.
    """
    if "db_session" not in g:
        g.db_session = session_for(get_engine(), write=request.method not in READ_ONLY_METHODS)
    return g.db_session


def _close_session(exception: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        if exception is not None:
            session.rollback()
        session.close()
