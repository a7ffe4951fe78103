"""One value and one RAG for one KPI, scope and period, wherever it is shown: the Overview tiles, the Budget and
spend page, the Meeting pack (screen and Excel), the Quality page's targets and the Overview's Excel export of
the children. Worked on the fixture (tests/fixture_db.py), lead provider of IMPACT, 1–10 March 2024.

Hand-worked: IMPACT's bed occupancy 55.6% (green: IMPACT's own band 90/95, and the default 85/95 alike);
variance to budget £10,500 = 3.76% of £279,000, red (more than 3% either way) on every page, although
the fixture's kpi_threshold has no row for it; prone restraint's target 5.0 (the national default).
"""

import io
import re

import pytest
import streamlit as st
from openpyxl import load_workbook

from data_access.thresholds import NATIONAL
from tests.apptest import run_app
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture
from ui.formatting import format_value

P1 = {"from": "2024-03-01", "to": "2024-03-10"}
WORDS = {"On track": "green", "Watch": "amber", "Off track": "red", "No threshold": None}
COLOURS = {"green": "green", "orange": "amber", "red": "red"}
FINANCE_WORDS = {"Within ±1% of budget": "green", "Within ±3% of budget": "amber", "More than 3% from budget": "red"}
F1 = {"bed_occupancy_pct": ("Bed occupancy", "pct"), "variance_gbp": ("Variance to budget", "gbp"),
      "out_of_area_pct": ("Out of area placements", "pct")}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("consistency") / "fixture.duckdb", build_fixture)


def _page(monkeypatch, url, page, scope, **params):
    downloads = {}
    original = st.download_button

    def recording(label, data, **kwargs):
        downloads[kwargs["args"][1]] = data() if callable(data) else data
        return original(label, data, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    at = run_app(monkeypatch, url, scope=scope, **P1, **params)
    if page != "app_pages/overview.py":
        downloads.clear()
        at.switch_page(page).run()
    assert not at.exception
    return at, downloads


def _badges(at) -> list[tuple[str, str]]:
    found = [re.fullmatch(r":(\w+)-badge\[(.*)\]", m.value) for m in at.markdown]
    return [(COLOURS[f.group(1)], f.group(2)) for f in found if f]


def _walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


def _tile_rags(at) -> dict[str, str | None]:
    """Tile label -> the RAG of the badge drawn under it (None: no badge), in reading order."""
    rags, last = {}, None
    for element in _walk(at.main):
        if element.type == "metric":
            last = element.label
            rags[last] = None
        elif element.type == "markdown" and last and (found := re.fullmatch(r":(\w+)-badge\[(.*)\]", element.value)):
            rags[last] = WORDS[found.group(2)]
    return rags


@pytest.mark.parametrize("scope", ["collaborative:IMPACT", "provider:RHA"])
def test_same_value_and_rag_on_overview_pack_finance_and_excel(monkeypatch, app_url, scope):
    pack_at, pack_files = _page(monkeypatch, app_url, "app_pages/packs.py", scope, forum="F1")
    pack = pack_at.dataframe[0].value.set_index("KPI")
    (excel,) = pack_files.values()
    sheet = load_workbook(io.BytesIO(excel))["Pack"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    book = {r[0]: dict(zip(header, r)) for r in rows[1:]}

    over_at, _ = _page(monkeypatch, app_url, "app_pages/overview.py", scope)
    tiles = {m.label: m.value for m in over_at.metric}
    tile_rags = _tile_rags(over_at)

    for kpi_id, (label, kind) in F1.items():
        shown = pack.loc[label, "Value"]
        assert tiles[label] == shown, kpi_id
        assert format_value(kind, book[label]["Value"]) == shown, kpi_id  # Excel exact, same figure
        assert book[label]["Status"] == pack.loc[label, "Status"]
        assert tile_rags[label] == WORDS[pack.loc[label, "Status"]], kpi_id
    assert pack.loc["Variance to budget", "Status"] == "Off track"  # 3.76% of budget: red everywhere
    assert pack.loc["Bed occupancy", "Status"] == "On track"
    assert pack.loc["Bed occupancy", "Threshold"] == "IMPACT's own threshold"  # the collaborative's, below it too

    if scope.startswith("collaborative"):
        fin_at, _ = _page(monkeypatch, app_url, "app_pages/finance.py", scope)
        fin = {m.label: m.value for m in fin_at.metric}
        assert fin["Variance to budget"] == tiles["Variance to budget"] == "£10k"
        assert FINANCE_WORDS[_badges(fin_at)[0][1]] == WORDS[pack.loc["Variance to budget", "Status"]] == "red"


def test_quality_target_is_the_same_threshold(monkeypatch, app_url):
    at, files = _page(monkeypatch, app_url, "app_pages/quality.py", "collaborative:IMPACT")
    summary = at.dataframe[0].value.set_index("Measure")
    assert summary.loc["Prone restraint per 1,000 bed days", "Target"] == 5.0
    pack_at, _ = _page(monkeypatch, app_url, "app_pages/packs.py", "collaborative:IMPACT", forum="F2")
    pack = pack_at.dataframe[0].value.set_index("KPI")
    assert pack.loc["Prone restraint per 1,000 bed days", "Threshold"] == NATIONAL
    assert pack.loc["Prone restraint per 1,000 bed days", "Status"] == "Off track"  # 22.2 > amber 10
    book = load_workbook(io.BytesIO(files["Quality summary export"]))["Quality summary"]
    rows = list(book.iter_rows(values_only=True))
    target = rows[0].index("Target")
    assert {r[rows[0].index("Measure")]: r[target] for r in rows[1:]}["Prone restraint per 1,000 bed days"] == 5.0


def test_children_export_matches_each_childs_own_overview(monkeypatch, app_url):
    _, files = _page(monkeypatch, app_url, "app_pages/overview.py", "collaborative:IMPACT")
    sheet = load_workbook(io.BytesIO(files["Overview export"]))["Overview"]
    rows = list(sheet.iter_rows(values_only=True))
    rha = dict(zip(rows[0], next(r for r in rows[1:] if "Nottinghamshire" in str(r[0]))))
    child_at, _ = _page(monkeypatch, app_url, "app_pages/overview.py", "provider:RHA")
    tiles = {m.label: m.value for m in child_at.metric}
    assert format_value("pct", rha["Bed occupancy (%)"]) == tiles["Bed occupancy"]
    assert format_value("count", rha["Admissions"]) == tiles["Admissions"]
