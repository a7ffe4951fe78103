"""Cached reads for the pages: keyed on small parameters (database URL, scope, dates), never DataFrames.

Every function takes `_engine` (not hashed) and `url` (hashed) so that one cache entry
belongs to one database. Functions that read data for a scope also take the viewer's
`policy` (data_access.access.Viewer.policy: role, home and rule without the user), hashed:
users with the same access share entries, and no entry computed for one access is served to
another.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from data_access import access, kpi_queries, scope
from metrics import catalogue, kpis, overview

TTL = 600


@st.cache_data(ttl=TTL, show_spinner=False)
def data_as_of(_engine: sa.Engine, url: str) -> dict:
    with _engine.connect() as conn:
        return kpi_queries.data_as_of(conn)


@st.cache_data(ttl=TTL, show_spinner=False)
def hierarchy(_engine: sa.Engine, url: str) -> pd.DataFrame:
    with _engine.connect() as conn:
        return scope.hierarchy(conn)


@st.cache_data(ttl=TTL, show_spinner=False)
def resolve_scope(_engine: sa.Engine, url: str, level: str, code: str | None) -> tuple[scope.Scope, list]:
    """(scope, parents) or ScopeError."""
    with _engine.connect() as conn:
        found = scope.resolve(conn, level, code)
        return found, scope.parents(conn, found)


def _policy(viewer: access.Viewer | None) -> access.Viewer | None:
    return None if viewer is None else viewer.policy


def kpi_table(_engine: sa.Engine, url: str, level: str, code: str | None, start: dt.date, end: dt.date,
              targets: tuple = (), viewer: access.Viewer | None = None, kpi_ids: tuple = ()) -> pd.DataFrame:
    """metrics.kpis.kpi_table (only `kpi_ids` when given); AccessDenied when the viewer may not see the node."""
    return _kpi_table(_engine, url, level, code, start, end, targets, _policy(viewer), tuple(kpi_ids))


@st.cache_data(ttl=TTL, show_spinner=False)
def _kpi_table(_engine: sa.Engine, url: str, level: str, code: str | None, start: dt.date, end: dt.date,
               targets: tuple, policy: access.Viewer | None, kpi_ids: tuple = ()) -> pd.DataFrame:
    return kpis.kpi_table(_engine, level, code, start, end, kpi_ids=list(kpi_ids) or None,
                          targets=dict(targets) or None, viewer=policy)


def kpi_tables(_engine: sa.Engine, url: str, level: str, code: str | None, periods: tuple, targets: tuple = (),
               viewer: access.Viewer | None = None, kpi_ids: tuple = ()) -> list[pd.DataFrame]:
    """metrics.kpis.kpi_tables: one kpi_table per (start, end) in `periods`, computed side by side."""
    return _kpi_tables(_engine, url, level, code, tuple(periods), targets, _policy(viewer), tuple(kpi_ids))


@st.cache_data(ttl=TTL, show_spinner=False)
def _kpi_tables(_engine: sa.Engine, url: str, level: str, code: str | None, periods: tuple, targets: tuple,
                policy: access.Viewer | None, kpi_ids: tuple) -> list[pd.DataFrame]:
    return kpis.kpi_tables(_engine, level, code, list(periods), kpi_ids=list(kpi_ids) or None,
                           targets=dict(targets) or None, viewer=policy)


def child_table(_engine: sa.Engine, url: str, level: str, code: str | None, start: dt.date,
                end: dt.date, viewer: access.Viewer | None = None) -> pd.DataFrame:
    """metrics.kpis.child_table (only the children the viewer may see); AccessDenied as kpi_table."""
    return _child_table(_engine, url, level, code, start, end, _policy(viewer))


@st.cache_data(ttl=TTL, show_spinner=False)
def _child_table(_engine: sa.Engine, url: str, level: str, code: str | None, start: dt.date,
                 end: dt.date, policy: access.Viewer | None) -> pd.DataFrame:
    return kpis.child_table(_engine, level, code, start, end, viewer=policy)


@st.cache_data(ttl=TTL, show_spinner=False)
def scope_access(_engine: sa.Engine, url: str, policy: access.Viewer, level: str, code: str | None) -> dict:
    """{"see": aggregates allowed, "patient_level": rows allowed, "rule": disclosure rule} for a node."""
    with _engine.connect() as conn:
        return {"see": access.can_see(conn, policy, level, code),
                "patient_level": access.patient_level_allowed(conn, policy, level, code),
                "rule": access.rule_for(conn, policy, level, code)}


@st.cache_data(ttl=TTL, show_spinner=False)
def visible_hierarchy(_engine: sa.Engine, url: str, policy: access.Viewer | None) -> pd.DataFrame:
    """The hierarchy's wards the viewer may see (every ward for national and provider roles)."""
    tree = hierarchy(_engine, url)
    wards = access.visible_wards(policy)
    if wards is None:
        return tree
    with _engine.connect() as conn:
        codes = {row[0] for row in conn.execute(wards)}
    return tree[tree["ward_code"].isin(codes)].reset_index(drop=True)


@st.cache_data(ttl=TTL, show_spinner=False)
def thresholds(_engine: sa.Engine, url: str, collaborative_id: str | None) -> dict:
    with _engine.connect() as conn:
        return kpi_queries.thresholds(conn, collaborative_id)


# Whole figures of a view, cached as such: a rerun with the same inputs (a widget click, another
# session on the same scope) reuses the disclosed frame instead of redoing pandas work each time.

def headline_tiles(_engine: sa.Engine, url: str, level: str, code: str | None, periods: tuple, targets: tuple,
                   viewer: access.Viewer | None, rule: str) -> pd.DataFrame:
    """metrics.overview.headline of the Overview's tiles (catalogue.HEADLINE_IDS, in order):
    periods = ((start, end), previous (start, end))."""
    return _headline_tiles(_engine, url, level, code, tuple(periods), targets, _policy(viewer), rule)


@st.cache_data(ttl=TTL, show_spinner=False)
def _headline_tiles(_engine: sa.Engine, url: str, level: str, code: str | None, periods: tuple, targets: tuple,
                    policy: access.Viewer | None, rule: str) -> pd.DataFrame:
    ids = tuple(catalogue.HEADLINE_IDS)
    now, before = _kpi_tables(_engine, url, level, code, periods, targets, policy, ids)
    bands = thresholds(_engine, url, code if level == "collaborative" else None)
    frame = overview.headline(now[now["kpi_id"].isin(ids)], before, rule, level, bands)
    return frame.set_index("kpi_id").loc[list(ids)].reset_index()


def children_figures(_engine: sa.Engine, url: str, level: str, code: str | None, start: dt.date, end: dt.date,
                     viewer: access.Viewer | None, rule: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """metrics.overview.children_wide of child_table: (shown, suppressed) for each child the viewer may see."""
    return _children_figures(_engine, url, level, code, start, end, _policy(viewer), rule)


@st.cache_data(ttl=TTL, show_spinner=False)
def _children_figures(_engine: sa.Engine, url: str, level: str, code: str | None, start: dt.date, end: dt.date,
                      policy: access.Viewer | None, rule: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    long = _child_table(_engine, url, level, code, start, end, policy)
    return overview.children_wide(long, rule, scope.CHILD_LEVEL[level])


# The sidebar's scope selector: (code, name) columns of each level below national in the hierarchy frame.
HIERARCHY_COLUMNS = {"region": ("region_code", "region_name"),
                     "collaborative": ("collaborative_id", "collaborative_name"),
                     "provider": ("provider_code", "provider_name"), "unit": ("unit_code", "unit_name"),
                     "ward": ("ward_code", "ward_name")}


@st.cache_data(ttl=TTL, show_spinner=False)
def scope_choices(_engine: sa.Engine, url: str, policy: access.Viewer | None, path: tuple) -> list[tuple]:
    """The selectors down to the chosen scope: [(level, {name: code}, chosen name or None, parent key)].

    `path` is ((level, code), ...) for the scope and its parents below national; the list stops at the
    first level with nothing chosen.
    """
    chosen, rows, parent_key, out = dict(path), visible_hierarchy(_engine, url, policy), "national", []
    for level in scope.LEVELS[1:]:
        code_col, name_col = HIERARCHY_COLUMNS[level]
        options = rows[[code_col, name_col]].drop_duplicates().sort_values(name_col)
        codes = dict(zip(options[name_col], options[code_col]))
        current = next((n for n, c in codes.items() if c == chosen.get(level)), None)
        out.append((level, codes, current, parent_key))
        if current is None:
            break
        rows = rows[rows[code_col] == chosen[level]]
        parent_key = f"{level}:{chosen[level]}"
    return out
