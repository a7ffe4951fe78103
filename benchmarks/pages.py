"""Benchmark: each page's first render and a filter change (AppTest, in process), and the main queries.

    python benchmarks/pages.py --url duckdb:///data/demo_region.duckdb [--scope collaborative:IMPACT]
        [--role national --home national] [--timeout 120] [--repeat 3]
    python benchmarks/pages.py --url duckdb:///data/demo_national.duckdb \
        --url postgresql+psycopg://postgres@127.0.0.1:5432/test --scope national

Prints a table of seconds; given several databases (DuckDB and PostgreSQL), side by side with the
ratio of each to the first. Each page runs in its own process with a time limit (--timeout seconds):
a page that runs longer is stopped, shown as "timeout", its PostgreSQL queries cancelled, and the
benchmark goes on. With --repeat N each page runs N times per database (in turn) and the median is printed, for
a machine whose speed varies. Budgets (DEVELOPERS.md): first render < 1 s on regional data, < 2 s at national
scale; a filter change < 0.5 s.
"""

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

import sqlalchemy as sa  # noqa: E402
import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from data_access.scope import parse_key  # noqa: E402
from metrics import kpi_table  # noqa: E402
from metrics.kpis import child_table  # noqa: E402
from ui.navigation import available_pages  # noqa: E402


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def page_times(path: str, scope: str) -> tuple[float, float]:
    """(first render, filter change) seconds for one page, with empty caches.

    The filter change is what a user does in the sidebar: the period goes from the default
    (financial year to date) to the last 12 months.
    """
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["scope"] = scope
    at.run()  # the router and sidebar, warming the database connection only
    at.switch_page(path)
    at.run()  # the page once, so its modules are imported as on a running server (not timed)
    st.cache_data.clear()
    first = timed(at.run)  # first render with empty caches
    if at.exception:
        raise RuntimeError(f"{path}: {at.exception}")
    change = timed(at.selectbox(key="period_preset").set_value("Last 12 months").run)
    if at.exception:
        raise RuntimeError(f"{path} after a period change: {at.exception}")
    return first, change


def query_times(url: str, scope: str, repeat: int = 3) -> dict[str, float]:
    engine = sa.create_engine(url)
    level, code = parse_key(scope)
    with engine.connect() as conn:
        from data_access.kpi_queries import data_as_of

        end = data_as_of(conn)["feeds"].get("mhsds", dt.datetime.now()).date()
    start = dt.date(end.year if end.month >= 4 else end.year - 1, 4, 1)
    out = {
        "kpi_table (all KPIs)": statistics.median(
            timed(lambda: kpi_table(engine, level, code, start, end)) for _ in range(repeat)),
    }
    if level != "ward":
        out["child_table"] = statistics.median(
            timed(lambda: child_table(engine, level, code, start, end)) for _ in range(repeat))
    engine.dispose()
    return out


def child(args) -> None:
    """In a child process: one page's (first, change) or the query times, as JSON on the last line."""
    if args.child_page:
        print(json.dumps(page_times(args.child_page, args.scope)))
    else:
        print(json.dumps(query_times(args.url[0], args.scope)))


def tagged(url: str, tag: str) -> str:
    """The URL with application_name=tag on PostgreSQL (so a timed-out run's queries can be found)."""
    parsed = sa.make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return url
    return parsed.update_query_dict({"application_name": tag}).render_as_string(hide_password=False)


def cancel_queries(url: str, tag: str) -> None:
    """Stop what a killed child left running on PostgreSQL (a killed client does not stop its query)."""
    if not sa.make_url(url).drivername.startswith("postgresql"):
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :tag"),
                     {"tag": tag})
    engine.dispose()


def in_child(args, url: str, what: list[str]):
    """Run this script with `what` on `url` in a child process within args.timeout; its JSON, or a message."""
    tag = f"pcd_bench_{uuid.uuid4().hex[:12]}"
    command = [sys.executable, __file__, "--url", tagged(url, tag), "--scope", args.scope, "--role", args.role,
               "--home", args.home, *what]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        cancel_queries(url, tag)
        return f"timeout >{args.timeout:.0f} s"
    if done.returncode != 0:
        return "error: " + (done.stderr.strip().splitlines() or ["exit " + str(done.returncode)])[-1][:80]
    return json.loads(done.stdout.strip().splitlines()[-1])


def page_runs(args, path: str) -> list:
    """Per database: the median (first, change) of args.repeat runs of the page, the databases taken in turn so
    that a busy spell of the machine falls on both; a message if any run failed or timed out."""
    runs: list[list] = [[] for _ in args.url]
    for _ in range(args.repeat):
        for n, url in enumerate(args.url):
            runs[n].append(in_child(args, url, ["--child-page", path]))
    out = []
    for found in runs:
        failed = [f for f in found if not isinstance(f, list)]
        out.append(failed[0] if failed else [statistics.median(f[i] for f in found) for i in (0, 1)])
    return out


def cells(values: list, width: int = 9) -> str:
    """Seconds, or the message, for each database; then the ratios of the others to the first."""
    out, wide = [], 2 * width + 1
    for value in values:
        out += [f"{v:{width}.3f}" for v in value] if isinstance(value, list) else [f"{value[:wide]:>{wide}}"]
    first = values[0]
    for value in values[1:]:
        if isinstance(first, list) and isinstance(value, list):
            out += [f"{v / f:{width - 1}.1f}x" if f else f"{'-':>{width}}" for v, f in zip(value, first)]
    return " ".join(out)


def engine_name(url: str) -> str:
    return sa.make_url(url).get_backend_name()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, action="append",
                        help="database URL; give it twice (DuckDB, PostgreSQL) to compare side by side")
    parser.add_argument("--scope", default="collaborative:IMPACT")
    parser.add_argument("--role", default="national", help="role of the local user (settings: local_role)")
    parser.add_argument("--home", default="national", help="organisation of the local user (local_scope)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds a page may take (first + change)")
    parser.add_argument("--page", action="append", default=[],
                        help="only pages whose file stem or title contains this (repeatable); default every page")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each page per database, alternating databases; the median is printed (1 to 9)")
    parser.add_argument("--child-page", help=argparse.SUPPRESS)
    parser.add_argument("--child-queries", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.timeout <= 3600:
        parser.error("--timeout is 1 to 3600 seconds")
    if not 1 <= args.repeat <= 9:
        parser.error("--repeat is 1 to 9")
    os.environ |= {"PCD_DATABASE_URL": args.url[0], "PCD_LOCAL_ROLE": args.role, "PCD_LOCAL_SCOPE": args.home}
    if args.child_page or args.child_queries:
        child(args)
        return
    names = [engine_name(u) for u in args.url]
    for url in args.url:
        print(f"database: {url}")
    print(f"scope: {args.scope}, role {args.role} ({args.home}); filter change: period to the last 12 months; "
          f"each page in its own process, limit {args.timeout:.0f} s; median of {args.repeat} run(s)\n")
    ratios = " ".join(f"{n + ' / ' + names[0]:>19}" for n in names[1:])
    print(f"{'':45} " + " ".join(f"{n:>19}" for n in names) + (" " + ratios if ratios else ""))
    heads = " ".join(["    first    change"] * len(names) + ["    first    change"] * (len(names) - 1))
    print(f"{'page (seconds)':45} {heads}")
    for _, path, title, _ in available_pages():
        if args.page and not any(p.lower() in f"{path} {title}".lower() for p in args.page):
            continue
        print(f"{title:45} {cells(page_runs(args, path))}", flush=True)
    print(f"\n{'query (median of 3, seconds)':45} " + " ".join(f"{n:>19}" for n in names))
    found = [in_child(args, url, ["--child-queries"]) for url in args.url]
    for name in next((f for f in found if isinstance(f, dict)), {}):
        print(f"{name:45} " + " ".join(f"{f[name]:19.3f}" if isinstance(f, dict) else f"{f[:19]:>19}" for f in found))


if __name__ == "__main__":
    main()
