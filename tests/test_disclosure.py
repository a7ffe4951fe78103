"""Disclosure control: suppression exactly per rule, per-row rules, and no difference attack through a total.

Rules (../shared/kpi-catalogue.md): mhsds — below national a count under 5 is *, others rounded to
the nearest 5; a percentage is * when its numerator or denominator is under 5; a rate per 1,000 bed
days is * under 100 bed days. hes — counts 1–7 are *, others rounded to 5; means/medians/percentages
over 1–7 people are *. none — exact.
"""

import pandas as pd
import pytest

from metrics.disclosure import (
    disclose,
    disclose_counts_with_total,
    disclose_table,
    row_rule,
    secondary_suppression,
)


@pytest.mark.parametrize("value,rule,level,shown,suppressed", [
    (0, "mhsds", "collaborative", None, True),  # under 5, zero included
    (4, "mhsds", "collaborative", None, True),
    (5, "mhsds", "collaborative", 5, False),
    (7, "mhsds", "collaborative", 5, False),  # 7 -> nearest 5
    (8, "mhsds", "collaborative", 10, False),
    (12, "mhsds", "ward", 10, False),
    (13, "mhsds", "ward", 15, False),
    (3, "mhsds", "national", 3, False),  # national figures are exact
    (0, "hes", "collaborative", 0, False),  # hes: 1–7 only
    (1, "hes", "collaborative", None, True),
    (7, "hes", "collaborative", None, True),
    (8, "hes", "collaborative", 10, False),
    (3, "hes", "national", 3, False),
    (3, "none", "ward", 3, False),
    (1, "none", "collaborative", 1, False),
])
def test_counts(value, rule, level, shown, suppressed):
    out = disclose("count", value, value, None, rule, level)
    assert (out.value, out.suppressed) == (shown, suppressed)


@pytest.mark.parametrize("num,den,rule,level,suppressed", [
    (4, 40, "mhsds", "collaborative", True),  # numerator under 5
    (5, 40, "mhsds", "collaborative", False),
    (40, 4, "mhsds", "collaborative", True),  # denominator under 5 (value above 100%, kept as given)
    (0, 10, "mhsds", "unit", True),
    (0, 10, "hes", "unit", False),  # hes: zero is not small
    (7, 50, "hes", "unit", True),
    (8, 50, "hes", "unit", False),
    (4, 40, "mhsds", "national", False),
    (1, 2, "none", "ward", False),
])
def test_percentages(num, den, rule, level, suppressed):
    out = disclose("pct", num / den * 100, num, den, rule, level)
    assert out.suppressed is suppressed
    assert out.value == (None if suppressed else num / den * 100)  # percentages are not rounded


@pytest.mark.parametrize("bed_days,suppressed", [(99, True), (100, False)])
def test_rates_need_100_bed_days_even_nationally(bed_days, suppressed):
    for level in ("national", "ward"):
        assert disclose("rate", 20.0, 2, bed_days, "mhsds", level).suppressed is suppressed
    assert disclose("rate", 20.0, 2, bed_days, "none", "ward").suppressed is False


def test_hes_means_and_medians_over_few_people():
    assert disclose("days", 40.0, None, 7, "hes", "unit").suppressed
    assert not disclose("days", 40.0, None, 8, "hes", "unit").suppressed
    assert not disclose("days", 40.0, None, 2, "mhsds", "unit").suppressed


def test_money_is_never_suppressed():
    out = disclose("gbp", 3.0, 3.0, None, "mhsds", "ward")
    assert (out.value, out.suppressed) == (3.0, False)


def test_row_rule_only_makes_none_stricter():
    assert row_rule("none", "mhsds") == "mhsds"
    assert row_rule("mhsds", "none") == "mhsds"
    assert row_rule("hes", "mhsds") == "hes"
    assert row_rule("none", None) == "none"


def test_disclose_table_applies_each_rows_rule():
    raw = pd.DataFrame({"kpi_id": ["admissions", "admissions"], "value": [3, 3], "numerator": [3, 3],
                        "denominator": [None, None], "rule": ["none", "mhsds"]})
    out = disclose_table(raw, "none", "provider", {"admissions": "count"})
    assert out["shown"].tolist()[0] == 3 and out["suppressed"].tolist() == [False, True]


# ---- Secondary suppression: parts and their total in one table ----

def test_one_suppressed_part_takes_the_next_smallest_with_it():
    # parts 3, 12, 40, total 55 (mhsds, region): 3 is * (primary); 55 - 10 - 40 would give it back,
    # so 12 (the next smallest) is * too.
    flags, total = secondary_suppression([3, 12, 40], [True, False, False])
    assert flags == [True, True, False] and total is False


def test_two_suppressed_parts_need_nothing_more():
    assert secondary_suppression([3, 2, 40], [True, True, False]) == ([True, True, False], False)


def test_a_lone_part_hides_the_total():
    assert secondary_suppression([3], [True]) == ([True], True)


def test_a_suppressed_total_needs_nothing_more():
    assert secondary_suppression([3, 12], [True, False], total_suppressed=True) == ([True, False], True)


def test_disclose_counts_with_total_table():
    """Admissions by provider in a region with a total row (mhsds, region level):
    A 3 -> * (primary); B 6 -> * (secondary: the next smallest); C 41 -> 40; total 50 -> 50.
    Beds: A 20, B 25, C 30, total 75: nothing small, all shown (rounded)."""
    frame = pd.DataFrame({"name": ["A", "B", "C", "Total"], "admissions": [3, 6, 41, 50],
                          "beds": [20, 25, 30, 75]})
    shown, flags = disclose_counts_with_total(frame, ["admissions", "beds"], "mhsds", "region",
                                              frame["name"] == "Total")
    assert shown["admissions"].tolist() == [None, None, 40, 50]
    assert flags["admissions"].tolist() == [True, True, False, False]
    assert shown["beds"].tolist() == [20, 25, 30, 75] and not flags["beds"].any()
    # A difference attack now fails: total minus the shown parts leaves A + B together, never A alone.
    hes, hes_flags = disclose_counts_with_total(frame, ["admissions"], "hes", "region", frame["name"] == "Total")
    assert hes_flags["admissions"].tolist() == [True, True, False, False]  # 3 and 6 are both 1–7 under hes
    exact, exact_flags = disclose_counts_with_total(frame, ["admissions"], "none", "region", frame["name"] == "Total")
    assert exact["admissions"].tolist() == [3, 6, 41, 50] and not exact_flags["admissions"].any()


def test_zero_part_under_hes_is_the_next_smallest():
    # hes: 0 shown, 2 suppressed; the total 30 would give 2 back through 30 - 0 - 28, so 0 goes too.
    frame = pd.DataFrame({"n": [0, 2, 28, 30], "total": [False, False, False, True]})
    shown, flags = disclose_counts_with_total(frame, ["n"], "hes", "unit", frame["total"])
    assert flags["n"].tolist() == [True, True, False, False]
    assert shown["n"].tolist() == [None, None, 30, 30]
