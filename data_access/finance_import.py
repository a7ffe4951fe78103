"""The monthly finance return: an Excel template, validation of every row, and an all-or-nothing load.

- `template_bytes(...)`: an .xlsx (openpyxl) with the return's columns, drop-down lists (data
  validation) for collaborative, month, category and provider, and instructions.
- `load_finance_return(engine, viewer, data, filename, fy_label, max_bytes)`: reads the upload,
  checks every row, and either replaces the ledger rows of each (collaborative, month) in the file
  in ONE transaction, or loads nothing and returns each problem with its row and column. Every
  attempt is written to `load_log` (feed `finance`) and `audit_log`.
Only roles allowed "import" (access.allowed; and trusted callers, viewer None) may import.
"""

import datetime as dt
import io
import uuid
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from data_access import access, audit, bulk, clock
from data_access import finance_risk as fr
from data_access.schema import (
    FINANCE_CATEGORIES,
    collaborative,
    collaborative_member,
    finance_forecast_history,
    finance_ledger,
    financial_reserve,
    financial_risk,
    load_log,
    provider,
)

COLUMNS = ["collaborative_id", "month_start", "category", "provider_code", "budget_gbp", "actual_gbp",
           "forecast_gbp"]
REQUIRED = {"collaborative_id", "month_start", "category", "budget_gbp", "forecast_gbp"}
AMOUNTS = ("budget_gbp", "actual_gbp", "forecast_gbp")
SHEET = "Finance return"
MAX_ROWS = 50_000  # rows of the sheet read, blank rows included (a return is a few hundred)
MAX_CELL_CHARS = 100  # no cell of a return is longer (codes, dates, amounts)
MAX_COLUMNS = 64  # cells read per row; a header wider than this is refused
MAX_PROBLEMS = 50  # problems kept and shown; the count of all of them is kept too
MAX_AMOUNT = fr.MAX_AMOUNT  # Numeric(14, 2)
UNPACKED_FACTOR = 20  # an .xlsx may unpack to at most 20 x the upload limit (zip bombs)
FEED = "finance"
# Optional sheets of the return (issue 19): earlier returns' forecasts, the risk register, the reserve.
HISTORY_SHEET, RISKS_SHEET, RESERVES_SHEET = "Forecast history", "Risks", "Reserves"
HISTORY_COLUMNS = ["collaborative_id", "return_month", "category", "provider_code", "forecast_outturn_gbp"]
EXTRA_SHEETS = {HISTORY_SHEET: HISTORY_COLUMNS, RISKS_SHEET: fr.RISK_COLUMNS, RESERVES_SHEET: fr.RESERVE_COLUMNS}
CELL_LIMITS = {RISKS_SHEET: fr.MAX_TEXT}  # a risk's description may be longer than a code or an amount


@dataclass(frozen=True)
class Problem:
    row: int | None  # Excel row number (1 = header); None = the file as a whole
    column: str | None
    message: str


@dataclass
class ImportResult:
    status: str  # ok, rejected
    rows: int
    message: str
    problems: list[Problem] = field(default_factory=list)  # at most MAX_PROBLEMS
    problem_count: int = 0  # all problems found (more than `problems` holds when over MAX_PROBLEMS)
    closed_months: list = field(default_factory=list)  # (collaborative, month) a restatement would replace

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class Rejected(ValueError):
    """The file as a whole cannot be read as a finance return."""


def fy_bounds(fy_label: str) -> tuple[dt.date, dt.date]:
    """'2023/24' -> (1 April 2023, 31 March 2024)."""
    try:
        first = int(str(fy_label)[:4])
    except ValueError as error:
        raise Rejected(f"'{fy_label}' is not a financial year (e.g. 2024/25).") from error
    return dt.date(first, 4, 1), dt.date(first + 1, 3, 31)


def fy_months(fy_label: str) -> list[dt.date]:
    start, _ = fy_bounds(fy_label)
    return [dt.date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1) for i in range(12)]


def importable_collaboratives(conn, viewer) -> list[tuple[str, str]]:
    """(id, name) of the collaboratives this viewer may load a return for."""
    if not access.allowed(viewer, "import"):
        return []
    rows = conn.execute(sa.select(collaborative.c.collaborative_id, collaborative.c.name)
                        .order_by(collaborative.c.name)).all()
    return [tuple(r) for r in rows if access.allowed(viewer, "import", ("collaborative", r[0]), conn)]


def _members(conn, collab_ids) -> dict[str, list[str]]:
    m = collaborative_member
    rows = conn.execute(sa.select(m.c.collaborative_id, m.c.provider_code)
                        .where(m.c.collaborative_id.in_(list(collab_ids))).order_by(m.c.provider_code)).all()
    out: dict[str, list[str]] = {c: [] for c in collab_ids}
    for c, p in rows:
        out[c].append(p)
    return out


# --------------------------------------------------------------------------- template

def _existing_lines(conn, collab_id: str, month: dt.date) -> list[list]:
    f = finance_ledger
    rows = conn.execute(
        sa.select(f.c.category, f.c.provider_code, f.c.budget_gbp, f.c.actual_gbp, f.c.forecast_gbp)
        .where(f.c.collaborative_id == collab_id, f.c.month_start == month)
        .order_by(f.c.category, f.c.provider_code)).all()
    return [[collab_id, month.isoformat(), c, p, *(None if v is None else float(v) for v in (b, a, fc))]
            for c, p, b, a, fc in rows]


def _blank_lines(conn, collab_id: str, month: dt.date) -> list[list]:
    sectors = dict(conn.execute(sa.select(provider.c.provider_code, provider.c.sector)).all())
    lines = []
    for code in _members(conn, [collab_id])[collab_id]:
        category = "nhs_inpatient" if sectors.get(code) == "nhs" else "independent_inpatient"
        lines.append([collab_id, month.isoformat(), category, code, None, None, None])
    for category in ("out_of_area", "community", "reinvestment", "other"):
        lines.append([collab_id, month.isoformat(), category, None, None, None, None])
    return lines


def template_bytes(conn, viewer, fy_label: str, collab_id: str | None = None, month: dt.date | None = None) -> bytes:
    """The return template: one sheet to fill (pre-filled with the month's lines), drop-down lists, help."""
    collabs = importable_collaboratives(conn, viewer)
    if not collabs:
        raise access.AccessDenied("Your role does not allow importing the finance return.")
    codes = [c for c, _ in collabs]
    members = _members(conn, codes)
    providers = sorted({p for ps in members.values() for p in ps})
    months = [m.isoformat() for m in fy_months(fy_label)]
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="005EB8")
    if collab_id in codes and month is not None:
        for line in _existing_lines(conn, collab_id, month) or _blank_lines(conn, collab_id, month):
            sheet.append(line)
    for letter, width in zip("ABCDEFG", (18, 14, 24, 16, 16, 16, 16)):
        sheet.column_dimensions[letter].width = width
    for letter in "EFG":
        for (cell,) in sheet.iter_rows(min_row=2, max_row=2000, min_col="ABCDEFG".index(letter) + 1,
                                       max_col="ABCDEFG".index(letter) + 1):
            cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"
    _lists_sheet(book, sheet, [codes, months, list(FINANCE_CATEGORIES), providers])
    _extra_sheets(conn, book, fy_label, collab_id if collab_id in codes else None)
    _instructions(book, fy_label)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _lists_sheet(book, sheet, lists) -> None:
    """A 'Lists' sheet with one column per drop-down, and the validations on the return sheet."""
    lists_ws = book.create_sheet("Lists")
    headers = ["collaborative_id", "month_start", "category", "provider_code"]
    for col, (header, values) in enumerate(zip(headers, lists), start=1):
        lists_ws.cell(row=1, column=col, value=header).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            lists_ws.cell(row=row, column=col, value=value)
    for col, target in zip("ABCD", "ABCD"):
        n = len(lists["ABCD".index(col)])
        if n == 0:
            continue
        rule = DataValidation(type="list", formula1=f"=Lists!${col}$2:${col}${n + 1}",
                              allow_blank=(col == "D"), showErrorMessage=True,
                              errorTitle="Not in the list", error="Pick a value from the list.")
        rule.add(f"{target}2:{target}2000")
        sheet.add_data_validation(rule)
    amounts = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                             showErrorMessage=True, errorTitle="Amount", error="An amount in £, 0 or more.")
    amounts.add("E2:G2000")
    sheet.add_data_validation(amounts)


def _extra_sheets(conn, book, fy_label: str, collab_id: str | None) -> None:
    """The optional sheets: forecast history (empty), the collaborative's risks and reserve as they stand."""
    r, v = financial_risk, financial_reserve
    risks = conn.execute(sa.select(*[r.c[c] for c in fr.RISK_COLUMNS])
                         .where(r.c.collaborative_id == collab_id, r.c.financial_year == fy_label)
                         .order_by(r.c.risk_id)).all() if collab_id else []
    reserve = conn.execute(sa.select(*[v.c[c] for c in fr.RESERVE_COLUMNS])
                           .where(v.c.collaborative_id == collab_id, v.c.financial_year == fy_label)).all() \
        if collab_id else []
    money = lambda x: float(x) if isinstance(x, Decimal) else x  # noqa: E731
    for name, rows in ((HISTORY_SHEET, []), (RISKS_SHEET, risks), (RESERVES_SHEET, reserve)):
        ws = book.create_sheet(name)
        ws.append(EXTRA_SHEETS[name])
        for cell in ws[1]:
            cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="005EB8")
        for row in rows:
            ws.append([money(x) for x in row])
        for i in range(len(EXTRA_SHEETS[name])):
            ws.column_dimensions["ABCDEFGHIJ"[i]].width = 40 if EXTRA_SHEETS[name][i] == "description" else 18


def _instructions(book, fy_label: str) -> None:
    ws = book.create_sheet("Instructions")
    lines = [
        f"Monthly finance return, financial year {fy_label}",
        "One row per collaborative, month, category and provider (leave provider_code empty for "
        "collaborative-level lines such as out of area, community and reinvestment).",
        "month_start: the first day of the month (YYYY-MM-DD), within the financial year.",
        "budget_gbp and forecast_gbp are required; actual_gbp is empty until the month is closed.",
        "Amounts in pounds, 0 or more. No duplicate rows for the same collaborative, month, category and provider.",
        "Loading replaces all rows of each collaborative and month in the file; loading the same file twice "
        "gives the same data. A file with any problem loads nothing.",
        "The forecast outturn as it stands after the load is kept as the return of the last closed month "
        "(forecast history). Optional sheets, loaded with the return or not at all:",
        f"'{HISTORY_SHEET}': earlier returns' forecast outturn per line (return_month = the month that return "
        "closed; not this return's own month).",
        f"'{RISKS_SHEET}': the risk register (risk_id, value and mitigation in £, likelihood_pct 0-100, status open "
        "or closed, raised_date not in the future); a risk_id already held is replaced.",
        f"'{RESERVES_SHEET}': the reserve held and committed for the year, one row per collaborative.",
    ]
    for line in lines:
        ws.append([line])
    ws["A1"].font = Font(bold=True)
    ws.column_dimensions["A"].width = 120


# --------------------------------------------------------------------------- reading

def _check_size(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise Rejected(f"The file is {len(data) / 1e6:.1f} MB; the largest allowed is {max_bytes / 1e6:.0f} MB.")
    if not data:
        raise Rejected("The file is empty.")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise Rejected("The file is not an Excel workbook (.xlsx). Download the template and fill it in.")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(i.file_size for i in archive.infolist())
    if unpacked > max_bytes * UNPACKED_FACTOR:
        raise Rejected(f"The workbook unpacks to {unpacked / 1e6:.0f} MB, more than a monthly return can be.")


def _sheet(book):
    """The return sheet: the one named SHEET, else the first sheet that is not an optional one; Rejected when it
    is hidden."""
    if SHEET in book.sheetnames:
        sheet = book[SHEET]
    else:
        sheet = next((ws for ws in book.worksheets if ws.title not in EXTRA_SHEETS), book.worksheets[0])
    _visible(sheet)
    return sheet


def _visible(sheet) -> None:
    if getattr(sheet, "sheet_state", "visible") != "visible":
        raise Rejected(f"The sheet '{sheet.title[:40]}' is hidden. Unhide it (or delete it) and check what it "
                       "holds before loading: a hidden sheet is never loaded.")


def _cells(number: int, values, limit: int = MAX_CELL_CHARS, title: str = SHEET) -> tuple:
    """The row's values; Rejected at the first cell longer than `limit` (never quoted back)."""
    for i, value in enumerate(values or ()):
        if isinstance(value, str) and len(value) > limit:
            where = "" if title == SHEET else f"Sheet '{title}', "
            raise Rejected(f"{where}Row {number}, column {i + 1}: a cell of {len(value):,} characters; no cell of "
                           f"this sheet is longer than {limit}.")
    return tuple(values or ())


def _rows(sheet):
    """(excel row, values) of every row, blank ones included, up to MAX_ROWS; Rejected beyond."""
    limit = CELL_LIMITS.get(sheet.title, MAX_CELL_CHARS)
    for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1):
        if number > MAX_ROWS:
            raise Rejected(f"The sheet '{sheet.title[:40]}' has more than {MAX_ROWS:,} rows (blank rows count); a "
                           "monthly return is far smaller. Delete the unused rows and upload again.")
        yield number, _cells(number, values, limit, sheet.title)


def _sheet_rows(sheet, columns: list[str], required: bool) -> list[tuple[int, dict]]:
    """[(excel row, {column: raw value})] of one sheet. An optional sheet may be empty or a header alone."""
    header, out = None, []
    for number, values in _rows(sheet):
        if all(_blank(v) for v in values):
            continue
        if header is None:
            header = _header(values, sheet.title, columns)
            continue
        out.append((number, {c: values[i] if i < len(values) else None for c, i in header.items()}))
    if header is None and required:
        _header(None, sheet.title, columns)
    if not out and required:
        raise Rejected(f"The sheet '{sheet.title}' has a header but no rows of data.")
    return out


def read_book(data: bytes, max_bytes: int) -> dict[str, list[tuple[int, dict]]]:
    """{sheet: [(excel row, {column: raw value})]}: the return sheet, and each optional sheet present
    (EXTRA_SHEETS); Rejected for an unreadable or wrong file. Blank rows before a header are skipped."""
    _check_size(data, max_bytes)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - any failure to open means "not a workbook"
        raise Rejected(f"The file is not a readable Excel workbook (.xlsx): {type(error).__name__}.") from error
    try:
        sheet = _sheet(book)
        out = {SHEET: _sheet_rows(sheet, COLUMNS, required=True)}
        for name, columns in EXTRA_SHEETS.items():
            if name in book.sheetnames and book[name] is not sheet:
                _visible(book[name])
                out[name] = _sheet_rows(book[name], columns, required=False)
    except Rejected:
        raise
    except Exception as error:  # noqa: BLE001 - a corrupt sheet part is "not a readable workbook"
        raise Rejected(f"The file is not a readable Excel workbook (.xlsx): {type(error).__name__}.") from error
    finally:
        book.close()
    return out


def read_rows(data: bytes, max_bytes: int) -> list[tuple[int, dict]]:
    """[(excel row, {column: raw value})] of the return sheet; Rejected for an unreadable or wrong file."""
    return read_book(data, max_bytes)[SHEET]


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header(header, title: str, columns: list[str] = COLUMNS) -> dict[str, int]:
    if header is None or all(_blank(v) for v in header):
        raise Rejected(f"The sheet '{title}' is empty: it has no header row and no data.")
    names = [str(v).strip().lower().replace(" ", "_") if not _blank(v) else "" for v in header]
    missing = [c for c in columns if c not in names]
    unknown = [n[:40] for n in names if n and n not in columns][:10]
    repeated = [c for c in columns if names.count(c) > 1]
    if missing or unknown or repeated:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unknown:
            parts.append(f"unexpected {', '.join(unknown)}")
        if repeated:
            parts.append(f"more than once: {', '.join(repeated)}")
        raise Rejected(f"The sheet '{title}' has the wrong columns ({'; '.join(parts)}). "
                       f"Expected exactly: {', '.join(columns)}.")
    return {c: names.index(c) for c in columns}


# --------------------------------------------------------------------------- validation

def _text(value) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _month(value) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise ValueError("has a time of day; give the first day of the month")
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for parse in (dt.date.fromisoformat, lambda t: dt.datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text[:10])
        except ValueError:
            continue
    raise ValueError(f"'{text[:30]}' is not a date (use YYYY-MM-DD)")


@dataclass(frozen=True)
class _Reference:
    collaboratives: set
    providers: set
    members: set  # (collaborative, provider)
    allowed: set  # collaboratives this viewer may load
    months: set
    fy_label: str
    this_month: dt.date  # actuals for a later month are refused (the month has not happened)


def _reference(conn, viewer, fy_label: str, today: dt.date | None = None) -> _Reference:
    collabs = {r[0] for r in conn.execute(sa.select(collaborative.c.collaborative_id))}
    providers = {r[0] for r in conn.execute(sa.select(provider.c.provider_code))}
    m = collaborative_member
    members = {tuple(r) for r in conn.execute(sa.select(m.c.collaborative_id, m.c.provider_code))}
    allowed = {c for c, _ in importable_collaboratives(conn, viewer)}
    this_month = (today or dt.date.today()).replace(day=1)
    return _Reference(collabs, providers, members, allowed, set(fy_months(fy_label)), fy_label, this_month)


def _check_row(number: int, raw: dict, ref: _Reference) -> tuple[dict, list[Problem]]:
    problems, row = [], {}

    def problem(column, message):
        problems.append(Problem(number, column, message))

    for column in COLUMNS:
        if column in REQUIRED and _blank(raw.get(column)):
            problem(column, "is required but empty")
    collab = _text(raw.get("collaborative_id"))
    if collab is not None:
        if collab not in ref.collaboratives:
            problem("collaborative_id", f"'{collab}' is not a known collaborative code")
        elif collab not in ref.allowed:
            problem("collaborative_id", f"you may not load finance for '{collab}'")
    category = _text(raw.get("category"))
    if category is not None and category not in FINANCE_CATEGORIES:
        problem("category", f"'{category}' is not a category ({', '.join(FINANCE_CATEGORIES)})")
    prov = _text(raw.get("provider_code"))
    if prov is not None:
        if prov not in ref.providers:
            problem("provider_code", f"'{prov}' is not a known provider code")
        elif collab in ref.collaboratives and (collab, prov) not in ref.members:
            problem("provider_code", f"'{prov}' is not a member of collaborative '{collab}'")
    month = None
    if not _blank(raw.get("month_start")):
        try:
            month = _month(raw["month_start"])
        except ValueError as error:
            problem("month_start", str(error))
    if month is not None and month.day != 1:
        problem("month_start", f"{month:%d %b %Y} is not the first day of a month")
    elif month is not None and month not in ref.months:
        problem("month_start", f"{month:%b %Y} is outside the financial year {ref.fy_label}")
    for column in AMOUNTS:
        if _blank(raw.get(column)):
            row[column] = None
            continue
        try:
            row[column] = fr.amount(raw[column])
        except ValueError as error:
            problem(column, str(error))
    if month is not None and month > ref.this_month and row.get("actual_gbp") is not None:
        problem("actual_gbp", f"is given for {month:%b %Y}, a month that has not happened yet; leave it empty "
                              "until the month is closed")
    row.update(collaborative_id=collab, month_start=month, category=category, provider_code=prov)
    return row, problems


def validate(conn, viewer, rows: list[tuple[int, dict]], fy_label: str,
             today: dt.date | None = None) -> tuple[list[dict], list[Problem], int]:
    """Check every row; (clean rows, the first MAX_PROBLEMS problems, count of all problems).
    Duplicate keys point back to the first row."""
    ref = _reference(conn, viewer, fy_label, today)
    clean, problems, seen, count = [], [], {}, 0
    for number, raw in rows:
        row, found = _check_row(number, raw, ref)
        key = (row["collaborative_id"], row["month_start"], row["category"], row["provider_code"])
        if not found and key in seen:
            found.append(Problem(number, "provider_code", f"duplicates row {seen[key]} (same collaborative, month, "
                                                          "category and provider)"))
        seen.setdefault(key, number)
        count += len(found)
        problems += found[:MAX_PROBLEMS - len(problems)]
        clean.append(row)
    return clean, problems, count


# --------------------------------------------------------------------------- loading

def _log(conn, viewer, status: str, rows: int, source: str, message: str, scope_key: str = "none",
         fy_label: str = "") -> None:
    """A load_log row (feed finance) and an audit_log row (action import), in the caller's transaction."""
    conn.execute(sa.insert(load_log).values(load_id=f"fin-{uuid.uuid4().hex[:28]}", feed=FEED,
                                            loaded_at=clock.utc_now(), rows=rows, source=source[:500], status=status,
                                            message=message[:4000]))
    audit.write(conn, viewer, "import", audit.target("Finance return", scope_key),
                {"file": source[:200], "status": status, "rows": rows, "financial_year": fy_label,
                 "message": message[:300]}, user_id=None if viewer else "system")


def _scope_of(viewer, collabs=()) -> str:
    """The audit scope of an import: its one collaborative, else the viewer's home (so the lead provider's
    audit page lists its rejected imports too)."""
    collabs = sorted({c for c in collabs if c})
    if len(collabs) == 1:
        return f"collaborative:{collabs[0]}"
    return access.default_scope_key(viewer)


def _reject(engine, viewer, source: str, message: str, problems: list[Problem], fy_label: str = "",
            count: int | None = None, scope_key: str | None = None, closed: list | None = None) -> ImportResult:
    with engine.begin() as conn:
        _log(conn, viewer, "rejected", 0, source, message, scope_key or _scope_of(viewer), fy_label)
    return ImportResult("rejected", 0, message, problems[:MAX_PROBLEMS],
                        len(problems) if count is None else count, closed or [])


def _summary(problems: list[Problem], count: int) -> str:
    first = "; ".join(f"row {p.row} {p.column}: {p.message}" for p in problems[:5])
    more = f" (and {count - 5} more)" if count > 5 else ""
    return f"{count} problem(s), nothing loaded: {first}{more}"


def _lines(rows) -> list:
    return sorted((r["category"], r["provider_code"] or "", *(None if r[c] is None else Decimal(r[c]).quantize(
        Decimal("0.01")) for c in AMOUNTS)) for r in rows)


def closed_changes(conn, rows: list[dict]) -> list[tuple[str, dt.date]]:
    """(collaborative, month) in the file that are closed (have actuals in the ledger) and whose lines the
    file would change: loading them is a restatement. Reloading a closed month unchanged is not."""
    f = finance_ledger
    out = []
    for collab, month in sorted({(r["collaborative_id"], r["month_start"]) for r in rows}):
        now = conn.execute(sa.select(f.c.category, f.c.provider_code, f.c.budget_gbp, f.c.actual_gbp,
                                     f.c.forecast_gbp).where(f.c.collaborative_id == collab,
                                                             f.c.month_start == month)).mappings().all()
        if not any(r["actual_gbp"] is not None for r in now):
            continue
        new = [r for r in rows if (r["collaborative_id"], r["month_start"]) == (collab, month)]
        old = [{"category": r["category"], "provider_code": r["provider_code"], "budget_gbp": r["budget_gbp"],
                "actual_gbp": r["actual_gbp"], "forecast_gbp": r["forecast_gbp"]} for r in now]
        if _lines(new) != _lines(old):
            out.append((collab, month))
    return out


def _closed_problem(closed, viewer) -> str:
    months = ", ".join(f"{c} {m:%b %Y}" for c, m in closed)
    if access.allowed(viewer, "restate"):
        return (f"{months} already closed (actuals loaded); this file would replace them. Nothing was loaded. "
                "To restate a closed month, tick 'Restate closed months' and load again (the restatement is "
                "recorded in the audit trail).")
    return f"{months} already closed (actuals loaded); your role may not restate a closed month. Nothing was loaded."


def _replace(conn, rows: list[dict]) -> None:
    f = finance_ledger
    for collab, month in sorted({(r["collaborative_id"], r["month_start"]) for r in rows}):
        conn.execute(sa.delete(f).where(f.c.collaborative_id == collab, f.c.month_start == month))
    conn.execute(sa.insert(f), [{c: r[c] for c in COLUMNS} for r in rows])


# --------------------------------------------------------------------------- the optional sheets (issue 19)

@dataclass
class Extras:
    """The clean rows of the optional sheets, and each collaborative's own return month (its snapshot)."""
    history: list = field(default_factory=list)
    risks: list = field(default_factory=list)
    reserves: list = field(default_factory=list)
    snapshots: dict = field(default_factory=dict)  # collaborative -> the last closed month after the load


def snapshot_months(conn, rows: list[dict], fy_label: str) -> dict:
    """{collaborative: the last month with an actual once the file is loaded} (None: no month closed yet)."""
    fy_start, fy_end = fy_bounds(fy_label)
    f = finance_ledger
    out = {}
    for collab in sorted({r["collaborative_id"] for r in rows}):
        replaced = {r["month_start"] for r in rows if r["collaborative_id"] == collab}
        held = {m for (m,) in conn.execute(
            sa.select(f.c.month_start).where(f.c.collaborative_id == collab, f.c.actual_gbp.is_not(None),
                                             f.c.month_start.between(fy_start, fy_end)).distinct())}
        given = {r["month_start"] for r in rows if r["collaborative_id"] == collab and r["actual_gbp"] is not None}
        closed = (held - replaced) | given
        out[collab] = max(closed) if closed else None
    return out


def _check_history(number, raw, ref: _Reference, snapshots) -> tuple[dict, list[tuple[str, str]]]:
    problems, row = [], {}
    line, found = _check_row(number, {**raw, "month_start": raw.get("return_month"), "budget_gbp": 0,
                                      "actual_gbp": None, "forecast_gbp": raw.get("forecast_outturn_gbp")}, ref)
    rename = {"month_start": "return_month", "forecast_gbp": "forecast_outturn_gbp"}
    problems += [(rename.get(p.column, p.column), p.message.replace("forecast_gbp", "forecast_outturn_gbp"))
                 for p in found if p.column != "budget_gbp"]
    row = {"collaborative_id": line["collaborative_id"], "provider_code": line["provider_code"],
           "category": line["category"], "return_month": line["month_start"], "financial_year": ref.fy_label,
           "forecast_outturn_gbp": line.get("forecast_gbp")}
    month = row["return_month"]
    if month is not None and month > ref.this_month:
        problems.append(("return_month", f"{month:%b %Y} has not happened yet"))
    if month is not None and snapshots.get(row["collaborative_id"]) == month:
        problems.append(("return_month", f"{month:%b %Y} is this return's own month for {row['collaborative_id']}: "
                                         "its forecast is taken from the ledger sheet, not given here"))
    return row, problems


def _sheet_problems(sheet: str, number: int, found) -> list[Problem]:
    return [Problem(number, f"{column} ({sheet})", message) for column, message in found]


def validate_extras(conn, viewer, book: dict, rows: list[dict], fy_label: str,
                    today: dt.date | None = None) -> tuple[Extras, list[Problem]]:
    """Check every row of the optional sheets (the same checks as the app's form for risks and reserves)."""
    ref = _reference(conn, viewer, fy_label, today)
    extras, problems = Extras(snapshots=snapshot_months(conn, rows, fy_label)), []
    seen: dict = {}
    for number, raw in book.get(HISTORY_SHEET, []):
        row, found = _check_history(number, raw, ref, extras.snapshots)
        key = (row["collaborative_id"], row["return_month"], row["category"], row["provider_code"])
        if not found and key in seen:
            found.append(("provider_code", f"duplicates row {seen[key]} (same collaborative, month, category and "
                                           "provider)"))
        seen.setdefault(key, number)
        problems += _sheet_problems(HISTORY_SHEET, number, found)
        extras.history.append(row)
    allowed, owners, seen = fr.allowed_collaboratives(conn, viewer), fr.risk_owners(conn), {}
    for number, raw in book.get(RISKS_SHEET, []):
        row, found = fr.check_risk(raw, ref.collaboratives, allowed, today or dt.date.today(), owners)
        if row["risk_id"] in seen and not found:
            found.append(("risk_id", f"duplicates row {seen[row['risk_id']]} (the same risk id)"))
        seen.setdefault(row["risk_id"], number)
        problems += _sheet_problems(RISKS_SHEET, number, found)
        extras.risks.append(row)
    seen = {}
    for number, raw in book.get(RESERVES_SHEET, []):
        row, found = fr.check_reserve(raw, ref.collaboratives, allowed)
        if row["collaborative_id"] in seen and not found:
            found.append(("collaborative_id", f"duplicates row {seen[row['collaborative_id']]} (one reserve per "
                                              "collaborative and year)"))
        seen.setdefault(row["collaborative_id"], number)
        problems += _sheet_problems(RESERVES_SHEET, number, found)
        extras.reserves.append(row)
    return extras, problems


def write_snapshot(conn, collab: str, month: dt.date, fy_label: str) -> int:
    """Keep this return's forecast: each ledger line's full-year outturn (Σ actual, else forecast) as it now
    stands, under return month `month` (replacing an earlier load of the same month)."""
    fy_start, fy_end = fy_bounds(fy_label)
    f, h = finance_ledger, finance_forecast_history
    lines = conn.execute(
        sa.select(f.c.category, f.c.provider_code, sa.func.sum(sa.func.coalesce(f.c.actual_gbp, f.c.forecast_gbp)))
        .where(f.c.collaborative_id == collab, f.c.month_start.between(fy_start, fy_end))
        .group_by(f.c.category, f.c.provider_code)).all()
    conn.execute(sa.delete(h).where(h.c.collaborative_id == collab, h.c.return_month == month))
    if lines:
        conn.execute(sa.insert(h), [{"collaborative_id": collab, "provider_code": p, "category": c,
                                     "return_month": month, "financial_year": fy_label, "forecast_outturn_gbp": v}
                                    for c, p, v in lines])
    return len(lines)


def _write_extras(conn, extras: Extras, fy_label: str) -> str:
    h = finance_forecast_history
    for collab, month in sorted({(r["collaborative_id"], r["return_month"]) for r in extras.history}):
        conn.execute(sa.delete(h).where(h.c.collaborative_id == collab, h.c.return_month == month))
    if extras.history:
        conn.execute(sa.insert(h), extras.history)
    kept = [f"{c} {m:%b %Y}" for c, m in sorted(extras.snapshots.items()) if m is not None
            and write_snapshot(conn, c, m, fy_label)]
    fr.write_risks(conn, extras.risks, fy_label)
    fr.write_reserves(conn, extras.reserves, fy_label)
    bulk.analyze(conn, ["finance_forecast_history", "financial_risk", "financial_reserve"])
    parts = [f"forecast kept for {', '.join(kept)}" if kept else "",
             f"{len(extras.history)} earlier forecast line(s)" if extras.history else "",
             f"{len(extras.risks)} risk(s)" if extras.risks else "",
             f"{len(extras.reserves)} reserve(s)" if extras.reserves else ""]
    return "; ".join(p for p in parts if p)


def load_finance_return(engine: sa.Engine, viewer, data: bytes, filename: str, fy_label: str,
                        max_bytes: int, restate: bool = False, today: dt.date | None = None) -> ImportResult:
    """Validate the upload and load it all in one transaction, or load nothing; always logged.

    A file that would change a closed month (one with actuals) is refused unless `restate` is True and
    the viewer may restate (access.allowed(viewer, "restate")); the load's message and audit row then
    name the months. The optional sheets (forecast history, risks, reserves) load in the same transaction,
    and each collaborative's forecast as it stands after the load is kept under its last closed month."""
    source = (filename or "upload")[:200]
    if not access.allowed(viewer, "import"):
        _reject(engine, viewer, source, f"Refused: the role '{viewer.role}' may not import finance.", [],
                scope_key=_scope_of(viewer))
        raise access.AccessDenied("Only lead providers and national users may import the finance return.")
    try:
        fy_bounds(fy_label)
        book = read_book(data, max_bytes)
    except Rejected as error:
        return _reject(engine, viewer, source, str(error), [Problem(None, None, str(error))], fy_label)
    with engine.connect() as conn:
        rows, problems, count = validate(conn, viewer, book[SHEET], fy_label, today)
        extras, more = validate_extras(conn, viewer, book, rows, fy_label, today) if not problems else (Extras(), [])
        problems, count = (problems + more)[:MAX_PROBLEMS], count + len(more)
        closed = [] if problems else closed_changes(conn, rows)
    scope_key = _scope_of(viewer, [r["collaborative_id"] for r in rows if not problems])
    if problems:
        return _reject(engine, viewer, source, _summary(problems, count), problems, fy_label, count, scope_key)
    if closed and not (restate and access.allowed(viewer, "restate")):
        text = _closed_problem(closed, viewer)
        return _reject(engine, viewer, source, text, [Problem(None, "month_start", text)], fy_label,
                       scope_key=scope_key, closed=closed)
    return _load(engine, viewer, rows, source, fy_label, scope_key, closed, extras)


def _load(engine, viewer, rows, source, fy_label, scope_key, closed, extras: Extras | None = None) -> ImportResult:
    months = sorted({(r["collaborative_id"], r["month_start"]) for r in rows})
    message = "Replaced " + ", ".join(f"{c} {m:%b %Y}" for c, m in months)
    if closed:
        message += "; restated closed month(s) " + ", ".join(f"{c} {m:%b %Y}" for c, m in closed)
    try:
        with engine.begin() as conn:
            _replace(conn, rows)
            bulk.analyze(conn, ["finance_ledger"])
            kept = _write_extras(conn, extras or Extras(), fy_label)
            message += f"; {kept}" if kept else ""
            _log(conn, viewer, "ok", len(rows), source, message, scope_key if scope_key.startswith("collab")
                 else "national", fy_label)
    except sa.exc.SQLAlchemyError as error:
        text = f"The database refused the load ({type(error).__name__}); nothing was changed."
        return _reject(engine, viewer, source, text, [Problem(None, None, text)], fy_label, scope_key=scope_key)
    return ImportResult("ok", len(rows), f"Loaded {len(rows)} rows. {message}.", closed_months=closed)
