"""Views of the startup blueprint: profile, suggested challenges with reasons, a challenge, interests, proposals."""

from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from pydantic import ValidationError
from wtforms import SelectChoice

from models import crud, startups
from models.enums import ProposalStatus, Role
from models.schema import Challenge, StartupProfile, StartupProfileCreate, StartupProfileUpdate
from web.access import (
    challenge_for_user,
    current_profile,
    decisions_for_user,
    id_in_range,
    proposal_for_user,
    role_required,
)
from web.database import get_session
from web.forms import apply_validation_errors
from web.startup import bp
from web.startup.forms import (
    AUTO,
    LANGUAGE_LABELS,
    LIMITS,
    STAGE_LABELS,
    TECHNOLOGIES_HELP,
    ActionForm,
    DecisionForm,
    InterestForm,
    MoveForm,
    NoteForm,
    ProfileForm,
)

# How many suggestions a page shows; the engine scores every open challenge either way.
SUGGESTION_LIMIT = 20
# Enough to find one challenge among all open challenges of its field.
FIELD_LIMIT = 500

STATUS_LABELS = {
    ProposalStatus.proposed: _l("Proposed to the sponsor"),
    ProposalStatus.shortlisted: _l("Shortlisted by the sponsor"),
    ProposalStatus.rejected: _l("Not taken forward"),
    ProposalStatus.invited: _l("Invited: your answer is needed"),
    ProposalStatus.accepted: _l("Accepted by you"),
    ProposalStatus.declined: _l("Declined by you"),
    ProposalStatus.selected: _l("Selected"),
}
STATUS_HINTS = {
    ProposalStatus.proposed: _l("The match run proposed your company; the sponsor has not reviewed it yet."),
    ProposalStatus.shortlisted: _l("The sponsor put your company on its shortlist."),
    ProposalStatus.rejected: _l("The sponsor will not take this proposal further."),
    ProposalStatus.invited: _l("The sponsor invites your company. Accept or decline the invitation."),
    ProposalStatus.accepted: _l("You accepted. The final selection decides among accepted invitations."),
    ProposalStatus.declined: _l("You declined the invitation."),
    ProposalStatus.selected: _l("Your company was selected for this challenge."),
}
BAND_LABELS = {"strong": _l("Strong fit"), "possible": _l("Possible fit"), "weak": _l("Weak fit")}
COMPONENT_LABELS = {
    "semantic": _l("Meaning (across Korean and English)"),
    "coverage": _l("How much of the challenge your profile covers"),
    "english": _l("English wording"),
    "lexical": _l("Shared words"),
}


@bp.context_processor
def _labels() -> dict:
    return {"status_labels": STATUS_LABELS, "status_hints": STATUS_HINTS, "band_labels": BAND_LABELS,
            "component_labels": COMPONENT_LABELS, "limits": LIMITS}


def _locale() -> str:
    return str(get_locale() or "ko")


def band_of(score: float, explanation: Optional[dict]) -> str:
    """Returns the band a score was given, or the engine's band for it when the explanation does not say."""
    band = (explanation or {}).get("band")
    if band in BAND_LABELS:
        return band
    from matchmaker.scoring import shipped_bands  # the engine's numeric stack is loaded only when needed

    return shipped_bands().name(score)


def _suggest(**kwargs):
    # Imported here so that creating the app does not load the engine's numeric stack.
    from matchmaker.rounds import suggest_challenges

    return suggest_challenges(session=get_session(), **kwargs)


def _safe_next(target: Optional[str], default: str) -> str:
    # Only pages of this blueprint: anything else would be an open redirect.
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/startup/") and "\\" not in target:
            return target
    return default


def _version(text: Optional[str]) -> int:
    text = (text or "").strip()
    return int(text) if text.isdigit() else 0


def _require_profile() -> Optional[StartupProfile]:
    profile = current_profile()
    if profile is None:
        flash(_("Save your profile first: suggestions and interests are based on it."), "info")
    return profile


@bp.get("/")
@role_required(Role.startup)
def index():
    return redirect(url_for(".suggestions"))


# --- profile ---------------------------------------------------------------------------------


PROFILE_COLUMNS = ("summary", "description", "technologies", "stage", "founded_year", "team_size", "language", "website")


def _profile_values(profile: StartupProfile) -> dict:
    return {
        "summary": profile.summary,
        "description": profile.description,
        "technologies": ", ".join(profile.technologies),
        "stage": profile.stage.value,
        "founded_year": "" if profile.founded_year is None else str(profile.founded_year),
        "team_size": "" if profile.team_size is None else str(profile.team_size),
        "language": profile.language.value if profile.language else AUTO,
        "website": profile.website or "",
        "field_ids": [f.id for f in profile.fields],
        "version": str(profile.version),
    }


def _differences(saved: StartupProfile, typed, form: ProfileForm) -> list[tuple[str, str]]:
    """Lists (label, saved value) for each field where the saved profile differs from the validated input."""
    shown = _profile_values(saved)
    shown["stage"] = str(STAGE_LABELS[saved.stage])
    shown["language"] = str(LANGUAGE_LABELS[shown["language"]])
    out = [(str(getattr(form, name).label.text), shown[name])
           for name in PROFILE_COLUMNS if getattr(saved, name) != getattr(typed, name)]
    if set(typed.field_ids or []) != {f.id for f in saved.fields}:
        out.append((str(form.field_ids.label.text), ", ".join(f.name(_locale()) for f in saved.fields) or "—"))
    return out


def _validated_profile(form: ProfileForm, creating: bool):
    """Returns the profile input as the data layer's model, or None after putting every error on the form."""
    data = form.profile_data()
    profile_in = None
    try:
        if creating:
            profile_in = StartupProfileCreate(organization_id=current_user.organization_id, **data)
        else:
            profile_in = StartupProfileUpdate(**data)
    except ValidationError as exc:
        apply_validation_errors(form, exc)
    _, website_error = form.website_value()
    if website_error:
        form.website.errors = [*form.website.errors, website_error]
        return None
    return profile_in


@bp.route("/profile", methods=["GET", "POST"])
@role_required(Role.startup)
def profile():
    db = get_session()
    mine = current_profile()
    programmes = startups.programmes_with_fields(session=db)
    form = ProfileForm(data=_profile_values(mine) if mine is not None and request.method == "GET" else None)
    form.field_ids.choices = [SelectChoice(f.id, f.name(_locale())) for p in programmes for f in p.fields]
    differences: list[tuple[str, str]] = []
    status = 200
    if request.method == "POST":
        status = 400
        profile_in = _validated_profile(form, creating=mine is None) if form.validate_on_submit() else None
        if profile_in is not None:
            try:
                if mine is None:
                    mine = crud.create_profile(session=db, profile_in=profile_in, actor_id=current_user.id)
                    created = True
                else:
                    crud.update_profile(session=db, profile=mine, profile_in=profile_in,
                                        expected_version=_version(form.version.data), actor_id=current_user.id)
                    created = False
            except crud.DataError as exc:
                db.rollback()
                # A second window (or a double click) created the profile first: the same case as a conflict.
                if not isinstance(exc, crud.Conflict) and "has a profile already" not in str(exc):
                    raise
                saved = crud.get_profile_by_organization(session=db, organization_id=current_user.organization_id)
                differences = _differences(saved, profile_in, form)
                form.version.data = str(saved.version)
                form.form_errors.append(_(
                    "Someone else saved this profile first. Your text is kept below; compare it with the saved "
                    "version and save again to replace it."))
                status = 409
            else:
                db.commit()
                if created:
                    flash(_("Your profile is saved. These are the challenges that fit it best."), "success")
                    return redirect(url_for(".suggestions"))
                flash(_("Your profile is saved."), "success")
                return redirect(url_for(".profile"))
    return render_template(
        "startup/profile.html", form=form, profile=mine, programmes=programmes, differences=differences,
        technologies_help=TECHNOLOGIES_HELP,
    ), status


# --- suggestions and one challenge -----------------------------------------------------------


def _filters(programmes) -> tuple[Optional[int], Optional[int]]:
    """Returns the (programme id, field id) asked for; unknown ids are ignored and a field implies its programme."""
    programme_id = request.args.get("programme", type=int)
    field_id = request.args.get("field", type=int)
    programme_of_field = {f.id: p.id for p in programmes for f in p.fields}
    if programme_id not in {p.id for p in programmes}:
        programme_id = None
    if field_id not in programme_of_field or (programme_id is not None and programme_of_field[field_id] != programme_id):
        field_id = None
    if field_id is not None:
        programme_id = programme_of_field[field_id]
    return programme_id, field_id


@bp.get("/suggestions")
@role_required(Role.startup)
def suggestions():
    profile = _require_profile()
    if profile is None:
        return redirect(url_for(".profile"))
    db = get_session()
    programmes = startups.programmes_with_fields(session=db)
    programme_id, field_id = _filters(programmes)
    show_weak = request.args.get("weak") == "1"
    found = _suggest(profile=profile, limit=SUGGESTION_LIMIT, programme_id=programme_id, field_id=field_id)
    shown = found if show_weak else [s for s in found if s.band != "weak"]
    interest_fields = {f.id for f in profile.fields}
    response = render_template(
        "startup/suggestions.html", profile=profile, suggestions=shown, hidden_weak=len(found) - len(shown),
        show_weak=show_weak, programmes=programmes, programme_id=programme_id, field_id=field_id,
        outside_interests=field_id is not None and bool(interest_fields) and field_id not in interest_fields,
        ranks=startups.interest_ranks(session=db, startup_id=profile.id),
        form=ActionForm(), next_url=request.full_path.rstrip("?"),
    )
    # Scores follow the profile the moment it changes; a cached page would show the old ones.
    return response, 200, {"Cache-Control": "no-store"}


def _render_challenge(challenge: Challenge, form: InterestForm, status: int = 200):
    db = get_session()
    profile = current_profile()
    proposal = suggestion = None
    interest = None
    if profile is not None:
        proposal = startups.latest_proposal(session=db, startup_id=profile.id, challenge_id=challenge.id)
        if proposal is None:
            found = _suggest(profile=profile, limit=FIELD_LIMIT, field_id=challenge.field_id)
            suggestion = next((s for s in found if s.challenge.id == challenge.id), None)
        interest = next((i for i in startups.interests_for_startup(session=db, startup_id=profile.id)
                         if i.challenge_id == challenge.id), None)
    form.challenge_id.data = str(challenge.id)
    return render_template(
        "startup/challenge.html", challenge=challenge, profile=profile, proposal=proposal, suggestion=suggestion,
        proposal_band=band_of(proposal.score, proposal.explanation) if proposal else None,
        interest=interest, form=form, remove_form=ActionForm(),
        outside_interests=profile is not None and bool(profile.fields)
        and challenge.field_id not in {f.id for f in profile.fields},
    ), status, {"Cache-Control": "no-store"}


@bp.route("/challenges/<int:challenge_id>", methods=["GET", "POST"])
@role_required(Role.startup)
def challenge(challenge_id: int):
    challenge = challenge_for_user(challenge_id)
    form = InterestForm()
    if request.method == "GET":
        return _render_challenge(challenge, form)
    profile = _require_profile()
    if profile is None:
        return redirect(url_for(".profile"))
    if not form.validate_on_submit():
        return _render_challenge(challenge, form, 400)
    db = get_session()
    try:
        interest = startups.express_interest(session=db, startup_id=profile.id, challenge_id=challenge.id,
                                             note=form.note.data or "")
    except ValidationError as exc:
        db.rollback()
        apply_validation_errors(form, exc)
        return _render_challenge(challenge, form, 400)
    except crud.DataError as exc:
        db.rollback()
        flash(_interest_refusal(exc), "error")
        return redirect(url_for(".challenge", challenge_id=challenge.id))
    db.commit()
    flash(_("Added to your interests as choice %(rank)s.", rank=interest.rank), "success")
    return redirect(url_for(".challenge", challenge_id=challenge.id))


# --- interests -------------------------------------------------------------------------------


def _interest_refusal(exc: crud.DataError) -> str:
    """Says in the reader's language why an interest was refused (crud's messages are English)."""
    text = str(exc)
    if "recorded already" in text:
        return _("This challenge is in your interests already.")
    if "not open" in text:
        return _("This challenge is closed and no longer takes interest.")
    return text


def _render_interests(note_forms: Optional[dict[int, NoteForm]] = None, status: int = 200):
    profile = current_profile()
    interests = startups.interests_for_startup(session=get_session(), startup_id=profile.id)
    note_forms = note_forms or {}
    for interest in interests:
        note_forms.setdefault(interest.challenge_id, NoteForm(formdata=None, data={"note": interest.note}))
    return render_template(
        "startup/interests.html", interests=interests, note_forms=note_forms, move_form=MoveForm(),
        remove_form=ActionForm(),
    ), status


@bp.get("/interests")
@role_required(Role.startup)
def interests():
    if _require_profile() is None:
        return redirect(url_for(".profile"))
    return _render_interests()


@bp.post("/interests")
@role_required(Role.startup)
def add_interest():
    profile = _require_profile()
    if profile is None:
        return redirect(url_for(".profile"))
    form = InterestForm()
    back = _safe_next(form.next.data, url_for(".interests"))
    # Plain ASCII digits only: str.isdigit() also takes "²" (which int() refuses) and other scripts' digits.
    if not form.validate_on_submit() or not (form.challenge_id.data.isascii() and form.challenge_id.data.isdigit()):
        abort(400)
    challenge_id = int(form.challenge_id.data)
    if not id_in_range(challenge_id):
        abort(404)
    db = get_session()
    try:
        interest = startups.express_interest(session=db, startup_id=profile.id, challenge_id=challenge_id,
                                             note=form.note.data or "")
    except ValidationError:
        db.rollback()
        flash(_("The note is too long or contains characters that are not allowed."), "error")
    except crud.NotFound:
        db.rollback()
        abort(404)
    except crud.DataError as exc:
        db.rollback()
        flash(_interest_refusal(exc), "error")
    else:
        db.commit()
        flash(_("Added to your interests as choice %(rank)s.", rank=interest.rank), "success")
    return redirect(back)


@bp.post("/interests/<int:challenge_id>/move")
@role_required(Role.startup)
def move_interest(challenge_id: int):
    profile = _require_profile()
    if profile is None:
        return redirect(url_for(".profile"))
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    try:
        startups.move_interest(session=db, startup_id=profile.id, challenge_id=challenge_id,
                               offset=-1 if form.direction.data == "up" else 1)
    except crud.NotFound:
        db.rollback()
        abort(404)
    db.commit()
    return redirect(url_for(".interests") + f"#interest-{challenge_id}")


@bp.post("/interests/<int:challenge_id>/note")
@role_required(Role.startup)
def interest_note(challenge_id: int):
    profile = _require_profile()
    if profile is None:
        return redirect(url_for(".profile"))
    form = NoteForm()
    db = get_session()
    if form.validate_on_submit():
        try:
            startups.set_interest_note(session=db, startup_id=profile.id, challenge_id=challenge_id,
                                       note=form.note.data or "")
        except crud.NotFound:
            db.rollback()
            abort(404)
        except ValidationError as exc:
            db.rollback()
            apply_validation_errors(form, exc)
        else:
            db.commit()
            flash(_("The note is saved."), "success")
            return redirect(url_for(".interests") + f"#interest-{challenge_id}")
    return _render_interests({challenge_id: form}, 400)


@bp.post("/interests/<int:challenge_id>/remove")
@role_required(Role.startup)
def remove_interest(challenge_id: int):
    profile = _require_profile()
    if profile is None:
        return redirect(url_for(".profile"))
    if not ActionForm().validate_on_submit():
        abort(400)
    db = get_session()
    try:
        crud.remove_interest(session=db, startup_id=profile.id, challenge_id=challenge_id)
    except crud.NotFound:
        db.rollback()
        flash(_("That challenge is not in your interests (any more)."), "info")
    else:
        db.commit()
        flash(_("Removed from your interests."), "success")
    return redirect(_safe_next(request.form.get("next"), url_for(".interests")))


# --- proposals -------------------------------------------------------------------------------


@bp.get("/proposals")
@role_required(Role.startup)
def proposals():
    if _require_profile() is None:
        return redirect(url_for(".profile"))
    profile = current_profile()
    rows = startups.proposals_with_sponsors(session=get_session(), startup_id=profile.id)
    return render_template(
        "startup/proposals.html", proposals=rows, bands={p.id: band_of(p.score, p.explanation) for p in rows},
        decisions={p.id: decisions_for_user(p) for p in rows}, form=DecisionForm(), ProposalStatus=ProposalStatus,
    )


@bp.post("/proposals/<int:proposal_id>/decision")
@role_required(Role.startup)
def decide(proposal_id: int):
    proposal = proposal_for_user(proposal_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    status = ProposalStatus(form.decision.data)
    if status not in decisions_for_user(proposal):
        abort(403)
    db = get_session()
    try:
        crud.decide_proposal(session=db, proposal=proposal, status=status, actor_id=current_user.id)
    except crud.Conflict:
        db.rollback()
        flash(_("This proposal changed while you were deciding. Check its status and try again."), "error")
    else:
        db.commit()
        if status == ProposalStatus.accepted:
            flash(_("You accepted the invitation."), "success")
        else:
            flash(_("You declined the invitation."), "success")
    return redirect(url_for(".proposals") + f"#proposal-{proposal.id}")
