"""kpi_table and child_table on the regional demo give exactly the values saved in tests/data/.

The CSV was written by `python3 -m tests.kpi_snapshot URL` before the aggregate layer was consolidated
(issue 17): counts must match exactly, other figures to a relative 1e-9.
"""

import io
import math

import pandas as pd
import pytest
import sqlalchemy as sa

from demo import build_demo
from tests.kpi_snapshot import COLUMNS, CSV, END_DATE, snapshot

KEYS = ["table", "level", "code", "start", "end", "child", "kpi_id"]
FIGURES = ["value", "numerator", "denominator"]


def _read(source) -> pd.DataFrame:
    return pd.read_csv(source, dtype={k: str for k in KEYS}, keep_default_na=False,
                       na_values={f: [""] for f in FIGURES})


def _same(expected: float, actual: float) -> bool:
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    if float(expected).is_integer():
        return expected == actual
    return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=0.0)


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    engine = sa.create_engine(f"duckdb:///{tmp_path_factory.mktemp('snap') / 'region.duckdb'}")
    build_demo(engine, "region", end_date=END_DATE)
    yield engine
    engine.dispose()


def test_kpi_values_match_the_saved_snapshot(region):
    buffer = io.StringIO()
    snapshot(region).to_csv(buffer, index=False, float_format="%.17g")
    buffer.seek(0)
    actual, expected = _read(buffer), _read(CSV)
    assert list(actual.columns) == COLUMNS
    assert actual[KEYS].equals(expected[KEYS]), "the snapshot's rows (scopes, periods, KPIs) changed"
    wrong = [(tuple(expected.loc[i, KEYS]), f, expected.loc[i, f], actual.loc[i, f])
             for f in FIGURES for i in expected.index if not _same(expected.loc[i, f], actual.loc[i, f])]
    assert not wrong, f"{len(wrong)} figures differ, e.g. {wrong[:5]}"
