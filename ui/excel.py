"""Excel exports (openpyxl): bold header, frozen panes, number formats, a metadata sheet.

Every export is built from already-disclosed figures; the metadata sheet says which
disclosure rule was applied, the scope, the period and when the data was last loaded.
"""

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from data_access import clock
from metrics.disclosure import RULE_LABELS, SUPPRESSED

HEADER_FILL = PatternFill("solid", fgColor="005EB8")
HEADER_FONT = Font(bold=True, color="FFFFFF")
MAX_COLUMN_WIDTH = 60
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # text starting so would be a formula in Excel


def append_text_safe(ws, values) -> None:
    """Append a row; text that Excel would read as a formula (=, +, -, @ …) is written as text (quote prefix)."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            cell.data_type, cell.quotePrefix = "s", True


def _write_sheet(ws, frame: pd.DataFrame, formats: dict[str, str]) -> None:
    append_text_safe(ws, [str(c) for c in frame.columns])
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in frame.itertuples(index=False):
        append_text_safe(ws, [_cell(v) for v in row])
    for index, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(index)
        if column in formats:
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = formats[column]
        width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(500)]) + 2
        ws.column_dimensions[letter].width = min(width, MAX_COLUMN_WIDTH)
    ws.freeze_panes = "B2" if len(frame.columns) > 1 else "A2"


def _cell(value):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def with_stars(shown: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """`shown` with "*" in every cell whose flag in `flags` (same shape and columns) is True."""
    out = shown.astype(object).copy()
    for column in flags.columns:
        if column in out.columns and column not in ("code", "name"):
            mask = flags[column].fillna(False).astype(bool).to_numpy()
            out.loc[mask, column] = SUPPRESSED
    return out


def workbook_bytes(sheets: dict[str, tuple[pd.DataFrame, dict]], metadata: dict[str, str]) -> bytes:
    """An .xlsx with one sheet per (frame, {column: number format}) and a final 'About' metadata sheet."""
    book = Workbook()
    book.remove(book.active)
    for title, (frame, formats) in sheets.items():
        _write_sheet(book.create_sheet(title[:31]), frame, formats)
    about = book.create_sheet("About")
    append_text_safe(about, ["Item", "Value"])
    for cell in about[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for key, value in metadata.items():
        append_text_safe(about, [key, value])
    about.column_dimensions["A"].width, about.column_dimensions["B"].width = 28, 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_metadata(ctx, title: str) -> dict[str, str]:
    """The metadata every export carries."""
    loads = "; ".join(f"{feed}: {clock.uk(at):%Y-%m-%d %H:%M}" for feed, at in sorted(ctx.feeds.items()))
    return {
        "Export": title,
        "Scope": f"{ctx.scope.name} ({ctx.scope.key})",
        "Period": f"{ctx.start:%Y-%m-%d} to {ctx.end:%Y-%m-%d}",
        "Data as of": f"{ctx.latest:%Y-%m-%d}",
        "Last loads": loads or "none recorded",
        "Disclosure rule": f"{ctx.rule}: {RULE_LABELS[ctx.rule]}",
        "Data": "Synthetic demonstration data (not real patients)" if ctx.is_demo else "Reporting database",
        "Created": f"{clock.uk_now():%Y-%m-%d %H:%M} (UK time)",
        "Definitions": "KPI catalogue (docs/kpi-definitions.md)",
    }
