"""The bed map with its own geography (issue 15): the UK outline under the units, the `boundaries_file` setting
(a small hand-made GeoJSON in tests/data), colours by free beds with a legend drawn from the same constants, one
symbol per collaborative at national and region scope, symbols that never hide each other, home localities per
100,000 population; AppTest on the fixture world of tests/test_beds.py, and unit checks of the arithmetic.
"""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from assets import palette
from metrics import beds as mb
from tests.apptest import errors, run_app
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture
from tests.test_beds import add_beds_world
from ui import geography

DATA = Path(__file__).resolve().parent / "data"
TINY = DATA / "tiny_regions.geojson"
PAGE = "app_pages/beds.py"
RGB = re.compile(r"rgb\((\d+), (\d+), (\d+)\)")


@pytest.fixture(scope="module")
def world_url(tmp_path_factory):
    def build(engine):
        build_fixture(engine)
        add_beds_world(engine)
    return build_duckdb_file(tmp_path_factory.mktemp("map") / "world.duckdb", build)


def _deck(at) -> dict:
    charts = [c for c in at.get("deck_gl_json_chart") if str(c.key or "").startswith("beds_map")]
    assert len(charts) == 1
    return json.loads(charts[0].proto.json)


def _layers(at) -> dict:
    return {layer["id"]: layer for layer in _deck(at)["layers"]}


def _legend_colours(at) -> set[tuple]:
    legend = next(h.proto.body for h in at.get("html") if "Map legend" in h.proto.body)
    return {tuple(int(v) for v in m) for m in RGB.findall(legend)}


def _national(monkeypatch):
    monkeypatch.setenv("PCD_LOCAL_ROLE", "national")
    monkeypatch.setenv("PCD_LOCAL_SCOPE", "national")


# ---------------------------------------------------------------- AppTest: the deck spec

def test_outline_is_drawn_under_the_units(monkeypatch, world_url):
    at = run_app(monkeypatch, world_url, PAGE, scope="collaborative:IMPACT")
    assert not at.exception and errors(at) == []
    spec = _deck(at)
    ids = [layer["id"] for layer in spec["layers"]]
    assert ids.index("outline") < ids.index("units")  # under them
    outline = _layers(at)["outline"]
    assert outline["@@type"] == "GeoJsonLayer"
    names = {f["properties"]["name"] for f in outline["data"]["features"]}
    assert names == {"United Kingdom", "Ireland"}
    assert spec.get("mapStyle") in (None, "")  # no tile server
    assert "boundaries" not in ids  # no boundaries_file: the outline only


def test_legend_colours_are_the_layer_colours(monkeypatch, world_url):
    at = run_app(monkeypatch, world_url, PAGE, scope="collaborative:IMPACT", arcs="1")
    assert not at.exception and errors(at) == []
    legend = _legend_colours(at)
    layers = _layers(at)
    # every free-bed band, in the palette's own tuples
    assert {tuple(rgb) for _, rgb in mb.FREE_BANDS.values()} <= legend
    for point in layers["units"]["data"]:
        assert tuple(point["colour"][:3]) == mb.FREE_BANDS[point["free_band"]][1]
        assert tuple(point["colour"][:3]) in legend
    assert tuple(layers["localities"]["getLineColor"][:3]) == palette.LOCALITY
    assert palette.LOCALITY in legend
    # lead provider, exact: U1 none free (W1 4 of 4, W2 3 − 2 − 1), U5 and U6 one, U9 3 + 4 + 2 = 9, U8 no report
    assert {p["unit_code"]: p["free_band"] for p in layers["units"]["data"]} == {
        "U1": "none", "U5": "one_two", "U6": "one_two", "U8": "no_report", "U9": "three_plus"}
    texts = {t["free"] for t in layers["free_beds"]["data"]}
    assert texts == {"0", "1", "9", "–"}  # the number inside each circle (colour is never the only signal)


def test_no_labels_overlap_names_are_in_the_tooltip(monkeypatch, world_url):
    at = run_app(monkeypatch, world_url, PAGE, scope="collaborative:IMPACT")
    layers = _layers(at)
    assert "unit_names" not in layers  # no name labels drawn on the map
    points = pd.DataFrame(layers["units"]["data"])
    assert all(name in tip for name, tip in zip(points["unit_name"], points["tip"]))
    zoom = _deck(at)["initialViewState"]["zoom"]
    # U6 Amber House and U9 Mixed Site share a position (52.75, −1.125): nudged apart, nothing hidden
    assert mb.overlaps(points["latitude"], points["longitude"], points["radius"], zoom) == 0


def test_boundaries_file_adds_its_layer(monkeypatch, world_url):
    monkeypatch.setenv("PCD_BOUNDARIES_FILE", str(TINY))
    at = run_app(monkeypatch, world_url, PAGE, scope="collaborative:IMPACT")
    assert not at.exception and errors(at) == []
    assert not any("boundaries_file" in w.value for w in at.warning)
    layers = _layers(at)
    assert layers["boundaries"]["@@type"] == "GeoJsonLayer"
    names = [f["properties"]["name"] for f in layers["boundaries"]["data"]["features"]]
    assert names == ["Midlands", "North East and Yorkshire"]  # from NHSER24NM


@pytest.mark.parametrize("bad,words", [("missing.geojson", "no such file"),
                                       ("bng_regions.geojson", "British National Grid"),
                                       ("kpi_snapshot_region.csv", "could not be read as GeoJSON")])
def test_a_bad_boundaries_file_says_so_and_the_map_still_draws(monkeypatch, world_url, bad, words):
    monkeypatch.setenv("PCD_BOUNDARIES_FILE", str(DATA / bad))
    at = run_app(monkeypatch, world_url, PAGE, scope="collaborative:IMPACT")
    assert not at.exception and errors(at) == []
    assert any(words in w.value and "boundaries_file" in w.value for w in at.warning)
    layers = _layers(at)
    assert "outline" in layers and "units" in layers and "boundaries" not in layers


def test_region_scope_draws_one_symbol_per_collaborative(monkeypatch, world_url):
    _national(monkeypatch)
    at = run_app(monkeypatch, world_url, PAGE, scope="region:Y60")
    assert not at.exception and errors(at) == []
    layers = _layers(at)
    assert "units" not in layers
    points = {p["collaborative_id"]: p for p in layers["collaboratives"]["data"]}
    assert set(points) == {"IMPACT", "CAMHS"}
    # national role at region level: MHSDS rule. IMPACT's free beds: U1 0 + U5 1 + U6 1 + U9 9 = 11 -> 10;
    # CAMHS: W4 3 − 2 = 1, suppressed
    assert points["IMPACT"]["free"] == "10" and points["IMPACT"]["free_band"] == "three_plus"
    assert points["CAMHS"]["free"] == "*" and points["CAMHS"]["free_band"] == "suppressed"
    assert "IMPACT" in points["IMPACT"]["tip"] and "Occupancy" in points["IMPACT"]["tip"]
    frame = pd.DataFrame(layers["collaboratives"]["data"])
    zoom = _deck(at)["initialViewState"]["zoom"]
    assert mb.overlaps(frame["latitude"], frame["longitude"], frame["radius"], zoom) == 0


def test_national_scope_draws_every_collaborative(monkeypatch, world_url):
    _national(monkeypatch)
    at = run_app(monkeypatch, world_url, PAGE, scope="national", arcs="1")
    assert not at.exception and errors(at) == []
    layers = _layers(at)
    points = {p["collaborative_id"]: p for p in layers["collaboratives"]["data"]}
    assert set(points) == {"IMPACT", "CAMHS", "NORTH"}
    # national level: no suppression. NORTH: W5 5 − 2 = 3, W6 2, W7 0, W12 (U7) 2 = 7
    assert points["NORTH"]["free"] == "7"
    # out-of-area arcs go to the collaborative's symbol; P10 (L1, IMPACT's) in NORTH's W6 on the last day
    arcs = layers["flows"]["data"]
    assert ("L1", "NORTH") in {(a["locality_code"], a["unit_code"]) for a in arcs}
    assert all(a["out_of_area"] == 1 for a in arcs)


# ---------------------------------------------------------------- arithmetic and the file checks

def test_spread_separates_symbols_in_the_same_place():
    lats, lons, radii = [52.75, 52.75, 52.75, 53.0], [-1.125, -1.125, -1.13, -1.125], [12, 15, 12, 12]
    assert mb.overlaps(lats, lons, radii, 8) > 0
    moved = mb.spread(lats, lons, radii, 8)
    assert mb.overlaps([m[0] for m in moved], [m[1] for m in moved], radii, 8) == 0
    assert moved[3] == pytest.approx((53.0, -1.125), abs=1e-9)  # one that overlapped nothing stays put


def test_locality_rates_per_100000_from_disclosed_counts():
    flows = pd.DataFrame({"locality_code": ["L1", "L1", "L2"], "locality_name": ["A", "A", "B"],
                          "population": [1_200_000, 1_200_000, 1_100_000], "home_latitude": [53.0] * 3,
                          "home_longitude": [-1.125] * 3, "unit_code": ["U1", "U4", "U1"], "out_of_area": [0, 1, 0],
                          "patients": [3, 1, 2]})
    exact = mb.locality_rates(flows, "none", "collaborative").set_index("locality_code")
    assert exact.loc["L1", "patients"] == 4 and exact.loc["L1", "per_100k"] == pytest.approx(4 / 12)
    assert exact.loc["L2", "per_100k"] == pytest.approx(2 / 11)
    assert mb.locality_rates(flows, "mhsds", "collaborative").empty  # 4 and 2: suppressed, not drawn


def test_geography_check_reads_names_and_refuses_bad_files():
    good = geography.check(json.loads(TINY.read_text()))
    assert [f["properties"] for f in good["features"]] == [{"name": "Midlands"},
                                                           {"name": "North East and Yorkshire"}]
    for bad in ({"type": "Feature"}, {"type": "FeatureCollection", "features": []}, [1, 2]):
        with pytest.raises(geography.GeographyError):
            geography.check(bad)
    assert geography.boundaries("") == (None, None)
    collection, problem = geography.boundaries(str(DATA / "bng_regions.geojson"))
    assert collection is None and "British National Grid" in problem


def test_outline_asset_is_small_and_in_the_uk():
    outline = geography.outline()
    assert geography.OUTLINE.stat().st_size < 300_000
    uk = next(f for f in outline["features"] if f["properties"]["name"] == "United Kingdom")
    points = [p for polygon in uk["geometry"]["coordinates"] for ring in polygon for p in ring]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    assert -9 < min(lons) and max(lons) < 2 and 49.8 < min(lats) and max(lats) < 61


def test_placement_finder_shows_its_wards_on_the_map(monkeypatch, world_url):
    """The finder's default referral (a man from L2, the first locality by name; adult secure, low secure, any
    specialism) on the map: W14 (U5) 1 free, W9 (U6) 1, W13 (U9, PD) 4 − 2 = 2, NORTH's W12 (U7) 4 − 2 = 2 — the
    same free beds as the live map (one rule, data_access.beds.free_beds)."""
    at = run_app(monkeypatch, world_url, PAGE, scope="collaborative:IMPACT")
    assert not at.exception and errors(at) == []
    specs = [json.loads(c.proto.json) for c in at.get("deck_gl_json_chart")]
    layers = next({layer["id"]: layer for layer in s["layers"]} for s in specs
                  if any(layer["id"] == "placements" for layer in s["layers"]))
    assert "outline" in layers
    points = {p["unit_code"]: p for p in layers["placements"]["data"]}
    assert {u: p["free"] for u, p in points.items()} == {"U5": "1", "U6": "1", "U7": "2", "U9": "2"}
    assert {p["free_band"] for p in points.values()} == {"one_two"}
    # in area by distance from L2 (52.5 N): U6 and U9 0.25 degrees (ranks 1, 2), U5 0.5 (3); NORTH's U7 out of area
    assert "Best rank: 3" in points["U5"]["tip"] and "Best rank: 4" in points["U7"]["tip"]
    assert "Out of area" in points["U7"]["tip"]
