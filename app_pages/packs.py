"""Meeting packs: for a governance forum, the KPIs it reviews for the scope and period, and an Excel pack."""

import streamlit as st

from data_access import governance, thresholds
from data_access.access import AccessDenied
from metrics.catalogue import KPIS
from metrics.packs import known_and_unknown, pack_table
from metrics.rag import with_bases
from ui import cached, period
from ui.auth import plain
from ui.context import current, scope_title
from ui.excel import export_metadata, workbook_bytes
from ui.exports import download
from ui.formatting import format_value, show
from ui.tiles import tiles

ctx = current()
st.title("Meeting packs")
st.caption(f"{plain(scope_title(ctx.scope))} · {period.describe(ctx.start, ctx.end)} · disclosure rule: {ctx.rule}")


def scope_collaborative() -> str | None:
    return thresholds.collaborative_of(ctx.scope, ctx.parents)


try:
    forums = cached.read(ctx, governance.forums, ctx.scope.level, ctx.scope.code, scope_collaborative())
except AccessDenied as error:
    st.info(str(error))
    st.stop()
if forums.empty:
    st.info("No governance forums are recorded for this scope. Choose a collaborative in the sidebar.")
    st.stop()

names = dict(zip(forums["forum_id"], forums["name"]))
wanted = st.query_params.get("forum")
if wanted not in names:
    if wanted:
        st.warning("The forum in the address is not one of this scope's forums; showing the first instead.")
    wanted = next(iter(names))
forum_id = st.selectbox("Governance forum", list(names), index=list(names).index(wanted),
                        format_func=lambda f: names[f])
st.query_params["forum"] = forum_id
kpi_ids = cached.read(ctx, governance.forum_kpi_ids, forum_id, viewer=False)
chain = cached.read(ctx, governance.escalation_chain, forum_id, viewer=False)
known, unknown = known_and_unknown(kpi_ids)

st.header(plain(names[forum_id]))
st.caption("Escalates to: " + (" → ".join(plain(c) for c in chain) if chain else "nobody (top of the structure)"))
reporting = forums[forums["parent_forum_id"] == forum_id]["name"].tolist()
if reporting:
    st.caption("Reports to this forum: " + ", ".join(plain(r) for r in reporting))
if unknown:
    st.warning("This forum lists KPIs the catalogue does not define: " + ", ".join(plain(u) for u in unknown))
if not known:
    st.info("No KPIs are assigned to this forum (forum_kpi).")
    st.stop()

level, code = ctx.scope.level, ctx.scope.code
try:
    now = cached.kpi_table(ctx.engine, ctx.url, level, code, ctx.start, ctx.end, ctx.targets, viewer=ctx.viewer,
                           kpi_ids=with_bases(known))
    before_start, before_end = period.previous_period(ctx.start, ctx.end)
    before = cached.kpi_table(ctx.engine, ctx.url, level, code, before_start, before_end, ctx.targets,
                              viewer=ctx.viewer, kpi_ids=tuple(known))
except AccessDenied as denied:
    st.info(str(denied), icon=":material/lock:")
    st.stop()
bands = cached.bands(ctx)
table = pack_table(now, before, known, ctx.rule, level, bands)
tiles(table)

shown = table.assign(
    KPI=table["label"],
    Value=[format_value(k, v, s) for k, v, s in zip(table["kind"], table["shown"], table["suppressed"])],
    Previous=[format_value(k, v, s) for k, v, s in zip(table["kind"], table["previous"], table["suppressed"])],
    Status=table["rag_words"], Direction=table["direction_words"],
    Unit=[KPIS[k].unit for k in table["kpi_id"]], Threshold=table["threshold"],
)[["KPI", "Value", "Previous", "Status", "Direction", "Unit", "Threshold"]]
show(shown, hide_index=True, width="stretch")
st.caption(f"Previous period: {period.describe(before_start, before_end)}.")

export = table.assign(KPI=table["label"], Unit=[KPIS[k].unit for k in table["kpi_id"]])
export = export.assign(Value=export["shown"].where(~export["suppressed"], "*"),
                       Previous=export["previous"].where(~export["suppressed"], "*"))
export = export[["KPI", "Value", "Previous", "rag_words", "direction_words", "Unit", "threshold"]].rename(
    columns={"rag_words": "Status", "direction_words": "Direction", "threshold": "Threshold"})
metadata = export_metadata(ctx, f"Meeting pack: {names[forum_id]}") | {
    "Forum": names[forum_id], "Escalates to": " → ".join(chain) or "—",
    "Previous period": f"{before_start:%Y-%m-%d} to {before_end:%Y-%m-%d}"}
download("Download the meeting pack (Excel)",
         workbook_bytes({"Pack": (export, {"Value": "#,##0.0", "Previous": "#,##0.0"})}, metadata),
         f"pack_{forum_id}_{ctx.start}_{ctx.end}.xlsx", ctx, "Meeting pack export")
