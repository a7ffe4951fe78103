"""The monthly extract's files: what each CSV holds, and reading one into the schema's values.

An extract is a directory of CSV files (UTF-8, a header row, one file per table; docs/data-in.md).
MHS000Header lists the provider-month submissions; every other row carries OrgIDProv and
ReportingPeriodStartDate and must belong to one of them. `read_file` checks the size and row caps,
the columns and every value, and returns the rows in the schema's columns or the problems found,
each naming the file, row (1 = first data row), column and what is wrong.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data_access import mhsds_codes as codes

MAX_PROBLEMS_PER_COLUMN = 5
ID_LENGTH = 32


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # 1 = first data row; None = the file as a whole
    column: str | None
    message: str

    def __str__(self) -> str:
        where = ", ".join(p for p in (self.file, None if self.row is None else f"row {self.row}",
                                      self.column and f"column {self.column}") if p)
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Col:
    name: str  # the column in the file
    kind: str  # id, text, date, datetime, time, int, number, code, flag
    target: str | None = None  # the schema column it fills (None: used by the loader only)
    required: bool = True
    mapping: dict | None = None  # code -> schema value (kind "code")
    may_be_absent: bool = False  # a column added later: a file without it reads as all empty


def _key(*columns):
    return [Col("OrgIDProv", "id", None), Col("ReportingPeriodStartDate", "date", None), *columns]


HEADER = "MHS000Header"
FILES: dict[str, list[Col]] = {
    HEADER: [Col("OrgIDProvider", "id"), Col("ReportingPeriodStartDate", "date"),
             Col("ReportingPeriodEndDate", "date"), Col("DateTimeDatSetCreate", "datetime", required=False)],
    "MHS001MPI": _key(
        Col("Person_ID", "id", "patient_id"), Col("Gender", "code", "sex", mapping=codes.SEX),
        Col("YearOfBirth", "int", "birth_year"),
        Col("EthnicCategory", "code", "ethnic_group", mapping=codes.ETHNIC_GROUP),
        Col("ResidenceLocality", "id", "home_locality_code"),
        Col("LDAutismFlag", "code", "ld_autism", mapping=codes.FLAG),
        Col("CareExperiencedFlag", "code", "care_experienced", required=False, mapping=codes.FLAG)),
    "MHS101Referral": _key(
        Col("ServiceRequestId", "id", "referral_id"), Col("Person_ID", "id", "patient_id"),
        Col("OrgIDComm", "id", "collaborative_id"),
        Col("SpecialisedMHServiceCode", "code", "service_line", mapping=codes.SERVICE_CODE),
        Col("WardSecLevel", "code", "security_level", mapping=codes.SECURITY_LEVEL),
        Col("MHAdmittedPatientClass", "code", None, required=False, mapping=codes.PATIENT_CLASS),
        Col("SourceOfReferralMH", "code", "source", mapping=codes.REFERRAL_SOURCE),
        Col("ClinRespPriorityType", "code", "urgency", mapping=codes.URGENCY),
        Col("ReferralRequestReceivedDate", "date", "received_date"),
        Col("AssessmentDate", "date", "assessment_date", required=False),
        Col("ReferralDecision", "code", "decision", required=False, mapping=codes.DECISION),
        Col("ReferralDecisionDate", "date", "decision_date", required=False),
        Col("AdmissionDate", "date", "admission_date", required=False),
        Col("AdmittedWardCode", "id", "admitted_ward_code", required=False),
        Col("DisputedFlag", "code", "disputed", mapping=codes.FLAG)),
    "MHS501HospProvSpell": _key(
        Col("HospProvSpellID", "id", "spell_id"), Col("Person_ID", "id", "patient_id"),
        Col("ServiceRequestId", "id", "referral_id", required=False),
        Col("StartDateHospProvSpell", "date", "admission_date"),
        Col("DischDateHospProvSpell", "date", "discharge_date", required=False),
        Col("DischDestCodeHospProvSpell", "code", "discharge_destination", required=False,
            mapping=codes.DISCHARGE_DESTINATION),
        Col("WSBSPilotFlag", "code", "wsbs_pilot", mapping=codes.FLAG)),
    "MHS502WardStay": _key(
        Col("WardStayId", "id", "ward_stay_id"), Col("HospProvSpellID", "id", "spell_id"),
        Col("WardCode", "id", "ward_code"), Col("StartDateWardStay", "date", "start_date"),
        Col("EndDateWardStay", "date", "end_date", required=False),
        Col("WardSecLevel", "code", None, required=False, mapping=codes.SECURITY_LEVEL)),
    "MHS509HomeLeave": _key(
        Col("HomeLeaveId", "id", "leave_id"), Col("WardStayId", "id", "ward_stay_id"),
        Col("StartDateHomeLeave", "date", "start_date"), Col("EndDateHomeLeave", "date", "end_date", required=False)),
    "MHS505RestrictiveInterventInc": _key(
        Col("RestrictiveIntIncID", "id", "intervention_id"), Col("Person_ID", "id", "patient_id"),
        Col("WardCode", "id", "ward_code"), Col("StartDateRestrictiveIntInc", "date", None),
        Col("StartTimeRestrictiveIntInc", "time", None),
        Col("RestrictiveIntType", "code", "kind", mapping=codes.INTERVENTION),
        # the end (empty = still going on); files written before these columns existed are read as open
        Col("EndDateRestrictiveIntInc", "date", None, required=False, may_be_absent=True),
        Col("EndTimeRestrictiveIntInc", "time", None, required=False, may_be_absent=True)),
    "MHS518ClinReadyforDischarge": _key(
        Col("HospProvSpellID", "id", "spell_id"), Col("ClinReadyforDischDate", "date", "ready_for_discharge_date")),
    "LOC_Incident": _key(
        Col("IncidentId", "id", "incident_id"), Col("WardCode", "id", "ward_code"),
        Col("IncidentDateTime", "datetime", "occurred_at"),
        Col("IncidentType", "code", "kind", mapping=codes.INCIDENT_KIND),
        Col("HarmLevel", "code", "harm", mapping=codes.HARM)),
    "LOC_Staffing": _key(
        Col("WardCode", "id", "ward_code"), Col("MonthStart", "date", "month_start"),
        Col("PlannedHours", "number", "planned_hours"), Col("ActualHours", "number", "actual_hours"),
        Col("VacancyRatePct", "number", "vacancy_rate_pct", required=False)),
    "LOC_BedState": _key(
        Col("WardCode", "id", "ward_code"), Col("ReportedAt", "datetime", "reported_at"),
        Col("CommissionedBeds", "int", "commissioned_beds"), Col("Occupied", "int", "occupied"),
        Col("OnLeave", "int", "on_leave"), Col("Closed", "int", "closed"),
        Col("ReportedBy", "text", "reported_by", required=False),
        Col("ClosedReason", "text", "closed_reason", required=False)),
}
# The extract's own tables (absent file = no rows that month) and the local feeds sent with it
# (absent file = that feed not resubmitted: its rows are left as they are).
MHSDS_FILES = [f for f in FILES if f.startswith("MHS") and f != HEADER]
LOCAL_FILES = [f for f in FILES if f.startswith("LOC_")]


class ExtractError(ValueError):
    """The extract cannot be loaded; `problems` says where and why (nothing was changed)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} problem(s), nothing loaded: {shown}{more}")


def csv_files(directory: Path) -> tuple[dict[str, Path], list[Problem]]:
    """{table: path} of the directory's CSV files; unknown names and a missing header are problems."""
    if not directory.is_dir():
        return {}, [Problem(str(directory), None, None, "is not a directory")]
    found, problems = {}, []
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() != ".csv":
            continue
        if path.stem not in FILES:
            problems.append(Problem(path.name, None, None, f"is not a file of the extract (expected one of "
                                                           f"{', '.join(f + '.csv' for f in FILES)})"))
        else:
            found[path.stem] = path
    if HEADER not in found:
        problems.append(Problem(f"{HEADER}.csv", None, None, "is missing: it lists the submissions in the extract"))
    return found, problems


def _read_raw(path: Path, max_bytes: int, max_rows: int) -> pd.DataFrame:
    name = path.name
    size = path.stat().st_size
    if size > max_bytes:
        raise ExtractError([Problem(name, None, None, f"is {size / 1e6:.1f} MB, over the limit of "
                                                      f"{max_bytes / 1e6:.0f} MB")])
    if size == 0:
        raise ExtractError([Problem(name, None, None, "is empty (not even a header row)")])
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", nrows=max_rows + 1,
                            quoting=csv.QUOTE_MINIMAL)
    except UnicodeDecodeError as error:
        raise ExtractError([Problem(name, None, None, f"is not UTF-8 text (byte {error.start})")]) from error
    except (pd.errors.ParserError, csv.Error) as error:
        raise ExtractError([Problem(name, None, None, f"is not a well-formed CSV file: {error}".strip())]) from error
    except pd.errors.EmptyDataError as error:
        raise ExtractError([Problem(name, None, None, "is empty (not even a header row)")]) from error
    if len(frame) > max_rows:
        raise ExtractError([Problem(name, None, None, f"has more than {max_rows:,} rows (the limit)")])
    return frame


def _columns_problems(name: str, frame: pd.DataFrame, spec: list[Col]) -> list[Problem]:
    expected = [c.name for c in spec]
    got = [str(c).strip() for c in frame.columns]
    problems = [Problem(name, None, c.name, "column is missing") for c in spec
                if c.name not in got and not c.may_be_absent]
    problems += [Problem(name, None, c, "is not a column of this file") for c in got if c not in expected]
    if len(set(got)) != len(got):
        problems.append(Problem(name, None, None, "has a column name twice"))
    return problems


def _bad(name, values: pd.Series, mask: pd.Series, column: str, message) -> list[Problem]:
    rows = list(values.index[mask.to_numpy()][:MAX_PROBLEMS_PER_COLUMN])
    return [Problem(name, int(r) + 1, column, message(values[r])) for r in rows]


def _convert(name: str, raw: pd.Series, col: Col) -> tuple[pd.Series, list[Problem]]:
    text = raw.str.strip()
    empty = text == ""
    problems = []
    if col.required:
        problems += _bad(name, text, empty, col.name, lambda v: "a value is required")
    value, bad, hint = _parse(text, col)
    problems += _bad(name, text, bad & ~empty, col.name, lambda v: f"'{v[:40]}' {hint}")
    return value.where(~empty, None), problems


def _parse(text: pd.Series, col: Col) -> tuple[pd.Series, pd.Series, str]:
    """(parsed values, mask of unreadable values, what a good value looks like)."""
    kind = col.kind
    if kind in ("id", "text"):
        limit = ID_LENGTH if kind == "id" else 200
        return text, text.str.len() > limit, f"is longer than {limit} characters"
    if kind in ("date", "datetime", "time"):
        fmt = {"date": "%Y-%m-%d", "datetime": "ISO8601", "time": "%H:%M:%S"}[kind]
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        hint = {"date": "is not a date (YYYY-MM-DD)", "datetime": "is not a date and time (YYYY-MM-DD HH:MM:SS)",
                "time": "is not a time (HH:MM:SS)"}[kind]
        if kind == "date":
            parsed = parsed.dt.date
        return parsed, parsed.isna(), hint
    if kind in ("int", "number"):
        number = pd.to_numeric(text, errors="coerce")
        bad = number.isna() | (number < 0) | ~number.map(lambda x: math.isfinite(x) if x == x else False)
        if kind == "int":
            bad |= number.notna() & (number % 1 != 0)
            return number, bad, "is not a whole number of 0 or more"
        return number, bad, "is not a number of 0 or more"
    lookup = text.str.split("/").str[0] if col.name == "SpecialisedMHServiceCode" else text
    mapped = lookup.map(col.mapping)
    return mapped, mapped.isna(), f"is not a valid code (expected one of {', '.join(sorted(col.mapping))})"


def read_file(path: Path, max_bytes: int, max_rows: int) -> tuple[pd.DataFrame, list[Problem]]:
    """The file's rows with every column parsed (file column names), or the problems found."""
    table = path.stem
    spec = FILES[table]
    try:
        raw = _read_raw(path, max_bytes, max_rows)
    except ExtractError as error:
        return pd.DataFrame(), error.problems
    raw.columns = [str(c).strip() for c in raw.columns]
    problems = _columns_problems(path.name, raw, spec)
    if problems:
        return pd.DataFrame(), problems
    out = {}
    for col in spec:
        if col.name not in raw.columns:  # may_be_absent
            raw[col.name] = ""
        out[col.name], found = _convert(path.name, raw[col.name], col)
        problems += found
    return pd.DataFrame(out, index=raw.index), problems
