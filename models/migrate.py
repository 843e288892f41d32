"""Schema migrations with Alembic, configured in code so no alembic.ini is needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from models.db import database_url, make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """Builds the Alembic configuration for the database URL (see `models.db.database_url`)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is an INI file underneath: '%' would start an interpolation.
    config.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Brings the schema up to the given revision."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    """Takes the schema back to the given revision."""
    command.downgrade(alembic_config(url), revision)


def revision(message: str, url: str | None = None, autogenerate: bool = True) -> None:
    """Writes a new migration file, compared against the models when autogenerate is on."""
    command.revision(alembic_config(url), message=message, autogenerate=autogenerate)


def current_revision(url: str | None = None) -> str | None:
    """Returns the revision the database is at, or None when it has never been migrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    """Returns the newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
