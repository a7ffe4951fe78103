"""Benchmark baseline, not part of the dashboard: a page of 16 tiles and a table, no database.

    streamlit run benchmarks/trivial_app.py

What Streamlit itself costs to draw a page the size of the Overview (16 st.metric tiles in rows
of four, a subheader and a 20-row table); benchmarks/load.py and benchmarks/rerun.py compare the
Overview with it in the same run. It is served only by its own `streamlit run`, never listed in
the dashboard's menu.
"""

import pandas as pd
import streamlit as st

TILES, PER_ROW, ROWS = 16, 4, 20

st.set_page_config(page_title="Benchmark: 16 tiles", layout="wide")
st.title("Benchmark page: 16 tiles and a table")
st.caption("Fixed figures; no database.")
for first in range(0, TILES, PER_ROW):
    for number, column in enumerate(st.columns(PER_ROW), start=first + 1):
        with column:
            st.metric(f"Tile {number}", f"{number * 7.5:.1f}%", delta=f"+{number / 10:.1f} pp", border=True)
st.subheader("Table")
table = pd.DataFrame({"name": [f"Row {i}" for i in range(ROWS)],
                      **{f"figure {k}": [float(i * k) for i in range(ROWS)] for k in range(1, 9)}})
st.dataframe(table, hide_index=True, width="stretch")
