"""Bad forecast-history, risks and reserves sheets of the monthly return (issue 19): each gives a clear message
naming the sheet, loads nothing (every table as it was, the ledger and the good return sheet included, bar one
`rejected` load_log row and its audit row), on DuckDB and PostgreSQL. A good file with all three sheets loads
them with the ledger in one transaction.
"""

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from data_access.access import Viewer
from data_access.finance_import import (
    COLUMNS,
    HISTORY_COLUMNS,
    HISTORY_SHEET,
    RESERVES_SHEET,
    RISKS_SHEET,
    SHEET,
    load_finance_return,
)
from data_access.finance_risk import RESERVE_COLUMNS, RISK_COLUMNS
from data_access.schema import financial_reserve, financial_risk, load_log
from tests.fixture_db import build_fixture
from tests.test_finance_import import GOOD, LOGS, MAX, snapshot

FY = "2023/24"
TODAY = dt.date(2024, 4, 5)
IMPACT_LEAD = Viewer("lead", "lead_provider", ("collaborative:IMPACT",), "none")
HISTORY = [["IMPACT", "2023-12-01", "nhs_inpatient", "RHA", 149000]]
RISKS = [["FR7", "IMPACT", "Pending admissions above plan", 30000, 40, 2000, "Head of finance", "open", "2024-03-01",
          "2024-04-30"]]
RESERVES = [["IMPACT", 20000, 2500]]
COLUMNS_OF = {HISTORY_SHEET: HISTORY_COLUMNS, RISKS_SHEET: RISK_COLUMNS, RESERVES_SHEET: RESERVE_COLUMNS}


def book(history=HISTORY, risks=RISKS, reserves=RESERVES, headers=None, hidden=None) -> bytes:
    """A return with the good ledger sheet and the three optional sheets."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(COLUMNS)
    for row in GOOD:
        ws.append(row)
    for name, rows in ((HISTORY_SHEET, history), (RISKS_SHEET, risks), (RESERVES_SHEET, reserves)):
        sheet = wb.create_sheet(name)
        sheet.append((headers or {}).get(name, COLUMNS_OF[name]))
        for row in rows:
            sheet.append(row)
        if name == hidden:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def risk(**changes) -> list:
    row = list(RISKS[0])
    for column, value in changes.items():
        row[RISK_COLUMNS.index(column)] = value
    return [row]


BAD = {
    "history: wrong columns": (lambda: book(headers={HISTORY_SHEET: ["collaborative_id", "month", "category",
                                                                     "provider_code", "forecast"]}),
                               "The sheet 'Forecast history' has the wrong columns"),
    "history: unknown collaborative": (lambda: book(history=[["NOPE", "2023-12-01", "nhs_inpatient", None, 1]]),
                                       "not a known collaborative"),
    "history: not allowed": (lambda: book(history=[["NORTH", "2023-12-01", "nhs_inpatient", "RX4", 1]]),
                             "you may not load finance for 'NORTH'"),
    "history: month outside the year": (lambda: book(history=[["IMPACT", "2024-05-01", "nhs_inpatient", "RHA", 1]]),
                                        "outside the financial year"),
    "history: the return's own month": (lambda: book(history=[["IMPACT", "2024-03-01", "nhs_inpatient", "RHA", 1]]),
                                        "this return's own month"),
    "history: negative forecast": (lambda: book(history=[["IMPACT", "2023-12-01", "nhs_inpatient", "RHA", -4]]),
                                   "is negative"),
    "history: duplicate line": (lambda: book(history=HISTORY * 2), "duplicates row 2"),
    "history: hidden sheet": (lambda: book(hidden=HISTORY_SHEET), "The sheet 'Forecast history' is hidden"),
    "risks: likelihood over 100": (lambda: book(risks=risk(likelihood_pct=140)), "is a % from 0 to 100"),
    "risks: unknown status": (lambda: book(risks=risk(status="pending")), "is not a status"),
    "risks: raised in the future": (lambda: book(risks=risk(raised_date="2024-06-01")), "is in the future"),
    "risks: review before raised": (lambda: book(risks=risk(review_date="2024-01-01")), "before the date"),
    "risks: another collaborative's id": (lambda: book(risks=risk(risk_id="FR5")), "another collaborative's risk"),
    "risks: not a number": (lambda: book(risks=risk(value_gbp="lots")), "is not a number"),
    "risks: empty description": (lambda: book(risks=risk(description=" ")), "is required but empty"),
    "risks: duplicate id": (lambda: book(risks=RISKS * 2), "the same risk id"),
    "risks: description too long": (lambda: book(risks=risk(description="x" * 600)), "no cell of this sheet"),
    "risks: other collaborative": (lambda: book(risks=risk(collaborative_id="NORTH", risk_id="N9")),
                                   "you may not record financial risks"),
    "reserves: negative held": (lambda: book(reserves=[["IMPACT", -1, 0]]), "is negative"),
    "reserves: two rows": (lambda: book(reserves=RESERVES * 2), "one reserve per collaborative"),
    "reserves: missing committed": (lambda: book(reserves=[["IMPACT", 100, None]]), "is required but empty"),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_sheet_clear_message_nothing_changed(empty_engine, kind):
    build_fixture(empty_engine)
    make, text = BAD[kind]
    before = snapshot(empty_engine, skip=LOGS)
    result = load_finance_return(empty_engine, IMPACT_LEAD, make(), f"{kind}.xlsx", FY, MAX, today=TODAY)
    assert not result.ok
    assert text in result.message or any(text in p.message for p in result.problems), result.message
    name = {"history": HISTORY_SHEET, "risks": RISKS_SHEET, "reserves": RESERVES_SHEET}[kind.split(":")[0]]
    assert name in result.message or all(name in (p.column or "") for p in result.problems), result.problems
    assert snapshot(empty_engine, skip=LOGS) == before
    with empty_engine.connect() as conn:
        status = conn.execute(sa.select(load_log.c.status).where(load_log.c.load_id.like("fin-%"))).scalars().all()
    assert status == ["rejected"]


def test_good_sheets_load_with_the_ledger(empty_engine):
    build_fixture(empty_engine)
    result = load_finance_return(empty_engine, IMPACT_LEAD, book(), "good.xlsx", FY, MAX, today=TODAY)
    assert result.ok, result.message
    assert "1 earlier forecast line(s); 1 risk(s); 1 reserve(s)" in result.message
    with empty_engine.connect() as conn:
        held = conn.execute(sa.select(financial_reserve.c.held_gbp, financial_reserve.c.committed_gbp)
                            .where(financial_reserve.c.collaborative_id == "IMPACT",
                                   financial_reserve.c.financial_year == FY)).one()
        fr7 = conn.execute(sa.select(financial_risk.c.value_gbp, financial_risk.c.likelihood_pct)
                           .where(financial_risk.c.risk_id == "FR7")).one()
    assert (float(held[0]), float(held[1])) == (20000, 2500) and (float(fr7[0]), fr7[1]) == (30000, 40)


def test_empty_optional_sheets_change_nothing_of_theirs(empty_engine):
    build_fixture(empty_engine)
    before = snapshot(empty_engine, skip=(*LOGS, "finance_ledger", "finance_forecast_history"))
    result = load_finance_return(empty_engine, IMPACT_LEAD, book([], [], []), "headers.xlsx", FY, MAX, today=TODAY)
    assert result.ok, result.message
    assert snapshot(empty_engine, skip=(*LOGS, "finance_ledger", "finance_forecast_history")) == before
