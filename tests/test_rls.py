"""PostgreSQL row-level security (scripts/postgres_rls.sql): row counts per viewer as a non-owner app role.

Fixture (tests/fixture_db.py): 16 patients. IMPACT's lead provider (home collaborative:IMPACT) sees the
patients with a stay, referral or intervention on IMPACT's wards (W1–W3) or an IMPACT referral, or whose
home locality is IMPACT's (L1, L2), never the others. Worked out in the test from the rows themselves,
and checked against the hand list: CAMHS-only P11 (L2 home, so IMPACT's home patient) is visible; P12
(L3, CAMHS ward W4) is not.
"""

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from data_access import kpi_queries, rls
from data_access.access import Viewer
from data_access.engine import meanwhile
from tests.databases import drop_postgres_schema, new_postgres_engine, postgres_url
from tests.fixture_db import PATIENTS, build_fixture

LEAD = Viewer("lead", "lead_provider", ("collaborative:IMPACT",), "none")
NORTH_VIEW = Viewer("meeting", "viewer", ("unit:U3",))
NAT = Viewer("nat", "national", ("national",))
L1_L2 = {p["patient_id"] for p in PATIENTS if p["home_locality_code"] in ("L1", "L2")}


@pytest.fixture(scope="module")
def databases():
    """(owner engine, app engine as a fresh non-owner role), on a fresh schema; all removed afterwards."""
    url = postgres_url()
    owner, schema = new_postgres_engine(url)
    from data_access.schema import create_all

    create_all(owner)
    build_fixture(owner)
    role = f"pcd_app_{uuid.uuid4().hex[:8]}"
    rls.apply(owner, role)
    with owner.begin() as conn:
        conn.execute(sa.text(f"ALTER ROLE {role} LOGIN PASSWORD 'test-only'"))
    app_url = sa.engine.make_url(url).set(username=role, password="test-only")
    app = sa.create_engine(app_url, connect_args={"options": f"-csearch_path={schema}"})
    yield owner, app, role
    app.dispose()
    owner.dispose()
    drop_postgres_schema(url, schema)
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP OWNED BY {role}"))
        conn.execute(sa.text(f"DROP ROLE {role}"))
    admin.dispose()


def _count(app, viewer, table):
    rls._viewer.set(viewer)
    with app.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()  # table: a constant of the test


def _ids(app, viewer, sql):
    rls._viewer.set(viewer)
    with app.connect() as conn:
        return {r[0] for r in conn.execute(sa.text(sql))}


def test_app_role_is_not_the_owner_and_has_no_bypass(databases):
    _, app, role = databases
    with app.connect() as conn:
        row = conn.execute(sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
        assert tuple(row) == (False, False)
        forced = conn.execute(sa.text("SELECT relname FROM pg_class WHERE relforcerowsecurity AND relrowsecurity "
                                      "AND relnamespace = current_schema()::regnamespace ORDER BY relname")).all()
    assert [r[0] for r in forced] == ["hospital_spell", "leave_episode", "patient", "patient_month_fact", "referral",
                                     "restrictive_intervention", "ward_stay", "ward_stay_fact"]


def test_install_names_the_viewer_per_transaction(databases):
    owner, app, _ = databases
    assert rls.install(app) and not rls.install(sa.create_engine("duckdb:///:memory:"))
    everyone = _count(owner, None, "patient")
    assert everyone == 16
    assert _count(app, NAT, "patient") == 16
    assert _count(app, None, "patient") == 0  # no viewer named: nothing (fails closed)
    lead = _ids(app, LEAD, "SELECT patient_id FROM patient")
    # IMPACT: home patients (L1, L2) + those placed on IMPACT wards or referred to IMPACT (all L1/L2 here).
    assert lead == L1_L2
    assert "P12" not in lead and "P11" in lead
    assert len(lead) == 9


def test_counts_per_viewer_on_every_patient_table(databases):
    _, app, _ = databases
    for table in ("patient", "referral", "hospital_spell", "ward_stay", "ward_stay_fact", "leave_episode",
                  "restrictive_intervention", "patient_month_fact"):
        everything = _count(app, NAT, table)
        assert 0 < _count(app, LEAD, table) < everything or table == "leave_episode", table
        assert _count(app, NORTH_VIEW, table) < everything, table
    wards = _ids(app, LEAD, "SELECT DISTINCT ward_code FROM restrictive_intervention")
    assert wards <= {"W1", "W2", "W3"}
    refs = _ids(app, LEAD, "SELECT collaborative_id FROM referral")
    assert refs <= {"IMPACT"} | set()  # IMPACT's referrals, and referrals admitted to IMPACT wards (all IMPACT's)


def test_the_stay_facts_show_the_viewer_the_stays_it_sees(databases):
    _, app, _ = databases
    for viewer in (LEAD, NORTH_VIEW, NAT):
        assert _ids(app, viewer, "SELECT ward_stay_id FROM ward_stay_fact") == \
            _ids(app, viewer, "SELECT ward_stay_id FROM ward_stay")


def test_periods_side_by_side_run_as_the_viewer(databases):
    """kpi_aggregates_for_periods runs each period on its own thread and connection: each runs as the viewer the
    row-level security names, not as nobody (no patient rows)."""
    _, app, _ = databases
    rls.install(app)
    rls._viewer.set(LEAD)
    periods = [(dt.date(2024, 3, 1), dt.date(2024, 3, 10)), (dt.date(2024, 2, 1), dt.date(2024, 2, 29))]
    names = ["spells", "census_wards"]
    together = kpi_queries.kpi_aggregates_for_periods(app, "collaborative", "IMPACT", periods, names)
    alone = [kpi_queries.kpi_aggregates(app, "collaborative", "IMPACT", start, end, names) for start, end in periods]
    assert together == alone
    assert together[0]["census_wards"]["current_n"] > 0


def test_work_meanwhile_runs_as_the_viewer(databases):
    """engine.meanwhile (a reader on a second connection, in a thread) runs as the caller's viewer."""
    _, app, _ = databases
    rls.install(app)
    rls._viewer.set(LEAD)

    def stays(conn):
        return conn.execute(sa.text("SELECT count(*) FROM ward_stay_fact")).scalar()

    with meanwhile(app, stays) as side:
        with app.connect() as conn:
            here = stays(conn)
        assert 0 < side() == here < _count(app, NAT, "ward_stay_fact")


def test_setting_is_transaction_local(databases):
    _, app, _ = databases
    rls._viewer.set(LEAD)
    with app.connect() as conn:
        assert conn.execute(sa.text("SELECT current_setting('pcd.viewer_home', true)")).scalar() == \
            "collaborative:IMPACT"
        conn.commit()
        rls._viewer.set(None)
        assert conn.execute(sa.text("SELECT count(*) FROM patient")).scalar() == 0
