"""The sidebar: a scope selector that walks the hierarchy, a period selector, data as of, demo notice."""

import datetime as dt

import streamlit as st

from data_access import clock
from data_access.engine import display_url
from data_access.scope import LEVEL_LABELS
from ui import cached, period
from ui.context import Context, go_to

ALL = "— all —"


def _selected_path(ctx: Context) -> tuple:
    """((level, code), ...) for the scope and its parents below national."""
    return tuple((s.level, s.code) for s in [*ctx.parents, ctx.scope] if s.level != "national")


def _on_pick(level: str, parent_key: str, codes: dict[str, str]) -> None:
    picked = st.session_state[f"pick_{level}"]
    go_to(parent_key if picked == ALL else f"{level}:{codes[picked]}")


def scope_selector(ctx: Context) -> None:
    policy = ctx.viewer.policy if ctx.viewer else None
    for level, codes, current_name, parent_key in cached.scope_choices(ctx.engine, ctx.url, policy,
                                                                       _selected_path(ctx)):
        st.session_state[f"pick_{level}"] = current_name or ALL
        st.selectbox(LEVEL_LABELS[level], [ALL, *codes], key=f"pick_{level}", on_change=_on_pick,
                     args=(level, parent_key, codes))


def _on_preset(latest: dt.date) -> None:
    name = st.session_state["period_preset"]
    if name != "Custom":
        start, end = period.preset_range(name, latest)
        st.query_params["from"], st.query_params["to"] = str(start), str(end)


def _on_custom() -> None:
    picked = st.session_state.get("period_custom")
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        st.query_params["from"], st.query_params["to"] = str(picked[0]), str(picked[1])


def period_selector(ctx: Context) -> None:
    match = next((p for p in period.PRESETS[:-1] if period.preset_range(p, ctx.latest) == (ctx.start, ctx.end)),
                 "Custom")
    st.session_state["period_preset"] = match
    st.selectbox("Period", period.PRESETS, key="period_preset", on_change=_on_preset, args=(ctx.latest,))
    if match == "Custom":
        st.session_state["period_custom"] = (ctx.start, ctx.end)
        st.date_input("From – to", key="period_custom", min_value=period.EARLIEST, max_value=ctx.latest,
                      on_change=_on_custom, format="DD/MM/YYYY")
    st.caption(f"{period.describe(ctx.start, ctx.end)}")


def data_notice(ctx: Context) -> None:
    feeds = ", ".join(f"{feed} {clock.uk(at):%d %b %Y %H:%M}" for feed, at in sorted(ctx.feeds.items()))
    st.caption(f"Data as of {ctx.latest:%d %b %Y}. Last loads: {feeds or 'none recorded'}.")
    if ctx.is_demo:
        st.info("Synthetic demonstration data: no real patients, units or finances.", icon=":material/science:")
    st.caption(f"Database: {display_url(ctx.url)}")


def draw(ctx: Context) -> None:
    with st.sidebar:
        st.subheader("Scope")
        scope_selector(ctx)
        st.subheader("Period")
        period_selector(ctx)
        st.divider()
        data_notice(ctx)
