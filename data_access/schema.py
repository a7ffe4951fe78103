"""The reporting database, exactly as ../shared/reporting-schema.md declares it.

One SQLAlchemy MetaData; `create_all(engine)` builds it identically on DuckDB and
PostgreSQL. Only portable types (no arrays, no JSON, no engine-specific defaults).
"""

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

# Code lists the app itself uses (the reporting schema lists the others).
SEXES = ("female", "male", "other", "unknown")
URGENCIES = ("emergency", "urgent", "routine")
FINANCE_CATEGORIES = (
    "nhs_inpatient", "independent_inpatient", "out_of_area", "community", "reinvestment", "other",
)
INPATIENT_CATEGORIES = ("nhs_inpatient", "independent_inpatient", "out_of_area")

CODE = String(32)
NAME = String(200)


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

audit_log = Table(
    "audit_log", metadata,
    Column("at", DateTime, nullable=False, quote=True),
    Column("user_id", NAME, nullable=False),
    Column("role", CODE, nullable=False),
    Column("action", CODE, nullable=False),
    Column("target", Text, nullable=False),
    Column("detail", Text, nullable=True),
)

# Indexes the queries need (joins by ward and spell, date-range filters).
Index("ix_finance_ledger_key", finance_ledger.c.collaborative_id, finance_ledger.c.month_start,
      finance_ledger.c.category, finance_ledger.c.provider_code, unique=True)
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
Index("ix_kpi_threshold", kpi_threshold.c.kpi_id, kpi_threshold.c.collaborative_id)
Index("ix_load_log_feed", load_log.c.feed, load_log.c.loaded_at)
Index("ix_audit_at", audit_log.c.at)

# Order in which tables can be filled (parents first) and emptied (children first).
TABLE_ORDER = [t.name for t in metadata.sorted_tables]


def create_all(engine) -> None:
    """Create every table and index (no-op for those that exist)."""
    metadata.create_all(engine)


def drop_all(engine) -> None:
    metadata.drop_all(engine)
