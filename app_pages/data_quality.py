"""Data quality: for the scope and period, what each feed delivered per provider and when, completeness and
validity of key fields, one score per provider (method stated), and bed state reconciled with the census."""

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from data_access import data_quality as dq_data
from data_access.access import AccessDenied
from metrics import data_quality as dq
from metrics.disclosure import disclose, disclose_counts
from ui import cached, period
from ui.context import current, scope_title
from ui.formatting import format_value

ctx = current()
level, code = ctx.scope.level, ctx.scope.code
due_days = int(ctx.settings.get("extract_due_days", 28))
st.title(f"Data quality: {scope_title(ctx.scope)}")
st.caption(f"{period.describe(ctx.start, ctx.end)} · as of {ctx.latest:%d %b %Y} · a month's extract is due "
           f"{due_days} days after the month ends · disclosure rule: {ctx.rule}")

try:
    cached.prefetch(ctx, (dq_data.period_frames, level, code, ctx.start, ctx.end), (dq_data.scope_frames, level, code))
    frames = {**cached.read(ctx, dq_data.scope_frames, level, code),  # the same for every period: cached across them
              **cached.read(ctx, dq_data.period_frames, level, code, ctx.start, ctx.end)}
except AccessDenied as denied:
    st.info(f"{denied} Choose an organisation within your role in the sidebar.", icon=":material/lock:")
    st.stop()
except sa.exc.SQLAlchemyError as error:
    st.error(f"The data quality figures could not be read ({type(error).__name__}). Nothing has been changed; "
             "try again in a minute.", icon=":material/database:")
    st.stop()

found = dq.report(frames, ctx.start, ctx.end, due_days, ctx.latest)
names = dict(zip(found["providers"]["provider_code"], found["providers"]["name"]))
if not names:
    st.info("No provider runs a ward under this organisation.")
    st.stop()


def provider_name(code_value) -> str:
    return f"{names.get(code_value, code_value)} ({code_value})"


def pct(value, numerator, denominator) -> str:
    shown = disclose("pct", value, numerator, denominator, ctx.rule, level)
    return format_value("pct", shown.value, shown.suppressed) if value is not None else "–"


complete_to = dq.complete_to(ctx.latest, due_days)
st.subheader("Feeds: last submission and months on time")
st.caption(f"Complete to {complete_to:%d %b %Y}: later months are provisional on trend and SPC charts until "
           "their extract is due. Bed state is daily: a month is late when some open ward-days had no report.")
feeds = found["feeds"].copy()
feeds["Provider"] = feeds["provider_code"].map(provider_name)
feeds["Feed"] = feeds["feed"].map(dq.FEED_LABELS)
feeds["Last submission"] = [("–" if pd.isna(v) else f"{pd.Timestamp(v):%d %b %Y %H:%M}") for v in feeds["last"]]
shown = feeds.rename(columns=dq.STATUS_LABELS)[["Provider", "Feed", "Last submission",
                                                 *[dq.STATUS_LABELS[s] for s in dq.STATUSES]]]
st.dataframe(shown, hide_index=True, width="stretch")

st.subheader("Completeness and validity of key fields")
st.caption("Completeness: records with the field filled in (ethnic group: stated). Validity: records whose code "
           "is one the data set allows. People and spells with a ward stay on this organisation's wards in the "
           "period; discharges in the period; referrals received in the period.")
table = found["completeness"]
counts = disclose_counts(table, ["records"], ctx.rule, level)
fields = pd.DataFrame({
    "Provider": table["provider_code"].map(provider_name), "Field": table["field"].map(dq.FIELD_LABELS),
    "Records": [format_value("count", v, s) for v, s in zip(counts["records"], counts["suppressed"])],
    "Complete": [pct(p, c, n) for p, c, n in zip(table["complete_pct"], table["complete"], table["records"])],
    "Valid": [pct(p, v, n) for p, v, n in zip(table["valid_pct"], table["valid"], table["records"])]})
st.dataframe(fields, hide_index=True, width="stretch")

st.subheader("Data quality score")
score = found["scores"]
st.dataframe(pd.DataFrame({
    "Provider": score["provider_code"].map(provider_name),
    "Score": [("–" if v is None or pd.isna(v) else f"{v:.1f}") for v in score["score"]],
    "Items averaged": score["items"]}), hide_index=True, width="stretch")
with st.expander("How the score is worked out"):
    st.markdown("In the spirit of NHS England's Data Quality Maturity Index, which averages item scores of "
                "completeness and validity: the score is the unweighted mean of the percentages above for the "
                "provider (completeness of ethnic group, home locality, clinically ready for discharge date, "
                "discharge destination and security level; validity of each coded field) and the share of its "
                "due extract months that arrived on time. An item with no records is left out. The figures are "
                "computed before disclosure control.")

st.subheader("Reported bed state against the census of ward stays")
st.caption("Occupied beds in each ward's last report of a day against the patients whose ward stay covers that "
           "day; the largest differences first (days that agree are not listed).")
rec = found["reconciliation"]
if rec.empty and found["reported_days"]:
    st.success(f"Every reported ward-day matched the census ({format_value('count', found['reported_days'])} "
               "ward-days with a report).", icon=":material/check_circle:")
elif rec.empty:
    st.info("No bed state was reported in this period.")
else:
    safe = disclose_counts(rec, ["reported", "census"], ctx.rule, level)
    st.dataframe(pd.DataFrame({
        "Ward": rec["ward"] + " (" + rec["ward_code"] + ")", "Provider": rec["provider_code"].map(provider_name),
        "Day": [f"{pd.Timestamp(d):%d %b %Y}" for d in rec["day"]],
        "Reported occupied": [format_value("count", v, s) for v, s in zip(safe["reported"], safe["suppressed"])],
        "Census": [format_value("count", v, s) for v, s in zip(safe["census"], safe["suppressed"])],
        "Difference": [("*" if s else f"{int(d):+d}") for d, s in zip(rec["difference"], safe["suppressed"])]}),
        hide_index=True, width="stretch")
