"""Overview: headline KPIs for the scope and period, and the same for each child (click to drill down)."""

import streamlit as st

from data_access.access import AccessDenied
from data_access.scope import CHILD_LEVEL, LEVEL_LABELS
from metrics.catalogue import CHILD_TABLE_IDS, KPIS
from ui import cached, meeting, period
from ui.auth import plain
from ui.context import current, go_to, scope_title
from ui.excel import export_metadata, with_stars, workbook_bytes
from ui.exports import download
from ui.formatting import excel_format, format_value, show
from ui.tiles import tiles
from ui.views import guarded

ctx = current()
st.title(plain(ctx.scope.name))


def breadcrumb() -> None:
    """The path from England down to the scope; each step is a button that goes up to it."""
    row = st.container(horizontal=True, vertical_alignment="center")
    for node in ctx.parents:
        row.button(plain(node.name), key=f"crumb_{node.key}", on_click=go_to, args=(node.key,), type="tertiary",
                   icon=":material/arrow_upward:", help=f"Go up to {LEVEL_LABELS[node.level].lower()}")
    row.markdown(f"**{plain(scope_title(ctx.scope))}**")


breadcrumb()
st.caption(f"{period.describe(ctx.start, ctx.end)}. Changes (↑↓) are against the previous period of the same "
           f"length; pp = percentage points. Disclosure rule: {ctx.rule}.")

level, code = ctx.scope.level, ctx.scope.code
periods = ((ctx.start, ctx.end), period.previous_period(ctx.start, ctx.end))
if level != "ward" and not ctx.meeting:  # the tiles and the children table side by side (meeting mode: in turn)
    cached.prefetch(ctx, lambda: cached.headline_tiles(ctx, periods), lambda: cached.children_figures(ctx))
try:
    frame = cached.headline_tiles(ctx, periods)
except AccessDenied as denied:
    st.info(str(denied), icon=":material/lock:")
    st.stop()
child_section = f"{LEVEL_LABELS[CHILD_LEVEL[level]]}s in {ctx.scope.name}" if level != "ward" else None
# Meeting mode: eight tiles a screen, so each screen fits a projector without scrolling.
groups = [frame[i:i + 8] for i in range(0, len(frame), 8)] if ctx.meeting else [frame]
tile_sections = ["Headline figures"] if len(groups) == 1 else [
    f"Headline figures ({n} of {len(groups)})" for n in range(1, len(groups) + 1)]
step = meeting.steps([*tile_sections, *([child_section] if child_section else [])])
for section, group in zip(tile_sections, groups):
    if meeting.show(section, step):
        tiles(group)


def projected(display, shown, flags, labels, child_level: str) -> None:
    """Meeting mode: a plain table whose headings wrap, so every column fits the screen."""
    name = LEVEL_LABELS[child_level]
    st.table(display.drop(columns=["code"]).assign(**{name: display[name].map(plain)}, **{labels[k]: [
        plain(format_value(KPIS[k].kind, v, f)) for v, f in zip(shown[k], flags[k])] for k in CHILD_TABLE_IDS}),
        hide_index=True)


@st.fragment
@guarded
def children_table(child_level: str) -> None:
    """The children table and its export. A fragment: picking a row or downloading reruns only this part
    (a pick then changes the scope, which reruns the page once)."""
    shown, flags, table = cached.children_figures(ctx)
    if shown.empty:
        st.info("Nothing below this level.")
        return
    labels = cached.child_labels(child_level)
    if ctx.meeting:
        projected(shown.rename(columns=labels), shown, flags, labels, child_level)
        return
    event = show(table, column_config={"code": None}, on_select="rerun", selection_mode="single-row",
                 key=f"children_{ctx.scope.key}")
    st.caption(f"Each row counts only the activity {plain(ctx.scope.name)} owns: its wards, its referrals (a provider "
               "inside a collaborative = that collaborative's wards at the provider, not wards other collaboratives "
               "commission), so a drill-down to a provider can show more. Click a row to drill down. * suppressed "
               "under the disclosure rule; – not available.")
    if event.selection.rows:
        go_to(f"{child_level}:{shown.iloc[event.selection.rows[0]]['code']}")
        st.rerun()
    formats = {labels[k]: excel_format(KPIS[k].kind) for k in CHILD_TABLE_IDS}

    def workbook() -> bytes:  # built only when the button is clicked
        export = with_stars(shown, flags).rename(columns=labels).drop(columns=["code"])
        return workbook_bytes({"Overview": (export, formats)}, export_metadata(ctx, f"Overview of {ctx.scope.name}"))

    download("Download as Excel", workbook,
             f"overview_{ctx.scope.key.replace(':', '_')}_{ctx.start}_{ctx.end}.xlsx", ctx, "Overview export")


if child_section and meeting.show(child_section, step):
    child_level = CHILD_LEVEL[level]
    st.subheader(f"{LEVEL_LABELS[child_level]}s in {plain(ctx.scope.name)}")
    children_table(child_level)
