"""Token authentication for the API: a bearer token per request, never a session cookie.

The token's user becomes `current_user` for the request, so web/access.py applies exactly the
rules the pages apply. A session cookie sent along is ignored: the API is exempt from CSRF, and
accepting the browser's cookie here would let any site make signed-in calls on a user's behalf.
"""

from __future__ import annotations

from typing import Optional

from flask import Response, g, request, session

from models import crud
from web.access import SignedIn
from web.api import bp
from web.api.registry import OPERATIONS, error_reply
from web.database import get_session

REALM = "matchmaker API"
# Longer than any token crud issues; a header beyond this is not worth hashing.
TOKEN_MAX = 200


def _unauthorized(message: str, error: Optional[str] = None) -> Response:
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}"'
    return error_reply(401, message, headers={"WWW-Authenticate": challenge})


def bearer_token() -> Optional[str]:
    """Returns the token of an `Authorization: Bearer` header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


@bp.before_request
def authenticate() -> Optional[Response]:
    """Signs the request in as the token's user; answers 401 without a live token."""
    op = OPERATIONS.get(request.endpoint or "")
    if op is not None and op.public:
        return None
    token = bearer_token()
    if token is None:
        return _unauthorized("Send an API token in the header Authorization: Bearer <token>. "
                             "Create one on the account page (/account/tokens).")
    user = crud.user_for_token(session=get_session(), token=token) if len(token) <= TOKEN_MAX else None
    if user is None:
        return _unauthorized("The API token is unknown, revoked or expired.", error="invalid_token")
    # user_for_token notes when the token was last used; keep that even if the request fails later.
    get_session().commit()
    # Flask-Login reads the user from here; setting it directly bypasses the cookie session entirely.
    g._login_user = SignedIn(user)
    return None


@bp.after_request
def no_cookies_no_caching(response: Response) -> Response:
    """Keeps API answers out of shared caches and out of the cookie session."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Authorization")
    # Nothing the API does may start a cookie session (a language switch would): API clients have no
    # use for one. A browser's own cookie, sent along, is left as it is.
    session.modified = False
    return response
