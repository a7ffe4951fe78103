"""Fast bulk loading of DataFrames into the reporting tables.

The one place that knows how each engine loads many rows quickly: DuckDB reads a
registered DataFrame, PostgreSQL takes COPY, anything else gets executemany.
Columns are written in the schema's order; the caller's frame must have them all.
"""

import io

import pandas as pd
import sqlalchemy as sa

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
    return copy_frame(conn, table_name, _ordered(table_name, frame))


def stage(conn: sa.Connection, name: str, table_name: str, frame: pd.DataFrame) -> sa.Table:
    """A temporary table `name` with `table_name`'s columns, holding `frame` (dropped with `unstage`)."""
    columns = {c.name: c.type for c in metadata.tables[table_name].columns}
    return stage_columns(conn, name, columns, frame)


def stage_columns(conn: sa.Connection, name: str, columns: dict, frame: pd.DataFrame) -> sa.Table:
    """A temporary table `name` with `columns` ({name: SQLAlchemy type}) holding `frame`."""
    staged = sa.Table(name, sa.MetaData(), *[sa.Column(c, kind) for c, kind in columns.items()],
                      prefixes=["TEMPORARY"])
    staged.create(conn)
    copy_frame(conn, name, frame[list(columns)])
    return staged


def unstage(conn: sa.Connection, staged: sa.Table) -> None:
    staged.drop(conn)


def copy_frame(conn: sa.Connection, table_name: str, frame: pd.DataFrame) -> int:
    """Append `frame` (columns already in the table's order) to any table, e.g. a staging table."""
    if frame.empty:
        return 0
    name = conn.dialect.name
    if name == "duckdb":
        _insert_duckdb(conn, table_name, frame)
    elif name == "postgresql":
        _insert_postgres(conn, table_name, frame)
    else:
        conn.execute(metadata.tables[table_name].insert(), frame.to_dict("records"))
    return len(frame)


def _insert_duckdb(conn: sa.Connection, table_name: str, frame: pd.DataFrame) -> None:
    raw = conn.connection.driver_connection
    view = f"_bulk_{table_name}"
    raw.register(view, frame)
    try:
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        raw.execute(f'INSERT INTO "{table_name}" ({cols}) SELECT {cols} FROM {view}')
    finally:
        raw.unregister(view)


def _insert_postgres(conn: sa.Connection, table_name: str, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N", date_format="%Y-%m-%d %H:%M:%S")
    buffer.seek(0)
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    cursor = conn.connection.driver_connection.cursor()
    sql = f'COPY "{table_name}" ({cols}) FROM STDIN WITH (FORMAT csv, NULL \'\\N\')'
    with cursor.copy(sql) as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)
