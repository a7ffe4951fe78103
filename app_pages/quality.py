"""Quality for the Clinical Reference Group: SPC summary table (Making Data Count), charts and a
funnel comparison of the scope's children. Layout and charts only: figures from metrics/quality.py."""

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from assets.palette import FUNNEL_95, FUNNEL_998, MDC_SHAPES, NHS_DARK_BLUE
from data_access import quality as dq
from data_access.access import AccessDenied
from data_access.scope import CHILD_LEVEL, LEVEL_LABELS
from metrics import quality as mq
from metrics.data_quality import provisional_from
from metrics.disclosure import SUPPRESSED, chart_data
from metrics.spc import COMMON, CONCERN, IMPROVEMENT, NEUTRAL
from metrics.spc_chart import spc_chart, spc_table
from ui import cached, period
from ui.auth import plain
from ui.charts import show_chart
from ui.context import current, scope_title
from ui.excel import export_metadata, workbook_bytes
from ui.exports import download
from ui.formatting import excel_format, format_value
from ui.icons import markdown_table

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

try:
    monthly = cached.read(ctx, dq.monthly_aggregates, level, code, first, ctx.end)
    total, kids = cached.read(ctx, dq.period_aggregates, level, code, ctx.start, ctx.end)
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
long = mq.monthly_long(monthly, ctx.rule, level)
provisional = provisional_from(ctx.latest, int(ctx.settings.get("extract_due_days", 28)))
summary = mq.summary_table(long, bands, rebase, provisional)


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


def draw_compare() -> None:
    if level == "ward":
        return
    child_level = CHILD_LEVEL[level]
    st.subheader(f"Compare {LEVEL_LABELS[child_level].lower()}s in {plain(ctx.scope.name)}")
    st.caption(f"{period.describe(ctx.start, ctx.end)}. Ranked best first; grey bands are funnel-plot limits "
               f"around {plain(ctx.scope.name)}'s own rate for each one's size (dark 95%, light 99.8%), so small "
               "units are judged fairly. Each counts only the activity this scope owns: its wards commissioned by "
               f"{plain(ctx.scope.name)} (a provider's wards for other collaboratives are left out).")
    kpi_id = st.selectbox("Measure", mq.QUALITY_IDS, format_func=lambda k: mq.quality_kpi(k).label,
                          key="quality_compare_kpi")
    kpi = mq.quality_kpi(kpi_id)
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
             workbook_bytes(sheets, export_metadata(ctx, f"Quality summary for {ctx.scope.name}")),
             f"quality_{ctx.scope.key.replace(':', '_')}_{ctx.end}.xlsx", ctx, "Quality summary export")


draw_summary()
draw_export()
draw_chart(pick_measure())
draw_compare()
