"""More than one server: two `streamlit run` app processes behind nginx on 127.0.0.1, the proxy configured
from the same template as deploy/'s compose proxy (deploy/proxy.py), sessions driven over Streamlit's
websocket protocol through the proxy (deploy/wsclient.py).

nginx: Debian's (/usr/sbin/nginx; .ci/run installs it). Without it the test is skipped locally and
fails under CI=true. DuckDB: each replica gets its own copy of the fixture file (a DuckDB file serves one
process); PostgreSQL: both replicas share one schema, as in the compose deployment.
"""

import asyncio
import concurrent.futures
import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from deploy import local
from deploy.proxy import render
from deploy.wsclient import ROUTE_COOKIE, Session, route_cookie
from tests.browser import build_duckdb_file
from tests.databases import drop_postgres_schema, new_postgres_engine, postgres_url
from tests.fixture_db import build_fixture

pytestmark = pytest.mark.proxy
SESSIONS = 16  # with random route cookies, both replicas serve some (all on one: 2 ** -15)
# IMPACT's lead provider (the local user) sees IMPACT exactly (rule none); admissions from
# tests/expected_fixture.py: 3 in 2024-03-01..10, 1 in 2024-03-01..05.
PERIODS = {"from=2024-03-01&to=2024-03-10": "Admissions: 3", "from=2024-03-01&to=2024-03-05": "Admissions: 1"}
LOG_LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+)" (?P<status>\d+) .* route=(?P<route>\S+) '
                      r'upstream=(?P<upstream>\S+)')


def require_nginx() -> None:
    if Path(local.NGINX).exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {local.NGINX} is missing: install Debian's nginx (see .ci/run)")
    pytest.skip("nginx not installed: proxy test skipped")


@pytest.fixture(params=["duckdb", "postgresql"])
def replica_urls(request, tmp_path):
    """Two database URLs with the fixture, one per app process."""
    if request.param == "duckdb":
        first = build_duckdb_file(tmp_path / "app0.duckdb", build_fixture)
        shutil.copyfile(tmp_path / "app0.duckdb", tmp_path / "app1.duckdb")
        yield [first, f"duckdb:///{tmp_path / 'app1.duckdb'}"]
        return
    server = postgres_url()
    engine, schema = new_postgres_engine(server)
    from data_access.schema import create_all

    create_all(engine)
    build_fixture(engine)
    engine.dispose()
    url = f"{server}?options=-csearch_path%3D{schema}"
    yield [url, url]
    drop_postgres_schema(server, schema)


def get(url: str, cookie: str | None = None) -> tuple[int, str, list[str]]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, answer.read().decode(), answer.headers.get_all("Set-Cookie") or []


async def browse(proxy: str, query: str, runs: int = 2) -> tuple[str, list]:
    """One tab: the first request (route cookie), the websocket, the Overview `runs` times."""
    cookie = await asyncio.to_thread(route_cookie, proxy)
    async with Session(proxy, cookie) as session:
        return cookie, [await session.run("", f"scope=collaborative:IMPACT&{query}") for _ in range(runs)]


async def browse_many(proxy: str, count: int) -> list[tuple[str, str, list]]:
    queries = [list(PERIODS)[i % len(PERIODS)] for i in range(count)]
    done = await asyncio.gather(*(browse(proxy, q) for q in queries))
    return [(q, cookie, runs) for q, (cookie, runs) in zip(queries, done)]


def routes_in_log(access_log: Path, expected_streams: int) -> dict[str, set[str]]:
    """{route: upstreams} of the websocket requests; waits (bounded) for their log lines (written on close)."""
    deadline = time.monotonic() + 20
    while True:
        lines = [m for m in map(LOG_LINE.search, access_log.read_text().splitlines()) if m]
        streams = [m for m in lines if m["path"] == "/_stcore/stream"]
        if len(streams) >= expected_streams or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    routes: dict[str, set[str]] = {}
    for match in lines:
        routes.setdefault(match["route"], set()).add(match["upstream"])
    return routes


def test_the_template_is_one_source(tmp_path):
    """The compose proxy and this test render the same file; every field is filled, nginx accepts it."""
    text = render(["127.0.0.1:1", "127.0.0.1:2"], "127.0.0.1:9", str(tmp_path))
    assert "${PCD_" not in text
    assert "hash $pcd_route consistent" in text and "proxy_set_header Upgrade $http_upgrade" in text
    assert text.count("server 127.0.0.1:") == 2 and "listen 127.0.0.1:9;" in text
    require_nginx()
    (tmp_path / "nginx.conf").write_text(text)
    checked = subprocess.run([local.NGINX, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


def run_apart(coroutine):
    """asyncio.run in a thread of its own: pytest-playwright's sync API may hold an event loop in this one."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_sessions_through_the_proxy(replica_urls):
    require_nginx()
    with local.stack(replica_urls) as (proxy, apps, processes, access_log):
        # Health: the replicas' endpoint through the proxy, and the proxy's own.
        assert get(proxy + "/_stcore/health")[:2] == (200, "ok")
        assert get(proxy + "/proxy-health")[:2] == (200, "ok\n")
        # A first request gets a route cookie; a request that carries one gets no new one.
        _, _, cookies = get(proxy + "/")
        assert len(cookies) == 1 and cookies[0].startswith(ROUTE_COOKIE + "=") and "HttpOnly" in cookies[0]
        assert get(proxy + "/", cookies[0].split(";")[0])[2] == []

        # 16 tabs at once, each asking for the Overview twice: every run finishes, with its own figures.
        tabs = run_apart(browse_many(proxy, SESSIONS))
        for query, _, runs in tabs:
            for run in runs:
                assert run.errors == [], run.errors
                assert "IMPACT" in run.texts and PERIODS[query] in run.texts, (query, run.texts)

        # Sticky: every request of a tab (first request, websocket) went to one replica; both replicas served.
        routes = routes_in_log(access_log, SESSIONS)
        tab_routes = [cookie.split("=", 1)[1] for _, cookie, _ in tabs]
        assert all(len(routes[route]) == 1 for route in tab_routes), routes
        served = set().union(*(routes[route] for route in tab_routes))
        assert served == {a.removeprefix("http://") for a in apps}

        # One replica stops: new tabs are all served by the other.
        local.stop(processes[0])
        for _, _, runs in run_apart(browse_many(proxy, 4)):
            assert all(run.errors == [] and "IMPACT" in run.texts for run in runs)


def test_sign_in_secrets_come_from_the_environment():
    """deploy/entrypoint.py: the [auth] table from PCD_AUTH_* (all or none), quoted as TOML strings."""
    import tomllib

    from deploy.entrypoint import AUTH_FIELDS, auth_table

    assert auth_table({}) is None
    values = {f"PCD_AUTH_{name.upper()}": f'value "{name}" \\ x' for name in AUTH_FIELDS}
    table = tomllib.loads(auth_table(values))["auth"]
    assert table == {name: f'value "{name}" \\ x' for name in AUTH_FIELDS}
    with pytest.raises(ValueError, match="missing PCD_AUTH_CLIENT_SECRET"):
        auth_table({"PCD_AUTH_CLIENT_ID": "x"})
