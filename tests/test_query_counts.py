"""Pages take a fixed number of SQL statements however much they list: no query per row (no N+1)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from models import crud
from models.enums import ChallengeStatus
from models.schema import (
    ChallengeCreate,
    InterestCreate,
    OrganizationCreate,
    Round,
    StartupProfileCreate,
)
from tests.conftest import counting_statements

# The pages each role opens every day; {tv} is LG-TV-01, {round} the LG round, {run} its latest run.
PAGES = {
    "startup": ["/startup/suggestions", "/startup/interests", "/startup/proposals", "/startup/profile"],
    "sponsor": ["/sponsor/challenges", "/sponsor/challenges/{tv}"],
    "manager": ["/manager/", "/manager/rounds", "/manager/rounds/{round}", "/manager/runs/{run}",
                "/manager/programmes"],
}
API = {
    "sponsor": ["/api/v1/challenges?per_page=100", "/api/v1/challenges/{tv}/proposals"],
    "startup": ["/api/v1/suggestions", "/api/v1/interests", "/api/v1/proposals"],
    "manager": ["/api/v1/rounds", "/api/v1/rounds/{round}/runs"],
}
# Rows added between the two measurements: each page lists several times more afterwards.
MORE = 8


def grow(session, make_run, n: int) -> None:
    """Adds n startups proposed for LG-TV-01, n LG challenges, and interests of pixelwave in them."""
    session.commit()  # end the read the page measurements left open: requests have written since
    tv = crud.get_challenge_by_code(session=session, code="LG-TV-01")
    lg = crud.get_organization_by_slug(session=session, slug="lg-electronics")
    pixel = crud.get_profile_by_organization(
        session=session, organization_id=crud.get_organization_by_slug(session=session, slug="pixelwave").id)
    pairs = [("LG-TV-01", "pixelwave", 0.91), ("LG-AUDIO-01", "quiet-audio", 0.8)]
    for i in range(n):
        org = crud.create_organization(session=session, organization_in=OrganizationCreate(
            slug=f"grown-{i}", kind="startup", name_ko=f"성장 {i}", name_en=f"Grown {i}"))
        crud.create_profile(session=session, profile_in=StartupProfileCreate(
            organization_id=org.id, description=f"영상 업스케일링 스타트업 {i}번입니다. 온디바이스로 동작합니다.",
            field_ids=[tv.field_id]))
        challenge = crud.create_challenge(session=session, challenge_in=ChallengeCreate(
            field_id=tv.field_id, title=f"추가 과제 {i}", description="늘어난 과제로 페이지의 질의 수를 확인합니다.",
            status=ChallengeStatus.open), sponsor_id=lg.id)
        crud.add_interest(session=session, startup_id=pixel.id, interest_in=InterestCreate(
            challenge_id=challenge.id, rank=crud.next_interest_rank(session=session, startup_id=pixel.id)))
        pairs.append(("LG-TV-01", f"grown-{i}", 0.5 - i / 100))
    session.commit()
    make_run(pairs)


def fill(path: str, session) -> str:
    """Puts the ids of LG-TV-01, the LG round and its latest run into a path."""
    tv = crud.get_challenge_by_code(session=session, code="LG-TV-01")
    latest = crud.latest_run_for_challenge(session=session, challenge_id=tv.id)
    return path.format(tv=tv.id, round=session.exec(select(Round)).one().id, run=latest.id)


def statements_for(app, client, path, headers=None) -> int:
    with counting_statements(app) as statements:
        response = client.get(path, headers=headers or {})
    assert response.status_code == 200, f"{path}: {response.status_code}"
    return len(statements)


@pytest.fixture
def tokens(seeded):
    made = {}
    for role, email in (("sponsor", "lg@example.kr"), ("startup", "pixel@example.kr"), ("manager", "manager@example.kr")):
        user = crud.get_user_by_email(session=seeded, email=email)
        made[role] = crud.create_api_token(session=seeded, user_id=user.id, name="count")[1]
    seeded.commit()
    return made


def test_pages_take_the_same_number_of_statements_with_many_more_rows(app, seeded, make_run, login_as, tokens, encoders):
    make_run([("LG-TV-01", "pixelwave", 0.91), ("LG-AUDIO-01", "quiet-audio", 0.8)])
    # One of everything to begin with: an empty list skips its loads, which is not the point.
    pixel = crud.get_profile_by_organization(
        session=seeded, organization_id=crud.get_organization_by_slug(session=seeded, slug="pixelwave").id)
    crud.add_interest(session=seeded, startup_id=pixel.id, interest_in=InterestCreate(
        challenge_id=crud.get_challenge_by_code(session=seeded, code="LG-TV-01").id))
    seeded.commit()
    clients = {role: login_as(role) for role in PAGES}

    def measure():
        seeded.commit()
        counts = {}
        for role, paths in PAGES.items():
            for path in paths:
                counts[path] = statements_for(app, clients[role], fill(path, seeded))
        for role, paths in API.items():
            for path in paths:
                counts[path] = statements_for(app, app.test_client(), fill(path, seeded),
                                              {"Authorization": f"Bearer {tokens[role]}"})
        return counts

    measure()  # once first: a token's first use records it, which is bookkeeping, not the page
    before = measure()
    grow(seeded, make_run, MORE)
    measure()  # once first again: new open challenges make the suggestion index rebuild once
    after = measure()

    grew = {path: (before[path], after[path]) for path in before if after[path] != before[path]}
    assert grew == {}, f"statements grew with the data (before, after): {grew}"
    assert max(after.values()) <= 40, after
