"""p- and u-chart limits and signals cross-checked against an independent implementation: the `abspc` package
(NHS Making Data Count SPC in Python, PyPI, pinned in requirements-dev.txt), on four series.

abspc computes p̄ = Σ numerators ÷ Σ denominators (ū = Σ counts ÷ Σ exposures) over every point, limits
p̄ ± 3 √(p̄(1 − p̄) ÷ nᵢ) (ū ± 3 √(ū ÷ nᵢ)) per point with the lower limit clipped at 0, and 2-sigma warning
lines for its two-in-three rule. Our charts fix the limits from the first 12 points by default, so the
comparison uses ``baseline=None`` (every point), as abspc does. Its run rules are 8 points for a shift and 6
for a trend; ours (NHSRplotthedots, metrics/spc.py) are 7 and 7, so its own rule functions are called with
our run length (``_rule2_shift(..., run_length=7)``, ``_rule3_trend(..., run_length=7)``); its "outside the
limits" and "two in three" rules are used as they are (``detect_special_causes``). abspc leaves a p-chart's
upper limit above 100% unclipped; ours keeps it at 100% (the fourth series checks exactly that).
"""

import numpy as np
import pandas as pd
import pytest

from metrics.spc import pchart, uchart

ab = pytest.importorskip("abspc.spc")

# Monthly readmission-like proportions: a step up at month 13 (shift), an outlier in month 6 (outside),
# a low point in month 12 (outside below).
P_NUM = [20, 12, 11, 6, 17, 23, 9, 6, 11, 17, 15, 4, 23, 14, 19, 18, 23, 16, 12, 12, 21, 16, 17, 22]
P_DEN = [147, 87, 65, 126, 144, 73, 83, 49, 155, 156, 123, 107, 108, 117, 128, 109, 134, 97, 83, 54, 136, 77,
         119, 128]
# Restraint-like counts per 1,000 bed days, rising (three low months outside below, two of three close
# to the upper limit, a high outlier in month 21, a shift at the end).
U_NUM = [59, 75, 78, 36, 56, 50, 44, 99, 85, 49, 128, 34, 135, 64, 140, 88, 66, 119, 75, 139, 170, 71, 99, 70]
U_DEN = [2630, 2769, 2525, 1163, 1228, 1275, 1209, 2502, 1941, 1176, 2783, 937, 2834, 1319, 2504, 1768, 1721,
         2445, 1299, 2440, 1706, 1371, 1681, 1393]
# A rare proportion (lower limits clipped at 0) with a 7-month rising trend.
P3_NUM = [1, 0, 2, 1, 0, 1, 2, 1, 0, 1, 2, 3, 4, 5, 6, 8, 2, 1, 0, 1]
P3_DEN = [60, 45, 70, 52, 40, 66, 58, 61, 47, 55, 80, 81, 82, 83, 84, 85, 60, 50, 44, 62]
# A high proportion with small denominators: upper limits above 100% in abspc, 100% here.
P4_NUM = [9, 10, 8, 5, 9, 10, 7, 10, 9, 4, 10, 9]
P4_DEN = [10, 11, 10, 8, 10, 10, 9, 10, 10, 9, 10, 10]


def reference(kind, num, den):
    data = pd.DataFrame({"den": np.asarray(den, float), "num": np.asarray(num, float if kind == "p" else int)})
    if kind == "p":
        limits = ab.calculate_control_limits(data, "p", value_col="den", subgroup_col="den", numerator_col="num")
        values = limits["den"].to_numpy(float)  # abspc replaces its value column with the proportion
    else:
        limits = ab.calculate_control_limits(data.rename(columns={"num": "value"}), "u", subgroup_col="den")
        values = limits["value"].to_numpy(float)
    flags = ab.detect_special_causes(limits, value_col="den" if kind == "p" else "value")
    mean = limits["mean"].to_numpy(float)
    flags["shift7"] = ab._rule2_shift(values, mean, run_length=7)
    flags["trend7"] = ab._rule3_trend(values, run_length=7)
    return values, limits, flags


def ours(kind, num, den):
    chart = pchart if kind == "p" else uchart
    return chart(num, den, baseline=None, direction="down")


@pytest.mark.parametrize("kind,num,den,scale", [("p", P_NUM, P_DEN, 100), ("u", U_NUM, U_DEN, 1000),
                                                 ("p", P3_NUM, P3_DEN, 100), ("p", P4_NUM, P4_DEN, 100)])
def test_limits_match_abspc(kind, num, den, scale):
    values, limits, _ = reference(kind, num, den)
    frame = ours(kind, num, den)
    top = 1.0 if kind == "p" else np.inf
    assert frame["value"].to_numpy() == pytest.approx(values * scale)
    assert frame["mean"].to_numpy() == pytest.approx(limits["mean"].to_numpy(float) * scale)
    assert frame["lower"].to_numpy() == pytest.approx(limits["lcl"].to_numpy(float) * scale)
    assert frame["upper"].to_numpy() == pytest.approx(np.minimum(limits["ucl"].to_numpy(float), top) * scale)
    assert (frame["lower"] >= 0).all() and (frame["upper"] <= (100 if kind == "p" else np.inf)).all()


@pytest.mark.parametrize("kind,num,den", [("p", P_NUM, P_DEN), ("u", U_NUM, U_DEN), ("p", P3_NUM, P3_DEN),
                                           ("p", P4_NUM, P4_DEN)])
def test_signals_match_abspc(kind, num, den):
    _, _, flags = reference(kind, num, den)
    frame = ours(kind, num, den)
    rule = frame["rule"]
    # Outside the limits: exactly abspc's rule 1 (our first rule, nothing takes precedence over it).
    assert (rule == "outside_limits").tolist() == flags["rule1"].tolist()
    # Every point abspc flags by any rule (with our run lengths) is special here, and no other.
    theirs = flags["rule1"] | flags["rule4"] | flags["shift7"] | flags["trend7"]
    assert frame["special_cause"].tolist() == theirs.tolist()
    # Points we label two-in-three or trend are abspc's rule 4 or 7-point trend points.
    assert flags.loc[rule == "two_of_three", "rule4"].all()
    assert flags.loc[rule == "trend", "trend7"].all()


def test_the_series_exercise_every_rule():
    seen = set()
    for kind, num, den in [("p", P_NUM, P_DEN), ("u", U_NUM, U_DEN), ("p", P3_NUM, P3_DEN)]:
        seen |= set(ours(kind, num, den)["rule"].dropna())
    assert seen == {"outside_limits", "shift", "two_of_three", "trend"}
