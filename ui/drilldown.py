"""A table of a scope's children where clicking a row drills down to that child."""

import pandas as pd
import streamlit as st

from ui.context import go_to


def drill_down_table(frame: pd.DataFrame, column_config: dict, key: str, child_level: str, caption: str) -> None:
    """st.dataframe of `frame` (with a `code` column, hidden by column_config); a clicked row goes to that child."""
    event = st.dataframe(frame, hide_index=True, width="stretch", column_config=column_config, on_select="rerun",
                         selection_mode="single-row", key=key)
    st.caption(caption)
    if event.selection.rows:
        go_to(f"{child_level}:{frame.iloc[event.selection.rows[0]]['code']}")
        st.rerun()
