"""Cached reads for the Women's pathway page, keyed on small parameters (never DataFrames).

Each takes `_engine` (not hashed) and `url` (hashed), as ui/cached.py; the viewer is part of
the key because data_access checks access for it.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from data_access import women
from data_access.access import Viewer

TTL = 600


@st.cache_data(ttl=TTL, show_spinner=False)
def indicators(_engine: sa.Engine, url: str, viewer: Viewer | None, level: str, code: str | None,
               end: dt.date) -> pd.DataFrame:
    with _engine.connect() as conn:
        return women.indicators(conn, viewer, level, code, end)


@st.cache_data(ttl=TTL, show_spinner=False)
def child_indicators(_engine: sa.Engine, url: str, viewer: Viewer | None, level: str, code: str | None,
                     end: dt.date) -> tuple[list, pd.DataFrame]:
    with _engine.connect() as conn:
        return women.child_indicators(conn, viewer, level, code, end)


@st.cache_data(ttl=TTL, show_spinner=False)
def distributions(_engine: sa.Engine, url: str, viewer: Viewer | None, level: str, code: str | None,
                  end: dt.date) -> dict:
    with _engine.connect() as conn:
        return women.distributions(conn, viewer, level, code, end)


@st.cache_data(ttl=TTL, show_spinner=False)
def transitions(_engine: sa.Engine, url: str, viewer: Viewer | None, level: str, code: str | None,
                start: dt.date, end: dt.date) -> pd.DataFrame:
    with _engine.connect() as conn:
        return women.transitions(conn, viewer, level, code, start, end)


@st.cache_data(ttl=TTL, show_spinner=False)
def pilot(_engine: sa.Engine, url: str, viewer: Viewer | None, level: str, code: str | None,
          end: dt.date) -> dict:
    with _engine.connect() as conn:
        return women.pilot(conn, viewer, level, code, end)


@st.cache_data(ttl=TTL, show_spinner=False)
def survey(_engine: sa.Engine, url: str, viewer: Viewer | None, level: str, code: str | None) -> pd.DataFrame:
    with _engine.connect() as conn:
        return women.survey(conn, viewer, level, code)
