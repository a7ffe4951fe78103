"""The same aggregates as data_access.kpi_queries, grouped by the children of a node.

One query per KPI family for all children at once (never a query per child), so the
Overview's table of children stays fast at national scale. A test checks each child's
figures equal kpi_table for that child.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import dialect
from data_access.kpi_queries import (
    _date,
    _in_period,
    _overlap_days,
    _scoped_wards,
    _stay_days,
    facts_filter,
    referral_filter,
    referral_joins,
    stay_facts,
)
from data_access.schema import (
    bed_state,
    collaborative,
    hospital_spell,
    referral,
    restrictive_intervention,
    staffing,
    unit,
    ward,
)
from data_access.scope import CHILD_LEVEL, HOME_LEVELS


def _facts_key(facts, child: str, follow: str = "ward"):
    if follow == "home" and child in ("region", "collaborative"):
        return facts.c.home_region if child == "region" else facts.c.home_collab
    return {"region": facts.c.ward_region, "collaborative": facts.c.ward_collab, "provider": facts.c.provider_code,
            "unit": facts.c.unit_code, "ward": facts.c.ward_code}[child]


def _ward_key(child: str):
    return {"region": collaborative.c.region_code, "collaborative": ward.c.collaborative_id,
            "provider": unit.c.provider_code, "unit": ward.c.unit_code, "ward": ward.c.ward_code}[child]


def _frame(conn, query, columns) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(query).all(), columns=columns).set_index("code")


def child_aggregates(conn, level: str, code: str | None, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Raw aggregates per child of the node, indexed by child code."""
    child = CHILD_LEVEL[level]
    end1 = end + dt.timedelta(days=1)
    parts = [
        _bed_days(conn, level, code, child, start, end1),
        _available(conn, level, code, child, start, end1),
        _beds_now(conn, level, code, child, end, end1),
        _home_days(conn, level, code, child, start, end1),
        _spells(conn, level, code, child, start, end),
        _referrals(conn, level, code, child, start, end),
        _interventions(conn, level, code, child, start, end1),
        _staffing(conn, level, code, child, start, end),
    ]
    return pd.concat(parts, axis=1)


def _bed_days(conn, level, code, child, start, end1):
    facts = stay_facts()
    key = _facts_key(facts, child)
    query = (sa.select(key.label("code"), sa.func.sum(_stay_days(facts, start, end1)))
             .where(_in_period(facts, start, end1), facts_filter(facts, level, code)).group_by(key))
    return _frame(conn, query, ["code", "obd"])


def _available(conn, level, code, child, start, end1):
    joins, where = _scoped_wards(level, code)
    key = _ward_key(child)
    open_days = _overlap_days([ward.c.opened_date, _date(start)],
                              [sa.func.coalesce(ward.c.closed_date, _date(end1)), _date(end1)])
    beds = _frame(conn, sa.select(key.label("code"), sa.func.sum(ward.c.commissioned_beds * open_days))
                  .select_from(joins).where(where).group_by(key), ["code", "bed_days_open"])
    day = dialect.to_date(bed_state.c.reported_at)
    ranked = (
        sa.select(bed_state.c.ward_code, day.label("day"), bed_state.c.closed,
                  sa.func.row_number().over(partition_by=[bed_state.c.ward_code, day],
                                            order_by=bed_state.c.reported_at.desc()).label("rn"))
        .where(bed_state.c.reported_at >= _date(start), bed_state.c.reported_at < _date(end1)).subquery("ranked"))
    closed = _frame(conn, sa.select(key.label("code"), sa.func.sum(ranked.c.closed))
                    .select_from(joins.join(ranked, ranked.c.ward_code == ward.c.ward_code))
                    .where(ranked.c.rn == 1, where, ward.c.opened_date <= ranked.c.day,
                           sa.or_(ward.c.closed_date.is_(None), ranked.c.day < ward.c.closed_date))
                    .group_by(key), ["code", "closed_days"])
    out = beds.join(closed, how="left").fillna({"closed_days": 0})
    out["available_days"] = out["bed_days_open"] - out["closed_days"]
    return out[["available_days"]]


def _beds_now(conn, level, code, child, end, end1):
    joins, where = _scoped_wards(level, code)
    key = _ward_key(child)
    ranked = (
        sa.select(bed_state.c.ward_code, bed_state.c.commissioned_beds, bed_state.c.occupied, bed_state.c.closed,
                  sa.func.row_number().over(partition_by=bed_state.c.ward_code,
                                            order_by=bed_state.c.reported_at.desc()).label("rn"))
        .where(bed_state.c.reported_at < _date(end1)).subquery("latest"))
    free = dialect.greatest(sa.literal(0), ranked.c.commissioned_beds - ranked.c.occupied - ranked.c.closed)
    query = (sa.select(key.label("code"), sa.func.sum(free))
             .select_from(joins.join(ranked, ranked.c.ward_code == ward.c.ward_code))
             .where(where, ranked.c.rn == 1, ward.c.opened_date <= _date(end),
                    sa.or_(ward.c.closed_date.is_(None), ward.c.closed_date > _date(end))).group_by(key))
    return _frame(conn, query, ["code", "beds_available_now"])


def _home_days(conn, level, code, child, start, end1):
    facts = stay_facts()
    follow = "home" if level in HOME_LEVELS and child in ("region", "collaborative") else "ward"
    key = _facts_key(facts, child, follow)
    days = _stay_days(facts, start, end1)
    query = (sa.select(key.label("code"), sa.func.sum(days), sa.func.sum(days * facts.c.out_of_area))
             .where(_in_period(facts, start, end1), facts_filter(facts, level, code, follow="home"),
                    key.is_not(None)).group_by(key))
    return _frame(conn, query, ["code", "home_days", "out_of_area_days"])


def _spells(conn, level, code, child, start, end):
    facts = stay_facts()
    key = _facts_key(facts, child)
    under = (sa.select(key.label("code"), facts.c.spell_id).where(facts_filter(facts, level, code))
             .distinct().subquery("under"))
    s = hospital_spell
    admitted = s.c.admission_date.between(_date(start), _date(end))
    discharged = s.c.discharge_date.between(_date(start), _date(end))
    los = sa.case((discharged, dialect.days_between(s.c.admission_date, s.c.discharge_date)))
    query = (sa.select(under.c.code, sa.func.count(sa.case((admitted, 1))), sa.func.count(sa.case((discharged, 1))),
                       dialect.median(los))
             .select_from(under.join(s, s.c.spell_id == under.c.spell_id))
             .where(sa.or_(admitted, discharged)).group_by(under.c.code))
    return _frame(conn, query, ["code", "admissions", "discharges", "median_los_days"])


def _referrals(conn, level, code, child, start, end):
    key = {"region": collaborative.c.region_code, "collaborative": referral.c.collaborative_id}.get(child)
    key = _ward_key(child) if key is None else key
    query = (sa.select(key.label("code"), sa.func.count()).select_from(referral_joins())
             .where(referral_filter(level, code), referral.c.received_date.between(_date(start), _date(end)),
                    key.is_not(None)).group_by(key))
    return _frame(conn, query, ["code", "referrals_received"])


def _interventions(conn, level, code, child, start, end1):
    joins, where = _scoped_wards(level, code)
    key = _ward_key(child)
    ri = restrictive_intervention
    query = (sa.select(key.label("code"), sa.func.count())
             .select_from(joins.join(ri, ri.c.ward_code == ward.c.ward_code))
             .where(where, ri.c.started_at >= _date(start), ri.c.started_at < _date(end1)).group_by(key))
    return _frame(conn, query, ["code", "interventions"])


def _staffing(conn, level, code, child, start, end):
    joins, where = _scoped_wards(level, code)
    key = _ward_key(child)
    month = dt.date(start.year, start.month, 1)
    query = (sa.select(key.label("code"), sa.func.sum(staffing.c.actual_hours), sa.func.sum(staffing.c.planned_hours))
             .select_from(joins.join(staffing, staffing.c.ward_code == ward.c.ward_code))
             .where(where, staffing.c.month_start >= _date(month), staffing.c.month_start <= _date(end))
             .group_by(key))
    return _frame(conn, query, ["code", "actual_hours", "planned_hours"])
