"""Referral-to-admission arithmetic: catalogue KPIs, funnel, stage table, targets, waiting list, trend.

Pure functions on the aggregates of data_access/referrals.py: no SQL, no Streamlit. Raw
figures and what may be shown are kept apart: every `disclosed_*` function passes each
figure through metrics.disclosure.disclose and returns (shown, suppressed flags).
"""

import datetime as dt

import numpy as np
import pandas as pd

from metrics.catalogue import KPIS
from metrics.disclosure import disclose, disclose_table
from metrics.kpis import ratio
from metrics.spc import xmr

PRISON_TRANSFER_DAYS = 28
TREND_MONTHS = 24
URGENCIES = ("emergency", "urgent", "routine")
URGENCY_LABELS = {"emergency": "Emergency", "urgent": "Urgent", "routine": "Routine"}
SOURCE_LABELS = {"prison": "Prison", "court": "Court", "police": "Police", "community": "Community",
                 "acute_hospital": "Acute hospital", "other_secure": "Other secure service", "other": "Other"}
SECURITY_LABELS = {"high": "High secure", "medium": "Medium secure", "low": "Low secure", "picu": "PICU",
                   "general": "General", "locked_rehab": "Locked rehabilitation"}
DIMENSION_LABELS = {"source": ("Source", SOURCE_LABELS), "urgency": ("Urgency", URGENCY_LABELS),
                    "security_level": ("Security level requested", SECURITY_LABELS)}
FUNNEL_STEPS = {"received": "Received", "assessed": "Assessed", "accepted": "Accepted", "declined": "Declined",
                "withdrawn": "Withdrawn", "admitted": "Admitted", "waiting": "Still waiting (as of end date)"}
# (stage id, label shown, catalogue KPI of its median or None, waiting stages still in it)
STAGES = [
    ("referral_to_assessment", "Referral to assessment", "median_referral_to_assessment_days",
     ("awaiting_assessment",)),
    ("assessment_to_decision", "Assessment to decision", "median_assessment_to_decision_days",
     ("awaiting_decision",)),
    ("decision_to_admission", "Decision to admission", None, ("awaiting_admission",)),
    ("referral_to_admission", "Referral to admission", "median_referral_to_admission_days",
     ("awaiting_assessment", "awaiting_decision", "awaiting_admission")),
]
WAITING_LABELS = {"awaiting_assessment": "Awaiting assessment", "awaiting_decision": "Awaiting decision",
                  "awaiting_admission": "Accepted, awaiting admission"}
OUTCOME_LABELS = {"admitted": "Admitted", **WAITING_LABELS, "declined": "Declined", "withdrawn": "Withdrawn"}
STAGE_COLUMNS = ["n", "median", "p90", "waiting"]
TILE_IDS = ["referrals_received", "open_referrals", "median_referral_to_admission_days",
            "assessment_within_target_pct", "prison_transfer_within_28_days_pct"]


def _values(cells, index) -> pd.Series:
    """Shown values as an object column: None where suppressed or not available (never NaN)."""
    return pd.Series([c.value for c in cells], index=index, dtype=object)


def kpi_values(agg: dict) -> dict[str, tuple]:
    """{kpi_id: (value, numerator, denominator)} for the referral KPIs of the catalogue (as metrics.kpis)."""
    within = sum(agg[f"{u}_within"] for u in URGENCIES)
    assessed = sum(agg[f"{u}_assessed"] for u in URGENCIES)
    waiting = sum(agg[f"{s}_waiting"] for s in WAITING_LABELS)
    out = {"referrals_received": (agg["received"], agg["received"], None), "open_referrals": (waiting, waiting, None),
           "assessment_within_target_pct": (ratio(within, assessed), within, assessed),
           "prison_transfer_within_28_days_pct": (ratio(agg["prison_within_28"], agg["prison_admitted"]),
                                                  agg["prison_within_28"], agg["prison_admitted"])}
    for stage_id, _, kpi_id, _ in STAGES:
        if kpi_id:
            out[kpi_id] = (agg[f"{stage_id}_median"], None, agg[f"{stage_id}_n"])
    return out


def tiles_frame(agg: dict, rule: str, level: str) -> pd.DataFrame:
    """Rows for ui.tiles.tiles: the page's headline KPIs, disclosed (no change, no RAG)."""
    values = kpi_values(agg)
    long = pd.DataFrame([(k, KPIS[k].label, *values[k]) for k in TILE_IDS],
                        columns=["kpi_id", "label", "value", "numerator", "denominator"])
    shown = disclose_table(long, rule, level, {k: KPIS[k].kind for k in TILE_IDS})
    shown["kind"] = [KPIS[k].kind for k in TILE_IDS]
    shown["direction"] = [KPIS[k].direction for k in TILE_IDS]
    shown["change"], shown["rag"] = None, None
    return shown


def stage_table(agg: dict) -> pd.DataFrame:
    """Raw stage table: stage, referrals completing it in the period (n), median and 90th percentile days,
    and referrals still in it as of the end date."""
    rows = []
    for stage_id, label, _, waiting in STAGES:
        rows.append({"stage_id": stage_id, "stage": label, "n": agg[f"{stage_id}_n"],
                     "median": agg[f"{stage_id}_median"], "p90": agg[f"{stage_id}_p90"],
                     "waiting": sum(agg[f"{w}_waiting"] for w in waiting)})
    return pd.DataFrame(rows)


def disclosed_stage_table(raw: pd.DataFrame, rule: str, level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shown, flags): counts disclosed as counts, median and 90th percentile as days over n people."""
    shown, flags = raw.copy().astype(object), pd.DataFrame(index=raw.index)
    for column in STAGE_COLUMNS:
        cells = [disclose("count", row[column], rule=rule, level=level) if column in ("n", "waiting")
                 else disclose("days", row[column], None, row["n"], rule, level) for _, row in raw.iterrows()]
        shown[column] = _values(cells, raw.index)
        flags[column] = [c.suppressed for c in cells]
    return shown, flags


def target_table(agg: dict, targets: dict) -> pd.DataFrame:
    """Raw share of assessments within target per urgency, and for all urgencies (the catalogue KPI)."""
    rows = []
    for urgency in URGENCIES:
        assessed, within = agg[f"{urgency}_assessed"], agg[f"{urgency}_within"]
        rows.append({"urgency": URGENCY_LABELS[urgency], "target_days": targets[urgency], "assessed": assessed,
                     "within": within, "pct": ratio(within, assessed)})
    assessed, within = sum(r["assessed"] for r in rows), sum(r["within"] for r in rows)
    rows.append({"urgency": "All urgencies", "target_days": None, "assessed": assessed, "within": within,
                 "pct": ratio(within, assessed)})
    frame = pd.DataFrame(rows)
    frame["target_days"] = frame["target_days"].astype("Int64")
    return frame


def disclosed_target_table(raw: pd.DataFrame, rule: str, level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    shown, flags = raw.copy().astype(object), pd.DataFrame(index=raw.index)
    for column in ("assessed", "within"):
        cells = [disclose("count", v, rule=rule, level=level) for v in raw[column]]
        shown[column], flags[column] = _values(cells, raw.index), [c.suppressed for c in cells]
    cells = [disclose("pct", p, n, d, rule, level) for p, n, d in zip(raw["pct"], raw["within"], raw["assessed"])]
    shown["pct"], flags["pct"] = _values(cells, raw.index), [c.suppressed for c in cells]
    return shown, flags


def disclosed_counts(frame: pd.DataFrame, columns: list[str], rule: str, level: str) -> tuple[pd.DataFrame,
                                                                                           pd.DataFrame]:
    """(shown, flags) with every cell of `columns` disclosed as a count (other columns copied to `shown`);
    `flags` has just `columns`, True where suppressed."""
    shown, flags = frame.copy().astype(object), pd.DataFrame(index=frame.index)
    for column in columns:
        cells = [disclose("count", v, rule=rule, level=level) for v in frame[column]]
        shown[column], flags[column] = _values(cells, frame.index), [c.suppressed for c in cells]
    return shown, flags


def funnel_steps(total: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """The funnel as one row per step (step, label, shown, suppressed) from funnel(by=None)."""
    row = total.iloc[0] if len(total) else pd.Series({k: 0 for k in FUNNEL_STEPS})
    cells = [disclose("count", int(row[k]), rule=rule, level=level) for k in FUNNEL_STEPS]
    return pd.DataFrame({"step": list(FUNNEL_STEPS), "label": list(FUNNEL_STEPS.values()),
                         "shown": [c.value for c in cells], "suppressed": [c.suppressed for c in cells]})


def funnel_breakdown(frame: pd.DataFrame, by: str, rule: str, level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shown, flags) of funnel(by=...) with readable category names and disclosed counts."""
    names = DIMENSION_LABELS[by][1]
    named = frame.assign(category=[names.get(c, c) for c in frame["category"]])
    return disclosed_counts(named, list(FUNNEL_STEPS), rule, level)


def _target_checks(stage: str, urgency: str, source: str, targets: dict) -> list[tuple[str, int]]:
    """The targets (name, days from referral) that apply to an open referral in `stage`."""
    checks = []
    if stage == "awaiting_assessment" and urgency in targets:
        checks.append((f"Assessment {targets[urgency]} days ({urgency})", targets[urgency]))
    if source == "prison":
        checks.append((f"Prison transfer {PRISON_TRANSFER_DAYS} days", PRISON_TRANSFER_DAYS))
    return checks


def waiting_with_targets(rows: pd.DataFrame, targets: dict) -> pd.DataFrame:
    """The waiting list with stage label, target(s) that apply, and days over target (0 when within;
    None when no target applies: only assessment and the prison transfer period have targets)."""
    out = rows.copy()
    names, over = [], []
    for stage, urgency, source, age in zip(rows["stage"], rows["urgency"], rows["source"], rows["age_days"]):
        checks = _target_checks(stage, urgency, source, targets)
        names.append("; ".join(name for name, _ in checks) or "None set for this stage")
        over.append(max(max(int(age) - days for _, days in checks), 0) if checks else None)
    out["stage_label"] = [WAITING_LABELS[s] for s in rows["stage"]]
    out["target"], out["days_over_target"] = names, pd.array(over, dtype="Int64")
    return out


def waiting_pivot(summary: pd.DataFrame, bands: list[str], rule: str, level: str) -> tuple[pd.DataFrame,
                                                                                            pd.DataFrame]:
    """(shown, flags): one row per waiting stage, one column per age band and a total, disclosed."""
    wide = (summary.pivot_table(index="stage", columns="band", values="referrals", aggfunc="sum", fill_value=0)
            .reindex(index=list(WAITING_LABELS), columns=bands, fill_value=0))
    wide.columns.name = None
    wide["Total"] = wide.sum(axis=1)
    wide = wide.astype(int).reset_index()
    wide.insert(0, "Stage", [WAITING_LABELS[s] for s in wide.pop("stage")])
    return disclosed_counts(wide, [*bands, "Total"], rule, level)


def outcome_band_chart_data(bands_frame: pd.DataFrame, bands: list[str], rule: str, level: str) -> pd.DataFrame:
    """Disclosed counts by outcome and band for the aggregate timeline view; suppressed cells kept, flagged."""
    full = (bands_frame.pivot_table(index="outcome", columns="band", values="referrals", aggfunc="sum",
                                    fill_value=0).reindex(index=list(OUTCOME_LABELS), columns=bands, fill_value=0)
            .stack().rename("referrals").reset_index())
    full = full[full["referrals"] > 0].reset_index(drop=True)
    shown, flags = disclosed_counts(full, ["referrals"], rule, level)
    shown["outcome_label"] = shown["outcome"].map(OUTCOME_LABELS)
    shown["suppressed"] = flags["referrals"]
    return shown


def _fmt(day) -> str:
    return "–" if day is None or pd.isna(day) else pd.Timestamp(day).strftime("%d %b %Y")


def timeline_segments(rows: pd.DataFrame, end: dt.date) -> pd.DataFrame:
    """One row per (referral, stage) segment for the timeline chart; an open referral's last segment
    ('Still waiting') runs to the end date. Days = later date − earlier date."""
    out = []
    for row in rows.itertuples(index=False):
        points = [(row.received_date, "Referral"), (row.assessment_date, "assessment"),
                  (row.decision_date, "decision"), (row.admission_date, "admission")]
        happened = [(d, name) for d, name in points if d is not None and not pd.isna(d)]
        segments = [(a[0], b[0], f"{a[1].capitalize()} to {b[1]}") for a, b in zip(happened, happened[1:])]
        if row.outcome in WAITING_LABELS:
            segments.append((happened[-1][0], end, "Still waiting"))
        base = {"referral_id": row.referral_id, "outcome": OUTCOME_LABELS.get(row.outcome, row.outcome),
                "source": SOURCE_LABELS.get(row.source, row.source),
                "urgency": URGENCY_LABELS.get(row.urgency, row.urgency), "disputed": "Yes" if row.disputed else "No",
                "received": _fmt(row.received_date), "assessed": _fmt(row.assessment_date),
                "decided": _fmt(row.decision_date), "admitted": _fmt(row.admission_date),
                "total_days": (pd.Timestamp(happened[-1][0] if row.outcome not in WAITING_LABELS else end)
                               - pd.Timestamp(row.received_date)).days}
        for index, (first, last, name) in enumerate(segments):
            out.append(base | {"stage": name, "from": pd.Timestamp(first), "to": pd.Timestamp(last),
                               "days": (pd.Timestamp(last) - pd.Timestamp(first)).days, "first": index == 0})
    columns = ["referral_id", "outcome", "source", "urgency", "disputed", "received", "assessed", "decided",
               "admitted", "total_days", "stage", "from", "to", "days", "first"]
    return pd.DataFrame(out, columns=columns)


def month_starts(end: dt.date, months: int = TREND_MONTHS) -> list[dt.date]:
    """The first days of the `months` months ending with the month of `end`, oldest first."""
    last = end.year * 12 + end.month - 1
    return [dt.date(m // 12, m % 12 + 1, 1) for m in range(last - months + 1, last + 1)]


def trend(monthly: pd.DataFrame, months: list[dt.date], rule: str, level: str, provisional_from=None) -> pd.DataFrame:
    """XmR (direction down) of monthly median days referral to admission; each month's median disclosed
    (days over its n admissions); months with no admissions or suppressed are missing points."""
    by_month = {pd.Timestamp(m).date(): (n, v) for m, n, v in zip(monthly["month"], monthly["admitted"],
                                                                  monthly["median"])}
    values, counts, hidden = [], [], []
    for month in months:
        n, value = by_month.get(month, (0, None))
        cell = disclose("days", None if value is None or pd.isna(value) else value, None, n, rule, level)
        values.append(np.nan if cell.value is None else float(cell.value))
        counts.append(n)
        hidden.append(cell.suppressed)
    frame = xmr(values, dates=pd.to_datetime(months), direction="down", provisional_from=provisional_from)
    frame["admitted"], frame["suppressed"] = counts, hidden
    return frame
