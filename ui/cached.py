"""THE cached-read helper: every page reads the database through `read(ctx, reader, *args)`.

`read` calls a data_access function `reader(conn, viewer, *args)` (or `reader(conn, *args)` with
`viewer=False`) through one st.cache_data entry keyed on one string of small parameters (`cache_key`), never
DataFrames: the database URL, the reader's name, the arguments, and the viewer's access policy
(data_access.access.Viewer.policy: role, home and rule without the user), so users with the same
access share entries and no entry computed for one access is served to another. Entries live for
the setting `query_ttl_seconds` (`live=True`: `bed_state_ttl_seconds`, for live bed state): the
settings' ttl enters the key as a time slot, since st.cache_data fixes its own ttl at import.
An import calls `changed(feed)`: only readers that depend on that feed (FEEDS) get new entries;
nobody's other caches are cleared. The few functions below (`kpi_table`, `hierarchy`, ...) are
readers of the same helper with a fixed name.
"""

import contextvars
import dataclasses
import datetime as dt
import enum
import numbers
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
import streamlit as st

from data_access import access, kpi_queries, quality, scope, thresholds
from metrics import catalogue, kpis, overview, rag
from metrics import quality as quality_metrics
from ui.formatting import Table, styled

TTL = 600  # seconds: the default of query_ttl_seconds, for reads made before the settings are known
MAX_TTL = 86400  # settings.py: query_ttl_seconds <= 86400
# What each reader depends on, by reader or module: an import of a feed refreshes only the readers listed under it.
# KPI tables read the ledger (finance) and, through the daily capacity facts, bed state (available bed days).
KPI_FEEDS = ("finance", "bed_state")
FEEDS = {"data_access.finance": ("finance",), "data_access.finance_import": ("finance",),
         "ui.cached._kpi_table": KPI_FEEDS, "ui.cached._kpi_tables": KPI_FEEDS, "ui.cached._kpi_months": KPI_FEEDS,
         "ui.cached._child_table": KPI_FEEDS, "ui.cached._headline_tiles": KPI_FEEDS,
         "ui.cached._children_figures": KPI_FEEDS, "data_access.kpi_queries.data_as_of": ("finance",),
         # live bed state: a provider's submission (app_pages/bed_state_submit.py) refreshes the map and table
         "data_access.beds": ("bed_state",), "data_access.bed_meeting": ("bed_state",)}
_versions: dict[str, int] = {}  # feed -> how many imports this process has made of it
NO_VIEWER = "no viewer"


def slot(ttl_seconds: float) -> int:
    """The number of the current time slot of length ttl_seconds."""
    return int(time.time() // max(float(ttl_seconds), 1.0))


def changed(feed: str) -> None:
    """After an import of `feed`: the readers that depend on it read afresh (for every user); others keep theirs."""
    _versions[feed] = _versions.get(feed, 0) + 1


def _name(reader) -> str:
    return f"{reader.__module__}.{reader.__qualname__}"


@st.cache_data(ttl=MAX_TTL, max_entries=2000, show_spinner=False)
def _read(key: str, *, _engine: sa.Engine, _policy, _args: tuple, _reader):
    """One entry per `key` (the only hashed parameter: Streamlit's hashing of each argument cost a quarter of a
    rerun's CPU); the rest is passed by keyword, unhashed."""
    with _engine.connect() as conn:
        return _reader(conn, *_args) if _policy == NO_VIEWER else _reader(conn, _policy, *_args)


def cache_key(*parts) -> str:
    """The text of plain values (str, numbers including numpy's, dates, None, enums, Viewer and other
    dataclasses of them, tuples, lists, dicts): equal text for equal values, TypeError for anything else (never a
    DataFrame)."""
    for part in parts:
        _check_plain(part)
    return repr(parts)


PLAIN = (str, numbers.Number, bool, type(None), dt.date, dt.datetime, dt.time, dt.timedelta, enum.Enum)


def _check_plain(value) -> None:
    if isinstance(value, PLAIN):
        return
    if isinstance(value, (tuple, list, frozenset)):
        for item in value:
            _check_plain(item)
    elif isinstance(value, dict):
        for item in value.items():
            _check_plain(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _check_plain(getattr(value, field.name))
    else:
        raise TypeError(f"{type(value).__name__} cannot be part of a cache key")


def read_with(engine: sa.Engine, url: str, viewer, reader, *args, ttl: float = TTL, viewer_arg: bool = True):
    """`read` without a page context (the shell, before the context exists)."""
    policy = NO_VIEWER if not viewer_arg else None if viewer is None else viewer.policy
    feeds = FEEDS.get(_name(reader)) or FEEDS.get(reader.__module__, ())
    version = tuple(_versions.get(feed, 0) for feed in feeds)
    key = cache_key(url, _name(reader), policy, args, slot(ttl), version)
    state = _prefetch.get()
    if state is None:
        return _read(key=key, _engine=engine, _policy=policy, _args=args, _reader=reader)  # by name: no inspect
    return state.read(key, lambda: _read(key=key, _engine=engine, _policy=policy, _args=args, _reader=reader))


class _Prefetch:
    """The reads a prefetch started, shared by its threads and the script: a read the script asks for while a
    prefetch thread is running it waits for that thread, then finds it cached, or raises the error the thread
    recorded (once, without running the query again)."""

    def __init__(self):
        self.running: dict[str, threading.Event] = {}  # key -> set when that read has finished (cached or failed)
        self.failures: dict[str, Exception] = {}

    def read(self, key: str, run: Callable[[], object]):
        if _in_prefetch.get():
            return self._run(key, run)
        finished = self.running.get(key)
        if finished is not None:
            finished.wait()
        if key in self.failures:
            raise self.failures.pop(key)
        return run()

    def _run(self, key: str, run: Callable[[], object]):
        mine = threading.Event()
        finished = self.running.setdefault(key, mine)
        if finished is not mine:  # another thread of this prefetch runs it: its result, or its error
            finished.wait()
            if key in self.failures:
                raise self.failures[key]
            return run()
        try:
            return run()
        except Exception as error:
            self.failures[key] = error
            raise
        finally:
            mine.set()


# The prefetch of the script's run (in its context, copied into the prefetch's threads); True in those threads.
_prefetch: contextvars.ContextVar[_Prefetch | None] = contextvars.ContextVar("prefetch", default=None)
_in_prefetch: contextvars.ContextVar[bool] = contextvars.ContextVar("in_prefetch", default=False)
PREFETCH_WORKERS = 2


@st.cache_data(ttl=MAX_TTL, max_entries=2000, show_spinner=False)
def _first_prefetch(signature: str) -> float:
    """When a prefetch of this signature (its context, calls and time slot) first ran: kept in the same cache as
    the reads, so that it goes when they go (st.cache_data.clear, the ttl)."""
    return time.monotonic()


def _prefetch_signature(ctx, calls) -> str:
    described = [(_name(call[0]), call[1:]) if isinstance(call, tuple) else
                 (call.__code__.co_filename, call.__code__.co_firstlineno) for call in calls]
    policy = ctx.viewer.policy if ctx.viewer else None
    ttl = ctx.settings.get("query_ttl_seconds", TTL) if ctx.settings else TTL
    return cache_key(ctx.url, policy, ctx.scope.key, ctx.start, ctx.end, ctx.rule, ctx.targets, ctx.is_demo,
                     sorted(_versions.items()), slot(ttl), described)


def prefetch(ctx, *calls: tuple | Callable[[], object]) -> None:
    """Start these reads side by side, two at a time, and return: each a (reader, *args) tuple read as
    read(ctx, reader, *args), or a function of no argument that makes its reads (`headline_tiles`...). Each runs on
    its own connection into its own cache entry while the page goes on drawing; when the page asks for one, it waits
    for that read only (PostgreSQL runs a query on one core: a page whose figures come from several slow reads waits
    for the slowest pair, not for their sum, and its own Python runs meanwhile). A later rerun that needs only one
    reads only that one. A read that fails (AccessDenied, a query timeout) is not run again: the page's own read of
    it raises the same error where the page shows it. A rerun with the same inputs skips the threads: its reads are
    cached, and each is read in turn."""
    asked = time.monotonic()
    if _first_prefetch(_prefetch_signature(ctx, calls)) < asked:
        return  # done before with these inputs: the reads are cached (a thread pool each rerun cost 1 ms of CPU)
    _prefetch.set(_Prefetch())

    def one(call) -> None:
        _in_prefetch.set(True)
        try:
            call() if callable(call) else read(ctx, *call)
        except Exception:  # noqa: BLE001 - recorded by _Prefetch, raised by the page's own read
            pass

    pool = ThreadPoolExecutor(max_workers=PREFETCH_WORKERS)
    for call in calls:
        pool.submit(contextvars.copy_context().run, one, call)
    pool.shutdown(wait=False)  # the page goes on drawing; a read it asks for waits only for that read


def fresh(ctx, reader, *args):
    """reader(conn, viewer, *args) NOT cached: for rows that must be the latest at once (the audit trail)."""
    with ctx.engine.connect() as conn:
        return reader(conn, ctx.viewer, *args)


def read(ctx, reader, *args, live: bool = False, viewer: bool = True):
    """reader(conn, viewer policy, *args), cached for the settings' ttl; AccessDenied is raised, never cached."""
    ttl = ctx.settings.get("bed_state_ttl_seconds" if live else "query_ttl_seconds", TTL) if ctx.settings else TTL
    return read_with(ctx.engine, ctx.url, ctx.viewer, reader, *args, ttl=ttl, viewer_arg=viewer)


def data_as_of(engine: sa.Engine, url: str) -> dict:
    return read_with(engine, url, None, kpi_queries.data_as_of, viewer_arg=False)


def hierarchy(engine: sa.Engine, url: str) -> pd.DataFrame:
    return read_with(engine, url, None, scope.hierarchy, viewer_arg=False)


def _resolve(conn: sa.Connection, level: str, code: str | None) -> tuple[scope.Scope, list]:
    found = scope.resolve(conn, level, code)
    return found, scope.parents(conn, found)


def resolve_scope(engine: sa.Engine, url: str, level: str, code: str | None) -> tuple[scope.Scope, list]:
    """(scope, parents) or ScopeError."""
    return read_with(engine, url, None, _resolve, level, code, viewer_arg=False)


def _kpi_table(conn, policy, level, code, start, end, targets, kpi_ids) -> pd.DataFrame:
    return kpis.kpi_table(conn.engine, level, code, start, end, kpi_ids=list(kpi_ids) or None,
                          targets=dict(targets) or None, viewer=policy)


def kpi_table(engine: sa.Engine, url: str, level: str, code: str | None, start: dt.date, end: dt.date,
              targets: tuple = (), viewer: access.Viewer | None = None, kpi_ids: tuple = ()) -> pd.DataFrame:
    """metrics.kpis.kpi_table (only `kpi_ids` when given); AccessDenied when the viewer may not see the node."""
    return read_with(engine, url, viewer, _kpi_table, level, code, start, end, targets, tuple(kpi_ids))


def _kpi_tables(conn, policy, level, code, periods, targets, kpi_ids) -> list[pd.DataFrame]:
    return kpis.kpi_tables(conn.engine, level, code, list(periods), kpi_ids=list(kpi_ids) or None,
                           targets=dict(targets) or None, viewer=policy)


def kpi_tables(engine: sa.Engine, url: str, level: str, code: str | None, periods: tuple, targets: tuple = (),
               viewer: access.Viewer | None = None, kpi_ids: tuple = ()) -> list[pd.DataFrame]:
    """metrics.kpis.kpi_tables: one kpi_table per (start, end) in `periods`, computed side by side."""
    return read_with(engine, url, viewer, _kpi_tables, level, code, tuple(periods), targets, tuple(kpi_ids))


def _kpi_months(conn, policy, level, code, start, end, targets, kpi_ids) -> list[pd.DataFrame]:
    return kpis.kpi_tables_by_month(conn.engine, level, code, start, end, kpi_ids=list(kpi_ids) or None,
                                    targets=dict(targets) or None, viewer=policy)


def kpi_months(engine: sa.Engine, url: str, level: str, code: str | None, start: dt.date, end: dt.date,
               targets: tuple = (), viewer: access.Viewer | None = None, kpi_ids: tuple = ()) -> list[pd.DataFrame]:
    """metrics.kpis.kpi_tables_by_month: one kpi_table per calendar month of [start, end], oldest first."""
    return read_with(engine, url, viewer, _kpi_months, level, code, start, end, targets, tuple(kpi_ids))


def _child_table(conn, policy, level, code, start, end) -> pd.DataFrame:
    return kpis.child_table(conn.engine, level, code, start, end, viewer=policy)


def child_table(engine: sa.Engine, url: str, level: str, code: str | None, start: dt.date,
                end: dt.date, viewer: access.Viewer | None = None) -> pd.DataFrame:
    """metrics.kpis.child_table (only the children the viewer may see); AccessDenied as kpi_table."""
    return read_with(engine, url, viewer, _child_table, level, code, start, end)


def _scope_access(conn, policy, level, code) -> dict:
    return {"see": access.allowed(policy, "see scope", (level, code), conn),
            "patient_level": access.allowed(policy, "see patient rows", (level, code), conn),
            "rule": access.rule_for(conn, policy, level, code)}


def scope_access(engine: sa.Engine, url: str, policy: access.Viewer, level: str, code: str | None) -> dict:
    """{"see": aggregates allowed, "patient_level": rows allowed, "rule": disclosure rule} for a node."""
    return read_with(engine, url, policy, _scope_access, level, code)


def _visible_ward_codes(conn, policy) -> set[str] | None:
    wards = access.visible_wards(policy)
    return None if wards is None else {row[0] for row in conn.execute(wards)}


def visible_hierarchy(engine: sa.Engine, url: str, policy: access.Viewer | None) -> pd.DataFrame:
    """The hierarchy's wards the viewer may see (every ward for national and provider roles)."""
    tree = hierarchy(engine, url)
    codes = read_with(engine, url, policy, _visible_ward_codes)
    return tree if codes is None else tree[tree["ward_code"].isin(codes)].reset_index(drop=True)


def bands(ctx) -> dict:
    """THE threshold lookup for the page's scope ({kpi_id: Band with its provenance}), the same on every page."""
    return read_with(ctx.engine, ctx.url, None, thresholds.lookup,
                     thresholds.collaborative_of(ctx.scope, ctx.parents), ctx.is_demo, viewer_arg=False)


# Whole figures of a view, cached as such: a rerun with the same inputs (a widget click, another
# session on the same scope) reuses the disclosed frames instead of redoing the pandas work.

def _headline_tiles(conn, policy, level, code, periods, targets, rule, collaborative, is_demo) -> list[dict]:
    ids = catalogue.HEADLINE_IDS
    now, before = kpis.kpi_tables(conn.engine, level, code, list(periods), kpi_ids=list(rag.with_bases(ids)),
                                  targets=dict(targets) or None, viewer=policy)
    frame = overview.headline(now[now["kpi_id"].isin(ids)], before, rule, level,
                              thresholds.lookup(conn, collaborative, is_demo), dict(zip(now["kpi_id"], now["value"])))
    return frame.set_index("kpi_id").loc[ids].reset_index().to_dict("records")  # tiles' rows, made once


def headline_tiles(ctx, periods: tuple) -> list[dict]:
    """metrics.overview.headline of the Overview's tiles as rows (catalogue.HEADLINE_IDS, in order), rated with the
    bands of `bands(ctx)`: periods = ((start, end), previous (start, end)). AccessDenied as kpi_table."""
    collaborative = thresholds.collaborative_of(ctx.scope, ctx.parents)
    return read(ctx, _headline_tiles, ctx.scope.level, ctx.scope.code, tuple(periods), ctx.targets, ctx.rule,
                collaborative, ctx.is_demo)


def _quality_series(conn, policy, level, code, first, end, rule, provisional, collaborative, is_demo) -> tuple:
    monthly = quality.monthly_aggregates(conn, policy, level, code, first, end)
    long = quality_metrics.monthly_long(monthly, rule, level)
    bands = thresholds.lookup(conn, collaborative, is_demo)
    return long, quality_metrics.summary_table(long, bands, None, provisional)


def quality_series(ctx, first: dt.date, provisional: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Quality page's disclosed monthly series from `first` to the period's end (metrics.quality.monthly_long)
    and its SPC summary table without rebase dates, rated with the bands of `bands(ctx)`: a period change that leaves
    the series as it was, and every other rerun, reuse both. AccessDenied as the monthly aggregates."""
    collaborative = thresholds.collaborative_of(ctx.scope, ctx.parents)
    return read(ctx, _quality_series, ctx.scope.level, ctx.scope.code, first, ctx.end, ctx.rule, provisional,
                collaborative, ctx.is_demo)


def child_labels(child_level: str) -> dict[str, str]:
    """The children table's headings: the child level's name, then each KPI's catalogue label and unit."""
    labels = {k: catalogue.KPIS[k].label + (f" ({catalogue.KPIS[k].unit})" if catalogue.KPIS[k].unit else "")
              for k in catalogue.CHILD_TABLE_IDS}
    return {"name": scope.LEVEL_LABELS[child_level], **labels,
            "out_of_area_pct": "Out of area placements (% of bed days)"}


def _children_figures(conn, policy, level, code, start, end, rule) -> tuple[pd.DataFrame, pd.DataFrame, Table | None]:
    child_level = scope.CHILD_LEVEL[level]
    shown, flags = overview.children_wide(kpis.child_table(conn.engine, level, code, start, end, viewer=policy),
                                          rule, child_level)
    if shown.empty:
        return shown, flags, None
    labels = child_labels(child_level)
    kinds = {labels[k]: catalogue.KPIS[k].kind for k in catalogue.CHILD_TABLE_IDS}
    table = styled(shown.rename(columns=labels), kinds, flags.drop(columns="name").rename(columns=labels))
    return shown, flags, Table(pa.Table.from_pandas(table.data, preserve_index=False), table.column_config)


def children_figures(ctx) -> tuple[pd.DataFrame, pd.DataFrame, Table | None]:
    """metrics.overview.children_wide of child_table: (shown, suppressed) for each child the viewer may see, and
    the table as drawn (child_labels headings, as Arrow; None when there is no child), built once per entry rather
    than on every rerun."""
    return read(ctx, _children_figures, ctx.scope.level, ctx.scope.code, ctx.start, ctx.end, ctx.rule)


# The sidebar's scope selector: (code, name) columns of each level below national in the hierarchy frame.
HIERARCHY_COLUMNS = {"region": ("region_code", "region_name"),
                     "collaborative": ("collaborative_id", "collaborative_name"),
                     "provider": ("provider_code", "provider_name"), "unit": ("unit_code", "unit_name"),
                     "ward": ("ward_code", "ward_name")}


def _fill_parents(chosen: dict, scope_node: tuple | None, rows: pd.DataFrame) -> dict:
    """Parents the breadcrumb leaves out (outside the role) taken from the visible hierarchy, so the selectors
    still walk down to the scope."""
    if scope_node is None or scope_node[0] not in HIERARCHY_COLUMNS:
        return chosen
    level, code = scope_node
    below = rows[rows[HIERARCHY_COLUMNS[level][0]] == code]
    for upper in scope.LEVELS[1:scope.LEVELS.index(level)] if len(below) else []:
        chosen.setdefault(upper, below.iloc[0][HIERARCHY_COLUMNS[upper][0]])
    return chosen


def _scope_choices(conn, policy, path: tuple) -> list[tuple]:
    rows, codes_seen = scope.hierarchy(conn), _visible_ward_codes(conn, policy)
    if codes_seen is not None:
        rows = rows[rows["ward_code"].isin(codes_seen)]
    chosen, parent_key, out = _fill_parents(dict(path), path[-1] if path else None, rows), "national", []
    for level in scope.LEVELS[1:]:
        code_col, name_col = HIERARCHY_COLUMNS[level]
        options = rows[[code_col, name_col]].drop_duplicates().sort_values(name_col)
        codes = dict(zip(options[name_col], options[code_col]))
        current = next((n for n, c in codes.items() if c == chosen.get(level)), None)
        out.append((level, codes, current, parent_key))
        if current is None:
            break
        rows = rows[rows[code_col] == chosen[level]]
        parent_key = f"{level}:{chosen[level]}"
    return out


def scope_choices(engine: sa.Engine, url: str, policy: access.Viewer | None, path: tuple) -> list[tuple]:
    """The sidebar's selectors down to the chosen scope: [(level, {name: code}, chosen name or None, parent key)].

    `path` is ((level, code), ...) for the scope and its parents below national; the list stops at the first
    level with nothing chosen. Only the wards the viewer may see.
    """
    return read_with(engine, url, policy, _scope_choices, path)
