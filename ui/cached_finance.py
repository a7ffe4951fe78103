"""Cached reads for the finance page, keyed on small parameters (database URL, viewer, scope, year).

The viewer is passed unhashed (`_viewer`) with `viewer_key` (role and home), so that one cache entry
belongs to one database and one kind of viewer: a provider never gets a lead provider's entry.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from data_access import finance, finance_import

TTL = 600


def viewer_key(viewer) -> tuple:
    return () if viewer is None else (viewer.role, tuple(viewer.home))


@st.cache_data(ttl=TTL, show_spinner=False)
def ledger(_engine: sa.Engine, url: str, _viewer, viewer_key: tuple, level: str, code: str | None,
           fy_start: dt.date, fy_end: dt.date) -> dict:
    with _engine.connect() as conn:
        return finance.ledger(conn, _viewer, level, code, fy_start, fy_end)


@st.cache_data(ttl=TTL, show_spinner=False)
def bed_days(_engine: sa.Engine, url: str, _viewer, viewer_key: tuple, level: str, code: str | None,
             first: dt.date, last: dt.date) -> pd.DataFrame:
    with _engine.connect() as conn:
        return finance.bed_days_by_provider(conn, _viewer, level, code, first, last)


@st.cache_data(ttl=TTL, show_spinner=False)
def risk_shares(_engine: sa.Engine, url: str, _viewer, viewer_key: tuple, level: str, code: str | None,
                fy_label: str, fy_start: dt.date, fy_end: dt.date) -> pd.DataFrame:
    with _engine.connect() as conn:
        return finance.risk_shares(conn, _viewer, level, code, fy_label, fy_start, fy_end)


@st.cache_data(ttl=TTL, show_spinner=False)
def importable(_engine: sa.Engine, url: str, _viewer, viewer_key: tuple) -> list[tuple[str, str]]:
    with _engine.connect() as conn:
        return finance_import.importable_collaboratives(conn, _viewer)


@st.cache_data(ttl=60, show_spinner=False)
def template(_engine: sa.Engine, url: str, _viewer, viewer_key: tuple, fy_label: str, collab_id: str,
             month: dt.date) -> bytes:
    with _engine.connect() as conn:
        return finance_import.template_bytes(conn, _viewer, fy_label, collab_id, month)


def clear_after_load() -> None:
    """A load changed the ledger and load_log: every page's cached figures (money KPIs, data as of) are stale."""
    st.cache_data.clear()
