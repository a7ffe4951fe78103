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
import math
import uuid
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from data_access import access, audit, clock
from data_access.schema import (
    FINANCE_CATEGORIES,
    collaborative,
    collaborative_member,
    finance_ledger,
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
MAX_AMOUNT = 999_999_999_999.99  # Numeric(14, 2)
UNPACKED_FACTOR = 20  # an .xlsx may unpack to at most 20 x the upload limit (zip bombs)
FEED = "finance"


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
    """The return sheet: the one named SHEET, else the first sheet; Rejected when it is hidden."""
    sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
    if getattr(sheet, "sheet_state", "visible") != "visible":
        raise Rejected(f"The sheet '{sheet.title[:40]}' is hidden. Unhide it (or delete it) and check what it "
                       "holds before loading: a hidden sheet is never loaded.")
    return sheet


def _cells(number: int, values) -> tuple:
    """The row's values; Rejected at the first cell longer than MAX_CELL_CHARS (never quoted back)."""
    for i, value in enumerate(values or ()):
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            raise Rejected(f"Row {number}, column {i + 1}: a cell of {len(value):,} characters; no cell of a finance "
                           f"return is longer than {MAX_CELL_CHARS}.")
    return tuple(values or ())


def _rows(sheet):
    """(excel row, values) of every row, blank ones included, up to MAX_ROWS; Rejected beyond."""
    for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1):
        if number > MAX_ROWS:
            raise Rejected(f"The sheet has more than {MAX_ROWS:,} rows (blank rows count); a monthly return is "
                           "far smaller. Delete the unused rows and upload again.")
        yield number, _cells(number, values)


def read_rows(data: bytes, max_bytes: int) -> list[tuple[int, dict]]:
    """[(excel row, {column: raw value})] of the return sheet; Rejected for an unreadable or wrong file.

    Blank rows before the header are skipped (they count against MAX_ROWS like every row)."""
    _check_size(data, max_bytes)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - any failure to open means "not a workbook"
        raise Rejected(f"The file is not a readable Excel workbook (.xlsx): {type(error).__name__}.") from error
    try:
        sheet = _sheet(book)
        columns, out = None, []
        for number, values in _rows(sheet):
            if all(_blank(v) for v in values):
                continue
            if columns is None:
                columns = _header(values, sheet.title)
                continue
            out.append((number, {c: values[i] if i < len(values) else None for c, i in columns.items()}))
    except Rejected:
        raise
    except Exception as error:  # noqa: BLE001 - a corrupt sheet part is "not a readable workbook"
        raise Rejected(f"The file is not a readable Excel workbook (.xlsx): {type(error).__name__}.") from error
    finally:
        book.close()
    if columns is None:
        _header(None, sheet.title)
    if not out:
        raise Rejected(f"The sheet '{sheet.title}' has a header but no rows of data.")
    return out


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header(header, title: str) -> dict[str, int]:
    if header is None or all(_blank(v) for v in header):
        raise Rejected(f"The sheet '{title}' is empty: it has no header row and no data.")
    names = [str(v).strip().lower().replace(" ", "_") if not _blank(v) else "" for v in header]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [n[:40] for n in names if n and n not in COLUMNS][:10]
    repeated = [c for c in COLUMNS if names.count(c) > 1]
    if missing or unknown or repeated:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unknown:
            parts.append(f"unexpected {', '.join(unknown)}")
        if repeated:
            parts.append(f"more than once: {', '.join(repeated)}")
        raise Rejected(f"The sheet '{title}' has the wrong columns ({'; '.join(parts)}). "
                       f"Expected exactly: {', '.join(COLUMNS)}.")
    return {c: names.index(c) for c in COLUMNS}


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


def _amount(value) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("is not a number")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip().replace(",", "").replace("£", "")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"'{str(value)[:30]}' is not a number") from None
    if math.isnan(number) or math.isinf(number):
        raise ValueError("is not a number")
    if number < 0:
        raise ValueError(f"is negative ({number:,.2f}); amounts are 0 or more")
    if number > MAX_AMOUNT:
        raise ValueError("is too large")
    return Decimal(str(round(number, 2)))


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
            row[column] = _amount(raw[column])
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


def load_finance_return(engine: sa.Engine, viewer, data: bytes, filename: str, fy_label: str,
                        max_bytes: int, restate: bool = False, today: dt.date | None = None) -> ImportResult:
    """Validate the upload and load it all in one transaction, or load nothing; always logged.

    A file that would change a closed month (one with actuals) is refused unless `restate` is True and
    the viewer may restate (access.allowed(viewer, "restate")); the load's message and audit row then
    name the months."""
    source = (filename or "upload")[:200]
    if not access.allowed(viewer, "import"):
        _reject(engine, viewer, source, f"Refused: the role '{viewer.role}' may not import finance.", [],
                scope_key=_scope_of(viewer))
        raise access.AccessDenied("Only lead providers and national users may import the finance return.")
    try:
        fy_bounds(fy_label)
        raw_rows = read_rows(data, max_bytes)
    except Rejected as error:
        return _reject(engine, viewer, source, str(error), [Problem(None, None, str(error))], fy_label)
    with engine.connect() as conn:
        rows, problems, count = validate(conn, viewer, raw_rows, fy_label, today)
        closed = [] if problems else closed_changes(conn, rows)
    scope_key = _scope_of(viewer, [r["collaborative_id"] for r in rows if not problems])
    if problems:
        return _reject(engine, viewer, source, _summary(problems, count), problems, fy_label, count, scope_key)
    if closed and not (restate and access.allowed(viewer, "restate")):
        text = _closed_problem(closed, viewer)
        return _reject(engine, viewer, source, text, [Problem(None, "month_start", text)], fy_label,
                       scope_key=scope_key, closed=closed)
    return _load(engine, viewer, rows, source, fy_label, scope_key, closed)


def _load(engine, viewer, rows, source, fy_label, scope_key, closed) -> ImportResult:
    months = sorted({(r["collaborative_id"], r["month_start"]) for r in rows})
    message = "Replaced " + ", ".join(f"{c} {m:%b %Y}" for c, m in months)
    if closed:
        message += "; restated closed month(s) " + ", ".join(f"{c} {m:%b %Y}" for c, m in closed)
    try:
        with engine.begin() as conn:
            _replace(conn, rows)
            _log(conn, viewer, "ok", len(rows), source, message, scope_key if scope_key.startswith("collab")
                 else "national", fy_label)
    except sa.exc.SQLAlchemyError as error:
        text = f"The database refused the load ({type(error).__name__}); nothing was changed."
        return _reject(engine, viewer, source, text, [Problem(None, None, text)], fy_label, scope_key=scope_key)
    return ImportResult("ok", len(rows), f"Loaded {len(rows)} rows. {message}.", closed_months=closed)
