"""Women's secure pathway: aggregates by sex for a node, or for each of its children, computed in SQL.

The women_* definitions of docs/kpi-definitions.md (adult secure wards only) grouped by
patient sex, so men's figures come from the same SQL as women's. Share, length of stay and
continuous stay follow the wards under the node; distance, hospitals, out of area and
independent sector beds follow home patients at national, region and collaborative level.
A test checks the female rows equal kpi_table for the node and for each child.
Every function returns aggregates (counts, medians, sums), never patient rows.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import access, dialect
from data_access.grain import facts_key
from data_access.kpi_queries import (
    OVER_3_YEARS_DAYS,
    _continuous_starts,
    _date,
    _in_bed_on,
    _in_period,
    facts_filter,
    stay_facts,
)
from data_access.schema import hospital_spell, provider, survey_response
from data_access.scope import CHILD_LEVEL, children, resolve

SECURE = "adult_secure"
OVER_20_YEARS_DAYS = 7305
# Upper bounds (exclusive) of the bands; the last band has no upper bound.
LOS_BAND_DAYS = (365, 730, 1826, 3652)  # 0-1, 1-2, 2-5, 5-10, 10+ years (years of 365.25 days, whole days)
DISTANCE_BAND_KM = (20, 50, 100)  # under 20, 20-49, 50-99, 100+ km
COMPLETED_WINDOW_DAYS = 365  # completed stays: spells discharged in the 365 days to the as-of date
IN_HOSPITAL = "in_hospital"
NOT_RECORDED = "not_recorded"


def _grouping(facts, level, code, follow, codes):
    """([key column] or [], WHERE): the node itself (codes None) or each child whose code is in `codes`."""
    if codes is None:
        return [], facts_filter(facts, level, code, follow)
    key = facts_key(facts, CHILD_LEVEL[level], follow)
    return [key], key.in_(list(codes))


def _frame(conn, query, columns, by_child: bool, code) -> pd.DataFrame:
    rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=(["code"] if by_child else []) + columns)
    if not by_child:
        frame.insert(0, "code", code or "national")
    return frame


def _current(facts, end, where):
    return sa.and_(_in_bed_on(facts, end), facts.c.service_line == SECURE, where)


def _ward_census(conn, level, code, end, codes) -> pd.DataFrame:
    facts = stay_facts()
    keys, where = _grouping(facts, level, code, "ward", codes)
    los = dialect.days_between(facts.c.admission_date, _date(end))
    query = (sa.select(*keys, facts.c.sex, sa.func.count(sa.distinct(facts.c.patient_id)), dialect.median(los))
             .where(_current(facts, end, where)).group_by(*keys, facts.c.sex))
    return _frame(conn, query, ["sex", "in_bed", "median_los_days"], codes is not None, code)


def _ward_history(conn, level, code, end, codes) -> pd.DataFrame:
    facts = stay_facts()
    keys, where = _grouping(facts, level, code, "ward", codes)
    current = (sa.select(*[k.label("code") for k in keys], facts.c.sex, facts.c.patient_id)
               .where(_current(facts, end, where)).distinct().subquery("current"))
    islands = _continuous_starts(end, sa.select(current.c.patient_id)).subquery("islands")
    stay = dialect.days_between(islands.c.stay_start, _date(end))
    group = [current.c.code] if keys else []
    query = (sa.select(*group, current.c.sex, sa.func.count(),
                       sa.func.count(sa.case((stay > OVER_3_YEARS_DAYS, 1))),
                       sa.func.count(sa.case((stay > OVER_20_YEARS_DAYS, 1))))
             .select_from(current.join(islands, islands.c.patient_id == current.c.patient_id))
             .where(islands.c.is_current == 1).group_by(*group, current.c.sex))
    return _frame(conn, query, ["sex", "current_n", "over_3y", "over_20y"], codes is not None, code)


def _home_census(conn, level, code, end, codes) -> pd.DataFrame:
    facts = stay_facts()
    keys, where = _grouping(facts, level, code, "home", codes)
    independent = sa.case((provider.c.sector == "independent", facts.c.patient_id))
    out_of_area = sa.case((facts.c.out_of_area == 1, facts.c.patient_id))
    query = (sa.select(*keys, facts.c.sex, sa.func.count(sa.distinct(facts.c.patient_id)),
                       dialect.median(facts.c.distance_km), sa.func.count(facts.c.distance_km),
                       sa.func.count(sa.distinct(out_of_area)), sa.func.count(sa.distinct(independent)))
             .select_from(facts.join(provider, provider.c.provider_code == facts.c.provider_code))
             .where(_current(facts, end, where)).group_by(*keys, facts.c.sex))
    columns = ["sex", "home_n", "median_distance_km", "distance_n", "out_of_area_n", "independent_n"]
    return _frame(conn, query, columns, codes is not None, code)


def _hospitals_per_patient(level, code, end, codes):
    """Per current home patient (with the child code when grouped): distinct units of all stays by `end`."""
    facts = stay_facts()
    keys, where = _grouping(facts, level, code, "home", codes)
    home = (sa.select(*[k.label("code") for k in keys], facts.c.sex, facts.c.patient_id)
            .where(_current(facts, end, where)).distinct().subquery("home_patients"))
    stays = stay_facts()
    group = ([home.c.code] if keys else []) + [home.c.sex, home.c.patient_id]
    return (sa.select(*group, sa.func.count(sa.distinct(stays.c.unit_code)).label("units"))
            .select_from(home.join(stays, stays.c.patient_id == home.c.patient_id))
            .where(stays.c.start_date <= _date(end)).group_by(*group).subquery("per_patient"))


def _hospitals(conn, level, code, end, codes) -> pd.DataFrame:
    per = _hospitals_per_patient(level, code, end, codes)
    group = [per.c.code] if codes is not None else []
    query = sa.select(*group, per.c.sex, sa.func.sum(per.c.units), sa.func.count()).group_by(*group, per.c.sex)
    return _frame(conn, query, ["sex", "hospitals_sum", "hospitals_n"], codes is not None, code)


def _completed(conn, level, code, end, codes) -> pd.DataFrame:
    """Completed stays: spells with an adult secure stay under the node (its wards) discharged in the
    COMPLETED_WINDOW_DAYS to `end`; count and median length of stay (admission to discharge), by sex."""
    facts = stay_facts()
    keys, where = _grouping(facts, level, code, "ward", codes)
    spells = (sa.select(*[k.label("code") for k in keys], facts.c.sex, facts.c.spell_id)
              .where(facts.c.service_line == SECURE, where).distinct().subquery("secure_spells"))
    s = hospital_spell
    first = end - dt.timedelta(days=COMPLETED_WINDOW_DAYS - 1)
    group = ([spells.c.code] if keys else []) + [spells.c.sex]
    query = (sa.select(*group, sa.func.count(), dialect.median(dialect.days_between(s.c.admission_date,
                                                                                     s.c.discharge_date)))
             .select_from(spells.join(s, s.c.spell_id == spells.c.spell_id))
             .where(s.c.discharge_date.between(_date(first), _date(end))).group_by(*group))
    return _frame(conn, query, ["sex", "completed_n", "completed_median_los_days"], codes is not None, code)


def _merge(parts: list[pd.DataFrame]) -> pd.DataFrame:
    out = parts[0]
    for part in parts[1:]:
        out = out.merge(part, on=["code", "sex"], how="outer")
    return out.sort_values(["code", "sex"]).reset_index(drop=True)


def _indicator_parts(conn, level, code, end, codes) -> pd.DataFrame:
    return _merge([_ward_census(conn, level, code, end, codes), _ward_history(conn, level, code, end, codes),
                   _home_census(conn, level, code, end, codes), _hospitals(conn, level, code, end, codes),
                   _completed(conn, level, code, end, codes)])


def indicators(conn, viewer, level: str, code: str | None, end: dt.date) -> pd.DataFrame:
    """Raw aggregates for the node, one row per sex present (code, sex, in_bed, median_los_days, ...)."""
    access.require(viewer, "see scope", (level, code), conn)
    return _indicator_parts(conn, level, code, end, None)


def child_indicators(conn, viewer, level: str, code: str | None, end: dt.date) -> tuple[list, pd.DataFrame]:
    """([(code, name)] of the node's children, raw aggregates per (child code, sex)), one grouped query each."""
    access.require(viewer, "see scope", (level, code), conn)
    kids = [] if level == "ward" else children(conn, resolve(conn, level, code))
    kids = access.visible_children(conn, viewer, kids)
    if not kids:
        return [], pd.DataFrame(columns=["code", "sex"])
    codes = tuple(k.code for k in kids)
    return [(k.code, k.name) for k in kids], _indicator_parts(conn, level, code, end, codes)


def _band(expr, uppers):
    return sa.case(*[(expr < upper, index) for index, upper in enumerate(uppers)], else_=len(uppers))


def distributions(conn, viewer, level: str, code: str | None, end: dt.date) -> dict[str, pd.DataFrame]:
    """Patients by sex and band: length of stay (wards), distance from home and number of hospitals (home)."""
    access.require(viewer, "see scope", (level, code), conn)
    facts = stay_facts()
    los = dialect.days_between(facts.c.admission_date, _date(end))
    band = _band(los, LOS_BAND_DAYS)
    los_rows = conn.execute(
        sa.select(facts.c.sex, band, sa.func.count(sa.distinct(facts.c.patient_id)))
        .where(_current(facts, end, facts_filter(facts, level, code))).group_by(facts.c.sex, band)).all()
    home = stay_facts()
    band = _band(home.c.distance_km, DISTANCE_BAND_KM)
    distance_rows = conn.execute(
        sa.select(home.c.sex, band, sa.func.count(sa.distinct(home.c.patient_id)))
        .where(_current(home, end, facts_filter(home, level, code, "home"))).group_by(home.c.sex, band)).all()
    per = _hospitals_per_patient(level, code, end, None)
    hospital_rows = conn.execute(
        sa.select(per.c.sex, per.c.units, sa.func.count()).group_by(per.c.sex, per.c.units)).all()
    return {"los": pd.DataFrame(los_rows, columns=["sex", "band", "patients"]),
            "distance": pd.DataFrame(distance_rows, columns=["sex", "band", "patients"]),
            "hospitals": pd.DataFrame(hospital_rows, columns=["sex", "band", "patients"])}


def _level_changes(cohort, end):
    """Each cohort patient's adult secure ward stays by `end` (from the stay facts), keeping those that change
    security level. Both are CTEs: the flows read each twice or more, and they are worked out once."""
    facts = stay_facts()
    stays = (
        sa.select(facts.c.patient_id, facts.c.spell_id, facts.c.security_level,
                  sa.func.lag(facts.c.security_level).over(
                      partition_by=facts.c.patient_id,
                      order_by=[facts.c.start_date, facts.c.ward_stay_id]).label("previous"),
                  sa.func.row_number().over(
                      partition_by=facts.c.patient_id,
                      order_by=[facts.c.start_date.desc(), facts.c.ward_stay_id.desc()]).label("from_end"),
                  facts.c.start_date, facts.c.ward_stay_id)
        .where(facts.c.service_line == SECURE, facts.c.start_date <= _date(end), facts.c.patient_id.in_(cohort))
    ).cte("stays")
    changed = sa.or_(stays.c.previous.is_(None), stays.c.previous != stays.c.security_level)
    changes = sa.select(
        stays.c.patient_id, stays.c.security_level,
        sa.func.row_number().over(partition_by=stays.c.patient_id,
                                  order_by=[stays.c.start_date, stays.c.ward_stay_id]).label("step"),
    ).where(changed).cte("changes")
    return stays, changes


def transitions(conn, viewer, level: str, code: str | None, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Flows (step, source, target, patients) of women with an adult secure stay under the node in the period.

    Steps are the consecutive distinct security levels of all their adult secure ward stays by `end`; the
    last step goes to the discharge destination of the last stay's spell (discharged by `end`) or to
    'in_hospital'.
    """
    access.require(viewer, "see scope", (level, code), conn)
    facts = stay_facts()
    cohort = sa.select(facts.c.patient_id).where(
        facts.c.sex == "female", facts.c.service_line == SECURE,
        _in_period(facts, start, end + dt.timedelta(days=1)), facts_filter(facts, level, code)).distinct()
    stays, changes = _level_changes(cohort, end)
    nxt = changes.alias("next_change")
    moves = (sa.select(changes.c.step, changes.c.security_level.label("source"),
                       nxt.c.security_level.label("target"))
             .select_from(changes.join(nxt, sa.and_(nxt.c.patient_id == changes.c.patient_id,
                                                    nxt.c.step == changes.c.step + 1))))
    steps = (sa.select(changes.c.patient_id, sa.func.max(changes.c.step).label("last_step"))
             .group_by(changes.c.patient_id).subquery("steps"))
    s = hospital_spell
    discharged = sa.and_(s.c.discharge_date.is_not(None), s.c.discharge_date <= _date(end))
    state = sa.case((discharged, sa.func.coalesce(s.c.discharge_destination, NOT_RECORDED)), else_=IN_HOSPITAL)
    ends = (sa.select(steps.c.last_step, stays.c.security_level, state)
            .select_from(stays.join(steps, steps.c.patient_id == stays.c.patient_id)
                         .join(s, s.c.spell_id == stays.c.spell_id))
            .where(stays.c.from_end == 1))
    flows = sa.union_all(moves, ends).subquery("flows")
    cols = list(flows.c)
    query = sa.select(*cols, sa.func.count()).group_by(*cols).order_by(cols[0], sa.func.count().desc(), *cols[1:])
    return pd.DataFrame(conn.execute(query).all(), columns=["step", "source", "target", "patients"])


def _pilot_spells(level, code, end):
    """Female spells with an adult secure stay under the node, admitted by `end`: pilot flag, level, year."""
    facts = stay_facts()
    under = sa.select(facts.c.spell_id).where(facts.c.sex == "female", facts.c.service_line == SECURE,
                                              facts_filter(facts, level, code))
    stays = stay_facts()  # each of those spells' first adult secure stay (on any ward): only theirs are ranked
    first = (sa.select(stays.c.spell_id, stays.c.security_level,
                       sa.func.row_number().over(partition_by=stays.c.spell_id,
                                                 order_by=[stays.c.start_date, stays.c.ward_stay_id])
                       .label("rn"))
             .where(stays.c.service_line == SECURE, stays.c.spell_id.in_(under)).subquery("first_stay"))
    s = hospital_spell
    return (sa.select(s.c.spell_id, s.c.wsbs_pilot, first.c.security_level,
                      sa.extract("year", s.c.admission_date).label("year"), s.c.admission_date, s.c.discharge_date,
                      s.c.discharge_destination)
            .select_from(s.join(first, sa.and_(first.c.spell_id == s.c.spell_id, first.c.rn == 1)))
            .where(s.c.admission_date <= _date(end))).cte("female_spells")


def pilot(conn, viewer, level: str, code: str | None, end: dt.date) -> dict[str, pd.DataFrame]:
    """Women's Secure Blended Service spells vs comparable others (same first security level and admission
    year) under the node, admitted by `end`: counts, length of stay, and discharge destinations."""
    access.require(viewer, "see scope", (level, code), conn)
    spells = _pilot_spells(level, code, end)
    strata = (sa.select(spells.c.security_level, spells.c.year).where(spells.c.wsbs_pilot.is_(True))
              .distinct().subquery("strata"))
    cohort = (sa.select(spells).select_from(spells.join(strata, sa.and_(
        strata.c.security_level == spells.c.security_level, strata.c.year == spells.c.year))).subquery("cohort"))
    discharged = sa.and_(cohort.c.discharge_date.is_not(None), cohort.c.discharge_date <= _date(end))
    los = sa.case((discharged, dialect.days_between(cohort.c.admission_date, cohort.c.discharge_date)))
    so_far = sa.case((sa.not_(discharged), dialect.days_between(cohort.c.admission_date, _date(end))))
    summary = conn.execute(
        sa.select(cohort.c.wsbs_pilot, sa.func.count(), sa.func.count(los), dialect.median(los), sa.func.avg(los),
                  sa.func.count(so_far), dialect.median(so_far))
        .group_by(cohort.c.wsbs_pilot)).all()
    destination = sa.func.coalesce(cohort.c.discharge_destination, NOT_RECORDED)
    outcomes = conn.execute(
        sa.select(cohort.c.wsbs_pilot, destination, sa.func.count()).where(discharged)
        .group_by(cohort.c.wsbs_pilot, destination)).all()
    columns = ["pilot", "spells", "discharged", "median_los_days", "mean_los_days", "in_hospital",
               "median_days_so_far"]
    return {"summary": pd.DataFrame(summary, columns=columns),
            "destinations": pd.DataFrame(outcomes, columns=["pilot", "destination", "spells"])}


def survey(conn, viewer, level: str, code: str | None) -> pd.DataFrame:
    """Lived-experience survey answers (already aggregate in the table): cohort, question, answer, counts."""
    access.require(viewer, "see scope", (level, code), conn)
    r = survey_response
    query = sa.select(r.c.survey_id, r.c.survey_year, r.c.cohort, r.c.question, r.c.answer, r.c.respondents,
                      r.c.count).order_by(r.c.survey_id, r.c.question, r.c.cohort, r.c.count.desc(), r.c.answer)
    return pd.DataFrame(conn.execute(query).all(),
                        columns=["survey_id", "survey_year", "cohort", "question", "answer", "respondents", "count"])
