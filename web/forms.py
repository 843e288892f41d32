"""Form helpers: saving a form through the data layer, and its validation errors shown on the form
fields in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from pydantic import ValidationError

from models import crud
from web.database import get_session


@dataclass(frozen=True)
class Saved:
    """What became of a form's save: 200 saved and committed, 400 refused (the reasons are on the
    form), 409 someone saved a newer version first (the caller says what differs)."""

    status: int
    value: Any = None

    @property
    def done(self) -> bool:
        return self.status == 200

    @property
    def conflict(self) -> bool:
        return self.status == 409


def when_taken(field, message: str) -> Callable[[crud.DataError], bool]:
    """A `refused` for save_form: the data layer's "... exists already" goes on `field` as `message`."""

    def place(exc: crud.DataError) -> bool:
        if not isinstance(exc, crud.SlugTaken) and "exists already" not in str(exc):
            return False
        field.errors.append(message)
        return True

    return place


def save_form(form: FlaskForm, write: Callable[[], Any], *,
              refused: Optional[Callable[[crud.DataError], bool]] = None) -> Saved:
    """Runs `write` (it builds the input and calls the data layer) and commits; or rolls back and
    puts what went wrong on the form: validation errors on their fields, a data-layer refusal as a
    form error. `refused(exc)` may place a refusal itself and returns True when it did."""
    db = get_session()
    try:
        value = write()
    except ValidationError as exc:
        db.rollback()
        apply_validation_errors(form, exc)
        return Saved(400)
    except crud.Conflict:
        db.rollback()
        return Saved(409)
    except crud.DataError as exc:
        db.rollback()
        if refused is None or not refused(exc):
            form.form_errors.append(str(exc))
        return Saved(400)
    db.commit()
    return Saved(200, value)


def _message(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if isinstance(error.get("input"), str) and kind in ("too_long", "too_short"):
        # Line and Paragraphs count their length after their own validators, where pydantic
        # reports it as a generic (list-like) length; it is still a text length.
        kind = f"string_{kind}"
    if kind == "string_too_long":
        return _("At most %(n)s characters.", n=ctx.get("max_length"))
    if kind == "string_too_short":
        return _("At least %(n)s characters.", n=ctx.get("min_length"))
    if kind == "too_long":
        return _("At most %(n)s items.", n=ctx.get("max_length"))
    if kind == "too_short":
        return _("At least %(n)s items.", n=ctx.get("min_length"))
    if kind in ("greater_than_equal", "greater_than"):
        return _("Must be at least %(n)s.", n=ctx.get("ge", ctx.get("gt")))
    if kind in ("less_than_equal", "less_than"):
        return _("Must be at most %(n)s.", n=ctx.get("le", ctx.get("lt")))
    if kind == "missing":
        return _("Required.")
    if kind in ("int_parsing", "int_type", "float_parsing"):
        return _("Enter a number.")
    if kind == "enum":
        return _("Choose one of the offered values.")
    if kind == "value_error":
        text = str(ctx.get("error", error["msg"]))
        known = {
            "contains control characters": _("Contains invisible control characters; remove them."),
            "contains bidirectional override characters": _("Contains direction-override characters; remove them."),
            "must be a single line": _("Must be a single line."),
        }
        return known.get(text, text)
    return error["msg"]


def apply_validation_errors(form: FlaskForm, exc: ValidationError, names: Optional[Mapping[str, str]] = None) -> None:
    """Puts each validation error on the form field it concerns (names maps model fields to form fields)."""
    names = names or {}
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else ""
        field = getattr(form, names.get(key, key), None)
        message = _message(error)
        if field is not None and hasattr(field, "errors"):
            if isinstance(field.errors, tuple):
                field.errors = list(field.errors)
            field.errors.append(message)
        else:
            form.form_errors.append(message)
