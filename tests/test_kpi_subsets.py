"""kpi_table for a subset of KPIs (only the queries they need) gives the same figures as the full table."""

import datetime as dt
import math

import pytest

from metrics.catalogue import CHILD_TABLE_IDS, HEADLINE_IDS
from metrics.kpis import kpi_table

SUBSETS = [HEADLINE_IDS, CHILD_TABLE_IDS, ["occupied_bed_days"], ["restrictive_interventions_per_1000_obd"],
           ["repatriations", "women_mean_hospitals"], ["variance_gbp", "readmission_12m_pct"]]


def _same(a, b):
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or math.isnan(a)) and (b is None or (isinstance(b, float) and math.isnan(b)))
    return a == pytest.approx(b, rel=1e-12)


@pytest.mark.parametrize("level,code", [("national", None), ("collaborative", "IMPACT"), ("ward", "W1")])
def test_subset_equals_full_table(fixture_engine, level, code):
    period = (dt.date(2024, 3, 1), dt.date(2024, 3, 10))
    full = kpi_table(fixture_engine, level, code, *period).set_index("kpi_id")
    for ids in SUBSETS:
        part = kpi_table(fixture_engine, level, code, *period, kpi_ids=ids)
        assert list(part["kpi_id"]) == list(ids)
        for _, row in part.iterrows():
            for column in ("value", "numerator", "denominator"):
                assert _same(row[column], full.loc[row["kpi_id"], column]), (row["kpi_id"], column)
