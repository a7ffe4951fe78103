"""Cached reads for the Quality page: keyed on small parameters (database URL, viewer, scope, dates).

The viewer is part of the key (a frozen dataclass), so one viewer's allowed result is never served
to another: data_access.quality checks access inside the cached call.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from data_access import quality
from data_access.access import Viewer

TTL = 600


@st.cache_data(ttl=TTL, show_spinner=False)
def monthly(_engine: sa.Engine, url: str, viewer: Viewer | None, level: str, code: str | None, start: dt.date,
            end: dt.date) -> pd.DataFrame:
    with _engine.connect() as conn:
        return quality.monthly_aggregates(conn, viewer, level, code, start, end)


@st.cache_data(ttl=TTL, show_spinner=False)
def by_child(_engine: sa.Engine, url: str, viewer: Viewer | None, level: str, code: str | None, start: dt.date,
             end: dt.date) -> tuple[pd.Series, pd.DataFrame]:
    with _engine.connect() as conn:
        return quality.period_aggregates(conn, viewer, level, code, start, end)
