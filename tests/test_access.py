"""Who sees what: every role against every node of the fixture, on DuckDB and PostgreSQL.

The fixture (tests/fixture_db.py): regions Y60 (collaboratives IMPACT, CAMHS) and Y63 (NORTH);
providers RHA (unit U1: W1, W2, both IMPACT), NQ1 (unit U2: W3 IMPACT, W4 CAMHS; member of IMPACT
and CAMHS), RX4 (unit U3: W5, W7, NORTH), NPR (unit U4: W6, NORTH). The tables below are worked
out by hand from those rows and the rules in data_access/access.py.
"""

import datetime as dt

import pytest

from data_access import access
from data_access.access import AccessDenied, Viewer
from metrics.kpis import MONEY_IDS, child_table, kpi_table

NAT = Viewer("nat@example.nhs.uk", "national", ("national",))
COM = Viewer("com@example.nhs.uk", "commissioner", ("region:Y60",))
LEAD = Viewer("lead@example.nhs.uk", "lead_provider", ("collaborative:IMPACT",), "none")
PROV = Viewer("prov@example.nhs.uk", "provider", ("provider:NQ1",))
CRG = Viewer("crg@example.nhs.uk", "crg", ("collaborative:NORTH",))
VIEW = Viewer("meeting@example.nhs.uk", "viewer", ("unit:U3",))
VIEWERS = {"national": NAT, "commissioner": COM, "lead_provider": LEAD, "provider": PROV, "crg": CRG, "viewer": VIEW}

NODES = ["national", "region:Y60", "region:Y63", "collaborative:IMPACT", "collaborative:CAMHS", "collaborative:NORTH",
         "provider:RHA", "provider:NQ1", "provider:RX4", "provider:NPR", "unit:U1", "unit:U2", "unit:U3", "unit:U4",
         "ward:W1", "ward:W2", "ward:W3", "ward:W4", "ward:W5", "ward:W6", "ward:W7"]
EVERYTHING = set(NODES)

# Aggregates: which nodes each role may see.
SEE = {
    "national": EVERYTHING,
    "provider": EVERYTHING,  # aggregates everywhere
    # Y60 and everything with a ward commissioned in Y60 (IMPACT, CAMHS): U1, U2, W1–W4.
    "commissioner": {"region:Y60", "collaborative:IMPACT", "collaborative:CAMHS", "provider:RHA", "provider:NQ1",
                     "unit:U1", "unit:U2", "ward:W1", "ward:W2", "ward:W3", "ward:W4"},
    # IMPACT, its members RHA and NQ1, the units with an IMPACT ward (U1, U2 via W3), IMPACT's wards.
    "lead_provider": {"collaborative:IMPACT", "provider:RHA", "provider:NQ1", "unit:U1", "unit:U2", "ward:W1",
                      "ward:W2", "ward:W3"},
    "crg": {"collaborative:NORTH", "provider:RX4", "provider:NPR", "unit:U3", "unit:U4", "ward:W5", "ward:W6",
            "ward:W7"},
    "viewer": {"unit:U3", "ward:W5", "ward:W7"},  # its unit and the unit's wards, not the provider above
}
# Patient-level rows: only where every ward of the node is within the home.
PATIENT_LEVEL = {
    "national": set(), "commissioner": set(), "crg": set(), "viewer": set(),
    # NQ1 and U2 also hold W4 (CAMHS), so not them; RHA's wards are all IMPACT's.
    "lead_provider": {"collaborative:IMPACT", "provider:RHA", "unit:U1", "ward:W1", "ward:W2", "ward:W3"},
    # its own provider, unit and wards (W3 is IMPACT's, W4 CAMHS's: both NQ1's); never a collaborative.
    "provider": {"provider:NQ1", "unit:U2", "ward:W3", "ward:W4"},
}
# Finance figures: none for crg and viewer; a provider never sees one other provider's figures.
FINANCE = {
    "national": EVERYTHING, "crg": set(), "viewer": set(),
    # A lead provider or commissioner sees one provider's money only where all its ledger lines are within its
    # homes (issue 11: NQ1 also holds CAMHS's lines; RX4 and NPR are NORTH's, in Y63).
    "commissioner": EVERYTHING - {"provider:RX4", "provider:NPR"},
    "lead_provider": EVERYTHING - {"provider:NQ1", "provider:RX4", "provider:NPR"},
    "provider": EVERYTHING - {"provider:RHA", "provider:RX4", "provider:NPR", "unit:U1", "unit:U3", "unit:U4",
                              "ward:W1", "ward:W2", "ward:W5", "ward:W6", "ward:W7"},
}
P1 = (dt.date(2024, 3, 1), dt.date(2024, 3, 10))


def _node(key):
    return ("national", None) if key == "national" else tuple(key.split(":"))


@pytest.fixture(scope="module")
def conn(fixture_engine):
    with fixture_engine.connect() as connection:
        yield connection


@pytest.mark.parametrize("role", list(VIEWERS))
def test_can_see_exactly_the_role_nodes(conn, role):
    seen = {key for key in NODES if access.allowed(VIEWERS[role], "see scope", _node(key), conn)}
    assert seen == SEE[role]


@pytest.mark.parametrize("role", list(VIEWERS))
def test_patient_level_exactly_where_every_ward_is_in_the_home(conn, role):
    allowed = {key for key in NODES if access.allowed(VIEWERS[role], "see patient rows", _node(key), conn)}
    assert allowed == PATIENT_LEVEL[role]
    for key in NODES:
        if key not in allowed:
            with pytest.raises(AccessDenied, match="aggregates only"):
                access.require(VIEWERS[role], "see patient rows", _node(key), conn)


@pytest.mark.parametrize("role", list(VIEWERS))
def test_finance_visible(conn, role):
    assert {key for key in NODES if access.allowed(VIEWERS[role], "see finance", _node(key), conn)} == FINANCE[role]


def test_trusted_caller_sees_everything(conn):
    for key in NODES:
        access.require(None, "see scope", _node(key), conn)
        assert access.allowed(None, "see patient rows", _node(key), conn)
    assert access.allowed(None, "see finance") and access.finance_providers(None) is None
    assert access.patient_wards(None) is None and access.visible_wards(None) is None


def test_disclosure_rule_per_node(conn):
    # Exact figures only where the lead provider has patient-level access; mhsds elsewhere.
    assert access.rule_for(conn, LEAD, "collaborative", "IMPACT") == "none"
    assert access.rule_for(conn, LEAD, "provider", "RHA") == "none"
    assert access.rule_for(conn, LEAD, "provider", "NQ1") == "mhsds"
    assert access.rule_for(conn, LEAD, "unit", "U2") == "mhsds"
    assert access.rule_for(conn, LEAD, "ward", "W3") == "none"
    for viewer in (NAT, COM, PROV, CRG, VIEW):
        assert access.rule_for(conn, viewer, "provider", "NQ1") == "mhsds"
    hes = Viewer("h", "crg", ("collaborative:NORTH",), "hes")
    assert access.rule_for(conn, hes, "collaborative", "NORTH") == "hes"


def test_patient_wards_and_visible_wards(conn):
    def codes(select):
        return sorted(r[0] for r in conn.execute(select))

    assert codes(access.patient_wards(LEAD)) == ["W1", "W2", "W3"]  # never W4 (CAMHS) on NQ1's unit
    assert codes(access.patient_wards(PROV)) == ["W3", "W4"]
    assert codes(access.patient_wards(COM)) == [] and codes(access.patient_wards(CRG)) == []
    assert codes(access.visible_wards(COM)) == ["W1", "W2", "W3", "W4"]
    assert codes(access.visible_wards(VIEW)) == ["W5", "W7"]
    assert access.visible_wards(PROV) is None and access.visible_wards(NAT) is None


def test_visible_keys(conn):
    assert access.visible_keys(conn, LEAD) == SEE["lead_provider"]
    assert access.visible_keys(conn, VIEW) == SEE["viewer"]
    assert access.visible_keys(conn, NAT) is None


def test_finance_lines_of_a_provider(conn):
    assert access.finance_providers(PROV) == ("NQ1",)
    assert access.finance_providers(LEAD) is None
    assert not access.allowed(CRG, "see finance") and not access.allowed(VIEW, "see finance")


def test_default_scope_is_the_home():
    assert access.default_scope_key(LEAD) == "collaborative:IMPACT"
    assert access.default_scope_key(NAT) == "national"
    assert access.default_scope_key(None) == "national"


@pytest.mark.parametrize("role,home,rule", [
    ("commissioner", ("collaborative:IMPACT",), "mhsds"),  # a commissioner's home is a region
    ("lead_provider", ("provider:RHA",), "none"),
    ("provider", ("collaborative:IMPACT",), "mhsds"),
    ("crg", ("collaborative:NORTH",), "none"),  # exact figures need patient-level access
    ("viewer", ("unit:U3",), "none"),
    ("national", ("national",), "exact"),
    ("superuser", ("national",), "mhsds"),
    ("viewer", ("galaxy:X",), "mhsds"),
])
def test_viewer_refuses_inconsistent_set_ups(role, home, rule):
    with pytest.raises(ValueError):
        Viewer("x", role, home, rule)


@pytest.mark.parametrize("role", list(VIEWERS))
def test_kpi_table_through_the_viewer(fixture_engine, role):
    """kpi_table: AccessDenied outside the role's nodes; inside, the trusted figures (money blanked per FINANCE)."""
    viewer = VIEWERS[role]
    for key in ["national", "region:Y60", "collaborative:IMPACT", "collaborative:NORTH", "provider:RHA",
                "provider:NQ1", "unit:U2", "ward:W4", "ward:W5"]:
        level, code = _node(key)
        if key not in SEE[role]:
            with pytest.raises(AccessDenied, match="does not give access"):
                kpi_table(fixture_engine, level, code, *P1, viewer=viewer)
            continue
        shown = kpi_table(fixture_engine, level, code, *P1, viewer=viewer).set_index("kpi_id")
        trusted = kpi_table(fixture_engine, level, code, *P1).set_index("kpi_id")
        assert shown.loc["occupied_bed_days", "value"] == trusted.loc["occupied_bed_days", "value"]
        money = shown.loc[MONEY_IDS, "value"]
        if key in FINANCE[role]:
            assert money.equals(trusted.loc[MONEY_IDS, "value"])
        else:
            assert money.isna().all()


def test_kpi_table_hand_worked_for_the_lead_provider(fixture_engine):
    table = kpi_table(fixture_engine, "collaborative", "IMPACT", *P1, viewer=LEAD).set_index("kpi_id")
    assert table.loc["occupied_bed_days", "value"] == 45  # tests/expected_fixture.py
    assert table.loc["admissions", "value"] == 3
    assert float(table.loc["budget_gbp", "value"]) == 279000
    # The provider NQ1 may not see RHA's budget (150,000) but sees IMPACT's total.
    rha = kpi_table(fixture_engine, "provider", "RHA", *P1, viewer=PROV).set_index("kpi_id")
    assert rha.loc["occupied_bed_days", "value"] == 38 and rha[["value"]].loc[MONEY_IDS].isna().all().all()
    impact = kpi_table(fixture_engine, "collaborative", "IMPACT", *P1, viewer=PROV).set_index("kpi_id")
    assert float(impact.loc["budget_gbp", "value"]) == 279000


def test_child_table_lists_only_visible_children_with_their_rule(fixture_engine):
    # IMPACT's lead provider on unit U2: W3 only (W4 is CAMHS's), exact (patient-level on W3).
    u2 = child_table(fixture_engine, "unit", "U2", *P1, viewer=LEAD)
    assert sorted(u2["code"].unique()) == ["W3"] and set(u2["rule"]) == {"none"}
    # On IMPACT: RHA exact, NQ1 (holds CAMHS's W4) under mhsds.
    impact = child_table(fixture_engine, "collaborative", "IMPACT", *P1, viewer=LEAD)
    assert impact.groupby("code")["rule"].first().to_dict() == {"NQ1": "mhsds", "RHA": "none"}
    # The meeting viewer on U3: W5 and W7.
    assert sorted(child_table(fixture_engine, "unit", "U3", *P1, viewer=VIEW)["code"].unique()) == ["W5", "W7"]
    # The trusted caller: both wards, no rule column (tests/test_kpis.py's contract).
    trusted = child_table(fixture_engine, "unit", "U2", *P1)
    assert sorted(trusted["code"].unique()) == ["W3", "W4"] and "rule" not in trusted.columns
    for viewer, level, code in [(LEAD, "collaborative", "NORTH"), (COM, "national", None), (VIEW, "provider", "RX4"),
                                (CRG, "region", "Y63")]:
        with pytest.raises(AccessDenied):
            child_table(fixture_engine, level, code, *P1, viewer=viewer)


def test_no_f_string_sql_with_values_in_data_access():
    """Bound parameters everywhere: no text() SQL built with f-strings or % in data_access (bulk.py's table
    names are internal constants from the schema, and rls.py's setting names are constants)."""
    from pathlib import Path

    allowed = {"bulk.py", "rls.py"}
    for path in (Path(__file__).resolve().parent.parent / "data_access").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for marker in ('text(f"', "text(f'", 'exec_driver_sql(f"', "exec_driver_sql(f'", 'execute(f"', "execute(f'"):
            assert path.name in allowed or marker not in text, f"{path.name}: {marker}"



# ---- The app: crafted URL parameters, session state, sign-in (AppTest on a DuckDB fixture file) ----

@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    from tests.browser import build_duckdb_file
    from tests.fixture_db import build_fixture

    return build_duckdb_file(tmp_path_factory.mktemp("access") / "fixture.duckdb", build_fixture)


def _run(monkeypatch, url, role=None, home=None, secrets=None, user=None, page=None, **params):
    from tests.apptest import run_app

    if role:
        monkeypatch.setenv("PCD_LOCAL_ROLE", role)
    if home:
        monkeypatch.setenv("PCD_LOCAL_SCOPE", home)
    return run_app(monkeypatch, url, page, secrets=secrets, user=user, **params)


def _text(at) -> str:
    return " ".join(e.value for kind in (at.warning, at.info, at.error, at.caption, at.markdown) for e in kind)


@pytest.mark.parametrize("crafted", ["national", "region:Y60", "collaborative:NORTH", "collaborative:CAMHS",
                                     "provider:RX4", "unit:U3", "ward:W4"])
def test_url_outside_the_role_falls_back_to_the_home(monkeypatch, app_url, crafted):
    at = _run(monkeypatch, app_url, scope=crafted, **{"from": "2024-03-01", "to": "2024-03-10"})
    assert not at.exception
    assert any("Your role does not give access to" in w.value and "showing your organisation" in w.value
               for w in at.warning)
    assert at.title[0].value == "IMPACT"
    assert at.query_params["scope"] == "collaborative:IMPACT"


def test_no_scope_in_the_url_starts_at_the_home(monkeypatch, app_url):
    at = _run(monkeypatch, app_url)
    assert at.title[0].value == "IMPACT"
    shown = " ".join(i.value for i in at.sidebar.info)
    assert "Local mode: role **lead_provider** for IMPACT — provider collaborative" in shown


def test_bad_scope_falls_back_to_the_home(monkeypatch, app_url):
    at = _run(monkeypatch, app_url, scope="galaxy:X1")
    assert any("Showing IMPACT — provider collaborative instead" in e.value for e in at.error)
    assert at.title[0].value == "IMPACT"


def test_session_state_cannot_widen_access(monkeypatch, app_url):
    from data_access.scope import Scope
    from ui.context import Context

    at = _run(monkeypatch, app_url, scope="collaborative:IMPACT")
    forged = Context(url=app_url, engine=None, scope=Scope("collaborative", "NORTH", "North"), viewer=NAT)
    at.session_state["ctx"] = forged
    at.session_state["viewer"] = NAT
    at.run()
    assert not at.exception
    assert at.title[0].value == "IMPACT"


def test_sidebar_lists_only_visible_organisations(monkeypatch, app_url):
    at = _run(monkeypatch, app_url)
    collaboratives = at.sidebar.selectbox(key="pick_collaborative").options
    assert "North East and Yorkshire Adult Secure" not in collaboratives and "IMPACT" in collaboratives


def test_provider_role_sees_other_scopes_as_aggregates(monkeypatch, app_url):
    at = _run(monkeypatch, app_url, role="provider", home="provider:NQ1", scope="collaborative:NORTH")
    assert not at.exception and not at.warning
    assert at.title[0].value.startswith("North East and Yorkshire Adult Secure")
    assert "Disclosure rule: mhsds" in _text(at)


def test_local_scope_that_does_not_suit_the_role_is_refused(monkeypatch, app_url):
    at = _run(monkeypatch, app_url, role="commissioner", home="collaborative:IMPACT")
    assert not at.exception
    assert any("does not suit the commissioner role" in e.value for e in at.error)
    assert len(at.title) == 1 and at.title[0].value == "Provider Collaborative Dashboard"


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "id",
        "client_secret": "secret", "server_metadata_url": "https://login.example/.well-known/openid-configuration"}
ROLES = {"user": [{"email": "Lead@Impact.nhs.uk", "role": "lead_provider", "home": ["collaborative:IMPACT"]}],
         "group": [{"claim": "groups", "value": "g-national", "role": "national"}],
         "domain": [{"domain": "north.nhs.uk", "role": "crg", "home": ["collaborative:NORTH"]}]}


def test_sign_in_screen_when_not_signed_in(monkeypatch, app_url):
    at = _run(monkeypatch, app_url, secrets={"auth": AUTH, "roles": ROLES}, user={"is_logged_in": False})
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert at.title[0].value == "Provider Collaborative Dashboard"


def test_signed_in_user_gets_the_mapped_role(monkeypatch, app_url):
    user = {"is_logged_in": True, "email": "lead@impact.nhs.uk", "name": "Lead"}
    at = _run(monkeypatch, app_url, secrets={"auth": AUTH, "roles": ROLES}, user=user, scope="collaborative:NORTH")
    assert at.title[0].value == "IMPACT"
    assert "Signed in as lead@impact.nhs.uk: **lead_provider**" in " ".join(c.value for c in at.sidebar.caption)
    group = {"is_logged_in": True, "email": "someone@example.org", "groups": ["g-other", "g-national"]}
    at = _run(monkeypatch, app_url, secrets={"auth": AUTH, "roles": ROLES}, user=group, scope="collaborative:NORTH")
    assert at.title[0].value.startswith("North East and Yorkshire") and not at.warning


def test_unknown_user_sees_only_a_message(monkeypatch, app_url):
    user = {"is_logged_in": True, "email": "stranger@example.org"}
    at = _run(monkeypatch, app_url, secrets={"auth": AUTH, "roles": ROLES}, user=user)
    assert not at.exception
    assert any("has no role in this dashboard" in w.value for w in at.warning)
    assert [t.value for t in at.title] == ["Provider Collaborative Dashboard"]
    assert not at.dataframe and not at.metric


def test_export_obeys_the_rules(monkeypatch, app_url):
    """The Overview's Excel export for IMPACT's lead provider, asked for NORTH: IMPACT's children, RHA exact
    (patient-level access) and NQ1 under mhsds (it also holds CAMHS's W4): admissions RHA 3 (all three IMPACT
    admissions, tests/expected_fixture.py), NQ1 1 (P12 to W4 on 03-06, R06) shown as *."""
    import io

    import openpyxl
    import streamlit as st

    captured = {}

    def fake_button(label, data, file_name=None, **kwargs):
        captured.update(data=data, file_name=file_name)
        return False

    monkeypatch.setattr(st, "download_button", fake_button)
    _run(monkeypatch, app_url, scope="collaborative:NORTH", **{"from": "2024-03-01", "to": "2024-03-10"})
    assert captured["file_name"] == "overview_collaborative_IMPACT_2024-03-01_2024-03-10.xlsx"
    data = captured["data"]() if callable(captured["data"]) else captured["data"]  # built on click
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Overview"]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    admissions = next(h for h in header if h.startswith("Admissions"))
    assert rows["Nottinghamshire Healthcare NHS Foundation Trust"][admissions] == 3
    assert rows["St Andrew's Healthcare"][admissions] == "*"
    about = {r[0]: r[1] for r in book["About"].iter_rows(min_row=2, values_only=True)}
    assert about["Scope"] == "IMPACT (collaborative:IMPACT)" and about["Disclosure rule"].startswith("none")


def test_roles_mapping_from_the_example_file(tmp_path):
    """roles.toml.example, read through the roles_file setting: precedence e-mail > claim > domain."""
    from pathlib import Path

    from ui.auth import map_user, roles_table

    example = Path(__file__).resolve().parent.parent / "roles.toml.example"
    table = roles_table({}, {"roles_file": str(example)})
    jane = map_user({"email": "Jane.Smith@NHS.net"}, table).viewer
    assert (jane.role, jane.home, jane.rule) == ("lead_provider", ("collaborative:IMPACT",), "none")
    assert map_user({"email": "a@england.nhs.uk"}, table).viewer is None
    assert map_user({"email": "analyst@england.nhs.uk"}, table).viewer.home == ("national",)
    group = map_user({"email": "x@nottshc.nhs.uk", "groups": ["00000000-0000-0000-0000-000000000000"]}, table)
    assert group.viewer.role == "commissioner"  # a claim match beats the domain match
    assert map_user({"email": "x@nottshc.nhs.uk"}, table).viewer.home == ("provider:RHA",)
    assert map_user({"email": "x@evilnottshc.nhs.uk"}, table).viewer is None
    assert map_user({"email": "x@nottshc.nhs.uk", "email_verified": False}, table).viewer is None
    assert map_user({"preferred_username": "jane.smith@nhs.net"}, table).viewer.role == "lead_provider"
    assert map_user({"email": "x@crg.example.nhs.uk"}, table).viewer.rule == "hes"
    bad = {"user": [{"email": "a@b.nhs.uk", "role": "crg", "home": ["collaborative:IMPACT"], "disclosure": "none"}]}
    refused = map_user({"email": "a@b.nhs.uk"}, bad)
    assert refused.viewer is None and "set up wrongly" in refused.message
    assert roles_table({}, {"roles_file": str(tmp_path / "missing.toml")}) == {}
