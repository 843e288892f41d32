"""Sign-in and sign-up forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class SignupForm(FlaskForm):
    name_ko = StringField(_l("Company name (Korean)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Company name (English)"), validators=[DataRequired(), Length(max=200)])
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)])
    confirm = PasswordField(
        _l("Password again"), validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))]
    )
