"""Quality aggregates (restrictive practice, incidents, staffing, delayed discharge, readmissions,
length of stay) grouped by month, or by the children of a node, computed in SQL.

Each query groups by a key: ``MONTH`` (calendar.month_start: every month of the period, clipped to
the period), ``SCOPE`` (the whole period, one row) or a child level (the node's children over the
period; a child's figures are its part within the node, e.g. a provider's wards commissioned by
this collaborative, so the children add up to the node). The definitions are kpi_table's
(docs/kpi-definitions.md): a month's aggregates equal kpi_queries over that month's dates.
Raw numerators and denominators only: metrics/quality.py does the arithmetic.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import access, dialect
from data_access.aggregates import census_days
from data_access.child_queries import _facts_key, _ward_key
from data_access.kpi_queries import MODERATE_OR_WORSE, _date, _scoped_wards, facts_filter, stay_facts
from data_access.schema import calendar, hospital_spell, incident, restrictive_intervention, staffing, ward
from data_access.scope import CHILD_LEVEL, HOME_LEVELS, children, resolve

MONTH = "month"
SCOPE = "scope"
COLUMNS = ["obd", "delayed_days", "interventions", "prone", "incidents", "incidents_low", "incidents_moderate",
           "actual_hours", "planned_hours", "readmission_denominator", "readmitted", "discharges",
           "median_los_days"]
COLUMNS += ["self_harm", "seclusion", "rapid_tranquillisation", "mechanical_restraint", "seclusion_hours",
            "segregation_people", "segregation_median_days", "segregation_n", "people_restricted",
            "people_in_bed"]  # restrictive practice and safety (the second catalogue; data_access/restrictive.py)


def _months(start: dt.date, end: dt.date):
    """One row per calendar month of [start, end]: month_start, its first and (last + 1) dates in the period."""
    c = calendar.c
    return (sa.select(c.month_start.label("bucket"), sa.func.min(c.date).label("lo"),
                      dialect.add_days(sa.func.max(c.date), 1).label("hi1"))
            .where(c.date.between(_date(start), _date(end))).group_by(c.month_start).subquery("months"))


def _run(conn, key, values: list, source, where: list, names: list[str]) -> pd.DataFrame:
    """SELECT key, values ... GROUP BY key (no key: one row, keyed 'all'); indexed by key."""
    columns = [key.label("key")] if key is not None else []
    query = sa.select(*columns, *values).select_from(source).where(*where)
    if key is not None:
        query = query.group_by(key)
    frame = pd.DataFrame(conn.execute(query).all(), columns=(["key"] if key is not None else []) + names)
    if key is None:
        frame.insert(0, "key", "all")
    return frame.set_index("key")


def _bed_days(conn, level, code, start, end, by):
    grain = () if by == SCOPE else ("month",) if by == MONTH else (by,)
    days = census_days(conn, level, code, start, end, by=grain)[[*grain, "obd", "delayed_days"]]
    if by == SCOPE:  # no stay in the period: no bed days (None), as a SUM over no rows
        days = days.astype(object).where(days["obd"] > 0, None)
        days.insert(0, "key", "all")
    return days.rename(columns={grain[0]: "key"} if grain else {}).set_index("key")


def _event_key(by, timestamp, joins):
    """(key, joins): the month of the event's date via the calendar, or the child of its ward."""
    if by == MONTH:
        return calendar.c.month_start, joins.join(calendar, calendar.c.date == dialect.to_date(timestamp))
    return (None if by == SCOPE else _ward_key(by)), joins


def _interventions(conn, level, code, start, end, by):
    joins, where = _scoped_wards(level, code)
    ri = restrictive_intervention
    key, source = _event_key(by, ri.c.started_at, joins.join(ri, ri.c.ward_code == ward.c.ward_code))
    period = [ri.c.started_at >= _date(start), ri.c.started_at < _date(end + dt.timedelta(days=1))]
    values = [sa.func.count(), sa.func.count(sa.case((ri.c.kind == "prone_restraint", 1)))]
    return _run(conn, key, values, source, [where, *period], ["interventions", "prone"])


def _incidents(conn, level, code, start, end, by):
    joins, where = _scoped_wards(level, code)
    i = incident
    key, source = _event_key(by, i.c.occurred_at, joins.join(i, i.c.ward_code == ward.c.ward_code))
    period = [i.c.occurred_at >= _date(start), i.c.occurred_at < _date(end + dt.timedelta(days=1))]
    values = [sa.func.count(), sa.func.count(sa.case((i.c.harm.in_(["none", "low"]), 1))),
              sa.func.count(sa.case((i.c.harm.in_(MODERATE_OR_WORSE), 1))),
              sa.func.count(sa.case((i.c.kind == "self_harm", 1)))]
    return _run(conn, key, values, source, [where, *period],
                ["incidents", "incidents_low", "incidents_moderate", "self_harm"])


def _staffing(conn, level, code, start, end, by):
    joins, where = _scoped_wards(level, code)
    s = staffing
    key = s.c.month_start if by == MONTH else (None if by == SCOPE else _ward_key(by))
    period = [s.c.month_start >= _date(start.replace(day=1)), s.c.month_start <= _date(end)]
    return _run(conn, key, [sa.func.sum(s.c.actual_hours), sa.func.sum(s.c.planned_hours)],
                joins.join(s, s.c.ward_code == ward.c.ward_code), [where, *period], ["actual_hours", "planned_hours"])


def _spells_under(level, code, by, follow):
    """Subquery (spell_id[, key]): spells with a stay under the node (follow: its wards or home patients),
    with the child they count for when grouping by children."""
    facts = stay_facts()
    query = sa.select(facts.c.spell_id).where(facts_filter(facts, level, code, follow=follow))
    if by not in (MONTH, SCOPE):
        key = _facts_key(facts, by, "home" if follow == "home" and by in HOME_LEVELS else "ward")
        query = query.add_columns(key.label("key")).where(key.is_not(None))
    return query.distinct().subquery("under")


def _discharged(conn, level, code, start, end, by, follow, values, names, extra=(), shift=0):
    """Aggregates of the spells under the node discharged in [start - shift, end - shift] days (a month's
    bucket is the month of discharge date + shift)."""
    s = hospital_spell
    under = _spells_under(level, code, by, follow)
    source = under.join(s, s.c.spell_id == under.c.spell_id)
    if by == MONTH:
        day = dialect.add_days(s.c.discharge_date, shift) if shift else s.c.discharge_date
        key, source = calendar.c.month_start, source.join(calendar, calendar.c.date == day)
    else:
        key = None if by == SCOPE else under.c.key
    lag = dt.timedelta(days=shift)
    where = [s.c.discharge_date.between(_date(start - lag), _date(end - lag)), *extra]
    return _run(conn, key, values, source, where, names)


READMISSION_DAYS = 365


def readmission_counts(conn, level, code, start, end, by):
    """The readmission cohort of [start, end]: discharges (not transfers or deaths) dated from start - 365 to
    end - 365 days, and those followed by an admission of the same patient within 365 days, by `by`.

    Shifting the cohort back one year means every discharge counted has had its whole year by `end`, so a
    cohort whose year has not passed (which can only read low) is never reported. A month's point is the
    cohort of that month's dates (the discharges of the same dates a year, 365 days, earlier)."""
    s = hospital_spell
    later = hospital_spell.alias("later")
    readmitted = sa.exists().where(later.c.patient_id == s.c.patient_id, later.c.admission_date > s.c.discharge_date,
                                   later.c.admission_date <= dialect.add_days(s.c.discharge_date, READMISSION_DAYS))
    return _discharged(conn, level, code, start, end, by, "home",
                       [sa.func.count(), sa.func.count(sa.case((readmitted, 1)))],
                       ["readmission_denominator", "readmitted"],
                       [s.c.discharge_destination.not_in(["other_hospital", "died"])], shift=READMISSION_DAYS)


def _length_of_stay(conn, level, code, start, end, by):
    s = hospital_spell
    los = dialect.days_between(s.c.admission_date, s.c.discharge_date)
    return _discharged(conn, level, code, start, end, by, "ward", [sa.func.count(), dialect.median(los)],
                       ["discharges", "median_los_days"])


def _restrictive(conn, level, code, start, end, by):
    from data_access import restrictive  # it builds on this module

    return restrictive.series(conn, level, code, start, end, by)


def _aggregates(conn, level, code, start, end, by) -> pd.DataFrame:
    parts = [query(conn, level, code, start, end, by) for query in
             (_bed_days, _interventions, _incidents, _staffing, readmission_counts, _length_of_stay)]
    parts.append(_restrictive(conn, level, code, start, end, by))
    return pd.concat(parts, axis=1).reindex(columns=COLUMNS)


def monthly_aggregates(conn, viewer, level: str, code: str | None, start: dt.date, end: dt.date) -> pd.DataFrame:
    """One row per calendar month of [start, end] (index: month start, every month present), raw aggregates."""
    access.require(viewer, "see scope", (level, code), conn)
    resolve(conn, level, code)
    raw = _aggregates(conn, level, code, start, end, MONTH)
    raw.index = pd.to_datetime(raw.index)
    months = pd.date_range(pd.Timestamp(start.replace(day=1)), pd.Timestamp(end), freq="MS")
    return raw.reindex(months).rename_axis("month")


def period_aggregates(conn, viewer, level: str, code: str | None, start: dt.date,
                      end: dt.date) -> tuple[pd.Series, pd.DataFrame]:
    """(the node's raw aggregates over the period, one row per child with `name`, in name order)."""
    access.require(viewer, "see scope", (level, code), conn)
    scope = resolve(conn, level, code)
    total = _aggregates(conn, level, code, start, end, SCOPE).iloc[0]
    kids = access.visible_children(conn, viewer, children(conn, scope))
    if not kids:
        return total, pd.DataFrame(columns=["code", "name", *COLUMNS])
    raw = _aggregates(conn, level, code, start, end, CHILD_LEVEL[level])
    rows = pd.DataFrame({"code": [k.code for k in kids], "name": [k.name for k in kids]})
    return total, rows.join(raw, on="code", how="left")
