"""Audit trail: who viewed, exported, imported, signed in or was refused (national and lead provider roles).

National users see every row; a lead provider sees the rows about its own organisations
(data_access.audit.read). Other roles get a message and their attempt is itself audited.
"""

import datetime as dt

import streamlit as st

from data_access import access, audit, clock
from data_access.access import AccessDenied
from ui import cached
from ui.context import current
from ui.excel import export_metadata, workbook_bytes
from ui.exports import download
from ui.formatting import show

ctx = current()
st.title("Audit trail")
st.caption("Page views, exports, imports, sign-ins and refused access, newest first. Rows hold filters and "
           "scopes only, never patient identifiers.")

today = clock.uk_today()
left, middle, right = st.columns([2, 2, 2])
picked = left.date_input("From – to", value=(today - dt.timedelta(days=6), today), max_value=today,
                         format="DD/MM/YYYY", key="audit_period")
actions = middle.multiselect("Actions", list(audit.ACTIONS), format_func=audit.ACTION_LABELS.get,
                             key="audit_actions")
user = right.text_input("User contains", max_chars=100, key="audit_user")
if not isinstance(picked, (tuple, list)) or len(picked) != 2:
    st.info("Pick the last day of the period too.")
    st.stop()
start, end = picked

try:
    access.require(ctx.viewer, "read audit")
    keys = cached.read(ctx, access.visible_keys)
    rows = cached.fresh(ctx, audit.read, start, end, tuple(actions), user, audit.LIMIT, keys)
except AccessDenied as denied:
    audit.record(ctx.engine, ctx.viewer, "denied", audit.target("Audit trail", ctx.scope.key),
                 {"reason": "role"})
    st.info(f"{denied} It is open to national and lead provider roles.", icon=":material/lock:")
    st.stop()

if rows.empty:
    st.info("No audit rows for these filters.")
    st.stop()

display = rows.assign(action=rows["action"].map(lambda a: audit.ACTION_LABELS.get(a, a))).rename(columns={
    "at": "When", "user_id": "User", "role": "Role", "action": "Action", "target": "What @ scope",
    "detail": "Filters"})
limit_note = f" (the newest {audit.LIMIT:,} only: narrow the filters)" if len(rows) >= audit.LIMIT else ""
st.caption(f"{len(rows):,} rows{limit_note}. Times are UK time (GMT or BST).")
show(display, hide_index=True, width="stretch",
             column_config={"When": st.column_config.DatetimeColumn(format="DD MMM YYYY HH:mm:ss")})
download("Download as Excel",
               lambda: workbook_bytes({"Audit trail": (display, {"When": "dd mmm yyyy hh:mm:ss"})},
                              export_metadata(ctx, f"Audit trail {start:%d %b %Y} to {end:%d %b %Y}")),
               f"audit_{start}_{end}.xlsx", ctx, "Audit trail export")
