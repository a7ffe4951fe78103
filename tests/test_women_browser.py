"""Browser: the Women's pathway page in real Chromium: charts drawn (canvas/SVG), tables, no exception.

Screenshots: screenshots/women_impact.png (collaborative) and screenshots/women_national.png.
"""

import pytest

from tests.browser import build_duckdb_file, require_chromium, screenshot, streamlit_server, wait_for_app
from tests.fixture_db import build_fixture

pytestmark = pytest.mark.browser
PERIOD = "from=2024-03-01&to=2024-03-10"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    url = build_duckdb_file(tmp_path_factory.mktemp("women_browser") / "fixture.duckdb", build_fixture)
    with streamlit_server(url, {"PCD_LOCAL_ROLE": "national", "PCD_LOCAL_SCOPE": "national"}) as base:
        yield base


@pytest.fixture(autouse=True)
def warm_up(server, page):
    """Open the app's root first: on a fresh server Streamlit runs a pages/ file requested directly without
    app.py (its pages-directory mode lasts until st.navigation has run once)."""
    page.goto(server)
    wait_for_app(page)


def _open(page, server, scope):
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.goto(f"{server}/women?scope={scope}&{PERIOD}")
    wait_for_app(page)
    page.wait_for_selector('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg',
                           timeout=30_000)
    page.wait_for_timeout(800)


def test_collaborative_page_draws_charts_and_tables(server, page):
    _open(page, server, "collaborative:IMPACT")
    assert page.locator('[data-testid="stException"]').count() == 0
    main = page.locator('[data-testid="stMain"]')
    assert "Women's pathway" in main.inner_text() and "IMPACT" in main.inner_text()
    # headline LOS chart and children LOS chart; small fixture counts are suppressed (mhsds) elsewhere
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 2
    assert page.get_by_text("Too few patients to show under the disclosure rule.").count() == 3
    assert page.locator('[data-testid="stDataFrame"]').count() >= 3
    assert page.get_by_text("Download indicator table as Excel").is_visible()
    screenshot(page, "women_impact")


def test_national_page(server, page):
    _open(page, server, "national")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Regions in England", exact=False).first.is_visible()
    # national: nothing suppressed; LOS, three distributions, regions' LOS, pathway stages, pilot destinations
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 7
    screenshot(page, "women_national")
