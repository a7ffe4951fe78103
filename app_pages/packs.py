"""Meeting packs: a governance forum's pack as an exception report, its actions and decisions, published
(frozen) packs and their PDF. Layout only: figures from metrics/governance.py, records from data_access.

The forum defaults to the scope's Board (?forum= in the URL); ?pack=<id> opens a published pack as presented.
In meeting mode (ui/meeting.py) the pack is shown one section per screen and nothing can be edited.
"""

import datetime as dt

import pandas as pd
import streamlit as st

from data_access import clock, governance, thresholds
from data_access import quality as dq
from data_access.access import DEFAULT_DISCLOSURE, AccessDenied
from metrics import governance as mg
from metrics.disclosure import SUPPRESSED, strictest
from metrics.packs import default_forum, known_and_unknown
from metrics.quality import icon_uri
from metrics.rag import with_bases
from metrics.spc_chart import spc_chart, spc_table
from ui import cached, meeting, period
from ui.auth import plain
from ui.charts import show_chart
from ui.context import current, scope_title
from ui.excel import export_metadata, workbook_bytes
from ui.exports import download
from ui.formatting import format_value
from ui.pack_pdf import pack_pdf

ctx = current()
level, code, key = ctx.scope.level, ctx.scope.code, ctx.scope.key
month = period.month_start(ctx.end)
DONE_KEY = "packs_done"  # the message of the last write, shown after the rerun that displays it


def scope_collaborative() -> str | None:
    return thresholds.collaborative_of(ctx.scope, ctx.parents)


try:
    forums = cached.read(ctx, governance.forums, level, code, scope_collaborative())
except AccessDenied as error:
    st.info(str(error))
    st.stop()
if forums.empty:
    st.title("Meeting packs")
    st.info("No governance forums are recorded for this scope. Choose a collaborative in the sidebar.")
    st.stop()

names = dict(zip(forums["forum_id"], forums["name"]))
wanted = st.query_params.get("forum")
if wanted not in names:
    if wanted:
        st.warning("The forum in the address is not one of this scope's forums; showing the scope's Board instead.")
    wanted = default_forum(forums, scope_collaborative())
    st.query_params["forum"] = wanted


def go_forum(forum_id: str) -> None:
    st.query_params["forum"] = forum_id
    st.query_params.pop("pack", None)


def pick_forum() -> str:
    if ctx.meeting:
        return wanted
    ids = list(names)
    picked = st.selectbox("Governance forum", ids, index=ids.index(wanted), format_func=lambda f: names[f],
                          key=f"forum_{key}")
    if picked != wanted:
        go_forum(picked)
        st.rerun()
    return picked


st.title("Meeting packs")
forum_id = pick_forum()
kpi_ids = cached.read(ctx, governance.forum_kpi_ids, forum_id, viewer=False)
chain = cached.read(ctx, governance.escalation_path, forum_id, viewer=False)
known, unknown = known_and_unknown(kpi_ids)
records = cached.fresh(ctx, governance.pack_records, forum_id, key, month)
can_write = not ctx.meeting and cached.read(ctx, governance.write_allowed, level, code)
author = ctx.viewer.user_id if ctx.viewer else "analyst"


def escalation() -> None:
    """The escalation chain, forum to forum: each a link to that forum's pack."""
    row = st.container(horizontal=True, vertical_alignment="center")
    row.markdown("Escalates to:" if chain else "Escalates to: nobody (top of the structure)")
    for parent_id, name in chain:
        row.button(plain(name), key=f"up_{parent_id}", on_click=go_forum, args=(parent_id,), type="tertiary",
                   icon=":material/arrow_upward:", disabled=parent_id not in names,
                   help=None if parent_id in names else "Not one of this scope's forums")
    below = forums[forums["parent_forum_id"] == forum_id]
    if not below.empty:
        row = st.container(horizontal=True, vertical_alignment="center")
        row.markdown("Reports to this forum:")
        for child_id, name in zip(below["forum_id"], below["name"]):
            row.button(plain(name), key=f"down_{child_id}", on_click=go_forum, args=(child_id,), type="tertiary",
                       icon=":material/arrow_downward:")


def live_content(rule: str, meeting_date: dt.date) -> dict:
    months = mg.report_months(ctx.end)
    quality_ids, other_ids = mg.split_ids(known)
    with st.spinner(f"Calculating {len(months)} months of figures…"):
        tables = cached.kpi_months(ctx.engine, ctx.url, level, code, months[0][0], ctx.end, ctx.targets,
                                   viewer=ctx.viewer, kpi_ids=with_bases(other_ids)) if other_ids else []
        quality = cached.read(ctx, dq.monthly_aggregates, level, code, months[0][0], ctx.end) if quality_ids else None
    long = mg.forum_long(tables, months, quality, known, rule, level)
    bands = cached.bands(ctx)
    report, frames = mg.exception_report(long, known, bands, month, records["narratives"])
    published = records["published"]
    earlier = published[published["meeting_date"] < meeting_date]["meeting_date"]
    return mg.build_content(
        forum={"forum_id": forum_id, "name": names[forum_id], "chain": [n for _, n in chain]},
        scope={"key": key, "name": scope_title(ctx.scope)}, month=month, period_end=ctx.end,
        meeting_date=meeting_date, rule=rule, data_as_of=str(ctx.latest),
        report=report, frames=frames, narratives=records["narratives"],
        actions=mg.action_states(records["actions"], meeting_date, earlier.max() if len(earlier) else None),
        decisions=records["decisions"])


def meeting_date() -> dt.date:
    try:
        return dt.date.fromisoformat(st.query_params.get("date", ""))
    except ValueError:
        return dt.datetime.now(dt.UTC).date()


# --- drawing a pack (live or published: the same content dict) ---------------------------------------------


def value(kpi: dict, field: str) -> str:
    return format_value(kpi["kind"], kpi.get(field), bool(kpi.get(f"{field}_suppressed")))


def draw_summary(content: dict) -> None:
    st.header("KPI summary")
    kpis = content["kpis"]
    rows = pd.DataFrame({
        "Variation": [icon_uri(k["variation"]) or "" for k in kpis],
        "Assurance": [icon_uri(k["assurance"]) or "" for k in kpis],
        "KPI": [k["label"] for k in kpis], "Latest": [value(k, "latest") for k in kpis],
        "Same month last year": [value(k, "last_year") for k in kpis],
        "Target": [format_value(k["kind"], k.get("target")) for k in kpis],
        "Status": [k["rag_words"] for k in kpis], "Threshold": [k["threshold"] for k in kpis],
        "Exception": ["Yes" if k["exception"] else "" for k in kpis]})
    config = {"Variation": st.column_config.ImageColumn("Variation", help="Making Data Count variation icon"),
              "Assurance": st.column_config.ImageColumn("Assurance", help="Making Data Count assurance icon")}
    st.dataframe(rows, hide_index=True, width="stretch", column_config=config, row_height=42,
                 height=42 * (len(rows) + 1) + 8)
    st.caption(f"Figures for {_month(content['month'])} (to {_day(content['period_end'])}); money is financial "
               "year to date. Same month last year and the target (the green band of the thresholds) are the "
               "comparisons. An exception is special-cause concern, a target the process will not meet, off track "
               "against plan, or flagged.")


def _month(text) -> str:
    return f"{dt.date.fromisoformat(str(text)[:10]):%b %Y}" if text else "–"


def _day(text) -> str:
    return f"{dt.date.fromisoformat(str(text)[:10]):%d %b %Y}" if text else "–"


def draw_exception(content: dict, kpi: dict, editable: bool) -> None:
    st.header(f"Exception: {kpi['label']}")
    st.markdown(f"**Why:** {plain(kpi['reasons'])}")
    columns = st.columns([1, 1, 1, 3])
    columns[0].metric(f"Latest, {_month(kpi['latest_month'])}", value(kpi, "latest"), border=True)
    columns[1].metric("Same month last year", value(kpi, "last_year"), border=True)
    columns[2].metric("Target", format_value(kpi["kind"], kpi.get("target")), border=True)
    with columns[3]:
        for name, words in ((kpi["variation"], kpi["variation_label"]), (kpi["assurance"], kpi["assurance_label"])):
            if name:
                icon, text = st.columns([1, 8], vertical_alignment="center")
                icon.image(icon_uri(name), width=44, alt=words)
                text.markdown(plain(words))
    frame = mg.chart_frame(content, kpi["kpi_id"])
    if frame["value"].notna().sum():
        chart = spc_chart(frame, f"{kpi['label']}, {content['scope']['name']}", kpi["unit"] or kpi["label"],
                          value_format=",.1f")
        show_chart(chart.properties(height=230 if ctx.meeting else 300), f"{kpi['label']}: SPC chart",
                   "Monthly values with the mean and process limits (Making Data Count); point shapes mark "
                   "special cause variation.", spc_table(frame), width="stretch",
                   height=320 if ctx.meeting else 390)
    elif kpi["kind"] == "gbp":
        st.caption("Financial year to date: judged against plan, no SPC chart.")
    draw_narrative(content, kpi, editable)


def draw_narrative(content: dict, kpi: dict, editable: bool) -> None:
    note = content["narratives"].get(kpi["kpi_id"])
    st.subheader("Narrative")
    if note:
        st.markdown(plain(note["text"]))
        written = clock.uk(dt.datetime.fromisoformat(str(note["written_at"])))
        st.caption(f"{plain(note['author'])}, {written:%d %b %Y %H:%M} (UK time)")
    else:
        st.caption("No narrative yet: what happened, why, and what is being done.")
    if editable:
        narrative_form(kpi["kpi_id"], note["text"] if note else "", bool(note and note["flagged"]))


def narrative_form(kpi_id: str, text: str, flagged: bool) -> None:
    with st.form(f"narrative_{kpi_id}"):
        new = st.text_area("Narrative (what happened, why, what is being done)", value=text, max_chars=4000,
                           key=f"narrative_text_{kpi_id}")
        flag = st.checkbox("Show as an exception (flagged for the forum)", value=flagged, key=f"flag_{kpi_id}")
        if st.form_submit_button("Save narrative", icon=":material/save:", key=f"save_{kpi_id}"):
            save(governance.save_narrative, "Narrative saved.", forum_id=forum_id, month_start=month,
                 kpi_id=kpi_id, text=new, flagged=flag)


def save(write, done: str, rerun: bool = True, **fields):
    """Run one data_access write with the viewer's scope and name; a clear message either way."""
    try:
        result = write(ctx.engine, ctx.viewer, (level, code), author=author, **fields)
    except (governance.PackError, AccessDenied) as error:
        st.error(plain(error), icon=":material/error:")
        return
    st.session_state[DONE_KEY] = done
    if rerun:
        st.rerun()
    return result


def draw_flag(content: dict) -> None:
    others = [k for k in content["kpis"] if not k["exception"]]
    if not others:
        return
    with st.expander("Flag another KPI for the forum"):
        labels = {k["kpi_id"]: k["label"] for k in others}
        picked = st.selectbox("KPI", list(labels), format_func=labels.get, key="flag_kpi")
        narrative_form(picked, "", True)


def draw_actions(content: dict, editable: bool) -> None:
    st.header("Actions")
    if content["actions"]:
        labels = {k["kpi_id"]: k["label"] for k in content["kpis"]}
        rows = [{"State": a["state"], "Action": a["text"], "Owner": a["owner"], "Due": _day(a["due_date"]),
                 "KPI": labels.get(a["kpi_id"], "–") if a["kpi_id"] else "–", "From meeting": _day(a["meeting_date"])}
                for a in content["actions"]]
        st.dataframe(rows, hide_index=True, width="stretch", height=35 * (len(rows) + 1) + 8)
        st.caption("Open actions (overdue: due before this meeting) and those closed since the last meeting.")
    else:
        st.caption("No open actions.")
    if editable:
        action_forms(content)
    st.header("Decisions")
    if content["decisions"]:
        rows = [{"Meeting": _day(d["meeting_date"]), "Decision": d["text"], "Recorded by": d["recorded_by"]}
                for d in content["decisions"]]
        st.dataframe(rows, hide_index=True, width="stretch", height=35 * (len(rows) + 1) + 8)
    else:
        st.caption("No decisions recorded.")
    if editable:
        decision_form(content)


def action_forms(content: dict) -> None:
    kpis = {k["kpi_id"]: k["label"] for k in content["kpis"]}
    with st.expander("Record an action"), st.form("new_action", clear_on_submit=True):
        text = st.text_area("Action", max_chars=4000)
        left, middle, right = st.columns(3)
        owner = left.text_input("Owner", max_chars=200)
        due = middle.date_input("Due", value=meeting_date() + dt.timedelta(days=28), format="DD/MM/YYYY")
        linked = right.selectbox("Linked KPI", [None, *kpis], format_func=lambda k: "None" if k is None else kpis[k])
        if st.form_submit_button("Record the action", icon=":material/add_task:"):
            save(governance.add_action, "Action recorded.", forum_id=forum_id, meeting_date=meeting_date(),
                 text=text, owner=owner, due_date=due, kpi_id=linked)
    open_actions = [a for a in content["actions"] if a["status"] == "open"]
    if open_actions:
        with st.expander("Update an action"), st.form("action_status"):
            texts = {a["action_id"]: f"{a['text'][:80]} ({a['owner']})" for a in open_actions}
            picked = st.selectbox("Action", list(texts), format_func=texts.get)
            status = st.selectbox("Status", governance.ACTION_STATUSES[1:], format_func=str.capitalize)
            if st.form_submit_button("Update", icon=":material/task_alt:"):
                save(governance.set_action_status, "Action updated.", action_id=picked, status=status)


def decision_form(content: dict) -> None:
    kpis = {k["kpi_id"]: k["label"] for k in content["kpis"]}
    with st.expander("Record a decision"), st.form("new_decision", clear_on_submit=True):
        text = st.text_area("Decision", max_chars=4000)
        linked = st.selectbox("Linked KPI", [None, *kpis], format_func=lambda k: "None" if k is None else kpis[k])
        if st.form_submit_button("Record the decision", icon=":material/gavel:"):
            save(governance.add_decision, "Decision recorded.", forum_id=forum_id, meeting_date=meeting_date(),
                 text=text, kpi_id=linked)


def draw_pack(content: dict, editable: bool) -> None:
    items = mg.exceptions(content)
    names_ = ["KPI summary", *[f"Exception: {k['label']}" for k in items], "Actions and decisions"]
    now = meeting.steps(names_)
    if meeting.show("KPI summary", now):
        draw_summary(content)
        if editable:
            draw_flag(content)
    if not items and now is None:
        st.info("No exceptions this month: every KPI is within its expected variation and able to meet its target.")
    for kpi in items:
        if meeting.show(f"Exception: {kpi['label']}", now):
            draw_exception(content, kpi, editable)
    if meeting.show("Actions and decisions", now):
        draw_actions(content, editable)
    if now is None:
        excel_download(content)


def excel_download(content: dict) -> None:
    rows = pd.DataFrame([{"KPI": k["label"], "Latest": SUPPRESSED if k["latest_suppressed"] else k["latest"],
                          "Same month last year": SUPPRESSED if k["last_year_suppressed"] else k["last_year"],
                          "Target": k.get("target"), "Unit": k["unit"], "Status": k["rag_words"],
                          "Threshold": k["threshold"], "Variation": k["variation_label"],
                          "Assurance": k["assurance_label"], "Exception": k["reasons"]} for k in content["kpis"]])
    actions = pd.DataFrame(content["actions"] or None, columns=["state", "text", "owner", "due_date", "meeting_date"])
    metadata = export_metadata(ctx, f"Meeting pack: {content['forum']['name']}") | {
        "Forum": content["forum"]["name"], "Month": _month(content["month"]), "Meeting": _day(content["meeting_date"]),
        "Disclosure": content["rule_label"]}
    download("Download the pack as Excel", lambda: workbook_bytes({"Pack": (rows, {}), "Actions": (actions, {})},
                                                                metadata),
                   f"pack_{content['forum']['forum_id']}_{content['meeting_date']}.xlsx", ctx, "Meeting pack export")


# --- published packs ----------------------------------------------------------------------------------------


def choose_pack() -> str | None:
    published = records["published"]
    wanted_pack = st.query_params.get("pack")
    ids = list(published["pack_id"])
    if wanted_pack and wanted_pack not in ids:
        st.warning("The published pack in the address is not one of this forum's; showing the live pack.")
        st.query_params.pop("pack", None)
        wanted_pack = None
    if ctx.meeting or not ids:
        return wanted_pack
    dates = dict(zip(published["pack_id"], published["meeting_date"]))
    options = [None, *ids]
    picked = st.selectbox("Pack", options, index=options.index(wanted_pack),
                          format_func=lambda p: "Live: today's figures" if p is None
                          else f"As presented on {dates[p]:%d %b %Y}", key=f"pack_{forum_id}")
    if picked != wanted_pack:
        if picked is None:
            st.query_params.pop("pack", None)
        else:
            st.query_params["pack"] = picked
        st.rerun()
    return picked


def publish_controls() -> None:
    st.header("Publish")
    rule = strictest(ctx.rule, DEFAULT_DISCLOSURE["viewer"])
    with st.form("publish"):
        day = st.date_input("Meeting date", value=meeting_date(), format="DD/MM/YYYY")
        st.caption(f"Freezes the figures, charts, narratives, actions and decisions as they stand, disclosed for "
                   f"the meeting ({rule}). A published pack is never changed.")
        if st.form_submit_button("Publish pack", icon=":material/publish:", type="primary"):
            content = live_content(rule, day)
            pack_id = save(governance.publish, f"Pack published for {day:%d %b %Y}.", rerun=False, forum_id=forum_id,
                           meeting_date=day, month_start=month, rule=rule,
                           content=content | {"published": {"by": author, "at": str(clock.utc_now())}})
            if pack_id:
                st.query_params["pack"] = pack_id
                st.rerun()


def draw_published(pack_id: str) -> dict | None:
    content = cached.read(ctx, governance.published_content, pack_id, forum_id, key, viewer=False)
    if content is None:
        st.error("That published pack could not be read.")
        return None
    published = content.get("published") or {"by": "–", "at": "–"}
    st.info(f"As presented on {_day(content['meeting_date'])}: published by {plain(published['by'])} at "
            f"{str(published['at'])[:16]} UTC; figures for {_month(content['month'])}, disclosure "
            f"{content['rule']}.", icon=":material/inventory_2:")
    return content


def pdf_download(content: dict, pack_id: str) -> None:
    file_name = f"pack_{forum_id}_{content['meeting_date']}.pdf"
    download("Download the pack as PDF", lambda: pack_pdf(content), file_name, ctx, "Meeting pack PDF",
             key=f"pdf_{pack_id}", mime="application/pdf")


def changed_flags(content: dict) -> None:
    live = live_content(content["rule"], dt.date.fromisoformat(content["meeting_date"]))
    changed = mg.changed_since(content, live)
    if changed:
        st.warning("Data changed since publication (resubmitted): " + ", ".join(plain(c) for c in changed)
                   + ". The pack below is as presented.", icon=":material/history:")


# --- the page -------------------------------------------------------------------------------------------------

if DONE_KEY in st.session_state:
    st.success(st.session_state.pop(DONE_KEY), icon=":material/check:")

st.caption(f"{plain(names[forum_id])} · {plain(scope_title(ctx.scope))} · figures for {month:%B %Y} (to "
           f"{ctx.end:%d %b %Y}) · disclosure rule: {ctx.rule}")
if not ctx.meeting:
    escalation()
if unknown:
    st.warning("This forum lists KPIs the catalogue does not define: " + ", ".join(plain(u) for u in unknown))
if not known:
    st.info("No KPIs are assigned to this forum (forum_kpi).")
    st.stop()

pack_id = choose_pack()
try:
    if pack_id:
        shown = draw_published(pack_id)
        if shown is None:
            st.stop()
        changed_flags(shown)
        if not ctx.meeting:
            pdf_download(shown, pack_id)
        draw_pack(shown, editable=False)
    else:
        draw_pack(live_content(ctx.rule, meeting_date()), editable=can_write)
        if can_write:
            publish_controls()
except AccessDenied as denied:
    st.info(str(denied), icon=":material/lock:")
