"""The KPI catalogue (../shared/kpi-catalogue.md) as data: id, label, direction, kind.

Labels are the catalogue's, word for word (a test checks). `kind` says how a value is
formatted and disclosed: count, pct, rate (per 1,000 bed days), days, km, mean, gbp.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kpi:
    kpi_id: str
    label: str
    direction: str  # up, down, neutral
    kind: str  # count, pct, rate, days, km, mean, gbp
    topic: str  # beds, spells, referrals, quality, money, women

    @property
    def unit(self) -> str:
        return {"pct": "%", "rate": "per 1,000 bed days", "days": "days", "km": "km", "gbp": "£"}.get(self.kind, "")


_ROWS = [
    ("bed_occupancy_pct", "Bed occupancy", "neutral", "pct", "beds"),
    ("bed_occupancy_excl_leave_pct", "Bed occupancy excluding leave", "neutral", "pct", "beds"),
    ("beds_available_now", "Beds available now", "neutral", "count", "beds"),
    ("occupied_bed_days", "Occupied bed days", "neutral", "count", "beds"),
    ("out_of_area_pct", "Out of area placements", "down", "pct", "beds"),
    ("out_of_area_patients", "Out of area placements", "down", "count", "beds"),
    ("median_distance_km", "Median distance from home", "down", "km", "beds"),
    ("median_los_days", "Median length of stay", "down", "days", "spells"),
    ("mean_los_days", "Mean length of stay", "down", "days", "spells"),
    ("current_los_days", "Median length of stay of current inpatients", "down", "days", "spells"),
    ("admissions", "Admissions", "neutral", "count", "spells"),
    ("discharges", "Discharges", "neutral", "count", "spells"),
    ("repatriations", "Patients brought back into area", "up", "count", "spells"),
    ("referrals_received", "Referrals received", "neutral", "count", "referrals"),
    ("median_referral_to_assessment_days", "Median days referral to assessment", "down", "days", "referrals"),
    ("median_assessment_to_decision_days", "Median days assessment to decision", "down", "days", "referrals"),
    ("median_referral_to_admission_days", "Median days referral to admission", "down", "days", "referrals"),
    ("assessment_within_target_pct", "Assessments within target", "up", "pct", "referrals"),
    ("prison_transfer_within_28_days_pct", "Prison transfers within 28 days", "up", "pct", "referrals"),
    ("open_referrals", "Referrals waiting", "down", "count", "referrals"),
    ("delayed_discharge_days_pct", "Bed days clinically ready for discharge", "down", "pct", "quality"),
    ("readmission_12m_pct", "Readmissions within 12 months", "down", "pct", "quality"),
    ("restrictive_interventions_per_1000_obd", "Restrictive interventions per 1,000 bed days", "down", "rate",
     "quality"),
    ("prone_restraint_per_1000_obd", "Prone restraint per 1,000 bed days", "down", "rate", "quality"),
    ("incidents_per_1000_obd", "Incidents per 1,000 bed days", "down", "rate", "quality"),
    ("staffing_fill_rate_pct", "Staffing fill rate", "up", "pct", "quality"),
    ("budget_gbp", "Budget", "neutral", "gbp", "money"),
    ("actual_gbp", "Spend to date", "neutral", "gbp", "money"),
    ("forecast_outturn_gbp", "Forecast outturn", "neutral", "gbp", "money"),
    ("variance_gbp", "Variance to budget", "down", "gbp", "money"),
    ("cost_per_obd_gbp", "Cost per occupied bed day", "down", "gbp", "money"),
    ("out_of_area_spend_pct", "Out of area spend", "down", "pct", "money"),
    ("reinvestment_gbp", "Released for reinvestment", "up", "gbp", "money"),
    # --- Second-round money KPIs (../shared/kpi-catalogue-2.md, "Money (lead provider directors)"); docs/finance.md
    ("budget_to_date_gbp", "Budget to date", "neutral", "gbp", "money"),
    ("variance_to_date_gbp", "Variance to date", "down", "gbp", "money"),
    ("run_rate_outturn_gbp", "Run-rate outturn", "neutral", "gbp", "money"),
    ("forecast_movement_gbp", "Forecast movement", "neutral", "gbp", "money"),
    ("risk_adjusted_outturn_gbp", "Risk-adjusted outturn", "down", "gbp", "money"),
    ("reserves_gbp", "Uncommitted reserves", "up", "gbp", "money"),
    ("independent_sector_spend_pct", "Independent sector spend", "neutral", "pct", "money"),
    # --- end of the second-round money block
    ("women_share_pct", "Women in secure beds", "neutral", "pct", "women"),
    ("women_median_los_days", "Women's median length of stay", "down", "days", "women"),
    ("women_median_distance_km", "Women's median distance from home", "down", "km", "women"),
    ("women_mean_hospitals", "Women's mean number of hospitals", "down", "mean", "women"),
    ("women_detained_over_3y_pct", "Women in hospital over 3 years", "down", "pct", "women"),
]

# --- Second round (kpi-catalogue-2.md): restrictive practice and safety for the Clinical Reference Group.
# Labels word for word from that catalogue; definitions in docs/kpi-definitions.md ("Restrictive practice").
_ROWS += [
    ("seclusion_per_1000_obd", "Seclusion per 1,000 bed days", "down", "rate", "quality"),
    ("seclusion_hours_per_1000_obd", "Hours in seclusion per 1,000 bed days", "down", "rate", "quality"),
    ("segregation_people", "People in long-term segregation", "down", "count", "quality"),
    ("segregation_median_days", "Median days in long-term segregation", "down", "days", "quality"),
    ("rapid_tranquillisation_per_1000_obd", "Rapid tranquillisation per 1,000 bed days", "down", "rate", "quality"),
    ("mechanical_restraint_per_1000_obd", "Mechanical restraint per 1,000 bed days", "down", "rate", "quality"),
    ("people_restricted_pct", "Patients subject to restrictive interventions", "down", "pct", "quality"),
    ("harm_incidents_per_1000_obd", "Incidents with moderate harm or worse per 1,000 bed days", "down", "rate",
     "quality"),
    ("self_harm_per_1000_obd", "Self-harm per 1,000 bed days", "down", "rate", "quality"),
]
RESTRICTIVE_IDS = [row[0] for row in _ROWS[-9:]]

KPIS: dict[str, Kpi] = {row[0]: Kpi(*row) for row in _ROWS}
KPI_IDS = list(KPIS)

# What the Overview page shows as tiles, in order.
HEADLINE_IDS = [
    "bed_occupancy_pct", "beds_available_now", "out_of_area_pct", "median_distance_km",
    "admissions", "discharges", "median_los_days", "current_los_days",
    "referrals_received", "median_referral_to_admission_days", "open_referrals",
    "prison_transfer_within_28_days_pct", "restrictive_interventions_per_1000_obd",
    "staffing_fill_rate_pct", "forecast_outturn_gbp", "variance_gbp",
]

# Per-level KPIs shown in the children table on the Overview page.
CHILD_TABLE_IDS = [
    "bed_occupancy_pct", "occupied_bed_days", "beds_available_now", "out_of_area_pct",
    "median_los_days", "admissions", "referrals_received", "restrictive_interventions_per_1000_obd",
    "staffing_fill_rate_pct",
]


def kpi(kpi_id: str) -> Kpi:
    return KPIS[kpi_id]
