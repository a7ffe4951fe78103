"""Every difference between the database engines, in one place (as Superset's engine specs).

One spec per engine (`DuckDBSpec`, `PostgresSpec`; `EngineSpec` for anything else): how the
engine is pooled, how many rows are bulk-loaded, how statistics are refreshed after a load
(ANALYZE), how a query is stopped when it runs past `query_timeout_seconds`, and whether
row-level security can be installed. `spec_for(engine_or_connection)` picks one.

The SQL expressions below (date arithmetic, medians, distances) are written once for both
engines: DuckDB and PostgreSQL agree on them. SQL Server would need its own branch of each
(DATEDIFF, PERCENTILE_CONT ... OVER) and nothing else.
"""

import atexit
import io
import threading
import time

import pandas as pd
import sqlalchemy as sa

EARTH_RADIUS_KM = 6371.0


class QueryTimeout(RuntimeError):
    """A query ran past query_timeout_seconds and was stopped; the message says so in plain words."""


def timeout_message(seconds: float) -> str:
    return (f"This view took longer than {seconds:g} seconds to compute and was stopped, so that the rest of "
            "the page stays usable. Choose a shorter period or a smaller organisation, or try again later.")


# --------------------------------------------------------------------------- SQL expressions


def days_between(earlier, later):
    """Whole days from `earlier` to `later` (both DATE expressions)."""
    return later - earlier


def add_days(day, days: int):
    """A DATE expression plus a whole number of days."""
    return day + days


def to_date(timestamp):
    """The calendar date of a TIMESTAMP expression."""
    return sa.cast(timestamp, sa.Date)


def seconds_between(earlier, later):
    """Seconds from `earlier` to `later` (both TIMESTAMP expressions), as a double: date_part('epoch', ...) is a
    double on both engines, where PostgreSQL's EXTRACT gives a numeric (a year of England's restrictive episodes'
    hours summed in numeric arithmetic took twice as long)."""
    epoch = sa.literal_column("'epoch'")
    return sa.func.date_part(epoch, later, type_=sa.Float) - sa.func.date_part(epoch, earlier, type_=sa.Float)


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


# --------------------------------------------------------------------------- engine specs

_limits: dict[int, float] = {}  # id(engine) -> query_timeout_seconds (0 = none)
_checkout_hooks: dict[int, object] = {}  # id(engine) -> its PostgreSQL checkout listener


class EngineSpec:
    """A database reached through SQLAlchemy only: no bulk path, no statistics, no timeout, no RLS."""

    name = "generic"

    def engine_options(self) -> dict:
        return {"pool_pre_ping": True}

    def bulk_insert(self, conn: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
        conn.execute(table.insert(), frame.to_dict("records"))

    def prepare(self, engine: sa.Engine) -> None:
        """Session settings every new connection of the app's engine gets."""

    def analyze(self, conn: sa.Connection, tables: list[str]) -> None:
        """Refresh the planner's statistics of `tables` (in the caller's transaction)."""

    def for_bulk_work(self, conn: sa.Connection) -> None:
        """Settings for a load's set-based rebuild (the facts), for the rest of the caller's transaction."""

    def tidy(self, engine: sa.Engine, tables: list[str]) -> None:
        """After a load has committed: reclaim what it replaced and refresh the statistics of `tables`."""

    def limit_queries(self, engine: sa.Engine, seconds: float) -> None:
        """Stop any query of `engine` that runs longer than `seconds` (0 = never); QueryTimeout is raised."""
        _limits[id(engine)] = float(seconds)
        if not sa.event.contains(engine, "handle_error", _on_error):
            sa.event.listen(engine, "handle_error", _on_error)
        self._install_limit(engine)

    def _install_limit(self, engine: sa.Engine) -> None:
        pass

    def is_timeout(self, error: BaseException) -> bool:
        return False

    def has_rls(self, conn: sa.Connection) -> bool:
        """Are the row-level-security functions of scripts/postgres_rls.sql installed?"""
        return False


class DuckDBSpec(EngineSpec):
    """Embedded DuckDB: one connection per thread, bulk loads from a registered DataFrame, interrupt()."""

    name = "duckdb"

    def engine_options(self) -> dict:
        return {"poolclass": sa.pool.SingletonThreadPool}

    def bulk_insert(self, conn, table, frame) -> None:
        raw = conn.connection.driver_connection
        view = f"_bulk_{table.name}"
        raw.register(view, frame)
        try:
            cols = ", ".join(f'"{c}"' for c in frame.columns)
            sql = f'INSERT INTO "{table.name}" ({cols}) SELECT {cols} FROM {view}'  # schema names only
            raw.execute(sql)
        finally:
            raw.unregister(view)

    def analyze(self, conn, tables) -> None:
        if tables:
            conn.exec_driver_sql("ANALYZE")  # DuckDB analyses the whole database; it is quick

    def _install_limit(self, engine) -> None:
        if not sa.event.contains(engine, "before_cursor_execute", _start_timer):
            sa.event.listen(engine, "before_cursor_execute", _start_timer)
            sa.event.listen(engine, "after_cursor_execute", _stop_timer)

    def is_timeout(self, error) -> bool:
        return type(error).__name__ == "InterruptException" or "INTERRUPT" in str(error).upper()


def _session_settings(dbapi_connection, connection_record) -> None:
    """The planner settings of the dashboard's sessions. JIT compilation costs 0.3-0.7 s on each heavy aggregate of
    a page and saves less than that on queries of a second or two: off. random_page_cost 1.1 (the default, 4,
    is for spinning disks): the facts are written in day order and read from memory or SSD, so a year's range of
    a daily fact table is an index range scan, not a scan of the whole table (0.52 s -> 0.20 s for England's
    daily census by security level over 12 months; both measured on the national demo). No parallel workers per
    query: a page already runs its reads side by side (ui.cached.prefetch) and many sessions run at once, so workers
    only compete with them for the cores (England on 2 cores, alternate runs: the Overview's period change 0.67-0.71
    -> 0.50-0.57 s, Quality's 0.78-0.99 -> 0.64-0.76 s, Bed occupancy's 0.60-0.68 -> 0.47-0.54 s)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        cursor.execute("SET random_page_cost = 1.1")
        cursor.execute("SET max_parallel_workers_per_gather = 0")
    dbapi_connection.commit()


BULK_WORK_MEM = "1GB"  # PostgreSQL work_mem of a load's facts rebuild (its own transaction only)


class PostgresSpec(EngineSpec):
    """PostgreSQL: a pinged pool, COPY for bulk loads, ANALYZE per table, statement_timeout."""

    name = "postgresql"

    def engine_options(self) -> dict:
        return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5}

    def prepare(self, engine) -> None:
        if not sa.event.contains(engine, "connect", _session_settings):
            sa.event.listen(engine, "connect", _session_settings)

    def bulk_insert(self, conn, table, frame) -> None:
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False, na_rep="\\N", date_format="%Y-%m-%d %H:%M:%S")
        buffer.seek(0)
        cols = ", ".join(f'"{c}"' for c in frame.columns)
        cursor = conn.connection.driver_connection.cursor()
        sql = f'COPY "{table.name}" ({cols}) FROM STDIN WITH (FORMAT csv, NULL \'\\N\')'
        with cursor.copy(sql) as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)

    def analyze(self, conn, tables) -> None:
        for name in tables:
            sql = f'ANALYZE "{name}"'  # table names of the schema only
            conn.exec_driver_sql(sql)

    def tidy(self, engine, tables) -> None:
        # A rebuild deletes the old facts and inserts new ones: until VACUUM, every index range also visits
        # the dead rows (a national month read 55,000 pages instead of 600). VACUUM cannot run in a transaction.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in tables:
                sql = f'VACUUM (ANALYZE) "{name}"'  # table names of the schema only
                conn.exec_driver_sql(sql)

    def for_bulk_work(self, conn) -> None:
        # The facts rebuild groups tens of millions of ward-days: with the default 4 MB the planner sorts them
        # on disk (over 10 minutes at national scale); a transaction-local allowance lets it hash them.
        conn.execute(sa.text("SELECT set_config('work_mem', :value, true)"), {"value": BULK_WORK_MEM})

    def _install_limit(self, engine) -> None:
        if id(engine) in _checkout_hooks:
            return
        engine_id = id(engine)

        def set_timeout(dbapi_connection, connection_record, connection_proxy) -> None:
            with dbapi_connection.cursor() as cursor:
                milliseconds = str(int(_limits.get(engine_id, 0.0) * 1000))
                cursor.execute("SELECT set_config('statement_timeout', %s, false)", (milliseconds,))

        _checkout_hooks[engine_id] = set_timeout
        sa.event.listen(engine, "checkout", set_timeout)

    def is_timeout(self, error) -> bool:
        return getattr(error, "sqlstate", None) == "57014"  # query_canceled

    def has_rls(self, conn) -> bool:
        return bool(conn.execute(sa.text("SELECT to_regproc('pcd_visible_wards') IS NOT NULL")).scalar())


SPECS = {spec.name: spec for spec in (DuckDBSpec(), PostgresSpec())}


def spec_for(bind: sa.Engine | sa.Connection | str) -> EngineSpec:
    """The spec of an engine, a connection, or a URL."""
    name = sa.make_url(bind).get_backend_name() if isinstance(bind, str) else bind.dialect.name
    return SPECS.get(name, EngineSpec())


def _limit(conn: sa.Connection) -> float:
    return _limits.get(id(conn.engine), 0.0)


class _Watchdog:
    """One daemon thread that interrupts DuckDB queries running past their deadline.

    A threading.Timer per query would start a thread per query: cheap alone, but Thread.start waits for the new
    thread to take the GIL, up to the 5 ms switch interval while another thread of the page is busy.
    """

    def __init__(self):
        self._due: dict[object, tuple[float, object]] = {}  # token -> (deadline, interrupt)
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def add(self, seconds: float, interrupt) -> object:
        token = object()
        with self._cond:
            self._due[token] = (time.monotonic() + seconds, interrupt)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pcd-query-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()
        return token

    def cancel(self, token) -> None:
        with self._cond:
            self._due.pop(token, None)

    @staticmethod
    def _interrupt(interrupt) -> None:
        """Call it (no reference to the connection stays in the watchdog's frame)."""
        try:
            interrupt()
        except Exception:  # noqa: BLE001 - a connection closed meanwhile has nothing to interrupt
            pass

    def stop(self) -> None:
        """End the thread (at exit: a thread left running keeps the interpreter from releasing DuckDB cleanly)."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=1)

    def _run(self) -> None:
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                for token in [t for t, (due, _) in self._due.items() if due <= now]:
                    self._interrupt(self._due.pop(token)[1])
                nearest = min((due for due, _ in self._due.values()), default=None)
                self._cond.wait(None if nearest is None else max(nearest - now, 0.001))


_watchdog = _Watchdog()
atexit.register(_watchdog.stop)


def _start_timer(conn, cursor, statement, parameters, context, executemany) -> None:
    seconds = _limit(conn)
    if seconds > 0:
        conn.info["pcd_timer"] = _watchdog.add(seconds, conn.connection.dbapi_connection.interrupt)


def _stop_timer(conn, cursor, statement, parameters, context, executemany) -> None:
    token = conn.info.pop("pcd_timer", None)
    if token is not None:
        _watchdog.cancel(token)


def _on_error(context: sa.engine.ExceptionContext):
    conn = context.connection
    if conn is not None:
        _stop_timer(conn, None, None, None, None, None)
    engine = context.engine
    if engine is not None and spec_for(engine).is_timeout(context.original_exception):
        raise QueryTimeout(timeout_message(_limits.get(id(engine), 0.0))) from context.sqlalchemy_exception


def deletes_parents_after_children(conn) -> bool:
    """Whether a parent row may be deleted in the transaction that deleted its child rows.

    DuckDB checks a foreign key against the rows as they were when the transaction began, so
    there the records a resubmission drops are deleted after the load commits, one table per
    transaction, children first (data_access/mhsds.py).
    """
    return spec_for(conn).name != "duckdb"
