"""Views of the manager blueprint: programmes and fields, rounds and runs, the dashboard, exports, the final selection.

Every page here is for the programme office only: managers and admins (checked once, before each request).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Optional

from flask import Response, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from flask_babel import get_locale, gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from models import crud, dashboards
from models.enums import ProposalStatus, Role, RoundStatus, RunStatus, RunTrigger, SponsorRole
from models.schema import FieldCreate, FieldUpdate, ProgrammeCreate, ProgrammeUpdate, RoundCreate, RoundUpdate
from web.access import role_required
from web.database import get_engine, get_session
from web.forms import save_form, when_taken
from web.manager import bp, charts, exports
from web.manager.forms import (
    ActionForm,
    FieldForm,
    ProgrammeForm,
    SponsorForm,
    home_time,
    round_form,
)

# --- access, labels and helpers ---------------------------------------------------------------


@bp.before_request
@role_required(Role.manager, Role.admin)
def managers_only():
    """Lets only managers and admins in (anonymous users go to sign-in, other roles get 403)."""
    return None


ROUND_STATUS = {
    RoundStatus.draft: _l("Draft"), RoundStatus.scheduled: _l("Scheduled"), RoundStatus.matched: _l("Matched"),
    RoundStatus.closed: _l("Closed"), RoundStatus.selected: _l("Selected"),
}
RUN_STATUS = {
    RunStatus.running: _l("Running"), RunStatus.succeeded: _l("Succeeded"), RunStatus.failed: _l("Failed"),
    RunStatus.missed: _l("Missed"),
}
TRIGGER = {RunTrigger.manual: _l("Run by hand"), RunTrigger.scheduled: _l("On schedule")}
PROPOSAL_STATUS = {
    ProposalStatus.proposed: _l("Proposed"), ProposalStatus.shortlisted: _l("Shortlisted"),
    ProposalStatus.rejected: _l("Rejected"), ProposalStatus.invited: _l("Invited"),
    ProposalStatus.accepted: _l("Accepted"), ProposalStatus.declined: _l("Declined"),
    ProposalStatus.selected: _l("Selected"),
}
BAND = {"strong": _l("Strong"), "possible": _l("Possible"), "weak": _l("Weak")}
SPONSOR_ROLE = {SponsorRole.sponsor: _l("Sponsor"), SponsorRole.partner: _l("Partner")}


def locale() -> str:
    """Returns the language of this request: 'ko' or 'en'."""
    return str(get_locale() or "ko")


def local_time(value: Optional[datetime]) -> str:
    """Formats a stored time in Korean time, e.g. '2025-06-02 09:00 KST'."""
    if value is None:
        return ""
    return home_time(value).strftime("%Y-%m-%d %H:%M KST")


def duration(run) -> str:
    """Says how long a run took, e.g. '12.3 s'."""
    if run.finished_at is None or run.started_at is None:
        return ""
    return f"{(run.finished_at - run.started_at).total_seconds():.1f} s"


def pretty_json(value) -> str:
    """Formats a stored JSON value for reading: indented, Korean left as it is."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def bands():
    """Returns the engine's score bands (imported on first use: the scoring module is heavy)."""
    from matchmaker.scoring import shipped_bands

    return shipped_bands()


def band_of(proposal) -> str:
    """Returns the band a proposal's score fell in, as the run recorded it or as the shipped bands say."""
    recorded = (proposal.explanation or {}).get("band")
    return recorded if recorded in BAND else bands().name(proposal.score)


@bp.context_processor
def _helpers():
    return {
        "local_time": local_time, "duration": duration, "pretty_json": pretty_json, "band_of": band_of,
        "round_status": ROUND_STATUS, "run_status": RUN_STATUS, "trigger_label": TRIGGER,
        "proposal_status": PROPOSAL_STATUS, "band_label": BAND, "sponsor_role": SPONSOR_ROLE,
    }


def _check_action() -> None:
    """Refuses a POST button whose form does not validate (its CSRF token missing or stale): 400."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400, _("The form expired. Reload the page and try again."))


def _status() -> int:
    return 400 if request.method == "POST" else 200


def _or_404(value):
    if value is None:
        abort(404)
    return value


# --- programmes -------------------------------------------------------------------------------


@bp.get("/programmes")
def programmes():
    session = get_session()
    return render_template(
        "manager/programmes.html",
        programmes=dashboards.list_programmes(session=session),
        rounds=dashboards.list_rounds(session=session),
    )


def _derived_slug(form) -> str:
    return form.slug.data or dashboards.slugify(f"{form.edition_en.data or ''} {form.name_en.data or ''}")


@bp.route("/programmes/new", methods=["GET", "POST"])
def new_programme():
    form = ProgrammeForm()
    if request.method == "GET":
        form.year.data = home_time(datetime.now(timezone.utc)).year
    if form.validate_on_submit():
        slug = _derived_slug(form)
        if not slug:
            form.slug.errors.append(_("The English names give no address name; type one."))
        else:
            saved = save_form(form, lambda: crud.create_programme(
                session=get_session(), actor_id=current_user.id, programme_in=ProgrammeCreate.model_validate(
                    {**form.values(), "slug": slug, "operator_id": current_user.organization_id})),
                refused=when_taken(form.slug, _("Another programme uses this address name; choose another.")))
            if saved.done:
                flash(_("Programme “%(name)s” created. Add its fields and sponsors next.",
                        name=saved.value.name(locale())), "success")
                return redirect(url_for(".programme", programme_id=saved.value.id))
    return render_template("manager/programme_form.html", form=form, programme=None), _status()


@bp.route("/programmes/<int:programme_id>", methods=["GET", "POST"])
def programme(programme_id: int):
    db = get_session()
    item = _or_404(dashboards.get_programme(session=db, programme_id=programme_id))
    form = ProgrammeForm(obj=item if request.method == "GET" else None)
    form.slug.data = item.slug
    saved = None
    status = 200
    if request.method == "GET":
        form.version.data = str(item.version)
    elif form.validate_on_submit():
        outcome = save_form(form, lambda: crud.update_programme(
            session=db, programme=item, programme_in=ProgrammeUpdate.model_validate(form.values()),
            expected_version=_version(form), actor_id=current_user.id))
        if outcome.done:
            flash(_("Programme saved."), "success")
            return redirect(url_for(".programme", programme_id=programme_id))
        if outcome.conflict:
            item = _or_404(dashboards.get_programme(session=db, programme_id=programme_id))
            saved = _differences(form, item, ProgrammeForm.TEXT + ("year", "selection_target", "max_award_krw"))
            form.version.data = str(item.version)
            form.form_errors.append(_("Someone saved this programme after you opened it. Your text is kept below "
                                      "and the saved values are listed; save again to replace them with yours."))
        status = outcome.status
    else:
        status = 400
    return render_template(
        "manager/programme_form.html", form=form, programme=item, saved=saved,
        rounds=dashboards.list_rounds(session=db, programme_id=programme_id),
    ), status


def _version(form) -> int:
    """Returns the version an edit form was loaded with (0, which never matches, if it was tampered with)."""
    value = form.version.data or ""
    return int(value) if value.isdigit() else 0


def _differences(form, row, names) -> list[tuple[str, object]]:
    """Lists (label, saved value) where the saved row differs from what the user typed."""
    out = []
    for name in names:
        typed, stored = getattr(form, name).data, getattr(row, name)
        if isinstance(stored, str):
            differs = (typed or "").strip() != stored
        else:
            differs = typed != stored
        if differs:
            out.append((getattr(form, name).label.text, stored))
    return out


def _company_choices(session) -> list[tuple[int, str]]:
    return [SelectChoice(0, _("None"))] + [
        SelectChoice(o.id, o.name(locale())) for o in dashboards.partner_organizations(session=session)]


@bp.route("/programmes/<int:programme_id>/fields/new", methods=["GET", "POST"])
def new_field(programme_id: int):
    db = get_session()
    item = _or_404(dashboards.get_programme(session=db, programme_id=programme_id))
    form = FieldForm()
    form.participating_company_id.choices = _company_choices(db)
    if request.method == "GET":
        form.position.data = dashboards.next_field_position(session=db, programme_id=programme_id)
    if form.validate_on_submit():
        slug = form.slug.data or dashboards.slugify(form.name_en.data or "")
        if not slug:
            form.slug.errors.append(_("The English name gives no address name; type one."))
        else:
            saved = save_form(form, lambda: crud.create_field(
                session=db, actor_id=current_user.id, field_in=FieldCreate.model_validate(
                    {**form.values(), "slug": slug, "programme_id": programme_id})),
                refused=when_taken(form.slug, _("This programme has a field with this address name already.")))
            if saved.done:
                flash(_("Field added."), "success")
                return redirect(url_for(".programme", programme_id=programme_id))
    return render_template("manager/field_form.html", form=form, programme=item, field=None), _status()


@bp.route("/fields/<int:field_id>", methods=["GET", "POST"])
def field(field_id: int):
    db = get_session()
    item = _or_404(dashboards.get_field(session=db, field_id=field_id))
    form = FieldForm(obj=item if request.method == "GET" else None)
    form.participating_company_id.choices = _company_choices(db)
    form.slug.data = item.slug
    saved, status = None, 200
    if request.method == "GET":
        form.participating_company_id.data = item.participating_company_id or 0
        form.version.data = str(item.version)
    elif form.validate_on_submit():
        outcome = save_form(form, lambda: crud.update_field(
            session=db, field=item, field_in=FieldUpdate.model_validate(form.values()),
            expected_version=_version(form), actor_id=current_user.id))
        if outcome.done:
            flash(_("Field saved."), "success")
            return redirect(url_for(".programme", programme_id=item.programme_id))
        if outcome.conflict:
            item = _or_404(dashboards.get_field(session=db, field_id=field_id))
            saved = _differences(form, item, ("name_ko", "name_en", "description_ko", "description_en", "position"))
            form.version.data = str(item.version)
            form.form_errors.append(_("Someone saved this field after you opened it. Your text is kept below "
                                      "and the saved values are listed; save again to replace them with yours."))
        status = outcome.status
    else:
        status = 400
    return render_template("manager/field_form.html", form=form, programme=item.programme, field=item,
                           saved=saved), status


@bp.route("/programmes/<int:programme_id>/sponsors/new", methods=["GET", "POST"])
def new_sponsor(programme_id: int):
    db = get_session()
    item = _or_404(dashboards.get_programme(session=db, programme_id=programme_id))
    taking_part = {s.organization_id for s in item.sponsors}
    form = SponsorForm()
    form.organization_id.choices = [
        SelectChoice(o.id, f"{o.name(locale())} ({o.slug})") for o in dashboards.partner_organizations(session=db)
        if o.id not in taking_part
    ]
    def on_the_choice(exc) -> bool:  # the only thing a refusal here can be about
        form.organization_id.errors.append(str(exc))
        return True

    if form.validate_on_submit():
        saved = save_form(form, lambda: crud.add_programme_sponsor(
            session=db, programme_id=programme_id, organization_id=form.organization_id.data,
            role=SponsorRole(form.role.data), contribution_ko=form.contribution_ko.data or "",
            contribution_en=form.contribution_en.data or "", actor_id=current_user.id,
        ), refused=on_the_choice)
        if saved.done:
            flash(_("Added to the programme."), "success")
            return redirect(url_for(".programme", programme_id=programme_id))
    return render_template("manager/sponsor_form.html", form=form, programme=item), _status()


# --- rounds ----------------------------------------------------------------------------------


@bp.get("/rounds")
def rounds():
    session = get_session()
    return render_template(
        "manager/rounds.html",
        rows=dashboards.list_rounds(session=session),
        programmes=dashboards.list_programmes(session=session),
    )


def _solvers() -> list[str]:
    from matchmaker.assignment import SOLVERS

    # The default first, so a new round offers it.
    return sorted(SOLVERS, key=lambda name: (name != "flow", name))


def _round_params(form, current: Optional[dict] = None) -> dict:
    """Returns the round's params with the per-field minimum from the form; other keys are kept as they were."""
    params = dict(current or {})
    minimum = form.field_minimum()
    if minimum:
        params["field_minimum"] = minimum
    else:
        params.pop("field_minimum", None)
    return params


@bp.route("/programmes/<int:programme_id>/rounds/new", methods=["GET", "POST"])
def new_round(programme_id: int):
    db = get_session()
    item = _or_404(dashboards.get_programme(session=db, programme_id=programme_id))
    form = round_form(fields=item.fields, locale=locale(), solvers=_solvers())
    if request.method == "GET":
        form.field_ids.data = [f.id for f in item.fields]
    if form.validate_on_submit():
        saved = save_form(form, lambda: crud.create_round(
            session=db, created_by_id=current_user.id, round_in=RoundCreate.model_validate(
                {**form.values(), "programme_id": programme_id, "params": _round_params(form)})))
        if saved.done:
            flash(_("Round created as a draft. Schedule it when it is ready."), "success")
            return redirect(url_for(".round_detail", round_id=saved.value.id))
    return render_template("manager/round_form.html", form=form, programme=item, round=None), _status()


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
def edit_round(round_id: int):
    db = get_session()
    item = _or_404(dashboards.get_round(session=db, round_id=round_id))
    if item.status not in (RoundStatus.draft, RoundStatus.scheduled):
        flash(_("A round that has matched can no longer be edited."), "error")
        return redirect(url_for(".round_detail", round_id=round_id))
    fields = item.programme.fields
    form = round_form(fields=fields, locale=locale(), solvers=_solvers(), obj=item if request.method == "GET" else None)
    saved, status = None, 200
    if request.method == "GET":
        form.show_times(opens_at=item.opens_at, match_at=item.match_at, closes_at=item.closes_at)
        form.field_ids.data = [f.id for f in item.fields]
        form.version.data = str(item.version)
        minimum = (item.params or {}).get("field_minimum") or {}
        for field_id, minimum_field in form.minimum_fields():
            minimum_field.data = minimum.get(str(field_id))
    elif form.validate_on_submit():
        outcome = save_form(form, lambda: crud.update_round(
            session=db, round_=item, expected_version=_version(form), actor_id=current_user.id,
            round_in=RoundUpdate.model_validate({**form.values(), "params": _round_params(form, item.params)})))
        if outcome.done:
            flash(_("Round saved."), "success")
            return redirect(url_for(".round_detail", round_id=round_id))
        if outcome.conflict:
            item = _or_404(dashboards.get_round(session=db, round_id=round_id))
            saved = _round_differences(form, item)
            form.version.data = str(item.version)
            form.form_errors.append(_("Someone saved this round after you opened it. Your text is kept below and "
                                      "the saved values are listed; save again to replace them with yours."))
        status = outcome.status
    else:
        status = 400
    return render_template("manager/round_form.html", form=form, programme=item.programme, round=item,
                           saved=saved), status


def _round_differences(form, item) -> list[tuple[str, object]]:
    out = _differences(form, item, ("name_ko", "name_en", "proposals_per_challenge", "challenges_per_startup",
                                    "min_score", "solver"))
    for name in ("opens_at", "match_at", "closes_at"):
        if form.aware(name) != getattr(item, name):
            out.append((getattr(form, name).label.text, local_time(getattr(item, name))))
    return out


@bp.get("/rounds/<int:round_id>")
def round_detail(round_id: int):
    db = get_session()
    item = _or_404(dashboards.get_round(session=db, round_id=round_id))
    runs = dashboards.runs_for_round(session=db, round_id=round_id)
    return render_template(
        "manager/round.html", round=item, runs=runs,
        users=dashboards.users_by_id(session=db, user_ids=[r.triggered_by_id for r in runs]),
        field_names={str(f.id): f.name(locale()) for f in item.programme.fields},
    )


def _move_round(round_id: int, status: RoundStatus, done: str):
    _check_action()
    db = get_session()
    item = _or_404(dashboards.get_round(session=db, round_id=round_id))
    try:
        crud.set_round_status(session=db, round_=item, status=status, actor_id=current_user.id)
    except crud.DataError as exc:
        db.rollback()
        flash(_("Not possible now: %(reason)s", reason=str(exc)), "error")
    else:
        db.commit()
        flash(done, "success")
    return redirect(url_for(".round_detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/schedule")
def schedule_round(round_id: int):
    return _move_round(round_id, RoundStatus.scheduled, _("The round is scheduled: it matches at its match time."))


@bp.post("/rounds/<int:round_id>/unschedule")
def unschedule_round(round_id: int):
    return _move_round(round_id, RoundStatus.draft, _("The round is a draft again and will not match by itself."))


@bp.post("/rounds/<int:round_id>/close")
def close_round(round_id: int):
    return _move_round(round_id, RoundStatus.closed, _("The round is closed. The final selection can run now."))


@bp.post("/rounds/<int:round_id>/run")
def run_round(round_id: int):
    _check_action()
    _or_404(dashboards.get_round(session=get_session(), round_id=round_id))
    # The run writes in sessions of its own; this request's transaction must not hold the database meanwhile.
    get_session().rollback()
    from matchmaker import rounds as engine

    try:
        run = engine.run_round(engine=get_engine(), round_id=round_id, trigger=RunTrigger.manual,
                               triggered_by_id=current_user.id)
    except engine.RoundError as exc:
        flash(_("The round cannot run now: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for(".round_detail", round_id=round_id))
    if run.status == RunStatus.succeeded:
        flash(ngettext("The run finished: %(num)s proposal.", "The run finished: %(num)s proposals.", run.n_proposals),
              "success")
    else:
        flash(_("The run failed: %(error)s", error=run.error or ""), "error")
    return redirect(url_for(".run", run_id=run.id))


@bp.post("/rounds/<int:round_id>/select")
def select_round(round_id: int):
    _check_action()
    db = get_session()
    _or_404(dashboards.get_round(session=db, round_id=round_id))
    db.rollback()
    from matchmaker import rounds as engine

    try:
        report = engine.select_round(engine=get_engine(), round_id=round_id, actor_id=current_user.id)
    except engine.RoundError as exc:
        flash(_("The final selection cannot run now: %(reason)s", reason=str(exc)), "error")
        return redirect(url_for(".round_detail", round_id=round_id))
    # The engine explains each startup it did not select only in its answer; keep that for the results page.
    dashboards.record_selection_report(session=db, round_id=round_id, run_id=report.run_id,
                                       not_selected=report.not_selected, actor_id=current_user.id)
    db.commit()
    flash(ngettext("Final selection done: %(num)s startup selected.",
                   "Final selection done: %(num)s startups selected.", len(report.selected)), "success")
    return redirect(url_for(".selection", round_id=round_id))


# The selection's reasons quote ids: "'12' (its 1st choice) ..." for challenges, "the '3' track" for programmes.
_QUOTED_ID = re.compile(r"'(\d+)'( track)?")


def _readable_reason(reason: str, challenges: dict) -> str:
    """Puts challenge codes and programme names in place of the ids a selection reason quotes."""
    programmes = {c.field.programme_id: c.field.programme for c in challenges.values()}

    def name(match: re.Match) -> str:
        number, track = int(match.group(1)), match.group(2)
        if track:
            found = programmes.get(number)
            return f"'{found.name(locale())}'{track}" if found else match.group(0)
        found = challenges.get(number)
        return f"'{found.code}'" if found else match.group(0)

    return _QUOTED_ID.sub(name, reason)


@bp.get("/rounds/<int:round_id>/selection")
def selection(round_id: int):
    db = get_session()
    item = _or_404(dashboards.get_round(session=db, round_id=round_id))
    result, reasons = None, {}
    if item.status == RoundStatus.selected:
        result = dashboards.selection_result(session=db, round_id=round_id)
        reasons = {startup: _readable_reason(text, result.challenges) for startup, text in result.reasons.items()}
    return render_template("manager/selection.html", round=item, result=result, reasons=reasons)


# --- runs ------------------------------------------------------------------------------------


@bp.get("/runs/<int:run_id>")
def run(run_id: int):
    db = get_session()
    item = _or_404(dashboards.get_run(session=db, run_id=run_id))
    proposals = dashboards.run_proposals(session=db, run_id=run_id)
    triggered_by = dashboards.users_by_id(session=db, user_ids=[item.triggered_by_id]).get(item.triggered_by_id)
    groups: list[tuple] = []
    for proposal in proposals:
        if not groups or groups[-1][0].id != proposal.challenge_id:
            groups.append((proposal.challenge, []))
        groups[-1][1].append(proposal)
    params = dict(item.params or {})
    # The assignment's notes on challenges that got fewer proposals than asked read better as a list.
    notes = params.pop("binding", None) or []
    return render_template("manager/run.html", run=item, groups=groups, triggered_by=triggered_by, params=params,
                           notes=notes, strong=bands().strong, k=item.round.proposals_per_challenge)


# --- exports ---------------------------------------------------------------------------------


def _download(columns, rows, *, fmt: str, name: str, sheet: str) -> Response:
    if fmt == "csv":
        body, mimetype = exports.to_csv(columns, rows), exports.CSV_TYPE
    else:
        body, mimetype = exports.to_xlsx(columns, rows, sheet=sheet), exports.XLSX_TYPE
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _proposal_rows(proposals) -> list[list]:
    return [exports.proposal_row(p, locale=locale(), band=str(BAND[band_of(p)]), status=str(PROPOSAL_STATUS[p.status]))
            for p in proposals]


@bp.get("/runs/<int:run_id>/proposals.<any(csv, xlsx):fmt>")
def export_run(run_id: int, fmt: str):
    db = get_session()
    item = _or_404(dashboards.get_run(session=db, run_id=run_id))
    rows = _proposal_rows(dashboards.run_proposals(session=db, run_id=run_id))
    return _download(exports.proposal_columns(_), rows, fmt=fmt, name=f"run-{item.id}-proposals",
                     sheet=_("Run %(id)s proposals", id=item.id))


@bp.get("/rounds/<int:round_id>/selection.<any(csv, xlsx):fmt>")
def export_selection(round_id: int, fmt: str):
    db = get_session()
    item = _or_404(dashboards.get_round(session=db, round_id=round_id))
    rows = _proposal_rows(dashboards.selected_proposals(session=db, round_id=round_id))
    return _download(exports.proposal_columns(_), rows, fmt=fmt, name=f"round-{item.id}-selection",
                     sheet=_("Final selection"))


# --- dashboard -------------------------------------------------------------------------------


def _board(programme, run_id: Optional[int]):
    """Returns the programme's successful runs and its dashboard for the asked run (else the newest).

    A run of another programme answers 404.
    """
    db = get_session()
    runs = dashboards.programme_runs(session=db, programme_id=programme.id)
    if run_id is not None:
        run = next((r for r in runs if r.id == run_id), None)
        if run is None:
            abort(404)
    else:
        run = runs[0] if runs else None
    return runs, dashboards.programme_dashboard(session=db, programme=programme, run=run, strong=bands().strong)


@bp.get("/")
def dashboard():
    programmes = dashboards.list_programmes(session=get_session())
    asked = request.args.get("programme", type=int)
    chosen = next((p for p in programmes if p.id == asked), None) if asked else (programmes[0] if programmes else None)
    if asked and chosen is None:
        abort(404)
    runs, board = _board(chosen, request.args.get("run", type=int)) if chosen else ([], None)
    # Inline, so the page's web font draws the Korean labels (see web/manager/charts.py).
    # Bandit B704 does not apply: ElementTree serialises the chart, escaping every label (tests/test_security.py proves it).
    drawn = {name: Markup(charts.inline(chart_svg(board, name), name)) for name in CHARTS} if board else {}  # nosec B704
    return render_template("manager/dashboard.html", programmes=programmes, chosen=chosen, runs=runs, board=board,
                           possible=bands().possible, charts=drawn)


CHARTS = ("scores", "coverage", "funnel", "balance")


def _field_label(field) -> str:
    return field.name(locale())


def chart_svg(board, chart: str) -> str:
    """Draws one of the dashboard's charts for a programme's dashboard."""
    strong, possible = board.strong, bands().possible
    if chart == "scores":
        return charts.score_strips(
            text=charts.Text(_("Score distribution per field"),
                             _("Each dot is one proposal of the run; the box spans the middle half of the scores.")),
            labels=[_field_label(s.field) for s in board.scores], scores=[s.scores for s in board.scores],
            strong=strong, possible=possible, strong_label=_("Strong"), possible_label=_("Possible"),
            empty=_("No run yet: nothing to show."),
            notes=[ngettext("%(num)s proposal", "%(num)s proposals", len(s.scores))
                   + (" · " + _("median") + f" {s.median:.2f}" if s.scores else "") for s in board.scores],
        )
    if chart == "coverage":
        return charts.coverage_bars(
            text=charts.Text(_("Coverage: strong candidates per challenge"),
                             ngettext("Challenges marked ! have fewer than %(num)s strong candidate.",
                                      "Challenges marked ! have fewer than %(num)s strong candidates.", board.k)),
            labels=[f"{c.challenge.code} {c.challenge.title}" for c in board.coverage],
            strong=[c.strong for c in board.coverage], others=[c.proposals - c.strong for c in board.coverage],
            short=[c.short for c in board.coverage], k=board.k, strong_label=_("Strong"),
            other_label=_("Other proposals"), target_label=_("Target"), empty=_("No run yet: nothing to show."),
        )
    if chart == "funnel":
        return charts.funnel_bars(
            text=charts.Text(_("Decisions so far"),
                             _("How many proposals reached each step, from proposed to selected.")),
            labels=[str(PROPOSAL_STATUS[stage]) for stage, _n in board.funnel],
            counts=[n for _stage, n in board.funnel], empty=_("No proposals yet."),
        )
    return charts.balance_bars(
        text=charts.Text(_("Balance across fields"),
                         _("Proposals and interested startups per field.")),
        labels=[_field_label(b.field) for b in board.balance],
        series=[(_("Proposals"), [b.proposals for b in board.balance]),
                (_("Startups interested in a challenge"), [b.startups_interested for b in board.balance]),
                (_("Startups following the field"), [b.startups_following for b in board.balance])],
        empty=_("This programme has no fields yet."),
    )


@bp.get(f"/dashboard/<int:programme_id>/<any({', '.join(CHARTS)}):chart>.svg")
def chart(programme_id: int, chart: str):
    programme = _or_404(dashboards.get_programme(session=get_session(), programme_id=programme_id))
    _runs, board = _board(programme, request.args.get("run", type=int))
    response = Response(chart_svg(board, chart), mimetype="image/svg+xml")
    # Every decision changes the pictures: the browser asks each time, and gets 304 when nothing changed.
    response.headers["Cache-Control"] = "private, no-cache"
    response.add_etag()
    return response.make_conditional(request)
