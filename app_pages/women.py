"""Women's pathway: women's secure indicators next to men's, distributions, children, pathway flows,
the Women's Secure Blended Service pilot and the lived-experience survey."""

import altair as alt
import pandas as pd
import sqlalchemy as sa
import streamlit as st

from assets.palette import NHS_BLUE, NHS_MID_GREY, NHS_PALE_GREY, NHS_RED
from data_access import women as dw
from data_access.access import AccessDenied
from data_access.scope import CHILD_LEVEL, LEVEL_LABELS
from metrics import women as wm
from ui import cached, period
from ui.auth import plain
from ui.charts import show_chart
from ui.context import current, go_to, scope_title
from ui.excel import export_metadata, with_stars, workbook_bytes
from ui.exports import download
from ui.formatting import NO_CHANGE, excel_format, format_change, format_value, is_missing, show, styled
from ui.views import guarded

WOMEN, MEN, BENCHMARK_RED, GREY = NHS_BLUE, NHS_MID_GREY, NHS_RED, NHS_PALE_GREY
SEX_COLOURS = alt.Scale(domain=["Women", "Men"], range=[WOMEN, MEN])

ctx = current()
level, code = ctx.scope.level, ctx.scope.code
node = code or "national"
benchmark = int(ctx.settings.get("women_los_benchmark_days", 728))
st.title(f"Women's pathway – {plain(scope_title(ctx.scope))}")
st.caption(f"Adult secure wards only · as of {ctx.end:%d %b %Y} · {period.describe(ctx.start, ctx.end)} · "
           f"disclosure rule: {ctx.rule}")


def read(fn, *args):
    """Call a cached read; AccessDenied or a database error gives a message and stops the page."""
    try:
        return cached.read(ctx, fn, *args)
    except AccessDenied as error:
        st.warning(str(error), icon=":material/lock:")
    except sa.exc.SQLAlchemyError:
        st.error("The reporting database could not be read just now. Nothing has been changed; "
                 "try again in a minute.", icon=":material/database:")
    st.stop()


def shown(kind, value, suppressed) -> str:
    return format_value(kind, None if suppressed else value, suppressed)


def headline_tiles(head: pd.DataFrame) -> None:
    records = head.to_dict("records")
    for first in range(0, len(records), 4):
        for column, row in zip(st.columns(4), records[first:first + 4]):
            with column:
                delta = None
                benchmarked = row["kpi_id"] == wm.BENCHMARKED
                if benchmarked and row["women"] is not None and not row["women_suppressed"]:
                    change = format_change("days", row["women"] - benchmark)
                    delta = "at the benchmark" if change == NO_CHANGE else f"{change} vs benchmark"
                note = wm.NOTES.get(row["kpi_id"])
                help_text = (f"Benchmark: {benchmark:,} days (completed stays)" if benchmarked else None)
                st.metric(row["label"], shown(row["kind"], row["women"], row["women_suppressed"]),
                          delta=delta, delta_color="inverse", border=True, help=help_text)
                st.caption(f"Men: {shown(row['kind'], row['men'], row['men_suppressed'])}"
                           + (f" · {note.capitalize()}" if note else ""))


def _los_data(head: pd.DataFrame, kpi_id: str) -> pd.DataFrame:
    row = head.set_index("kpi_id").loc[kpi_id]
    return pd.DataFrame({"group": ["Women", "Men"], "days": [row["women"], row["men"]]}).dropna()


def los_chart(head: pd.DataFrame) -> None:
    """Like for like: completed stays against the benchmark; current inpatients' stays so far below it,
    labelled, with no benchmark."""
    completed_los_chart(_los_data(head, wm.BENCHMARKED))
    current = _los_data(head, "women_median_los_days")
    if current.empty:
        return
    bars = alt.Chart(current).mark_bar().encode(
        x=alt.X("days:Q", title="Median days so far, current inpatients"),
        y=alt.Y("group:N", title=None, sort=["Women", "Men"]),
        color=alt.Color("group:N", scale=SEX_COLOURS, legend=None), tooltip=["group", "days"])
    table = current.assign(days=[f"{d:,.0f}" for d in current["days"]]).rename(
        columns={"group": "Group", "days": "Days so far"})
    show_chart(bars.properties(height=110), "Current inpatients: length of stay so far (not the benchmark's measure)",
               "Two bars, women and men: median days so far of patients in a bed on the as-of date (not "
               "compared with the benchmark: current stays are biased to long stayers).", table, width="stretch",
               height=170)
    st.caption("Current stays are still running and long stays are over-represented in a census, so they are "
               "not set against the benchmark.")


def completed_los_chart(data: pd.DataFrame) -> None:
    if data.empty:
        st.info("No completed stays in the 12 months to the as-of date (or too few to show).",
                icon=":material/visibility_off:")
        return
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("days:Q", title="Median length of stay of completed stays (days)"),
        y=alt.Y("group:N", title=None, sort=["Women", "Men"]),
        color=alt.Color("group:N", scale=SEX_COLOURS, legend=None), tooltip=["group", "days"])
    rule = alt.Chart(pd.DataFrame({"days": [benchmark]})).mark_rule(color=BENCHMARK_RED, strokeDash=[6, 3],
                                                                    size=2).encode(x="days:Q")
    label = alt.Chart(pd.DataFrame({"days": [benchmark], "text": [f"Benchmark {benchmark:,} days"]})).mark_text(
        align="right", dx=-4, dy=-30, color=BENCHMARK_RED).encode(x="days:Q", text="text:N")
    table = data.assign(days=[f"{d:,.0f}" for d in data["days"]]).rename(columns={"group": "Group", "days": "Days"})
    show_chart((bars + rule + label).properties(height=140), "Completed stays: median length of stay, women and men",
               "Two bars, women and men: median length of stay of spells discharged in the 12 months to the as-of "
               f"date, with a dashed line at the {benchmark:,}-day benchmark.", table, width="stretch", height=200)
    st.caption(f"Completed stays (discharged in the 12 months to {ctx.end:%d %b %Y}) against the "
               f"{benchmark:,}-day benchmark, like for like.")


def band_chart(frame: pd.DataFrame, title: str) -> None:
    frame = frame.dropna(subset=["pct"])
    if frame.empty or not frame["pct"].any():
        st.info("Too few patients to show under the disclosure rule.", icon=":material/visibility_off:")
        return
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("band:N", title=title, sort=alt.SortField("order")),
        xOffset=alt.XOffset("sex:N", sort=["Women", "Men"]),
        y=alt.Y("pct:Q", title="% of patients"),
        color=alt.Color("sex:N", scale=SEX_COLOURS, title=None),
        tooltip=[alt.Tooltip("sex:N", title="Group"), alt.Tooltip("band:N", title=title),
                 alt.Tooltip("patients:Q", title="Patients", format=",.0f"),
                 alt.Tooltip("pct:Q", title="% of group", format=".1f")])
    initials = alt.Chart(frame.assign(initial=frame["sex"].str[0])).mark_text(dy=-6, fontSize=11).encode(
        x=alt.X("band:N", sort=alt.SortField("order")), xOffset=alt.XOffset("sex:N", sort=["Women", "Men"]),
        y="pct:Q", text="initial:N")
    table = frame[["band", "sex", "patients", "pct"]].rename(
        columns={"band": title, "sex": "Group", "patients": "Patients", "pct": "% of group"})
    show_chart((chart + initials).properties(height=260), title, "Bars side by side for women (W) and men (M): "
               "the percentage of each group in each band.", table, width="stretch")


@guarded
def distributions() -> None:
    st.subheader("Distributions, women and men")
    raw = read(dw.distributions, level, code, ctx.end)
    parts = [("los", wm.LOS_BANDS, "Length of stay (current spell)"),
             ("distance", wm.DISTANCE_BANDS, "Distance from home"),
             ("hospitals", None, "Number of hospitals (units) ever stayed in")]
    for column, (key, labels, title) in zip(st.columns(3), parts):
        with column:
            frame = wm.bands(raw[key], labels, ctx.rule, level)
            st.markdown(f"**{title}**")
            band_chart(frame, title)
            if frame["suppressed"].any():
                st.caption("Bars with fewer patients than the disclosure rule allows are left out (*).")
    st.caption(f"Patients in an adult secure bed on {ctx.end:%d %b %Y}. Length of stay follows the beds under "
               f"this node; distance and hospitals follow its home patients at region and collaborative level. "
               f"The {benchmark:,}-day benchmark is about two years.")


@guarded
def children_section() -> pd.DataFrame | None:
    child_level = CHILD_LEVEL[level]
    st.subheader(f"{LEVEL_LABELS[child_level]}s in {plain(ctx.scope.name)}: where women stay longest")
    kids, raw = read(dw.child_indicators, level, code, ctx.end)
    if not kids:
        st.info("Nothing below this level.")
        return None
    long = wm.indicator_table(raw, [k for k, _ in kids])
    values, flags = wm.children_wide(long, kids, ctx.rule, level)
    labels = {"name": LEVEL_LABELS[child_level], "women_in_bed": "Women in a secure bed",
              **{k: _unit_label(k) for k in wm.INDICATOR_IDS}}
    numbers = ["women_in_bed", *wm.INDICATOR_IDS]
    values[numbers] = values[numbers].apply(pd.to_numeric, errors="coerce")
    display = values.rename(columns=labels)
    kinds = {labels[k]: wm.KINDS[k] for k in wm.INDICATOR_IDS} | {labels["women_in_bed"]: "count"}
    event = show(styled(display, kinds, flags.rename(columns=labels)), column_config={"code": None},
                 on_select="rerun", selection_mode="single-row", key=f"women_children_{ctx.scope.key}")
    st.caption("Women's figures. Click a row to drill down. * suppressed under the disclosure rule; "
               "– not available.")
    if event.selection.rows:
        go_to(f"{child_level}:{values.iloc[event.selection.rows[0]]['code']}")
        st.rerun()
    child_los_chart(values)
    return with_stars(display, flags.rename(columns=labels)).drop(columns=["code"])


def child_los_chart(values: pd.DataFrame) -> None:
    field = wm.BENCHMARKED
    data = values[["name", field]].dropna()
    if data.empty:
        return
    bars = alt.Chart(data).mark_bar(color=WOMEN).encode(
        x=alt.X(f"{field}:Q", title="Women's median length of stay of completed stays (days)"),
        y=alt.Y("name:N", title=None, sort="-x"),
        tooltip=[alt.Tooltip("name:N", title="Name"),
                 alt.Tooltip(f"{field}:Q", title="Days", format=",.0f")])
    rule = alt.Chart(pd.DataFrame({"days": [benchmark]})).mark_rule(color=BENCHMARK_RED, strokeDash=[6, 3],
                                                                    size=2).encode(x="days:Q")
    table = data.assign(days=[f"{d:,.0f}" for d in data[field]])[["name", "days"]].rename(
        columns={"name": "Name", "days": "Women's median length of stay of completed stays (days)"})
    show_chart((bars + rule).properties(height=max(120, 28 * len(data))), "Women's completed stays by "
               f"{LEVEL_LABELS[CHILD_LEVEL[level]].lower()}", "One bar each, longest first, with a dashed line at "
               f"the {benchmark:,}-day benchmark.", table, width="stretch", height=max(120, 28 * len(data)) + 80)
    st.caption(f"Dashed red line: the {benchmark:,}-day benchmark, set against completed stays (like for like).")


def _unit_label(kpi_id: str) -> str:
    unit = {"pct": "%", "days": "days", "km": "km"}.get(wm.KINDS[kpi_id])
    return wm.LABELS[kpi_id] + (f" ({unit})" if unit else "")


@guarded
def pathway() -> None:
    st.subheader("Pathway: security levels women have moved through")
    raw = read(dw.transitions, level, code, ctx.start, ctx.end)
    if raw.empty:
        st.info("No women in an adult secure bed here in the period.")
        return
    stage = wm.stages(raw, ctx.rule, level).dropna(subset=["patients"])
    chart = alt.Chart(stage).mark_bar().encode(
        x=alt.X("stage:N", title="Move along the pathway", sort=wm.stage_order(stage)),
        y=alt.Y("patients:Q", title="Women", stack="zero"),
        color=alt.Color("state:N", title="Security level or outcome",
                        scale=alt.Scale(scheme="tableau10")),
        tooltip=["stage", "state", alt.Tooltip("patients:Q", format=",.0f")])
    left, right = st.columns([3, 2])
    with left:
        if stage.empty:
            st.info("Too few women to chart under the disclosure rule.", icon=":material/visibility_off:")
        else:
            show_chart(chart.properties(height=300), "Women at each stage of the pathway",
                       "Stacked bars: women at each stage by security level or outcome; the flows are in the "
                       "table beside it.", stage[["stage", "state", "patients"]].rename(
                           columns={"stage": "Stage", "state": "Security level or outcome", "patients": "Women"}),
                       width="stretch")
    with right:
        flows = wm.flows(raw, ctx.rule, level)
        table = flows.assign(patients=[("*" if s else f"{v:,.0f}") for v, s in zip(flows["patients"],
                                                                                  flows["suppressed"])])
        show(table[["step", "from", "to", "patients"]].rename(
            columns={"step": "Move", "from": "From", "to": "To", "patients": "Women"}), hide_index=True,
            width="stretch")
    st.caption(f"Women with an adult secure stay under this node between {ctx.start:%d %b %Y} and "
               f"{ctx.end:%d %b %Y}; each step is a change of security level across all their adult secure ward "
               "stays (Move 1 = the first security level, Move 2 the next...), ending where they are now. Small "
               "flows are suppressed (*).")


@guarded
def pilot() -> None:
    st.subheader("Women's Secure Blended Service pilot")
    raw = read(dw.pilot, level, code, ctx.end)
    if raw["summary"].empty or not raw["summary"]["pilot"].any():
        st.info("No Women's Secure Blended Service pilot spells here.")
        return
    table, caution = wm.pilot_summary(raw, ctx.rule, level)
    if caution:
        st.warning(f"A group has fewer than {wm.SMALL_GROUP} spells: differences may be chance.",
                   icon=":material/warning:")
    show(table.map(lambda v: format_value("count", v) if is_missing(v) or isinstance(v, (int, float)) else str(v)))
    dest = wm.pilot_destinations(raw, ctx.rule, level).dropna(subset=["pct"])
    if not dest.empty:
        chart = alt.Chart(dest).mark_bar().encode(
            y=alt.Y("destination:N", title="Discharged to"), x=alt.X("pct:Q", title="% of the group's discharges"),
            yOffset="group:N", color=alt.Color("group:N", title=None,
                                               scale=alt.Scale(range=[WOMEN, MEN])),
            tooltip=["group", "destination", alt.Tooltip("spells:Q", format=",.0f"),
                     alt.Tooltip("pct:Q", format=".1f")])
        names = alt.Chart(dest).mark_text(align="left", dx=3, fontSize=11).encode(
            y="destination:N", x="pct:Q", yOffset="group:N", text="group:N")
        show_chart((chart + names).properties(height=220), "Where pilot and comparable spells were discharged to",
                   "Bars side by side per destination, each labelled with its group: the percentage of the group's "
                   "discharges.", dest[["destination", "group", "spells", "pct"]].rename(
                       columns={"destination": "Discharged to", "group": "Group", "spells": "Spells",
                                "pct": "% of the group's discharges"}), width="stretch")
    st.caption("Comparable others: women's adult secure spells under this node, not in the pilot, with the same "
               "first security level and the same admission year as a pilot spell.")


def lived_experience() -> None:
    raw = read(dw.survey, level, code)
    st.subheader(f"Lived experience: women's secure care survey ({wm.survey_years(raw)})")
    heads, answers = wm.survey_tables(raw, ctx.rule, level)
    if heads.empty and answers.empty:
        st.info("No survey answers in the reporting database.")
        return
    if not heads.empty:
        show(heads.rename(columns={"measure": "Survey headline"}), hide_index=True, width="stretch")
    for question, group in answers.groupby("question", sort=False) if not answers.empty else []:
        st.markdown(f"**{question}**")
        show(group.drop(columns=["question"]).rename(columns={"answer": "Answer"}), hide_index=True,
                     width="stretch")
    st.caption(f"Survey data ({wm.survey_years(raw)}): aggregate answers of respondents to the women's secure care "
               "survey (n = "
               "respondents; % of respondents choosing each answer), not counts of patients in this database.")


def export(head: pd.DataFrame, children: pd.DataFrame | None) -> None:
    rows = [{"Indicator": r["label"],
             "Women": "*" if r["women_suppressed"] else r["women"],
             "Men": "*" if r["men_suppressed"] else r["men"]} for r in head.to_dict("records")]
    sheets = {"Women and men": (pd.DataFrame(rows), {})}
    if children is not None:
        formats = {_unit_label(k): excel_format(wm.KINDS[k]) for k in wm.INDICATOR_IDS}
        sheets["By " + CHILD_LEVEL[level]] = (children, formats)
    download("Download indicator table as Excel",
             lambda: workbook_bytes(sheets, export_metadata(ctx, f"Women's pathway indicators, {ctx.scope.name}")),
             f"womens_pathway_{ctx.scope.key.replace(':', '_')}_{ctx.end}.xlsx", ctx, "Women's pathway export")


cached.prefetch(ctx, (dw.indicators, level, code, ctx.end), (dw.transitions, level, code, ctx.start, ctx.end),
                (dw.distributions, level, code, ctx.end), (dw.pilot, level, code, ctx.end),
                *([(dw.child_indicators, level, code, ctx.end)] if level != "ward" else []))  # side by side
raw_node = read(dw.indicators, level, code, ctx.end)
head = wm.headline(wm.indicator_table(raw_node, [node]), node, ctx.rule, level)
st.subheader("Headline: women, with men alongside")
headline_tiles(head)
los_chart(head)
distributions()
child_export = children_section() if level != "ward" else None
export(head, child_export)
pathway()
pilot()
lived_experience()
