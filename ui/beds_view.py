"""Presentation pieces of the Bed occupancy page: labels, the pydeck map, Altair charts, the Excel export.

Everything here draws already-disclosed figures (metrics/beds.py); nothing queries or computes.
"""

import datetime as dt
import html

import altair as alt
import pandas as pd
import pydeck as pdk

from metrics.beds import ALL_LEVELS, BUCKETS, OCCUPANCY_CEILING
from metrics.catalogue import KPIS
from metrics.disclosure import SUPPRESSED
from ui.excel import export_metadata, workbook_bytes
from ui.formatting import NOT_AVAILABLE, format_value, is_missing

SECURITY_LABELS = {"high": "High secure", "medium": "Medium secure", "low": "Low secure", "picu": "PICU",
                   "general": "General", "locked_rehab": "Locked rehabilitation"}
GENDER_LABELS = {"male": "Men", "female": "Women", "mixed": "Mixed"}
SPECIALISM_LABELS = {"mi": "Mental illness", "pd": "Personality disorder", "ld_asd": "Learning disability and autism",
                     "abi": "Acquired brain injury", "deaf": "Deaf service", "wems": "Women's enhanced medium secure",
                     "eating_disorder": "Eating disorders", "mbu": "Mother and baby unit", "general": "General"}
SERVICE_LABELS = {"adult_secure": "Adult secure", "camhs": "Children and young people (CAMHS)",
                  "adult_eating_disorders": "Adult eating disorders", "perinatal": "Perinatal"}
SECTOR_LABELS = {"nhs": "NHS", "independent": "Independent sector"}
CQC_LABELS = {"outstanding": "Outstanding", "good": "Good", "requires_improvement": "Requires improvement",
              "inadequate": "Inadequate"}
NHS_BLUE, DARK_BLUE, GREY, PALE_GREY, WARM_YELLOW = "#005EB8", "#003087", "#425563", "#E8EDEE", "#FFB81C"


def label(mapping: dict, code) -> str:
    if code is None or (isinstance(code, float) and pd.isna(code)) or code == "":
        return NOT_AVAILABLE
    return mapping.get(code, str(code).replace("_", " ").capitalize())


def when(value) -> str:
    """05 Mar 2024 14:30, or – when never."""
    if value is None or pd.isna(value):
        return NOT_AVAILABLE
    return f"{pd.Timestamp(value):%d %b %Y %H:%M}"


def count_text(value, suppressed: bool = False) -> str:
    return format_value("count", value, suppressed and is_missing(value))


def pct_text(value) -> str:
    return format_value("pct", value)


def _unit_tip(row) -> str:
    levels = ", ".join(label(SECURITY_LABELS, s) for s in row["security_levels"])
    e = html.escape
    return (
        f"<b>{e(row['unit_name'])}</b><br/>{e(row['provider_name'])} ({e(label(SECTOR_LABELS, row['sector']))})"
        f"<br/>Security: {e(levels)}<br/>Occupancy: {pct_text(row['occupancy_pct'])} "
        f"({e(BUCKETS[row['bucket']][0])})<br/>Commissioned beds: {count_text(row['commissioned'])}"
        f"<br/>Occupied: {count_text(row['occupied'], row['suppressed'])} · on leave: "
        f"{count_text(row['on_leave'], row['suppressed'])}<br/>Closed: {count_text(row['closed'])} · available: "
        f"{count_text(row['available'], row['suppressed'])}<br/>Wards reporting: {row['reported_wards']} of "
        f"{row['wards']}<br/>Last reported: {when(row['oldest_report'])} to {when(row['newest_report'])}"
    )


def _flow_tip(row) -> str:
    where = "out of area" if row["out_of_area"] else "in area"
    e = html.escape
    return (f"<b>{e(row['locality_name'])} → {e(row['unit_name'])}</b><br/>"
            f"{count_text(row['patients'])} patients in a bed ({where})")


def deck(units: pd.DataFrame, flows: pd.DataFrame | None, view: dict) -> pdk.Deck:
    """The map: one circle per unit (sized by commissioned beds, coloured by occupancy bucket), optional arcs."""
    points = units.assign(
        colour=[list(BUCKETS[b][1]) + [220] for b in units["bucket"]],
        radius=[8 + 2.2 * (float(c) if c is not None and not pd.isna(c) else 0) ** 0.5 for c in units["commissioned"]],
        tip=[_unit_tip(r) for r in units.to_dict("records")],
        security_levels=[", ".join(s) for s in units["security_levels"]],
    )[["unit_code", "unit_name", "longitude", "latitude", "bucket", "colour", "radius", "tip", "security_levels"]]
    layers = []
    if flows is not None and not flows.empty:
        arcs = flows.assign(tip=[_flow_tip(r) for r in flows.to_dict("records")],
                            width=[1.5 + float(p) ** 0.5 for p in flows["patients"]])
        arcs = arcs[["locality_code", "unit_code", "home_longitude", "home_latitude", "longitude", "latitude",
                     "colour", "width", "tip", "out_of_area"]]
        layers.append(pdk.Layer(
            "ArcLayer", id="flows", data=arcs, get_source_position="[home_longitude, home_latitude]",
            get_target_position="[longitude, latitude]", get_source_color="colour", get_target_color="colour",
            get_width="width", width_units='"pixels"', pickable=True, auto_highlight=True))
    layers.append(pdk.Layer(
        "ScatterplotLayer", id="units", data=points, get_position="[longitude, latitude]", get_fill_color="colour",
        get_radius="radius", radius_units='"pixels"', stroked=True, get_line_color=[255, 255, 255],
        line_width_min_pixels=1, pickable=True, auto_highlight=True))
    if len(points) <= 40:
        layers.append(pdk.Layer(
            "TextLayer", id="unit_names", data=points, get_position="[longitude, latitude]", get_text="unit_name",
            get_size=12, get_color=[0, 48, 135], get_pixel_offset=[0, -22], pickable=False))
    return pdk.Deck(layers=layers, initial_view_state=pdk.ViewState(**view), map_style=None, map_provider=None,
                    tooltip={"html": "{tip}", "style": {"backgroundColor": "#003087", "color": "white",
                                                        "fontSize": "13px"}})


# Legend swatches in Streamlit's own coloured markdown (no HTML), nearest to each map colour.
SWATCHES = {"under_85": ":green[●]", "85_to_95": ":orange[●]", "over_95": ":red[●]", "no_report": ":gray[●]",
            "suppressed": ":gray[○]"}


def legend_markdown(with_flows: bool) -> str:
    parts = [f"{SWATCHES[key]} {text}" for key, (text, _) in BUCKETS.items()]
    if with_flows:
        parts += [":blue[━] arcs: home patients in area", ":violet[━] arcs: out of area"]
    return " · ".join(parts)


def occupancy_chart(series: pd.DataFrame, column: str, title: str) -> alt.LayerChart:
    """Daily occupancy lines (one per security level, all levels in NHS dark blue) and the 85% line."""
    data = series.assign(level=[label(SECURITY_LABELS, s) if s != ALL_LEVELS else s for s in series["security_level"]],
                         day=pd.to_datetime(series["date"]))
    levels = [ALL_LEVELS] + sorted(x for x in data["level"].unique() if x != ALL_LEVELS)
    palette = [DARK_BLUE, "#41B6E6", "#768692", "#AE2573", "#00A499", "#ED8B00", "#330072"][:len(levels)]
    lines = alt.Chart(data).mark_line(strokeWidth=1.6).encode(
        x=alt.X("day:T", title=None, axis=alt.Axis(format="%d %b %Y")),
        y=alt.Y(f"{column}:Q", title=title, scale=alt.Scale(zero=False)),
        color=alt.Color("level:N", title="Security level", scale=alt.Scale(domain=levels, range=palette)),
        tooltip=[alt.Tooltip("day:T", title="Date", format="%d %b %Y"), alt.Tooltip("level:N", title="Security"),
                 alt.Tooltip(f"{column}:Q", title=title, format=".1f")],
    )
    rule = alt.Chart(pd.DataFrame({"y": [OCCUPANCY_CEILING]})).mark_rule(color="#DA291C", strokeDash=[6, 4]).encode(
        y="y:Q")
    text = alt.Chart(pd.DataFrame({"y": [OCCUPANCY_CEILING], "t": ["85% (RCPsych)"]})).mark_text(
        align="left", dx=4, dy=-6, color="#DA291C").encode(y="y:Q", text="t:N", x=alt.value(0))
    return alt.layer(lines, rule, text).properties(height=280)


def out_of_area_chart(daily: pd.DataFrame) -> alt.Chart:
    data = daily.assign(day=pd.to_datetime(daily["date"]))
    return alt.Chart(data).mark_line(color="#AE2573").encode(
        x=alt.X("day:T", title=None, axis=alt.Axis(format="%d %b %Y")),
        y=alt.Y("out_of_area_patients:Q", title="Patients out of area"),
        tooltip=[alt.Tooltip("day:T", title="Date", format="%d %b %Y"),
                 alt.Tooltip("out_of_area_patients:Q", title="Patients out of area")],
    ).properties(height=240)


def monthly_bars(frame: pd.DataFrame, column: str, title: str, colour: str, fmt: str = ",.0f") -> alt.Chart:
    data = frame.assign(month=pd.to_datetime(frame["month_start"]))
    return alt.Chart(data).mark_bar(color=colour).encode(
        x=alt.X("yearmonth(month):T", title=None, axis=alt.Axis(format="%b %Y")),
        y=alt.Y(f"{column}:Q", title=title),
        tooltip=[alt.Tooltip("yearmonth(month):T", title="Month", format="%b %Y"),
                 alt.Tooltip(f"{column}:Q", title=title, format=fmt)],
    ).properties(height=240)


WARD_COLUMNS = {
    "unit_name": "Unit", "ward_name": "Ward", "provider_name": "Provider", "sector": "Sector",
    "security_level": "Security level", "gender": "Gender", "specialism": "Specialism",
    "commissioned": "Commissioned", "occupied": "Occupied", "on_leave": "On leave", "closed": "Closed",
    "available": "Available", "occupancy_pct": "Occupancy (%)", "reported_at": "Last reported", "stale": "Stale",
}


def ward_display(shown: pd.DataFrame) -> pd.DataFrame:
    """Disclosed ward rows with plain labels, in the table's column order."""
    out = shown.assign(
        sector=[label(SECTOR_LABELS, s) for s in shown["sector"]],
        security_level=[label(SECURITY_LABELS, s) for s in shown["security_level"]],
        gender=[label(GENDER_LABELS, s) for s in shown["gender"]],
        specialism=[label(SPECIALISM_LABELS, s) for s in shown["specialism"]],
        commissioned=shown["commissioned"].fillna(shown["ward_beds"]),
        reported_at=pd.to_datetime(shown["reported_at"]),
        stale=["Stale" if s else "" for s in shown["stale"]],
    )
    return out[list(WARD_COLUMNS)].rename(columns=WARD_COLUMNS)


def ward_export(shown: pd.DataFrame) -> pd.DataFrame:
    """The table for Excel: suppressed cells as '*', never reported as blank."""
    out = ward_display(shown).astype(object)
    for column in ("occupied", "on_leave", "available", "occupancy_pct"):
        flag = shown["pct_suppressed"] if column == "occupancy_pct" else shown["suppressed"]
        missing = shown[column].isna() & flag & shown["reported_at"].notna()
        out.loc[missing.to_numpy(), WARD_COLUMNS[column]] = SUPPRESSED
    return out


def bed_state_workbook(ctx, shown_wards: pd.DataFrame, shown_daily: pd.DataFrame, as_of_text: str) -> bytes:
    """The Excel export behind the page's download button: bed state by ward and daily occupancy."""
    wards = ward_export(shown_wards)
    daily = shown_daily.assign(security_level=[label(SECURITY_LABELS, s) if s != ALL_LEVELS else s
                                               for s in shown_daily["security_level"]])
    daily = daily[["date", "security_level", "occupancy_pct", "occupancy_excl_leave_pct"]].rename(columns={
        "date": "Date", "security_level": "Security level",
        "occupancy_pct": f"{KPIS['bed_occupancy_pct'].label} (%)",
        "occupancy_excl_leave_pct": f"{KPIS['bed_occupancy_excl_leave_pct'].label} (%)"})
    counts = {c: "#,##0" for c in ("Commissioned", "Occupied", "On leave", "Closed", "Available")}
    metadata = export_metadata(ctx, f"Bed state by ward, {ctx.scope.name}")
    metadata["Bed state as of"] = as_of_text
    return workbook_bytes({
        "Bed state by ward": (wards, {**counts, "Occupancy (%)": "0.0", "Last reported": "dd mmm yyyy hh:mm"}),
        "Daily occupancy": (daily, {"Date": "dd mmm yyyy", daily.columns[2]: "0.0", daily.columns[3]: "0.0"}),
    }, metadata)


def export_name(ctx) -> str:
    return f"bed_state_{ctx.scope.key.replace(':', '_')}_{dt.date.today():%Y-%m-%d}.xlsx"
