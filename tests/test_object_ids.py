"""Probing ids: a sponsor or a startup that walks ids 1..N (and past the end) learns nothing it may not see.

For each kind of object (challenge, proposal, profile, interest, round, run, token) and each page and API
route that takes its id, the prober tries every id its table has and the next ones: an object of another
organization must answer exactly as an id that names nothing (same status, same body), and change nothing.
Ids no row has (0) or a column cannot hold (2**31, 2**63, 10**20) name nothing either: they never cause a
server error, and get the same status and the same kind of body. The world is the permission matrix's
(tests/test_permissions.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Optional

import pytest
from sqlalchemy import func, select

from models.schema import ApiToken, Challenge, MatchRun, Proposal, Round, StartupProfile
from tests.test_permissions import (
    HIDDEN,
    NOOP,
    OK,
    ROLES,
    ROUTES,
    Cell,
    World,
    comparable,
    matrix_on,
    read_tables,
    same_page,
    send,
)

# Ids past what the INTEGER columns hold on PostgreSQL (2**31) and on SQLite (2**63).
OUT_OF_RANGE = (2**31, 2**63, 10**20)


@dataclass(frozen=True)
class Probe:
    """A route that takes the id of a kind of object, and the role that walks its ids."""

    kind: str
    who: str
    method: str
    path: str
    table: type
    # The ids (by world name) the prober may use: a GET of one answers 2xx; a write to one is not sent.
    mine: tuple[str, ...] = ()
    # What every other id answers: 404 (hidden), or 403 where the role may never use the route at all.
    refused: int = 404
    body: Optional[Callable[[int, World], dict]] = None

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    def __str__(self) -> str:
        return f"{self.kind}: {self.who} {self.method} {self.path}"


LG_CHALLENGES = ("lg_tv", "lg_audio", "lg_draft")
OPEN_CHALLENGES = ("lg_tv", "lg_audio", "qc_drone")
LG_PROPOSALS = ("p_tv_pixel", "p_audio_pixel", "p_audio_quiet")
PIXEL_PROPOSALS = ("p_tv_pixel", "p_audio_pixel")
PIXEL_INTERESTS = ("lg_tv", "lg_audio")
CHALLENGE_FORM = {"title": "Wake-word detection under 1 mW", "capacity": "3", "save": "Save",
                  "description": "리모컨 없이 음성으로 TV를 깨우는 wake-word 모델이 1 mW 이내로 필요합니다."}

PROBES = [
    # --- challenges: a sponsor sees its own, a startup the open ones -------------------------------------------
    Probe("challenge", "sponsor", "GET", "/sponsor/challenges/{id}", Challenge, LG_CHALLENGES),
    Probe("challenge", "sponsor", "GET", "/sponsor/challenges/{id}/edit", Challenge, LG_CHALLENGES),
    Probe("challenge", "sponsor", "POST", "/sponsor/challenges/{id}/edit", Challenge, LG_CHALLENGES,
          body=lambda i, w: {**CHALLENGE_FORM, "field_id": str(w.ids["drone_field"]), "version": "1"}),
    Probe("challenge", "sponsor", "POST", "/sponsor/challenges/{id}/status", Challenge, LG_CHALLENGES,
          body=lambda i, w: {"status": "closed", "version": "1"}),
    Probe("challenge", "sponsor", "POST", "/sponsor/challenges/{id}/shortlist", Challenge, LG_CHALLENGES),
    Probe("challenge", "sponsor", "GET", "/api/v1/challenges/{id}", Challenge, LG_CHALLENGES),
    Probe("challenge", "sponsor", "GET", "/api/v1/challenges/{id}/proposals", Challenge, LG_CHALLENGES),
    Probe("challenge", "sponsor", "PATCH", "/api/v1/challenges/{id}", Challenge, LG_CHALLENGES,
          body=lambda i, w: {"version": 1, "status": "closed"}),
    Probe("challenge", "startup", "GET", "/startup/challenges/{id}", Challenge, OPEN_CHALLENGES),
    Probe("challenge", "startup", "POST", "/startup/challenges/{id}", Challenge, OPEN_CHALLENGES,
          body=lambda i, w: {"challenge_id": str(i), "note": "PoC 희망"}),
    Probe("challenge", "startup", "POST", "/startup/interests", Challenge, OPEN_CHALLENGES,
          body=lambda i, w: {"challenge_id": str(i)}),
    Probe("challenge", "startup", "GET", "/api/v1/challenges/{id}", Challenge, OPEN_CHALLENGES),
    Probe("challenge", "startup", "POST", "/api/v1/interests", Challenge, OPEN_CHALLENGES,
          body=lambda i, w: {"challenge_id": i}),
    # --- proposals: the sponsor of the challenge and the startup proposed ---------------------------------------
    Probe("proposal", "sponsor", "GET", "/sponsor/proposals/{id}/decision", Proposal, LG_PROPOSALS),
    Probe("proposal", "sponsor", "POST", "/sponsor/proposals/{id}/decision", Proposal, LG_PROPOSALS,
          body=lambda i, w: {"status": "rejected", "reason": "범위 밖 (out of scope)"}),
    Probe("proposal", "sponsor", "GET", "/sponsor/compare?ids={p_tv_pixel},{p_audio_pixel},{id}", Proposal,
          LG_PROPOSALS),
    Probe("proposal", "sponsor", "GET", "/api/v1/proposals/{id}", Proposal, LG_PROPOSALS),
    Probe("proposal", "sponsor", "POST", "/api/v1/proposals/{id}/decision", Proposal, LG_PROPOSALS,
          body=lambda i, w: {"status": "rejected", "reason": "범위 밖 (out of scope)"}),
    Probe("proposal", "startup", "POST", "/startup/proposals/{id}/decision", Proposal, PIXEL_PROPOSALS,
          body=lambda i, w: {"decision": "declined"}),
    Probe("proposal", "startup", "GET", "/api/v1/proposals/{id}", Proposal, PIXEL_PROPOSALS),
    Probe("proposal", "startup", "POST", "/api/v1/proposals/{id}/decision", Proposal, PIXEL_PROPOSALS,
          body=lambda i, w: {"status": "declined"}),
    # --- profiles: a startup its own; a sponsor those proposed to or interested in its challenges ---------------
    Probe("profile", "sponsor", "GET", "/sponsor/startups/{id}", StartupProfile, ("pixel_profile", "quiet_profile")),
    Probe("profile", "sponsor", "GET", "/api/v1/startups/{id}", StartupProfile, ("pixel_profile", "quiet_profile")),
    Probe("profile", "startup", "GET", "/api/v1/startups/{id}", StartupProfile, ("pixel_profile",)),
    # --- interests: addressed by challenge id, always the caller's own --------------------------------------------
    Probe("interest", "startup", "POST", "/startup/interests/{id}/move", Challenge, PIXEL_INTERESTS,
          body=lambda i, w: {"direction": "up"}),
    Probe("interest", "startup", "POST", "/startup/interests/{id}/note", Challenge, PIXEL_INTERESTS,
          body=lambda i, w: {"note": "다른 회사의 관심을 덮어쓰기 (overwrite)"}),
    # Removing an interest the startup does not have is a no-op that says so, the same for every id.
    Probe("interest", "startup", "POST", "/startup/interests/{id}/remove", Challenge, PIXEL_INTERESTS, refused=302),
    Probe("interest", "startup", "DELETE", "/api/v1/interests/{id}", Challenge, PIXEL_INTERESTS),
    Probe("interest", "sponsor", "POST", "/startup/interests/{id}/note", Challenge, refused=403,
          body=lambda i, w: {"note": "x"}),
    Probe("interest", "sponsor", "DELETE", "/api/v1/interests/{id}", Challenge, refused=403),
    # --- rounds and runs: the programme office's; other roles are refused before any lookup ----------------------
    Probe("round", "sponsor", "GET", "/manager/rounds/{id}", Round, refused=403),
    Probe("round", "sponsor", "GET", "/manager/rounds/{id}/selection.csv", Round, refused=403),
    Probe("round", "sponsor", "POST", "/manager/rounds/{id}/close", Round, refused=403),
    Probe("round", "startup", "GET", "/manager/rounds/{id}/edit", Round, refused=403),
    Probe("round", "sponsor", "GET", "/api/v1/rounds/{id}", Round, refused=403),
    Probe("round", "startup", "GET", "/api/v1/rounds/{id}/runs", Round, refused=403),
    Probe("round", "startup", "POST", "/api/v1/rounds/{id}/runs", Round, refused=403),
    Probe("run", "sponsor", "GET", "/manager/runs/{id}", MatchRun, refused=403),
    Probe("run", "startup", "GET", "/manager/runs/{id}/proposals.csv", MatchRun, refused=403),
    Probe("run", "sponsor", "GET", "/manager/?programme={lg_programme}&run={id}", MatchRun, refused=403),
    Probe("run", "sponsor", "GET", "/api/v1/runs/{id}", MatchRun, refused=403),
    Probe("run", "startup", "GET", "/api/v1/runs/{id}", MatchRun, refused=403),
    # --- tokens: each user revokes only its own ------------------------------------------------------------------
    Probe("token", "sponsor", "POST", "/account/tokens/{id}/revoke", ApiToken, ("token_sponsor",)),
    Probe("token", "startup", "POST", "/account/tokens/{id}/revoke", ApiToken, ("token_startup",)),
]


def ask(matrix, probe: Probe, object_id: int):
    """Sends the probe for one id as its role (its session and CSRF token, or its API token)."""
    w = matrix.world
    path = probe.path.format(id=object_id, **w.ids)
    body = probe.body(object_id, w) if probe.body else {}
    client = matrix.client(probe.who, api=probe.api)
    if probe.api:
        headers = {"Authorization": f"Bearer {w.tokens[probe.who]}"}
        response = client.open(path, method=probe.method, headers=headers, json=body if probe.body else None)
    elif probe.method == "GET":
        response = client.get(path)
    else:
        response = client.open(path, method=probe.method, data={"csrf_token": matrix.csrf[probe.who], **body})
    response.close()
    return response


def exactly(response):
    """Returns the whole answer, less what names the request itself (see same_page)."""
    if response.is_json:
        return response.status_code, response.get_json()
    return response.status_code, response.headers.get("Location"), same_page(response)


def shape(response):
    """Returns the kind of answer: the status and the JSON keys, or the status and the page's heading."""

    def keys(value):
        if isinstance(value, dict):
            return {k: keys(v) for k, v in value.items()}
        return type(value).__name__

    if response.is_json:
        return response.status_code, keys(response.get_json())
    heading = re.search(r"<h1>(.*?)</h1>", response.get_data(as_text=True), re.S)
    return response.status_code, response.headers.get("Location"), heading and heading.group(1)


@pytest.fixture(scope="module")
def matrix(database_url):
    """The permission matrix's world, built once per backend for this module."""
    with matrix_on(database_url) as built:
        yield built


@pytest.fixture
def world(matrix):
    """The world, put back as it was after the test."""
    yield matrix
    matrix.restore()


@pytest.mark.parametrize("probe", PROBES, ids=str)
def test_ids_of_other_organizations_answer_like_ids_that_name_nothing(world, probe):
    """Walks every id of the table and past its end: all that are not the prober's answer alike, changing nothing."""
    w = world.world
    with world.engine.connect() as conn:
        last = conn.execute(select(func.max(probe.table.id))).scalar_one()
    mine = {w.ids[name] for name in probe.mine}
    theirs = [i for i in range(1, last + 1) if i not in mine]
    assert theirs, "nothing of another organization to probe: the world lacks what this probe needs"
    # The id in a JSON body is checked as a value (1..2**31-1, else 422) before anything is looked up.
    in_body = probe.api and "{id}" not in probe.path
    nothing = [last + 1, last + 2] + ([] if in_body else [0])
    beyond = [] if in_body else list(OUT_OF_RANGE)
    before = comparable(read_tables(world.engine))

    answers = {i: ask(world, probe, i) for i in theirs + nothing + beyond}
    reference = answers[last + 1]
    assert reference.status_code == probe.refused, f"{probe} {last + 1}: {reference.status_code}"
    for i in theirs + nothing:
        assert exactly(answers[i]) == exactly(reference), f"{probe}: id {i} answers unlike an id that names nothing"
    # An id no column can hold names nothing wherever the role may use the route: a 404 like any other. The API
    # answers so before it asks who calls; the pages ask first, so a role refused there still gets its 403.
    expected = 403 if probe.refused == 403 and not probe.api else 404
    for i in beyond:
        assert answers[i].status_code == expected, f"{probe}: id {i} answers {answers[i].status_code}"
        assert shape(answers[i]) == shape(answers[beyond[0]])
        if expected == probe.refused:
            assert shape(answers[i]) == shape(reference), f"{probe}: id {i} answers unlike an id that names nothing"
    assert comparable(read_tables(world.engine)) == before, f"{probe}: a probe changed the database"

    if probe.method == "GET":
        for i in sorted(mine):
            response = ask(world, probe, i)
            assert 200 <= response.status_code < 300, f"{probe}: its own id {i} answers {response.status_code}"


@pytest.mark.parametrize("typed", ["²", "١", "12abc", "", " 1"])
def test_an_interest_in_something_that_is_not_an_id_is_a_bad_request(world, typed):
    """Refuses a challenge id that is not plain ASCII digits with 400, never a server error or another id."""
    client = world.client("startup", api=False)
    response = client.post("/startup/interests", data={"csrf_token": world.csrf["startup"], "challenge_id": typed})
    assert response.status_code == 400
    assert comparable(read_tables(world.engine)) == comparable(world.before)


# Every route with an id in its path, once, with a role that gets past the role check there.
ID_ROUTES = list({(r.method, r.rule): (r, next(role for role in ROLES if r.expect[role] in (OK, NOOP, HIDDEN)))
                  for r in ROUTES if "<int:" in r.rule}.values())


@pytest.mark.parametrize("huge", OUT_OF_RANGE)
@pytest.mark.parametrize(("route", "role"), ID_ROUTES, ids=[f"{r.name()} {role}" for r, role in ID_ROUTES])
def test_an_id_no_column_can_hold_names_nothing_on_every_route(world, route, role, huge):
    """Answers 404 for an id past the INTEGER columns on every route that takes one, as a role that may use it."""
    beyond = replace(world.world, ids=dict.fromkeys(world.world.ids, huge))
    response = send(world, Cell(route, role), beyond)
    assert response.status_code == 404, f"{route.name()} as {role} with id {huge}: {response.status_code}"
    assert world.unchanged()
