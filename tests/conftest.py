"""Shared test fixtures: a migrated database per backend, an app on it, and its clients."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import text

from models import migrate
from models.db import make_engine, session_for
from models.schema import metadata

ROOT = Path(__file__).resolve().parent.parent
DEMO_FIXTURES = ROOT / "fixtures" / "demo"

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def postgres_schema_url(schema: str) -> str:
    """Returns TEST_DATABASE_URL pointed at its own schema, so test runs never see each other's tables."""
    base = migrate.database_url(os.environ["TEST_DATABASE_URL"])
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema}')}"


def create_postgres_schema(schema: str) -> str:
    engine = make_engine(os.environ["TEST_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return postgres_schema_url(schema)


def drop_postgres_schema(schema: str) -> None:
    engine = make_engine(os.environ["TEST_DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory):
    """Returns a factory of empty databases (a URL each) on a backend: 'sqlite' or 'postgresql'."""
    schemas: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        schema = f"mm_test_{uuid.uuid4().hex[:10]}"
        schemas.append(schema)
        return create_postgres_schema(schema)

    yield make
    for schema in schemas:
        drop_postgres_schema(schema)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, empty_database) -> str:
    """A database migrated to the newest schema, once per test session and backend."""
    url = empty_database(request.param)
    migrate.upgrade(url)
    return url


def _wipe(engine) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def engine(database_url):
    """The session's database, emptied after each test."""
    engine = make_engine(database_url)
    yield engine
    _wipe(engine)
    engine.dispose()


@pytest.fixture
def session(engine):
    with session_for(engine) as session:
        yield session


@pytest.fixture
def app(database_url, engine):
    from web import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret"})
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def encoders():
    """The real encoders, loaded once for the whole test session."""
    from matchmaker.encoders import get_encoder

    return {"use-multilingual": get_encoder("use-multilingual"), "minilm": get_encoder("minilm")}
