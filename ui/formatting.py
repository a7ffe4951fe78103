"""The one formatting path for tables and tiles (British English, NHS style).

On screen: a suppressed figure is `*`, a missing one `–`, never "None" or "nan"; money in £, £k or £m;
a change that rounds to zero is "no change" (never "-0.0" or "+0"). In Excel the same figures are exact
numbers with a number format (`excel_format`). Tables: `styled(frame, kinds, suppressed)` keeps the numbers
(so columns sort as numbers) and gives each column its format; `show(frame, ...)` draws any table with `–` for
anything still missing.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
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


# Number formats the browser applies to a table column (sprintf-js; "," = thousands separators): the same text
# format_value gives, without a pandas Styler (whose rendering cost about half of a page's CPU on every rerun).
PRINTF = {"rate": ("%.1f", 1), "count": ("%,.0f", 0), "mean": ("%.1f", 1), "pp": ("%.1f", 1)}  # (format, places)


@dataclass(frozen=True)
class Table:
    """A table ready for `show`: its data (a DataFrame, or a Styler for £ columns) and column formats."""

    data: object
    column_config: dict


def styled(frame: pd.DataFrame, kinds: dict[str, str], suppressed: pd.DataFrame | None = None) -> Table:
    """A table for `show`: the `kinds` columns stay numbers and show as format_value text, `–` where missing.
    A column with a suppressed cell (`suppressed`: same index and columns, True) becomes its text, `*` in those
    cells: Streamlit draws its own placeholder over an empty cell, so `*` must not be empty. Numbers are formatted
    by the browser (PRINTF), money (£k/£m by size) by a Styler. Headings carry the units."""
    kinds = {column: TABLE_KINDS.get(kind, kind) for column, kind in kinds.items()}
    flags = _flags(suppressed, list(kinds), len(frame))
    columns, config, money = {}, {}, {}
    for column, kind in kinds.items():
        values = frame[column].to_numpy()
        if flags[column].any():
            columns[column] = [format_value(kind, value, flag) for value, flag in zip(values, flags[column])]
            config[column] = st.column_config.TextColumn(alignment="right")  # as the numbers it stands among
            continue
        values = pd.to_numeric(values, errors="coerce").astype(float)
        if kind in PRINTF:
            printf, places = PRINTF[kind]
            columns[column] = np.where(np.round(values, places) == 0, 0.0, values)  # never "-0.0"
            config[column] = st.column_config.NumberColumn(format=printf)
        else:
            columns[column] = values
            money[column] = functools.partial(format_value, kind)
    frame = frame.assign(**columns) if columns else frame.copy()  # one new frame, not one per column
    data = frame.style.format(money, na_rep=NOT_AVAILABLE) if money else frame  # one call: ~1 ms per call
    return Table(data, config)


def _flags(suppressed: pd.DataFrame | None, columns: list[str], rows: int) -> dict[str, np.ndarray]:
    """Each column's suppressed flags as booleans (all False when it has none)."""
    none = np.zeros(rows, dtype=bool)
    if suppressed is None:
        return dict.fromkeys(columns, none)
    return {column: suppressed[column].to_numpy(dtype=object) == True if column in suppressed else none  # noqa: E712
            for column in columns}


def show(data, **kwargs):
    """st.dataframe with the dashboard's defaults: no index, full width, `–` for any missing cell. `data` is a
    DataFrame or a `styled` Table (its column formats, then the caller's `column_config`)."""
    if isinstance(data, Table):
        kwargs["column_config"] = data.column_config | (kwargs.get("column_config") or {})
        data = data.data
    kwargs = {"hide_index": True, "width": "stretch", "placeholder": NOT_AVAILABLE} | kwargs
    return st.dataframe(data, **kwargs)


def excel_format(kind: str) -> str:
    """openpyxl number format for a KPI kind."""
    return {"pct": "0.0", "rate": "0.0", "days": "#,##0", "km": "#,##0.0", "mean": "0.0",
            "gbp": "£#,##0", "count": "#,##0"}.get(kind, "General")
