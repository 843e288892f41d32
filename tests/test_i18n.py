"""Every page speaks Korean by default and English on request: no catalogue string is left untranslated."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po
from sqlmodel import select

from models import crud
from models.enums import ProposalStatus, RoundStatus
from models.schema import InterestCreate, Programme, Proposal, Round, RoundCreate
from tests.conftest import MINIMAL_FIXTURES, ROOT

CATALOGUE = ROOT / "web" / "translations" / "ko" / "LC_MESSAGES" / "messages.po"
HANGUL = re.compile(r"[\uac00-\ud7a3]+")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")

# What the world below types in besides the fixture files; like the fixtures, it is data, not interface.
TYPED = ["LG TV 화질이 저희 강점과 맞습니다", "분야가 다릅니다", "평가 자동화", "LG export", "Quiet Audio token",
         "2차 매칭", "Second match"]


# --- what a reader sees ----------------------------------------------------------------------


class VisibleText(HTMLParser):
    """Collects a page's text and the attributes read out as tooltips, labels or prompts.

    What sits inside an element marked with another language than the page's (lang="en" on a Korean page:
    the language switch, a challenge written in English) is left out: the page says it is in that language.
    """

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                      "wbr"})
    ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-confirm", "data-copied")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page_lang: str | None = None
        self.stack: list[tuple[str, bool]] = []  # (tag, whether its text is left out)
        self.parts: list[str] = []

    def _skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.page_lang = attrs.get("lang")
        lang = attrs.get("lang")
        skip = self._skipping() or tag in ("script", "style") or (
            lang is not None and tag != "html" and lang != self.page_lang)
        if not skip:
            self.parts.extend(attrs[name] for name in self.ATTRIBUTES if attrs.get(name))
        if tag not in self.VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if data.strip() and not self._skipping():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(" ".join(part.split()) for part in parser.parts)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def user_data() -> list[str]:
    """Returns the texts users typed (fixtures and this module's world), whole and per sentence or line, longest first.

    Lowercase identifiers (slugs, statuses, language codes) are left out: they are never shown as text, and
    masking them would also mask interface words that contain them.
    """
    texts = list(TYPED)
    for path in sorted(MINIMAL_FIXTURES.iterdir()):
        raw = path.read_text(encoding="utf-8")
        records = [json.loads(line) for line in raw.splitlines() if line.strip()] if path.suffix == ".jsonl" \
            else [json.loads(raw)]
        texts.extend(s for record in records for s in _strings(record))
    pieces = set()
    for text in texts:
        for piece in [text, *re.split(r"(?<=[.!?])\s+|\n", text)]:
            piece = " ".join(piece.split())
            if len(piece) > 2 and not re.fullmatch(r"[a-z0-9_./@-]+", piece):
                pieces.add(piece)
    return sorted(pieces, key=len, reverse=True)


def without_user_data(text: str) -> str:
    for piece in user_data():
        text = text.replace(piece, "\u2003")
    return text


def catalogue() -> list[tuple[list[str], list[str]]]:
    """Returns each translated entry of the Korean catalogue as (English ids, Korean strings)."""
    with open(CATALOGUE, "rb") as po:
        entries = read_po(po)
    out = []
    for message in entries:
        if not message.id or not message.string or message.fuzzy:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        out.append((ids, strings))
    return out


def _pattern(msgid: str) -> re.Pattern:
    # A placeholder stands for any short text; the English words around it must stand as words.
    pieces = [re.escape(" ".join(piece.split())) for piece in PLACEHOLDER.split(msgid)]
    body = r".{1,80}?".join(pieces)
    return re.compile(rf"(?<![A-Za-z]){body}(?![A-Za-z])")


def untranslated(text: str) -> list[str]:
    """Returns the catalogue's English strings that show in a Korean page's text."""
    found = []
    for ids, strings in catalogue():
        for msgid in ids:
            if msgid in strings or not re.search(r"[A-Za-z]{2}", PLACEHOLDER.sub("", msgid)):
                continue  # the same in both languages ("UTC"), or nothing English to see ("%(n)s")
            if _pattern(msgid).search(text):
                found.append(msgid)
    return found


def allowed_hangul() -> set[str]:
    """Returns the Hangul an English page may show: examples inside English strings, and words of user data.

    The engine quotes single words of what users typed (key terms in common), which no sentence mask covers.
    """
    examples = {run for ids, _ in catalogue() for msgid in ids for run in HANGUL.findall(msgid)}
    return examples | {run for piece in user_data() for run in HANGUL.findall(piece)}


# --- the world and its pages -----------------------------------------------------------------


def _decide(session, code, slug, *statuses, reason=None):
    challenge = crud.get_challenge_by_code(session=session, code=code)
    profile = crud.get_profile_by_organization(
        session=session, organization_id=crud.get_organization_by_slug(session=session, slug=slug).id)
    proposal = session.exec(select(Proposal).where(Proposal.challenge_id == challenge.id,
                                                   Proposal.startup_id == profile.id)).one()
    for status in statuses:
        crud.decide_proposal(session=session, proposal=proposal, status=status, actor_id=None,
                             reason=reason if status == ProposalStatus.rejected else None)
    return proposal


@pytest.fixture
def world(seeded, make_run):
    """A run with a proposal in most statuses, interests, tokens, a selected round and a draft one: ids by name."""
    run = make_run([("LG-TV-01", "pixelwave", 0.91), ("LG-TV-01", "skyline-drones", 0.55),
                    ("LG-AUDIO-01", "quiet-audio", 0.74), ("LG-AUDIO-01", "pixelwave", 0.12)])
    s = seeded
    selected = _decide(s, "LG-TV-01", "pixelwave", ProposalStatus.shortlisted, ProposalStatus.invited,
                       ProposalStatus.accepted, ProposalStatus.selected)
    proposed = _decide(s, "LG-TV-01", "skyline-drones")
    invited = _decide(s, "LG-AUDIO-01", "quiet-audio", ProposalStatus.shortlisted, ProposalStatus.invited)
    _decide(s, "LG-AUDIO-01", "pixelwave", ProposalStatus.rejected, reason="분야가 다릅니다")

    def profile(slug):
        return crud.get_profile_by_organization(
            session=s, organization_id=crud.get_organization_by_slug(session=s, slug=slug).id)

    def challenge(code):
        return crud.get_challenge_by_code(session=s, code=code)

    crud.add_interest(session=s, startup_id=profile("pixelwave").id, interest_in=InterestCreate(
        challenge_id=challenge("LG-TV-01").id, rank=1, note="LG TV 화질이 저희 강점과 맞습니다"))
    crud.add_interest(session=s, startup_id=profile("quiet-audio").id, interest_in=InterestCreate(
        challenge_id=challenge("LG-TV-01").id, rank=1))
    for email, name in (("pixel@example.kr", "평가 자동화"), ("lg@example.kr", "LG export"),
                        ("manager@example.kr", "평가 자동화"), ("quiet@example.kr", "Quiet Audio token")):
        crud.create_api_token(session=s, user_id=crud.get_user_by_email(session=s, email=email).id, name=name,
                              expires_at=datetime.now(timezone.utc) + timedelta(days=30))

    lg_round = s.exec(select(Round)).one()
    for status in (RoundStatus.scheduled, RoundStatus.matched, RoundStatus.closed, RoundStatus.selected):
        if lg_round.status != status:
            crud.set_round_status(session=s, round_=lg_round, status=status, actor_id=None)
    vertical = s.exec(select(Programme).where(Programme.slug == "ai-2025-vertical")).one()
    opens = datetime(2025, 7, 1, tzinfo=timezone.utc)
    draft = crud.create_round(session=s, round_in=RoundCreate(
        programme_id=vertical.id, name_ko="2차 매칭", name_en="Second match", opens_at=opens,
        match_at=opens + timedelta(days=14), closes_at=opens + timedelta(days=60)))
    s.commit()
    ids = {
        "run": run.id, "lg_round": lg_round.id, "draft_round": draft.id, "on_device": lg_round.programme_id,
        "vertical": vertical.id, "field": challenge("LG-TV-01").field_id,
        "tv": challenge("LG-TV-01").id, "audio": challenge("LG-AUDIO-01").id, "drone": challenge("QC-DRONE-01").id,
        "draft_drone": challenge("QC-DRONE-02").id, "pixelwave": profile("pixelwave").id,
        "selected": selected.id, "proposed": proposed.id, "invited": invited.id,
    }
    s.commit()
    return ids


def pages(role, w) -> list[tuple[str, int]]:
    """Returns (address, expected status) of the pages a role reaches, with the ids of the world."""
    anonymous = [("/", 200), ("/auth/login", 200), ("/auth/signup", 200), ("/no-such-page", 404)]
    startup = [
        ("/startup/profile", 200), ("/startup/suggestions", 200), ("/startup/suggestions?weak=1", 200),
        (f"/startup/suggestions?field={w['field']}", 200), ("/startup/interests", 200),
        ("/startup/proposals", 200), (f"/startup/challenges/{w['tv']}", 200),
        (f"/startup/challenges/{w['audio']}", 200), (f"/startup/challenges/{w['drone']}", 200),
        ("/account/tokens", 200), ("/manager/", 403), ("/", 200),
    ]
    sponsor = [
        ("/sponsor/challenges", 200), ("/sponsor/challenges?status=closed", 200), ("/sponsor/challenges/new", 200),
        (f"/sponsor/challenges/{w['tv']}", 200), (f"/sponsor/challenges/{w['tv']}?status=rejected", 200),
        (f"/sponsor/challenges/{w['audio']}", 200), (f"/sponsor/challenges/{w['tv']}/edit", 200),
        (f"/sponsor/proposals/{w['proposed']}/decision", 200), (f"/sponsor/proposals/{w['selected']}/decision", 200),
        (f"/sponsor/startups/{w['pixelwave']}", 200), (f"/sponsor/compare?ids={w['selected']},{w['proposed']}", 200),
        ("/sponsor/compare", 400), ("/account/tokens", 200), (f"/sponsor/challenges/{w['drone']}", 404),
    ]
    manager = [
        ("/manager/", 200), (f"/manager/?programme={w['vertical']}", 200), ("/manager/programmes", 200),
        ("/manager/programmes/new", 200), (f"/manager/programmes/{w['on_device']}", 200),
        (f"/manager/programmes/{w['on_device']}/fields/new", 200), (f"/manager/fields/{w['field']}", 200),
        (f"/manager/programmes/{w['vertical']}/sponsors/new", 200), ("/manager/rounds", 200),
        (f"/manager/programmes/{w['vertical']}/rounds/new", 200), (f"/manager/rounds/{w['lg_round']}", 200),
        (f"/manager/rounds/{w['draft_round']}", 200), (f"/manager/rounds/{w['draft_round']}/edit", 200),
        (f"/manager/runs/{w['run']}", 200), (f"/manager/rounds/{w['lg_round']}/selection", 200),
        (f"/manager/rounds/{w['draft_round']}/selection", 200), ("/account/tokens", 200),
        (f"/manager/runs/{w['run'] + 1000}", 404),
    ]
    return {
        None: anonymous,
        "startup": startup,
        "other_startup": [("/startup/proposals", 200), ("/startup/interests", 200), ("/account/tokens", 200)],
        "third_startup": [("/startup/proposals", 200), (f"/startup/challenges/{w['tv']}", 200)],
        "sponsor": sponsor,
        "other_sponsor": [("/sponsor/challenges", 200), (f"/sponsor/challenges/{w['draft_drone']}", 200),
                          (f"/sponsor/challenges/{w['draft_drone']}/edit", 200), ("/sponsor/challenges/new", 200)],
        "manager": manager,
        "admin": manager[:3],
    }[role]


ROLES = [None, "startup", "other_startup", "third_startup", "sponsor", "other_sponsor", "manager", "admin"]


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_is_korean_by_default(login_as, world, role):
    client = login_as(role)
    for path, status in pages(role, world):
        response = client.get(path)
        assert response.status_code == status, path
        html = response.get_data(as_text=True)
        assert '<html lang="ko">' in html, path
        assert untranslated(without_user_data(visible_text(html))) == [], path


@pytest.mark.parametrize("role", ROLES)
def test_the_same_pages_in_english_show_no_korean_interface_text(login_as, world, role):
    client = login_as(role)
    client.get("/?lang=en")
    allowed = allowed_hangul()
    for path, status in pages(role, world):
        response = client.get(path)
        assert response.status_code == status, path
        html = response.get_data(as_text=True)
        assert '<html lang="en">' in html, path
        korean = set(HANGUL.findall(without_user_data(visible_text(html)))) - allowed
        assert korean == set(), path


def test_the_check_finds_an_untranslated_string_and_ignores_user_data():
    """Guards the two tests above: a check that found nothing ever would pass them too."""
    page = ('<html lang="ko"><body><h1>Run #12</h1><p title="Move up">Strong fit</p>'
            '<a lang="en" href="?lang=en">English</a><p>Noise cancellation that adapts to the room</p>'
            '<script>var s = "Dashboard";</script></body></html>')
    assert sorted(untranslated(without_user_data(visible_text(page)))) == [
        "Move up", "Run", "Run #%(id)s", "Strong", "Strong fit"]


def test_counts_read_naturally_in_both_languages(login_as, world, make_run):
    single = make_run([("LG-TV-01", "quiet-audio", 0.3)])
    manager = login_as("manager")

    def run_page(run_id):
        return visible_text(manager.get(f"/manager/runs/{run_id}").get_data(as_text=True))

    assert "제안 2건 중 높은 적합도 1건 (k = 5)" in run_page(world["run"])
    assert "제안 1건 중 높은 적합도 0건 (k = 5)" in run_page(single.id)
    manager.get("/?lang=en")
    assert "1 strong of 2 proposals (k = 5)" in run_page(world["run"])
    assert "0 strong of 1 proposal (k = 5)" in run_page(single.id)


def test_the_demo_table_names_each_role_in_korean(client):
    text = visible_text(client.get("/").get_data(as_text=True))
    for role in ("스타트업", "수요기업", "운영 담당자", "관리자"):
        assert f"\n{role}\n" in text
    assert not re.search(r"^(startup|sponsor|manager|admin)$", text, re.MULTILINE)


def test_error_pages_explain_in_korean_without_werkzeugs_english(login_as, world):
    text = visible_text(login_as("startup").get("/manager/").get_data(as_text=True))
    assert "403 · 허용되지 않음" in text and "이 계정으로는 여기에서 이 작업을 할 수 없습니다." in text
    assert "You don't have the permission" not in text
    expired = login_as(None).post("/auth/login", data={"email": "pixel@example.kr", "password": "x"})
    assert expired.status_code == 400
    assert "양식이 만료되었거나 이 사이트에서 보낸 요청이 아닙니다." in expired.get_data(as_text=True)


def test_a_server_error_is_explained_in_korean_on_a_page_and_in_english_by_the_api(app):
    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/broken", "broken", broken)
    app.add_url_rule("/api/v1/broken", "api_broken", broken)
    # The test app re-raises errors by default; here the error handlers must answer as in production.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()

    page = client.get("/broken")
    assert page.status_code == 500
    assert "서버에서 문제가 생겼습니다. 보내신 내용은 저장되지 않았습니다." in visible_text(page.get_data(as_text=True))
    api = client.get("/api/v1/broken")
    assert api.status_code == 500
    assert api.json == {"error": {"status": 500,
                                  "message": "Something went wrong on our side; nothing you sent was saved."}}
