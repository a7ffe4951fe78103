"""Writing the pre-aggregated facts (docs/facts.md) from the raw tables, inside the loader's transaction.

`refresh(conn)` rebuilds `ward_stay_fact` (one row per ward stay with its spell, patient, ward, home and
out-of-area flag: the join the patient-level aggregates start from, read through
kpi_queries.stay_facts) and then, from it and leave_episode, `ward_day_census` (one row per calendar
day, ward, sex, home region and collaborative, out-of-area flag: patients in a bed, leave episodes
running, clinically ready for discharge), for every day of the calendar.
Every load path that writes ward_stay, hospital_spell, patient, leave_episode, ward, unit, locality or
locality_collaborative calls it in the same transaction (the demo build; the fixture builder of the
tests; the MHSDS loader), then data_access.bulk.analyze. Bed-state replays and finance imports do not
touch these tables and leave the facts as they are.

    python -m data_access.facts --url URL
builds them for a database loaded before they existed (the app does it itself when it can write).
"""

import argparse
import datetime as dt
import sys
import time

import sqlalchemy as sa

from data_access import dialect
from data_access.bulk import analyze, tidy
from data_access.dialect import spec_for
from data_access.engine import make_engine
from data_access.kpi_queries import stay_facts
from data_access.schema import (
    calendar,
    collaborative,
    hospital_spell,
    leave_episode,
    locality,
    locality_collaborative,
    patient,
    unit,
    ward,
    ward_day_census,
    ward_stay,
    ward_stay_fact,
)

KEYS = ["ward_code", "sex", "security_level", "home_region", "home_collab", "out_of_area"]
TABLES = ["ward_stay_fact", "ward_day_census"]
SOURCES = ["calendar", "ward_stay", "hospital_spell", "patient", "ward", "unit", "collaborative", "locality",
           "locality_collaborative", "leave_episode"]


OPEN_END = dt.date(9999, 12, 31)  # an open stay or leave runs to the end of the calendar


def stay_rows() -> sa.Select:
    """One row per ward stay with its ward, spell, patient, home and out-of-area flag, from the raw tables:
    the columns of ward_stay_fact."""
    home_lc = locality_collaborative.alias("home_lc")
    home_loc = locality.alias("home_loc")
    ward_collab = collaborative.alias("ward_collab")
    out_of_area = sa.case(
        (sa.func.coalesce(ward.c.nationally_commissioned, False), 0),  # national services: never out of area
        (home_lc.c.collaborative_id.is_(None), 1),
        (home_lc.c.collaborative_id != ward.c.collaborative_id, 1),
        else_=0,
    )
    distance = dialect.haversine_km(home_loc.c.latitude, home_loc.c.longitude, unit.c.latitude, unit.c.longitude)
    joins = (
        ward_stay.join(hospital_spell, hospital_spell.c.spell_id == ward_stay.c.spell_id)
        .join(patient, patient.c.patient_id == hospital_spell.c.patient_id)
        .join(ward, ward.c.ward_code == ward_stay.c.ward_code)
        .join(unit, unit.c.unit_code == ward.c.unit_code)
        .join(ward_collab, ward_collab.c.collaborative_id == ward.c.collaborative_id)
        .join(home_loc, home_loc.c.locality_code == patient.c.home_locality_code)
        .outerjoin(home_lc, sa.and_(home_lc.c.locality_code == patient.c.home_locality_code,
                                    home_lc.c.service_line == ward.c.service_line))
    )
    return sa.select(
        ward_stay.c.ward_stay_id, ward_stay.c.spell_id, ward_stay.c.ward_code,
        ward_stay.c.start_date, ward_stay.c.end_date,
        hospital_spell.c.patient_id, hospital_spell.c.admission_date, hospital_spell.c.discharge_date,
        hospital_spell.c.ready_for_discharge_date, hospital_spell.c.provider_code.label("spell_provider"),
        ward.c.unit_code, unit.c.provider_code, ward.c.collaborative_id.label("ward_collab"),
        ward_collab.c.region_code.label("ward_region"), ward.c.service_line, ward.c.security_level,
        patient.c.sex, home_loc.c.region_code.label("home_region"),
        home_lc.c.collaborative_id.label("home_collab"), out_of_area.label("out_of_area"),
        distance.label("distance_km"),
    ).select_from(joins)


def refresh_stays(conn: sa.Connection) -> int:
    """Rebuild ward_stay_fact from the raw tables (in the caller's transaction) and ANALYZE it, so that what
    reads it next in the same load (the census) is planned on its statistics; returns its row count."""
    conn.execute(sa.delete(ward_stay_fact))
    rows = stay_rows()
    # In patient and start order: one patient's stays sit together on disk (the per-patient readers).
    ordered = rows.order_by(hospital_spell.c.patient_id, ward_stay.c.start_date, ward_stay.c.ward_stay_id)
    conn.execute(sa.insert(ward_stay_fact).from_select([c.name for c in rows.selected_columns], ordered))
    analyze(conn, ["ward_stay_fact"])
    return conn.execute(sa.select(sa.func.count()).select_from(ward_stay_fact)).scalar()


def _in_bed(facts, day):
    """start <= day < end, written as one range on the day (an index range scan of the calendar)."""
    return sa.and_(facts.c.start_date <= day, day < sa.func.coalesce(facts.c.end_date, sa.literal(OPEN_END, sa.Date)))


def _census_rows() -> sa.Select:
    """(day, keys..., patients, on_leave, ready_for_discharge) from the raw tables."""
    facts = stay_facts()
    day = calendar.c.date
    ready = sa.case((facts.c.ready_for_discharge_date <= day, 1), else_=0)
    in_bed = (sa.select(day.label("day"), *[facts.c[k] for k in KEYS], sa.literal(1).label("patients"),
                        sa.literal(0).label("on_leave"), ready.label("ready"))
              .select_from(facts.join(calendar, _in_bed(facts, day))))
    stays = stay_facts()
    on_leave = (
        sa.select(day.label("day"), *[stays.c[k] for k in KEYS], sa.literal(0).label("patients"),
                  sa.literal(1).label("on_leave"), sa.literal(0).label("ready"))
        .select_from(leave_episode.join(stays, stays.c.ward_stay_id == leave_episode.c.ward_stay_id)
                     .join(calendar, sa.and_(_in_bed(stays, day), _in_bed(leave_episode, day))))
    )
    both = sa.union_all(in_bed, on_leave).subquery("both")
    keys = [both.c.day, *[both.c[k] for k in KEYS]]
    # Written in day order, so a period's facts sit together on disk (a month is a few hundred pages to read,
    # not one page per row: 0.6 s -> a few ms for a national month on PostgreSQL with a cold cache).
    return sa.select(*keys, sa.func.sum(both.c.patients), sa.func.sum(both.c.on_leave),
                     sa.func.sum(both.c.ready)).group_by(*keys).order_by(both.c.day, both.c.ward_code)


def refresh(conn: sa.Connection) -> int:
    """Rebuild the facts from the raw tables (in the caller's transaction): ward_stay_fact, then
    ward_day_census from it; returns the census's row count."""
    spec_for(conn).for_bulk_work(conn)
    refresh_stays(conn)
    return refresh_census(conn)


def refresh_census(conn: sa.Connection) -> int:
    """Rebuild ward_day_census from ward_stay_fact and leave_episode; returns its row count."""
    conn.execute(sa.delete(ward_day_census))
    columns = ["day", "ward_code", "sex", "security_level", "home_region_code", "home_collaborative_id",
               "out_of_area", "patients", "on_leave", "ready_for_discharge"]
    conn.execute(sa.insert(ward_day_census).from_select(columns, _census_rows()))
    return conn.execute(sa.select(sa.func.count()).select_from(ward_day_census)).scalar()


def counts(conn: sa.Connection) -> dict[str, int]:
    """{facts table: its row count}."""
    return {name: conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar() for name in TABLES}


def missing(conn: sa.Connection) -> bool:
    """Is a facts table absent, or empty while there are ward stays (a database built before it existed)?"""
    inspector = sa.inspect(conn)
    if not all(inspector.has_table(name) for name in TABLES):
        return True
    has_stays = conn.execute(sa.select(sa.literal(1)).select_from(ward_stay).limit(1)).first()
    empty = [conn.execute(sa.select(sa.literal(1)).select_from(t).limit(1)).first() is None
             for t in (ward_stay_fact, ward_day_census)]
    return has_stays is not None and any(empty)


def build(engine: sa.Engine) -> int:
    """Create the facts tables if need be and (re)write them in one transaction, then ANALYZE them."""
    for table in (ward_stay_fact, ward_day_census):
        table.create(engine, checkfirst=True)
    with engine.begin() as conn:
        analyze(conn, SOURCES)  # the planner needs statistics of what the facts are computed from
        rows = refresh(conn)
        analyze(conn, TABLES)
    tidy(engine, TABLES)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild the pre-aggregated facts (docs/facts.md) of a database")
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of the reporting database")
    args = parser.parse_args(argv)
    engine = make_engine(args.url)
    try:
        started = time.perf_counter()
        rows = build(engine)
        print(f"ward_day_census: {rows:,} rows; facts built in {time.perf_counter() - started:.1f} s")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
