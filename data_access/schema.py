"""The reporting database, exactly as ../shared/reporting-schema.md declares it.

One SQLAlchemy MetaData; `create_all(engine)` builds it identically on DuckDB and
PostgreSQL. Only portable types (no arrays, no JSON, no engine-specific defaults).
"""

import sqlalchemy as sa
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

metadata = MetaData()

# Code lists the app itself uses (the reporting schema lists the others); the Data quality page checks
# validity against these (data_access/data_quality.py).
SECURITY_LEVELS = ("high", "medium", "low", "picu", "general", "locked_rehab")
SEXES = ("female", "male", "other", "unknown")
ETHNIC_GROUPS = ("white", "black", "asian", "mixed", "other", "not_stated")
REFERRAL_SOURCES = ("prison", "court", "police", "community", "acute_hospital", "other_secure", "other")
DISCHARGE_DESTINATIONS = ("community", "step_down", "prison", "other_hospital", "died", "other")
INTERVENTION_KINDS = (
    "seclusion", "segregation", "prone_restraint", "other_restraint",
    "rapid_tranquillisation", "mechanical_restraint",
)
URGENCIES = ("emergency", "urgent", "routine")
FINANCE_CATEGORIES = (
    "nhs_inpatient", "independent_inpatient", "out_of_area", "community", "reinvestment", "other",
)
INPATIENT_CATEGORIES = ("nhs_inpatient", "independent_inpatient", "out_of_area")

CODE = String(32)
NAME = String(200)


def _census_counts() -> list[Column]:
    """The counts of the census facts (daily, monthly and regional): patients in a bed, on leave, clinically ready."""
    return [Column(name, Integer, nullable=False) for name in ("patients", "on_leave", "ready_for_discharge")]


def _fk(target: str, nullable: bool = False, name: str | None = None) -> Column:
    table, column = target.split(".")
    return Column(name or column, CODE, ForeignKey(target), nullable=nullable)


region = Table(
    "region", metadata,
    Column("region_code", CODE, primary_key=True),
    Column("name", NAME, nullable=False),
)

provider = Table(
    "provider", metadata,
    Column("provider_code", CODE, primary_key=True),
    Column("name", NAME, nullable=False),
    Column("sector", CODE, nullable=False),
    Column("cqc_rating", CODE, nullable=True),
)

collaborative = Table(
    "collaborative", metadata,
    Column("collaborative_id", CODE, primary_key=True),
    Column("name", NAME, nullable=False),
    _fk("region.region_code"),
    Column("service_line", CODE, nullable=False),
    _fk("provider.provider_code", name="lead_provider_code"),
    Column("go_live_date", Date, nullable=False),
)

collaborative_member = Table(
    "collaborative_member", metadata,
    Column("collaborative_id", CODE, ForeignKey("collaborative.collaborative_id"), primary_key=True),
    Column("provider_code", CODE, ForeignKey("provider.provider_code"), primary_key=True),
)

unit = Table(
    "unit", metadata,
    Column("unit_code", CODE, primary_key=True),
    Column("name", NAME, nullable=False),
    _fk("provider.provider_code"),
    Column("postcode", String(16), nullable=False),
    Column("latitude", Double, nullable=False),
    Column("longitude", Double, nullable=False),
)

ward = Table(
    "ward", metadata,
    Column("ward_code", CODE, primary_key=True),
    _fk("unit.unit_code"),
    Column("name", NAME, nullable=False),
    _fk("collaborative.collaborative_id"),
    Column("service_line", CODE, nullable=False),
    Column("security_level", CODE, nullable=False),
    Column("gender", CODE, nullable=False),
    Column("specialism", CODE, nullable=False),
    Column("commissioned_beds", Integer, nullable=False),
    Column("opened_date", Date, nullable=False),
    Column("closed_date", Date, nullable=True),
    # A nationally commissioned service (women's enhanced medium secure, deaf, acquired brain injury, high
    # secure): never out of area, since a collaborative cannot repatriate from it (docs/kpi-definitions.md).
    # NULL (a database from before the column) reads as false.
    Column("nationally_commissioned", Boolean, nullable=True, server_default=sa.false()),
)

locality = Table(
    "locality", metadata,
    Column("locality_code", CODE, primary_key=True),
    Column("name", NAME, nullable=False),
    _fk("region.region_code"),
    Column("latitude", Double, nullable=False),
    Column("longitude", Double, nullable=False),
    Column("population", Integer, nullable=False),
)

locality_collaborative = Table(
    "locality_collaborative", metadata,
    Column("locality_code", CODE, ForeignKey("locality.locality_code"), primary_key=True),
    Column("service_line", CODE, primary_key=True),
    _fk("collaborative.collaborative_id"),
)

calendar = Table(
    "calendar", metadata,
    Column("date", Date, primary_key=True, quote=True),
    Column("financial_year", String(7), nullable=False),
    Column("month_start", Date, nullable=False),
    Column("week_start", Date, nullable=False),
    Column("is_weekday", Boolean, nullable=False),
)

patient = Table(
    "patient", metadata,
    Column("patient_id", CODE, primary_key=True),
    Column("sex", CODE, nullable=False),
    Column("birth_year", Integer, nullable=False),
    Column("ethnic_group", CODE, nullable=False),
    _fk("locality.locality_code", name="home_locality_code"),
    Column("ld_autism", Boolean, nullable=False),
    Column("care_experienced", Boolean, nullable=True),
)

referral = Table(
    "referral", metadata,
    Column("referral_id", CODE, primary_key=True),
    _fk("patient.patient_id"),
    _fk("collaborative.collaborative_id"),
    Column("service_line", CODE, nullable=False),
    Column("security_level", CODE, nullable=False),
    Column("source", CODE, nullable=False),
    Column("urgency", CODE, nullable=False),
    Column("received_date", Date, nullable=False),
    Column("assessment_date", Date, nullable=True),
    Column("decision", CODE, nullable=True),
    Column("decision_date", Date, nullable=True),
    Column("admission_date", Date, nullable=True),
    _fk("ward.ward_code", nullable=True, name="admitted_ward_code"),
    Column("disputed", Boolean, nullable=False),
)

hospital_spell = Table(
    "hospital_spell", metadata,
    Column("spell_id", CODE, primary_key=True),
    _fk("patient.patient_id"),
    _fk("referral.referral_id", nullable=True),
    _fk("provider.provider_code"),
    Column("admission_date", Date, nullable=False),
    Column("discharge_date", Date, nullable=True),
    Column("ready_for_discharge_date", Date, nullable=True),
    Column("discharge_destination", CODE, nullable=True),
    Column("wsbs_pilot", Boolean, nullable=False),
)

ward_stay = Table(
    "ward_stay", metadata,
    Column("ward_stay_id", CODE, primary_key=True),
    _fk("hospital_spell.spell_id"),
    _fk("ward.ward_code"),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=True),
)

leave_episode = Table(
    "leave_episode", metadata,
    Column("leave_id", CODE, primary_key=True),
    _fk("ward_stay.ward_stay_id"),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=True),
)

restrictive_intervention = Table(
    "restrictive_intervention", metadata,
    Column("intervention_id", CODE, primary_key=True),
    _fk("ward.ward_code"),
    _fk("patient.patient_id"),
    Column("started_at", DateTime, nullable=False),
    Column("kind", CODE, nullable=False),
    # null = still going on (hours and days count up to the end of the period or the as-of date)
    Column("ended_at", DateTime, nullable=True),
)

incident = Table(
    "incident", metadata,
    Column("incident_id", CODE, primary_key=True),
    _fk("ward.ward_code"),
    Column("occurred_at", DateTime, nullable=False),
    Column("kind", CODE, nullable=False),
    Column("harm", CODE, nullable=False),
)

bed_state = Table(
    "bed_state", metadata,
    _fk("ward.ward_code"),
    Column("reported_at", DateTime, nullable=False),
    Column("commissioned_beds", Integer, nullable=False),
    Column("occupied", Integer, nullable=False),
    Column("on_leave", Integer, nullable=False),
    Column("closed", Integer, nullable=False),
    Column("reported_by", NAME, nullable=True),
    Column("closed_reason", Text, nullable=True),  # docs/data-in.md: why beds are closed (provider submissions)
    PrimaryKeyConstraint("ward_code", "reported_at"),
)

staffing = Table(
    "staffing", metadata,
    _fk("ward.ward_code"),
    Column("month_start", Date, nullable=False),
    Column("planned_hours", Double, nullable=False),
    Column("actual_hours", Double, nullable=False),
    Column("vacancy_rate_pct", Double, nullable=True),
    PrimaryKeyConstraint("ward_code", "month_start"),
)

# provider_code is part of the contract's primary key but may be null (a
# collaborative-level line). A primary key column cannot be null on either engine,
# so the table keeps a unique index on the four columns instead; importers and the
# generator treat (collaborative_id, month_start, category, provider_code) as the key.
finance_ledger = Table(
    "finance_ledger", metadata,
    _fk("collaborative.collaborative_id"),
    Column("month_start", Date, nullable=False),
    Column("category", CODE, nullable=False),
    _fk("provider.provider_code", nullable=True),
    Column("budget_gbp", Numeric(14, 2), nullable=False),
    Column("actual_gbp", Numeric(14, 2), nullable=True),
    Column("forecast_gbp", Numeric(14, 2), nullable=False),
)

risk_share = Table(
    "risk_share", metadata,
    _fk("collaborative.collaborative_id"),
    _fk("provider.provider_code"),
    Column("financial_year", String(7), nullable=False),
    Column("share_pct", Double, nullable=False),
    PrimaryKeyConstraint("collaborative_id", "provider_code", "financial_year"),
)

# Financial risk (docs/finance.md): each monthly return's forecast outturn kept (not only the latest), the
# risk register and reserves of the lead provider, and the risk-share agreement's tiers as data.
RISK_STATUSES = ("open", "closed")
TIER_DIRECTIONS = ("overspend", "underspend")
TIER_BEARERS = ("lead", "partners", "commissioner", "reinvestment")

finance_forecast_history = Table(
    "finance_forecast_history", metadata,
    _fk("collaborative.collaborative_id"),
    _fk("provider.provider_code", nullable=True),
    Column("category", CODE, nullable=False),
    Column("return_month", Date, nullable=False),  # the last month the return closed (its month end = "as at")
    Column("financial_year", String(7), nullable=False),
    Column("forecast_outturn_gbp", Numeric(14, 2), nullable=False),  # the line's full-year outturn then
)

financial_risk = Table(
    "financial_risk", metadata,
    Column("risk_id", CODE, primary_key=True),
    _fk("collaborative.collaborative_id"),
    Column("financial_year", String(7), nullable=False),
    Column("description", Text, nullable=False),
    Column("value_gbp", Numeric(14, 2), nullable=False),
    Column("likelihood_pct", Double, nullable=False),  # 0-100
    Column("mitigation_gbp", Numeric(14, 2), nullable=False),
    Column("owner", NAME, nullable=False),
    Column("status", CODE, nullable=False),  # RISK_STATUSES
    Column("raised_date", Date, nullable=False),
    Column("review_date", Date, nullable=True),
)

financial_reserve = Table(
    "financial_reserve", metadata,
    _fk("collaborative.collaborative_id"),
    Column("financial_year", String(7), nullable=False),
    Column("held_gbp", Numeric(14, 2), nullable=False),
    Column("committed_gbp", Numeric(14, 2), nullable=False),
    PrimaryKeyConstraint("collaborative_id", "financial_year"),
)

# One row per band of the agreement: for an over- or underspend, tier 1 takes the first |variance| up to its
# bound (up_to_gbp, or up_to_pct of the collaborative's budget; both null = no bound), tier 2 the next...;
# carried_by lead (the lead provider), partners (by risk_share.share_pct), commissioner, reinvestment (the pot).
risk_share_tier = Table(
    "risk_share_tier", metadata,
    _fk("collaborative.collaborative_id"),
    Column("financial_year", String(7), nullable=False),
    Column("direction", CODE, nullable=False),  # TIER_DIRECTIONS
    Column("tier", Integer, nullable=False),
    Column("up_to_gbp", Numeric(14, 2), nullable=True),
    Column("up_to_pct", Double, nullable=True),
    Column("carried_by", CODE, nullable=False),  # TIER_BEARERS
    PrimaryKeyConstraint("collaborative_id", "financial_year", "direction", "tier"),
)

governance_forum = Table(
    "governance_forum", metadata,
    Column("forum_id", CODE, primary_key=True),
    _fk("collaborative.collaborative_id", nullable=True),
    Column("name", NAME, nullable=False),
    Column("parent_forum_id", CODE, ForeignKey("governance_forum.forum_id"), nullable=True),
)

forum_kpi = Table(
    "forum_kpi", metadata,
    Column("forum_id", CODE, ForeignKey("governance_forum.forum_id"), primary_key=True),
    Column("kpi_id", String(64), primary_key=True),
)

kpi_threshold = Table(
    "kpi_threshold", metadata,
    Column("kpi_id", String(64), nullable=False),
    _fk("collaborative.collaborative_id", nullable=True),
    Column("green", Double, nullable=False),
    Column("amber", Double, nullable=False),
)

survey_response = Table(
    "survey_response", metadata,
    Column("survey_id", CODE, nullable=False),
    Column("survey_year", Integer, nullable=True),  # the year the survey was run (shown with its answers)
    Column("cohort", CODE, nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("respondents", Integer, nullable=False),
    Column("count", Integer, nullable=False, quote=True),
)

load_log = Table(
    "load_log", metadata,
    Column("load_id", CODE, primary_key=True),
    Column("feed", CODE, nullable=False),
    Column("loaded_at", DateTime, nullable=False),
    Column("rows", Integer, nullable=False, quote=True),
    Column("source", Text, nullable=False),
    Column("status", CODE, nullable=False),
    Column("message", Text, nullable=True),
)

# Pre-aggregated facts (docs/facts.md), written by every load path in the same transaction as the rows they
# summarise (data_access/facts.py). One row per day, ward and kind of patient in a bed on that day.
ward_day_census = Table(
    "ward_day_census", metadata,
    Column("day", Date, nullable=False),
    _fk("ward.ward_code"),
    Column("sex", CODE, nullable=False),
    Column("security_level", CODE, nullable=False),
    Column("home_region_code", CODE, nullable=True),
    Column("home_collaborative_id", CODE, nullable=True),
    Column("out_of_area", Integer, nullable=False),
    *_census_counts(),
)

# One row per calendar day and ward open that day: its commissioned beds and the beds closed in its latest
# bed_state report of the day (0 without a report). Σ (commissioned_beds - closed_beds) = available bed days.
# reported: 1 when the ward sent a bed_state report that day; occupied: that day's latest report's (null without
# one); census: ward stays in a bed that day (Σ ward_day_census.patients) - data quality's coverage and
# reconciliation.
ward_day_capacity = Table(
    "ward_day_capacity", metadata,
    Column("day", Date, nullable=False),
    _fk("ward.ward_code"),
    Column("commissioned_beds", Integer, nullable=False),
    Column("closed_beds", Integer, nullable=False),
    Column("reported", Integer, nullable=False),
    Column("occupied", Integer, nullable=True),
    Column("census", Integer, nullable=False),
)

# The same two facts summed by calendar month (docs/facts.md): one row per month (its first day), ward and kind of
# patient, the Σ of the daily rows (patients = occupied bed days, commissioned_beds = commissioned bed days...).
# The aggregate layer reads them for the whole months of a period and the daily facts for the days either side.
ward_month_census = Table(
    "ward_month_census", metadata,
    Column("month", Date, nullable=False),
    _fk("ward.ward_code"),
    Column("sex", CODE, nullable=False),
    Column("security_level", CODE, nullable=False),
    Column("home_region_code", CODE, nullable=True),
    Column("home_collaborative_id", CODE, nullable=True),
    Column("out_of_area", Integer, nullable=False),
    *_census_counts(),
)

ward_month_capacity = Table(
    "ward_month_capacity", metadata,
    Column("month", Date, nullable=False),
    _fk("ward.ward_code"),
    Column("commissioned_beds", Integer, nullable=False),
    Column("closed_beds", Integer, nullable=False),
    Column("reported", Integer, nullable=False),  # reported ward-days
    Column("open_days", Integer, nullable=False),  # open ward-days: the month's daily rows of the ward
)

# Events per ward and day (docs/facts.md): incidents (all, no or low harm, moderate harm or worse, self-harm) and
# restrictive interventions started (all, prone restraint, seclusion, rapid tranquillisation, mechanical restraint),
# counted from the raw rows by facts.refresh; a ward-day without an event has no row. Counts, no patient rows. Its
# monthly rollup has the same counts per ward-month.
EVENT_COUNTS = ["incidents", "incidents_low", "incidents_moderate", "self_harm", "interventions", "prone", "seclusion",
                "rapid_tranquillisation", "mechanical_restraint"]
ward_day_events = Table(
    "ward_day_events", metadata,
    Column("day", Date, nullable=False),
    _fk("ward.ward_code"),
    *[Column(name, Integer, nullable=False) for name in EVENT_COUNTS],
)

ward_month_events = Table(
    "ward_month_events", metadata,
    Column("month", Date, nullable=False),
    _fk("ward.ward_code"),
    *[Column(name, Integer, nullable=False) for name in EVENT_COUNTS],
)

# The patients of each calendar month by ward (docs/facts.md): a row (restricted = 0) for each patient with an
# occupied bed day on the ward in the month, and a row (restricted = 1) for each patient with a restrictive
# intervention on the ward running in the month; written by facts.refresh. Patient rows: row-level security as
# ward_stay_fact (scripts/postgres_rls.sql). The monthly people subject to restrictive interventions read it.
patient_month_fact = Table(
    "patient_month_fact", metadata,
    Column("month", Date, nullable=False),
    Column("patient_id", CODE, nullable=False),
    Column("ward_code", CODE, nullable=False),
    Column("restricted", Integer, nullable=False),
)

# Distinct patients of each calendar month under each node of the hierarchy (docs/facts.md), counted from
# patient_month_fact by facts.refresh: in a bed under the node in the month, and of them with a restrictive
# intervention running under the node in the month. code is '' for national. Counts, no patient rows.
node_month_people = Table(
    "node_month_people", metadata,
    Column("level", CODE, nullable=False),
    Column("code", CODE, nullable=False),
    Column("month", Date, nullable=False),
    Column("people_in_bed", Integer, nullable=False),
    Column("people_restricted", Integer, nullable=False),
    PrimaryKeyConstraint("level", "code", "month"),
)

# The daily census and capacity facts summed over each region's wards (docs/facts.md), by the ward's own keys:
# one row per day, region (of the ward's collaborative; null for a ward with none) and kind of patient or ward.
# The aggregate layer reads them for daily series at national and region level (the Bed occupancy page's year of
# days, 25 times fewer rows than the wards'); written with the daily facts by facts.refresh and a bed-state load.
region_day_census = Table(
    "region_day_census", metadata,
    Column("day", Date, nullable=False),
    Column("region_code", CODE, nullable=True),
    Column("sex", CODE, nullable=False),
    Column("security_level", CODE, nullable=False),
    Column("out_of_area", Integer, nullable=False),
    *_census_counts(),
)

region_day_capacity = Table(
    "region_day_capacity", metadata,
    Column("day", Date, nullable=False),
    Column("region_code", CODE, nullable=True),
    Column("security_level", CODE, nullable=False),  # the ward's
    Column("commissioned_beds", Integer, nullable=False),
    Column("closed_beds", Integer, nullable=False),
    Column("reported", Integer, nullable=False),  # reported ward-days
    Column("open_days", Integer, nullable=False),  # open ward-days: the daily rows summed
)

MONTHLY_ROLLUPS = {"ward_day_census": ward_month_census, "ward_day_capacity": ward_month_capacity,
                   "ward_day_events": ward_month_events}  # daily -> monthly
REGION_ROLLUPS = {"ward_day_census": region_day_census, "ward_day_capacity": region_day_capacity}  # daily

# One row per ward stay with its spell, patient, ward, home and out-of-area flag (docs/facts.md): the join every
# patient-level aggregate starts from (kpi_queries.stay_facts), written by facts.refresh. No foreign keys: a
# loader replaces the raw rows first and rewrites these after, in the same transaction.
ward_stay_fact = Table(
    "ward_stay_fact", metadata,
    Column("ward_stay_id", CODE, nullable=False),
    Column("spell_id", CODE, nullable=False),
    Column("ward_code", CODE, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=True),
    Column("patient_id", CODE, nullable=False),
    Column("admission_date", Date, nullable=False),
    Column("discharge_date", Date, nullable=True),
    Column("ready_for_discharge_date", Date, nullable=True),
    Column("spell_provider", CODE, nullable=False),
    Column("unit_code", CODE, nullable=False),
    Column("provider_code", CODE, nullable=False),
    Column("ward_collab", CODE, nullable=False),
    Column("ward_region", CODE, nullable=False),
    Column("service_line", CODE, nullable=False),
    Column("security_level", CODE, nullable=False),
    Column("sex", CODE, nullable=False),
    Column("home_region", CODE, nullable=False),
    Column("home_collab", CODE, nullable=True),
    Column("out_of_area", Integer, nullable=False),
    Column("distance_km", Double, nullable=True),
    # The spell's readmission cohort (kpi_queries.readmission_query): 1 when it was discharged other than to another
    # hospital or by death (a known destination); readmitted: 1 when the same patient was admitted again within 365
    # days after that discharge.
    Column("discharge_counted", Integer, nullable=False),
    Column("readmitted", Integer, nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("at", DateTime, nullable=False, quote=True),
    Column("user_id", NAME, nullable=False),
    Column("role", CODE, nullable=False),
    Column("action", CODE, nullable=False),
    Column("target", Text, nullable=False),
    Column("detail", Text, nullable=True),
)

# Data in (docs/data-in.md): which provider-month submissions of the monthly extract hold which records,
# so that a provider's resubmission of a month replaces exactly that month (data_access/mhsds.py).
extract_submission = Table(
    "extract_submission", metadata,
    _fk("provider.provider_code"),
    Column("month_start", Date, nullable=False),
    Column("first_loaded_at", DateTime, nullable=False),
    Column("loaded_at", DateTime, nullable=False),
    Column("load_id", CODE, nullable=False),
    Column("rows", Integer, nullable=False, quote=True),
    PrimaryKeyConstraint("provider_code", "month_start"),
)

extract_record = Table(
    "extract_record", metadata,
    Column("provider_code", CODE, nullable=False),
    Column("month_start", Date, nullable=False),
    Column("table_name", CODE, nullable=False),
    Column("record_id", CODE, nullable=False),
    PrimaryKeyConstraint("provider_code", "month_start", "table_name", "record_id"),
)

# Governance meetings (docs/governance.md): not in the shared contract, added for the Meeting packs page.
# Times are UTC (naive DateTime holding UTC). Ids are short random hex strings (portable: no sequences).
pack_narrative = Table(
    "pack_narrative", metadata,
    Column("forum_id", CODE, ForeignKey("governance_forum.forum_id"), nullable=False),
    Column("scope_key", String(80), nullable=False),
    Column("month_start", Date, nullable=False),
    Column("kpi_id", String(64), nullable=False),
    Column("written_at", DateTime, nullable=False),
    Column("author", NAME, nullable=False),
    Column("flagged", Boolean, nullable=False),
    Column("text", Text, nullable=False),
    PrimaryKeyConstraint("forum_id", "scope_key", "month_start", "kpi_id", "written_at"),
)

governance_action = Table(
    "governance_action", metadata,
    Column("action_id", CODE, primary_key=True),
    Column("forum_id", CODE, ForeignKey("governance_forum.forum_id"), nullable=False),
    Column("scope_key", String(80), nullable=False),
    Column("meeting_date", Date, nullable=False),
    Column("text", Text, nullable=False),
    Column("owner", NAME, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("status", CODE, nullable=False),
    Column("kpi_id", String(64), nullable=True),
    Column("created_by", NAME, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_by", NAME, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

governance_decision = Table(
    "governance_decision", metadata,
    Column("decision_id", CODE, primary_key=True),
    Column("forum_id", CODE, ForeignKey("governance_forum.forum_id"), nullable=False),
    Column("scope_key", String(80), nullable=False),
    Column("meeting_date", Date, nullable=False),
    Column("text", Text, nullable=False),
    Column("kpi_id", String(64), nullable=True),
    Column("recorded_by", NAME, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
)

published_pack = Table(
    "published_pack", metadata,
    Column("pack_id", CODE, primary_key=True),
    Column("forum_id", CODE, ForeignKey("governance_forum.forum_id"), nullable=False),
    Column("scope_key", String(80), nullable=False),
    Column("meeting_date", Date, nullable=False),
    Column("month_start", Date, nullable=False),
    Column("rule", CODE, nullable=False),
    Column("published_by", NAME, nullable=False),
    Column("published_at", DateTime, nullable=False),
    Column("content", Text, nullable=False),  # the frozen pack as JSON (metrics/governance.freeze)
)

# Indexes the queries need (joins by ward and spell, date-range filters).
Index("ix_finance_ledger_key", finance_ledger.c.collaborative_id, finance_ledger.c.month_start,
      finance_ledger.c.category, finance_ledger.c.provider_code, unique=True)
Index("ix_forecast_history_key", finance_forecast_history.c.collaborative_id, finance_forecast_history.c.return_month,
      finance_forecast_history.c.category, finance_forecast_history.c.provider_code, unique=True)
Index("ix_financial_risk_collab", financial_risk.c.collaborative_id, financial_risk.c.financial_year)
Index("ix_ward_unit", ward.c.unit_code)
Index("ix_ward_collaborative", ward.c.collaborative_id)
Index("ix_unit_provider", unit.c.provider_code)
Index("ix_patient_locality", patient.c.home_locality_code)
Index("ix_referral_collab_received", referral.c.collaborative_id, referral.c.received_date)
Index("ix_referral_ward", referral.c.admitted_ward_code)
Index("ix_spell_patient", hospital_spell.c.patient_id)
Index("ix_spell_provider", hospital_spell.c.provider_code)
Index("ix_ward_stay_spell", ward_stay.c.spell_id)
Index("ix_ward_stay_ward_dates", ward_stay.c.ward_code, ward_stay.c.start_date, ward_stay.c.end_date)
Index("ix_leave_stay", leave_episode.c.ward_stay_id)
Index("ix_ri_ward_time", restrictive_intervention.c.ward_code, restrictive_intervention.c.started_at)
Index("ix_incident_ward_time", incident.c.ward_code, incident.c.occurred_at)
# A period's events across every ward (national and region scopes): a range on the time alone. (No such index on
# hospital_spell's dates: on DuckDB an update of an indexed column is a delete and insert, which the foreign key
# from ward_stay refuses, so a resubmitted spell could not be updated.)
Index("ix_ri_time", restrictive_intervention.c.started_at)
Index("ix_incident_time", incident.c.occurred_at)
Index("ix_kpi_threshold", kpi_threshold.c.kpi_id, kpi_threshold.c.collaborative_id)
Index("ix_load_log_feed", load_log.c.feed, load_log.c.loaded_at)
Index("ix_audit_at", audit_log.c.at)
# PostgreSQL only: the newest bed-state report ('now' for staleness) by an index probe, not a scan of every report
# (0.1 s at national scale); DuckDB reads the column fast and would keep an index of every report in memory.
BED_STATE_TIME = Index("ix_bed_state_time", bed_state.c.reported_at).ddl_if(dialect="postgresql")
# PostgreSQL only: restrictive episodes running in a period (ended_at null or after its start: `ended_at IS NULL OR
# ended_at > start`) by two index probes, not a scan of every episode (by place at England 0.5 s -> 0.18 s).
RI_ENDED = Index("ix_ri_ended", restrictive_intervention.c.ended_at).ddl_if(dialect="postgresql")
Index("ix_ward_day_census_day_ward", ward_day_census.c.day, ward_day_census.c.ward_code)
Index("ix_ward_day_capacity_day_ward", ward_day_capacity.c.day, ward_day_capacity.c.ward_code)
Index("ix_ward_month_census_month_ward", ward_month_census.c.month, ward_month_census.c.ward_code)
Index("ix_region_day_census_day", region_day_census.c.day, region_day_census.c.region_code)
Index("ix_region_day_capacity_day", region_day_capacity.c.day, region_day_capacity.c.region_code)
Index("ix_ward_month_capacity_month_ward", ward_month_capacity.c.month, ward_month_capacity.c.ward_code)
Index("ix_patient_month_fact_month_ward", patient_month_fact.c.month, patient_month_fact.c.ward_code)
Index("ix_ward_day_events_day_ward", ward_day_events.c.day, ward_day_events.c.ward_code)
Index("ix_ward_month_events_month_ward", ward_month_events.c.month, ward_month_events.c.ward_code)
# ward_stay_fact: a spell's or a patient's stays (semi-joins from hospital_spell, per-patient histories), and the
# stays running on an as-of day (end_date null or after it: a few thousand of the table's rows).
Index("ix_ward_stay_fact_spell", ward_stay_fact.c.spell_id)
Index("ix_ward_stay_fact_patient", ward_stay_fact.c.patient_id, ward_stay_fact.c.start_date)
Index("ix_ward_stay_fact_end", ward_stay_fact.c.end_date)
Index("ix_extract_record_id", extract_record.c.table_name, extract_record.c.record_id)
Index("ix_governance_action_forum", governance_action.c.forum_id, governance_action.c.scope_key)
Index("ix_governance_decision_forum", governance_decision.c.forum_id, governance_decision.c.scope_key)
Index("ix_published_pack_key", published_pack.c.forum_id, published_pack.c.scope_key, published_pack.c.meeting_date,
      unique=True)

# Tables the app writes (not loaded from feeds, not made by the demo generator).
APP_TABLES = ("audit_log", "pack_narrative", "governance_action", "governance_decision", "published_pack")

# Order in which tables can be filled (parents first) and emptied (children first).
TABLE_ORDER = [t.name for t in metadata.sorted_tables]


# Nullable columns added after the first release: added to an existing database by create_all.
# IF NOT EXISTS: the same statement on DuckDB and PostgreSQL.
# Columns added since the first round: a database made before them gets them (nullable, so nothing else changes).
ADDED_COLUMNS = ['ALTER TABLE "bed_state" ADD COLUMN IF NOT EXISTS "closed_reason" TEXT',
                 'ALTER TABLE "restrictive_intervention" ADD COLUMN IF NOT EXISTS "ended_at" TIMESTAMP',
                 'ALTER TABLE "ward" ADD COLUMN IF NOT EXISTS "nationally_commissioned" BOOLEAN DEFAULT FALSE',
                 'ALTER TABLE "survey_response" ADD COLUMN IF NOT EXISTS "survey_year" INTEGER']


ADDED_INDEXES = [BED_STATE_TIME, RI_ENDED]  # indexes added since the first round: a database made before them gets them


def create_all(engine) -> None:
    """Create every table and index (no-op for those that exist), and add ADDED_COLUMNS and ADDED_INDEXES where
    missing."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        for statement in ADDED_COLUMNS:
            conn.execute(sa.text(statement))
    if engine.dialect.name == "postgresql":  # the added indexes are PostgreSQL's (and DuckDB cannot list indexes)
        for index in ADDED_INDEXES:
            index.create(engine, checkfirst=True)


def drop_all(engine) -> None:
    metadata.drop_all(engine)
