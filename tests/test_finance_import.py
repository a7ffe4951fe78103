"""Import of the monthly finance return: template, validation of every row, all-or-nothing load, load_log.

Each test starts from the fixture database (tests/fixture_db.py) on DuckDB and PostgreSQL. A rejected
file must leave every table exactly as it was (compared row by row) except one new `rejected` row in
load_log (and its audit_log row): every attempt is recorded.
"""

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from data_access import schema
from data_access.access import AccessDenied, Viewer
from data_access.finance_import import COLUMNS, SHEET, load_finance_return, template_bytes
from tests.fixture_db import build_fixture

FY = "2023/24"
MAX = 10_000_000
LOGS = ("load_log", "audit_log")
MARCH = dt.date(2024, 3, 1)
# IMPACT's March 2024 return, now closed: replaces the fixture's four open March lines.
GOOD = [
    ["IMPACT", "2024-03-01", "nhs_inpatient", "RHA", 50000, 52500, 52500],
    ["IMPACT", "2024-03-01", "independent_inpatient", "NQ1", 30000, 30500.25, 30500.25],
    ["IMPACT", "2024-03-01", "out_of_area", None, 10000, 8000, 8000],
    ["IMPACT", "2024-03-01", "reinvestment", None, 2000, 2800, 2800],
    ["IMPACT", dt.datetime(2024, 3, 1), "community", "", 5000, None, 4500],  # a real date cell; open line
]


@pytest.fixture
def db(empty_engine):
    build_fixture(empty_engine)
    return empty_engine


def workbook(rows, header=COLUMNS, title=SHEET, write_only=False) -> bytes:
    """A return as .xlsx bytes; write_only streams the rows (fast for many rows)."""
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet(title) if write_only else book.active
    sheet.title = title
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def snapshot(engine, skip=()) -> dict:
    """Every row of every table, in a stable order."""
    out = {}
    with engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            if table.name in skip:
                continue
            out[table.name] = conn.execute(sa.select(table).order_by(*table.columns)).all()
    return out


def log_rows(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(schema.load_log).where(schema.load_log.c.feed == "finance",
                                                             schema.load_log.c.load_id.like("fin-%"))
                            .order_by(schema.load_log.c.loaded_at)).mappings().all()


def impact_march(engine):
    f = schema.finance_ledger
    with engine.connect() as conn:
        return conn.execute(sa.select(f.c.category, f.c.provider_code, f.c.budget_gbp, f.c.actual_gbp,
                                      f.c.forecast_gbp)
                            .where(f.c.collaborative_id == "IMPACT", f.c.month_start == MARCH)
                            .order_by(f.c.category)).all()


def load(engine, data, name="return.xlsx", viewer=None, max_bytes=MAX):
    return load_finance_return(engine, viewer, data, name, FY, max_bytes)


def test_valid_file_loads_and_replaces_the_month(db):
    before = snapshot(db, skip=LOGS)
    result = load(db, workbook(GOOD), "impact_march.xlsx")
    assert result.ok, result.problems
    assert result.rows == 5 and "IMPACT Mar 2024" in result.message
    assert impact_march(db) == [
        ("community", None, Decimal("5000.00"), None, Decimal("4500.00")),
        ("independent_inpatient", "NQ1", Decimal("30000.00"), Decimal("30500.25"), Decimal("30500.25")),
        ("nhs_inpatient", "RHA", Decimal("50000.00"), Decimal("52500.00"), Decimal("52500.00")),
        ("out_of_area", None, Decimal("10000.00"), Decimal("8000.00"), Decimal("8000.00")),
        ("reinvestment", None, Decimal("2000.00"), Decimal("2800.00"), Decimal("2800.00")),
    ]
    after = snapshot(db, skip=LOGS)
    # every other ledger row (other months, other collaboratives) untouched; other tables identical
    keep = [r for r in before["finance_ledger"] if not (r.collaborative_id == "IMPACT" and r.month_start == MARCH)]
    assert [r for r in after["finance_ledger"] if not (r.collaborative_id == "IMPACT" and
                                                       r.month_start == MARCH)] == keep
    kept = ("finance_ledger", "finance_forecast_history")  # the load also keeps its forecast (docs/finance.md)
    assert {k: v for k, v in after.items() if k not in kept} == {k: v for k, v in before.items() if k not in kept}
    march = [r for r in after["finance_forecast_history"] if r.return_month == MARCH]
    # March is now closed: each line's Σ actual-or-forecast for the year (community's March line is still open)
    assert sum(r.forecast_outturn_gbp for r in march) == Decimal("155500") + Decimal("87500.25") + 35000 + 8500 + 5300
    (log,) = log_rows(db)
    assert (log["status"], log["rows"], log["source"]) == ("ok", 5, "impact_march.xlsx")


def test_loading_twice_gives_the_same_data(db):
    data = workbook(GOOD)
    assert load(db, data).ok
    once = snapshot(db, skip=LOGS)
    assert load(db, data).ok
    assert snapshot(db, skip=LOGS) == once
    assert [r["status"] for r in log_rows(db)] == ["ok", "ok"]


def test_headline_moves_after_load(db):
    from data_access.finance import ledger
    from metrics.finance import headline

    assert load(db, workbook(GOOD)).ok
    with db.connect() as conn:
        head = headline(ledger(conn, None, "collaborative", "IMPACT", dt.date(2023, 4, 1),
                               dt.date(2024, 3, 31))["category"])
    # budget: 279000 - March's 92000 + 97000 (the return adds a 5000 community line)
    assert head["budget"] == pytest.approx(284000)
    # actual: 193500 + 52500 + 30500.25 + 8000 + 2800 (community still open)
    assert head["actual"] == pytest.approx(287300.25)
    assert head["outturn"] == pytest.approx(287300.25 + 4500)


def _with(changes: dict, row: int = 0):
    rows = [list(r) for r in GOOD]
    for column, value in changes.items():
        rows[row][COLUMNS.index(column)] = value
    return rows


BAD_ROWS = {
    "unknown collaborative": (_with({"collaborative_id": "NOPE"}), "collaborative_id", "not a known collaborative"),
    "unknown provider": (_with({"provider_code": "ZZZ"}), "provider_code", "not a known provider"),
    "provider not a member": (_with({"provider_code": "RX4"}), "provider_code", "not a member"),
    "bad category": (_with({"category": "catering"}), "category", "not a category"),
    "month outside the year": (_with({"month_start": "2024-04-01"}), "month_start", "outside the financial year"),
    "not a month start": (_with({"month_start": "2024-03-15"}), "month_start", "not the first day"),
    "not a date": (_with({"month_start": "March"}), "month_start", "not a date"),
    "negative amount": (_with({"budget_gbp": -5}), "budget_gbp", "negative"),
    "non-numeric amount": (_with({"actual_gbp": "lots"}), "actual_gbp", "not a number"),
    "missing budget": (_with({"budget_gbp": None}), "budget_gbp", "required"),
    "missing collaborative": (_with({"collaborative_id": "  "}), "collaborative_id", "required"),
    "duplicate key": (GOOD + [GOOD[0]], "provider_code", "duplicates row 2"),
}


@pytest.mark.parametrize("kind", list(BAD_ROWS))
def test_bad_rows_load_nothing_and_name_row_and_column(db, kind):
    rows, column, text = BAD_ROWS[kind]
    before = snapshot(db, skip=LOGS)
    result = load(db, workbook(rows), f"{kind}.xlsx")
    assert not result.ok
    assert any(p.column == column and text in p.message and p.row is not None for p in result.problems), \
        result.problems
    expected_row = 7 if kind == "duplicate key" else 2  # header is row 1
    assert any(p.row == expected_row for p in result.problems)
    assert snapshot(db, skip=LOGS) == before
    (log,) = log_rows(db)
    assert (log["status"], log["rows"], log["source"]) == ("rejected", 0, f"{kind}.xlsx")
    assert "nothing loaded" in log["message"]


def test_every_problem_is_listed(db):
    rows = _with({"collaborative_id": "NOPE", "budget_gbp": "x"}) + [["IMPACT", "2025-01-01", "bad", None, -1, None,
                                                                       None]]
    result = load(db, workbook(rows))
    found = {(p.row, p.column) for p in result.problems}
    assert {(2, "collaborative_id"), (2, "budget_gbp"), (7, "month_start"), (7, "category"), (7, "budget_gbp"),
            (7, "forecast_gbp")} <= found


def _not_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "this zip is not a workbook")
    return buffer.getvalue()


def _padded(size: int) -> bytes:
    """A real workbook made bigger than `size` bytes (an incompressible extra part)."""
    import os

    buffer = io.BytesIO(workbook(GOOD))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/media/padding.bin", os.urandom(size))
    return buffer.getvalue()


BAD_FILES = {
    "wrong columns": (lambda: workbook(GOOD, header=["collab", "month", "category", "provider_code", "budget",
                                                     "actual_gbp", "forecast_gbp"]), "wrong columns"),
    "extra column": (lambda: workbook([r + ["x"] for r in GOOD], header=COLUMNS + ["notes"]), "unexpected notes"),
    "wrong types": (lambda: workbook([[1, "soon", 3.5, 4, "a", "b", "c"]]), "problem"),
    "text file named xlsx": (lambda: b"collaborative_id,month_start\nIMPACT,2024-03-01\n", "not an Excel workbook"),
    "zip that is not a workbook": (_not_a_workbook, "not a readable Excel workbook"),
    "empty sheet": (lambda: workbook([], header=None), "is empty"),
    "header only": (lambda: workbook([]), "no rows of data"),
    "empty file": (lambda: b"", "empty"),
    "huge file": (lambda: _padded(MAX + 1000), "largest allowed is 10 MB"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_files_are_rejected_with_a_clear_message(db, kind):
    make, text = BAD_FILES[kind]
    before = snapshot(db, skip=LOGS)
    result = load(db, make(), "upload.xlsx")
    assert not result.ok
    assert text in result.message, result.message
    assert result.problems
    assert snapshot(db, skip=LOGS) == before
    (log,) = log_rows(db)
    assert log["status"] == "rejected" and log["rows"] == 0 and text in log["message"]


def test_zip_bomb_is_rejected(db):
    buffer = io.BytesIO(workbook(GOOD))
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", b"\0" * 30_000_000)
    before = snapshot(db, skip=LOGS)
    result = load(db, buffer.getvalue(), max_bytes=1_000_000)
    assert not result.ok and "unpacks to" in result.message
    assert snapshot(db, skip=LOGS) == before


@pytest.mark.parametrize("role,home", [("commissioner", "region:Y60"), ("provider", "provider:RHA"),
                                       ("crg", "collaborative:IMPACT"), ("viewer", "collaborative:IMPACT")])
def test_other_roles_are_refused(db, role, home):
    before = snapshot(db, skip=LOGS)
    with pytest.raises(AccessDenied):
        load(db, workbook(GOOD), viewer=Viewer("someone", role, (home,)))
    assert snapshot(db, skip=LOGS) == before
    (log,) = log_rows(db)
    assert log["status"] == "rejected" and "Refused" in log["message"]


def test_lead_provider_only_for_its_own_collaborative(db):
    north_lead = Viewer("lead", "lead_provider", ("collaborative:NORTH",), "none")
    before = snapshot(db, skip=LOGS)
    result = load(db, workbook(GOOD), viewer=north_lead)
    assert not result.ok
    assert any("may not load finance for 'IMPACT'" in p.message for p in result.problems)
    assert snapshot(db, skip=LOGS) == before
    impact_lead = Viewer("lead", "lead_provider", ("collaborative:IMPACT",), "none")
    assert load(db, workbook(GOOD), viewer=impact_lead).ok
    national = Viewer("nat", "national", ("national",))
    assert load(db, workbook(GOOD), viewer=national).ok


def test_template_has_lists_and_round_trips(db):
    with db.connect() as conn:
        data = template_bytes(conn, None, FY, "IMPACT", MARCH)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == [SHEET, "Lists", "Forecast history", "Risks", "Reserves", "Instructions"]
    assert [c.value for c in book["Risks"]["A"][1:]] == ["FR1", "FR2", "FR3", "FR4"]  # IMPACT's risks as they stand
    sheet = book[SHEET]
    assert [c.value for c in sheet[1]] == COLUMNS
    formulas = sorted(v.formula1 for v in sheet.data_validations.dataValidation)
    assert "=Lists!$A$2:$A$4" in formulas  # three collaboratives
    assert "=Lists!$B$2:$B$13" in formulas  # twelve months of 2023/24
    assert "=Lists!$C$2:$C$7" in formulas  # six categories
    assert "=Lists!$D$2:$D$5" in formulas  # four member providers
    lists = book["Lists"]
    assert [lists.cell(row=r, column=2).value for r in (2, 13)] == ["2023-04-01", "2024-03-01"]
    # pre-filled with IMPACT's four March lines: loading the untouched template changes nothing
    filled = [r for r in sheet.iter_rows(min_row=2, values_only=True) if any(v is not None for v in r)]
    assert [(r[2], r[3]) for r in filled] == [("independent_inpatient", "NQ1"), ("nhs_inpatient", "RHA"),
                                              ("out_of_area", None), ("reinvestment", None)]
    before = snapshot(db, skip=LOGS)
    assert load(db, data, "template.xlsx").ok
    assert snapshot(db, skip=LOGS) == before


def test_template_refused_for_roles_that_cannot_import(db):
    with db.connect() as conn, pytest.raises(AccessDenied):
        template_bytes(conn, Viewer("c", "commissioner", ("region:Y60",)), FY, "IMPACT", MARCH)
