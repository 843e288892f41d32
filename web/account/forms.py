"""Forms of the account pages: creating and revoking personal API tokens."""

from typing import Annotated

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from pydantic import BaseModel, Field
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from models.text import Line

NAME_MAX = 100  # the api_tokens.name column

# Choices in days; "never" leaves the token without an expiry.
EXPIRY_CHOICES = [
    SelectChoice("30", _l("In 30 days")),
    SelectChoice("90", _l("In 90 days")),
    SelectChoice("365", _l("In one year")),
    SelectChoice("never", _l("Never")),
]


class TokenName(BaseModel):
    """The name as stored: NFC, one line, no control characters, at most 100 characters."""

    name: Annotated[Line, Field(min_length=1, max_length=NAME_MAX)]


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)],
        description=_l("What the token is for, so you recognise it later, e.g. \"매칭 결과 내보내기 script\"."),
    )
    expires_in = SelectField(_l("Expires"), choices=EXPIRY_CHOICES, default="90")


class RevokeForm(FlaskForm):
    """A revoke button: the CSRF token is all it carries."""
