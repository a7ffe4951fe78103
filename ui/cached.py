"""Cached reads for the pages: keyed on small parameters (database URL, scope, dates), never DataFrames.

Every function takes `_engine` (not hashed) and `url` (hashed) so that one cache entry
belongs to one database.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from data_access import kpi_queries, scope
from metrics import kpis

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


@st.cache_data(ttl=TTL, show_spinner=False)
def kpi_table(_engine: sa.Engine, url: str, level: str, code: str | None, start: dt.date, end: dt.date,
              targets: tuple = ()) -> pd.DataFrame:
    return kpis.kpi_table(_engine, level, code, start, end, targets=dict(targets) or None)


@st.cache_data(ttl=TTL, show_spinner=False)
def child_table(_engine: sa.Engine, url: str, level: str, code: str | None, start: dt.date,
                end: dt.date) -> pd.DataFrame:
    return kpis.child_table(_engine, level, code, start, end)


@st.cache_data(ttl=TTL, show_spinner=False)
def thresholds(_engine: sa.Engine, url: str, collaborative_id: str | None) -> dict:
    with _engine.connect() as conn:
        return kpi_queries.thresholds(conn, collaborative_id)
