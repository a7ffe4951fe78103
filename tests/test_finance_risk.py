"""Financial risk for the lead provider director (issue 19), hand-worked on the fixture (tests/fixture_db.py:
FINANCE, FORECAST_HISTORY, RISKS, RESERVES, RISK_SHARE_TIERS), on DuckDB and PostgreSQL.

Working for the KPIs is in tests/expected_fixture.py (the second-round money block); here: the KPIs once more
for IMPACT, their hiding, the tier arithmetic of the risk share (over- and underspend, below and above the
cap), the forecast range, the forecast history after two imports, the risk register's form (validated,
audited) and the one RAG rule shared with the Overview.
"""

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import finance as dfin
from data_access import finance_risk as fr
from data_access import schema
from data_access.access import AccessDenied, Viewer
from data_access.finance_import import load_finance_return
from metrics import finance as fm
from metrics.kpis import MONEY_RISK_IDS, kpi_table
from tests.fixture_db import build_fixture
from tests.test_finance_import import COLUMNS, SHEET, snapshot

END = dt.date(2024, 3, 10)
FY = ("2023/24", dt.date(2023, 4, 1), dt.date(2024, 3, 31))
IMPACT_LEAD = Viewer("lead", "lead_provider", ("collaborative:IMPACT",), "none")
SHARES = [("RHA", "Nottinghamshire Healthcare", 60.0), ("NQ1", "St Andrew's Healthcare", 40.0)]
IMPACT_TIERS = [
    {"direction": "overspend", "tier": 1, "up_to_gbp": None, "up_to_pct": 1.0, "carried_by": "lead"},
    {"direction": "overspend", "tier": 2, "up_to_gbp": 10000.0, "up_to_pct": None, "carried_by": "partners"},
    {"direction": "underspend", "tier": 1, "up_to_gbp": None, "up_to_pct": None, "carried_by": "reinvestment"},
]


def values(engine, level, code, viewer=None) -> dict:
    table = kpi_table(engine, level, code, dt.date(2024, 3, 1), END, kpi_ids=MONEY_RISK_IDS, viewer=viewer)
    return dict(zip(table["kpi_id"], table["value"]))


# --------------------------------------------------------------------------- the KPIs

def test_impact_money_kpis_hand_worked(fixture_engine):
    got = values(fixture_engine, "collaborative", "IMPACT")
    assert got["budget_to_date_gbp"] == pytest.approx(95000 + 92000)  # Jan + Feb budgets
    assert got["variance_to_date_gbp"] == pytest.approx(193500 - 187000)
    assert got["run_rate_outturn_gbp"] == pytest.approx(193500 + (99000 + 94500) / 2 * 1)  # one open month
    assert got["forecast_movement_gbp"] == pytest.approx(289500 - 281000)  # Feb return - Jan return
    assert got["risk_adjusted_outturn_gbp"] == pytest.approx(289500 + 20000 * 0.5 + 10000 * 0.25 - 4000)
    assert got["reserves_gbp"] == pytest.approx(15000 - 6000)
    assert got["independent_sector_spend_pct"] == pytest.approx(57000 / 187000 * 100)


def test_money_kpis_hidden_without_finance(fixture_engine):
    crg = Viewer("c", "crg", ("collaborative:IMPACT",))
    assert all(v is None or pd.isna(v) for v in values(fixture_engine, "collaborative", "IMPACT", crg).values())


def test_run_rate_and_movement_arithmetic():
    from metrics.kpis import forecast_movement, to_date

    months = [(dt.date(2024, m, 1), 100.0, a, n) for m, a, n in
              [(1, 90.0, 2), (2, 120.0, 2), (3, 60.0, 1), (4, 30.0, 3), (5, None, 0), (6, None, 0)]]
    d = to_date(months)
    # last three closed: 120, 60, 30 -> mean 70; two open months
    assert (d["budget_to_date"], d["spend_to_date"], d["run_rate"]) == (400.0, 300.0, 300.0 + 70.0 * 2)
    assert to_date([(dt.date(2024, 1, 1), 10.0, None, 0)])["run_rate"] is None
    returns = [("A", dt.date(2024, 1, 1), 10.0), ("A", dt.date(2024, 3, 1), 16.0), ("A", dt.date(2024, 2, 1), 12.0),
               ("B", dt.date(2024, 3, 1), 99.0)]
    assert forecast_movement(returns) == 4.0  # A: March 16 - February 12; B has one return
    assert forecast_movement(returns[-1:]) is None


# --------------------------------------------------------------------------- the risk share's tiers

def by_party(rows) -> dict:
    out: dict = {}
    for r in rows:
        key = (r["provider_code"] or r["bearer"], r["bearer"])
        out[key] = out.get(key, 0.0) + r["amount"]
    return out


@pytest.mark.parametrize(("variance", "expected"), [
    # within the lead provider's band (1% of 279,000 = 2,790)
    (2000, {("RHA", "lead"): 2000, ("RHA", "partners"): 0, ("NQ1", "partners"): 0}),
    # overspend below the cap: 2,790 lead, 6,000 - 2,790 = 3,210 partners 60/40
    (6000, {("RHA", "lead"): 2790, ("RHA", "partners"): 1926, ("NQ1", "partners"): 1284}),
    # overspend above the cap (10,000): 7,210 partners, 500 to the commissioner
    (10500, {("RHA", "lead"): 2790, ("RHA", "partners"): 4326, ("NQ1", "partners"): 2884,
             ("commissioner", "commissioner"): 500}),
    # underspend: all to the reinvestment pot, never a negative partner share
    (-5000, {("reinvestment", "reinvestment"): -5000}),
])
def test_tier_arithmetic_impact_agreement(variance, expected):
    rows = fm.exposure(variance, 279000, IMPACT_TIERS, SHARES, "RHA")
    assert by_party(rows) == pytest.approx(expected)
    assert sum(r["amount"] for r in rows) == pytest.approx(variance)


def test_underspend_shared_only_when_the_agreement_says_so():
    shared = [{"direction": "underspend", "tier": 1, "up_to_gbp": 1000.0, "up_to_pct": None, "carried_by": "partners"},
              {"direction": "underspend", "tier": 2, "up_to_gbp": None, "up_to_pct": None,
               "carried_by": "reinvestment"}]
    # below the cap of the shared band: 80/20
    assert by_party(fm.exposure(-500, 1e5, shared, [("A", "A", 80.0), ("B", "B", 20.0)], "A")) == pytest.approx(
        {("A", "partners"): -400, ("B", "partners"): -100, ("reinvestment", "reinvestment"): 0})
    # above it: the first 1,000 shared, the rest to the pot
    assert by_party(fm.exposure(-2500, 1e5, shared, [("A", "A", 80.0), ("B", "B", 20.0)], "A")) == pytest.approx(
        {("A", "partners"): -800, ("B", "partners"): -200, ("reinvestment", "reinvestment"): -1500})
    # no tiers at all: the dashboard's default (overspend by share, underspend to the pot)
    assert by_party(fm.exposure(-300, 1e5, [], SHARES, "RHA")) == {("reinvestment", "reinvestment"): -300}
    assert by_party(fm.exposure(300, 1e5, [], SHARES, "RHA")) == pytest.approx(
        {("RHA", "partners"): 180, ("NQ1", "partners"): 120})


def test_exposure_under_three_outturns(fixture_engine):
    with fixture_engine.connect() as conn:
        agreements = dfin.agreement(conn, None, "collaborative", "IMPACT", END)
    frame = fm.exposures(agreements)
    got = frame.groupby(["basis", "bearer"])["amount"].sum().to_dict()
    # variance: forecast 289,500 - 279,000 = 10,500; run rate 290,250 - 279,000 = 11,250;
    # risk-adjusted 298,000 - 279,000 = 19,000. Lead 2,790; partners to the 10,000 cap 7,210; the rest beyond.
    assert got == pytest.approx({
        ("Forecast", "lead"): 2790, ("Forecast", "partners"): 7210, ("Forecast", "commissioner"): 500,
        ("Run rate", "lead"): 2790, ("Run rate", "partners"): 7210, ("Run rate", "commissioner"): 1250,
        ("Risk-adjusted", "lead"): 2790, ("Risk-adjusted", "partners"): 7210,
        ("Risk-adjusted", "commissioner"): 9000})
    nq1 = frame[(frame["provider_code"] == "NQ1") & (frame["basis"] == "Forecast")]["amount"].sum()
    assert nq1 == pytest.approx(7210 * 0.4)
    # a provider's users see only their own rows
    assert set(fm.exposures(agreements, ("NQ1",))["provider_code"]) == {"NQ1"}


def test_north_underspend_is_shared_by_its_agreement(fixture_engine):
    with fixture_engine.connect() as conn:
        frame = fm.exposures(dfin.agreement(conn, None, "collaborative", "NORTH", END))
    forecast = frame[frame["basis"] == "Forecast"].set_index("provider_code")["amount"]
    assert forecast.to_dict() == pytest.approx({"RX4": -3500 * 0.8, "NPR": -3500 * 0.2})


def test_england_agreements_are_each_collaboratives_own(fixture_engine):
    """agreement() reads every collaborative in scope with one query per part: at England each collaborative's
    entry is exactly what agreement() gives at that collaborative (IMPACT as hand-worked above)."""
    with fixture_engine.connect() as conn:
        england = dfin.agreement(conn, None, "national", None, END)
        alone = [dfin.agreement(conn, None, "collaborative", a["collaborative_id"], END)[0] for a in england]
    assert len(england) >= 3 and england == alone
    impact = next(a for a in england if a["collaborative_id"] == "IMPACT")
    assert impact["tiers"] == IMPACT_TIERS
    assert [(code, share) for code, _, share in impact["shares"]] == [(code, share) for code, _, share in SHARES]


# --------------------------------------------------------------------------- the forecast range

def north_base(engine) -> dict:
    with engine.connect() as conn:
        data = dfin.ledger(conn, None, "collaborative", "NORTH", FY[1], FY[2])
        obd = dfin.bed_days_by_provider(conn, None, "collaborative", "NORTH", dt.date(2024, 1, 1),
                                        dt.date(2024, 2, 29))
        drivers = dfin.drivers(conn, None, "collaborative", "NORTH", dt.date(2024, 3, 1), END)
    cost, _ = fm.total_cost_per_bed_day(fm.headline(data["category"]), obd)
    return fm.model_base(data["category"], data["month"], drivers, cost)


def test_forecast_range_hand_worked(fixture_engine):
    base = north_base(fixture_engine)
    c = 127000 / 209  # NORTH's cost per occupied bed day (tests/expected_fixture.py)
    assert base["cost_per_obd"] == pytest.approx(c)
    # R12 accepted 9 March, not admitted; 7 clinically-ready bed days in 10 days; March open (31 days);
    # open own-bed forecast 60,000 + 18,000; no open out-of-area forecast
    assert (base["pending_admissions"], base["ready_days"], base["period_days"], base["open_days"]) == (1, 7, 10, 31)
    assert (base["open_inpatient"], base["open_ooa"], base["outturn"]) == (78000, 0, 217000)
    got = fm.forecast_range(base)
    # pending: 1 x admitted % x c x (31 - 30 days); released: 0.7 beds x released % x c x 31
    assert got["Low"] == pytest.approx(217000 - 0.02 * 78000 + 0.5 * c - 0.7 * 0.5 * c * 31)
    assert got["Central"] == pytest.approx(217000 + 0.75 * c - 0.7 * 0.25 * c * 31)
    assert got["High"] == pytest.approx(217000 + 0.02 * 78000 + 1.0 * c)
    assert got["Low"] < got["Central"] < got["High"]


def test_what_if_is_the_same_model(fixture_engine):
    base = north_base(fixture_engine)
    assert fm.model_outturn(base, fm.Drivers()) == 217000
    for drivers in fm.RANGE.values():
        assert fm.model_outturn(base, drivers) == fm.forecast_range(base)[
            next(k for k, v in fm.RANGE.items() if v == drivers)]
    assert fm.what_if_outturn(217000, 78000, 0, 10, 0) == fm.model_outturn(base, fm.Drivers(occupancy_pct=10))


# --------------------------------------------------------------------------- forecast history after two imports

@pytest.fixture
def db(empty_engine):
    build_fixture(empty_engine)
    return empty_engine


def workbook(rows) -> bytes:
    from tests.test_finance_import import workbook as book

    return book(rows, COLUMNS, SHEET)


def history(engine, month) -> dict:
    h = schema.finance_forecast_history
    with engine.connect() as conn:
        rows = conn.execute(sa.select(h.c.category, h.c.provider_code, h.c.forecast_outturn_gbp)
                            .where(h.c.collaborative_id == "IMPACT", h.c.return_month == month)).all()
    return {(c, p): float(v) for c, p, v in rows}


def test_forecast_history_after_two_imports(db):
    april = dt.date(2024, 4, 5)
    first = [["IMPACT", "2024-03-01", "nhs_inpatient", "RHA", 50000, None, 54000],  # still open: a new forecast
             ["IMPACT", "2024-03-01", "independent_inpatient", "NQ1", 30000, None, 31000],
             ["IMPACT", "2024-03-01", "out_of_area", None, 10000, None, 9000],
             ["IMPACT", "2024-03-01", "reinvestment", None, 2000, None, 3000]]
    assert load_finance_return(db, IMPACT_LEAD, workbook(first), "feb.xlsx", FY[0], 10**7, today=april).ok
    # the return's own month is the last closed one (February): its forecast replaces the fixture's
    feb = history(db, dt.date(2024, 2, 1))
    assert sum(feb.values()) == pytest.approx(193500 + 54000 + 31000 + 9000 + 3000)  # 290,500
    assert feb[("nhs_inpatient", "RHA")] == pytest.approx(52000 + 51000 + 54000)
    second = [["IMPACT", "2024-03-01", "nhs_inpatient", "RHA", 50000, 52500, 52500],  # March closed
              ["IMPACT", "2024-03-01", "independent_inpatient", "NQ1", 30000, 30500.25, 30500.25],
              ["IMPACT", "2024-03-01", "out_of_area", None, 10000, 8000, 8000],
              ["IMPACT", "2024-03-01", "reinvestment", None, 2000, 2800, 2800]]
    assert load_finance_return(db, IMPACT_LEAD, workbook(second), "mar.xlsx", FY[0], 10**7, today=april).ok
    mar = history(db, dt.date(2024, 3, 1))
    assert sum(mar.values()) == pytest.approx(193500 + 52500 + 30500.25 + 8000 + 2800)  # 287,300.25
    assert mar[("nhs_inpatient", "RHA")] == pytest.approx(52000 + 51000 + 52500)  # the fixture's 170,000 replaced
    assert sum(history(db, dt.date(2024, 1, 1)).values()) == 281000  # January's kept return is untouched
    as_of = lambda end: values_at(db, end)["forecast_movement_gbp"]  # noqa: E731
    assert as_of(dt.date(2024, 3, 31)) == pytest.approx(287300.25 - 290500)  # March return - February's
    assert as_of(END) == pytest.approx(290500 - 281000)  # on 10 March: February's - January's
    with db.connect() as conn:
        series = fm.history_series(dfin.forecast_history(conn, None, "collaborative", "IMPACT", FY[0],
                                                         dt.date(2024, 3, 31)))
    assert list(series["outturn"]) == pytest.approx([281000, 290500, 287300.25])
    assert series["movement"].iloc[0] is None or pd.isna(series["movement"].iloc[0])
    assert list(series["movement"].iloc[1:]) == pytest.approx([9500, -3199.75])
    # loading the same return again keeps the same history (the month's rows are replaced, not added)
    assert load_finance_return(db, IMPACT_LEAD, workbook(second), "mar.xlsx", FY[0], 10**7, today=april).ok
    assert history(db, dt.date(2024, 3, 1)) == mar


def values_at(engine, end) -> dict:
    table = kpi_table(engine, "collaborative", "IMPACT", dt.date(2024, 3, 1), end, kpi_ids=MONEY_RISK_IDS)
    return dict(zip(table["kpi_id"], table["value"]))


# --------------------------------------------------------------------------- the risk register's form

RISK = {"risk_id": "FR9", "collaborative_id": "IMPACT", "description": "Pending admissions above plan",
        "value_gbp": 30000, "likelihood_pct": 40, "mitigation_gbp": 2000, "owner": "Head of finance",
        "status": "open", "raised_date": dt.date(2024, 3, 1), "review_date": dt.date(2024, 4, 30)}


def audit_rows(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(sa.select(schema.audit_log.c.action, schema.audit_log.c.target,
                                      schema.audit_log.c.detail)).all()


def test_lead_provider_records_a_risk_and_the_reserve(db):
    assert fr.save_risk(db, IMPACT_LEAD, RISK, FY[0], today=END) == []
    assert fr.save_reserve(db, IMPACT_LEAD, {"collaborative_id": "IMPACT", "held_gbp": 20000,
                                             "committed_gbp": 2500}, FY[0]) == []
    got = values(db, "collaborative", "IMPACT")
    # + 30,000 x 40% - 2,000 on top of the fixture's 298,000; reserve replaced: 20,000 - 2,500
    assert got["risk_adjusted_outturn_gbp"] == pytest.approx(298000 + 12000 - 2000)
    assert got["reserves_gbp"] == pytest.approx(17500)
    rows = audit_rows(db)
    assert [r.target for r in rows] == ["Financial risk @ collaborative:IMPACT",
                                        "Financial reserve @ collaborative:IMPACT"]
    assert all(r.action == "edit" for r in rows) and '"saved"' in rows[0].detail


@pytest.mark.parametrize(("change", "column"), [
    ({"collaborative_id": "NORTH"}, "collaborative_id"),  # not the lead provider's collaborative
    ({"likelihood_pct": 150}, "likelihood_pct"),
    ({"value_gbp": -5}, "value_gbp"),
    ({"status": "maybe"}, "status"),
    ({"description": "  "}, "description"),
    ({"raised_date": dt.date(2024, 6, 1)}, "raised_date"),  # in the future
    ({"review_date": dt.date(2024, 1, 1)}, "review_date"),  # before raised
    ({"risk_id": "FR5"}, "risk_id"),  # NORTH's risk
    ({"risk_id": "no spaces"}, "risk_id"),
])
def test_a_bad_risk_changes_nothing(db, change, column):
    before = snapshot(db, skip=("audit_log",))
    problems = fr.save_risk(db, IMPACT_LEAD, RISK | change, FY[0], today=END)
    assert column in [c for c, _ in problems]
    assert snapshot(db, skip=("audit_log",)) == before
    assert '"refused"' in audit_rows(db)[-1].detail


def test_only_lead_providers_and_national_users_manage_risks(db):
    with pytest.raises(AccessDenied):
        fr.save_risk(db, Viewer("p", "provider", ("provider:RHA",)), RISK, FY[0], today=END)
    with pytest.raises(AccessDenied):
        fr.save_reserve(db, Viewer("c", "commissioner", ("region:Y60",)), {"collaborative_id": "IMPACT"}, FY[0])
    assert fr.save_risk(db, Viewer("n", "national", ("national",)), RISK | {"collaborative_id": "NORTH",
                                                                          "risk_id": "N1"}, FY[0], today=END) == []


# --------------------------------------------------------------------------- one RAG rule with the Overview

@pytest.mark.parametrize("code", ["IMPACT", "NORTH", "CAMHS"])
def test_overview_and_page_agree_on_the_variance_rag(fixture_engine, code):
    from data_access.thresholds import lookup
    from metrics.overview import headline

    table = kpi_table(fixture_engine, "collaborative", code, dt.date(2024, 3, 1), END,
                      kpi_ids=["variance_gbp", "budget_gbp"])
    with fixture_engine.connect() as conn:
        bands = lookup(conn, code)
        data = dfin.ledger(conn, None, "collaborative", code, FY[1], FY[2])
    overview = headline(table, table, "none", "collaborative", bands).set_index("kpi_id")
    page = fm.headline(data["category"])
    assert overview.loc["variance_gbp", "rag"] == page["rag"]
    assert overview.loc["variance_gbp", "threshold"].startswith("Dashboard finance rule")
    # IMPACT +3.8% red, NORTH -1.6% amber, CAMHS +1.6% amber
    assert page["rag"] == {"IMPACT": "red", "NORTH": "amber", "CAMHS": "amber"}[code]


# --------------------------------------------------------------------------- the page (AppTest)

def test_page_shows_the_new_kpis_and_sections(monkeypatch, tmp_path_factory):
    from tests.apptest import errors, run_app
    from tests.browser import build_duckdb_file

    url = build_duckdb_file(tmp_path_factory.mktemp("fin_risk") / "fixture.duckdb", build_fixture)
    at = run_app(monkeypatch, url, "app_pages/finance.py", scope="collaborative:IMPACT", **{"from": "2024-03-01",
                                                                                          "to": "2024-03-10"})
    assert not at.exception and errors(at) == []
    shown = {m.label: m.value for m in at.metric}
    assert shown["Budget to date"] == "£187k" and shown["Variance to date"] == "£6,500"
    assert shown["Run-rate outturn"] == "£290k" and shown["Forecast movement"] == "£8,500"
    assert shown["Risk-adjusted outturn"] == "£298k" and shown["Uncommitted reserves"] == "£9,000"
    assert shown["Independent sector spend"] == "30.5%"
    headers = [s.value for s in at.subheader]
    for section in ("Each month: budget, actual and forecast", "How the forecast moved",
                    "Forecast range from its drivers", "Risk register and reserves",
                    "Risk share: who carries the variance"):
        assert section in headers
    assert any("Record a financial risk" in e.label for e in at.expander)
