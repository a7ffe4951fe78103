"""Budget and spend: the collaborative's money for the financial year of the period's end.

Headline (budget, spend to date, forecast outturn, variance with RAG, released for reinvestment), the
cumulative chart April to March, breakdowns by category, provider and security level, risk shares
with a "what if", and the import of the monthly finance return. Layout and charts only.
"""

import altair as alt
import pandas as pd
import sqlalchemy as sa
import streamlit as st

from assets.palette import NHS_BLUE, NHS_DARK_BLUE, NHS_DARK_GREY, NHS_GREEN, NHS_RED, NHS_WARM_YELLOW
from data_access import access
from data_access import finance as dfin
from data_access.finance import FINANCE_LEVELS, NotApplicable
from data_access.finance_import import fy_months, importable_collaboratives, load_finance_return, template_bytes
from data_access.kpi_queries import financial_year
from data_access.scope import LEVEL_LABELS
from metrics import finance as fm
from metrics.catalogue import KPIS
from metrics.kpis import MONEY_RISK_IDS
from metrics.rag import band_for
from ui import cached
from ui import finance_risk_view as view
from ui.auth import plain
from ui.charts import show_chart
from ui.context import current, scope_title
from ui.excel import export_metadata, workbook_bytes
from ui.exports import download
from ui.formatting import NO_CHANGE, format_change, format_gbp, format_value, show, styled
from ui.tiles import RAG_BADGES, rag_badge

BLUE, DARK_BLUE, GREEN, YELLOW, RED, GREY = NHS_BLUE, NHS_DARK_BLUE, NHS_GREEN, NHS_WARM_YELLOW, NHS_RED, NHS_DARK_GREY
MONEY_COLUMNS = ["budget", "actual", "outturn", "variance"]
MONEY_LABELS = {"budget": "Budget (£)", "actual": "Spend to date (£)", "outturn": "Forecast outturn (£)",
                "variance": "Variance to budget (£)", "variance_pct": "Variance (% of budget)"}
RAG_TEXT = {"green": f"Within ±{fm.VARIANCE_GREEN_PCT:g}% of budget",
            "amber": f"Within ±{fm.VARIANCE_AMBER_PCT:g}% of budget",
            "red": f"More than {fm.VARIANCE_AMBER_PCT:g}% from budget"}


def label(kpi_id: str) -> str:
    return KPIS[kpi_id].label


def exact(value) -> str | None:
    return None if value is None or pd.isna(value) else f"Exactly £{value:,.2f}"


def guard(ctx) -> bool:
    """True when this viewer may see finance at this scope; otherwise a clear message."""
    if ctx.scope.level not in FINANCE_LEVELS:
        st.info(f"Finance is not applicable at this level ({LEVEL_LABELS[ctx.scope.level].lower()}): the budget "
                "and the ledger are held by collaboratives and their providers. Choose a provider, a "
                "collaborative, a region or England in the sidebar.", icon=":material/info:")
        return False
    if not access.allowed(ctx.viewer, "see finance"):
        st.info("Your role does not include finance. Ask the lead provider's finance team for the "
                "collaborative's budget report.", icon=":material/lock:")
        return False
    return True


def load(ctx, fy):
    level, code = ctx.scope.level, ctx.scope.code
    data = cached.read(ctx, dfin.ledger, level, code, fy[1], fy[2])
    first, last = fm.closed_months(data["month"])
    obd = pd.DataFrame(columns=["provider_code", "security_level", "obd"])
    if first is not None:
        obd = cached.read(ctx, dfin.bed_days_by_provider, level, code, first, fm.month_end(last))
    return data, obd, (first, last)


def headline_tiles(ctx, head: dict, cost_per_obd) -> None:
    rule, level = ctx.rule, ctx.scope.level
    money = fm.shown_money(pd.DataFrame([head]), ["budget", "actual", "outturn", "variance", "reinvestment"],
                           rule, level).iloc[0]
    cols = st.columns(4)
    for column, kpi_id, key in zip(cols[:3], ["budget_gbp", "actual_gbp", "forecast_outturn_gbp"],
                                   ["budget", "actual", "outturn"]):
        column.metric(label(kpi_id), format_value("gbp", money[key]), border=True, help=exact(money[key]))
    with cols[3]:
        variance = money["variance"]
        word = "" if variance is None else " overspend" if variance > 0 else " underspend" if variance < 0 else ""
        change = format_change("rate", head["variance_pct"])
        delta = None if change is None else "on budget" if change == NO_CHANGE else f"{change}%{word}"
        st.metric(label("variance_gbp"), format_value("gbp", variance), delta=delta, delta_color="inverse",
                  border=True, help=f"{exact(variance) or '–'}; as a % of budget.")
        if head["rag"] in RAG_BADGES:
            rag_badge(head["rag"], RAG_TEXT[head["rag"]])
    ooa = fm.shown_pct(head["out_of_area_spend_pct"], head["out_of_area_actual"], head["inpatient_actual"],
                       rule, level)
    cost = fm.shown_money(pd.DataFrame({"v": [cost_per_obd]}), ["v"], rule, level)["v"].iloc[0]
    cols = st.columns(4)
    cols[0].metric(label("reinvestment_gbp"), format_value("gbp", money["reinvestment"]), border=True,
                   help=exact(money["reinvestment"]))
    cols[1].metric(label("out_of_area_spend_pct"), format_value("pct", ooa.value, ooa.suppressed), border=True,
                   help="Out of area actual ÷ inpatient actual (closed months).")
    cols[2].metric(label("cost_per_obd_gbp"), format_value("gbp", cost), border=True,
                   help="Inpatient actual ÷ occupied bed days of the wards under this scope, closed months.")


def cumulative_chart(frame: pd.DataFrame, now) -> alt.LayerChart:
    order = ["Budget", "Spend to date", "Forecast"]
    data = frame.assign(shown=frame["value"].map(format_gbp))
    lines = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=30)).encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=0)),
        y=alt.Y("value:Q", title="Cumulative (£)", axis=alt.Axis(labelExpr="'£' + format(datum.value, '~s')")),
        color=alt.Color("series:N", sort=order, title=None,
                        scale=alt.Scale(domain=order, range=[GREY, BLUE, BLUE]), legend=alt.Legend(orient="top")),
        strokeDash=alt.StrokeDash("series:N", sort=order, legend=None,
                                  scale=alt.Scale(domain=order, range=[[1, 0], [1, 0], [6, 4]])),
        tooltip=[alt.Tooltip("series:N", title="Series"), alt.Tooltip("date:T", title="Month end", format="%d %b %Y"),
                 alt.Tooltip("shown:N", title="Cumulative")],
    )
    if now is None:
        return alt.layer(lines).properties(height=340)
    marker = pd.DataFrame({"date": [pd.Timestamp(now)], "text": [f"Now: month end {now:%d %b %Y}"]})
    rule = alt.Chart(marker).mark_rule(color=DARK_BLUE, strokeDash=[2, 2], strokeWidth=1.5).encode(x="date:T")
    text = alt.Chart(marker).mark_text(align="right", dx=-6, color=DARK_BLUE, baseline="top").encode(
        x="date:T", y=alt.value(4), text="text:N")
    return alt.layer(lines, rule, text).properties(height=340)


def month_by_month(ctx, data, fy) -> None:
    st.subheader("Month by month, April to March")
    frame, now = fm.cumulative(data["month"], fy[1])
    frame = fm.shown_money(frame, ["value"], ctx.rule, ctx.scope.level)
    table = frame.assign(date=frame["date"].map(lambda d: f"{pd.Timestamp(d):%b %Y}"),
                         value=frame["value"].map(format_gbp))[["series", "date", "value"]]
    show_chart(cumulative_chart(frame, now), "Cumulative budget, spend and forecast",
               "Lines from April to March: budget (grey), spend to date (blue, solid) and forecast (blue, dashed), "
               "with a marker at the latest closed month.", table.rename(
                   columns={"series": "Series", "date": "Month", "value": "Cumulative (£)"}), width="stretch")
    if now is None:
        st.caption("No month of this financial year is closed yet: the line is the forecast.")
    else:
        st.caption(f"Solid: budget and actual spend to the end of the last closed month ({now:%d %b %Y}); dashed: "
                   "forecast for the open months, ending at the forecast outturn.")


def what_if_delta(change) -> str | None:
    text = format_change("gbp", change)
    return None if text in (None, NO_CHANGE) else f"{text} vs forecast"


def money_table(ctx, frame: pd.DataFrame, first_column: str) -> pd.DataFrame:
    """The breakdown as shown: label, £ columns (disclosed) and variance %."""
    shown = fm.shown_money(frame, MONEY_COLUMNS, ctx.rule, ctx.scope.level)
    out = shown[["label", *MONEY_COLUMNS, "variance_pct"]].rename(columns={"label": first_column, **MONEY_LABELS})
    return out


def show_table(frame: pd.DataFrame, key: str) -> None:
    """A table on screen: £ columns in £, £k or £m, percentages to one decimal (the Excel export is exact)."""
    kinds = {c: "gbp" for c in frame.columns if c.endswith("(£)")}
    kinds |= {c: "rate" for c in frame.columns if c.endswith("(%)") or c.endswith("of budget)")}
    show(styled(frame, kinds), key=key)


def cost_tables(ctx, providers: pd.DataFrame, levels: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    rule, level = ctx.rule, ctx.scope.level
    prov, _ = fm.shown_counts(fm.shown_money(providers, ["inpatient_actual", "cost_per_obd"], rule, level),
                              ["obd"], rule, level)
    prov = prov.rename(columns={"provider_name": "Provider", "inpatient_actual": "Inpatient spend to date (£)",
                                "obd": "Occupied bed days", "cost_per_obd": "Cost per occupied bed day (£)"})
    prov = prov.drop(columns=["provider_code"])
    lev, _ = fm.shown_counts(fm.shown_money(levels, ["attributed_cost", "cost_per_obd"], rule, level),
                             ["obd", "uncosted_obd"], rule, level)
    lev = lev[["label", "obd", "uncosted_obd", "attributed_cost", "cost_per_obd"]].rename(columns={
        "label": "Security level", "obd": "Occupied bed days", "uncosted_obd": "Of which without a provider cost",
        "attributed_cost": "Attributed inpatient spend (£)", "cost_per_obd": "Cost per occupied bed day (£)"})
    return prov, lev


def money_month_by_month(ctx, data, fy, closed) -> dict:
    """Issue 19 (docs/finance.md): the second-round money KPIs and the month-by-month view. Returns export sheets."""
    level, code = ctx.scope.level, ctx.scope.code
    table = cached.kpi_table(ctx.engine, ctx.url, level, code, ctx.start, ctx.end, viewer=ctx.viewer,
                             kpi_ids=tuple(MONEY_RISK_IDS))
    shown = view.risk_tiles(ctx, table)
    by_cat = cached.read(ctx, dfin.ledger_monthly, level, code, fy[1], fy[2], "category")
    by_prov = cached.read(ctx, dfin.ledger_monthly, level, code, fy[1], fy[2], "provider")
    sector = pd.DataFrame(columns=["month", "sector", "obd"])
    if closed[0] is not None:
        sector = cached.read(ctx, dfin.sector_bed_days, level, code, closed[0], fm.month_end(closed[1]))
    sheets = view.monthly_section(ctx, fm.monthly(data["month"]), fm.monthly_by(by_cat, "category"),
                                  fm.monthly_by(by_prov, "provider"), fm.sector_series(by_cat, sector))
    sheets["Money KPIs"] = shown[["label", "value"]].rename(columns={"label": "KPI", "value": "Value (£ or %)"})
    return sheets


def forecast_and_risk(ctx, data, fy, head, cost) -> dict:
    """Issue 19: the forecast's history and range with the what if, the risk register and reserves, and each
    partner's exposure under the risk-share agreement. Returns export sheets."""
    level, code = ctx.scope.level, ctx.scope.code
    history = fm.history_series(cached.read(ctx, dfin.forecast_history, level, code, fy[0], ctx.end))
    sheets = {"Forecast history": view.history_section(ctx, history, head["budget"])}
    drivers = cached.read(ctx, dfin.drivers, level, code, ctx.start, ctx.end)
    base = fm.model_base(data["category"], data["month"], drivers, cost)
    view.range_section(ctx, base)
    view.what_if(ctx, base)
    sheets |= view.register_section(ctx, cached.read(ctx, dfin.risk_register, level, code, fy[0]), fy[0])
    agreements = cached.read(ctx, dfin.agreement, level, code, ctx.end)
    exposures = fm.exposures(agreements, access.finance_providers(ctx.viewer))
    sheets["Risk share exposure"] = view.exposure_section(ctx, exposures, agreements)
    return sheets


def breakdown(ctx, data, obd, closed, head) -> dict:
    st.subheader("Breakdown")
    categories = money_table(ctx, fm.category_table(data["category"]), "Category")
    providers = money_table(ctx, fm.provider_table(data["provider"]), "Provider")
    prov_cost, level_cost = cost_tables(ctx, *fm.cost_per_bed_day(data["provider"], obd))
    tab_cat, tab_prov, tab_cost = st.tabs(["By category", "By provider", "Cost per occupied bed day"])
    with tab_cat:
        show_table(categories, "fin_categories")
        ooa = fm.shown_pct(head["out_of_area_spend_pct"], head["out_of_area_actual"], head["inpatient_actual"],
                           ctx.rule, ctx.scope.level)
        st.caption(f"{label('out_of_area_spend_pct')}: {format_value('pct', ooa.value, ooa.suppressed)} of inpatient "
                   "spend to date. Variance = forecast outturn − budget (positive = overspend).")
    with tab_prov:
        show_table(providers, "fin_providers")
        st.caption("Out of area, community and reinvestment lines are held by the collaborative, not a provider.")
    with tab_cost:
        months = "no closed month yet" if closed[0] is None else f"{closed[0]:%b %Y} to {closed[1]:%b %Y}"
        st.caption(f"Closed months: {months}. Provider: its inpatient spend ÷ its bed days on wards under this "
                   "scope. Security level: each provider's bed days on wards of that level × the provider's cost "
                   "per bed day, ÷ those bed days. Out-of-area spend buys beds elsewhere and is not attributed.")
        show_table(prov_cost, "fin_cost_providers")
        show_table(level_cost, "fin_cost_levels")
    return {"By category": categories, "By provider": providers, "Cost per bed day, providers": prov_cost,
            "Cost per bed day, levels": level_cost}


def export(ctx, sheets: dict) -> None:
    formats = {}
    for frame in sheets.values():
        for column in frame.columns:
            if column.endswith("(£)"):
                formats[column] = "£#,##0"
            elif column.endswith("of budget)"):
                formats[column] = "0.0"
    fy_label = financial_year(ctx.end)[0]
    meta = export_metadata(ctx, f"Budget and spend {fy_label}, {ctx.scope.name}")
    book = lambda: workbook_bytes({name: (frame, formats) for name, frame in sheets.items()}, meta)  # on click
    name = f"finance_{ctx.scope.key.replace(':', '_')}_{fy_label.replace('/', '-')}.xlsx"
    download("Download the budget, spend and financial risk as Excel (exact £)", book, name, ctx,
             "Budget and spend export")


def import_section(ctx, fy_label: str) -> None:
    if not access.allowed(ctx.viewer, "import"):
        return
    collabs = cached.read(ctx, importable_collaboratives)
    if not collabs:
        return
    with st.expander("Import the monthly finance return", icon=":material/upload_file:"):
        first = int(fy_label[:4])
        years = [f"{y}/{str(y + 1)[-2:]}" for y in (first - 1, first, first + 1)]
        left, middle, right = st.columns(3)
        year = left.selectbox("Financial year", years, index=1, key="fin_import_year")
        names = {f"{name} ({code})": code for code, name in collabs}
        default = next((i for i, code in enumerate(names.values()) if code == ctx.scope.code), 0)
        collab = names[middle.selectbox("Collaborative (template)", list(names), index=default,
                                        key="fin_import_collab")]
        months = fy_months(year)
        month = right.selectbox("Month (template)", months, index=months.index(next_return(ctx, months)),
                                format_func=lambda m: f"{m:%b %Y}", key="fin_import_month")
        template = lambda: cached.read(ctx, template_bytes, year, collab, month)  # on click
        download("Download the template", template, f"finance_return_{collab}_{month:%Y-%m}.xlsx", ctx,
                 "Finance return template")
        limit = int(ctx.settings.get("max_upload_mb", 10))
        upload = st.file_uploader(f"Completed return (.xlsx, up to {limit} MB)", type=["xlsx"],
                                  max_upload_size=limit, key="fin_import_file")
        restate = access.allowed(ctx.viewer, "restate") and st.checkbox(
            "Restate closed months", key="fin_import_restate",
            help="Allow this return to replace a month whose actuals are already loaded. Recorded in the audit trail.")
        if upload is not None and st.button("Check and load", type="primary", key="fin_import_go"):
            run_import(ctx, upload, year, limit, restate)


def next_return(ctx, months: list) -> object:
    """The month whose return is due: the month of the period's end if it is in the list, else April."""
    due = ctx.end.replace(day=1)
    return due if due in months else months[0]


def run_import(ctx, upload, year: str, limit_mb: int, restate: bool = False) -> None:
    try:
        result = load_finance_return(ctx.engine, ctx.viewer, upload.getvalue(), upload.name, year,
                                     limit_mb * 1_000_000, restate=restate)
    except access.AccessDenied as error:
        st.warning(str(error), icon=":material/lock:")
        return
    except sa.exc.SQLAlchemyError:
        st.error("The database could not be reached; nothing was loaded.", icon=":material/database:")
        return
    if result.ok:
        cached.changed("finance")  # only finance readers (and KPI tables) read afresh
        st.success(result.message, icon=":material/check_circle:")
        return
    count = max(result.problem_count, len(result.problems))
    shown = f" The first {len(result.problems)} are listed." if count > len(result.problems) else ""
    st.error(f"Nothing was loaded. {count:,} problem(s) found; fix them and upload again.{shown}",
             icon=":material/error:")
    problems = pd.DataFrame([{"Row": p.row, "Column": p.column or "", "Problem": p.message}
                             for p in result.problems])
    show(problems, hide_index=True, width="stretch", key="fin_import_problems")


def main() -> None:
    ctx = current()
    fy = financial_year(ctx.end)
    st.title(f"Budget and spend: {plain(scope_title(ctx.scope))}")
    st.caption(f"Financial year {fy[0]} (the year of the period's end, {ctx.end:%d %b %Y}). Change the period "
               f"in the sidebar for another year. Disclosure rule: {ctx.rule}.")
    if not guard(ctx):
        return
    allowed = access.finance_providers(ctx.viewer)
    if allowed is not None:
        st.info(f"Your role shows the finance lines of your own provider only ({', '.join(allowed) or 'none'}).",
                icon=":material/lock:")
    try:
        data, obd, closed = load(ctx, fy)
    except (access.AccessDenied, NotApplicable) as error:
        st.warning(str(error), icon=":material/lock:")
        return
    if data["category"].empty:
        st.info(f"No finance ledger rows for {fy[0]} in this scope.", icon=":material/info:")
        import_section(ctx, fy[0])
        return
    head = fm.headline(data["category"])
    cost, _ = fm.total_cost_per_bed_day(head, obd)
    headline_tiles(ctx, head, cost)
    band = band_for("variance_gbp", cached.bands(ctx))
    st.caption(f"RAG on variance as a % of budget: green within ±{fm.VARIANCE_GREEN_PCT:g}%, amber within "
               f"±{fm.VARIANCE_AMBER_PCT:g}%, red beyond (over- or underspend). Source: {band.source} — the same "
               "rule as the Overview.")
    sheets = money_month_by_month(ctx, data, fy, closed)
    month_by_month(ctx, data, fy)
    sheets = breakdown(ctx, data, obd, closed, head) | sheets | forecast_and_risk(ctx, data, fy, head, cost)
    export(ctx, {name: frame for name, frame in sheets.items() if frame is not None and not frame.empty})
    import_section(ctx, fy[0])


main()
