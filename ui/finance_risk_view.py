"""Presentation of the Budget and spend page's financial-risk sections (issue 19): the second-round money tiles,
month by month, the forecast's history and range, the risk register and reserves (with the lead provider's
form), and the risk share's exposure by partner and tier. Layout and charts only: figures come from
metrics/finance.py and metrics/kpis.py, already worked out; every £ passes through disclosure before it is drawn.
"""

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from assets.palette import (
    NHS_AQUA_GREEN,
    NHS_BLUE,
    NHS_DARK_BLUE,
    NHS_DARK_GREEN,
    NHS_DARK_GREY,
    NHS_MID_GREY,
    NHS_ORANGE,
    NHS_PINK,
    NHS_RED,
)
from data_access import access
from data_access import finance_risk as fr
from data_access.schema import RISK_STATUSES
from metrics import finance as fm
from metrics.catalogue import KPIS
from metrics.disclosure import disclose_table
from metrics.kpis import MONEY_RISK_IDS
from ui.charts import show_chart
from ui.formatting import format_gbp, format_value, show, styled

GBP_AXIS = alt.Axis(labelExpr="'£' + format(datum.value, '~s')")
SERIES = ["Budget", "Actual", "Forecast"]
BAND_COLOURS = {fm.BEARER_LABELS["lead"]: NHS_DARK_BLUE, fm.BEARER_LABELS["partners"]: NHS_AQUA_GREEN,
                fm.BEARER_LABELS["commissioner"]: NHS_ORANGE, fm.BEARER_LABELS["reinvestment"]: NHS_DARK_GREEN}
TILE_HELP = {
    "budget_to_date_gbp": "Σ budget of the financial year's closed months (months with an actual).",
    "variance_to_date_gbp": "Spend to date − budget to date (positive = overspend).",
    "run_rate_outturn_gbp": "Spend to date + mean spend of the last 3 closed months × the year's open months.",
    "forecast_movement_gbp": "Forecast outturn of the latest monthly return − the return before it.",
    "risk_adjusted_outturn_gbp": "Forecast outturn + Σ open risks' value × likelihood − Σ their mitigations.",
    "reserves_gbp": "Risk reserve / contingency held minus what is committed against it.",
    "independent_sector_spend_pct": "Independent sector inpatient spend ÷ inpatient spend (NHS, independent, out of "
                                    "area), closed months.",
}


def gbp_table(frame: pd.DataFrame, key: str) -> None:
    """A table on screen with £ columns in £, £k or £m and % to one decimal (the Excel export is exact)."""
    kinds = {c: "gbp" for c in frame.columns if c.endswith("(£)")}
    kinds |= {c: "rate" for c in frame.columns if c.endswith("(%)")}
    show(styled(frame, kinds), key=key, hide_index=True)


def money(ctx, frame: pd.DataFrame, columns) -> pd.DataFrame:
    """`frame` with its £ columns (those named, or ending '(£)') through disclosure."""
    return fm.shown_money(frame, [c for c in columns if c in frame and c != "label"], ctx.rule, ctx.scope.level)


# --------------------------------------------------------------------------- tiles

def risk_tiles(ctx, table: pd.DataFrame) -> pd.DataFrame:
    """The seven second-round money KPIs as tiles (catalogue labels); returns the disclosed table."""
    kinds = {k: KPIS[k].kind for k in MONEY_RISK_IDS}
    shown = disclose_table(table, ctx.rule, ctx.scope.level, kinds).set_index("kpi_id")
    ids = [k for k in MONEY_RISK_IDS if k in shown.index]
    for first in range(0, len(ids), 4):
        for column, kpi_id in zip(st.columns(4), ids[first:first + 4]):
            row = shown.loc[kpi_id]
            value = row["shown"]
            exact = "" if kinds[kpi_id] != "gbp" or value is None or pd.isna(value) else f" Exactly £{value:,.2f}."
            column.metric(KPIS[kpi_id].label, format_value(kinds[kpi_id], value, bool(row["suppressed"])),
                          border=True, help=TILE_HELP[kpi_id] + exact)
    return shown.reset_index()


# --------------------------------------------------------------------------- month by month

def monthly_chart(long: pd.DataFrame) -> alt.Chart:
    data = long.assign(month=pd.to_datetime(long["month_start"]), shown=long["value"].map(format_gbp))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("yearmonth(month):O", title=None, axis=alt.Axis(format="%b %y", labelAngle=0)),
        xOffset=alt.XOffset("series:N", sort=SERIES),
        y=alt.Y("value:Q", title="£ in the month", axis=GBP_AXIS),
        color=alt.Color("series:N", sort=SERIES, title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=SERIES, range=[NHS_MID_GREY, NHS_BLUE, NHS_ORANGE])),
        opacity=alt.Opacity("series:N", sort=SERIES, legend=None, scale=alt.Scale(domain=SERIES,
                                                                                  range=[1.0, 1.0, 0.75])),
        tooltip=[alt.Tooltip("series:N", title="Series"), alt.Tooltip("month:T", title="Month", format="%B %Y"),
                 alt.Tooltip("shown:N", title="Amount")],
    ).properties(height=300)


def variance_chart(frame: pd.DataFrame) -> alt.LayerChart:
    data = frame.assign(month=pd.to_datetime(frame["month_start"]),
                        side=["Overspend" if (v or 0) > 0 else "Underspend or on budget" for v in frame["variance"]],
                        shown=frame["variance"].map(format_gbp), to_date=frame["variance_to_date"].map(format_gbp))
    x = alt.X("yearmonth(month):O", title=None, axis=alt.Axis(format="%b %y", labelAngle=0))
    tooltip = [alt.Tooltip("month:T", title="Month", format="%B %Y"), alt.Tooltip("shown:N", title="Variance"),
               alt.Tooltip("side:N", title="Which way"), alt.Tooltip("to_date:N", title="Variance to date")]
    bars = alt.Chart(data).mark_bar(opacity=0.85).encode(
        x=x, y=alt.Y("variance:Q", title="Variance (£, + = overspend)", axis=GBP_AXIS),
        color=alt.Color("side:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=["Overspend", "Underspend or on budget"],
                                        range=[NHS_RED, NHS_DARK_GREEN])),
        tooltip=tooltip)
    line = alt.Chart(data.dropna(subset=["variance_to_date"])).mark_line(
        color=NHS_DARK_BLUE, strokeDash=[6, 3], point=alt.OverlayMarkDef(shape="diamond", size=60, color=NHS_DARK_BLUE)
    ).encode(x=x, y="variance_to_date:Q", tooltip=tooltip)
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color=NHS_DARK_GREY).encode(y="y:Q")
    return alt.layer(bars, line, zero).properties(height=260)


def sector_charts(series: pd.DataFrame) -> tuple[alt.Chart, alt.Chart]:
    data = series.assign(month=pd.to_datetime(series["month_start"]))
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%b %y"))
    share = alt.Chart(data).mark_line(point=True, color=NHS_PINK).encode(
        x=x, y=alt.Y("independent_share_pct:Q", title="Independent sector share of inpatient spend (%)"),
        tooltip=[alt.Tooltip("month:T", format="%B %Y", title="Month"),
                 alt.Tooltip("independent_share_pct:Q", format=".1f", title="Share (%)")]).properties(height=220)
    long = data.melt(id_vars="month", value_vars=["nhs_cost_per_obd", "independent_cost_per_obd"], var_name="sector")
    names = {"nhs_cost_per_obd": "NHS providers", "independent_cost_per_obd": "Independent sector"}
    long["sector"] = long["sector"].map(names)
    order = list(names.values())
    cost = alt.Chart(long.dropna(subset=["value"])).mark_line(point=True).encode(
        x=x, y=alt.Y("value:Q", title="Cost per occupied bed day (£)"),
        color=alt.Color("sector:N", sort=order, title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=order, range=[NHS_BLUE, NHS_PINK])),
        strokeDash=alt.StrokeDash("sector:N", sort=order, legend=None,
                                  scale=alt.Scale(domain=order, range=[[1, 0], [6, 3]])),
        shape=alt.Shape("sector:N", sort=order, legend=None, scale=alt.Scale(domain=order,
                                                                             range=["circle", "square"])),
        tooltip=[alt.Tooltip("sector:N", title="Sector"), alt.Tooltip("month:T", format="%B %Y", title="Month"),
                 alt.Tooltip("value:Q", format=",.0f", title="£ per bed day")]).properties(height=240)
    return share, cost


def monthly_section(ctx, months: pd.DataFrame, by_category: pd.DataFrame, by_provider: pd.DataFrame,
                    sectors: pd.DataFrame) -> dict:
    """Budget, actual and forecast per month, the monthly variance and the variance to date; by category and
    provider; the independent sector's share and cost per bed day. Returns the sheets for the export."""
    st.subheader("Each month: budget, actual and forecast")
    shown = money(ctx, months, ["budget", "actual", "forecast", "variance", "variance_to_date"])
    table = shown.assign(month_start=shown["month_start"].map(lambda m: f"{m:%b %Y}")).rename(columns={
        "month_start": "Month", "budget": "Budget (£)", "actual": "Actual (£)", "forecast": "Forecast (£)",
        "variance": "Variance in the month (£)", "variance_to_date": "Variance to date (£)"})
    long = fm.monthly_long(shown)
    show_chart(monthly_chart(long), "Budget, actual and forecast per month",
               "Grouped bars for each month April to March: budget (grey), actual for closed months (blue) and "
               "forecast for open months (orange, lighter); the figures are in the table below.",
               table, width="stretch")
    show_chart(variance_chart(shown), "Monthly variance and variance to date",
               "Bars: each month's variance to budget (red above zero = overspend, green below = underspend); "
               "dashed line with diamonds: the variance to date over the closed months.", table, width="stretch")
    tab_cat, tab_prov, tab_sector = st.tabs(["Variance by category", "Variance by provider",
                                             "Independent sector and cost per bed day"])
    cat, prov = fm.variance_grid(by_category), fm.variance_grid(by_provider)
    cat, prov = money(ctx, cat, list(cat.columns)), money(ctx, prov, list(prov.columns))
    with tab_cat:
        gbp_table(cat.rename(columns={"label": "Category"}), "fin_month_cat")
        st.caption("Actual (closed months) or forecast (open months) − budget, per month. Positive = overspend.")
    with tab_prov:
        gbp_table(prov.rename(columns={"label": "Provider"}), "fin_month_prov")
    with tab_sector:
        if sectors.empty:
            st.info("No closed month yet: no actual spend to compare.", icon=":material/info:")
        else:
            share, cost = sector_charts(sectors)
            shown_sectors = sectors.assign(month_start=sectors["month_start"].map(lambda m: f"{m:%b %Y}")).rename(
                columns={"month_start": "Month", "independent_share_pct": "Independent sector share (%)",
                         "nhs_cost_per_obd": "NHS cost per bed day (£)",
                         "independent_cost_per_obd": "Independent cost per bed day (£)"})
            show_chart(share, "Independent sector share of inpatient spend", "Line by closed month: independent "
                       "sector inpatient spend as a % of all inpatient spend.", shown_sectors, width="stretch")
            show_chart(cost, "Cost per occupied bed day: NHS and independent providers", "Two lines by closed "
                       "month: NHS providers (blue, solid, circles) and the independent sector (pink, dashed, "
                       "squares); bed days from the daily ward facts.", shown_sectors, width="stretch")
            st.caption("Cost per bed day: the sector's inpatient spend in the month ÷ the occupied bed days of its "
                       "providers' wards under this scope. Out-of-area spend buys beds elsewhere and is left out.")
    return {"Month by month": table, "Variance by category": cat.rename(columns={"label": "Category"}),
            "Variance by provider": prov.rename(columns={"label": "Provider"})}


# --------------------------------------------------------------------------- forecast history and range

def history_chart(history: pd.DataFrame, budget) -> alt.LayerChart:
    data = history.assign(month=pd.to_datetime(history["return_month"]), shown=history["outturn"].map(format_gbp),
                          moved=history["movement"].map(format_gbp))
    line = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=70), color=NHS_BLUE).encode(
        x=alt.X("month:T", title="Return (month closed)", axis=alt.Axis(format="%b %y")),
        y=alt.Y("outturn:Q", title="Forecast outturn (£)", axis=GBP_AXIS, scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("month:T", format="%B %Y", title="Return"), alt.Tooltip("shown:N", title="Outturn"),
                 alt.Tooltip("moved:N", title="Movement")])
    layers = [line]
    if budget is not None:
        rule = pd.DataFrame({"y": [budget], "text": [f"Budget {format_gbp(budget)}"]})
        layers += [alt.Chart(rule).mark_rule(color=NHS_DARK_GREY, strokeDash=[2, 2]).encode(y="y:Q"),
                   alt.Chart(rule).mark_text(align="left", dy=-6, x=4, color=NHS_DARK_GREY).encode(y="y:Q",
                                                                                                  text="text:N")]
    return alt.layer(*layers).properties(height=240)


def history_section(ctx, history: pd.DataFrame, budget) -> pd.DataFrame:
    st.subheader("How the forecast moved")
    if history.empty:
        st.info("No monthly return's forecast is kept yet for this year: each return loaded from now on keeps its "
                "forecast outturn.", icon=":material/info:")
        return pd.DataFrame()
    shown = money(ctx, history, ["outturn", "movement"])
    table = shown.assign(return_month=shown["return_month"].map(lambda m: f"{m:%b %Y}")).rename(columns={
        "return_month": "Return", "outturn": "Forecast outturn (£)", "movement": "Movement (£)"})
    budget = money(ctx, pd.DataFrame({"b": [budget]}), ["b"])["b"].iloc[0]
    show_chart(history_chart(shown, budget), "Forecast outturn by monthly return",
               "Line with points: the full-year forecast outturn each monthly return gave, against the budget "
               "(dotted).", table, width="stretch")
    return table


def assumptions_text(base: dict) -> str:
    ready = fm.ready_beds(base)
    return (f"Facts used: {base['pending_admissions']} accepted referral(s) waiting for a bed; "
            f"{base['out_of_area_patients']} out-of-area placement(s), open months' out-of-area forecast "
            f"{format_gbp(base['open_ooa'])}; clinically-ready-for-discharge bed days in the period "
            f"{base['ready_days']:,} ({ready:.1f} beds a day); cost per occupied bed day "
            f"{format_gbp(base['cost_per_obd'])}; open days {base['open_days']}. Assumptions: a pending admission "
            f"is admitted {fm.ASSUMED_WAIT_DAYS} days into the open months and stays to the year end at the average "
            "cost per bed day; own-bed spend moves with occupancy; out-of-area spend with the number of placements; "
            "a released clinically-ready bed saves the average cost per bed day for the open months. Closed months "
            "and the budget do not move.")


def range_section(ctx, base: dict | None) -> dict | None:
    st.subheader("Forecast range from its drivers")
    if base is None:
        st.info("No forecast for this year yet.", icon=":material/info:")
        return None
    result = fm.forecast_range(base)
    shown = money(ctx, pd.DataFrame([result | {"return": base["outturn"]}]), [*result, "return"]).iloc[0]
    cols = st.columns(4)
    cols[0].metric("Forecast outturn (the return)", format_gbp(shown["return"]), border=True)
    for column, name in zip(cols[1:], result):
        column.metric(f"{name} outturn", format_gbp(shown[name]), border=True,
                      help=f"Exactly £{result[name]:,.2f}")
    rows = [{"Case": name, "Occupancy (%)": d.occupancy_pct, "Pending admissions admitted (%)": d.admitted_pct,
             "Out-of-area placements (%)": d.ooa_pct, "Clinically-ready bed days released (%)": d.released_pct}
            for name, d in fm.RANGE.items()]
    show(pd.DataFrame(rows), hide_index=True, key="fin_range_drivers")
    st.caption(assumptions_text(base))
    return result


@st.fragment
def what_if(ctx, base: dict | None) -> None:
    """The what-if sliders: the same model as the range (metrics.finance.model_outturn)."""
    st.subheader("What if")
    if base is None:
        return
    left, right = st.columns(2)
    drivers = fm.Drivers(
        occupancy_pct=left.slider("Change in occupancy (%)", -30, 30, 0, 1, key="fin_whatif_occupancy"),
        ooa_pct=right.slider("Change in out-of-area placements (%)", -50, 50, 0, 5, key="fin_whatif_ooa"),
        admitted_pct=left.slider("Pending admissions admitted this year (%)", 0, 100, 0, 5, key="fin_whatif_admit"),
        released_pct=right.slider("Clinically-ready bed days released (%)", 0, 100, 0, 5, key="fin_whatif_release"))
    raw = fm.what_if_figures(base, drivers)
    figures = money(ctx, pd.DataFrame([raw]), list(raw)).iloc[0]
    cols = st.columns(3)
    cols[0].metric(f"{KPIS['forecast_outturn_gbp'].label} (what if)", format_gbp(figures["outturn"]), border=True,
                   help=f"Exactly £{figures['outturn']:,.2f}")
    cols[1].metric(f"{KPIS['variance_gbp'].label} (what if)", format_gbp(figures["variance"]), border=True)
    cols[2].metric("Change from the forecast", format_gbp(figures["change"]), border=True)
    st.caption("The sliders move the same model as the range above, from the return's forecast (all at zero).")


# --------------------------------------------------------------------------- risk register and reserves

RISK_LABELS = {"risk_id": "Risk", "collaborative_id": "Collaborative", "description": "Description",
               "value_gbp": "Value (£)", "likelihood_pct": "Likelihood (%)", "expected_gbp": "Value × likelihood (£)",
               "mitigation_gbp": "Mitigation (£)", "net_gbp": "Net of mitigation (£)", "owner": "Owner",
               "status": "Status", "raised_date": "Raised", "review_date": "Review by"}


def register_section(ctx, register: dict, fy_label: str) -> dict:
    st.subheader("Risk register and reserves")
    risks = fm.open_risk_lines(register["risks"], ctx.end) if not register["risks"].empty else register["risks"]
    sheets = {}
    if risks.empty:
        st.info(f"No financial risk is recorded for {fy_label} in this scope.", icon=":material/info:")
    else:
        shown = money(ctx, risks, ["value_gbp", "expected_gbp", "mitigation_gbp", "net_gbp"])
        table = shown[list(RISK_LABELS)].rename(columns=RISK_LABELS)
        gbp_table(table, "fin_risks")
        st.caption(f"Open risks raised by {ctx.end:%d %b %Y} count towards the risk-adjusted outturn "
                   "(value × likelihood − mitigation); closed risks count for nothing.")
        sheets["Risk register"] = table
    reserves = register["reserves"]
    if not reserves.empty:
        shown = money(ctx, reserves.assign(uncommitted=fm.uncommitted(reserves)),
                      ["held_gbp", "committed_gbp", "uncommitted"])
        table = shown[["collaborative_id", "held_gbp", "committed_gbp", "uncommitted"]].rename(columns={
            "collaborative_id": "Collaborative", "held_gbp": "Reserve held (£)", "committed_gbp": "Committed (£)",
            "uncommitted": f"{KPIS['reserves_gbp'].label} (£)"})
        gbp_table(table, "fin_reserves")
        sheets["Reserves"] = table
    forms(ctx, fy_label)
    return sheets


def forms(ctx, fy_label: str) -> None:
    """The lead provider's forms: a risk (new or by id) and the reserve. Validated, audited (finance_risk)."""
    if not access.allowed(ctx.viewer, fr.ACTION):
        return
    collabs = ctx_collaboratives(ctx)
    if not collabs:
        return
    with st.expander("Record a financial risk or the reserve", icon=":material/edit_note:"):
        with st.form("fin_risk_form", clear_on_submit=False):
            st.markdown(f"**A financial risk ({fy_label})**: an existing risk id replaces that risk.")
            a, b, c = st.columns(3)
            raw = {"collaborative_id": a.selectbox("Collaborative", collabs, key="fin_risk_collab"),
                   "risk_id": b.text_input("Risk id", max_chars=32, key="fin_risk_id"),
                   "status": c.selectbox("Status", RISK_STATUSES, key="fin_risk_status"),
                   "description": st.text_input("Description", max_chars=fr.MAX_TEXT, key="fin_risk_description")}
            a, b, c = st.columns(3)
            raw |= {"value_gbp": a.number_input("Value (£)", min_value=0.0, step=1000.0, key="fin_risk_value"),
                    "likelihood_pct": b.number_input("Likelihood (%)", 0.0, 100.0, 50.0, 5.0, key="fin_risk_like"),
                    "mitigation_gbp": c.number_input("Mitigation (£)", min_value=0.0, step=1000.0,
                                                     key="fin_risk_mitigation")}
            a, b, c = st.columns(3)
            raw |= {"owner": a.text_input("Owner", max_chars=200, key="fin_risk_owner"),
                    "raised_date": b.date_input("Raised", value=min(ctx.end, dt.date.today()), key="fin_risk_raised"),
                    "review_date": c.date_input("Review by", value=None, key="fin_risk_review")}
            if st.form_submit_button("Save the risk", type="primary"):
                report(fr.save_risk(ctx.engine, ctx.viewer, raw, fy_label), "The risk is saved.")
        with st.form("fin_reserve_form"):
            st.markdown(f"**The reserve ({fy_label})**")
            a, b, c = st.columns(3)
            raw = {"collaborative_id": a.selectbox("Collaborative", collabs, key="fin_reserve_collab"),
                   "held_gbp": b.number_input("Held (£)", min_value=0.0, step=10000.0, key="fin_reserve_held"),
                   "committed_gbp": c.number_input("Committed (£)", min_value=0.0, step=10000.0,
                                                   key="fin_reserve_committed")}
            if st.form_submit_button("Save the reserve"):
                report(fr.save_reserve(ctx.engine, ctx.viewer, raw, fy_label), "The reserve is saved.")


def ctx_collaboratives(ctx) -> list[str]:
    from ui import cached

    return sorted(cached.read(ctx, _allowed_collaboratives))


def _allowed_collaboratives(conn, viewer) -> list[str]:
    return sorted(fr.allowed_collaboratives(conn, viewer))


def report(problems, success: str) -> None:
    from ui import cached

    if not problems:
        cached.changed("finance")
        st.success(success, icon=":material/check_circle:")
        return
    st.error("Nothing was saved: " + "; ".join(f"{column} {message}" for column, message in problems),
             icon=":material/error:")


# --------------------------------------------------------------------------- exposure by partner and tier

def exposure_chart(frame: pd.DataFrame) -> alt.Chart:
    order = [b for b in BAND_COLOURS if b in set(frame["band"])]
    data = frame.assign(shown=frame["amount"].map(format_gbp),
                        who=frame["party"] + " (" + frame["collaborative"] + ")")
    return alt.Chart(data).mark_bar(stroke=NHS_DARK_GREY, strokeWidth=0.5).encode(
        y=alt.Y("who:N", title=None, sort=None, axis=alt.Axis(labelLimit=320, labelOverlap=False)),
        x=alt.X("amount:Q", title="Exposure (£; + carries an overspend, − receives an underspend)", axis=GBP_AXIS),
        color=alt.Color("band:N", title="Tier", sort=order, legend=alt.Legend(orient="top", labelLimit=320),
                        scale=alt.Scale(domain=order, range=[BAND_COLOURS[b] for b in order])),
        order=alt.Order("tier:Q"),
        tooltip=[alt.Tooltip("who:N", title="Who"), alt.Tooltip("band:N", title="Tier"),
                 alt.Tooltip("shown:N", title="Exposure"), alt.Tooltip("basis:N", title="Outturn")],
    ).properties(height=alt.Step(40))


def exposure_section(ctx, frame: pd.DataFrame, agreements: list[dict]) -> pd.DataFrame:
    st.subheader("Risk share: who carries the variance")
    if frame.empty:
        st.info("No risk-share agreement or outturn is recorded for this year in this scope.", icon=":material/info:")
        return pd.DataFrame()
    shown = money(ctx, frame, ["amount", "outturn", "variance"])
    basis = st.radio("Outturn", ["Forecast", "Run rate", "Risk-adjusted"], horizontal=True, key="fin_exposure_basis")
    part = shown[shown["basis"] == basis]
    show_chart(exposure_chart(part), f"Exposure by partner and tier: {basis.lower()} outturn",
               "Horizontal stacked bars, one per party, split by tier of the risk-share agreement (lead provider's "
               "band, partners by share, beyond the cap to the commissioner, the reinvestment pot); the tier is "
               "named in the legend and the table.", width="stretch")
    grid = fm.exposure_grid(shown).rename(columns={"collaborative": "Collaborative", "party": "Who", "band": "Tier"})
    gbp_table(grid, "fin_exposure")
    for agreement in agreements:
        st.caption(f"**{agreement['name']}**: " + " ".join(fm.agreement_text(agreement)))
    st.caption("An underspend goes to the reinvestment pot unless the agreement says it is shared: partners never "
               "receive a negative share otherwise.")
    return grid
