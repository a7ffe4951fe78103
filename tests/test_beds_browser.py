"""Browser checks of the Bed occupancy page that AppTest cannot see: the map's canvas, the download button,
the charts, and the live refresh in presentation mode while the replay command writes a day back.

The Excel bytes themselves are checked in tests/test_beds.py (browser downloads do not work here).
"""

import re
import time

import pytest

from data_access import replay
from tests.browser import build_duckdb_file, require_chromium, screenshot, streamlit_server, wait_for_app
from tests.databases import drop_postgres_schema, new_postgres_engine, postgres_url
from tests.fixture_db import build_fixture
from tests.test_beds import add_beds_world

pytestmark = pytest.mark.browser
PAGE = "beds"
SCOPE = "collaborative:IMPACT"


def _world(engine):
    build_fixture(engine)
    add_beds_world(engine)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    url = build_duckdb_file(tmp_path_factory.mktemp("beds_browser") / "world.duckdb", _world)
    with streamlit_server(url) as base:
        yield base


def _open(page, base, query=""):
    page.set_viewport_size({"width": 1400, "height": 1800})
    # A fresh server runs a page opened directly by its address as a v1 multipage script (the pages/ folder),
    # without app.py, until one session has run app.py's st.navigation: open the app's root first.
    page.goto(f"{base}/?scope={SCOPE}")
    wait_for_app(page)
    page.goto(f"{base}/{PAGE}?scope={SCOPE}{query}")
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_map_renders_on_a_canvas(server, page):
    _open(page, server, "&arcs=1")
    chart = page.locator('[data-testid="stDeckGlJsonChart"]')
    chart.first.wait_for(timeout=30_000)
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stDeckGlJsonChart\"] canvas').length > 0",
                           timeout=30_000)
    box = chart.first.locator("canvas").first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 300
    assert page.get_by_text("Bed state by ward").first.is_visible()
    assert page.locator('[data-testid="stDownloadButton"]').count() == 1
    page.wait_for_timeout(1500)  # let deck.gl draw before the screenshot
    screenshot(page, "beds_map")


def test_occupancy_and_finder_tabs(server, page):
    _open(page, server)
    page.get_by_role("tab", name="Occupancy over time").click()
    page.wait_for_timeout(1500)
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 4
    screenshot(page, "beds_occupancy")
    page.get_by_role("tab", name="Placement finder").click()
    page.wait_for_timeout(800)
    finder = page.locator('[data-testid="stTabPanel"]').nth(2)
    assert finder.locator('[data-testid="stDataFrame"]').count() == 1  # default: a low secure man from the first
    screenshot(page, "beds_finder")


def _tile(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def _wait_for_tile(page, label: str, expected: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _tile(page, label) == expected:
            return
        page.wait_for_timeout(1000)
    raise AssertionError(f"{label} shows {_tile(page, label)!r}, expected {expected!r}")


@pytest.fixture(scope="module")
def postgres_world():
    """The same world in a PostgreSQL schema: the app reads it while the replay writes (DuckDB allows one writer)."""
    require_chromium()
    base = postgres_url()
    engine, name = new_postgres_engine(base)
    from data_access import schema

    schema.create_all(engine)
    _world(engine)
    yield engine, f"{base}?options=-csearch_path%3D{name}"
    engine.dispose()
    drop_postgres_schema(base, name)


def test_presentation_mode_shows_the_replay_without_a_reload(postgres_world, page):
    engine, url = postgres_world
    with streamlit_server(url, {"PCD_BED_STATE_TTL_SECONDS": "5"}) as base:
        _open(page, base, "&present=1&refresh=15&beds_security=low,medium")
        # IMPACT live: W1 0, W2 0, W14 1, W9 1, W10 3, W11 4, W13 2 (W8 never reported) = 11
        assert _tile(page, "Beds available now") == "11"
        first_refresh = re.search(r"refreshed (\d\d:\d\d:\d\d)", page.locator("body").inner_text()).group(1)

        def watch(step, steps):
            # 10 March is taken out and written back hour by hour: after 00:00 (W6, NORTH's) only W1 and W2
            # of IMPACT report (0 free); after 10:00 W10, W11, W13 are back (+9); at the end all 11
            expected = {1: "0", 4: "9", 7: "11"}.get(step)
            if expected:
                _wait_for_tile(page, "Beds available now", expected)

        replay.replay(engine, replay.dt.date(2024, 3, 10), interval=0, after_step=watch, log=lambda _: None)
        text = page.locator("body").inner_text()
        assert re.search(r"refreshed (\d\d:\d\d:\d\d)", text).group(1) != first_refresh
        assert "beds_security=low%2Cmedium" in page.url or "beds_security=low,medium" in page.url  # filters kept
        screenshot(page, "beds_presentation")
