"""KPI tiles (st.metric) with the catalogue label, disclosed value, change and a RAG badge."""

import pandas as pd
import streamlit as st

from ui.formatting import NO_CHANGE, format_change, format_value

RAG_BADGES = {"green": ("On track", "green"), "amber": ("Watch", "orange"), "red": ("Off track", "red")}


def _delta_colour(direction: str, delta: str | None) -> str:
    if delta == NO_CHANGE:
        return "off"
    return {"up": "normal", "down": "inverse"}.get(direction, "off")


def tiles(frame: pd.DataFrame, per_row: int = 4) -> None:
    """Draw one st.metric per row of a metrics.overview.headline() frame."""
    records = frame.to_dict("records")
    for first in range(0, len(records), per_row):
        columns = st.columns(per_row)
        for column, row in zip(columns, records[first:first + per_row]):
            with column:
                delta = format_change(row["kind"], row["change"])
                st.metric(row["label"], format_value(row["kind"], row["shown"], row["suppressed"]),
                          delta=delta, delta_color=_delta_colour(row["direction"], delta),
                          delta_arrow="off" if delta == NO_CHANGE else "auto", border=True)
                if row["rag"] in RAG_BADGES:
                    text, colour = RAG_BADGES[row["rag"]]
                    st.badge(text, color=colour, help=f"Threshold: {row.get('threshold') or 'not recorded'}")
