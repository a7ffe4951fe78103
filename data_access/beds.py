"""Bed occupancy queries: the live bed state, occupancy over time, home-to-unit flows, placement candidates.

Every function aggregates in SQL and returns tidy DataFrames of aggregates (per ward, unit, day,
month or locality-unit pair), never patient rows. Functions a page calls take a `viewer` and
check it with `access.require(viewer, "see scope", ...)`. Definitions follow docs/kpi-definitions.md, so the daily
series add up to the KPIs of metrics.kpis.kpi_table over the same period (tests/test_beds.py).

`bound` (a datetime or None) is the upper limit of `reported_at` for the "current" bed state:
the latest report per ward with `reported_at < bound` (None = every report, the live feed).
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import access, dialect, kpi_queries
from data_access.aggregates import capacity_days, census_days
from data_access.kpi_queries import facts_filter, free_beds, latest_reports, stay_facts
from data_access.schema import (
    bed_state,
    calendar,
    collaborative,
    locality,
    locality_collaborative,
    patient,
    provider,
    staffing,
    unit,
    ward,
)
from data_access.scope import ward_filter

STAFFING_MONTHS = 3  # the placement finder's staffing fill rate: the last three months


def _date(value: dt.date):
    return sa.literal(value, sa.Date)


def _frame(conn, query) -> pd.DataFrame:
    result = conn.execute(query)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _scoped_joins():
    return (ward.join(unit, unit.c.unit_code == ward.c.unit_code)
            .join(provider, provider.c.provider_code == unit.c.provider_code)
            .join(collaborative, collaborative.c.collaborative_id == ward.c.collaborative_id))


def _open_on(day: dt.date):
    return sa.and_(ward.c.opened_date <= _date(day),
                   sa.or_(ward.c.closed_date.is_(None), ward.c.closed_date > _date(day)))


def ward_bed_state(conn, viewer, level, code, end: dt.date, bound: dt.datetime | None) -> pd.DataFrame:
    """One row per ward under the node open on `end`, with its latest bed state (None when never reported).

    `available` = max(commissioned − occupied − closed, 0) from the report's own columns, as the
    catalogue's beds_available_now.
    """
    access.require(viewer, "see scope", (level, code), conn)
    latest = latest_reports(bound)
    free = free_beds(latest)
    query = (
        sa.select(
            ward.c.ward_code, ward.c.name.label("ward_name"), unit.c.unit_code, unit.c.name.label("unit_name"),
            unit.c.postcode, unit.c.latitude, unit.c.longitude, provider.c.provider_code,
            provider.c.name.label("provider_name"), provider.c.sector, provider.c.cqc_rating,
            ward.c.collaborative_id, collaborative.c.name.label("collaborative_name"), ward.c.service_line,
            ward.c.security_level, ward.c.gender, ward.c.specialism, ward.c.commissioned_beds.label("ward_beds"),
            latest.c.commissioned_beds.label("commissioned"), latest.c.occupied, latest.c.on_leave, latest.c.closed,
            sa.case((latest.c.ward_code.is_not(None), free)).label("available"), latest.c.reported_at,
        )
        .select_from(_scoped_joins().outerjoin(latest, latest.c.ward_code == ward.c.ward_code))
        .where(ward_filter(level, code), _open_on(end), access.ward_rows(viewer, ward.c.ward_code))
        .order_by(unit.c.name, ward.c.name, ward.c.ward_code)
    )
    return _frame(conn, query)


def last_report(conn, bound: dt.datetime | None) -> dt.datetime | None:
    """The newest bed_state report in the whole database (before `bound` when given): 'now' for staleness."""
    query = sa.select(sa.func.max(bed_state.c.reported_at))
    if bound is not None:
        query = query.where(bed_state.c.reported_at < sa.literal(bound, sa.DateTime))
    return conn.execute(query).scalar()


def _census_join(day_col, start_col, end_col):
    """A stay (or leave) [start, end) covers the calendar date (midnight census)."""
    return sa.and_(start_col <= day_col, sa.or_(end_col.is_(None), day_col < end_col))


def _in_period(start: dt.date, end: dt.date):
    return calendar.c.date.between(_date(start), _date(end))


def _overlapping(table, start: dt.date, end: dt.date) -> sa.Subquery:
    """Rows of a stay-like table (start_date, end_date) that overlap [start, end]: the range join then has few rows."""
    return sa.select(table).where(
        table.c.start_date <= _date(end), sa.or_(table.c.end_date.is_(None), table.c.end_date > _date(start))
    ).subquery(f"{table.name}_in_period")


def _period_days(start: dt.date, end: dt.date) -> sa.Subquery:
    return sa.select(calendar.c.date).where(_in_period(start, end)).subquery("days")


def daily_occupancy(conn, viewer, level, code, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per calendar date and security level of wards under the node: obd, leave_days, available_days.

    Summed over the period these are bed_occupancy_pct's numerator and denominator (and the
    excluding-leave numerator) for the same node and period.
    """
    access.require(viewer, "see scope", (level, code), conn)
    keys = ["date", "security_level"]
    days = census_days(conn, level, code, start, end, by=("day", "security_level")).rename(columns={"day": "date"})
    available = capacity_days(conn, level, code, start, end, by=("day", "security_level"))
    available = available.rename(columns={"day": "date"})[[*keys, "available_days"]]
    available["date"] = pd.to_datetime(available["date"]).dt.date
    days["date"] = pd.to_datetime(days["date"]).dt.date
    out = available.merge(days[[*keys, "obd", "leave_days"]], on=keys, how="outer")
    for column in ("available_days", "obd", "leave_days"):
        out[column] = out[column].fillna(0).astype("int64")
    out["date"] = pd.to_datetime(out["date"]).dt.date
    return out[[*keys, "obd", "leave_days", "available_days"]].sort_values(keys).reset_index(drop=True)


def daily_out_of_area(conn, viewer, level, code, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per date: the scope's patients' bed days (home patients at region/collaborative/national level),
    out-of-area bed days, and patients out of area (midnight census: a patient is in one bed at midnight, so
    the out-of-area bed days of a date), from the census facts."""
    access.require(viewer, "see scope", (level, code), conn)
    days = census_days(conn, level, code, start, end, by=("day",), follow="home")
    days = days[days["obd"] > 0]  # dates with a patient in a bed, as a census of the stays
    out = pd.DataFrame({"date": pd.to_datetime(days["day"]).dt.date, "bed_days": days["obd"],
                        "out_of_area_days": days["out_of_area_days"],
                        "out_of_area_patients": days["out_of_area_days"]}).reset_index(drop=True)
    return out.astype({c: "int64" for c in ("bed_days", "out_of_area_days", "out_of_area_patients")})


def monthly_repatriations(conn, viewer, level, code, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Per calendar month: patients brought back into area (the `repatriations` KPI's moves by month, the month
    the in-area ward stay started: kpi_queries.repatriations_by_month), months with any."""
    access.require(viewer, "see scope", (level, code), conn)
    months = kpi_queries.repatriations_by_month(conn, level, code, start, end)
    rows = [(month, int(value["repatriations"])) for month, value in sorted(months.items())]
    out = pd.DataFrame(rows, columns=["month_start", "repatriations"])
    return out.astype({"repatriations": "int64"})


def home_flows(conn, viewer, level, code, day: dt.date) -> pd.DataFrame:
    """Patients in a bed on `day` by home locality and unit: the scope's wards and (region, collaborative,
    national) its home patients wherever they are. Columns: locality and unit codes, names and
    coordinates, the locality's population, out_of_area (0/1), patients (distinct)."""
    access.require(viewer, "see scope", (level, code), conn)
    facts = stay_facts()
    home = locality.alias("home")
    unit_of = unit.alias("placed")
    in_bed = _census_join(_date(day), facts.c.start_date, facts.c.end_date)
    scope = sa.or_(facts_filter(facts, level, code), facts_filter(facts, level, code, follow="home"))
    query = (
        sa.select(home.c.locality_code, home.c.name.label("locality_name"), home.c.population,
                  home.c.latitude.label("home_latitude"), home.c.longitude.label("home_longitude"),
                  unit_of.c.unit_code, unit_of.c.name.label("unit_name"), unit_of.c.latitude, unit_of.c.longitude,
                  facts.c.out_of_area, sa.func.count(sa.distinct(facts.c.patient_id)).label("patients"))
        .select_from(facts.join(patient, patient.c.patient_id == facts.c.patient_id)
                     .join(home, home.c.locality_code == patient.c.home_locality_code)
                     .join(unit_of, unit_of.c.unit_code == facts.c.unit_code))
        .where(in_bed, scope, access.ward_rows(viewer, facts.c.ward_code))
        .group_by(home.c.locality_code, home.c.name, home.c.population, home.c.latitude, home.c.longitude,
                  unit_of.c.unit_code, unit_of.c.name, unit_of.c.latitude, unit_of.c.longitude, facts.c.out_of_area)
        .order_by(home.c.locality_code, unit_of.c.unit_code, facts.c.out_of_area)
    )
    out = _frame(conn, query)
    out["patients"] = out["patients"].astype("int64")
    return out


def localities(conn) -> pd.DataFrame:
    """Every locality (code, name, region) for the placement finder's home locality."""
    return _frame(conn, sa.select(locality.c.locality_code, locality.c.name, locality.c.region_code)
                  .order_by(locality.c.name))


def _months_back(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, 1)


def placement_candidates(conn, viewer, level, code, home_locality: str, service_line: str, security_level: str,
                         gender: str, end: dt.date, bound: dt.datetime | None) -> pd.DataFrame:
    """Open wards of the service line and security level accepting the gender, with a free bed in their
    latest report, with distance from the home locality, in-area flag and the last three months' staffing.

    Roles that place patients (the "find beds anywhere" right) see every ward in England: free beds are
    capacity, not patient data; crg and viewer see only the wards within their home. The viewer must be
    allowed to see the page's scope (level, code).
    """
    access.require(viewer, "see scope", (level, code), conn)
    latest = latest_reports(bound)
    home = locality.alias("home")
    home_lc = locality_collaborative.alias("home_lc")
    free = free_beds(latest)
    first_month = _months_back(end, STAFFING_MONTHS - 1)
    staff = (sa.select(staffing.c.ward_code, sa.func.sum(staffing.c.actual_hours).label("actual_hours"),
                       sa.func.sum(staffing.c.planned_hours).label("planned_hours"))
             .where(staffing.c.month_start >= _date(first_month), staffing.c.month_start <= _date(end))
             .group_by(staffing.c.ward_code).subquery("staff"))
    in_area = sa.case((home_lc.c.collaborative_id == ward.c.collaborative_id, 1), else_=0)
    joins = (_scoped_joins().join(latest, latest.c.ward_code == ward.c.ward_code)
             .join(home, home.c.locality_code == home_locality)
             .outerjoin(home_lc, sa.and_(home_lc.c.locality_code == home.c.locality_code,
                                         home_lc.c.service_line == ward.c.service_line))
             .outerjoin(staff, staff.c.ward_code == ward.c.ward_code))
    query = (
        sa.select(
            ward.c.ward_code, ward.c.name.label("ward_name"), unit.c.unit_code, unit.c.name.label("unit_name"),
            unit.c.postcode, unit.c.latitude, unit.c.longitude, provider.c.name.label("provider_name"),
            provider.c.sector, provider.c.cqc_rating, collaborative.c.name.label("collaborative_name"),
            ward.c.security_level, ward.c.gender,
            ward.c.specialism, free.label("free_beds"), latest.c.reported_at, in_area.label("in_area"),
            dialect.haversine_km(home.c.latitude, home.c.longitude, unit.c.latitude, unit.c.longitude)
            .label("distance_km"),
            staff.c.actual_hours, staff.c.planned_hours,
        )
        .select_from(joins)
        .where(_open_on(end), ward.c.service_line == service_line, ward.c.security_level == security_level,
               ward.c.gender.in_([gender, "mixed"]), free > 0, access.placement_wards(viewer, ward.c.ward_code))
        .order_by(ward.c.ward_code)
    )
    out = _frame(conn, query)
    out["free_beds"] = out["free_beds"].astype("int64")
    return out
