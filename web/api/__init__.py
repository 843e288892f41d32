"""The JSON API under /api/v1: token authentication, the same permissions as the pages, an OpenAPI document."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from web.api import views  # noqa: E402,F401  (registers the routes on bp)
