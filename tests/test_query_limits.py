"""query_timeout_seconds (issue 14): a query past it is stopped on both engines and its view shows a message
while the rest of the page is drawn; every load path refreshes the planner's statistics (ANALYZE)."""

import datetime as dt
import time

import pytest
import sqlalchemy as sa

import settings
from data_access import bulk, replay
from data_access.dialect import QueryTimeout, spec_for, timeout_message
from tests.apptest import run_app
from tests.browser import build_duckdb_file
from tests.databases import empty_database
from tests.fixture_db import build_fixture

SLOW = {"duckdb": "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b",
        "postgresql": "SELECT pg_sleep(30)"}


def test_setting_has_limits_and_a_default_well_under_a_minute():
    values, problems = settings.load({})
    assert values["query_timeout_seconds"] == 20.0 and not problems
    for bad in (0, 601, "soon"):
        values, problems = settings.load({"settings": {"query_timeout_seconds": bad}})
        assert values["query_timeout_seconds"] == 20.0 and len(problems) == 1


def test_a_query_past_the_limit_is_stopped_and_the_connection_still_works(empty_engine):
    spec_for(empty_engine).limit_queries(empty_engine, 0.5)
    started = time.perf_counter()
    with pytest.raises(QueryTimeout, match="longer than 0.5 seconds"):
        with empty_engine.connect() as conn:
            conn.execute(sa.text(SLOW[empty_engine.dialect.name])).scalar()
    assert time.perf_counter() - started < 10
    with empty_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ward")).scalar() == 0
    spec_for(empty_engine).limit_queries(empty_engine, 0)
    with empty_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("limits") / "fixture.duckdb", build_fixture)


def test_a_view_past_the_limit_shows_a_message_and_the_rest_of_the_page_is_drawn(monkeypatch, fixture_url):
    import data_access.child_queries as child_queries

    def slow(conn, *args):
        conn.execute(sa.text(SLOW["duckdb"])).scalar()

    monkeypatch.setattr(child_queries, "child_aggregates", slow)
    monkeypatch.setenv("PCD_QUERY_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("PCD_LOCAL_ROLE", "national")
    monkeypatch.setenv("PCD_LOCAL_SCOPE", "national")
    at = run_app(monkeypatch, fixture_url, "app_pages/overview.py", scope="national")
    assert not at.exception
    assert [w.value for w in at.warning] == [timeout_message(2.0)]
    assert len(at.metric) >= 8  # the headline tiles are still there


def _analysed(conn, table: str) -> bool:
    if conn.dialect.name == "duckdb":
        return True  # DuckDB keeps no analyse time; ANALYZE ran if no error was raised
    return conn.execute(sa.text("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
                                "WHERE relname = :t AND schemaname = current_schema()"), {"t": table}).scalar()


@pytest.mark.parametrize("kind", ["duckdb", "postgresql"])
def test_replay_analyses_what_it_wrote(kind, tmp_path):
    engine, cleanup = empty_database(kind, tmp_path)
    try:
        build_fixture(engine)
        with engine.connect() as conn:
            assert kind == "duckdb" or not _analysed(conn, "bed_state")
        replay.replay(engine, dt.date(2024, 3, 10), interval=0, log=lambda _: None)
        with engine.connect() as conn:
            assert _analysed(conn, "bed_state")
            bulk.analyze(conn, ["ward", "ward_stay"])
            assert _analysed(conn, "ward_stay")
    finally:
        cleanup()


def test_the_app_engine_runs_postgresql_without_jit(empty_engine):
    """The engine spec's session settings: JIT off on PostgreSQL (its compile time outweighs what it saves on
    the dashboard's aggregates); nothing to set on DuckDB. Idempotent: preparing twice adds one listener."""
    spec = spec_for(empty_engine)
    spec.prepare(empty_engine)
    spec.prepare(empty_engine)
    empty_engine.dispose()  # new connections get the settings
    with empty_engine.connect() as conn:
        if empty_engine.dialect.name == "postgresql":
            assert conn.execute(sa.text("SHOW jit")).scalar() == "off"
        else:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
