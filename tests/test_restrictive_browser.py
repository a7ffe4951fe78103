"""Browser: the Quality page's restrictive practice section (tables, trend chart and the forest plot of rate
ratios) draws, passes axe beyond Streamlit's own findings, and is saved as a screenshot
(tests/screenshots/restrictive_*.png)."""

import shutil

import pytest
import sqlalchemy as sa

from demo import build_demo
from tests.axe import BLOCKING, beyond, framework_findings, require_axe, violations
from tests.browser import build_duckdb_file, require_chromium, screenshot, streamlit_server, wait_for_app
from tests.fixture_db import build_fixture

pytestmark = pytest.mark.browser
SETTLE_MS = 1500
FOREST = """[data-testid="stVegaLiteChart"] [aria-label^="Title text 'Rate ratios of restrictive interventions"]"""


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    require_chromium()
    return build_duckdb_file(tmp_path_factory.mktemp("restrictive_browser") / "fixture.duckdb", build_fixture)


@pytest.fixture(scope="module")
def fixture_server(fixture_url):
    with streamlit_server(fixture_url) as base:
        yield base


@pytest.fixture(scope="module")
def framework(fixture_url, browser):
    """What axe finds on the minimal Streamlit app of tests/a11y_baseline/ (Streamlit's own, not the dashboard's),
    as tests/test_accessibility_browser.py measures it."""
    return framework_findings(browser, fixture_url, SETTLE_MS)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    require_chromium()
    path = tmp_path_factory.mktemp("restrictive_demo") / "demo_region.duckdb"
    engine = sa.create_engine(f"duckdb:///{path}")
    build_demo(engine, "region")
    engine.dispose()
    with streamlit_server(f"duckdb:///{path}") as base:
        yield base


def _open(page, base: str, query: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.goto(base)
    wait_for_app(page)
    page.goto(f"{base}/quality?{query}")
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=180_000)
    wait_for_app(page, timeout=180_000)
    page.wait_for_timeout(SETTLE_MS)
    assert page.locator('[data-testid="stException"]').count() == 0


def _section(page):
    heading = page.get_by_role("heading", name="Restrictive practice")
    heading.wait_for(timeout=60_000)
    return heading


def test_section_draws_on_the_fixture_and_passes_axe(fixture_server, framework, page):
    require_axe()
    _open(page, fixture_server, "scope=collaborative:IMPACT&from=2024-03-01&to=2024-03-10")
    _section(page).scroll_into_view_if_needed()
    main = page.locator('[data-testid="stMain"]').inner_text()
    for words in ("Restrictive practice", "Long-term segregation", "Prone restraint", "Disproportionality",
                  "Rate ratio to the rest", "Download restrictive practice as Excel"):
        assert words in main, words
    forest = page.locator(FOREST)
    assert forest.count() == 1
    extra = beyond(violations(page), framework, BLOCKING)
    assert extra == [], "\n".join(extra)


def test_section_on_the_regional_demo_screenshot(demo_server, framework, page):
    require_axe()
    _open(page, demo_server, "scope=collaborative:IMPACT")
    heading = _section(page)
    forest = page.locator(FOREST)
    forest.wait_for(timeout=60_000)
    assert forest.locator("xpath=ancestor::*[@data-testid='stVegaLiteChart']").locator("canvas, svg").count() >= 1
    extra = beyond(violations(page), framework, BLOCKING)
    assert extra == [], "\n".join(extra)
    # Streamlit's main area scrolls inside the window: bring each part to the top and take the window
    heading.evaluate("e => e.scrollIntoView({block: 'start'})")
    path = screenshot(page, "restrictive_practice_impact")
    shutil.copy(path, "/tmp/restrictive_practice_impact.png")
    title = page.get_by_text("Disproportionality: patients subject")
    title.evaluate("e => e.scrollIntoView({block: 'start'})")
    path = screenshot(page, "restrictive_practice_disproportionality")
    shutil.copy(path, "/tmp/restrictive_practice_disproportionality.png")
