"""The aggregate layer: each measure's SQL written once, with a grain.

`census_days(conn, level, code, start, end, by=...)` sums the daily ward facts (ward_day_census,
docs/facts.md) over an inclusive period for the wards under a node, grouped by any of `GRAINS`:
occupied bed days, leave days, clinically-ready (delayed) days and out-of-area days. kpi_table,
the children table, the SPC and daily series and finance's cost per bed day all read it, so two
views can only disagree if their definitions do. `capacity_days` sums the daily capacity facts
(ward_day_capacity) the same way, with the same grains (but sex and home): commissioned, closed and
available bed days; `coverage_days` counts its open and reported ward-days. Daily series of the whole country or
a region read the regional rollups of the two (region_day_census, region_day_capacity), the same sums.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.sql.util import find_tables

from data_access import schema
from data_access.schema import calendar, collaborative, unit, ward
from data_access.scope import HOME_LEVELS, ward_filter

c = schema.ward_day_census
MEASURES = ["obd", "leave_days", "delayed_days", "out_of_area_days"]
CAPACITY_MEASURES = ["commissioned_days", "closed_days", "available_days"]
COVERAGE_MEASURES = ["open_days", "reported_days"]
_WARD_KEYS = {"region": collaborative.c.region_code, "collaborative": ward.c.collaborative_id,
              "provider": unit.c.provider_code, "unit": ward.c.unit_code, "ward": ward.c.ward_code}
_HOME_COLUMNS = {"region": "home_region_code", "collaborative": "home_collaborative_id"}
GRAINS = (*_WARD_KEYS, "day", "month", "security_level", "sex")


def _key(rows, name: str, follow: str):
    """The column of grain `name` for the rows of a daily fact table (its own day, security level and sex)."""
    if follow == "home" and name in _HOME_COLUMNS:
        return rows.c[_HOME_COLUMNS[name]]
    if name in _WARD_KEYS:
        return _WARD_KEYS[name]
    if name == "month":
        return calendar.c.month_start
    if name == "security_level" and name not in rows.c:
        return ward.c.security_level
    return rows.c[name]


def node_filter(level: str, code: str | None, follow: str = "ward", rows=c):
    """Facts of a node: its wards, or (follow='home', at national/region/collaborative) its home patients."""
    if follow == "home" and level in HOME_LEVELS:
        return sa.true() if level == "national" else rows.c[_HOME_COLUMNS[level]] == code
    return ward_filter(level, code)


def whole_months(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date] | None:
    """(first day of the first, first day after the last) of the calendar months wholly inside [start, end]."""
    first = start if start.day == 1 else (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    after = (end + dt.timedelta(days=1)).replace(day=1)
    return (first, after) if first < after else None


def _period_rows(fact: sa.Table, start: dt.date, end: dt.date, by) -> sa.FromClause:
    """The rows of a daily fact table in [start, end] with its columns: below a month's grain the daily rows;
    otherwise the monthly rollup (its month as `day`) for the whole months and the daily rows of the days either
    side, the same sums from up to 30 times fewer rows. A count the rollup has and the daily table lacks
    (ward_month_capacity's open_days) is 1 on a daily row; daily columns the rollup lacks (ward_day_capacity's
    occupied and census) are read only below a month's grain."""
    first, last = (sa.literal(d, sa.Date) for d in (start, end))
    monthly = schema.MONTHLY_ROLLUPS.get(fact.name)
    months = whole_months(start, end) if monthly is not None and "day" not in by else None
    counted = [] if monthly is None else [col.name for col in monthly.c if col.name not in ("month", *fact.c.keys())]
    ones = [sa.literal_column("1", sa.Integer).label(name) for name in counted]
    daily = sa.select(fact, *ones).where(fact.c.day >= first, fact.c.day <= last)
    if months is None:
        return daily.subquery(fact.name)
    begin, after = (sa.literal(d, sa.Date) for d in months)
    shared = [col for col in fact.c if col.name == "day" or col.name in monthly.c]
    edges = (sa.select(*shared, *ones).where(fact.c.day >= first, fact.c.day <= last)
             .where(sa.or_(fact.c.day < begin, fact.c.day >= after)))
    rollup = sa.select(*[(monthly.c.month if col.name == "day" else monthly.c[col.name]).label(col.name)
                         for col in shared], *[monthly.c[name] for name in counted])
    rollup = rollup.where(monthly.c.month >= begin, monthly.c.month < after)
    return sa.union_all(edges, rollup).subquery(fact.name)


REGION_GRAINS = {"day", "region", "security_level", "sex"}


def _region_rollup(fact: sa.Table, level, by, follow, restrict) -> sa.Table | None:
    """The regional rollup of `fact` (schema.REGION_ROLLUPS) when it gives the same sums, else None: daily rows
    (`day` in `by`) of the whole country or a region, by its wards (or, at national, every patient's home), grouped
    by keys the rollup keeps, with no restriction by ward or unit."""
    rollup = schema.REGION_ROLLUPS.get(fact.name)
    if rollup is None or restrict is not None or "day" not in by or not set(by) <= REGION_GRAINS:
        return None
    if any(name not in rollup.c for name in by if name not in ("day", "region")):
        return None
    by_ward = follow == "ward" or (level == "national" and "region" not in by)  # national: every home is in it
    return rollup if by_ward and level in ("national", "region") else None


def _region_query(rollup: sa.Table, sums, level, code, start, end, by, codes) -> sa.Select:
    """_grain_query from a regional rollup (its rows of [start, end] in place of the daily ward rows)."""
    first, last = (sa.literal(d, sa.Date) for d in (start, end))
    rows = sa.select(rollup).where(rollup.c.day >= first, rollup.c.day <= last).subquery(rollup.name)
    keys = [(rows.c.region_code if name == "region" else rows.c[name]).label(name) for name in by]
    node = sa.true() if level == "national" else rows.c.region_code == code
    where = [node] if codes is None else [keys[0].in_(codes)]
    totals = [sa.func.coalesce(sa.func.sum(col), 0).label(name) for name, col in sums(rows).items()]
    return sa.select(*keys, *totals).select_from(rows).where(*where).group_by(*keys).order_by(*keys)


def _grain_query(fact: sa.Table, sums, level, code, start, end, by, follow="ward", codes=None,
                 restrict=None) -> sa.Select:
    """SELECT by..., Σ `sums(rows)` ({name: column expression of the fact's rows}) of a daily ward fact table over
    [start, end] under a node, grouped by `by`: the grain mechanism every daily fact shares (daily series of the
    country or a region from the regional rollup)."""
    rollup = _region_rollup(fact, level, by, follow, restrict)
    if rollup is not None:
        return _region_query(rollup, sums, level, code, start, end, by, codes)
    rows = _period_rows(fact, start, end, by)
    keys = [_key(rows, name, follow).label(name) for name in by]
    node = node_filter(level, code, follow, rows) if codes is None else keys[0].in_(codes)
    where, joins = [node], rows
    used = {table for clause in (node, *keys) for table in find_tables(clause, check_columns=True)}
    if restrict is not None or not used <= {rows, calendar}:  # the ward hierarchy only when a key or filter uses it
        joins = (joins.join(ward, ward.c.ward_code == rows.c.ward_code).join(unit, unit.c.unit_code == ward.c.unit_code)
                 .join(collaborative, collaborative.c.collaborative_id == ward.c.collaborative_id))
    if restrict is not None:
        where.append(restrict(ward, unit))
    if "month" in by:
        joins = joins.join(calendar, calendar.c.date == rows.c.day)
    totals = [sa.func.coalesce(sa.func.sum(col), 0).label(name) for name, col in sums(rows).items()]
    query = sa.select(*keys, *totals).select_from(joins).where(*where)
    return query.group_by(*keys).order_by(*keys) if keys else query


def _grain_sums(conn, fact: sa.Table, sums, level, code, start, end, by, follow="ward", codes=None,
                restrict=None) -> pd.DataFrame:
    """_grain_query run: one row per value of `by`, the sums as integers."""
    query = _grain_query(fact, sums, level, code, start, end, by, follow, codes, restrict)
    frame = pd.DataFrame(conn.execute(query).all(), columns=list(query.selected_columns.keys()))
    return frame.astype({m: "int64" for m in frame.columns[len(by):]})


def _census_sums(rows) -> dict:
    k = rows.c
    return dict(zip(MEASURES, [k.patients, k.on_leave, k.ready_for_discharge, k.patients * k.out_of_area]))


def _capacity_sums(rows) -> dict:
    k = rows.c
    return dict(zip(CAPACITY_MEASURES, [k.commissioned_beds, k.closed_beds, k.commissioned_beds - k.closed_beds]))


def census_days(conn: sa.Connection, level: str, code: str | None, start: dt.date, end: dt.date,
                by: tuple[str, ...] = (), follow: str = "ward", codes: list[str] | None = None,
                restrict=None) -> pd.DataFrame:
    """Σ of the daily facts over [start, end] under a node, one row per value of `by` (one row for by=()).

    `codes` keeps only those values of the first key of `by` (the children of a node, in one query).
    `restrict(ward, unit)` returns an extra WHERE clause on the ward and unit tables (e.g. a viewer's lines).
    """
    return _grain_sums(conn, c, _census_sums, level, code, start, end, by, follow, codes, restrict)


def events_query(names: list[str], level: str, code: str | None, start: dt.date, end: dt.date,
                 by: tuple[str, ...] = (), codes: list[str] | None = None) -> sa.Select:
    """SELECT by..., Σ of the event counts `names` of ward_day_events (incidents, interventions started;
    docs/facts.md) over [start, end] on the wards under a node, grouped by `by` (with `codes`: only those values of
    its first key, still inside the node)."""
    owned = None if codes is None else (lambda ward_t, unit_t: ward_filter(level, code, ward_t, unit_t))
    return _grain_query(schema.ward_day_events, lambda rows: {name: rows.c[name] for name in names}, level, code,
                        start, end, by, codes=codes, restrict=owned)


def census_totals(conn: sa.Connection, level: str, code: str | None, start: dt.date, end: dt.date,
                  follow: str = "ward") -> dict[str, int]:
    """census_days for the whole node and period, as {measure: int}."""
    row = census_days(conn, level, code, start, end, follow=follow).iloc[0]
    return {m: int(row[m]) for m in MEASURES}


def _coverage_sums(rows) -> dict:
    return dict(zip(COVERAGE_MEASURES, [rows.c.open_days, rows.c.reported]))


def coverage_days(conn: sa.Connection, level: str, code: str | None, start: dt.date, end: dt.date,
                  by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Σ of the daily capacity facts over [start, end] for the wards under a node, one row per value of `by`, as
    capacity_days: open ward-days and reported ward-days (open ward-days with a bed_state report that day), data
    quality's bed-state coverage."""
    return _grain_sums(conn, schema.ward_day_capacity, _coverage_sums, level, code, start, end, by)


def capacity_days(conn: sa.Connection, level: str, code: str | None, start: dt.date, end: dt.date,
                  by: tuple[str, ...] = (), codes: list[str] | None = None, restrict=None) -> pd.DataFrame:
    """Σ of the daily capacity facts (ward_day_capacity) over [start, end] for the wards under a node, one row per
    value of `by` (GRAINS but sex), as census_days: commissioned bed days of the open wards, beds reported closed
    (each ward-day's latest report) and available bed days (the difference; docs/kpi-definitions.md)."""
    daily = schema.ward_day_capacity
    return _grain_sums(conn, daily, _capacity_sums, level, code, start, end, by, "ward", codes, restrict)
