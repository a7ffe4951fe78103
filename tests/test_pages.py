"""AppTest: every page runs with no exception at every level of the hierarchy; bad URLs get a clear message."""

import pytest

from tests.apptest import errors, run_app, scope_keys
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture
from ui.navigation import available_pages

PAGES = [p[1] for p in available_pages()]


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("pages") / "fixture.duckdb", build_fixture)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_at_every_level(monkeypatch, fixture_url, page):
    for key in scope_keys(fixture_url):
        at = run_app(monkeypatch, fixture_url, page, scope=key)
        assert not at.exception, f"{page} at {key}: {at.exception}"
        assert errors(at) == [], f"{page} at {key}: {errors(at)}"


@pytest.mark.parametrize("bad", ["nonsense", "region:", "galaxy:X1", "ward:NO_SUCH_WARD", "x" * 500,
                                 "collaborative:'; DROP TABLE ward; --"])
def test_bad_scope_in_url_shows_a_message(monkeypatch, fixture_url, bad):
    monkeypatch.setenv("PCD_LOCAL_ROLE", "national")  # a role whose home is England (see tests/test_access.py)
    at = run_app(monkeypatch, fixture_url, scope=bad)
    assert not at.exception
    assert any("Showing England instead" in e for e in errors(at))
    assert at.title[0].value == "England"


@pytest.mark.parametrize("start,end", [("2024-13-01", "2024-03-10"), ("2024-03-10", "2024-03-01"),
                                       ("1990-01-01", "1990-02-01"), ("yesterday", "")])
def test_bad_period_in_url_shows_a_message(monkeypatch, fixture_url, start, end):
    at = run_app(monkeypatch, fixture_url, **{"from": start, "to": end})
    assert not at.exception
    assert any("instead" in w.value for w in at.warning)


def test_database_down_shows_a_message(monkeypatch):
    at = run_app(monkeypatch, "postgresql+psycopg://nobody:hunter2pw@127.0.0.1:1/none")
    assert not at.exception
    message = " ".join(errors(at))
    assert "cannot be reached" in message and "Nothing has been changed" in message
    assert "hunter2pw" not in message
