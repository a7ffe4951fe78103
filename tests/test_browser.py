"""Browser: `streamlit run app.py` in a real headless Chromium; every page renders with no exception.

Screenshots are saved in screenshots/ for people to look at.
"""

import pytest

from tests.browser import build_duckdb_file, require_chromium, screenshot, streamlit_server, wait_for_app
from tests.fixture_db import build_fixture
from ui.navigation import available_pages, url_path

pytestmark = pytest.mark.browser
PAGES = available_pages()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    url = build_duckdb_file(tmp_path_factory.mktemp("browser") / "fixture.duckdb", build_fixture)
    with streamlit_server(url) as base:
        yield base


@pytest.mark.parametrize("page_info", PAGES, ids=[p[1] for p in PAGES])
def test_page_renders_without_exception(server, page, page_info):
    _, path, title, _ = page_info
    page.goto(f"{server}/{url_path(path)}?scope=national")
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stMain"]').inner_text().strip() != ""
    screenshot(page, f"page_{url_path(path) or 'overview'}")


def test_overview_shows_scope_and_children_table(server, page):
    # The local demo user is IMPACT's lead provider (England is outside its role: tests/test_access.py).
    page.goto(f"{server}/?scope=collaborative:IMPACT")
    wait_for_app(page)
    assert page.get_by_text("IMPACT").first.is_visible()
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=30_000)  # drawn just after the run ends


def test_bad_scope_shows_message_in_browser(server, page):
    page.goto(f"{server}/?scope=galaxy:X")
    wait_for_app(page)
    # The local demo user (lead provider of IMPACT) is sent to its own organisation.
    assert page.get_by_text("instead").first.is_visible()
    assert page.get_by_text("is not a scope").first.is_visible()
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_shared_link_to_a_page_works_on_a_fresh_server(tmp_path, page):
    """The first request after a start goes straight to a page (not /): the router must still run."""
    require_chromium()
    url = build_duckdb_file(tmp_path / "fresh.duckdb", build_fixture)
    with streamlit_server(url) as base:
        page.goto(f"{base}/packs?scope=collaborative:IMPACT&forum=F1")
        wait_for_app(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text("Provider Collaboration Board").first.is_visible()
