"""Helpers for the extract round trip (tests/test_mhsds.py, benchmarks/mhsds_roundtrip.py).

Every non-finance KPI of kpi_table for every collaborative and provider (and England) of the source,
over the given periods, as one frame, so that two databases can be compared with one assert_frame_equal.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import schema
from data_access.bulk import insert_frame
from demo.generator import REFERENCE_TABLES
from metrics.catalogue import KPI_IDS
from metrics.kpis import MONEY_IDS, kpi_table

ACTIVITY_KPIS = [k for k in KPI_IDS if k not in MONEY_IDS]


def copy_reference(source: sa.Engine, target: sa.Engine) -> None:
    """The reference tables of `source` into `target` (schema created)."""
    schema.create_all(target)
    with source.connect() as read, target.begin() as write:
        for name in schema.TABLE_ORDER:
            if name not in REFERENCE_TABLES:
                continue
            result = read.execute(sa.select(schema.metadata.tables[name]))
            frame = pd.DataFrame(result.all(), columns=list(result.keys()))
            if name == "governance_forum":
                for depth_rows in _parents_first(frame):
                    insert_frame(write, name, depth_rows)
            else:
                insert_frame(write, name, frame)


def _parents_first(forums: pd.DataFrame) -> list[pd.DataFrame]:
    from demo.generator import _by_depth

    return _by_depth(forums)


def scopes(engine: sa.Engine) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        collabs = conn.execute(sa.select(schema.collaborative.c.collaborative_id)).scalars().all()
        providers = conn.execute(sa.select(schema.provider.c.provider_code)).scalars().all()
    return [("national", None)] + [("collaborative", c) for c in sorted(collabs)] + [
        ("provider", p) for p in sorted(providers)]


def activity_kpis(engine: sa.Engine, nodes, periods: list[tuple[dt.date, dt.date]]) -> pd.DataFrame:
    frames = []
    for level, code in nodes:
        for start, end in periods:
            table = kpi_table(engine, level, code, start, end, kpi_ids=ACTIVITY_KPIS)
            frames.append(table.assign(level=level, code=code, start=start, end=end))
    return pd.concat(frames, ignore_index=True)
