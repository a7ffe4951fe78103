"""Writing the pre-aggregated facts (docs/facts.md) from the raw tables, inside the loader's transaction.

`refresh(conn)` rebuilds, for every day of the calendar:
- `ward_stay_fact` (one row per ward stay with its spell, patient, ward, home and out-of-area flag: the join
  the patient-level aggregates start from, read through kpi_queries.stay_facts);
- from it and leave_episode, `ward_day_census` (one row per calendar day, ward, sex, home region and
  collaborative, out-of-area flag: patients in a bed, leave episodes running, clinically ready for discharge);
- `ward_day_capacity` (one row per calendar day and open ward: commissioned beds, beds closed in the day's
  latest bed_state report, whether there is a report and its occupied beds, the census of the day) from ward,
  bed_state and ward_day_census (written before it);
- `ward_day_events` (one row per day and ward with an incident or a restrictive intervention started: their
  counts) from incident and restrictive_intervention;
- the monthly rollups of the three daily tables, and the regional rollups of the census and capacity
  (`region_day_census`, `region_day_capacity`: the daily rows summed over each region's wards);
- `patient_month_fact` (the patients in a bed, and those with a restrictive intervention running, by calendar
  month and ward) from ward_stay_fact and restrictive_intervention, and from it `node_month_people` (how many of
  them, distinct, under each node of the hierarchy by month).
Every load path that writes ward_stay, hospital_spell, patient, leave_episode, ward, unit, locality,
locality_collaborative, incident or restrictive_intervention calls it in the same transaction (the demo build; the
fixture builder of the tests; the MHSDS loader), then data_access.bulk.analyze. Bed-state loads (submissions,
replays) rewrite only the capacity facts of the wards and days they touched (`refresh_reports`); finance imports
leave the facts as they are.

    python -m data_access.facts --url URL
builds them for a database loaded before they existed (the app does it itself when it can write).
"""

import argparse
import datetime as dt
import sys
import time

import pandas as pd
import sqlalchemy as sa

from data_access import dialect
from data_access.bulk import analyze, tidy
from data_access.dialect import spec_for
from data_access.engine import make_engine
from data_access.grain import ward_joins, ward_key
from data_access.kpi_queries import MODERATE_OR_WORSE, NOT_COUNTED_DESTINATIONS, READMISSION_DAYS, stay_facts
from data_access.schema import (
    EVENT_COUNTS,
    MONTHLY_ROLLUPS,
    REGION_ROLLUPS,
    bed_state,
    calendar,
    collaborative,
    hospital_spell,
    incident,
    leave_episode,
    locality,
    locality_collaborative,
    metadata,
    node_month_people,
    patient,
    patient_month_fact,
    restrictive_intervention,
    unit,
    ward,
    ward_day_capacity,
    ward_day_census,
    ward_day_events,
    ward_month_capacity,
    ward_month_census,
    ward_month_events,
    ward_stay,
    ward_stay_fact,
)
from data_access.scope import LEVELS

KEYS = ["ward_code", "sex", "security_level", "home_region", "home_collab", "out_of_area"]
TABLES = ["ward_stay_fact", "ward_day_census", "ward_day_capacity", "ward_day_events", "ward_month_census",
          "ward_month_capacity", "ward_month_events", "patient_month_fact", "node_month_people", "region_day_census",
          "region_day_capacity"]
CAPACITY_TABLES = ["bed_state", "ward_day_capacity", "ward_month_capacity", "region_day_capacity"]  # a bed-state load's
SUMMED = ["patients", "on_leave", "ready_for_discharge", "commissioned_beds", "closed_beds",
          "reported", *EVENT_COUNTS]  # the rollups' sums
COUNTED = ["open_days"]  # the rollup's counts of daily rows
SOURCES = ["calendar", "ward_stay", "hospital_spell", "patient", "ward", "unit", "collaborative", "locality",
           "locality_collaborative", "leave_episode", "bed_state", "incident", "restrictive_intervention"]


OPEN_END = dt.date(9999, 12, 31)  # an open stay or leave runs to the end of the calendar


def stay_rows() -> sa.Select:
    """One row per ward stay with its ward, spell, patient, home and out-of-area flag, and its spell's readmission
    flags, from the raw tables: the columns of ward_stay_fact."""
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
    s, later = hospital_spell, hospital_spell.alias("later")
    counted = sa.case((s.c.discharge_destination.not_in(NOT_COUNTED_DESTINATIONS), 1), else_=0)
    readmitted = sa.case((sa.exists().where(
        later.c.patient_id == s.c.patient_id, later.c.admission_date > s.c.discharge_date,
        later.c.admission_date <= dialect.add_days(s.c.discharge_date, READMISSION_DAYS)), 1), else_=0)
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
        distance.label("distance_km"), counted.label("discharge_counted"), readmitted.label("readmitted"),
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
    ward_day_census from it, and ward_day_capacity; returns the census's row count."""
    spec_for(conn).for_bulk_work(conn)
    refresh_stays(conn)
    rows = refresh_census(conn)
    refresh_capacity(conn)
    refresh_events(conn)
    refresh_patient_months(conn)
    return rows


def _months() -> sa.Subquery:
    """(month, lo, end1): every calendar month of the calendar, its first day and the day after its last."""
    return (sa.select(calendar.c.month_start.label("month"), sa.func.min(calendar.c.date).label("lo"),
                      dialect.add_days(sa.func.max(calendar.c.date), 1).label("end1"))
            .group_by(calendar.c.month_start).subquery("months"))


def _patient_month_rows() -> sa.Select:
    """(month, patient_id, ward_code, restricted) from ward_stay_fact and restrictive_intervention, with the
    overlaps of restrictive._people_in_bed and _people_restricted over whole calendar months (an open stay or
    episode runs to the end of the calendar)."""
    facts, ri = stay_facts(), restrictive_intervention
    m = _months()
    end1 = sa.func.coalesce(facts.c.end_date, m.c.end1)
    in_bed = (sa.select(m.c.month, facts.c.patient_id, facts.c.ward_code, sa.literal(0).label("restricted"))
              .select_from(facts.join(m, sa.and_(facts.c.start_date < m.c.end1, end1 > m.c.lo,
                                                 facts.c.start_date < end1))).distinct())
    lo, hi1 = sa.cast(m.c.lo, sa.DateTime), sa.cast(m.c.end1, sa.DateTime)
    running = sa.and_(ri.c.started_at < hi1, sa.or_(ri.c.ended_at.is_(None), ri.c.ended_at > lo))
    restricted = (sa.select(m.c.month, ri.c.patient_id, ri.c.ward_code, sa.literal(1).label("restricted"))
                  .select_from(ri.join(m, running)).distinct())
    both = sa.union_all(in_bed, restricted).subquery("both_kinds")
    return sa.select(*both.c).order_by(both.c.month, both.c.ward_code)


def refresh_patient_months(conn: sa.Connection) -> int:
    """Rebuild patient_month_fact from ward_stay_fact (written first) and restrictive_intervention."""
    conn.execute(sa.delete(patient_month_fact))
    conn.execute(sa.insert(patient_month_fact).from_select(["month", "patient_id", "ward_code", "restricted"],
                                                           _patient_month_rows()))
    conn.execute(sa.delete(node_month_people))
    for level in LEVELS:
        conn.execute(sa.insert(node_month_people).from_select(
            ["level", "code", "month", "people_in_bed", "people_restricted"], _node_people_rows(level)))
    return conn.execute(sa.select(sa.func.count()).select_from(patient_month_fact)).scalar()


def _node_people_rows(level: str) -> sa.Select:
    """(level, code, month, people in a bed, people subject) of every node at `level`, from patient_month_fact:
    per node, month and patient, a bed row and an intervention row on its wards (restrictive.people_counts)."""
    p = patient_month_fact
    node = [] if level == "national" else [ward_key(level).label("code")]
    people = (sa.select(*node, p.c.month, sa.func.min(p.c.restricted).label("bed"),
                        sa.func.max(p.c.restricted).label("restricted"))
              .select_from(ward_joins().join(p, p.c.ward_code == ward.c.ward_code))
              .group_by(*node, p.c.month, p.c.patient_id).subquery("people"))
    code = people.c.code if node else sa.literal("")
    return (sa.select(sa.literal(level), code, people.c.month, sa.func.count(), sa.func.sum(people.c.restricted))
            .where(people.c.bed == 0).group_by(*([code] if node else []), people.c.month))


def _event_rows() -> sa.Select:
    """(day, ward_code, EVENT_COUNTS...) from incident and restrictive_intervention: the definitions of
    kpi_queries.incident_query and intervention_query, and of the episodes of restrictive.event_counts started,
    counted per ward and day."""
    i, ri = incident, restrictive_intervention
    flag = lambda condition: sa.case((condition, 1), else_=0)  # noqa: E731
    labelled = lambda values: [value.label(name) for name, value in zip(EVENT_COUNTS, values)]  # noqa: E731
    none = [sa.literal(0)] * 4
    kinds = [flag(ri.c.kind == kind) for kind in ("prone_restraint", "seclusion", "rapid_tranquillisation",
                                                   "mechanical_restraint")]
    incidents = sa.select(dialect.to_date(i.c.occurred_at).label("day"), i.c.ward_code, *labelled([
        sa.literal(1), flag(i.c.harm.in_(["none", "low"])), flag(i.c.harm.in_(MODERATE_OR_WORSE)),
        flag(i.c.kind == "self_harm"), *none, sa.literal(0)]))
    interventions = sa.select(dialect.to_date(ri.c.started_at).label("day"), ri.c.ward_code, *labelled([
        *none, sa.literal(1), *kinds]))
    both = sa.union_all(incidents, interventions).subquery("events")
    counts = [sa.func.sum(column) for column in list(both.c)[2:]]
    return (sa.select(both.c.day, both.c.ward_code, *counts).group_by(both.c.day, both.c.ward_code)
            .order_by(both.c.day, both.c.ward_code))


def refresh_events(conn: sa.Connection) -> int:
    """Rebuild ward_day_events and its monthly rollup from the raw incidents and interventions; returns its row
    count."""
    conn.execute(sa.delete(ward_day_events))
    conn.execute(sa.insert(ward_day_events).from_select(["day", "ward_code", *EVENT_COUNTS], _event_rows()))
    refresh_months(conn, ward_day_events)
    return conn.execute(sa.select(sa.func.count()).select_from(ward_day_events)).scalar()


def refresh_months(conn: sa.Connection, daily: sa.Table, wards: list[str] | None = None,
                   days: tuple[dt.date, dt.date] | None = None) -> None:
    """Rewrite the monthly rollup of a daily fact table (ward_month_census, ward_month_capacity) from it: all of
    it, or the months of `wards` that hold the inclusive range of `days`."""
    monthly, month = MONTHLY_ROLLUPS[daily.name], calendar.c.month_start
    delete, where = sa.delete(monthly), []
    if wards is not None:
        delete = delete.where(monthly.c.ward_code.in_(wards))
        where.append(daily.c.ward_code.in_(wards))
    if days is not None:
        first, last = (sa.literal(d.replace(day=1), sa.Date) for d in days)
        delete = delete.where(monthly.c.month.between(first, last))
        where.append(month.between(first, last))
    conn.execute(delete)
    keys = [daily.c[c.name] for c in monthly.c if c.name != "month" and c.name not in (*SUMMED, *COUNTED)]
    sums = [sa.func.sum(daily.c[c.name]).label(c.name) for c in monthly.c if c.name in SUMMED]
    counts = [sa.func.count().label(c.name) for c in monthly.c if c.name in COUNTED]
    rows = (sa.select(month, *keys, *sums, *counts)
            .select_from(daily.join(calendar, calendar.c.date == daily.c.day)).where(*where)
            .group_by(month, *keys).order_by(month, daily.c.ward_code))
    conn.execute(sa.insert(monthly).from_select(["month", *[c.name for c in (*keys, *sums, *counts)]], rows))


def refresh_regions(conn: sa.Connection, daily: sa.Table, days: tuple[dt.date, dt.date] | None = None) -> None:
    """Rewrite the regional rollup of a daily fact table (region_day_census, region_day_capacity) from it: all of
    it, or the inclusive range of `days`. A key the daily table lacks (capacity's security level) is its ward's."""
    rollup = REGION_ROLLUPS[daily.name]
    delete, where = sa.delete(rollup), []
    if days is not None:
        first, last = (sa.literal(d, sa.Date) for d in days)
        delete = delete.where(rollup.c.day.between(first, last))
        where.append(daily.c.day.between(first, last))
    conn.execute(delete)
    names = [c.name for c in rollup.c if c.name != "region_code" and c.name not in (*SUMMED, *COUNTED)]
    keys = [daily.c[name] if name in daily.c else ward.c[name] for name in names]
    region = collaborative.c.region_code
    sums = [sa.func.sum(daily.c[c.name]).label(c.name) for c in rollup.c if c.name in SUMMED]
    counts = [sa.func.count().label(c.name) for c in rollup.c if c.name in COUNTED]
    source = (daily.join(ward, ward.c.ward_code == daily.c.ward_code)
              .outerjoin(collaborative, collaborative.c.collaborative_id == ward.c.collaborative_id))
    rows = (sa.select(region, *keys, *sums, *counts).select_from(source).where(*where)
            .group_by(region, *keys).order_by(keys[0], region))
    conn.execute(sa.insert(rollup).from_select(["region_code", *names, *[c.name for c in (*sums, *counts)]], rows))


def refresh_census(conn: sa.Connection) -> int:
    """Rebuild ward_day_census from ward_stay_fact and leave_episode; returns its row count."""
    conn.execute(sa.delete(ward_day_census))
    columns = ["day", "ward_code", "sex", "security_level", "home_region_code", "home_collaborative_id",
               "out_of_area", "patients", "on_leave", "ready_for_discharge"]
    conn.execute(sa.insert(ward_day_census).from_select(columns, _census_rows()))
    refresh_months(conn, ward_day_census)
    refresh_regions(conn, ward_day_census)
    return conn.execute(sa.select(sa.func.count()).select_from(ward_day_census)).scalar()


def _closed_of_day(where) -> sa.Subquery:
    """(ward_code, day, closed, occupied) of each ward's latest bed_state report of each day (reports matching
    `where`)."""
    day = dialect.to_date(bed_state.c.reported_at)
    ranked = (sa.select(bed_state.c.ward_code, day.label("day"), bed_state.c.closed, bed_state.c.occupied,
                        sa.func.row_number().over(partition_by=[bed_state.c.ward_code, day],
                                                  order_by=bed_state.c.reported_at.desc()).label("rn"))
              .where(*where).subquery("ranked"))
    return (sa.select(ranked.c.ward_code, ranked.c.day, ranked.c.closed, ranked.c.occupied)
            .where(ranked.c.rn == 1).subquery("closed"))


def _census_of_day(where) -> sa.Subquery:
    """(ward_code, day, patients) of ward_day_census summed by ward and day (rows matching `where`)."""
    c = ward_day_census.c
    return (sa.select(c.ward_code, c.day, sa.func.sum(c.patients).label("patients")).where(*where)
            .group_by(c.ward_code, c.day).subquery("census"))


CAPACITY_COLUMNS = ["day", "ward_code", "commissioned_beds", "closed_beds", "reported", "occupied", "census"]


def _capacity_rows(wards: list[str] | None, days: tuple[dt.date, dt.date] | None) -> sa.Select:
    """(CAPACITY_COLUMNS) of the calendar days each ward is open (opened_date <= day < closed_date), for `wards` and
    the inclusive range `days` when given: commissioned beds; closed beds and occupied of the day's latest report,
    and whether there is one; patients in a bed that day (from ward_day_census, written before)."""
    day = calendar.c.date
    open_on = sa.and_(ward.c.opened_date <= day, sa.or_(ward.c.closed_date.is_(None), day < ward.c.closed_date))
    where, reports, census_where = [], [], []
    if wards is not None:
        where.append(ward.c.ward_code.in_(wards))
        reports.append(bed_state.c.ward_code.in_(wards))
        census_where.append(ward_day_census.c.ward_code.in_(wards))
    if days is not None:
        first, last = (sa.literal(d, sa.Date) for d in days)
        where.append(day.between(first, last))
        reports += [bed_state.c.reported_at >= first,
                    bed_state.c.reported_at < sa.literal(days[1] + dt.timedelta(days=1), sa.Date)]
        census_where.append(ward_day_census.c.day.between(first, last))
    closed, census = _closed_of_day(reports), _census_of_day(census_where)
    joins = (calendar.join(ward, open_on)
             .outerjoin(closed, sa.and_(closed.c.ward_code == ward.c.ward_code, closed.c.day == day))
             .outerjoin(census, sa.and_(census.c.ward_code == ward.c.ward_code, census.c.day == day)))
    reported = sa.case((closed.c.ward_code.is_not(None), 1), else_=0)
    return (sa.select(day, ward.c.ward_code, ward.c.commissioned_beds, sa.func.coalesce(closed.c.closed, 0),
                      reported, closed.c.occupied, sa.func.coalesce(census.c.patients, 0))
            .select_from(joins).where(*where).order_by(day, ward.c.ward_code))


def refresh_capacity(conn: sa.Connection, wards: list[str] | None = None,
                     days: tuple[dt.date, dt.date] | None = None) -> None:
    """Rewrite ward_day_capacity (in the caller's transaction) from ward, bed_state and ward_day_census: all of
    it, or only the rows of `wards` and/or the inclusive range of `days` (a bed-state load, which leaves the census
    as it is); then its monthly rollup for those wards and months, and its regional rollup for those days."""
    delete = sa.delete(ward_day_capacity)
    if wards is not None:
        delete = delete.where(ward_day_capacity.c.ward_code.in_(wards))
    if days is not None:
        delete = delete.where(ward_day_capacity.c.day.between(sa.literal(days[0], sa.Date),
                                                              sa.literal(days[1], sa.Date)))
    conn.execute(delete)
    conn.execute(sa.insert(ward_day_capacity).from_select(CAPACITY_COLUMNS, _capacity_rows(wards, days)))
    refresh_months(conn, ward_day_capacity, wards, days)
    refresh_regions(conn, ward_day_capacity, days)


def refresh_reports(conn: sa.Connection, reports: pd.DataFrame) -> None:
    """After a bed-state load wrote or removed `reports` (ward_code, reported_at), in its transaction: rewrite
    the capacity facts of those wards over those days and months (the caller then ANALYZEs bed_state and
    CAPACITY_TABLES)."""
    if reports.empty:
        return
    stamps = pd.to_datetime(reports["reported_at"])
    refresh_capacity(conn, sorted(set(reports["ward_code"])), (stamps.min().date(), stamps.max().date()))


def counts(conn: sa.Connection) -> dict[str, int]:
    """{facts table: its row count}."""
    return {name: conn.execute(sa.select(sa.func.count()).select_from(metadata.tables[name])).scalar()
            for name in TABLES}


def _empty(conn, table) -> bool:
    return conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is None


def _stale(conn, name: str) -> bool:
    """Does facts table `name` exist without every column it is declared with (made before a column was added)?"""
    if not sa.inspect(conn).has_table(name):
        return False
    present = conn.execute(sa.select(sa.text("*")).select_from(sa.table(name)).where(sa.false())).keys()
    return not {c.name for c in metadata.tables[name].c} <= set(present)


def missing(conn: sa.Connection) -> bool:
    """Is a facts table absent, short of a column, or empty while what it summarises is not (a database built
    before it existed)?"""
    if not all(sa.inspect(conn).has_table(name) for name in TABLES) or any(_stale(conn, n) for n in TABLES):
        return True
    if (_empty(conn, ward_stay_fact) or _empty(conn, ward_day_census)) and not _empty(conn, ward_stay):
        return True
    if _empty(conn, ward_month_census) and not _empty(conn, ward_day_census):
        return True
    if _empty(conn, ward_month_capacity) and not _empty(conn, ward_day_capacity):
        return True
    if any(_empty(conn, REGION_ROLLUPS[daily.name]) and not _empty(conn, daily)
           for daily in (ward_day_census, ward_day_capacity)):
        return True
    if _empty(conn, ward_day_events) and not (_empty(conn, incident) and _empty(conn, restrictive_intervention)):
        return True
    if _empty(conn, ward_month_events) and not _empty(conn, ward_day_events):
        return True
    if _empty(conn, patient_month_fact) and not _empty(conn, ward_stay_fact):
        return True
    if _empty(conn, node_month_people) and not _empty(conn, patient_month_fact):
        return True
    return _empty(conn, ward_day_capacity) and not _empty(conn, ward) and not _empty(conn, calendar)


def build(engine: sa.Engine) -> int:
    """Create the facts tables if need be (again, for one short of a column) and (re)write them in one
    transaction, then ANALYZE them."""
    with engine.connect() as conn:
        stale = [name for name in TABLES if _stale(conn, name)]
    for name in stale:
        metadata.tables[name].drop(engine)
    for name in TABLES:
        metadata.tables[name].create(engine, checkfirst=True)
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
        build(engine)
        seconds = time.perf_counter() - started
        with engine.connect() as conn:
            for name, rows in counts(conn).items():
                print(f"{name}: {rows:,} rows")
        print(f"built in {seconds:.1f} s")
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
