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
    production = env.get("MATCHMAKER_ENV", "").strip().lower() == "production"
    fallbacks = [k.strip() for k in env.get("SECRET_KEY_FALLBACKS", "").split(",") if k.strip()]
    return {
        # In production web.security refuses to start with the default or a short key.
        "PRODUCTION": production,
        "SECRET_KEY": env.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        # Older keys still accepted for cookies signed before a key change (rotation without signing everyone out).
        "SECRET_KEY_FALLBACKS": fallbacks,
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
        # Production runs behind HTTPS: cookies never travel in clear text there.
        "SESSION_COOKIE_SECURE": _flag(env.get("SESSION_COOKIE_SECURE"), default=production),
        # A session ends after SESSION_IDLE_MINUTES without a request, and SESSION_MAX_HOURS after sign-in.
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=int(env.get("SESSION_IDLE_MINUTES", 120))),
        "SESSION_MAX_HOURS": int(env.get("SESSION_MAX_HOURS", 12)),
        "SHOW_DEMO_LOGINS": _flag(env.get("SHOW_DEMO_LOGINS"), default=not production),
        # Load balancers in front of the app whose X-Forwarded-For/-Proto headers are trusted.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", 0)),
        # Sign-in limits count failed attempts only; the store is Redis when REDIS_URL is set.
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        "RATELIMIT_KEY_PREFIX": "matchmaker",
        "RATELIMIT_HEADERS_ENABLED": True,
        # If Redis is down, limits are kept in this process's memory rather than not at all.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_ENABLED": _flag(env.get("RATELIMIT_ENABLED"), default=True),
        "LOGIN_LIMIT_PER_ADDRESS": env.get("LOGIN_LIMIT_PER_ADDRESS", "10 per minute;100 per day"),
        "LOGIN_LIMIT_PER_ACCOUNT": env.get("LOGIN_LIMIT_PER_ACCOUNT", "10 per hour"),
        "SIGNUP_LIMIT_PER_ADDRESS": env.get("SIGNUP_LIMIT_PER_ADDRESS", "10 per hour"),
    }
