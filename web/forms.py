"""Form helpers: the data layer's validation errors shown on the form fields, in the reader's language."""

from __future__ import annotations

from typing import Mapping, Optional

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from pydantic import ValidationError


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
