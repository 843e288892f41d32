"""The account page for personal API tokens: create one (shown once), list them, revoke one."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from pydantic import ValidationError

from models import crud
from models.types import utcnow
from web.account import bp
from web.account.forms import RevokeForm, TokenForm, TokenName
from web.api.schemas import MAX_ID
from web.database import get_session
from web.forms import apply_validation_errors


def _page(form: TokenForm, *, new_token: str | None = None, status: int = 200):
    tokens = crud.list_api_tokens(session=get_session(), user_id=current_user.id)
    response = make_response(render_template(
        "account/tokens.html", form=form, revoke_form=RevokeForm(), tokens=tokens, new_token=new_token, now=utcnow(),
    ), status)
    if new_token:
        # The page carries a secret that is shown this once: no browser or proxy may keep a copy.
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/tokens")
@login_required
def tokens():
    return _page(TokenForm())


@bp.post("/tokens")
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    try:
        name = TokenName(name=form.name.data).name
    except ValidationError as exc:
        apply_validation_errors(form, exc)
        return _page(form, status=400)
    days = form.expires_in.data
    expires_at = None if days == "never" else utcnow() + timedelta(days=int(days))
    db = get_session()
    _row, token = crud.create_api_token(session=db, user_id=current_user.id, name=name, expires_at=expires_at)
    db.commit()
    # Rendered in this answer rather than after a redirect: the token must not pass through the cookie session.
    return _page(TokenForm(formdata=None), new_token=token)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    # CSRFProtect has checked the form's token before this runs.
    if token_id > MAX_ID:
        abort(404)
    db = get_session()
    row = crud.revoke_api_token(session=db, token_id=token_id, user_id=current_user.id)
    db.commit()
    flash(_("Token \"%(name)s\" is revoked; programs using it are refused from now on.", name=row.name), "success")
    return redirect(url_for("account.tokens"))
