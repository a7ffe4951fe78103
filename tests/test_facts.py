"""The pre-aggregated facts (ward_stay_fact, ward_day_census, ward_day_capacity and their monthly and regional
rollups: docs/facts.md) give exactly what the raw tables give, on the hand-built fixture and both engines, also after
a bed-state submission and a replay; the aggregate layer's grains add up to the node's total, a period read from
whole months plus edge days gives what its days give, and a daily series read from the regional rollups gives what
the wards' daily rows give."""

import datetime as dt
import math
from collections import Counter

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import aggregates, bed_state_submit, clock, facts, replay, schema
from data_access.access import Viewer
from data_access.aggregates import (
    CAPACITY_MEASURES,
    MEASURES,
    capacity_days,
    census_days,
    census_totals,
    coverage_days,
    events_query,
    whole_months,
)
from data_access.dialect import EARTH_RADIUS_KM
from data_access.kpi_queries import available_days, stay_facts
from data_access.schema import EVENT_COUNTS, MONTHLY_ROLLUPS, REGION_ROLLUPS
from tests.fixture_db import build_fixture

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
                "out_of_area", "distance_km", "discharge_counted", "readmitted"]


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
    spells = _rows(conn, "SELECT spell_id, patient_id, admission_date, discharge_date, discharge_destination "
                         "FROM hospital_spell")
    admitted: dict[str, list] = {}
    for _, patient, admission, _, _ in spells:
        admitted.setdefault(patient, []).append(admission)
    cohort = {}  # spell -> (discharged other than by transfer or death, the patient admitted again within 365 days)
    for spell, patient, _, discharge, destination in spells:
        counted = int(destination is not None and destination not in ("other_hospital", "died"))
        again = discharge is not None and any(discharge < day <= discharge + dt.timedelta(days=365)
                                              for day in admitted[patient])
        cohort[spell] = (counted, int(again))
    out = {}
    for row in rows:
        ward_collab, home_collab, national = row[12], row[18], row[19]
        ooa = 0 if national else int(home_collab is None or home_collab != ward_collab)
        out[row[0]] = (*row[:19], ooa, _km(*row[20:]), *cohort[row[1]])
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
        assert fact[:-3] == row[:-3] and fact[-2:] == row[-2:], stay_id
        assert fact[-3] == pytest.approx(row[-3], abs=1e-6), stay_id  # the distance
    cases = {row[-2:] for row in expected.values()}  # in the cohort or not, readmitted or not: each is there
    assert {(1, 0), (1, 1)} <= cases and {(0, 0), (0, 1)} & cases


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


def _raw_events(conn) -> dict:
    """(day, ward) -> EVENT_COUNTS worked out in Python from the raw incident and restrictive_intervention rows."""
    out: dict[tuple, list[int]] = {}
    for at, ward_code, kind, harm in _rows(conn, "SELECT occurred_at, ward_code, kind, harm FROM incident"):
        cell = out.setdefault((pd.Timestamp(at).date(), ward_code), [0] * len(EVENT_COUNTS))
        for n, counted in enumerate([True, harm in ("none", "low"), harm in ("moderate", "severe", "death"),
                                     kind == "self_harm"]):
            cell[n] += counted
    for at, ward_code, kind in _rows(conn, "SELECT started_at, ward_code, kind FROM restrictive_intervention"):
        cell = out.setdefault((pd.Timestamp(at).date(), ward_code), [0] * len(EVENT_COUNTS))
        cell[4] += 1
        for n, counted in enumerate(["prone_restraint", "seclusion", "rapid_tranquillisation",
                                     "mechanical_restraint"], start=5):
            cell[n] += kind == counted
    return out


def test_ward_day_events_are_the_raw_events_day_by_day(fixture_engine):
    with fixture_engine.connect() as conn:
        expected = _raw_events(conn)
        got = _rows(conn, f"SELECT day, ward_code, {', '.join(EVENT_COUNTS)} FROM ward_day_events")
    assert {(pd.Timestamp(r[0]).date(), r[1]): list(r[2:]) for r in got} == expected
    assert len(got) == len(expected) and all(sum(v[i] for v in expected.values()) > 0 for i in range(6))
    assert sum(v[6] for v in expected.values()) > 0  # seclusion started


def _raw_capacity(conn) -> dict:
    """(day, ward) -> (commissioned beds, closed beds, reported, occupied, census) worked out in Python from
    calendar, ward, bed_state and ward_stay: every calendar day the ward is open (opened <= day < closed), the closed
    beds of its latest report that day (else 0), 1 when it has a report that day (else 0), that report's occupied
    beds (else None) and the ward stays in a bed that day (start <= day < end)."""
    days = [r[0] for r in _rows(conn, 'SELECT "date" FROM calendar')]
    wards = _rows(conn, "SELECT ward_code, commissioned_beds, opened_date, closed_date FROM ward")
    latest = {}
    for ward, at, closed, occupied in sorted(_rows(conn, "SELECT ward_code, reported_at, closed, occupied "
                                                         "FROM bed_state")):
        latest[(pd.Timestamp(at).date(), ward)] = (closed, occupied)  # in time order: the day's last report wins
    stays = _rows(conn, "SELECT ward_code, start_date, end_date FROM ward_stay")
    census = Counter((day, ward) for ward, start, end in stays for day in days
                     if start <= day and (end is None or end > day))
    out = {}
    for day in days:
        for ward, beds, opened, shut in wards:
            if opened <= day and (shut is None or day < shut):
                report = latest.get((day, ward))
                out[(day, ward)] = (beds, report[0] if report else 0, int(report is not None),
                                    report[1] if report else None, census[(day, ward)])
    return out


def _capacity(conn) -> dict:
    rows = _rows(conn, "SELECT day, ward_code, commissioned_beds, closed_beds, reported, occupied, census "
                       "FROM ward_day_capacity")
    out = {(pd.Timestamp(day).date(), ward): tuple(rest) for day, ward, *rest in rows}
    assert len(out) == len(rows)  # one row per ward-day
    return out


def test_ward_day_capacity_is_the_raw_tables_day_by_day(fixture_engine):
    with fixture_engine.connect() as conn:
        capacity = _capacity(conn)
        assert capacity == _raw_capacity(conn)
        # W3 closes on 2024-03-06: its report of 03-07 (3 closed) has no ward-day to count in
        assert (D(2024, 3, 7), "W3") not in capacity
        # W1 on 2 March: two reports, the 20:00 one (3 occupied, 0 closed) wins; WS04a and WS05 in a bed
        assert capacity[(D(2024, 3, 2), "W1")] == (4, 0, 1, 3, 2)
        assert capacity[(D(2024, 3, 4), "W1")][2:4] == (0, None)  # no report that day
        assert sum(row[2] for row in capacity.values()) > 0 and sum(row[4] for row in capacity.values()) > 0


def _available_on(engine, day, level="national", code=None) -> int:
    with engine.connect() as conn:
        return available_days(conn, level, code, day, day)["available_days"]


def test_a_submission_rewrites_its_wards_capacity_of_the_day(empty_engine, monkeypatch):
    build_fixture(empty_engine)
    # 9 March 2024: open W1 4, W2 3, W4 3, W5 4, W6 3, W7 2 = 19 beds; W6 and W7 report 2 closed each -> 15
    assert _available_on(empty_engine, D(2024, 3, 9)) == 15
    assert _available_on(empty_engine, D(2024, 3, 9), "provider", "RHA") == 7  # W1 4 + W2 3, no report
    monkeypatch.setattr(clock, "utc_now", lambda precise=False: dt.datetime(2024, 3, 9, 12, 0))  # GMT: UK 12:00
    rows = [{"ward_code": "W1", "occupied": 2, "available": 1, "closed": 1, "closed_reason": "ligature works",
             "on_leave": 0},
            {"ward_code": "W2", "occupied": 1, "available": 0, "closed": 2, "closed_reason": "flood", "on_leave": 0}]
    ok, _, problems = bed_state_submit.submit(empty_engine, Viewer("nurse@rha", "provider", ("provider:RHA",)), rows)
    assert ok and problems == []
    assert _available_on(empty_engine, D(2024, 3, 9)) == 12  # 15 - 1 - 2
    assert _available_on(empty_engine, D(2024, 3, 9), "provider", "RHA") == 4
    assert _available_on(empty_engine, D(2024, 3, 10), "provider", "RHA") == 7 - 0  # W1's 16:00 report: 0 closed
    with empty_engine.connect() as conn:
        assert _capacity(conn) == _raw_capacity(conn)
        assert _capacity(conn)[(D(2024, 3, 9), "W2")][1:4] == (2, 1, 1)  # the submission: 2 closed, 1 occupied
        assert _monthly(conn, "ward_month_capacity") == _rollup(conn, "ward_day_capacity")
        assert _regional(conn, "region_day_capacity") == _by_region(conn, "ward_day_capacity")
        assert _capacity_of(conn, D(2024, 3, 1), D(2024, 3, 31), "provider", "RHA") == sum(
            beds - closed for (day, ward), (beds, closed, *_) in _raw_capacity(conn).items()
            if ward in ("W1", "W2") and day.month == 3 and day.year == 2024)


def _capacity_of(conn, start, end, level, code) -> int:
    return int(capacity_days(conn, level, code, start, end).iloc[0]["available_days"])


def _monthly(conn, table: str) -> list[tuple]:
    """The monthly rollup table's rows, sorted (month as a date)."""
    rows = _rows(conn, f"SELECT * FROM {table}")  # noqa: S608 - the test's own table names
    return sorted((pd.Timestamp(r[0]).date(), *r[1:]) for r in rows)


def _rollup(conn, daily: str) -> list[tuple]:
    """The daily table summed by calendar month, in Python, with the rollup's columns: its keys, the Σ of its
    summed columns and the count of daily rows (open_days); daily columns the rollup lacks are left out."""
    rows = _rows(conn, f"SELECT * FROM {daily}")  # noqa: S608 - the test's own table names
    columns = list(conn.execute(sa.text(f"SELECT * FROM {daily} WHERE 1 = 0")).keys())  # noqa: S608
    monthly = [c.name for c in MONTHLY_ROLLUPS[daily].c][1:]  # after month: the keys, then the measures
    measures = [name for name in monthly if name in (*facts.SUMMED, *facts.COUNTED)]
    keys = monthly[:len(monthly) - len(measures)]
    assert keys + measures == monthly
    out: dict[tuple, list[int]] = {}
    for row in rows:
        key = (pd.Timestamp(row[0]).date().replace(day=1), *[row[columns.index(name)] for name in keys])
        cell = out.setdefault(key, [0] * len(measures))
        for n, name in enumerate(measures):
            cell[n] += 1 if name in facts.COUNTED else row[columns.index(name)]
    return sorted((*k, *v) for k, v in out.items())


def test_monthly_rollups_are_the_daily_facts_summed_by_month(fixture_engine):
    with fixture_engine.connect() as conn:
        for daily, monthly in MONTHLY_ROLLUPS.items():
            assert _monthly(conn, monthly.name) == _rollup(conn, daily), monthly.name
            assert len(_monthly(conn, monthly.name)) > 0
        # the capacity rollup's reported and open ward-days (its last two columns) count something
        assert all(sum(row[i] for row in _monthly(conn, "ward_month_capacity")) > 0 for i in (-2, -1))


@pytest.mark.parametrize("start,end", [(D(2024, 1, 1), D(2024, 3, 31)), (D(2024, 1, 15), D(2024, 3, 9)),
                                       (D(2023, 12, 31), D(2024, 2, 1)), (D(2024, 2, 3), D(2024, 2, 20))])
def test_a_period_of_whole_months_and_edge_days_gives_what_its_days_give(fixture_engine, start, end):
    """census_days and capacity_days at a month's grain or coarser read the monthly rollup for the whole months and
    the daily facts either side; summed day by day (the daily grain reads only daily facts) they agree."""
    with fixture_engine.connect() as conn:
        for by in ((), ("month",), ("provider",), ("collaborative", "sex")):
            for follow in ("ward", "home"):
                whole = census_days(conn, "national", None, start, end, by=by, follow=follow)
                days = census_days(conn, "national", None, start, end, by=("day", *by), follow=follow)
                days = (days.drop(columns="day").groupby(list(by), dropna=False).sum().reset_index() if by
                        else days[MEASURES].sum())
                assert (whole[MEASURES].to_numpy().tolist() if by else whole[MEASURES].iloc[0].tolist()) == (
                    days[MEASURES].to_numpy().tolist() if by else days.tolist()), (by, follow)
        for read in (capacity_days, coverage_days):
            whole = read(conn, "national", None, start, end, by=("provider",))
            days = read(conn, "national", None, start, end, by=("day", "provider"))
            days = days.drop(columns="day").groupby("provider").sum().reset_index()
            assert whole.to_numpy().tolist() == days.to_numpy().tolist(), read.__name__
        for by in ((), ("month",), ("provider",)):
            read = lambda grain: conn.execute(  # noqa: E731
                events_query(EVENT_COUNTS, "national", None, start, end, by=grain)).all()
            days: dict[tuple, list[int]] = {}
            for row in read(("day", *by)):
                cell = days.setdefault(tuple(row[1:1 + len(by)]), [0] * len(EVENT_COUNTS))
                cell[:] = [a + b for a, b in zip(cell, row[1 + len(by):])]
            whole = {tuple(row[:len(by)]): list(row[len(by):]) for row in read(by)}
            assert whole == (days or ({} if by else {(): [0] * len(EVENT_COUNTS)})), by
        # open ward-days are the ward-days of the facts; reported ones those with a report
        coverage = coverage_days(conn, "national", None, start, end).iloc[0]
        capacity = [row for (day, _), row in _capacity(conn).items() if start <= day <= end]
        assert [int(coverage["open_days"]), int(coverage["reported_days"])] == [
            len(capacity), sum(row[2] for row in capacity)]


def test_whole_months_of_a_period():
    assert whole_months(D(2024, 1, 1), D(2024, 3, 31)) == (D(2024, 1, 1), D(2024, 4, 1))
    assert whole_months(D(2024, 1, 15), D(2024, 3, 9)) == (D(2024, 2, 1), D(2024, 3, 1))
    assert whole_months(D(2023, 12, 31), D(2024, 2, 1)) == (D(2024, 1, 1), D(2024, 2, 1))
    assert whole_months(D(2024, 2, 3), D(2024, 2, 20)) is None
    assert whole_months(D(2024, 1, 31), D(2024, 2, 28)) is None  # February 2024 has 29 days


def test_a_replay_rewrites_the_capacity_of_its_day_step_by_step(empty_engine):
    build_fixture(empty_engine)
    seen = []

    def watch(_message):  # replay logs once the day is taken out, then after each step has committed
        seen.append(_available_on(empty_engine, D(2024, 3, 8)))

    replay.replay(empty_engine, D(2024, 3, 8), interval=0, log=watch)
    # 8 March 2024: 19 beds open (W3 closed on 03-06); taken out, no report closes any (19); then W5 07:00 closes 2
    # (17), W2 10:00 closes 1 (16), W4 12:00 closes none (16), W5 19:00 closes 1 instead of 2 (17)
    assert seen == [19, 17, 16, 16, 17]
    with empty_engine.connect() as conn:
        assert _capacity(conn) == _raw_capacity(conn)
        assert _monthly(conn, "ward_month_capacity") == _rollup(conn, "ward_day_capacity")
        assert _regional(conn, "region_day_capacity") == _by_region(conn, "ward_day_capacity")


def _regional(conn, table: str) -> list[tuple]:
    """The regional rollup's rows, sorted (day as a date, a null region first)."""
    rows = _rows(conn, f"SELECT * FROM {table}")  # noqa: S608 - the test's own table names
    return sorted(((pd.Timestamp(r[0]).date(), r[1] or "", *r[2:]) for r in rows), key=str)


def _by_region(conn, daily: str) -> list[tuple]:
    """The daily table summed in Python by day, its ward's region and the rollup's other keys (a key the daily
    table lacks is its ward's), with the rollup's columns."""
    rows = _rows(conn, f"SELECT * FROM {daily}")  # noqa: S608 - the test's own table names
    columns = list(conn.execute(sa.text(f"SELECT * FROM {daily} WHERE 1 = 0")).keys())  # noqa: S608
    wards = {r[0]: r[1:] for r in _rows(conn, """
        SELECT w.ward_code, c.region_code, w.security_level
        FROM ward w LEFT JOIN collaborative c ON c.collaborative_id = w.collaborative_id""")}
    rollup = [c.name for c in REGION_ROLLUPS[daily].c]
    measures = [name for name in rollup if name in (*facts.SUMMED, *facts.COUNTED)]
    keys = rollup[2:len(rollup) - len(measures)]  # after day and region_code
    out: dict[tuple, list[int]] = {}
    for row in rows:
        ward = row[columns.index("ward_code")]
        key = (pd.Timestamp(row[0]).date(), wards[ward][0] or "",
               *[row[columns.index(n)] if n in columns else wards[ward][1] for n in keys])
        cell = out.setdefault(key, [0] * len(measures))
        for n, name in enumerate(measures):
            cell[n] += 1 if name in facts.COUNTED else row[columns.index(name)]
    return sorted(((*k, *v) for k, v in out.items()), key=str)


def test_regional_rollups_are_the_daily_facts_summed_by_region(fixture_engine):
    with fixture_engine.connect() as conn:
        for daily, rollup in REGION_ROLLUPS.items():
            assert _regional(conn, rollup.name) == _by_region(conn, daily), rollup.name
            assert {row[1] for row in _regional(conn, rollup.name)} == {"Y60", "Y63"}


DAILY = [(("day",), "ward"), (("day",), "home"), (("day", "security_level"), "ward"), (("day", "sex"), "ward"),
         (("region", "day"), "ward"), (("day", "region", "security_level"), "ward")]


@pytest.mark.parametrize("level,code", [("national", None), ("region", "Y60"), ("region", "Y63")])
def test_daily_series_of_the_country_and_a_region_from_the_rollup_give_what_the_wards_give(
        fixture_engine, monkeypatch, level, code):
    """census_days, capacity_days and coverage_days by day at national and region level read the regional rollups;
    the same calls made to read the wards' daily rows give the same frames (and the children of the country by
    region and day, with `codes`)."""
    start, end = D(2024, 1, 15), D(2024, 3, 9)
    calls = [(census_days, by, follow, None) for by, follow in DAILY]
    calls += [(read, by, "ward", None) for read in (capacity_days, coverage_days) for by, f in DAILY
              if "sex" not in by and f == "ward"]
    calls += [(read, ("region", "day"), "ward", ["Y63"]) for read in (census_days, capacity_days)]

    def run(conn, read, by, follow, codes):
        if level != "national" and (follow == "home" or codes):
            return None  # the rollup is not read for these: nothing to compare
        options = {"follow": follow} if read is census_days else {}
        return read(conn, level, code, start, end, by=by, codes=codes, **options) if codes else read(
            conn, level, code, start, end, by=by, **options)

    with fixture_engine.connect() as conn:
        rolled = [run(conn, *call) for call in calls]
        assert all(aggregates._region_rollup(schema.ward_day_census, level, by, follow, None) is not None
                   for _, by, follow, _ in calls[:len(DAILY)] if level == "national" or follow == "ward")
        monkeypatch.setattr(aggregates, "_region_rollup", lambda *args: None)
        wards = [run(conn, *call) for call in calls]
    for call, a, b in zip(calls, rolled, wards):
        if a is None:
            continue
        assert len(a) > 0 and a.to_numpy().tolist() == b.to_numpy().tolist(), call[:3]


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
        capacity = capacity_days(conn, "national", None, start, end).iloc[0]
        assert int(capacity["available_days"]) == available_days(conn, "national", None, start, end)["available_days"]
        for grain in ("day", "month", "ward", "unit", "provider", "collaborative", "region", "security_level"):
            frame = capacity_days(conn, "national", None, start, end, by=(grain,))
            assert [int(frame[m].sum()) for m in CAPACITY_MEASURES] == [int(capacity[m]) for m in CAPACITY_MEASURES]
        home = census_days(conn, "national", None, start, end, by=("collaborative",), follow="home")
        assert int(home["obd"].sum()) == total["obd"]
        assert int(home["out_of_area_days"].sum()) == total["out_of_area_days"]


@pytest.mark.parametrize("table,order", [("ward_day_capacity", "day, ward_code"), ("ward_stay_fact", "ward_stay_id"),
                                         ("ward_day_events", "day, ward_code"),
                                         ("ward_month_events", "month, ward_code"),
                                         ("node_month_people", "level, code, month"),
                                         ("region_day_census", "day, region_code, sex, security_level, out_of_area"),
                                         ("region_day_capacity", "day, region_code, security_level"),
                                         ("ward_month_census", "month, ward_code, sex, home_collaborative_id")])
def test_a_database_without_a_facts_table_gets_it(fixture_engine, table, order):
    """A table dropped (a database made before it existed) or left empty is found by facts.missing and rebuilt."""
    sql = f"SELECT * FROM {table} ORDER BY {order}"  # noqa: S608 - the test's own table names
    with fixture_engine.connect() as conn:
        before = _rows(conn, sql)
    with fixture_engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE {table}"))
    with fixture_engine.connect() as conn:
        assert facts.missing(conn)
    facts.build(fixture_engine)
    with fixture_engine.connect() as conn:
        assert not facts.missing(conn) and _rows(conn, sql) == before
    with fixture_engine.begin() as conn:
        conn.execute(sa.text(f"DELETE FROM {table}"))
    with fixture_engine.connect() as conn:
        assert facts.missing(conn)
    facts.build(fixture_engine)


def test_a_facts_table_made_before_its_new_columns_is_made_again(fixture_engine):
    """A database whose ward_month_capacity lacks reported and open_days (made before them) is found by
    facts.missing; facts.build drops and recreates the table and fills it."""
    sql = "SELECT * FROM ward_month_capacity ORDER BY month, ward_code"
    with fixture_engine.connect() as conn:
        before = _rows(conn, sql)
    with fixture_engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE ward_month_capacity"))
        conn.execute(sa.text("CREATE TABLE ward_month_capacity (month DATE NOT NULL, ward_code VARCHAR NOT NULL, "
                             "commissioned_beds INTEGER NOT NULL, closed_beds INTEGER NOT NULL)"))
    with fixture_engine.connect() as conn:
        assert facts.missing(conn)
    facts.build(fixture_engine)
    with fixture_engine.connect() as conn:
        assert not facts.missing(conn) and _rows(conn, sql) == before


def test_a_rebuild_leaves_no_dead_rows_behind(fixture_engine):
    """facts.build tidies after it commits: on PostgreSQL no dead row of the old facts is left for reads to visit."""
    facts.build(fixture_engine)
    if fixture_engine.dialect.name != "postgresql":
        return
    with fixture_engine.connect() as conn:
        for table in facts.TABLES:
            dead = conn.execute(sa.text("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = :table "
                                        "AND schemaname = current_schema()"), {"table": table}).scalar()
            assert dead == 0, table
