"""The schema comes only from migrations, on SQLite and on PostgreSQL, and matches the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from models import migrate
from models.db import make_engine
from models.schema import metadata
from tests.conftest import BACKENDS


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_from_empty_creates_every_table_and_downgrade_removes_them(backend, empty_database):
    url = empty_database(backend)
    assert migrate.current_revision(url) is None

    migrate.upgrade(url)

    assert migrate.current_revision(url) == migrate.head_revision()
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables

    migrate.downgrade(url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_migrations_match_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert diff == [], f"models changed without a migration: {diff}"


def test_upgrade_twice_is_harmless(database_url):
    migrate.upgrade(database_url)
    assert migrate.current_revision(database_url) == migrate.head_revision()
