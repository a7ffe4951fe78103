"""ui.cached.prefetch: a page's slow reads side by side, each into its own cache entry; a failure raised where the
page reads it, once, without running the query again; reruns with the same inputs start no threads."""

import datetime as dt
import threading
import types

import pytest
import sqlalchemy as sa
import streamlit as st

from data_access.access import Viewer
from ui import cached

CALLS: list = []
MEET = threading.Barrier(2, timeout=10)


def first_half(conn, viewer, x):
    CALLS.append(("first", x))
    MEET.wait()  # returns only when the other read is running at the same time
    return x * 10


def second_half(conn, viewer, x):
    CALLS.append(("second", x))
    MEET.wait()
    return x * 100


def failing(conn, viewer, x):
    CALLS.append(("failing", x))
    raise ValueError(f"read {len(CALLS)} failed")


@pytest.fixture
def ctx(tmp_path):
    CALLS.clear()
    MEET.reset()
    st.cache_data.clear()
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'p.duckdb'}")
    yield types.SimpleNamespace(engine=engine, url=f"test-{tmp_path}", viewer=Viewer("a", "crg", ("national",)),
                                settings={"query_ttl_seconds": 600}, scope=types.SimpleNamespace(key="national"),
                                start=dt.date(2024, 4, 1), end=dt.date(2025, 3, 31), rule="mhsds", targets=(),
                                is_demo=False)
    engine.dispose()


def test_reads_run_side_by_side_and_the_page_finds_them_cached(ctx):
    cached.prefetch(ctx, (first_half, 1), (second_half, 2))  # each waits for the other: one at a time would fail
    assert cached.read(ctx, first_half, 1) == 10  # waits for the prefetch's thread
    assert cached.read(ctx, second_half, 2) == 200
    assert sorted(CALLS) == [("first", 1), ("second", 2)]  # read from the cache, not run again


def test_the_page_goes_on_while_the_reads_run_and_waits_only_for_the_one_it_asks_for(ctx):
    slow = threading.Event()

    def waits(conn, viewer, x):
        CALLS.append(("waits", x))
        slow.wait(10)
        return x

    def quick(conn, viewer, x):
        CALLS.append(("quick", x))
        return x + 1

    cached.prefetch(ctx, (waits, 7), (quick, 8))  # returns at once: `waits` is still running
    assert cached.read(ctx, quick, 8) == 9
    assert ("waits", 7) in CALLS and not slow.is_set()
    slow.set()
    assert cached.read(ctx, waits, 7) == 7
    assert sorted(CALLS) == [("quick", 8), ("waits", 7)]


def test_a_failed_read_is_raised_by_the_page_s_own_read_once_without_running_again(ctx):
    cached.prefetch(ctx, (failing, 1), lambda: cached.read(ctx, failing, 2))
    with pytest.raises(ValueError, match="failed"):
        cached.read(ctx, failing, 1)
    with pytest.raises(ValueError, match="failed"):
        cached.read(ctx, failing, 2)
    assert len(CALLS) == 2  # the prefetch's errors, not new runs
    with pytest.raises(ValueError, match="read 3 failed"):  # errors are never cached: a later read runs it
        cached.read(ctx, failing, 1)


def test_a_rerun_with_the_same_inputs_starts_no_threads_until_the_cache_is_cleared(ctx, monkeypatch):
    pools = []
    real = cached.ThreadPoolExecutor
    monkeypatch.setattr(cached, "ThreadPoolExecutor", lambda **kw: pools.append(kw) or real(**kw))
    def both(x, y):
        cached.prefetch(ctx, (first_half, x), (second_half, y))
        assert (cached.read(ctx, first_half, x), cached.read(ctx, second_half, y)) == (x * 10, y * 100)

    both(3, 4)
    both(3, 4)
    assert len(pools) == 1
    ctx.end = dt.date(2025, 2, 28)  # another period: new reads
    MEET.reset()
    both(5, 6)
    assert len(pools) == 2
    st.cache_data.clear()  # the reads are gone: so is the record of the prefetch
    MEET.reset()
    both(5, 6)
    assert len(pools) == 3 and len(CALLS) == 6
