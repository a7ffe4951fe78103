"""Finance arithmetic on ledger sums: outturn, variance and RAG, the cumulative series, breakdowns,
cost per occupied bed day by provider and security level; month by month, the forecast's history, the risk share
by the agreement's tiers, and the one forecast model (range and "what if").

Pure functions on the frames of data_access/finance.py; no SQL, no Streamlit. Definitions in
docs/kpi-definitions.md ("Money" and "Finance page") and docs/finance.md (issue 19).
"""

import datetime as dt
from dataclasses import dataclass

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
    base = {"outturn": outturn, "open_inpatient": open_inpatient, "open_ooa": open_ooa, "open_days": 0,
            "pending_admissions": 0, "ready_days": 0, "period_days": 1}
    return model_outturn(base, Drivers(occupancy_pct=occupancy_pct, ooa_pct=ooa_pct))


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


# --------------------------------------------------------------------------- month by month (issue 19)

def monthly(by_month: pd.DataFrame) -> pd.DataFrame:
    """Per month: budget, actual (closed months), forecast (open months), the month's variance ((actual or
    forecast) − budget) and the variance to date (running Σ of the closed months' variance)."""
    out = by_month[["month_start", "budget", "actual", "open_forecast", "closed_lines"]].copy()
    closed = out["closed_lines"] > 0
    out["actual"] = out["actual"].where(closed)
    out["forecast"] = out["open_forecast"].where(~closed)
    out["variance"] = out["actual"].fillna(out["forecast"]) - out["budget"]
    out["variance_to_date"] = out["variance"].where(closed).cumsum().where(closed)
    out["month_start"] = out["month_start"].map(_as_date)
    return out[["month_start", "budget", "actual", "forecast", "variance", "variance_to_date"]].reset_index(drop=True)


def monthly_long(frame: pd.DataFrame) -> pd.DataFrame:
    """(month_start, series, value) of budget, actual and forecast, for the month-by-month chart."""
    long = frame.melt(id_vars="month_start", value_vars=["budget", "actual", "forecast"], var_name="series")
    long["series"] = long["series"].map({"budget": "Budget", "actual": "Actual", "forecast": "Forecast"})
    return long.dropna(subset=["value"]).reset_index(drop=True)


def monthly_by(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per month and category or provider: actual-or-forecast (outturn) against budget, the variance, labelled."""
    out = frame.copy()
    out["variance"] = out["outturn"] - out["budget"]
    if by == "category":
        out["label"] = out["key"].map(lambda c: CATEGORY_LABELS.get(c, c))
    else:
        out["label"] = [NO_PROVIDER if pd.isna(k) else n for k, n in zip(out["key"], out["name"])]
    out["month_start"] = out["month_start"].map(_as_date)
    return out[["month_start", "label", "budget", "outturn", "variance"]]


def sector_series(by_category: pd.DataFrame, sector_obd: pd.DataFrame) -> pd.DataFrame:
    """Per closed month: the independent sector's share of inpatient spend (%) and the cost per occupied bed day
    of NHS and independent providers' own beds (their category's actual ÷ their wards' bed days)."""
    closed = by_category.dropna(subset=["actual"])
    spend = closed.pivot_table(index="month_start", columns="key", values="actual", aggfunc="sum").fillna(0.0)
    obd = sector_obd.pivot_table(index="month", columns="sector", values="obd", aggfunc="sum") if not \
        sector_obd.empty else pd.DataFrame()
    rows = []
    for month, row in spend.iterrows():
        month = _as_date(month)
        inpatient = sum(float(row.get(c, 0.0)) for c in INPATIENT_CATEGORIES)
        days = obd.loc[month] if month in obd.index else {}
        rows.append({"month_start": month,
                     "independent_share_pct": ratio(float(row.get("independent_inpatient", 0.0)), inpatient),
                     "nhs_cost_per_obd": ratio(float(row.get("nhs_inpatient", 0.0)), _num(days.get("nhs")), 1),
                     "independent_cost_per_obd": ratio(float(row.get("independent_inpatient", 0.0)),
                                                       _num(days.get("independent")), 1)})
    return pd.DataFrame(rows, columns=["month_start", "independent_share_pct", "nhs_cost_per_obd",
                                       "independent_cost_per_obd"])


def history_series(history: pd.DataFrame) -> pd.DataFrame:
    """Per return month: Σ of the collaboratives' forecast outturn then, and the movement from the return before
    (metrics.kpis.forecast_movement over the returns up to that month: the KPI's one definition)."""
    from metrics.kpis import forecast_movement

    rows = []
    returns = list(history[["collaborative_id", "return_month", "outturn"]].itertuples(index=False, name=None))
    for month in sorted({r[1] for r in returns}):
        upto = [r for r in returns if r[1] <= month]
        rows.append({"return_month": _as_date(month), "outturn": sum(r[2] for r in upto if r[1] == month),
                     "movement": forecast_movement(upto)})
    return pd.DataFrame(rows, columns=["return_month", "outturn", "movement"])


# --------------------------------------------------------------------------- the risk share as data

BEARER_LABELS = {"lead": "Lead provider's band", "partners": "Partners by share", "commissioner":
                 "Beyond the cap: commissioner", "reinvestment": "Reinvestment pot"}
# Without tiers for a direction: an overspend is shared by the partners (no cap); an underspend goes to the
# reinvestment pot (never a negative "share" to partners unless the agreement says shared).
DEFAULT_TIERS = {"overspend": [{"tier": 1, "up_to_gbp": None, "up_to_pct": None, "carried_by": "partners"}],
                 "underspend": [{"tier": 1, "up_to_gbp": None, "up_to_pct": None, "carried_by": "reinvestment"}]}


def tier_bands(variance: float, budget: float, tiers: list[dict]) -> list[tuple[int, str, float]]:
    """(tier, carried_by, amount) of |variance| cut into the agreement's bands for its direction.

    Bands are cumulative: a tier's bound (up_to_gbp, or up_to_pct % of the budget) is on |variance|; what is left
    beyond the last bound goes to the commissioner. Amounts carry the variance's sign (negative = underspend)."""
    direction = "overspend" if variance > 0 else "underspend"
    rows = sorted([t for t in tiers if t.get("direction", direction) == direction], key=lambda t: t["tier"]) \
        or DEFAULT_TIERS[direction]
    sign, size, lower, out = (1.0 if variance > 0 else -1.0), abs(variance), 0.0, []
    for t in rows:
        bound = t["up_to_gbp"] if t["up_to_gbp"] is not None else \
            (t["up_to_pct"] / 100.0 * budget if t["up_to_pct"] is not None else None)
        upper = float("inf") if bound is None else max(float(bound), lower)
        amount = max(0.0, min(size, upper) - lower)
        out.append((int(t["tier"]), t["carried_by"], sign * amount))
        lower = upper
    if size > lower:
        out.append((len(rows) + 1, "commissioner", sign * (size - lower)))
    return out


def exposure(variance: float, budget: float, tiers: list[dict], shares: list[tuple], lead: str | None) -> list[dict]:
    """Who carries `variance`: one row per (party, tier): the lead provider its band, each partner its share of the
    partners' band (share_pct), the commissioner beyond the cap, the reinvestment pot an unshared underspend."""
    names = {code: name for code, name, _ in shares}
    rows = []
    for tier, bearer, amount in tier_bands(variance, budget, tiers):
        if bearer == "partners":
            rows += [{"party": name, "provider_code": code, "tier": tier, "bearer": bearer,
                      "amount": amount * pct / 100.0} for code, name, pct in shares]
        elif bearer == "lead":
            rows.append({"party": names.get(lead, lead or "Lead provider"), "provider_code": lead, "tier": tier,
                         "bearer": bearer, "amount": amount})
        else:
            rows.append({"party": "Commissioner" if bearer == "commissioner" else "Reinvestment pot",
                         "provider_code": None, "tier": tier, "bearer": bearer, "amount": amount})
    return rows


def outturns(agreement: dict) -> dict:
    """A collaborative's outturn three ways: the forecast, the run rate and the risk-adjusted forecast."""
    from metrics.kpis import risk_adjusted, to_date

    return {"Forecast": agreement["outturn"], "Run rate": to_date(agreement["months"])["run_rate"],
            "Risk-adjusted": risk_adjusted(agreement["outturn"], agreement["expected_risk"], agreement["mitigation"])}


def exposures(agreements: list[dict], only: tuple | None = None) -> pd.DataFrame:
    """Every collaborative's exposure by party and tier under each outturn (long frame); `only` keeps the rows of
    those providers (a provider's users)."""
    rows = []
    for a in agreements:
        for basis, outturn in outturns(a).items():
            if outturn is None or a["budget"] is None:
                continue
            variance = outturn - a["budget"]
            for row in exposure(variance, a["budget"], a["tiers"], a["shares"], a["lead"]):
                rows.append({"collaborative_id": a["collaborative_id"], "collaborative": a["name"], "basis": basis,
                             "outturn": outturn, "variance": variance, **row,
                             "band": BEARER_LABELS[row["bearer"]]})
    out = pd.DataFrame(rows, columns=["collaborative_id", "collaborative", "basis", "outturn", "variance", "party",
                                      "provider_code", "tier", "bearer", "amount", "band"])
    if only is not None:
        out = out[out["provider_code"].isin(only)]
    return out.reset_index(drop=True)


def agreement_text(agreement: dict) -> list[str]:
    """The agreement's tiers in words, for beside the chart."""
    lines = []
    for direction in ("overspend", "underspend"):
        tiers = [t for t in agreement["tiers"] if t["direction"] == direction]
        if not tiers:
            tiers = DEFAULT_TIERS[direction]
            lines.append(f"{direction.capitalize()}: no tiers recorded; the dashboard's default applies.")
        parts = []
        for t in tiers:
            bound = f"up to £{t['up_to_gbp']:,.0f}" if t["up_to_gbp"] is not None else \
                f"up to {t['up_to_pct']:g}% of budget" if t["up_to_pct"] is not None else "all of it"
            parts.append(f"tier {t['tier']} {bound}: {BEARER_LABELS[t['carried_by']].lower()}")
        lines.append(f"{direction.capitalize()}: " + "; ".join(parts) + (
            "; beyond: the commissioner." if any(t["up_to_gbp"] is not None or t["up_to_pct"] is not None
                                                 for t in tiers[-1:]) else "."))
    return lines


# --------------------------------------------------------------------------- forecast range and the what if

ASSUMED_WAIT_DAYS = 30  # a pending admission is admitted this many days into the open months, then stays


@dataclass(frozen=True)
class Drivers:
    """What moves the outturn: % change in occupancy of own beds, % of pending admissions admitted this year,
    % change in out-of-area placements, % of clinically-ready bed days released by discharge."""
    occupancy_pct: float = 0.0
    admitted_pct: float = 0.0
    ooa_pct: float = 0.0
    released_pct: float = 0.0


# The range (stated beside it): low = favourable, high = adverse; central = the likely case.
RANGE = {"Low": Drivers(-2.0, 50.0, -10.0, 50.0), "Central": Drivers(0.0, 75.0, 0.0, 25.0),
         "High": Drivers(2.0, 100.0, 10.0, 0.0)}


def model_outturn(base: dict, d: Drivers) -> float:
    """THE forecast model (the range and the what-if sliders): the outturn moved by the drivers, open months only.

    + open own-bed forecast × occupancy %; + pending admissions × admitted % × cost per bed day × (open days −
    ASSUMED_WAIT_DAYS); + open out-of-area forecast × out-of-area %; − clinically-ready beds (ready bed days ÷ days
    of the period) × released % × cost per bed day × open days."""
    cost = base.get("cost_per_obd") or 0.0
    stay = max(0, base["open_days"] - ASSUMED_WAIT_DAYS)
    return (base["outturn"] + base["open_inpatient"] * d.occupancy_pct / 100.0
            + base["pending_admissions"] * d.admitted_pct / 100.0 * cost * stay
            + base["open_ooa"] * d.ooa_pct / 100.0
            - ready_beds(base) * d.released_pct / 100.0 * cost * base["open_days"])


def model_base(by_category: pd.DataFrame, by_month: pd.DataFrame, drivers: dict, cost_per_obd) -> dict | None:
    """The model's starting point from the ledger sums, the drivers (data_access.finance.drivers) and the cost per
    occupied bed day (closed months)."""
    head = headline(by_category)
    if head["outturn"] is None:
        return None
    frame = by_category.set_index("category")["open_forecast"]
    open_months = [_as_date(m) for m, n in zip(by_month["month_start"], by_month["closed_lines"]) if n == 0]
    return {"outturn": head["outturn"], "budget": head["budget"],
            "open_inpatient": float(frame.reindex(list(OCCUPANCY_CATEGORIES)).fillna(0).sum()),
            "open_ooa": float(frame.get(OUT_OF_AREA_CATEGORY, 0.0) or 0.0), "cost_per_obd": cost_per_obd,
            "open_days": sum((month_end(m) - m).days + 1 for m in open_months), **drivers}


def what_if_figures(base: dict, d: Drivers) -> dict:
    """The what-if sliders' figures: outturn under the drivers, its variance to budget and its change from the
    return's forecast."""
    outturn = model_outturn(base, d)
    return {"outturn": outturn, "variance": outturn - base["budget"], "change": outturn - base["outturn"]}


def ready_beds(base: dict) -> float:
    """Clinically-ready beds on an average day of the period (the range's driver)."""
    return ratio(base["ready_days"], base["period_days"], 1) or 0.0


def forecast_range(base: dict) -> dict:
    """{Low, Central, High: outturn} from RANGE."""
    return {name: model_outturn(base, d) for name, d in RANGE.items()}


def variance_grid(frame: pd.DataFrame) -> pd.DataFrame:
    """monthly_by's variance as a grid: one row per category or provider, one column per month (Mon YYYY)."""
    if frame.empty:
        return pd.DataFrame()
    grid = frame.pivot_table(index="label", columns="month_start", values="variance", aggfunc="sum")
    grid.columns = [f"{pd.Timestamp(m):%b %Y} (£)" for m in grid.columns]
    return grid.reset_index()


def exposure_grid(frame: pd.DataFrame) -> pd.DataFrame:
    """Exposures as a table: one row per collaborative, party and band; one £ column per outturn basis."""
    if frame.empty:
        return pd.DataFrame()
    grid = frame.pivot_table(index=["collaborative", "party", "tier", "band"], columns="basis", values="amount",
                             aggfunc="sum", sort=False)
    grid.columns = [f"{c} (£)" for c in grid.columns]
    return grid.reset_index().drop(columns="tier")


def open_risk_lines(risks: pd.DataFrame, end: dt.date) -> pd.DataFrame:
    """The register with each open risk's expected value (value × likelihood) and its net of mitigation;
    closed risks, and risks raised after `end`, count for nothing."""
    out = risks.copy()
    counts = (out["status"] == "open") & (pd.to_datetime(out["raised_date"]).dt.date <= end)
    out["expected_gbp"] = (out["value_gbp"] * out["likelihood_pct"] / 100.0).where(counts, 0.0)
    out["net_gbp"] = (out["expected_gbp"] - out["mitigation_gbp"]).where(counts, 0.0)
    return out


def uncommitted(reserves: pd.DataFrame) -> pd.Series:
    """Reserve held − committed, per row (the catalogue's reserves_gbp for one collaborative)."""
    return reserves["held_gbp"] - reserves["committed_gbp"]
