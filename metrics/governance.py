"""The Board pack as an exception report: pure arithmetic on monthly KPI tables (no SQL, no Streamlit).

For a forum, scope and reporting month (the month of the period's end), each KPI of the forum's set gets
a monthly series of the last `HISTORY_MONTHS` months (the last month runs to the period's end), disclosed
with metrics/disclosure under the pack's rule, and an XmR chart (metrics/quality.summary_table, the
Quality page's SPC: Making Data Count variation and assurance against the target, the green band of
kpi_threshold). Comparisons: the same month last year and the target (never "the previous period of the
same length").

An exception is a KPI whose latest point is special-cause concern, or whose assurance says it will fail
the target, or which a user flagged (with a narrative). Money KPIs are financial year to date at each
month's end (a cumulative series: no SPC); they are exceptions when off track (red) against plan, the
kpi_threshold bands. Exceptions come first.

`build_content` gathers everything the pack shows into one JSON-safe dict; the page, the PDF and a
published (frozen) pack all render from that dict, so a pack opened later is exactly the one presented.
"""

import datetime as dt
import json
import math

import pandas as pd

from metrics.catalogue import KPIS
from metrics.disclosure import RULE_LABELS, disclose_table
from metrics.packs import RAG_WORDS
from metrics.quality import QUALITY_IDS, icon_label, spc_frame, summary_table
from metrics.quality import monthly_long as quality_long
from metrics.rag import band_for, rag
from metrics.spc import RULE_LABELS as SPC_RULE_LABELS

HISTORY_MONTHS = 15  # 12 months of SPC baseline and the same month last year; each month is one kpi_table
CHART_COLUMNS = ["date", "value", "mean", "lower", "upper", "special_cause", "rule", "variation", "segment", "trial"]
REASON_CONCERN = "Special cause variation of concern"
REASON_FAIL = "Will not meet its target (assurance)"
REASON_FLAG = "Flagged for the forum"
REASON_RED = "Off track against plan"


def report_months(end: dt.date, months: int = HISTORY_MONTHS) -> list[tuple[dt.date, dt.date]]:
    """(first day, last day) of each month of the series, oldest first; the last month ends at `end`."""
    out = []
    for back in range(months - 1, -1, -1):
        year, month = divmod(end.year * 12 + end.month - 1 - back, 12)
        first = dt.date(year, month + 1, 1)
        following = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
        out.append((first, min(end, following - dt.timedelta(days=1))))
    return out


def monthly_long(tables: list[pd.DataFrame], months: list[tuple[dt.date, dt.date]], rule: str,
                 level: str) -> pd.DataFrame:
    """One long disclosed series (month, kpi_id, label, value, numerator, denominator, shown, suppressed)
    from one kpi_table per month."""
    frames = [table.assign(month=pd.Timestamp(first)) for table, (first, _) in zip(tables, months)]
    long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["kpi_id", "label", "value", "numerator", "denominator", "month"])
    if long.empty:
        return long.assign(shown=None, suppressed=False)
    return disclose_table(long, rule, level, {k: KPIS[k].kind for k in long["kpi_id"].unique()})


def split_ids(kpi_ids: list[str]) -> tuple[list[str], list[str]]:
    """(the forum's KPIs the Quality page's monthly aggregates serve in one query, the others: one kpi_table
    per month)."""
    quality = [k for k in kpi_ids if k in QUALITY_IDS]
    return quality, [k for k in kpi_ids if k not in quality]


def forum_long(tables: list[pd.DataFrame], months: list[tuple[dt.date, dt.date]], quality_monthly: pd.DataFrame | None,
               kpi_ids: list[str], rule: str, level: str) -> pd.DataFrame:
    """The forum's disclosed monthly series: `tables` (one kpi_table per month, the non-quality KPIs) and
    `quality_monthly` (data_access.quality.monthly_aggregates over the same months, or None)."""
    quality, _ = split_ids(kpi_ids)
    parts = [monthly_long(tables, months, rule, level)] if tables else []
    if quality and quality_monthly is not None:
        series = quality_long(quality_monthly, rule, level)
        parts.append(series[series["kpi_id"].isin(quality)])
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else monthly_long([], [], rule, level)


def _plain(value):
    """A JSON-safe scalar: NaN/NaT -> None, timestamps and dates -> ISO text, numpy -> Python."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.isoformat()[:10] if value == pd.Timestamp(value).normalize() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _last_year(long: pd.DataFrame, kpi_id: str, month: pd.Timestamp) -> tuple:
    row = long[(long["kpi_id"] == kpi_id) & (long["month"] == month - pd.DateOffset(years=1))]
    if row.empty:
        return None, False
    shown = row["shown"].iloc[0]
    return (None if shown is None or pd.isna(shown) else float(shown)), bool(row["suppressed"].iloc[0])


def _raw_month(long: pd.DataFrame, month: pd.Timestamp) -> dict:
    """{kpi_id: raw value} of one month: the values a RAG rates (and rates against: budget for variance)."""
    rows = long[long["month"] == month]
    return dict(zip(rows["kpi_id"], rows["value"]))


def _rag(row: dict, raw: dict, thresholds: dict) -> dict:
    """The RAG of the latest month (metrics.rag, the one rule) and its threshold's provenance."""
    band = band_for(row["kpi_id"], thresholds)
    status = None if row["latest_suppressed"] else rag(row["kpi_id"], raw.get(row["kpi_id"]), thresholds, raw)
    return {"rag": status, "rag_words": RAG_WORDS.get(status, "No threshold"),
            "threshold": "No threshold" if band is None else band.source or "Threshold given by the caller"}


def _year_to_date(row: dict, thresholds: dict) -> dict:
    """Money KPIs are financial year to date at each month's end: a cumulative series, so no SPC (no variation,
    no assurance, no chart); they are judged against plan with the RAG bands. A band rated as a share of
    another KPI (variance: % of budget) has no target in the KPI's own units."""
    band = band_for(row["kpi_id"], thresholds)
    target = None if band is None or band.of else band.green
    return row | {"variation": None, "assurance": None, "mean": None, "lower": None, "upper": None,
                  "target": target}


def _latest_rule(frame: pd.DataFrame) -> str | None:
    valid = frame[frame["value"].notna()]
    return None if valid.empty else valid["rule"].iloc[-1]


def exception_report(long: pd.DataFrame, kpi_ids: list[str], thresholds: dict, month: dt.date,
                     narratives: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """(one row per KPI, exceptions first; {kpi_id: XmR frame}).

    Row columns: summary_table's (kpi_id, label, kind, direction, latest_month, latest, latest_suppressed,
    mean, lower, upper, target, points, missing, variation, assurance) plus unit, last_year,
    last_year_suppressed, rag, rag_words and threshold (its provenance) of the latest month, flagged, exception,
    reasons (plain English, '; '-joined). `long` holds the forum's KPIs and the bases their RAG rates against
    (metrics.rag.with_bases: budget for variance to budget).
    """
    table = summary_table(long, thresholds, kpi_ids=kpi_ids)
    frames = {k: spc_frame(long, k, thresholds) for k in kpi_ids}
    flagged = set() if narratives is None or narratives.empty else set(
        narratives.loc[narratives["flagged"].astype(bool), "kpi_id"])
    when = pd.Timestamp(month)
    raw = _raw_month(long, when)
    rows = []
    for row in table.to_dict("records"):
        kpi_id = row["kpi_id"]
        row = row | _rag(row, raw, thresholds)
        last_year, last_year_suppressed = _last_year(long, kpi_id, when)
        reasons = []
        if KPIS[kpi_id].topic == "money":
            row = _year_to_date(row, thresholds)
            frames[kpi_id] = frames[kpi_id].iloc[0:0]
            if row["rag"] == "red":
                reasons.append(REASON_RED)
        elif isinstance(row["variation"], str) and row["variation"].startswith("concern"):
            rule = _latest_rule(frames[kpi_id])
            reasons.append(f"{REASON_CONCERN}: {SPC_RULE_LABELS.get(rule, rule).lower()}" if rule else REASON_CONCERN)
        if row["assurance"] == "fail":
            reasons.append(REASON_FAIL)
        if kpi_id in flagged:
            reasons.append(REASON_FLAG)
        rows.append(row | {"unit": KPIS[kpi_id].unit, "last_year": last_year,
                           "last_year_suppressed": last_year_suppressed, "flagged": kpi_id in flagged,
                           "exception": bool(reasons), "reasons": "; ".join(reasons)})
    report = pd.DataFrame(rows)
    if report.empty:
        return report, frames
    order = {k: i for i, k in enumerate(kpi_ids)}
    report = report.assign(_order=report["kpi_id"].map(order)).sort_values(["exception", "_order"],
                                                                           ascending=[False, True])
    return report.drop(columns="_order").reset_index(drop=True), frames


def action_states(actions: pd.DataFrame, meeting_date: dt.date, last_meeting: dt.date | None) -> pd.DataFrame:
    """The actions a pack shows, with a `state`: Overdue (open, due before the meeting), Due (open, due by the
    meeting), Open, or Done/Dropped (closed since the last meeting). Closed before the last meeting: left out."""
    if actions.empty:
        return actions.assign(state=pd.Series(dtype=str))
    since = pd.Timestamp(last_meeting) if last_meeting else pd.Timestamp.min
    closed_recently = (actions["status"] != "open") & (pd.to_datetime(actions["updated_at"]) >= since)
    shown = actions[(actions["status"] == "open") | closed_recently].copy()
    due = pd.to_datetime(shown["due_date"]).dt.date

    def state(status, day):
        if status != "open":
            return status.capitalize()
        return "Overdue" if day < meeting_date else "Due" if day == meeting_date else "Open"
    shown["state"] = [state(s, d) for s, d in zip(shown["status"], due)]
    return shown.reset_index(drop=True)


def build_content(*, forum: dict, scope: dict, month: dt.date, period_end: dt.date, meeting_date: dt.date,
                  rule: str, data_as_of: str, report: pd.DataFrame, frames: dict[str, pd.DataFrame],
                  narratives: pd.DataFrame, actions: pd.DataFrame, decisions: pd.DataFrame) -> dict:
    """Everything a pack shows, JSON-safe (round-tripped through JSON, so a live pack and a published one
    are the same structure)."""
    notes = {} if narratives.empty else {r["kpi_id"]: r for r in records(narratives)}
    charts = {k: records(f[CHART_COLUMNS]) for k, f in frames.items()}
    kpis = records(report.assign(variation_label=report["variation"].map(_icon_words),
                                 assurance_label=report["assurance"].map(_icon_words))) if not report.empty else []
    content = {
        "forum": forum, "scope": scope, "month": month, "period_end": period_end, "meeting_date": meeting_date,
        "rule": rule, "rule_label": RULE_LABELS[rule], "data_as_of": data_as_of, "kpis": kpis, "charts": charts,
        "narratives": notes, "actions": records(actions), "decisions": records(decisions),
    }
    return json.loads(json.dumps(content, default=_plain))


def _icon_words(name) -> str:
    return icon_label(name) if isinstance(name, str) else "Not applicable"


def chart_frame(content: dict, kpi_id: str) -> pd.DataFrame:
    """The XmR frame of a KPI as stored in the content (dates as timestamps), for metrics.spc_chart."""
    frame = pd.DataFrame(content["charts"].get(kpi_id, []), columns=CHART_COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"])
    for column in ("value", "mean", "lower", "upper"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    kpi = next((k for k in content["kpis"] if k["kpi_id"] == kpi_id), {})
    frame.attrs.update({"direction": KPIS[kpi_id].direction, "target": kpi.get("target"), "baseline": 12})
    return frame


def exceptions(content: dict) -> list[dict]:
    return [k for k in content["kpis"] if k["exception"]]


def changed_since(published: dict, live: dict) -> list[str]:
    """Labels of KPIs whose figures (latest, same month last year, or any charted month) differ now from
    the published pack: data resubmitted since publication."""
    now = {k["kpi_id"]: k for k in live["kpis"]}
    changed = []
    for kpi in published["kpis"]:
        current = now.get(kpi["kpi_id"])
        fields = ("latest", "latest_suppressed", "last_year", "last_year_suppressed")
        same = current is not None and all(_same(kpi[f], current[f]) for f in fields) and _same_series(
            published["charts"].get(kpi["kpi_id"], []), live["charts"].get(kpi["kpi_id"], []))
        if not same:
            changed.append(kpi["label"])
    return changed


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def _same_series(a: list[dict], b: list[dict]) -> bool:
    return len(a) == len(b) and all(x["date"] == y["date"] and _same(x["value"], y["value"]) for x, y in zip(a, b))
