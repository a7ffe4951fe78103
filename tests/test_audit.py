"""The audit trail: rows for each action, never patient identifiers, never breaking a page; who may read it."""

import datetime as dt
import types

import pytest
import sqlalchemy as sa

from data_access import audit
from data_access.access import AccessDenied, Viewer
from data_access.schema import audit_log

NAT = Viewer("nat@example.nhs.uk", "national", ("national",))
LEAD = Viewer("lead@impact.nhs.uk", "lead_provider", ("collaborative:IMPACT",), "none")
CRG = Viewer("crg@north.nhs.uk", "crg", ("collaborative:NORTH",))
TODAY = dt.date.today()


def _rows(engine):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(audit_log).order_by(audit_log.c.at)).mappings()]


def test_record_writes_one_row_without_patient_identifiers(empty_engine):
    assert audit.record(empty_engine, LEAD, "view", audit.target("Overview", "collaborative:IMPACT"),
                        {"from": "2024-03-01", "to": "2024-03-10", "patient_id": "P01", "referral_id": "R01"})
    (row,) = _rows(empty_engine)
    assert row["user_id"] == "lead@impact.nhs.uk" and row["role"] == "lead_provider" and row["action"] == "view"
    assert row["target"] == "Overview @ collaborative:IMPACT"
    assert row["detail"] == '{"from": "2024-03-01", "to": "2024-03-10"}'
    assert "P01" not in str(row) and "R01" not in str(row)


def test_unknown_user_and_bad_action(empty_engine):
    assert audit.record(empty_engine, None, "denied", audit.target("Sign-in", None), {"reason": "no role"},
                        user_id="stranger@example.org")
    assert not audit.record(empty_engine, NAT, "delete", "x")  # not an action: refused, logged, no exception
    (row,) = _rows(empty_engine)
    assert (row["user_id"], row["role"], row["target"]) == ("stranger@example.org", "unknown", "Sign-in @ none")


def test_a_held_row_is_written_first_with_the_next_one_or_by_flush(empty_engine, monkeypatch):
    """The router holds a session's login row for its first view row: one transaction, the login first."""
    audit.hold(LEAD, "login", audit.target("Sign-in", "collaborative:IMPACT"))
    assert _rows(empty_engine) == []
    writes = []
    monkeypatch.setattr(audit, "_write", lambda engine, rows, original=audit._write: writes.append(len(rows))
                        or original(engine, rows))
    assert audit.record(empty_engine, LEAD, "view", audit.target("Overview", "collaborative:IMPACT"))
    assert writes == [2] and [r["action"] for r in _rows(empty_engine)] == ["login", "view"]
    assert not audit.flush(empty_engine)  # nothing held any more
    audit.hold(LEAD, "login", audit.target("Sign-in", "collaborative:IMPACT"))
    assert audit.flush(empty_engine) and [r["action"] for r in _rows(empty_engine)] == ["login", "view", "login"]


def test_a_broken_database_never_breaks_the_page():
    engine = sa.create_engine("postgresql+psycopg://nobody:pw@127.0.0.1:1/none")
    assert audit.record(engine, NAT, "view", "Overview @ national") is False


def test_read_per_role(empty_engine):
    for viewer, target in [(LEAD, "Overview @ collaborative:IMPACT"), (LEAD, "Overview @ provider:RHA"),
                           (CRG, "Overview @ collaborative:NORTH"), (NAT, "Overview @ national"),
                           (LEAD, "Scope @ collaborative:NORTH")]:
        audit.record(empty_engine, viewer, "view" if "Scope" not in target else "denied", target)
    # the hierarchy the lead provider's access is worked out from
    from tests.fixture_db import build_fixture

    build_fixture(empty_engine)
    with empty_engine.connect() as conn:
        everything = audit.read(conn, NAT, TODAY, TODAY)
        assert len(everything) == 5
        mine = audit.read(conn, LEAD, TODAY, TODAY)
        assert sorted(mine["target"]) == ["Overview @ collaborative:IMPACT", "Overview @ provider:RHA"]
        assert audit.read(conn, NAT, TODAY, TODAY, actions=("denied",))["target"].tolist() == [
            "Scope @ collaborative:NORTH"]
        assert len(audit.read(conn, NAT, TODAY, TODAY, user_contains="NORTH.nhs")) == 1
        assert audit.read(conn, NAT, TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=1)).empty
        with pytest.raises(AccessDenied):
            audit.read(conn, CRG, TODAY, TODAY)


def test_export_click_is_audited(empty_engine):
    from data_access.scope import Scope
    from ui import exports

    ctx = types.SimpleNamespace(engine=empty_engine, viewer=LEAD, scope=Scope("collaborative", "IMPACT", "IMPACT"),
                                start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 10), rule="none")
    exports._record_export(ctx, "Overview export", "overview.xlsx")
    (row,) = _rows(empty_engine)
    assert row["action"] == "export" and row["target"] == "Overview export @ collaborative:IMPACT"
    assert row["detail"] == '{"file": "overview.xlsx", "from": "2024-03-01", "rule": "none", "to": "2024-03-10"}'


# ---- The app writes the rows ----

@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    from tests.browser import build_duckdb_file
    from tests.fixture_db import build_fixture

    return build_duckdb_file(tmp_path_factory.mktemp("audit") / "fixture.duckdb", build_fixture)


def _app_rows(url):
    engine = sa.create_engine(url)
    try:
        return _rows(engine)
    finally:
        engine.dispose()


def test_app_writes_login_view_and_denied_rows(monkeypatch, app_url):
    from tests.apptest import run_app

    before = len(_app_rows(app_url))
    at = run_app(monkeypatch, app_url, scope="collaborative:NORTH", **{"from": "2024-03-01", "to": "2024-03-10"})
    assert not at.exception
    new = _app_rows(app_url)[before:]
    assert [(r["action"], r["target"]) for r in new] == [
        ("login", "Sign-in @ collaborative:IMPACT"),
        ("denied", "Scope @ collaborative:NORTH"),
        ("view", "Overview @ collaborative:IMPACT"),
    ]
    assert all(r["user_id"] == "local user" and r["role"] == "lead_provider" for r in new)
    assert new[2]["detail"] == '{"from": "2024-03-01", "rule": "none", "to": "2024-03-10"}'
    at.run()  # the same page, scope and period again: no second view row
    assert len(_app_rows(app_url)) == before + 3


def test_audit_page_shows_the_rows(monkeypatch, app_url):
    from tests.apptest import run_app

    at = run_app(monkeypatch, app_url, "app_pages/audit.py")
    assert not at.exception
    assert at.title[-1].value == "Audit trail"
    table = at.dataframe[0].value
    assert {"When", "User", "Role", "Action", "What @ scope"} <= set(table.columns)
    assert (table["What @ scope"] == "Overview @ collaborative:IMPACT").any()


def test_audit_page_is_not_in_the_menu_for_other_roles(monkeypatch, app_url):
    from tests.apptest import run_app

    monkeypatch.setenv("PCD_LOCAL_ROLE", "crg")
    at = run_app(monkeypatch, app_url)
    assert not at.exception
    with pytest.raises(Exception):  # noqa: B017 - AppTest refuses a page that st.navigation does not list
        at.switch_page("app_pages/audit.py").run()
