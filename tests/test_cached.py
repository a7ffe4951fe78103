"""The one cached-read helper (ui.cached.read): keyed on the viewer's access policy, the settings' ttl, and an
import refreshing only the readers of what it changed."""

import types

import pytest
import sqlalchemy as sa

from data_access.access import Viewer
from ui import cached

CALLS = []


def finance_like(conn, viewer, x):
    CALLS.append(("finance", viewer, x))
    return len(CALLS)


def beds_like(conn, viewer, x):
    CALLS.append(("beds", viewer, x))
    return len(CALLS)


def kpis_like(conn, viewer, x):
    CALLS.append(("kpis", viewer, x))
    return len(CALLS)


finance_like.__module__ = "data_access.finance"  # what it depends on is decided by its module
beds_like.__module__ = "data_access.beds"
kpis_like.__module__, kpis_like.__qualname__ = "ui.cached", "_kpi_table"  # KPI tables: finance and bed state


@pytest.fixture
def ctx(tmp_path):
    CALLS.clear()
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'c.duckdb'}")
    yield types.SimpleNamespace(engine=engine, url=f"test-{tmp_path}", viewer=Viewer("a", "crg", ("national",)),
                                settings={"query_ttl_seconds": 600, "bed_state_ttl_seconds": 120})
    engine.dispose()


def test_users_with_the_same_access_share_an_entry_and_others_do_not(ctx):
    first = cached.read(ctx, beds_like, 1)
    ctx.viewer = Viewer("b", "crg", ("national",))  # another user, same access
    assert cached.read(ctx, beds_like, 1) == first and len(CALLS) == 1
    assert CALLS[0][1].user_id == ""  # readers get the policy, never the user
    ctx.viewer = Viewer("c", "crg", ("region:Y60",))
    assert cached.read(ctx, beds_like, 1) != first and len(CALLS) == 2


def test_an_import_refreshes_only_what_depends_on_it(ctx):
    cached.read(ctx, finance_like, 1)
    cached.read(ctx, beds_like, 1)
    cached.changed("finance")
    cached.read(ctx, finance_like, 1)
    cached.read(ctx, beds_like, 1)
    assert [c[0] for c in CALLS] == ["finance", "beds", "finance"]


def test_kpi_tables_refresh_after_either_feed_they_read(ctx):
    """Available bed days come from the capacity facts a bed-state submission rewrites, money from the ledger."""
    cached.read(ctx, kpis_like, 1)
    cached.read(ctx, finance_like, 1)
    cached.changed("bed_state")
    cached.read(ctx, kpis_like, 1)  # afresh
    cached.read(ctx, finance_like, 1)  # kept: a submission does not touch the ledger
    cached.changed("finance")
    cached.read(ctx, kpis_like, 1)  # afresh
    assert [c[0] for c in CALLS] == ["kpis", "finance", "kpis", "kpis"]


def test_the_settings_ttl_is_honoured(ctx, monkeypatch):
    now = [1_200_000.0]  # the start of a 600-second slot (and of a 120-second one)
    monkeypatch.setattr(cached.time, "time", lambda: now[0])
    cached.read(ctx, beds_like, 2)
    now[0] += 599  # an entry lives at most query_ttl_seconds (until its slot ends)
    cached.read(ctx, beds_like, 2)
    assert len(CALLS) == 1
    now[0] += 2  # past query_ttl_seconds (a new slot)
    cached.read(ctx, beds_like, 2)
    assert len(CALLS) == 2
    cached.read(ctx, beds_like, 2, live=True)  # live bed state: bed_state_ttl_seconds
    now[0] += 121
    cached.read(ctx, beds_like, 2, live=True)
    assert len(CALLS) == 4


def test_cache_keys_are_the_text_of_plain_values_only():
    """One key string per read (Streamlit hashed every argument: a quarter of a rerun): equal values, equal keys;
    anything that is not a plain value (a DataFrame above all) is refused."""
    import datetime as dt

    import numpy as np
    import pandas as pd

    lead = Viewer("a@nhs.uk", "lead_provider", ("collaborative:IMPACT",))
    same = Viewer("b@nhs.uk", "lead_provider", ("collaborative:IMPACT",))
    key = cached.cache_key("url", "reader", lead.policy, ("collaborative", "IMPACT", dt.date(2024, 3, 1)), 3, ())
    assert key == cached.cache_key("url", "reader", same.policy, ("collaborative", "IMPACT", dt.date(2024, 3, 1)), 3,
                                   ())
    assert key != cached.cache_key("url", "reader", lead.policy, ("collaborative", "IMPACT", dt.date(2024, 3, 2)), 3,
                                   ())
    assert cached.cache_key(np.int64(5), 5.0) != cached.cache_key(np.int64(6), 5.0)
    with pytest.raises(TypeError):
        cached.cache_key(pd.DataFrame({"x": [1]}))
    with pytest.raises(TypeError):
        cached.cache_key(("ok", object()))
