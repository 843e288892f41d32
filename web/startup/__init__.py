"""Pages for startups: profile, suggested challenges with reasons, interests, proposal status."""

from flask import Blueprint

bp = Blueprint("startup", __name__, url_prefix="/startup")

from web.startup import views  # noqa: E402,F401  (registers the routes on bp)
