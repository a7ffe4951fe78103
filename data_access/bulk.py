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
    table = metadata.tables[table_name]
    missing = [c for c in table.columns if c.name not in frame.columns]
    required = sorted(c.name for c in missing if not c.nullable)
    if required:
        raise ValueError(f"{table_name}: missing columns {required}")
    if missing:  # nullable columns the caller does not fill (e.g. added later) are written as NULL
        frame = frame.assign(**{c.name: None for c in missing})
    return frame[[c.name for c in table.columns]]


def insert_frame(conn: sa.Connection, table_name: str, frame: pd.DataFrame) -> int:
    """Append `frame` to `table_name` inside the caller's transaction."""
    if frame.empty:
        return 0
    return copy_frame(conn, metadata.tables[table_name], _ordered(table_name, frame))


def stage(conn: sa.Connection, name: str, table_name: str, frame: pd.DataFrame) -> sa.Table:
    """A temporary table `name` with `table_name`'s columns, holding `frame` (dropped with `unstage`)."""
    columns = {c.name: c.type for c in metadata.tables[table_name].columns}
    return stage_columns(conn, name, columns, frame)


def stage_columns(conn: sa.Connection, name: str, columns: dict, frame: pd.DataFrame) -> sa.Table:
    """A temporary table `name` with `columns` ({name: SQLAlchemy type}) holding `frame`."""
    staged = sa.Table(name, sa.MetaData(), *[sa.Column(c, kind) for c, kind in columns.items()],
                      prefixes=["TEMPORARY"])
    staged.create(conn)
    copy_frame(conn, staged, frame[list(columns)])
    return staged


def unstage(conn: sa.Connection, staged: sa.Table) -> None:
    staged.drop(conn)


def copy_frame(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Append `frame` (columns already in the table's order) to any table, e.g. a staging table, by the
    engine spec's fast path."""
    if frame.empty:
        return 0
    spec_for(conn).bulk_insert(conn, table, frame)
    return len(frame)


def tidy(engine: sa.Engine, tables) -> None:
    """After a load has committed: VACUUM (PostgreSQL) what it rewrote, so reads skip the rows it replaced."""
    spec_for(engine).tidy(engine, sorted(set(tables)))


def analyze(conn: sa.Connection, tables) -> None:
    """Refresh the planner's statistics of the tables a load wrote (every load path ends with this)."""
    spec_for(conn).analyze(conn, sorted(set(tables)))
