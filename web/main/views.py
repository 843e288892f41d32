"""The start page lists programmes, fields and counts; /healthz tells a load balancer whether the database answers."""

from __future__ import annotations

from flask import jsonify, render_template
from sqlalchemy.exc import SQLAlchemyError

from models import overview
from models.db import ping
from web.database import get_session
from web.main import bp


@bp.get("/")
def index():
    programmes = overview.programme_overview(session=get_session())
    return render_template("main/index.html", programmes=programmes)


@bp.get("/healthz")
def healthz():
    try:
        ping(get_session())
    except SQLAlchemyError as exc:
        return jsonify(status="error", database="unreachable", detail=type(exc).__name__), 503
    return jsonify(status="ok", database="ok")
