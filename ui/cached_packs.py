"""Cached reads for the meeting packs page. What the page writes (narratives, actions, decisions, published
packs) is read through `pack_records`, cleared by `written()` after every write."""

import datetime as dt

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
def forum_detail(_engine: sa.Engine, url: str, forum_id: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(KPI ids the forum reviews, (forum_id, name) of the forums it escalates to, nearest first)."""
    with _engine.connect() as conn:
        return governance.forum_kpi_ids(conn, forum_id), governance.escalation_path(conn, forum_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def pack_records(_engine: sa.Engine, url: str, forum_id: str, key: str, month: dt.date) -> dict[str, pd.DataFrame]:
    """{"narratives", "actions", "decisions", "published"} of a forum and scope (narratives of the month)."""
    with _engine.connect() as conn:
        return {"narratives": governance.narratives(conn, forum_id, key, month),
                "actions": governance.actions(conn, forum_id, key),
                "decisions": governance.decisions(conn, forum_id, key),
                "published": governance.published_packs(conn, forum_id, key)}


@st.cache_data(ttl=TTL, show_spinner=False)
def published_content(_engine: sa.Engine, url: str, pack_id: str, forum_id: str, key: str) -> dict | None:
    with _engine.connect() as conn:
        return governance.published_content(conn, pack_id, forum_id, key)


@st.cache_data(ttl=TTL, show_spinner=False)
def write_allowed(_engine: sa.Engine, url: str, _viewer, viewer_key: str, level: str, code: str | None) -> bool:
    from data_access import access

    with _engine.connect() as conn:
        return access.governance_write_allowed(conn, _viewer, level, code)


def written() -> None:
    """After a write: forget the cached records so the page shows it."""
    pack_records.clear()
