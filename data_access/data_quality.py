"""Data quality aggregates for a scope: what each feed delivered per provider and month, completeness and
validity of key fields, and bed state reconciled against the census of ward stays. All aggregated in SQL.

Providers of a scope are those running a ward under it; records count for a scope when they are on its
wards (spells through their ward stays, events by ward); referrals by data_access.kpi_queries.referral_filter
and attributed to the admitting ward's provider, else the collaborative's lead provider.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import access
from data_access.aggregates import coverage_days, events_query
from data_access.engine import meanwhile
from data_access.kpi_queries import (
    _scoped_wards,
    facts_filter,
    in_scope,
    referral_filter,
    referral_joins,
    stay_facts,
)
from data_access.schema import (
    DISCHARGE_DESTINATIONS,
    ETHNIC_GROUPS,
    INTERVENTION_KINDS,
    REFERRAL_SOURCES,
    SECURITY_LEVELS,
    SEXES,
    bed_state,
    collaborative,
    extract_submission,
    finance_ledger,
    hospital_spell,
    incident,
    locality,
    patient,
    provider,
    referral,
    restrictive_intervention,
    staffing,
    unit,
    ward,
    ward_day_capacity,
)
from data_access.scope import ward_filter

FEEDS = ("extract", "bed_state", "finance", "incidents", "staffing")
MONTH_COLUMNS = ["feed", "provider_code", "month_start", "rows", "received_at"]


def _d(value) -> sa.BindParameter:
    return sa.literal(value, sa.Date)


def _wards():
    """ward joined to unit and collaborative (kpi_queries' scoped join; ward_filter gives the WHERE clause)."""
    return _scoped_wards("national", None)[0]


def _frame(conn, query, columns) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(query).all(), columns=columns)


def providers(conn, level, code) -> pd.DataFrame:
    """provider_code, name of the providers running a ward under the scope."""
    query = (sa.select(unit.c.provider_code, provider.c.name).distinct()
             .select_from(_wards().join(provider, provider.c.provider_code == unit.c.provider_code))
             .where(ward_filter(level, code)).order_by(unit.c.provider_code))
    return _frame(conn, query, ["provider_code", "name"])


def _in_scope_providers(level, code):
    return sa.select(unit.c.provider_code).select_from(_wards()).where(ward_filter(level, code))


def _staffing(level, code, start, end):
    """(feed, provider, month, rows, NULL) of the staffing returns on the scope's wards: counted by ward and month
    first, then joined to the wards."""
    counted = (sa.select(staffing.c.ward_code, staffing.c.month_start, sa.func.count().label("rows"))
               .where(staffing.c.month_start >= _d(start), staffing.c.month_start <= _d(end))
               .group_by(staffing.c.ward_code, staffing.c.month_start).subquery("counted"))
    joined = _wards().join(counted, counted.c.ward_code == ward.c.ward_code)
    return (sa.select(sa.literal("staffing").label("feed"), unit.c.provider_code, counted.c.month_start,
                      sa.func.sum(counted.c.rows).label("rows"),
                      sa.func.max(sa.literal(None, sa.DateTime)).label("received_at"))
            .select_from(joined).where(ward_filter(level, code))
            .group_by(unit.c.provider_code, counted.c.month_start))


def _incidents(level, code, start, end):
    """(feed, provider, month, rows, NULL) of the incidents on the scope's wards: from the event facts, which count
    every incident row (docs/facts.md)."""
    counts = events_query(["incidents"], level, code, start, end, by=("provider", "month")).subquery("incidents")
    return sa.select(sa.literal("incidents").label("feed"), counts.c.provider, counts.c.month, counts.c.incidents,
                     sa.literal(None, sa.DateTime).label("received_at"))


def feed_months(conn, level, code, start: dt.date, end: dt.date) -> pd.DataFrame:
    """feed, provider_code, month_start, rows, received_at (first load; None when the feed has no load time) of the
    feeds sent monthly: extract, finance, incidents and staffing. Bed state is daily: its months' status comes from
    the reported ward-days of bed_state_coverage (metrics.data_quality.timeliness), not from here."""
    month0 = dt.date(start.year, start.month, 1)
    e = extract_submission
    extract = (sa.select(sa.literal("extract").label("feed"), e.c.provider_code, e.c.month_start, e.c.rows,
                         e.c.first_loaded_at)
               .where(e.c.provider_code.in_(_in_scope_providers(level, code)), e.c.month_start >= _d(month0),
                      e.c.month_start <= _d(end)))
    f = finance_ledger
    finance = (sa.select(sa.literal("finance").label("feed"), f.c.provider_code, f.c.month_start,
                         sa.func.count().label("rows"), sa.func.max(sa.literal(None, sa.DateTime)))
               .where(f.c.provider_code.in_(_in_scope_providers(level, code)), f.c.actual_gbp.is_not(None),
                      f.c.month_start >= _d(month0), f.c.month_start <= _d(end))
               .group_by(f.c.provider_code, f.c.month_start))
    parts = [extract, finance, _incidents(level, code, start, end), _staffing(level, code, start, end)]
    frame = _frame(conn, sa.union_all(*parts), MONTH_COLUMNS)
    return frame.sort_values(["feed", "provider_code", "month_start"], ignore_index=True)


def bed_state_coverage(conn, level, code, start: dt.date, end: dt.date) -> pd.DataFrame:
    """provider_code, month_start, open_ward_days, reported_ward_days (an open ward-day with a report that day),
    from the capacity facts (aggregates.coverage_days: docs/facts.md)."""
    frame = coverage_days(conn, level, code, start, end, by=("provider", "month"))
    return frame.rename(columns={"provider": "provider_code", "month": "month_start", "open_days": "open_ward_days",
                                 "reported_days": "reported_ward_days"})


def last_submissions(conn, level, code) -> pd.DataFrame:
    """feed, provider_code, last (the newest load or report time of each feed per provider; finance: newest
    closed month)."""
    scoped = _in_scope_providers(level, code)
    e, f = extract_submission, finance_ledger
    queries = [
        sa.select(sa.literal("extract"), e.c.provider_code, sa.func.max(e.c.loaded_at))
        .where(e.c.provider_code.in_(scoped)).group_by(e.c.provider_code),
        _newest_by_provider("bed_state", bed_state.c.reported_at, level, code),
        sa.select(sa.literal("finance"), f.c.provider_code, sa.cast(sa.func.max(f.c.month_start), sa.DateTime))
        .where(f.c.provider_code.in_(scoped), f.c.actual_gbp.is_not(None)).group_by(f.c.provider_code),
        _newest_by_provider("incidents", incident.c.occurred_at, level, code),
        _newest_by_provider("staffing", staffing.c.month_start, level, code),
    ]
    return _frame(conn, sa.union_all(*queries), ["feed", "provider_code", "last"])


def _newest_by_provider(feed: str, stamp, level, code) -> sa.Select:
    """(feed, provider, newest `stamp` as a time) over the scope's wards: each ward's newest row found by one index
    probe (ward_code, time) rather than by reading every row the feed ever sent."""
    table = stamp.table
    newest = (sa.select(stamp.label("at")).where(table.c.ward_code == ward.c.ward_code).order_by(stamp.desc())
              .limit(1).lateral(f"newest_{table.name}"))
    return (sa.select(sa.literal(feed), unit.c.provider_code, sa.cast(sa.func.max(newest.c.at), sa.DateTime))
            .select_from(_wards().join(newest, sa.true())).where(ward_filter(level, code))
            .group_by(unit.c.provider_code))


def _count_if(condition):
    return sa.func.count(sa.case((condition, 1)))


def _spells_in_scope(level, code, start, end):
    """The spells with a ward stay under the node occupying a bed in [start, end] (from the stay facts: no join)."""
    facts = stay_facts()
    occupies = sa.and_(facts.c.start_date <= _d(end), sa.or_(facts.c.end_date.is_(None), facts.c.end_date > _d(start)))
    return sa.select(facts.c.spell_id).where(facts_filter(facts, level, code), occupies)


def completeness(conn, level, code, start: dt.date, end: dt.date) -> pd.DataFrame:
    """provider_code, field, complete, valid, records: key fields of the scope's records in the period."""
    s, p = hospital_spell, patient
    in_scope = s.c.spell_id.in_(_spells_in_scope(level, code, start, end))
    people = (sa.select(s.c.provider_code, p.c.patient_id, p.c.ethnic_group, p.c.sex, p.c.home_locality_code)
              .distinct().select_from(s.join(p, p.c.patient_id == s.c.patient_id)).where(in_scope).subquery("people"))
    located = people.c.home_locality_code.in_(sa.select(locality.c.locality_code))
    person_rows = sa.select(
        people.c.provider_code, sa.func.count(),
        _count_if(people.c.ethnic_group != "not_stated"), _count_if(people.c.ethnic_group.in_(ETHNIC_GROUPS)),
        _count_if(people.c.home_locality_code.is_not(None)), _count_if(located),
        _count_if(people.c.sex.in_(SEXES))).group_by(people.c.provider_code)
    discharged = sa.and_(in_scope, s.c.discharge_date >= _d(start), s.c.discharge_date <= _d(end))
    spell_rows = sa.select(
        s.c.provider_code, sa.func.count(), _count_if(s.c.ready_for_discharge_date.is_not(None)),
        _count_if(s.c.discharge_destination.is_not(None)),
        _count_if(s.c.discharge_destination.in_(DISCHARGE_DESTINATIONS))).where(discharged).group_by(s.c.provider_code)
    attributed = sa.func.coalesce(unit.c.provider_code, collaborative.c.lead_provider_code)
    r = referral
    referral_rows = sa.select(
        attributed, sa.func.count(), _count_if(r.c.security_level.is_not(None)),
        _count_if(r.c.security_level.in_(SECURITY_LEVELS)), _count_if(r.c.source.in_(REFERRAL_SOURCES))
    ).select_from(referral_joins()).where(referral_filter(level, code), r.c.received_date >= _d(start),
                                          r.c.received_date <= _d(end)).group_by(attributed)
    ri = restrictive_intervention
    ri_rows = (sa.select(unit.c.provider_code, sa.func.count(), _count_if(ri.c.kind.in_(INTERVENTION_KINDS)))
               .select_from(_wards().join(ri, ri.c.ward_code == ward.c.ward_code))
               .where(ward_filter(level, code), ri.c.started_at >= _d(start),
                      ri.c.started_at < _d(end + dt.timedelta(days=1))).group_by(unit.c.provider_code))
    out = []
    for prov, n, stated, ethnic_ok, located_n, located_ok, sex_ok in conn.execute(person_rows):
        out += [(prov, "ethnic_group", stated, ethnic_ok, n), (prov, "home_locality", located_n, located_ok, n),
                (prov, "sex", n, sex_ok, n)]
    for prov, n, ready, dest, dest_ok in conn.execute(spell_rows):
        out += [(prov, "clinically_ready_date", ready, ready, n), (prov, "discharge_destination", dest, dest_ok, n)]
    for prov, n, level_n, level_ok, source_ok in conn.execute(referral_rows):
        out += [(prov, "security_level", level_n, level_ok, n), (prov, "referral_source", n, source_ok, n)]
    for prov, n, kind_ok in conn.execute(ri_rows):
        out.append((prov, "restrictive_intervention_type", n, kind_ok, n))
    return pd.DataFrame(out, columns=["provider_code", "field", "complete", "valid", "records"])


def reconciliation(conn, level, code, start: dt.date, end: dt.date, limit: int = 20) -> pd.DataFrame:
    """ward_code, ward, provider_code, day, reported (occupied in the day's latest report), census (ward stays
    in a bed that day), difference: the `limit` largest differences, largest first; days that agree are left out
    (none at all: every reported ward-day matched). Read from the capacity facts' reported ward-days
    (docs/facts.md), which carry both figures. The largest are picked from the facts of the scope's wards first and
    only those few joined to their names (joining a year of England's ward-days to ward, unit and collaborative
    first took 0.17 s on PostgreSQL)."""
    k = ward_day_capacity
    difference = k.c.occupied - k.c.census
    largest = (sa.select(k.c.ward_code, k.c.day, k.c.occupied, k.c.census, difference.label("difference"))
               .where(in_scope(k.c.ward_code, level, code), k.c.reported == 1, k.c.occupied != k.c.census,
                      k.c.day >= _d(start), k.c.day <= _d(end))
               .order_by(sa.func.abs(difference).desc(), k.c.day, k.c.ward_code).limit(limit).subquery("largest"))
    query = (sa.select(largest.c.ward_code, ward.c.name, unit.c.provider_code, largest.c.day, largest.c.occupied,
                       largest.c.census, largest.c.difference)
             .select_from(largest.join(ward, ward.c.ward_code == largest.c.ward_code)
                          .join(unit, unit.c.unit_code == ward.c.unit_code))
             .order_by(sa.func.abs(largest.c.difference).desc(), largest.c.day, largest.c.ward_code))
    return _frame(conn, query, ["ward_code", "ward", "provider_code", "day", "reported", "census", "difference"])


def report_frames(conn, viewer, level, code, start: dt.date, end: dt.date) -> dict[str, pd.DataFrame]:
    """The Data quality page's aggregates for a scope and period (metrics.data_quality.report does the
    arithmetic): scope_frames and period_frames together. AccessDenied outside the viewer's scope."""
    return {**scope_frames(conn, viewer, level, code), **period_frames(conn, viewer, level, code, start, end)}


def scope_frames(conn, viewer, level, code) -> dict[str, pd.DataFrame]:
    """What does not depend on the period: providers and last (last_submissions), read once for every period."""
    access.require(viewer, "see scope", (level, code), conn)
    return {"providers": providers(conn, level, code), "last": last_submissions(conn, level, code)}


def period_frames(conn, viewer, level, code, start: dt.date, end: dt.date) -> dict[str, pd.DataFrame]:
    """The period's: feed_months, coverage (bed_state_coverage), completeness and reconciliation."""
    access.require(viewer, "see scope", (level, code), conn)
    with meanwhile(conn.engine, _slowest, level, code, start, end) as slowest:  # half the work, on a second connection
        return {"feed_months": feed_months(conn, level, code, start, end),
                "coverage": bed_state_coverage(conn, level, code, start, end), **slowest()}


def _slowest(conn, level, code, start, end) -> dict[str, pd.DataFrame]:
    """Reconciliation and completeness (about half of the period's time at England)."""
    return {"reconciliation": reconciliation(conn, level, code, start, end),
            "completeness": completeness(conn, level, code, start, end)}
