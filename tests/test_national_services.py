"""Out of area leaves out nationally commissioned services (ward.nationally_commissioned), on both engines.

Hand working on tests/fixture_db.py, IMPACT, 2024-03-01..03-10 (tests/test_beds.py has the same bed days):
IMPACT's home patients (L1, L2) on adult secure wards: 58 bed days; out of area P03 on NORTH's W5 6 + P10 on
NORTH's W6 7 = 13 -> 13 / 58; on 03-10 P10 is the one out-of-area patient. W2 (women's enhanced medium secure) is
flagged in the fixture, but its patients (P01, P07) are IMPACT's own: no change.
Flag W6 as a national service too (a ward NHS England commissions): P10's 7 days are no longer out of area ->
6 / 58 (the 7 days stay in the denominator, IMPACT's home patients' bed days), and no out-of-area patient on 03-10.
"""

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access import facts, schema
from demo.reference import national_service
from metrics.kpis import kpi_table
from tests.expected_fixture import count, pct
from tests.fixture_db import WARDS, build_fixture

PERIOD = (dt.date(2024, 3, 1), dt.date(2024, 3, 10))
IDS = ["out_of_area_pct", "out_of_area_patients"]


def figures(engine):
    table = kpi_table(engine, "collaborative", "IMPACT", *PERIOD, kpi_ids=IDS).set_index("kpi_id")
    return {k: tuple(None if v is None or v != v else v for v in table.loc[k, ["value", "numerator", "denominator"]])
            for k in IDS}


def test_fixture_flags_wems_only():
    assert {w["ward_code"]: w["nationally_commissioned"] for w in WARDS if w["nationally_commissioned"]} == {"W2": True}
    assert national_service("deaf", "low") and national_service("mi", "high") and not national_service("mi", "medium")


def test_a_national_service_is_never_out_of_area(empty_engine):
    build_fixture(empty_engine)
    before = figures(empty_engine)
    assert before["out_of_area_pct"] == pytest.approx(pct(13, 58))
    assert before["out_of_area_patients"] == count(1)
    with empty_engine.begin() as conn:
        conn.execute(sa.update(schema.ward).where(schema.ward.c.ward_code == "W6")
                     .values(nationally_commissioned=True))
        facts.refresh(conn)
    after = figures(empty_engine)
    assert after["out_of_area_pct"] == pytest.approx(pct(6, 58))
    assert after["out_of_area_patients"] == count(0)


def test_a_database_from_before_the_column_gets_it(empty_engine):
    # schema.ADDED_COLUMNS adds the column to an older ward table (NULL/false: nothing national until flagged).
    # DuckDB cannot drop a column of a table others refer to, so there a bare old-style ward table stands in.
    engine = empty_engine
    if engine.dialect.name == "duckdb":
        engine = sa.create_engine("duckdb:///:memory:")
        with engine.begin() as conn:
            conn.execute(sa.text('CREATE TABLE "ward" (ward_code TEXT PRIMARY KEY)'))
            conn.execute(sa.text('CREATE TABLE "bed_state" (ward_code TEXT)'))
            conn.execute(sa.text('CREATE TABLE "survey_response" (survey_id TEXT)'))
            conn.execute(sa.text('CREATE TABLE "restrictive_intervention" (intervention_id TEXT)'))
            conn.execute(sa.text("INSERT INTO \"ward\" VALUES ('X1')"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text('ALTER TABLE "ward" DROP COLUMN "nationally_commissioned"'))
    with engine.begin() as conn:
        for statement in schema.ADDED_COLUMNS:
            conn.execute(sa.text(statement))
        flags = conn.execute(sa.text('SELECT "nationally_commissioned" FROM "ward"')).scalars().all()
    assert all(not flag for flag in flags)
