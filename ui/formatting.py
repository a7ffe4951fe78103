"""The one formatting path for tables and tiles (British English, NHS style).

On screen: a suppressed figure is `*`, a missing one `–`, never "None" or "nan"; money in £, £k or £m;
a change that rounds to zero is "no change" (never "-0.0" or "+0"). In Excel the same figures are exact
numbers with a number format (`excel_format`). Tables: `styled(frame, kinds, suppressed)` keeps the numbers
(so columns sort as numbers) and gives each cell its text; `show(frame, ...)` draws any table with `–` for
anything still missing.
"""

import functools
import math

import pandas as pd
import streamlit as st

from metrics.disclosure import SUPPRESSED

NOT_AVAILABLE = "–"
NO_CHANGE = "no change"
# In a table the column heading carries the unit ("(%)", "(days)"), so cells show the bare number.
TABLE_KINDS = {"pct": "rate", "days": "count", "km": "count"}


def is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def format_value(kind: str, value, suppressed: bool = False) -> str:
    if suppressed:
        return SUPPRESSED
    if is_missing(value):
        return NOT_AVAILABLE
    value = float(value)
    if kind == "gbp":
        return format_gbp(value)
    text = {"pct": "{:.1f}%", "rate": "{:.1f}", "days": "{:,.0f} days", "km": "{:,.0f} km", "mean": "{:.1f}",
            "pp": "{:.1f} pp"}.get(kind, "{:,.0f}").format(value)
    return text.replace("-", "", 1) if _is_zero(text) else text


def format_gbp(value) -> str:
    """£ on screen: whole pounds below £10,000, then £k, then £m (Excel keeps the exact amount)."""
    if is_missing(value):
        return NOT_AVAILABLE
    value = float(value)
    size = abs(value)
    if size >= 1e6:
        text = f"£{size / 1e6:,.2f}m"
    elif size >= 1e4:
        text = f"£{size / 1e3:,.0f}k"
    else:
        text = f"£{size:,.0f}"
    return text if value >= 0 or _is_zero(text) else f"-{text}"


def _is_zero(text: str) -> bool:
    return not any(c in "123456789" for c in text)


def format_change(kind: str, change) -> str | None:
    """A change against the previous period as shown on a tile: signed, percentage points for percentages,
    NO_CHANGE when it rounds to zero, None when there is nothing to compare."""
    if is_missing(change):
        return None
    text = format_value("pp" if kind == "pct" else kind, change)
    if _is_zero(text):
        return NO_CHANGE
    return text if text.startswith("-") else f"+{text}"


def styled(frame: pd.DataFrame, kinds: dict[str, str], suppressed: pd.DataFrame | None = None):
    """A Styler for st.dataframe: the `kinds` columns stay numbers and show as format_value text, `–` where missing.
    A column with a suppressed cell (`suppressed`: same index and columns, True) becomes its text, `*` in those
    cells: Streamlit draws its own placeholder over a Styler's text in an empty cell, so `*` must not be empty.
    Headings carry the units."""
    frame = frame.copy()
    kinds = {column: TABLE_KINDS.get(kind, kind) for column, kind in kinds.items()}
    formatters = {}
    for column, kind in kinds.items():
        flags = _flags(suppressed, column, len(frame))
        if flags.any():
            frame[column] = [format_value(kind, value, flag) for value, flag in zip(frame[column], flags)]
        else:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
            formatters[column] = functools.partial(format_value, kind)
    return frame.style.format(formatters, na_rep=NOT_AVAILABLE)  # one call: Styler.format costs ~1 ms per call


def _flags(suppressed: pd.DataFrame | None, column: str, rows: int):
    """The column's suppressed flags as booleans (all False when it has none)."""
    if suppressed is None or column not in suppressed:
        return pd.Series([False] * rows).to_numpy()
    return suppressed[column].fillna(False).astype(bool).to_numpy()


def show(data, **kwargs):
    """st.dataframe with the dashboard's defaults: no index, full width, `–` for any missing cell."""
    kwargs = {"hide_index": True, "width": "stretch", "placeholder": NOT_AVAILABLE} | kwargs
    return st.dataframe(data, **kwargs)


def excel_format(kind: str) -> str:
    """openpyxl number format for a KPI kind."""
    return {"pct": "0.0", "rate": "0.0", "days": "#,##0", "km": "#,##0.0", "mean": "0.0",
            "gbp": "£#,##0", "count": "#,##0"}.get(kind, "General")
