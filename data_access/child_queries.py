"""The same aggregates as data_access.kpi_queries, for many nodes of one level at once.

One query per KPI family for all the children of a node (never a query per child), so
the Overview's table of children stays fast at national scale: each family is the kpi_queries
builder (or aggregates.census_days) at a child grain (data_access/grain.py), so its SQL is the
kpi_table's own.

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

from data_access import kpi_queries as q
from data_access.aggregates import capacity_days, census_days
from data_access.grain import children as child_grain
from data_access.grain import frame
from data_access.scope import HOME_LEVELS, ward_filter


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
    grain = child_grain(child, codes)
    parts = [
        _bed_days(conn, child, codes, start, end1, parent),
        _available(conn, child, codes, start, end1, parent),
        _measure(conn, q.beds_now_query(*parent, end, grain), ["beds_available_now"], grain),
        _home_days(conn, child, codes, start, end1, parent),
        _measure(conn, q.spell_query(*parent, start, end, grain), q.SPELL_KEYS, grain,
                 ["admissions", "discharges", "median_los_days"]),
        _measure(conn, q.referral_query(*parent, start, end, grain=grain, keys=["referrals_received"]),
                 ["referrals_received"], grain),
        _measure(conn, q.intervention_query(*parent, start, end, grain), q.INTERVENTION_KEYS, grain,
                 ["interventions"]),
        _measure(conn, q.staffing_query(*parent, start, end, grain), ["actual_hours", "planned_hours"], grain),
    ]
    return pd.concat(parts, axis=1)


def _measure(conn, query, names, grain, keep=None) -> pd.DataFrame:
    """A kpi_queries builder's rows by child, indexed by code (only the columns `keep`)."""
    out = frame(conn, query, names, grain).rename_axis("code")
    return out if keep is None else out[keep]


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


def _home_days(conn, child, codes, start, end1, parent=NATIONAL):
    # Home patients of a region or collaborative nest in their parent's; a provider's, unit's or ward's are
    # its beds, kept to the parent's wards.
    restrict = None if child in HOME_LEVELS else _owned(parent)
    days = census_days(conn, child, None, start, end1 - dt.timedelta(days=1), by=(child,), follow="home",
                       codes=codes, restrict=restrict)
    days = days.rename(columns={child: "code", "obd": "home_days"}).set_index("code")
    return days[["home_days", "out_of_area_days"]]
