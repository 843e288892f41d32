"""Column types shared by the tables: UTC timestamps and string-backed enums."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import DateTime, Enum as SAEnum
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Returns the current time as a timezone-aware UTC datetime."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always stored in UTC and always read back timezone-aware.

    PostgreSQL keeps the offset itself (timestamptz); SQLite has no such type, so
    values are converted to UTC on the way in and tagged as UTC on the way out.
    Naive datetimes are refused: they are ambiguous once two offices are involved.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone (for example datetime.now(timezone.utc))")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def enum_type(enum_cls: type[enum.Enum]) -> SAEnum:
    """Builds a VARCHAR column type with a CHECK constraint holding the enum's values.

    Non-native so that adding a status is a plain migration on both SQLite and
    PostgreSQL; the CHECK constraint still makes the database refuse unknown values.
    """
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=32,  # room for statuses added later without widening the column
        values_callable=lambda members: [m.value for m in members],
        name=enum_cls.__name__.lower(),
        validate_strings=True,
    )
