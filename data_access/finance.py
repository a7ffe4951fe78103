"""Finance page queries: the ledger for a financial year and scope, aggregated in SQL.

Every function takes a `viewer`: it must be allowed finance and the scope
(`access.require(viewer, "see finance")`, then "see scope"); a provider-role viewer gets only the
ledger lines of its own provider(s) (`access.finance_providers`), enforced in the WHERE clause. Scope rules
(docs/kpi-definitions.md): collaborative = its ledger rows; region = its collaboratives;
national = all; provider = rows with that provider_code; unit and ward have no finance.
Sums are returned raw; metrics/finance.py does the arithmetic.
"""

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import access
from data_access.kpi_queries import _in_period, _stay_days, facts_filter, finance_filter, stay_facts
from data_access.schema import INPATIENT_CATEGORIES, collaborative, finance_ledger, provider, risk_share

FINANCE_LEVELS = ("national", "region", "collaborative", "provider")
MONEY = ["budget", "actual", "outturn", "open_forecast"]


class NotApplicable(ValueError):
    """Finance is not held at this level of the hierarchy (unit, ward)."""


def _date(value: dt.date):
    return sa.literal(value, sa.Date)


def check(conn, viewer, level: str, code: str | None) -> None:
    """AccessDenied / NotApplicable unless the viewer may see finance for this node."""
    access.require(viewer, "see finance")
    access.require(viewer, "see scope", (level, code), conn)
    if level not in FINANCE_LEVELS:
        raise NotApplicable("Finance is held by collaboratives and providers, not by units or wards.")


def _ledger_where(viewer, level, code, fy_start, fy_end):
    f = finance_ledger
    return sa.and_(finance_filter(level, code), f.c.month_start.between(_date(fy_start), _date(fy_end)),
                   access.finance_lines(viewer, f.c.collaborative_id, f.c.provider_code))


def _sums():
    f = finance_ledger
    return [
        sa.func.coalesce(sa.func.sum(f.c.budget_gbp), 0).label("budget"),
        sa.func.sum(f.c.actual_gbp).label("actual"),
        sa.func.coalesce(sa.func.sum(sa.func.coalesce(f.c.actual_gbp, f.c.forecast_gbp)), 0).label("outturn"),
        sa.func.coalesce(sa.func.sum(sa.case((f.c.actual_gbp.is_(None), f.c.forecast_gbp))), 0)
        .label("open_forecast"),
    ]


def _frame(conn, query, money=MONEY) -> pd.DataFrame:
    result = conn.execute(query)
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    for column in money:
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def _joins():
    return finance_ledger.join(collaborative, collaborative.c.collaborative_id == finance_ledger.c.collaborative_id)


def ledger(conn, viewer, level: str, code: str | None, fy_start: dt.date, fy_end: dt.date) -> dict:
    """{'month', 'category', 'provider'} frames of ledger sums for the financial year (raw £)."""
    check(conn, viewer, level, code)
    f = finance_ledger
    where = _ledger_where(viewer, level, code, fy_start, fy_end)
    inpatient = f.c.category.in_(INPATIENT_CATEGORIES)
    closed_inpatient = sa.func.count(sa.case((sa.and_(inpatient, f.c.actual_gbp.is_not(None)), 1)))
    by_month = (sa.select(f.c.month_start, *_sums(), sa.func.count(f.c.actual_gbp).label("closed_lines"),
                          closed_inpatient.label("closed_inpatient_lines"))
                .select_from(_joins()).where(where).group_by(f.c.month_start).order_by(f.c.month_start))
    by_category = (sa.select(f.c.category, *_sums()).select_from(_joins()).where(where)
                   .group_by(f.c.category).order_by(f.c.category))
    inpatient_actual = sa.func.sum(sa.case((inpatient, f.c.actual_gbp))).label("inpatient_actual")
    by_provider = (
        sa.select(f.c.provider_code, provider.c.name.label("provider_name"), provider.c.sector, *_sums(),
                  inpatient_actual)
        .select_from(_joins().outerjoin(provider, provider.c.provider_code == f.c.provider_code)).where(where)
        .group_by(f.c.provider_code, provider.c.name, provider.c.sector).order_by(provider.c.name)
    )
    return {
        "month": _frame(conn, by_month),
        "category": _frame(conn, by_category),
        "provider": _frame(conn, by_provider, MONEY + ["inpatient_actual"]),
    }


def bed_days_by_provider(conn, viewer, level: str, code: str | None, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Occupied bed days of the wards under the node, by provider and security level, first..last inclusive."""
    check(conn, viewer, level, code)
    end1 = last + dt.timedelta(days=1)
    facts = stay_facts()
    days = sa.func.sum(_stay_days(facts, first, end1))
    query = (
        sa.select(facts.c.provider_code, facts.c.security_level, days.label("obd"))
        .where(_in_period(facts, first, end1), facts_filter(facts, level, code),
               access.finance_lines(viewer, facts.c.ward_collab, facts.c.provider_code))
        .group_by(facts.c.provider_code, facts.c.security_level)
        .order_by(facts.c.provider_code, facts.c.security_level)
    )
    frame = _frame(conn, query, [])
    frame["obd"] = pd.to_numeric(frame["obd"]).astype("int64") if not frame.empty else frame["obd"]
    return frame


def _collaboratives_in_scope(level, code):
    """WHERE on risk_share selecting the collaboratives (or, for a provider, the partner rows) in scope."""
    rs = risk_share
    if level == "national":
        return sa.true()
    if level == "region":
        return rs.c.collaborative_id.in_(
            sa.select(collaborative.c.collaborative_id).where(collaborative.c.region_code == code))
    if level == "collaborative":
        return rs.c.collaborative_id == code
    return rs.c.provider_code == code


def risk_shares(conn, viewer, level: str, code: str | None, fy_label: str, fy_start: dt.date,
                fy_end: dt.date) -> pd.DataFrame:
    """Each partner's risk-share row with its collaborative's whole-ledger sums for the year.

    The sums are the collaborative's (all its lines): a partner's share is of the collaborative's
    over- or underspend. A provider-role viewer gets only its own partner rows.
    """
    check(conn, viewer, level, code)
    f = finance_ledger
    inpatient_open = sa.and_(f.c.category.in_(("nhs_inpatient", "independent_inpatient")), f.c.actual_gbp.is_(None))
    ooa_open = sa.and_(f.c.category == "out_of_area", f.c.actual_gbp.is_(None))
    totals = (
        sa.select(f.c.collaborative_id, *_sums(),
                  sa.func.coalesce(sa.func.sum(sa.case((inpatient_open, f.c.forecast_gbp))), 0)
                  .label("open_inpatient_forecast"),
                  sa.func.coalesce(sa.func.sum(sa.case((ooa_open, f.c.forecast_gbp))), 0).label("open_ooa_forecast"))
        .where(f.c.month_start.between(_date(fy_start), _date(fy_end)))
        .group_by(f.c.collaborative_id).subquery("totals")
    )
    rs = risk_share
    query = (
        sa.select(rs.c.collaborative_id, collaborative.c.name.label("collaborative_name"), rs.c.provider_code,
                  provider.c.name.label("provider_name"), rs.c.share_pct,
                  *[sa.func.coalesce(totals.c[k], 0).label(k) for k in
                    ("budget", "outturn", "open_inpatient_forecast", "open_ooa_forecast")])
        .select_from(rs.join(collaborative, collaborative.c.collaborative_id == rs.c.collaborative_id)
                     .join(provider, provider.c.provider_code == rs.c.provider_code)
                     .outerjoin(totals, totals.c.collaborative_id == rs.c.collaborative_id))
        .where(rs.c.financial_year == fy_label, _collaboratives_in_scope(level, code),
               access.finance_lines(viewer, rs.c.collaborative_id, rs.c.provider_code))
        .order_by(collaborative.c.name, rs.c.share_pct.desc(), provider.c.name)
    )
    frame = _frame(conn, query, ["budget", "outturn", "open_inpatient_forecast", "open_ooa_forecast"])
    frame["share_pct"] = frame["share_pct"].astype(float)
    return frame
