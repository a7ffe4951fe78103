"""The aggregate layer: each measure's SQL written once, with a grain.

`census_days(conn, level, code, start, end, by=...)` sums the daily ward facts (ward_day_census,
docs/facts.md) over an inclusive period for the wards under a node, grouped by any of `GRAINS`:
occupied bed days, leave days, clinically-ready (delayed) days and out-of-area days. kpi_table,
the children table, the SPC and daily series and finance's cost per bed day all read it, so two
views can only disagree if their definitions do. `capacity_days` sums the daily capacity facts
(ward_day_capacity) the same way, with the same grains (but sex and home): commissioned, closed and
available bed days.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.sql.util import find_tables

from data_access.schema import calendar, collaborative, unit, ward, ward_day_capacity, ward_day_census
from data_access.scope import HOME_LEVELS, ward_filter

c = ward_day_census
MEASURES = ["obd", "leave_days", "delayed_days", "out_of_area_days"]
CAPACITY_MEASURES = ["commissioned_days", "closed_days", "available_days"]
_WARD_KEYS = {"region": collaborative.c.region_code, "collaborative": ward.c.collaborative_id,
              "provider": unit.c.provider_code, "unit": ward.c.unit_code, "ward": ward.c.ward_code}
_HOME_KEYS = {"region": c.c.home_region_code, "collaborative": c.c.home_collaborative_id}
GRAINS = (*_WARD_KEYS, "day", "month", "security_level", "sex")


def _key(fact: sa.Table, name: str, follow: str):
    """The column of grain `name` for a daily fact table (its own day, security level and sex columns)."""
    if follow == "home" and name in _HOME_KEYS:
        return _HOME_KEYS[name]
    if name in _WARD_KEYS:
        return _WARD_KEYS[name]
    if name == "month":
        return calendar.c.month_start
    if name == "security_level" and name not in fact.c:
        return ward.c.security_level
    return fact.c[name]


def node_filter(level: str, code: str | None, follow: str = "ward"):
    """Facts of a node: its wards, or (follow='home', at national/region/collaborative) its home patients."""
    if follow == "home" and level in HOME_LEVELS:
        return sa.true() if level == "national" else _HOME_KEYS[level] == code
    return ward_filter(level, code)


def _grain_query(fact: sa.Table, sums: dict, level, code, start, end, by, follow="ward", codes=None,
                 restrict=None) -> sa.Select:
    """SELECT by..., Σ `sums` ({name: column expression of `fact`}) of a daily ward fact table over [start, end]
    under a node, grouped by `by`: the grain mechanism every daily fact shares."""
    keys = [_key(fact, name, follow).label(name) for name in by]
    node = node_filter(level, code, follow) if codes is None else keys[0].in_(codes)
    where = [fact.c.day >= sa.literal(start, sa.Date), fact.c.day <= sa.literal(end, sa.Date), node]
    joins = fact
    used = {table for clause in (node, *keys) for table in find_tables(clause, check_columns=True)}
    if restrict is not None or not used <= {fact, calendar}:  # the ward hierarchy only when a key or filter uses it
        joins = (joins.join(ward, ward.c.ward_code == fact.c.ward_code).join(unit, unit.c.unit_code == ward.c.unit_code)
                 .join(collaborative, collaborative.c.collaborative_id == ward.c.collaborative_id))
    if restrict is not None:
        where.append(restrict(ward, unit))
    if "month" in by:
        joins = joins.join(calendar, calendar.c.date == fact.c.day)
    totals = [sa.func.coalesce(sa.func.sum(col), 0).label(name) for name, col in sums.items()]
    query = sa.select(*keys, *totals).select_from(joins).where(*where)
    return query.group_by(*keys).order_by(*keys) if keys else query


def _grain_sums(conn, fact: sa.Table, sums: dict, level, code, start, end, by, follow="ward", codes=None,
                restrict=None) -> pd.DataFrame:
    """_grain_query run: one row per value of `by`, the sums as integers."""
    query = _grain_query(fact, sums, level, code, start, end, by, follow, codes, restrict)
    frame = pd.DataFrame(conn.execute(query).all(), columns=[*by, *sums])
    return frame.astype({m: "int64" for m in sums})


def _census_sums() -> dict:
    return dict(zip(MEASURES, [c.c.patients, c.c.on_leave, c.c.ready_for_discharge, c.c.patients * c.c.out_of_area]))


def census_query(level: str, code: str | None, start: dt.date, end: dt.date, by: tuple[str, ...] = ()) -> sa.Select:
    """census_days as a SELECT (columns `by`..., MEASURES), to join in SQL (e.g. against the bed-state reports)."""
    return _grain_query(c, _census_sums(), level, code, start, end, by)


def census_days(conn: sa.Connection, level: str, code: str | None, start: dt.date, end: dt.date,
                by: tuple[str, ...] = (), follow: str = "ward", codes: list[str] | None = None,
                restrict=None) -> pd.DataFrame:
    """Σ of the daily facts over [start, end] under a node, one row per value of `by` (one row for by=()).

    `codes` keeps only those values of the first key of `by` (the children of a node, in one query).
    `restrict(ward, unit)` returns an extra WHERE clause on the ward and unit tables (e.g. a viewer's lines).
    """
    return _grain_sums(conn, c, _census_sums(), level, code, start, end, by, follow, codes, restrict)


def census_totals(conn: sa.Connection, level: str, code: str | None, start: dt.date, end: dt.date,
                  follow: str = "ward") -> dict[str, int]:
    """census_days for the whole node and period, as {measure: int}."""
    row = census_days(conn, level, code, start, end, follow=follow).iloc[0]
    return {m: int(row[m]) for m in MEASURES}


def capacity_days(conn: sa.Connection, level: str, code: str | None, start: dt.date, end: dt.date,
                  by: tuple[str, ...] = (), codes: list[str] | None = None, restrict=None) -> pd.DataFrame:
    """Σ of the daily capacity facts (ward_day_capacity) over [start, end] for the wards under a node, one row per
    value of `by` (GRAINS but sex), as census_days: commissioned bed days of the open wards, beds reported closed
    (each ward-day's latest report) and available bed days (the difference; docs/kpi-definitions.md)."""
    k = ward_day_capacity.c
    sums = dict(zip(CAPACITY_MEASURES, [k.commissioned_beds, k.closed_beds, k.commissioned_beds - k.closed_beds]))
    return _grain_sums(conn, ward_day_capacity, sums, level, code, start, end, by, "ward", codes, restrict)
