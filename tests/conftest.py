"""Shared test fixtures: a migrated database per backend, an app on it, and its clients."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
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


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    """Hashes passwords with scrypt at a test-sized cost: the same code path, 30x faster per user."""
    from models import crud

    crud.PASSWORD_METHOD = "scrypt:1024:8:1"


def postgres_schema_url(schema: str) -> str:
    """Returns TEST_DATABASE_URL pointed at its own schema, so test runs never see each other's tables."""
    base = migrate.database_url(os.environ["TEST_DATABASE_URL"])
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema}')}"


def _postgres_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(os.environ["TEST_DATABASE_URL"].replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(statement)


def create_postgres_schema(schema: str) -> str:
    _postgres_admin(f'CREATE SCHEMA "{schema}"')
    return postgres_schema_url(schema)


def drop_postgres_schema(schema: str) -> None:
    _postgres_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


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
    # The embedding cache's process memory would otherwise remember vectors the wiped table forgot.
    from matchmaker.rounds import _open_indexes, _process_memory, _ranked_suggestions

    _process_memory.cache_clear()
    _open_indexes.clear()
    _ranked_suggestions.clear()


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


MINIMAL_FIXTURES = ROOT / "tests" / "data" / "minimal"

# The small fixture set's users: role key -> (e-mail, password). "other_*" belong to another organization.
USERS = {
    "manager": ("manager@example.kr", "manager-password"),
    "admin": ("admin@example.kr", "admin-password"),
    "sponsor": ("lg@example.kr", "sponsor-password"),          # LG Electronics: LG-TV-01, LG-AUDIO-01
    "other_sponsor": ("qc@example.kr", "sponsor-password"),    # Qualcomm: QC-DRONE-01, QC-DRONE-02 (draft)
    "startup": ("pixel@example.kr", "startup-password"),       # pixelwave, interested in smart-tv
    "other_startup": ("quiet@example.kr", "startup-password"), # quiet-audio, interested in audio
    "third_startup": ("sky@example.kr", "startup-password"),   # skyline-drones, interested in inspection-drone
}


@pytest.fixture
def seeded(session):
    """The small fixture set (tests/data/minimal) loaded and committed."""
    from models.seed import load_fixtures

    load_fixtures(session=session, folder=MINIMAL_FIXTURES)
    session.commit()
    return session


def form_token(client, path: str) -> str:
    """Returns the CSRF token of the form on a page."""
    import re

    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def login_as(app):
    """Returns a function that gives a test client signed in as one of USERS (or None for anonymous)."""

    def sign_in(who):
        client = app.test_client()
        if who is None:
            return client
        email, password = USERS[who]
        response = client.post("/auth/login", data={
            "email": email, "password": password, "csrf_token": form_token(client, "/auth/login"),
        })
        assert response.status_code == 302, f"could not sign in as {who}"
        return client

    return sign_in


@pytest.fixture
def make_run(seeded):
    """Returns a function that writes a successful run with proposals for (challenge code, startup slug, score)."""
    from sqlmodel import select

    from models import crud
    from models.enums import RunStatus, RunTrigger
    from models.schema import MatchRun, Proposal, Round
    from models.types import utcnow

    def write(pairs, status=RunStatus.succeeded):
        round_ = seeded.exec(select(Round)).first()
        run = MatchRun(round_id=round_.id, trigger=RunTrigger.manual, status=status, finished_at=utcnow())
        seeded.add(run)
        seeded.flush()
        ranks: dict[str, int] = {}
        for code, slug, score in pairs:
            challenge = crud.get_challenge_by_code(session=seeded, code=code)
            org = crud.get_organization_by_slug(session=seeded, slug=slug)
            profile = crud.get_profile_by_organization(session=seeded, organization_id=org.id)
            ranks[code] = ranks.get(code, 0) + 1
            seeded.add(Proposal(run_id=run.id, challenge_id=challenge.id, startup_id=profile.id, score=score,
                                rank=ranks[code], explanation={"best_pair": {"challenge": "c", "startup": "s", "similarity": 0.5},
                                                               "shared_terms": ["npu"]}))
        seeded.commit()
        return run

    return write


@contextmanager
def counting_statements(app):
    """Collects the SQL statements the app's engine runs inside the block (to catch a query per row)."""
    from sqlalchemy import event

    engine = app.extensions["engine"]
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)
