"""Benchmark: the meeting pack of a forum (live, first and cached render), a published pack, and its PDF.

    python benchmarks/packs.py --url duckdb:///data/demo_region.duckdb [--scope collaborative:IMPACT]

Prints seconds. The live pack computes HISTORY_MONTHS months of KPIs with one grouped query per
aggregate (kpi_tables_by_month).
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from streamlit.testing.v1 import AppTest  # noqa: E402

from metrics.governance import HISTORY_MONTHS  # noqa: E402


def timed(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    if at.exception:
        raise SystemExit(f"The page failed: {at.exception[0].message}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--scope", default="collaborative:IMPACT")
    args = parser.parse_args()
    os.environ["PCD_DATABASE_URL"] = args.url
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.query_params["scope"] = args.scope
    at.run()
    at.switch_page("app_pages/packs.py")
    first = timed(at)
    again = timed(at)
    at.query_params["meeting"] = "1"
    meeting = timed(at)
    print(f"{'live pack, first render':<40}{first:8.2f} s  ({HISTORY_MONTHS} months, one grouped query per aggregate)")
    print(f"{'live pack, cached rerun':<40}{again:8.2f} s")
    print(f"{'meeting mode (audience rule)':<40}{meeting:8.2f} s")
    start = time.perf_counter()
    pdf = pdf_of_the_board(args.url, args.scope)
    print(f"{'PDF of the pack (charts by vl-convert)':<40}{time.perf_counter() - start:8.2f} s  ({len(pdf):,} bytes)")


def pdf_of_the_board(url: str, scope: str) -> bytes:
    """The PDF of the scope's Board pack, from its figures (kpi_tables cached by now in the database's pages)."""
    import datetime as dt

    import sqlalchemy as sa

    from data_access import governance
    from data_access.quality import monthly_aggregates
    from data_access.scope import parse_key
    from data_access.thresholds import lookup
    from metrics import governance as mg
    from metrics.kpis import kpi_tables_by_month
    from metrics.packs import default_forum, known_and_unknown
    from metrics.rag import with_bases
    from ui.pack_pdf import pack_pdf

    engine = sa.create_engine(url)
    level, code = parse_key(scope)
    with engine.connect() as conn:
        end = conn.execute(sa.text("SELECT max(loaded_at) FROM load_log")).scalar().date()
        forums = governance.forums(conn, None, level, code, code if level == "collaborative" else None)
        forum = default_forum(forums, code if level == "collaborative" else None)
        ids, _ = known_and_unknown(governance.forum_kpi_ids(conn, forum))
        bands = lookup(conn, code if level == "collaborative" else None)
    months = mg.report_months(end)
    quality_ids, other_ids = mg.split_ids(ids)
    with engine.connect() as conn:
        quality = monthly_aggregates(conn, None, level, code, months[0][0], end) if quality_ids else None
    tables = kpi_tables_by_month(engine, level, code, months[0][0], end, kpi_ids=list(with_bases(other_ids))) \
        if other_ids else []
    long = mg.forum_long(tables, months, quality, ids, "mhsds", level)
    report, frames = mg.exception_report(long, ids, bands, months[-1][0])
    content = mg.build_content(
        forum={"forum_id": forum, "name": forum, "chain": []}, scope={"key": scope, "name": scope},
        month=months[-1][0], period_end=end, meeting_date=dt.date.today(), rule="mhsds", data_as_of=str(end),
        report=report, frames=frames, narratives=_none(), actions=_none(), decisions=_none())
    start = time.perf_counter()
    pdf = pack_pdf(content)
    print(f"{'  (of which the PDF itself)':<40}{time.perf_counter() - start:8.2f} s  "
          f"({len(mg.exceptions(content))} exceptions)")
    return pdf


def _none():
    import pandas as pd

    return pd.DataFrame(columns=["kpi_id"])


if __name__ == "__main__":
    main()
