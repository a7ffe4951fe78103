"""Hand-worked tests for metrics.spc (XmR charts, Making Data Count rules) and the chart builder.

Most series are built on one of two 12-point baselines whose numbers are easy to work by hand:

    BASE_HIGH_END = 10, 12, 10, 12, ... (12 points, last point 12, above the mean)
    BASE_LOW_END  = 12, 10, 12, 10, ... (12 points, last point 10, below the mean)

    mean           = (6 × 10 + 6 × 12) / 12 = 132 / 12 = 11
    moving ranges  = 11 ranges, each |12 - 10| = 2, so the mean moving range = 2
    upper limit    = 11 + 2.66 × 2 = 16.32
    lower limit    = 11 - 2.66 × 2 = 5.68
    2/3 lines      = 11 ± (2/3) × 5.32 = 11 ± 3.5467  ->  14.5467 and 7.4533

The baseline itself has no special cause (it alternates about the mean: no runs, nothing near a
limit). Because limits are fixed from the first 12 points, points appended after the baseline
are judged against these same limits; the appended points are positions 12, 13, ...
"""

import math
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from metrics.spc import (
    COMMON,
    CONCERN,
    ICON_LABELS,
    IMPROVEMENT,
    NEUTRAL,
    assurance,
    icon_svg,
    pchart,
    uchart,
    variation_icon,
    xmr,
)

BASE_HIGH_END = [10, 12] * 6
BASE_LOW_END = [12, 10] * 6
MEAN, LOWER, UPPER = 11.0, 5.68, 16.32


def flagged(frame, rule=None):
    """Positions of special-cause points (optionally only those labelled with ``rule``)."""
    mask = frame["special_cause"] if rule is None else frame["rule"] == rule
    return list(frame.index[mask])


def assert_base_limits(frame):
    assert frame["mean"].tolist() == pytest.approx([MEAN] * len(frame))
    assert frame["lower"].tolist() == pytest.approx([LOWER] * len(frame))
    assert frame["upper"].tolist() == pytest.approx([UPPER] * len(frame))


# --- limits ---------------------------------------------------------------------------------


def test_columns_and_simple_twelve_point_limits():
    frame = xmr(BASE_HIGH_END)
    assert list(frame.columns) == [
        "date", "value", "mean", "lower", "upper", "moving_range",
        "special_cause", "rule", "variation", "segment", "trial", "provisional",
    ]
    assert frame["date"].tolist() == list(range(12))  # no dates: the position
    assert_base_limits(frame)
    # First point has no moving range; the rest are all 2.
    assert math.isnan(frame["moving_range"].iloc[0])
    assert frame["moving_range"].iloc[1:].tolist() == [2.0] * 11
    assert flagged(frame) == []
    assert set(frame["variation"]) == {"common_cause"}
    assert set(frame["rule"]) == {None}
    assert frame["segment"].tolist() == [0] * 12
    assert not frame["trial"].any()


def test_second_worked_example_limits():
    # 20, 24, 20, 24, ... : mean 22, every moving range 4, limits 22 ± 2.66 × 4 = 22 ± 10.64.
    frame = xmr([20, 24] * 6)
    assert frame["mean"].iloc[0] == pytest.approx(22)
    assert frame["lower"].iloc[0] == pytest.approx(11.36)
    assert frame["upper"].iloc[0] == pytest.approx(32.64)


def test_dates_are_kept():
    dates = pd.date_range("2024-04-01", periods=12, freq="MS")
    frame = xmr(BASE_HIGH_END, dates=dates)
    assert frame["date"].tolist() == list(dates)
    # A Series' own index is used when no dates are given.
    frame = xmr(pd.Series(BASE_HIGH_END, index=dates))
    assert frame["date"].tolist() == list(dates)


def test_baseline_of_twelve_fixes_limits_for_later_points():
    # 20 points: the 8 after the baseline would move the mean if they were included:
    # all 20 points: (132 + 11 + 13 + 9 + 11 + 12 + 10 + 11 + 12) / 20 = 221 / 20 = 11.05.
    later = [11, 13, 9, 11, 12, 10, 11, 12]
    frame = xmr(BASE_HIGH_END + later)
    assert len(frame) == 20
    assert_base_limits(frame)  # still 11, 5.68, 16.32 from the first 12
    assert not frame["trial"].any()
    # Moving ranges are still reported for the later points: |11 - 12| = 1, |13 - 11| = 2, ...
    assert frame["moving_range"].iloc[12:].tolist() == [1, 2, 4, 2, 1, 2, 1, 1]
    assert flagged(frame) == []
    # With baseline=None every point counts: mean 11.05.
    assert xmr(BASE_HIGH_END + later, baseline=None)["mean"].iloc[0] == pytest.approx(11.05)


def test_short_series_has_trial_limits():
    # 5 points: mean = (10 + 12 + 10 + 14 + 10) / 5 = 56 / 5 = 11.2
    # moving ranges 2, 2, 4, 4 -> mean 3; limits 11.2 ± 2.66 × 3 = 11.2 ± 7.98 = 3.22 .. 19.18
    frame = xmr([10, 12, 10, 14, 10])
    assert frame["trial"].all()
    assert frame["mean"].iloc[0] == pytest.approx(11.2)
    assert frame["lower"].iloc[0] == pytest.approx(3.22)
    assert frame["upper"].iloc[0] == pytest.approx(19.18)
    # Exactly 12 points is no longer trial; 11 is.
    assert not xmr(BASE_HIGH_END)["trial"].any()
    assert xmr(BASE_HIGH_END[:11])["trial"].all()


def test_single_point_and_empty_series_do_not_crash():
    one = xmr([7])
    assert one["mean"].iloc[0] == 7
    assert math.isnan(one["upper"].iloc[0]) and math.isnan(one["lower"].iloc[0])
    assert flagged(one) == []
    assert variation_icon(one, "up") == "common_cause"
    assert assurance(one, 5, "up") is None
    empty = xmr([])
    assert empty.empty and "special_cause" in empty.columns
    assert variation_icon(empty, "up") == "common_cause"
    assert assurance(empty, 5, "up") is None


# --- rule 1: outside the limits ---------------------------------------------------------------


def test_point_above_upper_limit():
    # 17 > 16.32
    frame = xmr(BASE_HIGH_END + [17], direction="up")
    assert flagged(frame) == [12]
    assert frame.loc[12, "rule"] == "outside_limits"
    assert frame.loc[12, "variation"] == "improvement"
    assert_base_limits(frame)


def test_point_below_lower_limit():
    # 5 < 5.68
    frame = xmr(BASE_HIGH_END + [5], direction="up")
    assert flagged(frame) == [12]
    assert frame.loc[12, "rule"] == "outside_limits"
    assert frame.loc[12, "variation"] == "concern"


def test_points_just_inside_the_limits_are_not_special():
    # 16.3 < 16.32 and 5.7 > 5.68 (separated by common points so 2-of-3 cannot fire).
    frame = xmr(BASE_HIGH_END + [16.3, 11, 11, 5.7])
    assert flagged(frame, "outside_limits") == []


# --- rule 2: trends ---------------------------------------------------------------------------


def test_seven_point_increasing_trend():
    # 12 -> 8 falls, then 8, 9, ..., 14 rises 6 times: a 7-point run, all inside 5.68 .. 16.32
    # and all below the 2/3 line 14.5467. Every point of the run (positions 12..18) is flagged.
    frame = xmr(BASE_HIGH_END + [8, 9, 10, 11, 12, 13, 14], direction="up")
    assert flagged(frame) == list(range(12, 19))
    assert set(frame.loc[12:18, "rule"]) == {"trend"}
    assert set(frame.loc[12:18, "variation"]) == {"improvement"}
    assert variation_icon(frame, "up") == "improvement_high"


def test_six_point_rise_is_not_a_trend():
    # 12 -> 9 falls, then 9 .. 14 is only 6 points (5 rises).
    frame = xmr(BASE_HIGH_END + [9, 10, 11, 12, 13, 14])
    assert flagged(frame) == []


def test_equal_neighbours_break_a_trend():
    frame = xmr(BASE_HIGH_END + [8, 9, 10, 10, 11, 12, 13])
    assert flagged(frame, "trend") == []


def test_seven_point_decreasing_trend_labelled_by_direction_not_side():
    # 12 -> 14 rises, then 14, 13, ..., 8 falls 6 times (positions 12..18).
    # No shift (11 sits on the mean), nothing beyond the 2/3 lines (14 < 14.5467, 8 > 7.4533).
    # The first three points (14, 13, 12) are above the mean, but a falling trend is "low": with
    # higher-is-better they are all concern.
    frame = xmr(BASE_HIGH_END + [14, 13, 12, 11, 10, 9, 8], direction="up")
    assert flagged(frame) == list(range(12, 19))
    assert set(frame.loc[12:18, "rule"]) == {"trend"}
    assert set(frame.loc[12:18, "variation"]) == {"concern"}
    assert variation_icon(frame, "up") == "concern_low"
    assert variation_icon(frame, "down") == "improvement_low"


def test_rising_trend_below_the_mean_is_high():
    # 12 -> 6 falls, then 6, 7, 8, 9, 10, 10.5, 10.8 rise: a trend, all below the mean 11.
    # (6 and 7 are also beyond the lower 2/3 line 7.4533 and it is a 7-point shift below the
    # mean, but the trend rule takes precedence.) The latest point is "high" because it rises.
    frame = xmr(BASE_HIGH_END + [6, 7, 8, 9, 10, 10.5, 10.8], direction="up")
    assert set(frame.loc[12:18, "rule"]) == {"trend"}
    assert variation_icon(frame, "up") == "improvement_high"
    assert variation_icon(frame, "neutral") == "neutral_high"


# --- rule 3: two of three beyond 2/3 of the way to a limit --------------------------------------


def test_two_of_three_above():
    # 15 > 14.5467 (but < 16.32), 12, 15: all three above the mean 11, two of them beyond the upper
    # 2/3 line. Only the two close points are flagged; the 12 between them is not.
    frame = xmr(BASE_HIGH_END + [15, 12, 15], direction="up")
    assert flagged(frame) == [12, 14]
    assert set(frame.loc[[12, 14], "rule"]) == {"two_of_three"}
    assert set(frame.loc[[12, 14], "variation"]) == {"improvement"}
    assert frame.loc[13, "variation"] == "common_cause"


def test_two_of_three_below():
    # 7 < 7.4533 (but > 5.68), 10, 7.
    frame = xmr(BASE_HIGH_END + [7, 10, 7], direction="up")
    assert flagged(frame) == [12, 14]
    assert set(frame.loc[[12, 14], "rule"]) == {"two_of_three"}
    assert set(frame.loc[[12, 14], "variation"]) == {"concern"}


def test_two_of_three_needs_the_same_side_and_three_consecutive_points():
    # 15 (above) and 7 (below) are each beyond a 2/3 line but on opposite sides.
    assert flagged(xmr(BASE_HIGH_END + [15, 7, 11])) == []
    # 15, 11, 11, 15: the two 15s are 4 points apart, never within one window of 3.
    assert flagged(xmr(BASE_HIGH_END + [15, 11, 11, 15])) == []


def test_two_of_three_does_not_count_a_point_beyond_the_limit():
    # As NHSRplotthedots: 17 is outside the limit (rule 1) and is not "close to the limit", so the
    # window 12 (baseline), 17, 15 has only one close point (15): 15 is common cause.
    frame = xmr(BASE_HIGH_END + [17, 15])
    assert frame.loc[12, "rule"] == "outside_limits"
    assert frame.loc[13, "rule"] is None
    assert flagged(frame) == [12]


def test_two_of_three_needs_all_three_points_on_one_side_of_the_mean():
    # 15, 11 (exactly on the mean: sign 0), 15 -> the only window holding both 15s is not all above.
    assert flagged(xmr(BASE_HIGH_END + [15, 11, 15])) == []
    # 15, 10 (below the mean), 15 -> likewise. The window before (12, 15, 10) and after do not count.
    assert flagged(xmr(BASE_HIGH_END + [15, 10, 15])) == []
    # Two adjacent close points with a third above the mean on either side: flagged.
    assert flagged(xmr(BASE_HIGH_END + [15, 15, 10])) == [12, 13]


# --- agreement with NHSRplotthedots -------------------------------------------------------------


def _ptd_special(y, fix_after=12):
    """A direct port of NHSRplotthedots' rules (R/ptd_spc_standard.R and the current
    R/ptd_calculate_point_type.R: ptd_special_cause_type and ptd_point_type) for one group with
    fix_after_n_points. Returns (rule, side) per point in our names: rule None for common cause,
    side +1 for "Above"/"Increasing", -1 for "Below"/"Decreasing"."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    fix = y[:fix_after]
    mean = fix.mean()
    amr = np.abs(np.diff(fix)).mean()
    upl, lpl = mean + 2.66 * amr, mean - 2.66 * amr
    nupl, nlpl = mean + 2 * (2.66 / 3) * amr, mean - 2 * (2.66 / 3) * amr
    outside = (y > upl) | (y < lpl)
    rtm = np.sign(y - mean)
    close = ~outside & ((y < nlpl) | (y > nupl))

    def part_of_seven(v):  # ptd_part_of_seven_trend
        vp = np.concatenate([v, np.zeros(6)])
        return np.array([np.any(np.abs(vp[i:i + 7]) == 1) for i in range(n)])

    vp = np.concatenate([np.zeros(6), rtm])  # ptd_seven_point_one_side_mean
    side7 = np.array([float(vp[i] != 0 and np.all(vp[i] == vp[i - 6:i])) for i in range(6, n + 6)])
    trend7 = np.zeros(n)
    for i in range(6, n):  # ptd_seven_point_trend
        d = np.sign(np.diff(y[i - 6:i + 1]))
        trend7[i] = 1 if np.all(d == 1) else (-1 if np.all(d == -1) else 0)
    cp, rp = np.concatenate([[0, 0], close, [0, 0]]), np.concatenate([[0, 0], rtm, [0, 0]])
    two3 = np.array([any(cp[i + a:i + a + 3].sum() >= 2 and abs(rp[i + a:i + a + 3].sum()) == 3 for a in range(3))
                     for i in range(n)]) & close
    trend, shift = part_of_seven(trend7), part_of_seven(side7)
    sdy = np.sign(np.diff(y))
    next_in_trend = np.concatenate([trend[1:], [False]]) & trend
    sdy = np.where(next_in_trend, np.concatenate([sdy, sdy[-1:]]), np.concatenate([[0], sdy]))
    out = []
    for i in range(n):
        if outside[i]:
            out.append(("outside_limits", rtm[i]))
        elif trend[i]:
            out.append(("trend", 1 if sdy[i] == 1 else -1))
        elif two3[i]:
            out.append(("two_of_three", 1 if rtm[i] > 0 else -1))
        elif shift[i]:
            out.append(("shift", 1 if rtm[i] > 0 else -1))
        else:
            out.append((None, 0))
    return out


def _random_series(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(14, 40))
    # Not rounded: no equal neighbours (see the quirk in metrics/spc.py's module notes).
    y = rng.normal(50, 5, n) + np.where(np.arange(n) > n // 2, rng.normal(0, 6), 0)
    y[rng.integers(0, n, 3)] += rng.choice([-12, 12, 9, -9], 3)
    if seed % 4 == 0:  # some long monotone stretches, up then down (shared peak points)
        k = int(rng.integers(0, n - 14))
        y[k:k + 14] = [40 + j for j in range(8)] + [46 - 2 * j for j in range(6)]
    return y


@pytest.mark.parametrize("seed", range(60))
def test_special_points_and_rules_agree_with_nhsrplotthedots(seed):
    # Random series with drifts, jumps, points near the limits and trends: the special-cause points,
    # the rule that applies (same precedence) and improvement/concern must equal NHSRplotthedots'.
    y = _random_series(seed)
    frame = xmr(list(y), baseline=12, direction="up")
    reference = _ptd_special(y)
    assert frame["rule"].tolist() == [rule for rule, _ in reference]
    expected = ["common_cause" if rule is None else ("improvement" if side > 0 else "concern")
                for rule, side in reference]
    assert frame["variation"].tolist() == expected


# --- rule 4: shifts -----------------------------------------------------------------------------


def test_seven_point_shift_above():
    # Base ends with 10 (below the mean); then 12, 13, 12, 13, 12, 13, 12: seven points above 11,
    # not monotonic, none beyond 14.5467. All seven (positions 12..18) are flagged.
    frame = xmr(BASE_LOW_END + [12, 13, 12, 13, 12, 13, 12], direction="up")
    assert flagged(frame) == list(range(12, 19))
    assert set(frame.loc[12:18, "rule"]) == {"shift"}
    assert set(frame.loc[12:18, "variation"]) == {"improvement"}
    assert variation_icon(frame, "up") == "improvement_high"


def test_seven_point_shift_below():
    # Base ends with 12 (above); then 10, 9, 10, 9, 10, 9, 10: seven points below 11.
    frame = xmr(BASE_HIGH_END + [10, 9, 10, 9, 10, 9, 10], direction="up")
    assert flagged(frame) == list(range(12, 19))
    assert set(frame.loc[12:18, "rule"]) == {"shift"}
    assert set(frame.loc[12:18, "variation"]) == {"concern"}
    assert variation_icon(frame, "up") == "concern_low"


def test_six_points_and_a_point_on_the_mean_are_not_a_shift():
    assert flagged(xmr(BASE_LOW_END + [12, 13, 12, 13, 12, 13])) == []
    # 3 above, one exactly on the mean (11), 4 above: the run is broken.
    assert flagged(xmr(BASE_LOW_END + [12, 13, 12, 11, 13, 12, 13, 12])) == []


# --- precedence -------------------------------------------------------------------------------


def test_outside_limits_beats_shift():
    # Seven points above the mean; the third (17) is also above 16.32.
    frame = xmr(BASE_LOW_END + [12, 13, 17, 13, 12, 13, 12], direction="up")
    assert flagged(frame) == list(range(12, 19))
    assert frame.loc[14, "rule"] == "outside_limits"
    assert frame["rule"].iloc[12:19].tolist() == ["shift", "shift", "outside_limits"] + ["shift"] * 4


def test_trend_beats_shift():
    # Base ends with 10, then 11.5, 12, ..., 14.5: 10 -> 14.5 is 8 rising points (positions
    # 11..18), so the last baseline point is part of the trend. Positions 12..18 are also a
    # 7-point shift above the mean, but trend comes first. (14.5 < 14.5467: no two-of-three.)
    frame = xmr(BASE_LOW_END + [11.5, 12, 12.5, 13, 13.5, 14, 14.5])
    assert flagged(frame) == list(range(11, 19))
    assert set(frame.loc[11:18, "rule"]) == {"trend"}
    assert set(frame.loc[11:18, "variation"]) == {"neutral"}


# --- direction --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "direction", "variation", "icon"),
    [
        (17, "up", "improvement", "improvement_high"),
        (17, "down", "concern", "concern_high"),
        (17, "neutral", "neutral", "neutral_high"),
        (5, "up", "concern", "concern_low"),
        (5, "down", "improvement", "improvement_low"),
        (5, "neutral", "neutral", "neutral_low"),
    ],
)
def test_direction_flips_improvement_and_concern(extra, direction, variation, icon):
    frame = xmr(BASE_HIGH_END + [extra], direction=direction)
    assert frame.loc[12, "variation"] == variation
    assert variation_icon(frame, direction) == icon


def test_common_cause_icon_and_bad_direction():
    frame = xmr(BASE_HIGH_END + [11], direction="up")
    assert variation_icon(frame, "up") == "common_cause"
    with pytest.raises(ValueError):
        xmr(BASE_HIGH_END, direction="higher")


# --- rebasing ---------------------------------------------------------------------------------


def test_rebase_creates_a_new_segment_with_its_own_limits():
    # Segment 0: the base (11, 5.68 .. 16.32). Segment 1 from position 12: 20, 24, ...
    # mean 22, moving ranges 4 (the 12 -> 20 jump is not a moving range: it restarts),
    # limits 22 ± 10.64 = 11.36 .. 32.64.
    dates = pd.date_range("2023-04-01", periods=24, freq="MS")
    values = BASE_HIGH_END + [20, 24] * 6
    frame = xmr(values, dates=dates, direction="up", rebase_at=[pd.Timestamp("2024-04-01")])
    assert frame["segment"].tolist() == [0] * 12 + [1] * 12
    assert_base_limits(frame.iloc[:12])
    assert frame["mean"].iloc[12:].tolist() == pytest.approx([22] * 12)
    assert frame["lower"].iloc[12:].tolist() == pytest.approx([11.36] * 12)
    assert frame["upper"].iloc[12:].tolist() == pytest.approx([32.64] * 12)
    assert math.isnan(frame["moving_range"].iloc[12])
    assert flagged(frame) == []
    assert not frame["trial"].any()
    # Same result with a date string or a position.
    for rebase in (["2024-04-01"], [12]):
        again = xmr(values, dates=dates, direction="up", rebase_at=rebase)
        assert again["segment"].tolist() == frame["segment"].tolist()
    # Without the rebase the second half is way above 16.32: outside the limits.
    assert flagged(xmr(values), "outside_limits") == list(range(12, 24))


def test_short_rebased_segment_is_trial():
    # Segment 1 = 20, 24, 20: mean 64 / 3 = 21.333, moving ranges 4, 4 -> limits ± 10.64.
    frame = xmr(BASE_HIGH_END + [20, 24, 20], rebase_at=[12])
    assert not frame["trial"].iloc[:12].any()
    assert frame["trial"].iloc[12:].all()
    assert frame["mean"].iloc[12] == pytest.approx(64 / 3)
    assert frame["upper"].iloc[12] == pytest.approx(64 / 3 + 10.64)


def test_runs_do_not_cross_a_rebase():
    # Baseline mean = (4 × 10 + 6 × 12 + 2 × 13) / 12 = 138 / 12 = 11.5, so positions 7..11
    # (12, 13, 12, 13, 12) are 5 points above it. Without a rebase the next four (12, 13, 12, 13)
    # extend that to a 9-point shift. With a rebase at 12 the new segment has its own mean
    # (50 / 4 = 12.5) and the run stops at the boundary: neither segment has 7 in a row.
    values = [10, 12, 10, 12, 10, 12, 10, 12, 13, 12, 13, 12] + [12, 13, 12, 13]
    assert flagged(xmr(values), "shift") == list(range(7, 16))
    assert flagged(xmr(values, rebase_at=[12]), "shift") == []


# --- missing values ---------------------------------------------------------------------------


def test_missing_values_are_skipped():
    # Remove the gaps and this is BASE_HIGH_END (12 valid points): mean 11, moving ranges 2
    # (10 -> gap -> 12 is a range of 2), limits 5.68 .. 16.32, fixed (not trial).
    values = [10, None, 12, 10, np.nan, 12, 10, 12, 10, 12, 10, 12, 10, 12]
    frame = xmr(values)
    assert_base_limits(frame)
    assert not frame["trial"].any()
    for pos in (1, 4):
        row = frame.loc[pos]
        assert math.isnan(row["value"]) and math.isnan(row["moving_range"])
        assert not row["special_cause"]
        assert row["rule"] is None
        assert row["variation"] is None
    assert frame.loc[2, "moving_range"] == 2


def test_runs_join_across_missing_values():
    # Seven valid points above the mean with two gaps between them: still a shift.
    frame = xmr(BASE_LOW_END + [12, None, 13, 12, 13, None, 12, 13, 12])
    assert flagged(frame, "shift") == [12, 14, 15, 16, 18, 19, 20]
    assert variation_icon(frame, "neutral") == "neutral_high"
    # A trailing missing value: the icon describes the latest non-missing point.
    assert variation_icon(xmr(BASE_HIGH_END + [17, None], direction="up"), "up") == "improvement_high"


# --- constant series ----------------------------------------------------------------------------


def test_constant_series_has_limits_on_the_mean_and_no_special_cause():
    # Every moving range is 0: limits = mean ± 0 = 5. Points on the mean are never special
    # (all tests are strict inequalities and a point on the mean breaks a run).
    frame = xmr([5] * 15, direction="up")
    assert frame["mean"].tolist() == [5] * 15
    assert frame["lower"].tolist() == [5] * 15
    assert frame["upper"].tolist() == [5] * 15
    assert flagged(frame) == []
    assert variation_icon(frame, "up") == "common_cause"
    # Documented decision: after a constant baseline any change is outside the (zero-width) limits.
    changed = xmr([5] * 12 + [6], direction="up")
    assert flagged(changed) == [12]
    assert changed.loc[12, "rule"] == "outside_limits"


# --- assurance --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "direction", "expected"),
    [
        # Limits 5.68 .. 16.32.
        (5, "up", "pass"),             # higher is better, target below the lower (worse) limit
        (17, "up", "fail"),            # target above the upper (better) limit: cannot be met
        (10, "up", "hit_and_miss"),
        (17, "down", "pass"),          # lower is better, target above the upper (worse) limit
        (5, "down", "fail"),
        (10, "down", "hit_and_miss"),
        (10, "neutral", None),
        (None, "up", None),
    ],
)
def test_assurance(target, direction, expected):
    frame = xmr(BASE_HIGH_END, direction=direction)
    assert assurance(frame, target, direction) == expected


def test_assurance_uses_the_latest_segment():
    # Segment 1 limits are 11.36 .. 32.64; a target of 10 is below them (pass for "up"), though
    # it would be hit and miss within segment 0's 5.68 .. 16.32.
    frame = xmr(BASE_HIGH_END + [20, 24] * 6, rebase_at=[12], direction="up", target=10)
    assert assurance(frame, 10, "up") == "pass"
    assert assurance(xmr(BASE_HIGH_END), 10, "up") == "hit_and_miss"
    assert frame.attrs["target"] == 10 and frame.attrs["direction"] == "up"


# --- icons ------------------------------------------------------------------------------------


def test_icons_are_inline_svg_with_labels_and_colours():
    expected = {
        "common_cause", "improvement_high", "improvement_low", "concern_high", "concern_low",
        "neutral_high", "neutral_low", "pass", "fail", "hit_and_miss",
    }
    assert set(ICON_LABELS) == expected
    assert ICON_LABELS["improvement_high"] == "Special cause variation – improvement (high)"
    colours = {"common_cause": COMMON, "improvement_low": IMPROVEMENT, "concern_high": CONCERN,
               "neutral_low": NEUTRAL, "pass": IMPROVEMENT, "fail": CONCERN, "hit_and_miss": COMMON}
    for name in expected:
        svg = icon_svg(name)
        root = ET.fromstring(svg)  # well-formed XML
        assert root.tag.endswith("svg")
        assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # no external images
        if name in colours:
            assert colours[name] in svg
    assert ">P<" in icon_svg("pass") and ">F<" in icon_svg("fail")
    with pytest.raises(ValueError):
        icon_svg("nope")


# --- chart ------------------------------------------------------------------------------------


def test_chart_builds_with_rebase_target_and_missing_values():
    from metrics.spc_chart import spc_chart

    dates = pd.date_range("2023-04-01", periods=26, freq="MS")
    values = BASE_HIGH_END + [17, None] + [20, 24] * 6
    frame = xmr(values, dates=dates, direction="up", rebase_at=["2024-06-01"])
    spec = spc_chart(frame, "Title", "Patients", target=15).to_dict()
    assert spec["width"] == "container"
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
             for layer in spec["layer"]]
    assert marks.count("rule") == 2  # one rebase rule and the target line
    assert "text" in marks
    # Without dates or target the chart still builds (quantitative x axis).
    spec = spc_chart(xmr([1, 2, 3]), "T", "Y").to_dict()
    assert "rule" not in str([layer["mark"] for layer in spec["layer"]])


def test_peak_between_two_trends_takes_the_later_direction():
    # After the baseline (limits 5.68..16.32), 8..14 rises (positions 12..18) and 14..8 falls
    # (positions 18..24): both are 7-point trends, all within the limits. The peak (position 18,
    # value 14) belongs to both runs and is "decreasing", as NHSRplotthedots labels it (the step to
    # its right). With lower-is-better the rise is a concern and the peak and the fall improvement.
    frame = xmr(BASE_HIGH_END + [8, 9, 10, 11, 12, 13, 14, 13, 12, 11, 10, 9, 8], direction="down")
    assert flagged(frame) == list(range(12, 25))
    assert set(frame.loc[12:24, "rule"]) == {"trend"}
    assert frame.loc[12:24, "variation"].tolist() == ["concern"] * 6 + ["improvement"] * 7


def test_provisional_months_are_drawn_but_never_signal():
    """Twelve common-cause months, then an outlier in a provisional month: no signal, same limits, icon from
    the last complete month; the chart draws it hollow with a caption."""
    import json

    from metrics.spc_chart import PROVISIONAL_CAPTION, spc_chart

    values = list(BASE_HIGH_END) + [1000.0]
    dates = pd.date_range("2023-01-01", periods=13, freq="MS")
    complete = xmr(values[:12], dates=dates[:12], direction="up")
    frame = xmr(values, dates=dates, direction="up", provisional_from=pd.Timestamp("2024-01-01").date())
    assert frame["provisional"].tolist() == [False] * 12 + [True]
    assert frame["value"].iloc[-1] == 1000.0
    assert not frame["special_cause"].iloc[-1] and frame["variation"].iloc[-1] is None
    assert frame[["mean", "lower", "upper"]].iloc[:12].equals(complete[["mean", "lower", "upper"]])
    assert variation_icon(frame, "up") == variation_icon(complete, "up")
    spec = json.dumps(spc_chart(frame, "A measure", "Value").to_dict())
    assert PROVISIONAL_CAPTION in spec and '"filled": false' in spec


# --- p- and u-charts (varying limits) ------------------------------------------------------------------------


def test_p_chart_varying_limits_hand_worked():
    # 4 points: 10/100, 20/100, 5/25, 15/75 -> p-bar = 50 / 300 = 1/6 (16.667%).
    # sigma(n) = sqrt((1/6)(5/6) / n): n = 100 -> 0.037268; n = 25 -> 0.074536; n = 75 -> 0.043033.
    # limits: n = 100 5.486..27.847; n = 25 0 (clipped from -5.694)..39.027; n = 75 3.757..29.577.
    frame = pchart([10, 20, 5, 15], [100, 100, 25, 75])
    assert frame["value"].tolist() == pytest.approx([10, 20, 20, 20])
    assert frame["mean"].iloc[0] == pytest.approx(100 / 6)
    sigma = [math.sqrt(5 / 36 / n) * 100 for n in (100, 100, 25, 75)]
    assert frame["upper"].tolist() == pytest.approx([100 / 6 + 3 * s for s in sigma])
    assert frame["lower"].tolist() == pytest.approx([max(0.0, 100 / 6 - 3 * s) for s in sigma])
    assert frame["lower"].iloc[2] == 0.0 and frame.attrs["chart"] == "p"
    assert frame["trial"].all()  # 4 points < 12: trial limits


def test_p_chart_limits_never_above_100_percent_and_a_full_month_is_not_outside():
    frame = pchart([9, 10, 8, 10], [10, 10, 10, 10])
    assert (frame["upper"] <= 100).all() and (frame["upper"] == 100).all()
    assert not frame["special_cause"].any()  # 100% equals the (clipped) upper limit: not strictly above


def test_u_chart_point_outside_its_own_limit_only():
    # u-bar from 12 months of 2 per 1,000 (2/1000) = 0.002; the 13th month: 3 events in 300 bed days = 10 per
    # 1,000. Its own upper limit 2 + 3 x sqrt(0.002 / 300) x 1000 = 2 + 7.746 = 9.746: outside. The same 10 per
    # 1,000 on 100 bed days (1 event; limit 2 + 13.416 = 15.416) is not.
    counts, days = [2] * 12 + [3], [1000] * 12 + [300]
    frame = uchart(counts, days, direction="down")
    assert frame["upper"].iloc[-1] == pytest.approx(2 + 3 * math.sqrt(0.002 / 300) * 1000)
    assert frame["rule"].iloc[-1] == "outside_limits" and frame["variation"].iloc[-1] == "concern"
    small = uchart([2] * 12 + [1], [1000] * 12 + [100], direction="down")
    assert small["upper"].iloc[-1] == pytest.approx(2 + 3 * math.sqrt(0.002 / 100) * 1000)
    assert not small["special_cause"].iloc[-1]
    assert (frame["lower"] >= 0).all()


def test_u_chart_two_of_three_against_each_points_close_line():
    # u-bar = 0.01 (10 per 1,000) on 1,000 bed days: sigma = sqrt(0.01 / 1000) x 1000 = 3.162; close line at
    # 2 sigma = 16.325, limit 19.487. Points 17 and 18 per 1,000 (two of three beyond the close line, inside the
    # limit, all above the mean) are two-in-three; the baseline is 12 points of 10 and the window's middle 11.
    counts = [10] * 12 + [17, 11, 18]
    frame = uchart(counts, [1000] * 15, direction="down")
    assert frame["mean"].iloc[-1] == pytest.approx(10.0)
    assert frame["rule"].iloc[12:].tolist() == ["two_of_three", None, "two_of_three"]


def test_attribute_charts_missing_zero_and_bad_denominators():
    frame = uchart([1, None, 2, 3], [100, 100, 0, 100])
    assert frame["value"].isna().tolist() == [False, True, True, False]  # missing count, zero bed days
    assert frame["mean"].iloc[0] == pytest.approx(4 / 200 * 1000)
    with pytest.raises(ValueError):
        pchart([5], [4])  # a numerator above its denominator
    with pytest.raises(ValueError):
        uchart([1, 2], [10])
    with pytest.raises(ValueError):
        uchart([-1], [10])


def test_attribute_chart_rebase_and_provisional():
    dates = pd.date_range("2024-01-01", periods=6, freq="MS")
    frame = pchart([1, 2, 1, 6, 7, 6], [10] * 6, dates=dates, rebase_at=[dates[3]], provisional_from=dates[5])
    assert frame["segment"].tolist() == [0, 0, 0, 1, 1, 1]
    assert frame["mean"].tolist() == pytest.approx([40 / 3] * 3 + [65.0] * 3)  # 4/30; 13/20 (month 6 provisional)
    assert frame["provisional"].iloc[-1] and frame["variation"].iloc[-1] is None


def test_xmr_limits_kept_within_the_measures_range_rules_unchanged():
    # A percentage alternating 90, 98 then 99: mean 94, mean moving range 8 -> limits 72.72..115.28; with the
    # possible range 0..100 the upper limit shows 100, the close line stays at 94 + 2/3 x 21.28 = 108.19, and the
    # signals are those of the unclipped chart (no value can lie beyond its possible range).
    values = [90, 98] * 6 + [99]
    plain = xmr(values)
    clipped = xmr(values, floor=0, ceiling=100)
    assert (clipped["upper"] == 100).all() and clipped["lower"].iloc[0] == pytest.approx(94 - 2.66 * 8)
    assert clipped["rule"].tolist() == plain["rule"].tolist()
    days = xmr([1, 30, 2, 28, 3, 1], floor=0)  # a days measure whose XmR lower limit would be negative
    assert (days["lower"] == 0).all() and days["upper"].iloc[0] > 0
