"""Bed occupancy: the live map and bed state by ward, occupancy over time, and the placement finder."""


import pandas as pd
import sqlalchemy as sa
import streamlit as st

from assets.palette import NHS_PINK
from data_access import beds, clock
from data_access.access import AccessDenied
from metrics import beds as mb
from metrics.catalogue import KPIS
from metrics.data_quality import provisional_from
from metrics.disclosure import disclose, disclose_counts
from metrics.spc_chart import TREND_CAPTION
from ui import bed_map, cached, period
from ui import beds_view as view
from ui.auth import plain
from ui.charts import show_chart
from ui.context import current, go_to, scope_title
from ui.exports import download
from ui.formatting import format_value, show

ctx = current()
level, code = ctx.scope.level, ctx.scope.code
stale_hours = ctx.settings.get("stale_bed_state_hours", 24)
bound = mb.live_bound(ctx.end, ctx.latest)
# Filters live in the URL (shareable, kept across presentation refreshes): ?beds_security=low,medium
FILTERS = {"security_level": ("beds_security", "Security level", view.SECURITY_LABELS),
           "gender": ("beds_gender", "Gender", view.GENDER_LABELS),
           "specialism": ("beds_specialism", "Specialism", view.SPECIALISM_LABELS)}
REFRESH_CHOICES = [15, 30, 60, 120]

st.title(f"Bed occupancy: {plain(scope_title(ctx.scope))}")
as_of_text = "live (every report received)" if bound is None else f"end of {ctx.end:%d %b %Y}"
st.caption(f"{period.describe(ctx.start, ctx.end)} · bed state {as_of_text} · disclosure rule: {ctx.rule}")


def read(reader, *args, live: bool = False, viewer: bool = True):
    """A cached read (ui.cached.read); AccessDenied or a database failure shows a message and stops the page."""
    try:
        return cached.read(ctx, reader, *args, live=live, viewer=viewer)
    except AccessDenied as denied:
        st.info(f"{denied} Choose an organisation within your role in the sidebar.", icon=":material/lock:")
    except sa.exc.SQLAlchemyError as error:
        st.error(f"The bed-state data could not be read ({type(error).__name__}). Nothing has been changed; "
                 "try again in a minute.", icon=":material/database:")
    st.stop()


def metric(column, kpi_id: str, value, numerator=None, denominator=None, help_text: str | None = None) -> None:
    shown = disclose(KPIS[kpi_id].kind, value, numerator, denominator, ctx.rule, level)
    column.metric(KPIS[kpi_id].label, format_value(KPIS[kpi_id].kind, shown.value, shown.suppressed), border=True,
                  help=help_text)


def url_choice(param: str, allowed: dict) -> list[str]:
    raw = st.query_params.get(param, "")
    picked = [p for p in raw.split(",") if p]
    bad = [p for p in picked if p not in allowed]
    if bad:
        st.warning(f"Ignoring unknown filter value(s) in the address: {', '.join(b[:20] for b in bad[:3])}.",
                   icon=":material/warning:")
    return [p for p in picked if p in allowed]


def on_filter(param: str, key: str) -> None:
    chosen = st.session_state[key]
    if chosen:
        st.query_params[param] = ",".join(chosen)
    elif param in st.query_params:
        del st.query_params[param]


def filter_bar(wards: pd.DataFrame) -> dict[str, list[str]]:
    chosen = {}
    columns = st.columns(3)
    for column, (field, (param, title, labels)) in zip(columns, FILTERS.items()):
        present = sorted(wards[field].dropna().unique(), key=lambda c: list(labels).index(c) if c in labels else 99)
        options = {c: labels.get(c, c) for c in present}
        key = f"beds_filter_{field}"
        st.session_state[key] = [c for c in url_choice(param, labels) if c in options]
        column.multiselect(title, list(options), format_func=options.get, key=key, on_change=on_filter,
                           args=(param, key), placeholder="All")
        chosen[field] = st.session_state[key]
    return chosen


def on_toggle(param: str, key: str) -> None:
    if st.session_state[key]:
        st.query_params[param] = "1"
    elif param in st.query_params:
        del st.query_params[param]


def url_toggle(column, param: str, text: str, help_text: str) -> bool:
    key = f"beds_{param}"
    st.session_state[key] = st.query_params.get(param) == "1"
    column.toggle(text, key=key, on_change=on_toggle, args=(param, key), help=help_text)
    return st.session_state[key]


def on_refresh() -> None:
    st.query_params["refresh"] = str(st.session_state["beds_refresh"])


def url_refresh(column, present: bool) -> int:
    """Seconds between presentation refreshes, kept in the URL (?refresh=15) for a meeting-room screen."""
    raw = st.query_params.get("refresh", str(REFRESH_CHOICES[1]))
    st.session_state["beds_refresh"] = int(raw) if raw in [str(c) for c in REFRESH_CHOICES] else REFRESH_CHOICES[1]
    if present:  # shown only when it does something (a greyed-out control's text is too faint to read)
        column.selectbox("Refresh every", REFRESH_CHOICES, key="beds_refresh", format_func=lambda s: f"{s} seconds",
                         on_change=on_refresh)
    return st.session_state["beds_refresh"]


# ---------------------------------------------------------------- headline figures for the period
cached.prefetch(ctx, (beds.daily_occupancy, level, code, ctx.start, ctx.end),
                (beds.daily_out_of_area, level, code, ctx.start, ctx.end),
                (beds.monthly_repatriations, level, code, ctx.start, ctx.end),
                lambda: cached.read(ctx, beds.ward_bed_state, level, code, ctx.end, bound, live=True))
daily = read(beds.daily_occupancy, level, code, ctx.start, ctx.end)
ooa_daily = read(beds.daily_out_of_area, level, code, ctx.start, ctx.end)
totals = mb.period_totals(daily)
ooa = mb.out_of_area_totals(ooa_daily)
tiles = st.columns(4)
metric(tiles[0], "bed_occupancy_pct", *totals["bed_occupancy_pct"], help_text="Occupied ÷ available bed days")
metric(tiles[1], "bed_occupancy_excl_leave_pct", *totals["bed_occupancy_excl_leave_pct"])
metric(tiles[2], "out_of_area_pct", *ooa["out_of_area_pct"], help_text="Share of the scope's patients' bed days")
metric(tiles[3], "out_of_area_patients", *ooa["out_of_area_patients"],
       help_text=f"The scope's patients in an out-of-area bed on {ctx.end:%d %b %Y}")

tab_live, tab_time, tab_find = st.tabs(["Live map and bed state", "Occupancy over time", "Placement finder"])

# ---------------------------------------------------------------- live map and bed state
all_wards = read(beds.ward_bed_state, level, code, ctx.end, bound, live=True)
with tab_live:
    chosen = filter_bar(all_wards)
    switches = st.columns([1, 1, 1])
    show_flows = url_toggle(switches[0], "arcs", "Show where patients come from",
                            "Home localities as circles (patients in a bed at the end of the period per "
                            "100,000 population) and arcs to out-of-area beds; small flows suppressed")
    present = url_toggle(switches[1], "present", "Presentation mode",
                         "Refresh the map and bed state by themselves, keeping your filters")
    refresh = url_refresh(switches[2], present)


def live_panel() -> None:
    """Map, bed-state table and export; rerun on its own in presentation mode."""
    wards = read(beds.ward_bed_state, level, code, ctx.end, bound, live=True)
    reference = read(beds.last_report, bound, live=True, viewer=False)
    wards = mb.ward_table(mb.filter_wards(wards, chosen["security_level"], chosen["gender"], chosen["specialism"]),
                          reference, stale_hours)
    free = mb.beds_available(wards)
    figures = st.columns(4)
    metric(figures[0], "beds_available_now", free, free, help_text="Latest report of each open ward")
    figures[1].metric("Wards reporting", f"{int(wards['reported_at'].notna().sum())} of {len(wards)}", border=True)
    figures[2].metric("Stale bed states", f"{int(wards['stale'].sum())}", border=True,
                      help=f"No report in the {stale_hours} hours before the newest report")
    figures[3].metric("Units", f"{wards['unit_code'].nunique()}", border=True)
    newest = wards["reported_at"].max() if not wards.empty else None
    feed = ctx.feeds.get("bed_state")
    st.caption(f"Last bed state reported in this view: {view.when(newest)} · newest report in the database: "
               f"{view.when(reference)} · bed-state feed loaded {view.when(feed)} · reports older than "
               f"{stale_hours} h before the newest are flagged stale"
               + (f" · refreshed {clock.uk_now():%H:%M:%S}" if present else ""))
    if wards.empty:
        st.info("No open wards match the scope and filters.", icon=":material/info:")
        return
    draw_map(wards)
    draw_table(wards)


def draw_map(wards: pd.DataFrame) -> None:
    event, kind = bed_map.draw(ctx, wards, f"beds_map_{ctx.scope.key}", show_flows)
    picked = (event.selection.get("objects") or {}).get(kind) if event else None
    target = None
    if picked and kind == "units" and picked[0].get("unit_code"):
        target = ("unit", picked[0]["unit_code"])
    elif picked and kind == "collaboratives" and picked[0].get("collaborative_id"):
        target = ("collaborative", picked[0]["collaborative_id"])
    if target and (level, code) != target:
        go_to(f"{target[0]}:{target[1]}")
        st.rerun()


def draw_table(wards: pd.DataFrame) -> None:
    st.subheader("Bed state by ward")
    shown = mb.disclosed_beds(wards, ctx.rule, level)
    config = {"Occupancy (%)": st.column_config.NumberColumn(format="%.1f"),
              "Last reported": st.column_config.DatetimeColumn(format="DD MMM YYYY HH:mm"),
              "Stale": st.column_config.TextColumn(help=f"Last report more than {stale_hours} h old")}
    show(view.ward_display(shown), hide_index=True, width="stretch", column_config=config)
    stale = int(wards["stale"].sum())
    if stale:
        st.warning(f"{stale} of {len(wards)} wards have no bed state in the last {stale_hours} hours.",
                   icon=":material/schedule:")
    def export() -> bytes:  # built on click, with the daily series (not worked out on every run for it)
        return view.bed_state_workbook(ctx, shown, mb.disclosed_daily(mb.daily_series(daily), ctx.rule, level),
                                       as_of_text)

    download("Download bed state as Excel", export, view.export_name(ctx), ctx, "Bed state export",
             key="beds_download")


with tab_live:
    st.fragment(live_panel, run_every=refresh if present else None)()

# ---------------------------------------------------------------- occupancy over time
with tab_time:
    provisional = provisional_from(ctx.latest, int(ctx.settings.get("extract_due_days", 28)))
    series = mb.disclosed_daily(mb.daily_series(daily), ctx.rule, level)
    if series.empty:
        st.info("No wards open in this period.", icon=":material/info:")
    else:
        for kpi_id, column, title in (("bed_occupancy_pct", "occupancy_pct", "Occupancy (%)"),
                                      ("bed_occupancy_excl_leave_pct", "occupancy_excl_leave_pct",
                                       "Excluding leave (%)")):
            st.subheader(KPIS[kpi_id].label)
            show_chart(view.occupancy_chart(series, column, title, provisional), KPIS[kpi_id].label,
                       "Daily lines, one per security level (each with its own dash pattern), and a dashed red "
                       "line at 85%.", view.daily_table(series, column, title), width="stretch")
        st.caption("Midnight census: occupied bed days ÷ commissioned beds of open wards less closed beds "
                   "(latest report of each day). Dashed line: the Royal College of Psychiatrists' 85%. "
                   + TREND_CAPTION)
    st.subheader(KPIS["out_of_area_pct"].label)
    patients = mb.disclosed_daily_patients(ooa_daily, ctx.rule, level)
    monthly = mb.monthly_out_of_area(ooa_daily, ctx.rule, level)
    left, right = st.columns(2)
    show_chart(view.out_of_area_chart(patients, provisional), "Patients out of area each night",
               "A daily line of the scope's patients in an out-of-area bed.",
               view.dated_table(patients, "date", "out_of_area_patients", "Patients out of area"), where=left,
               width="stretch")
    left.caption("Patients of the scope in an out-of-area bed each night (home patients at region and "
                 "collaborative level).")
    show_chart(view.monthly_bars(monthly, "out_of_area_pct", "Out of area (% of bed days)", NHS_PINK, ".1f",
                                 provisional),
               "Out-of-area bed days by month", "Monthly bars: out-of-area bed days as a % of the scope's patients' "
               "bed days.", view.dated_table(monthly, "month_start", "out_of_area_pct", "Out of area (% of bed days)",
                                        "{:.1f}"),
               where=right, width="stretch")
    right.caption("Out-of-area bed days as a share of all the scope's patients' bed days, by month. "
                  + TREND_CAPTION)
    st.subheader(KPIS["repatriations"].label)
    repat = read(beds.monthly_repatriations, level, code, ctx.start, ctx.end)
    repat = disclose_counts(repat, ["repatriations"], ctx.rule, level)
    if repat.empty:
        st.info("No patients were brought back into area in this period.", icon=":material/info:")
    else:
        show_chart(view.monthly_bars(repat, "repatriations", "Patients brought back", view.NHS_BLUE,
                                     provisional_from=provisional),
                   KPIS["repatriations"].label, "Monthly bars: patients brought back into their home area.",
                   view.dated_table(repat, "month_start", "repatriations", "Patients brought back"), width="stretch")
        st.caption("Patients whose ward stay moved from an out-of-area ward to one of their home collaborative, "
                   "by month of the move. Suppressed months are not drawn. " + TREND_CAPTION)

# ---------------------------------------------------------------- placement finder
with tab_find:
    st.caption("Suggests wards with a free bed for a referral, following the placement principles: home area "
               "first, the level of security, the treatment pathway (specialism), unit resources (staffing, "
               "CQC rating), then patient and carer choice. Read-only: nothing is booked.")
    places = read(beds.localities, viewer=False)
    names = dict(zip(places["locality_code"], places["name"]))
    row1 = st.columns(4)
    home = row1[0].selectbox("Home locality", list(names), format_func=names.get, key="find_home")
    service = row1[1].selectbox("Service", list(view.SERVICE_LABELS), format_func=view.SERVICE_LABELS.get,
                                key="find_service")
    security = row1[2].selectbox("Security level", list(view.SECURITY_LABELS), index=2,
                                 format_func=view.SECURITY_LABELS.get, key="find_security")
    gender = row1[3].selectbox("Gender", ["male", "female"], format_func={"male": "Man", "female": "Woman"}.get,
                               key="find_gender", help="Mixed wards accept both")
    row2 = st.columns([1, 1, 2])
    specialism = row2[0].selectbox("Specialism", [None, *view.SPECIALISM_LABELS], key="find_specialism",
                                   format_func=lambda s: "Any" if s is None else view.SPECIALISM_LABELS[s])
    required = row2[1].checkbox("Only this specialism", value=True, key="find_required", disabled=specialism is None,
                                help="Untick to list other specialisms after the matching ones")
    candidates = read(beds.placement_candidates, level, code, home, service, security, gender, ctx.end, bound,
                      live=True)
    unit_names = dict(sorted(zip(candidates["unit_code"], candidates["unit_name"]), key=lambda x: x[1]))
    districts = sorted({mb.postcode_district(p) for p in candidates["postcode"]})
    with row2[2]:
        no_units = st.multiselect("Exclude units", list(unit_names), format_func=unit_names.get, key="find_x_units")
        no_towns = st.multiselect("Exclude towns (postcode districts)", districts, key="find_x_towns",
                                  help="Exclusion zones, e.g. where a victim lives")
    ranked = mb.rank_placements(candidates, security, gender, specialism, required, no_units, no_towns)
    if ranked.empty:
        st.info("No ward has a free bed for this referral with these choices.", icon=":material/info:")
    else:
        bed_map.draw_placements(ctx, mb.placement_units(ranked, ctx.rule, level), f"find_map_{ctx.scope.key}")
        shown = mb.disclosed_placements(ranked, ctx.rule, level)
        table = pd.DataFrame({
            "Rank": shown["rank"], "Ward": shown["ward_name"], "Unit": shown["unit_name"],
            "Town": shown["district"], "Provider": shown["provider_name"],
            "Sector": [view.label(view.SECTOR_LABELS, s) for s in shown["sector"]],
            "Area": ["In area" if a else "Out of area" for a in shown["in_area"]],
            "Distance (km)": shown["distance_km"].round(0),
            "Specialism": [view.label(view.SPECIALISM_LABELS, s) for s in shown["specialism"]],
            "Gender": [view.label(view.GENDER_LABELS, g) for g in shown["gender"]],
            "Free beds": shown["free_beds"],
            "Staffing fill rate (%)": shown["fill_rate_pct"],
            "CQC rating": [view.label(view.CQC_LABELS, r) for r in shown["cqc_rating"]],
            "Last reported": pd.to_datetime(shown["reported_at"]),
        })
        show(table, hide_index=True, width="stretch", column_config={
            "Distance (km)": st.column_config.NumberColumn(format="%d"),
            "Staffing fill rate (%)": st.column_config.NumberColumn(format="%.1f",
                                                                     help="Actual ÷ planned hours, last 3 months"),
            "Last reported": st.column_config.DatetimeColumn(format="DD MMM YYYY HH:mm")})
        in_area = int(ranked["in_area"].sum())
        st.caption(f"{len(ranked)} wards with a free bed: {in_area} in the home area. Free beds from each ward's "
                   "latest bed state; a suppressed count shows empty. Distance: straight line from the home "
                   "locality's centre.")
