"""Signing in, out and up: wrong passwords refused, sessions bound to the password, no open redirects."""

from __future__ import annotations

import re

from models import crud
from tests.conftest import form_token as csrf_token


def login(client, email, password, next_url=None):
    path = "/auth/login" + (f"?next={next_url}" if next_url else "")
    return client.post(path, data={"email": email, "password": password, "csrf_token": csrf_token(client, "/auth/login")})


def test_sign_in_with_the_right_password_and_out_again(client, seeded):
    response = login(client, "pixel@example.kr", "startup-password")
    assert response.status_code == 302

    page = client.get("/").get_data(as_text=True)
    assert "김픽셀" in page and "픽셀웨이브" in page

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert "김픽셀" not in client.get("/").get_data(as_text=True)


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, seeded):
    response = login(client, "pixel@example.kr", "not-the-password")
    assert response.status_code == 400
    assert "이메일 또는 비밀번호가 올바르지 않습니다." in response.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(client, seeded):
    response = client.post("/auth/login", data={"email": "pixel@example.kr", "password": "startup-password"})
    assert response.status_code == 400


def test_next_may_only_point_inside_the_site(client, seeded):
    assert login(client, "pixel@example.kr", "startup-password", next_url="https://evil.example/").headers["Location"] != "https://evil.example/"
    client.get("/")  # new page, same session
    client2 = client.application.test_client()
    response = login(client2, "pixel@example.kr", "startup-password", next_url="/?lang=en")
    assert response.headers["Location"] == "/?lang=en"


def test_changing_the_password_ends_existing_sessions(client, seeded):
    login(client, "pixel@example.kr", "startup-password")
    assert "김픽셀" in client.get("/").get_data(as_text=True)

    user = crud.get_user_by_email(session=seeded, email="pixel@example.kr")
    user.password_hash = crud.hash_password("a-brand-new-password")
    seeded.commit()

    assert "김픽셀" not in client.get("/").get_data(as_text=True)


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(client, seeded):
    login(client, "pixel@example.kr", "startup-password")
    user = crud.get_user_by_email(session=seeded, email="pixel@example.kr")
    user.is_active = False
    seeded.commit()

    assert "김픽셀" not in client.get("/").get_data(as_text=True)
    assert login(client, "pixel@example.kr", "startup-password").status_code == 400


def test_startup_sign_up_creates_the_company_and_signs_in(client, seeded):
    token = csrf_token(client, "/auth/signup")
    response = client.post("/auth/signup", data={
        "name_ko": "새싹로보틱스", "name_en": "Saessak Robotics", "display_name": "이새싹",
        "email": "founder@saessak.kr", "password": "long-enough-pw", "confirm": "long-enough-pw", "csrf_token": token,
    })
    assert response.status_code == 302
    assert "이새싹" in client.get("/").get_data(as_text=True)
    seeded.expire_all()
    assert crud.get_organization_by_slug(session=seeded, slug="saessak-robotics").name_ko == "새싹로보틱스"


def test_sign_up_errors_keep_what_was_typed(client, seeded):
    token = csrf_token(client, "/auth/signup")
    response = client.post("/auth/signup", data={
        "name_ko": "새싹로보틱스", "name_en": "Saessak Robotics", "display_name": "이새싹",
        "email": "pixel@example.kr", "password": "long-enough-pw", "confirm": "different-pw", "csrf_token": token,
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="새싹로보틱스"' in page and 'value="이새싹"' in page
    assert "비밀번호가 서로 다릅니다." in page


def test_the_demo_start_page_lists_a_login_for_each_role(client):
    page = client.get("/").get_data(as_text=True)
    for email in ("manager@demo.matchmaker.kr", "lg@demo.matchmaker.kr", "startup@demo.matchmaker.kr"):
        assert email in page


def test_demo_logins_are_hidden_when_turned_off(app, client):
    app.config["SHOW_DEMO_LOGINS"] = False
    assert "manager@demo.matchmaker.kr" not in client.get("/").get_data(as_text=True)
