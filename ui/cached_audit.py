"""Reads for the audit page. The rows are not cached (the audit trail must show the latest rows at
once); the organisations a viewer may read rows about are (keyed on the viewer's access policy)."""

import datetime as dt

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from data_access import access, audit
from data_access.access import Viewer

LIMIT = 5000


@st.cache_data(ttl=600, show_spinner=False)
def visible_keys(_engine: sa.Engine, url: str, policy: Viewer | None) -> set[str] | None:
    with _engine.connect() as conn:
        return access.visible_keys(conn, policy)


def audit_rows(_engine: sa.Engine, url: str, viewer: Viewer | None, start: dt.date, end: dt.date,
               actions: tuple[str, ...], user: str) -> pd.DataFrame:
    """audit.read for the page; AccessDenied for roles without the audit trail."""
    access.require(viewer, "read audit")
    keys = visible_keys(_engine, url, viewer.policy if viewer else None)
    with _engine.connect() as conn:
        return audit.read(conn, viewer, start, end, actions, user, LIMIT, keys=keys)
