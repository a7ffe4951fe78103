"""The KPI values of kpi_table and child_table on the regional demo, as a frame (for tests/data/).

`python3 -m tests.kpi_snapshot URL` rewrites tests/data/kpi_snapshot_region.csv from a regional demo
database built with END_DATE; tests/test_kpi_snapshot.py rebuilds the demo and compares.
"""

import datetime as dt
import sys
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from metrics.kpis import child_table, kpi_table

END_DATE = dt.date(2026, 11, 24)
PERIODS = [(dt.date(2026, 10, 1), dt.date(2026, 10, 31)), (dt.date(2026, 4, 1), END_DATE)]
CSV = Path(__file__).resolve().parent / "data" / "kpi_snapshot_region.csv"
COLUMNS = ["table", "level", "code", "start", "end", "child", "kpi_id", "value", "numerator", "denominator"]


def scopes(engine: sa.Engine) -> list[tuple[str, str | None]]:
    """England, every region, collaborative and provider, and the first three units and wards."""
    out = [("national", None)]
    with engine.connect() as conn:
        for level, sql in [
            ("region", "SELECT region_code FROM region ORDER BY 1"),
            ("collaborative", "SELECT collaborative_id FROM collaborative ORDER BY 1"),
            ("provider", "SELECT DISTINCT provider_code FROM unit ORDER BY 1"),
            ("unit", "SELECT unit_code FROM unit ORDER BY 1 LIMIT 3"),
            ("ward", "SELECT ward_code FROM ward ORDER BY 1 LIMIT 3"),
        ]:
            out += [(level, row[0]) for row in conn.execute(sa.text(sql))]
    return out


def snapshot(engine: sa.Engine) -> pd.DataFrame:
    frames = []
    for level, code in scopes(engine):
        for start, end in PERIODS:
            table = kpi_table(engine, level, code, start, end)
            frames.append(table.assign(table="kpi", level=level, code=code, start=start, end=end, child=None))
            if level in ("national", "region", "collaborative"):
                kids = child_table(engine, level, code, start, end).rename(columns={"code": "child"})
                frames.append(kids.assign(table="child", level=level, code=code, start=start, end=end))
    out = pd.concat(frames, ignore_index=True)[COLUMNS]
    return out.astype({"start": str, "end": str})


def main(argv=None) -> int:
    url = (argv or sys.argv[1:])[0]
    CSV.parent.mkdir(exist_ok=True)
    snapshot(sa.create_engine(url)).to_csv(CSV, index=False, float_format="%.17g")
    print(f"wrote {CSV}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
