"""The Content-Security-Policy in a real browser: the app's own pages obey it, and it stops injected script."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PAGES = {
    "startup": ["/startup/suggestions", "/startup/profile", "/startup/interests", "/startup/proposals", "/account/tokens"],
    "sponsor": ["/sponsor/challenges", "/sponsor/challenges/new"],
    "manager": ["/manager/", "/manager/rounds", "/manager/programmes"],
}


@pytest.mark.parametrize("role", sorted(PAGES))
def test_every_page_of_a_role_loads_its_scripts_styles_and_font_without_breaking_the_policy(page, sign_in, role):
    sign_in(role)
    for path in PAGES[role]:
        response = page.goto(path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert page.evaluate("document.fonts.ready.then(() => document.fonts.check('16px Pretendard', '한글'))"), path
    # The page fixture fails the test on any violation Chromium reported on the way.


def test_the_dashboard_charts_draw_with_their_styles_as_attributes(page, sign_in, screenshot):
    sign_in("manager")
    page.goto("/manager/")
    chart = page.locator("svg[role=img]").first
    chart.wait_for()
    # A bar keeps its colour and a label its size though no inline style is allowed.
    assert page.evaluate("getComputedStyle(document.querySelector('svg[role=img] text')).fontSize") == "11px"
    screenshot("dashboard-under-csp")


def test_script_injected_into_a_page_does_not_run(page, sign_in):
    sign_in("startup")
    page.goto("/startup/suggestions")
    # As if a profile's text had slipped through as markup: an inline script and an event handler.
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.__injected = 1';
        document.body.appendChild(s);
        const img = document.createElement('img');
        img.setAttribute('onerror', 'window.__handler = 1');
        img.src = 'data:,broken';
        document.body.appendChild(img);
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__injected") is None and page.evaluate("window.__handler") is None
    # Chromium reported both refusals; they were the point of this test, not a fault of the page.
    assert sum("Content Security Policy" in v for v in page.csp_violations) >= 2
    page.csp_violations.clear()
