"""Error responses: JSON for the API, a page for everything else; the request's session is rolled back first."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from models import crud

log = logging.getLogger(__name__)


# Page titles and a plain explanation per status, in the reader's language.
TITLES = {
    400: _l("Bad request"), 401: _l("Sign in needed"), 403: _l("Not allowed"), 404: _l("Not found"),
    405: _l("Not allowed"), 409: _l("Changed by someone else"), 413: _l("Too large"), 422: _l("Not accepted"),
    429: _l("Too many attempts"), 500: _l("Server error"),
}
HINTS = {
    403: _l("Your account may not do this here."),
    404: _l("There is nothing here, or it is not yours to see."),
    409: _l("Someone saved a newer version first. Reload to see it; your own text is kept in the form."),
    413: _l("What you sent is larger than this service accepts."),
    429: _l("Wait a minute before trying again."),
    500: _l("Something went wrong on our side; nothing you sent was saved."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def error_response(status: int, message: str):
    """Renders an error as JSON ({"error": {"status", "message"}}) for the API or as a page."""
    _rollback()
    if wants_json():
        return jsonify(error={"status": status, "message": message}), status
    return render_template(
        "errors/error.html", status=status, title=TITLES.get(status, str(status)), hint=HINTS.get(status), message=message
    ), status


def init_app(app: Flask) -> None:
    """Registers the handlers."""

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        message = exc.description or exc.name
        if not wants_json() and message == type(exc).description:
            # Werkzeug's stock wording is English only and says no more than the page's translated title and hint.
            message = ""
        body, status = error_response(exc.code or 500, message)
        # Keep what the exception says about itself (Allow on 405, WWW-Authenticate on 401).
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return body, status, headers

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        # Flask-WTF's reason (token missing, expired, ...) is English and technical: the log keeps it.
        log.info("CSRF check failed on %s %s: %s", request.method, request.path, exc.description)
        return error_response(400, _("The form expired or was not sent from this site. "
                                     "Go back, reload the page and try again."))

    @app.errorhandler(crud.NotFound)
    def _not_found(exc: crud.NotFound):
        return error_response(404, str(exc))

    @app.errorhandler(crud.Conflict)
    def _conflict(exc: crud.Conflict):
        return error_response(409, str(exc))

    @app.errorhandler(crud.DataError)
    def _refused(exc: crud.DataError):
        return error_response(422, str(exc))

    @app.errorhandler(InternalServerError)
    def _internal(exc: InternalServerError):
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc.original_exception)
        if wants_json():  # the API speaks English whatever the session's language
            return error_response(500, "Something went wrong on our side; nothing you sent was saved.")
        return error_response(500, _("Something went wrong on our side; nothing you sent was saved."))
