"""The bed map, shared by Bed occupancy, the bed meeting and the placement finder: readable at every scale.

National and region scope: one symbol per collaborative; collaborative and below: one per unit. Symbols are
coloured by free beds now (metrics.beds.FREE_BANDS) and carry the number; at the default view they are nudged
apart so none hides another (metrics.beds.spread); names are in the tooltip. The outline of the UK (and the
`boundaries_file` setting's areas) are drawn under them. Everything drawn is disclosed first (metrics/beds.py).
"""

import html

import pandas as pd
import streamlit as st

from data_access import beds
from metrics import beds as mb
from ui import beds_view as view
from ui import cached, geography
from ui.charts import map_summary

HEIGHT = 520


def _boundaries(ctx) -> dict | None:
    collection, problem = geography.boundaries(str(ctx.settings.get("boundaries_file", "") or ""))
    if problem:
        st.warning(problem + " The map is drawn with the UK outline only.", icon=":material/map:")
    return collection


def _spread(points: pd.DataFrame, zoom: float) -> pd.DataFrame:
    if points.empty:
        return points
    moved = mb.spread(points["latitude"], points["longitude"], points["radius"], zoom)
    return points.assign(latitude=[p[0] for p in moved], longitude=[p[1] for p in moved])


def _fit(points: pd.DataFrame, lats: list, lons: list, height: int) -> tuple[pd.DataFrame, dict]:
    """Symbols spread apart at a view that fits them (and `lats`, `lons`) once spread: spread at the fitted zoom,
    fit again, and spread again at the new zoom when spreading pushed symbols out of view."""
    state = mb.view_state([*points["latitude"], *lats], [*points["longitude"], *lons], height_px=height)
    spread = _spread(points, state["zoom"])
    wider = mb.view_state([*spread["latitude"], *lats], [*spread["longitude"], *lons], height_px=height)
    if wider["zoom"] < state["zoom"] - 0.05:
        state, spread = wider, _spread(points, wider["zoom"])
    return spread, state


def _flows(ctx, wards: pd.DataFrame, places: pd.DataFrame, aggregate: bool):
    """(out-of-area arcs, home localities, how many flows were suppressed) for the scope on the end date."""
    level, code = ctx.scope.level, ctx.scope.code
    raw = cached.read(ctx, beds.home_flows, level, code, ctx.end)
    if aggregate:
        raw = mb.flows_to_collaboratives(raw, wards, places)
    localities = mb.locality_rates(raw, ctx.rule, level)
    arcs, hidden = mb.disclosed_flows(raw[raw["out_of_area"] == 1], ctx.rule, level)
    return arcs, localities, hidden


def _tip_link(kind: str) -> str:
    return "Click a collaborative to open it" if kind == "collaboratives" else "Click a unit to see it on its own"


def draw(ctx, wards: pd.DataFrame, key: str, show_flows: bool = False):
    """Draw the map of these (raw) ward rows; returns (the chart's selection event, layer id)."""
    level = ctx.scope.level
    aggregate = level in mb.AGGREGATE_LEVELS
    summary = mb.collaborative_summary(wards) if aggregate else mb.unit_summary(wards)
    shown = mb.disclosed_beds(summary, ctx.rule, level)
    kind = "collaboratives" if aggregate else "units"
    points = view.symbols(shown, kind)
    arcs = localities = None
    if show_flows:
        arcs, localities, hidden = _flows(ctx, wards, summary, aggregate)
        if hidden:
            st.caption(f"{hidden} small flows not drawn (disclosure rule {ctx.rule}).")
    lats = [] if localities is None else [*localities["latitude"]]
    lons = [] if localities is None else [*localities["longitude"]]
    points, state = _fit(points, lats, lons, HEIGHT)
    summary_text = map_summary(shown, mb.FREE_BANDS, "free_band", "free beds now",
                               "collaborative" if aggregate else "unit")
    event = st.pydeck_chart(view.deck(points, state, kind, arcs, localities, _boundaries(ctx)), on_select="rerun",
                            selection_mode="single-object", key=key, height=HEIGHT, alt=summary_text)
    st.html(view.legend_html(localities=localities is not None and not localities.empty,
                             flows=arcs is not None and not arcs.empty))
    st.caption(f"{summary_text} Each circle shows its free beds now (white or black number; * suppressed, – no "
               f"report); its area grows with commissioned beds. Circles that would overlap are nudged apart. "
               f"Hover for the name and occupancy. {_tip_link(kind)}.")
    return event, kind


def draw_placements(ctx, units: pd.DataFrame, key: str) -> None:
    """The placement finder's wards on the map: one symbol per unit, coloured by its free beds."""
    e = html.escape
    tips = {u: (f"<b>{e(n)}</b><br/>Best rank: {r} · wards offered: {w}<br/>Free beds: "
                f"{view.count_text(a, s)}<br/>{'In area' if ia else 'Out of area'} · {d:,.0f} km from home")
            for u, n, r, w, a, s, ia, d in zip(units["unit_code"], units["unit_name"], units["best_rank"],
                                               units["wards"], units["available"], units["suppressed"],
                                               units["in_area"], units["distance_km"])}
    points = view.symbols(units, "units", tips=lambda row: tips[row["unit_code"]])
    points, state = _fit(points, [], [], 420)
    text = map_summary(units, mb.FREE_BANDS, "free_band", "free beds for this referral")
    st.pydeck_chart(view.deck(points, state, "placements", boundaries=_boundaries(ctx)), key=key, height=420,
                    alt=text)
    st.html(view.legend_html(bands={b for b in units["free_band"]}))
    st.caption(f"{text} Hover a unit for its best rank and distance.")
