"""Presentation pieces of the Bed occupancy page: labels, the pydeck map, Altair charts, the Excel export.

Everything here draws already-disclosed figures (metrics/beds.py); nothing queries or computes.
"""

import datetime as dt
import html
import json

import altair as alt
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from assets import palette
from metrics.beds import ALL_LEVELS, BUCKETS, FREE_BANDS, OCCUPANCY_CEILING, symbol_radius
from metrics.catalogue import KPIS
from metrics.disclosure import SUPPRESSED
from metrics.spc_chart import provisional_band
from ui import geography
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
NHS_BLUE, DARK_BLUE, GREY, PALE_GREY, WARM_YELLOW = (palette.NHS_BLUE, palette.NHS_DARK_BLUE, palette.NHS_DARK_GREY,
                                                     palette.NHS_PALE_GREY, palette.NHS_WARM_YELLOW)


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
        f"<br/>Free beds now: {count_text(row['available'], row['suppressed'])} "
        f"({e(FREE_BANDS[row['free_band']][0])})"
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


def _free_text(row) -> str:
    """The number drawn inside a symbol: its free beds, * when suppressed, – without a report."""
    if row["free_band"] == "suppressed":
        return SUPPRESSED
    return NOT_AVAILABLE if is_missing(row["available"]) else f"{int(row['available'])}"


def _collaborative_tip(row) -> str:
    e = html.escape
    free = count_text(row["available"], row["suppressed"])
    return (f"<b>{e(row['collaborative_name'])}</b><br/>Free beds now: {free}"
            f" ({e(FREE_BANDS[row['free_band']][0])})<br/>Occupancy: {pct_text(row['occupancy_pct'])}<br/>"
            f"Commissioned beds: {count_text(row['commissioned'])} · occupied: "
            f"{count_text(row['occupied'], row['suppressed'])}<br/>Units: {row['units']} · wards reporting: "
            f"{row['reported_wards']} of {row['wards']}<br/>Last reported: {when(row['newest_report'])}"
            "<br/><i>Click to open this collaborative</i>")


def symbols(shown: pd.DataFrame, kind: str = "units", tips=None) -> pd.DataFrame:
    """What the symbol layers carry (already disclosed): position, colour and text colour of the free-bed band,
    pixel radius, the free-bed number and the tooltip (`tips(row)`, else the unit's or collaborative's)."""
    tips = tips or (_unit_tip if kind == "units" else _collaborative_tip)
    key, name = ("unit_code", "unit_name") if kind == "units" else ("collaborative_id", "collaborative_name")
    rows = shown.to_dict("records")
    return pd.DataFrame({
        key: shown[key], name: shown[name], "longitude": shown["longitude"], "latitude": shown["latitude"],
        "free_band": shown["free_band"], "bucket": shown["bucket"],
        "colour": [list(FREE_BANDS[b][1]) + [255] for b in shown["free_band"]],
        "text_colour": [list(palette.FREE_BEDS_TEXT[b]) for b in shown["free_band"]],
        "radius": [symbol_radius(c, kind == "collaboratives") for c in shown["commissioned"]],
        "free": [_free_text(r) for r in rows], "tip": [tips(r) for r in rows],
    })


def _geo_layers(boundaries: dict | None) -> list:
    layers = [pdk.Layer("GeoJsonLayer", id="outline", data=geography.outline(), stroked=True, filled=True,
                        get_fill_color=list(palette.LAND), get_line_color=list(palette.COAST),
                        line_width_min_pixels=1, pickable=False)]
    if boundaries is not None:
        layers.append(pdk.Layer("GeoJsonLayer", id="boundaries", data=boundaries, stroked=True, filled=False,
                                get_line_color=list(palette.BOUNDARY) + [160], line_width_min_pixels=1,
                                pickable=False))
    return layers


def _locality_layer(localities: pd.DataFrame):
    e = html.escape
    data = localities.assign(
        radius=[4 + 3 * float(r) ** 0.5 for r in localities["per_100k"]],
        tip=[f"<b>{e(n)}</b> (home locality)<br/>{count_text(p)} patients in a bed · "
             f"{format_value('rate', r)} per 100,000 population"
             for n, p, r in zip(localities["locality_name"], localities["patients"], localities["per_100k"])],
    )[["locality_code", "locality_name", "longitude", "latitude", "radius", "tip"]]
    return pdk.Layer("ScatterplotLayer", id="localities", data=data, get_position="[longitude, latitude]",
                     get_fill_color=list(palette.LOCALITY) + [70], get_line_color=list(palette.LOCALITY),
                     stroked=True, line_width_min_pixels=1, get_radius="radius", radius_units='"pixels"',
                     pickable=True)


def _flow_layer(flows: pd.DataFrame):
    arcs = flows.assign(tip=[_flow_tip(r) for r in flows.to_dict("records")],
                        width=[1 + float(p) ** 0.5 / 2 for p in flows["patients"]],
                        colour=[list(c[:3]) + [170] for c in flows["colour"]])  # crossing arcs stay readable
    arcs = arcs[["locality_code", "unit_code", "home_longitude", "home_latitude", "longitude", "latitude",
                 "colour", "width", "tip", "out_of_area"]]
    return pdk.Layer("ArcLayer", id="flows", data=arcs, get_source_position="[home_longitude, home_latitude]",
                     get_target_position="[longitude, latitude]", get_source_color="colour",
                     get_target_color="colour", get_width="width", width_units='"pixels"', pickable=True,
                     auto_highlight=True)


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: pydeck indents by 2, which makes the outline's ~3,500 coordinates
    about seven times larger on the wire (400 KB instead of 60 KB per map)."""

    def to_json(self):
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def deck(points: pd.DataFrame, view: dict, layer_id: str = "units", flows: pd.DataFrame | None = None,
         localities: pd.DataFrame | None = None, boundaries: dict | None = None) -> pdk.Deck:
    """The map: the UK outline (and boundaries), home localities as circles sized by patients placed per
    100,000 population, out-of-area arcs, and one symbol per unit or collaborative coloured by free beds now
    with its number of free beds inside. Names show on hover (tooltip), never as overlapping labels."""
    layers = _geo_layers(boundaries)
    if localities is not None and not localities.empty:
        layers.append(_locality_layer(localities))
    if flows is not None and not flows.empty:
        layers.append(_flow_layer(flows))
    layers.append(pdk.Layer(
        "ScatterplotLayer", id=layer_id, data=points, get_position="[longitude, latitude]", get_fill_color="colour",
        get_radius="radius", radius_units='"pixels"', stroked=True,
        get_line_color=list(palette.hex_rgb(palette.NHS_BLACK)), line_width_min_pixels=1, pickable=True,
        auto_highlight=True, parameters={"depthTest": False}))  # over the arcs, which rise in 3D
    layers.append(pdk.Layer(
        "TextLayer", id="free_beds", parameters={"depthTest": False},
        data=points[["longitude", "latitude", "free", "text_colour"]],
        get_position="[longitude, latitude]", get_text="free", get_size=13, get_color="text_colour",
        font_family='"Source Sans Pro, Arial, sans-serif"',
        font_weight=700, get_text_anchor='"middle"', get_alignment_baseline='"center"', pickable=False))
    return CompactDeck(layers=layers, initial_view_state=pdk.ViewState(**view), map_style=None, map_provider=None,
                       tooltip={"html": "{tip}", "style": {"backgroundColor": DARK_BLUE, "color": "white",
                                                           "fontSize": "13px"}})


def _swatch(rgb, text: str, shape: str = "50%") -> str:
    r, g, b = rgb[:3]
    return (f'<span style="display:inline-flex;align-items:center;gap:6px;margin-right:14px">'
            f'<span aria-hidden="true" style="display:inline-block;width:14px;height:14px;border-radius:{shape};'
            f'background:rgb({r}, {g}, {b});border:1px solid {palette.NHS_BLACK}"></span>{html.escape(text)}</span>')


def legend_html(bands=None, localities: bool = False, flows: bool = False) -> str:
    """The map's legend, drawn from the same palette tuples as the layers (FREE_BANDS, LOCALITY, FLOWS)."""
    parts = [_swatch(rgb, text) for key, (text, rgb) in FREE_BANDS.items() if bands is None or key in bands]
    if localities:
        parts.append(_swatch(palette.LOCALITY, "Home locality: circle area = patients placed per 100,000"))
    if flows:
        parts.append(_swatch(palette.FLOWS["out_of_area"], "Arc: patients in a bed out of area", "2px"))
    return ('<div role="list" aria-label="Map legend" style="font-size:0.9rem;line-height:1.8">'
            + "".join(f'<span role="listitem">{p}</span>' for p in parts) + "</div>")


def _with_provisional(chart, provisional_from, last_day):
    band = provisional_band(provisional_from, last_day)
    return chart if band is None else alt.layer(band, chart)


def occupancy_chart(series: pd.DataFrame, column: str, title: str, provisional_from=None) -> alt.LayerChart:
    """Daily occupancy lines (one per security level, all levels in NHS dark blue), the 85% line, and a band
    over provisional days."""
    data = series.assign(level=[label(SECURITY_LABELS, s) if s != ALL_LEVELS else s for s in series["security_level"]],
                         day=pd.to_datetime(series["date"]))
    levels = [ALL_LEVELS] + sorted(x for x in data["level"].unique() if x != ALL_LEVELS)
    lines = alt.Chart(data).mark_line(strokeWidth=1.6).encode(
        x=alt.X("day:T", title=None, axis=alt.Axis(format="%d %b %Y")),
        y=alt.Y(f"{column}:Q", title=title, scale=alt.Scale(zero=False)),
        color=alt.Color("level:N", title="Security level",
                        scale=alt.Scale(domain=levels, range=palette.SERIES[:len(levels)])),
        strokeDash=alt.StrokeDash("level:N", title="Security level",
                                  scale=alt.Scale(domain=levels, range=palette.SERIES_DASHES[:len(levels)])),
        tooltip=[alt.Tooltip("day:T", title="Date", format="%d %b %Y"), alt.Tooltip("level:N", title="Security"),
                 alt.Tooltip(f"{column}:Q", title=title, format=".1f")],
    )
    rule = alt.Chart(pd.DataFrame({"y": [OCCUPANCY_CEILING]})).mark_rule(
        color=palette.NHS_RED, strokeDash=[6, 4]).encode(y="y:Q")
    text = alt.Chart(pd.DataFrame({"y": [OCCUPANCY_CEILING], "t": ["85% (RCPsych)"]})).mark_text(
        align="left", dx=4, dy=-6, color=palette.NHS_RED).encode(y="y:Q", text="t:N", x=alt.value(0))
    last = data["day"].max() if len(data) else None
    return alt.layer(*([b] if (b := provisional_band(provisional_from, last)) is not None else []), lines, rule,
                     text).properties(height=280)


def out_of_area_chart(daily: pd.DataFrame, provisional_from=None) -> alt.Chart:
    data = daily.assign(day=pd.to_datetime(daily["date"]))
    return _with_provisional(_out_of_area_line(data), provisional_from, data["day"].max() if len(data) else None)


def _out_of_area_line(data: pd.DataFrame) -> alt.Chart:
    return alt.Chart(data).mark_line(color=palette.NHS_PINK).encode(
        x=alt.X("day:T", title=None, axis=alt.Axis(format="%d %b %Y")),
        y=alt.Y("out_of_area_patients:Q", title="Patients out of area"),
        tooltip=[alt.Tooltip("day:T", title="Date", format="%d %b %Y"),
                 alt.Tooltip("out_of_area_patients:Q", title="Patients out of area")],
    ).properties(height=240)


def daily_table(series: pd.DataFrame, column: str, title: str) -> pd.DataFrame:
    """A daily chart's figures as a table: date, security level and the value (one decimal)."""
    return pd.DataFrame({"Date": [f"{pd.Timestamp(d):%d %b %Y}" for d in series["date"]],
                         "Security level": [label(SECURITY_LABELS, s) if s != ALL_LEVELS else s
                                            for s in series["security_level"]],
                         title: [pct_text(v).rstrip("%") for v in series[column]]})


def dated_table(frame: pd.DataFrame, date_column: str, column: str, title: str, fmt: str = "{:,.0f}") -> pd.DataFrame:
    """A chart's figures by day or month as a table (months as 'Mar 2024')."""
    monthly = date_column == "month_start"
    dates = [f"{pd.Timestamp(d):%b %Y}" if monthly else f"{pd.Timestamp(d):%d %b %Y}" for d in frame[date_column]]
    return pd.DataFrame({"Month" if monthly else "Date": dates,
                         title: [NOT_AVAILABLE if pd.isna(v) else fmt.format(float(v)) for v in frame[column]]})


def monthly_bars(frame: pd.DataFrame, column: str, title: str, colour: str, fmt: str = ",.0f",
                 provisional_from=None) -> alt.Chart:
    """Bars by month; provisional months (from `provisional_from`) drawn hollow."""
    data = frame.assign(month=pd.to_datetime(frame["month_start"]))
    cut = pd.Timestamp(provisional_from) if provisional_from is not None else None
    data["provisional"] = False if cut is None else data["month"] >= cut
    return alt.Chart(data).mark_bar(color=colour, stroke=colour, strokeWidth=1.5).encode(
        fillOpacity=alt.condition("datum.provisional", alt.value(0), alt.value(1)),
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
