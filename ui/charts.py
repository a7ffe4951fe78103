"""Drawing a chart accessibly, the one way every page does it.

Each chart gets a title (Vega-Lite `title`, unless it has one) and a short description: Vega-Lite `description`
"<title>. <description>", which Vega renders as the chart's accessible name (aria-label) for a screen reader
(Streamlit's own `alt` would override it and log a warning, so it is not used). When given, the chart's figures
follow as a table in an expander below it, so nothing is only in the picture.

Charts are drawn without Altair's schema validation (jsonschema over the whole Vega-Lite spec: about 0.1 s of
CPU per chart, a third of a page's first render). The charts are built by our own code and the tests validate
them (tests/test_charts.py draws every page and validates each spec it drew).
"""

import functools

import altair as alt
import pandas as pd
import streamlit as st
from altair.utils import schemapi


def _share_altair_class_table() -> None:
    """Build Altair's table of its schema classes once per process.

    Altair (6.3, pinned) rebuilds that table, hashing each of its ~570 classes' schemas as JSON, every time it
    turns an encoding given as a string ("month:T") into a channel: about 10 ms per encoding, a tenth of a second
    per chart. The table depends only on the classes, so it is built once and shared (read-only).
    """
    table_class = getattr(schemapi, "_FromDict", None)
    if table_class is None or getattr(table_class, "pcd_shared", False):
        return
    build = table_class.__init__
    tables: dict[tuple, dict] = {}

    def init(self, wrapper_classes, /) -> None:
        classes = tuple(wrapper_classes)
        if classes not in tables:
            build(self, classes)
            tables[classes] = self.class_dict
        self.class_dict = tables[classes]

    table_class.__init__ = init
    table_class.pcd_shared = True


_share_altair_class_table()


def accessible(chart, title: str, description: str):
    """The chart with a title (when it has none) and a Vega-Lite description naming it."""
    if getattr(chart, "title", alt.Undefined) in (None, "", alt.Undefined):
        chart = chart.properties(title=title)
    return chart.properties(description=f"{title}. {description}")


def unvalidated(chart):
    """The chart, whose to_dict() (called by st.altair_chart) skips the schema validation."""
    object.__setattr__(chart, "to_dict", functools.partial(type(chart).to_dict, chart, validate=False))
    return chart


def show_chart(chart, title: str, description: str, data: pd.DataFrame | None = None, where=st, **kwargs):
    """st.altair_chart with a title, a description and (if given) the data behind it as a table."""
    shown = where.altair_chart(unvalidated(accessible(chart, title, description)), **kwargs)
    if data is not None:
        with where.expander(f"Chart data: {title}"):
            st.dataframe(data, hide_index=True, width="stretch")
    return shown


def map_summary(units: pd.DataFrame, bucket_labels: dict, column: str = "bucket", what: str = "bed occupancy",
                noun: str = "unit") -> str:
    """A sentence for the map's text alternative: how many units (or `noun`s), and how many in each colour band."""
    counts = units[column].value_counts()
    parts = [f"{int(counts[key])} {text.lower()}" for key, (text, _) in bucket_labels.items() if key in counts]
    noun = noun if len(units) == 1 else f"{noun}s"
    return f"Map of {len(units)} {noun} by {what}: " + (", ".join(parts) or "none") + "."
