"""Regressions of issue 11 (security and reliability), each failing on the code before the fix.

Data-layer tests run on the fixture database (tests/fixture_db.py) on DuckDB and PostgreSQL. The world:
provider NQ1 holds IMPACT's ward W3 and CAMHS's ward W4 (unit U2) and is a member of both; RHA holds
IMPACT's W1 and W2 (unit U1). Page tests (AppTest) use a DuckDB copy. docs/security.md lists them.
"""

import datetime as dt
import io

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import access, audit, beds, finance, quality, women
from data_access.access import Viewer
from data_access.schema import audit_log, unit
from metrics.kpis import kpi_table
from tests.apptest import run_app
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture

FY = (dt.date(2023, 4, 1), dt.date(2024, 3, 31))
END = dt.date(2024, 3, 10)
IMPACT_LEAD = Viewer("lead", "lead_provider", ("collaborative:IMPACT",), "none")
CAMHS_CRG = Viewer("crg", "crg", ("collaborative:CAMHS",))
Y63 = Viewer("comm", "commissioner", ("region:Y63",))
VIEWER_U2 = Viewer("meeting", "viewer", ("unit:U2",))


# ---------------------------------------------------------------- defect 1: finance at shared providers

def test_lead_provider_sees_only_its_collaboratives_lines_at_a_shared_provider(fixture_engine):
    """NQ1's 2023/24 lines: IMPACT 30,000 × 3 months, CAMHS 25,000 × 3 months. IMPACT's lead provider gets
    IMPACT's 90,000 only (before: 165,000, CAMHS's lines included), and only IMPACT's risk-share row."""
    with fixture_engine.connect() as conn:
        data = finance.ledger(conn, IMPACT_LEAD, "provider", "NQ1", *FY)
        shares = finance.risk_shares(conn, IMPACT_LEAD, "provider", "NQ1", "2023/24", *FY)
        everyone = finance.ledger(conn, None, "provider", "NQ1", *FY)
    assert data["category"]["budget"].sum() == pytest.approx(90_000)
    assert everyone["category"]["budget"].sum() == pytest.approx(165_000)
    assert shares["collaborative_id"].tolist() == ["IMPACT"]


def test_finance_tiles_blank_where_a_provider_holds_other_collaboratives_lines(fixture_engine):
    with fixture_engine.connect() as conn:
        assert not access.allowed(IMPACT_LEAD, "see finance", ("provider", "NQ1"), conn)
        assert access.allowed(IMPACT_LEAD, "see finance", ("provider", "RHA"), conn)
        assert access.allowed(IMPACT_LEAD, "see finance", ("collaborative", "IMPACT"), conn)
    table = kpi_table(fixture_engine, "provider", "NQ1", dt.date(2024, 3, 1), END, viewer=IMPACT_LEAD)
    assert pd.isna(table.set_index("kpi_id").loc["budget_gbp", "value"])


# ---------------------------------------------------------------- defect 3: rows outside the role

def test_bed_state_rows_only_of_the_roles_wards(fixture_engine):
    """At provider NQ1 (unit U2: IMPACT's W3, CAMHS's W4): IMPACT's lead sees W3 only, CAMHS's crg W4 only."""
    with fixture_engine.connect() as conn:
        lead = beds.ward_bed_state(conn, IMPACT_LEAD, "provider", "NQ1", dt.date(2024, 3, 5), None)
        crg = beds.ward_bed_state(conn, CAMHS_CRG, "provider", "NQ1", dt.date(2024, 3, 5), None)
        everyone = beds.ward_bed_state(conn, None, "provider", "NQ1", dt.date(2024, 3, 5), None)
    assert lead["ward_code"].tolist() == ["W3"]
    assert crg["ward_code"].tolist() == ["W4"]
    assert sorted(everyone["ward_code"]) == ["W3", "W4"]


def test_home_flows_only_to_the_roles_units(fixture_engine):
    with fixture_engine.connect() as conn:
        flows = beds.home_flows(conn, IMPACT_LEAD, "collaborative", "IMPACT", dt.date(2024, 3, 5))
        everyone = beds.home_flows(conn, None, "collaborative", "IMPACT", dt.date(2024, 3, 5))
        seen = {r[0] for r in conn.execute(sa.select(unit.c.unit_code).where(
            access.unit_rows(IMPACT_LEAD, unit.c.unit_code)))}
    assert set(flows["unit_code"]) <= seen
    assert set(everyone["unit_code"]) - seen  # before the fix these rows reached the lead provider


def test_children_of_a_node_only_those_the_role_may_see(fixture_engine):
    """The Quality funnel and the Women's page list children: IMPACT's crg at unit U2 sees ward W3, not
    CAMHS's W4 (before: W4's raw numerator and denominator reached the funnel's data)."""
    impact_crg = Viewer("crg", "crg", ("collaborative:IMPACT",))
    with fixture_engine.connect() as conn:
        _, kids = quality.period_aggregates(conn, impact_crg, "unit", "U2", dt.date(2024, 3, 1), END)
        names, _ = women.child_indicators(conn, impact_crg, "unit", "U2", END)
        _, all_kids = quality.period_aggregates(conn, None, "unit", "U2", dt.date(2024, 3, 1), END)
    assert kids["code"].tolist() == ["W3"]
    assert [c for c, _ in names] == ["W3"]
    assert sorted(all_kids["code"]) == ["W3", "W4"]


def test_placement_finder_limited_for_crg_and_viewer(fixture_engine):
    args = ("L1", "adult_secure", "low", "female", dt.date(2024, 3, 5), None)
    with fixture_engine.connect() as conn:
        viewer = beds.placement_candidates(conn, VIEWER_U2, "unit", "U2", *args)
        lead = beds.placement_candidates(conn, IMPACT_LEAD, "collaborative", "IMPACT", *args)
    assert set(viewer["ward_code"]) <= {"W3", "W4"}
    assert set(lead["ward_code"]) - {"W3", "W4"}  # roles that place patients see every free bed


# ---------------------------------------------------------------- defect 4: chart data and recoverable cells

def test_chart_data_keeps_only_named_columns():
    from metrics.disclosure import chart_data

    frame = pd.DataFrame({"date": [1, 2], "value": [3.0, 4.0], "admitted": [1, 2], "numerator": [1, 1]})
    assert chart_data(frame, ["date", "value", "missing"]).columns.tolist() == ["date", "value"]


def test_spc_chart_data_carries_no_raw_counts():
    """The Referrals monthly SPC frame carries `admitted` (1–4): the chart's data must not."""
    from metrics.spc import xmr
    from metrics.spc_chart import spc_chart

    months = pd.date_range("2023-01-01", periods=14, freq="MS")
    frame = xmr(pd.Series([10.0 + i % 3 for i in range(14)]), pd.Series(months))
    frame["admitted"] = [1, 2, 3, 4] * 3 + [1, 2]
    spec = spc_chart(frame, "t", "y").to_dict()
    rows = [row for values in spec["datasets"].values() for row in values]
    assert rows and not any("admitted" in row for row in rows)


def test_bed_state_suppressed_cells_not_recoverable():
    """occupied + available + closed = commissioned: a suppressed available (1) with an exact occupancy %
    (9 of 10) recovers it. Now occupied, available and the % are hidden together."""
    from metrics.beds import disclosed_beds

    frame = pd.DataFrame({"commissioned": [10, 20], "occupied": [9, 10], "on_leave": [0, 0], "closed": [0, 0],
                          "available": [1, 10], "occupancy_pct": [90.0, 50.0]})
    shown = disclosed_beds(frame, "mhsds", "ward")
    assert shown.loc[0, ["occupied", "available", "occupancy_pct"]].isna().all()
    recovered = shown["commissioned"] - shown["closed"] - shown["occupancy_pct"] / 100 * shown["commissioned"]
    assert recovered.notna().tolist() == [False, True] and shown.loc[1, "available"] == 10


# ---------------------------------------------------------------- defect 6: markdown injection; 7: formulas

def test_plain_escapes_links_and_emphasis():
    from ui.auth import plain

    assert plain("[x](http://evil)") == "\\[x\\](http://evil)"
    assert plain("*bold* `code` $x$") == "\\*bold\\* \\`code\\` \\$x\\$"


def test_excel_writes_formula_text_as_text():
    from openpyxl import load_workbook

    from ui.excel import workbook_bytes

    names = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2", "@SUM(A1)", "Plain"]
    data = workbook_bytes({"S": (pd.DataFrame({"Name": names, "n": [1, 2, 3, 4, 5]}), {})},
                          {"Scope": "=cmd|' /C calc'!A0"})
    book = load_workbook(io.BytesIO(data))
    cells = [book["S"].cell(row=r, column=1) for r in range(2, 7)]
    assert [c.value for c in cells] == names
    assert all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells[:4]) and not cells[4].quotePrefix
    about = book["About"].cell(row=2, column=2)
    assert about.data_type == "s" and about.quotePrefix


# ---------------------------------------------------------------- defect 8: misspelt local role

@pytest.mark.parametrize("raw", ["viewr", "Viewer", "crg ", "superuser"])
def test_unknown_local_role_falls_back_to_viewer(monkeypatch, raw):
    import settings
    from ui.auth import local_identity

    monkeypatch.setenv("PCD_LOCAL_ROLE", raw)
    values, problems = settings.load({})
    assert values["local_role"] == "viewer"
    assert any("least privilege" in p for p in problems)
    identity = local_identity(values)
    assert identity.viewer.role == "viewer" and identity.viewer.rule == "mhsds"


# ---------------------------------------------------------------- defect 9: audit rows retried

def test_audit_row_kept_and_retried_after_a_failure(fixture_engine):
    broken = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    viewer = Viewer("retry", "national", ("national",))
    assert not audit.record(broken, viewer, "view", "Overview @ national")
    broken.dispose()
    with fixture_engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar()
    audit._pending[str(fixture_engine.url)] = audit._pending.pop(str(broken.url))  # same database, back up
    assert audit.record(fixture_engine, viewer, "view", "Beds @ national")
    with fixture_engine.connect() as conn:
        after = conn.execute(sa.select(audit_log.c.target).where(audit_log.c.user_id == "retry")).scalars().all()
    assert sorted(after) == ["Beds @ national", "Overview @ national"] and len(after) == 2
    with fixture_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar() == before + 2


# ---------------------------------------------------------------- pages (AppTest, DuckDB)

@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    def build(engine):
        build_fixture(engine)
        with engine.begin() as conn:
            conn.execute(sa.update(unit).where(unit.c.unit_code == "U2").values(name="[x](http://evil.example)"))

    return build_duckdb_file(tmp_path_factory.mktemp("security_pages") / "fixture.duckdb", build)


def _as(monkeypatch, role, home):
    monkeypatch.setenv("PCD_LOCAL_ROLE", role)
    monkeypatch.setenv("PCD_LOCAL_SCOPE", home)


def _markdown_texts(at) -> list[str]:
    return [e.value for kind in ("title", "markdown", "caption", "subheader", "header", "warning", "info", "error")
            for e in at.get(kind)] + [b.label for b in at.button]


def test_unit_name_with_a_link_is_escaped_everywhere(monkeypatch, app_url):
    _as(monkeypatch, "lead_provider", "collaborative:IMPACT")
    for page in ("app_pages/overview.py", "app_pages/beds.py", "app_pages/quality.py", "app_pages/women.py",
                 "app_pages/referrals.py", "app_pages/packs.py"):
        at = run_app(monkeypatch, app_url, page, scope="unit:U2", **{"from": "2024-03-01", "to": "2024-03-10"})
        assert not at.exception
        texts = [t for t in _markdown_texts(at) if "evil" in t]
        assert texts, page
        assert all("\\[x\\]" in t for t in texts), (page, texts)


def test_refusal_does_not_reveal_whether_a_node_exists(monkeypatch, app_url):
    _as(monkeypatch, "crg", "collaborative:CAMHS")
    out = run_app(monkeypatch, app_url, scope="ward:W1")  # exists, outside the role
    missing = run_app(monkeypatch, app_url, scope="ward:NOPE")  # does not exist
    words = [[w.value for w in at.warning] + [e.value for e in at.error] for at in (out, missing)]
    assert words[0] == words[1] and len(words[0]) == 1
    assert "W1" not in words[0][0] and "NOPE" not in words[0][0] and "Low secure" not in words[0][0]


def test_breadcrumb_shows_no_parent_outside_the_role(monkeypatch, app_url):
    """The viewer for unit U2 sees U2 and its wards only: no England, region, collaborative or provider step."""
    _as(monkeypatch, "viewer", "unit:U2")
    at = run_app(monkeypatch, app_url)
    assert not at.exception
    crumbs = [b.label for b in at.button if b.key and b.key.startswith("crumb_")]
    assert crumbs == []


def test_quality_page_survives_junk_in_its_selection_state(monkeypatch, app_url):
    _as(monkeypatch, "lead_provider", "collaborative:IMPACT")
    at = run_app(monkeypatch, app_url, "app_pages/quality.py")
    for junk in ({"x": 1}, "junk", {"restraint_per_1000_obd": ["2024-01-01", None, 3]}, None):
        # The measure is picked with a selectbox now: the browser sends an index into its options, so only the
        # rebase dates (plain session state) can hold junk.
        at.session_state["quality_rebase"] = junk
        at.run()
        assert not at.exception, junk


def test_database_error_mid_run_gives_one_clear_message(monkeypatch, app_url):
    """A page whose query fails mid-run (Overview, which had no handler: a generic error box): the one
    message, no exception, the sidebar still there, the view audit row written."""
    from metrics import kpis

    _as(monkeypatch, "lead_provider", "collaborative:IMPACT")

    def down(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(kpis, "kpi_tables", down)
    at = run_app(monkeypatch, app_url, scope="unit:U1", **{"from": "2024-02-01", "to": "2024-02-07"})
    assert not at.exception
    assert any("stopped answering" in e.value for e in at.error)
    assert at.sidebar.selectbox  # the scope selectors are still drawn: the page stays usable
    engine = sa.create_engine(app_url)
    with engine.connect() as conn:
        targets = conn.execute(sa.select(audit_log.c.target).where(audit_log.c.action == "view")).scalars().all()
    engine.dispose()
    assert "Overview @ unit:U1" in targets
