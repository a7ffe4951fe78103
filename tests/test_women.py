"""Women's pathway: indicators (women and men), bands, flows, pilot and survey against hand-worked answers.

Fixture: tests/fixture_db.py (DuckDB and PostgreSQL). Distances are in degrees of latitude
(111.194927 km each, see tests/expected_fixture.py).

Patients in an adult secure bed on 2024-03-10 (ward, sex, home, distance deg, as_of - admission,
continuous stay in days, distinct units ever):
  P05 W1 m L2 0.0  121  121 1 | P04 W1 m L2 0.0 2 2 (S04a ended 03-06, S04b 03-08: a gap) 1
  P03 W1 m L1 0.5  3   38 (S03a from 02-01, no gap) 2 (U3, U1)
  P01 W2 f L1 0.5  69  1775 (since 2019-05-01, three spells with no gap) 3 (U2, U3, U1)
  P07 W2 f L1 0.5  5   24 (S07a from 02-15) 2 (U2, U1)
  P08 W5 m L3 0.25 8   8 1 | P13 W5 m L3 0.25 283 283 1
  P10 W6 f L1 1.0  6   6 1 (NPR: independent; IMPACT home on a NORTH ward: out of area)
  P02 W7 f L3 0.25 9400 9400 (since 1998: over 3 and over 20 years) 1
"""

import datetime as dt
import math

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import women as wq
from data_access.access import AccessDenied, Viewer
from metrics import kpi_table
from metrics import women as wm
from tests.apptest import errors, run_app
from tests.browser import build_duckdb_file
from tests.databases import ENGINES, empty_database
from tests.expected_fixture import KM_PER_DEGREE, P1, P2
from tests.fixture_db import build_fixture

WOMEN_KPIS = ["women_share_pct", "women_median_los_days", "women_median_distance_km", "women_mean_hospitals",
              "women_detained_over_3y_pct"]
KM = KM_PER_DEGREE


def pct(num, den):
    return (num / den * 100, num, den)


# (level, code, end): {sex: {indicator: (value, numerator, denominator)}}; medians (value, None, n).
EXPECTED = {
    ("national", None, P1[1]): {
        "female": {"women_share_pct": pct(4, 9), "women_median_los_days": (37.5, None, 4),  # 5 6 | 69 9400
                   "women_median_distance_km": (0.5 * KM, None, 4),  # .25 .5 | .5 1.0
                   "women_mean_hospitals": (1.75, 7, 4),  # P01 3 + P07 2 + P10 1 + P02 1
                   "women_detained_over_3y_pct": pct(2, 4),  # P01, P02
                   "over_20y_pct": pct(1, 4),  # P02
                   "out_of_area_now_pct": pct(1, 4),  # P10
                   "independent_sector_pct": pct(1, 4)},  # P10 at NPR
        "male": {"women_share_pct": pct(5, 9), "women_median_los_days": (8.0, None, 5),  # 2 3 8 121 283
                 "women_median_distance_km": (0.25 * KM, None, 5),  # 0 0 .25 .25 .5
                 "women_mean_hospitals": (1.2, 6, 5),  # P03 2, others 1
                 "women_detained_over_3y_pct": pct(0, 5), "over_20y_pct": pct(0, 5),
                 "out_of_area_now_pct": pct(0, 5), "independent_sector_pct": pct(0, 5)},
    },
    # As of 03-05: men P05 116, P04 186, P03 33 (on W5: out of area, 1.75 deg), P08 3, P09 785, P13 278.
    ("national", None, P2[1]): {
        "female": {"women_share_pct": pct(4, 10), "women_median_los_days": (32.5, None, 4),  # 0 1 | 64 9395
                   "women_mean_hospitals": (1.75, 7, 4), "over_20y_pct": pct(1, 4)},
        "male": {"women_share_pct": pct(6, 10), "women_median_los_days": (151.0, None, 6),  # (116 + 186) / 2
                 "women_median_distance_km": (0.25 * KM, None, 6),  # 0 0 .25 .25 .25 1.75
                 "women_mean_hospitals": (1.0, 6, 6),  # P03 has only been at U3 by 03-05
                 "women_detained_over_3y_pct": pct(0, 6),  # P09 785 days
                 "out_of_area_now_pct": pct(1, 6)},  # P03 on NORTH's W5
    },
    # Wards W1-W3 (P05 P04 P03 | P01 P07); home patients L1/L2 (P05 P04 P03 | P01 P07 P10).
    ("collaborative", "IMPACT", P1[1]): {
        "female": {"women_share_pct": pct(2, 5), "women_median_los_days": (37.0, None, 2),
                   "women_median_distance_km": (0.5 * KM, None, 3), "women_mean_hospitals": (2.0, 6, 3),
                   "women_detained_over_3y_pct": pct(1, 2), "over_20y_pct": pct(0, 2),
                   "out_of_area_now_pct": pct(1, 3), "independent_sector_pct": pct(1, 3)},
        "male": {"women_share_pct": pct(3, 5), "women_median_los_days": (3.0, None, 3),
                 "women_median_distance_km": (0.0, None, 3), "women_mean_hospitals": (4 / 3, 4, 3),
                 "out_of_area_now_pct": pct(0, 3)},
    },
    # Wards W5-W7 (P08 P13 | P10 P02); home patients L3 (P08 P13 | P02).
    ("region", "Y63", P1[1]): {
        "female": {"women_share_pct": pct(2, 4), "women_median_los_days": (4703.0, None, 2),
                   "women_median_distance_km": (0.25 * KM, None, 1), "women_mean_hospitals": (1.0, 1, 1),
                   "women_detained_over_3y_pct": pct(1, 2), "over_20y_pct": pct(1, 2),
                   "out_of_area_now_pct": pct(0, 1), "independent_sector_pct": pct(0, 1)},
        "male": {"women_median_los_days": (145.5, None, 2), "women_mean_hospitals": (1.0, 2, 2)},
    },
    # Provider level follows its beds for everything: W1, W2.
    ("provider", "RHA", P1[1]): {
        "female": {"women_median_distance_km": (0.5 * KM, None, 2), "women_mean_hospitals": (2.5, 5, 2),
                   "out_of_area_now_pct": pct(0, 2), "independent_sector_pct": pct(0, 2)},
        "male": {"women_mean_hospitals": (4 / 3, 4, 3)},
    },
    ("provider", "NPR", P1[1]): {
        "female": {"women_share_pct": pct(1, 1), "out_of_area_now_pct": pct(1, 1),
                   "independent_sector_pct": pct(1, 1), "women_detained_over_3y_pct": pct(0, 1)},
        "male": {"women_share_pct": pct(0, 1), "women_median_los_days": (None, None, 0),
                 "women_mean_hospitals": (None, 0, 0), "over_20y_pct": (None, 0, 0)},
    },
    ("unit", "U3", P1[1]): {
        "female": {"women_share_pct": pct(1, 3), "women_median_los_days": (9400.0, None, 1),
                   "over_20y_pct": pct(1, 1), "women_detained_over_3y_pct": pct(1, 1)},
        "male": {"women_median_los_days": (145.5, None, 2)},
    },
}

SCOPES = [("national", None), ("region", "Y60"), ("region", "Y63"), ("collaborative", "IMPACT"),
          ("collaborative", "NORTH"), ("collaborative", "CAMHS"), ("provider", "RHA"), ("provider", "NQ1"),
          ("provider", "NPR"), ("unit", "U1"), ("unit", "U3"), ("ward", "W2"), ("ward", "W6")]


def _same(actual, expected) -> bool:
    missing = actual is None or (isinstance(actual, float) and math.isnan(actual))
    if expected is None:
        return missing
    return not missing and float(actual) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def _values(engine, level, code, end) -> pd.DataFrame:
    with engine.connect() as conn:
        raw = wq.indicators(conn, None, level, code, end)
    return wm.indicator_table(raw, [code or "national"])


def _lookup(table, sex, kpi_id):
    row = table[(table["sex"] == sex) & (table["kpi_id"] == kpi_id)].iloc[0]
    return row["value"], row["numerator"], row["denominator"]


@pytest.mark.parametrize("key", list(EXPECTED), ids=[f"{k[0]}-{k[1]}-{k[2]:%m%d}" for k in EXPECTED])
def test_indicators_match_hand_worked_answers(fixture_engine, key):
    table = _values(fixture_engine, *key)
    for sex, expected in EXPECTED[key].items():
        for kpi_id, triple in expected.items():
            actual = _lookup(table, sex, kpi_id)
            for part, got, want in zip(("value", "numerator", "denominator"), actual, triple):
                if want is not None or part == "value":
                    assert _same(got, want), f"{sex} {kpi_id} {part}: {got!r} != {want!r}"


@pytest.mark.parametrize("period", [P1, P2], ids=["0310", "0305"])
def test_womens_figures_agree_with_kpi_table(fixture_engine, period):
    for level, code in SCOPES:
        table = _values(fixture_engine, level, code, period[1])
        kpis = kpi_table(fixture_engine, level, code, *period, kpi_ids=WOMEN_KPIS).set_index("kpi_id")
        for kpi_id in WOMEN_KPIS:
            value, numerator, denominator = _lookup(table, "female", kpi_id)
            row = kpis.loc[kpi_id]
            assert _same(value, None if pd.isna(row["value"]) else row["value"]), f"{level}:{code} {kpi_id}"
            if kpi_id not in ("women_median_los_days", "women_median_distance_km"):
                assert _same(numerator, row["numerator"]), f"{level}:{code} {kpi_id} numerator"
            assert _same(denominator or 0, row["denominator"] or 0), f"{level}:{code} {kpi_id} n"


@pytest.mark.parametrize("level,code", [s for s in SCOPES if s[0] != "ward"])
def test_children_agree_with_each_childs_own_figures(fixture_engine, level, code):
    """One grouped query per family for all children; each child's row equals the child's own figures."""
    with fixture_engine.connect() as conn:
        kids, raw = wq.child_indicators(conn, None, level, code, P1[1])
    assert kids, f"{level}:{code} has children"
    grouped = wm.indicator_table(raw, [k for k, _ in kids])
    for kid, _ in kids:
        child_level = {"national": "region", "region": "collaborative", "collaborative": "provider",
                       "provider": "unit", "unit": "ward"}[level]
        own = _values(fixture_engine, child_level, kid, P1[1])
        mine = grouped[grouped["code"] == kid].drop(columns="code").reset_index(drop=True)
        for (_, a), (_, b) in zip(mine.iterrows(), own.drop(columns="code").iterrows()):
            for part in ("value", "numerator", "denominator"):
                want = None if b[part] is None or pd.isna(b[part]) else b[part]
                assert _same(a[part], want), f"{kid} {a['sex']} {a['kpi_id']} {part}"


def test_national_children_are_regions_with_hand_worked_los(fixture_engine):
    with fixture_engine.connect() as conn:
        kids, raw = wq.child_indicators(conn, None, "national", None, P1[1])
    assert [k for k, _ in kids] == ["Y60", "Y63"]
    table = wm.indicator_table(raw, ["Y60", "Y63"])
    shown, flags = wm.children_wide(table, kids, "none", "national")
    assert shown.set_index("code").loc["Y63", "women_median_los_days"] == 4703.0
    assert shown.set_index("code").loc["Y60", "women_in_bed"] == 2
    assert not flags.drop(columns=["code", "name"]).any().any()


def test_distributions_bands(fixture_engine):
    with fixture_engine.connect() as conn:
        raw = wq.distributions(conn, None, "national", None, P1[1])

    def counts(frame):
        return {(s, int(b)): int(n) for s, b, n in frame.itertuples(index=False)}

    # LOS: women 5 6 69 (0-1 y), 9400 (10+); men 2 3 8 121 283 (0-1 y)
    assert counts(raw["los"]) == {("female", 0): 3, ("female", 4): 1, ("male", 0): 5}
    # distance: .25 deg = 27.8 km (20-49), .5 = 55.6 (50-99), 1.0 = 111.2 (100+), 0 (under 20)
    assert counts(raw["distance"]) == {("female", 1): 1, ("female", 2): 2, ("female", 3): 1,
                                       ("male", 0): 2, ("male", 1): 2, ("male", 2): 1}
    # hospitals: women P01 3, P07 2, P10 1, P02 1; men P03 2, four with 1
    assert counts(raw["hospitals"]) == {("female", 1): 2, ("female", 2): 1, ("female", 3): 1,
                                        ("male", 1): 4, ("male", 2): 1}
    los = wm.bands(raw["los"], wm.LOS_BANDS, "none", "national")
    women = los[los["sex"] == "Women"].set_index("band")
    assert women.loc["0–1 years", "pct"] == pytest.approx(75.0) and women.loc["1–2 years", "patients"] == 0
    hospitals = wm.bands(raw["hospitals"], None, "none", "national")
    assert list(hospitals[hospitals["sex"] == "Men"]["band"]) == ["1", "2", "3"]


def test_transitions_national(fixture_engine):
    """P01 low (W3) > medium (W7, W2), in hospital; P07 low (W3) > medium (W2), in hospital;
    P06 low (W3), discharged to step-down on 03-04; P10 low (W6) and P02 medium (W7), in hospital."""
    with fixture_engine.connect() as conn:
        raw = wq.transitions(conn, None, "national", None, *P1)
    got = {(int(s), a, b): int(n) for s, a, b, n in raw.itertuples(index=False)}
    assert got == {(1, "low", "medium"): 2, (1, "low", "in_hospital"): 1, (1, "low", "step_down"): 1,
                   (1, "medium", "in_hospital"): 1, (2, "medium", "in_hospital"): 2}
    stage = wm.stages(raw, "none", "national")
    first = stage[stage["stage"] == "Move 1"].set_index("state")["patients"].to_dict()
    assert first == {"Low secure": 4, "Medium secure": 1}
    assert stage[stage["stage"] == "Now"].set_index("state")["patients"].to_dict() == {
        "Still in hospital": 4, "Step-down": 1}


def test_transitions_collaborative_are_suppressed_under_mhsds(fixture_engine):
    # IMPACT wards W1-W3 in the period: P01, P07 (low > medium > in hospital) and P06 (low > step-down)
    with fixture_engine.connect() as conn:
        raw = wq.transitions(conn, None, "collaborative", "IMPACT", *P1)
    got = {(int(s), a, b): int(n) for s, a, b, n in raw.itertuples(index=False)}
    assert got == {(1, "low", "medium"): 2, (1, "low", "step_down"): 1, (2, "medium", "in_hospital"): 2}
    flows = wm.flows(raw, "mhsds", "collaborative")
    assert flows["suppressed"].all() and flows["patients"].isna().all()
    assert "Low secure → Medium secure" in set(flows["flow"])


def test_pilot_against_comparable_women(fixture_engine):
    """S10 (P10, pilot, first stay W6 low, 2024, open: 6 days so far). Comparable: female adult secure
    spells, not pilot, first level low, admitted 2024: S07a only (W3, 19 days, to other_hospital).
    S06 (low, 2023) and S01c/S07b (medium) are not comparable."""
    with fixture_engine.connect() as conn:
        raw = wq.pilot(conn, None, "national", None, P1[1])
    summary = raw["summary"].set_index("pilot")
    assert summary.loc[True, "spells"] == 1 and summary.loc[True, "in_hospital"] == 1
    assert float(summary.loc[True, "median_days_so_far"]) == 6.0
    assert summary.loc[False, "spells"] == 1 and float(summary.loc[False, "median_los_days"]) == 19.0
    assert list(raw["destinations"].itertuples(index=False, name=None)) == [(False, "other_hospital", 1)]
    table, caution = wm.pilot_summary(raw, "none", "national")
    assert caution
    assert table.set_index("Group").loc["Comparable others", "Median length of stay of discharged (days)"] == 19.0
    masked, _ = wm.pilot_summary(raw, "mhsds", "collaborative")
    assert masked.set_index("Group").loc["Blended service pilot", "Spells"] == "*"


def test_survey_both_cohorts_side_by_side(fixture_engine):
    with fixture_engine.connect() as conn:
        raw = wq.survey(conn, None, "national", None)
    heads, answers = wm.survey_tables(raw, "none", "national")
    assert heads.empty
    row = answers.set_index("answer").loc["Yes"]
    # England 78 of 120 = 65%; East Midlands 11 of 20 = 55%
    assert row["England (n = 120)"] == "65% (78)" and row["East Midlands (n = 20)"] == "55% (11)"
    _, rounded = wm.survey_tables(raw, "mhsds", "collaborative")
    assert rounded.set_index("answer").loc["No", "East Midlands (n = 20)"] == "45% (10)"  # 9 rounds to 10


def test_survey_year_is_shown(fixture_engine):
    with fixture_engine.connect() as conn:
        raw = wq.survey(conn, None, "national", None)
    assert set(raw["survey_year"]) == {2023}
    assert wm.survey_years(raw) == "2023"
    assert wm.survey_years(raw.assign(survey_year=None)) == "year not recorded"
    assert wm.survey_years(pd.DataFrame({"survey_year": [2019, 2023, 2019]})) == "2019 and 2023"


def test_completed_stays_against_the_benchmark_hand_worked(fixture_engine):
    """Completed stays: spells with an adult secure stay under the node discharged in the 365 days to the as-of
    date (2024 is a leap year: as of 03-10 from 2023-03-12, as of 03-05 from 2023-03-07).
    As of 03-10, national: women S07a 19 (W3), S06 94 (W3), S01b 913 (W7: 2021-07-01..2023-12-31 = 365 + 365 + 183)
    -> median 94 (3); men S03a 35 (W5), S04a 187 (W1), S09 788 (W5) -> 187 (3) (S12 is CAMHS; S15h 2023-03-08,
    S05h 2023-03-03 and S03h 2023-03-01 are before the window).
    As of 03-05: women the same three -> 94 (3); men S15h only (W5, 2023-02-01..03-08 = 35 days; 03-08 is in the
    window from 03-07) -> 35 (1).
    IMPACT (wards W1-W3) as of 03-10: women S06 94, S07a 19 -> 56.5 (2); men S04a 187 (1)."""
    cases = {("national", None, P1[1]): {"female": (94.0, None, 3), "male": (187.0, None, 3)},
             ("national", None, P2[1]): {"female": (94.0, None, 3), "male": (35.0, None, 1)},
             ("collaborative", "IMPACT", P1[1]): {"female": (56.5, None, 2), "male": (187.0, None, 1)}}
    for (level, code, end), expected in cases.items():
        table = _values(fixture_engine, level, code, end)
        for sex, triple in expected.items():
            got = _lookup(table, sex, "completed_los_days")
            assert _same(got[0], triple[0]) and got[2] == triple[2], (level, end, sex, got)
    assert wm.BENCHMARKED == "completed_los_days" and "not compared" in wm.NOTES["women_median_los_days"]


def test_pathway_stages_are_moves_in_order():
    # A woman through six changes of level: the stages read Move 1 .. Move 6, then Now, in that order
    # (not "Level 1, 2, 3, 6, 4, 5").
    levels = ["low", "medium", "low", "medium", "high", "medium"]
    raw = pd.DataFrame({"step": range(1, 7), "source": levels,
                        "target": levels[1:] + ["in_hospital"], "patients": [1] * 6})
    stage = wm.stages(raw, "none", "national")
    assert wm.stage_order(stage) == ["Move 1", "Move 2", "Move 3", "Move 4", "Move 5", "Move 6", "Now"]
    assert stage["order"].is_monotonic_increasing


def test_headline_disclosure_suppresses_small_numbers(fixture_engine):
    table = _values(fixture_engine, "collaborative", "IMPACT", P1[1])
    head = wm.headline(table, "IMPACT", "mhsds", "collaborative").set_index("kpi_id")
    # 2 women of 5 in a bed: numerator under 5
    assert head.loc["women_share_pct", "women_suppressed"] and head.loc["women_share_pct", "women"] is None
    # medians are shown under mhsds
    assert head.loc["women_median_los_days", "women"] == 37.0 and head.loc["women_median_los_days", "men"] == 3.0
    exact = wm.headline(table, "IMPACT", "none", "collaborative").set_index("kpi_id")
    assert exact.loc["women_share_pct", "women"] == pytest.approx(40.0)


def test_access_is_checked(fixture_engine):
    viewer = Viewer("crg member", "crg", ("collaborative:IMPACT",))
    with fixture_engine.connect() as conn:
        wq.indicators(conn, viewer, "collaborative", "IMPACT", P1[1])
        for call in (lambda: wq.indicators(conn, viewer, "collaborative", "NORTH", P1[1]),
                     lambda: wq.child_indicators(conn, viewer, "national", None, P1[1]),
                     lambda: wq.transitions(conn, viewer, "region", "Y63", *P1),
                     lambda: wq.pilot(conn, viewer, "collaborative", "NORTH", P1[1]),
                     lambda: wq.survey(conn, viewer, "collaborative", "NORTH")):
            with pytest.raises(AccessDenied):
                call()


# ---- band edges: extra women on top of the fixture (their own database) ----------------------------------
# Four women on W2 (IMPACT, medium) admitted so that on 2024-03-10 their stays are exactly 365, 730, 1826
# and 3652 days: each starts the next band (1-2, 2-5, 5-10, 10+ years). Home L2 (52.5) -> U1 (52.5): 0 km.
EDGES = {"PX1": 365, "PX2": 730, "PX3": 1826, "PX4": 3652}


def _edge_rows(engine):
    from data_access import facts, schema

    end = P1[1]
    with engine.begin() as conn:
        for pid, days in EDGES.items():
            admitted = end - dt.timedelta(days=days)
            conn.execute(sa.insert(schema.patient), [{"patient_id": pid, "sex": "female", "birth_year": 1980,
                                                      "ethnic_group": "white", "home_locality_code": "L2",
                                                      "ld_autism": False, "care_experienced": None}])
            conn.execute(sa.insert(schema.hospital_spell), [{
                "spell_id": f"S{pid}", "patient_id": pid, "referral_id": None, "provider_code": "RHA",
                "admission_date": admitted, "discharge_date": None, "ready_for_discharge_date": None,
                "discharge_destination": None, "wsbs_pilot": False}])
            conn.execute(sa.insert(schema.ward_stay), [{"ward_stay_id": f"WS{pid}", "spell_id": f"S{pid}",
                                                        "ward_code": "W2", "start_date": admitted,
                                                        "end_date": None}])
        facts.refresh(conn)  # the stay and census facts, as every load path writes them


@pytest.fixture(scope="module", params=ENGINES)
def edge_engine(request, tmp_path_factory):
    engine, cleanup = empty_database(request.param, tmp_path_factory.mktemp("women_edges"))
    build_fixture(engine)
    _edge_rows(engine)
    yield engine
    cleanup()


def test_los_band_edges(edge_engine):
    with edge_engine.connect() as conn:
        raw = wq.distributions(conn, None, "ward", "W2", P1[1])
        node = wq.indicators(conn, None, "ward", "W2", P1[1])
    # W2 women: P01 69, P07 5 (0-1 y) and the four edge women, one in each later band
    got = {int(b): int(n) for s, b, n in raw["los"].itertuples(index=False) if s == "female"}
    assert got == {0: 2, 1: 1, 2: 1, 3: 1, 4: 1}
    # continuous stay over 3 years (> 1095): P01 (1775), 1826 and 3652 days; over 20 years: none
    female = wm.indicator_table(node, ["W2"])
    assert _lookup(female, "female", "women_detained_over_3y_pct")[1:] == (3, 6)
    assert _lookup(female, "female", "over_20y_pct")[1:] == (0, 6)
    # median of 5 69 365 730 1826 3652 = (365 + 730) / 2
    assert _lookup(female, "female", "women_median_los_days")[0] == 547.5


# ---- AppTest: known numbers on screen -------------------------------------------------------------------
@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("women_pages") / "fixture.duckdb", build_fixture)


PAGE = "app_pages/women.py"
PERIOD = {"from": "2024-03-01", "to": "2024-03-10"}


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_page_shows_impact_figures(monkeypatch, fixture_url):
    # local user: lead provider of IMPACT, no disclosure control
    at = run_app(monkeypatch, fixture_url, PAGE, scope="collaborative:IMPACT", **PERIOD)
    assert not at.exception and errors(at) == []
    shown = _metrics(at)
    assert shown["Women in secure beds"] == "40.0%"
    assert shown["Women's median length of stay"] == "37 days"
    assert shown["Women's mean number of hospitals"] == "2.0"
    assert shown["Placed out of area (as of date)"] == "33.3%"
    # Completed stays (IMPACT wards, 12 months to 03-10): women S06 94, S07a 19 -> 56.5 (whole days); men S04a 187.
    assert shown["Median length of stay of completed stays (discharged in the last 12 months)"] == "56 days"  # 56.5
    captions = [c.value for c in at.caption]
    assert "Men: 60.0%" in captions
    assert "Men: 3 days · Current inpatients: stays so far (not compared with the benchmark)" in captions
    assert any(c.startswith("Men: 187 days · Spells ended") for c in captions)
    assert any(s.value == "Lived experience: women's secure care survey (2023)" for s in at.subheader)
    assert len(at.dataframe) >= 3  # children, flows, pilot/survey
    assert at.get("download_button")


def test_page_national_for_a_national_user(monkeypatch, fixture_url):
    monkeypatch.setenv("PCD_LOCAL_ROLE", "national")
    monkeypatch.setenv("PCD_LOCAL_SCOPE", "national")
    at = run_app(monkeypatch, fixture_url, PAGE, scope="national", **PERIOD)
    assert not at.exception and errors(at) == []
    shown = _metrics(at)
    # national level: nothing suppressed; 4 of 9, median (6 + 69) / 2
    assert shown["Women in secure beds"] == "44.4%"
    assert shown["Women's median length of stay"] == "38 days"
    assert shown["In hospital over 20 years"] == "25.0%"


def test_page_denied_scope_shows_a_message(monkeypatch, fixture_url):
    monkeypatch.setenv("PCD_LOCAL_ROLE", "crg")
    monkeypatch.setenv("PCD_LOCAL_SCOPE", "collaborative:IMPACT")
    at = run_app(monkeypatch, fixture_url, PAGE, scope="collaborative:NORTH", **PERIOD)
    assert not at.exception and errors(at) == []
    # the app falls back to the viewer's own scope (or, were it asked, data_access refuses): never NORTH
    title = at.title[0].value
    assert "NORTH" not in title and "North East" not in title


def test_page_under_disclosure_control(monkeypatch, fixture_url):
    monkeypatch.setenv("PCD_LOCAL_ROLE", "crg")
    monkeypatch.setenv("PCD_LOCAL_SCOPE", "collaborative:IMPACT")
    at = run_app(monkeypatch, fixture_url, PAGE, scope="collaborative:IMPACT", **PERIOD)
    assert not at.exception and errors(at) == []
    shown = _metrics(at)
    assert shown["Women in secure beds"] == "*"
    assert shown["Women's median length of stay"] == "37 days"
