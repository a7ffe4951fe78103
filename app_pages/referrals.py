"""Referrals to admission: funnel, stage durations, timeline, waiting list and SPC trend for the scope.

Layout and charts only: queries are in data_access/referrals.py (through ui.cached.read),
arithmetic and disclosure in metrics/referrals.py.
"""

import altair as alt
import pandas as pd
import streamlit as st

from assets.palette import NHS_BLUE, NHS_DARK_BLUE, NHS_DARK_GREY, NHS_GREEN, NHS_RED, NHS_WARM_YELLOW
from data_access import referrals as q
from data_access.access import AccessDenied
from data_access.kpi_queries import ASSESSMENT_TARGET_DAYS
from data_access.referrals import AGE_BANDS
from data_access.scope import LEVEL_LABELS
from metrics import referrals as m
from metrics.catalogue import KPIS
from metrics.data_quality import provisional_from
from metrics.disclosure import SUPPRESSED, chart_data
from metrics.spc import ICON_LABELS, icon_svg, variation_icon
from metrics.spc_chart import spc_chart, spc_table
from ui import cached, period
from ui.auth import plain as md_text
from ui.charts import show_chart
from ui.context import current, scope_title
from ui.excel import export_metadata, with_stars, workbook_bytes
from ui.exports import download
from ui.formatting import excel_format, format_value, show
from ui.tiles import tiles

DARK_BLUE, GREEN, YELLOW, RED, GREY = NHS_DARK_BLUE, NHS_GREEN, NHS_WARM_YELLOW, NHS_RED, NHS_DARK_GREY
OUTCOME_COLOURS = {"Admitted": GREEN, "Accepted, awaiting admission": YELLOW, "Awaiting assessment": NHS_BLUE,
                   "Awaiting decision": DARK_BLUE, "Declined": RED, "Withdrawn": GREY}
STAGE_OPACITY = {"Referral to assessment": 1.0, "Assessment to decision": 0.75, "Referral to decision": 0.75,
                 "Decision to admission": 0.5, "Assessment to admission": 0.5, "Referral to admission": 0.5,
                 "Still waiting": 0.3}
BANDS = [label for label, _, _ in AGE_BANDS]
DATE_FORMAT = "DD MMM YYYY"

ctx = current()
level, code = ctx.scope.level, ctx.scope.code
viewer = ctx.viewer
targets = dict(ctx.targets) or dict(ASSESSMENT_TARGET_DAYS)
base_args = (level, code)

st.title(f"Referrals to admission: {md_text(scope_title(ctx.scope))}")
st.caption(f"{period.describe(ctx.start, ctx.end)} · waiting list as of {ctx.end:%d %b %Y} · "
           f"disclosure rule: {ctx.rule}")
if level in ("provider", "unit", "ward"):
    st.caption(f"At {LEVEL_LABELS[level].lower()} level a referral belongs to the ward it was admitted to, so "
               "referrals not yet admitted (the waiting list) belong to their collaborative, not here.")

breakdown_by = st.session_state.get("referral_funnel_by", next(iter(m.DIMENSION_LABELS)))
cached.prefetch(ctx, (q.stage_aggregates, *base_args, ctx.start, ctx.end, ctx.targets),
                (q.funnel, *base_args, ctx.start, ctx.end), (q.funnel, *base_args, ctx.start, ctx.end, breakdown_by),
                (q.outcome_bands, *base_args, ctx.start, ctx.end))  # the period's figures side by side
try:
    agg = cached.read(ctx, q.stage_aggregates, *base_args, ctx.start, ctx.end, ctx.targets)
except AccessDenied:
    st.info(f"Referrals for {md_text(ctx.scope.name)} are outside what your role covers. Choose an organisation "
            "your role covers in the sidebar.", icon=":material/lock:")
    st.stop()

patient_level = not ctx.meeting and (  # projected to a meeting: never patient rows
    viewer is None or cached.scope_access(ctx.engine, ctx.url, viewer.policy, level, code)["patient_level"])
tiles(m.tiles_frame(agg, ctx.rule, level), per_row=3)
st.caption(f"{KPIS['prison_transfer_within_28_days_pct'].label}: the Mental Health Act 2025 (s.47A) 28-day "
           "transfer period, for prison referrals admitted in the period. Assessment targets (settings): "
           + ", ".join(f"{u} {targets[u]} days" for u in m.URGENCIES) + ".")


def _figure(value, decimals: int) -> str:
    return value if isinstance(value, str) else format_value("rate" if decimals else "count", value)


def on_screen(frame: pd.DataFrame, figures: list[str], one_decimal: tuple = ()) -> tuple[pd.DataFrame, dict]:
    """(table, column_config) for st.dataframe: figures as right-aligned text with thousands separators,
    suppressed cells as *, missing as –."""
    out = frame.astype(object).where(frame.notna(), "–")
    for column in figures:
        out[column] = [_figure(v, 1 if column in one_decimal else 0) for v in frame[column]]
    return out, {column: st.column_config.TextColumn(alignment="right") for column in figures}


def show_table(frame: pd.DataFrame, figures: list[str], one_decimal: tuple = ()) -> None:
    shown_frame, config = on_screen(frame, figures, one_decimal)
    show(shown_frame, hide_index=True, width="stretch", column_config=config)


def star(value, suppressed: bool) -> str:
    return format_value("count", value, suppressed)


def funnel_section() -> None:
    st.subheader("Referral funnel")
    st.caption("Each step counts referrals for which it happened in the period (a referral can count in "
               "several steps); still waiting is as of the end date.")
    steps = m.funnel_steps(cached.read(ctx, q.funnel, *base_args, ctx.start, ctx.end), ctx.rule, level)
    steps["text"] = [star(v, s) for v, s in zip(steps["shown"], steps["suppressed"])]
    if steps["suppressed"].all():
        st.info(f"Every step of the funnel is a small number, suppressed ({SUPPRESSED}) under the disclosure rule.")
        funnel_breakdown()
        return
    bars = alt.Chart(chart_data(steps, ["label", "shown", "text"])).encode(
        y=alt.Y("label:N", sort=list(steps["label"]), title=None),
        x=alt.X("shown:Q", title="Referrals", axis=alt.Axis(format="d", tickMinStep=1)),
        tooltip=[alt.Tooltip("label:N", title="Step"), alt.Tooltip("text:N", title="Referrals")])
    chart = (bars.mark_bar(color=NHS_BLUE) + bars.mark_text(align="left", dx=4).encode(text="text:N"))
    show_chart(chart.properties(height=230), "Referral funnel", "Bar chart of referrals at each step in the period, "
               "from received to admitted; each bar is labelled with its count.",
               steps[["label", "text"]].rename(columns={"label": "Step", "text": "Referrals"}), width="stretch")
    funnel_breakdown()


@st.fragment
def funnel_breakdown() -> None:
    """The breakdown table; a fragment, so changing the breakdown reruns only this."""
    labels = {k: v for k, (v, _) in m.DIMENSION_LABELS.items()}
    by = st.radio("Break down by", list(labels), format_func=labels.get, horizontal=True, key="referral_funnel_by")
    raw = cached.read(ctx, q.funnel, *base_args, ctx.start, ctx.end, by)
    shown, flags = m.funnel_breakdown(raw, by, ctx.rule, level)
    breakdown = with_stars(shown, flags).rename(columns={"category": labels[by], **m.FUNNEL_STEPS})
    show_table(breakdown, list(m.FUNNEL_STEPS.values()))


def stage_section() -> tuple[pd.DataFrame, pd.DataFrame]:
    st.subheader("Time in each stage")
    shown, flags = m.disclosed_stage_table(m.stage_table(agg), ctx.rule, level)
    stages = with_stars(shown, flags).drop(columns=["stage_id"]).rename(columns=STAGE_HEADERS)
    show_table(stages, [STAGE_HEADERS[c] for c in m.STAGE_COLUMNS], (STAGE_HEADERS["median"], STAGE_HEADERS["p90"]))
    st.caption("A referral enters a stage's figures only when both of its dates exist, with the later date in "
               "the period (never as zero days); those still in a stage on the end date are counted in the last "
               "column instead. Decision to admission has no catalogue KPI; its figures follow the same rule.")
    target_shown, target_flags = m.disclosed_target_table(m.target_table(agg, targets), ctx.rule, level)
    target = with_stars(target_shown, target_flags).rename(columns=TARGET_HEADERS)
    st.markdown(f"**{KPIS['assessment_within_target_pct'].label}, by urgency**")
    figures = [TARGET_HEADERS[c] for c in ("target_days", "assessed", "within", "pct")]
    show_table(target, figures, (TARGET_HEADERS["pct"],))
    return stages, target


STAGE_HEADERS = {"stage": "Stage", "n": "Referrals completing the stage in the period", "median": "Median days",
                 "p90": "90th percentile days", "waiting": "Still in this stage at end date"}
TARGET_HEADERS = {"urgency": "Urgency", "target_days": "Target (days from referral)", "assessed": "Assessed",
                  "within": "Within target", "pct": "Within target (%)"}


def timeline_chart(segments: pd.DataFrame, order: list[str]) -> alt.LayerChart:
    domain = [o for o in OUTCOME_COLOURS if o in set(segments["outcome"])]
    tooltip = [alt.Tooltip("referral_id:N", title="Referral (pseudonymised)"),
               alt.Tooltip("outcome:N", title="Outcome"), alt.Tooltip("stage:N", title="Stage"),
               alt.Tooltip("days:Q", title="Days in this stage"), alt.Tooltip("received:N", title="Received"),
               alt.Tooltip("assessed:N", title="Assessed"), alt.Tooltip("decided:N", title="Decided"),
               alt.Tooltip("admitted:N", title="Admitted"), alt.Tooltip("total_days:Q", title="Days so far in all"),
               alt.Tooltip("source:N", title="Source"), alt.Tooltip("urgency:N", title="Urgency"),
               alt.Tooltip("disputed:N", title="Disputed")]
    y = alt.Y("referral_id:N", sort=order, title=None, axis=alt.Axis(labels=len(order) <= 80, ticks=False))
    colour = alt.Color("outcome:N", title="Outcome", legend=alt.Legend(orient="top", columns=6),
                       scale=alt.Scale(domain=domain, range=[OUTCOME_COLOURS[o] for o in domain]))
    opacity = alt.Opacity("stage:N", title="Stage", legend=alt.Legend(orient="right"),
                          scale=alt.Scale(domain=list(STAGE_OPACITY), range=list(STAGE_OPACITY.values())))
    base = alt.Chart(segments).encode(y=y, tooltip=tooltip)
    x = alt.X("from:T", title=None, axis=alt.Axis(format="%d %b %Y", orient="top"),
              scale=alt.Scale(domain=[ctx.start.isoformat(), ctx.end.isoformat()]))
    bars = base.mark_bar(stroke="white", strokeWidth=0.5, clip=True).encode(x=x, x2="to:T", color=colour,
                                                                            opacity=opacity)
    starts = base.transform_filter("datum.first").mark_tick(color=GREY, thickness=2, clip=True).encode(x=x)
    return alt.layer(bars, starts).properties(height=max(160, 14 * len(order)))


@st.fragment
def timeline_section() -> None:
    """The timeline (patient-level) or its aggregate view; a fragment, so its filters rerun only this."""
    st.subheader("Timeline of each referral")
    if not patient_level:
        outcome_bands_view()
        return
    left, right = st.columns(2)
    sources = left.multiselect("Source", list(m.SOURCE_LABELS), format_func=m.SOURCE_LABELS.get,
                               key="referral_sources", placeholder="All sources")
    urgencies = right.multiselect("Urgency", list(m.URGENCY_LABELS), format_func=m.URGENCY_LABELS.get,
                                  key="referral_urgencies", placeholder="All urgencies")
    cap = int(ctx.settings.get("max_timeline_rows", 500))
    try:
        rows = cached.read(ctx, q.timeline, *base_args, ctx.start, ctx.end, cap, tuple(sorted(sources)),
                           tuple(sorted(urgencies)))
    except AccessDenied as denied:
        st.info(str(denied), icon=":material/lock:")
        return
    if rows.empty:
        st.info("No referrals were open in this period for this selection.")
        return
    total = int(rows["total"].iloc[0])
    note = (f"Showing the {len(rows):,} most recently received of {total:,} referrals open at some time in the "
            f"period (the most referrals drawn is {cap:,}, a setting); newest at the top." if total > len(rows)
            else f"All {total:,} referrals open at some time in the period; newest at the top.")
    st.caption(note + " Bars run from referral to admission, decline or withdrawal (or to the end date while "
               "still waiting), drawn within the period; the tick marks the referral date. "
               "Hover for the pseudonymised referral id, dates and days in each stage.")
    segments = m.timeline_segments(rows, ctx.end)
    order = list(dict.fromkeys(segments["referral_id"]))
    with st.container(height=min(720, max(260, 14 * len(order) + 120))):
        show_chart(timeline_chart(segments, order), "Timeline of each referral",
                   f"One horizontal bar per referral ({len(order):,}), split into stages and coloured by outcome; "
                   "the same referrals are listed with their dates in the waiting list and the Excel download.",
                   width="stretch")


def outcome_bands_view() -> None:
    raw = cached.read(ctx, q.outcome_bands, *base_args, ctx.start, ctx.end)
    data = m.outcome_band_chart_data(raw, BANDS, ctx.rule, level)
    st.caption("Your role shows aggregates here, not one bar per referral: referrals open at some time in the "
               "period by days from referral to admission, decline or withdrawal (or to the end date while still "
               "waiting), coloured by outcome.")
    visible = data[~data["suppressed"]]
    if visible.empty:
        st.info("Every figure here is suppressed under the disclosure rule." if len(data) else
                "No referrals were open in this period.")
        return
    domain = [o for o in OUTCOME_COLOURS if o in set(visible["outcome_label"])]
    chart = alt.Chart(chart_data(visible, ["band", "referrals", "outcome_label"])).mark_bar().encode(
        x=alt.X("band:N", title="Days from referral", scale=alt.Scale(domain=BANDS), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("referrals:Q", title="Referrals"),
        color=alt.Color("outcome_label:N", title="Outcome", legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=domain, range=[OUTCOME_COLOURS[o] for o in domain])),
        tooltip=[alt.Tooltip("outcome_label:N", title="Outcome"), alt.Tooltip("band:N", title="Days"),
                 alt.Tooltip("referrals:Q", title="Referrals", format=",.0f")])
    table = visible[["band", "outcome_label", "referrals"]].rename(
        columns={"band": "Days from referral", "outcome_label": "Outcome", "referrals": "Referrals"})
    show_chart(chart.properties(height=300), "Referrals by days from referral and outcome",
               "Stacked bars: referrals open in the period in bands of days from referral, coloured by outcome.",
               table, width="stretch")
    hidden = int(data["suppressed"].sum())
    if hidden:
        st.caption(f"{hidden} small group(s) suppressed ({SUPPRESSED}) under the disclosure rule are not drawn.")


WAITING_HEADERS = {"referral_id": "Referral (pseudonymised)", "disputed": "Disputed", "received_date": "Received",
                   "stage_label": "Stage", "age_days": "Age (days)", "days_over_target": "Days over target",
                   "target": "Target", "urgency": "Urgency", "source": "Source", "security_level": "Security level"}


def waiting_section() -> tuple[str, pd.DataFrame]:
    st.subheader(f"Waiting list as of {ctx.end:%d %b %Y}")
    if not patient_level:
        shown, flags = m.waiting_pivot(cached.read(ctx, q.waiting_summary, *base_args, ctx.end), BANDS, ctx.rule, level)
        summary = with_stars(shown, flags)
        st.caption("Your role shows aggregates here: referrals open on the end date by stage and days since "
                   "referral.")
        show_table(summary, [*BANDS, "Total"])
        return "Waiting list summary", summary
    try:
        rows = cached.read(ctx, q.waiting_list, *base_args, ctx.end)
    except AccessDenied as denied:
        st.info(str(denied), icon=":material/lock:")
        return "Waiting list", pd.DataFrame()
    listed = m.waiting_with_targets(rows, targets)
    listed = listed.assign(urgency=listed["urgency"].map(m.URGENCY_LABELS),
                           source=listed["source"].map(m.SOURCE_LABELS),
                           security_level=listed["security_level"].map(m.SECURITY_LABELS),
                           disputed=listed["disputed"].map({True: "⚠ Disputed", False: ""}))
    listed = listed[list(WAITING_HEADERS)].rename(columns=WAITING_HEADERS)
    disputed = int(rows["disputed"].sum()) if len(rows) else 0
    st.caption(f"{len(rows):,} referrals open, oldest first; {disputed:,} disputed (marked). Days over target count "
               "from referral against the assessment target while awaiting assessment, and against the 28-day "
               "transfer period for prison referrals; later stages have no target set (–).")
    screen, config = on_screen(listed, [WAITING_HEADERS["days_over_target"]])
    config[WAITING_HEADERS["received_date"]] = st.column_config.DateColumn(format=DATE_FORMAT)
    config[WAITING_HEADERS["age_days"]] = st.column_config.NumberColumn(format="%d")
    screen[WAITING_HEADERS["age_days"]] = listed[WAITING_HEADERS["age_days"]]
    screen[WAITING_HEADERS["received_date"]] = listed[WAITING_HEADERS["received_date"]]
    show(screen, hide_index=True, width="stretch", column_config=config)
    return "Waiting list", listed


def trend_section() -> None:
    label = KPIS["median_referral_to_admission_days"].label
    st.subheader(f"{label}, by month of admission")
    months = m.month_starts(ctx.end)
    monthly = cached.read(ctx, q.monthly_admission_medians, *base_args, months[0], ctx.end)
    frame = m.trend(monthly, months, ctx.rule, level,
                    provisional_from(ctx.latest, int(ctx.settings.get("extract_due_days", 28))))
    if frame["value"].notna().sum() < 2:
        st.info("Too few months with admissions for a control chart here.")
        return
    icon = variation_icon(frame, "down")
    show_chart(spc_chart(frame, f"{label} (XmR chart)", "Median days"), f"{label} (XmR chart)",
               f"Monthly statistical process control chart with mean and process limits; latest month: "
               f"{ICON_LABELS[icon]}.", spc_table(frame), width="stretch")
    left, right = st.columns([1, 20], vertical_alignment="center")
    left.image(icon_svg(icon, 28), width=28, alt=ICON_LABELS[icon])
    right.markdown(f"{ICON_LABELS[icon]} (latest month; lower is better).")
    notes = [f"The {len(months)} months to {ctx.end:%b %Y}; the last month may be incomplete. Mean and process "
             "limits from the first 12 months with admissions (trial limits before that)."]
    if frame["suppressed"].any():
        notes.append(f"{int(frame['suppressed'].sum())} month(s) suppressed under the disclosure rule are gaps.")
    st.caption(" ".join(notes))


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing cells (NaN, NA) as None, for the Excel writer."""
    return frame.astype(object).where(frame.notna(), None)


def export(stage: pd.DataFrame, target: pd.DataFrame, waiting: tuple[str, pd.DataFrame]) -> None:
    days = excel_format("days")
    sheets = {"Stage durations": (plain(stage), {STAGE_HEADERS["median"]: "0.0", STAGE_HEADERS["p90"]: "0.0"}),
              "Assessments within target": (plain(target), {TARGET_HEADERS["pct"]: excel_format("pct")}),
              waiting[0]: (plain(waiting[1]), {WAITING_HEADERS["age_days"]: days,
                                        WAITING_HEADERS["received_date"]: "dd mmm yyyy"})}
    download("Download stage table and waiting list (Excel)",
                   lambda: workbook_bytes(sheets, export_metadata(ctx, f"Referrals to admission, {ctx.scope.name}")),
                   f"referrals_{ctx.scope.key.replace(':', '_')}_{ctx.start}_{ctx.end}.xlsx", ctx,
                   f"Referrals to admission: stage table and {waiting[0].lower()}", key="referrals_export")


funnel_section()
stage_table, target_table = stage_section()
timeline_section()
waiting = waiting_section()
trend_section()
export(stage_table, target_table, waiting)
