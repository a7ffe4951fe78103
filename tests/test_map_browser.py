"""Browser: the bed map drawn by deck.gl at England, region and collaborative scope (screenshots in
screenshots/map_*.png), and axe-core on the Bed meeting page (also in meeting mode).

The map's layers and colours are checked in tests/test_map.py (AppTest); here the canvas must really draw: the
screenshot's map area holds the outline's land colour and the free-bed colours of the symbols.
"""

import pytest
from PIL import Image

from assets import palette
from metrics import beds as mb
from tests.axe import BLOCKING, beyond, framework_findings, violations
from tests.browser import build_duckdb_file, require_chromium, screenshot, streamlit_server, wait_for_app
from tests.fixture_db import build_fixture
from tests.test_beds import add_beds_world

pytestmark = pytest.mark.browser
NATIONAL = {"PCD_LOCAL_ROLE": "national", "PCD_LOCAL_SCOPE": "national"}
SCOPES = {"england": "national", "region": "region:Y60", "collaborative": "collaborative:IMPACT"}
SETTLE_MS = 2500


def _world(engine):
    build_fixture(engine)
    add_beds_world(engine)


@pytest.fixture(scope="module")
def world_url(tmp_path_factory):
    require_chromium()
    return build_duckdb_file(tmp_path_factory.mktemp("map_browser") / "world.duckdb", _world)


@pytest.fixture(scope="module")
def server(world_url):
    with streamlit_server(world_url, NATIONAL) as base:
        yield base


def _open(page, base: str, path: str, scope: str, query: str = "") -> None:
    page.set_viewport_size({"width": 1400, "height": 1400})
    page.goto(f"{base}/?scope={scope}")
    wait_for_app(page)
    page.goto(f"{base}/{path}?scope={scope}{query}")
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=120_000)
    wait_for_app(page, timeout=120_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def _colours_near(image: Image.Image, box: dict, rgb: tuple, tolerance: int = 16) -> int:
    crop = image.convert("RGB").crop((int(box["x"]), int(box["y"]), int(box["x"] + box["width"]),
                                      int(box["y"] + box["height"])))
    return sum(n for n, c in crop.getcolors(crop.width * crop.height)
               if all(abs(a - b) <= tolerance for a, b in zip(c, rgb)))


@pytest.mark.parametrize("name", list(SCOPES))
def test_map_draws_outline_and_free_bed_colours(server, page, name):
    _open(page, server, "beds", SCOPES[name])
    chart = page.locator('[data-testid="stDeckGlJsonChart"]').first
    chart.wait_for(timeout=30_000)
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stDeckGlJsonChart\"] canvas').length > 0",
                           timeout=30_000)
    page.wait_for_timeout(SETTLE_MS)
    box = chart.bounding_box()
    path = screenshot(page, f"map_{name}")
    image = Image.open(path)
    scale = image.width / 1400
    box = {k: v * scale for k, v in box.items()}
    assert _colours_near(image, box, palette.LAND) > 5000  # the land of the outline fills much of the map
    drawn = [band for band, (_, rgb) in mb.FREE_BANDS.items() if _colours_near(image, box, rgb) > 40]
    assert len(drawn) >= 2, drawn  # symbols in more than one free-bed colour


@pytest.fixture(scope="module")
def framework(world_url, browser):
    return framework_findings(browser, world_url, 1500)


@pytest.mark.parametrize("query", ["", "&meeting=1", "&meeting=1&step=4"])
def test_bed_meeting_page_has_no_serious_violation_beyond_streamlits_own(server, framework, page, query):
    _open(page, server, "bed_meeting", "collaborative:IMPACT", query)
    page.wait_for_timeout(SETTLE_MS)
    extra = beyond(violations(page), framework, BLOCKING)
    assert extra == [], "\n".join(extra)
    if not query:
        screenshot(page, "bed_meeting")
