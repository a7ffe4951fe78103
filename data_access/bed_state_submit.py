"""Live bed state from providers: a provider's users submit the current state of their own wards.

`own_wards(conn, viewer)` lists the wards a viewer may report for (role provider: the wards of its
provider(s)); `check(rows, wards)` validates submitted rows (a ward of theirs, no negatives, occupied +
available + closed no more than commissioned, on leave no more than occupied, a reason for closed beds);
`submit(engine, viewer, rows, source)` writes them to `bed_state` stamped with the time, with a load_log
row (feed bed_state), an audit row and those wards' capacity facts of the day (data_access/facts.py), in one
transaction. `read_upload` reads the same as a spreadsheet (.xlsx or .csv) within the upload cap.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from data_access import access, audit, bulk, clock, facts, finance_import
from data_access.schema import bed_state, load_log, unit, ward

COLUMNS = ["ward_code", "occupied", "available", "closed", "closed_reason", "on_leave"]
COUNTS = ["occupied", "available", "closed", "on_leave"]
FEED = "bed_state"


@dataclass(frozen=True)
class Problem:
    row: int | None  # 1 = first ward submitted
    column: str | None
    message: str

    def __str__(self) -> str:
        where = ", ".join(p for p in (self.row and f"row {self.row}", self.column) if p)
        return f"{where}: {self.message}" if where else self.message


def submit_allowed(viewer) -> bool:
    """access.allowed(viewer, "submit bed state"): a signed-in provider's user (not a trusted script)."""
    return viewer is not None and bool(viewer.home) and access.allowed(viewer, "submit bed state")


def own_wards(conn, viewer) -> pd.DataFrame:
    """ward_code, name, commissioned_beds of the open wards this viewer may report for (none without the right)."""
    if not submit_allowed(viewer):
        return pd.DataFrame(columns=["ward_code", "name", "commissioned_beds"])
    query = (sa.select(ward.c.ward_code, ward.c.name, ward.c.commissioned_beds)
             .join(unit, unit.c.unit_code == ward.c.unit_code)
             .where(ward.c.ward_code.in_(access.patient_wards(viewer)), ward.c.closed_date.is_(None))
             .order_by(ward.c.name))
    return pd.DataFrame(conn.execute(query).all(), columns=["ward_code", "name", "commissioned_beds"])


def _number(value) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() and number >= 0 else None


def _check_row(n: int, row: dict, beds: dict) -> list[Problem]:
    code = str(row.get("ward_code") or "").strip()
    if code not in beds:
        return [Problem(n, "ward_code", f"'{code}' is not one of your wards: you can report only your own wards")]
    values = {c: _number(row.get(c)) for c in COUNTS}
    problems = [Problem(n, c, "must be a whole number of 0 or more") for c, v in values.items() if v is None]
    if problems:
        return problems
    total = values["occupied"] + values["available"] + values["closed"]
    if total > beds[code]:
        problems.append(Problem(n, "occupied", f"occupied + available + closed is {total}, more than the "
                                               f"{beds[code]} commissioned beds of {code}"))
    if values["on_leave"] > values["occupied"]:
        problems.append(Problem(n, "on_leave", "more patients on leave than occupied beds"))
    if values["closed"] and not str(row.get("closed_reason") or "").strip():
        problems.append(Problem(n, "closed_reason", "give a reason for the closed beds"))
    return problems


def check(rows: list[dict], wards: pd.DataFrame) -> list[Problem]:
    beds = dict(zip(wards["ward_code"], wards["commissioned_beds"]))
    problems, seen = [], set()
    for n, row in enumerate(rows, start=1):
        problems += _check_row(n, row, beds)
        code = str(row.get("ward_code") or "").strip()
        if code in seen:
            problems.append(Problem(n, "ward_code", f"{code} is listed twice"))
        seen.add(code)
    if not rows:
        problems.append(Problem(None, None, "no wards were submitted"))
    return problems


def submit(engine: sa.Engine, viewer, rows: list[dict], source: str = "form") -> tuple[bool, str, list[Problem]]:
    """(ok, message, problems): the rows written to bed_state now, or nothing and the problems."""
    if not submit_allowed(viewer):
        audit.record(engine, viewer, "denied", audit.target("Bed state submission", None), {"source": source})
        raise access.AccessDenied(access.REFUSALS["submit bed state"])
    with engine.connect() as conn:
        wards = own_wards(conn, viewer)
    problems = check(rows, wards)
    if problems:
        return False, f"Nothing was saved: {len(problems)} problem(s).", problems
    now = clock.utc_now()
    ward_time = clock.uk(now)  # bed_state.reported_at is the wards' own (UK) clock, as every bed-state feed
    beds = dict(zip(wards["ward_code"], wards["commissioned_beds"]))
    frame = pd.DataFrame([{
        "ward_code": r["ward_code"].strip(), "reported_at": ward_time,
        "commissioned_beds": int(beds[r["ward_code"].strip()]),
        "occupied": _number(r["occupied"]), "on_leave": _number(r["on_leave"]), "closed": _number(r["closed"]),
        "reported_by": viewer.user_id[:200], "closed_reason": (str(r.get("closed_reason") or "").strip() or None)}
        for r in rows])
    with engine.begin() as conn:
        conn.execute(sa.delete(bed_state).where(bed_state.c.reported_at == ward_time,
                                                bed_state.c.ward_code.in_(list(frame["ward_code"]))))
        bulk.insert_frame(conn, "bed_state", frame)
        facts.refresh_reports(conn, frame)
        bulk.analyze(conn, facts.CAPACITY_TABLES)
        conn.execute(sa.insert(load_log).values(load_id=f"beds-{uuid.uuid4().hex[:27]}", feed=FEED, loaded_at=now,
                                                rows=len(frame), source=f"submission: {source}"[:500], status="ok",
                                                message=None))
        scope_key = viewer.home[0]
        audit.write(conn, viewer, "import", audit.target("Bed state submission", scope_key),
                    {"source": source, "wards": ",".join(frame["ward_code"]), "rows": len(frame)})
    return True, f"Saved the bed state of {len(frame)} ward(s) at {ward_time:%H:%M on %d %b %Y}.", []


def read_upload(data: bytes, filename: str, max_bytes: int) -> list[dict]:
    """The rows of an uploaded .xlsx or .csv with the COLUMNS; ValueError with a clear message otherwise."""
    if len(data) > max_bytes:
        raise ValueError(f"The file is {len(data) / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:.0f} MB.")
    if filename.lower().endswith(".xlsx"):
        finance_import._check_size(data, max_bytes)  # the finance upload caps: size, empty, not a workbook, zip bomb
    try:
        if filename.lower().endswith(".xlsx"):
            frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl", nrows=2000)
        else:
            frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, nrows=2000, encoding="utf-8")
    except Exception as error:  # noqa: BLE001 - any unreadable file gets the same clear message
        raise ValueError(f"The file could not be read as a spreadsheet ({type(error).__name__}).") from error
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"The file has no column {', '.join(missing)} (expected {', '.join(COLUMNS)}).")
    return frame[COLUMNS].fillna("").to_dict("records")
