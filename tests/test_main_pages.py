"""The start page shows programmes, fields and counts in Korean and English; /healthz tells the truth."""

from __future__ import annotations

from models.seed import load_fixtures
from tests.conftest import ROOT

MINIMAL = ROOT / "tests" / "data" / "minimal"


def test_healthz_reports_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_broken_database_as_503(tmp_path):
    from web import create_app

    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database file" * 100)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{broken}", "SECRET_KEY": "x"})

    response = app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.json["status"] == "error"
    assert response.json["database"] == "unreachable"


def test_start_page_lists_programmes_fields_and_counts_in_korean_by_default(client, session):
    load_fixtures(session=session, folder=MINIMAL)

    page = client.get("/").get_data(as_text=True)

    assert "AI 초격차 챌린지 2025" in page
    assert "온디바이스 AI" in page
    assert "스마트 TV" in page and "이어폰·스피커" in page
    assert "LG전자" in page and "인텔" in page
    assert "100,000,000" in page
    assert "공개 과제" in page and "관심 스타트업" in page  # the interface itself is Korean too


def test_language_switch_shows_english_and_is_remembered(client, session):
    load_fixtures(session=session, folder=MINIMAL)

    page = client.get("/?lang=en").get_data(as_text=True)
    assert "AI Super-Gap Challenge 2025" in page and "Earphones and speakers" in page
    assert 'lang="en"' in page

    again = client.get("/").get_data(as_text=True)
    assert "Smart TV" in again and "스마트 TV" not in again


def test_start_page_with_no_programmes_says_how_to_load_the_demo(client):
    page = client.get("/").get_data(as_text=True)
    assert "seed" in page


def test_compiled_korean_catalog_matches_its_source():
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    folder = ROOT / "web" / "translations" / "ko" / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as po, open(folder / "messages.mo", "rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    def key(value):
        # A plural message's id and strings come as a list from the .mo and a tuple from the .po.
        return tuple(value) if isinstance(value, (list, tuple)) else value

    expected = {key(m.id): key(m.string) for m in source if m.id and m.string and not m.fuzzy}
    actual = {key(m.id): key(m.string) for m in compiled if m.id}
    assert actual == expected, "run: pybabel compile -d web/translations"


def test_the_language_switch_keeps_the_page_and_its_filters(client):
    page = client.get("/?programme=3&page=2").get_data(as_text=True)
    assert 'href="/?programme=3&amp;page=2&amp;lang=en"' in page


def test_a_wrong_method_answers_405_with_the_allowed_ones(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
