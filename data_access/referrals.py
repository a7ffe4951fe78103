"""Referral-to-admission queries for the Referrals page, aggregated in SQL.

Scope follows docs/kpi-definitions.md ("Referral scope"): collaborative = the referral's
responsible collaborative, region = referrals of its collaboratives, provider/unit/ward =
the ward the referral was admitted to (`referral_joins()` / `referral_filter()`).

Stage membership is the stage's closing event in the period, exactly as the catalogue's
medians: referral to assessment = assessed in the period; assessment to decision = decided
in the period with an assessment date; decision to admission = admitted in the period with a
decision date; referral to admission = admitted in the period. A referral enters a stage only
when both of its dates exist (never as zero days); those still in a stage on the as-of date
(the end of the period) are counted separately.

Every function takes `viewer` and checks it with data_access.access; the ones that return
one row per referral (pseudonymised referral id) also call `access.require(viewer, "see patient rows", ...)`.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import access, dialect
from data_access.kpi_queries import ASSESSMENT_TARGET_DAYS, PRISON_TRANSFER_DAYS, referral_filter, referral_joins
from data_access.schema import URGENCIES, referral

r = referral
FUNNEL_DIMENSIONS = {"source": r.c.source, "urgency": r.c.urgency, "security_level": r.c.security_level}
STAGE_IDS = ("referral_to_assessment", "assessment_to_decision", "decision_to_admission", "referral_to_admission")
WAITING_STAGES = ("awaiting_assessment", "awaiting_decision", "awaiting_admission")
OUTCOMES = ("admitted", "awaiting_admission", "awaiting_assessment", "awaiting_decision", "declined", "withdrawn")
# (label, lowest day, highest day or None): bands for the aggregate views.
AGE_BANDS = (("0–7 days", 0, 7), ("8–14 days", 8, 14), ("15–28 days", 15, 28), ("29–56 days", 29, 56),
             ("57–91 days", 57, 91), ("92–182 days", 92, 182), ("183 days or more", 183, None))


def _date(value: dt.date):
    return sa.literal(value, sa.Date)


def _in(col, start, end):
    return sa.and_(col >= _date(start), col <= _date(end))


def _by(col, end):
    """The date when it happened on or before the as-of date, else NULL (not yet happened)."""
    return sa.case((col <= _date(end), col))


def _scoped(conn, viewer, level, code, patient_level=False):
    access.require(viewer, "see scope", (level, code), conn)
    if patient_level:
        access.require(viewer, "see patient rows", (level, code), conn)
    return referral_filter(level, code)


def waiting_stage(end):
    """CASE giving the waiting stage of an open referral as of `end` (NULL when not open)."""
    as_of = _date(end)
    undecided = sa.and_(r.c.received_date <= as_of, sa.or_(r.c.decision_date.is_(None), r.c.decision_date > as_of))
    not_assessed = sa.or_(r.c.assessment_date.is_(None), r.c.assessment_date > as_of)
    accepted_waiting = sa.and_(r.c.decision == "accepted", r.c.decision_date <= as_of,
                               sa.or_(r.c.admission_date.is_(None), r.c.admission_date > as_of))
    return sa.case(
        (sa.and_(undecided, not_assessed), "awaiting_assessment"),
        (undecided, "awaiting_decision"),
        (accepted_waiting, "awaiting_admission"),
        else_=None,
    )


def outcome(end):
    """CASE giving where a referral stands as of `end` (one of OUTCOMES; NULL when received later)."""
    as_of = _date(end)
    decided = r.c.decision_date <= as_of
    return sa.case(
        (r.c.received_date > as_of, None),
        (r.c.admission_date <= as_of, "admitted"),
        (sa.and_(decided, r.c.decision == "declined"), "declined"),
        (sa.and_(decided, r.c.decision == "withdrawn"), "withdrawn"),
        else_=waiting_stage(end),
    )


def _stage_days():
    return {
        "referral_to_assessment": dialect.days_between(r.c.received_date, r.c.assessment_date),
        "assessment_to_decision": dialect.days_between(r.c.assessment_date, r.c.decision_date),
        "decision_to_admission": dialect.days_between(r.c.decision_date, r.c.admission_date),
        "referral_to_admission": dialect.days_between(r.c.received_date, r.c.admission_date),
    }


def _stage_members(start, end):
    return {
        "referral_to_assessment": _in(r.c.assessment_date, start, end),
        "assessment_to_decision": sa.and_(_in(r.c.decision_date, start, end), r.c.assessment_date.is_not(None)),
        "decision_to_admission": sa.and_(_in(r.c.admission_date, start, end), r.c.decision_date.is_not(None)),
        "referral_to_admission": _in(r.c.admission_date, start, end),
    }


def stage_aggregates(conn, viewer, level, code, start: dt.date, end: dt.date, targets: dict | None = None) -> dict:
    """One row of aggregates: per stage n, median, p90; still waiting per stage; within target per urgency;
    prison transfers within 28 days; referrals received and waiting. Keys are flat (see the code)."""
    where = _scoped(conn, viewer, level, code)
    targets = dict(targets or ()) or ASSESSMENT_TARGET_DAYS
    days, members = _stage_days(), _stage_members(start, end)
    columns = [sa.func.count(sa.case((_in(r.c.received_date, start, end), 1))).label("received")]
    for stage in STAGE_IDS:
        value = sa.case((members[stage], days[stage]))
        columns += [sa.func.count(value).label(f"{stage}_n"), dialect.median(value).label(f"{stage}_median"),
                    dialect.percentile(value, 0.9).label(f"{stage}_p90")]
    stage = waiting_stage(end)
    columns += [sa.func.count(sa.case((stage == name, 1))).label(f"{name}_waiting") for name in WAITING_STAGES]
    assessed = members["referral_to_assessment"]
    for urgency in URGENCIES:
        mine = sa.and_(assessed, r.c.urgency == urgency)
        within = days["referral_to_assessment"] <= targets.get(urgency, ASSESSMENT_TARGET_DAYS[urgency])
        columns += [sa.func.count(sa.case((mine, 1))).label(f"{urgency}_assessed"),
                    sa.func.count(sa.case((sa.and_(mine, within), 1))).label(f"{urgency}_within")]
    prison = sa.and_(members["referral_to_admission"], r.c.source == "prison")
    columns += [sa.func.count(sa.case((prison, 1))).label("prison_admitted"),
                sa.func.count(sa.case((sa.and_(prison, days["referral_to_admission"] <= PRISON_TRANSFER_DAYS), 1)))
                .label("prison_within_28")]
    row = conn.execute(sa.select(*columns).select_from(referral_joins()).where(where)).mappings().one()
    return {k: (float(v) if k.endswith(("_median", "_p90")) and v is not None else v) for k, v in row.items()}


def funnel(conn, viewer, level, code, start: dt.date, end: dt.date, by: str | None = None) -> pd.DataFrame:
    """Counts per group (`by`: source, urgency, security_level; None = one row 'all'): received, assessed,
    accepted, declined, withdrawn (decided in the period), admitted in the period, waiting as of `end`."""
    where = _scoped(conn, viewer, level, code)
    group = FUNNEL_DIMENSIONS[by] if by else None
    decided = _in(r.c.decision_date, start, end)
    events = {
        "received": _in(r.c.received_date, start, end),
        "assessed": _in(r.c.assessment_date, start, end),
        "accepted": sa.and_(decided, r.c.decision == "accepted"),
        "declined": sa.and_(decided, r.c.decision == "declined"),
        "withdrawn": sa.and_(decided, r.c.decision == "withdrawn"),
        "admitted": _in(r.c.admission_date, start, end),
        "waiting": waiting_stage(end).is_not(None),
    }
    counts = [sa.func.count(sa.case((cond, 1))).label(k) for k, cond in events.items()]
    label = group.label("category") if by else sa.literal_column("'all'").label("category")
    query = sa.select(label, *counts).select_from(referral_joins()).where(where, sa.or_(*events.values()))
    if by:
        query = query.group_by(group).order_by(group)
    frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=["category", *events])
    return frame.astype({k: int for k in events})


def _journey_end(end):
    """When the referral's journey ended (admission, decline, withdrawal) as of `end`, else NULL."""
    closed = sa.and_(r.c.decision.in_(["declined", "withdrawn"]), r.c.decision_date <= _date(end))
    return sa.case((r.c.admission_date <= _date(end), r.c.admission_date), (closed, r.c.decision_date))


def _active(start, end):
    """Referrals open at some time in the period: received by `end`, journey not ended before `start`."""
    journey_end = _journey_end(end)
    return sa.and_(r.c.received_date <= _date(end), sa.or_(journey_end.is_(None), journey_end >= _date(start)))


def timeline(conn, viewer, level, code, start: dt.date, end: dt.date, limit: int,
             sources: tuple = (), urgencies: tuple = ()) -> pd.DataFrame:
    """PATIENT-LEVEL: referrals open at some time in the period, most recently received first, at most `limit`.

    Dates after `end` are returned as NULL (not yet happened as of the end date). `total` is how many
    referrals matched before the cap."""
    where = _scoped(conn, viewer, level, code, patient_level=True)
    filters = [where, _active(start, end)]
    if sources:
        filters.append(r.c.source.in_(list(sources)))
    if urgencies:
        filters.append(r.c.urgency.in_(list(urgencies)))
    query = (
        sa.select(r.c.referral_id, r.c.source, r.c.urgency, r.c.security_level, r.c.disputed,
                  r.c.received_date, _by(r.c.assessment_date, end).label("assessment_date"),
                  _by(r.c.decision_date, end).label("decision_date"),
                  sa.case((r.c.decision_date <= _date(end), r.c.decision)).label("decision"),
                  _by(r.c.admission_date, end).label("admission_date"), outcome(end).label("outcome"),
                  sa.func.count().over().label("total"))
        .select_from(referral_joins()).where(*filters)
        .order_by(r.c.received_date.desc(), r.c.referral_id.desc()).limit(int(limit))
    )
    return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys()))


def _band(days):
    return sa.case(*[(days <= hi, label) for label, _, hi in AGE_BANDS if hi is not None], else_=AGE_BANDS[-1][0])


def outcome_bands(conn, viewer, level, code, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Aggregate view of the timeline: referrals open at some time in the period, by outcome as of `end`
    and band of days from referral to the end of the journey (or to `end` while still open)."""
    where = _scoped(conn, viewer, level, code)
    days = dialect.days_between(r.c.received_date, sa.func.coalesce(_journey_end(end), _date(end)))
    band, status = _band(days), outcome(end)
    query = (sa.select(status.label("outcome"), band.label("band"), sa.func.count().label("referrals"))
             .select_from(referral_joins()).where(where, _active(start, end))
             .group_by(status, band))
    return pd.DataFrame(conn.execute(query).mappings().all(), columns=["outcome", "band", "referrals"])


def waiting_list(conn, viewer, level, code, end: dt.date) -> pd.DataFrame:
    """PATIENT-LEVEL: referrals open as of `end` (open_referrals), oldest first, with stage and age in days."""
    where = _scoped(conn, viewer, level, code, patient_level=True)
    stage = waiting_stage(end)
    query = (
        sa.select(r.c.referral_id, r.c.received_date, stage.label("stage"),
                  dialect.days_between(r.c.received_date, _date(end)).label("age_days"),
                  r.c.urgency, r.c.source, r.c.security_level, r.c.collaborative_id,
                  _by(r.c.assessment_date, end).label("assessment_date"),
                  _by(r.c.decision_date, end).label("decision_date"), r.c.disputed)
        .select_from(referral_joins()).where(where, stage.is_not(None))
        .order_by(r.c.received_date, r.c.referral_id)
    )
    frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys()))
    return frame.astype({"age_days": int, "disputed": bool})


def waiting_summary(conn, viewer, level, code, end: dt.date) -> pd.DataFrame:
    """Aggregate view of the waiting list: referrals open as of `end` by stage and age band."""
    where = _scoped(conn, viewer, level, code)
    stage = waiting_stage(end)
    band = _band(dialect.days_between(r.c.received_date, _date(end)))
    query = (sa.select(stage.label("stage"), band.label("band"), sa.func.count().label("referrals"),
                       sa.func.count(sa.case((r.c.disputed.is_(True), 1))).label("disputed"))
             .select_from(referral_joins()).where(where, stage.is_not(None)).group_by(stage, band))
    return pd.DataFrame(conn.execute(query).mappings().all(), columns=["stage", "band", "referrals", "disputed"])


def monthly_admission_medians(conn, viewer, level, code, first: dt.date, end: dt.date) -> pd.DataFrame:
    """Per month of admission from `first` to `end`: referrals admitted and their median days from referral
    to admission. Months with no admissions are absent. The month is EXTRACT arithmetic (portable, and
    independent of how far the calendar table reaches)."""
    where = _scoped(conn, viewer, level, code)
    days = dialect.days_between(r.c.received_date, r.c.admission_date)
    adm = r.c.admission_date
    month = sa.cast(sa.extract("year", adm) * 12 + sa.extract("month", adm) - 1, sa.Integer)
    query = (sa.select(month.label("month_index"), sa.func.count().label("admitted"),
                       dialect.median(days).label("median"))
             .select_from(referral_joins()).where(where, _in(adm, first, end)).group_by(month).order_by(month))
    frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=["month_index", "admitted", "median"])
    frame.insert(0, "month", [dt.date(int(i) // 12, int(i) % 12 + 1, 1) for i in frame.pop("month_index")])
    return frame.astype({"admitted": int, "median": float})
