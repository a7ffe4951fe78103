"""Quality page: monthly series and child aggregates in SQL (DuckDB and PostgreSQL), the arithmetic
(KPIs, summary table, funnel limits) and the page (AppTest), against hand-worked answers on the fixture.

Hand working on tests/fixture_db.py (bed days per stay are noted there):

National, 2024-03-01..03-10 (the March point when the period ends on 03-10):
  bed days 107 = 10+10+6+4+5+3+10+3+4+6+9+7+7+10+3+10 (WS01c, WS02, WS03a, WS03b, WS04a, WS04b, WS05,
  WS06, WS07a, WS07b, WS08, WS09, WS10, WS11, WS12, WS13)
  restrictive interventions RI1 RI2 RI3 RI4 RI5 RI8 = 6 (prone: RI1, RI4 = 2) -> 6/107 x 1000 = 56.0748
  incidents I1..I5 = 5: none/low I1 I3 I4 I5 = 4, moderate+ I2 = 1
  clinically ready bed days: S05 from 03-06 on WS05 (03-06..10) 5 + S09 from 03-01 (03-01..07) 7
  + S06 from 02-20 (03-01..03) 3 = 15 -> 15/107 = 14.0187%
  staffing: actual 900+760+480+700+1260+400+380 = 4880 / planned 5200 -> 93.8462%
  readmissions (worked by hand): the cohort is shifted back 365 days (2024 is a leap year), 2023-03-02..03-11:
  S05h (discharged 2023-03-03, readmitted as S05 2023-11-10) and S15h (2023-03-08, never readmitted) -> 1/2 = 50%.
  February 2024's point is the cohort 2023-02-01..2023-03-01: S03h (2023-03-01, readmitted as S03a 2024-02-01,
  within 365 days) -> 1/1 = 100%; January's (2023-01-01..31) has no discharge -> none. The 2024 discharges
  (S04a readmitted 03-08 ...) have not had their year: they are in no cohort.
  median length of stay of S03a 35, S04a 187, S06 94, S07a 19, S09 788, S12 3 -> (35 + 94) / 2 = 64.5
National, February 2024 (29 days): WS01c WS02 WS03a WS04a WS05 WS06 WS09 WS13 29 each = 232, WS07a from
  02-15 = 15, WS11 from 02-20 = 10 -> 257 bed days; RI7 (W4, 02-29 23:00) = 1; I6 (none) = 1;
  S06 ready from 02-20 on WS06: 10 days; staffing W1 500 / 1000 = 50%.
National, January 2024: WS01c WS02 WS04a WS05 WS06 WS09 WS13, 31 days each = 217.
IMPACT, 2024-03-01..03-10: W1 22 (WS03b 4, WS04a 5, WS04b 3, WS05 10), W2 16 (WS01c 10, WS07b 6), W3 7
  (WS06 3, WS07a 4) = 45 bed days; interventions RI4 (W1, prone), RI5 (W2) = 2 -> 2/45 x 1000 = 44.4444;
  children RHA (W1, W2) 38 bed days, 2 interventions -> 52.6316; NQ1 (W3) 7 bed days, 0 -> 0.
"""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from data_access import quality as dq
from data_access.access import AccessDenied, Viewer
from metrics import quality as mq
from metrics.kpis import kpi_table
from metrics.spc import ICON_LABELS
from tests.apptest import errors, quality_summary_table, run_app
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture

D = dt.date
MARCH = (D(2024, 3, 1), D(2024, 3, 10))
CATALOGUE_IDS = ["restrictive_interventions_per_1000_obd", "prone_restraint_per_1000_obd", "incidents_per_1000_obd",
                 "staffing_fill_rate_pct", "delayed_discharge_days_pct", "readmission_12m_pct", "median_los_days"]


SERIES = (D(2024, 1, 1), D(2024, 3, 10))


def monthly(engine, level="national", code=None, start=SERIES[0], end=SERIES[1], viewer=None):
    with engine.connect() as conn:
        return dq.monthly_aggregates(conn, viewer, level, code, start, end)


# --- SQL aggregates: hand-worked --------------------------------------------------------------


def test_monthly_aggregates_hand_worked(fixture_engine):
    raw = monthly(fixture_engine)
    assert list(raw.index) == list(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]))
    assert raw["obd"].tolist() == [217, 257, 107]
    march, february = raw.loc["2024-03-01"], raw.loc["2024-02-01"]
    assert (march["interventions"], march["prone"]) == (6, 2)
    assert (march["incidents"], march["incidents_low"], march["incidents_moderate"]) == (5, 4, 1)
    assert march["delayed_days"] == 15
    assert (march["actual_hours"], march["planned_hours"]) == (4880, 5200)
    assert (march["readmission_denominator"], march["readmitted"]) == (2, 1)
    assert (february["readmission_denominator"], february["readmitted"]) == (1, 1)
    assert (march["discharges"], march["median_los_days"]) == (6, 64.5)
    assert (february["interventions"], february["incidents"], february["incidents_low"]) == (1, 1, 1)
    assert february["delayed_days"] == 10
    assert (february["actual_hours"], february["planned_hours"]) == (500, 1000)
    assert pd.isna(raw.loc["2024-01-01", "interventions"])  # no events: filled as 0 by the arithmetic


def test_monthly_kpis_hand_worked(fixture_engine):
    values = mq.kpi_values(monthly(fixture_engine).loc["2024-03-01"])
    assert values["restrictive_interventions_per_1000_obd"][0] == pytest.approx(6 / 107 * 1000)  # 56.0748
    assert values["prone_restraint_per_1000_obd"][0] == pytest.approx(2 / 107 * 1000)
    assert values["incidents_low_harm_per_1000_obd"] == (pytest.approx(4 / 107 * 1000), 4, 107)
    assert values["incidents_moderate_harm_per_1000_obd"] == (pytest.approx(1 / 107 * 1000), 1, 107)
    assert values["delayed_discharge_days_pct"][0] == pytest.approx(1500 / 107)  # 14.0187
    assert values["staffing_fill_rate_pct"][0] == pytest.approx(4880 / 52)  # 93.8462
    assert values["readmission_12m_pct"] == (50.0, 1, 2)
    assert values["median_los_days"] == (64.5, None, 6)
    january = mq.kpi_values(monthly(fixture_engine).loc["2024-01-01"])
    assert january["restrictive_interventions_per_1000_obd"] == (0.0, 0, 217)
    assert january["staffing_fill_rate_pct"][0] is None  # no staffing rows: none, never 0
    assert january["readmission_12m_pct"][0] is None


@pytest.mark.parametrize("level,code", [("national", None), ("region", "Y60"), ("collaborative", "IMPACT"),
                                        ("provider", "NQ1"), ("unit", "U3"), ("ward", "W5")])
def test_each_month_equals_kpi_table_over_that_months_dates(fixture_engine, level, code):
    # The series starts mid-January and ends on 03-10: each month is clipped to the period.
    start, end = D(2024, 1, 15), D(2024, 3, 10)
    raw = monthly(fixture_engine, level, code, start, end)
    bounds = [(D(2024, 1, 15), D(2024, 1, 31)), (D(2024, 2, 1), D(2024, 2, 29)), (D(2024, 3, 1), D(2024, 3, 10))]
    for (lo, hi), (_, agg) in zip(bounds, raw.iterrows()):
        expected = kpi_table(fixture_engine, level, code, lo, hi).set_index("kpi_id")
        values = mq.kpi_values(agg)
        assert int(agg["obd"] or 0) == expected.loc["occupied_bed_days", "value"], (lo, "obd")
        for kpi_id in CATALOGUE_IDS:
            want = expected.loc[kpi_id, "value"]
            got = values[kpi_id][0]
            if want is None or pd.isna(want):
                assert got is None, (lo, kpi_id, got)
            else:
                assert got == pytest.approx(float(want)), (lo, kpi_id)


@pytest.mark.parametrize("level,code", [("national", None), ("collaborative", "IMPACT"), ("provider", "NQ1"),
                                        ("ward", "W1")])
def test_each_builders_month_rows_equal_its_node_rows_over_each_months_dates(fixture_engine, level, code):
    """The kpi_queries builders the Quality page runs by month (dq.PARTS after the bed days; restrictive practice:
    test_restrictive) give each month exactly their NODE row over that month's dates, the first month clipped to the
    period."""
    from data_access.grain import MONTH, NODE

    start, end = D(2024, 1, 15), D(2024, 3, 10)
    bounds = [(D(2024, 1, 15), D(2024, 1, 31)), (D(2024, 2, 1), D(2024, 2, 29)), (D(2024, 3, 1), D(2024, 3, 10))]
    with fixture_engine.connect() as conn:
        for names, read in dq.PARTS[1:]:
            months = read(conn, level, code, start, end, MONTH)
            months.index = pd.to_datetime(months.index)
            for lo, hi in bounds:
                want = read(conn, level, code, lo, hi, NODE).iloc[0]
                month = pd.Timestamp(lo.replace(day=1))
                got = months.loc[month] if month in months.index else None
                for column in names:
                    found = None if got is None else got[column]
                    missing = [v is None or pd.isna(v) for v in (found, want[column])]
                    if any(missing):  # a month without a row: nothing counted (0 or None)
                        assert all(missing) or all(v in (0, None) or pd.isna(v) for v in (found, want[column]))
                    else:
                        assert float(found) == pytest.approx(float(want[column])), (names, lo, column)


def test_children_hand_worked_and_add_up(fixture_engine):
    with fixture_engine.connect() as conn:
        total, kids = dq.period_aggregates(conn, None, "collaborative", "IMPACT", *MARCH)
    assert (total["obd"], total["interventions"], total["prone"]) == (45, 2, 1)
    kids = kids.set_index("code")
    assert list(kids.index) == ["RHA", "NQ1"]  # by name: Nottinghamshire..., St Andrew's...
    assert kids.loc["RHA", "obd"] == 38 and kids.loc["NQ1", "obd"] == 7
    assert kids.loc["RHA", "interventions"] == 2 and kids["interventions"].fillna(0)["NQ1"] == 0  # none on its wards
    for column in ("obd", "delayed_days", "incidents", "actual_hours", "planned_hours"):
        assert kids[column].fillna(0).sum() == pytest.approx(total[column]), column


def test_children_of_national_equal_kpi_table_of_each_region(fixture_engine):
    with fixture_engine.connect() as conn:
        _, kids = dq.period_aggregates(conn, None, "national", None, *MARCH)
    for _, kid in kids.iterrows():
        expected = kpi_table(fixture_engine, "region", kid["code"], *MARCH).set_index("kpi_id")["value"]
        values = mq.kpi_values(kid)
        for kpi_id in CATALOGUE_IDS:
            want, got = expected[kpi_id], values[kpi_id][0]
            assert (got is None) if want is None or pd.isna(want) else got == pytest.approx(want), (kid["code"], kpi_id)


def test_access_is_checked(fixture_engine):
    crg = Viewer("u", "crg", ("collaborative:IMPACT",))
    assert monthly(fixture_engine, "collaborative", "IMPACT", viewer=crg)["obd"].iloc[-1] == 45
    with pytest.raises(AccessDenied):
        monthly(fixture_engine, "collaborative", "NORTH", viewer=crg)
    with fixture_engine.connect() as conn, pytest.raises(AccessDenied):
        dq.period_aggregates(conn, crg, "national", None, *MARCH)


# --- arithmetic ---------------------------------------------------------------------------------


def test_series_start():
    assert mq.series_start(D(2024, 3, 1), D(2024, 3, 10)) == D(2022, 4, 1)  # 24 months: Apr 2022..Mar 2024
    assert mq.series_start(D(2021, 1, 5), D(2024, 3, 10)) == D(2021, 1, 5)  # a longer period wins
    assert mq.series_start(D(2024, 12, 1), D(2024, 12, 31), months=12) == D(2024, 1, 1)


def test_funnel_limits_hand_worked():
    # Rate: centre 10 per 1,000 bed days, 1,000 bed days: p = 0.01, sqrt(p / n) = sqrt(1e-5) = 0.00316228;
    # 95%: 1.959964 x 0.00316228 = 0.00619795 -> 1000 x (0.01 -/+ 0.00619795) = 3.80205, 16.19795;
    # 99.8%: 3.090232 x 0.00316228 = 0.00977217 -> 0.22783, 19.77217.
    assert mq.funnel_limits("rate", 10, 1000, mq.Z95) == pytest.approx((3.80205, 16.19795), abs=1e-5)
    assert mq.funnel_limits("rate", 10, 1000, mq.Z998) == pytest.approx((0.22783, 19.77217), abs=1e-5)
    # Percentage: centre 20%, n = 100: sqrt(0.2 x 0.8 / 100) = 0.04; 95% half-width 0.0783986 ->
    # 12.16014, 27.83986; 99.8% half-width 0.1236093 -> 7.63907, 32.36093.
    assert mq.funnel_limits("pct", 20, 100, mq.Z95) == pytest.approx((12.16014, 27.83986), abs=1e-5)
    assert mq.funnel_limits("pct", 20, 100, mq.Z998) == pytest.approx((7.63907, 32.36093), abs=1e-5)
    # Kept within 0..100: 2%, n = 10: sqrt(0.02 x 0.98 / 10) = 0.0442719, x 1.959964 = 0.0867713 ->
    # -6.677 -> 0, and 10.67713.
    assert mq.funnel_limits("pct", 2, 10, mq.Z95) == pytest.approx((0.0, 10.67713), abs=1e-5)
    assert mq.funnel_limits("pct", 99, 10, mq.Z998)[1] == 100.0
    assert mq.funnel_limits("rate", 10, 0, mq.Z95) == (None, None)
    with pytest.raises(ValueError):
        mq.funnel_limits("days", 10, 100, mq.Z95)


def test_compare_table_on_the_fixture(fixture_engine):
    with fixture_engine.connect() as conn:
        total, kids = dq.period_aggregates(conn, None, "collaborative", "IMPACT", *MARCH)
    centre, table = mq.compare_table(total, kids, "restrictive_interventions_per_1000_obd", "none", "collaborative",
                                     "provider")
    assert centre["shown"] == pytest.approx(2000 / 45)  # 44.4444
    # Lower is better: NQ1 (0) ranks before RHA (52.63).
    assert table["code"].tolist() == ["NQ1", "RHA"]
    rha = table.set_index("code").loc["RHA"]
    assert rha["shown"] == pytest.approx(2000 / 38)
    # p = 2/45 = 0.0444444, n = 38: sqrt(p/n) = 0.0341993; 95% half 0.0670296 -> lower 0 (negative), upper
    # 1000 x 0.1114740 = 111.474; 99.8% half 0.1056838 -> upper 150.128.
    assert (rha["lower95"], rha["upper95"]) == pytest.approx((0.0, 111.474), abs=1e-3)
    assert rha["upper998"] == pytest.approx(150.128, abs=1e-3)
    assert rha["position"] == "Within limits" and rha["verdict"] == "common_cause"
    # Under the MHSDS rule every figure here is a rate over fewer than 100 bed days: all suppressed.
    centre, table = mq.compare_table(total, kids, "restrictive_interventions_per_1000_obd", "mhsds",
                                     "collaborative", "provider")
    assert centre["suppressed"] and table["suppressed"].all() and table["shown"].isna().all()
    assert table["lower95"].isna().all()


def test_compare_positions_and_no_funnel_measures():
    total = pd.Series({"obd": 10000, "interventions": 100})  # 10 per 1,000 bed days
    kids = pd.DataFrame({"code": ["A", "B", "C"], "name": ["A", "B", "C"], "obd": [1000, 1000, 1000],
                         "interventions": [30, 17, 10]})
    # Limits for 1,000 bed days as hand-worked above: 95% up to 16.198, 99.8% up to 19.772.
    _, table = mq.compare_table(total, kids, "restrictive_interventions_per_1000_obd", "none", "national", "region")
    assert table.set_index("code")["position"].to_dict() == {
        "A": "Above 99.8% limit", "B": "Above 95% limit", "C": "Within limits"}
    assert table.set_index("code").loc["A", "verdict"] == "concern"
    staff = pd.DataFrame({"code": ["A"], "name": ["A"], "actual_hours": [90.0], "planned_hours": [100.0]})
    _, table = mq.compare_table(pd.Series({"actual_hours": 90.0, "planned_hours": 100.0}), staff,
                                "staffing_fill_rate_pct", "none", "national", "region")
    assert table["lower95"].isna().all() and table["position"].tolist() == ["No limits"]


def _long(values, kpi_id="median_los_days", suppressed=None, counts=None):
    """A disclosed monthly series of one KPI (the others empty); `counts`: (numerator, denominator) per month."""
    months = pd.date_range("2023-01-01", periods=len(values), freq="MS")
    counts = counts or [(None, None)] * len(values)
    rows = []
    for i, (month, value, (num, den)) in enumerate(zip(months, values, counts)):
        hidden = bool(suppressed and i in suppressed)
        for k in mq.QUALITY_IDS:
            shown = value if k == kpi_id and not hidden else None
            rows.append({"month": month, "kpi_id": k, "label": mq.quality_kpi(k).label, "value": value,
                         "numerator": num if k == kpi_id else None, "denominator": den if k == kpi_id else None,
                         "shown": shown, "suppressed": hidden and k == kpi_id})
    return pd.DataFrame(rows)


def test_summary_table_row_hand_worked():
    # Median length of stay (days: an XmR chart). 12 months alternating 10, 12 then 17: mean 11, mean moving
    # range 2, limits 5.68..16.32; 17 is above the upper limit; lower is better -> concern (high). Target 5
    # (green band) lies below the lower limit 5.68, so for a lower-is-better measure the process will
    # consistently fail it.
    long = _long([10, 12] * 6 + [17])
    table = mq.summary_table(long, {"median_los_days": (5.0, 10.0)}).set_index("kpi_id")
    assert list(table.index) == mq.QUALITY_IDS
    row = table.loc["median_los_days"]
    assert (row["latest"], row["mean"], row["target"], row["points"]) == (17, 11, 5.0, 13)
    assert (row["lower"], row["upper"]) == pytest.approx((5.68, 16.32))
    assert (row["variation"], row["assurance"]) == ("concern_high", "fail")
    empty = table.loc["staffing_fill_rate_pct"]
    assert empty[["variation", "assurance", "latest"]].isna().all()


def test_suppressed_months_are_missing_points_and_rebase_starts_new_limits():
    long = _long([10, 12] * 6 + [17], suppressed={12})
    table = mq.summary_table(long, {}).set_index("kpi_id")
    row = table.loc["median_los_days"]
    assert pd.isna(row["latest"]) and row["latest_suppressed"] and row["missing"] == 1
    assert row["variation"] == "common_cause"  # latest shown point (12) is common cause
    frame = mq.spc_frame(_long([10, 12] * 6 + [20, 22, 20, 22]), "median_los_days", {},
                         rebase=[D(2024, 1, 1)])
    assert frame["segment"].tolist() == [0] * 12 + [1] * 4
    assert frame["mean"].iloc[-1] == 21 and frame["trial"].iloc[-1]


def test_icons_are_inline_svg_data_uris():
    import base64

    uri = mq.icon_uri("concern_high")
    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).decode().startswith("<svg")
    assert mq.icon_uri(None) is None and mq.icon_uri(np.nan) is None
    assert "not applicable" in mq.icon_label(None).lower()


def test_monthly_long_discloses_rates_under_100_bed_days(fixture_engine):
    long = mq.monthly_long(monthly(fixture_engine, "collaborative", "IMPACT"), "mhsds", "collaborative")
    march = long[(long["month"] == "2024-03-01")].set_index("kpi_id")
    assert march.loc["restrictive_interventions_per_1000_obd", "suppressed"]  # 45 bed days < 100
    assert pd.isna(march.loc["restrictive_interventions_per_1000_obd", "shown"])
    assert march.loc["restrictive_interventions_per_1000_obd", "value"] == pytest.approx(2000 / 45)  # raw kept apart


# --- the page (AppTest) -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("quality") / "fixture.duckdb", build_fixture)


def _page(monkeypatch, url, scope, **env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    period = {"from": "2024-03-01", "to": "2024-03-10"}
    return run_app(monkeypatch, url, "app_pages/quality.py", scope=scope, **period)


def test_page_summary_table_has_one_row_per_kpi_with_known_values(monkeypatch, fixture_url):
    at = _page(monkeypatch, fixture_url, "collaborative:IMPACT")
    assert not at.exception and errors(at) == []
    table = quality_summary_table(at)
    assert table["Measure"].tolist() == [mq.quality_kpi(k).label for k in mq.QUALITY_IDS]
    latest = table.set_index("Measure")["Latest"]
    assert latest["Restrictive interventions per 1,000 bed days"] == "44.4"  # 2000 / 45
    assert latest["Prone restraint per 1,000 bed days"] == "22.2"  # RI4 only: 1000 / 45
    assert table.set_index("Measure").loc["Prone restraint per 1,000 bed days", "Target"] == "5.0"
    # Every icon is an image whose alt text is its meaning (issue 16).
    for cell in table["Variation"]:
        alt_text = cell.removeprefix("![").split("](data:image/svg+xml;base64,")[0]
        assert alt_text in ICON_LABELS.values(), cell[:80]
    assert any("Download the summary as Excel" in b.label for b in at.get("download_button"))


def test_page_suppresses_rates_for_a_crg_viewer(monkeypatch, fixture_url):
    at = _page(monkeypatch, fixture_url, "collaborative:IMPACT", PCD_LOCAL_ROLE="crg")
    assert not at.exception and errors(at) == []
    table = quality_summary_table(at).set_index("Measure")
    assert table.loc["Restrictive interventions per 1,000 bed days", "Latest"] == "*"
    assert "latest suppressed" in table.loc["Restrictive interventions per 1,000 bed days", "Note"]
    assert any("Suppressed under the disclosure rule" in c.value for c in at.caption)


def test_page_never_shows_a_scope_outside_the_viewers_home(monkeypatch, fixture_url):
    # A CRG member of IMPACT asking for NORTH: no NORTH figures, no traceback (the shell keeps the viewer
    # within their home; data_access.quality refuses outright, see test_access_is_checked).
    at = _page(monkeypatch, fixture_url, "collaborative:NORTH", PCD_LOCAL_ROLE="crg")
    assert not at.exception
    assert "North East" not in at.title[0].value


def test_page_rebase_date_is_kept_in_session_state(monkeypatch, fixture_url):
    at = _page(monkeypatch, fixture_url, "collaborative:IMPACT")
    at.date_input(key="rebase_date_restrictive_interventions_per_1000_obd").set_value(D(2024, 2, 1)).run()
    at.button(key="rebase_add_restrictive_interventions_per_1000_obd").click().run()
    assert not at.exception
    assert at.session_state["quality_rebase"] == {"restrictive_interventions_per_1000_obd": (D(2024, 2, 1),)}
    assert any("Limits recalculated from: Feb 2024" in c.value for c in at.caption)


def test_chart_type_by_kind_of_measure():
    assert mq.chart_type("prone_restraint_per_1000_obd") == "u"  # a rate per 1,000 bed days
    assert mq.chart_type("readmission_12m_pct") == "p"  # a proportion of discharges
    assert mq.chart_type("delayed_discharge_days_pct") == "xmr"  # bed days of the same patients: not binomial
    assert mq.chart_type("bed_occupancy_pct") == "xmr"  # can exceed 100%
    assert mq.chart_type("staffing_fill_rate_pct") == "xmr"  # hours over 100% are possible: not a proportion
    assert mq.chart_type("median_los_days") == "xmr"
    assert mq.chart_type("seclusion_hours_per_1000_obd") == "xmr"  # hours, not a count of events
    assert mq.chart_type("people_restricted_pct") == "p"  # people subject of the people in a bed


def test_u_chart_limits_hand_worked_never_below_zero():
    # Prone restraint: 12 months of 1,000 bed days with 2, 4, 2, 4 ... events (2, 4 per 1,000), then a month of
    # 500 bed days with 6 events (12 per 1,000). u-bar = 36 / 12,000 = 0.003 = 3 per 1,000.
    # n = 1,000: 3 ± 3 x sqrt(0.003 / 1000) x 1000 = 3 ± 5.196 -> lower 0 (clipped; XmR would give 3 - 2.66 x 2 =
    # -2.32), upper 8.196. n = 500: 3 ± 3 x sqrt(0.003 / 500) x 1000 = 3 ± 7.348 -> upper 10.348; 12 is above it.
    counts = [(2, 1000), (4, 1000)] * 6 + [(6, 500)]
    long = _long([n / d * 1000 for n, d in counts], "prone_restraint_per_1000_obd", counts=counts)
    frame = mq.spc_frame(long, "prone_restraint_per_1000_obd", {})
    assert frame.attrs["chart"] == "u"
    assert frame["mean"].iloc[0] == pytest.approx(3.0)
    assert frame["lower"].tolist() == [0.0] * 13
    assert frame["upper"].iloc[0] == pytest.approx(3 + 3 * math.sqrt(0.003 / 1000) * 1000)  # 8.196
    assert frame["upper"].iloc[-1] == pytest.approx(3 + 3 * math.sqrt(0.003 / 500) * 1000)  # 10.348
    assert frame["rule"].iloc[-1] == "outside_limits" and frame["variation"].iloc[-1] == "concern"
    assert frame["rule"].iloc[:12].isna().all()


def test_p_chart_limits_hand_worked_within_0_and_100():
    # Readmissions: 12 months of 50 discharges with 5 readmitted (10%), then 20 of 40 (50%).
    # p-bar = 60 / 600 = 0.1; n = 50: 10 ± 3 x sqrt(0.1 x 0.9 / 50) x 100 = 10 ± 12.728 -> 0 (clipped) .. 22.728;
    # n = 40: 10 ± 3 x sqrt(0.09 / 40) x 100 = 10 ± 14.230 -> 0 .. 24.230; 50% is above: concern (lower is better).
    counts = [(5, 50)] * 12 + [(20, 40)]
    long = _long([n / d * 100 for n, d in counts], "readmission_12m_pct", counts=counts)
    frame = mq.spc_frame(long, "readmission_12m_pct", {})
    assert frame.attrs["chart"] == "p" and frame["mean"].iloc[0] == pytest.approx(10.0)
    assert (frame["lower"] == 0).all()
    assert frame["upper"].iloc[0] == pytest.approx(10 + 300 * math.sqrt(0.09 / 50))
    assert frame["upper"].iloc[-1] == pytest.approx(10 + 300 * math.sqrt(0.09 / 40))
    assert frame["variation"].iloc[-1] == "concern"
    # A suppressed month is a missing point: no value, no limits, no part in the centre line.
    hidden = mq.spc_frame(_long([n / d * 100 for n, d in counts], "readmission_12m_pct", suppressed={0},
                                counts=counts), "readmission_12m_pct", {})
    assert pd.isna(hidden["value"].iloc[0]) and pd.isna(hidden["upper"].iloc[0])
    assert hidden["mean"].iloc[1] == pytest.approx((55 + 20) / (550 + 40) * 100)  # baseline: next 12 shown months


def test_funnel_overdispersion_hand_worked():
    # Ten units of 100 discharges around p = 20% (s = sqrt(0.2 x 0.8 / 100) = 0.04), readmitted
    # 8, 12, 16, 16, 20, 20, 24, 24, 28, 32 (z = -3, -2, -1, -1, 0, 0, 1, 1, 2, 3; total 200 / 1,000 = 20%).
    # Winsorised at 10% (linear quantiles of the 10 sorted z: 10th at -3 + 0.9 x 1 = -2.1, 90th at 2 + 0.1 = 2.1):
    # -2.1, -2, -1, -1, 0, 0, 1, 1, 2, 2.1 -> phi = (4.41 + 4 + 1 + 1 + 1 + 1 + 4 + 4.41) / 10 = 2.082;
    # I phi = 20.82 > I - 1 = 9: over-dispersed. w = 1 / 0.0016 = 625 each: sum w = 6,250, sum w^2 / sum w = 625,
    # tau^2 = (20.82 - 9) / (6,250 - 625) = 11.82 / 5,625 = 0.0021013.
    # 95% limits: 20 ± 100 x 1.959964 x sqrt(0.0037013) = 20 ± 100 x 1.959964 x 0.0608386 = 20 ± 11.9241
    # -> 8.0759 .. 31.9241
    # (unadjusted 20 ± 7.8399 -> 12.16 .. 27.84 would put 8, 12, 28 and 32 outside: four of ten).
    readmitted = [8, 12, 16, 16, 20, 20, 24, 24, 28, 32]
    kids = pd.DataFrame({"code": list("ABCDEFGHIJ"), "name": list("ABCDEFGHIJ"),
                         "readmitted": readmitted, "readmission_denominator": [100] * 10})
    total = pd.Series({"readmitted": 200, "readmission_denominator": 1000})
    centre, table = mq.compare_table(total, kids, "readmission_12m_pct", "none", "national", "region")
    info = centre["funnel"]
    assert info["estimated"] and info["units"] == 10
    assert info["phi"] == pytest.approx(2.082)
    assert info["tau2"] == pytest.approx(11.82 / 5625)
    row = table.set_index("code").loc["A"]
    assert (row["lower95"], row["upper95"]) == pytest.approx((8.0759, 31.9241), abs=1e-4)
    positions = table.set_index("code")["position"]
    assert positions[positions != "Within limits"].to_dict() == {"J": "Above 95% limit", "A": "Below 95% limit"}
    assert "Spiegelhalter" in mq.funnel_method(info) and "τ²" in mq.funnel_method(info)


def test_funnel_not_adjusted_when_spread_is_chance_or_units_are_few():
    # Five units all exactly on 20%: z all 0, phi = 0 <= (I - 1) / I: tau^2 = 0.
    kids = pd.DataFrame({"code": list("ABCDE"), "name": list("ABCDE"), "readmitted": [20] * 5,
                         "readmission_denominator": [100] * 5})
    total = pd.Series({"readmitted": 100, "readmission_denominator": 500})
    centre, _ = mq.compare_table(total, kids, "readmission_12m_pct", "none", "national", "region")
    assert centre["funnel"]["estimated"] and centre["funnel"]["tau2"] == 0.0
    few = mq.overdispersion("pct", 20.0, [(10.0, 100), (30.0, 100)])
    assert not few["estimated"] and few["tau2"] == 0.0
    assert "not adjusted" in mq.funnel_method(few)


@pytest.mark.parametrize("level,code", [("national", None), ("collaborative", "IMPACT"), ("provider", "NQ1")])
def test_a_measure_compared_reads_only_its_aggregates_and_gets_the_same_figures(fixture_engine, level, code):
    """The comparison of the children reads only the aggregates its measure needs (mq.NEEDS): the node's and each
    child's figure for that measure are those of the full rows, and the columns it does not need are left empty."""
    start, end = D(2024, 1, 1), D(2024, 3, 31)
    with fixture_engine.connect() as conn:
        total, kids = dq.period_aggregates(conn, None, level, code, start, end)
        for kpi_id in mq.QUALITY_IDS:
            needs = mq.NEEDS[kpi_id]
            node = dq.node_aggregates(conn, None, level, code, start, end, needs)
            children = dq.children_aggregates(conn, None, level, code, start, end, needs)
            assert mq.kpi_values(node)[kpi_id] == mq.kpi_values(total)[kpi_id], kpi_id
            assert [mq.kpi_values(k)[kpi_id] for _, k in children.iterrows()] == [
                mq.kpi_values(k)[kpi_id] for _, k in kids.iterrows()], kpi_id
            assert list(children["code"]) == list(kids["code"]) and len(kids) > 0
            read = {c for names, _ in dq.PARTS + dq.SLOW_PARTS if set(needs) & set(names) for c in names}
            unread = [c for c in dq.COLUMNS if c not in read]
            assert node[unread].isna().all(), (kpi_id, node[unread])
    assert set(mq.NEEDS) >= set(mq.QUALITY_IDS) and all(set(n) <= set(dq.COLUMNS) for n in mq.NEEDS.values())
