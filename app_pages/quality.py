"""Quality for the Clinical Reference Group: SPC summary table (Making Data Count), charts and a
funnel comparison of the scope's children. Layout and charts only: figures from metrics/quality.py."""

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from assets.palette import (
    FUNNEL_95,
    FUNNEL_998,
    MDC_COMMON,
    MDC_CONCERN,
    MDC_IMPROVEMENT,
    MDC_SHAPES,
    NHS_BLACK,
    NHS_DARK_BLUE,
    SERIES,
    SERIES_DASHES,
)
from data_access import quality as dq
from data_access import restrictive as dr
from data_access.access import AccessDenied
from data_access.scope import CHILD_LEVEL, LEVEL_LABELS
from metrics import quality as mq
from metrics import restrictive as mr
from metrics.catalogue import KPIS
from metrics.data_quality import provisional_from
from metrics.disclosure import SUPPRESSED, chart_data
from metrics.spc import COMMON, CONCERN, IMPROVEMENT, NEUTRAL
from metrics.spc_chart import spc_chart, spc_table
from ui import cached, period
from ui.auth import plain
from ui.charts import show_chart
from ui.context import current, scope_title
from ui.excel import export_metadata, with_stars, workbook_bytes
from ui.exports import download
from ui.formatting import excel_format, format_value, show, styled
from ui.icons import markdown_table
from ui.views import guarded

REBASE_KEY = "quality_rebase"
SELECTED_KEY = "quality_selected"
VERDICT_COLOURS = {"improvement": IMPROVEMENT, "concern": CONCERN, "neutral": NEUTRAL, "common_cause": COMMON}
VERDICT_LABELS = {"improvement": "Better than expected", "concern": "Worse than expected",
                  "neutral": "Outside the limits", "common_cause": "Within the limits"}

ctx = current()
level, code = ctx.scope.level, ctx.scope.code
st.title(f"Quality: {plain(scope_title(ctx.scope))}")
first = mq.series_start(ctx.start, ctx.end)
st.caption(f"Monthly statistical process control charts (NHS Making Data Count), {first:%b %Y} to "
           f"{ctx.end:%b %Y} (the last month runs to {ctx.end:%d %b %Y}) · compare: "
           f"{period.describe(ctx.start, ctx.end)} · disclosure rule: {ctx.rule}")

GRAINS = ["Unit", "Ward"]
COMPARE_KEY = "quality_compare_kpi"
grain_shown = "ward" if st.session_state.get("restrictive_grain") == "Ward" else "unit"
compared = st.session_state.get(COMPARE_KEY)
compared = compared if isinstance(compared, str) and compared in mq.QUALITY_IDS else mq.QUALITY_IDS[0]
provisional = provisional_from(ctx.latest, int(ctx.settings.get("extract_due_days", 28)))
cached.prefetch(ctx, lambda: cached.quality_series(ctx, first, provisional),
                (dq.children_aggregates, level, code, ctx.start, ctx.end, mq.NEEDS[compared]),
                (dq.node_aggregates, level, code, ctx.start, ctx.end, mq.NEEDS[compared]),
                (dr.people_by_group, level, code, ctx.start, ctx.end), (dr.by_kind, level, code, ctx.start, ctx.end),
                (dr.by_place, level, code, ctx.start, ctx.end, grain_shown),
                (dr.monthly_by_kind, level, code, first, ctx.end))  # side by side; the reads below wait for them
try:
    long, plain_summary = cached.quality_series(ctx, first, provisional)
except AccessDenied as denied:
    st.warning(str(denied), icon=":material/lock:")
    st.stop()

bands = cached.bands(ctx)


def clean_state() -> dict:
    """The page's own session state with anything else dropped (a value put there must not crash the page):
    rebase dates are month starts per known KPI; the selected KPI is a known one."""
    raw = st.session_state.get(REBASE_KEY)
    clean = {}
    for kpi_id, dates in (raw.items() if isinstance(raw, dict) else ()):
        if isinstance(kpi_id, str) and kpi_id in mq.QUALITY_IDS and isinstance(dates, (tuple, list)):
            months = {d for d in dates if type(d) is dt.date and d.day == 1}
            if months:
                clean[kpi_id] = tuple(sorted(months))
    st.session_state[REBASE_KEY] = clean
    selected = st.session_state.get(SELECTED_KEY)
    if not (isinstance(selected, str) and selected in mq.QUALITY_IDS):
        st.session_state.pop(SELECTED_KEY, None)
    return clean


rebase: dict = clean_state()
summary = mq.summary_table(long, bands, rebase, provisional) if rebase else plain_summary  # rebase dates: worked out


def unit(kind: str) -> str:
    return {"rate": "per 1,000 bed days", "pct": "%", "days": "days"}.get(kind, "")


def summary_display(frame: pd.DataFrame) -> pd.DataFrame:
    """The summary's figures (numbers, for the Excel export)."""
    return pd.DataFrame({
        "Measure": frame["label"],
        "Unit": frame["kind"].map(unit),
        "Latest month": frame["latest_month"].map(lambda m: f"{m:%b %Y}" if m is not None else "–"),
        "Latest": frame["latest"],
        "Mean": frame["mean"],
        "Lower process limit": frame["lower"],
        "Upper process limit": frame["upper"],
        "Target": frame["target"],
        "Note": [f"latest suppressed ({SUPPRESSED})" if s else ("" if m == 0 else f"{m} month(s) suppressed or missing")
                 for s, m in zip(frame["latest_suppressed"], frame["missing"])],
    })


def threshold_sources() -> str:
    sources = sorted({bands[k].source for k in mq.QUALITY_IDS if k in bands and bands[k].source})
    return "; ".join(sources) or "none recorded"


def summary_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The summary as text for the screen: icon names (drawn with alt text) and formatted figures."""
    shown = summary_display(frame)
    for column in ("Latest", "Mean", "Lower process limit", "Upper process limit", "Target"):
        shown[column] = [format_value("rate", v) for v in shown[column]]
    shown["Latest"] = [SUPPRESSED if s else v for v, s in zip(shown["Latest"], frame["latest_suppressed"])]
    shown.insert(0, "Variation", frame["variation"].tolist())
    shown.insert(1, "Assurance", frame["assurance"].tolist())
    return shown


def draw_summary() -> None:
    st.subheader("Summary")
    st.markdown(markdown_table(summary_text(summary), icon_columns=("Variation", "Assurance")))
    st.caption("Icons: NHS Making Data Count (a screen reader reads each one's meaning). Chart by kind of measure: "
               "u-chart for rates per 1,000 bed days, p-chart for proportions of people or events (limits vary with "
               "each month's denominator and never leave the possible range: the latest month's are shown), XmR "
               "otherwise (counts, days, and shares of bed days or hours). "
               "Mean and limits are from "
               "the latest segment (the first 12 months of it; trial limits before that). Target: the green band "
               f"of the KPI thresholds ({threshold_sources()}). * suppressed; – not available (no assurance icon: no "
               "target, or a neutral direction).")
    draw_legend()


def pick_measure() -> str:
    st.subheader("Control chart")
    return st.selectbox("Measure to chart", mq.QUALITY_IDS, format_func=measure_label, key=SELECTED_KEY)


def measure_label(kpi_id) -> str:
    """A measure's label; anything else put in the widget's state is shown as text, never raised on."""
    return mq.quality_kpi(kpi_id).label if isinstance(kpi_id, str) and kpi_id in mq.QUALITY_IDS else str(kpi_id)


def draw_legend() -> None:
    with st.expander("What the icons mean"):
        names = [*mq.VARIATION_NAMES, *mq.ASSURANCE_NAMES]
        legend = pd.DataFrame({"Icon": names, "Meaning": [mq.icon_label(n) for n in names]})
        st.markdown(markdown_table(legend, icon_columns=("Icon",)))


def draw_rebase_controls(kpi_id: str) -> tuple:
    dates = sorted(rebase.get(kpi_id, ()))
    left, middle, right = st.columns([2, 1, 1], vertical_alignment="bottom")
    picked = left.date_input("Recalculate limits from (a change to the process)", value=ctx.end, min_value=first,
                             max_value=ctx.end, format="DD/MM/YYYY", key=f"rebase_date_{kpi_id}")
    if middle.button("Add rebase date", key=f"rebase_add_{kpi_id}") and picked:
        month = picked.replace(day=1)
        if month > first and month not in dates:
            rebase[kpi_id] = tuple(sorted([*dates, month]))
            st.rerun()
        st.info("Limits can be recalculated from a month after the first month of the chart, once per month.")
    if dates and right.button("Clear rebase dates", key=f"rebase_clear_{kpi_id}"):
        rebase.pop(kpi_id, None)
        st.rerun()
    if dates:
        st.caption("Limits recalculated from: " + ", ".join(f"{d:%b %Y}" for d in dates))
    return tuple(dates)


def draw_chart(kpi_id: str) -> None:
    kpi = mq.quality_kpi(kpi_id)
    dates = draw_rebase_controls(kpi_id)
    frame = mq.spc_frame(long, kpi_id, bands, dates, provisional)
    if frame["value"].notna().sum() == 0:
        st.info("No months to chart for this measure in this scope (no data, or every month suppressed).")
        return
    chart_name = mq.CHART_NAMES[mq.chart_type(kpi_id)]
    title = f"{kpi.label}, {ctx.scope.name} ({chart_name})"
    chart = spc_chart(frame, title, unit(kpi.kind) or kpi.label, value_format=",.1f")
    latest = summary.set_index("kpi_id").loc[kpi_id]
    show_chart(chart.properties(height=340), title, f"Monthly statistical process control chart ({chart_name}) "
               f"with mean and process limits; latest month: {mq.icon_label(latest['variation'])}.", spc_table(frame),
               width="stretch", height=430)
    st.caption(mq.CHART_METHODS[mq.chart_type(kpi_id)])
    series = long[long["kpi_id"] == kpi_id]
    hidden = series[series["suppressed"]]["month"]
    if len(hidden):
        st.caption(f"Suppressed under the disclosure rule and left out of the chart and its limits: "
                   f"{', '.join(f'{m:%b %Y}' for m in hidden)}.")
    if frame["trial"].any():
        st.caption("Trial limits: fewer than 12 months in the segment, so the limits will change as months are added.")


def funnel_chart(table: pd.DataFrame, centre: float, kpi) -> alt.LayerChart:
    data = chart_data(table[table["shown"].notna()], ["name", "shown", "lower95", "upper95", "lower998", "upper998",
                                                      "position", "verdict"])
    data["colour"] = data["verdict"].map(VERDICT_LABELS)
    order = list(data["name"])
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    fmt = ",.1f"
    tooltip = [alt.Tooltip("name:N", title="Name"), alt.Tooltip("shown:Q", title=kpi.label, format=fmt),
               alt.Tooltip("lower95:Q", title="95% lower", format=fmt),
               alt.Tooltip("upper95:Q", title="95% upper", format=fmt),
               alt.Tooltip("lower998:Q", title="99.8% lower", format=fmt),
               alt.Tooltip("upper998:Q", title="99.8% upper", format=fmt),
               alt.Tooltip("position:N", title="Position")]
    base = alt.Chart(data).encode(y=y)
    layers = []
    if data["lower95"].notna().any():
        layers.append(base.mark_bar(color=FUNNEL_998, height=14).encode(x="lower998:Q", x2="upper998:Q"))
        layers.append(base.mark_bar(color=FUNNEL_95, height=14).encode(x="lower95:Q", x2="upper95:Q"))
    verdicts = list(VERDICT_LABELS.values())
    layers.append(base.mark_point(size=120, opacity=1, filled=True).encode(
        x=alt.X("shown:Q", title=kpi.label + (f" ({unit(kpi.kind)})" if unit(kpi.kind) else "")),
        color=alt.Color("colour:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=verdicts, range=list(VERDICT_COLOURS.values()))),
        shape=alt.Shape("colour:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=verdicts, range=[MDC_SHAPES[k] for k in VERDICT_LABELS])),
        tooltip=tooltip))
    if centre is not None:
        layers.append(alt.Chart(pd.DataFrame({"c": [centre]})).mark_rule(color=NHS_DARK_BLUE, strokeDash=[6, 3]).encode(
            x="c:Q", tooltip=[alt.Tooltip("c:Q", title=ctx.scope.name, format=fmt)]))
    return alt.layer(*layers).properties(height=max(80, 34 * len(data)), width="container")


def funnel_table(table: pd.DataFrame, kpi) -> pd.DataFrame:
    data = table[table["shown"].notna()]
    return pd.DataFrame({"Name": data["name"], kpi.label: [format_value(kpi.kind, v) for v in data["shown"]],
                         "Position": data["position"], "Verdict": data["verdict"].map(VERDICT_LABELS)})


@guarded
def draw_compare() -> None:
    if level == "ward":
        return
    child_level = CHILD_LEVEL[level]
    st.subheader(f"Compare {LEVEL_LABELS[child_level].lower()}s in {plain(ctx.scope.name)}")
    st.caption(f"{period.describe(ctx.start, ctx.end)}. Ranked best first; grey bands are funnel-plot limits "
               f"around {plain(ctx.scope.name)}'s own rate for each one's size (dark 95%, light 99.8%), so small "
               "units are judged fairly. Each counts only the activity this scope owns: its wards commissioned by "
               f"{plain(ctx.scope.name)} (a provider's wards for other collaboratives are left out).")
    if st.session_state.get(COMPARE_KEY) != compared:
        st.session_state[COMPARE_KEY] = compared  # anything else put in the widget's state: the first measure
    kpi_id = st.selectbox("Measure", mq.QUALITY_IDS, format_func=lambda k: mq.quality_kpi(k).label, key=COMPARE_KEY)
    kpi = mq.quality_kpi(kpi_id)
    total = cached.read(ctx, dq.node_aggregates, level, code, ctx.start, ctx.end, mq.NEEDS[kpi_id])
    kids = cached.read(ctx, dq.children_aggregates, level, code, ctx.start, ctx.end, mq.NEEDS[kpi_id])
    centre, table = mq.compare_table(total, kids, kpi_id, ctx.rule, level, child_level)
    if table.empty:
        st.info("Nothing below this level.")
        return
    st.metric(plain(ctx.scope.name), format_value(kpi.kind, centre["shown"], centre["suppressed"]))
    if not mq.has_funnel(kpi_id):
        st.caption("No funnel limits for this measure (not a count of events or people); ranked only.")
    elif centre["suppressed"]:
        st.caption("No funnel limits: the scope's own figure is suppressed under the disclosure rule.")
    if table["shown"].notna().any():
        shown = int(table["shown"].notna().sum())
        title = f"Compare {LEVEL_LABELS[child_level].lower()}s: {kpi.label}"
        show_chart(funnel_chart(table, centre["shown"], kpi), title,
                   "Each one's value as a point, shaped and coloured by where it falls against funnel limits around "
                   f"{ctx.scope.name}'s own figure (grey bands).", funnel_table(table, kpi), width="stretch",
                   height=max(80, 34 * shown) + 110)
    if centre.get("funnel") is not None:
        st.caption(mq.funnel_method(centre["funnel"]))
    hidden = table[table["suppressed"]]["name"].tolist()
    if hidden:
        st.caption(f"Suppressed under the disclosure rule and not shown: {', '.join(plain(h) for h in hidden)}.")


def draw_export() -> None:
    shown = summary_display(summary)
    shown.insert(0, "Variation", summary["variation"].map(mq.icon_label))
    shown.insert(1, "Assurance", summary["assurance"].map(mq.icon_label))
    shown["Latest"] = [SUPPRESSED if s else v for v, s in zip(summary["latest"], summary["latest_suppressed"])]
    series = long.assign(Month=long["month"].dt.strftime("%b %Y"), Value=[
        SUPPRESSED if s else v for v, s in zip(long["shown"], long["suppressed"])])[["Month", "label", "Value"]]
    sheets = {"Quality summary": (shown, {c: excel_format("rate") for c in ("Latest", "Mean", "Lower process limit",
                                                                            "Upper process limit", "Target")}),
              "Monthly values": (series.rename(columns={"label": "Measure"}), {"Value": "0.0"})}
    download("Download the summary as Excel",
             lambda: workbook_bytes(sheets, export_metadata(ctx, f"Quality summary for {ctx.scope.name}")),
             f"quality_{ctx.scope.key.replace(':', '_')}_{ctx.end}.xlsx", ctx, "Quality summary export")




# --- Restrictive practice (the second catalogue): by kind, by ward or unit, by month, disproportionality --------

READING_STYLE = {mr.HIGHER: (MDC_CONCERN, "triangle-up"), mr.SAME: (MDC_COMMON, "circle"),
                 mr.LOWER: (MDC_IMPROVEMENT, "triangle-down")}


def kind_display(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"Kind": table["label"], "Episodes started": table["episodes"],
                         "People": table["people"], "Hours inside the period": table["hours"],
                         "Days inside the period": table["days"]})


def place_display(table: pd.DataFrame, grain: str) -> pd.DataFrame:
    return pd.DataFrame({grain: table["name"], "Occupied bed days": table["obd"], "Episodes started": table["episodes"],
                         "People": table["people"], "Episodes per 1,000 bed days": table["rate"],
                         "Hours in seclusion": table["seclusion_hours"],
                         "Days in long-term segregation": table["segregation_days"]})


def group_display(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Dimension": table["dimension_label"], "Group": table["group_label"],
        "Patients": table["shown_patients"], "Subject to restrictive interventions": table["shown_restricted"],
        "Rate (%)": table["shown_rate"], "Rate ratio to the rest": table["shown_ratio"],
        "95% CI lower": table["shown_low"], "95% CI upper": table["shown_high"],
        "Reading": [SUPPRESSED if s else r for r, s in zip(table["reading"], table["suppressed"])]})


def flags_like(display: pd.DataFrame, suppressed: pd.Series, columns) -> pd.DataFrame:
    """True in the `columns` of the rows that are suppressed (for styled and with_stars)."""
    return pd.DataFrame({c: suppressed.to_numpy() if c in columns else False for c in display.columns},
                        index=display.index)


def show_table(display: pd.DataFrame, kinds: dict, flags: pd.DataFrame) -> None:
    show(styled(display, kinds, flags))


def draw_by_kind(kinds: pd.DataFrame) -> pd.DataFrame:
    display = kind_display(kinds)
    flags = flags_like(display, kinds["suppressed"], ("Episodes started", "People", "Hours inside the period",
                                                      "Days inside the period"))
    st.markdown("**By kind**")
    if kinds.empty:
        st.info("No restrictive interventions in this scope and period.")
    else:
        show_table(display, {"Episodes started": "count", "People": "count", "Hours inside the period": "rate",
                             "Days inside the period": "rate"}, flags)
    return with_stars(display, flags)


def draw_by_place(places: pd.DataFrame, grain: str) -> pd.DataFrame:
    display = place_display(places, grain)
    flags = flags_like(display, places["suppressed"], list(display.columns[2:]))
    if not places.empty:
        show_table(display, {"Occupied bed days": "count", "Episodes started": "count", "People": "count",
                             "Episodes per 1,000 bed days": "rate", "Hours in seclusion": "rate",
                             "Days in long-term segregation": "rate"}, flags)
    return with_stars(display, flags)


def trend_chart(monthly_kinds: pd.DataFrame) -> alt.Chart:
    data = chart_data(monthly_kinds[~monthly_kinds["suppressed"]], ["month", "label", "episodes"])
    labels = [mr.kind_label(k) for k in mr.KIND_LABELS]
    return alt.Chart(data).mark_line(point=alt.OverlayMarkDef(filled=True, size=50)).encode(
        x=alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y")),
        y=alt.Y("episodes:Q", title="Episodes started"),
        color=alt.Color("label:N", title="Kind", scale=alt.Scale(domain=labels, range=SERIES[:len(labels)]),
                        legend=alt.Legend(orient="bottom", columns=3)),
        strokeDash=alt.StrokeDash("label:N", scale=alt.Scale(domain=labels, range=SERIES_DASHES[:len(labels)]),
                                  legend=None),
        shape=alt.Shape("label:N", scale=alt.Scale(domain=labels), legend=None),
        tooltip=[alt.Tooltip("month:T", title="Month", format="%b %Y"), alt.Tooltip("label:N", title="Kind"),
                 alt.Tooltip("episodes:Q", title="Episodes started")],
    ).properties(height=300, width="container")


def draw_trend(monthly_kinds: pd.DataFrame) -> pd.DataFrame:
    table = monthly_kinds.assign(Month=monthly_kinds["month"].dt.strftime("%b %Y"))
    display = pd.DataFrame({"Month": table["Month"], "Kind": table["label"], "Episodes started": table["episodes"]})
    flags = flags_like(display, monthly_kinds["suppressed"].reset_index(drop=True), ("Episodes started",))
    display.index = flags.index
    if monthly_kinds["episodes"].notna().any():
        title = f"Restrictive interventions by kind and month, {ctx.scope.name}"
        show_chart(trend_chart(monthly_kinds), title, "Episodes started each month, one line per kind (each with its "
                   "own dash pattern and point shape).", display, width="stretch", height=380)
    if monthly_kinds["suppressed"].any():
        st.caption("Months with a kind's count suppressed under the disclosure rule are left out of the chart (*).")
    return with_stars(display, flags)


def forest_chart(groups: pd.DataFrame) -> alt.LayerChart:
    shown = groups[groups["shown_ratio"].notna() & (groups["shown_ratio"] > 0)]
    data = chart_data(shown.assign(label=shown["dimension_label"] + ": " + shown["group_label"]),
                      ["label", "shown_rate", "shown_ratio", "shown_low", "shown_high", "reading"])
    order = list(data["label"])
    readings = [r for r in READING_STYLE]
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=360))
    x_scale = alt.Scale(type="log")
    tooltip = [alt.Tooltip("label:N", title="Group"), alt.Tooltip("shown_rate:Q", title="Rate (%)", format=".1f"),
               alt.Tooltip("shown_ratio:Q", title="Rate ratio", format=".2f"),
               alt.Tooltip("shown_low:Q", title="95% CI lower", format=".2f"),
               alt.Tooltip("shown_high:Q", title="95% CI upper", format=".2f"),
               alt.Tooltip("reading:N", title="Reading")]
    base = alt.Chart(data).encode(y=y)
    whiskers = base.mark_rule(color=NHS_DARK_BLUE, strokeWidth=2).encode(x=alt.X("shown_low:Q", scale=x_scale),
                                                                           x2="shown_high:Q", tooltip=tooltip)
    points = base.mark_point(size=130, filled=True, opacity=1).encode(
        x=alt.X("shown_ratio:Q", scale=x_scale,
                title="Rate ratio to the rest of the patients (log scale; 1 = the same)"),
        color=alt.Color("reading:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=readings, range=[READING_STYLE[r][0] for r in readings])),
        shape=alt.Shape("reading:N", title=None, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=readings, range=[READING_STYLE[r][1] for r in readings])),
        tooltip=tooltip)
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color=NHS_BLACK, strokeDash=[6, 3]).encode(x="x:Q")
    return alt.layer(whiskers, one, points).properties(height=max(80, 30 * len(data)), width="container")


def draw_disproportionality(groups: pd.DataFrame) -> pd.DataFrame:
    st.markdown(f"**Disproportionality: {KPIS['people_restricted_pct'].label.lower()}, by group**")
    st.caption("Mental Health Units (Use of Force) Act 2018. Rate: patients subject to at least one restrictive "
               "intervention in the period ÷ patients with an occupied bed day in it. Rate ratio: the group's rate ÷ "
               "the rate of the rest of the patients, with a 95% confidence interval (log rate-ratio, Katz). Age on "
               "the as-of date. A group under the disclosure rule's threshold is suppressed (*) with its ratio, and "
               "so is the next smallest group of the same dimension, so it cannot be worked out from the others.")
    display = group_display(groups)
    figures = ["Patients", "Subject to restrictive interventions", "Rate (%)", "Rate ratio to the rest",
               "95% CI lower", "95% CI upper"]
    flags = flags_like(display, groups["suppressed"], figures)
    chartable = groups["shown_ratio"].notna() & (groups["shown_ratio"] > 0)
    if chartable.any():
        title = f"Rate ratios of restrictive interventions by group, {ctx.scope.name}"
        higher = ", ".join(groups[groups["reading"] == mr.HIGHER]["dimension_label"] + ": " +
                           groups[groups["reading"] == mr.HIGHER]["group_label"]) or "none"
        show_chart(forest_chart(groups), title, "Forest plot: each group's rate ratio to the rest of the patients as "
                   "a point (its shape and colour say higher, lower or no clear difference) with its 95% confidence "
                   f"interval as a line; the dashed line at 1 means the same rate. Higher than the rest: {higher}.",
                   with_stars(display, flags), width="stretch", height=max(80, 30 * int(chartable.sum())) + 110)
    show_table(display, {"Patients": "count", "Subject to restrictive interventions": "count", "Rate (%)": "rate",
                         "Rate ratio to the rest": "mean", "95% CI lower": "mean", "95% CI upper": "mean"}, flags)
    return with_stars(display, flags)


@guarded
def draw_restrictive() -> None:
    st.subheader("Restrictive practice")
    st.caption(f"{period.describe(ctx.start, ctx.end)}. Episodes started in the period; people with an episode in "
               "it (started, or still going on); hours and days inside the period (an episode still going on counts "
               f"up to {ctx.end:%d %b %Y}). Disclosure rule: {ctx.rule}.")
    kinds = mr.kind_table(cached.read(ctx, dr.by_kind, level, code, ctx.start, ctx.end), ctx.rule, level)
    sheets = {"By kind": draw_by_kind(kinds)}
    grain_label = st.radio("Show by", GRAINS, horizontal=True, key="restrictive_grain")
    grain = "ward" if grain_label == "Ward" else "unit"
    places = mr.place_table(cached.read(ctx, dr.by_place, level, code, ctx.start, ctx.end, grain), ctx.rule, level)
    sheets[f"By {grain}"] = draw_by_place(places, grain_label)
    monthly_kinds = mr.monthly_table(cached.read(ctx, dr.monthly_by_kind, level, code, first, ctx.end), ctx.rule,
                                     level)
    sheets["By month"] = draw_trend(monthly_kinds)
    groups = mr.disproportionality(cached.read(ctx, dr.people_by_group, level, code, ctx.start, ctx.end), ctx.rule,
                                   level)
    sheets["Disproportionality"] = draw_disproportionality(groups)
    download("Download restrictive practice as Excel",
             lambda: workbook_bytes({name: (frame, {}) for name, frame in sheets.items()},
                                    export_metadata(ctx, f"Restrictive practice for {ctx.scope.name}")),
             f"restrictive_practice_{ctx.scope.key.replace(':', '_')}_{ctx.end}.xlsx", ctx,
             "Restrictive practice export", key="restrictive_export")


draw_summary()
draw_export()
draw_chart(pick_measure())
draw_compare()
draw_restrictive()
