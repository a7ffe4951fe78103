"""Finance arithmetic on ledger sums: outturn, variance and RAG, the cumulative series, breakdowns,
cost per occupied bed day by provider and security level, risk shares and the "what if".

Pure functions on the frames of data_access/finance.py; no SQL, no Streamlit. Definitions in
docs/kpi-definitions.md ("Money" and "Finance page").
"""

import datetime as dt

import pandas as pd

from data_access.schema import INPATIENT_CATEGORIES
from metrics.disclosure import disclose, disclose_counts
from metrics.kpis import ratio
from metrics.rag import STANDARD, rag

# RAG on variance to budget as a % of budget, either way: metrics.rag.STANDARD["variance_gbp"].
VARIANCE_GREEN_PCT = STANDARD["variance_gbp"].green
VARIANCE_AMBER_PCT = STANDARD["variance_gbp"].amber
# Categories whose open-month forecast the "what if" scales: occupancy -> own inpatient beds,
# out-of-area placements -> out of area.
OCCUPANCY_CATEGORIES = ("nhs_inpatient", "independent_inpatient")
OUT_OF_AREA_CATEGORY = "out_of_area"
CATEGORY_LABELS = {
    "nhs_inpatient": "NHS inpatient", "independent_inpatient": "Independent sector inpatient",
    "out_of_area": "Out of area", "community": "Community", "reinvestment": "Reinvestment", "other": "Other",
}
SECURITY_LABELS = {"high": "High secure", "medium": "Medium secure", "low": "Low secure", "picu": "PICU",
                   "general": "General", "locked_rehab": "Locked rehabilitation"}
NO_PROVIDER = "Collaborative-level lines (no provider)"


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _sum(series: pd.Series) -> float | None:
    """Σ of the non-missing values, None when all are missing (an actual with no closed month)."""
    values = series.dropna()
    return None if values.empty else float(values.sum())


def variance_pct(variance, budget) -> float | None:
    return ratio(variance, budget)


def variance_rag(pct) -> str | None:
    """The RAG of variance to budget (metrics.rag, the same rule as every page) from its % of budget."""
    return rag("variance_gbp", pct, None, {"budget_gbp": 100.0})


def headline(by_category: pd.DataFrame) -> dict:
    """Budget, spend to date, outturn, variance (£, %, RAG), reinvestment, out-of-area spend % (raw)."""
    frame = by_category.set_index("category") if not by_category.empty else by_category
    budget = float(by_category["budget"].sum()) if not by_category.empty else 0.0
    outturn = float(by_category["outturn"].sum()) if not by_category.empty else 0.0
    actual = _sum(by_category["actual"]) if not by_category.empty else None
    has_rows = not by_category.empty
    variance = outturn - budget if has_rows else None
    pct = variance_pct(variance, budget)
    inpatient = _sum(frame["actual"].reindex(list(INPATIENT_CATEGORIES))) if has_rows else None
    ooa = _num(frame["actual"].get(OUT_OF_AREA_CATEGORY)) if has_rows else None
    return {
        "budget": budget if has_rows else None, "actual": actual, "outturn": outturn if has_rows else None,
        "variance": variance, "variance_pct": pct, "rag": variance_rag(pct),
        "reinvestment": _num(frame["actual"].get("reinvestment")) if has_rows else None,
        "inpatient_actual": inpatient, "out_of_area_actual": ooa,
        "out_of_area_spend_pct": ratio(ooa, inpatient),
    }


def month_ends(fy_start: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The twelve (month start, month end) pairs of the financial year starting `fy_start`."""
    out = []
    for i in range(12):
        year, month = fy_start.year + (fy_start.month - 1 + i) // 12, (fy_start.month - 1 + i) % 12 + 1
        nxt = dt.date(year + month // 12, month % 12 + 1, 1)
        out.append((dt.date(year, month, 1), nxt - dt.timedelta(days=1)))
    return out


def month_end(month: dt.date) -> dt.date:
    """The last day of the month of `month`."""
    nxt = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def closed_months(by_month: pd.DataFrame) -> tuple[dt.date | None, dt.date | None]:
    """First and last month with a closed (actual) inpatient line: the months cost per bed day covers."""
    closed = by_month[by_month["closed_inpatient_lines"] > 0]["month_start"] if not by_month.empty else []
    if len(closed) == 0:
        return None, None
    return _as_date(min(closed)), _as_date(max(closed))


def last_closed_month(by_month: pd.DataFrame) -> dt.date | None:
    """The latest month with any actual: the month-end 'now' of the chart."""
    closed = by_month[by_month["closed_lines"] > 0]["month_start"] if not by_month.empty else []
    return _as_date(max(closed)) if len(closed) else None


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, (pd.Timestamp, dt.datetime)) else value


def cumulative(by_month: pd.DataFrame, fy_start: dt.date) -> tuple[pd.DataFrame, dt.date | None]:
    """Long frame (date, series, value) of cumulative budget, spend to date and forecast; and 'now'.

    Budget runs from 0 on 1 April to the end of March. Spend to date runs from 0 to the end of the
    last month with an actual ("now"). Forecast runs from "now" to the end of March as the cumulative
    actual-or-forecast, so it starts where spend to date ends (when every line of the closed months
    has its actual) and ends at the forecast outturn.
    """
    sums = {_as_date(m): row for m, row in by_month.set_index("month_start").iterrows()} if not by_month.empty else {}
    now_month = last_closed_month(by_month)
    months = month_ends(fy_start)
    now = next((end for start, end in months if start == now_month), None)
    first = "Spend to date" if now else "Forecast"
    rows = [(fy_start, "Budget", 0.0), (fy_start, first, 0.0)]
    budget = actual = outturn = 0.0
    for start, end in months:
        row = sums.get(start, {})
        budget += _num(row.get("budget")) or 0.0
        outturn += _num(row.get("outturn")) or 0.0
        actual += _num(row.get("actual")) or 0.0
        rows.append((end, "Budget", budget))
        if now is not None and end <= now:
            rows.append((end, "Spend to date", actual))
        if now is None or end >= now:
            rows.append((end, "Forecast", outturn))
    return pd.DataFrame(rows, columns=["date", "series", "value"]), now


def breakdown(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with variance (£, outturn − budget) and variance % of budget."""
    out = frame.copy()
    out["variance"] = out["outturn"] - out["budget"]
    out["variance_pct"] = [variance_pct(v, b) for v, b in zip(out["variance"], out["budget"])]
    return out


def category_table(by_category: pd.DataFrame) -> pd.DataFrame:
    order = list(CATEGORY_LABELS)
    out = breakdown(by_category)
    out["sort"] = out["category"].map(lambda c: order.index(c) if c in order else len(order))
    out["label"] = out["category"].map(lambda c: CATEGORY_LABELS.get(c, c))
    return out.sort_values("sort").drop(columns="sort").reset_index(drop=True)


def provider_table(by_provider: pd.DataFrame) -> pd.DataFrame:
    out = breakdown(by_provider)
    out["label"] = [NO_PROVIDER if pd.isna(code) else name for code, name in
                    zip(out["provider_code"], out["provider_name"])]
    return out


def cost_per_bed_day(by_provider: pd.DataFrame, obd: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(by provider, by security level) cost per occupied bed day over the closed months.

    Provider: its inpatient actual (nhs_inpatient, independent_inpatient, out_of_area lines carrying
    its code) ÷ the OBD of its wards under the node. Security level: each provider's OBD on wards of
    that level × the provider's cost per OBD, summed, ÷ those OBD (an OBD-weighted mean of provider
    costs); OBD of providers with no cost per OBD are left out and counted as `uncosted_obd`.
    """
    per_prov_obd = obd.groupby("provider_code")["obd"].sum() if not obd.empty else pd.Series(dtype="int64")
    lines = by_provider.dropna(subset=["provider_code"])
    spend = dict(zip(lines["provider_code"], lines["inpatient_actual"]))
    names = dict(zip(lines["provider_code"], lines["provider_name"]))
    codes = sorted(set(spend) | set(per_prov_obd.index))
    providers = pd.DataFrame({
        "provider_code": codes,
        "provider_name": [names.get(c, c) for c in codes],
        "inpatient_actual": [_num(spend.get(c)) for c in codes],
        "obd": [int(per_prov_obd.get(c, 0)) for c in codes],
    })
    providers["cost_per_obd"] = [ratio(s, n, 1) for s, n in zip(providers["inpatient_actual"], providers["obd"])]
    unit_cost = dict(zip(providers["provider_code"], providers["cost_per_obd"]))
    rows = []
    for level, group in (obd.groupby("security_level") if not obd.empty else []):
        costed = [(n, unit_cost.get(p)) for p, n in zip(group["provider_code"], group["obd"])]
        costed_obd = sum(n for n, c in costed if c is not None)
        cost = sum(n * c for n, c in costed if c is not None)
        rows.append({"security_level": level, "label": SECURITY_LABELS.get(level, level),
                     "obd": int(group["obd"].sum()), "costed_obd": int(costed_obd),
                     "uncosted_obd": int(group["obd"].sum() - costed_obd),
                     "attributed_cost": cost if costed_obd else None, "cost_per_obd": ratio(cost, costed_obd, 1)})
    levels = pd.DataFrame(rows, columns=["security_level", "label", "obd", "costed_obd", "uncosted_obd",
                                         "attributed_cost", "cost_per_obd"])
    return providers, levels


def total_cost_per_bed_day(head: dict, obd: pd.DataFrame) -> tuple[float | None, int]:
    """The catalogue's cost_per_obd_gbp: inpatient actual ÷ all OBD under the node, closed months."""
    total = int(obd["obd"].sum()) if not obd.empty else 0
    return ratio(head["inpatient_actual"], total, 1), total


def what_if_outturn(outturn: float, open_inpatient: float, open_ooa: float, occupancy_pct: float,
                    ooa_pct: float) -> float:
    """Outturn if occupancy and out-of-area placements change by the given % for the open months.

    Assumptions (shown on screen): the open months' forecast for own inpatient beds (NHS and
    independent sector) moves in proportion to occupancy; the open months' out-of-area forecast moves
    in proportion to out-of-area placements; closed months, other categories and the budget do not move.
    """
    return outturn + open_inpatient * occupancy_pct / 100.0 + open_ooa * ooa_pct / 100.0


def what_if(by_category: pd.DataFrame, occupancy_pct: float, ooa_pct: float) -> dict:
    """The scope's outturn and variance now and under the what-if."""
    head = headline(by_category)
    if head["outturn"] is None:
        return {"outturn": None, "variance": None, "what_if_outturn": None, "what_if_variance": None,
                "what_if_variance_pct": None, "change": None}
    frame = by_category.set_index("category")["open_forecast"]
    open_inpatient = float(frame.reindex(list(OCCUPANCY_CATEGORIES)).fillna(0).sum())
    open_ooa = float(frame.get(OUT_OF_AREA_CATEGORY, 0.0) or 0.0)
    new = what_if_outturn(head["outturn"], open_inpatient, open_ooa, occupancy_pct, ooa_pct)
    return {"outturn": head["outturn"], "variance": head["variance"], "what_if_outturn": new,
            "what_if_variance": new - head["budget"], "what_if_variance_pct": variance_pct(new - head["budget"],
                                                                                           head["budget"]),
            "change": new - head["outturn"], "open_inpatient": open_inpatient, "open_ooa": open_ooa}


def risk_share_table(shares: pd.DataFrame, occupancy_pct: float = 0.0, ooa_pct: float = 0.0) -> pd.DataFrame:
    """Each partner's share (share_pct × its collaborative's variance), now and under the what-if."""
    out = shares.copy()
    out["variance"] = out["outturn"] - out["budget"]
    out["share_gbp"] = out["share_pct"] / 100.0 * out["variance"]
    new = [what_if_outturn(o, i, a, occupancy_pct, ooa_pct) for o, i, a in
           zip(out["outturn"], out["open_inpatient_forecast"], out["open_ooa_forecast"])]
    out["what_if_variance"] = pd.Series(new, index=out.index, dtype=float) - out["budget"]
    out["what_if_share_gbp"] = out["share_pct"] / 100.0 * out["what_if_variance"]
    return out


def shown_money(frame: pd.DataFrame, columns: list[str], rule: str, level: str) -> pd.DataFrame:
    """`frame` with each £ column passed through disclosure (money is not suppressed by either rule)."""
    out = frame.copy()
    for column in columns:
        out[column] = [disclose("gbp", _num(v), rule=rule, level=level).value for v in out[column]]
    return out


def shown_counts(frame: pd.DataFrame, columns: list[str], rule: str, level: str) -> tuple[pd.DataFrame, pd.Series]:
    """`frame` with count columns disclosed (suppressed -> None) and a per-row suppressed flag."""
    out = disclose_counts(frame, columns, rule, level)
    return out.drop(columns="suppressed"), out["suppressed"]


def shown_pct(value, numerator, denominator, rule: str, level: str):
    return disclose("pct", value, numerator, denominator, rule=rule, level=level)
