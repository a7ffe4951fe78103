"""Benchmark: each page's first render and a filter change (AppTest, in process), and the main queries.

    python benchmarks/pages.py --url duckdb:///data/demo_region.duckdb [--scope collaborative:IMPACT]
        [--role national --home national]

Prints a table of seconds. Budgets (DEVELOPERS.md): first render < 1 s on regional data,
< 2 s at national scale; a filter change < 0.5 s.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
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
    st.cache_data.clear()
    at.switch_page(path)
    first = timed(at.run)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--scope", default="collaborative:IMPACT")
    parser.add_argument("--role", default="national", help="role of the local user (settings: local_role)")
    parser.add_argument("--home", default="national", help="organisation of the local user (local_scope)")
    args = parser.parse_args()
    os.environ |= {"PCD_DATABASE_URL": args.url, "PCD_LOCAL_ROLE": args.role, "PCD_LOCAL_SCOPE": args.home}
    print(f"database: {args.url}\nscope: {args.scope}, role {args.role} ({args.home}); "
          "filter change: period to the last 12 months\n")
    print(f"{'page':45} {'first render s':>15} {'filter change s':>16}")
    for _, path, title, _ in available_pages():
        first, change = page_times(path, args.scope)
        print(f"{title:45} {first:15.3f} {change:16.3f}")
    print(f"\n{'query (median of 3)':45} {'seconds':>15}")
    for name, seconds in query_times(args.url, args.scope).items():
        print(f"{name:45} {seconds:15.3f}")


if __name__ == "__main__":
    main()
