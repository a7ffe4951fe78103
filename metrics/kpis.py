"""KPIs of the catalogue for any node and period: `kpi_table(engine, ...)` is the public entry.

data_access returns aggregated numerators and denominators; this module only does
arithmetic on them. Values are raw (unrounded, unsuppressed): metrics/disclosure.py
is the one place that makes them safe to show.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from data_access import access
from data_access import kpi_queries as q
from metrics.catalogue import CHILD_TABLE_IDS, KPI_IDS, KPIS

COLUMNS = ["kpi_id", "label", "value", "numerator", "denominator"]


def ratio(numerator, denominator, scale: float = 100.0):
    """numerator ÷ denominator × scale, or None when the denominator is missing or zero."""
    if numerator is None or not denominator:
        return None
    return float(numerator) / float(denominator) * scale


def _float(value):
    return None if value is None else float(value)


@dataclass(frozen=True)
class Family:
    """KPIs computed from the same aggregates: the registry's unit.

    `needs` names aggregates of data_access.kpi_queries.AGGREGATES; `compute(aggs)` is pure arithmetic on
    {name: raw sums} and returns {kpi_id: (value, numerator, denominator)} for every id of the family.
    """
    ids: tuple[str, ...]
    needs: tuple[str, ...]
    compute: Callable[[dict], dict]


def _occupancy(a) -> dict:
    obd, avail = a["bed_days"]["obd"], a["available_days"]["available_days"]
    excl = obd - a["bed_days"]["leave_days"]
    return {"bed_occupancy_pct": (ratio(obd, avail), obd, avail),
            "bed_occupancy_excl_leave_pct": (ratio(excl, avail), excl, avail)}


def _count(kpi_id: str, name: str, key: str | None = None):
    """A family of one count KPI read straight from an aggregate."""
    def compute(a) -> dict:
        value = a[name][key or kpi_id]
        return {kpi_id: (value, value, None)}
    return Family((kpi_id,), (name,), compute)


def _out_of_area(a) -> dict:
    home = a["home_days"]
    return {"out_of_area_pct": (ratio(home["out_of_area_days"], home["home_days"]), home["out_of_area_days"],
                                home["home_days"])}


def _home_now(a) -> dict:
    census = a["census_home"]
    ooa = census["out_of_area_patients"]
    return {
        "out_of_area_patients": (ooa, ooa, None),
        "median_distance_km": (_float(census["median_distance_km"]), None, census["distance_n"]),
    }


def _spells(a) -> dict:
    spells = a["spells"]
    n_discharges = spells["discharges"]
    return {
        "median_los_days": (_float(spells["median_los_days"]), None, n_discharges),
        "mean_los_days": (_float(spells["mean_los_days"]), None, n_discharges),
        "admissions": (spells["admissions"], spells["admissions"], None),
        "discharges": (n_discharges, n_discharges, None),
    }


def _current_los(a) -> dict:
    census = a["census_wards"]
    return {"current_los_days": (_float(census["current_los_days"]), None, census["current_n"])}


def _referrals(a) -> dict:
    r = a["referrals"]

    def median(key, n_key):
        return (_float(r[key]), None, r[n_key])

    return {
        "referrals_received": (r["referrals_received"], r["referrals_received"], None),
        "median_referral_to_assessment_days": median("median_referral_to_assessment_days", "assessed"),
        "median_assessment_to_decision_days": median("median_assessment_to_decision_days", "decided"),
        "median_referral_to_admission_days": median("median_referral_to_admission_days", "admitted"),
        "assessment_within_target_pct": (ratio(r["assessed_within_target"], r["assessed"]),
                                         r["assessed_within_target"], r["assessed"]),
        "prison_transfer_within_28_days_pct": (ratio(r["prison_within_28"], r["prison_admitted"]),
                                               r["prison_within_28"], r["prison_admitted"]),
        "open_referrals": (r["open_referrals"], r["open_referrals"], None),
    }


def _delayed(a) -> dict:
    beds = a["bed_days"]
    return {"delayed_discharge_days_pct": (ratio(beds["delayed_days"], beds["obd"]), beds["delayed_days"],
                                           beds["obd"])}


def _readmissions(a) -> dict:
    r = a["readmissions"]
    return {"readmission_12m_pct": (ratio(r["readmitted"], r["readmission_denominator"]), r["readmitted"],
                                    r["readmission_denominator"])}


def per_1000_obd(kpi_id: str, name: str, key: str) -> Family:
    """A family of one rate: aggregates[name][key] ÷ occupied bed days × 1000."""
    def compute(a) -> dict:
        count, obd = a[name][key], a["bed_days"]["obd"]
        return {kpi_id: (ratio(count, obd, 1000), count, obd)}
    return Family((kpi_id,), ("bed_days", name), compute)


def _staffing(a) -> dict:
    staff = a["staffing"]
    return {"staffing_fill_rate_pct": (ratio(staff["actual_hours"], staff["planned_hours"]),
                                       _float(staff["actual_hours"]), _float(staff["planned_hours"]))}


LEDGER_IDS = ["budget_gbp", "actual_gbp", "forecast_outturn_gbp", "variance_gbp", "cost_per_obd_gbp",
             "out_of_area_spend_pct", "reinvestment_gbp"]


def _money(a) -> dict:
    f = a["finance"]
    if not f["finance_applicable"]:
        return {kpi_id: (None, None, None) for kpi_id in LEDGER_IDS}
    budget, actual, outturn = f["budget"], f["actual"], f["outturn"]
    variance = None if outturn is None or budget is None else outturn - budget
    inpatient, obd = f["inpatient_actual"], f["closed_obd"]
    return {
        "budget_gbp": (budget, budget, None),
        "actual_gbp": (actual, actual, None),
        "forecast_outturn_gbp": (outturn, outturn, None),
        "variance_gbp": (variance, variance, None),
        "cost_per_obd_gbp": (ratio(inpatient, obd, 1), inpatient, obd),
        "out_of_area_spend_pct": (ratio(f["out_of_area_actual"], inpatient), f["out_of_area_actual"], inpatient),
        "reinvestment_gbp": (f["reinvestment"], f["reinvestment"], None),
    }


# Second-round money KPIs (../shared/kpi-catalogue-2.md; docs/finance.md): hidden like MONEY_IDS where the
# viewer may not see finance (data_access.kpi_queries.NOT_APPLICABLE).
MONEY_RISK_IDS = ["budget_to_date_gbp", "variance_to_date_gbp", "run_rate_outturn_gbp", "forecast_movement_gbp",
                  "risk_adjusted_outturn_gbp", "reserves_gbp", "independent_sector_spend_pct"]
RUN_RATE_MONTHS = 3
# Every money KPI: None where the viewer may not see finance.
MONEY_IDS = LEDGER_IDS + MONEY_RISK_IDS


def to_date(months) -> dict:
    """Budget and spend to date, and the run-rate outturn, from (month, Σ budget, Σ actual, lines with an actual).

    Closed months have an actual; open months are the year's ledger months without one. Run rate = spend to
    date + mean spend of the last RUN_RATE_MONTHS closed months × open months."""
    closed = [m for m in months if m[3] > 0]
    open_months = len(months) - len(closed)
    if not closed:
        return {"budget_to_date": None, "spend_to_date": None, "run_rate": None, "open_months": open_months}
    spend = sum(m[2] for m in closed)
    recent = [m[2] for m in closed[-RUN_RATE_MONTHS:]]
    return {"budget_to_date": sum(m[1] for m in closed), "spend_to_date": spend,
            "run_rate": spend + sum(recent) / len(recent) * open_months, "open_months": open_months}


def forecast_movement(returns) -> float | None:
    """Σ over collaboratives of (latest kept return's outturn − the one before), from (collab, month, Σ outturn);
    None when no collaborative in scope has two returns."""
    by_collab: dict = defaultdict(list)
    for collab, _month, value in sorted(returns, key=lambda r: (r[0], r[1])):
        by_collab[collab].append(value)
    moves = [values[-1] - values[-2] for values in by_collab.values() if len(values) >= 2]
    return sum(moves) if moves else None


def risk_adjusted(outturn, expected_risk, mitigation) -> float | None:
    """Forecast outturn + Σ open risks' value × likelihood − Σ their mitigations (None without risks held)."""
    if outturn is None or expected_risk is None:
        return None
    return outturn + expected_risk - (mitigation or 0.0)


def _money_risk(a) -> dict:
    f, r = a["finance"], a["finance_risk"]
    if not r["finance_applicable"] or not f["finance_applicable"]:
        return {kpi_id: (None, None, None) for kpi_id in MONEY_RISK_IDS}
    d = to_date(r["months"])
    budget, spend = d["budget_to_date"], d["spend_to_date"]
    variance = None if budget is None else spend - budget
    adjusted = risk_adjusted(f["outturn"], r["expected_risk"], r["mitigation"])
    held, committed = r["reserve_held"], r["reserve_committed"]
    reserves = None if held is None else held - (committed or 0.0)
    movement = forecast_movement(r["returns"])
    independent, inpatient = r["independent_actual"], r["inpatient_actual"]
    return {
        "budget_to_date_gbp": (budget, budget, None),
        "variance_to_date_gbp": (variance, spend, budget),
        "run_rate_outturn_gbp": (d["run_rate"], d["run_rate"], None),
        "forecast_movement_gbp": (movement, movement, None),
        "risk_adjusted_outturn_gbp": (adjusted, adjusted, None),
        "reserves_gbp": (reserves, held, committed),
        "independent_sector_spend_pct": (ratio(independent or 0.0, inpatient) if inpatient else None,
                                         independent or 0.0, inpatient),
    }


def _women(a) -> dict:
    census, home, history = a["census_wards"], a["census_home"], a["women_history"]
    return {
        "women_share_pct": (ratio(census["women_in_bed"], census["secure_in_bed"]), census["women_in_bed"],
                            census["secure_in_bed"]),
        "women_median_los_days": (_float(census["women_median_los_days"]), None, census["women_los_n"]),
        "women_median_distance_km": (_float(home["women_median_distance_km"]), None, home["women_distance_n"]),
        "women_mean_hospitals": (ratio(history["hospitals_sum"], history["hospitals_n"], 1),
                                 history["hospitals_sum"], history["hospitals_n"]),
        "women_detained_over_3y_pct": (ratio(history["women_over_3y"], history["women_current_n"]),
                                       history["women_over_3y"], history["women_current_n"]),
    }


def _segregation(a) -> dict:
    seg = a["segregation"]
    people = seg["segregation_people"]
    return {"segregation_people": (people, people, None),
            "segregation_median_days": (_float(seg["segregation_median_days"]), None, seg["segregation_n"])}


def _people_restricted(a) -> dict:
    p = a["people_restricted"]
    return {"people_restricted_pct": (ratio(p["people_restricted"], p["people_in_bed"]), p["people_restricted"],
                                      p["people_in_bed"])}


# Second round (kpi-catalogue-2.md): restrictive practice and safety.
RESTRICTIVE_FAMILIES: list[Family] = [
    per_1000_obd("seclusion_per_1000_obd", "restrictive", "seclusion"),
    per_1000_obd("seclusion_hours_per_1000_obd", "restrictive", "seclusion_hours"),
    Family(("segregation_people", "segregation_median_days"), ("segregation",), _segregation),
    per_1000_obd("rapid_tranquillisation_per_1000_obd", "restrictive", "rapid_tranquillisation"),
    per_1000_obd("mechanical_restraint_per_1000_obd", "restrictive", "mechanical_restraint"),
    Family(("people_restricted_pct",), ("people_restricted",), _people_restricted),
    per_1000_obd("harm_incidents_per_1000_obd", "events", "harm_incidents"),
    per_1000_obd("self_harm_per_1000_obd", "events", "self_harm"),
]

# The registry: every KPI of the catalogue is in exactly one family (a test checks).
FAMILIES: list[Family] = [
    Family(("bed_occupancy_pct", "bed_occupancy_excl_leave_pct"), ("bed_days", "available_days"), _occupancy),
    _count("beds_available_now", "beds_now"),
    _count("occupied_bed_days", "bed_days", "obd"),
    Family(("out_of_area_pct",), ("home_days",), _out_of_area),
    Family(("out_of_area_patients", "median_distance_km"), ("census_home",), _home_now),
    Family(("median_los_days", "mean_los_days", "admissions", "discharges"), ("spells",), _spells),
    Family(("current_los_days",), ("census_wards",), _current_los),
    _count("repatriations", "repatriations"),
    Family(("referrals_received", "median_referral_to_assessment_days", "median_assessment_to_decision_days",
            "median_referral_to_admission_days", "assessment_within_target_pct",
            "prison_transfer_within_28_days_pct", "open_referrals"), ("referrals",), _referrals),
    Family(("delayed_discharge_days_pct",), ("bed_days",), _delayed),
    Family(("readmission_12m_pct",), ("readmissions",), _readmissions),
    per_1000_obd("restrictive_interventions_per_1000_obd", "events", "interventions"),
    per_1000_obd("prone_restraint_per_1000_obd", "events", "prone"),
    per_1000_obd("incidents_per_1000_obd", "events", "incidents"),
    Family(("staffing_fill_rate_pct",), ("staffing",), _staffing),
    Family(tuple(LEDGER_IDS), ("finance",), _money),
    Family(tuple(MONEY_RISK_IDS), ("finance", "finance_risk"), _money_risk),
    Family(("women_share_pct", "women_median_los_days", "women_median_distance_km", "women_mean_hospitals",
            "women_detained_over_3y_pct"), ("census_wards", "census_home", "women_history"), _women),
]
FAMILIES += RESTRICTIVE_FAMILIES
FAMILY_OF: dict[str, Family] = {kpi_id: family for family in FAMILIES for kpi_id in family.ids}


def families_for(kpi_ids) -> list[Family]:
    """The families that compute `kpi_ids`, each once, in registry order."""
    wanted = {id(FAMILY_OF[k]) for k in kpi_ids}
    return [f for f in FAMILIES if id(f) in wanted]


def needs_for(kpi_ids) -> list[str]:
    """The aggregates `kpi_ids` need, each once."""
    return list(dict.fromkeys(name for family in families_for(kpi_ids) for name in family.needs))


def kpi_tables_by_month(engine: sa.Engine, scope_level: str, scope_id: str | None, start: dt.date, end: dt.date,
                        kpi_ids: list[str] | None = None, targets: dict | None = None,
                        viewer: access.Viewer | None = None) -> list[pd.DataFrame]:
    """kpi_table for each calendar month of [start, end] (the last clipped to `end`), oldest first: the same
    values as one kpi_table per month, from one grouped query per aggregate where it has a month grain."""
    if start > end:
        raise ValueError(f"The period starts ({start}) after it ends ({end}).")
    ids = list(kpi_ids or KPI_IDS)
    found = q.kpi_aggregates_by_month(engine, scope_level, scope_id, start, end, needs_for(ids), targets, viewer)
    return [_frame(kpi_values(aggregates, ids), ids) for aggregates in found]


def kpi_values(aggregates: dict[str, dict], kpi_ids) -> dict[str, tuple]:
    """{kpi_id: (value, numerator, denominator)} from the raw aggregates: arithmetic only."""
    out: dict[str, tuple] = {}
    for family in families_for(kpi_ids):
        out |= family.compute(aggregates)
    return {k: out[k] for k in kpi_ids}


def _frame(values: dict[str, tuple], ids) -> pd.DataFrame:
    return pd.DataFrame([(k, KPIS[k].label, *values[k]) for k in ids], columns=COLUMNS)


def kpi_table(engine: sa.Engine, scope_level: str, scope_id: str | None, start: dt.date, end: dt.date,
              kpi_ids: list[str] | None = None, targets: dict | None = None,
              viewer: access.Viewer | None = None) -> pd.DataFrame:
    """One row per KPI (kpi_id, label, value, numerator, denominator) for a node and an inclusive period.

    Raises ValueError (data_access.scope.ScopeError) for an unknown level or code, or start after end,
    and access.AccessDenied when `viewer` may not see the node (None = trusted caller). Money KPIs are
    None where the viewer may not see finance (access.allowed "see finance").
    """
    return kpi_tables(engine, scope_level, scope_id, [(start, end)], kpi_ids, targets, viewer)[0]


def child_table(engine: sa.Engine, scope_level: str, scope_id: str | None, start: dt.date,
                end: dt.date, viewer: access.Viewer | None = None) -> pd.DataFrame:
    """The Overview's KPIs for each child of a node: long format (code, name, kpi_id, label, value, num, den).

    With a `viewer`: AccessDenied unless it may see the node; only the children it may see; and a
    `rule` column with each child's disclosure rule (access.rule_for), which metrics.disclosure applies.
    """
    from data_access.child_queries import children_aggregates

    kids, raw, rules = children_aggregates(engine, scope_level, scope_id, start, end, viewer)
    if not kids:
        return pd.DataFrame(columns=["code", "name", *COLUMNS, *(["rule"] if viewer else [])])
    rows = []
    for code, name in kids:
        agg = raw.loc[code] if code in raw.index else pd.Series(dtype=object)
        values = kpi_values(_ChildAggregates(agg), CHILD_TABLE_IDS)
        rows += [(code, name, kpi_id, KPIS[kpi_id].label, *values[kpi_id]) for kpi_id in CHILD_TABLE_IDS]
    out = pd.DataFrame(rows, columns=["code", "name", *COLUMNS])
    if viewer is not None:
        out["rule"] = out["code"].map(rules)
    return out


class _ChildAggregates(dict):
    """One child's row of child_aggregates seen as {aggregate name: raw sums}, so the registry's arithmetic
    serves the children table too. Sums of nothing are 0; medians and hours of nothing are None."""

    COUNTS = ("obd", "out_of_area_days", "home_days", "admissions", "discharges", "referrals_received",
              "interventions")

    def __init__(self, agg: pd.Series):
        super().__init__()
        self.row = defaultdict(lambda: None, {key: _num(agg, key) for key in agg.index})
        self.row |= {key: int(self.row[key] or 0) for key in (*self.COUNTS, "leave_days")}
        free = self.row["beds_available_now"]
        self.row["beds_available_now"] = None if free is None else int(free)

    def __missing__(self, name: str) -> dict:
        return self.row


def _num(agg: pd.Series, key: str):
    value = agg.get(key)
    return None if value is None or pd.isna(value) else value


def kpi_tables(engine: sa.Engine, scope_level: str, scope_id: str | None, periods: list[tuple[dt.date, dt.date]],
               kpi_ids: list[str] | None = None, targets: dict | None = None,
               viewer: access.Viewer | None = None) -> list[pd.DataFrame]:
    """kpi_table for several periods (e.g. this one and the previous one), fetched side by side."""
    for start, end in periods:
        if start > end:
            raise ValueError(f"The period starts ({start}) after it ends ({end}).")
    ids = list(kpi_ids or KPI_IDS)
    if len(periods) == 1:
        start, end = periods[0]
        found = [q.kpi_aggregates(engine, scope_level, scope_id, start, end, needs_for(ids), targets, viewer)]
    else:
        found = q.kpi_aggregates_for_periods(engine, scope_level, scope_id, periods, needs_for(ids), targets, viewer)
    return [_frame(kpi_values(aggregates, ids), ids) for aggregates in found]
