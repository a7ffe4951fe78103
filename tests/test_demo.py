"""The demo data generator: determinism, integrity, calibration, both engines."""

import hashlib
import time
from datetime import date

import pytest
import sqlalchemy as sa

from data_access import schema
from demo import build_demo, main
from tests.databases import empty_database

END = date(2026, 11, 24)
ASOF = "DATE '2026-11-24'"
HASHED = {  # table -> ordering key
    "patient": "patient_id",
    "hospital_spell": "spell_id",
    "ward_stay": "ward_stay_id",
    "referral": "referral_id",
    "finance_ledger": "collaborative_id, month_start, category, provider_code",
    "restrictive_intervention": "intervention_id",
}


def _duckdb(path):
    return sa.create_engine(f"duckdb:///{path}")


def _build(path, **kwargs):
    engine = _duckdb(path)
    started = time.perf_counter()
    counts = build_demo(engine, end_date=END, **kwargs)
    return engine, counts, time.perf_counter() - started


def _digest(engine, table: str) -> str:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY {HASHED[table]}")).fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _rows(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql.replace(":asof", ASOF))).fetchall()


def _one(engine, sql: str):
    return _rows(engine, sql)[0][0]


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """The region scale built once into a DuckDB file, with its row counts and build time."""
    engine, counts, seconds = _build(tmp_path_factory.mktemp("demo") / "region.duckdb")
    yield engine, counts, seconds
    engine.dispose()


@pytest.fixture(scope="module")
def db(region):
    return region[0]


def test_region_build_is_fast_and_fills_every_table(region):
    engine, counts, seconds = region
    assert seconds < 60
    # extract_record says which loaded extract holds each record: the demo writes its tables directly
    expected = {t for t in schema.TABLE_ORDER if t not in (*schema.APP_TABLES, "extract_record")}
    assert set(counts) == expected
    assert all(counts[t] > 0 for t in expected), counts
    assert _one(engine, "SELECT count(*) FROM audit_log") == 0
    for table, n in counts.items():
        assert _one(engine, f'SELECT count(*) FROM "{table}"') == n


def test_same_seed_same_data_and_other_seed_differs(db, tmp_path):
    again, _, _ = _build(tmp_path / "again.duckdb")
    other, _, _ = _build(tmp_path / "other.duckdb", seed=7)
    for table in HASHED:
        assert _digest(db, table) == _digest(again, table), table
    assert _digest(db, "ward_stay") != _digest(other, "ward_stay")
    assert _digest(db, "patient") != _digest(other, "patient")
    again.dispose()
    other.dispose()


def test_refuses_a_database_with_wards(db):
    with pytest.raises(ValueError):
        build_demo(db, end_date=END)


def test_cli_refuses_and_reports(tmp_path, capsys, db):
    url = str(db.url)
    db.dispose()
    assert main(["--scale", "region", "--url", url, "--end-date", "2026-11-24"]) == 2
    assert "already has wards" in capsys.readouterr().err


def test_every_foreign_key_resolves(db):
    for table in schema.metadata.sorted_tables:
        for fk in table.foreign_keys:
            child, parent = fk.parent, fk.column
            sql = (
                f'SELECT count(*) FROM "{table.name}" c WHERE c."{child.name}" IS NOT NULL AND NOT EXISTS '
                f'(SELECT 1 FROM "{parent.table.name}" p WHERE p."{parent.name}" = c."{child.name}")'
            )
            assert _one(db, sql) == 0, f"{table.name}.{child.name}"


def test_ward_stays_within_spells_and_never_overlap(db):
    assert (
        _one(
            db,
            """SELECT count(*) FROM ward_stay ws JOIN hospital_spell s USING (spell_id)
           WHERE ws.start_date < s.admission_date OR ws.end_date <= ws.start_date
              OR (s.discharge_date IS NOT NULL AND (ws.end_date IS NULL OR ws.end_date > s.discharge_date))
              OR (s.discharge_date IS NULL AND ws.end_date IS NULL AND ws.start_date > :asof)""",
        )
        == 0
    )
    assert (
        _one(
            db,
            """SELECT count(*) FROM hospital_spell s WHERE discharge_date IS NULL AND NOT EXISTS
           (SELECT 1 FROM ward_stay ws WHERE ws.spell_id = s.spell_id AND ws.end_date IS NULL)""",
        )
        == 0
    )
    overlaps = """SELECT count(*) FROM (
        SELECT ws.start_date, lag(coalesce(ws.end_date, DATE '2999-01-01')) OVER
               (PARTITION BY s.patient_id ORDER BY ws.start_date, ws.end_date) AS previous_end
        FROM ward_stay ws JOIN hospital_spell s USING (spell_id)) x WHERE previous_end > start_date"""
    assert _one(db, overlaps) == 0
    assert _one(db, "SELECT count(*) FROM hospital_spell WHERE admission_date > :asof") == 0
    assert (
        _one(
            db,
            """SELECT count(*) FROM leave_episode l JOIN ward_stay ws USING (ward_stay_id)
           WHERE l.start_date < ws.start_date OR l.end_date <= l.start_date
              OR (ws.end_date IS NOT NULL AND (l.end_date IS NULL OR l.end_date > ws.end_date))""",
        )
        == 0
    )


def test_bed_state_occupied_is_the_midnight_census(db):
    sample = _rows(
        db,
        """SELECT ward_code, CAST(reported_at AS DATE) AS d, min(occupied), max(occupied),
                  min(on_leave), max(on_leave)
           FROM bed_state WHERE hash(ward_code || CAST(reported_at AS DATE)) % 97 = 0 GROUP BY 1, 2""",
    )
    assert len(sample) > 50
    for ward, day, lo, hi, leave_lo, leave_hi in sample[:400]:
        assert lo == hi and leave_lo == leave_hi
        census = _one(
            db,
            f"""SELECT count(*) FROM ward_stay WHERE ward_code = '{ward}' AND start_date <= DATE '{day}'
                AND coalesce(end_date, :asof + 1) > DATE '{day}'""",
        )
        on_leave = _one(
            db,
            f"""SELECT count(*) FROM leave_episode l JOIN ward_stay ws USING (ward_stay_id)
                WHERE ws.ward_code = '{ward}' AND l.start_date <= DATE '{day}'
                AND coalesce(l.end_date, :asof + 1) > DATE '{day}'""",
        )
        assert (census, on_leave) == (lo, leave_lo), (ward, day)
    assert _one(db, "SELECT count(*) FROM bed_state WHERE occupied + closed > commissioned_beds") == 0
    assert _one(db, "SELECT CAST(max(reported_at) AS DATE) FROM bed_state") == END
    assert _one(db, "SELECT CAST(min(reported_at) AS DATE) FROM bed_state") == date(2021, 4, 1)


def test_referrals_match_their_spells(db):
    assert (
        _one(
            db,
            """SELECT count(*) FROM hospital_spell s JOIN referral r USING (referral_id)
           WHERE r.admission_date <> s.admission_date OR r.decision <> 'accepted'""",
        )
        == 0
    )
    first_ward_mismatch = """SELECT count(*) FROM hospital_spell s JOIN referral r USING (referral_id)
        JOIN (SELECT spell_id, arg_min(ward_code, start_date) AS ward_code FROM ward_stay GROUP BY 1) f
        USING (spell_id) WHERE f.ward_code <> r.admitted_ward_code"""
    assert _one(db, first_ward_mismatch) == 0
    assert (
        _one(
            db,
            """SELECT count(*) FROM hospital_spell
               WHERE admission_date >= DATE '2021-04-01' AND referral_id IS NULL""",
        )
        == 0
    )
    assert (
        _one(
            db,
            """SELECT count(*) FROM referral WHERE assessment_date < received_date
           OR decision_date < assessment_date OR admission_date < decision_date
           OR greatest(received_date, assessment_date, decision_date, admission_date) > :asof""",
        )
        == 0
    )
    decisions = dict(_rows(db, "SELECT coalesce(decision, 'open'), count(*) FROM referral GROUP BY 1"))
    assert {"accepted", "declined", "withdrawn", "open"} <= set(decisions)
    awaiting = _one(
        db, "SELECT count(*) FROM referral WHERE decision = 'accepted' AND admission_date IS NULL"
    )
    assert awaiting > 0
    assert _one(db, "SELECT count(*) FROM referral WHERE disputed") > 0


def test_impact_has_13_units_and_9_providers(db):
    units, providers, beds = _rows(
        db,
        """SELECT count(DISTINCT w.unit_code), count(DISTINCT u.provider_code), sum(w.commissioned_beds)
           FROM ward w JOIN unit u USING (unit_code) WHERE w.collaborative_id = 'IMPACT'""",
    )[0]
    assert (units, providers) == (13, 9)
    assert 500 <= beds <= 600
    lead = _rows(
        db, "SELECT lead_provider_code, go_live_date FROM collaborative WHERE collaborative_id = 'IMPACT'"
    )
    assert lead == [("RHA", date(2020, 10, 1))]
    wems = "SELECT count(*) FROM ward WHERE specialism = 'wems' AND collaborative_id = 'IMPACT'"
    assert _one(db, wems) == 1
    assert 1000 <= _one(db, "SELECT sum(commissioned_beds) FROM ward") <= 1300


def test_calibration_women(db):
    current = """SELECT p.sex, s.admission_date FROM ward_stay ws JOIN ward w USING (ward_code)
        JOIN hospital_spell s USING (spell_id) JOIN patient p ON p.patient_id = s.patient_id
        WHERE w.service_line = 'adult_secure' AND ws.start_date <= :asof
          AND coalesce(ws.end_date, :asof + 1) > :asof"""
    share = _one(db, f"SELECT avg(CASE WHEN sex = 'female' THEN 100.0 ELSE 0 END) FROM ({current}) c")
    assert 18 <= share <= 26
    median, longest = _rows(
        db,
        f"""SELECT median(:asof - admission_date), max(:asof - admission_date)
            FROM ({current}) c WHERE sex = 'female'""",
    )[0]
    assert 500 <= median <= 1100
    assert longest > 20 * 365.25
    assert _one(db, "SELECT count(*) FROM patient WHERE care_experienced AND sex = 'female'") > 0


def test_calibration_impact_out_of_area_falls(db):
    rows = dict(
        _rows(
            db,
            """SELECT c.financial_year, avg(CASE WHEN w.collaborative_id <> 'IMPACT' THEN 100.0 ELSE 0 END)
           FROM ward_stay ws JOIN hospital_spell s USING (spell_id) JOIN patient p USING (patient_id)
           JOIN locality_collaborative lc ON lc.locality_code = p.home_locality_code
                AND lc.service_line = 'adult_secure' AND lc.collaborative_id = 'IMPACT'
           JOIN ward w ON w.ward_code = ws.ward_code AND w.service_line = 'adult_secure'
           JOIN calendar c ON c.date >= ws.start_date AND c.date < coalesce(ws.end_date, :asof + 1)
                AND c.date <= :asof
           GROUP BY 1""",
        )
    )
    assert 15 <= rows["2021/22"] <= 27
    assert 3 <= rows["2025/26"] <= 10


def test_calibration_occupancy(db):
    occupancy = _one(
        db,
        """SELECT sum(o) * 100.0 / sum(a) FROM (
             SELECT ward_code, CAST(reported_at AS DATE) AS d, max(occupied) AS o,
                    max(commissioned_beds) - arg_max(closed, reported_at) AS a
             FROM bed_state GROUP BY 1, 2) x""",
    )
    assert 80 <= occupancy <= 97


def test_calibration_prison_transfers_and_money(db):
    first = _rows(
        db,
        """SELECT avg(CASE WHEN admission_date - received_date <= 28 THEN 100.0 ELSE 0 END),
                  avg(admission_date - received_date), max(admission_date - received_date)
           FROM referral WHERE source = 'prison'
             AND admission_date BETWEEN DATE '2021-04-01' AND DATE '2023-03-31'""",
    )[0]
    assert 8 <= first[0] <= 25 and 65 <= first[1] <= 110 and first[2] <= 470
    cost = _one(
        db,
        """SELECT sum(actual_gbp) / (SELECT count(*) FROM ward_stay ws JOIN ward w USING (ward_code)
             JOIN calendar c ON c.date >= ws.start_date AND c.date < coalesce(ws.end_date, :asof + 1)
             WHERE w.collaborative_id = 'IMPACT' AND c.financial_year = '2025/26')
           FROM finance_ledger f
           JOIN (SELECT DISTINCT month_start, financial_year FROM calendar) c USING (month_start)
           WHERE collaborative_id = 'IMPACT' AND financial_year = '2025/26'
             AND category IN ('nhs_inpatient', 'independent_inpatient', 'out_of_area')""",
    )
    assert 550 <= cost <= 850
    reinvest = _one(
        db,
        """SELECT sum(actual_gbp) FROM finance_ledger WHERE collaborative_id = 'IMPACT'
           AND category = 'reinvestment' AND month_start BETWEEN DATE '2025-04-01' AND DATE '2026-03-01'""",
    )
    assert 1_000_000 <= reinvest <= 6_000_000
    # the current financial year: 12 months, actual only for closed months, forecast for all
    months, closed, forecasts = _rows(
        db,
        """SELECT count(DISTINCT month_start),
                  count(DISTINCT CASE WHEN actual_gbp IS NOT NULL THEN month_start END),
                  count(forecast_gbp) - count(*)
           FROM finance_ledger WHERE month_start BETWEEN DATE '2026-04-01' AND DATE '2027-03-01'""",
    )[0]
    assert (months, closed, forecasts) == (12, 7, 0)
    assert (
        _one(
            db,
            """SELECT count(*) FROM (SELECT collaborative_id, financial_year, sum(share_pct) AS s
           FROM risk_share GROUP BY 1, 2) x WHERE abs(s - 100) > 0.001""",
        )
        == 0
    )


def test_survey_governance_thresholds_and_load_log(db):
    em = dict(
        _rows(
            db,
            """SELECT answer, count FROM survey_response WHERE cohort = 'east_midlands'
           AND question = 'What 5 key things have aided your recovery?'""",
        )
    )
    assert em["Activity and keeping busy"] == 64 and len(em) == 5
    stay = dict(
        _rows(
            db, "SELECT cohort, answer FROM survey_response WHERE question LIKE 'Headline: average length%'"
        )
    )
    assert stay == {"england": "3320", "east_midlands": "3497"}
    names = {r[0] for r in _rows(db, "SELECT name FROM governance_forum WHERE collaborative_id = 'IMPACT'")}
    assert "IMPACT Clinical Reference Group" in names
    assert "Improved Admissions task and finish group" in names
    assert _one(db, "SELECT count(*) FROM governance_forum WHERE collaborative_id IS NULL") >= 1
    assert (
        _one(
            db,
            """SELECT count(*) FROM forum_kpi k JOIN governance_forum f USING (forum_id)
           WHERE f.name = 'Improved Admissions task and finish group'
             AND k.kpi_id = 'prison_transfer_within_28_days_pct'""",
        )
        == 1
    )
    occupancy = "SELECT green, amber FROM kpi_threshold WHERE kpi_id = 'bed_occupancy_pct'"
    assert _rows(db, occupancy) == [(85.0, 95.0)]
    assert _one(db, "SELECT count(*) FROM kpi_threshold WHERE collaborative_id = 'IMPACT'") == 1
    logs = _rows(db, "SELECT feed, loaded_at, source, status FROM load_log ORDER BY feed")
    assert [r[0] for r in logs] == ["bed_state", "finance", "mhsds"]
    assert all(r[2].startswith("demo:") and r[3] == "ok" and r[1].date() == END for r in logs)
    calendar = _rows(db, "SELECT min(date), max(date), count(*) FROM calendar")[0]
    assert calendar[:2] == (date(2021, 4, 1), date(2027, 3, 31))


def test_region_into_postgresql_matches_duckdb(region, tmp_path):
    engine, cleanup = empty_database("postgresql", tmp_path)
    try:
        counts = build_demo(engine, end_date=END)
        assert counts == region[1]
        assert _digest(engine, "ward_stay") == _digest(region[0], "ward_stay")
        with engine.connect() as conn:
            n = conn.execute(sa.text("SELECT count(*) FROM bed_state")).scalar()
        assert n == region[1]["bed_state"]
    finally:
        engine.dispose()
        cleanup()
