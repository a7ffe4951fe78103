"""Checks of a whole extract: its submissions, each row's place in one, and references between records.

`build(conn, parsed)` turns the parsed files (data_access/mhsds_files.py) into one frame per schema
table, with `_provider` and `_month` (the submission a row belongs to), or raises ExtractError
with every problem found. References are looked for in the extract first, then in the database.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data_access import schema as s
from data_access.mhsds_files import FILES, HEADER, ExtractError, Problem

CHUNK = 10_000
# file -> (schema table, key columns)
TABLES = {
    "MHS001MPI": ("patient", ["patient_id"]), "MHS101Referral": ("referral", ["referral_id"]),
    "MHS501HospProvSpell": ("hospital_spell", ["spell_id"]), "MHS502WardStay": ("ward_stay", ["ward_stay_id"]),
    "MHS509HomeLeave": ("leave_episode", ["leave_id"]),
    "MHS505RestrictiveInterventInc": ("restrictive_intervention", ["intervention_id"]),
    "LOC_Incident": ("incident", ["incident_id"]), "LOC_Staffing": ("staffing", ["ward_code", "month_start"]),
    "LOC_BedState": ("bed_state", ["ward_code", "reported_at"]),
}
FILE_OF = {table: name for name, (table, _) in TABLES.items()}
# The column whose date places a row in its reporting month (None: any date up to the month's end).
WITHIN_MONTH = {"restrictive_intervention": "started_at", "incident": "occurred_at", "bed_state": "reported_at",
                "staffing": "month_start"}
NOT_AFTER_MONTH = {"referral": "received_date", "hospital_spell": "admission_date", "ward_stay": "start_date",
                   "leave_episode": "start_date"}
ORDERED_DATES = {"hospital_spell": [("admission_date", "discharge_date")],
                 "ward_stay": [("start_date", "end_date")], "leave_episode": [("start_date", "end_date")],
                 "restrictive_intervention": [("started_at", "ended_at")],
                 "referral": [("received_date", "assessment_date"), ("received_date", "decision_date"),
                              ("received_date", "admission_date")]}
EXTRA_NAMES = {"_provider": "OrgIDProv", "_month": "ReportingPeriodStartDate",
               "started_at": "StartDateRestrictiveIntInc", "ended_at": "EndDateRestrictiveIntInc"}
WARD_OF_PROVIDER = ("ward_stay", "restrictive_intervention", "incident", "staffing", "bed_state")


def _month_after(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


class Checker:
    def __init__(self, conn: sa.Connection):
        self.conn = conn
        self.problems: list[Problem] = []
        w, u = s.ward, s.unit
        rows = conn.execute(sa.select(w.c.ward_code, u.c.provider_code).join(u, u.c.unit_code == w.c.unit_code))
        self.ward_provider = dict(rows.all())
        self.providers = set(conn.execute(sa.select(s.provider.c.provider_code)).scalars())
        self.localities = set(conn.execute(sa.select(s.locality.c.locality_code)).scalars())
        c, m = s.collaborative, s.collaborative_member
        self.lead = dict(conn.execute(sa.select(c.c.collaborative_id, c.c.lead_provider_code)).all())
        self.members = set(conn.execute(sa.select(m.c.collaborative_id, m.c.provider_code)).all())

    def flag(self, frame: pd.DataFrame, mask: pd.Series, column: str, message) -> None:
        """A problem for each row of `frame` where `mask` holds (at most five per column)."""
        file = frame.attrs["file"]
        names = {c.target: c.name for c in FILES[file] if c.target} | EXTRA_NAMES
        for _, row in frame[mask.to_numpy()].head(5).iterrows():
            self.problems.append(Problem(f"{file}.csv", int(row["_row"]), names.get(column, column), message(row)))

    def in_database(self, table: sa.Table, column: str, values) -> set:
        values, found = sorted(set(values)), set()
        for i in range(0, len(values), CHUNK):
            part = values[i:i + CHUNK]
            found |= set(self.conn.execute(sa.select(table.c[column]).where(table.c[column].in_(part))).scalars())
        return found


def header(checker: Checker, frame: pd.DataFrame) -> pd.DataFrame:
    """The submissions: provider_code, month_start, month_end (checked)."""
    frame.attrs["file"] = HEADER
    frame["_row"] = frame.index + 1
    start, end = frame["ReportingPeriodStartDate"], frame["ReportingPeriodEndDate"]
    checker.flag(frame, ~frame["OrgIDProvider"].isin(checker.providers), "OrgIDProvider",
                 lambda r: f"provider '{r['OrgIDProvider']}' is not in the reference data")
    checker.flag(frame, start.map(lambda d: d.day != 1), "ReportingPeriodStartDate",
                 lambda r: "a reporting period starts on the first day of a month")
    last = start.map(lambda d: _month_after(d) - dt.timedelta(days=1) if d.day == 1 else None)
    checker.flag(frame, start.map(lambda d: d.day == 1) & (end != last), "ReportingPeriodEndDate",
                 lambda r: "a reporting period ends on the last day of its month")
    checker.flag(frame, frame.duplicated(["OrgIDProvider", "ReportingPeriodStartDate"]), "ReportingPeriodStartDate",
                 lambda r: f"{r['OrgIDProvider']} {r['ReportingPeriodStartDate']} is listed twice")
    subs = pd.DataFrame({"provider_code": frame["OrgIDProvider"], "month_start": start, "month_end": end})
    return subs.drop_duplicates(["provider_code", "month_start"])


def _to_schema(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({c.target: frame[c.name] for c in FILES[name] if c.target}, index=frame.index)
    out["_provider"], out["_month"] = frame["OrgIDProv"], frame["ReportingPeriodStartDate"]
    out["_row"] = frame.index + 1
    out.attrs["file"] = name
    if name == "MHS101Referral":
        picu = frame["MHAdmittedPatientClass"].map(lambda v: v == ("camhs", "picu"))
        out["security_level"] = out["security_level"].where(~picu.astype(bool), "picu")
    if name == "MHS501HospProvSpell":
        out["provider_code"] = frame["OrgIDProv"]
    if name == "MHS505RestrictiveInterventInc":
        day = pd.to_datetime(frame["StartDateRestrictiveIntInc"].astype(str), errors="coerce")
        time = frame["StartTimeRestrictiveIntInc"]
        out["started_at"] = day + (time - time.dt.normalize())
        end_day = pd.to_datetime(frame["EndDateRestrictiveIntInc"].astype(str), errors="coerce")
        end_time = pd.to_datetime(frame["EndTimeRestrictiveIntInc"], errors="coerce")
        out["ended_at"] = end_day + (end_time - end_time.dt.normalize()).fillna(pd.Timedelta(0))
    for col in FILES[name]:
        if col.kind == "int" and col.target:
            out[col.target] = pd.to_numeric(out[col.target]).astype("Int64")
    return out


def _submission_checks(checker: Checker, frame: pd.DataFrame, subs: pd.DataFrame) -> None:
    known = set(zip(subs["provider_code"], subs["month_start"]))
    listed = pd.Series([k in known for k in zip(frame["_provider"], frame["_month"])], index=frame.index)
    checker.flag(frame, ~listed, "ReportingPeriodStartDate",
                 lambda r: f"{r['_provider']} {r['_month']} is not a submission listed in {HEADER}.csv")


def _date_checks(checker: Checker, table: str, frame: pd.DataFrame) -> None:
    months = pd.to_datetime(frame["_month"])
    nexts = months + pd.offsets.MonthBegin(1)
    if table in WITHIN_MONTH:
        col = WITHIN_MONTH[table]
        day = pd.to_datetime(frame[col])
        checker.flag(frame, (day < months) | (day >= nexts), col, lambda r: "is outside the reporting month")
    if table in NOT_AFTER_MONTH:
        col = NOT_AFTER_MONTH[table]
        checker.flag(frame, pd.to_datetime(frame[col]) >= nexts, col, lambda r: "is after the reporting month")
    for first, then in ORDERED_DATES.get(table, []):
        a, b = pd.to_datetime(frame[first]), pd.to_datetime(frame[then])
        checker.flag(frame, b.notna() & (b < a), then, lambda r, f=first: f"is before {f}")


def _ward_checks(checker: Checker, table: str, frame: pd.DataFrame) -> None:
    owner = frame["ward_code"].map(checker.ward_provider)
    checker.flag(frame, owner.isna(), "ward_code", lambda r: f"ward '{r['ward_code']}' is not in the reference data")
    checker.flag(frame, owner.notna() & (owner != frame["_provider"]), "ward_code",
                 lambda r: f"ward '{r['ward_code']}' belongs to another provider, not {r['_provider']}")


def _duplicate_checks(checker: Checker, table: str, key: list[str], frame: pd.DataFrame) -> None:
    per_submission = table not in ("restrictive_intervention", "incident", "staffing", "bed_state")
    cols = key + (["_provider", "_month"] if per_submission else [])
    checker.flag(frame, frame.duplicated(cols), key[-1], lambda r: f"'{r[key[-1]]}' appears twice")


def _bed_checks(checker: Checker, frame: pd.DataFrame) -> None:
    beds = frame["commissioned_beds"]
    for col in ("occupied", "closed"):
        checker.flag(frame, frame[col] > beds, col,
                     lambda r, c=col: f"{r[c]} is more than the {r['commissioned_beds']} commissioned beds")
    checker.flag(frame, frame["on_leave"] > frame["occupied"], "on_leave", lambda r: "is more than occupied")


def _references(checker: Checker, frames: dict[str, pd.DataFrame]) -> None:
    def check(table, column, parent, parent_key, label):
        frame = frames.get(table)
        if frame is None or frame.empty:
            return
        wanted = frame[column].dropna()
        here = set(frames[parent][parent_key]) if parent in frames else set()
        away = set(wanted) - here
        found = checker.in_database(s.metadata.tables[parent], parent_key, away) if away else set()
        checker.flag(frame, frame[column].notna() & ~frame[column].isin(here | found), column,
                     lambda r: f"{label} '{r[column]}' is neither in the extract nor already loaded")

    for table in ("referral", "hospital_spell", "restrictive_intervention"):
        check(table, "patient_id", "patient", "patient_id", f"person (in {FILE_OF['patient']}.csv)")
    check("hospital_spell", "referral_id", "referral", "referral_id", "referral")
    check("ward_stay", "spell_id", "hospital_spell", "spell_id", "hospital provider spell")
    check("leave_episode", "ward_stay_id", "ward_stay", "ward_stay_id", "ward stay")


def _organisation_checks(checker: Checker, frames: dict[str, pd.DataFrame]) -> None:
    if "patient" in frames:
        p = frames["patient"]
        checker.flag(p, ~p["home_locality_code"].isin(checker.localities), "home_locality_code",
                     lambda r: f"locality '{r['home_locality_code']}' is not in the reference data")
    if "referral" in frames:
        r = frames["referral"]
        checker.flag(r, ~r["collaborative_id"].isin(checker.lead), "collaborative_id",
                     lambda x: f"collaborative '{x['collaborative_id']}' is not in the reference data")
        ward_ok = r["admitted_ward_code"].isna() | r["admitted_ward_code"].isin(checker.ward_provider)
        checker.flag(r, ~ward_ok, "admitted_ward_code", lambda x: f"ward '{x['admitted_ward_code']}' is not in the "
                                                                  "reference data")
        allowed = [(c, p) in checker.members or checker.lead.get(c) == p or checker.ward_provider.get(w) == p
                   for c, p, w in zip(r["collaborative_id"], r["_provider"], r["admitted_ward_code"])]
        checker.flag(r, ~pd.Series(allowed, index=r.index) & r["collaborative_id"].isin(checker.lead), "_provider",
                     lambda x: f"{x['_provider']} is not a member of {x['collaborative_id']} nor the admitting "
                               "provider")


def _ready_dates(checker: Checker, frames: dict, parsed: dict) -> None:
    ready = parsed.get("MHS518ClinReadyforDischarge")
    spells = frames.get("hospital_spell")
    if spells is not None:
        spells["ready_for_discharge_date"] = None
    if ready is None or ready.empty:
        return
    r = _to_schema("MHS518ClinReadyforDischarge", ready)
    keys = ["_provider", "_month", "spell_id"]
    known = set() if spells is None else set(zip(*(spells[k] for k in keys)))
    present = pd.Series([k in known for k in zip(*(r[k] for k in keys))], index=r.index)
    checker.flag(r, ~present, "spell_id", lambda x: f"spell '{x['spell_id']}' is not in the same submission's "
                                                    "MHS501HospProvSpell.csv")
    checker.flag(r, r.duplicated(keys), "spell_id", lambda x: f"'{x['spell_id']}' appears twice")
    if spells is not None:
        dates = dict(zip(zip(*(r[k] for k in keys)), r["ready_for_discharge_date"]))
        spells["ready_for_discharge_date"] = [dates.get(k) for k in zip(*(spells[k] for k in keys))]


def build(conn: sa.Connection, parsed: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """(submissions, {schema table: rows with _provider, _month, _row}) or ExtractError."""
    checker = Checker(conn)
    subs = header(checker, parsed[HEADER])
    frames = {}
    for name, (table, key) in TABLES.items():
        if name not in parsed:
            continue
        frame = _to_schema(name, parsed[name])
        _submission_checks(checker, frame, subs)
        _date_checks(checker, table, frame)
        _duplicate_checks(checker, table, key, frame)
        if table in WARD_OF_PROVIDER:
            _ward_checks(checker, table, frame)
        if table == "bed_state":
            _bed_checks(checker, frame)
        frames[table] = frame
    _organisation_checks(checker, frames)
    _references(checker, frames)
    _ready_dates(checker, frames, parsed)
    if checker.problems:
        raise ExtractError(checker.problems)
    return subs, frames
