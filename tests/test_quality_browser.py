"""Browser: the Quality page draws its summary table (icons as images), an SPC chart and the funnel chart."""

import pytest

from tests.browser import build_duckdb_file, require_chromium, screenshot, streamlit_server, wait_for_app
from tests.fixture_db import build_fixture

pytestmark = pytest.mark.browser
PERIOD = "from=2024-03-01&to=2024-03-10"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    url = build_duckdb_file(tmp_path_factory.mktemp("quality_browser") / "fixture.duckdb", build_fixture)
    with streamlit_server(url) as base:
        yield base


@pytest.fixture(autouse=True)
def warm_up(server, page):
    """Open the app's root first: on a fresh server Streamlit runs a pages/ file requested directly without
    app.py until st.navigation has run once."""
    page.goto(server)
    wait_for_app(page)


def test_quality_page_draws_table_spc_chart_and_funnel(server, page):
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.goto(f"{server}/quality?scope=collaborative:IMPACT&{PERIOD}")
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stDataFrame"]').count() >= 1
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.first.wait_for(timeout=30_000)
    assert charts.count() == 4  # the SPC chart, the ranked funnel chart, restrictive practice by month and by group
    # Vega draws into a canvas (or svg) once the chart has data.
    assert charts.first.locator("canvas, svg").count() >= 1
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "Restrictive interventions per 1,000 bed days" in main and "Compare providers in IMPACT" in main
    charts.first.scroll_into_view_if_needed()
    screenshot(page, "quality_impact_chart")


def test_quality_page_national_renders(server, page):
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.goto(f"{server}/quality?scope=national&{PERIOD}")
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "quality_national")
