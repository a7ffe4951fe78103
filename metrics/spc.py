"""Statistical process control following NHS England's "Making Data Count": XmR charts by default, p-charts for
proportions and u-charts for rates (:func:`xmr`, :func:`pchart`, :func:`uchart`; metrics/quality.chart_type
chooses by the kind of measure).

Pure functions: no Streamlit, no database. See docs/kpi-catalogue ("Statistical process control").

p- and u-charts: centre = Σ numerators ÷ Σ denominators over the segment's baseline points; each point has its
own limits, centre ± 3σᵢ with σᵢ = √(p̄(1 − p̄) ÷ nᵢ) (p) or √(ū ÷ nᵢ) (u), kept within the measure's possible
range (0–100% for a proportion, never below 0 for a rate); the "close to the limit" lines are at ± 2σᵢ. The
special-cause rules below apply point by point against those varying limits. tests/test_spc_reference.py
checks limits and signals against the independent `abspc` package.

Method
------
* Centre line = mean; process limits = mean ± 2.66 × mean moving range (2.66 = 3 / 1.128, so the
  limits are mean ± 3σ with σ = mean moving range / 1.128).
* Limits are fixed from the first ``baseline`` (default 12) non-missing points of each segment. A
  segment with fewer than ``baseline`` points gets *trial* limits computed from all of its points
  (``trial`` is True for every point of such a segment). ``baseline=None`` uses every point.
* ``rebase_at`` starts a new segment (``segment`` 0, 1, 2, ...) with its own baseline. Moving
  ranges, limits and all run rules restart at a rebase: no run crosses a segment boundary.
* Missing values (None/NaN) are dropped before calculating: moving ranges and runs join the points
  either side of a gap. Missing points keep their row with ``value`` NaN, the segment's mean and
  limits, ``special_cause`` False, ``rule`` None and ``variation`` None.

Special-cause rules, in order of precedence (a point is labelled with the first that applies):

1. ``outside_limits`` – the point is strictly above the upper or below the lower limit.
2. ``trend`` – 7 or more consecutive points each strictly higher (or each strictly lower) than the
   one before; every point of the run is flagged. Equal neighbours break a run.
3. ``two_of_three`` – in any 3 consecutive points that are all strictly on the same side of the mean,
   2 or more are *close to the limit*: strictly beyond 2/3 of the way from the mean to the limit and
   not outside it. The close points are flagged (a point outside the limits is rule 1 and does not
   count towards this rule; a point on the mean breaks the window).
4. ``shift`` – 7 or more consecutive points strictly on the same side of the mean; every point of
   the run is flagged. A point exactly on the mean breaks a run.

Comparison with NHSRplotthedots (nhs-r-community/NHSRplotthedots, R/ptd_spc_standard.R and
R/ptd_calculate_point_type.R):

* Agree: limit constant 2.66 and the "close to limit" band at 2/3 × 2.66 × mean moving range (their
  ``limitclose = 2 * (2.66 / 3)``; identical); limits from the first n points of each rebase group,
  with moving ranges restarting per group; 7-point trend = 6 successive strict increases/decreases
  (sign of the differences), all 7 points flagged; 7-point shift on one side of the mean with a
  point on the mean (sign 0) breaking the run, all points flagged; outside limits tested strictly
  (> upper, < lower); two-in-three exactly as ``ptd_two_in_three`` / ``ptd_part_of_two_in_three``
  (only points between the 2/3 line and the limit count, all three points of the window strictly
  on one side of the mean, only the close points flagged); per-group rules. Which points are
  special therefore agrees with NHSRplotthedots (tests/test_spc.py checks a port of its rules).
  Rule precedence (outside, trend, two-in-three, shift) and labelling a trend by its direction (an
  increasing trend is "high" even below the mean) agree with its current version
  (``ptd_special_cause_type``, NHSRplotthedots PR #180); older releases coloured by the side of the
  mean and missed decreasing trends (its issue #167).
* Differ (deliberately, per our specification):
  - NHSRplotthedots does not fix limits unless ``fix_after_n_points`` is given; we fix at 12.
  - A quirk we do not copy: when a trend point's next point is equal to it and starts another
    trend, it calls the point "decreasing" whatever the runs; we use the run's own direction.
  - It leaves missing values in place (breaking moving ranges); we drop them before calculating.
* A constant series (every moving range 0) has limits equal to the mean. No point on the mean is
  special (tests are strict), so it shows common cause; a later point off the mean is then
  outside the limits, which is correct for a process that had shown no variation at all.

Direction: ``"up"`` (higher is better), ``"down"`` (lower is better) or ``"neutral"``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from html import escape

import numpy as np
import pandas as pd

from assets.palette import MDC_COMMON, MDC_CONCERN, MDC_IMPROVEMENT, MDC_NEUTRAL

__all__ = [
    "COMMON",
    "CONCERN",
    "ICON_LABELS",
    "IMPROVEMENT",
    "NEUTRAL",
    "RULES",
    "RULE_LABELS",
    "assurance",
    "icon_svg",
    "pchart",
    "uchart",
    "variation_icon",
    "xmr",
]

# Making Data Count colours.
# Colours from the one palette (assets/palette.py): Making Data Count hues, darkened to 3:1 or more on white.
COMMON, IMPROVEMENT, CONCERN, NEUTRAL = MDC_COMMON, MDC_IMPROVEMENT, MDC_CONCERN, MDC_NEUTRAL

LIMIT_CONSTANT = 2.66
CLOSE_FRACTION = 2 / 3
RUN_LENGTH = 7

DIRECTIONS = ("up", "down", "neutral")
RULES = ("outside_limits", "trend", "two_of_three", "shift")
RULE_LABELS = {
    "outside_limits": "A point outside the process limits",
    "trend": "7 points in a row all increasing or all decreasing",
    "two_of_three": "2 of 3 points close to a process limit",
    "shift": "7 points in a row on the same side of the mean",
}

ICON_LABELS = {
    "common_cause": "Common cause variation",
    "improvement_high": "Special cause variation – improvement (high)",
    "improvement_low": "Special cause variation – improvement (low)",
    "concern_high": "Special cause variation – concern (high)",
    "concern_low": "Special cause variation – concern (low)",
    "neutral_high": "Special cause variation – neither improvement nor concern (high)",
    "neutral_low": "Special cause variation – neither improvement nor concern (low)",
    "pass": "Assurance – the process will consistently pass the target",
    "fail": "Assurance – the process will consistently fail the target",
    "hit_and_miss": "Assurance – the process will hit and miss the target",
}

COLUMNS = [
    "date", "value", "mean", "lower", "upper", "moving_range",
    "special_cause", "rule", "variation", "segment", "trial", "provisional",
]


def _check_direction(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    return direction


def _to_float_array(values) -> np.ndarray:
    out = []
    for v in values:
        if v is None or v is pd.NA or v is pd.NaT:
            out.append(np.nan)
        else:
            try:
                out.append(float(v))
            except (TypeError, ValueError):
                raise TypeError(f"SPC values must be numbers or missing, got {v!r}") from None
    return np.asarray(out, dtype=float)


def _segment_starts(dates: pd.Series, rebase_at, n: int) -> list[int]:
    """Positions (>0) where a new segment starts."""
    if rebase_at is None:
        return []
    if isinstance(rebase_at, (str, int, np.integer, pd.Timestamp)) or not isinstance(rebase_at, Iterable):
        rebase_at = [rebase_at]
    date_is_time = pd.api.types.is_datetime64_any_dtype(dates)
    starts = set()
    for item in rebase_at:
        if item is None:
            continue
        if date_is_time and not isinstance(item, (int, np.integer)):
            when = pd.Timestamp(item)
            if dates.dt.tz is not None and when.tzinfo is None:
                when = when.tz_localize(dates.dt.tz)
            hits = np.flatnonzero((dates >= when).to_numpy())
        elif isinstance(item, (int, np.integer)) and not bool((dates == item).any()):
            hits = [int(item)] if 0 <= int(item) < n else []  # a position
        else:
            # A date or label matched against the date column (first point at or after it).
            try:
                hits = np.flatnonzero((dates >= item).to_numpy())
            except TypeError:
                hits = np.flatnonzero((dates == item).to_numpy())
        if len(hits):
            pos = int(hits[0])
            if pos > 0:
                starts.add(pos)
    return sorted(starts)


def _runs(flags: np.ndarray, length: int) -> np.ndarray:
    """Mark every element of a run of at least ``length`` consecutive True values."""
    out = np.zeros(len(flags), dtype=bool)
    start = None
    for i, f in enumerate(list(flags) + [False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            if i - start >= length:
                out[start:i] = True
            start = None
    return out


def _segment_rules(y: np.ndarray, mean: float, lower, upper, lo_line=None, hi_line=None):
    """Rules for one segment's non-missing values. Returns (rule list, side list: +1 high/-1 low).

    `lower`/`upper` are numbers (XmR) or one per point (p- and u-charts' varying limits); `lo_line`/`hi_line`
    the "close to the limit" lines (default 2/3 of the way from the mean to each limit, i.e. 2 sigma)."""
    n = len(y)
    lower, upper = (np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in (lower, upper))
    rule: list[str | None] = [None] * n
    side = [0] * n

    def mark(mask: np.ndarray, name: str, sides: np.ndarray) -> None:
        for i in np.flatnonzero(mask):
            if rule[i] is None:
                rule[i] = name
                side[i] = int(sides[i])

    above_mean = np.sign(y - mean)
    has_limits = n > 0 and not (np.isnan(lower).all() or np.isnan(upper).all())

    # 1. Outside the limits.
    if has_limits:
        outside = (y > upper) | (y < lower)
        mark(outside, "outside_limits", above_mean)

    # 2. Trend: 7 points = 6 successive strict rises (or falls).
    if n >= RUN_LENGTH:
        diff = np.sign(np.diff(y))
        in_run = {}
        for sign in (1, -1):
            # A run of 6 differences of one sign covers 7 points: mark the points, not the steps.
            steps = _runs(diff == sign, RUN_LENGTH - 1)
            points = np.zeros(n, dtype=bool)
            points[:-1] |= steps
            points[1:] |= steps
            in_run[sign] = points
        # A peak or trough ends one run and starts the next: it takes the later run's direction
        # (as NHSRplotthedots, which uses the step to the right when the next point is in a trend too).
        next_step = np.append(diff, 0)
        sides = np.where(in_run[1] & in_run[-1], next_step, np.where(in_run[1], 1, -1))
        mark(in_run[1] | in_run[-1], "trend", sides)

    # 3. Two of three close to a limit (NHSRplotthedots): in a window of 3 points all strictly on one
    # side of the mean, 2 or more lie between the 2/3 line and the limit; those close points are flagged.
    if has_limits:
        hi_line = mean + CLOSE_FRACTION * (upper - mean) if hi_line is None else hi_line
        lo_line = mean - CLOSE_FRACTION * (mean - lower) if lo_line is None else lo_line
        close = ~outside & ((y > hi_line) | (y < lo_line))
        flagged = np.zeros(n, dtype=bool)
        for start in range(max(n - 2, 0)):
            window = slice(start, start + 3)
            if close[window].sum() >= 2 and abs(above_mean[window].sum()) == 3:
                flagged[window] |= close[window]
        mark(flagged, "two_of_three", above_mean)

    # 4. Shift: 7 points strictly on one side of the mean.
    for sign in (1, -1):
        mark(_runs(above_mean == sign, RUN_LENGTH), "shift", np.full(n, sign))

    return rule, side


def xmr(
    values,
    dates=None,
    direction: str = "neutral",
    baseline: int | None = 12,
    rebase_at=None,
    target=None,
    provisional_from=None,
    floor: float | None = None,
    ceiling: float | None = None,
) -> pd.DataFrame:
    """XmR (individuals) chart calculations; one row per point, in the order given.

    Columns: ``date`` (the dates given; else the index of a ``values`` Series; else 0..n-1),
    ``value``, ``mean``, ``lower``, ``upper``, ``moving_range`` (|x - previous non-missing x| in
    the same segment), ``special_cause`` (bool), ``rule`` (None or one of :data:`RULES`),
    ``variation`` ("improvement", "concern", "neutral" for special-cause points,
    "common_cause" otherwise, None for missing values), ``segment`` (0-based) and ``trial``.

    ``target`` is not used in the calculation; it is stored with ``direction`` and ``baseline`` in
    ``frame.attrs`` for :func:`assurance` and the chart. Points should be in time order.

    ``provisional_from``: points dated on or after it are provisional (their feed is not yet complete,
    metrics/data_quality.complete_to): ``provisional`` is True, they keep their value but take no part in
    limits, moving ranges or rules (no signal, ``variation`` None), and the icons skip them.

    ``floor``/``ceiling``: the measure's possible range (e.g. 0 for days or counts): limits beyond it are shown
    at it. The rules still use the "close to the limit" lines of the unclipped limits (as NHSRplotthedots), and
    a value cannot lie beyond its possible range, so which points are special does not change.
    """
    y_all = _to_float_array(values)
    return _chart("xmr", y_all, (floor, ceiling), values, dates, direction, baseline, rebase_at, target,
                  provisional_from)


def pchart(numerators, denominators, dates=None, direction: str = "neutral", baseline: int | None = 12,
           rebase_at=None, target=None, provisional_from=None, scale: float = 100.0) -> pd.DataFrame:
    """p-chart for a proportion (numerator ÷ denominator × ``scale``; default a percentage).

    Centre p̄ = Σ numerators ÷ Σ denominators over the segment's first ``baseline`` points; each point's
    limits p̄ ± 3 √(p̄(1 − p̄) ÷ n) with its own denominator n, kept within 0 and ``scale`` (a proportion
    can be neither below 0 nor above 100%); the "close to the limit" lines at p̄ ± 2 √(...) (2 sigma), kept
    within the same range. Rules as :func:`xmr`, point by point against its own limits. A point with a
    missing or zero denominator is a missing point. Same columns as :func:`xmr` (``moving_range`` NaN).
    """
    return _attribute("p", numerators, denominators, dates, direction, baseline, rebase_at, target,
                      provisional_from, scale)


def uchart(counts, exposures, dates=None, direction: str = "neutral", baseline: int | None = 12,
           rebase_at=None, target=None, provisional_from=None, scale: float = 1000.0) -> pd.DataFrame:
    """u-chart for a rate (count ÷ exposure × ``scale``; default per 1,000, e.g. per 1,000 bed days).

    Centre ū = Σ counts ÷ Σ exposures over the segment's first ``baseline`` points; each point's limits
    ū ± 3 √(ū ÷ n) with its own exposure n, never below 0; close lines at ū ± 2 √(ū ÷ n). Otherwise as
    :func:`pchart`.
    """
    return _attribute("u", counts, exposures, dates, direction, baseline, rebase_at, target,
                      provisional_from, scale)


def _attribute(kind, numerators, denominators, dates, direction, baseline, rebase_at, target, provisional_from,
               scale):
    num, den = _to_float_array(numerators), _to_float_array(denominators)
    if len(num) != len(den):
        raise ValueError(f"{len(num)} numerators but {len(den)} denominators")
    if np.any(num[~np.isnan(num)] < 0) or np.any(den[~np.isnan(den)] < 0):
        raise ValueError("numerators and denominators must not be negative")
    if kind == "p" and np.any(num > den):
        raise ValueError("a proportion's numerator cannot exceed its denominator")
    ok = ~np.isnan(num) & ~np.isnan(den) & (den > 0)
    y_all = np.full(len(num), np.nan)
    y_all[ok] = num[ok] / den[ok] * scale
    counts = (np.where(ok, num, np.nan), np.where(ok, den, np.nan), scale)
    return _chart(kind, y_all, counts, numerators, dates, direction, baseline, rebase_at, target, provisional_from)


def _xmr_limits(y, k, floor=None, ceiling=None):
    """(mean, lower, upper, lo_line, hi_line) of an XmR segment from its first k points, limits kept within
    [floor, ceiling] and the close lines from the unclipped limits."""
    mean = float(np.mean(y[:k]))
    if k < 2:
        return mean, np.nan, np.nan, None, None  # one point: no moving range, no limits
    amr = float(np.mean(np.abs(np.diff(y))[: k - 1]))
    lower, upper = mean - LIMIT_CONSTANT * amr, mean + LIMIT_CONSTANT * amr
    lo_line, hi_line = mean - CLOSE_FRACTION * (mean - lower), mean + CLOSE_FRACTION * (upper - mean)
    lower = lower if floor is None else max(lower, floor)
    upper = upper if ceiling is None else min(upper, ceiling)
    return mean, lower, upper, lo_line, hi_line


def _attribute_limits(kind, num, den, scale, k):
    """(centre, lower, upper, lo_line, hi_line) of a p- or u-chart segment: one limit per point."""
    centre = float(np.sum(num[:k]) / np.sum(den[:k]))
    spread = centre * (1 - centre) if kind == "p" else centre
    sigma = np.sqrt(spread / den)
    top = 1.0 if kind == "p" else np.inf

    def clip(v):
        return np.clip(v, 0.0, top) * scale

    return (centre * scale, clip(centre - 3 * sigma), clip(centre + 3 * sigma), clip(centre - 2 * sigma),
            clip(centre + 2 * sigma))


def _dates(values, dates, n):
    if dates is None:
        if isinstance(values, pd.Series):
            return pd.Series(values.index, dtype=values.index.dtype).reset_index(drop=True)
        return pd.Series(np.arange(n))
    dates = pd.Series(list(dates) if not isinstance(dates, (pd.Series, pd.Index)) else dates)
    if len(dates) != n:
        raise ValueError(f"dates has {len(dates)} items but values has {n}")
    if dates.dtype == object:
        try:
            dates = pd.to_datetime(dates)
        except (TypeError, ValueError):
            pass
    return dates.reset_index(drop=True)


def _chart(kind, y_all, counts, values, dates, direction, baseline, rebase_at, target, provisional_from):
    """The one SPC calculation: segments, limits (XmR constant, or p/u varying per point), rules, variation.
    `counts`: (numerators, denominators, scale) for a p/u chart; (floor, ceiling) for XmR."""
    _check_direction(direction)
    if baseline is not None and baseline < 2:
        raise ValueError("baseline must be at least 2 points (or None for all points)")
    n = len(y_all)
    dates = _dates(values, dates, n)
    provisional = _provisional(dates, provisional_from)
    shown_values = y_all
    y_all = np.where(provisional, np.nan, y_all)

    starts = [0] + _segment_starts(dates, rebase_at, n) + [n]
    cols = {name: np.full(n, np.nan) for name in ("mean", "lower", "upper", "moving_range")}
    segment_col = np.zeros(n, dtype=int)
    trial_col = np.zeros(n, dtype=bool)
    rule_col: list[str | None] = [None] * n
    side_col = [0] * n

    for seg, (a, b) in enumerate(itertools.pairwise(starts)):
        segment_col[a:b] = seg
        pos = a + np.flatnonzero(~np.isnan(y_all[a:b]))  # positions of non-missing points
        if len(pos) == 0:
            continue
        y = y_all[pos]
        k = len(y) if baseline is None else min(baseline, len(y))
        trial_col[a:b] = baseline is not None and len(y) < baseline
        if kind == "xmr":
            cols["moving_range"][pos[1:]] = np.abs(np.diff(y))
            mean, lower, upper, lo_line, hi_line = _xmr_limits(y, k, *counts)
            cols["lower"][a:b], cols["upper"][a:b] = lower, upper
        else:
            num, den, scale = counts
            mean, lower, upper, lo_line, hi_line = _attribute_limits(kind, num[pos], den[pos], scale, k)
            cols["lower"][pos], cols["upper"][pos] = lower, upper
        cols["mean"][a:b] = mean
        rules, sides = _segment_rules(y, mean, lower, upper, lo_line, hi_line)
        for p, r, s in zip(pos, rules, sides):
            rule_col[p], side_col[p] = r, s

    frame = pd.DataFrame({
        "date": dates, "value": shown_values, "mean": cols["mean"], "lower": cols["lower"], "upper": cols["upper"],
        "moving_range": cols["moving_range"], "special_cause": np.array([r is not None for r in rule_col], dtype=bool),
        "rule": pd.Series(rule_col, dtype=object),
        "variation": pd.Series(_variation(y_all, rule_col, side_col, direction), dtype=object),
        "segment": segment_col, "trial": trial_col, "provisional": provisional,
    }, columns=COLUMNS)
    frame.attrs.update({"direction": direction, "target": target, "baseline": baseline,
                        "provisional_from": provisional_from, "chart": kind})
    return frame


def _variation(y_all, rule_col, side_col, direction) -> list[str | None]:
    out: list[str | None] = []
    for y, rule, side in zip(y_all, rule_col, side_col):
        if np.isnan(y):
            out.append(None)
        elif rule is None:
            out.append("common_cause")
        elif direction == "neutral":
            out.append("neutral")
        else:
            out.append("improvement" if side == (1 if direction == "up" else -1) else "concern")
    return out


def _provisional(dates: pd.Series, provisional_from) -> np.ndarray:
    if provisional_from is None or not len(dates):
        return np.zeros(len(dates), dtype=bool)
    if pd.api.types.is_datetime64_any_dtype(dates):
        return (dates >= pd.Timestamp(provisional_from)).to_numpy()
    return np.array([d >= provisional_from for d in dates], dtype=bool)


def _latest_side(frame: pd.DataFrame) -> tuple[pd.Series | None, int]:
    """The latest non-missing row and which side it is special on (+1 high, -1 low, 0 none)."""
    valid = frame[frame["value"].notna() & ~frame.get("provisional", pd.Series(False, index=frame.index)).astype(bool)]
    if valid.empty:
        return None, 0
    row = valid.iloc[-1]
    if not bool(row["special_cause"]):
        return row, 0
    if row["rule"] == "trend":
        same = valid[valid["segment"] == row["segment"]]
        previous = same["value"].iloc[-2] if len(same) >= 2 else row["mean"]
        return row, 1 if row["value"] > previous else -1
    return row, 1 if row["value"] > row["mean"] else -1


def variation_icon(frame: pd.DataFrame, direction: str) -> str:
    """Making Data Count variation icon name for the latest non-missing point.

    One of "common_cause", "improvement_high", "improvement_low", "concern_high", "concern_low",
    "neutral_high", "neutral_low". High/low is the side of the mean (or, for a trend, its
    direction). An empty or all-missing frame gives "common_cause".
    """
    _check_direction(direction)
    _, side = _latest_side(frame)
    if side == 0:
        return "common_cause"
    level = "high" if side > 0 else "low"
    if direction == "neutral":
        return f"neutral_{level}"
    good = 1 if direction == "up" else -1
    return f"{'improvement' if side == good else 'concern'}_{level}"


def assurance(frame: pd.DataFrame, target, direction: str) -> str | None:
    """Making Data Count assurance against a target, using the latest segment's limits.

    "pass": the target lies beyond the worse limit (below the lower limit when higher is better,
    above the upper when lower is better), so the whole process is on the good side of it.
    "fail": the target lies beyond the better limit, so the process cannot meet it.
    "hit_and_miss": otherwise (a target exactly on a limit counts as within the limits).
    None when there is no target, direction is neutral, or there are no limits.
    """
    _check_direction(direction)
    if target is None or direction == "neutral" or frame.empty:
        return None
    target = float(target)
    if math.isnan(target):
        return None
    latest = frame[frame["segment"] == frame["segment"].max()]
    lower, upper = float(latest["lower"].iloc[-1]), float(latest["upper"].iloc[-1])
    if math.isnan(lower) or math.isnan(upper):
        return None
    if direction == "up":
        if target < lower:
            return "pass"
        if target > upper:
            return "fail"
    else:
        if target > upper:
            return "pass"
        if target < lower:
            return "fail"
    return "hit_and_miss"


# --- icons ------------------------------------------------------------------------------------

_ICON_COLOURS = {
    "common_cause": COMMON,
    "improvement_high": IMPROVEMENT,
    "improvement_low": IMPROVEMENT,
    "concern_high": CONCERN,
    "concern_low": CONCERN,
    "neutral_high": NEUTRAL,
    "neutral_low": NEUTRAL,
    "pass": IMPROVEMENT,
    "fail": CONCERN,
    "hit_and_miss": COMMON,
}


def _letter(text: str, colour: str, y: int = 25, size: int = 16) -> str:
    return (f'<text x="20" y="{y}" text-anchor="middle" font-family="Arial, sans-serif" '
            f'font-size="{size}" font-weight="bold" fill="{colour}">{text}</text>')


def _arrow(up: bool, colour: str) -> str:
    # A small arrow in the lower (up) or upper (down) part of the circle, beside the letter.
    if up:
        points = "28,14 33,20 30,20 30,26 26,26 26,20 23,20"
    else:
        points = "28,26 33,20 30,20 30,14 26,14 26,20 23,20"
    return f'<polygon points="{points}" fill="{colour}"/>'


def icon_svg(name: str, size: int = 32) -> str:
    """A small inline SVG (no external images) for a variation or assurance icon name."""
    if name not in ICON_LABELS:
        raise ValueError(f"unknown icon {name!r}; expected one of {sorted(ICON_LABELS)}")
    colour = _ICON_COLOURS[name]
    label = escape(ICON_LABELS[name])
    body = []
    if name == "common_cause":
        dots = [(9, 22), (14, 17), (19, 23), (24, 18), (29, 21), (32, 16)]
        body.append('<polyline points="' + " ".join(f"{x},{y}" for x, y in dots)
                    + f'" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        body += [f'<circle cx="{x}" cy="{y}" r="2" fill="{colour}"/>' for x, y in dots]
    elif name in ("pass", "fail"):
        body.append(_letter("P" if name == "pass" else "F", colour, y=26, size=18))
    elif name == "hit_and_miss":
        body.append(f'<line x1="8" y1="20" x2="32" y2="20" stroke="{CONCERN}" stroke-width="1.5" '
                    'stroke-dasharray="3,2"/>')
        body.append(f'<path d="M8 22 Q14 8 20 20 T32 18" fill="none" stroke="{colour}" '
                    'stroke-width="2"/>')
    else:
        high = name.endswith("_high")
        body.append('<text x="16" y="26" text-anchor="middle" font-family="Arial, sans-serif" '
                    f'font-size="16" font-weight="bold" fill="{colour}">{"H" if high else "L"}</text>')
        body.append(_arrow(high, colour))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{int(size)}" height="{int(size)}" '
        f'viewBox="0 0 40 40" role="img" aria-label="{label}"><title>{label}</title>'
        f'<circle cx="20" cy="20" r="17" fill="white" stroke="{colour}" stroke-width="3"/>'
        + "".join(body) + "</svg>"
    )

