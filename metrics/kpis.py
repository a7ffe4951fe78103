"""KPIs of the catalogue for any node and period: `kpi_table(engine, ...)` is the public entry.

data_access returns aggregated numerators and denominators; this module only does
arithmetic on them. Values are raw (unrounded, unsuppressed): metrics/disclosure.py
is the one place that makes them safe to show.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import access
from data_access import kpi_queries as q
from data_access.scope import resolve
from metrics.catalogue import KPI_IDS, KPIS

COLUMNS = ["kpi_id", "label", "value", "numerator", "denominator"]
MONEY_IDS = ["budget_gbp", "actual_gbp", "forecast_outturn_gbp", "variance_gbp", "cost_per_obd_gbp",
             "out_of_area_spend_pct", "reinvestment_gbp"]
# Which KPIs each family of aggregates serves (kpi_values runs only the families asked for).
OCCUPANCY_IDS = {"bed_occupancy_pct", "bed_occupancy_excl_leave_pct"}
BED_IDS = OCCUPANCY_IDS | {"beds_available_now", "occupied_bed_days"}
HOME_IDS = {"out_of_area_pct", "out_of_area_patients", "median_distance_km"}
SPELL_IDS = {"median_los_days", "mean_los_days", "current_los_days", "admissions", "discharges", "repatriations"}
REFERRAL_IDS = {"referrals_received", "median_referral_to_assessment_days", "median_assessment_to_decision_days",
                "median_referral_to_admission_days", "assessment_within_target_pct",
                "prison_transfer_within_28_days_pct", "open_referrals"}
QUALITY_IDS = {"delayed_discharge_days_pct", "readmission_12m_pct", "restrictive_interventions_per_1000_obd",
               "prone_restraint_per_1000_obd", "incidents_per_1000_obd", "staffing_fill_rate_pct"}
WOMEN_IDS = {"women_share_pct", "women_median_los_days", "women_median_distance_km", "women_mean_hospitals",
             "women_detained_over_3y_pct"}


def ratio(numerator, denominator, scale: float = 100.0):
    """numerator ÷ denominator × scale, or None when the denominator is missing or zero."""
    if numerator is None or not denominator:
        return None
    return float(numerator) / float(denominator) * scale


def _float(value):
    return None if value is None else float(value)


def kpi_values(conn: sa.Connection, level: str, code: str | None, start: dt.date, end: dt.date,
               targets: dict | None = None, kpi_ids: list[str] | None = None) -> dict[str, tuple]:
    """{kpi_id: (value, numerator, denominator)} for the KPIs asked for (default: all of the catalogue).

    Only the aggregate queries those KPIs need are run, each at most once.
    """
    want = set(kpi_ids or KPI_IDS)
    memo: dict[str, dict] = {}

    def get(name: str) -> dict:
        if name not in memo:
            memo[name] = _fetch(conn, name, level, code, start, end, targets, detail=bool(want & OCCUPANCY_IDS))
        return memo[name]

    out: dict[str, tuple] = {}
    if want & BED_IDS:
        out |= _bed_kpis(get("beds"), get("beds_now"))
    if want & HOME_IDS:
        out |= _home_kpis(get("home_days"), get("census_home"))
    if want & SPELL_IDS:
        out |= _spell_kpis(get("spells"), get("census_wards"), get("repatriations") if "repatriations" in want
                           else {"repatriations": None})
    if want & REFERRAL_IDS:
        out |= _referral_kpis(get("referrals"))
    if want & QUALITY_IDS:
        readm = get("readmissions") if "readmission_12m_pct" in want else {"readmitted": None,
                                                                            "readmission_denominator": None}
        out |= _quality_kpis(get("beds"), get("events"), get("staffing"), readm)
    if want & set(MONEY_IDS):
        out |= _money_kpis(conn, level, code, get("finance"))
    if want & WOMEN_IDS:
        out |= _women_kpis(get("census_wards"), get("census_home"), get("women_history"))
    return out


def _fetch(conn, name, level, code, start, end, targets, detail: bool) -> dict:
    """One family of raw aggregates from data_access."""
    if name == "beds":
        out = q.bed_days(conn, level, code, start, end, detail=detail)
        return out if detail else out | {"leave_days": 0, "available_days": None}
    calls = {
        "beds_now": lambda: q.beds_now(conn, level, code, end),
        "home_days": lambda: q.home_bed_days(conn, level, code, start, end),
        "census_home": lambda: q.census_home(conn, level, code, end),
        "census_wards": lambda: q.census_wards(conn, level, code, end),
        "spells": lambda: q.spells(conn, level, code, start, end),
        "repatriations": lambda: q.repatriations(conn, level, code, start, end),
        "referrals": lambda: q.referrals(conn, level, code, start, end, targets),
        "events": lambda: q.quality_events(conn, level, code, start, end),
        "staffing": lambda: q.staffing_hours(conn, level, code, start, end),
        "readmissions": lambda: q.readmissions(conn, level, code, start, end),
        "finance": lambda: q.finance(conn, level, code, end),
        "women_history": lambda: q.women_history(conn, level, code, end),
    }
    return calls[name]()


def _bed_kpis(beds, now) -> dict:
    obd, avail = beds["obd"], beds["available_days"]
    excl = obd - beds["leave_days"]
    count = now["beds_available_now"]
    return {
        "bed_occupancy_pct": (ratio(obd, avail), obd, avail),
        "bed_occupancy_excl_leave_pct": (ratio(excl, avail), excl, avail),
        "beds_available_now": (count, count, None),
        "occupied_bed_days": (obd, obd, None),
    }


def _home_kpis(home, census) -> dict:
    ooa = census["out_of_area_patients"]
    return {
        "out_of_area_pct": (ratio(home["out_of_area_days"], home["home_days"]), home["out_of_area_days"],
                            home["home_days"]),
        "out_of_area_patients": (ooa, ooa, None),
        "median_distance_km": (_float(census["median_distance_km"]), None, census["distance_n"]),
    }


def _spell_kpis(spells, census, repat) -> dict:
    n_discharges = spells["discharges"]
    return {
        "median_los_days": (_float(spells["median_los_days"]), None, n_discharges),
        "mean_los_days": (_float(spells["mean_los_days"]), None, n_discharges),
        "current_los_days": (_float(census["current_los_days"]), None, census["current_n"]),
        "admissions": (spells["admissions"], spells["admissions"], None),
        "discharges": (n_discharges, n_discharges, None),
        "repatriations": (repat["repatriations"], repat["repatriations"], None),
    }


def _referral_kpis(r) -> dict:
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


def _quality_kpis(beds, events, staff, readm) -> dict:
    obd = beds["obd"]
    return {
        "delayed_discharge_days_pct": (ratio(beds["delayed_days"], obd), beds["delayed_days"], obd),
        "readmission_12m_pct": (ratio(readm["readmitted"], readm["readmission_denominator"]), readm["readmitted"],
                                readm["readmission_denominator"]),
        "restrictive_interventions_per_1000_obd": (ratio(events["interventions"], obd, 1000), events["interventions"],
                                                   obd),
        "prone_restraint_per_1000_obd": (ratio(events["prone"], obd, 1000), events["prone"], obd),
        "incidents_per_1000_obd": (ratio(events["incidents"], obd, 1000), events["incidents"], obd),
        "staffing_fill_rate_pct": (ratio(staff["actual_hours"], staff["planned_hours"]),
                                   _float(staff["actual_hours"]), _float(staff["planned_hours"])),
    }


def _money_kpis(conn, level, code, f) -> dict:
    if not f["finance_applicable"]:
        return {kpi_id: (None, None, None) for kpi_id in MONEY_IDS}
    budget, actual, outturn = f["budget"], f["actual"], f["outturn"]
    variance = None if outturn is None or budget is None else outturn - budget
    obd = None
    if f["first_closed"] is not None:
        obd = q.closed_months_bed_days(conn, level, code, f["first_closed"], f["last_closed"])
    inpatient = f["inpatient_actual"]
    return {
        "budget_gbp": (budget, budget, None),
        "actual_gbp": (actual, actual, None),
        "forecast_outturn_gbp": (outturn, outturn, None),
        "variance_gbp": (variance, variance, None),
        "cost_per_obd_gbp": (ratio(inpatient, obd, 1), inpatient, obd),
        "out_of_area_spend_pct": (ratio(f["out_of_area_actual"], inpatient), f["out_of_area_actual"], inpatient),
        "reinvestment_gbp": (f["reinvestment"], f["reinvestment"], None),
    }


def _women_kpis(census, home, history) -> dict:
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


def kpi_table(engine: sa.Engine, scope_level: str, scope_id: str | None, start: dt.date, end: dt.date,
              kpi_ids: list[str] | None = None, targets: dict | None = None,
              viewer: access.Viewer | None = None) -> pd.DataFrame:
    """One row per KPI (kpi_id, label, value, numerator, denominator) for a node and an inclusive period.

    Raises ValueError (data_access.scope.ScopeError) for an unknown level or code, or start after end,
    and access.AccessDenied when `viewer` may not see the node (None = trusted caller). Money KPIs are
    None where the viewer may not see finance (access.allowed "see finance").
    """
    if start > end:
        raise ValueError(f"The period starts ({start}) after it ends ({end}).")
    with engine.connect() as conn:
        resolve(conn, scope_level, scope_id)
        access.require(viewer, "see scope", (scope_level, scope_id), conn)
        values = kpi_values(conn, scope_level, scope_id, start, end, targets, kpi_ids)
        if not access.allowed(viewer, "see finance", (scope_level, scope_id), conn):
            values |= {kpi_id: (None, None, None) for kpi_id in MONEY_IDS}
    ids = kpi_ids or KPI_IDS
    rows = [(k, KPIS[k].label, *values[k]) for k in ids]
    return pd.DataFrame(rows, columns=COLUMNS)


def child_table(engine: sa.Engine, scope_level: str, scope_id: str | None, start: dt.date,
                end: dt.date, viewer: access.Viewer | None = None) -> pd.DataFrame:
    """The Overview's KPIs for each child of a node: long format (code, name, kpi_id, label, value, num, den).

    With a `viewer`: AccessDenied unless it may see the node; only the children it may see; and a
    `rule` column with each child's disclosure rule (access.rule_for), which metrics.disclosure applies.
    """
    from data_access.child_queries import child_aggregates
    from data_access.scope import children

    with engine.connect() as conn:
        scope = resolve(conn, scope_level, scope_id)
        access.require(viewer, "see scope", (scope_level, scope_id), conn)
        kids = access.visible_children(conn, viewer, children(conn, scope))
        rules = {k.code: access.rule_for(conn, viewer, k.level, k.code) for k in kids} if viewer else {}
        if not kids:
            return pd.DataFrame(columns=["code", "name", *COLUMNS, *(["rule"] if viewer else [])])
        raw = child_aggregates(conn, kids[0].level, [k.code for k in kids], start, end, (scope_level, scope_id))
    rows = []
    for kid in kids:
        agg = raw.loc[kid.code] if kid.code in raw.index else pd.Series(dtype=object)
        for kpi_id, value in _child_kpis(agg).items():
            rows.append((kid.code, kid.name, kpi_id, KPIS[kpi_id].label, *value))
    out = pd.DataFrame(rows, columns=["code", "name", *COLUMNS])
    if viewer is not None:
        out["rule"] = out["code"].map(rules)
    return out


def _num(agg: pd.Series, key: str):
    value = agg.get(key)
    return None if value is None or pd.isna(value) else value


def _child_kpis(agg: pd.Series) -> dict[str, tuple]:
    obd, avail = _num(agg, "obd") or 0, _num(agg, "available_days")
    ooa, home = _num(agg, "out_of_area_days") or 0, _num(agg, "home_days") or 0
    admissions, referrals = int(_num(agg, "admissions") or 0), int(_num(agg, "referrals_received") or 0)
    interventions = int(_num(agg, "interventions") or 0)
    free = _num(agg, "beds_available_now")
    free = None if free is None else int(free)
    actual, planned = _num(agg, "actual_hours"), _num(agg, "planned_hours")
    return {
        "bed_occupancy_pct": (ratio(obd, avail), int(obd), avail),
        "occupied_bed_days": (int(obd), int(obd), None),
        "beds_available_now": (free, free, None),
        "out_of_area_pct": (ratio(ooa, home), int(ooa), int(home)),
        "median_los_days": (_float(_num(agg, "median_los_days")), None, int(_num(agg, "discharges") or 0)),
        "admissions": (admissions, admissions, None),
        "referrals_received": (referrals, referrals, None),
        "restrictive_interventions_per_1000_obd": (ratio(interventions, obd, 1000), interventions, int(obd)),
        "staffing_fill_rate_pct": (ratio(actual, planned), _float(actual), _float(planned)),
    }


def kpi_tables(engine: sa.Engine, scope_level: str, scope_id: str | None, periods: list[tuple[dt.date, dt.date]],
               kpi_ids: list[str] | None = None, targets: dict | None = None,
               viewer: access.Viewer | None = None) -> list[pd.DataFrame]:
    """kpi_table for several periods (e.g. this one and the previous one), run side by side on separate
    connections: the database works on both at once, so a period change costs one table's time, not two."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, len(periods))) as pool:
        futures = [pool.submit(kpi_table, engine, scope_level, scope_id, start, end, kpi_ids, targets, viewer)
                   for start, end in periods]
        return [future.result() for future in futures]
