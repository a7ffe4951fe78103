"""Restrictive practice for the Clinical Reference Group: by kind, by ward or unit, by month, and the
disproportionality table (Mental Health Units (Use of Force) Act 2018). Pure arithmetic on the aggregates of
data_access/restrictive.py; every figure passes through metrics/disclosure before it is shown.

Disproportionality, for `people_restricted_pct` (patients with a restrictive episode in the period ÷ patients
with an occupied bed day in it), in each group of a dimension against the rest of the patients:
- rate = a ÷ n1 × 100 (a restricted of the group's n1 patients); the rest: b of n0;
- rate ratio RR = (a ÷ n1) ÷ (b ÷ n0);
- 95% confidence interval, log rate-ratio (Katz) method: exp(ln RR ± 1.959964 × √(1/a − 1/n1 + 1/b − 1/n0));
  none when a or b is 0 (the logarithm is undefined).
Suppression: a group whose rate the disclosure rule suppresses (its numerator or denominator is small) shows
no count, rate, ratio or interval; within a dimension, a single suppressed group would be recoverable from the
others and the total, so the next smallest is suppressed too (disclosure.secondary_suppression).
"""

import math

import pandas as pd

from metrics.disclosure import disclose, secondary_suppression
from metrics.kpis import ratio

Z95 = 1.959963984540054
KIND_LABELS = {
    "seclusion": "Seclusion", "segregation": "Long-term segregation",
    "rapid_tranquillisation": "Rapid tranquillisation", "mechanical_restraint": "Mechanical restraint",
    "prone_restraint": "Prone restraint", "other_restraint": "Physical restraint (other)",
}
DIMENSION_LABELS = {"ethnic_group": "Ethnic group", "sex": "Sex", "age_band": "Age band",
                    "ld_autism": "Learning disability or autism"}
GROUP_LABELS = {
    "ethnic_group": {"white": "White", "black": "Black or Black British", "asian": "Asian or Asian British",
                     "mixed": "Mixed", "other": "Other ethnic group", "not_stated": "Not stated"},
    "sex": {"female": "Female", "male": "Male", "other": "Other", "unknown": "Not known"},
    "ld_autism": {"yes": "Learning disability or autism", "no": "No learning disability or autism recorded"},
}
HIGHER, LOWER, SAME, NONE = ("Higher than the rest", "Lower than the rest", "No clear difference",
                             "Cannot be compared")
READINGS = (HIGHER, SAME, LOWER, NONE)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, str(kind).replace("_", " ").capitalize())


def group_label(dimension: str, group) -> str:
    return GROUP_LABELS.get(dimension, {}).get(group, str(group))


def _count(value, rule, level):
    return disclose("count", value, rule=rule, level=level)


def kind_table(raw: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """One row per kind: kind, label, episodes, people, hours, days (long-term segregation only), suppressed.
    Counts disclosed; a kind whose people are suppressed shows no time either (it could single someone out)."""
    rows = []
    for _, r in raw.iterrows():
        episodes, people = _count(int(r["episodes"]), rule, level), _count(int(r["people"]), rule, level)
        hidden = people.suppressed
        hours = None if hidden else float(r["hours"])
        rows.append({"kind": r["kind"], "label": kind_label(r["kind"]), "episodes": episodes.value,
                     "people": people.value, "hours": hours,
                     "days": hours / 24 if hours is not None and r["kind"] == "segregation" else None,
                     "suppressed": episodes.suppressed or hidden})
    order = {k: i for i, k in enumerate(KIND_LABELS)}
    out = pd.DataFrame(rows, columns=["kind", "label", "episodes", "people", "hours", "days", "suppressed"])
    return out.assign(_o=out["kind"].map(order)).sort_values("_o").drop(columns="_o").reset_index(drop=True)


def place_table(raw: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """One row per ward or unit: name, obd, episodes, people, rate (episodes per 1,000 bed days), seclusion hours,
    segregation days, suppressed (the rate follows the rate rule; time follows the people count)."""
    rows = []
    for _, r in raw.iterrows():
        obd = None if pd.isna(r["obd"]) else int(r["obd"])
        episodes, people = _count(int(r["episodes"]), rule, level), _count(int(r["people"]), rule, level)
        rate = disclose("rate", ratio(int(r["episodes"]), obd, 1000), int(r["episodes"]), obd, rule, level)
        hidden = people.suppressed
        rows.append({"code": r["code"], "name": r["name"], "obd": obd, "episodes": episodes.value,
                     "people": people.value, "rate": rate.value,
                     "seclusion_hours": None if hidden else float(r["seclusion_hours"]),
                     "segregation_days": None if hidden else float(r["segregation_days"]),
                     "suppressed": episodes.suppressed or hidden or rate.suppressed})
    return pd.DataFrame(rows, columns=["code", "name", "obd", "episodes", "people", "rate", "seclusion_hours",
                                       "segregation_days", "suppressed"])


def monthly_table(raw: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """month, kind, label, episodes (disclosed; None when suppressed), suppressed."""
    cells = [_count(int(v), rule, level) for v in raw["episodes"]]
    return raw.assign(label=raw["kind"].map(kind_label), episodes=[c.value for c in cells],
                      suppressed=[c.suppressed for c in cells])


def katz(a: int, n1: int, b: int, n0: int) -> tuple[float | None, float | None, float | None]:
    """(rate ratio, lower, upper) of a/n1 against b/n0 with the log (Katz) 95% interval; None where undefined."""
    if not n1 or not n0 or not b:
        return None, None, None
    rr = (a / n1) / (b / n0)
    if not a:
        return rr, None, None
    se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n0)
    return rr, math.exp(math.log(rr) - Z95 * se), math.exp(math.log(rr) + Z95 * se)


def reading(low, high) -> str:
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return NONE
    return HIGHER if low > 1 else LOWER if high < 1 else SAME


def _raw_rows(raw: pd.DataFrame) -> list[dict]:
    rows = []
    for dimension, groups in raw.groupby("dimension", sort=False):
        total_n, total_a = int(groups["patients"].sum()), int(groups["restricted"].sum())
        for _, g in groups.iterrows():
            a, n1 = int(g["restricted"]), int(g["patients"])
            rr, low, high = katz(a, n1, total_a - a, total_n - n1)
            rows.append({"dimension": dimension, "group": g["group"], "restricted": a, "patients": n1,
                         "rate": ratio(a, n1), "rest_rate": ratio(total_a - a, total_n - n1), "ratio": rr,
                         "low": low, "high": high})
    return rows


def disproportionality(raw: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """Raw and disclosed figures per group (raw: dimension, group, patients, restricted from
    data_access.restrictive.people_by_group). Columns: dimension, dimension_label, group, group_label, restricted,
    patients, rate, rest_rate, ratio, low, high (raw); shown_restricted, shown_patients, shown_rate, shown_ratio,
    shown_low, shown_high, reading, suppressed."""
    frame = pd.DataFrame(_raw_rows(raw), columns=["dimension", "group", "restricted", "patients", "rate",
                                                   "rest_rate", "ratio", "low", "high"])
    suppressed = pd.Series(False, index=frame.index)
    for _, index in frame.groupby("dimension", sort=False).groups.items():
        primary = [disclose("pct", frame.at[i, "rate"], frame.at[i, "restricted"], frame.at[i, "patients"], rule,
                            level).suppressed for i in index]
        flags, _ = secondary_suppression([frame.at[i, "restricted"] for i in index], primary)
        suppressed[list(index)] = flags
    frame["suppressed"] = suppressed
    frame["dimension_label"] = frame["dimension"].map(DIMENSION_LABELS)
    frame["group_label"] = [group_label(d, g) for d, g in zip(frame["dimension"], frame["group"])]
    for column in ("restricted", "patients"):
        frame[f"shown_{column}"] = [None if s else _count(v, rule, level).value
                                    for v, s in zip(frame[column], frame["suppressed"])]
    for column in ("rate", "ratio", "low", "high"):
        frame[f"shown_{column}"] = [None if s else v for v, s in zip(frame[column], frame["suppressed"])]
    frame["reading"] = [None if s else reading(lo, hi) for lo, hi, s in zip(frame["low"], frame["high"],
                                                                          frame["suppressed"])]
    return frame
