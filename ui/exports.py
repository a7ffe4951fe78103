"""The one download path: every Excel or CSV download is `download(...)`, and every click is audited.

`download(label, data, file_name, ctx, what)` is st.download_button (Excel by default, `mime=CSV`
for CSV); clicking it appends an 'export' row to the audit trail (user, role, "<what> @ <scope>",
file name, period, disclosure rule). `data` may be bytes or a function that builds them on click.
Build workbooks with ui.excel.workbook_bytes from figures that have passed through
metrics.disclosure, as the page shows them. tests/test_exports.py fails if a page or ui module
calls st.download_button any other way.
"""

import streamlit as st

from data_access import audit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"


def export_detail(ctx, file_name: str) -> dict:
    return {"file": file_name, "from": str(ctx.start), "to": str(ctx.end), "rule": ctx.rule}


def _record_export(ctx, what: str, file_name: str) -> None:
    audit.record(ctx.engine, ctx.viewer, "export", audit.target(what, ctx.scope.key), export_detail(ctx, file_name))


def download(label: str, data, file_name: str, ctx, what: str, key: str | None = None, mime: str = XLSX):
    """A download button whose click is audited."""
    return st.download_button(label, data, file_name=file_name, mime=mime, icon=":material/download:", key=key,
                              on_click=_record_export, args=(ctx, what, file_name))
