"""Fifty-plus kinds of bad finance return (issue 11): each gives a clear message, loads nothing (every table
as it was, bar one `rejected` load_log row and its audit row, which names the scope), and stays within a
bounded memory (peak under 300 MB measured with tracemalloc), on DuckDB and PostgreSQL.

Includes the attacks found by probing: a 32,000-character cell repeated in 50,000 rows, more rows than the
limit, a file of blank rows, a closed month (actuals already loaded) and actuals for a future month.
"""

import datetime as dt
import io
import tracemalloc
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from data_access.access import Viewer
from data_access.finance_import import COLUMNS, MAX_PROBLEMS, MAX_ROWS, SHEET, load_finance_return
from data_access.schema import audit_log, finance_ledger
from tests.fixture_db import build_fixture
from tests.test_finance_import import GOOD, LOGS, MAX, _not_a_workbook, _padded, _with, snapshot, workbook

FY = "2023/24"
MEMORY_LIMIT = 300 * 1024 * 1024
FEB = dt.date(2024, 2, 1)
IMPACT_LEAD = Viewer("lead", "lead_provider", ("collaborative:IMPACT",), "none")


@pytest.fixture(scope="module")
def db(request, tmp_path_factory):
    from tests.databases import empty_database

    engines = {}

    def get(kind):
        if kind not in engines:
            engine, cleanup = empty_database(kind, tmp_path_factory.mktemp(f"bad_{kind}"))
            build_fixture(engine)
            request.addfinalizer(cleanup)
            engines[kind] = engine
        return engines[kind]

    return get


def _streamed(rows, header=COLUMNS) -> bytes:
    """A write-only workbook (fast for many rows)."""
    return workbook(rows, header, write_only=True)


def _long_cell_rows() -> bytes:
    """The probe's file: a 32,000-character string in 50,000 rows, stored once as a shared string (under 1 MB
    zipped), written by hand as Excel does (openpyxl would write it into every cell)."""
    strings = ["A" * 32_000, *COLUMNS, "IMPACT", "2024-03-01"]
    header = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i + 1}</v></c>' for i in range(len(COLUMNS)))
    row = ('<row r="{n}"><c r="A{n}" t="s"><v>8</v></c><c r="B{n}" t="s"><v>9</v></c>'
           '<c r="C{n}" t="s"><v>0</v></c></row>')
    rows = "".join(row.format(n=n) for n in range(2, 50_002))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
        '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
        'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook {ns} xmlns:r="{rel}"><sheets><sheet name="{SHEET}" '
        'sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/sharedStrings.xml": f'<?xml version="1.0"?><sst {ns}>' + "".join(f"<si><t>{t}</t></si>" for t in strings)
        + "</sst>",
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet {ns}><sheetData><row r="1">{header}</row>'
        f"{rows}</sheetData></worksheet>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _many_rows() -> bytes:
    row = ["IMPACT", "2024-03-01", "nhs_inpatient", "RHA", 1, None, 1]
    return _streamed(row for _ in range(MAX_ROWS + 1))


def _blank_rows() -> bytes:
    """A header, one row, then a blank cell far below: every row in between is read as a blank row."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(COLUMNS)
    sheet.append(GOOD[0])
    sheet.cell(row=MAX_ROWS + 100, column=1, value=" ")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _hidden(title=SHEET) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(COLUMNS)
    for row in GOOD:
        sheet.append(row)
    sheet.sheet_state = "hidden"
    book.create_sheet("Visible")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _corrupt_sheet() -> bytes:
    source = zipfile.ZipFile(io.BytesIO(workbook(GOOD)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            out.writestr(item, b"<worksheet><sheetData><row r=" if item.filename.endswith("sheet1.xml") else data)
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO(workbook(GOOD))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", b"\0" * 250_000_000)
    return buffer.getvalue()


def _closed_feb() -> bytes:
    """IMPACT February 2024 is closed (actuals loaded): a return changing its actuals."""
    return workbook([["IMPACT", "2024-02-01", "nhs_inpatient", "RHA", 50000, 1, 51000]])


def _future_actuals() -> bytes:
    return workbook([["IMPACT", "2024-03-01", "nhs_inpatient", "RHA", 50000, 52000, 52000]])


def _many_problems() -> bytes:
    return _streamed(["NOPE", "soon", "catering", "ZZZ", -1, "x", "y"] for _ in range(5_000))


def _wide_header() -> bytes:
    return workbook([r + [None] * 40 for r in GOOD], header=COLUMNS + [f"extra_{i}" for i in range(40)])


def _row(**changes):
    return lambda: workbook(_with(changes))


BAD = {
    # rows
    "unknown collaborative": (_row(collaborative_id="NOPE"), "not a known collaborative"),
    "collaborative in lower case": (_row(collaborative_id="impact"), "not a known collaborative"),
    "unknown provider": (_row(provider_code="ZZZ"), "not a known provider"),
    "provider not a member": (_row(provider_code="RX4"), "not a member"),
    "provider of another region": (_row(provider_code="NPR"), "not a member"),
    "bad category": (_row(category="catering"), "not a category"),
    "formula in category": (_row(category="=A1"), "required"),
    "month outside the year": (_row(month_start="2024-04-01"), "outside the financial year"),
    "month long ago": (_row(month_start="1900-01-01"), "outside the financial year"),
    "not a month start": (_row(month_start="2024-03-15"), "not the first day"),
    "not a date": (_row(month_start="March"), "not a date"),
    "serial number date": (_row(month_start=45352), "not a date"),
    "date with a time": (_row(month_start=dt.datetime(2024, 3, 1, 10, 30)), "time of day"),
    "negative budget": (_row(budget_gbp=-5), "negative"),
    "negative forecast": (_row(forecast_gbp=-0.01), "negative"),
    "text amount": (_row(actual_gbp="lots"), "not a number"),
    "amount with letters": (_row(budget_gbp="12abc"), "not a number"),
    "nan amount": (_row(budget_gbp="nan"), "not a number"),
    "infinite amount": (_row(forecast_gbp="inf"), "not a number"),
    "huge amount": (_row(budget_gbp=1e15), "too large"),
    "boolean amount": (_row(budget_gbp=True), "not a number"),
    "missing budget": (_row(budget_gbp=None), "required"),
    "missing forecast": (_row(forecast_gbp=None), "required"),
    "missing category": (_row(category=None), "required"),
    "missing month": (_row(month_start=None), "required"),
    "blank collaborative": (_row(collaborative_id="  "), "required"),
    "duplicate key": (lambda: workbook(GOOD + [GOOD[0]]), "duplicates row 2"),
    "duplicate key, other amounts": (lambda: workbook(GOOD + [GOOD[0][:4] + [1, 1, 1]]), "duplicates row 2"),
    "many problems": (_many_problems, "problem(s), nothing loaded"),
    # files
    "wrong columns": (lambda: workbook(GOOD, header=["collab", "month", "category", "provider_code", "budget",
                                                     "actual_gbp", "forecast_gbp"]), "wrong columns"),
    "extra column": (lambda: workbook([r + ["x"] for r in GOOD], header=COLUMNS + ["notes"]), "unexpected notes"),
    "forty extra columns": (_wide_header, "unexpected extra_0"),
    "duplicated column": (lambda: workbook([r + [9] for r in GOOD], header=COLUMNS + ["budget_gbp"]),
                          "more than once: budget_gbp"),
    "header in upper case, one missing": (lambda: workbook(GOOD, header=[c.upper() for c in COLUMNS[:-1]]),
                                          "missing forecast_gbp"),
    "wrong types": (lambda: workbook([[1, "soon", 3.5, 4, "a", "b", "c"]]), "problem"),
    "text file named xlsx": (lambda: b"collaborative_id,month_start\nIMPACT,2024-03-01\n", "not an Excel workbook"),
    "old xls file": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000, "not an Excel workbook"),
    "zip that is not a workbook": (_not_a_workbook, "not a readable Excel workbook"),
    "corrupt sheet": (_corrupt_sheet, "not a readable Excel workbook"),
    "empty sheet": (lambda: workbook([], header=None), "is empty"),
    "header only": (lambda: workbook([]), "no rows of data"),
    "empty file": (lambda: b"", "empty"),
    "huge file": (lambda: _padded(MAX + 1000), "largest allowed is 10 MB"),
    "zip bomb": (_zip_bomb, "unpacks to"),
    "hidden return sheet": (_hidden, "is hidden"),
    "hidden first sheet": (lambda: _hidden("Sheet1"), "is hidden"),
    "oversized cell": (_row(category="x" * 32_000), "32,000 characters"),
    "oversized cell in 50,000 rows": (_long_cell_rows, "32,000 characters"),
    "oversized amount text": (_row(budget_gbp="9" * 500), "500 characters"),
    "many rows": (_many_rows, f"more than {MAX_ROWS:,} rows"),
    "blank rows": (_blank_rows, f"more than {MAX_ROWS:,} rows"),
    "closed month": (_closed_feb, "already closed"),
    "future month actuals": (_future_actuals, "has not happened yet"),
}


@pytest.mark.parametrize("engine_kind", ["duckdb", "postgresql"])
@pytest.mark.parametrize("kind", list(BAD))
def test_bad_return_clear_message_nothing_changed_bounded_memory(db, engine_kind, kind):
    engine = db(engine_kind)
    make, text = BAD[kind]
    data = make()
    today = dt.date(2024, 2, 20) if kind == "future month actuals" else None  # March 2024 not yet happened
    before = snapshot(engine, skip=LOGS)
    tracemalloc.start()
    try:
        result = load_finance_return(engine, None, data, f"{kind}.xlsx", FY, MAX, today=today)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not result.ok
    assert text in result.message or any(text in p.message for p in result.problems), result.message
    assert len(result.problems) <= MAX_PROBLEMS and result.problem_count >= len(result.problems) >= 1
    assert all(len(p.message) < 600 for p in result.problems)
    assert peak < MEMORY_LIMIT, f"{peak / 1e6:.0f} MB"
    assert snapshot(engine, skip=LOGS) == before
    with engine.connect() as conn:
        targets = conn.execute(sa.select(audit_log.c.target).where(audit_log.c.action == "import")).scalars().all()
    assert targets and all(t.startswith("Finance return @ ") and not t.endswith("@ none") for t in targets)


def test_many_problems_are_capped_with_a_count(db):
    result = load_finance_return(db("duckdb"), None, _many_problems(), "many.xlsx", FY, MAX)
    assert len(result.problems) == MAX_PROBLEMS and result.problem_count >= 5_000 * 4
    assert f"{result.problem_count} problem(s)" in result.message


def test_blank_first_row_is_skipped_not_called_empty(empty_engine):
    build_fixture(empty_engine)
    result = load_finance_return(empty_engine, None, _blank_first(), "blank_first.xlsx", FY, MAX)
    assert result.ok, result.message


def _blank_first() -> bytes:
    return workbook([[None] * len(COLUMNS), COLUMNS, *GOOD], header=None)


def _february(engine):
    f = finance_ledger
    with engine.connect() as conn:
        return conn.execute(sa.select(f.c.category, f.c.actual_gbp).where(
            f.c.collaborative_id == "IMPACT", f.c.month_start == FEB).order_by(f.c.category)).all()


def test_closed_month_restated_only_when_confirmed_and_audited(empty_engine):
    build_fixture(empty_engine)
    before = _february(empty_engine)
    refused = load_finance_return(empty_engine, IMPACT_LEAD, _closed_feb(), "feb.xlsx", FY, MAX)
    assert not refused.ok and refused.closed_months == [("IMPACT", FEB)]
    assert "Restate closed months" in refused.message
    assert _february(empty_engine) == before
    done = load_finance_return(empty_engine, IMPACT_LEAD, _closed_feb(), "feb.xlsx", FY, MAX, restate=True)
    assert done.ok and "restated closed month(s) IMPACT Feb 2024" in done.message
    assert [(c, float(a)) for c, a in _february(empty_engine)] == [("nhs_inpatient", 1.0)]
    with empty_engine.connect() as conn:
        details = conn.execute(sa.select(audit_log.c.detail).where(audit_log.c.action == "import")).scalars().all()
    assert sum("restated closed month(s) IMPACT Feb 2024" in d for d in details) == 1


def test_reloading_a_closed_month_unchanged_is_not_a_restatement(empty_engine):
    build_fixture(empty_engine)
    f = finance_ledger
    with empty_engine.connect() as conn:
        rows = conn.execute(sa.select(f.c.collaborative_id, f.c.month_start, f.c.category, f.c.provider_code,
                                      f.c.budget_gbp, f.c.actual_gbp, f.c.forecast_gbp)
                            .where(f.c.collaborative_id == "IMPACT", f.c.month_start == FEB)).all()
    same = [[c, m.isoformat(), cat, p, float(b), float(a), float(fc)] for c, m, cat, p, b, a, fc in rows]
    assert load_finance_return(empty_engine, IMPACT_LEAD, workbook(same), "same.xlsx", FY, MAX).ok


def test_rejected_import_audited_under_the_viewers_scope(empty_engine):
    """Before: rejected imports had target 'Finance return @ none', invisible on the lead's audit page."""
    build_fixture(empty_engine)
    load_finance_return(empty_engine, IMPACT_LEAD, b"", "empty.xlsx", FY, MAX)
    with empty_engine.connect() as conn:
        target = conn.execute(sa.select(audit_log.c.target).where(audit_log.c.action == "import")).scalar()
    assert target == "Finance return @ collaborative:IMPACT"


def test_restate_needs_the_right(monkeypatch, empty_engine):
    build_fixture(empty_engine)
    from data_access import access

    monkeypatch.setitem(access.RIGHTS, "lead_provider", access.RIGHTS["lead_provider"] - {"restate"})
    result = load_finance_return(empty_engine, IMPACT_LEAD, _closed_feb(), "feb.xlsx", FY, MAX, restate=True)
    assert not result.ok and "may not restate" in result.message
