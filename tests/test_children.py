"""The Overview's table of children: each child's row is exactly kpi_table for that child (its drill-down)."""

import datetime as dt
import math

import pytest

from metrics.catalogue import CHILD_TABLE_IDS
from metrics.kpis import child_table, kpi_table

PERIOD = (dt.date(2024, 3, 1), dt.date(2024, 3, 10))
PARENTS = [("national", None), ("region", "Y60"), ("collaborative", "IMPACT"), ("collaborative", "CAMHS"),
           ("provider", "NQ1"), ("unit", "U1")]


def same(a, b) -> bool:
    missing = [x is None or (isinstance(x, float) and math.isnan(x)) for x in (a, b)]
    if any(missing):
        return all(missing) or (a in (0, None) and b in (0, None))
    return a == pytest.approx(b, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("level,code", PARENTS)
def test_child_rows_equal_each_childs_kpi_table(fixture_engine, level, code):
    children = child_table(fixture_engine, level, code, *PERIOD)
    assert not children.empty
    for child_code, rows in children.groupby("code"):
        child_level = {"national": "region", "region": "collaborative", "collaborative": "provider",
                       "provider": "unit", "unit": "ward"}[level]
        expected = kpi_table(fixture_engine, child_level, child_code, *PERIOD, kpi_ids=CHILD_TABLE_IDS)
        expected = expected.set_index("kpi_id")
        for _, row in rows.iterrows():
            want = expected.loc[row["kpi_id"]]
            for column in ("value", "numerator", "denominator"):
                assert same(row[column], want[column]), (child_code, row["kpi_id"], column, row[column], want[column])


def test_ward_has_no_children(fixture_engine):
    assert child_table(fixture_engine, "ward", "W1", *PERIOD).empty
