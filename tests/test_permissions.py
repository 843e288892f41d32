"""Who may use each route: every route of the app × every role, with the outcome stated in one table.

Each row of ROUTES names a route (as `app.url_map` spells it), a concrete address built from real ids of the
world below, and what each role gets:

    OK      allowed: 2xx or 3xx, as the route answers (a 3xx that is not the sign-in page)
    NOOP    allowed, but there is nothing of the caller's to change: 2xx or 3xx and the database is unchanged
    NO      refused: 403, because the role may never do this here
    HIDDEN  hidden: 404, because the object is another organization's; the next id the table would give
            (one that does not exist) answers exactly the same, so ids cannot be probed
    LOGIN   anonymous on a page: 302 to the sign-in page
    AUTH    anonymous on the API (no token): 401 with a Bearer challenge

A refused cell (NO, HIDDEN, LOGIN, AUTH) must leave every row of the database as it was. A write refused
for the role (NO, LOGIN, AUTH) is refused again when sent without a body: the role decides before the form
is read. `test_the_matrix_lists_every_route_and_only_those` fails when a route is added without a row here.

The world: tests/data/minimal, plus an LG draft challenge, a round per programme with a run each, proposals
in every status a decision needs, interests, and an API token for every user. "startup" is PixelWave and
"sponsor" LG Electronics, the owners of the objects the addresses name; "other_startup" (Quiet Audio) and
"other_sponsor" (Qualcomm) are the other organizations of the same kind.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator, Optional, Union

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from models import crud
from models.db import make_engine, session_for
from models.enums import ChallengeStatus, ProposalStatus, RunStatus, RunTrigger
from models.schema import (
    ApiToken,
    Challenge,
    ChallengeCreate,
    InterestCreate,
    MatchRun,
    Proposal,
    Round,
    RoundCreate,
    StartupProfile,
    metadata,
)
from models.seed import load_fixtures
from models.types import utcnow
from tests.conftest import MINIMAL_FIXTURES, USERS, _wipe, form_token

ROLES = ("anonymous", "startup", "other_startup", "sponsor", "other_sponsor", "manager", "admin")

OK, NOOP, NO, HIDDEN, LOGIN, AUTH = "allowed", "allowed, changes nothing", "403", "404", "sign-in", "401"
REFUSED = (NO, HIDDEN, LOGIN, AUTH)
REFUSED_FOR_THE_ROLE = (NO, LOGIN, AUTH)
STATUS = {NO: 403, HIDDEN: 404, LOGIN: 302, AUTH: 401}

# Columns written by design on the way: a sign-in stamps the user, an API call stamps its token.
VOLATILE = {"users": {"last_login_at"}, "api_tokens": {"last_used_at"}}


# --- the world -------------------------------------------------------------------------------


@dataclass
class World:
    """The ids the addresses use, by name; the version of each editable row; an API token per role."""

    ids: dict[str, int]
    versions: dict[str, int]
    tokens: dict[str, str]
    # An id its table does not have yet (the next one it would give), for every named id.
    missing: dict[str, int] = field(default_factory=dict)


def _org(session: Session, slug: str) -> int:
    return crud.get_organization_by_slug(session=session, slug=slug).id


def _profile(session: Session, slug: str) -> StartupProfile:
    return crud.get_profile_by_organization(session=session, organization_id=_org(session, slug))


EXPLANATION = {"best_pair": {"challenge": "c", "startup": "s", "similarity": 0.5}, "shared_terms": ["npu"]}


def _run(session: Session, round_id: int, pairs: list[tuple[int, int, float]]) -> tuple[MatchRun, list[Proposal]]:
    """Writes a successful run of a round with a proposal per (challenge id, profile id, score)."""
    run = MatchRun(round_id=round_id, trigger=RunTrigger.manual, status=RunStatus.succeeded, finished_at=utcnow())
    session.add(run)
    session.flush()
    ranks: dict[int, int] = {}
    proposals = []
    for challenge_id, startup_id, score in pairs:
        ranks[challenge_id] = ranks.get(challenge_id, 0) + 1
        proposal = Proposal(run_id=run.id, challenge_id=challenge_id, startup_id=startup_id, score=score,
                            rank=ranks[challenge_id], explanation=EXPLANATION)
        session.add(proposal)
        proposals.append(proposal)
    session.flush()
    return run, proposals


def build_world(session: Session) -> World:
    """Loads tests/data/minimal and adds what every route needs an id of; commits."""
    load_fixtures(session=session, folder=MINIMAL_FIXTURES)
    challenge = {code: crud.get_challenge_by_code(session=session, code=code)
                 for code in ("LG-TV-01", "LG-AUDIO-01", "QC-DRONE-01", "QC-DRONE-02")}
    tv_field = crud.get_field_by_key(session=session, key="ai-2025-on-device/smart-tv")
    audio_field = crud.get_field_by_key(session=session, key="ai-2025-on-device/audio")
    drone_field = crud.get_field_by_key(session=session, key="ai-2025-vertical/inspection-drone")
    lg = _org(session, "lg-electronics")
    lg_draft = crud.create_challenge(session=session, sponsor_id=lg, challenge_in=ChallengeCreate(
        field_id=tv_field.id, code="LG-TV-02", title="음성 리모컨 wake-word 검출",
        description="리모컨 없이 TV를 깨우는 wake-word 검출 모델을 1 mW 이내로 돌려야 합니다.",
        status=ChallengeStatus.draft,
    ))
    pixel, quiet, sky = (_profile(session, slug) for slug in ("pixelwave", "quiet-audio", "skyline-drones"))
    lg_round = session.execute(select(Round)).scalars().one()
    vertical = crud.get_programme_by_slug(session=session, slug="ai-2025-vertical")
    start = datetime(2025, 7, 1, tzinfo=timezone.utc)
    qc_round = crud.create_round(session=session, round_in=RoundCreate(
        programme_id=vertical.id, name_ko="2차 매칭", name_en="Second match", opens_at=start,
        match_at=start + timedelta(days=14), closes_at=start + timedelta(days=60),
    ))
    tv, audio, drone = challenge["LG-TV-01"], challenge["LG-AUDIO-01"], challenge["QC-DRONE-01"]
    lg_run, (tv_pixel, audio_pixel, audio_quiet) = _run(session, lg_round.id, [
        (tv.id, pixel.id, 0.81), (audio.id, pixel.id, 0.64), (audio.id, quiet.id, 0.77)])
    qc_run, (drone_sky,) = _run(session, qc_round.id, [(drone.id, sky.id, 0.9)])
    # LG has shortlisted PixelWave for the TV challenge and invited it for the audio one.
    for proposal, moves in ((tv_pixel, [ProposalStatus.shortlisted]),
                            (audio_pixel, [ProposalStatus.shortlisted, ProposalStatus.invited])):
        for status in moves:
            crud.decide_proposal(session=session, proposal=proposal, status=status, actor_id=None)
    for profile, interested in ((pixel, [tv, audio]), (quiet, [audio]), (sky, [drone])):
        for rank, target in enumerate(interested, start=1):
            crud.add_interest(session=session, startup_id=profile.id, interest_in=InterestCreate(
                challenge_id=target.id, rank=rank, note="관심 있습니다 (interested)"))
    tokens, token_ids = {}, {}
    for who, (email, _password) in USERS.items():
        user = crud.get_user_by_email(session=session, email=email)
        row, tokens[who] = crud.create_api_token(session=session, user_id=user.id, name=f"matrix: {who}")
        token_ids[f"token_{who}"] = row.id
    session.flush()
    ids = {
        "lg_tv": tv.id, "lg_audio": audio.id, "lg_draft": lg_draft.id, "qc_drone": drone.id,
        "qc_draft": challenge["QC-DRONE-02"].id,
        "tv_field": tv_field.id, "audio_field": audio_field.id, "drone_field": drone_field.id,
        "lg_programme": lg_round.programme_id, "qc_programme": vertical.id,
        "pixel_profile": pixel.id, "quiet_profile": quiet.id, "sky_profile": sky.id,
        "lg_round": lg_round.id, "qc_round": qc_round.id, "lg_run": lg_run.id, "qc_run": qc_run.id,
        "p_tv_pixel": tv_pixel.id, "p_audio_pixel": audio_pixel.id, "p_audio_quiet": audio_quiet.id,
        "p_drone_sky": drone_sky.id, "qualcomm": _org(session, "qualcomm"), **token_ids,
    }
    versions = {
        "lg_tv": tv.version, "pixel_profile": pixel.version, "quiet_profile": quiet.version,
        "lg_programme": lg_round.programme.version, "tv_field": tv_field.version, "lg_round": lg_round.version,
    }
    tables = {Challenge: ("lg_tv", "lg_audio", "lg_draft", "qc_drone", "qc_draft"),
              StartupProfile: ("pixel_profile", "quiet_profile", "sky_profile"),
              Proposal: ("p_tv_pixel", "p_audio_pixel", "p_audio_quiet", "p_drone_sky"),
              ApiToken: tuple(token_ids)}
    missing = {}
    for model, names in tables.items():
        next_id = session.execute(select(func.max(model.id))).scalar_one() + 1
        missing.update(dict.fromkeys(names, next_id))
    session.commit()
    return World(ids=ids, versions=versions, tokens=tokens, missing=missing)


# --- the database as it was --------------------------------------------------------------------


def read_tables(engine) -> dict[str, list[dict]]:
    """Reads every row of every table, in primary-key order."""
    with engine.connect() as conn:
        return {table.name: [dict(row._mapping) for row in
                             conn.execute(select(table).order_by(*table.primary_key.columns))]
                for table in metadata.sorted_tables}


def comparable(tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Leaves out the VOLATILE columns, which signing in and calling the API write by design."""
    return {name: [{k: v for k, v in row.items() if k not in VOLATILE.get(name, ())} for row in rows]
            for name, rows in tables.items()}


def put_back(engine, tables: dict[str, list[dict]]) -> None:
    """Replaces every row of every table with the rows read before."""
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
        for table in metadata.sorted_tables:
            if tables[table.name]:
                conn.execute(table.insert(), tables[table.name])


@dataclass
class Matrix:
    """The app on the world's database, a signed-in session per role, and the rows as they were."""

    app: object
    engine: object
    world: World
    before: dict[str, list[dict]]
    cookies: dict[str, Optional[str]]
    csrf: dict[str, str]

    def client(self, role: str, *, api: bool):
        """Returns a test client in the role's signed-in session (for the API: without it)."""
        client = self.app.test_client()
        # API calls carry only their token: the API ignores a browser's cookie anyway.
        if not api and self.cookies[role] is not None:
            client.set_cookie("session", self.cookies[role])
        return client

    def unchanged(self) -> bool:
        """Says whether every row is as it was when the world was built (VOLATILE columns aside)."""
        return comparable(read_tables(self.engine)) == comparable(self.before)

    def restore(self) -> None:
        """Puts the world back after a cell that changed it."""
        if not self.unchanged():
            put_back(self.engine, self.before)


@contextmanager
def matrix_on(database_url: str) -> Iterator[Matrix]:
    """Builds the world on the session's database and signs each role in; empties the database afterwards."""
    from matchmaker.rounds import _open_indexes, _process_memory
    from web import create_app

    engine = make_engine(database_url)
    app = None
    try:
        with session_for(engine) as session:
            world = build_world(session)
        app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret"})
        cookies, csrf = {}, {}
        for role in ROLES:
            client = app.test_client()
            if role != "anonymous":
                email, password = USERS[role]
                response = client.post("/auth/login", data={
                    "email": email, "password": password, "csrf_token": form_token(client, "/auth/login")})
                assert response.status_code == 302, f"could not sign in as {role}"
            csrf[role] = form_token(client, "/auth/login" if role == "anonymous" else "/account/tokens")
            cookie = client.get_cookie("session")
            cookies[role] = cookie.value if cookie else None
        yield Matrix(app=app, engine=engine, world=world, before=read_tables(engine), cookies=cookies, csrf=csrf)
    finally:
        if app is not None:
            app.extensions["engine"].dispose()
        _wipe(engine)
        engine.dispose()
        # The engine's process memory would otherwise remember vectors and indexes of what the wipe forgot.
        _process_memory.cache_clear()
        _open_indexes.clear()


@pytest.fixture(scope="module")
def matrix(database_url):
    """The world, built once per backend for this module; each cell starts from it (see `world`)."""
    # Building the world takes longer than hundreds of cells take to run, so it is built once and put back
    # after any cell that changed it, rather than seeded again for each cell.
    with matrix_on(database_url) as built:
        yield built


@pytest.fixture
def world(matrix):
    """The matrix, put back as it was after the test."""
    yield matrix
    matrix.restore()


# --- bodies ------------------------------------------------------------------------------------

# A form or JSON body, or a function of the world and the role that sends it.
Body = Union[None, dict, Callable[[World, str], dict]]

OWN_FIELD = {"sponsor": "tv_field", "other_sponsor": "drone_field"}
OWN_PROFILE = {"startup": "pixel_profile", "other_startup": "quiet_profile"}
OWN_INTERESTS = {"startup": ["lg_audio", "lg_tv"], "other_startup": ["lg_audio"]}

ROUND_FORM = {
    "name_ko": "3차 매칭", "name_en": "Third match", "timezone": "Asia/Seoul",
    "opens_at": "2025-07-01T09:00", "match_at": "2025-07-15T10:30", "closes_at": "2025-08-31T18:00",
    "proposals_per_challenge": "4", "challenges_per_startup": "2", "min_score": "0.3", "solver": "greedy",
}
PROGRAMME_FORM = {
    "edition_ko": "AI 초격차 챌린지 2026", "edition_en": "AI Super-Gap Challenge 2026", "name_ko": "로보틱스 AI",
    "name_en": "Robotics AI", "description_ko": "로봇 트랙", "description_en": "The robotics track", "year": "2026",
    "selection_target": "10", "max_award_krw": "100,000,000원",
}
CHALLENGE_TEXT = {
    "title": "Wake-word detection under 1 mW", "language": "", "capacity": "3", "tags": "wake word, DSP",
    "description": "리모컨 없이 음성으로 TV를 깨우는 wake-word 모델이 1 mW 이내로 필요합니다.",
    "requirements": "Cortex-M55 class DSP",
}
PROFILE_TEXT = {
    "summary": "온디바이스 AI 엔진",
    "description": "저사양 NPU에서 돌아가는 경량 신경망을 만듭니다. on-device inference 전문.",
    "technologies": "모델 경량화, NPU", "stage": "seed", "founded_year": "2021", "team_size": "9", "language": "auto",
    "website": "",
}


def profile_form(w: World, role: str) -> dict:
    """Returns the profile form a startup sends: its own profile's version."""
    mine = OWN_PROFILE.get(role, "pixel_profile")
    return {**PROFILE_TEXT, "version": str(w.versions[mine]), "field_ids": [str(w.ids["tv_field"])]}


def profile_json(w: World, role: str) -> dict:
    """Returns the whole profile a startup PUTs: its own profile's version."""
    mine = OWN_PROFILE.get(role, "pixel_profile")
    return {"summary": "온디바이스 AI 엔진", "description": PROFILE_TEXT["description"], "technologies": ["NPU"],
            "field_ids": [w.ids["tv_field"]], "version": w.versions[mine]}


def new_challenge_form(w: World, role: str) -> dict:
    """Returns a new challenge in a field of the sponsor's own programme."""
    return {**CHALLENGE_TEXT, "field_id": str(w.ids[OWN_FIELD.get(role, "tv_field")]), "save": "Save"}


def new_challenge_json(w: World, role: str) -> dict:
    """Returns a new challenge in a field of the sponsor's own programme."""
    return {"field_id": w.ids[OWN_FIELD.get(role, "tv_field")], "title": CHALLENGE_TEXT["title"],
            "description": CHALLENGE_TEXT["description"]}


def interest_order(w: World, role: str) -> dict:
    """Returns every one of the startup's own interests, in a new order."""
    return {"challenge_ids": [w.ids[name] for name in OWN_INTERESTS.get(role, ["lg_tv"])]}


# --- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """A row of the matrix: a route, the address that tries it, and each role's outcome there."""

    method: str
    rule: str
    path: str
    expect: dict[str, str]
    label: str = ""
    body: Body = None
    # The id (by name) whose object another organization must not learn of; its missing twin is tried too.
    probe: Optional[str] = None
    # The body says what is asked (a decision, an object id): a refusal may come after reading it.
    body_decides: bool = False

    @property
    def api(self) -> bool:
        return self.rule.startswith("/api/")

    def name(self) -> str:
        shown = re.sub(r"<(?:[^<>]*:)?([^<>:]+)>", r"<\1>", self.rule)
        return f"{self.method} {shown}" + (f" ({self.label})" if self.label else "")


def route(method: str, rule: str, path: str, *outcomes: str, **kwargs) -> Route:
    """One row: the outcomes in the order of ROLES."""
    assert len(outcomes) == len(ROLES), f"{method} {rule}: state an outcome for each of {ROLES}"
    return Route(method, rule, path, dict(zip(ROLES, outcomes)), **kwargs)


I = "<int:challenge_id>"  # noqa: E741  (the rules are long enough without spelling this out each time)

ROUTES = [
    # method  rule / address                                   anonymous startup other_st sponsor other_sp manager admin
    # --- everyone ---------------------------------------------------------------------------------------------------
    route("GET", "/", "/", OK, OK, OK, OK, OK, OK, OK),
    route("GET", "/healthz", "/healthz", OK, OK, OK, OK, OK, OK, OK),
    route("GET", "/static/<path:filename>", "/static/app.css", OK, OK, OK, OK, OK, OK, OK),
    route("GET", "/auth/login", "/auth/login", OK, OK, OK, OK, OK, OK, OK),
    route("POST", "/auth/login", "/auth/login", OK, OK, OK, OK, OK, OK, OK,
          body={"email": USERS["startup"][0], "password": USERS["startup"][1]}),
    route("POST", "/auth/logout", "/auth/logout", LOGIN, OK, OK, OK, OK, OK, OK),
    route("GET", "/auth/signup", "/auth/signup", OK, OK, OK, OK, OK, OK, OK),
    route("POST", "/auth/signup", "/auth/signup", OK, OK, OK, OK, OK, OK, OK,
          body={"name_ko": "새싹로보틱스", "name_en": "Saessak Robotics", "display_name": "이새싹",
                "email": "founder@saessak.kr", "password": "long-enough-pw", "confirm": "long-enough-pw"}),
    route("GET", "/account/tokens", "/account/tokens", LOGIN, OK, OK, OK, OK, OK, OK),
    route("POST", "/account/tokens", "/account/tokens", LOGIN, OK, OK, OK, OK, OK, OK,
          body={"name": "내보내기 script", "expires_in": "30"}),
    route("POST", "/account/tokens/<int:token_id>/revoke", "/account/tokens/{token_startup}/revoke",
          LOGIN, OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, label="the startup's token", probe="token_startup"),
    # --- startup pages ----------------------------------------------------------------------------------------------
    route("GET", "/startup/", "/startup/", LOGIN, OK, OK, NO, NO, NO, NO),
    route("GET", "/startup/profile", "/startup/profile", LOGIN, OK, OK, NO, NO, NO, NO),
    route("POST", "/startup/profile", "/startup/profile", LOGIN, OK, OK, NO, NO, NO, NO, body=profile_form),
    route("GET", "/startup/suggestions", "/startup/suggestions", LOGIN, OK, OK, NO, NO, NO, NO),
    route("GET", f"/startup/challenges/{I}", "/startup/challenges/{lg_tv}", LOGIN, OK, OK, NO, NO, NO, NO,
          label="open"),
    route("GET", f"/startup/challenges/{I}", "/startup/challenges/{lg_draft}", LOGIN, HIDDEN, HIDDEN, NO, NO, NO, NO,
          label="draft", probe="lg_draft"),
    route("POST", f"/startup/challenges/{I}", "/startup/challenges/{qc_drone}", LOGIN, OK, OK, NO, NO, NO, NO,
          label="open", body=lambda w, role: {"challenge_id": str(w.ids["qc_drone"]), "note": "PoC 희망"}),
    route("POST", f"/startup/challenges/{I}", "/startup/challenges/{lg_draft}", LOGIN, HIDDEN, HIDDEN, NO, NO, NO, NO,
          label="draft", probe="lg_draft", body=lambda w, role: {"challenge_id": str(w.ids["lg_draft"]), "note": ""}),
    route("GET", "/startup/interests", "/startup/interests", LOGIN, OK, OK, NO, NO, NO, NO),
    route("POST", "/startup/interests", "/startup/interests", LOGIN, OK, OK, NO, NO, NO, NO, label="open",
          body=lambda w, role: {"challenge_id": str(w.ids["qc_drone"]), "note": ""}),
    route("POST", "/startup/interests", "/startup/interests", LOGIN, HIDDEN, HIDDEN, NO, NO, NO, NO, label="draft",
          probe="lg_draft", body_decides=True, body=lambda w, role: {"challenge_id": str(w.ids["lg_draft"])}),
    # The interest routes act on the caller's own interest in the challenge named: the other startup has none.
    route("POST", f"/startup/interests/{I}/move", "/startup/interests/{lg_tv}/move",
          LOGIN, OK, HIDDEN, NO, NO, NO, NO, probe="lg_tv", body={"direction": "down"}),
    route("POST", f"/startup/interests/{I}/note", "/startup/interests/{lg_tv}/note",
          LOGIN, OK, HIDDEN, NO, NO, NO, NO, probe="lg_tv", body={"note": "9월 PoC 가능 (September PoC)"}),
    # Removing what is not there is a friendly no-op (a second click on the button), and still removes nothing else.
    route("POST", f"/startup/interests/{I}/remove", "/startup/interests/{lg_tv}/remove",
          LOGIN, OK, NOOP, NO, NO, NO, NO),
    route("GET", "/startup/proposals", "/startup/proposals", LOGIN, OK, OK, NO, NO, NO, NO),
    route("POST", "/startup/proposals/<int:proposal_id>/decision", "/startup/proposals/{p_audio_pixel}/decision",
          LOGIN, OK, HIDDEN, NO, NO, NO, NO, label="invited", probe="p_audio_pixel", body={"decision": "accepted"}),
    # --- sponsor pages ----------------------------------------------------------------------------------------------
    route("GET", "/sponsor/", "/sponsor/", LOGIN, NO, NO, OK, OK, NO, NO),
    route("GET", "/sponsor/challenges", "/sponsor/challenges", LOGIN, NO, NO, OK, OK, NO, NO),
    route("GET", "/sponsor/challenges/new", "/sponsor/challenges/new", LOGIN, NO, NO, OK, OK, NO, NO),
    route("POST", "/sponsor/challenges/new", "/sponsor/challenges/new", LOGIN, NO, NO, OK, OK, NO, NO,
          body=new_challenge_form),
    route("GET", f"/sponsor/challenges/{I}", "/sponsor/challenges/{lg_tv}", LOGIN, NO, NO, OK, HIDDEN, NO, NO,
          probe="lg_tv"),
    route("GET", f"/sponsor/challenges/{I}", "/sponsor/challenges/{lg_draft}", LOGIN, NO, NO, OK, HIDDEN, NO, NO,
          label="draft", probe="lg_draft"),
    route("GET", f"/sponsor/challenges/{I}/edit", "/sponsor/challenges/{lg_tv}/edit",
          LOGIN, NO, NO, OK, HIDDEN, NO, NO, probe="lg_tv"),
    route("POST", f"/sponsor/challenges/{I}/edit", "/sponsor/challenges/{lg_tv}/edit",
          LOGIN, NO, NO, OK, HIDDEN, NO, NO, probe="lg_tv",
          body=lambda w, role: {**CHALLENGE_TEXT, "field_id": str(w.ids["tv_field"]),
                                  "version": str(w.versions["lg_tv"]), "save": "Save"}),
    route("POST", f"/sponsor/challenges/{I}/shortlist", "/sponsor/challenges/{lg_tv}/shortlist",
          LOGIN, NO, NO, OK, HIDDEN, NO, NO, probe="lg_tv",
          body=lambda w, role: {"entries-0-proposal_id": str(w.ids["p_tv_pixel"]), "entries-0-position": "1"}),
    route("POST", f"/sponsor/challenges/{I}/status", "/sponsor/challenges/{lg_tv}/status",
          LOGIN, NO, NO, OK, HIDDEN, NO, NO, probe="lg_tv",
          body=lambda w, role: {"status": "closed", "version": str(w.versions["lg_tv"])}),
    route("GET", "/sponsor/proposals/<int:proposal_id>/decision", "/sponsor/proposals/{p_tv_pixel}/decision",
          LOGIN, NO, NO, OK, HIDDEN, NO, NO, probe="p_tv_pixel"),
    route("POST", "/sponsor/proposals/<int:proposal_id>/decision", "/sponsor/proposals/{p_tv_pixel}/decision",
          LOGIN, NO, NO, OK, HIDDEN, NO, NO, probe="p_tv_pixel", body={"status": "invited", "back": "all"}),
    route("GET", "/sponsor/startups/<int:profile_id>", "/sponsor/startups/{pixel_profile}",
          LOGIN, NO, NO, OK, HIDDEN, NO, NO, label="proposed to LG", probe="pixel_profile"),
    route("GET", "/sponsor/compare", "/sponsor/compare?ids={p_tv_pixel},{p_audio_pixel}",
          LOGIN, NO, NO, OK, HIDDEN, NO, NO, probe="p_audio_pixel"),
    # --- manager pages ----------------------------------------------------------------------------------------------
    route("GET", "/manager/", "/manager/?programme={lg_programme}&run={lg_run}", LOGIN, NO, NO, NO, NO, OK, OK),
    route("GET", "/manager/dashboard/<int:programme_id>/<any(scores, coverage, funnel, balance):chart>.svg",
          "/manager/dashboard/{lg_programme}/coverage.svg", LOGIN, NO, NO, NO, NO, OK, OK),
    route("GET", "/manager/programmes", "/manager/programmes", LOGIN, NO, NO, NO, NO, OK, OK),
    route("GET", "/manager/programmes/new", "/manager/programmes/new", LOGIN, NO, NO, NO, NO, OK, OK),
    route("POST", "/manager/programmes/new", "/manager/programmes/new", LOGIN, NO, NO, NO, NO, OK, OK,
          body=PROGRAMME_FORM),
    route("GET", "/manager/programmes/<int:programme_id>", "/manager/programmes/{lg_programme}",
          LOGIN, NO, NO, NO, NO, OK, OK),
    route("POST", "/manager/programmes/<int:programme_id>", "/manager/programmes/{lg_programme}",
          LOGIN, NO, NO, NO, NO, OK, OK,
          body=lambda w, role: {**PROGRAMME_FORM, "year": "2025", "version": str(w.versions["lg_programme"])}),
    route("GET", "/manager/programmes/<int:programme_id>/fields/new", "/manager/programmes/{lg_programme}/fields/new",
          LOGIN, NO, NO, NO, NO, OK, OK),
    route("POST", "/manager/programmes/<int:programme_id>/fields/new", "/manager/programmes/{lg_programme}/fields/new",
          LOGIN, NO, NO, NO, NO, OK, OK,
          body={"name_ko": "가전 로봇", "name_en": "Home robots", "position": "5", "participating_company_id": "0"}),
    route("GET", "/manager/fields/<int:field_id>", "/manager/fields/{tv_field}", LOGIN, NO, NO, NO, NO, OK, OK),
    route("POST", "/manager/fields/<int:field_id>", "/manager/fields/{tv_field}", LOGIN, NO, NO, NO, NO, OK, OK,
          body=lambda w, role: {"name_ko": "스마트 TV", "name_en": "Smart TV", "position": "0",
                                  "participating_company_id": "0", "version": str(w.versions["tv_field"])}),
    route("GET", "/manager/programmes/<int:programme_id>/sponsors/new",
          "/manager/programmes/{lg_programme}/sponsors/new", LOGIN, NO, NO, NO, NO, OK, OK),
    route("POST", "/manager/programmes/<int:programme_id>/sponsors/new",
          "/manager/programmes/{lg_programme}/sponsors/new", LOGIN, NO, NO, NO, NO, OK, OK,
          body=lambda w, role: {"organization_id": str(w.ids["qualcomm"]), "role": "partner",
                                  "contribution_en": "Snapdragon dev kits"}),
    route("GET", "/manager/programmes/<int:programme_id>/rounds/new", "/manager/programmes/{lg_programme}/rounds/new",
          LOGIN, NO, NO, NO, NO, OK, OK),
    route("POST", "/manager/programmes/<int:programme_id>/rounds/new",
          "/manager/programmes/{lg_programme}/rounds/new", LOGIN, NO, NO, NO, NO, OK, OK, body=ROUND_FORM),
    route("GET", "/manager/rounds", "/manager/rounds", LOGIN, NO, NO, NO, NO, OK, OK),
    route("GET", "/manager/rounds/<int:round_id>", "/manager/rounds/{lg_round}", LOGIN, NO, NO, NO, NO, OK, OK),
    route("GET", "/manager/rounds/<int:round_id>/edit", "/manager/rounds/{lg_round}/edit",
          LOGIN, NO, NO, NO, NO, OK, OK),
    route("POST", "/manager/rounds/<int:round_id>/edit", "/manager/rounds/{lg_round}/edit",
          LOGIN, NO, NO, NO, NO, OK, OK, body=lambda w, role: {**ROUND_FORM, "version": str(w.versions["lg_round"])}),
    route("POST", "/manager/rounds/<int:round_id>/unschedule", "/manager/rounds/{lg_round}/unschedule",
          LOGIN, NO, NO, NO, NO, OK, OK),
    route("POST", "/manager/rounds/<int:round_id>/schedule", "/manager/rounds/{qc_round}/schedule",
          LOGIN, NO, NO, NO, NO, OK, OK),
    # The draft round cannot run or select: the answer is the round's page with the reason, as for any manager.
    route("POST", "/manager/rounds/<int:round_id>/run", "/manager/rounds/{qc_round}/run",
          LOGIN, NO, NO, NO, NO, OK, OK),
    route("POST", "/manager/rounds/<int:round_id>/close", "/manager/rounds/{lg_round}/close",
          LOGIN, NO, NO, NO, NO, OK, OK),
    route("POST", "/manager/rounds/<int:round_id>/select", "/manager/rounds/{lg_round}/select",
          LOGIN, NO, NO, NO, NO, OK, OK),
    route("GET", "/manager/rounds/<int:round_id>/selection", "/manager/rounds/{lg_round}/selection",
          LOGIN, NO, NO, NO, NO, OK, OK),
    route("GET", "/manager/rounds/<int:round_id>/selection.<any(csv, xlsx):fmt>",
          "/manager/rounds/{lg_round}/selection.csv", LOGIN, NO, NO, NO, NO, OK, OK),
    route("GET", "/manager/runs/<int:run_id>", "/manager/runs/{lg_run}", LOGIN, NO, NO, NO, NO, OK, OK),
    route("GET", "/manager/runs/<int:run_id>/proposals.<any(csv, xlsx):fmt>", "/manager/runs/{lg_run}/proposals.xlsx",
          LOGIN, NO, NO, NO, NO, OK, OK),
    # --- the JSON API -----------------------------------------------------------------------------------------------
    route("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", OK, OK, OK, OK, OK, OK, OK),
    route("GET", "/api/v1/me", "/api/v1/me", AUTH, OK, OK, OK, OK, OK, OK),
    route("GET", "/api/v1/challenges", "/api/v1/challenges", AUTH, OK, OK, OK, OK, OK, OK),
    route("POST", "/api/v1/challenges", "/api/v1/challenges", AUTH, NO, NO, OK, OK, NO, NO, body=new_challenge_json),
    route("GET", "/api/v1/challenges/<int:challenge_id>", "/api/v1/challenges/{lg_tv}",
          AUTH, OK, OK, OK, HIDDEN, OK, OK, label="open", probe="lg_tv"),
    route("GET", "/api/v1/challenges/<int:challenge_id>", "/api/v1/challenges/{lg_draft}",
          AUTH, HIDDEN, HIDDEN, OK, HIDDEN, OK, OK, label="draft", probe="lg_draft"),
    route("PATCH", "/api/v1/challenges/<int:challenge_id>", "/api/v1/challenges/{lg_tv}",
          AUTH, NO, NO, OK, HIDDEN, OK, OK, probe="lg_tv",
          body=lambda w, role: {"version": w.versions["lg_tv"], "title": "실시간 업스케일링 v2 (real-time)"}),
    route("GET", "/api/v1/challenges/<int:challenge_id>/proposals", "/api/v1/challenges/{lg_tv}/proposals",
          AUTH, NO, NO, OK, HIDDEN, OK, OK, probe="lg_tv"),
    route("GET", "/api/v1/profile", "/api/v1/profile", AUTH, OK, OK, NO, NO, NO, NO),
    route("PUT", "/api/v1/profile", "/api/v1/profile", AUTH, OK, OK, NO, NO, NO, NO, body=profile_json),
    route("GET", "/api/v1/startups/<int:profile_id>", "/api/v1/startups/{pixel_profile}",
          AUTH, OK, HIDDEN, OK, HIDDEN, OK, OK, probe="pixel_profile"),
    route("GET", "/api/v1/suggestions", "/api/v1/suggestions", AUTH, OK, OK, NO, NO, NO, NO),
    route("GET", "/api/v1/proposals", "/api/v1/proposals", AUTH, OK, OK, NO, NO, NO, NO),
    route("GET", "/api/v1/proposals/<int:proposal_id>", "/api/v1/proposals/{p_tv_pixel}",
          AUTH, OK, HIDDEN, OK, HIDDEN, OK, OK, probe="p_tv_pixel"),
    # Each side's decision on a proposal both sides see: the other side, and the programme office, get 403.
    route("POST", "/api/v1/proposals/<int:proposal_id>/decision", "/api/v1/proposals/{p_tv_pixel}/decision",
          AUTH, NO, HIDDEN, OK, HIDDEN, NO, NO, label="sponsor's decision", probe="p_tv_pixel", body_decides=True,
          body={"status": "invited"}),
    route("POST", "/api/v1/proposals/<int:proposal_id>/decision", "/api/v1/proposals/{p_audio_pixel}/decision",
          AUTH, OK, HIDDEN, NO, HIDDEN, NO, NO, label="startup's decision", probe="p_audio_pixel", body_decides=True,
          body={"status": "accepted"}),
    route("GET", "/api/v1/interests", "/api/v1/interests", AUTH, OK, OK, NO, NO, NO, NO),
    route("POST", "/api/v1/interests", "/api/v1/interests", AUTH, OK, OK, NO, NO, NO, NO, label="open",
          body=lambda w, role: {"challenge_id": w.ids["qc_drone"], "note": "PoC 희망"}),
    route("POST", "/api/v1/interests", "/api/v1/interests", AUTH, HIDDEN, HIDDEN, NO, NO, NO, NO, label="draft",
          probe="lg_draft", body_decides=True, body=lambda w, role: {"challenge_id": w.ids["lg_draft"]}),
    route("DELETE", "/api/v1/interests/<int:challenge_id>", "/api/v1/interests/{lg_tv}",
          AUTH, OK, HIDDEN, NO, NO, NO, NO, probe="lg_tv"),
    route("PUT", "/api/v1/interests/order", "/api/v1/interests/order", AUTH, OK, OK, NO, NO, NO, NO,
          body=interest_order),
    route("GET", "/api/v1/rounds", "/api/v1/rounds", AUTH, NO, NO, NO, NO, OK, OK),
    route("GET", "/api/v1/rounds/<int:round_id>", "/api/v1/rounds/{lg_round}", AUTH, NO, NO, NO, NO, OK, OK),
    route("GET", "/api/v1/rounds/<int:round_id>/runs", "/api/v1/rounds/{lg_round}/runs",
          AUTH, NO, NO, NO, NO, OK, OK),
    # A real run of the scheduled round (the engine's models are loaded once per test session).
    route("POST", "/api/v1/rounds/<int:round_id>/runs", "/api/v1/rounds/{lg_round}/runs",
          AUTH, NO, NO, NO, NO, OK, OK),
    route("GET", "/api/v1/runs/<int:run_id>", "/api/v1/runs/{lg_run}", AUTH, NO, NO, NO, NO, OK, OK),
]


@dataclass(frozen=True)
class Cell:
    """One role on one route: a test of its own."""

    route: Route
    role: str

    def __str__(self) -> str:
        return f"{self.route.name()} {self.role}"


CELLS = [Cell(r, role) for r in ROUTES for role in ROLES]


# --- sending and judging -----------------------------------------------------------------------


def send(matrix: Matrix, cell: Cell, w: World, *, empty: bool = False):
    """Sends the cell's request as its role: the CSRF token of the role's session, or its API token."""
    r, role = cell.route, cell.role
    client = matrix.client(role, api=r.api)
    path = r.path.format(**w.ids)
    body = r.body(w, role) if callable(r.body) else dict(r.body or {})
    if r.api:
        headers = {} if role == "anonymous" else {"Authorization": f"Bearer {matrix.world.tokens[role]}"}
        json = None if r.method == "GET" or empty else body
        response = client.open(path, method=r.method, headers=headers, json=json)
    elif r.method == "GET":
        response = client.get(path)
    else:
        response = client.open(path, method=r.method, data={"csrf_token": matrix.csrf[role], **({} if empty else body)})
    # Read it whole and let go of it: a static file's answer holds the file open until closed.
    response.get_data()
    response.close()
    return response


def describe(response) -> str:
    """Sums an answer up for a failure message: status, where it leads, how its body starts."""
    return f"{response.status_code} {response.headers.get('Location', '')} {response.get_data()[:300]!r}"


def assert_outcome(response, expected: str, cell: Cell) -> None:
    """Checks an answer against the outcome the table states for the cell."""
    where = f"{cell}: {describe(response)}"
    if expected in (OK, NOOP):
        assert 200 <= response.status_code < 400, where
        assert not response.headers.get("Location", "").startswith("/auth/login?next="), where
        return
    assert response.status_code == STATUS[expected], where
    if expected == LOGIN:
        assert response.headers["Location"].startswith("/auth/login?next="), where
    elif expected == AUTH:
        assert response.headers["WWW-Authenticate"].startswith("Bearer "), where
    if cell.route.api:
        assert response.get_json()["error"]["status"] == STATUS[expected], where


def same_page(response) -> str:
    """Returns the body less what names the request itself: the CSRF token, the language links to this address."""
    text = response.get_data(as_text=True)
    text = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1", text)
    return re.sub(r'href="[^"]*lang=(ko|en)"', r'href="?lang=\1"', text)


@pytest.mark.parametrize("cell", CELLS, ids=str)
def test_access(world, cell):
    """Checks one role on one route: the outcome the table states, and nothing written when it refuses."""
    expected = cell.route.expect[cell.role]
    response = send(world, cell, world.world)
    assert_outcome(response, expected, cell)
    if expected in REFUSED or expected == NOOP:
        assert world.unchanged(), f"{cell}: the refused request changed the database"
    if expected in REFUSED_FOR_THE_ROLE and cell.route.method != "GET" and not cell.route.body_decides:
        # The role is refused before the form is read: an empty one gets the same answer.
        bare = send(world, cell, world.world, empty=True)
        assert bare.status_code == response.status_code, f"{cell} without a body: {describe(bare)}"
        assert world.unchanged()
    if expected == HIDDEN and cell.route.probe:
        # "Exists, but not yours" and "does not exist" must look alike, to the byte.
        probe = cell.route.probe
        twin = send(world, cell, replace(world.world, ids={**world.world.ids, probe: world.world.missing[probe]}))
        assert twin.status_code == response.status_code, f"{cell} with a missing id: {describe(twin)}"
        if cell.route.api:
            assert twin.get_json() == response.get_json()
        else:
            assert same_page(twin) == same_page(response)
        assert world.unchanged()


def test_the_matrix_lists_every_route_and_only_those():
    """Fails when a route is added (or removed) without its row in the matrix: no page goes unchecked."""
    from web import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "test-secret"})
    routes = {(rule.rule, method) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}}
    listed = {(r.rule, r.method) for r in ROUTES}
    assert sorted(routes - listed) == [], "routes without a row in ROUTES: state who may use them"
    assert sorted(listed - routes) == [], "rows in ROUTES for routes the app no longer has"
    app.extensions["engine"].dispose()


def test_every_hidden_cell_names_the_object_it_hides():
    """Checks that each 404 of the table is tried with a missing id too, so both answers are compared."""
    unprobed = [str(Cell(r, role)) for r in ROUTES for role, outcome in r.expect.items()
                if outcome == HIDDEN and r.probe is None]
    assert unprobed == []


def test_a_startup_never_sees_the_sponsors_reasons_or_shortlist_order_through_the_api(world):
    """Keeps the sponsor's own notes on a proposal from the startup in the API, as its pages do."""
    w = world.world

    def call(role, method, path, body=None):
        client = world.client(role, api=True)
        return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {w.tokens[role]}"})

    rejected = call("sponsor", "POST", f"/api/v1/proposals/{w.ids['p_audio_quiet']}/decision",
                    {"status": "rejected", "reason": "내부 사유: 경쟁사 투자 (internal only)"})
    assert rejected.status_code == 200 and rejected.get_json()["reason"] == "내부 사유: 경쟁사 투자 (internal only)"
    shortlisted = call("sponsor", "GET", f"/api/v1/proposals/{w.ids['p_tv_pixel']}").get_json()
    assert shortlisted["shortlist_rank"] == 1

    seen = [call("other_startup", "GET", f"/api/v1/proposals/{w.ids['p_audio_quiet']}").get_json(),
            call("startup", "GET", f"/api/v1/proposals/{w.ids['p_tv_pixel']}").get_json(),
            *call("other_startup", "GET", "/api/v1/proposals").get_json()["items"],
            *call("startup", "GET", "/api/v1/proposals").get_json()["items"]]
    assert {p["status"] for p in seen} >= {"rejected", "shortlisted"}
    assert [(p["reason"], p["shortlist_rank"]) for p in seen] == [(None, None)] * len(seen)
    assert call("manager", "GET", f"/api/v1/proposals/{w.ids['p_audio_quiet']}").get_json()["reason"]
