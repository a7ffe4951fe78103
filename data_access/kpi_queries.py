"""Aggregated numerators and denominators for the KPI catalogue, computed in SQL.

Each function takes a connection, a scope (level, code) and a period and returns a
dict of raw aggregates (never patient rows). metrics/kpis.py turns them into KPIs.
The precise definitions are in docs/kpi-definitions.md.
"""

import datetime as dt

import sqlalchemy as sa

from data_access import dialect
from data_access.aggregates import capacity_days, census_days, census_totals, events_query
from data_access.grain import MONTH, MONTH_BY, NODE, NODE_BY, Grain, facts_key, ward_joins, ward_key
from data_access.schema import (
    INPATIENT_CATEGORIES,
    bed_state,
    calendar,
    collaborative,
    finance_ledger,
    hospital_spell,
    referral,
    staffing,
    unit,
    ward,
    ward_stay,
    ward_stay_fact,
)
from data_access.scope import HOME_LEVELS, ward_filter

ASSESSMENT_TARGET_DAYS = {"emergency": 2, "urgent": 7, "routine": 14}
PRISON_TRANSFER_DAYS = 28
OVER_3_YEARS_DAYS = 1095
MODERATE_OR_WORSE = ("moderate", "severe", "death")  # incident harm levels counted as "moderate harm or worse"


def _date(value):
    """A DATE literal, or the expression itself when it is one already (a period's bound, month_periods)."""
    return value if isinstance(value, sa.ColumnElement) else sa.literal(value, sa.Date)


def month_periods(start: dt.date, end: dt.date) -> sa.Subquery:
    """One row per calendar month touching [start, end] (month, lo, hi: its first and last day inside the
    range, end1: the day after hi), from the calendar table: the month grain of the KPI aggregates."""
    return (sa.select(calendar.c.month_start.label("month"), sa.func.min(calendar.c.date).label("lo"),
                      sa.func.max(calendar.c.date).label("hi"),
                      dialect.add_days(sa.func.max(calendar.c.date), 1).label("end1"))
            .where(calendar.c.date.between(_date(start), _date(end))).group_by(calendar.c.month_start)
            .subquery("periods"))


def _day(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _by_month(conn, query, convert) -> dict:
    """{month start: convert(values)} of a MONTH grain query (its key first)."""
    return {_day(row[0]): convert(row[1:]) for row in conn.execute(query).all()}


def stay_facts() -> sa.FromClause:
    """One row per ward stay with its ward, spell, patient, home and out-of-area flag: the `ward_stay_fact`
    table (docs/facts.md), written by data_access.facts.refresh from the raw join (facts.stay_rows)."""
    return ward_stay_fact.alias("facts")


def facts_filter(facts, level: str, code: str | None, follow: str = "ward"):
    """Restrict stay facts to a node: by its wards, or (follow='home') by its home patients."""
    if level == "national":
        return sa.true()
    if follow == "home" and level in HOME_LEVELS:
        return facts.c.home_region == code if level == "region" else facts.c.home_collab == code
    column = {
        "region": facts.c.ward_region, "collaborative": facts.c.ward_collab,
        "provider": facts.c.provider_code, "unit": facts.c.unit_code, "ward": facts.c.ward_code,
    }[level]
    return column == code


def _overlap_days(lo_dates, hi_dates):
    """Days in [max(lo_dates), min(hi_dates)), never negative."""
    lo = dialect.greatest(*lo_dates) if len(lo_dates) > 1 else lo_dates[0]
    hi = dialect.least(*hi_dates) if len(hi_dates) > 1 else hi_dates[0]
    return dialect.greatest(sa.literal(0), dialect.days_between(lo, hi))


def _stay_days(facts, start, end1):
    return _overlap_days([facts.c.start_date, _date(start)], [sa.func.coalesce(facts.c.end_date, _date(end1)),
                                                              _date(end1)])


def _in_period(facts, start, end1):
    return sa.and_(facts.c.start_date < _date(end1), sa.func.coalesce(facts.c.end_date, _date(end1)) > _date(start))


def _in_bed_on(facts, day: dt.date):
    """In a bed on `day`: started by it and not ended (end_date null or after it: an index range on end_date)."""
    return sa.and_(facts.c.start_date <= _date(day), sa.or_(facts.c.end_date.is_(None), facts.c.end_date > _date(day)))


def bed_days(conn, level, code, start, end) -> dict:
    """Occupied, leave and clinically-ready bed days under the node (from the daily ward facts)."""
    days = census_totals(conn, level, code, start, end)
    return {"obd": days["obd"], "delayed_days": days["delayed_days"], "leave_days": days["leave_days"]}


def available_days(conn, level, code, start, end) -> dict:
    """Commissioned bed days of the open wards under the node, less the beds reported closed (the daily
    capacity facts, docs/facts.md)."""
    days = capacity_days(conn, level, code, start, end)
    return {"available_days": int(days["available_days"].iloc[0])}


def _scoped_wards(level, code):
    return (ward.join(unit, unit.c.unit_code == ward.c.unit_code)
            .join(collaborative, collaborative.c.collaborative_id == ward.c.collaborative_id)), ward_filter(level, code)


def in_scope(ward_code, level, code):
    """WHERE clause: the row's ward (`ward_code`, a column of a patient-level table) is under the node. Nothing to
    test at national; below, one semi-join on the node's ward codes. For rows that need no column of the hierarchy:
    joining each row to ward, unit and collaborative took three hash probes a row (40 ms for a year of England's
    restrictive episodes on PostgreSQL)."""
    if level == "national":
        return sa.true()
    joins, where = _scoped_wards(level, code)
    return ward_code.in_(sa.select(ward.c.ward_code).select_from(joins).where(where))


def available_days_by_month(conn, level, code, start, end, targets=None) -> dict:
    """{month start: available_days()} for each calendar month of [start, end] (one query)."""
    days = capacity_days(conn, level, code, start, end, by=("month",))
    return {_day(row.month): {"available_days": int(row.available_days)} for row in days.itertuples()}


def latest_reports(bound) -> sa.Subquery:
    """The latest bed_state row of each `ward` (reported before `bound` when given), as a LATERAL subquery
    correlated to the ward table: one index probe per ward (a national as-of read: 17 ms on PostgreSQL,
    where ranking all 2.8 million reports took 14 s). Join it to `ward` on ward_code. `bound` is a datetime, or a
    TIMESTAMP column of a table joined before it (each month's end: the as-of month grain)."""
    query = (sa.select(bed_state.c.ward_code, bed_state.c.reported_at, bed_state.c.commissioned_beds,
                       bed_state.c.occupied, bed_state.c.on_leave, bed_state.c.closed)
             .where(bed_state.c.ward_code == ward.c.ward_code))
    if bound is not None:
        bound = bound if isinstance(bound, sa.ColumnElement) else sa.literal(bound, sa.DateTime)
        query = query.where(bed_state.c.reported_at < bound)
    return query.order_by(bed_state.c.reported_at.desc()).limit(1).lateral("latest")


def free_beds(latest):
    """THE free-bed rule, one SQL expression for the map, the bed meeting and the placement finder: from a ward's
    latest report, max(commissioned − occupied − closed, 0) (the catalogue's beds_available_now per ward)."""
    return dialect.greatest(sa.literal(0), latest.c.commissioned_beds - latest.c.occupied - latest.c.closed)


def beds_now_query(level, code, end, grain: Grain = NODE, start: dt.date | None = None):
    """Σ free beds (free_beds) from the latest bed_state of each open ward under the node, as of the end of `end`,
    by `grain`; by month (from `start`), as of the end of each month's last day in [start, end]."""
    as_of, end1, month = _date(end), dt.datetime.combine(end + dt.timedelta(days=1), dt.time()), None
    source = ward_joins()
    if grain.by == MONTH_BY:
        periods = month_periods(start, end)
        as_of, end1, month = periods.c.hi, sa.cast(periods.c.end1, sa.DateTime), periods.c.month
        source = source.join(periods, sa.true())
    latest = latest_reports(end1)
    return grain.select(grain.key(month=month, child=ward_key), [sa.func.sum(free_beds(latest))],
                        source.join(latest, latest.c.ward_code == ward.c.ward_code),
                        [ward_filter(level, code), ward.c.opened_date <= as_of,
                         sa.or_(ward.c.closed_date.is_(None), ward.c.closed_date > as_of)])


def beds_now(conn, level, code, end) -> dict:
    """Σ free beds (free_beds) from the latest bed_state of each open ward, as of the end of `end`."""
    value = conn.execute(beds_now_query(level, code, end)).scalar()
    return {"beds_available_now": None if value is None else int(value)}


def home_bed_days(conn, level, code, start, end) -> dict:
    """Bed days of the scope's patients in the period, all and out of area."""
    days = census_totals(conn, level, code, start, end, follow="home")
    return {"home_days": days["obd"], "out_of_area_days": days["out_of_area_days"]}


def _as_of(facts, start, end, grain: Grain):
    """(source, as-of day, month key, extra WHERE) of an as-of figure on stay facts: as of `end`, or by month as of
    each month's last day in [start, end] (the stays overlapping the range first, then paired with its months)."""
    if grain.by != MONTH_BY:
        return facts, _date(end), None, []
    periods = month_periods(start, end)
    overlapping = [facts.c.start_date <= _date(end),
                   sa.or_(facts.c.end_date.is_(None), facts.c.end_date > _date(start))]  # before pairing with months
    return facts.join(periods, sa.true()), periods.c.hi, periods.c.month, overlapping


CENSUS_HOME_KEYS = ["out_of_area_patients", "median_distance_km", "distance_n", "women_median_distance_km",
                    "women_distance_n"]


def census_home_query(level, code, end, grain: Grain = NODE, start: dt.date | None = None):
    """The scope's patients in a bed on the as-of date: out-of-area count and distances (by month: as of each
    month's last day)."""
    facts = stay_facts()
    source, as_of, month, where = _as_of(facts, start, end, grain)
    female_secure = sa.and_(facts.c.sex == "female", facts.c.service_line == "adult_secure")
    values = [sa.func.count(sa.distinct(sa.case((facts.c.out_of_area == 1, facts.c.patient_id)))),
              dialect.median(facts.c.distance_km), sa.func.count(facts.c.distance_km),
              dialect.median(sa.case((female_secure, facts.c.distance_km))),
              sa.func.count(sa.case((female_secure, facts.c.distance_km)))]
    return grain.select(grain.key(month=month), values, source,
                        [*where, _in_bed_on(facts, as_of), facts_filter(facts, level, code, follow="home")])


def _census_home_dict(row) -> dict:
    return {"out_of_area_patients": int(row[0]), "median_distance_km": row[1], "distance_n": int(row[2]),
            "women_median_distance_km": row[3], "women_distance_n": int(row[4])}


def census_home(conn, level, code, end) -> dict:
    """The scope's patients in a bed on the as-of date: out-of-area count and distances."""
    return _census_home_dict(conn.execute(census_home_query(level, code, end)).one())


def census_wards_query(level, code, end, grain: Grain = NODE, start: dt.date | None = None):
    """Patients in a bed under the node on the as-of date: current length of stay, women's share and stay (by
    month: as of each month's last day)."""
    facts = stay_facts()
    source, as_of, month, where = _as_of(facts, start, end, grain)
    los = dialect.days_between(facts.c.admission_date, as_of)
    secure = facts.c.service_line == "adult_secure"
    female_secure = sa.and_(facts.c.sex == "female", secure)
    values = [dialect.median(los), sa.func.count(facts.c.patient_id),
              sa.func.count(sa.distinct(sa.case((female_secure, facts.c.patient_id)))),
              sa.func.count(sa.distinct(sa.case((secure, facts.c.patient_id)))),
              dialect.median(sa.case((female_secure, los)))]
    return grain.select(grain.key(month=month), values, source,
                        [*where, _in_bed_on(facts, as_of), facts_filter(facts, level, code)])


def _census_wards_dict(row) -> dict:
    return {"current_los_days": row[0], "current_n": int(row[1]), "women_in_bed": int(row[2]),
            "secure_in_bed": int(row[3]), "women_median_los_days": row[4], "women_los_n": int(row[2])}


def census_wards(conn, level, code, end) -> dict:
    """Patients in a bed under the node on the as-of date: current length of stay, women's share and stay."""
    return _census_wards_dict(conn.execute(census_wards_query(level, code, end)).one())


SPELL_KEYS = ["admissions", "discharges", "median_los_days", "mean_los_days"]


def _admitted_discharged(spells, lo, hi):
    return (spells.c.admission_date.between(_date(lo), _date(hi)),
            spells.c.discharge_date.between(_date(lo), _date(hi)))


def spell_query(level, code, start, end, grain: Grain = NODE):
    """Admissions, discharges and length of stay (median, mean) of the spells with a stay under the node,
    admitted or discharged in [start, end], by `grain` (a month: admitted or discharged in it). From the stay facts
    alone: each stay carries its spell's admission and discharge dates."""
    facts = stay_facts()
    key = facts_key(facts, grain.by) if grain.child else sa.literal("all")
    spells = (sa.select(key.label("key"), facts.c.spell_id, facts.c.admission_date, facts.c.discharge_date)
              .where(facts_filter(facts, level, code), sa.or_(*_admitted_discharged(facts, start, end)))
              .distinct().subquery("spells"))  # a spell once per key, however many stays it had
    source, lo, hi, month = spells, start, end, None
    if grain.by == MONTH_BY:
        periods = month_periods(start, end)
        lo, hi, month = periods.c.lo, periods.c.hi, periods.c.month
        source = source.join(periods, sa.or_(*_admitted_discharged(spells, lo, hi)))
    admitted, discharged = _admitted_discharged(spells, lo, hi)
    los = sa.case((discharged, dialect.days_between(spells.c.admission_date, spells.c.discharge_date)))
    values = [sa.func.count(sa.case((admitted, 1))), sa.func.count(sa.case((discharged, 1))), dialect.median(los),
              sa.func.avg(los)]
    return grain.select(grain.key(month=month, child=lambda _: spells.c.key), values, source, [])


def _spell_dict(row) -> dict:
    return {"admissions": int(row[0]), "discharges": int(row[1]),
            "median_los_days": row[2], "mean_los_days": None if row[3] is None else float(row[3])}


def spells(conn, level, code, start, end) -> dict:
    """Admissions, discharges and length of stay of spells with a stay under the node."""
    return _spell_dict(conn.execute(spell_query(level, code, start, end)).one())


READMISSION_DAYS = 365
NOT_COUNTED_DESTINATIONS = ["other_hospital", "died"]  # transfers and deaths: not in the readmission cohort


def readmission_query(level, code, start, end, grain: Grain = NODE):
    """The readmission cohort of [start, end]: discharges (not transfers or deaths) of spells with a stay under
    the node (its home patients at national, region and collaborative level) dated from start - 365 to end - 365
    days, and those followed by an admission of the same patient within 365 days, by `grain`.

    Shifting the cohort back one year means every discharge counted has had its whole year by `end`, so a
    cohort whose year has not passed (which can only read low) is never reported. A month's row is the
    cohort of that month's dates (the discharges of the same dates a year, 365 days, earlier). From the stay facts
    alone: each stay carries its spell's discharge date, whether the discharge is in the cohort and whether the
    patient came back within the year (facts.stay_rows)."""
    facts = stay_facts()
    lag = dt.timedelta(days=READMISSION_DAYS)
    where = [facts_filter(facts, level, code, follow="home"), facts.c.discharge_counted == 1,
             facts.c.discharge_date.between(_date(start - lag), _date(end - lag))]
    child = facts_key(facts, grain.by, "home") if grain.child else sa.literal("all")
    spells = (sa.select(child.label("key"), facts.c.spell_id, facts.c.discharge_date, facts.c.readmitted)
              .where(*where).distinct().subquery("cohort"))  # a spell once per key, however many stays it had
    source, month = grain.by_day(spells, dialect.add_days(spells.c.discharge_date, READMISSION_DAYS))
    return grain.select(grain.key(month=month, child=lambda _: spells.c.key),
                        [sa.func.count(), sa.func.coalesce(sa.func.sum(spells.c.readmitted), 0)], source, [])


def readmissions(conn, level, code, start, end) -> dict:
    """The readmission cohort (discharges dated start - 365 to end - 365 days, not transfers or deaths) and how
    many were followed by a readmission within 365 days (readmission_query)."""
    row = conn.execute(readmission_query(level, code, start, end)).one()
    return {"readmission_denominator": int(row[0]), "readmitted": int(row[1])}


def _repatriation_moves(level, code, start, end):
    """(the stays of patients with a stay starting in [start, end], each with the previous stay's out-of-area
    flag; the WHERE clause of a move into a home ward from an out-of-area one in the period)."""
    facts = stay_facts()
    movers = sa.select(ward_stay.c.spell_id).where(ward_stay.c.start_date.between(_date(start), _date(end)))
    moved = sa.select(hospital_spell.c.patient_id).where(hospital_spell.c.spell_id.in_(movers))
    ordered = sa.select(
        facts, sa.func.lag(facts.c.out_of_area).over(
            partition_by=facts.c.patient_id, order_by=[facts.c.start_date, facts.c.ward_stay_id]).label("prev_ooa")
    ).where(facts.c.patient_id.in_(moved)).subquery("ordered")  # only patients with a stay starting in the period
    where = sa.and_(ordered.c.start_date.between(_date(start), _date(end)), ordered.c.out_of_area == 0,
                    ordered.c.prev_ooa == 1, facts_filter(ordered, level, code, follow="home"))
    return ordered, where


def repatriations(conn, level, code, start, end) -> dict:
    """Patients moved in the period from an out-of-area ward to a ward in their home collaborative."""
    ordered, where = _repatriation_moves(level, code, start, end)
    value = conn.execute(sa.select(sa.func.count(sa.distinct(ordered.c.patient_id))).where(where)).scalar()
    return {"repatriations": int(value)}


def repatriations_by_month(conn, level, code, start, end, targets=None) -> dict:
    ordered, where = _repatriation_moves(level, code, start, end)
    periods = month_periods(start, end)
    rows = conn.execute(
        sa.select(periods.c.month, sa.func.count(sa.distinct(ordered.c.patient_id)))
        .select_from(ordered.join(periods, ordered.c.start_date.between(periods.c.lo, periods.c.hi)))
        .where(where).group_by(periods.c.month)).all()
    return {_day(month): {"repatriations": int(value)} for month, value in rows}


def referral_filter(level, code):
    """WHERE clause on referral (joined to collaborative and, outer, to the admitted ward and unit)."""
    if level == "national":
        return sa.true()
    if level == "region":
        return collaborative.c.region_code == code
    if level == "collaborative":
        return referral.c.collaborative_id == code
    return ward_filter(level, code)


def referral_joins():
    return (referral.join(collaborative, collaborative.c.collaborative_id == referral.c.collaborative_id)
            .outerjoin(ward, ward.c.ward_code == referral.c.admitted_ward_code)
            .outerjoin(unit, unit.c.unit_code == ward.c.unit_code))


REFERRAL_KEYS = ["referrals_received", "median_referral_to_assessment_days", "assessed",
                 "median_assessment_to_decision_days", "decided", "median_referral_to_admission_days", "admitted",
                 "assessed_within_target", "prison_admitted", "prison_within_28", "open_referrals", "open_median_age"]


def _referral_key(level):
    """The column of referral_joins() naming the child a referral counts for: its collaborative's (region,
    collaborative), else its admitting ward's."""
    if level == "region":
        return collaborative.c.region_code
    return referral.c.collaborative_id if level == "collaborative" else ward_key(level)


def referral_query(level, code, start, end, targets=None, grain: Grain = NODE, keys=None):
    """Referral counts, stage medians, within-target shares and the waiting list as of the period's last day,
    for [start, end], by `grain`: the columns `keys` of REFERRAL_KEYS (default all), in that order."""
    targets = targets or ASSESSMENT_TARGET_DAYS
    r = referral
    source, lo, hi, month = referral_joins(), _date(start), _date(end), None
    if grain.by == MONTH_BY:
        periods = month_periods(start, end)
        source, lo, hi, month = source.join(periods, sa.true()), periods.c.lo, periods.c.hi, periods.c.month
    period = lambda col: sa.and_(col >= lo, col <= hi)  # noqa: E731
    to_assess = dialect.days_between(r.c.received_date, r.c.assessment_date)
    to_decide = dialect.days_between(r.c.assessment_date, r.c.decision_date)
    to_admit = dialect.days_between(r.c.received_date, r.c.admission_date)
    target = sa.case(*[(r.c.urgency == k, v) for k, v in targets.items()], else_=None)
    assessed = period(r.c.assessment_date)
    decided = sa.and_(period(r.c.decision_date), r.c.assessment_date.is_not(None))
    admitted = period(r.c.admission_date)
    prison = sa.and_(admitted, r.c.source == "prison")
    waiting = _waiting(hi)
    values = dict(zip(REFERRAL_KEYS, [
        sa.func.count(sa.case((period(r.c.received_date), 1))),
        dialect.median(sa.case((assessed, to_assess))), sa.func.count(sa.case((assessed, 1))),
        dialect.median(sa.case((decided, to_decide))), sa.func.count(sa.case((decided, 1))),
        dialect.median(sa.case((admitted, to_admit))), sa.func.count(sa.case((admitted, 1))),
        sa.func.count(sa.case((sa.and_(assessed, to_assess <= target), 1))),
        sa.func.count(sa.case((prison, 1))),
        sa.func.count(sa.case((sa.and_(prison, to_admit <= PRISON_TRANSFER_DAYS), 1))),
        sa.func.count(sa.case((waiting, 1))),
        dialect.median(sa.case((waiting, dialect.days_between(r.c.received_date, hi)))),
    ]))
    where = [referral_filter(level, code), _referral_in_play(lo, hi)]
    if grain.by == MONTH_BY:  # the same test over the whole range first, on the referrals alone: only those are
        where.append(_referral_in_play(_date(start), _date(end)))  # paired with the months (0.6 → 0.1 s on PG)
    if keys == ["referrals_received"]:  # the count alone needs only the referrals received in the period
        where.append(period(r.c.received_date))
    return grain.select(grain.key(month=month, child=_referral_key), [values[k] for k in keys or REFERRAL_KEYS],
                        source, where)


def _referral_in_play(lo, hi):
    """The referrals that can count in [lo, hi]: a date of theirs falls in it, or they may be waiting at `hi`
    (undecided, or accepted and not admitted). The rest (closed before `lo`, or all dates after `hi`) add nothing
    to any column, so leaving them out changes no figure; it keeps years of closed referrals out of each period
    (a month grain pairs each referral with every month)."""
    r = referral
    dates = [r.c.received_date, *[sa.func.coalesce(d, r.c.received_date)
                                  for d in (r.c.assessment_date, r.c.decision_date, r.c.admission_date)]]
    open_ = sa.or_(r.c.decision_date.is_(None), sa.and_(r.c.decision == "accepted", r.c.admission_date.is_(None)))
    return sa.and_(dialect.least(*dates) <= hi, sa.or_(dialect.greatest(*dates) >= lo, open_))


def referrals(conn, level, code, start, end, targets=None) -> dict:
    """Referral counts, stage medians, within-target shares and the waiting list size."""
    row = conn.execute(referral_query(level, code, start, end, targets)).one()
    return dict(zip(REFERRAL_KEYS, row))


def waiting_stage(end):
    """CASE giving the waiting stage of an open referral as of `end` (NULL when not open): the one definition
    of "waiting" (the open_referrals KPI counts the referrals where it is not NULL)."""
    r = referral
    as_of = _date(end)  # a date, or a period's last day
    received = r.c.received_date <= as_of
    undecided = sa.and_(received, sa.or_(r.c.decision_date.is_(None), r.c.decision_date > as_of))
    not_assessed = sa.or_(r.c.assessment_date.is_(None), r.c.assessment_date > as_of)
    accepted_waiting = sa.and_(received, r.c.decision == "accepted", r.c.decision_date <= as_of,
                               sa.or_(r.c.admission_date.is_(None), r.c.admission_date > as_of))
    return sa.case(
        (sa.and_(undecided, not_assessed), "awaiting_assessment"),
        (undecided, "awaiting_decision"),
        (accepted_waiting, "awaiting_admission"),
        else_=None,
    )


def _waiting(end):
    return waiting_stage(end).is_not(None)


INTERVENTION_KEYS = ["interventions", "prone"]
INCIDENT_KEYS = ["incidents", "incidents_low", "incidents_moderate", "self_harm"]


def _ward_rows(table, level, code, grain: Grain, day=None, month=None):
    """(source, key, WHERE) of `table`'s rows on the wards under the node, keyed by the grain: by month, the
    column `month`, else the calendar month of `day`; by child, the child the row's ward is under."""
    source = ward_joins().join(table, table.c.ward_code == ward.c.ward_code)
    if month is None:
        source, month = grain.by_day(source, day)
    return source, grain.key(month=month, child=ward_key), [ward_filter(level, code)]


def counted_events(names, level, code, start, end, grain: Grain = NODE):
    """SELECT [key,] the event counts `names` (schema.EVENT_COUNTS) of the facts in [start, end] on the wards under
    the node (aggregates.events_query), by `grain`."""
    by = () if grain.by == NODE_BY else (grain.by,)
    return events_query(names, level, code, start, end, by, None if grain.codes is None else list(grain.codes))


def intervention_query(level, code, start, end, grain: Grain = NODE):
    """Restrictive interventions (all, prone restraint) started in [start, end] on wards under the node
    (INTERVENTION_KEYS), by `grain`: from the event facts (facts._event_rows counts them)."""
    return counted_events(INTERVENTION_KEYS, level, code, start, end, grain)


def incident_query(level, code, start, end, grain: Grain = NODE):
    """Incidents in [start, end] on wards under the node: all, no or low harm, moderate harm or worse, self-harm
    (INCIDENT_KEYS), by `grain`: from the event facts (facts._event_rows counts them)."""
    return counted_events(INCIDENT_KEYS, level, code, start, end, grain)


def quality_events(conn, level, code, start, end) -> dict:
    """Restrictive interventions (all, prone) and incidents on wards under the node in the period."""
    row = conn.execute(intervention_query(level, code, start, end)).one()
    incidents = conn.execute(incident_query(level, code, start, end)).one()
    return {"interventions": int(row[0]), "prone": int(row[1]), "incidents": int(incidents[0]),
            "harm_incidents": int(incidents[2]), "self_harm": int(incidents[3])}


def staffing_query(level, code, start, end, grain: Grain = NODE):
    """Σ actual and planned staffing hours of the wards under the node, for the months from start's to end's,
    by `grain` (a month: its own month's return)."""
    s = staffing
    source, key, where = _ward_rows(s, level, code, grain, month=s.c.month_start)
    return grain.select(key, [sa.func.sum(s.c.actual_hours), sa.func.sum(s.c.planned_hours)], source,
                        [*where, s.c.month_start >= _date(start.replace(day=1)), s.c.month_start <= _date(end)])


def staffing_hours(conn, level, code, start, end) -> dict:
    row = conn.execute(staffing_query(level, code, start, end)).one()
    return {"actual_hours": row[0], "planned_hours": row[1]}


def financial_year(day: dt.date) -> tuple[str, dt.date, dt.date]:
    """('2024/25', 1 April 2024, 31 March 2025) for a date in that financial year."""
    first = day.year if day.month >= 4 else day.year - 1
    return f"{first}/{str(first + 1)[-2:]}", dt.date(first, 4, 1), dt.date(first + 1, 3, 31)


def finance_filter(level, code):
    if level == "national":
        return sa.true()
    if level == "region":
        return collaborative.c.region_code == code
    if level == "collaborative":
        return finance_ledger.c.collaborative_id == code
    if level == "provider":
        return finance_ledger.c.provider_code == code
    return None


def finance(conn, level, code, end) -> dict:
    """Ledger sums for the financial year of `end`; None at unit and ward level (no finance there)."""
    where = finance_filter(level, code)
    if where is None:
        return {"finance_applicable": False}
    _, fy_start, fy_end = financial_year(end)
    f = finance_ledger
    inpatient = f.c.category.in_(INPATIENT_CATEGORIES)
    row = conn.execute(
        sa.select(
            sa.func.sum(f.c.budget_gbp), sa.func.sum(f.c.actual_gbp),
            sa.func.sum(sa.func.coalesce(f.c.actual_gbp, f.c.forecast_gbp)),
            sa.func.sum(sa.case((inpatient, f.c.actual_gbp))),
            sa.func.sum(sa.case((f.c.category == "out_of_area", f.c.actual_gbp))),
            sa.func.sum(sa.case((f.c.category == "reinvestment", f.c.actual_gbp))),
            sa.func.min(sa.case((sa.and_(inpatient, f.c.actual_gbp.is_not(None)), f.c.month_start))),
            sa.func.max(sa.case((sa.and_(inpatient, f.c.actual_gbp.is_not(None)), f.c.month_start))),
        ).select_from(f.join(collaborative, collaborative.c.collaborative_id == f.c.collaborative_id))
        .where(where, f.c.month_start.between(_date(fy_start), _date(fy_end)))
    ).one()
    keys = ["budget", "actual", "outturn", "inpatient_actual", "out_of_area_actual", "reinvestment",
            "first_closed", "last_closed"]
    out = {k: (float(v) if v is not None and k not in ("first_closed", "last_closed") else v)
           for k, v in zip(keys, row)}
    out["finance_applicable"] = True
    return out


def women_history(conn, level, code, end) -> dict:
    """Current female adult-secure inpatients: distinct hospitals (home rule) and continuous stay > 3 years."""
    facts = stay_facts()
    female_secure = sa.and_(facts.c.sex == "female", facts.c.service_line == "adult_secure", _in_bed_on(facts, end))
    home_women = sa.select(facts.c.patient_id).where(
        female_secure, facts_filter(facts, level, code, follow="home")).distinct().subquery("home_women")
    all_stays = stay_facts()
    per_woman = (
        sa.select(home_women.c.patient_id, sa.func.count(sa.distinct(all_stays.c.unit_code)).label("units"))
        .select_from(home_women.join(all_stays, all_stays.c.patient_id == home_women.c.patient_id))
        .where(all_stays.c.start_date <= _date(end)).group_by(home_women.c.patient_id).subquery("per_woman")
    )
    hospitals = conn.execute(sa.select(sa.func.sum(per_woman.c.units), sa.func.count())).one()
    ward_women = sa.select(facts.c.patient_id).where(female_secure, facts_filter(facts, level, code)).distinct()
    islands = _continuous_starts(end, ward_women).subquery("islands")
    over = conn.execute(
        sa.select(sa.func.count(),
                  sa.func.count(sa.case((dialect.days_between(islands.c.stay_start, _date(end)) > OVER_3_YEARS_DAYS,
                                         1))))
        .where(islands.c.patient_id.in_(ward_women), islands.c.is_current == 1)
    ).one()
    return {"hospitals_sum": int(hospitals[0] or 0), "hospitals_n": int(hospitals[1]),
            "women_current_n": int(over[0]), "women_over_3y": int(over[1])}


def _continuous_starts(end, patients=None):
    """Per patient's spell admitted by `end`: the start of its continuous stay, and whether it is current; only
    the spells of `patients` (a select of patient ids) when given, so the windows run over those alone."""
    s = hospital_spell
    as_of = _date(end)
    prev_discharge = sa.func.lag(s.c.discharge_date).over(
        partition_by=s.c.patient_id, order_by=[s.c.admission_date, s.c.spell_id])
    marked = sa.select(
        s.c.patient_id, s.c.spell_id, s.c.admission_date, s.c.discharge_date,
        sa.case((prev_discharge.is_(None), 1), (s.c.admission_date > prev_discharge + 1, 1), else_=0).label("new"),
    ).where(s.c.admission_date <= as_of)
    if patients is not None:
        marked = marked.where(s.c.patient_id.in_(patients))
    marked = marked.subquery("marked")
    numbered = sa.select(
        marked, sa.func.sum(marked.c.new).over(
            partition_by=marked.c.patient_id, order_by=[marked.c.admission_date, marked.c.spell_id]).label("island"),
    ).subquery("numbered")
    current = sa.or_(numbered.c.discharge_date.is_(None), numbered.c.discharge_date > as_of)
    return sa.select(
        numbered.c.patient_id,
        sa.func.min(numbered.c.admission_date).over(
            partition_by=[numbered.c.patient_id, numbered.c.island]).label("stay_start"),
        sa.case((current, 1), else_=0).label("is_current"),
    )


def closed_months_bed_days(conn, level, code, first: dt.date, last: dt.date) -> int:
    """OBD of the wards under the node from the first day of `first` month to the end of `last` month."""
    next_month = dt.date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    return bed_days(conn, level, code, first, next_month - dt.timedelta(days=1))["obd"]


def finance_year(conn, level, code, end) -> dict:
    """finance() with the occupied bed days of the closed months (the cost per bed day's denominator)."""
    out = finance(conn, level, code, end)
    if out["finance_applicable"]:
        closed = out["first_closed"] is not None
        out["closed_obd"] = closed_months_bed_days(conn, level, code, out["first_closed"], out["last_closed"]) \
            if closed else None
    return out


def data_as_of(conn) -> dict:
    """When each feed last loaded (load_log), and whether the data is the synthetic demo."""
    from data_access.schema import load_log

    rows = conn.execute(
        sa.select(load_log.c.feed, sa.func.max(load_log.c.loaded_at))
        .where(load_log.c.status == "ok").group_by(load_log.c.feed).order_by(load_log.c.feed)).all()
    demo = conn.execute(sa.select(sa.func.count()).where(load_log.c.source.like("demo:%"))).scalar()
    last_day = conn.execute(sa.select(sa.func.max(calendar.c.date))).scalar()
    return {"feeds": {feed: at for feed, at in rows}, "is_demo": bool(demo), "calendar_end": last_day}


# The KPI aggregates by name: each is (conn, level, code, start, end, targets) -> dict of raw sums.
# metrics/kpis.py's registry says which of them each KPI needs; kpi_aggregates runs only those, once each.
AGGREGATES = {
    "bed_days": lambda c, lv, k, s, e, t: bed_days(c, lv, k, s, e),
    "available_days": lambda c, lv, k, s, e, t: available_days(c, lv, k, s, e),
    "beds_now": lambda c, lv, k, s, e, t: beds_now(c, lv, k, e),
    "home_days": lambda c, lv, k, s, e, t: home_bed_days(c, lv, k, s, e),
    "census_home": lambda c, lv, k, s, e, t: census_home(c, lv, k, e),
    "census_wards": lambda c, lv, k, s, e, t: census_wards(c, lv, k, e),
    "spells": lambda c, lv, k, s, e, t: spells(c, lv, k, s, e),
    "repatriations": lambda c, lv, k, s, e, t: repatriations(c, lv, k, s, e),
    "referrals": lambda c, lv, k, s, e, t: referrals(c, lv, k, s, e, t),
    "events": lambda c, lv, k, s, e, t: quality_events(c, lv, k, s, e),
    "staffing": lambda c, lv, k, s, e, t: staffing_hours(c, lv, k, s, e),
    "readmissions": lambda c, lv, k, s, e, t: readmissions(c, lv, k, s, e),
    "finance": lambda c, lv, k, s, e, t: finance_year(c, lv, k, e),
    "women_history": lambda c, lv, k, s, e, t: women_history(c, lv, k, e),
    "finance_risk": lambda c, lv, k, s, e, t: _finance_risk(c, lv, k, e),
}


def _finance_risk(conn, level, code, end) -> dict:
    from data_access.finance import finance_risk  # the finance page's module builds on this one

    return finance_risk(conn, level, code, end)


def _restrictive(name: str):
    """An aggregate of data_access/restrictive.py (imported when run: it builds on this module)."""
    def run(conn, level, code, start, end, targets):
        from data_access import restrictive

        return getattr(restrictive, name)(conn, level, code, start, end)
    return run


# Restrictive practice (the second catalogue): seclusion etc. started, seclusion hours; long-term segregation
# open on the as-of date; people subject to restrictive interventions.
AGGREGATES |= {"restrictive": _restrictive("events"), "segregation": _restrictive("segregation"),
               "people_restricted": _restrictive("people")}
# Aggregates hidden (not applicable) where the viewer may not see finance (access.allowed "see finance").
NOT_APPLICABLE = {"finance": {"finance_applicable": False}, "finance_risk": {"finance_applicable": False}}


def kpi_aggregates(engine, level: str, code: str | None, start: dt.date, end: dt.date, names, targets=None,
                   viewer=None) -> dict[str, dict]:
    """{aggregate name: raw sums} for a node and an inclusive period, each aggregate run once.

    Raises ScopeError for an unknown node and access.AccessDenied when `viewer` may not see it (None =
    trusted caller); the finance aggregate is left out (not applicable) where the viewer may not see finance.
    """
    from data_access import access
    from data_access.scope import resolve

    with engine.connect() as conn:
        resolve(conn, level, code)
        access.require(viewer, "see scope", (level, code), conn)
        hidden = set() if access.allowed(viewer, "see finance", (level, code), conn) else set(NOT_APPLICABLE)
        return {name: NOT_APPLICABLE[name] if name in hidden else AGGREGATES[name](conn, level, code, start, end,
                                                                                     targets)
                for name in names}


def kpi_aggregates_for_periods(engine, level, code, periods, names, targets=None, viewer=None) -> list[dict]:
    """kpi_aggregates for several (start, end) periods, side by side on separate connections: the database
    works on them at once, so a period change costs one period's time, not two."""
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, len(periods))) as pool:  # each in a copy of this thread's context:
        futures = [pool.submit(contextvars.copy_context().run, kpi_aggregates,  # the viewer row-level security names
                               engine, level, code, start, end, names, targets, viewer)
                   for start, end in periods]
        return [future.result() for future in futures]


def bed_days_by_month(conn, level, code, start, end, targets=None) -> dict:
    days = census_days(conn, level, code, start, end, by=("month",))
    return {_day(row.month): {"obd": int(row.obd), "delayed_days": int(row.delayed_days),
                              "leave_days": int(row.leave_days)} for row in days.itertuples()}


def home_days_by_month(conn, level, code, start, end, targets=None) -> dict:
    days = census_days(conn, level, code, start, end, by=("month",), follow="home")
    return {_day(row.month): {"home_days": int(row.obd), "out_of_area_days": int(row.out_of_area_days)}
            for row in days.itertuples()}


def spells_by_month(conn, level, code, start, end, targets=None) -> dict:
    return _by_month(conn, spell_query(level, code, start, end, MONTH), _spell_dict)


def referrals_by_month(conn, level, code, start, end, targets=None) -> dict:
    return _by_month(conn, referral_query(level, code, start, end, targets, MONTH),
                     lambda row: dict(zip(REFERRAL_KEYS, row)))


def events_by_month(conn, level, code, start, end, targets=None) -> dict:
    months: dict = {}
    for query, convert in (
            (intervention_query(level, code, start, end, MONTH), lambda r: {"interventions": int(r[0]),
                                                                             "prone": int(r[1])}),
            (incident_query(level, code, start, end, MONTH), lambda r: {"incidents": int(r[0]),
                                                                         "harm_incidents": int(r[2]),
                                                                         "self_harm": int(r[3])})):
        for month, value in _by_month(conn, query, convert).items():
            months.setdefault(month, dict(EMPTY_MONTH["events"])).update(value)
    return months


def staffing_by_month(conn, level, code, start, end, targets=None) -> dict:
    return _by_month(conn, staffing_query(level, code, start, end, MONTH),
                     lambda row: {"actual_hours": row[0], "planned_hours": row[1]})


def readmissions_by_month(conn, level, code, start, end, targets=None) -> dict:
    return _by_month(conn, readmission_query(level, code, start, end, MONTH),
                     lambda row: {"readmission_denominator": int(row[0]), "readmitted": int(row[1])})


# The aggregates with a month grain: one query gives every month of a range (the packs' monthly series).
# What a month without rows reads, for each.
def _as_of_by_month(query, convert):
    """An as-of aggregate by month: {month start: convert(row)} as of each month's last day in [start, end]."""
    def by_month(conn, level, code, start, end, targets=None) -> dict:
        rows = conn.execute(query(level, code, end, MONTH, start)).all()
        return {_day(row[0]): convert(row[1:]) for row in rows}
    return by_month


BY_MONTH = {
    "census_home": _as_of_by_month(census_home_query, _census_home_dict),
    "census_wards": _as_of_by_month(census_wards_query, _census_wards_dict),
    "beds_now": _as_of_by_month(beds_now_query,
                                lambda row: {"beds_available_now": None if row[0] is None else int(row[0])}),
    "bed_days": bed_days_by_month, "home_days": home_days_by_month, "available_days": available_days_by_month,
    "spells": spells_by_month, "referrals": referrals_by_month, "repatriations": repatriations_by_month,
    "events": events_by_month, "staffing": staffing_by_month, "readmissions": readmissions_by_month,
}
EMPTY_MONTH = {
    "census_home": {"out_of_area_patients": 0, "median_distance_km": None, "distance_n": 0,
                    "women_median_distance_km": None, "women_distance_n": 0},
    "census_wards": {"current_los_days": None, "current_n": 0, "women_in_bed": 0, "secure_in_bed": 0,
                     "women_median_los_days": None, "women_los_n": 0},
    "beds_now": {"beds_available_now": None},
    "bed_days": {"obd": 0, "delayed_days": 0, "leave_days": 0},
    "home_days": {"home_days": 0, "out_of_area_days": 0},
    "available_days": {"available_days": 0},
    "spells": {"admissions": 0, "discharges": 0, "median_los_days": None, "mean_los_days": None},
    "repatriations": {"repatriations": 0},
    "events": {"interventions": 0, "prone": 0, "incidents": 0, "harm_incidents": 0, "self_harm": 0},
    "staffing": {"actual_hours": None, "planned_hours": None},
    "readmissions": {"readmission_denominator": 0, "readmitted": 0},
}
BY_MONTH |= {"restrictive": _restrictive("events_by_month"), "segregation": _restrictive("segregation_by_month"),
             "people_restricted": _restrictive("people_by_month")}  # restrictive practice (issue 18); a month
# without a row is asked again on its own (no EMPTY_MONTH entry), so a clipped first month is never read as empty
# Aggregates that depend only on the financial year of the period's end: fetched once per year.
BY_YEAR = {"finance"}


def calendar_months(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(first, last) day of each calendar month of [start, end], clipped to the range."""
    out, first = [], start
    while first <= end:
        following = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        out.append((first, min(end, following - dt.timedelta(days=1))))
        first = following
    return out


def kpi_aggregates_by_month(engine, level: str, code: str | None, start: dt.date, end: dt.date, names,
                            targets=None, viewer=None) -> list[dict]:
    """kpi_aggregates for each calendar month of [start, end] (oldest first), with one query per aggregate
    where it has a month grain (BY_MONTH), else one per month (or per financial year, BY_YEAR). The aggregates
    asked once per month (women's history, financial risk) run meanwhile on a second connection."""
    from data_access import access
    from data_access.engine import meanwhile
    from data_access.scope import resolve

    months = calendar_months(start, end)
    out = [{} for _ in months]
    with engine.connect() as conn:
        resolve(conn, level, code)
        access.require(viewer, "see scope", (level, code), conn)
        hidden = set() if access.allowed(viewer, "see finance", (level, code), conn) else set(NOT_APPLICABLE)
        apart = [n for n in names if n not in hidden and n not in BY_MONTH and n not in BY_YEAR]
        with meanwhile(engine, _each_month, apart, level, code, months, targets) as each_month:
            for name in (n for n in names if n not in apart):
                for month, value in zip(out, _monthly(conn, name, hidden, level, code, months, targets)):
                    month[name] = value
            for name, values in each_month().items():
                for month, value in zip(out, values):
                    month[name] = value
    return out


def _each_month(conn, names, level, code, months, targets) -> dict[str, list[dict]]:
    """{name: its value for each month} of aggregates with no month grain."""
    return {name: _monthly(conn, name, set(), level, code, months, targets) for name in names}


def _monthly(conn, name, hidden, level, code, months, targets) -> list[dict]:
    if name in hidden:
        return [NOT_APPLICABLE[name]] * len(months)
    if name in BY_MONTH:
        found = BY_MONTH[name](conn, level, code, months[0][0], months[-1][1], targets)
        return [found.get(first.replace(day=1)) or _empty(name, conn, level, code, first, last, targets)
                for first, last in months]
    memo = {}
    values = []
    for first, last in months:
        key = financial_year(last)[0] if name in BY_YEAR else (first, last)
        if key not in memo:
            memo[key] = AGGREGATES[name](conn, level, code, first, last, targets)
        values.append(memo[key])
    return values


def _empty(name, conn, level, code, first, last, targets) -> dict:
    """A month the grouped query returned no row for: its known empty value, or the plain query's answer."""
    return EMPTY_MONTH.get(name) or AGGREGATES[name](conn, level, code, first, last, targets)
