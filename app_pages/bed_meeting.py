"""The weekly bed meeting: free beds now by gender × security level × specialism, who is waiting for a bed,
who is clinically ready for discharge, and where occupancy is heading. One section per screen in meeting mode."""

import altair as alt
import pandas as pd
import sqlalchemy as sa
import streamlit as st

from assets import palette
from data_access import bed_meeting as dm
from data_access import beds
from data_access.access import AccessDenied
from metrics import bed_meeting as bmm
from metrics import beds as mb
from metrics.catalogue import KPIS
from metrics.disclosure import disclose
from ui import bed_map, cached, meeting
from ui import beds_view as view
from ui.auth import plain
from ui.charts import show_chart
from ui.context import current, scope_title
from ui.formatting import format_value, show, styled
from ui.views import guarded

ctx = current()
level, code = ctx.scope.level, ctx.scope.code
bound = mb.live_bound(ctx.end, ctx.latest)
viewer = ctx.viewer
patient_level = not ctx.meeting and (  # projected to a meeting: never patient rows
    viewer is None or cached.scope_access(ctx.engine, ctx.url, viewer.policy, level, code)["patient_level"])
SECTIONS = ["Free beds now", "Waiting for a bed", "Ready for discharge", "Occupancy projection"]

st.title(f"Bed meeting: {plain(scope_title(ctx.scope))}")
as_of = "live (every report received)" if bound is None else f"end of {ctx.end:%d %b %Y}"
st.caption(f"As of {ctx.end:%d %b %Y} · bed state {as_of} · disclosure rule: {ctx.rule}"
           + ("" if patient_level else " · counts only (no patient rows for this role, scope or meeting mode)"))


def read(reader, *args, live: bool = False):
    try:
        return cached.read(ctx, reader, *args, live=live)
    except AccessDenied as denied:
        st.info(f"{denied} Choose an organisation within your role in the sidebar.", icon=":material/lock:")
    except sa.exc.SQLAlchemyError as error:
        st.error(f"The bed meeting's data could not be read ({type(error).__name__}). Nothing has been changed; "
                 "try again in a minute.", icon=":material/database:")
    st.stop()


def count(column, label: str, value, help_text: str | None = None) -> None:
    shown = disclose("count", value, rule=ctx.rule, level=level)
    column.metric(label, format_value("count", shown.value, shown.suppressed), border=True, help=help_text)


def total(column, label: str, frame: pd.DataFrame, field: str, help_text: str) -> None:
    value, suppressed = bmm.total(frame, field, ctx.rule, level)
    column.metric(label, format_value("count", value, suppressed), border=True, help=help_text)


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column, labels in (("gender", {**view.GENDER_LABELS, "male": "Men", "female": "Women"}),
                           ("security_level", view.SECURITY_LABELS), ("specialism", view.SPECIALISM_LABELS),
                           ("urgency", {})):
        if column in out.columns:
            out[column] = [view.label(labels, v) for v in out[column]]
    return out


HEADERS = {"gender": "Gender", "security_level": "Security level", "specialism": "Specialism", "wards": "Wards",
           "not_reporting": "Wards not reporting", "open_beds": "Open beds", "free_beds": "Free beds",
           "waiting": "People waiting", "urgency": "Urgency", "ready": "Patients ready", "mean_days":
           "Mean days since ready", "days_longest": "Longest (days)"}


def disclosed_table(frame: pd.DataFrame, kinds: dict[str, str]) -> None:
    """A disclosed table with plain labels: its `kinds` columns as numbers, `*` where suppressed."""
    shown = labelled(frame).drop(columns=["suppressed"]).rename(columns=HEADERS)
    flags = pd.DataFrame({HEADERS[c]: frame["suppressed"].astype(bool) for c in kinds}, index=frame.index)
    show(styled(shown, {HEADERS[c]: k for c, k in kinds.items()}, flags))


@guarded
def free_beds_section(wards: pd.DataFrame) -> None:
    st.subheader("Free beds now")
    total = mb.beds_available(wards)
    tiles = st.columns(3)
    count(tiles[0], KPIS["beds_available_now"].label, total, "Latest bed state of each open ward")
    tiles[1].metric("Wards reporting", f"{int(wards['reported_at'].notna().sum())} of {len(wards)}", border=True)
    tiles[2].metric("Open wards", f"{len(wards)}", border=True)
    bed_map.draw(ctx, wards, f"meeting_map_{ctx.scope.key}")
    st.markdown("**By gender and security level**")
    disclosed_table(mb.free_beds_by(wards, ctx.rule, level, ("gender", "security_level")), {"free_beds": "count"})
    st.markdown("**By gender, security level and specialism**")
    disclosed_table(mb.free_beds_by(wards, ctx.rule, level), {"free_beds": "count"})
    st.caption("Free beds: each open ward's latest bed state, commissioned − occupied − closed, never below 0 "
               "(the same rule as the map and the placement finder). Mixed wards take men and women.")


@guarded
def waiting_section() -> None:
    st.subheader("Waiting for a bed")
    counts = read(dm.waiting_counts, level, code, ctx.end)
    total(st.columns(3)[0], "Expected admissions", counts, "waiting", "Accepted, awaiting admission")
    if patient_level:
        rows = read(dm.waiting_rows, level, code, ctx.end)
        table = labelled(rows).rename(columns={"referral_id": "Referral", "collaborative_id": "Collaborative",
                                               "decision_date": "Accepted on", "days_waiting": "Days waiting",
                                               **HEADERS})
        show(table, column_config={"Accepted on": st.column_config.DateColumn(format="DD MMM YYYY")})
    else:
        disclosed_table(bmm.waiting_table(counts, ctx.rule, level), {"waiting": "count"})
    st.caption("Referrals accepted and not yet admitted on the as-of date (the requested gender is the "
               "patient's). Days waiting count from the decision to accept. Below collaborative level a waiting "
               "referral has no ward yet, so none are shown.")


@guarded
def ready_section() -> None:
    st.subheader("Clinically ready for discharge")
    counts = read(dm.ready_counts, level, code, ctx.end)
    total(st.columns(3)[0], "Expected discharges", counts, "ready", "Clinically ready for discharge")
    if patient_level:
        rows = read(dm.ready_rows, level, code, ctx.end)
        table = labelled(rows.drop(columns=["ward_code"])).rename(columns={
            "spell_id": "Spell", "ward_name": "Ward", "unit_name": "Unit", "ready_date": "Ready since",
            "days_ready": "Days since ready", **HEADERS})
        show(table, column_config={"Ready since": st.column_config.DateColumn(format="DD MMM YYYY")})
    else:
        disclosed_table(bmm.ready_table(counts, ctx.rule, level),
                        {"ready": "count", "mean_days": "mean", "days_longest": "count"})
    st.caption("Patients in a bed of the scope on the as-of date whose clinical team recorded them ready for "
               "discharge; days since that date.")


def projection_chart(shown: pd.DataFrame) -> alt.LayerChart:
    data = shown.dropna(subset=["occupancy_pct"])
    line = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(shape="circle", size=60),
                                     color=palette.NHS_DARK_BLUE).encode(
        x=alt.X("weeks_ahead:Q", title="Weeks from now", axis=alt.Axis(values=[0, *bmm.HORIZONS])),
        y=alt.Y("occupancy_pct:Q", title="Projected occupancy (%)", scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip("weeks_ahead:Q", title="Weeks from now"),
                 alt.Tooltip("occupancy_pct:Q", title="Occupancy (%)", format=".1f")])
    rule = alt.Chart(pd.DataFrame({"y": [mb.OCCUPANCY_CEILING]})).mark_rule(
        color=palette.NHS_RED, strokeDash=[6, 4]).encode(y="y:Q")
    return alt.layer(line, rule).properties(height=260)


@guarded
def projection_section() -> None:
    st.subheader(f"Occupancy projection, {bmm.HORIZONS[0]} to {bmm.HORIZONS[-1]} weeks")
    flow = read(dm.flow, level, code, ctx.end, bmm.LOOKBACK_WEEKS)
    shown = bmm.disclosed_projection(bmm.projection(flow), flow, ctx.rule, level)
    rates = bmm.weekly_rates(flow)
    tiles = st.columns(3)
    tiles[0].metric("Arrivals per week (last 12 weeks)", f"{rates['arrivals']:.1f}", border=True)
    tiles[1].metric("Departures per week (last 12 weeks)", f"{rates['departures']:.1f}", border=True)
    tiles[2].metric("Open beds now", f"{flow['beds']}", border=True)
    table = pd.DataFrame({"Weeks from now": shown["weeks_ahead"], "Projected occupied beds": shown["occupied"],
                          "Projected occupancy (%)": shown["occupancy_pct"]})
    show_chart(projection_chart(shown), "Projected occupancy", "A line of projected occupancy now and 4, 8 and "
               "12 weeks ahead, with a dashed red line at 85%.", table, width="stretch")
    st.caption(bmm.METHOD.format(**flow))


wards = read(beds.ward_bed_state, level, code, ctx.end, bound, live=True)
now = meeting.steps(SECTIONS)
if meeting.show("Free beds now", now):
    free_beds_section(wards)
if meeting.show("Waiting for a bed", now):
    waiting_section()
if meeting.show("Ready for discharge", now):
    ready_section()
if meeting.show("Occupancy projection", now):
    projection_section()
