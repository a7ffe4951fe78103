"""The weekly bed meeting's reads: people waiting for a bed, patients clinically ready for discharge, and the
arrivals and departures that the occupancy projection extrapolates.

Free beds come from data_access.beds.ward_bed_state (the one free-bed rule, `beds.free_beds`). "Waiting for a
bed" is the one definition of waiting (`kpi_queries.waiting_stage` = awaiting_admission: accepted, not yet
admitted, as of `end`); referral scope as docs/kpi-definitions.md (a waiting referral has no admitted ward, so
below collaborative level nobody is waiting). Clinically ready for discharge: a ward stay in the scope's wards
on `end` whose spell has `ready_for_discharge_date <= end`.

Functions named `*_rows` return one row per patient (pseudonymised ids) and require "see patient rows";
the others aggregate in SQL.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import access, dialect
from data_access.kpi_queries import referral_filter, referral_joins, waiting_stage
from data_access.schema import collaborative, hospital_spell, patient, referral, unit, ward, ward_stay
from data_access.scope import ward_filter

AWAITING = "awaiting_admission"


def _date(value: dt.date):
    return sa.literal(value, sa.Date)


def _frame(conn, query) -> pd.DataFrame:
    result = conn.execute(query)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _waiting_query(conn, viewer, level, code, end: dt.date, columns, patient_level: bool):
    access.require(viewer, "see scope", (level, code), conn)
    if patient_level:
        access.require(viewer, "see patient rows", (level, code), conn)
    joins = referral_joins().join(patient, patient.c.patient_id == referral.c.patient_id)
    return sa.select(*columns).select_from(joins).where(referral_filter(level, code), waiting_stage(end) == AWAITING)


def waiting_rows(conn, viewer, level, code, end: dt.date) -> pd.DataFrame:
    """PATIENT-LEVEL: referrals accepted and awaiting admission on `end`, longest wait first, with days waiting
    since the decision, urgency and the requested security level and gender (the patient's sex)."""
    days = dialect.days_between(referral.c.decision_date, _date(end))
    columns = [referral.c.referral_id, referral.c.collaborative_id, referral.c.urgency,
               referral.c.security_level, patient.c.sex.label("gender"), referral.c.decision_date,
               days.label("days_waiting")]
    query = _waiting_query(conn, viewer, level, code, end, columns, True).order_by(
        referral.c.decision_date, referral.c.referral_id)
    out = _frame(conn, query)
    return out.astype({"days_waiting": "int64"})


def waiting_counts(conn, viewer, level, code, end: dt.date) -> pd.DataFrame:
    """Referrals awaiting admission on `end` by requested security level, gender and urgency (counts)."""
    keys = [referral.c.security_level, patient.c.sex, referral.c.urgency]
    columns = [referral.c.security_level, patient.c.sex.label("gender"), referral.c.urgency,
               sa.func.count().label("waiting")]
    query = _waiting_query(conn, viewer, level, code, end, columns, False).group_by(*keys).order_by(*keys)
    out = _frame(conn, query)
    return out.astype({"waiting": "int64"})


def _in_bed_on(day: dt.date):
    return sa.and_(ward_stay.c.start_date <= _date(day),
                   sa.or_(ward_stay.c.end_date.is_(None), ward_stay.c.end_date > _date(day)))


def _wards_of(joins):
    return (joins.join(unit, unit.c.unit_code == ward.c.unit_code)
            .join(collaborative, collaborative.c.collaborative_id == ward.c.collaborative_id))


def _ready_query(conn, viewer, level, code, end: dt.date, columns, patient_level: bool):
    access.require(viewer, "see scope", (level, code), conn)
    if patient_level:
        access.require(viewer, "see patient rows", (level, code), conn)
    joins = _wards_of(ward_stay.join(hospital_spell, hospital_spell.c.spell_id == ward_stay.c.spell_id)
                      .join(ward, ward.c.ward_code == ward_stay.c.ward_code)).join(
        patient, patient.c.patient_id == hospital_spell.c.patient_id)
    return sa.select(*columns).select_from(joins).where(
        ward_filter(level, code), _in_bed_on(end), hospital_spell.c.ready_for_discharge_date <= _date(end),
        access.ward_rows(viewer, ward.c.ward_code))


def ready_rows(conn, viewer, level, code, end: dt.date) -> pd.DataFrame:
    """PATIENT-LEVEL: patients in a bed of the scope on `end` who are clinically ready for discharge, longest
    first, with their ward, security level, gender and days since they were ready."""
    days = dialect.days_between(hospital_spell.c.ready_for_discharge_date, _date(end))
    columns = [hospital_spell.c.spell_id, ward.c.ward_code, ward.c.name.label("ward_name"),
               unit.c.name.label("unit_name"), ward.c.security_level, patient.c.sex.label("gender"),
               hospital_spell.c.ready_for_discharge_date.label("ready_date"), days.label("days_ready")]
    query = _ready_query(conn, viewer, level, code, end, columns, True).order_by(
        hospital_spell.c.ready_for_discharge_date, hospital_spell.c.spell_id)
    return _frame(conn, query).astype({"days_ready": "int64"})


def ready_counts(conn, viewer, level, code, end: dt.date) -> pd.DataFrame:
    """Patients clinically ready for discharge on `end` by security level and gender: count and the longest
    and total days since ready (for a mean)."""
    days = dialect.days_between(hospital_spell.c.ready_for_discharge_date, _date(end))
    keys = [ward.c.security_level, patient.c.sex]
    columns = [ward.c.security_level, patient.c.sex.label("gender"), sa.func.count().label("ready"),
               sa.func.sum(days).label("days_total"), sa.func.max(days).label("days_longest")]
    query = _ready_query(conn, viewer, level, code, end, columns, False).group_by(*keys).order_by(*keys)
    return _frame(conn, query).astype({"ready": "int64", "days_total": "int64", "days_longest": "int64"})


def flow(conn, viewer, level, code, end: dt.date, weeks: int) -> dict:
    """What the projection extrapolates, for the scope's wards: patients in a bed on `end` (midnight census),
    open beds on `end` (commissioned beds of open wards), and ward stays that started (arrivals) and ended
    (departures) in the `weeks` weeks up to `end` — (end − 7·weeks, end]. Arrivals − departures is exactly
    the change in the census over those weeks (a stay occupies d when start <= d < end)."""
    access.require(viewer, "see scope", (level, code), conn)
    first = end - dt.timedelta(days=7 * weeks)
    scoped = sa.and_(ward_filter(level, code), access.ward_rows(viewer, ward.c.ward_code))
    joins = _wards_of(ward_stay.join(ward, ward.c.ward_code == ward_stay.c.ward_code))
    started = sa.and_(ward_stay.c.start_date > _date(first), ward_stay.c.start_date <= _date(end))
    ended = sa.and_(ward_stay.c.end_date > _date(first), ward_stay.c.end_date <= _date(end))
    counts = conn.execute(sa.select(
        sa.func.count(sa.case((_in_bed_on(end), 1))), sa.func.count(sa.case((started, 1))),
        sa.func.count(sa.case((ended, 1)))).select_from(joins).where(scoped)).one()
    open_on = sa.and_(ward.c.opened_date <= _date(end),
                      sa.or_(ward.c.closed_date.is_(None), ward.c.closed_date > _date(end)))
    beds = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(ward.c.commissioned_beds), 0))
                        .select_from(_wards_of(ward))
                        .where(scoped, open_on)).scalar()
    return {"occupied": int(counts[0]), "arrivals": int(counts[1]), "departures": int(counts[2]),
            "beds": int(beds or 0), "weeks": int(weeks), "first": first, "end": end}
