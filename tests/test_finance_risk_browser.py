"""Browser: the Budget and spend page's financial-risk sections in a real Chromium (issue 19): the month-by-month
chart and the exposure chart drawn with marks and an accessible name, the exposure chart switching outturn,
screenshots (screenshots/finance_month_by_month.png, finance_exposure.png, finance_exposure_risk_adjusted.png), and
axe-core: no critical or serious violation beyond Streamlit's own (the baseline app of tests/a11y_baseline/).
"""

import pytest

from tests.axe import BLOCKING, beyond, framework_findings, violations
from tests.browser import build_duckdb_file, require_chromium, screenshot, streamlit_server, wait_for_app
from tests.fixture_db import build_fixture

pytestmark = pytest.mark.browser
QUERY = "scope=collaborative:IMPACT&from=2024-03-01&to=2024-03-10"
CHART = '[data-testid="stVegaLiteChart"]'


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    require_chromium()
    return build_duckdb_file(tmp_path_factory.mktemp("finance_risk_browser") / "fixture.duckdb", build_fixture)


@pytest.fixture(scope="module")
def server(url):
    with streamlit_server(url) as base:
        yield base


@pytest.fixture(scope="module")
def framework(url, browser):
    """What axe finds on the minimal Streamlit app: Streamlit's own findings, not the dashboard's."""
    return framework_findings(browser, url, 1500)


def open_page(page, server):
    page.set_viewport_size({"width": 1400, "height": 1400})
    page.goto(f"{server}/?{QUERY}")
    wait_for_app(page)
    page.goto(f"{server}/finance?{QUERY}")
    wait_for_app(page)
    page.locator(CHART).first.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def chart(page, name: str):
    """The chart whose title (ui.charts.show_chart; Vega's title group is labelled for screen readers) starts with
    `name`."""
    found = page.locator(f'{CHART}:has([aria-label^="Title text \'{name}"])')
    found.first.wait_for(timeout=30_000)
    return found.first


def drawn(locator) -> dict:
    locator.scroll_into_view_if_needed()
    locator.locator("canvas, svg").first.wait_for(timeout=20_000)
    box = locator.bounding_box()
    assert box and box["width"] > 500 and box["height"] > 150, box
    return box


def test_month_by_month_chart(server, page):
    open_page(page, server)
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("Each month: budget, actual and forecast").wait_for(timeout=30_000)
    bars = chart(page, "Budget, actual and forecast per month")
    drawn(bars)
    variance = chart(page, "Monthly variance and variance to date")
    drawn(variance)
    text = main.inner_text()
    assert "Budget to date" in text and "£187k" in text and "Risk-adjusted outturn" in text and "£298k" in text
    bars.screenshot(path=str(screenshot(page, "finance_month_by_month")))


def test_exposure_chart_by_partner_and_tier(server, page):
    open_page(page, server)
    exposure = chart(page, "Exposure by partner and tier: forecast outturn")
    drawn(exposure)
    exposure.screenshot(path=str(screenshot(page, "finance_exposure")))
    page.get_by_text("Risk-adjusted", exact=True).click()
    adjusted = chart(page, "Exposure by partner and tier: risk-adjusted outturn")
    drawn(adjusted)
    grid = page.locator('[data-testid="stDataFrame"]').filter(has_text="Lead provider's band")
    assert grid.count() >= 1
    adjusted.screenshot(path=str(screenshot(page, "finance_exposure_risk_adjusted")))
    assert page.locator('[data-testid="stException"]').count() == 0


def test_no_serious_violation_beyond_streamlits_own(server, framework, page):
    open_page(page, server)
    chart(page, "Exposure by partner and tier")
    page.wait_for_timeout(1500)
    extra = beyond(violations(page), framework, BLOCKING)
    assert extra == [], "\n".join(extra)
