"""Quality KPIs for the Clinical Reference Group: monthly series, the SPC summary table and funnel limits.

Pure arithmetic on the aggregates of data_access/quality.py (no SQL, no Streamlit). Every figure
goes through metrics/disclosure before it is shown; SPC is calculated on the *disclosed* monthly
values, so a suppressed month is a missing point (omitted, and said so on the page).

Funnel plots (Spiegelhalter, "Funnel plots for comparing institutional performance", 2005), normal
approximation around the node's own rate:
- rate per 1,000 bed days (Poisson): p = events ÷ bed days of the node; a child with n bed days has
  limits 1000 × (p ± z × √(p ÷ n)), never below 0.
- percentage (binomial): p = numerator ÷ denominator of the node; limits 100 × (p ± z × √(p(1 − p) ÷ n)),
  kept within 0–100.
z = 1.959964 (95%) and 3.090232 (99.8%). Staffing fill rate (hours, not counts of events) and median
length of stay have no funnel: they are ranked without limits.

Over-dispersion (Spiegelhalter, "Handling over-dispersion of performance indicators", Qual Saf Health Care
2005; the additive random-effects method, as FunnelPlotR): each child's z-score z = (y − p) ÷ s with s its
binomial/Poisson standard error above; the z-scores are winsorised at 10% (those beyond the 10th and 90th
percentiles set to them); φ = Σ z² ÷ I over the I children; when I × φ > I − 1 (more spread than chance alone),
τ² = (I × φ − (I − 1)) ÷ (Σ w − Σ w² ÷ Σ w) with w = 1 ÷ s², and every limit widens to p ± z √(s² + τ²).
With fewer than MIN_UNITS children τ² is not estimated (no adjustment, said under the chart).
"""

import base64
import datetime as dt
import math

import numpy as np
import pandas as pd

from metrics.catalogue import KPIS, RESTRICTIVE_IDS, Kpi
from metrics.disclosure import disclose, disclose_table
from metrics.kpis import kpi_values as registry_values
from metrics.kpis import ratio
from metrics.rag import band_for
from metrics.spc import ICON_LABELS, assurance, icon_svg, pchart, uchart, variation_icon, xmr

HARM_KPIS = {
    "incidents_low_harm_per_1000_obd": Kpi("incidents_low_harm_per_1000_obd",
                                           "Incidents per 1,000 bed days: no or low harm", "down", "rate", "quality"),
    "incidents_moderate_harm_per_1000_obd": Kpi("incidents_moderate_harm_per_1000_obd",
                                                "Incidents per 1,000 bed days: moderate harm or worse", "down", "rate",
                                                "quality"),
}
QUALITY_IDS = [
    "restrictive_interventions_per_1000_obd", "prone_restraint_per_1000_obd", "incidents_per_1000_obd",
    "incidents_low_harm_per_1000_obd", "incidents_moderate_harm_per_1000_obd", "staffing_fill_rate_pct",
    "delayed_discharge_days_pct", "readmission_12m_pct", "median_los_days",
]
# Second round (kpi-catalogue-2.md): restrictive practice and safety. "Incidents with moderate harm or worse per
# 1,000 bed days" is the catalogue's name for the page's own moderate-harm measure, which it replaces on screen.
QUALITY_IDS = [k for k in QUALITY_IDS if k != "incidents_moderate_harm_per_1000_obd"] + RESTRICTIVE_IDS
FUNNEL_KINDS = ("rate", "pct")
NO_FUNNEL = ("staffing_fill_rate_pct", "median_los_days")
NO_FUNNEL += ("seclusion_hours_per_1000_obd",)  # hours, not a count of events: ranked without limits
# Percentages that are not a proportion of independent counted things, charted on XmR: hours (fill rate) and bed
# days over available bed days (occupancy) can exceed 100%; out-of-area spend is money; clinically ready bed days
# are days of the same few patients (a patient ready on one day is ready the next), not independent trials, so a
# p-chart's binomial limits would be far too narrow (on the regional demo 10 of 24 months fell outside them).
NOT_PROPORTIONS = ("staffing_fill_rate_pct", "bed_occupancy_pct", "bed_occupancy_excl_leave_pct",
                   "out_of_area_spend_pct", "delayed_discharge_days_pct")
NOT_COUNTS = ("seclusion_hours_per_1000_obd",)  # hours per 1,000 bed days: not a count of events (no u-chart)
CHART_NAMES = {"xmr": "XmR chart", "p": "p-chart", "u": "u-chart"}
CHART_METHODS = {
    "xmr": "XmR chart: mean ± 2.66 × mean moving range (fixed from the first 12 months).",
    "p": ("p-chart: mean proportion p̄ = Σ numerators ÷ Σ denominators (first 12 months); each month's limits "
          "p̄ ± 3√(p̄(1 − p̄) ÷ n) with its own denominator n, kept within 0–100%."),
    "u": ("u-chart: mean rate ū = Σ events ÷ Σ bed days (first 12 months); each month's limits ū ± 3√(ū ÷ n) "
          "with its own bed days n, never below 0."),
}
Z95, Z998 = 1.959963984540054, 3.090232306167813
HISTORY_MONTHS = 24
VARIATION_NAMES = ("common_cause", "improvement_high", "improvement_low", "concern_high", "concern_low",
                   "neutral_high", "neutral_low")
ASSURANCE_NAMES = ("pass", "fail", "hit_and_miss")


# The aggregates (data_access.quality.COLUMNS) each measure is worked out from by kpi_values: a section that shows one
# measure (the comparison of the children) reads only these (tests/test_quality.py checks each against the full row).
NEEDS = {
    "restrictive_interventions_per_1000_obd": ("interventions", "obd"),
    "prone_restraint_per_1000_obd": ("prone", "obd"),
    "incidents_per_1000_obd": ("incidents", "obd"),
    "incidents_low_harm_per_1000_obd": ("incidents_low", "obd"),
    "incidents_moderate_harm_per_1000_obd": ("incidents_moderate", "obd"),
    "staffing_fill_rate_pct": ("actual_hours", "planned_hours"),
    "delayed_discharge_days_pct": ("delayed_days", "obd"),
    "readmission_12m_pct": ("readmission_denominator", "readmitted"),
    "median_los_days": ("median_los_days", "discharges"),
    "seclusion_per_1000_obd": ("seclusion", "obd"),
    "seclusion_hours_per_1000_obd": ("seclusion_hours", "obd"),
    "segregation_people": ("segregation_people",),
    "segregation_median_days": ("segregation_median_days", "segregation_n"),
    "rapid_tranquillisation_per_1000_obd": ("rapid_tranquillisation", "obd"),
    "mechanical_restraint_per_1000_obd": ("mechanical_restraint", "obd"),
    "people_restricted_pct": ("people_restricted", "people_in_bed"),
    "harm_incidents_per_1000_obd": ("incidents_moderate", "obd"),
    "self_harm_per_1000_obd": ("self_harm", "obd"),
}


def quality_kpi(kpi_id: str) -> Kpi:
    return HARM_KPIS.get(kpi_id) or KPIS[kpi_id]


def _n(agg, key):
    value = agg.get(key)
    return None if value is None or pd.isna(value) else value


def kpi_values(agg) -> dict[str, tuple]:
    """{kpi_id: (value, numerator, denominator)} from one row of data_access.quality aggregates."""
    obd = _n(agg, "obd") or 0

    def per_1000(key):
        count = int(_n(agg, key) or 0)
        return ratio(count, obd, 1000), count, int(obd)

    delayed = int(_n(agg, "delayed_days") or 0)
    denominator, readmitted = int(_n(agg, "readmission_denominator") or 0), int(_n(agg, "readmitted") or 0)
    actual, planned = _n(agg, "actual_hours"), _n(agg, "planned_hours")
    median = _n(agg, "median_los_days")
    return {
        "restrictive_interventions_per_1000_obd": per_1000("interventions"),
        "prone_restraint_per_1000_obd": per_1000("prone"),
        "incidents_per_1000_obd": per_1000("incidents"),
        "incidents_low_harm_per_1000_obd": per_1000("incidents_low"),
        "incidents_moderate_harm_per_1000_obd": per_1000("incidents_moderate"),
        "staffing_fill_rate_pct": (ratio(actual, planned), None if actual is None else float(actual),
                                   None if planned is None else float(planned)),
        "delayed_discharge_days_pct": (ratio(delayed, obd), delayed, int(obd)),
        "readmission_12m_pct": (ratio(readmitted, denominator), readmitted, denominator),
        "median_los_days": (None if median is None else float(median), None, int(_n(agg, "discharges") or 0)),
        **restrictive_values(agg),
    }


def restrictive_values(agg) -> dict[str, tuple]:
    """The second catalogue's KPIs from one row of data_access.quality aggregates, through the KPI registry's
    own arithmetic (metrics.kpis.FAMILIES): the row is read as the registry's aggregates."""
    def count(key):
        return int(_n(agg, key) or 0)

    median = _n(agg, "segregation_median_days")
    aggregates = {
        "bed_days": {"obd": count("obd")},
        "restrictive": {"seclusion": count("seclusion"), "rapid_tranquillisation": count("rapid_tranquillisation"),
                        "mechanical_restraint": count("mechanical_restraint"),
                        "seclusion_hours": float(_n(agg, "seclusion_hours") or 0.0)},
        "segregation": {"segregation_people": count("segregation_people"), "segregation_n": count("segregation_n"),
                        "segregation_median_days": None if median is None else float(median)},
        "people_restricted": {"people_restricted": count("people_restricted"), "people_in_bed": count("people_in_bed")},
        "events": {"harm_incidents": count("incidents_moderate"), "self_harm": count("self_harm")},
    }
    return registry_values(aggregates, RESTRICTIVE_IDS)


def series_start(start: dt.date, end: dt.date, months: int = HISTORY_MONTHS) -> dt.date:
    """First day of the SPC series: `months` calendar months ending with the month of `end`, or `start`
    when the period is longer."""
    year, month = divmod(end.year * 12 + end.month - 1 - (months - 1), 12)
    first = dt.date(year, month + 1, 1)
    return min(first, start)


def monthly_long(monthly: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """Long disclosed series: month, kpi_id, label, value, numerator, denominator, shown, suppressed."""
    rows = []
    for month, agg in monthly.iterrows():
        for kpi_id, (value, numerator, denominator) in kpi_values(agg).items():
            if kpi_id in QUALITY_IDS:
                rows.append((month, kpi_id, quality_kpi(kpi_id).label, value, numerator, denominator))
    long = pd.DataFrame(rows, columns=["month", "kpi_id", "label", "value", "numerator", "denominator"])
    if long.empty:
        return long.assign(shown=None, suppressed=False)
    return disclose_table(long, rule, level, {k: quality_kpi(k).kind for k in QUALITY_IDS})


def target(kpi_id: str, thresholds: dict) -> float | None:
    """The target for assurance: the green band of kpi_threshold (None when there is none)."""
    band = band_for(kpi_id, thresholds)
    green = None if band is None else band.green
    return None if green is None else float(green)


def chart_type(kpi_id: str) -> str:
    """Making Data Count's chart for the kind of measure: "u" (u-chart) for a rate per 1,000 bed days, "p"
    (p-chart) for a percentage of counted things (numerator within its denominator), "xmr" otherwise
    (counts, days, and percentages that are not proportions, such as staffing fill rate: hours over 100%)."""
    kind = quality_kpi(kpi_id).kind
    if kind == "rate":
        return "xmr" if kpi_id in NOT_COUNTS else "u"
    if kind == "pct" and kpi_id not in NOT_PROPORTIONS:
        return "p"
    return "xmr"


def _count(value):
    return None if value is None or pd.isna(value) else float(value)


def spc_frame(long: pd.DataFrame, kpi_id: str, thresholds: dict, rebase=(), provisional_from=None) -> pd.DataFrame:
    """SPC frame of one KPI's disclosed monthly values, on its chart_type (XmR, or p-/u-chart from the
    numerators and denominators of the months shown). Suppressed or missing months are missing points; months
    from `provisional_from` are provisional: drawn, never a signal."""
    return _spc_of(long[long["kpi_id"] == kpi_id], kpi_id, thresholds, rebase, provisional_from)


def _spc_of(series: pd.DataFrame, kpi_id: str, thresholds: dict, rebase, provisional_from) -> pd.DataFrame:
    """spc_frame of one KPI's rows of the long series."""
    series = series.sort_values("month")
    kpi = quality_kpi(kpi_id)
    options = {"dates": pd.to_datetime(series["month"]).reset_index(drop=True), "direction": kpi.direction,
               "rebase_at": [pd.Timestamp(d) for d in rebase] or None, "target": target(kpi_id, thresholds),
               "provisional_from": provisional_from}
    shown = [_count(v) for v in series["shown"]]
    kind = chart_type(kpi_id)
    counts = _counts(series, shown) if kind != "xmr" else None
    if counts is None or (kind == "p" and any(n > d for n, d in zip(*counts) if n is not None and d is not None)):
        # no numerators and denominators to chart them by (or not a proportion); every measure here is >= 0
        return xmr(shown, floor=0.0, **options)
    return (pchart if kind == "p" else uchart)(*counts, **options)


def _counts(series: pd.DataFrame, shown: list) -> tuple[list, list] | None:
    """(numerators, denominators) of the months shown (None where a month is missing or suppressed); None when
    the series carries no numerators and denominators for a month that is shown."""
    if "numerator" not in series or "denominator" not in series:
        return None
    num = [None if v is None else _count(n) for v, n in zip(shown, series["numerator"])]
    den = [None if v is None else _count(d) for v, d in zip(shown, series["denominator"])]
    if any(v is not None and (n is None or d is None) for v, n, d in zip(shown, num, den)):
        return None
    return num, den


def _latest(series: pd.DataFrame):
    """(month, shown, suppressed) of the last month of the series."""
    if series.empty:
        return None, None, False
    row = series.sort_values("month").iloc[-1]
    shown = None if row["shown"] is None or pd.isna(row["shown"]) else float(row["shown"])
    return row["month"], shown, bool(row["suppressed"])


def summary_table(long: pd.DataFrame, thresholds: dict, rebase: dict | None = None,
                  provisional_from=None, kpi_ids: list[str] | None = None) -> pd.DataFrame:
    """One row per KPI (default: the quality KPIs): latest value, mean and process limits (latest segment),
    target, icons. `long` is a disclosed monthly series (month, kpi_id, shown, suppressed)."""
    rebase = rebase or {}
    rows = []
    by_kpi = dict(tuple(long.groupby("kpi_id", sort=False)))  # split once, not filtered per KPI
    for kpi_id in kpi_ids or QUALITY_IDS:
        kpi = quality_kpi(kpi_id)
        mine = by_kpi.get(kpi_id, long.iloc[:0])
        frame = _spc_of(mine, kpi_id, thresholds, rebase.get(kpi_id, ()), provisional_from)
        month, shown, suppressed = _latest(mine)
        valid = frame[frame["value"].notna()]
        last = frame[frame["segment"] == frame["segment"].max()].iloc[-1] if len(valid) else None
        goal = target(kpi_id, thresholds)
        rows.append({
            "kpi_id": kpi_id, "label": kpi.label, "kind": kpi.kind, "direction": kpi.direction,
            "latest_month": month, "latest": shown, "latest_suppressed": suppressed,
            "mean": None if last is None else last["mean"],
            "lower": None if last is None or pd.isna(last["lower"]) else last["lower"],
            "upper": None if last is None or pd.isna(last["upper"]) else last["upper"],
            "target": goal, "points": len(valid), "missing": int(frame["value"].isna().sum()),
            "variation": variation_icon(frame, kpi.direction) if len(valid) else None,
            "assurance": assurance(frame, goal, kpi.direction) if len(valid) >= 2 else None,
        })
    return pd.DataFrame(rows)


def icon_uri(name: str | None) -> str | None:
    """A data-URI (data:image/svg+xml;base64,...) of a Making Data Count icon, for an image column."""
    if name is None or not isinstance(name, str):
        return None
    return "data:image/svg+xml;base64," + base64.b64encode(icon_svg(name).encode()).decode()


def icon_label(name: str | None) -> str:
    if not isinstance(name, str):
        return "Not applicable (no target, or too few months)"
    return ICON_LABELS[name]


# --- compare: funnel limits around the node's rate -------------------------------------------


FUNNEL_SCALE = {"rate": 1000, "pct": 100}
MIN_UNITS = 5
WINSOR = 0.10


def _variance(kind: str, p: float, n: float) -> float:
    """The binomial (pct) or Poisson (rate) variance of one unit's proportion or rate per unit, n its size."""
    if kind == "rate":
        return p / n
    if kind == "pct":
        return p * (1 - p) / n
    raise ValueError(f"No funnel limits for kind {kind!r}")


def funnel_limits(kind: str, centre: float, n: float, z: float, tau2: float = 0.0) -> tuple[float | None, float | None]:
    """(lower, upper) limits for a unit with denominator `n` around `centre` (a rate per 1,000 bed days
    for kind 'rate', a percentage for kind 'pct'), widened by the between-unit variance `tau2` (on the
    proportion / rate-per-bed-day scale). None when n or the centre is missing or zero n. Kept within 0
    (and 100% for a percentage)."""
    if centre is None or not n or n <= 0 or (isinstance(centre, float) and math.isnan(centre)):
        return None, None
    scale = FUNNEL_SCALE.get(kind)
    if scale is None:
        raise ValueError(f"No funnel limits for kind {kind!r}")
    p = centre / scale
    half = z * math.sqrt(_variance(kind, p, n) + tau2)
    top = 100.0 if kind == "pct" else math.inf
    return max(0.0, scale * (p - half)), min(top, scale * (p + half))


def _winsorise(z: list[float], share: float = WINSOR) -> list[float]:
    """z-scores beyond the `share` and 1 − `share` quantiles (linear interpolation) set to those quantiles."""
    lo, hi = np.quantile(z, [share, 1 - share])
    return [min(max(v, lo), hi) for v in z]


def overdispersion(kind: str, centre: float | None, units: list[tuple]) -> dict:
    """Spiegelhalter's (2005) additive random-effects estimate for the funnel around `centre`.

    `units`: (value, denominator) of each child (value on the KPI's scale). Returns {"units": I, "phi": φ,
    "tau2": τ² (0 when not over-dispersed or not estimated), "estimated": bool}."""
    scale = FUNNEL_SCALE.get(kind)
    usable = [(v / scale, n) for v, n in units if v is not None and n and n > 0 and not pd.isna(v)]
    out = {"units": len(usable), "phi": None, "tau2": 0.0, "estimated": False}
    if centre is None or pd.isna(centre) or len(usable) < MIN_UNITS:
        return out
    p = centre / scale
    variances = [_variance(kind, p, n) for _, n in usable]
    if min(variances) <= 0:
        return out
    z = _winsorise([(y - p) / math.sqrt(var) for (y, _), var in zip(usable, variances)])
    units_n = len(z)
    phi = sum(v * v for v in z) / units_n
    w = [1 / var for var in variances]
    excess = units_n * phi - (units_n - 1)
    tau2 = excess / (sum(w) - sum(x * x for x in w) / sum(w)) if excess > 0 else 0.0
    return {"units": units_n, "phi": phi, "tau2": tau2, "estimated": True}


def funnel_method(info: dict) -> str:
    """The funnel's method in words, for the caption under the chart."""
    base = ("Funnel limits: 95% and 99.8% around the scope's own figure for each one's size (binomial for "
            "percentages, Poisson for rates per 1,000 bed days).")
    if not info.get("estimated"):
        return (f"{base} Over-dispersion not estimated: fewer than {MIN_UNITS} to compare, so the limits are "
                "not adjusted.")
    words = (f"{base} Over-dispersion (Spiegelhalter 2005, additive random effects): z-scores winsorised at 10%, "
             f"φ = {info['phi']:.2f} over {info['units']}")
    if info["tau2"] > 0:
        return f"{words}; the limits are widened by τ² = {info['tau2']:.3g} (between-unit variance)."
    return f"{words}: no more spread than chance, so the limits are not widened (τ² = 0)."


def has_funnel(kpi_id: str) -> bool:
    return quality_kpi(kpi_id).kind in FUNNEL_KINDS and kpi_id not in NO_FUNNEL


def _position(value, limits95, limits998) -> str:
    if value is None or limits95[0] is None:
        return "No limits"
    if value > limits998[1]:
        return "Above 99.8% limit"
    if value > limits95[1]:
        return "Above 95% limit"
    if value < limits998[0]:
        return "Below 99.8% limit"
    if value < limits95[0]:
        return "Below 95% limit"
    return "Within limits"


def _verdict(position: str, direction: str) -> str:
    if position in ("Within limits", "No limits"):
        return "common_cause"
    high = position.startswith("Above")
    if direction == "neutral":
        return "neutral"
    return "improvement" if high == (direction == "up") else "concern"


def compare_table(total, kids: pd.DataFrame, kpi_id: str, rule: str, level: str,
                  child_level: str) -> tuple[dict, pd.DataFrame]:
    """(the node's disclosed centre, one row per child ranked by disclosed value, with funnel limits).

    Child columns: code, name, value, numerator, denominator, shown, suppressed, lower95, upper95,
    lower998, upper998, position, verdict. Limits are around the node's raw rate with each child's own
    denominator; suppressed children keep no value (the page lists them instead)."""
    kpi = quality_kpi(kpi_id)
    value, numerator, denominator = kpi_values(total)[kpi_id]
    centre_cell = disclose(kpi.kind, value, numerator, denominator, rule, level)
    centre = {"value": value, "shown": centre_cell.value, "suppressed": centre_cell.suppressed,
              "numerator": numerator, "denominator": denominator}
    funnel = has_funnel(kpi_id) and not centre_cell.suppressed and value is not None
    figures = [kpi_values(kid)[kpi_id] for _, kid in kids.iterrows()]
    info = overdispersion(kpi.kind, value, [(v, den) for v, _, den in figures]) if funnel else {"estimated": False}
    centre["funnel"] = info if funnel else None
    tau2 = info.get("tau2", 0.0)
    rows = []
    for (_, kid), (v, num, den) in zip(kids.iterrows(), figures):
        cell = disclose(kpi.kind, v, num, den, rule, child_level)
        l95 = funnel_limits(kpi.kind, value, den, Z95, tau2) if funnel else (None, None)
        l998 = funnel_limits(kpi.kind, value, den, Z998, tau2) if funnel else (None, None)
        position = _position(cell.value, l95, l998) if not cell.suppressed else "Suppressed"
        rows.append({"code": kid["code"], "name": kid["name"], "value": v, "numerator": num, "denominator": den,
                     "shown": cell.value, "suppressed": cell.suppressed, "lower95": l95[0], "upper95": l95[1],
                     "lower998": l998[0], "upper998": l998[1], "position": position,
                     "verdict": _verdict(position, kpi.direction) if not cell.suppressed else None})
    table = pd.DataFrame(rows, columns=["code", "name", "value", "numerator", "denominator", "shown", "suppressed",
                                        "lower95", "upper95", "lower998", "upper998", "position", "verdict"])
    order = table["shown"].astype(float).rank(ascending=kpi.direction != "up", method="first")  # best first
    return centre, table.assign(_order=order).sort_values("_order", na_position="last").drop(columns="_order")
