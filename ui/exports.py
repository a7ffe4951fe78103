"""Downloads (Excel, PDF) that leave an 'export' row in the audit trail.

`download_excel(label, data, file_name, ctx, what)` is st.download_button with the Excel
MIME type; clicking it appends an audit row (user, role, "export", "<what> @ <scope>", file
name, period, disclosure rule). Build `data` with ui.excel.workbook_bytes from figures that
have passed through metrics.disclosure, as the page shows them.
"""

import streamlit as st

from data_access import audit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_detail(ctx, file_name: str) -> dict:
    return {"file": file_name, "from": str(ctx.start), "to": str(ctx.end), "rule": ctx.rule}


def _record_export(ctx, what: str, file_name: str) -> None:
    audit.record(ctx.engine, ctx.viewer, "export", audit.target(what, ctx.scope.key), export_detail(ctx, file_name))


def download_excel(label: str, data: bytes, file_name: str, ctx, what: str, key: str | None = None):
    """An Excel download button whose click is audited."""
    return download_file(label, data, file_name, XLSX, ctx, what, key)


def download_file(label: str, data, file_name: str, mime: str, ctx, what: str, key: str | None = None):
    """A download button of any file (bytes, or a callable made on click) whose click is audited."""
    return st.download_button(label, data, file_name=file_name, mime=mime, icon=":material/download:", key=key,
                              on_click=_record_export, args=(ctx, what, file_name))
