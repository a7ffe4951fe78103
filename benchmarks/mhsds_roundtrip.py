"""Benchmark: the regional demo exported as a monthly extract and loaded into a reference-only database.

    python benchmarks/mhsds_roundtrip.py [--end-date 2026-11-30] [--workdir data/roundtrip]

Builds the regional demo (python -m demo --scale region) and a database holding only its reference
tables (python -m demo --scale region --reference-only), exports the first, loads the extract into the
second, then compares every non-finance KPI of kpi_table for England, every collaborative and every
provider over the last full month and the last twelve months. Prints the time of each step and the
number of KPI values compared; exits 1 when any differs.
"""

import argparse
import datetime as dt
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from data_access.engine import make_engine  # noqa: E402
from data_access.mhsds import load_extract  # noqa: E402
from data_access.mhsds_export import export_extract  # noqa: E402
from demo.generator import build_demo  # noqa: E402
from tests.roundtrip import activity_kpis, scopes  # noqa: E402


def timed(label, fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    print(f"{label:<48} {time.perf_counter() - start:8.1f} s", flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=dt.date(2026, 11, 30))
    parser.add_argument("--workdir", default=str(ROOT / "data" / "roundtrip"))
    args = parser.parse_args()
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    demo = make_engine(f"duckdb:///{work / 'demo.duckdb'}")
    target = make_engine(f"duckdb:///{work / 'loaded.duckdb'}")
    timed("build the regional demo", build_demo, demo, "region", 42, args.end_date)
    timed("build the reference-only demo", build_demo, target, "region", 42, args.end_date, reference_only=True)
    counts = timed("export the demo as an extract", export_extract, demo, work / "extract")
    print(f"  {sum(counts.values()):,} rows in {len(counts)} files, "
          f"{sum(p.stat().st_size for p in (work / 'extract').glob('*.csv')) / 1e6:.0f} MB")
    result = timed("load the extract (one transaction)", load_extract, target, work / "extract")
    print(f"  {result.message[:150]}")
    if not result.ok:
        return 1
    month_end = args.end_date.replace(day=1) - dt.timedelta(days=1)
    periods = [(month_end.replace(day=1), month_end), (args.end_date - dt.timedelta(days=364), args.end_date)]
    nodes = scopes(demo)
    expected = timed("KPIs of the demo", activity_kpis, demo, nodes, periods)
    got = timed("KPIs of the loaded extract", activity_kpis, target, nodes, periods)
    try:
        pd.testing.assert_frame_equal(got, expected)
    except AssertionError as error:
        print(f"DIFFERENT: {error}")
        return 1
    print(f"identical: {len(expected):,} KPI values ({len(nodes)} nodes x {len(periods)} periods)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
