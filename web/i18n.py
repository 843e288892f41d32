"""Korean and English: which language a request is served in, and the switch between them."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app, request, session
from flask_babel import Babel


def select_locale() -> str:
    """Picks the language: an explicit ?lang= switch, then the one remembered, then Korean."""
    languages = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked in languages:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    if remembered in languages:
        return remembered
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    """Sets up Flask-Babel with the locale selector and exposes `locale` to templates."""
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def _locale():
        from flask_babel import get_locale

        return {"locale": str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]), "lang_url": lang_url}


def lang_url(lang: str) -> str:
    """Returns this page's address in another language, keeping its query (filters, page)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return request.script_root + request.path + "?" + urlencode(args, doseq=True)
