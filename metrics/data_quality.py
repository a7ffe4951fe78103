"""Data quality arithmetic: each feed's months on time, late, missing; completeness and validity percentages;
one score per provider; and each feed's "complete to" date. Pure functions on data_access.data_quality frames.

Timeliness of a month (its due date = the month's last day + `extract_due_days`):
- extract: on time when its first load was by the due date, late after it; missing when no submission
  arrived and the due date has passed; not yet due otherwise.
- incidents, staffing (sent with the extract): timed by the same provider-month's extract submission;
  rows that arrived another way count as received, load time unknown.
- finance: a provider's month is received when it has closed (actual) lines; no load time per month.
- bed state (daily): on time when every open ward reported on every day of the month in the period;
  late when some ward-days had no report; missing when none did.

Data quality score (in the spirit of NHS England's Data Quality Maturity Index, which averages item
scores of completeness and validity): the unweighted mean of the percentages shown for the provider —
completeness of the five key fields, validity of each coded field, and the share of its extract months
(due ones) that arrived on time. An item with no records is left out.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

STATUSES = ("on_time", "late", "missing", "untimed", "not_due")
STATUS_LABELS = {"on_time": "On time", "late": "Late", "missing": "Missing", "untimed": "Received, load time unknown",
                 "not_due": "Not yet due"}
KEY_FIELDS = ("ethnic_group", "home_locality", "clinically_ready_date", "discharge_destination", "security_level")
CODED_FIELDS = ("ethnic_group", "home_locality", "sex", "discharge_destination", "security_level", "referral_source",
                "restrictive_intervention_type")
FIELD_LABELS = {"ethnic_group": "Ethnic group", "home_locality": "Home locality", "sex": "Sex",
                "clinically_ready_date": "Clinically ready for discharge date",
                "discharge_destination": "Discharge destination", "security_level": "Security level (referrals)",
                "referral_source": "Referral source", "restrictive_intervention_type": "Restrictive intervention type"}
FEED_LABELS = {"extract": "Monthly extract (MHSDS)", "bed_state": "Bed state", "finance": "Finance return",
               "incidents": "Incidents", "staffing": "Staffing"}


def months(start: dt.date, end: dt.date) -> list[dt.date]:
    out, month = [], dt.date(start.year, start.month, 1)
    while month <= end:
        out.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return out


def due_date(month: dt.date, due_days: int) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1) + dt.timedelta(days=due_days)


def complete_to(as_of: dt.date, due_days: int) -> dt.date:
    """The last day of the latest month whose extract is due by `as_of`: later months are provisional."""
    month = dt.date(as_of.year, as_of.month, 1)
    while due_date(month, due_days) > as_of:
        month = dt.date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
    return months_end(month)


def provisional_from(as_of: dt.date, due_days: int) -> dt.date:
    """The first day of the first provisional month (the day after `complete_to`)."""
    return complete_to(as_of, due_days) + dt.timedelta(days=1)


def months_end(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1) - dt.timedelta(days=1)


def _timed(received_at, month, due_days) -> str:
    if received_at is None or pd.isna(received_at):
        return "untimed"
    return "on_time" if pd.Timestamp(received_at).date() <= due_date(month, due_days) else "late"


def _bed_status(coverage: dict, key) -> str | None:
    open_days, reported = coverage.get(key, (0, 0))
    if not open_days:
        return None
    return "on_time" if reported >= open_days else ("late" if reported else "missing")


def timeliness(feed_rows: pd.DataFrame, coverage: pd.DataFrame, providers: list[str], period: list[dt.date],
               due_days: int, as_of: dt.date) -> pd.DataFrame:
    """feed, provider_code, month_start, status for every feed, provider and month of the period."""
    got = {(r.feed, r.provider_code, r.month_start): r.received_at for r in feed_rows.itertuples()}
    cover = {(r.provider_code, r.month_start): (r.open_ward_days, r.reported_ward_days) for r in coverage.itertuples()}
    out = []
    for feed in ("extract", "bed_state", "finance", "incidents", "staffing"):
        for prov in providers:
            for month in period:
                if feed == "bed_state":
                    status = _bed_status(cover, (prov, month))
                elif (feed, prov, month) not in got:
                    status = "not_due" if due_date(month, due_days) > as_of else "missing"
                elif feed == "extract":
                    status = _timed(got[(feed, prov, month)], month, due_days)
                elif feed == "finance":
                    status = "untimed"
                else:
                    status = _timed(got.get(("extract", prov, month)), month, due_days)
                if status:
                    out.append((feed, prov, month, status))
    return pd.DataFrame(out, columns=["feed", "provider_code", "month_start", "status"])


def timeliness_summary(statuses: pd.DataFrame, last: pd.DataFrame) -> pd.DataFrame:
    """feed, provider_code, last, and a count of months per status."""
    counts = (statuses.groupby(["feed", "provider_code"])["status"].value_counts().unstack(fill_value=0)
              .reindex(columns=list(STATUSES), fill_value=0).reset_index())
    counts = counts.merge(last, on=["feed", "provider_code"], how="left")
    order = {f: i for i, f in enumerate(FEED_LABELS)}
    counts = counts.sort_values(["provider_code", "feed"], key=lambda c: c.map(order) if c.name == "feed" else c)
    return counts[["feed", "provider_code", "last", *STATUSES]].reset_index(drop=True)


def _pct(numerator, denominator):
    return None if not denominator else 100.0 * float(numerator) / float(denominator)


def completeness_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with complete_pct (key fields only) and valid_pct (coded fields only)."""
    out = frame.copy()
    out["complete_pct"] = [(_pct(c, n) if f in KEY_FIELDS else None) for f, c, n in
                           zip(out["field"], out["complete"], out["records"])]
    out["valid_pct"] = [(_pct(v, n) if f in CODED_FIELDS else None) for f, v, n in
                        zip(out["field"], out["valid"], out["records"])]
    return out


def scores(table: pd.DataFrame, statuses: pd.DataFrame, providers: list[str]) -> pd.DataFrame:
    """provider_code, score, items: the mean of the provider's item percentages (see the module's method)."""
    items_of = {prov: [] for prov in providers}
    for prov, complete, valid in zip(table["provider_code"], table["complete_pct"], table["valid_pct"]):
        items_of.get(prov, []).extend(p for p in (complete, valid) if p is not None and not pd.isna(p))
    due = statuses[(statuses["feed"] == "extract") & statuses["status"].isin(["on_time", "late", "missing"])]
    on_time = (due["status"] == "on_time").groupby(due["provider_code"]).agg(["sum", "size"])
    out = []
    for prov in providers:
        items = items_of[prov]
        if prov in on_time.index:
            items.append(100.0 * on_time.at[prov, "sum"] / on_time.at[prov, "size"])
        out.append((prov, sum(items) / len(items) if items else None, len(items)))
    return pd.DataFrame(out, columns=["provider_code", "score", "items"])


def report(frames: dict[str, pd.DataFrame], start: dt.date, end: dt.date, due_days: int,
           as_of: dt.date) -> dict[str, pd.DataFrame]:
    """Every table of the Data quality page (raw figures; the page discloses them) from the aggregates of
    data_access.data_quality.report_frames, and `reported_days`: the reported ward-days the reconciliation read."""
    provs = frames["providers"]
    codes = list(provs["provider_code"])
    statuses = timeliness(frames["feed_months"], frames["coverage"], codes, months(start, end), due_days, as_of)
    table = completeness_table(frames["completeness"])
    return {"providers": provs, "statuses": statuses, "feeds": timeliness_summary(statuses, frames["last"]),
            "completeness": table, "scores": scores(table, statuses, codes),
            "reconciliation": frames["reconciliation"],
            "reported_days": int(frames["coverage"]["reported_ward_days"].sum())}
