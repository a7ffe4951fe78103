"""Browser: meeting mode of the Overview and of a pack's exception at 1920×1080 (projector size): no sidebar,
the marker, no table cut off, no tile label truncated; screenshots in screenshots/ (look at them)."""

import pytest

from tests.browser import SCREENSHOTS, build_duckdb_file, require_chromium, streamlit_server, wait_for_app
from tests.fixture_governance import build_governance_fixture

pytestmark = pytest.mark.browser
PERIOD = "from=2024-03-01&to=2024-03-10"
SCREEN = {"width": 1920, "height": 1080}

# Elements whose content is wider or taller than their box (cut off), or whose text ends in an ellipsis.
CUT_OFF = """() => {
  const out = [];
  for (const el of document.querySelectorAll('[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *')) {
    if (el.scrollWidth > el.clientWidth + 1 || getComputedStyle(el).textOverflow === 'ellipsis'
        && el.scrollWidth > el.clientWidth) out.push('tile label: ' + el.innerText);
  }
  for (const el of document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')) {
    if (el.scrollWidth > el.clientWidth + 1) out.push('dataframe scrolls sideways');
    if (el.scrollHeight > el.clientHeight + 1) out.push('dataframe scrolls down');
  }
  for (const el of document.querySelectorAll('[data-testid="stTable"], [data-testid="stDataFrame"]')) {
    const box = el.getBoundingClientRect();
    if (box.right > window.innerWidth) out.push('table beyond the right edge');
  }
  for (const el of document.querySelectorAll('[data-testid="stTable"] > div')) {
    if (el.scrollWidth > el.clientWidth + 1) out.push('table scrolls sideways');
  }
  return out;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    url = build_duckdb_file(tmp_path_factory.mktemp("governance_browser") / "fixture.duckdb",
                            build_governance_fixture)
    with streamlit_server(url) as base:
        yield base


@pytest.fixture(autouse=True)
def warm_up(server, page):
    page.goto(server)
    wait_for_app(page)


def open_screen(page, url: str, name: str) -> str:
    page.set_viewport_size(SCREEN)
    page.goto(url)
    wait_for_app(page)
    page.wait_for_timeout(1500)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stSidebar"]').count() == 0 or not page.locator(
        '[data-testid="stSidebar"]').is_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))  # the projected screen, 1920×1080
    assert page.evaluate(CUT_OFF) == []
    return page.locator('[data-testid="stMain"]').inner_text()


def test_overview_in_meeting_mode(server, page):
    text = open_screen(page, f"{server}/?scope=collaborative:IMPACT&{PERIOD}&meeting=1", "meeting_overview")
    assert "Meeting mode" in text and "1 of 3" in text and "Headline figures (1 of 2)" in text
    assert "NHS Digital MHSDS rule" in text  # the audience's rule, not the lead provider's exact figures
    assert page.locator('[data-testid="stMetric"]').count() == 8
    page.keyboard.press("ArrowRight")  # keyboard advance
    wait_for_app(page)
    page.wait_for_timeout(1000)
    assert "step=2" in page.url and "Headline figures (2 of 2)" in page.locator('[data-testid="stMain"]').inner_text()
    text = open_screen(page, f"{server}/?scope=collaborative:IMPACT&{PERIOD}&meeting=1&step=3",
                       "meeting_overview_providers")
    assert "Providers in IMPACT" in text


def test_exception_in_meeting_mode(server, page):
    url = f"{server}/packs?scope=collaborative:IMPACT&{PERIOD}&meeting=1&step=2"
    text = open_screen(page, url, "meeting_pack_exception")
    assert "Exception: Staffing fill rate" in text and "2 of 4" in text
    assert "89.2%" in text  # March 2024 (2,140 / 2,400 hours)
    chart = page.locator('[data-testid="stVegaLiteChart"]')
    assert chart.count() == 1 and chart.first.locator("canvas, svg").count() >= 1
    box = chart.first.bounding_box()
    assert box["y"] + box["height"] <= SCREEN["height"]  # the chart fits on the screen
    summary = open_screen(page, url.replace("step=2", "step=1"), "meeting_pack_summary")
    assert "KPI summary" in summary and "Provider Collaboration Board" in summary
