"""The pre-aggregated facts (ward_stay_fact, ward_day_census: docs/facts.md) give exactly what the raw tables
give, on the hand-built fixture and both engines; the aggregate layer's grains add up to the node's total."""

import datetime as dt
import math
from collections import Counter

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import facts
from data_access.aggregates import census_days, census_totals
from data_access.dialect import EARTH_RADIUS_KM
from data_access.kpi_queries import stay_facts

D = dt.date
COLUMNS = ["day", "ward_code", "sex", "security_level", "home_region_code", "home_collaborative_id", "out_of_area"]


def _rows(conn, sql):
    return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def _raw_census(conn) -> Counter:
    """(day, ward, sex, security, home region, home collaborative, out of area) -> [in bed, on leave, ready],
    worked out in Python, day by day, from ward_stay, hospital_spell, patient, locality and leave_episode."""
    days = [r[0] for r in _rows(conn, 'SELECT "date" FROM calendar ORDER BY 1')]
    stays = _rows(conn, """
        SELECT ws.ward_stay_id, ws.ward_code, ws.start_date, ws.end_date, s.ready_for_discharge_date, p.sex,
               w.security_level, w.collaborative_id, loc.region_code, lc.collaborative_id
        FROM ward_stay ws JOIN hospital_spell s ON s.spell_id = ws.spell_id
        JOIN patient p ON p.patient_id = s.patient_id JOIN ward w ON w.ward_code = ws.ward_code
        JOIN locality loc ON loc.locality_code = p.home_locality_code
        LEFT JOIN locality_collaborative lc ON lc.locality_code = p.home_locality_code
             AND lc.service_line = w.service_line""")
    leave = _rows(conn, "SELECT ward_stay_id, start_date, end_date FROM leave_episode")
    out: dict[tuple, list[int]] = {}
    for stay_id, ward, start, end, ready, sex, security, ward_collab, home_region, home_collab in stays:
        ooa = 1 if home_collab is None or home_collab != ward_collab else 0
        for day in days:
            if not (start <= day and (end is None or end > day)):
                continue
            cell = out.setdefault((day, ward, sex, security, home_region, home_collab, ooa), [0, 0, 0])
            cell[0] += 1
            cell[2] += 1 if ready is not None and ready <= day else 0
            cell[1] += sum(1 for s, ls, le in leave if s == stay_id and ls <= day and (le is None or le > day))
    return Counter({k: tuple(v) for k, v in out.items()})


STAY_COLUMNS = ["ward_stay_id", "spell_id", "ward_code", "start_date", "end_date", "patient_id", "admission_date",
                "discharge_date", "ready_for_discharge_date", "spell_provider", "unit_code", "provider_code",
                "ward_collab", "ward_region", "service_line", "security_level", "sex", "home_region", "home_collab",
                "out_of_area", "distance_km"]


def _km(lat1, lon1, lat2, lon2) -> float:
    dlat, dlon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _raw_stays(conn) -> dict:
    """ward_stay_id -> the stay's fact row, from a plain join of the raw tables, flag and distance in Python."""
    rows = _rows(conn, """
        SELECT ws.ward_stay_id, ws.spell_id, ws.ward_code, ws.start_date, ws.end_date, s.patient_id, s.admission_date,
               s.discharge_date, s.ready_for_discharge_date, s.provider_code, w.unit_code, u.provider_code,
               w.collaborative_id, c.region_code, w.service_line, w.security_level, p.sex, loc.region_code,
               lc.collaborative_id, w.nationally_commissioned, loc.latitude, loc.longitude, u.latitude, u.longitude
        FROM ward_stay ws JOIN hospital_spell s ON s.spell_id = ws.spell_id
        JOIN patient p ON p.patient_id = s.patient_id JOIN ward w ON w.ward_code = ws.ward_code
        JOIN unit u ON u.unit_code = w.unit_code JOIN collaborative c ON c.collaborative_id = w.collaborative_id
        JOIN locality loc ON loc.locality_code = p.home_locality_code
        LEFT JOIN locality_collaborative lc ON lc.locality_code = p.home_locality_code
             AND lc.service_line = w.service_line""")
    out = {}
    for row in rows:
        ward_collab, home_collab, national = row[12], row[18], row[19]
        ooa = 0 if national else int(home_collab is None or home_collab != ward_collab)
        out[row[0]] = (*row[:19], ooa, _km(*row[20:]))
    return out


def test_ward_stay_fact_is_the_raw_join(fixture_engine):
    with fixture_engine.connect() as conn:
        expected = _raw_stays(conn)
        got = _rows(conn, f"SELECT {', '.join(STAY_COLUMNS)} FROM ward_stay_fact")
        stays = conn.execute(sa.text("SELECT count(*) FROM ward_stay")).scalar()
    assert len(expected) == stays  # every stay has its spell, patient, ward and home locality
    actual = {r[0]: r for r in got}
    assert len(actual) == len(got) == len(expected) > 0
    for stay_id, row in expected.items():
        fact = actual[stay_id]
        assert fact[:-1] == row[:-1], stay_id
        assert fact[-1] == pytest.approx(row[-1], abs=1e-6), stay_id


def test_stay_facts_reads_the_table_with_the_join_columns(fixture_engine):
    with fixture_engine.connect() as conn:
        table = sorted(tuple(r) for r in conn.execute(sa.select(stay_facts())).all())
        joined = sorted(tuple(r) for r in conn.execute(facts.stay_rows()).all())
    assert list(stay_facts().c.keys()) == list(facts.stay_rows().selected_columns.keys()) == STAY_COLUMNS
    assert table == joined


def test_ward_day_census_is_the_raw_tables_day_by_day(fixture_engine):
    with fixture_engine.connect() as conn:
        expected = _raw_census(conn)
        got = _rows(conn, f"SELECT {', '.join(COLUMNS)}, patients, on_leave, ready_for_discharge FROM ward_day_census")
    actual = Counter({(pd.Timestamp(r[0]).date(), *r[1:7]): tuple(r[7:]) for r in got})
    assert len(got) == len(actual) and actual == expected


def test_refresh_rebuilds_the_same_facts(fixture_engine):
    sql = "SELECT * FROM ward_day_census ORDER BY day, ward_code, sex, home_collaborative_id, out_of_area"
    with fixture_engine.connect() as conn:
        before = _rows(conn, sql)
    with fixture_engine.begin() as conn:
        assert facts.refresh(conn) == len(before)
    with fixture_engine.connect() as conn:
        assert _rows(conn, sql) == before


def test_grains_add_up_to_the_node(fixture_engine):
    start, end = D(2024, 1, 1), D(2024, 3, 31)
    with fixture_engine.connect() as conn:
        total = census_totals(conn, "national", None, start, end)
        assert total["obd"] > 0
        for grain in ("day", "month", "ward", "provider", "collaborative", "security_level", "sex"):
            frame = census_days(conn, "national", None, start, end, by=(grain,))
            assert {m: int(frame[m].sum()) for m in total} == total, grain
        home = census_days(conn, "national", None, start, end, by=("collaborative",), follow="home")
        assert int(home["obd"].sum()) == total["obd"]
        assert int(home["out_of_area_days"].sum()) == total["out_of_area_days"]


def test_a_database_loaded_before_the_facts_gets_them(fixture_engine):
    sql = "SELECT * FROM ward_day_census ORDER BY day, ward_code, sex, home_collaborative_id, out_of_area"
    with fixture_engine.begin() as conn:
        before = _rows(conn, sql)
        conn.execute(sa.text("DELETE FROM ward_day_census"))
    with fixture_engine.connect() as conn:
        assert facts.missing(conn)
    assert facts.build(fixture_engine) == len(before)
    with fixture_engine.connect() as conn:
        assert not facts.missing(conn) and _rows(conn, sql) == before


def test_a_database_without_the_stay_facts_gets_them(fixture_engine):
    sql = "SELECT * FROM ward_stay_fact ORDER BY ward_stay_id"
    with fixture_engine.connect() as conn:
        before = _rows(conn, sql)
    with fixture_engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE ward_stay_fact"))
    with fixture_engine.connect() as conn:
        assert facts.missing(conn)
    facts.build(fixture_engine)
    with fixture_engine.connect() as conn:
        assert not facts.missing(conn) and _rows(conn, sql) == before
    with fixture_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM ward_stay_fact"))
    with fixture_engine.connect() as conn:
        assert facts.missing(conn)
    facts.build(fixture_engine)


def test_a_rebuild_leaves_no_dead_rows_behind(fixture_engine):
    """facts.build tidies after it commits: on PostgreSQL no dead row of the old facts is left for reads to visit."""
    facts.build(fixture_engine)
    if fixture_engine.dialect.name != "postgresql":
        return
    with fixture_engine.connect() as conn:
        dead = conn.execute(sa.text("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'ward_day_census' "
                                    "AND schemaname = current_schema()")).scalar()
    assert dead == 0
