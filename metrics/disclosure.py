"""Disclosure control: the one function every table, chart, map layer, pack and export passes through.

Raw numbers (metrics.kpis) and what may be shown are kept apart: `disclose` takes a raw
value with its numerator and denominator and returns what to show. Rules, from
../shared/kpi-catalogue.md:
- `mhsds`: below national level a count under 5 shows `*`, other counts are rounded to
  the nearest 5; a percentage shows `*` when its numerator or denominator is under 5;
  a rate per 1,000 bed days shows `*` when bed days < 100.
- `hes`: below national level counts 1–7 show `*`, others rounded to the nearest 5;
  means, medians and percentages over 1–7 people show `*`; rates as mhsds.
- `none`: exact figures.
Percentages are computed from unrounded values, then suppressed.
"""

from dataclasses import dataclass

import pandas as pd

RULES = ("mhsds", "hes", "none")
RULE_LABELS = {
    "mhsds": "NHS Digital MHSDS rule: counts under 5 suppressed (*), others rounded to the nearest 5",
    "hes": "NHS Digital HES rule: counts 1–7 suppressed (*), others rounded to the nearest 5",
    "none": "No disclosure control: exact figures (patient-level access)",
}
SUPPRESSED = "*"
MIN_RATE_BED_DAYS = 100
# Kinds whose numbers are people or events (counted), not money or distances.
PEOPLE_KINDS = ("count", "pct", "rate", "days", "km", "mean")


@dataclass(frozen=True)
class Shown:
    value: float | None  # what may be shown (rounded); None when suppressed or not available
    suppressed: bool


def _small(n, rule: str) -> bool:
    if n is None:
        return False
    return n < 5 if rule == "mhsds" else 1 <= n <= 7


def _round5(n):
    return int(5 * round(float(n) / 5))


def disclose(kind: str, value, numerator=None, denominator=None, rule: str = "mhsds",
             level: str = "collaborative") -> Shown:
    """What may be shown of one raw figure under `rule` at hierarchy `level`."""
    if rule not in RULES:
        raise ValueError(f"Unknown disclosure rule '{rule}'")
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return Shown(None, False)
    if rule == "none" or kind == "gbp":
        return Shown(value, False)
    if kind == "rate":
        return Shown(None, True) if (denominator or 0) < MIN_RATE_BED_DAYS else Shown(value, False)
    if level == "national":
        return Shown(value, False)
    if kind == "count":
        return Shown(None, True) if _small(value, rule) else Shown(_round5(value), False)
    if kind == "pct":
        return Shown(None, True) if _small(numerator, rule) or _small(denominator, rule) else Shown(value, False)
    if kind in ("days", "km", "mean") and rule == "hes":
        return Shown(None, True) if _small(denominator, rule) else Shown(value, False)
    return Shown(value, False)


def disclose_table(raw: pd.DataFrame, rule: str, level: str, kinds: dict[str, str]) -> pd.DataFrame:
    """A copy of a long KPI table (kpi_id, value, numerator, denominator) with `shown` and `suppressed` columns."""
    out = raw.copy()
    cells = [disclose(kinds[k], v, n, d, rule, level)
             for k, v, n, d in zip(out["kpi_id"], out["value"], out["numerator"], out["denominator"])]
    out["shown"] = [c.value for c in cells]
    out["suppressed"] = [c.suppressed for c in cells]
    return out


def disclose_counts(frame: pd.DataFrame, columns: list[str], rule: str, level: str) -> pd.DataFrame:
    """A copy of `frame` with each count column disclosed (suppressed cells become None) and a `suppressed` flag."""
    out = frame.copy()
    flags = pd.Series(False, index=out.index)
    for column in columns:
        cells = [disclose("count", v, rule=rule, level=level) for v in out[column]]
        out[column] = [c.value for c in cells]
        flags |= pd.Series([c.suppressed for c in cells], index=out.index)
    out["suppressed"] = flags
    return out
