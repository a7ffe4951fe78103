"""The Overview's table of children: each child's row counts only the activity its parent owns
(docs/kpi-definitions.md, "Children rows"). Where the hierarchy nests, that is exactly kpi_table for the child
(its drill-down); a provider inside a collaborative counts only its wards commissioned by that collaborative.

Hand-worked on tests/fixture_db.py, 2024-03-01..03-10 (shared working in tests/expected_fixture.py). NQ1 runs
W3 (IMPACT, low secure women, open 03-01..05) and W4 (CAMHS):
- NQ1 inside IMPACT = W3 only: bed days WS06 3 + WS07a 4 = 7; available 3 x 5 - 2 = 13 -> 7 / 13; no bed free
  now (W3 closed on 03-06: none); out of area 0 of its 7 bed days (P06 and P07 are IMPACT's); discharges S06 94,
  S07a 19 -> median 56.5 (2); no admission; no IMPACT referral admitted to W3; no intervention on W3 -> 0 / 7;
  staffing W3 480 / 600 = 80%.
- NQ1 inside CAMHS = W4 only: bed days WS11 10 + WS12 3 = 13; available 3 x 10 = 30; 1 bed free now (3 - 2 - 0);
  out of area WS12 3 of 13 (P12 has no camhs home collaborative); S12 3 days (1); admissions S12; referrals R06
  (CAMHS, received 03-03, admitted to W4); no intervention in the period (RI7 is 02-29) -> 0 / 13; 700 / 700 = 100%.
- NQ1 as a whole (kpi_table, its own drill-down) is both: 20 bed days. The two rows add up to it.
"""

import datetime as dt
import math

import pytest

from metrics.catalogue import CHILD_TABLE_IDS
from metrics.kpis import child_table, kpi_table
from tests.expected_fixture import count, median, pct, per_1000

PERIOD = (dt.date(2024, 3, 1), dt.date(2024, 3, 10))
NESTED = [("national", None), ("region", "Y60"), ("provider", "NQ1"), ("unit", "U1")]
CHILD_OF = {"national": "region", "region": "collaborative", "collaborative": "provider", "provider": "unit",
            "unit": "ward"}
NONE = (None, None, None)

NQ1_IN = {
    "IMPACT": {"occupied_bed_days": count(7), "bed_occupancy_pct": pct(7, 13), "beds_available_now": NONE,
               "out_of_area_pct": pct(0, 7), "median_los_days": median(56.5, 2), "admissions": count(0),
               "referrals_received": count(0), "restrictive_interventions_per_1000_obd": per_1000(0, 7),
               "staffing_fill_rate_pct": pct(480, 600)},
    "CAMHS": {"occupied_bed_days": count(13), "bed_occupancy_pct": pct(13, 30), "beds_available_now": count(1),
              "out_of_area_pct": pct(3, 13), "median_los_days": median(3.0, 1), "admissions": count(1),
              "referrals_received": count(1), "restrictive_interventions_per_1000_obd": per_1000(0, 13),
              "staffing_fill_rate_pct": pct(700, 700)},
}


def same(a, b) -> bool:
    missing = [x is None or (isinstance(x, float) and math.isnan(x)) for x in (a, b)]
    if any(missing):
        return all(missing) or (a in (0, None) and b in (0, None))
    return a == pytest.approx(b, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("level,code", NESTED)
def test_nested_child_rows_equal_each_childs_kpi_table(fixture_engine, level, code):
    children = child_table(fixture_engine, level, code, *PERIOD)
    assert not children.empty
    for child_code, rows in children.groupby("code"):
        expected = kpi_table(fixture_engine, CHILD_OF[level], child_code, *PERIOD, kpi_ids=CHILD_TABLE_IDS)
        expected = expected.set_index("kpi_id")
        for _, row in rows.iterrows():
            want = expected.loc[row["kpi_id"]]
            for column in ("value", "numerator", "denominator"):
                assert same(row[column], want[column]), (child_code, row["kpi_id"], column, row[column], want[column])


@pytest.mark.parametrize("collab", ["IMPACT", "CAMHS"])
def test_a_provider_inside_a_collaborative_counts_only_its_wards_for_it(fixture_engine, collab):
    rows = child_table(fixture_engine, "collaborative", collab, *PERIOD)
    nq1 = rows[rows["code"] == "NQ1"].set_index("kpi_id")
    for kpi_id, (value, numerator, denominator) in NQ1_IN[collab].items():
        got = nq1.loc[kpi_id]
        for column, want in (("value", value), ("numerator", numerator), ("denominator", denominator)):
            assert same(got[column], want), (collab, kpi_id, column, got[column], want)


def test_a_providers_rows_in_its_collaboratives_add_up_to_the_provider(fixture_engine):
    whole = kpi_table(fixture_engine, "provider", "NQ1", *PERIOD, kpi_ids=["occupied_bed_days", "admissions"])
    whole = whole.set_index("kpi_id")["value"]
    parts = {c: child_table(fixture_engine, "collaborative", c, *PERIOD).query("code == 'NQ1'").set_index("kpi_id")
             for c in ("IMPACT", "CAMHS")}
    assert whole["occupied_bed_days"] == 20 == sum(p.loc["occupied_bed_days", "value"] for p in parts.values())
    assert whole["admissions"] == 1 == sum(p.loc["admissions", "value"] for p in parts.values())


def test_rha_inside_impact_is_all_of_rha(fixture_engine):
    # Every RHA ward (W1, W2) is IMPACT's: its row is its own kpi_table.
    row = child_table(fixture_engine, "collaborative", "IMPACT", *PERIOD).query("code == 'RHA'").set_index("kpi_id")
    expected = kpi_table(fixture_engine, "provider", "RHA", *PERIOD, kpi_ids=CHILD_TABLE_IDS).set_index("kpi_id")
    for kpi_id in CHILD_TABLE_IDS:
        assert same(row.loc[kpi_id, "value"], expected.loc[kpi_id, "value"]), kpi_id


def test_ward_has_no_children(fixture_engine):
    assert child_table(fixture_engine, "ward", "W1", *PERIOD).empty


# --- the builders themselves: a child grain's row is the child's node row (data_access/grain.py) ---------------

BUILDERS = ["spell_query", "referral_query", "intervention_query", "incident_query", "staffing_query",
            "readmission_query", "beds_now_query"]


def _node_and_children(conn, name, level, code, kids):
    """(builder at each child's NODE grain, by child code; the builder at the children grain of the node)."""
    from data_access import kpi_queries as q
    from data_access.grain import NODE, children, frame

    build = getattr(q, name)

    def query(lv, cd, grain):
        if name == "beds_now_query":
            return build(lv, cd, PERIOD[1], grain)
        return build(lv, cd, *PERIOD, grain=grain)

    probe = conn.execute(query(level, code, NODE)).keys()
    names = [f"c{i}" for i in range(len(list(probe)))]
    grain = children(CHILD_OF[level], kids)
    by_child = frame(conn, query(level, code, grain), names, grain)
    nodes = {kid: frame(conn, query(CHILD_OF[level], kid, NODE), names, NODE).iloc[0] for kid in kids}
    return nodes, by_child


@pytest.mark.parametrize("level,code", NESTED)
@pytest.mark.parametrize("name", BUILDERS)
def test_each_builders_child_rows_equal_each_childs_node_row(fixture_engine, name, level, code):
    from data_access.scope import children, resolve

    with fixture_engine.connect() as conn:
        kids = [k.code for k in children(conn, resolve(conn, level, code))]
        nodes, by_child = _node_and_children(conn, name, level, code, kids)
    assert kids and (level != "national" or len(by_child) > 0), name  # not a comparison of empty rows only
    for kid, want in nodes.items():
        got = by_child.loc[kid] if kid in by_child.index else None  # no row: nothing counted
        for column, value in want.items():
            found = None if got is None else got[column]
            assert same(found, value), (name, kid, column, found, value)
