"""Browser fixtures: the demo served by a real server on a migrated SQLite file, and Debian's Chromium to drive it."""

from __future__ import annotations

import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_FIXTURES = ROOT / "fixtures" / "demo"
SCREENSHOTS = ROOT / "test-results" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# Playwright's own browser download needs the internet; Debian's build needs no sandbox in a container and none
# of the background services that would phone home while a test runs.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# Long enough for a page that scores a changed profile against every open challenge on a slow CI machine.
TIMEOUT_MS = 60_000

# The demo's accounts (fixtures/demo/users.json): role -> (e-mail, password).
DEMO_USERS = {
    "startup": ("startup@demo.matchmaker.kr", "demo-startup-2025"),  # 소리마루 (sorimaru), a Korean profile
    "sponsor": ("lg@demo.matchmaker.kr", "demo-sponsor-2025"),       # LG전자
    "manager": ("manager@demo.matchmaker.kr", "demo-manager-2025"),
}


def pytest_collection_modifyitems(config, items):
    """Skips the browser tests without /usr/bin/chromium, unless REQUIRE_BROWSER=1 makes that a failure."""
    if CHROMIUM.exists() or os.environ.get("REQUIRE_BROWSER") == "1":
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not found: install Debian's chromium to run the browser journeys "
                                   "(set REQUIRE_BROWSER=1 to make its absence a failure)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@dataclass(frozen=True)
class LiveServer:
    """The demo as a browser sees it: its address, and its database for checking what a journey wrote."""

    url: str
    database_url: str


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Serves the demo (migrated, seeded, first scheduled round run) from a werkzeug server in a thread."""
    from werkzeug.serving import make_server

    from matchmaker.rounds import run_round
    from models import migrate, runs
    from models.db import make_engine, session_for
    from models.seed import load_fixtures
    from web import create_app

    database_url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'demo.db'}"
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with session_for(engine) as session:
            load_fixtures(session=session, folder=DEMO_FIXTURES)
            session.commit()
            first = runs.scheduled_rounds(session=session)[0].id
        # Sponsors have proposals to review only after a run, as in the demo the README starts.
        run = run_round(engine=engine, round_id=first)
        assert run.status.value == "succeeded", run.error
    finally:
        engine.dispose()

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "browser-test-secret",
                      "FIXTURES_DIR": str(DEMO_FIXTURES)})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", database_url=database_url)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["engine"].dispose()


@pytest.fixture(scope="session")
def chromium():
    """Launches Debian's Chromium once per session through Playwright."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} does not exist: install Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser context (no cookies) with one page on the live server."""
    context = chromium.new_context(base_url=live_server.url, locale="ko-KR", viewport={"width": 1280, "height": 900},
                                   accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    # Every journey doubles as a Content-Security-Policy check: Chromium reports each refused
    # script, style or font on the console, and one such report fails the test.
    refused: list[str] = []
    page.on("console", lambda message: refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)
    page.csp_violations = refused
    yield page
    context.close()
    assert refused == [], "the page broke its own Content-Security-Policy:\n" + "\n".join(refused)


# Every text node with Hangul in it, and every form control whose value has Hangul, with the font families its
# element asks for. On a machine without Korean system fonts (CI, most servers' headless browsers) only the served
# Pretendard has Hangul glyphs, so an element whose font list lacks it shows empty boxes.
_HANGUL_WITHOUT_PRETENDARD = r"""
() => {
  const hangul = /[\uac00-\ud7a3\u3131-\u318e]/;
  const bad = [];
  const check = (element, text) => {
    const family = getComputedStyle(element).fontFamily;
    if (/pretendard/i.test(family)) return;
    bad.push(`<${element.tagName.toLowerCase()}> "${text.trim().slice(0, 40)}" in ${family}`);
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    // A textarea's or option's text is its control's value, checked below with the control.
    if (!parent || parent.closest("textarea, select")) continue;
    if (hangul.test(node.nodeValue) && parent.getClientRects().length) {
      check(parent, node.nodeValue);
    }
  }
  document.querySelectorAll("input, textarea, select").forEach((control) => {
    const text = control.tagName === "SELECT" ? (control.selectedOptions[0] || {}).text || "" : control.value;
    if (hangul.test(text) && control.getClientRects().length) check(control, text);
  });
  return bad;
}
"""


@pytest.fixture
def screenshot(page, request, tmp_path):
    """Returns a function that saves a full-page PNG of the page, once Korean can render, and returns its path.

    Each shot goes to the test's tmp_path and to test-results/screenshots/<test name>/ (kept by CI).
    """
    shots: list[Path] = []
    keep = SCREENSHOTS / re.sub(r"[^\w.-]", "_", request.node.name)
    shutil.rmtree(keep, ignore_errors=True)

    def shoot(step: str) -> Path:
        # The font is display: swap, so a shot taken before it arrives would show the fallback font's boxes.
        page.wait_for_load_state("load")
        assert page.evaluate("document.fonts.ready.then(() => document.fonts.check('16px Pretendard', '한글'))"), \
            f"Pretendard did not load on {page.url}"
        assert page.evaluate(_HANGUL_WITHOUT_PRETENDARD) == [], f"Korean text without a Hangul font on {page.url}"
        path = tmp_path / f"{len(shots) + 1:02d}-{step}.png"
        page.screenshot(path=path, full_page=True)
        shots.append(path)
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, keep / path.name)
        return path

    return shoot


@pytest.fixture
def sign_in(page):
    """Returns a function that signs the page in as one of DEMO_USERS through the sign-in form."""

    def sign_in_as(role: str) -> None:
        email, password = DEMO_USERS[role]
        page.goto("/auth/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert "/auth/login" not in page.url, f"could not sign in as {role}"

    return sign_in_as
