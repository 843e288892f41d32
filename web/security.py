"""Web hardening: the production settings check, security headers, sign-in limits and session lifetime.

Each guarantee here has a test named in docs/security.md.
"""

from __future__ import annotations

import hashlib
import logging
import time

from flask import Flask, Response, current_app, flash, request, session
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_login import logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from models.text import nfc
from web.config import DEFAULT_SECRET_KEY
from web.extensions import limiter

log = logging.getLogger(__name__)

SECRET_KEY_MIN_CHARS = 32

# Pages load scripts, styles, fonts and images from this site only; no inline script can run, and
# no other site may frame a page (clickjacking) or receive a form.
PAGE_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
# JSON answers are data, never a document to render.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Links to other sites say which site, never which page (page paths carry object ids).
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


class InsecureSettings(RuntimeError):
    """The app was asked to run in production with settings that would be unsafe there."""


def check_settings(config) -> None:
    """Refuses to build a production app with a default or short SECRET_KEY.

    The key signs session cookies: anyone who knows it can sign in as anyone.
    """
    if not config.get("PRODUCTION"):
        return
    key = config.get("SECRET_KEY") or ""
    if key == DEFAULT_SECRET_KEY:
        raise InsecureSettings("MATCHMAKER_ENV=production needs its own SECRET_KEY; the built-in demo key is public. "
                               "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    if len(key) < SECRET_KEY_MIN_CHARS:
        raise InsecureSettings(f"MATCHMAKER_ENV=production needs a SECRET_KEY of at least {SECRET_KEY_MIN_CHARS} "
                               f"characters; this one has {len(key)}.")
    if not config.get("SESSION_COOKIE_SECURE"):
        log.warning("SESSION_COOKIE_SECURE is off in production: session cookies will also travel over plain HTTP")


def _headers(response: Response) -> Response:
    is_api = request.path.startswith("/api/")
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", API_POLICY if is_api else PAGE_POLICY)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static" and "_user_id" in session:
        # A signed-in page shows one organisation's data: no shared cache, no back-button copy after sign-out.
        response.headers.setdefault("Cache-Control", "private, no-store")
        response.vary.add("Cookie")
    return response


# --- sign-in limits --------------------------------------------------------------------------

def _failed(response: Response) -> bool:
    # A successful sign-in redirects; a wrong password shows the form again. Only failures count.
    return response.status_code != 302


def _account_key() -> str:
    # The e-mail typed, normalised as accounts are; hashed so the limit store holds no addresses.
    email = str(nfc(request.form.get("email", ""))).strip().casefold()
    return "account:" + hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]


def _limit(name: str):
    return lambda: current_app.config[name]


def limit_sign_in(view):
    """Limits failed sign-ins per client address and per account (the e-mail tried)."""
    view = limiter.limit(_limit("LOGIN_LIMIT_PER_ACCOUNT"), key_func=_account_key, methods=["POST"],
                         deduct_when=_failed, scope="login-account")(view)
    return limiter.limit(_limit("LOGIN_LIMIT_PER_ADDRESS"), methods=["POST"], deduct_when=_failed,
                         scope="login-address")(view)


def limit_sign_up(view):
    """Limits new accounts per client address."""
    return limiter.limit(_limit("SIGNUP_LIMIT_PER_ADDRESS"), methods=["POST"], scope="signup-address")(view)


# --- session lifetime ------------------------------------------------------------------------

def now() -> float:
    """The clock sessions are measured by (a function, so tests can move it)."""
    return time.time()


def start_session() -> None:
    """Marks the moment of sign-in; a session lasts at most SESSION_MAX_HOURS from here."""
    session["signed_in_at"] = int(now())


def _end_old_sessions() -> None:
    if request.path.startswith("/api/") or request.endpoint == "static" or "_user_id" not in session:
        return
    started = session.get("signed_in_at")
    limit = current_app.config["SESSION_MAX_HOURS"] * 3600
    if isinstance(started, int) and 0 <= now() - started <= limit:
        return
    logout_user()
    session.clear()
    flash(_("Your session has ended. Please sign in again."), "info")


def init_app(app: Flask) -> None:
    """Checks the settings, then installs headers, limits, session lifetime and proxy handling."""
    check_settings(app.config)
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # Behind a load balancer the client's address and scheme arrive in X-Forwarded-* headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    # Flask-Limiter keeps the first app's key prefix for every later app built in the process (a test
    # session builds many); each app's own setting must apply, or their counts would mix.
    limiter._key_prefix = app.config.get("RATELIMIT_KEY_PREFIX", "")
    limiter.init_app(app)
    app.before_request(_end_old_sessions)
    app.after_request(_headers)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded):
        from web.errors import error_response

        log.warning("rate limit (%s) reached on %s %s from %s", exc.description, request.method, request.path,
                    request.remote_addr)
        body, status = error_response(429, _("Too many attempts. Wait a few minutes and try again."))
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return body, status, headers
