"""Browser: a provider's user submits W1's bed state and the Bed occupancy page's map view shows it at once.

The map is drawn on a canvas: the live panel's caption ("Last bed state reported in this view"), computed from
the same ward rows as the map's points, shows the submission's time; tests/test_bed_state_submit.py checks the
map's own data (the deck's unit point) in AppTest.
"""

import datetime as dt

import pytest

from tests.browser import build_duckdb_file, require_chromium, screenshot, streamlit_server, wait_for_app
from tests.fixture_db import build_fixture

pytestmark = pytest.mark.browser
SCOPE = "provider:RHA"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    url = build_duckdb_file(tmp_path_factory.mktemp("submit_browser") / "fixture.duckdb", build_fixture)
    with streamlit_server(url, {"PCD_LOCAL_ROLE": "provider", "PCD_LOCAL_SCOPE": SCOPE}) as base:
        yield base


def _open(page, base, name):
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.goto(f"{base}/?scope={SCOPE}")
    wait_for_app(page)
    page.goto(f"{base}/{name}?scope={SCOPE}")
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_map_view_shows_a_submission_at_once(server, page):
    _open(page, server, "beds")
    page.locator('[data-testid="stDeckGlJsonChart"]').first.wait_for(timeout=30_000)
    assert "Last bed state reported in this view: 11 Mar 2024 08:00" in page.locator("body").inner_text()

    _open(page, server, "bed_state_submit")
    page.get_by_label("Occupied beds", exact=True).fill("1")
    page.get_by_label("Available beds", exact=True).fill("3")
    page.get_by_role("button", name="Submit this ward's bed state").click()
    page.get_by_text("Saved the bed state of 1 ward(s)").wait_for(timeout=30_000)
    screenshot(page, "bed_state_submit")

    _open(page, server, "beds")
    page.locator('[data-testid="stDeckGlJsonChart"]').first.wait_for(timeout=30_000)
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stDeckGlJsonChart\"] canvas').length > 0",
                           timeout=30_000)
    today = f"{dt.date.today():%d %b %Y}"
    assert f"Last bed state reported in this view: {today}" in page.locator("body").inner_text()
    screenshot(page, "bed_state_after_submit")
