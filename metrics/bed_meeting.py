"""The bed meeting's arithmetic: the occupancy projection and the disclosed counts of who is waiting and who is
ready to move on. Pure functions on data_access/bed_meeting.py's aggregates (no SQL, no Streamlit)."""

import pandas as pd

from metrics.disclosure import disclose, disclose_counts
from metrics.kpis import ratio

LOOKBACK_WEEKS = 12  # arrivals and departures of the last 12 weeks give the weekly rates
HORIZONS = (4, 8, 12)  # weeks ahead shown
METHOD = ("Projection: beds occupied now, plus, for each week ahead, the average weekly arrivals minus the "
          "average weekly departures of the last {weeks} weeks ({arrivals} ward stays started, {departures} ended, "
          "{first:%d %b %Y} to {end:%d %b %Y}), kept between 0 and the {beds} open beds. Occupancy = projected "
          "occupied ÷ open beds now. It carries the recent trend forward; it does not know about the people "
          "waiting or ready for discharge, who are shown separately.")


def projection(flow: dict, horizons=HORIZONS) -> pd.DataFrame:
    """Weeks ahead (0 = now, then each horizon): projected occupied beds and occupancy %.

    occupied(w) = occupied now + w × (arrivals − departures) ÷ lookback weeks, capped to [0, open beds]."""
    weekly = (flow["arrivals"] - flow["departures"]) / flow["weeks"] if flow["weeks"] else 0.0
    rows = []
    for week in (0, *horizons):
        occupied = min(max(flow["occupied"] + week * weekly, 0.0), float(flow["beds"]))
        rows.append({"weeks_ahead": week, "occupied": occupied, "beds": flow["beds"],
                     "occupancy_pct": ratio(occupied, flow["beds"]) if flow["beds"] else None})
    return pd.DataFrame(rows)


def disclosed_projection(frame: pd.DataFrame, flow: dict, rule: str, level: str) -> pd.DataFrame:
    """The projection as it may be shown: occupied beds rounded to whole beds and disclosed as a count; the
    percentage suppressed when the census it starts from or the beds are small (the catalogue's % rule)."""
    out = frame.copy()
    counts = [disclose("count", round(v), rule=rule, level=level) for v in frame["occupied"]]
    pcts = [disclose("pct", p, flow["occupied"], b, rule, level) for p, b in zip(frame["occupancy_pct"],
                                                                                 frame["beds"])]
    out["occupied"] = [c.value for c in counts]
    out["occupancy_pct"] = [p.value for p in pcts]
    out["suppressed"] = [c.suppressed or p.suppressed for c, p in zip(counts, pcts)]
    return out


def weekly_rates(flow: dict) -> dict:
    """Average arrivals and departures per week over the lookback (raw)."""
    weeks = flow["weeks"] or 1
    return {"arrivals": flow["arrivals"] / weeks, "departures": flow["departures"] / weeks}


def waiting_table(counts: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """People accepted and awaiting admission by requested security level and gender (urgencies summed),
    disclosed."""
    columns = ["security_level", "gender", "waiting", "suppressed"]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    summed = counts.groupby(["security_level", "gender"], as_index=False)["waiting"].sum()
    return disclose_counts(summed, ["waiting"], rule, level)[columns]


def ready_table(counts: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """Patients clinically ready for discharge by security level and gender: count (disclosed), mean and longest
    days since ready (shown only when the count is)."""
    columns = ["security_level", "gender", "ready", "mean_days", "days_longest", "suppressed"]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    out = disclose_counts(counts, ["ready"], rule, level)
    out["mean_days"] = [None if s else t / n for s, t, n in zip(out["suppressed"], counts["days_total"],
                                                                 counts["ready"])]
    out["days_longest"] = [None if s else d for s, d in zip(out["suppressed"], counts["days_longest"])]
    return out[columns]


def total(frame: pd.DataFrame, column: str, rule: str, level: str):
    """Σ of a raw count column, disclosed (value, suppressed)."""
    raw = int(frame[column].sum()) if not frame.empty else 0
    shown = disclose("count", raw, rule=rule, level=level)
    return shown.value, shown.suppressed
