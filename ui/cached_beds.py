"""Cached reads for the Bed occupancy page, keyed on small parameters (never DataFrames).

Live bed-state reads live for `bed_state_ttl_seconds` (a setting: minutes or less), the rest
for `query_ttl_seconds`. st.cache_data fixes its ttl when the module loads, so the settings'
ttl enters the key as a time slot (`slot(ttl)`): a new slot starts a new entry, and the
decorator's own ttl (the settings' maximum) clears the old ones.
"""

import datetime as dt
import time

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from data_access import beds

LIVE_MAX_TTL = 3600  # settings.py: bed_state_ttl_seconds <= 3600
QUERY_MAX_TTL = 86400  # settings.py: query_ttl_seconds <= 86400


def slot(ttl_seconds: float) -> int:
    """The number of the current time slot of length ttl_seconds."""
    return int(time.time() // max(float(ttl_seconds), 1.0))


@st.cache_data(ttl=LIVE_MAX_TTL, max_entries=64, show_spinner=False)
def ward_bed_state(_engine: sa.Engine, url: str, _viewer, viewer_key: tuple, level: str, code: str | None,
                   end: dt.date, bound: dt.datetime | None, time_slot: int) -> pd.DataFrame:
    with _engine.connect() as conn:
        return beds.ward_bed_state(conn, _viewer, level, code, end, bound)


@st.cache_data(ttl=LIVE_MAX_TTL, max_entries=16, show_spinner=False)
def last_report(_engine: sa.Engine, url: str, bound: dt.datetime | None, time_slot: int) -> dt.datetime | None:
    with _engine.connect() as conn:
        return beds.last_report(conn, bound)


@st.cache_data(ttl=LIVE_MAX_TTL, max_entries=64, show_spinner=False)
def placement_candidates(_engine: sa.Engine, url: str, _viewer, viewer_key: tuple, level: str, code: str | None,
                         home_locality: str, service_line: str, security_level: str, gender: str, end: dt.date,
                         bound: dt.datetime | None, time_slot: int) -> pd.DataFrame:
    with _engine.connect() as conn:
        return beds.placement_candidates(conn, _viewer, level, code, home_locality, service_line, security_level,
                                         gender, end, bound)


@st.cache_data(ttl=QUERY_MAX_TTL, max_entries=32, show_spinner=False)
def daily_occupancy(_engine: sa.Engine, url: str, _viewer, viewer_key: tuple, level: str, code: str | None,
                    start: dt.date, end: dt.date, time_slot: int) -> pd.DataFrame:
    with _engine.connect() as conn:
        return beds.daily_occupancy(conn, _viewer, level, code, start, end)


@st.cache_data(ttl=QUERY_MAX_TTL, max_entries=32, show_spinner=False)
def daily_out_of_area(_engine: sa.Engine, url: str, _viewer, viewer_key: tuple, level: str, code: str | None,
                      start: dt.date, end: dt.date, time_slot: int) -> pd.DataFrame:
    with _engine.connect() as conn:
        return beds.daily_out_of_area(conn, _viewer, level, code, start, end)


@st.cache_data(ttl=QUERY_MAX_TTL, max_entries=32, show_spinner=False)
def monthly_repatriations(_engine: sa.Engine, url: str, _viewer, viewer_key: tuple, level: str, code: str | None,
                          start: dt.date, end: dt.date, time_slot: int) -> pd.DataFrame:
    with _engine.connect() as conn:
        return beds.monthly_repatriations(conn, _viewer, level, code, start, end)


@st.cache_data(ttl=QUERY_MAX_TTL, max_entries=32, show_spinner=False)
def home_flows(_engine: sa.Engine, url: str, _viewer, viewer_key: tuple, level: str, code: str | None,
               day: dt.date, time_slot: int) -> pd.DataFrame:
    with _engine.connect() as conn:
        return beds.home_flows(conn, _viewer, level, code, day)


@st.cache_data(ttl=QUERY_MAX_TTL, max_entries=4, show_spinner=False)
def localities(_engine: sa.Engine, url: str, time_slot: int) -> pd.DataFrame:
    with _engine.connect() as conn:
        return beds.localities(conn)


def viewer_key(viewer) -> tuple:
    """What of the viewer decides access (so two viewers never share a cached answer wrongly)."""
    return () if viewer is None else (viewer.user_id, viewer.role, tuple(viewer.home))


def clear_live() -> None:
    """Forget the live bed-state reads (after a provider's submission) and nothing else."""
    for fn in (ward_bed_state, last_report, placement_candidates):
        fn.clear()
