"""Forms of the startup pages. The data layer's pydantic models do the validation; these carry input and CSRF."""

from __future__ import annotations

import re
from typing import Optional

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired

from models.enums import Language, ProposalStatus, Stage
from models.schema import DESCRIPTION_MAX, SUMMARY_MAX, TERMS_MAX
from models.startups import NOTE_MAX

STAGE_LABELS = {
    Stage.idea: _l("Idea"),
    Stage.pre_seed: _l("Pre-seed"),
    Stage.seed: _l("Seed"),
    Stage.series_a: _l("Series A"),
    Stage.series_b: _l("Series B"),
    Stage.series_c: _l("Series C"),
    Stage.growth: _l("Growth"),
}

AUTO = "auto"
LANGUAGE_LABELS = {
    AUTO: _l("Detect from the text"),
    Language.ko.value: _l("Korean"),
    Language.en.value: _l("English"),
    Language.mixed.value: _l("Korean and English mixed"),
}

# Limits a page states in its help texts (the models enforce them).
LIMITS = {"summary": SUMMARY_MAX, "description": DESCRIPTION_MAX, "note": NOTE_MAX, "technologies": TERMS_MAX}

# Commas in any of the forms Korean and English keyboards produce, and line breaks.
_TERM_SEPARATORS = re.compile(r"[,，、\n]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def split_terms(text: str) -> list[str]:
    """Splits comma-separated input into terms (blanks dropped; the model trims and de-duplicates)."""
    return [part for part in (p.strip() for p in _TERM_SEPARATORS.split(text or "")) if part]


def optional_number(text: Optional[str]) -> Optional[str]:
    """Returns None for a blank entry, else the trimmed text (the model parses and checks the number)."""
    text = (text or "").strip()
    return text or None


class ProfileForm(FlaskForm):
    summary = StringField(_l("One-line summary"), render_kw={"data-count": SUMMARY_MAX})
    description = TextAreaField(_l("What your company builds"), render_kw={"data-count": DESCRIPTION_MAX, "rows": 10})
    technologies = StringField(_l("Key technologies"))
    stage = SelectField(_l("Stage"), choices=[SelectChoice(s.value, label) for s, label in STAGE_LABELS.items()],
                        default=Stage.seed.value)
    founded_year = StringField(_l("Founded in (year)"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    team_size = StringField(_l("Team size (people)"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    language = SelectField(_l("Language of the profile"), choices=[SelectChoice(value, label) for value, label in LANGUAGE_LABELS.items()], default=AUTO)
    website = StringField(_l("Website"), render_kw={"inputmode": "url", "autocomplete": "url"})
    # Choices are the fields of every programme, set by the view; unknown ids fail validation.
    field_ids = SelectMultipleField(_l("Fields of interest"), coerce=int, choices=[], validate_choice=True)
    version = HiddenField()

    def website_value(self) -> tuple[Optional[str], Optional[str]]:
        """Returns (the address to store, an error): a bare host gets https://, other schemes are refused.

        The address is shown to sponsors as a link, so javascript: and data: addresses must never be stored.
        """
        text = (self.website.data or "").strip()
        if not text:
            return None, None
        match = _SCHEME.match(text)
        if match is None:
            return "https://" + text, None
        if match.group(1).lower() not in ("http", "https") or not text.lower().split(":", 1)[1].startswith("//"):
            return None, str(_l("Enter a web address starting with http:// or https://."))
        return text, None

    def profile_data(self) -> dict:
        """Returns the typed values shaped for StartupProfileCreate/Update (the models validate them)."""
        website, _ = self.website_value()
        language = self.language.data
        return {
            "summary": self.summary.data or "",
            "description": self.description.data or "",
            "technologies": split_terms(self.technologies.data),
            "stage": self.stage.data,
            "founded_year": optional_number(self.founded_year.data),
            "team_size": optional_number(self.team_size.data),
            "language": None if language == AUTO else language,
            "website": website,
            "field_ids": list(self.field_ids.data or []),
        }


TECHNOLOGIES_HELP = _l("Separate with commas, e.g. 초해상도, model compression, NPU. At most %(n)s.", n=TERMS_MAX)


class InterestForm(FlaskForm):
    """Adds an interest; the note is optional and goes to the sponsor with it."""

    challenge_id = HiddenField(validators=[InputRequired()])
    note = TextAreaField(_l("Note to the sponsor (optional)"), render_kw={"data-count": NOTE_MAX, "rows": 3})
    next = HiddenField()


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note to the sponsor"), render_kw={"data-count": NOTE_MAX, "rows": 2})


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[DataRequired(), AnyOf(["up", "down"])])


class ActionForm(FlaskForm):
    """A button with nothing but its CSRF token (remove an interest)."""


class DecisionForm(FlaskForm):
    decision = HiddenField(validators=[DataRequired(), AnyOf([s.value for s in ProposalStatus])])
