"""Every page × role × crafted scope: nothing outside the role, no unsuppressed small count, anywhere the
page sends data (tables, chart datasets, map layers, metrics, Excel exports). Fixture database (DuckDB).

Roles and homes: national; commissioner for Y63 (NORTH only); lead provider for IMPACT; provider RHA;
crg for CAMHS; viewer for unit U2 (IMPACT's W3 and CAMHS's W4). Crafted scopes: the home, and nodes
outside most roles (provider NQ1 shared by IMPACT and CAMHS, CAMHS's ward W4, NORTH, a missing ward).
The fixture's numbers are small, so under the mhsds rule almost every count must be suppressed.
"""

import pytest
import sqlalchemy as sa

from data_access.access import Viewer, allowed
from tests.apptest import run_app
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture
from tests.security_walk import forbidden, outside_rows, page_tables, small_counts
from ui.navigation import PAGES

VIEWERS = [("national", "national"), ("commissioner", "region:Y63"), ("lead_provider", "collaborative:IMPACT"),
           ("provider", "provider:RHA"), ("crg", "collaborative:CAMHS"), ("viewer", "unit:U2")]
SCOPES = [None, "provider:NQ1", "ward:W4", "collaborative:NORTH", "ward:NOPE"]
HOMES = dict(VIEWERS)
PERIOD = {"from": "2024-03-01", "to": "2024-03-10"}


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("walk") / "fixture.duckdb", build_fixture)


def _run(monkeypatch, url, role, home, page, scope):
    import streamlit as st

    exports = []

    def capture(label, data, *args, **kwargs):
        exports.append((label, data))
        return False

    monkeypatch.setattr(st, "download_button", capture)
    monkeypatch.setenv("PCD_LOCAL_ROLE", role)
    monkeypatch.setenv("PCD_LOCAL_SCOPE", home)
    params = dict(PERIOD, **({"scope": scope} if scope else {}))
    at = run_app(monkeypatch, url, page, **params)
    return at, exports


def _placement(role):
    anywhere = allowed(Viewer("w", role, (HOMES[role],)), "find beds anywhere")
    return lambda where, frame: anywhere and "Rank" in frame.columns


@pytest.mark.parametrize("role,home", VIEWERS, ids=[v[0] for v in VIEWERS])
@pytest.mark.parametrize("page", [p[1] for p in PAGES], ids=[p[1].split("/")[1][:-3] for p in PAGES])
def test_every_page_role_and_scope(monkeypatch, fixture_url, role, home, page):
    if page == "app_pages/audit.py" and not allowed(Viewer("w", role, (home,)), "read audit"):
        pytest.skip("the Audit trail is not in this role's menu (tests/test_audit.py checks the refusal)")
    engine = sa.create_engine(fixture_url)
    banned = forbidden(engine, Viewer("walk", role, (home,), "none" if role == "lead_provider" else "mhsds"))
    engine.dispose()
    problems = []
    for scope in SCOPES:
        at, exports = _run(monkeypatch, fixture_url, role, home, page, scope)
        assert not at.exception, (scope, at.exception)
        ctx = at.session_state["ctx"] if "ctx" in at.session_state else None
        tables = page_tables(at, exports)
        problems += [f"{scope}: {p}" for p in outside_rows(tables, banned, _placement(role))]
        if ctx is not None and ctx.rule != "none" and ctx.scope.level != "national":
            problems += [f"{scope} ({ctx.scope.key}): {p}" for p in small_counts(tables)]
    assert problems == []
