"""Seeding loads fixtures all-or-nothing, names the file and line of a bad record, and is idempotent."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import func
from sqlmodel import select

from models import Challenge, Organization, StartupProfile, User
from models.schema import metadata
from models.seed import SeedError, load_fixtures
from tests.conftest import DEMO_FIXTURES, ROOT

MINIMAL = ROOT / "tests" / "data" / "minimal"


def row_counts(session) -> dict[str, int]:
    return {t.name: session.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables}


@pytest.fixture
def fixture_copy(tmp_path):
    folder = tmp_path / "fixtures"
    shutil.copytree(MINIMAL, folder)
    return folder


def test_seed_loads_every_kind_of_record(session):
    report = load_fixtures(session=session, folder=MINIMAL)

    assert report.created == {
        "organizations": 7, "programmes": 2, "programme_sponsors": 3, "fields": 3,
        "challenges": 4, "startup_profiles": 3, "users": 7, "rounds": 1,
    }
    tv = session.exec(select(Challenge).where(Challenge.code == "LG-TV-01")).one()
    assert tv.field.name_ko == "스마트 TV" and tv.sponsor.slug == "lg-electronics"
    profile = session.exec(select(StartupProfile).join(Organization).where(Organization.slug == "pixelwave")).one()
    assert [f.slug for f in profile.fields] == ["smart-tv"]


def test_seeding_twice_changes_nothing(session):
    load_fixtures(session=session, folder=MINIMAL)
    before = row_counts(session)

    report = load_fixtures(session=session, folder=MINIMAL)

    assert report.total_created == 0
    assert row_counts(session) == before


def test_demo_fixtures_load_and_reload_without_change(session):
    first = load_fixtures(session=session, folder=DEMO_FIXTURES)
    assert first.created["challenges"] >= 30
    assert first.created["startup_profiles"] >= 80
    roles = set(session.exec(select(User.role)).all())
    assert {r.value for r in roles} >= {"startup", "sponsor", "manager"}
    before = row_counts(session)

    assert load_fixtures(session=session, folder=DEMO_FIXTURES).total_created == 0
    assert row_counts(session) == before


def _rewrite_line(path, number, change):
    lines = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[number - 1])
    change(record)
    lines[number - 1] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    "file, line, change, reason",
    [
        ("challenges.jsonl", 2, lambda r: r.update(field="no-such-field"), "field 'no-such-field' is not in programme"),
        ("challenges.jsonl", 1, lambda r: r.update(capacity=0), "capacity: Input should be greater than or equal to 1"),
        ("challenges.jsonl", 2, lambda r: r.update(status="archived"), "status: Input should be 'draft', 'open' or 'closed'"),
        ("startups.jsonl", 2, lambda r: r.update(stage="unicorn"), "stage: Input should be"),
        ("startups.jsonl", 1, lambda r: r.update(fields_of_interest=["nope/none"]), "field of interest 'nope/none' does not exist"),
        ("startups.jsonl", 2, lambda r: r.update(description="제어\x07문자가 들어간 설명입니다. 충분히 깁니다."), "control characters"),
    ],
)
def test_a_bad_record_names_file_line_and_reason_and_writes_nothing(session, fixture_copy, file, line, change, reason):
    _rewrite_line(fixture_copy / file, line, change)

    with pytest.raises(SeedError) as caught:
        load_fixtures(session=session, folder=fixture_copy)

    assert caught.value.path.name == file
    assert caught.value.line == line
    assert reason in caught.value.reason
    assert sum(row_counts(session).values()) == 0


def test_broken_json_names_its_line(session, fixture_copy):
    path = fixture_copy / "startups.jsonl"
    path.write_text(path.read_text(encoding="utf-8") + '{"slug": "broken",\n', encoding="utf-8")

    with pytest.raises(SeedError, match=r"startups.jsonl:4: invalid JSON"):
        load_fixtures(session=session, folder=fixture_copy)
    assert sum(row_counts(session).values()) == 0


def test_reference_to_a_missing_organization_in_a_json_array_names_its_line(session, fixture_copy):
    path = fixture_copy / "users.json"
    users = json.loads(path.read_text(encoding="utf-8"))
    users[2]["organization"] = "ghost-inc"
    path.write_text(json.dumps(users, ensure_ascii=False, indent=2), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = next(i for i, line in enumerate(lines) if "ghost-inc" in line)
    expected_line = max(i for i in range(bad) if lines[i] == "  {") + 1  # where that record opens

    with pytest.raises(SeedError) as caught:
        load_fixtures(session=session, folder=fixture_copy)
    assert "organization 'ghost-inc' is not in organizations.json" in str(caught.value)
    assert caught.value.line == expected_line


def test_seed_command_reports_bad_fixture_on_stderr_and_exits_nonzero(runner, fixture_copy, session):
    _rewrite_line(fixture_copy / "challenges.jsonl", 1, lambda r: r.update(sponsor="pixelwave"))

    result = runner.invoke(args=["seed", "--fixtures", str(fixture_copy)])

    assert result.exit_code == 1
    assert "challenges.jsonl:1: organization 'pixelwave' is a startup, expected a sponsor" in result.stderr
    assert "nothing was written" in result.stderr
    assert sum(row_counts(session).values()) == 0


def test_seed_command_twice_creates_nothing_the_second_time(runner):
    first = runner.invoke(args=["seed", "--fixtures", str(MINIMAL)])
    second = runner.invoke(args=["seed", "--fixtures", str(MINIMAL)])

    assert first.exit_code == 0, first.output
    assert "created 7 organizations" in first.stdout
    assert second.exit_code == 0
    assert "created nothing" in second.stdout
