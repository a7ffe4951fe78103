"""Cached reads for the Referrals page (as ui/cached.py): keyed on small parameters, never DataFrames.

`_engine` and `_viewer` are not hashed; `url` and `viewer_key` (the viewer's role, home and rule)
are, so one cache entry belongs to one database and one kind of viewer. Access checks run inside
data_access on every cache miss; AccessDenied is raised (and not cached) for a viewer who may not see.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from data_access import access
from data_access import referrals as q

TTL = 600


def viewer_key(viewer: access.Viewer | None) -> str:
    return "trusted" if viewer is None else f"{viewer.role}|{','.join(viewer.home)}|{viewer.rule}"


@st.cache_data(ttl=TTL, show_spinner=False)
def stage_aggregates(_engine: sa.Engine, url: str, _viewer, viewer_key: str, level: str, code: str | None,
                     start: dt.date, end: dt.date, targets: tuple = ()) -> dict:
    with _engine.connect() as conn:
        return q.stage_aggregates(conn, _viewer, level, code, start, end, dict(targets) or None)


@st.cache_data(ttl=TTL, show_spinner=False)
def funnel(_engine: sa.Engine, url: str, _viewer, viewer_key: str, level: str, code: str | None,
           start: dt.date, end: dt.date, by: str | None = None) -> pd.DataFrame:
    with _engine.connect() as conn:
        return q.funnel(conn, _viewer, level, code, start, end, by)


@st.cache_data(ttl=TTL, show_spinner=False)
def timeline(_engine: sa.Engine, url: str, _viewer, viewer_key: str, level: str, code: str | None,
             start: dt.date, end: dt.date, limit: int, sources: tuple = (), urgencies: tuple = ()) -> pd.DataFrame:
    with _engine.connect() as conn:
        return q.timeline(conn, _viewer, level, code, start, end, limit, sources, urgencies)


@st.cache_data(ttl=TTL, show_spinner=False)
def outcome_bands(_engine: sa.Engine, url: str, _viewer, viewer_key: str, level: str, code: str | None,
                  start: dt.date, end: dt.date) -> pd.DataFrame:
    with _engine.connect() as conn:
        return q.outcome_bands(conn, _viewer, level, code, start, end)


@st.cache_data(ttl=TTL, show_spinner=False)
def waiting_list(_engine: sa.Engine, url: str, _viewer, viewer_key: str, level: str, code: str | None,
                 end: dt.date) -> pd.DataFrame:
    with _engine.connect() as conn:
        return q.waiting_list(conn, _viewer, level, code, end)


@st.cache_data(ttl=TTL, show_spinner=False)
def waiting_summary(_engine: sa.Engine, url: str, _viewer, viewer_key: str, level: str, code: str | None,
                    end: dt.date) -> pd.DataFrame:
    with _engine.connect() as conn:
        return q.waiting_summary(conn, _viewer, level, code, end)


@st.cache_data(ttl=TTL, show_spinner=False)
def monthly_admission_medians(_engine: sa.Engine, url: str, _viewer, viewer_key: str, level: str,
                              code: str | None, first: dt.date, end: dt.date) -> pd.DataFrame:
    with _engine.connect() as conn:
        return q.monthly_admission_medians(conn, _viewer, level, code, first, end)
