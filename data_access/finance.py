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
from data_access.aggregates import census_days
from data_access.kpi_queries import finance_filter, financial_year
from data_access.schema import (
    INPATIENT_CATEGORIES,
    collaborative,
    finance_forecast_history,
    finance_ledger,
    financial_reserve,
    financial_risk,
    provider,
    risk_share,
    risk_share_tier,
)

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
    days = census_days(conn, level, code, first, last, by=("provider", "security_level"),
                       restrict=lambda ward, unit: access.finance_lines(viewer, ward.c.collaborative_id,
                                                                        unit.c.provider_code))
    return days.rename(columns={"provider": "provider_code"})[["provider_code", "security_level", "obd"]]


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


# --------------------------------------------------------------------------- financial risk (issue 19)

def _collab_where(column, level, code):
    """WHERE on a table's collaborative_id for the collaboratives under a node (None at provider level and below)."""
    if level == "national":
        return sa.true()
    if level == "region":
        return column.in_(sa.select(collaborative.c.collaborative_id).where(collaborative.c.region_code == code))
    if level == "collaborative":
        return column == code
    return None


def last_return_month(end: dt.date) -> dt.date:
    """The latest month whose return can stand at `end`: the month of `end` when `end` is its last day, else the
    month before (a month's return is made once the month has ended)."""
    if (end + dt.timedelta(days=1)).day == 1:
        return end.replace(day=1)
    first = end.replace(day=1) - dt.timedelta(days=1)
    return first.replace(day=1)


def _monthly_query(where, fy_start, fy_end, key=None) -> sa.Select:
    """(key, month, Σ budget, Σ actual, lines with an actual) of the ledger lines `where`, months of the year."""
    f = finance_ledger
    keys = [] if key is None else [key]
    return (sa.select(*keys, f.c.month_start, sa.func.sum(f.c.budget_gbp), sa.func.sum(f.c.actual_gbp),
                      sa.func.count(f.c.actual_gbp))
            .select_from(_joins()).where(where, f.c.month_start.between(_date(fy_start), _date(fy_end)))
            .group_by(*keys, f.c.month_start).order_by(*keys, f.c.month_start))


def _month(month, budget, actual, lines) -> tuple:
    return month, float(budget or 0), None if actual is None else float(actual), int(lines)


def _monthly_actuals(conn, level, code, fy_start, fy_end) -> list[tuple]:
    """(month, Σ budget, Σ actual, lines with an actual) of the scope's ledger, months of the year, in SQL."""
    return [_month(*row) for row in conn.execute(_monthly_query(finance_filter(level, code), fy_start, fy_end))]


def _sector_actuals(conn, level, code, fy_start, fy_end) -> dict:
    f = finance_ledger
    row = conn.execute(
        sa.select(sa.func.sum(sa.case((f.c.category == "independent_inpatient", f.c.actual_gbp))),
                  sa.func.sum(sa.case((f.c.category.in_(INPATIENT_CATEGORIES), f.c.actual_gbp))))
        .select_from(_joins()).where(finance_filter(level, code), f.c.month_start.between(_date(fy_start),
                                                                                          _date(fy_end)))).one()
    return {"independent_actual": None if row[0] is None else float(row[0]),
            "inpatient_actual": None if row[1] is None else float(row[1])}


def forecast_returns(conn, level, code, fy_label: str, last: dt.date) -> list[tuple]:
    """(collaborative, return month, Σ forecast outturn) of the scope's kept returns up to `last`, in SQL.

    Provider level: the lines carrying that provider's code."""
    h = finance_forecast_history
    where = _collab_where(h.c.collaborative_id, level, code)
    if where is None:
        where = h.c.provider_code == code if level == "provider" else sa.false()
    rows = conn.execute(
        sa.select(h.c.collaborative_id, h.c.return_month, sa.func.sum(h.c.forecast_outturn_gbp))
        .where(where, h.c.financial_year == fy_label, h.c.return_month <= _date(last))
        .group_by(h.c.collaborative_id, h.c.return_month).order_by(h.c.collaborative_id, h.c.return_month)).all()
    return [(c, m, float(v)) for c, m, v in rows]


def _risk_queries(where_risk, where_reserve, fy_label: str, end: dt.date, key_risk=None, key_reserve=None):
    """(Σ value × likelihood and Σ mitigation of the open risks raised by `end`; Σ reserves held and committed),
    as two selects, grouped by the keys when given."""
    r, v = financial_risk, financial_reserve
    risk = (sa.select(*([key_risk] if key_risk is not None else []),
                      sa.func.sum(r.c.value_gbp * r.c.likelihood_pct / 100.0), sa.func.sum(r.c.mitigation_gbp))
            .where(where_risk, r.c.financial_year == fy_label, r.c.status == "open", r.c.raised_date <= _date(end)))
    reserve = (sa.select(*([key_reserve] if key_reserve is not None else []),
                         sa.func.sum(v.c.held_gbp), sa.func.sum(v.c.committed_gbp))
               .where(where_reserve, v.c.financial_year == fy_label))
    if key_risk is not None:
        risk, reserve = risk.group_by(key_risk), reserve.group_by(key_reserve)
    return risk, reserve


def _risk_dict(risk, reserve) -> dict:
    num = lambda x: None if x is None else float(x)  # noqa: E731
    return {"expected_risk": num(risk[0]) or 0.0, "mitigation": num(risk[1]) or 0.0,
            "reserve_held": num(reserve[0]), "reserve_committed": num(reserve[1])}


def risk_totals(conn, level, code, fy_label: str, end: dt.date) -> dict:
    """Σ value × likelihood and Σ mitigation of the open risks raised by `end`; reserves held and committed.
    None where the node holds no risks (provider and below) or none are recorded."""
    where = _collab_where(financial_risk.c.collaborative_id, level, code)
    if where is None:
        return {"expected_risk": None, "mitigation": None, "reserve_held": None, "reserve_committed": None}
    risk, reserve = _risk_queries(where, _collab_where(financial_reserve.c.collaborative_id, level, code), fy_label,
                                  end)
    return _risk_dict(conn.execute(risk).one(), conn.execute(reserve).one())


def finance_risk(conn, level, code, end) -> dict:
    """The KPI aggregate of the second-round money KPIs (raw sums; metrics.kpis does the arithmetic)."""
    if finance_filter(level, code) is None:
        return {"finance_applicable": False}
    fy_label, fy_start, fy_end = financial_year(end)
    return {"finance_applicable": True, "months": _monthly_actuals(conn, level, code, fy_start, fy_end),
            "returns": forecast_returns(conn, level, code, fy_label, last_return_month(end)),
            **_sector_actuals(conn, level, code, fy_start, fy_end), **risk_totals(conn, level, code, fy_label, end)}


# --------------------------------------------------------------------------- the page's readers (issue 19)

def ledger_monthly(conn, viewer, level: str, code: str | None, fy_start: dt.date, fy_end: dt.date,
                   by: str) -> pd.DataFrame:
    """Ledger sums per month and category (`by='category'`) or provider (`by='provider'`), aggregated in SQL."""
    check(conn, viewer, level, code)
    f = finance_ledger
    where = _ledger_where(viewer, level, code, fy_start, fy_end)
    if by == "category":
        keys, joins = [f.c.category.label("key"), f.c.category.label("name")], _joins()
    else:
        keys = [f.c.provider_code.label("key"), provider.c.name.label("name"), provider.c.sector]
        joins = _joins().outerjoin(provider, provider.c.provider_code == f.c.provider_code)
    query = (sa.select(f.c.month_start, *keys, *_sums()).select_from(joins).where(where)
             .group_by(f.c.month_start, *[k.element if hasattr(k, "element") else k for k in keys])
             .order_by(f.c.month_start, keys[0].element))
    return _frame(conn, query)


def sector_bed_days(conn, viewer, level: str, code: str | None, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Occupied bed days per month and provider sector (nhs, independent) of the wards under the node
    (census_days: the one source of bed days)."""
    check(conn, viewer, level, code)
    days = census_days(conn, level, code, first, last, by=("month", "provider"),
                       restrict=lambda ward, unit: access.finance_lines(viewer, ward.c.collaborative_id,
                                                                        unit.c.provider_code))
    sectors = dict(conn.execute(sa.select(provider.c.provider_code, provider.c.sector)).all())
    days["sector"] = days["provider"].map(sectors)
    return days.groupby(["month", "sector"], as_index=False)["obd"].sum()


def forecast_history(conn, viewer, level: str, code: str | None, fy_label: str, end: dt.date) -> pd.DataFrame:
    """(collaborative_id, return_month, outturn) of every kept return of the year up to `end`."""
    check(conn, viewer, level, code)
    rows = forecast_returns(conn, level, code, fy_label, last_return_month(end))
    own = access.finance_providers(viewer)
    if own is not None and level != "provider":
        rows = []  # a provider's users see their own lines only: the returns' totals are the collaborative's
    return pd.DataFrame(rows, columns=["collaborative_id", "return_month", "outturn"])


def _collabs_in_scope(conn, viewer, level, code) -> list[tuple[str, str, str]]:
    """(id, name, lead provider) of the collaboratives whose risks and agreement the node shows."""
    c = collaborative
    where = _collab_where(c.c.collaborative_id, level, code)
    if where is None:
        where = c.c.collaborative_id.in_(sa.select(risk_share.c.collaborative_id)
                                         .where(risk_share.c.provider_code == code))
    limit = access.finance_collaboratives(viewer)
    if limit is not None:
        where = sa.and_(where, c.c.collaborative_id.in_(limit))
    return [tuple(r) for r in conn.execute(sa.select(c.c.collaborative_id, c.c.name, c.c.lead_provider_code)
                                           .where(where).order_by(c.c.name)).all()]


def risk_register(conn, viewer, level: str, code: str | None, fy_label: str) -> dict:
    """The risk register and reserves of the collaboratives in scope for the year (rows as entered)."""
    check(conn, viewer, level, code)
    ids = [c for c, _, _ in _collabs_in_scope(conn, viewer, level, code)] if level != "provider" else []
    r, v = financial_risk, financial_reserve
    risks = _frame(conn, sa.select(r).where(r.c.collaborative_id.in_(ids), r.c.financial_year == fy_label)
                   .order_by(r.c.collaborative_id, r.c.status.desc(), r.c.risk_id),
                   ["value_gbp", "mitigation_gbp"])
    reserves = _frame(conn, sa.select(v).where(v.c.collaborative_id.in_(ids), v.c.financial_year == fy_label)
                      .order_by(v.c.collaborative_id), ["held_gbp", "committed_gbp"])
    return {"risks": risks, "reserves": reserves}


def agreement(conn, viewer, level: str, code: str | None, end: dt.date) -> list[dict]:
    """For each collaborative in scope: its risk-share tiers and partner shares for the year of `end`, and the raw
    sums its exposures are worked from (budget and outturn, the months for the run rate, open risks). Six queries
    for all the collaboratives in scope (41 at England), not six per collaborative."""
    check(conn, viewer, level, code)
    fy_label, fy_start, fy_end = financial_year(end)
    collabs = _collabs_in_scope(conn, viewer, level, code)
    ids = [cid for cid, _, _ in collabs]
    t, rs, f = risk_share_tier, risk_share, finance_ledger
    tiers = _grouped(conn.execute(
        sa.select(t.c.collaborative_id, t.c.direction, t.c.tier, t.c.up_to_gbp, t.c.up_to_pct, t.c.carried_by)
        .where(t.c.collaborative_id.in_(ids), t.c.financial_year == fy_label)
        .order_by(t.c.collaborative_id, t.c.direction, t.c.tier)).mappings())
    shares = _grouped(conn.execute(
        sa.select(rs.c.collaborative_id, rs.c.provider_code, provider.c.name, rs.c.share_pct)
        .select_from(rs.join(provider, provider.c.provider_code == rs.c.provider_code))
        .where(rs.c.collaborative_id.in_(ids), rs.c.financial_year == fy_label)
        .order_by(rs.c.collaborative_id, rs.c.share_pct.desc(), provider.c.name)).mappings())
    budget, _, outturn, _ = _sums()
    money = {row[0]: row[1:] for row in conn.execute(
        sa.select(f.c.collaborative_id, budget, outturn).where(f.c.collaborative_id.in_(ids),
                                                               f.c.month_start.between(_date(fy_start), _date(fy_end)))
        .group_by(f.c.collaborative_id))}
    months: dict[str, list] = {}
    for cid, *row in conn.execute(_monthly_query(f.c.collaborative_id.in_(ids), fy_start, fy_end,
                                                 f.c.collaborative_id)):
        months.setdefault(cid, []).append(_month(*row))
    risk, reserve = _risk_queries(financial_risk.c.collaborative_id.in_(ids),
                                  financial_reserve.c.collaborative_id.in_(ids), fy_label, end,
                                  financial_risk.c.collaborative_id, financial_reserve.c.collaborative_id)
    risks = {row[0]: row[1:] for row in conn.execute(risk)}
    reserves = {row[0]: row[1:] for row in conn.execute(reserve)}
    none = (None, None)
    return [{"collaborative_id": cid, "name": name, "lead": lead,
             "tiers": [{k: (float(v) if k == "up_to_gbp" and v is not None else v) for k, v in r.items()}
                       for r in tiers.get(cid, [])],
             "shares": [(r["provider_code"], r["name"], float(r["share_pct"])) for r in shares.get(cid, [])],
             "budget": _money(money.get(cid, none)[0]), "outturn": _money(money.get(cid, none)[1]),
             "months": months.get(cid, []), **_risk_dict(risks.get(cid, none), reserves.get(cid, none))}
            for cid, name, lead in collabs]


def _grouped(rows) -> dict[str, list[dict]]:
    """{collaborative_id: [the row's other columns]} of rows ordered by collaborative."""
    out: dict[str, list[dict]] = {}
    for row in rows:
        values = dict(row)
        out.setdefault(values.pop("collaborative_id"), []).append(values)
    return out


def _money(value) -> float | None:
    return None if value is None else float(value)


def drivers(conn, viewer, level: str, code: str | None, start: dt.date, end: dt.date) -> dict:
    """The forecast range's drivers as of `end`: accepted referrals awaiting admission, out-of-area placements
    (home patients in a bed out of area), clinically-ready bed days in the period (and its days)."""
    from data_access.kpi_queries import bed_days, census_home, referral_filter, referral_joins, waiting_stage

    check(conn, viewer, level, code)
    pending = conn.execute(sa.select(sa.func.count()).select_from(referral_joins())
                           .where(referral_filter(level, code), waiting_stage(end) == "awaiting_admission")).scalar()
    home = census_home(conn, level, code, end) if level != "provider" else {"out_of_area_patients": 0}
    days = bed_days(conn, level, code, start, end)
    return {"pending_admissions": int(pending or 0), "out_of_area_patients": int(home["out_of_area_patients"]),
            "ready_days": int(days["delayed_days"]), "period_days": (end - start).days + 1}
