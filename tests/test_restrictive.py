"""Restrictive practice (issue 18, the second catalogue): SQL aggregates on the fixture (DuckDB and PostgreSQL),
the arithmetic (by kind, by place, disproportionality with Katz intervals, suppression) and the Quality page.

Hand working on tests/fixture_db.py (the episodes are listed in tests/expected_fixture.py, RESTRICTIVE):

National, 2024-03-01..03-10 (episodes in the period: started before 03-11 00:00, not ended by 03-01 00:00):
  RI1 prone P08 10 min, RI2 seclusion P08 open (03-03 14:30 -> 03-11 00:00 = 177.5 h), RI3 rapid tranquillisation
  P13 0 min, RI4 prone P05 5 min, RI5 other P01 (03-10 23:59:59 -> the period's end: 1 second), RI7 segregation
  P11 open (03-01 -> 03-11 = 240 h), RI8 mechanical P02 20 min, RI9 segregation P13 open (240 h), RI10
  segregation P05 (03-01 00:00 -> 03-07 12:00 = 156 h). RI6 (03-11) is after the period.
  By kind: mechanical 1 episode, 1 person, 1/3 h; other 1, 1, 1/3600 h; prone 2, 2 (P08, P05), 0.25 h;
  rapid tranquillisation 1, 1, 0 h; seclusion 1, 1, 177.5 h; segregation 0 started, 3 people, 636 h = 26.5 days.
  By unit: U1 Arnold Lodge (W1 22 + W2 16 = 38 bed days): RI4 RI5 started (2), P05 P01 (2), segregation RI10
    156 h = 6.5 days; U3 Northgate (W5 32 + W7 10 = 42): RI1 RI2 RI3 RI8 (4), P08 P13 P02 (3), seclusion 177.5 h,
    segregation RI9 10 days; U2 St Andrew's (W3 7 + W4 13 = 20): RI7 not started (0), P11 (1), 10 days.
  By month (2024-01-01..03-10): February RI7 segregation; March mechanical 1, other 1, prone 2, rapid 1,
    seclusion 1 (RI9 and RI10 started in December 2023).
Patients with a bed day in the period: P01..P13 (13); subject: P01 P02 P05 P08 P11 P13 (6). Age = 2024 - birth year:
  P01 F 39 white | P02 F 64 black | P03 M 34 white | P04 M 36 asian, LD | P05 M 45 white | P06 F 29 mixed
  P07 F 32 white | P08 M 41 black | P09 M 49 white | P10 F 26 white | P11 F 16 white | P12 M 17 asian | P13 M 54 other
  sex: female P01* P02* P06 P07 P10 P11* = 3 of 6; male P03 P04 P05* P08* P09 P12 P13* = 3 of 7
  ethnic: white 3 of 7 (P01 P05 P11), black 2 of 2, asian 0 of 2, mixed 0 of 1, other 1 of 1
  age: under 18 1 of 2 (P11), 26-35 0 of 4 (P03 P06 P07 P10), 36-50 3 of 5 (P01 P05 P08; P04 P09), 51+ 2 of 2
  learning disability or autism: yes 0 of 1 (P04), no 6 of 12
Rate ratios (Katz): female (3/6) / (3/7) = 7/6, SE^2 = 1/3 - 1/6 + 1/3 - 1/7; black (2/2) / (4/11) = 2.75,
  SE^2 = 1/2 - 1/2 + 1/4 - 1/11; asian a = 0: ratio 0, no interval; 51+ (2/2) / (4/11) = 2.75 as black.
"""

import datetime as dt
import math

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import quality as dq
from data_access import restrictive as dr
from data_access.access import AccessDenied, Viewer
from metrics import quality as mq
from metrics import restrictive as mr
from metrics.catalogue import KPIS, RESTRICTIVE_IDS
from metrics.kpis import kpi_table
from tests.apptest import errors, quality_summary_table, run_app
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture

D = dt.date
P1 = (D(2024, 3, 1), D(2024, 3, 10))
Z = 1.959963984540054


def _read(engine, reader, *args, viewer=None):
    with engine.connect() as conn:
        return reader(conn, viewer, *args)


# --- SQL: hand-worked, both engines -----------------------------------------------------------------------------


def test_by_kind_hand_worked(fixture_engine):
    raw = _read(fixture_engine, dr.by_kind, "national", None, *P1).set_index("kind")
    assert raw["episodes"].to_dict() == {"mechanical_restraint": 1, "other_restraint": 1, "prone_restraint": 2,
                                         "rapid_tranquillisation": 1, "seclusion": 1, "segregation": 0}
    assert raw["people"].to_dict() == {"mechanical_restraint": 1, "other_restraint": 1, "prone_restraint": 2,
                                       "rapid_tranquillisation": 1, "seclusion": 1, "segregation": 3}
    hours = raw["hours"].to_dict()
    assert hours == pytest.approx({"mechanical_restraint": 1 / 3, "other_restraint": 1 / 3600,
                                   "prone_restraint": 0.25, "rapid_tranquillisation": 0.0, "seclusion": 177.5,
                                   "segregation": 636.0})
    table = mr.kind_table(raw.reset_index(), "none", "national").set_index("kind")
    assert list(table.index) == list(mr.KIND_LABELS)  # the catalogue's order: seclusion first
    assert table.loc["segregation", "days"] == pytest.approx(26.5)
    assert pd.isna(table.loc["seclusion", "days"]) and table.loc["seclusion", "label"] == "Seclusion"


def test_by_place_hand_worked(fixture_engine):
    raw = _read(fixture_engine, dr.by_place, "national", None, *P1, "unit")
    assert raw["code"].tolist() == ["U1", "U3", "U2"]  # by name
    rows = raw.set_index("code")
    assert rows["episodes"].to_dict() == {"U1": 2, "U3": 4, "U2": 0}
    assert rows["people"].to_dict() == {"U1": 2, "U3": 3, "U2": 1}
    assert rows["obd"].to_dict() == {"U1": 38, "U3": 42, "U2": 20}
    assert rows["seclusion_hours"].to_dict() == pytest.approx({"U1": 0.0, "U3": 177.5, "U2": 0.0})
    assert rows["segregation_days"].to_dict() == pytest.approx({"U1": 6.5, "U3": 10.0, "U2": 10.0})
    table = mr.place_table(raw, "none", "national").set_index("code")
    assert table.loc["U3", "rate"] == pytest.approx(4 / 42 * 1000)
    wards = _read(fixture_engine, dr.by_place, "collaborative", "IMPACT", *P1, "ward").set_index("code")
    assert wards["people"].to_dict() == {"W1": 1, "W2": 1}  # P05 (RI4, RI10), P01 (RI5)


def test_monthly_by_kind_hand_worked(fixture_engine):
    raw = _read(fixture_engine, dr.monthly_by_kind, "national", None, D(2024, 1, 1), P1[1])
    got = {(m.strftime("%Y-%m"), k): n for m, k, n in raw.itertuples(index=False)}
    assert got == {("2024-02", "segregation"): 1, ("2024-03", "mechanical_restraint"): 1,
                   ("2024-03", "other_restraint"): 1, ("2024-03", "prone_restraint"): 2,
                   ("2024-03", "rapid_tranquillisation"): 1, ("2024-03", "seclusion"): 1}


def test_people_by_group_hand_worked(fixture_engine):
    raw = _read(fixture_engine, dr.people_by_group, "national", None, *P1)
    got = {(d, g): (n, a) for d, g, n, a in raw.itertuples(index=False)}
    assert got == {
        ("ethnic_group", "asian"): (2, 0), ("ethnic_group", "black"): (2, 2), ("ethnic_group", "mixed"): (1, 0),
        ("ethnic_group", "other"): (1, 1), ("ethnic_group", "white"): (7, 3),
        ("sex", "female"): (6, 3), ("sex", "male"): (7, 3),
        ("age_band", "26–35"): (4, 0), ("age_band", "36–50"): (5, 3), ("age_band", "51+"): (2, 2),
        ("age_band", "Under 18"): (2, 1),
        ("ld_autism", "no"): (12, 6), ("ld_autism", "yes"): (1, 0),
    }


@pytest.mark.parametrize(("start", "end", "hours", "seclusion"), [
    # RI2 from the period's start (03-04 00:00) to its end (03-11 00:00): 7 x 24; no seclusion started
    (D(2024, 3, 4), D(2024, 3, 10), 168.0, 0),
    # 03-11 alone: RI2 24 h (still going on) + RI6 00:00-06:00 (ended inside) = 30 h; RI6 started
    (D(2024, 3, 11), D(2024, 3, 11), 30.0, 1),
])
def test_seclusion_hours_count_only_the_part_inside_the_period(fixture_engine, start, end, hours, seclusion):
    with fixture_engine.connect() as conn:
        got = dr.events(conn, "national", None, start, end)
    assert got["seclusion_hours"] == pytest.approx(hours) and got["seclusion"] == seclusion


@pytest.mark.parametrize("level,code", [("national", None), ("collaborative", "IMPACT"), ("collaborative", "NORTH"),
                                        ("unit", "U3"), ("ward", "W1")])
def test_each_month_equals_kpi_table_over_that_months_dates(fixture_engine, level, code):
    """The Quality page's monthly series of the new KPIs are kpi_table's over each month's dates."""
    with fixture_engine.connect() as conn:
        raw = dq.monthly_aggregates(conn, None, level, code, D(2024, 2, 1), P1[1])
    for (lo, hi), (_, agg) in zip([(D(2024, 2, 1), D(2024, 2, 29)), P1], raw.iterrows()):
        expected = kpi_table(fixture_engine, level, code, lo, hi, kpi_ids=RESTRICTIVE_IDS).set_index("kpi_id")
        values = mq.kpi_values(agg)
        for kpi_id in RESTRICTIVE_IDS:
            want, got = expected.loc[kpi_id, "value"], values[kpi_id][0]
            assert (got is None) if want is None or pd.isna(want) else got == pytest.approx(float(want)), (lo, kpi_id)


@pytest.mark.parametrize("start,end", [(D(2024, 1, 1), D(2024, 3, 31)), (D(2024, 1, 15), D(2024, 3, 9)),
                                       (D(2023, 12, 31), D(2024, 2, 1)), (D(2024, 2, 3), D(2024, 2, 20)),
                                       (D(2023, 11, 1), D(2024, 4, 30))])
@pytest.mark.parametrize("level,code", [("national", None), ("region", "Y60"), ("collaborative", "IMPACT"),
                                        ("provider", "RHA"), ("unit", "U3"), ("ward", "W1")])
def test_people_by_month_from_the_monthly_facts_equal_the_stays_and_episodes(fixture_engine, level, code, start, end):
    """People in a bed and subject by month: whole months from node_month_people, part-months from the raw rows,
    exactly what the stays and episodes give month by month."""
    from data_access.grain import MONTH, frame

    with fixture_engine.connect() as conn:
        got = dr.people_counts(conn, level, code, start, end, MONTH)
        raw = frame(conn, dr._people_query(level, code, start, end, MONTH), dr.PEOPLE_COLUMNS, MONTH)
    assert got.to_dict("index") == raw.astype("int64").sort_index().to_dict("index")
    if level == "national" and start == D(2024, 1, 1):
        assert got["people_in_bed"].sum() > 0 and got["people_restricted"].sum() > 0


def test_children_rows_carry_the_new_measures(fixture_engine):
    with fixture_engine.connect() as conn:
        total, kids = dq.period_aggregates(conn, None, "national", None, *P1)
    assert (total["seclusion"], total["seclusion_hours"], total["people_restricted"], total["people_in_bed"]) == (
        1, pytest.approx(177.5), 6, 13)
    regions = kids.set_index("code")
    # Y60 (IMPACT, CAMHS): P05 P01 P11 of P01 P03..P07 P11 P12 = 3 of 8; Y63 (NORTH): P08 P13 P02 of 6
    assert (regions.loc["Y60", "people_restricted"], regions.loc["Y60", "people_in_bed"]) == (3, 8)
    assert (regions.loc["Y63", "people_restricted"], regions.loc["Y63", "people_in_bed"]) == (3, 6)


def test_access_is_checked(fixture_engine):
    crg = Viewer("u", "crg", ("collaborative:IMPACT",))
    assert _read(fixture_engine, dr.by_kind, "collaborative", "IMPACT", *P1, viewer=crg)["people"].sum() == 3
    for reader, extra in ((dr.by_kind, ()), (dr.by_place, ("unit",)), (dr.monthly_by_kind, ()),
                          (dr.people_by_group, ())):
        with pytest.raises(AccessDenied):
            _read(fixture_engine, reader, "collaborative", "NORTH", *P1, *extra, viewer=crg)


# --- arithmetic: disproportionality ------------------------------------------------------------------------------


def _katz(a, n1, b, n0):
    rr = (a / n1) / (b / n0)
    se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n0)
    return rr, rr * math.exp(-Z * se), rr * math.exp(Z * se)


def test_disproportionality_hand_worked(fixture_engine):
    raw = _read(fixture_engine, dr.people_by_group, "national", None, *P1)
    table = mr.disproportionality(raw, "none", "national").set_index(["dimension", "group"])
    female = table.loc[("sex", "female")]
    assert female["rate"] == pytest.approx(50.0) and female["rest_rate"] == pytest.approx(300 / 7)
    # 7/6 = 1.166667; SE = sqrt(1/3 - 1/6 + 1/3 - 1/7) = 0.597614 -> 0.361623 .. 3.763891
    assert (female["ratio"], female["low"], female["high"]) == pytest.approx((7 / 6, 0.361623, 3.763891), rel=1e-5)
    assert (female["ratio"], female["low"], female["high"]) == pytest.approx(_katz(3, 6, 3, 7))
    assert female["reading"] == mr.SAME
    black = table.loc[("ethnic_group", "black")]
    # 2.75; SE = sqrt(0.25 - 1/11) = 0.398862 -> 1.258406 .. 6.009587: the whole interval above 1
    assert (black["ratio"], black["low"], black["high"]) == pytest.approx((2.75, 1.258406, 6.009587), rel=1e-5)
    assert black["reading"] == mr.HIGHER
    asian = table.loc[("ethnic_group", "asian")]
    assert asian["ratio"] == 0 and pd.isna(asian["low"]) and asian["reading"] == mr.NONE
    assert table.loc[("age_band", "51+"), "ratio"] == pytest.approx(2.75)
    assert table.loc[("ld_autism", "yes"), "group_label"] == "Learning disability or autism"
    assert not table["suppressed"].any()  # rule none


def test_katz_edges():
    assert mr.katz(0, 10, 0, 10) == (None, None, None)  # nobody in the rest: no ratio
    assert mr.katz(3, 10, 2, 0) == (None, None, None)
    assert mr.katz(5, 10, 5, 10) == pytest.approx((1.0, *[math.exp(s * Z * math.sqrt(0.2)) for s in (-1, 1)]))
    assert mr.reading(1.1, 2.0) == mr.HIGHER and mr.reading(0.2, 0.9) == mr.LOWER and mr.reading(0.5, 2) == mr.SAME


def test_suppression_hides_the_group_its_ratio_and_the_next_smallest():
    raw = pd.DataFrame({
        "dimension": ["sex", "sex", "ethnic_group", "ethnic_group", "ethnic_group"],
        "group": ["female", "male", "white", "black", "asian"],
        "patients": [20, 30, 30, 12, 8],
        "restricted": [10, 3, 6, 5, 2],
    })
    table = mr.disproportionality(raw, "mhsds", "collaborative").set_index(["dimension", "group"])
    # male: 3 restricted < 5 -> suppressed; female alone would give it away (total - female): suppressed too
    assert table.loc[("sex", "male"), "suppressed"] and table.loc[("sex", "female"), "suppressed"]
    # asian 2 < 5 suppressed; the next smallest restricted count (black, 5) as well; white shown
    assert table.loc[("ethnic_group", "asian"), "suppressed"] and table.loc[("ethnic_group", "black"), "suppressed"]
    assert not table.loc[("ethnic_group", "white"), "suppressed"]
    hidden = table[table["suppressed"]]
    for column in ("shown_restricted", "shown_patients", "shown_rate", "shown_ratio", "shown_low", "shown_high"):
        assert hidden[column].isna().all(), column
    white = table.loc[("ethnic_group", "white")]
    assert (white["shown_restricted"], white["shown_patients"]) == (5, 30)  # rounded to the nearest 5
    assert white["shown_ratio"] == pytest.approx((6 / 30) / (7 / 20))  # from the unrounded counts


def test_fixture_groups_are_all_suppressed_under_the_mhsds_rule(fixture_engine):
    raw = _read(fixture_engine, dr.people_by_group, "collaborative", "IMPACT", *P1)
    table = mr.disproportionality(raw, "mhsds", "collaborative")
    assert table["suppressed"].all() and table["shown_ratio"].isna().all()


def test_kind_and_place_tables_suppress_small_counts(fixture_engine):
    raw = _read(fixture_engine, dr.by_kind, "collaborative", "NORTH", *P1)
    table = mr.kind_table(raw, "mhsds", "collaborative")
    assert table["suppressed"].all() and table["hours"].isna().all() and table["people"].isna().all()
    places = mr.place_table(_read(fixture_engine, dr.by_place, "collaborative", "NORTH", *P1, "ward"), "mhsds",
                            "collaborative")
    assert places["suppressed"].all() and places["rate"].isna().all()  # under 100 bed days


# --- the page (AppTest) ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("restrictive") / "fixture.duckdb", build_fixture)


def _page(monkeypatch, url, scope, **env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return run_app(monkeypatch, url, "app_pages/quality.py", scope=scope, **{"from": "2024-03-01", "to": "2024-03-10"})


def _frame(at, column: str) -> pd.DataFrame:
    """The first table on the page with `column` (st.dataframe of a Styler or a frame)."""
    frames = [getattr(f.value, "data", f.value) for f in at.dataframe]
    return next(f for f in frames if column in f.columns)


def test_page_shows_the_new_kpis_with_catalogue_labels(monkeypatch, fixture_url):
    at = _page(monkeypatch, fixture_url, "collaborative:IMPACT")
    assert not at.exception and errors(at) == []
    table = quality_summary_table(at).set_index("Measure")
    labels = {
        "seclusion_per_1000_obd": "Seclusion per 1,000 bed days",
        "seclusion_hours_per_1000_obd": "Hours in seclusion per 1,000 bed days",
        "segregation_people": "People in long-term segregation",
        "segregation_median_days": "Median days in long-term segregation",
        "rapid_tranquillisation_per_1000_obd": "Rapid tranquillisation per 1,000 bed days",
        "mechanical_restraint_per_1000_obd": "Mechanical restraint per 1,000 bed days",
        "people_restricted_pct": "Patients subject to restrictive interventions",
        "harm_incidents_per_1000_obd": "Incidents with moderate harm or worse per 1,000 bed days",
        "self_harm_per_1000_obd": "Self-harm per 1,000 bed days",
    }
    assert {k: KPIS[k].label for k in RESTRICTIVE_IDS} == labels
    assert set(labels.values()) <= set(table.index)
    latest = table["Latest"]
    # IMPACT, March 2024 (to 03-10; the local role's rule: none): RI10 ended 03-07; P05, P01 of 6; I2 on W3
    assert latest["People in long-term segregation"] == "0.0"
    assert latest["Median days in long-term segregation"] == "–"
    assert latest["Patients subject to restrictive interventions"] == "33.3"  # 2 / 6
    assert latest["Self-harm per 1,000 bed days"] == "22.2"  # 1000 / 45
    assert latest["Incidents with moderate harm or worse per 1,000 bed days"] == "22.2"
    assert any(s.value == "Restrictive practice" for s in at.subheader)
    assert any(r.key == "restrictive_grain" for r in at.radio)
    assert any("Download restrictive practice as Excel" in b.label for b in at.get("download_button"))
    kinds = _frame(at, "Kind")
    # RI10 (segregation, in the period though started before), RI4 (prone), RI5 (other), in the catalogue's order
    assert kinds["Kind"].tolist() == ["Long-term segregation", "Prone restraint", "Physical restraint (other)"]
    assert kinds["People"].tolist() == [1, 1, 1] and kinds["Episodes started"].tolist() == [0, 1, 1]


def test_page_suppresses_restrictive_figures_for_a_crg_viewer(monkeypatch, fixture_url):
    at = _page(monkeypatch, fixture_url, "collaborative:IMPACT", PCD_LOCAL_ROLE="crg")
    assert not at.exception and errors(at) == []
    assert any(s.value == "Restrictive practice" for s in at.subheader)
    groups = _frame(at, "Rate ratio to the rest")
    assert (groups["Rate ratio to the rest"] == "*").all()  # every group small: suppressed, no ratio
    at.radio(key="restrictive_grain").set_value("Ward").run()
    assert not at.exception and errors(at) == []
    assert "Ward" in _frame(at, "Episodes per 1,000 bed days").columns



def _indexes(engine) -> set[str]:
    sql = ("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()" if engine.dialect.name == "postgresql"
           else "SELECT index_name FROM duckdb_indexes()")
    with engine.connect() as conn:
        return {row[0] for row in conn.execute(sa.text(sql))}


def test_episodes_running_in_a_period_have_an_index_on_postgresql_only(empty_engine):
    """ix_ri_ended (restrictive episodes by end, schema.RI_ENDED) is made by create_all on PostgreSQL, also for a
    database made before it; DuckDB does without."""
    from data_access import schema

    postgres = empty_engine.dialect.name == "postgresql"
    assert ("ix_ri_ended" in _indexes(empty_engine)) == postgres
    if postgres:
        with empty_engine.begin() as conn:
            conn.execute(sa.text("DROP INDEX ix_ri_ended"))
        schema.create_all(empty_engine)
        assert "ix_ri_ended" in _indexes(empty_engine)
