"""Excel downloads that leave an 'export' row in the audit trail.

`download_excel(label, data, file_name, ctx, what)` is st.download_button with the Excel
MIME type (data: the bytes, or a function that builds them on click); clicking it appends an audit
row (user, role, "export", "<what> @ <scope>", file name, period, disclosure rule). Build `data` with
ui.excel.workbook_bytes from figures that have passed through metrics.disclosure, as the page shows them.
"""

import streamlit as st

from data_access import audit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_detail(ctx, file_name: str) -> dict:
    return {"file": file_name, "from": str(ctx.start), "to": str(ctx.end), "rule": ctx.rule}


def _record_export(ctx, what: str, file_name: str) -> None:
    audit.record(ctx.engine, ctx.viewer, "export", audit.target(what, ctx.scope.key), export_detail(ctx, file_name))


def download_excel(label: str, data, file_name: str, ctx, what: str, key: str | None = None):
    """An Excel download button whose click is audited. `data`: the bytes, or a function that returns them
    (called only when the button is clicked, so a rerun does not build a workbook nobody asked for)."""
    return st.download_button(label, data, file_name=file_name, mime=XLSX, icon=":material/download:", key=key,
                              on_click=_record_export, args=(ctx, what, file_name))
