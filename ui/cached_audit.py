"""Reads for the audit page. Not cached: the audit trail must show the latest rows at once."""

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import audit
from data_access.access import Viewer

LIMIT = 5000


def audit_rows(_engine: sa.Engine, url: str, viewer: Viewer | None, start: dt.date, end: dt.date,
               actions: tuple[str, ...], user: str) -> pd.DataFrame:
    """audit.read for the page; AccessDenied for roles without the audit trail."""
    with _engine.connect() as conn:
        return audit.read(conn, viewer, start, end, actions, user, LIMIT)
