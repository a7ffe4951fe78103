"""Fast bulk loading of DataFrames into the reporting tables.

Each engine's fast path (DuckDB reads a registered DataFrame, PostgreSQL takes COPY, anything
else gets executemany) lives in its spec (data_access/dialect.py). Columns are written in the
schema's order; the caller's frame must have them all.
"""

import pandas as pd
import sqlalchemy as sa

from data_access.dialect import spec_for
from data_access.schema import metadata


def _ordered(table_name: str, frame: pd.DataFrame) -> pd.DataFrame:
    columns = [c.name for c in metadata.tables[table_name].columns]
    missing = set(columns) - set(frame.columns)
    if missing:
        raise ValueError(f"{table_name}: missing columns {sorted(missing)}")
    return frame[columns]


def insert_frame(conn: sa.Connection, table_name: str, frame: pd.DataFrame) -> int:
    """Append `frame` to `table_name` inside the caller's transaction."""
    if frame.empty:
        return 0
    spec_for(conn).bulk_insert(conn, metadata.tables[table_name], _ordered(table_name, frame))
    return len(frame)


def analyze(conn: sa.Connection, tables) -> None:
    """Refresh the planner's statistics of the tables a load wrote (every load path ends with this)."""
    spec_for(conn).analyze(conn, sorted(set(tables)))
