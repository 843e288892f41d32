"""Sign-in, sign-out and sign-up pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from models import crud
from models.enums import Role
from models.types import utcnow
from web.access import SignedIn
from web.auth import bp
from web.auth.forms import LoginForm, SignupForm
from web.database import get_session
from web.forms import save_form, when_taken
from web.security import limit_sign_in, limit_sign_up, start_session

HOME_BY_ROLE = {
    Role.startup: "startup.suggestions",
    Role.sponsor: "sponsor.challenges",
    Role.manager: "manager.dashboard",
    Role.admin: "manager.dashboard",
}


def home_url() -> str:
    """Returns the first page of the signed-in user's role (the start page if that part is not installed)."""
    endpoint = HOME_BY_ROLE.get(current_user.role)
    if endpoint and endpoint in current_app.view_functions:
        return url_for(endpoint)
    return url_for("main.index")


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: an absolute URL here would be an open redirect.
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _sign_in(user) -> None:
    session.clear()
    session.permanent = True
    start_session()
    login_user(SignedIn(user))
    user.last_login_at = utcnow()
    get_session().commit()


@bp.route("/login", methods=["GET", "POST"])
@limit_sign_in
def login():
    if current_user.is_authenticated:
        return redirect(home_url())
    form = LoginForm()
    if form.validate_on_submit():
        user = crud.authenticate(session=get_session(), email=form.email.data, password=form.password.data)
        if user is None:
            form.form_errors.append(_("E-mail or password is wrong."))
        else:
            _sign_in(user)
            return redirect(_safe_next(request.args.get("next")) or home_url())
    return render_template("auth/login.html", form=form), 400 if request.method == "POST" else 200


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("You are signed out."), "success")
    return redirect(url_for("main.index"))


@bp.route("/signup", methods=["GET", "POST"])
@limit_sign_up
def signup():
    if current_user.is_authenticated:
        return redirect(home_url())
    form = SignupForm()
    if form.validate_on_submit():
        saved = save_form(form, lambda: crud.signup_startup(
            session=get_session(), email=form.email.data, password=form.password.data,
            display_name=form.display_name.data, name_ko=form.name_ko.data, name_en=form.name_en.data,
            locale=session.get("lang", "ko"),
        ), refused=when_taken(form.email, _("An account with this e-mail exists already.")))
        if saved.done:
            _sign_in(saved.value)
            flash(_("Welcome! Describe your company so we can suggest challenges."), "success")
            if "startup.profile" in current_app.view_functions:
                return redirect(url_for("startup.profile"))
            return redirect(home_url())
    status = 400 if request.method == "POST" else 200
    return render_template("auth/signup.html", form=form), status
