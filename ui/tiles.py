"""KPI tiles (st.metric) with the catalogue label, disclosed value, change and a RAG badge."""

import pandas as pd
import streamlit as st

from assets.palette import RAG_ICONS
from ui.formatting import NO_CHANGE, format_change, format_value

RAG_BADGES = {"green": ("On track", "green"), "amber": ("Watch", "orange"), "red": ("Off track", "red")}


def rag_badge(rag: str, text: str | None = None, where=st, help_text: str | None = None) -> None:
    """A RAG badge that says in words what its colour says, with an icon of its own shape (not colour alone)."""
    words, colour = RAG_BADGES[rag]
    where.badge(f"{words}: {text}" if text else words, color=colour, icon=RAG_ICONS[rag], help=help_text)


def _delta_words(row) -> str | None:
    """What the delta's green or red says, in words (colour is not the only signal)."""
    if row["change"] is None or pd.isna(row["change"]):
        return None
    change, direction = float(row["change"]), row["direction"]
    if change == 0 or direction not in ("up", "down"):
        return "vs previous period"
    better = (change > 0) == (direction == "up")
    return "better than previous period" if better else "worse than previous period"


def _delta_colour(direction: str, delta: str | None) -> str:
    if delta == NO_CHANGE:
        return "off"
    return {"up": "normal", "down": "inverse"}.get(direction, "off")


def tiles(frame: pd.DataFrame | list[dict], per_row: int = 4) -> None:
    """Draw one st.metric per row of a metrics.overview.headline() frame (or its rows as dicts)."""
    records = frame if isinstance(frame, list) else frame.to_dict("records")
    for first in range(0, len(records), per_row):
        columns = st.columns(per_row)
        for column, row in zip(columns, records[first:first + per_row]):
            with column:
                delta = format_change(row["kind"], row["change"])
                st.metric(row["label"], format_value(row["kind"], row["shown"], row["suppressed"]),
                          delta=delta, delta_color=_delta_colour(row["direction"], delta),
                          delta_arrow="off" if delta == NO_CHANGE else "auto", border=True,
                          delta_description="no change" if delta == NO_CHANGE else _delta_words(row))
                if row["rag"] in RAG_BADGES:
                    rag_badge(row["rag"], help_text=f"Threshold: {row.get('threshold') or 'not recorded'}")
