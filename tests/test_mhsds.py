"""The monthly extract: round trip, resubmission and bad files, on DuckDB and PostgreSQL.

The fixture database (tests/fixture_db.py) is exported as an extract and loaded into a database that
holds only its reference tables: every non-finance KPI is then the same for England, every
collaborative and every provider. Each bad file leaves every table as it was and names the file,
row, column and problem.
"""

import csv
import datetime as dt
import shutil

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import schema
from data_access.mhsds import load_extract, main
from data_access.mhsds_export import export_extract
from tests.databases import ENGINES, empty_database
from tests.fixture_db import build_fixture
from tests.roundtrip import ACTIVITY_KPIS, activity_kpis, copy_reference, scopes

PERIODS = [(dt.date(2024, 3, 1), dt.date(2024, 3, 10)), (dt.date(2023, 4, 1), dt.date(2024, 3, 31))]
ACTIVITY = ["patient", "referral", "hospital_spell", "ward_stay", "leave_episode", "restrictive_intervention",
            "incident", "staffing", "bed_state", "extract_record", "extract_submission"]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The fixture database on DuckDB and its extract."""
    engine, cleanup = empty_database("duckdb", tmp_path_factory.mktemp("source"))
    build_fixture(engine)
    out = tmp_path_factory.mktemp("extract")
    export_extract(engine, out)
    yield engine, out
    cleanup()


@pytest.fixture(params=ENGINES)
def loaded(request, source, tmp_path):
    """(engine, extract directory): a reference-only database with the fixture's extract loaded."""
    engine, cleanup = empty_database(request.param, tmp_path)
    copy_reference(source[0], engine)
    result = load_extract(engine, source[1])
    assert result.ok, result.message
    yield engine, source[1]
    cleanup()


def counts(engine) -> dict:
    with engine.connect() as conn:
        return {t: conn.execute(sa.select(sa.func.count()).select_from(schema.metadata.tables[t])).scalar()
                for t in ACTIVITY}


def rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def write(path, table):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(table)


def edit(directory, name, row, column, value):
    """Set one cell (row 1 = first data row) of an extract file."""
    table = rows(directory / f"{name}.csv")
    table[row][table[0].index(column)] = value
    write(directory / f"{name}.csv", table)


def test_round_trip_gives_every_activity_kpi(source, loaded):
    engine, _ = loaded
    nodes = scopes(source[0])
    expected = activity_kpis(source[0], nodes, PERIODS)
    got = activity_kpis(engine, nodes, PERIODS)
    assert len(expected) == len(nodes) * len(PERIODS) * len(ACTIVITY_KPIS)
    pd.testing.assert_frame_equal(got, expected)


def test_round_trip_counts_and_log(loaded):
    engine, _ = loaded
    assert counts(engine) | {"extract_record": 0} == {
        "patient": 16, "referral": 14, "hospital_spell": 21, "ward_stay": 21, "leave_episode": 3,
        "restrictive_intervention": 10, "incident": 6, "staffing": 9, "bed_state": 23, "extract_record": 0,
        "extract_submission": 24}  # issue 18: RI9, RI10 (December 2023) add RX4's and RHA's December submissions;
    # the three 2023 readmission-cohort spells S03h, S05h, S15h add three more (21 spells and stays)
    with engine.connect() as conn:
        log = conn.execute(sa.select(schema.load_log.c.feed, schema.load_log.c.status, schema.load_log.c.rows)).all()
        audit = conn.execute(sa.select(schema.audit_log.c.action, schema.audit_log.c.target)).all()
    # 37 MPI rows (one person per submission naming them: P13 and P05 in December 2023 too; P03, P05 and P15 in
    # the submissions of their 2023 spells) + 14 + 21 + 21 + 3 + 10 (3 ready dates are folded into spells) + 6 + 9
    # + 23 = 144 rows
    assert log == [("mhsds", "ok", 144)]
    assert audit == [("import", "MHSDS extract @ national")]


def _resubmit(tmp_path, extract, provider, month):
    """A copy of the extract holding only one provider-month's rows."""
    out = tmp_path / "resubmission"
    shutil.copytree(extract, out)
    for path in out.glob("*.csv"):
        table = rows(path)
        first = 0 if path.stem == "MHS000Header" else None
        keep = [r for r in table[1:] if (r[first or 0], r[1]) == (provider, month)]
        write(path, [table[0], *keep])
    return out


def test_resubmission_replaces_the_providers_month(loaded, tmp_path):
    engine, extract = loaded
    before = counts(engine)
    again = _resubmit(tmp_path, extract, "RHA", "2024-03-01")
    # RHA's March: discharge S05 (was open), drop the leave LV2 and the stay WS04b; nothing else changes.
    spells = rows(again / "MHS501HospProvSpell.csv")
    assert [r[2] for r in spells[1:]] == ["S03b", "S04b", "S07b"]
    leave = rows(again / "MHS509HomeLeave.csv")
    assert sorted(r[2] for r in leave[1:]) == ["LV1", "LV2"]
    write(again / "MHS509HomeLeave.csv", [r for r in leave if r[2] != "LV2"])
    edit(again, "MHS501HospProvSpell", 2, "DischDateHospProvSpell", "2024-03-20")
    edit(again, "MHS501HospProvSpell", 2, "DischDestCodeHospProvSpell", "19")
    result = load_extract(engine, again)
    assert result.ok, result.message
    after = counts(engine)
    assert after["leave_episode"] == before["leave_episode"] - 1
    assert {k: v for k, v in after.items() if k not in ("leave_episode", "extract_record")} == {
        k: v for k, v in before.items() if k not in ("leave_episode", "extract_record")}
    with engine.connect() as conn:
        s04b = conn.execute(sa.select(schema.hospital_spell.c.discharge_date, schema.hospital_spell.c
                                      .discharge_destination).where(schema.hospital_spell.c.spell_id == "S04b")).one()
        leaves = conn.execute(sa.select(schema.leave_episode.c.leave_id).order_by("leave_id")).scalars().all()
        statuses = conn.execute(sa.select(schema.load_log.c.status)).scalars().all()
    assert tuple(s04b) == (dt.date(2024, 3, 20), "community")
    assert leaves == ["LV1", "LV3"]
    assert statuses == ["ok", "ok"]
    # loading the same resubmission twice changes nothing more (no duplicates)
    assert load_extract(engine, again).ok
    assert counts(engine) == after


def test_resubmission_dropping_a_spell_removes_its_stays(loaded, tmp_path):
    engine, extract = loaded
    before = counts(engine)
    again = _resubmit(tmp_path, extract, "NPR", "2024-03-01")
    for name in ("MHS501HospProvSpell", "MHS502WardStay"):  # S10 and its stay WS10 withdrawn
        write(again / f"{name}.csv", rows(again / f"{name}.csv")[:1])
    result = load_extract(engine, again)
    assert result.ok, result.message
    assert "2 record(s) no longer submitted were removed" in result.message
    after = counts(engine)
    assert (before["hospital_spell"] - after["hospital_spell"], before["ward_stay"] - after["ward_stay"]) == (1, 1)
    with engine.connect() as conn:
        orphans = conn.execute(sa.text("SELECT count(*) FROM ward_stay w WHERE NOT EXISTS "
                                       "(SELECT 1 FROM hospital_spell s WHERE s.spell_id = w.spell_id)")).scalar()
    assert orphans == 0


def _drop_column(d):
    table = rows(d / "MHS502WardStay.csv")
    write(d / "MHS502WardStay.csv", [r[:-1] for r in table])


def _extra_column(d):
    table = rows(d / "LOC_Incident.csv")
    write(d / "LOC_Incident.csv", [table[0] + ["Notes"]] + [r + ["x"] for r in table[1:]])


def _unknown_file(d):
    (d / "MHS999Unknown.csv").write_text("a,b\n1,2\n", encoding="utf-8")


def _missing_header(d):
    (d / "MHS000Header.csv").unlink()


def _empty_file(d):
    (d / "MHS509HomeLeave.csv").write_text("", encoding="utf-8")


def _not_utf8(d):
    (d / "MHS509HomeLeave.csv").write_bytes(rows_bytes(d / "MHS509HomeLeave.csv") + b"RHA,2024-03-01,LV\xff,WS05,"
                                            b"2024-03-02,\n")


def rows_bytes(path):
    return path.read_bytes()


def _ragged(d):
    with open(d / "MHS509HomeLeave.csv", "a", encoding="utf-8") as handle:
        handle.write("RHA,2024-03-01,LV9,WS05,2024-03-02,,extra,more\n")


def _duplicate_submission(d):
    table = rows(d / "MHS000Header.csv")
    write(d / "MHS000Header.csv", table + [table[1]])


def _no_submission(d):
    table = rows(d / "MHS000Header.csv")
    write(d / "MHS000Header.csv", [r for r in table if r[:2] != ["NPR", "2024-03-01"]])


BAD = [
    # (kind, change, file, row, column, words in the message)
    ("missing header file", _missing_header, "MHS000Header.csv", None, None, "is missing"),
    ("unknown file", _unknown_file, "MHS999Unknown.csv", None, None, "is not a file of the extract"),
    ("missing column", _drop_column, "MHS502WardStay.csv", None, "WardSecLevel", "column is missing"),
    ("unexpected column", _extra_column, "LOC_Incident.csv", None, "Notes", "is not a column of this file"),
    ("empty file", _empty_file, "MHS509HomeLeave.csv", None, None, "is empty"),
    ("not UTF-8", _not_utf8, "MHS509HomeLeave.csv", None, None, "is not UTF-8"),
    ("ragged row", _ragged, "MHS509HomeLeave.csv", None, None, "is not a well-formed CSV"),
    ("bad date", lambda d: edit(d, "MHS502WardStay", 1, "StartDateWardStay", "2024-02-30"), "MHS502WardStay.csv",
     1, "StartDateWardStay", "is not a date"),
    ("bad code", lambda d: edit(d, "MHS001MPI", 1, "EthnicCategory", "Q"), "MHS001MPI.csv", 1, "EthnicCategory",
     "is not a valid code"),
    ("required value missing", lambda d: edit(d, "MHS101Referral", 2, "ReferralRequestReceivedDate", ""),
     "MHS101Referral.csv", 2, "ReferralRequestReceivedDate", "a value is required"),
    ("negative number", lambda d: edit(d, "LOC_BedState", 3, "Occupied", "-1"), "LOC_BedState.csv", 3,
     "Occupied", "is not a whole number of 0 or more"),
    ("over commissioned", lambda d: edit(d, "LOC_BedState", 3, "Occupied", "9"), "LOC_BedState.csv", 3,
     "Occupied", "is more than the"),
    ("unknown ward", lambda d: edit(d, "LOC_Incident", 1, "WardCode", "W99"), "LOC_Incident.csv", 1, "WardCode",
     "is not in the reference data"),
    ("another provider's ward", lambda d: edit(d, "LOC_Staffing", 1, "WardCode", "W5"), "LOC_Staffing.csv", 1,
     "WardCode", "belongs to another provider"),
    ("unknown locality", lambda d: edit(d, "MHS001MPI", 2, "ResidenceLocality", "L9"), "MHS001MPI.csv", 2,
     "ResidenceLocality", "is not in the reference data"),
    ("end before start", lambda d: edit(d, "MHS502WardStay", 1, "EndDateWardStay", "2000-01-01"),
     "MHS502WardStay.csv", 1, "EndDateWardStay", "is before"),
    ("spell not submitted", lambda d: edit(d, "MHS502WardStay", 1, "HospProvSpellID", "S99"),
     "MHS502WardStay.csv", 1, "HospProvSpellID", "neither in the extract nor already loaded"),
    ("row of no listed submission", _no_submission, "MHS000Header.csv", None, None, "not a submission listed"),
    ("submission listed twice", _duplicate_submission, "MHS000Header.csv", None, "ReportingPeriodStartDate",
     "is listed twice"),
    ("period not a month", lambda d: edit(d, "MHS000Header", 1, "ReportingPeriodEndDate", "2024-01-15"),
     "MHS000Header.csv", 1, "ReportingPeriodEndDate", "ends on the last day"),
    ("event outside its month", lambda d: edit(d, "LOC_Incident", 1, "IncidentDateTime", "2023-01-01 10:00:00"),
     "LOC_Incident.csv", 1, "IncidentDateTime", "outside the reporting month"),
    ("duplicate record", lambda d: edit(d, "MHS505RestrictiveInterventInc", 2, "RestrictiveIntIncID",
                                        rows(d / "MHS505RestrictiveInterventInc.csv")[1][2]),
     "MHS505RestrictiveInterventInc.csv", 2, "RestrictiveIntIncID", "appears twice"),
    ("id too long", lambda d: edit(d, "MHS509HomeLeave", 1, "HomeLeaveId", "L" * 40), "MHS509HomeLeave.csv", 1,
     "HomeLeaveId", "longer than 32"),
]


@pytest.mark.parametrize("kind,change,file,row,column,words", BAD, ids=[b[0] for b in BAD])
def test_bad_file_changes_nothing_and_says_where(loaded, tmp_path, kind, change, file, row, column, words):
    engine, extract = loaded
    bad = tmp_path / "bad"
    shutil.copytree(extract, bad)
    change(bad)
    before = counts(engine)
    result = load_extract(engine, bad)
    assert not result.ok
    assert counts(engine) == before
    problem = next(p for p in result.problems if words in p.message)
    if kind == "row of no listed submission":
        assert problem.column == "ReportingPeriodStartDate" and "NPR 2024-03-01" in problem.message
    else:
        assert problem.file == file
        assert column is None or problem.column == column
        assert row is None or problem.row == row
    assert "nothing loaded" in result.message
    with engine.connect() as conn:
        assert conn.execute(sa.select(schema.load_log.c.status)).scalars().all() == ["ok", "rejected"]


def test_file_over_the_caps_is_refused(loaded):
    engine, extract = loaded
    before = counts(engine)
    too_big = load_extract(engine, extract, max_bytes=100)
    too_long = load_extract(engine, extract, max_rows=10)
    assert not too_big.ok and "over the limit" in too_big.message
    assert not too_long.ok and "more than 10 rows" in too_long.message
    assert counts(engine) == before


def test_command_line_load_and_export(source, tmp_path, capsys):
    url = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    target = sa.create_engine(url)
    copy_reference(source[0], target)
    target.dispose()
    assert main(["export", "--url", url, "--out", str(tmp_path / "empty")]) == 0
    assert main(["load", "--url", url, str(source[1])]) == 0
    assert "Loaded 144 rows" in capsys.readouterr().out
    assert main(["load", "--url", url, str(tmp_path / "nowhere")]) == 1
    assert "is not a directory" in capsys.readouterr().out


def test_reference_only_demo(tmp_path):
    """python -m demo --reference-only: organisations, wards, places, calendar and governance (and the wards' daily
    capacity facts); no activity."""
    from demo.generator import REFERENCE_TABLES
    from demo.generator import main as demo_main

    url = f"duckdb:///{tmp_path / 'reference.duckdb'}"
    assert demo_main(["--scale", "region", "--reference-only", "--url", url, "--end-date", "2025-03-31"]) == 0
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        filled = {t for t in schema.TABLE_ORDER
                  if conn.execute(sa.select(sa.func.count()).select_from(schema.metadata.tables[t])).scalar()}
    engine.dispose()
    assert filled == {*REFERENCE_TABLES, "ward_day_capacity", "ward_month_capacity",  # open wards: beds, each day
                      "region_day_capacity"}
