"""Cached read for the Data quality page, keyed on small parameters (database URL, viewer policy, scope, dates)."""

import datetime as dt

import sqlalchemy as sa
import streamlit as st

from data_access.access import Viewer
from metrics import data_quality

TTL = 600


@st.cache_data(ttl=TTL, show_spinner=False)
def report(_engine: sa.Engine, url: str, policy: Viewer | None, level: str, code: str | None, start: dt.date,
           end: dt.date, due_days: int, as_of: dt.date) -> dict:
    with _engine.connect() as conn:
        return data_quality.report(conn, policy, level, code, start, end, due_days, as_of)
