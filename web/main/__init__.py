"""The public pages: the start page and the health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from web.main import views  # noqa: E402,F401  (registers the routes on bp)
