"""The database itself refuses rows the domain forbids, with errors that name the rule."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from models import crud
from models.schema import InterestCreate, Organization, UserCreate
from models.seed import load_fixtures
from tests.conftest import ROOT

MINIMAL = ROOT / "tests" / "data" / "minimal"


@pytest.fixture
def seeded(session):
    load_fixtures(session=session, folder=MINIMAL)
    return session


def _challenge(session, code):
    return crud.get_challenge_by_code(session=session, code=code)


def _profile(session, slug):
    org = crud.get_organization_by_slug(session=session, slug=slug)
    return crud.get_profile_by_organization(session=session, organization_id=org.id)


def test_second_interest_in_the_same_challenge_is_refused(seeded):
    challenge, profile = _challenge(seeded, "LG-TV-01"), _profile(seeded, "pixelwave")
    crud.add_interest(session=seeded, startup_id=profile.id, interest_in=InterestCreate(challenge_id=challenge.id))
    seeded.commit()

    with pytest.raises(crud.DataError, match="LG-TV-01 is recorded already"):
        crud.add_interest(session=seeded, startup_id=profile.id, interest_in=InterestCreate(challenge_id=challenge.id, rank=2))

    # The database refuses it too, whoever writes.
    with pytest.raises(IntegrityError, match="(?i)unique|uq_interests"):
        seeded.execute(
            text("INSERT INTO interests (startup_id, challenge_id, rank, note, created_at) VALUES (:s, :c, 3, '', :t)"),
            {"s": profile.id, "c": challenge.id, "t": "2025-01-01 00:00:00"},
        )
    seeded.rollback()


def test_dangling_foreign_key_is_refused(seeded):
    with pytest.raises(IntegrityError, match="(?i)foreign key"):
        seeded.execute(
            text("INSERT INTO interests (startup_id, challenge_id, rank, note, created_at) VALUES (999999, 999999, 1, '', :t)"),
            {"t": "2025-01-01 00:00:00"},
        )
    seeded.rollback()


def test_unknown_status_is_refused_by_the_database(seeded):
    with pytest.raises(IntegrityError, match="ck_challenges_challengestatus"):
        seeded.execute(text("UPDATE challenges SET status = 'archived' WHERE code = 'LG-TV-01'"))
    seeded.rollback()


def test_unknown_status_is_refused_before_it_reaches_the_database(seeded):
    challenge = _challenge(seeded, "LG-TV-01")
    challenge.status = "archived"
    with pytest.raises(StatementError, match="archived"):
        seeded.flush()
    seeded.rollback()


def test_naive_timestamps_are_refused(seeded):
    org = crud.get_organization_by_slug(session=seeded, slug="kised")
    org.updated_at = datetime(2025, 1, 1)
    with pytest.raises(StatementError, match="naive datetime"):
        seeded.flush()
    seeded.rollback()


def test_timestamps_come_back_timezone_aware(seeded):
    org = seeded.get(Organization, crud.get_organization_by_slug(session=seeded, slug="kised").id)
    seeded.expire_all()
    assert org.created_at.tzinfo is not None
    assert org.created_at.utcoffset().total_seconds() == 0


def test_a_user_role_must_fit_its_organization(seeded):
    startup = crud.get_organization_by_slug(session=seeded, slug="quiet-audio")
    with pytest.raises(crud.DataError, match="sponsor user belongs to a sponsor organization"):
        crud.create_user(
            session=seeded,
            user_in=UserCreate(
                email="wrong@example.kr", password="long-enough-pw", role="sponsor",
                display_name="x", organization_id=startup.id,
            ),
        )


def test_duplicate_email_is_refused_whatever_its_case(seeded):
    kised = crud.get_organization_by_slug(session=seeded, slug="kised")
    with pytest.raises(crud.DataError, match="exists already"):
        crud.create_user(
            session=seeded,
            user_in=UserCreate(
                email="MANAGER@example.kr", password="long-enough-pw", role="manager",
                display_name="x", organization_id=kised.id,
            ),
        )
