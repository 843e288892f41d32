"""Account pages every signed-in user has: personal API tokens."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from web.account import views  # noqa: E402,F401  (registers the routes on bp)
