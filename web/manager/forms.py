"""Forms of the programme office: programmes, fields, sponsors, rounds, and the POST buttons.

Text lengths are not checked here: the data layer counts characters after NFC
normalisation, which a WTForms Length validator (counting raw code points) would not.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional as Opt
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from models.enums import SponsorRole
from models.schema import SLUG_PATTERN

# The programme runs in Korea, so times are typed and shown in Korean time unless the manager picks another zone.
HOME_ZONE = "Asia/Seoul"
TIMEZONES = {
    HOME_ZONE: _l("Korea (Asia/Seoul, UTC+9)"),
    "UTC": _l("UTC"),
    "America/Los_Angeles": _l("US Pacific (America/Los_Angeles)"),
    "Europe/Berlin": _l("Central Europe (Europe/Berlin)"),
}
INPUT_FORMAT = "%Y-%m-%dT%H:%M"
SLUG_MESSAGE = _l("Use lowercase letters, digits and single hyphens, e.g. on-device-ai.")


def home_time(value: datetime) -> datetime:
    """Returns a stored (UTC) time in Korean time."""
    return value.astimezone(ZoneInfo(HOME_ZONE))


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


class AmountField(IntegerField):
    """A whole number that may be typed with thousands separators or a currency sign (100,000,000원)."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [v.replace(",", "").replace("_", "").replace(" ", "").removesuffix("원").removeprefix("₩")
                         for v in valuelist]
        super().process_formdata(valuelist)


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes: easier to use than a multiple select for a handful of fields."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProgrammeForm(FlaskForm):
    slug = StringField(_l("Address name"), validators=[Optional(), Regexp(SLUG_PATTERN, message=SLUG_MESSAGE)])
    edition_ko = StringField(_l("Edition (Korean)"), validators=[DataRequired()])
    edition_en = StringField(_l("Edition (English)"), validators=[DataRequired()])
    name_ko = StringField(_l("Track name (Korean)"), validators=[DataRequired()])
    name_en = StringField(_l("Track name (English)"), validators=[DataRequired()])
    description_ko = TextAreaField(_l("Description (Korean)"))
    description_en = TextAreaField(_l("Description (English)"))
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    selection_target = IntegerField(_l("Startups to select"), default=0,
                                    validators=[Optional(), NumberRange(min=0, max=10_000)])
    max_award_krw = AmountField(_l("Maximum award (KRW)"), default=0, validators=[Optional(), NumberRange(min=0)])
    version = HiddenField()

    TEXT = ("edition_ko", "edition_en", "name_ko", "name_en", "description_ko", "description_en")

    def values(self) -> dict:
        """Returns what was typed, as the data layer's field names and types."""
        data = {name: getattr(self, name).data or "" for name in self.TEXT}
        data["year"] = self.year.data
        data["selection_target"] = self.selection_target.data or 0
        data["max_award_krw"] = self.max_award_krw.data or 0
        return data


class FieldForm(FlaskForm):
    slug = StringField(_l("Address name"), validators=[Optional(), Regexp(SLUG_PATTERN, message=SLUG_MESSAGE)])
    name_ko = StringField(_l("Name (Korean)"), validators=[DataRequired()])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired()])
    description_ko = TextAreaField(_l("Description (Korean)"))
    description_en = TextAreaField(_l("Description (English)"))
    position = IntegerField(_l("Position in lists"), validators=[Optional(), NumberRange(min=0, max=1000)])
    participating_company_id = SelectField(_l("Participating company"), coerce=int, default=0)
    version = HiddenField()

    def values(self) -> dict:
        """Returns what was typed, as the data layer's field names and types (0 company = none)."""
        return {
            "name_ko": self.name_ko.data or "", "name_en": self.name_en.data or "",
            "description_ko": self.description_ko.data or "", "description_en": self.description_en.data or "",
            "position": self.position.data if self.position.data is not None else 0,
            "participating_company_id": self.participating_company_id.data or None,
        }


class SponsorForm(FlaskForm):
    organization_id = SelectField(_l("Organization"), coerce=int, validators=[DataRequired()])
    role = SelectField(
        _l("Takes part as"),
        choices=[SelectChoice(SponsorRole.sponsor.value, _l("Sponsor: poses challenges")),
                 SelectChoice(SponsorRole.partner.value, _l("Partner: supports with tools or funds"))],
        default=SponsorRole.sponsor.value,
    )
    contribution_ko = TextAreaField(_l("Contribution (Korean)"))
    contribution_en = TextAreaField(_l("Contribution (English)"))


class RoundForm(FlaskForm):
    """A match round. `round_form` adds one minimum field per field of the programme (minimum_<field id>)."""

    name_ko = StringField(_l("Name (Korean)"), validators=[DataRequired()])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired()])
    timezone = SelectField(_l("Time zone of the times below"),
                           choices=[SelectChoice(zone, label) for zone, label in TIMEZONES.items()], default=HOME_ZONE)
    opens_at = DateTimeLocalField(_l("Opens"), format=INPUT_FORMAT, validators=[InputRequired()])
    match_at = DateTimeLocalField(_l("Matches"), format=INPUT_FORMAT, validators=[InputRequired()])
    closes_at = DateTimeLocalField(_l("Closes"), format=INPUT_FORMAT, validators=[InputRequired()])
    field_ids = MultiCheckboxField(_l("Fields"), coerce=int)
    proposals_per_challenge = IntegerField(_l("Startups proposed per challenge (k)"), default=5,
                                           validators=[InputRequired(), NumberRange(min=1, max=100)])
    challenges_per_startup = IntegerField(_l("Challenges per startup (m)"), default=3,
                                          validators=[InputRequired(), NumberRange(min=1, max=50)])
    min_score = FloatField(_l("Minimum score"), default=0.35, validators=[InputRequired(), NumberRange(min=0, max=1)])
    solver = SelectField(_l("Assignment method"), default="flow")
    version = HiddenField()

    MINIMUM_PREFIX = "minimum_"

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        opens, match, closes = (self.aware(n) for n in ("opens_at", "match_at", "closes_at"))
        if opens and closes and not opens < closes:
            self.closes_at.errors.append(_l("The round must close after it opens."))
            ok = False
        if opens and match and closes and opens < closes and not opens <= match <= closes:
            self.match_at.errors.append(_l("The match time must lie between the opening and the closing."))
            ok = False
        return ok

    def aware(self, name: str) -> Opt[datetime]:
        """Returns a typed time in UTC, read in the chosen time zone (None when missing or invalid)."""
        value = getattr(self, name).data
        if value is None:
            return None
        zone = self.timezone.data if self.timezone.data in TIMEZONES else HOME_ZONE
        return value.replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)

    def show_times(self, *, opens_at: datetime, match_at: datetime, closes_at: datetime) -> None:
        """Fills the time inputs with stored times, in Korean time."""
        self.timezone.data = HOME_ZONE
        for name, value in (("opens_at", opens_at), ("match_at", match_at), ("closes_at", closes_at)):
            getattr(self, name).data = home_time(value).replace(tzinfo=None)

    def minimum_fields(self):
        """Yields (field id, form field) for the per-field minimum inputs."""
        for form_field in self:
            if form_field.name.startswith(self.MINIMUM_PREFIX):
                yield int(form_field.name[len(self.MINIMUM_PREFIX):]), form_field

    def field_minimum(self) -> dict[str, int]:
        """Returns the minimum proposals per field that were asked for, keyed by field id (as JSON keys are)."""
        return {str(field_id): f.data for field_id, f in self.minimum_fields() if f.data}

    def values(self) -> dict:
        """Returns the round as the data layer's field names and types (params left to the caller)."""
        return {
            "name_ko": self.name_ko.data or "", "name_en": self.name_en.data or "",
            "opens_at": self.aware("opens_at"), "match_at": self.aware("match_at"),
            "closes_at": self.aware("closes_at"),
            "proposals_per_challenge": self.proposals_per_challenge.data,
            "challenges_per_startup": self.challenges_per_startup.data,
            "min_score": self.min_score.data, "solver": self.solver.data,
            "field_ids": list(self.field_ids.data or []),
        }


def round_form(*, fields, locale: str, solvers, **kwargs) -> RoundForm:
    """Builds the round form for a programme's fields: checkboxes to pick them and a minimum for each."""
    extra = {
        f"{RoundForm.MINIMUM_PREFIX}{f.id}": IntegerField(
            f.name(locale), validators=[Optional(), NumberRange(min=0, max=1000)]
        )
        for f in fields
    }
    form = type("ProgrammeRoundForm", (RoundForm,), extra)(**kwargs)
    form.field_ids.choices = [SelectChoice(f.id, f.name(locale)) for f in fields]
    form.solver.choices = [SelectChoice(name, SOLVER_LABELS.get(name, name)) for name in solvers]
    return form


SOLVER_LABELS = {
    "flow": _l("Best total (min-cost flow)"),
    "greedy": _l("Best pairs first (greedy)"),
}
