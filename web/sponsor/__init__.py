"""Pages for corporate sponsors: their challenges, and the startups proposed to each."""

from flask import Blueprint

bp = Blueprint("sponsor", __name__, url_prefix="/sponsor")

from web.sponsor import views  # noqa: E402,F401  (registers the routes on bp)
