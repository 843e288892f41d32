"""Views of the sponsor blueprint: a sponsor's challenges, their review with decisions, startups and comparisons."""

from __future__ import annotations

import re
from typing import Optional

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from models import crud, sponsors
from models.enums import ChallengeStatus, Language, ProposalStatus, Role, Stage
from models.schema import Challenge, ChallengeCreate, ChallengeUpdate
from web.access import (
    challenge_for_user,
    decisions_for_user,
    id_in_range,
    profile_for_user,
    proposal_for_user,
    role_required,
)
from web.database import get_session
from web.forms import save_form
from web.sponsor import bp
from web.sponsor.forms import ChallengeForm, DecisionForm, ShortlistOrderForm, StatusForm

sponsor_only = role_required(Role.sponsor)

COMPARE_MIN, COMPARE_MAX = 2, 3

CHALLENGE_STATUS_LABELS = {
    ChallengeStatus.draft: _l("Draft"), ChallengeStatus.open: _l("Open"), ChallengeStatus.closed: _l("Closed"),
}
PROPOSAL_STATUS_LABELS = {
    ProposalStatus.proposed: _l("Proposed"), ProposalStatus.shortlisted: _l("Shortlisted"),
    ProposalStatus.rejected: _l("Rejected"), ProposalStatus.invited: _l("Invited"),
    ProposalStatus.accepted: _l("Accepted"), ProposalStatus.declined: _l("Declined"),
    ProposalStatus.selected: _l("Selected"),
}
FILTER_LABELS = {
    "all": _l("All"), "proposed": _l("To review"), "shortlisted": _l("Shortlisted"), "rejected": _l("Rejected"),
}
BAND_LABELS = {"strong": _l("Strong fit"), "possible": _l("Possible fit"), "weak": _l("Weak fit")}
# Each signal of a score, named for a reviewer rather than for an engineer.
COMPONENT_LABELS = {
    "semantic": _l("Meaning (across Korean and English)"),
    "coverage": _l("Covers the challenge's points"),
    "english": _l("English wording"),
    "lexical": _l("Shared words"),
}
COMPONENT_HELP = {
    "semantic": _l("How alike the two texts are in meaning, by a multilingual model; -1 to 1."),
    "coverage": _l("How well each part of the challenge finds a matching part in the profile; -1 to 1."),
    "english": _l("Similarity by an English-only model; only when both texts are in English; -1 to 1."),
    "lexical": _l("Words both texts use; only when both are in the same language; 0 to 1."),
}
STAGE_LABELS = {
    Stage.idea: _l("Idea"), Stage.pre_seed: _l("Pre-seed"), Stage.seed: _l("Seed"), Stage.series_a: _l("Series A"),
    Stage.series_b: _l("Series B"), Stage.series_c: _l("Series C"), Stage.growth: _l("Growth"),
}
LANGUAGE_LABELS = {Language.ko: _l("Korean"), Language.en: _l("English"), Language.mixed: _l("Korean and English")}
# The status buttons a challenge offers in each status, as (status to move to, label).
STATUS_BUTTONS = {
    ChallengeStatus.draft: [(ChallengeStatus.open, _l("Open for matching")), (ChallengeStatus.closed, _l("Close"))],
    ChallengeStatus.open: [(ChallengeStatus.closed, _l("Close"))],
    ChallengeStatus.closed: [(ChallengeStatus.open, _l("Reopen"))],
}


@bp.context_processor
def _labels() -> dict:
    return {
        "challenge_status_labels": CHALLENGE_STATUS_LABELS, "proposal_status_labels": PROPOSAL_STATUS_LABELS,
        "filter_labels": FILTER_LABELS, "band_labels": BAND_LABELS, "component_labels": COMPONENT_LABELS,
        "component_help": COMPONENT_HELP, "stage_labels": STAGE_LABELS, "language_labels": LANGUAGE_LABELS,
        "status_buttons": STATUS_BUTTONS,
    }


def _decision_message(status: ProposalStatus, name: str) -> str:
    if status == ProposalStatus.shortlisted:
        return _("%(name)s is on the shortlist.", name=name)
    if status == ProposalStatus.rejected:
        return _("%(name)s is rejected; the reason is recorded.", name=name)
    return _("%(name)s is invited.", name=name)


def _locale() -> str:
    return str(get_locale() or "ko")


def _org_id() -> int:
    return current_user.organization_id


# --- my challenges ---------------------------------------------------------------------------


@bp.get("/")
@sponsor_only
def index():
    return redirect(url_for("sponsor.challenges"))


@bp.get("/challenges")
@sponsor_only
def challenges():
    status_arg = request.args.get("status", "")
    status = ChallengeStatus(status_arg) if status_arg in {s.value for s in ChallengeStatus} else None
    field_id = request.args.get("field", type=int)
    if field_id is not None and not id_in_range(field_id):
        field_id = None
    overview = sponsors.sponsor_challenges(session=get_session(), sponsor_id=_org_id(), status=status,
                                           field_id=field_id)
    if field_id is not None and field_id not in {f.id for f in overview.fields}:
        # A field the sponsor has no part in filters nothing of its own; show everything instead.
        field_id = None
        overview = sponsors.sponsor_challenges(session=get_session(), sponsor_id=_org_id(), status=status)
    return render_template("sponsor/challenges.html", overview=overview, status=status, field_id=field_id)


# --- new and edit ----------------------------------------------------------------------------


def _form_data(challenge: Challenge) -> dict:
    return {
        "field_id": challenge.field_id, "title": challenge.title, "description": challenge.description,
        "requirements": challenge.requirements, "tags": ", ".join(challenge.tags or []),
        "language": challenge.language.value if challenge.language else "", "capacity": challenge.capacity,
        "version": challenge.version,
    }


def _not_saved_because(form):
    """A `refused` for save_form that says what the data layer refused, as a sentence about the challenge."""

    def place(exc) -> bool:
        form.form_errors.append(_("The challenge could not be saved: %(reason)s", reason=str(exc)))
        return True

    return place


@bp.route("/challenges/new", methods=["GET", "POST"])
@sponsor_only
def new_challenge():
    db = get_session()
    fields = sponsors.sponsor_field_choices(session=db, sponsor_id=_org_id())
    form = ChallengeForm()
    form.set_fields(fields, _locale())
    if request.method == "GET":
        wanted = request.args.get("field", type=int)
        if wanted in {f.id for f in fields}:
            form.field_id.data = wanted
        return render_template("sponsor/challenge_form.html", form=form, challenge=None, fields=fields)

    form.validate()
    checked = form.challenge_input()
    if checked is not None:
        status = ChallengeStatus(form.status_asked() or ChallengeStatus.draft.value)
        challenge_in = ChallengeCreate(**checked.model_dump(), field_id=form.field_id.data, status=status)
        saved = save_form(form, lambda: crud.create_challenge(
            session=db, challenge_in=challenge_in, sponsor_id=_org_id(), created_by_id=current_user.id),
            refused=_not_saved_because(form))
        if saved.done:
            flash(_("Challenge %(code)s is saved.", code=saved.value.code), "success")
            return redirect(url_for("sponsor.review", challenge_id=saved.value.id))
    return render_template("sponsor/challenge_form.html", form=form, challenge=None, fields=fields), 400


@bp.route("/challenges/<int:challenge_id>/edit", methods=["GET", "POST"])
@sponsor_only
def edit_challenge(challenge_id: int):
    db = get_session()
    challenge = challenge_for_user(challenge_id, edit=True)
    fields = sponsors.sponsor_field_choices(session=db, sponsor_id=_org_id())
    if challenge.field_id not in {f.id for f in fields}:
        # Its current field stays selectable even if the sponsor no longer takes part in that programme.
        fields = [challenge.field, *fields]
    form = ChallengeForm(data=_form_data(challenge))
    form.set_fields(fields, _locale())
    if request.method == "GET":
        return render_template("sponsor/challenge_form.html", form=form, challenge=challenge, fields=fields)

    form.validate()
    checked = form.challenge_input()
    code, saved = 400, None
    if checked is not None:
        changes = checked.model_dump()
        changes["field_id"] = form.field_id.data
        if form.status_asked():
            changes["status"] = form.status_asked()
        outcome = save_form(form, lambda: crud.update_challenge(
            session=db, challenge=challenge, challenge_in=ChallengeUpdate(**changes),
            expected_version=form.version.data or 0, actor_id=current_user.id), refused=_not_saved_because(form))
        if outcome.done:
            flash(_("Challenge %(code)s is saved.", code=challenge.code), "success")
            return redirect(url_for("sponsor.review", challenge_id=challenge.id))
        if outcome.conflict:
            code, saved = 409, challenge
            form.form_errors.append(_(
                "Someone else saved this challenge first. Your text is kept below and their version is shown "
                "under the form; save again to replace theirs with yours."))
            # Saving again is then a deliberate overwrite of the version the user has now seen.
            form.version.data = challenge.version
            form.version.raw_data = [str(challenge.version)]
    return render_template("sponsor/challenge_form.html", form=form, challenge=challenge, fields=fields,
                           saved=saved), code


@bp.post("/challenges/<int:challenge_id>/status")
@sponsor_only
def challenge_status(challenge_id: int):
    db = get_session()
    challenge = challenge_for_user(challenge_id, edit=True)
    form = StatusForm()
    if not form.validate():
        return _render_review(challenge, error=_("Choose draft, open or closed."), code=400)
    wanted = ChallengeStatus(form.status.data)
    try:
        crud.update_challenge(session=db, challenge=challenge, challenge_in=ChallengeUpdate(status=wanted),
                              expected_version=form.version.data, actor_id=current_user.id)
    except crud.Conflict:
        db.rollback()
        return _render_review(challenge, code=409, error=_(
            "Someone else changed this challenge first; it is %(status)s now. Check it and try again.",
            status=CHALLENGE_STATUS_LABELS[challenge.status]))
    except crud.DataError:
        db.rollback()
        return _render_review(challenge, code=400, error=_(
            "A challenge that is %(now)s cannot become %(wanted)s.",
            now=CHALLENGE_STATUS_LABELS[challenge.status], wanted=CHALLENGE_STATUS_LABELS[wanted]))
    db.commit()
    flash(_("Challenge %(code)s is %(status)s now.", code=challenge.code,
            status=CHALLENGE_STATUS_LABELS[challenge.status]), "success")
    return redirect(url_for("sponsor.review", challenge_id=challenge.id))


# --- review ----------------------------------------------------------------------------------


def _order_form(review: sponsors.Review) -> ShortlistOrderForm:
    return ShortlistOrderForm(formdata=None, data={
        "entries": [{"proposal_id": p.id, "position": i} for i, p in enumerate(review.shortlist, start=1)],
    })


def _render_review(challenge: Challenge, *, code: int = 200, error: Optional[str] = None,
                   order_form: Optional[ShortlistOrderForm] = None):
    shown = request.args.get("status", "all")
    if shown not in sponsors.REVIEW_FILTERS:
        shown = "all"
    review = sponsors.challenge_review(session=get_session(), challenge_id=challenge.id)
    decisions = {p.id: decisions_for_user(p) for p in review.proposals}
    return render_template(
        "sponsor/review.html", challenge=challenge, review=review, shown=shown, proposals=review.filtered(shown),
        decisions=decisions, order_form=order_form or _order_form(review), error=error, locale_name=_locale(),
    ), code


@bp.get("/challenges/<int:challenge_id>")
@sponsor_only
def review(challenge_id: int):
    return _render_review(challenge_for_user(challenge_id, edit=True))


@bp.post("/challenges/<int:challenge_id>/shortlist")
@sponsor_only
def reorder_shortlist(challenge_id: int):
    db = get_session()
    challenge = challenge_for_user(challenge_id, edit=True)
    form = ShortlistOrderForm()
    if not form.validate():
        return _render_review(challenge, code=400, order_form=form,
                              error=_("Give every shortlisted startup a position from 1 to 1000."))
    try:
        sponsors.set_shortlist_order(session=db, challenge_id=challenge.id, proposal_ids=form.ordered_ids(),
                                     actor_id=current_user.id)
    except crud.DataError:
        db.rollback()
        return _render_review(challenge, code=409, error=_(
            "The shortlist changed while you were ordering it. Here it is as it stands now; order it again."))
    db.commit()
    flash(_("The shortlist order is saved. The final selection follows it."), "success")
    return redirect(url_for("sponsor.review", challenge_id=challenge.id, status="shortlisted", _anchor="shortlist"))


@bp.route("/proposals/<int:proposal_id>/decision", methods=["GET", "POST"])
@sponsor_only
def decide(proposal_id: int):
    db = get_session()
    proposal = proposal_for_user(proposal_id)
    allowed = decisions_for_user(proposal)
    form = DecisionForm()
    code = 200
    if request.method == "POST":
        try:
            wanted = ProposalStatus(form.status.data)
        except ValueError:
            abort(400, _("Choose shortlist, reject or invite."))
        if wanted not in allowed:
            abort(403, _("A proposal that is %(now)s cannot become %(wanted)s by your decision.",
                         now=PROPOSAL_STATUS_LABELS[proposal.status], wanted=PROPOSAL_STATUS_LABELS[wanted]))
        code = 400
        if form.validate():
            name = proposal.startup.organization.name(_locale())
            try:
                crud.decide_proposal(session=db, proposal=proposal, status=wanted, actor_id=current_user.id,
                                     reason=form.reason.data if wanted == ProposalStatus.rejected else None)
            except crud.Conflict:
                db.rollback()
                code = 409
                form.form_errors.append(_("Someone else decided on this proposal first; it is %(now)s now.",
                                          now=PROPOSAL_STATUS_LABELS[proposal.status]))
            except crud.DataError as exc:
                db.rollback()
                form.form_errors.append(_("The decision could not be saved: %(reason)s", reason=str(exc)))
            else:
                db.commit()
                flash(_decision_message(wanted, name), "success")
                return redirect(url_for("sponsor.review", challenge_id=proposal.challenge_id,
                                        status=form.back.data or None, _anchor=f"proposal-{proposal.id}"))
        allowed = decisions_for_user(proposal)
    return render_template("sponsor/decision.html", proposal=proposal, form=form, allowed=allowed), code


# --- startups and comparisons ----------------------------------------------------------------


@bp.get("/startups/<int:profile_id>")
@sponsor_only
def startup(profile_id: int):
    db = get_session()
    # Loaded with its relations first so the page takes a fixed number of queries; access decides who sees it.
    sponsors.profile_with_details(session=db, profile_id=profile_id)
    profile = profile_for_user(profile_id)
    relations = sponsors.relations_to_sponsor(session=db, sponsor_id=_org_id(), profile_id=profile.id)
    return render_template("sponsor/startup.html", profile=profile, relations=relations)


def _compare_ids() -> Optional[list[int]]:
    """Returns the ids asked for (ids=1,2 or ids=1&ids=2), without repeats; None when one is not a number."""
    parts = [p for raw in request.args.getlist("ids") for p in re.split(r"[,\s]+", raw) if p]
    if not all(p.isascii() and p.isdigit() for p in parts):
        return None
    return list(dict.fromkeys(int(p) for p in parts))


@bp.get("/compare")
@sponsor_only
def compare():
    ids = _compare_ids()
    if ids is None or not COMPARE_MIN <= len(ids) <= COMPARE_MAX:
        return render_template("sponsor/compare.html", proposals=[], error=_(
            "Choose two or three proposed startups to compare.")), 400
    if not all(id_in_range(i) for i in ids):
        abort(404)
    # Loaded with their relations first so the page takes a fixed number of queries; access decides who sees them.
    sponsors.proposals_with_details(session=get_session(), proposal_ids=ids)
    proposals = [proposal_for_user(i) for i in ids]
    return render_template("sponsor/compare.html", proposals=proposals, error=None)
