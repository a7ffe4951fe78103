"""Restrictive practice aggregates (the second catalogue: seclusion, long-term segregation, rapid
tranquillisation, mechanical restraint, people subject to restrictive interventions), computed in SQL.

An episode is a row of `restrictive_intervention` (`ended_at` null = still going on). Definitions
(docs/kpi-definitions.md, "Restrictive practice"):
- *started in a period*: `started_at` in [start, end + 1 day);
- *in a period* (people subject): started before the period ends and not ended before it starts;
- *hours inside a period*: the part of the episode inside [start, end + 1 day), an open episode up to the
  end of the period (the as-of date);
- *open on the as-of date*: started by the end of that date and not ended before the end of it (an
  episode ending on the as-of date is not open then, as a stay ending on a day does not occupy it);
  days so far = as-of date - the start's date.

Grouped by a grain (data_access/grain.py), like data_access/quality.py: ``MONTH`` (each calendar month of
the period, clipped to it: kpi_queries.month_periods; the as-of date of a month is its last day in the period),
``NODE`` (one row) or the children of the node. Raw counts only: metrics/ does the arithmetic
(metrics.kpis families, metrics/restrictive.py).
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import access, dialect
from data_access.aggregates import census_days, whole_months
from data_access.grain import MONTH, MONTH_BY, NODE, Grain, facts_key, frame, ward_key
from data_access.kpi_queries import (
    _scoped_wards,
    counted_events,
    facts_filter,
    in_scope,
    month_periods,
    stay_facts,
)
from data_access.schema import calendar, node_month_people, patient, restrictive_intervention, unit, ward
from data_access.scope import resolve

ri = restrictive_intervention
KINDS = ("seclusion", "segregation", "rapid_tranquillisation", "mechanical_restraint", "prone_restraint",
         "other_restraint")
EVENT_COLUMNS = ["seclusion", "rapid_tranquillisation", "mechanical_restraint", "seclusion_hours"]
SEGREGATION_COLUMNS = ["segregation_people", "segregation_median_days", "segregation_n"]
PEOPLE_COLUMNS = ["people_restricted", "people_in_bed"]
COLUMNS = [*EVENT_COLUMNS, *SEGREGATION_COLUMNS, *PEOPLE_COLUMNS]
AGE_BANDS = (("Under 18", None, 17), ("18–25", 18, 25), ("26–35", 26, 35), ("36–50", 36, 50), ("51+", 51, None))
DIMENSIONS = ("ethnic_group", "sex", "age_band", "ld_autism")


def _ts(day: dt.date):
    return sa.literal(dt.datetime.combine(day, dt.time()), sa.DateTime)


def _buckets(start: dt.date, end: dt.date, grain: Grain):
    """Subquery (month, lo, end1): the calendar months of the period (MONTH: month_periods) or the period itself
    (month "all")."""
    if grain.by == MONTH_BY:
        return month_periods(start, end)
    return sa.select(sa.literal("all").label("month"), sa.literal(start, sa.Date).label("lo"),
                     sa.literal(end + dt.timedelta(days=1), sa.Date).label("end1")).subquery("periods")


def _bounds(b):
    return sa.cast(b.c.lo, sa.DateTime), sa.cast(b.c.end1, sa.DateTime)


def _overlaps(b):
    lo, hi1 = _bounds(b)
    return sa.and_(ri.c.started_at < hi1, sa.or_(ri.c.ended_at.is_(None), ri.c.ended_at > lo))


def _in_range(start: dt.date, end: dt.date, grain: Grain):
    """Episodes overlapping [start, end + 1 day) at all: by month, a plain range the planner can use before it
    pairs each episode with its buckets (on PostgreSQL the pairing of every episode ever with every month took
    20 s). Over the whole period (one bucket, the period itself) the pairing is that test already, and saying it
    twice made PostgreSQL expect a tenth of the rows (and sort where it should hash)."""
    if grain.by != MONTH_BY:
        return sa.true()
    return sa.and_(ri.c.started_at < _ts(end + dt.timedelta(days=1)),
                   sa.or_(ri.c.ended_at.is_(None), ri.c.ended_at > _ts(start)))


def _key(grain: Grain, b):
    return grain.key(month=b.c.month, child=ward_key)


def _scoped_episodes(level, code, child: bool = False):
    """(source, where): the episodes on wards under the node; with `child`, joined to ward, unit and collaborative
    (a child's key is one of their columns), otherwise with their ward only tested (kpi_queries.in_scope)."""
    if child:
        joins, where = _scoped_wards(level, code)
        return joins.join(ri, ri.c.ward_code == ward.c.ward_code), where
    return ri, in_scope(ri.c.ward_code, level, code)


def _episodes(level, code, start, end, grain):
    """(source, where, bucket): episodes on wards under the node, each with every bucket it overlaps."""
    episodes, where = _scoped_episodes(level, code, grain.child)
    b = _buckets(start, end, grain)
    return episodes.join(b, _overlaps(b)), [where, _in_range(start, end, grain)], b


def event_counts(conn, level, code, start, end, grain: Grain) -> pd.DataFrame:
    """Seclusion, rapid tranquillisation and mechanical restraint started in each bucket (counted in the event
    facts, kpi_queries.counted_events), and hours of seclusion inside it (an open episode up to the bucket's end)."""
    started = EVENT_COLUMNS[:3]
    counts = frame(conn, counted_events(started, level, code, start, end, grain), started, grain)
    hours = frame(conn, _seclusion_hours(level, code, start, end, grain), EVENT_COLUMNS[3:], grain)
    out = counts.join(hours, how="outer").reindex(columns=EVENT_COLUMNS)
    return out.fillna({**dict.fromkeys(started, 0), "seclusion_hours": 0.0}).astype(dict.fromkeys(started, "int64"))


def _seclusion_hours(level, code, start, end, grain: Grain) -> sa.Select:
    """Hours of seclusion inside each bucket of the episodes overlapping it."""
    source, where, b = _episodes(level, code, start, end, grain)
    lo, hi1 = _bounds(b)
    inside = dialect.seconds_between(dialect.greatest(ri.c.started_at, lo),
                                     dialect.least(sa.func.coalesce(ri.c.ended_at, hi1), hi1))
    return grain.select(_key(grain, b), [sa.func.sum(inside) / 3600.0], source, [*where, ri.c.kind == "seclusion"])


def segregation_open(conn, level, code, start, end, grain: Grain) -> pd.DataFrame:
    """People in long-term segregation open at the end of each bucket's last day, and the median days so far."""
    episodes, where = _scoped_episodes(level, code, grain.child)
    b = _buckets(start, end, grain)
    _, hi1 = _bounds(b)
    open_at = sa.and_(ri.c.kind == "segregation", ri.c.started_at < hi1,
                      sa.or_(ri.c.ended_at.is_(None), ri.c.ended_at >= hi1))
    days = dialect.days_between(dialect.to_date(ri.c.started_at), b.c.end1) - 1
    source = episodes.join(b, open_at)
    values = [sa.func.count(sa.distinct(ri.c.patient_id)), dialect.median(days), sa.func.count()]
    query = grain.select(_key(grain, b), values, source, [where, _in_range(start, end, grain)])
    return frame(conn, query, SEGREGATION_COLUMNS, grain)


def _people_in_bed(level, code, b, grain, start, end):
    """Subquery (patient_id, key): patients with an occupied bed day under the node in each bucket."""
    facts = stay_facts()
    end1 = sa.literal(end + dt.timedelta(days=1), sa.Date)
    in_range = sa.and_(facts.c.start_date < end1, sa.func.coalesce(facts.c.end_date, end1) > sa.literal(start, sa.Date))
    in_range = in_range if grain.by == MONTH_BY else sa.true()  # as _in_range
    key = facts_key(facts, grain.by) if grain.child else b.c.month
    overlap = sa.and_(facts.c.start_date < b.c.end1, sa.func.coalesce(facts.c.end_date, b.c.end1) > b.c.lo,
                      facts.c.start_date < sa.func.coalesce(facts.c.end_date, b.c.end1))
    return (sa.select(facts.c.patient_id, key.label("key")).select_from(facts.join(b, overlap))
            .where(facts_filter(facts, level, code), in_range).distinct().subquery("in_bed"))


def _people_restricted(level, code, start, end, grain, b):
    """Subquery (patient_id, key): patients with an episode in each bucket on a ward under the node."""
    episodes, where = _scoped_episodes(level, code, grain.child)
    key = ward_key(grain.by) if grain.child else b.c.month
    source = episodes.join(b, _overlaps(b))
    return (sa.select(ri.c.patient_id, key.label("key")).select_from(source).where(where, _in_range(start, end, grain))
            .distinct().subquery("subj"))


def _people_query(level, code, start, end, grain: Grain) -> sa.Select:
    """Patients with a bed day under the node in each bucket, and those of them with a restrictive episode, from
    the stays and episodes."""
    b = _buckets(start, end, grain)
    in_bed = _people_in_bed(level, code, b, grain, start, end)
    subject = _people_restricted(level, code, start, end, grain, b)
    source = in_bed.outerjoin(subject, sa.and_(subject.c.patient_id == in_bed.c.patient_id,
                                               subject.c.key == in_bed.c.key))
    values = [sa.func.count(subject.c.patient_id), sa.func.count()]
    key = None if grain == NODE else in_bed.c.key
    return grain.select(key, values, source, [])


def _people_of_months(level, code, first: dt.date, after: dt.date) -> sa.Select:
    """_people_query by month for the whole calendar months [first, after): node_month_people's counts of the node
    (docs/facts.md)."""
    n = node_month_people
    return (sa.select(n.c.month, n.c.people_restricted, n.c.people_in_bed)
            .where(n.c.level == level, n.c.code == (code or ""), n.c.month >= sa.literal(first, sa.Date),
                   n.c.month < sa.literal(after, sa.Date)))


def people_counts(conn, level, code, start, end, grain: Grain) -> pd.DataFrame:
    """Patients with a bed day under the node in each bucket, and those of them with a restrictive episode. By
    month, the whole calendar months from node_month_people and the part-months at either end from the stays and
    episodes (the same counts: tests/test_restrictive.py)."""
    months = whole_months(start, end) if grain.by == MONTH_BY else None
    if months is None:
        return frame(conn, _people_query(level, code, start, end, grain), PEOPLE_COLUMNS, grain)
    first, after = months
    parts = [frame(conn, _people_of_months(level, code, first, after), PEOPLE_COLUMNS, grain)]
    edges = [(start, first - dt.timedelta(days=1)), (after, end)]
    parts += [frame(conn, _people_query(level, code, lo, hi, grain), PEOPLE_COLUMNS, grain) for lo, hi in edges
              if lo <= hi]
    return pd.concat(parts).astype("int64").sort_index()


# --- kpi_queries.AGGREGATES: (conn, level, code, start, end) -> dict ------------------------------------------


def _row(frame: pd.DataFrame, columns) -> dict:
    row = frame.iloc[0] if len(frame) else pd.Series(dtype=object)
    return {c: (None if c not in row or pd.isna(row[c]) else row[c]) for c in columns}


def events(conn, level, code, start, end) -> dict:
    out = _row(event_counts(conn, level, code, start, end, NODE), EVENT_COLUMNS)
    counts = {k: int(out[k] or 0) for k in EVENT_COLUMNS[:3]}
    return counts | {"seclusion_hours": float(out["seclusion_hours"] or 0.0)}


def segregation(conn, level, code, start, end) -> dict:
    out = _row(segregation_open(conn, level, code, start, end, NODE), SEGREGATION_COLUMNS)
    median = out["segregation_median_days"]
    return {"segregation_people": int(out["segregation_people"] or 0), "segregation_n": int(out["segregation_n"] or 0),
            "segregation_median_days": None if median is None else float(median)}


def people(conn, level, code, start, end) -> dict:
    out = _row(people_counts(conn, level, code, start, end, NODE), PEOPLE_COLUMNS)
    return {k: int(out[k] or 0) for k in PEOPLE_COLUMNS}


def _by_month(frame: pd.DataFrame, convert) -> dict:
    return {(k.date() if isinstance(k, dt.datetime) else k): convert(row) for k, row in frame.iterrows()}


def events_by_month(conn, level, code, start, end) -> dict:
    """{month start: events()} for every calendar month of [start, end] with an episode (kpi_queries.BY_MONTH)."""
    found = event_counts(conn, level, code, start, end, MONTH)
    return _by_month(found, lambda r: {**{k: int(r[k]) for k in EVENT_COLUMNS[:3]},
                                       "seclusion_hours": float(r["seclusion_hours"] or 0.0)})


def segregation_by_month(conn, level, code, start, end) -> dict:
    found = segregation_open(conn, level, code, start, end, MONTH)
    return _by_month(found, lambda r: {"segregation_people": int(r["segregation_people"]),
                                       "segregation_n": int(r["segregation_n"]),
                                       "segregation_median_days": None if pd.isna(r["segregation_median_days"])
                                       else float(r["segregation_median_days"])})


def people_by_month(conn, level, code, start, end) -> dict:
    found = people_counts(conn, level, code, start, end, MONTH)
    return _by_month(found, lambda r: {k: int(r[k]) for k in PEOPLE_COLUMNS})


# --- the restrictive practice section --------------------------------------------------------------------------


def _period(start, end):
    return sa.and_(ri.c.started_at < _ts(end + dt.timedelta(days=1)),
                   sa.or_(ri.c.ended_at.is_(None), ri.c.ended_at > _ts(start)))


def _inside(start, end):
    lo, hi1 = _ts(start), _ts(end + dt.timedelta(days=1))
    return dialect.seconds_between(dialect.greatest(ri.c.started_at, lo),
                                   dialect.least(sa.func.coalesce(ri.c.ended_at, hi1), hi1)) / 3600.0


def _started(start, end):
    return sa.and_(ri.c.started_at >= _ts(start), ri.c.started_at < _ts(end + dt.timedelta(days=1)))


def _whole(total):
    """A SUM of counts as an integer (PostgreSQL sums integers as numeric)."""
    return sa.cast(total, sa.BigInteger)


def by_kind(conn, viewer, level, code, start, end) -> pd.DataFrame:
    """Per kind: episodes started in the period, people with an episode in the period, hours inside the period.
    Columns: kind, episodes, people, hours. Each patient's episodes are summed first and the patients then counted:
    a hash per (kind, patient), where COUNT(DISTINCT) sorted each kind's patients (twice as long on PostgreSQL)."""
    access.require(viewer, "see scope", (level, code), conn)
    resolve(conn, level, code)
    episodes, where = _scoped_episodes(level, code)
    per_patient = (sa.select(ri.c.kind, sa.func.count(sa.case((_started(start, end), 1))).label("episodes"),
                             sa.func.sum(_inside(start, end)).label("hours"))
                   .select_from(episodes).where(where, _period(start, end))
                   .group_by(ri.c.kind, ri.c.patient_id).subquery("per_patient"))
    query = (sa.select(per_patient.c.kind, _whole(sa.func.sum(per_patient.c.episodes)), sa.func.count(),
                       sa.func.sum(per_patient.c.hours))
             .group_by(per_patient.c.kind).order_by(per_patient.c.kind))
    frame = pd.DataFrame(conn.execute(query).all(), columns=["kind", "episodes", "people", "hours"])
    return frame.astype({"episodes": "int64", "people": "int64", "hours": "float64"})


def by_place(conn, viewer, level, code, start, end, grain: str) -> pd.DataFrame:
    """Per ward or unit (`grain`) under the node with an episode in the period: episodes started, people, hours of
    seclusion and days of long-term segregation inside the period, and the place's occupied bed days.
    Columns: code, name, episodes, people, seclusion_hours, segregation_days, obd."""
    access.require(viewer, "see scope", (level, code), conn)
    resolve(conn, level, code)
    inside = _inside(start, end)
    # Each patient's episodes on each ward first, from the episodes alone; the wards' names and units after.
    per_ward = (sa.select(ri.c.ward_code, ri.c.patient_id,
                          sa.func.count(sa.case((_started(start, end), 1))).label("episodes"),
                          sa.func.sum(sa.case((ri.c.kind == "seclusion", inside), else_=0)).label("seclusion"),
                          sa.func.sum(sa.case((ri.c.kind == "segregation", inside), else_=0)).label("segregation"))
                .where(in_scope(ri.c.ward_code, level, code), _period(start, end))
                .group_by(ri.c.ward_code, ri.c.patient_id).subquery("per_ward"))
    w = per_ward.c
    key, name = (ward.c.ward_code, ward.c.name) if grain == "ward" else (unit.c.unit_code, unit.c.name)
    places = per_ward.join(ward, ward.c.ward_code == w.ward_code).join(unit, unit.c.unit_code == ward.c.unit_code)
    sums = [sa.func.sum(w[c]).label(c) for c in ("episodes", "seclusion", "segregation")]
    per_patient = (sa.select(key.label("code"), name.label("name"), *sums).select_from(places)
                   .group_by(key, name, w.patient_id).subquery("per_patient"))
    p = per_patient.c
    query = (sa.select(p.code, p.name, _whole(sa.func.sum(p.episodes)), sa.func.count(), sa.func.sum(p.seclusion),
                       sa.func.sum(p.segregation) / 24.0)
             .group_by(p.code, p.name).order_by(p.name))
    columns = ["code", "name", "episodes", "people", "seclusion_hours", "segregation_days"]
    frame = pd.DataFrame(conn.execute(query).all(), columns=columns)
    days = census_days(conn, level, code, start, end, by=(grain,)).rename(columns={grain: "code"})[["code", "obd"]]
    frame = frame.merge(days, on="code", how="left")
    return frame.astype({"episodes": "int64", "people": "int64", "seclusion_hours": "float64",
                         "segregation_days": "float64"})


def monthly_by_kind(conn, viewer, level, code, start, end) -> pd.DataFrame:
    """Episodes started in each calendar month of the period, per kind: month, kind, episodes."""
    access.require(viewer, "see scope", (level, code), conn)
    resolve(conn, level, code)
    episodes, where = _scoped_episodes(level, code)
    month = calendar.c.month_start
    query = (sa.select(month, ri.c.kind, sa.func.count())
             .select_from(episodes.join(calendar, calendar.c.date == dialect.to_date(ri.c.started_at)))
             .where(where, _started(start, end)).group_by(month, ri.c.kind).order_by(month, ri.c.kind))
    frame = pd.DataFrame(conn.execute(query).all(), columns=["month", "kind", "episodes"])
    frame["month"] = pd.to_datetime(frame["month"])
    return frame.astype({"episodes": "int64"})


def _age_band(end: dt.date):
    age = end.year - patient.c.birth_year
    whens = []
    for label, low, high in AGE_BANDS:
        if low is None:
            whens.append((age <= high, label))
        elif high is not None:
            whens.append((age.between(low, high), label))
    return sa.case(*whens, else_=AGE_BANDS[-1][0])


def _group_column(dimension: str, end: dt.date):
    if dimension == "age_band":
        return _age_band(end)
    if dimension == "ld_autism":
        return sa.case((patient.c.ld_autism.is_(True), "yes"), else_="no")
    return getattr(patient.c, dimension)


def people_by_group(conn, viewer, level, code, start, end) -> pd.DataFrame:
    """Patients with a bed day under the node in the period and those subject to a restrictive intervention,
    per group of each dimension (ethnic group, sex, age band on the as-of date, learning disability or
    autism). Columns: dimension, group, patients, restricted."""
    access.require(viewer, "see scope", (level, code), conn)
    resolve(conn, level, code)
    b = _buckets(start, end, NODE)
    in_bed = _people_in_bed(level, code, b, NODE, start, end)
    subject = _people_restricted(level, code, start, end, NODE, b)
    source = patient.outerjoin(subject, subject.c.patient_id == patient.c.patient_id)
    # The people once (a CTE), then one grouped branch per dimension: one query, not one per dimension. The patients
    # are picked by a semi-join on those in a bed: PostgreSQL merged a join with them through every patient's row.
    people = (sa.select(*[_group_column(d, end).label(d) for d in DIMENSIONS],
                        subject.c.patient_id.label("restricted")).select_from(source)
              .where(patient.c.patient_id.in_(sa.select(in_bed.c.patient_id))).cte("people"))
    branches = [sa.select(sa.literal(n).label("n"), sa.literal(d).label("dimension"), people.c[d].label("grp"),
                          sa.func.count().label("patients"), sa.func.count(people.c.restricted).label("restricted"))
                .group_by(people.c[d]) for n, d in enumerate(DIMENSIONS)]
    groups = sa.union_all(*branches).subquery("groups")
    query = (sa.select(groups.c.dimension, groups.c.grp, groups.c.patients, groups.c.restricted)
             .order_by(groups.c.n, groups.c.grp))
    out = pd.DataFrame(conn.execute(query).all(), columns=["dimension", "group", "patients", "restricted"])
    return out.astype({"patients": "int64", "restricted": "int64"})
