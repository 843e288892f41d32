"""Forms of the sponsor pages: a challenge, a decision on a proposal, the order of the shortlist."""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from pydantic import TypeAdapter, ValidationError
from wtforms import Form, FormField, FieldList, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, NumberRange, Optional as Blank, Regexp
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets import HiddenInput

from models.enums import ChallengeStatus, Language, ProposalStatus
from models.schema import ChallengeBase
from models.text import TERM_MAX_CHARS, Paragraphs
from web.forms import apply_validation_errors

# Commas as typed on Korean keyboards and in Korean documents count too: fullwidth "，" and "、".
_TAG_SEPARATORS = re.compile(r"[,，、\n]")

REASON_MAX = 2000

LANGUAGE_CHOICES = [
    SelectChoice("", _l("Detect automatically")),
    SelectChoice(Language.ko.value, _l("Korean")),
    SelectChoice(Language.en.value, _l("English")),
    SelectChoice(Language.mixed.value, _l("Korean and English mixed")),
]


def split_tags(text: Optional[str]) -> list[str]:
    """Splits comma-separated tags; blanks are dropped (the data layer drops repeats)."""
    return [part.strip() for part in _TAG_SEPARATORS.split(text or "") if part.strip()]


class ChallengeForm(FlaskForm):
    """A challenge's problem statement; the data layer's rules (ChallengeBase) decide what is valid text."""

    field_id = SelectField(_l("Field"), coerce=int, validate_choice=True)
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"))
    requirements = TextAreaField(_l("Requirements"))
    tags = StringField(_l("Tags"))
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="")
    capacity = IntegerField(_l("Capacity"), default=3, validators=[InputRequired(message=_l("Required."))])
    version = IntegerField(widget=HiddenInput(), validators=[Blank()])

    save = SubmitField(_l("Save"))
    publish = SubmitField(_l("Save and open for matching"))
    close = SubmitField(_l("Save and close"))
    reopen = SubmitField(_l("Save and reopen"))

    def validate_tags(self, field) -> None:
        too_long = [t for t in split_tags(field.data) if len(unicodedata.normalize("NFC", t)) > TERM_MAX_CHARS]
        if too_long:
            raise FieldError(_l("Each tag may have at most %(n)s characters: %(tag)s",
                                n=TERM_MAX_CHARS, tag=too_long[0][:20] + "…"))

    def set_fields(self, fields, locale: str) -> None:
        """Offers the given fields, grouped under their programme's name."""
        self.field_id.choices = [SelectChoice(f.id, f.name(locale), optgroup=f.programme.name(locale)) for f in fields]

    def challenge_input(self) -> Optional[ChallengeBase]:
        """Checks the typed text with the data layer's rules and puts any errors on the fields.

        Returns the checked text (NFC, trimmed, tags split), or None when any field has an error.
        Fields that failed their own parsing (capacity not a number) are left out of the check,
        so each field shows one error.
        """
        values = {
            "title": self.title.data or "",
            "description": self.description.data or "",
            "requirements": self.requirements.data or "",
            "tags": split_tags(self.tags.data),
            "language": self.language.data or None,
            "capacity": self.capacity.data,
        }
        values = {name: value for name, value in values.items() if not getattr(self, name).errors}
        try:
            checked = ChallengeBase(**values)
        except ValidationError as exc:
            apply_validation_errors(self, exc)
            return None
        if any(f.errors for f in self):
            return None
        return checked

    def status_asked(self) -> Optional[str]:
        """Returns the status the pressed button asks for ('open' or 'closed'), or None to keep it."""
        if self.publish.data or self.reopen.data:
            return "open"
        if self.close.data:
            return "closed"
        return None


_reason = TypeAdapter(Paragraphs)


class DecisionForm(FlaskForm):
    """A sponsor's decision on one proposal; rejecting needs a reason."""

    status = StringField(validators=[AnyOf([ProposalStatus.shortlisted.value, ProposalStatus.rejected.value,
                                            ProposalStatus.invited.value])])
    reason = TextAreaField(_l("Reason"))
    back = StringField(validators=[Blank(), AnyOf(["all", "proposed", "shortlisted", "rejected"])])

    def validate_reason(self, field) -> None:
        try:
            # The same hygiene as every typed text: NFC, no control characters, length in characters.
            field.data = _reason.validate_python(field.data or "")
        except ValidationError as exc:
            # A plain-type check reports no field name; the errors belong to the reason.
            apply_validation_errors(self, exc, names={"": "reason"})
            return
        if len(field.data) > REASON_MAX:
            raise FieldError(_l("At most %(n)s characters.", n=REASON_MAX))
        if self.status.data == ProposalStatus.rejected.value and not field.data:
            raise FieldError(_l("Say why this startup is rejected; the reason is kept with the decision."))


class ShortlistEntry(Form):
    proposal_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    position = IntegerField(_l("Position"), validators=[InputRequired(message=_l("Required.")),
                                                        NumberRange(min=1, max=1000)])


class ShortlistOrderForm(FlaskForm):
    """The sponsor's order of preference over its shortlist: typed positions, or one entry moved up or down."""

    entries = FieldList(FormField(ShortlistEntry), max_entries=1000)
    move = StringField(validators=[Blank(), Regexp(r"^(up|down):\d+$")])

    def ordered_ids(self) -> list[int]:
        """Returns the proposal ids in the new order: by typed position (ties keep the old order), then the move."""
        entries = [(e.form.position.data, i, e.form.proposal_id.data) for i, e in enumerate(self.entries)]
        order = [proposal_id for _, _, proposal_id in sorted(entries)]
        if self.move.data:
            direction, _, raw_id = self.move.data.partition(":")
            moved = int(raw_id)
            if moved in order:
                i = order.index(moved)
                j = i - 1 if direction == "up" else i + 1
                if 0 <= j < len(order):
                    order[i], order[j] = order[j], order[i]
        return order


class StatusForm(FlaskForm):
    """A challenge's status button: the status asked for and the version the page showed."""

    status = StringField(validators=[AnyOf([s.value for s in ChallengeStatus])])
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
