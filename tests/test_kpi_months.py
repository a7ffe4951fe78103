"""The month grain of the KPI aggregates (kpi_tables_by_month, the packs' monthly series) gives exactly what one
kpi_table per month gives, for every KPI, at every level, on both engines; and the checks of its arguments."""

import datetime as dt

import pandas as pd
import pytest

from data_access.kpi_queries import BY_MONTH, calendar_months
from metrics.kpis import kpi_tables, kpi_tables_by_month

SCOPES = [("national", None), ("region", "Y60"), ("collaborative", "IMPACT"), ("collaborative", "CAMHS"),
          ("provider", "RHA"), ("unit", "U3"), ("ward", "W1")]
START, END = dt.date(2023, 11, 12), dt.date(2024, 4, 17)  # the first month starts and the last ends mid-month


def test_calendar_months_clip_the_first_and_last_month():
    assert calendar_months(dt.date(2024, 1, 15), dt.date(2024, 3, 10)) == [
        (dt.date(2024, 1, 15), dt.date(2024, 1, 31)), (dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        (dt.date(2024, 3, 1), dt.date(2024, 3, 10))]
    assert calendar_months(dt.date(2023, 12, 1), dt.date(2024, 1, 31))[-1] == (dt.date(2024, 1, 1),
                                                                               dt.date(2024, 1, 31))


@pytest.mark.parametrize(("level", "code"), SCOPES)
def test_by_month_equals_one_table_per_month(fixture_engine, level, code):
    months = calendar_months(START, END)
    one_by_one = kpi_tables(fixture_engine, level, code, months)
    grouped = kpi_tables_by_month(fixture_engine, level, code, START, END)
    assert len(grouped) == len(months) == 6
    for (first, _), expected, got in zip(months, one_by_one, grouped):
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, obj=f"{level} {code} {first}")


def test_the_grouped_aggregates_are_the_heavy_ones():
    assert {"bed_days", "available_days", "home_days", "spells", "referrals", "repatriations"} <= set(BY_MONTH)


def test_a_month_with_nothing_reads_zero_not_missing(fixture_engine):
    """Months before any activity: counts are 0 and medians None, as kpi_table says for an empty month."""
    tables = kpi_tables_by_month(fixture_engine, "ward", "W1", dt.date(2023, 1, 1), dt.date(2023, 2, 28),
                                 ["admissions", "occupied_bed_days", "median_los_days", "repatriations"])
    for table in tables:
        values = dict(zip(table["kpi_id"], table["value"]))
        assert values["admissions"] == 0 and values["occupied_bed_days"] == 0 and values["repatriations"] == 0
        assert values["median_los_days"] is None or pd.isna(values["median_los_days"])


def test_start_after_end_is_refused(fixture_engine):
    with pytest.raises(ValueError, match="starts"):
        kpi_tables_by_month(fixture_engine, "national", None, END, START)
