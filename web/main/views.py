"""The start page lists programmes, fields and counts; /healthz tells a load balancer whether the database answers."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, jsonify, render_template
from sqlalchemy.exc import SQLAlchemyError

from models import overview
from models.db import ping
from models.seed import SeedError, demo_logins
from web.database import get_session
from web.main import bp


@bp.get("/")
def index():
    programmes = overview.programme_overview(session=get_session())
    logins = []
    if current_app.config["SHOW_DEMO_LOGINS"]:
        try:
            logins = demo_logins(Path(current_app.config["FIXTURES_DIR"]))
        except SeedError:
            logins = []
    return render_template("main/index.html", programmes=programmes, demo_logins=logins)


@bp.get("/healthz")
def healthz():
    try:
        ping(get_session())
    except SQLAlchemyError as exc:
        return jsonify(status="error", database="unreachable", detail=type(exc).__name__), 503
    return jsonify(status="ok", database="ok")
