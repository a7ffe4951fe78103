"""Browser: the finance page in a real Chromium: charts drawn, headline shown, a return uploaded and loaded.

Screenshots in screenshots/ (finance_impact.png, finance_import.png).
"""

import io

import pytest
from openpyxl import Workbook

from data_access.finance_import import COLUMNS, SHEET
from tests.browser import build_duckdb_file, require_chromium, screenshot, streamlit_server, wait_for_app
from tests.fixture_db import build_fixture

pytestmark = pytest.mark.browser
QUERY = "scope=collaborative:IMPACT&from=2024-03-01&to=2024-03-10"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    url = build_duckdb_file(tmp_path_factory.mktemp("finance_browser") / "fixture.duckdb", build_fixture)
    with streamlit_server(url) as base:
        yield base


def open_page(page, server):
    page.set_viewport_size({"width": 1400, "height": 1800})
    # Open the app at its root first: on a freshly started server Streamlit serves a direct link to a page
    # under pages/ before app.py has registered st.navigation (it then runs the page without app.py).
    page.goto(f"{server}/?{QUERY}")
    wait_for_app(page)
    page.goto(f"{server}/finance?{QUERY}")
    wait_for_app(page)


def test_finance_page_draws_headline_and_charts(server, page):
    open_page(page, server)
    assert page.locator('[data-testid="stException"]').count() == 0
    main = page.locator('[data-testid="stMain"]')
    assert "£279k" in main.inner_text() and "+3.8% overspend" in main.inner_text()
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.first.wait_for(timeout=20_000)
    assert charts.count() >= 2  # month by month, cumulative, forecast history, exposure (tabs draw more)
    # Vega draws into a canvas (or SVG): the charts have real marks, not an empty frame
    page.wait_for_selector('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg',
                           timeout=20_000)
    box = charts.first.bounding_box()
    assert box and box["width"] > 600 and box["height"] > 250
    screenshot(page, "finance_impact")


def _return_file() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(COLUMNS)
    sheet.append(["IMPACT", "2024-03-01", "nhs_inpatient", "RHA", 50000, 52500, 52500])
    sheet.append(["IMPACT", "2024-03-01", "independent_inpatient", "NQ1", 30000, 30500, 30500])
    sheet.append(["IMPACT", "2024-03-01", "out_of_area", None, 10000, 8000, 8000])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_upload_a_return_in_the_browser(server, page):
    open_page(page, server)
    page.get_by_text("Import the monthly finance return").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "impact_march.xlsx", "mimeType": "application/vnd.openxmlformats-officedocument."
                "spreadsheetml.sheet", "buffer": _return_file()}])
    page.get_by_role("button", name="Check and load").click()
    page.get_by_text("Loaded 3 rows").wait_for(timeout=30_000)
    screenshot(page, "finance_import")
    assert page.locator('[data-testid="stException"]').count() == 0


def test_bad_upload_lists_problems_in_the_browser(server, page):
    open_page(page, server)
    page.get_by_text("Import the monthly finance return").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "broken.xlsx", "mimeType": "application/octet-stream", "buffer": b"not a workbook"}])
    page.get_by_role("button", name="Check and load").click()
    page.get_by_text("Nothing was loaded").wait_for(timeout=30_000)
    assert page.get_by_text("not an Excel workbook").count() >= 1 or page.locator(
        '[data-testid="stDataFrame"]').count() >= 1
    assert page.locator('[data-testid="stException"]').count() == 0
