"""Finance page: ledger sums, variance, RAG, cost per bed day, risk shares and the what if, against
hand-worked answers on the fixture database (DuckDB and PostgreSQL); access; the page (AppTest).

Hand working (tests/fixture_db.py FINANCE, FY 2023/24: January and February 2024 closed, March open):
  IMPACT budget 95000+92000+92000 = 279000; actual Jan 99000 + Feb 94500 = 193500; outturn
         193500 + March forecast (53000+31000+9000+3000 = 96000) = 289500; variance +10500 (3.763% of budget)
         categories: nhs_inpatient 150000 / 103000 / 156000; independent_inpatient 90000 / 57000 / 88000;
         out_of_area 30000 / 27000 / 36000; community 5000 / 4000 / 4000; reinvestment 4000 / 2500 / 5500
  NORTH  budget 220500, actual 139000, outturn 217000, variance -3500
  CAMHS  budget 81000, actual 56800, outturn 82300, variance +1300
Bed days in the closed months (2024-01-01..02-29) by ward: W1 120 (RHA, low), W2 60 (RHA, medium),
  W3 75 (NQ1, low), W4 10 (NQ1, general), W5 149 (RX4, medium), W6 0 (NPR, opens March), W7 60 (RX4, medium).
Provider inpatient actual (closed months): IMPACT RHA 52000+51000 = 103000, NQ1 28000+29000 = 57000;
  CAMHS NQ1 24000+26000 = 50000; NORTH RX4 61000+59000 = 120000; NPR none (March is open).
"""

import datetime as dt

import pandas as pd
import pytest

from data_access import access, finance
from data_access.access import AccessDenied, Viewer
from data_access.finance import NotApplicable
from metrics import finance as fm
from metrics.kpis import kpi_table
from tests.apptest import errors, run_app
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture

FY = ("2023/24", dt.date(2023, 4, 1), dt.date(2024, 3, 31))
END = dt.date(2024, 3, 10)


def ledger(engine, level, code, viewer=None):
    with engine.connect() as conn:
        return finance.ledger(conn, viewer, level, code, FY[1], FY[2])


def obd(engine, level, code, viewer=None):
    with engine.connect() as conn:
        return finance.bed_days_by_provider(conn, viewer, level, code, dt.date(2024, 1, 1), dt.date(2024, 2, 29))


def shares(engine, level, code, viewer=None):
    with engine.connect() as conn:
        return finance.risk_shares(conn, viewer, level, code, *FY)


@pytest.mark.parametrize("level,code,budget,actual,outturn", [
    ("collaborative", "IMPACT", 279000, 193500, 289500),
    ("collaborative", "NORTH", 220500, 139000, 217000),
    ("collaborative", "CAMHS", 81000, 56800, 82300),
    ("region", "Y60", 279000 + 81000, 193500 + 56800, 289500 + 82300),
    ("national", None, 580500, 389300, 588800),
    # RHA: nhs_inpatient IMPACT 3 x 50000; actual 52000 + 51000; outturn + 53000
    ("provider", "RHA", 150000, 103000, 156000),
])
def test_headline_hand_worked(fixture_engine, level, code, budget, actual, outturn):
    head = fm.headline(ledger(fixture_engine, level, code)["category"])
    assert head["budget"] == pytest.approx(budget)
    assert head["actual"] == pytest.approx(actual)
    assert head["outturn"] == pytest.approx(outturn)
    assert head["variance"] == pytest.approx(outturn - budget)
    assert head["variance_pct"] == pytest.approx((outturn - budget) / budget * 100)


def test_impact_categories_and_rag(fixture_engine):
    data = ledger(fixture_engine, "collaborative", "IMPACT")
    table = fm.category_table(data["category"]).set_index("category")
    assert list(table.index) == ["nhs_inpatient", "independent_inpatient", "out_of_area", "community",
                                 "reinvestment"]
    assert table.loc["nhs_inpatient", ["budget", "actual", "outturn", "variance"]].tolist() == [
        150000, 103000, 156000, 6000]
    assert table.loc["out_of_area", "variance"] == 36000 - 30000
    assert table.loc["community", "variance"] == 4000 - 5000
    head = fm.headline(data["category"])
    assert head["rag"] == "red"  # 3.76% > 3%
    assert head["reinvestment"] == 2500
    assert head["out_of_area_spend_pct"] == pytest.approx(27000 / 187000 * 100)
    # NORTH -3500 / 220500 = -1.59% -> amber; CAMHS 1300 / 81000 = 1.60% -> amber
    assert fm.headline(ledger(fixture_engine, "collaborative", "NORTH")["category"])["rag"] == "amber"


@pytest.mark.parametrize("pct,colour", [(0.0, "green"), (1.0, "green"), (-1.0, "green"), (1.01, "amber"),
                                        (-3.0, "amber"), (3.2, "red"), (-7.0, "red"), (None, None)])
def test_variance_rag_bands(pct, colour):
    assert fm.variance_rag(pct) == colour


@pytest.mark.parametrize("key", ["national", "region:Y60", "region:Y63", "collaborative:IMPACT",
                                 "collaborative:NORTH", "collaborative:CAMHS", "provider:RHA", "provider:NQ1",
                                 "provider:RX4", "provider:NPR"])
def test_headline_agrees_with_kpi_table(fixture_engine, key):
    level, _, code = key.partition(":")
    code = code or None
    kpis = kpi_table(fixture_engine, level, code, dt.date(2024, 3, 1), END).set_index("kpi_id")["value"]
    data = ledger(fixture_engine, level, code)
    head = fm.headline(data["category"])
    first, last = fm.closed_months(data["month"])
    beds = obd(fixture_engine, level, code) if first else pd.DataFrame(columns=["obd"])
    cost, _ = fm.total_cost_per_bed_day(head, beds)
    pairs = {"budget_gbp": head["budget"], "actual_gbp": head["actual"], "forecast_outturn_gbp": head["outturn"],
             "variance_gbp": head["variance"], "reinvestment_gbp": head["reinvestment"],
             "out_of_area_spend_pct": head["out_of_area_spend_pct"], "cost_per_obd_gbp": cost}
    for kpi_id, mine in pairs.items():
        theirs = kpis[kpi_id]
        if theirs is None or pd.isna(theirs):
            assert mine is None, kpi_id
        else:
            assert mine == pytest.approx(theirs), kpi_id


def test_cumulative_series(fixture_engine):
    data = ledger(fixture_engine, "collaborative", "IMPACT")
    frame, now = fm.cumulative(data["month"], FY[1])
    assert now == dt.date(2024, 2, 29)
    series = {s: dict(zip(g["date"], g["value"])) for s, g in frame.groupby("series")}
    assert series["Budget"][dt.date(2023, 4, 1)] == 0
    assert series["Budget"][dt.date(2023, 12, 31)] == 0  # no ledger rows before January
    assert series["Budget"][dt.date(2024, 1, 31)] == 95000
    assert series["Budget"][dt.date(2024, 3, 31)] == 279000
    assert series["Spend to date"][dt.date(2023, 4, 1)] == 0
    assert series["Spend to date"][dt.date(2024, 1, 31)] == 99000
    assert series["Spend to date"][dt.date(2024, 2, 29)] == 193500
    assert max(series["Spend to date"]) == now  # actual stops at "now"
    # forecast continues from the last actual and ends at the outturn
    assert series["Forecast"] == {dt.date(2024, 2, 29): 193500, dt.date(2024, 3, 31): 289500}


def test_cost_per_bed_day_impact(fixture_engine):
    data = ledger(fixture_engine, "collaborative", "IMPACT")
    providers, levels = fm.cost_per_bed_day(data["provider"], obd(fixture_engine, "collaborative", "IMPACT"))
    providers = providers.set_index("provider_code")
    assert providers.loc["RHA", "obd"] == 180 and providers.loc["NQ1", "obd"] == 75
    assert providers.loc["RHA", "cost_per_obd"] == pytest.approx(103000 / 180)  # 572.22
    assert providers.loc["NQ1", "cost_per_obd"] == pytest.approx(57000 / 75)  # 760
    levels = levels.set_index("security_level")
    # low: W1 120 x 103000/180 + W3 75 x 760 = 68666.67 + 57000 = 125666.67 over 195 bed days
    assert levels.loc["low", "cost_per_obd"] == pytest.approx((120 * 103000 / 180 + 75 * 760) / 195)
    assert levels.loc["low", "cost_per_obd"] == pytest.approx(644.4444, abs=1e-3)
    assert levels.loc["medium", "cost_per_obd"] == pytest.approx(103000 / 180)
    assert levels["attributed_cost"].sum() == pytest.approx(103000 + 57000)  # every provider pound attributed
    assert levels["uncosted_obd"].sum() == 0


def test_cost_per_bed_day_national(fixture_engine):
    data = ledger(fixture_engine, "national", None)
    providers, levels = fm.cost_per_bed_day(data["provider"], obd(fixture_engine, "national", None))
    providers = providers.set_index("provider_code")
    nq1 = (57000 + 50000) / (75 + 10)  # IMPACT and CAMHS lines over W3 and W4: 1258.82
    rx4 = 120000 / (149 + 60)  # 574.16
    assert providers.loc["NQ1", "cost_per_obd"] == pytest.approx(nq1)
    assert providers.loc["RX4", "cost_per_obd"] == pytest.approx(rx4)
    assert pd.isna(providers.loc["NPR", "cost_per_obd"])  # an "other" line only, no inpatient actual
    levels = levels.set_index("security_level")
    assert levels.loc["low", "cost_per_obd"] == pytest.approx((120 * 103000 / 180 + 75 * nq1) / 195)  # 836.30
    assert levels.loc["medium", "cost_per_obd"] == pytest.approx((60 * 103000 / 180 + 209 * rx4) / 269)  # 573.73
    assert levels.loc["general", "cost_per_obd"] == pytest.approx(nq1)
    assert levels.loc["medium", "obd"] == 60 + 149 + 60


def test_risk_shares_hand_worked(fixture_engine):
    """The agreement as data (tests/fixture_db.py RISK_SHARE_TIERS; full working in tests/test_finance_risk.py)."""
    from data_access import finance as dfin

    with fixture_engine.connect() as conn:
        agreements = dfin.agreement(conn, None, "national", None, dt.date(2024, 3, 10))
    table = fm.exposures(agreements)
    forecast = table[table["basis"] == "Forecast"]
    who = forecast["provider_code"].fillna(forecast["bearer"])
    got = forecast.groupby([forecast["collaborative_id"], who])["amount"].sum().to_dict()
    # IMPACT +10500: lead RHA first 1% of 279000 = 2790; partners to the 10000 cap: 7210 x 60% / 40%; 500 beyond.
    # NORTH -3500 shared by its agreement: 80% / 20%. CAMHS +1300, no tiers: partners by share.
    assert got == pytest.approx({("IMPACT", "RHA"): 2790 + 4326, ("IMPACT", "NQ1"): 2884,
                                 ("IMPACT", "commissioner"): 500, ("NORTH", "RX4"): -2800, ("NORTH", "NPR"): -700,
                                 ("CAMHS", "NQ1"): 1300})
    assert forecast.groupby("collaborative_id")["amount"].sum().to_dict() == pytest.approx(
        {"IMPACT": 10500, "NORTH": -3500, "CAMHS": 1300})


def test_what_if_hand_worked(fixture_engine):
    data = ledger(fixture_engine, "collaborative", "IMPACT")
    # occupancy +10% on March's own-bed forecast (53000 + 31000) = +8400; out of area -20% of 9000 = -1800
    result = fm.what_if(data["category"], 10, -20)
    assert result["what_if_outturn"] == pytest.approx(289500 + 8400 - 1800)
    assert result["what_if_variance"] == pytest.approx(17100)
    assert fm.what_if(data["category"], 0, 0)["what_if_outturn"] == pytest.approx(289500)


def test_what_if_arithmetic():
    assert fm.what_if_outturn(1000, 200, 100, 5, -10) == pytest.approx(1000 + 10 - 10)
    assert fm.what_if_outturn(1000, 0, 0, 50, 50) == 1000


def test_provider_role_sees_only_its_own_lines(fixture_engine):
    rha = Viewer("u", "provider", ("provider:RHA",))
    data = ledger(fixture_engine, "collaborative", "IMPACT", rha)
    assert set(data["provider"]["provider_code"]) == {"RHA"}
    head = fm.headline(data["category"])
    assert (head["budget"], head["actual"], head["outturn"]) == (150000, 103000, 156000)
    assert set(obd(fixture_engine, "collaborative", "IMPACT", rha)["provider_code"]) == {"RHA"}
    assert set(shares(fixture_engine, "national", None, rha)["provider_code"]) == {"RHA"}
    # another provider's figures: nothing comes back
    assert ledger(fixture_engine, "provider", "NQ1", rha)["category"].empty


@pytest.mark.parametrize("viewer,level,code,error", [
    (Viewer("u", "crg", ("collaborative:IMPACT",)), "collaborative", "IMPACT", AccessDenied),
    (Viewer("u", "viewer", ("collaborative:IMPACT",)), "collaborative", "IMPACT", AccessDenied),
    (Viewer("u", "lead_provider", ("collaborative:IMPACT",), "none"), "collaborative", "NORTH", AccessDenied),
    (None, "unit", "U1", NotApplicable),
    (None, "ward", "W1", NotApplicable),
])
def test_refused(fixture_engine, viewer, level, code, error):
    with pytest.raises(error):
        ledger(fixture_engine, level, code, viewer)
    with pytest.raises(error):
        shares(fixture_engine, level, code, viewer)


def test_finance_roles_match_access():
    assert access.allowed(None, "see finance") and not access.allowed(Viewer("u", "crg", ("national",)), "see finance")


# --------------------------------------------------------------------------- the page (AppTest)

PAGE = "app_pages/finance.py"
P1 = {"from": "2024-03-01", "to": "2024-03-10"}


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("finance_page") / "fixture.duckdb", build_fixture)


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_page_shows_hand_worked_headline(monkeypatch, fixture_url):
    at = run_app(monkeypatch, fixture_url, PAGE, scope="collaborative:IMPACT", **P1)
    assert not at.exception and errors(at) == []
    shown = metrics(at)
    assert shown["Budget"] == "£279k" and shown["Spend to date"] == "£194k"
    assert shown["Forecast outturn"] == "£290k" and shown["Variance to budget"] == "£10k"
    assert shown["Released for reinvestment"] == "£2,500"
    assert shown["Out of area spend"] == "14.4%"  # 27000 / 187000
    assert shown["Cost per occupied bed day"] == "£733"  # 187000 / 255 bed days
    delta = next(m.delta for m in at.metric if m.label == "Variance to budget")
    assert delta == "+3.8% overspend"
    tables = [d.value for d in at.dataframe]
    categories = next(t for t in tables if "Variance to budget (£)" in t.columns and "Category" in t.columns)
    categories = categories.set_index("Category")
    assert categories.loc["NHS inpatient", "Variance to budget (£)"] == 6000
    assert any("Import the monthly finance return" in e.label for e in at.expander)


def test_page_what_if_slider(monkeypatch, fixture_url):
    at = run_app(monkeypatch, fixture_url, PAGE, scope="collaborative:IMPACT", **P1)
    at.slider(key="fin_whatif_occupancy").set_value(10)
    at.slider(key="fin_whatif_ooa").set_value(-20)
    at.run()
    assert not at.exception
    assert metrics(at)["Variance to budget (what if)"] == "£17k"  # 17100
    exposure = next(d.value for d in at.dataframe if "Who" in d.value.columns)
    lead = exposure[exposure["Tier"] == "Lead provider's band"].iloc[0]
    assert lead["Who"] == "Nottinghamshire Healthcare NHS Foundation Trust" and lead["Forecast (£)"] == 2790


def test_page_not_applicable_for_a_ward(monkeypatch, fixture_url):
    at = run_app(monkeypatch, fixture_url, PAGE, scope="ward:W1", **P1)
    assert not at.exception
    assert any("not applicable at this level" in i.value for i in at.info)
    assert not at.metric


def test_page_refuses_role_without_finance(monkeypatch, fixture_url):
    monkeypatch.setenv("PCD_LOCAL_ROLE", "crg")
    at = run_app(monkeypatch, fixture_url, PAGE, scope="collaborative:IMPACT", **P1)
    assert not at.exception
    assert any("does not include finance" in i.value for i in at.info)
    assert not at.metric


def test_page_provider_role_sees_own_lines_and_no_uploader(monkeypatch, fixture_url):
    monkeypatch.setenv("PCD_LOCAL_ROLE", "provider")
    monkeypatch.setenv("PCD_LOCAL_SCOPE", "provider:RHA")
    at = run_app(monkeypatch, fixture_url, PAGE, scope="collaborative:IMPACT", **P1)
    assert not at.exception and errors(at) == []
    assert any("own provider only" in i.value for i in at.info)
    assert metrics(at)["Budget"] == "£150k"
    assert not any("Import" in e.label for e in at.expander)
