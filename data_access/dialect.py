"""The few SQL expressions that differ between engines, in one place (as Superset's engine specs).

DuckDB and PostgreSQL agree on everything used here; SQL Server would need its own
branch of each function (DATEDIFF, PERCENTILE_CONT ... OVER) and nothing else.
"""

import sqlalchemy as sa

EARTH_RADIUS_KM = 6371.0


def days_between(earlier, later):
    """Whole days from `earlier` to `later` (both DATE expressions)."""
    return later - earlier


def to_date(timestamp):
    """The calendar date of a TIMESTAMP expression."""
    return sa.cast(timestamp, sa.Date)


def percentile(expr, fraction: float):
    """Interpolated percentile (percentile_cont) of a numeric expression; NULLs are ignored."""
    return sa.func.percentile_cont(fraction).within_group(expr)


def median(expr):
    return percentile(expr, 0.5)


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km between two points given in degrees."""
    dlat = sa.func.radians(lat2 - lat1)
    dlon = sa.func.radians(lon2 - lon1)
    a = sa.func.power(sa.func.sin(dlat / 2), 2) + sa.func.cos(sa.func.radians(lat1)) * sa.func.cos(
        sa.func.radians(lat2)
    ) * sa.func.power(sa.func.sin(dlon / 2), 2)
    return 2 * EARTH_RADIUS_KM * sa.func.asin(sa.func.sqrt(a))


def greatest(*args):
    return sa.func.greatest(*args)


def least(*args):
    return sa.func.least(*args)


def deletes_parents_after_children(conn) -> bool:
    """Whether a parent row may be deleted in the transaction that deleted its child rows.

    DuckDB checks a foreign key against the rows as they were when the transaction began, so
    there the records a resubmission drops are deleted after the load commits, one table per
    transaction, children first (data_access/mhsds.py).
    """
    return conn.dialect.name != "duckdb"
