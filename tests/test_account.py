"""The API token page: a new token is shown once and works, the list tells each token's state, revoking stops it."""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import timedelta
from html.parser import HTMLParser

from sqlmodel import select

from models import crud
from models.schema import ApiToken
from models.types import utcnow
from tests.conftest import USERS, form_token

TOKEN = re.compile(r"mmk_[A-Za-z0-9_-]{20,}")


def create(client, name: str, expires_in: str = "90"):
    return client.post("/account/tokens", data={
        "name": name, "expires_in": expires_in, "csrf_token": form_token(client, "/account/tokens"),
    })


def api_me(app, token: str):
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def tokens_of(session, who: str) -> list[ApiToken]:
    session.rollback()  # a fresh transaction sees what the app committed
    user = crud.get_user_by_email(session=session, email=USERS[who][0])
    return session.exec(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).all()


def test_the_token_page_needs_a_signed_in_user(client, seeded):
    response = client.get("/account/tokens")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_every_role_has_the_token_page_in_its_navigation(login_as, seeded):
    for who in ("startup", "sponsor", "manager", "admin"):
        page = login_as(who).get("/account/tokens")
        assert page.status_code == 200, who
        assert 'href="/account/tokens"' in page.get_data(as_text=True)


def test_a_new_token_is_shown_once_and_works_on_the_api(app, login_as, seeded):
    browser = login_as("sponsor")
    response = create(browser, "매칭 결과 export script")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    shown = TOKEN.findall(page)
    assert len(shown) == 1
    token = shown[0]
    assert api_me(app, token).get_json()["email"] == "lg@example.kr"

    # Only its first characters are stored and shown again.
    again = browser.get("/account/tokens").get_data(as_text=True)
    assert token not in again and TOKEN.search(again) is None
    row = tokens_of(seeded, "sponsor")[0]
    assert row.prefix == token[:12] and f"{row.prefix}…" in again
    assert row.token_hash != token and token not in (row.name, row.prefix)


def test_token_names_in_korean_english_and_mixed_text_are_kept_composed(login_as, seeded):
    browser = login_as("startup")
    names = ["평가 자동화", "CI deploy", "NPU 벤치마크 runner (v2)"]
    for name in names:
        assert create(browser, unicodedata.normalize("NFD", name)).status_code == 200
    assert [t.name for t in tokens_of(seeded, "startup")] == names
    page = browser.get("/account/tokens").get_data(as_text=True)
    for name in names:
        assert html.escape(name) in page


def test_a_refused_name_keeps_the_form_and_says_why(login_as, seeded):
    browser = login_as("startup")
    # WTForms words the length and required messages (its own Korean catalog), the data layer the control characters.
    for name, why in (("가" * 101, "100자"), ("탭\x07문자", "보이지 않는 제어 문자가 들어 있습니다."), ("", "필수입니다.")):
        response = create(browser, name, expires_in="30")
        page = response.get_data(as_text=True)
        assert response.status_code == 400, name
        assert why in page, name
        assert TOKEN.search(page) is None
        if name.startswith("가"):
            assert f'value="{name}"' in page and '<option selected value="30">' in page
    assert tokens_of(seeded, "startup") == []


def test_an_unknown_expiry_choice_is_refused(login_as, seeded):
    response = create(login_as("startup"), "스크립트", expires_in="9999")
    assert response.status_code == 400
    assert tokens_of(seeded, "startup") == []


def test_the_list_shows_each_tokens_expiry_use_and_state(app, login_as, seeded):
    browser = login_as("manager")
    token = TOKEN.search(create(browser, "30일짜리", expires_in="30").get_data(as_text=True)).group(0)
    create(browser, "Forever", expires_in="never")
    create(browser, "곧 만료", expires_in="365")

    rows = tokens_of(seeded, "manager")
    thirty, forever, soon = rows
    assert timedelta(days=29, hours=23) < thirty.expires_at - utcnow() <= timedelta(days=30)
    assert forever.expires_at is None
    soon.expires_at = utcnow() - timedelta(minutes=1)
    seeded.commit()
    assert api_me(app, token).status_code == 200

    page = browser.get("/account/tokens?lang=en").get_data(as_text=True)
    rows_html = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    by_name = {name: next(r for r in rows_html if name in r) for name in ("30일짜리", "Forever", "곧 만료")}
    assert "Active" in by_name["30일짜리"] and "Never used" not in by_name["30일짜리"]
    assert "Does not expire" in by_name["Forever"] and "Never used" in by_name["Forever"]
    assert "Expired" in by_name["곧 만료"] and "Revoke" not in by_name["곧 만료"]
    assert f'datetime="{thirty.expires_at.isoformat()}"' in by_name["30일짜리"]


def test_revoking_a_token_stops_it_at_once(app, login_as, seeded):
    browser = login_as("startup")
    token = TOKEN.search(create(browser, "Revoke me").get_data(as_text=True)).group(0)
    assert api_me(app, token).status_code == 200
    row = tokens_of(seeded, "startup")[0]

    response = browser.post(f"/account/tokens/{row.id}/revoke",
                            data={"csrf_token": form_token(browser, "/account/tokens")}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "‘Revoke me’ 토큰을 폐기했습니다." in page and "폐기됨" in page
    refused = api_me(app, token)
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert tokens_of(seeded, "startup")[0].revoked_at is not None


def test_revoking_needs_the_forms_csrf_token(app, login_as, seeded):
    browser = login_as("startup")
    token = TOKEN.search(create(browser, "CSRF").get_data(as_text=True)).group(0)
    row = tokens_of(seeded, "startup")[0]
    assert browser.post(f"/account/tokens/{row.id}/revoke").status_code == 400
    assert api_me(app, token).status_code == 200


def test_a_user_cannot_revoke_another_users_token(app, login_as, seeded):
    owner = login_as("sponsor")
    token = TOKEN.search(create(owner, "LG only").get_data(as_text=True)).group(0)
    row = tokens_of(seeded, "sponsor")[0]

    other = login_as("other_sponsor")
    response = other.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": form_token(other, "/account/tokens")})
    assert response.status_code == 404
    assert "LG only" not in other.get("/account/tokens").get_data(as_text=True)
    assert api_me(app, token).status_code == 200
    huge = other.post("/account/tokens/99999999999999/revoke",
                      data={"csrf_token": form_token(other, "/account/tokens")})
    assert huge.status_code == 404


class FormAttributes(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.forms.append(dict(attrs))


def test_a_token_name_is_escaped_on_the_page(login_as, seeded):
    browser = login_as("startup")
    create(browser, '<script>alert("x")</script> & "따옴표"')
    for lang in ("ko", "en"):
        page = browser.get(f"/account/tokens?lang={lang}").get_data(as_text=True)
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;따옴표&#34;" in page
        parser = FormAttributes()
        parser.feed(page)
        revoke = [f for f in parser.forms if f.get("action", "").endswith("/revoke")]
        # Every attribute of the revoke form is intact: no quote in a translated text ended one early.
        assert len(revoke) == 1 and set(revoke[0]) == {"method", "action", "class", "data-confirm"}
        assert revoke[0]["data-confirm"].endswith(("?", ".", "다."))


def test_the_page_has_no_inline_script(login_as, seeded):
    browser = login_as("startup")
    page = create(browser, "CSP").get_data(as_text=True)
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None
    assert re.search(r"\son[a-z]+=", page) is None
    assert "/static/account.js" in page and "/static/account.css" in page
