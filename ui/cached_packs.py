"""Cached reads for the meeting packs page."""

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from data_access import governance
from ui.cached import TTL


@st.cache_data(ttl=TTL, show_spinner=False)
def forums(_engine: sa.Engine, url: str, _viewer, viewer_key: str, level: str, code: str | None,
           collaborative_id: str | None) -> pd.DataFrame:
    with _engine.connect() as conn:
        return governance.forums(conn, _viewer, level, code, collaborative_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def forum_detail(_engine: sa.Engine, url: str, forum_id: str) -> tuple[list[str], list[str]]:
    """(KPI ids the forum reviews, names of the forums it escalates to)."""
    with _engine.connect() as conn:
        return governance.forum_kpi_ids(conn, forum_id), governance.escalation_chain(conn, forum_id)
