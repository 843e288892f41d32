"""Settings read from the environment when the app is created."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Mapping

from models.db import database_url

DEFAULT_SECRET_KEY = "dev-only-secret-change-me"


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def config_from_env(environ: Mapping[str, str] | None = None) -> dict:
    """Returns the app settings from the environment; every setting has a working default for the demo."""
    env = os.environ if environ is None else environ
    return {
        "SECRET_KEY": env.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "DATABASE_URL": database_url(env.get("DATABASE_URL")),
        "FIXTURES_DIR": env.get("FIXTURES_DIR", "fixtures/demo"),
        "BABEL_DEFAULT_LOCALE": "ko",
        # The programme runs in Korea: times are shown in Korea Standard Time, stored in UTC.
        "BABEL_DEFAULT_TIMEZONE": "Asia/Seoul",
        "LANGUAGES": ("ko", "en"),
        # Request bodies beyond this are refused with 413 before a view reads them.
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", 2 * 1024 * 1024)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag(env.get("SESSION_COOKIE_SECURE")),
        # A signed-in session lasts a working day; after that the user signs in again.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(env.get("SESSION_HOURS", 12))),
        "SHOW_DEMO_LOGINS": _flag(env.get("SHOW_DEMO_LOGINS"), default=env.get("MATCHMAKER_ENV") != "production"),
    }
