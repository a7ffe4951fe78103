"""The same aggregates as data_access.kpi_queries, for many nodes of one level at once.

One query per KPI family for all the children of a node (never a query per child), so
the Overview's table of children stays fast at national scale.

Scope rule (docs/kpi-definitions.md, "Children rows"): a child's row counts only the activity its
parent owns. With `parent` = (level, code), ward-based figures keep the parent's wards only: a
provider inside a collaborative shows its wards commissioned by that collaborative, not the wards it
runs for others; referrals are the parent's. Where the hierarchy nests (a unit in its provider, a
ward in its unit, a collaborative in its region, home patients of a collaborative in its region's)
this changes nothing, so each such child's row is exactly kpi_table for that child. tests/test_children.py
checks both.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import dialect
from data_access.aggregates import capacity_days, census_days
from data_access.kpi_queries import (
    _date,
    facts_filter,
    free_beds,
    latest_reports,
    referral_filter,
    referral_joins,
    stay_facts,
)
from data_access.schema import (
    collaborative,
    hospital_spell,
    referral,
    restrictive_intervention,
    staffing,
    unit,
    ward,
)
from data_access.scope import HOME_LEVELS, ward_filter


def _facts_key(facts, child: str, follow: str = "ward"):
    if follow == "home" and child in ("region", "collaborative"):
        return facts.c.home_region if child == "region" else facts.c.home_collab
    return {"region": facts.c.ward_region, "collaborative": facts.c.ward_collab, "provider": facts.c.provider_code,
            "unit": facts.c.unit_code, "ward": facts.c.ward_code}[child]


def _ward_key(child: str):
    return {"region": collaborative.c.region_code, "collaborative": ward.c.collaborative_id,
            "provider": unit.c.provider_code, "unit": ward.c.unit_code, "ward": ward.c.ward_code}[child]


def _ward_joins():
    return (ward.join(unit, unit.c.unit_code == ward.c.unit_code)
            .join(collaborative, collaborative.c.collaborative_id == ward.c.collaborative_id))


def _frame(conn, query, columns) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(query).all(), columns=columns).set_index("code")


def children_aggregates(engine, level: str, code: str | None, start: dt.date, end: dt.date, viewer=None):
    """The children of a node the viewer may see, as [(code, name)], their raw aggregates (child_aggregates)
    and, with a viewer, {code: disclosure rule}. AccessDenied unless the viewer may see the node."""
    from data_access import access
    from data_access.scope import children, resolve

    with engine.connect() as conn:
        scope = resolve(conn, level, code)
        access.require(viewer, "see scope", (level, code), conn)
        kids = access.visible_children(conn, viewer, children(conn, scope))
        rules = {k.code: access.rule_for(conn, viewer, k.level, k.code) for k in kids} if viewer else {}
        if not kids:
            return [], pd.DataFrame(), rules
        raw = child_aggregates(conn, kids[0].level, [k.code for k in kids], start, end, (level, code))
    return [(k.code, k.name) for k in kids], raw, rules


NATIONAL = ("national", None)


def child_aggregates(conn, child: str, codes: list[str], start: dt.date, end: dt.date,
                     parent: tuple[str, str | None] = NATIONAL) -> pd.DataFrame:
    """Raw aggregates for the nodes `codes` of level `child` within `parent` (level, code), indexed by code."""
    end1 = end + dt.timedelta(days=1)
    parts = [
        _bed_days(conn, child, codes, start, end1, parent),
        _available(conn, child, codes, start, end1, parent),
        _beds_now(conn, child, codes, end, end1, parent),
        _home_days(conn, child, codes, start, end1, parent),
        _spells(conn, child, codes, start, end, parent),
        _referrals(conn, child, codes, start, end, parent),
        _interventions(conn, child, codes, start, end1, parent),
        _staffing(conn, child, codes, start, end, parent),
    ]
    return pd.concat(parts, axis=1)


def _owned(parent):
    """census_days' `restrict`: the parent's wards only."""
    return lambda ward_t, unit_t: ward_filter(*parent, ward_t, unit_t)


def _bed_days(conn, child, codes, start, end1, parent=NATIONAL):
    days = census_days(conn, child, None, start, end1 - dt.timedelta(days=1), by=(child,), codes=codes,
                       restrict=_owned(parent))
    return days.rename(columns={child: "code"}).set_index("code")[["obd"]]


def _available(conn, child, codes, start, end1, parent=NATIONAL):
    """kpi_queries.available_days by child (the daily capacity facts); 0 for a child with no open ward."""
    days = capacity_days(conn, child, None, start, end1 - dt.timedelta(days=1), by=(child,), codes=codes,
                         restrict=_owned(parent))
    days = days.rename(columns={child: "code"}).set_index("code")[["available_days"]]
    return days.reindex(pd.Index(codes, name="code"), fill_value=0)


def _beds_now(conn, child, codes, end, end1, parent=NATIONAL):
    """kpi_queries.beds_now by child: the same latest-report and free-bed rules."""
    joins, key = _ward_joins(), _ward_key(child)
    where = sa.and_(key.in_(codes), ward_filter(*parent))
    latest = latest_reports(dt.datetime.combine(end1, dt.time()))
    query = (sa.select(key.label("code"), sa.func.sum(free_beds(latest)))
             .select_from(joins.join(latest, latest.c.ward_code == ward.c.ward_code))
             .where(where, ward.c.opened_date <= _date(end),
                    sa.or_(ward.c.closed_date.is_(None), ward.c.closed_date > _date(end))).group_by(key))
    return _frame(conn, query, ["code", "beds_available_now"])


def _home_days(conn, child, codes, start, end1, parent=NATIONAL):
    # Home patients of a region or collaborative nest in their parent's; a provider's, unit's or ward's are
    # its beds, kept to the parent's wards.
    restrict = None if child in HOME_LEVELS else _owned(parent)
    days = census_days(conn, child, None, start, end1 - dt.timedelta(days=1), by=(child,), follow="home",
                       codes=codes, restrict=restrict)
    days = days.rename(columns={child: "code", "obd": "home_days"}).set_index("code")
    return days[["home_days", "out_of_area_days"]]


def _spells(conn, child, codes, start, end, parent=NATIONAL):
    facts = stay_facts()
    key = _facts_key(facts, child)
    under = (sa.select(key.label("code"), facts.c.spell_id).where(key.in_(codes), facts_filter(facts, *parent))
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


def _referrals(conn, child, codes, start, end, parent=NATIONAL):
    key = {"region": collaborative.c.region_code, "collaborative": referral.c.collaborative_id}.get(child)
    key = _ward_key(child) if key is None else key
    query = (sa.select(key.label("code"), sa.func.count()).select_from(referral_joins())
             .where(key.in_(codes), referral_filter(*parent),
                    referral.c.received_date.between(_date(start), _date(end))).group_by(key))
    return _frame(conn, query, ["code", "referrals_received"])


def _interventions(conn, child, codes, start, end1, parent=NATIONAL):
    joins, key = _ward_joins(), _ward_key(child)
    where = sa.and_(key.in_(codes), ward_filter(*parent))
    ri = restrictive_intervention
    query = (sa.select(key.label("code"), sa.func.count())
             .select_from(joins.join(ri, ri.c.ward_code == ward.c.ward_code))
             .where(where, ri.c.started_at >= _date(start), ri.c.started_at < _date(end1)).group_by(key))
    return _frame(conn, query, ["code", "interventions"])


def _staffing(conn, child, codes, start, end, parent=NATIONAL):
    joins, key = _ward_joins(), _ward_key(child)
    where = sa.and_(key.in_(codes), ward_filter(*parent))
    month = dt.date(start.year, start.month, 1)
    query = (sa.select(key.label("code"), sa.func.sum(staffing.c.actual_hours), sa.func.sum(staffing.c.planned_hours))
             .select_from(joins.join(staffing, staffing.c.ward_code == ward.c.ward_code))
             .where(where, staffing.c.month_start >= _date(month), staffing.c.month_start <= _date(end))
             .group_by(key))
    return _frame(conn, query, ["code", "actual_hours", "planned_hours"])
