"""Submit bed state: a provider's users report the current bed state of their own wards, one ward at a
time or all wards from a spreadsheet. Each submission is audited and shows at once on the Bed occupancy page."""

import io

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from data_access import bed_state_submit as submit
from data_access.access import AccessDenied
from ui import cached
from ui.context import current
from ui.exports import download

ctx = current()
st.title("Submit bed state")
st.caption("Report the beds of your own wards as they are now. A submission is time-stamped, audited and shown "
           "on the Bed occupancy page at once.")

if not submit.submit_allowed(ctx.viewer):
    st.info("Your role cannot submit bed state: only a provider's users report the beds of their own wards.",
            icon=":material/lock:")
    st.stop()

try:
    with ctx.engine.connect() as conn:
        wards = submit.own_wards(conn, ctx.viewer)
except sa.exc.SQLAlchemyError as error:
    st.error(f"Your wards could not be read ({type(error).__name__}). Nothing has been changed.")
    st.stop()
if wards.empty:
    st.info("No open wards belong to your organisation.")
    st.stop()


def send(rows: list[dict], source: str) -> None:
    try:
        ok, message, problems = submit.submit(ctx.engine, ctx.viewer, rows, source)
    except AccessDenied as denied:
        st.error(str(denied))
        return
    except sa.exc.SQLAlchemyError as error:
        st.error(f"The database refused the submission ({type(error).__name__}). Nothing was saved.")
        return
    if ok:
        cached.changed("bed_state")  # only the live bed-state readers read afresh
        st.success(message, icon=":material/check_circle:")
    else:
        st.error(message + " " + "; ".join(str(p) for p in problems))


names = dict(zip(wards["ward_code"], wards["name"]))
beds = dict(zip(wards["ward_code"], wards["commissioned_beds"]))
with st.form("one_ward"):
    code = st.selectbox("Ward", list(names), format_func=lambda c: f"{names[c]} ({c}, {beds[c]} commissioned beds)")
    left, right = st.columns(2)
    occupied = left.number_input("Occupied beds", min_value=0, step=1, value=0)
    available = right.number_input("Available beds", min_value=0, step=1, value=0)
    closed = left.number_input("Closed beds", min_value=0, step=1, value=0)
    on_leave = right.number_input("Patients on leave (of the occupied beds)", min_value=0, step=1, value=0)
    reason = st.text_input("Reason beds are closed (needed when any are)", max_chars=200)
    if st.form_submit_button("Submit this ward's bed state", type="primary"):
        send([{"ward_code": code, "occupied": occupied, "available": available, "closed": closed,
               "closed_reason": reason, "on_leave": on_leave}], "form")

st.subheader("All wards from a spreadsheet")
template = pd.DataFrame({"ward_code": wards["ward_code"], "occupied": "", "available": "", "closed": "",
                         "closed_reason": "", "on_leave": ""})
buffer = io.StringIO()
template.to_csv(buffer, index=False)
download("Download the template (CSV, your wards)", buffer.getvalue().encode("utf-8"), "bed_state_template.csv", ctx,
         "Bed state template", key="bed_state_template", mime="text/csv")
upload = st.file_uploader("Upload the bed state of your wards (.xlsx or .csv with columns "
                          f"{', '.join(submit.COLUMNS)})", type=["xlsx", "csv"])
if upload is not None and st.button("Submit the spreadsheet"):
    limit = int(ctx.settings.get("max_upload_mb", 10)) * 1_000_000
    try:
        rows = submit.read_upload(upload.getvalue(), upload.name, limit)
    except ValueError as error:
        st.error(f"{error} Nothing was saved.")
    else:
        send(rows, upload.name)
