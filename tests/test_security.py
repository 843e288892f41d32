"""Web hardening: production settings, security headers, CSRF on every form, sign-in limits, session lifetime."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner
from sqlmodel import func, select

from models import crud
from models.schema import Event
from tests.conftest import USERS, form_token

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "web" / "templates"


def sign_in(client, who: str, password: str | None = None, address: str = "127.0.0.1"):
    email, right = USERS[who]
    return client.post("/auth/login", data={
        "email": email, "password": password or right, "csrf_token": form_token(client, "/auth/login"),
    }, environ_base={"REMOTE_ADDR": address})


# --- production settings ----------------------------------------------------------------------

@pytest.fixture
def production(monkeypatch, database_url):
    monkeypatch.setenv("MATCHMAKER_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)


def test_production_refuses_the_default_secret_key(production):
    from web import create_app
    from web.security import InsecureSettings

    with pytest.raises(InsecureSettings, match="SECRET_KEY"):
        create_app()


def test_production_refuses_a_short_secret_key(production, monkeypatch):
    from web import create_app
    from web.security import InsecureSettings

    monkeypatch.setenv("SECRET_KEY", "only-twenty-chars-xx")
    with pytest.raises(InsecureSettings, match="at least 32"):
        create_app()


def test_production_with_a_long_key_starts_with_https_only_cookies_and_no_demo_logins(production, monkeypatch, seeded):
    from web import create_app

    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    app = create_app()
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["SHOW_DEMO_LOGINS"] is False
        client = app.test_client()
        # Over HTTPS Flask-WTF also checks that the form came from this site's own page.
        response = client.post("/auth/login", base_url="https://localhost", headers={"Referer": "https://localhost/auth/login"}, data={
            "email": USERS["startup"][0], "password": USERS["startup"][1],
            "csrf_token": form_token(client, "https://localhost/auth/login"),
        })
        assert response.status_code == 302
        cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        app.extensions["engine"].dispose()


def test_the_demo_runs_without_production_settings(app):
    assert app.config["PRODUCTION"] is False


def test_the_app_refuses_to_start_in_production_with_the_default_key_in_a_fresh_process(database_url):
    # What gunicorn and the flask command do at start: build the app from the environment.
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(MATCHMAKER_ENV="production", DATABASE_URL=database_url)
    done = subprocess.run([sys.executable, "-c", "from web import create_app; create_app()"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr and "built-in demo key is public" in done.stderr


# --- headers ----------------------------------------------------------------------------------

def test_pages_forbid_inline_scripts_framing_and_sniffing(client, seeded):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: the header would be ignored


def test_api_answers_get_a_policy_that_renders_nothing(client):
    response = client.get("/api/v1/openapi.json")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["X-Frame-Options"] == "DENY"


def test_signed_in_pages_are_kept_out_of_shared_caches_but_static_files_are_not(login_as, seeded):
    client = login_as("sponsor")
    page = client.get("/sponsor/challenges")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    static = client.get("/static/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_no_template_has_inline_script_event_handlers_or_style_attributes():
    # The policy would refuse them in the browser; finding them here names the file.
    offences = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for pattern, what in ((r"<script(?![^>]*\bsrc=)[^>]*>", "inline <script>"), (r"\son[a-z]+\s*=", "event handler"),
                              (r"\sstyle\s*=", "style attribute"), (r"<style\b", "<style> element"),
                              (r"javascript:", "javascript: address")):
            offences += [f"{path.relative_to(TEMPLATES)}: {what}" for _ in re.finditer(pattern, text, re.I)]
    assert offences == []


def test_dashboard_charts_carry_no_inline_styles(seeded, login_as, make_run):
    make_run([("LG-TV-01", "pixelwave", 0.81), ("LG-AUDIO-01", "quiet-audio", 0.42)])
    page = login_as("manager").get("/manager/").get_data(as_text=True)
    assert "<svg" in page
    assert not re.search(r"\sstyle\s*=|<style\b", page)
    assert 'font-family="Pretendard' in page  # the styles became attributes, not lost


# --- CSRF -------------------------------------------------------------------------------------

def _form_routes(app):
    for rule in app.url_map.iter_rules():
        methods = rule.methods - {"GET", "HEAD", "OPTIONS"}
        if methods and not rule.rule.startswith("/api/") and rule.endpoint != "static":
            yield rule, sorted(methods)


def test_every_form_route_refuses_a_post_without_its_csrf_token(app, login_as, seeded):
    routes = list(_form_routes(app))
    assert len(routes) >= 20, "the app's form routes were not found"
    events = seeded.exec(select(func.count()).select_from(Event)).one()
    for who in ("manager", "sponsor", "startup"):
        client = login_as(who)
        for rule, methods in routes:
            path = re.sub(r"<(?:\w+:)?(\w+)>", "1", rule.rule)
            for method in methods:
                response = client.open(path, method=method, data={"name": "x", "status": "open"})
                assert response.status_code == 400, f"{method} {path} as {who}: {response.status_code}"
                assert "form expired" in response.get_data(as_text=True) or "양식" in response.get_data(as_text=True)
    seeded.expire_all()
    assert seeded.exec(select(func.count()).select_from(Event)).one() == events


def test_a_token_from_another_session_is_refused(login_as, seeded):
    first, second = login_as("startup"), login_as("startup")
    stolen = form_token(first, "/startup/profile")
    response = second.post("/auth/logout", data={"csrf_token": stolen})
    assert response.status_code == 400


# --- sign-in limits ---------------------------------------------------------------------------

@pytest.fixture
def limited_app(database_url, engine, request):
    """The app with sign-in limits on, counted in memory or (parametrised) in Redis."""
    from web import create_app

    storage = getattr(request, "param", "memory://")
    app = create_app({
        "TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": storage, "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "LOGIN_LIMIT_PER_ADDRESS": "5 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "8 per hour",
        "SIGNUP_LIMIT_PER_ADDRESS": "3 per hour",
    })
    yield app
    app.extensions["engine"].dispose()


def test_failed_sign_ins_from_one_address_are_stopped_with_429(limited_app, seeded):
    client = limited_app.test_client()
    for _ in range(5):
        assert sign_in(client, "startup", "wrong-password").status_code == 400
    refused = sign_in(client, "startup", "wrong-password")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "시도가 너무 많습니다" in refused.get_data(as_text=True)
    # Even the right password waits: otherwise the limit would only slow a guesser down.
    assert sign_in(client, "startup").status_code == 429
    # Another address is not held back by this one.
    assert sign_in(limited_app.test_client(), "startup", address="10.0.0.9").status_code == 302


def test_failed_sign_ins_against_one_account_are_stopped_from_any_address(limited_app, seeded):
    for n in range(8):
        assert sign_in(limited_app.test_client(), "sponsor", "wrong", address=f"10.1.0.{n}").status_code == 400
    assert sign_in(limited_app.test_client(), "sponsor", "wrong", address="10.1.0.99").status_code == 429
    # Other accounts are unaffected.
    assert sign_in(limited_app.test_client(), "startup", address="10.1.0.99").status_code == 302


def test_successful_sign_ins_do_not_count(limited_app, seeded):
    for _ in range(12):
        assert sign_in(limited_app.test_client(), "manager").status_code == 302


def test_sign_ups_per_address_are_limited(limited_app, seeded):
    client = limited_app.test_client()
    statuses = []
    for n in range(4):
        statuses.append(client.post("/auth/signup", data={
            "name_ko": f"회사{n}", "name_en": f"Company {n}", "display_name": "홍길동", "email": "not-an-email",
            "password": "long-enough-password", "confirm": "long-enough-password",
            "csrf_token": form_token(client, "/auth/signup"),
        }).status_code)
    assert statuses == [400, 400, 400, 429]


REDIS_URL = os.environ.get("REDIS_TEST_URL")


@pytest.mark.skipif(not REDIS_URL, reason="REDIS_TEST_URL is not set (CI sets it when Redis answers)")
@pytest.mark.parametrize("limited_app", [REDIS_URL], indirect=True)
def test_limits_kept_in_redis_are_shared_by_every_app_process(limited_app, database_url, seeded):
    from web import create_app

    # A second app on the same store stands for a second gunicorn worker.
    twin = create_app({**limited_app.config})
    try:
        for n in range(5):
            app = limited_app if n % 2 else twin
            assert sign_in(app.test_client(), "startup", "wrong").status_code == 400
        assert sign_in(limited_app.test_client(), "startup", "wrong").status_code == 429
        assert sign_in(twin.test_client(), "startup", "wrong").status_code == 429
    finally:
        twin.extensions["engine"].dispose()


# --- sessions ---------------------------------------------------------------------------------

def _signed_in(client) -> bool:
    return client.get("/startup/suggestions").status_code == 200


def test_a_session_ends_after_the_idle_time(login_as, seeded, monkeypatch, app):
    client = login_as("startup")
    assert _signed_in(client)
    idle = int(app.permanent_session_lifetime.total_seconds())
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + idle + 60)
    response = client.get("/startup/suggestions")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_an_active_session_still_ends_after_the_longest_session_time(login_as, seeded, monkeypatch, app):
    from web import security

    client = login_as("startup")
    start = security.now()
    # Active all along: a request every hour keeps the idle timer fresh, but not the sign-in time.
    for hour in range(app.config["SESSION_MAX_HOURS"]):
        monkeypatch.setattr(security, "now", lambda: start + hour * 3600)
        assert _signed_in(client)
    monkeypatch.setattr(security, "now", lambda: start + app.config["SESSION_MAX_HOURS"] * 3600 + 60)
    response = client.get("/startup/suggestions")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert not _signed_in(client)


def test_sign_out_ends_the_session_for_that_cookie(login_as, seeded):
    client = login_as("startup")
    token = form_token(client, "/startup/profile")
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert not _signed_in(client)


# --- passwords ----------------------------------------------------------------------------------

def test_passwords_are_stored_as_salted_scrypt_hashes(seeded):
    user = crud.get_user_by_email(session=seeded, email=USERS["startup"][0])
    assert user.password_hash.startswith("scrypt:") and USERS["startup"][1] not in user.password_hash
    assert crud.hash_password("same") != crud.hash_password("same")  # salted


def test_real_accounts_are_hashed_at_scrypts_memory_hard_default_cost():
    # The suite lowers the cost for speed (conftest); a fresh process has the real one.
    done = subprocess.run([sys.executable, "-c", "from models import crud; print(crud.hash_password('x'))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("scrypt:32768:8:1$"), done.stderr


def test_an_unknown_e_mail_costs_the_same_hash_check_as_a_wrong_password(seeded, monkeypatch):
    checks = []
    real = crud.check_password_hash
    monkeypatch.setattr(crud, "check_password_hash", lambda h, p: checks.append(h.split("$")[0]) or real(h, p))
    assert crud.authenticate(session=seeded, email="nobody@example.kr", password="x") is None
    assert crud.authenticate(session=seeded, email=USERS["startup"][0], password="x") is None
    assert len(checks) == 2 and checks[0] == checks[1]
