"""Pages for programme managers: programmes, fields, rounds, runs, the dashboard, exports and the final selection."""

from flask import Blueprint

bp = Blueprint("manager", __name__, url_prefix="/manager")

from web.manager import views  # noqa: E402,F401  (registers the routes on bp)
