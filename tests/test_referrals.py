"""Referrals to admission: hand-worked answers on the fixture (DuckDB and PostgreSQL), access, and the page.

Referrals of tests/fixture_db.py (dates 2024 unless said), day counts received->assessed /
assessed->decided / decided->admitted / received->admitted:
  R01 NORTH prison urgent medium      recv 02-10 a 02-15 (5)  d 02-20 acc (5)  adm 03-02 W5 (11) (21)
  R02 IMPACT prison urgent low        recv 01-15 a 01-25 (10) d 02-01 acc (7)  adm 03-04 W6 (32) (49)
  R03 IMPACT other_secure routine low recv 02-20 a 03-01 (10) d 03-04 acc (3)  adm 03-07 W1 (3)  (16)
  R04 IMPACT other_secure urgent med  recv 03-01 a 03-02 (1)  d 03-04 acc (2)  adm 03-05 W2 (1)  (4)
  R05 IMPACT community urgent low     recv 03-07 a 03-07 (0)  d 03-07 acc (0)  adm 03-08 W1 (1)  (1)
  R06 CAMHS acute emergency general   recv 03-03 a 03-06 (3)  d 03-06 acc (0)  adm 03-06 W4 (0)  (3)
  R07 NORTH prison routine medium     recv 02-01 a 03-05 (33) d 03-08 declined (3)
  R08 NORTH community urgent low      recv 03-02 a 03-09 (7)  no decision
  R09 IMPACT court routine low        recv 03-03 no assessment, withdrawn 03-06, disputed
  R10 NORTH prison emergency medium   recv 03-08 only
  R11 CAMHS community emergency       recv 02-28 a 03-01 (2)  d 03-04 acc (3), not admitted
  R12 NORTH other_secure urgent low   recv 02-25 a 03-04 (8)  d 03-09 acc (5), not admitted
  R13 IMPACT community urgent low     recv 03-09 only
  R14 NORTH court routine medium      2021-12-01 .. admitted 2022-01-10 (40), long closed
percentile_cont(f) over sorted x0..x(n-1): position f x (n-1), interpolated between neighbours.
"""

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import referrals as q
from data_access.access import AccessDenied, Viewer
from data_access.kpi_queries import ASSESSMENT_TARGET_DAYS
from metrics import referrals as m
from metrics.kpis import kpi_table
from tests.apptest import errors, run_app
from tests.browser import build_duckdb_file
from tests.databases import ENGINES, empty_database
from tests.fixture_db import build_fixture

P1 = (dt.date(2024, 3, 1), dt.date(2024, 3, 10))
P2 = (dt.date(2024, 3, 1), dt.date(2024, 3, 5))
TARGETS = dict(ASSESSMENT_TARGET_DAYS)
approx = pytest.approx


def aggregates(engine, level, code, period=P1, viewer=None):
    with engine.connect() as conn:
        return q.stage_aggregates(conn, viewer, level, code, *period, TARGETS)


# ---- stage durations -----------------------------------------------------------------------------------

# National, 01..10 Mar 2024.
#   referral->assessment, assessed in period: R03 10, R04 1, R05 0, R06 3, R07 33, R08 7, R11 2, R12 8
#     sorted 0 1 2 3 7 8 10 33 (n 8): median (3+7)/2 = 5; p90 pos 6.3: 10 + 0.3 x 23 = 16.9
#   assessment->decision, decided in period with an assessment (R09 has none, so it is not in it):
#     R03 3, R04 2, R05 0, R06 0, R07 3, R11 3, R12 5 -> 0 0 2 3 3 3 5 (n 7): median 3; p90 pos 5.4: 3.8
#   decision->admission, admitted in period: R01 11, R02 32, R03 3, R04 1, R05 1, R06 0
#     -> 0 1 1 3 11 32 (n 6): median (1+3)/2 = 2; p90 pos 4.5: 11 + 0.5 x 21 = 21.5
#   referral->admission: R01 21, R02 49, R03 16, R04 4, R05 1, R06 3 -> 1 3 4 16 21 49: median 10;
#     p90 pos 4.5: 21 + 0.5 x 28 = 35
#   Still waiting on 03-10: awaiting assessment R10, R13; awaiting decision R08; accepted awaiting
#     admission R11, R12 (R08, R11, R12 have dates missing: not in the later stages, counted here).
#   Within target (emergency 2, urgent 7, routine 14): emergency R06 3 no, R11 2 yes -> 1/2;
#     urgent R04 1, R05 0, R08 7 yes, R12 8 no -> 3/4; routine R03 10 yes, R07 33 no -> 1/2. All 5/8.
#   Prison admitted in period: R01 21 (within 28), R02 49 (not) -> 1/2.
NATIONAL_P1 = {
    "received": 7,
    "referral_to_assessment_n": 8, "referral_to_assessment_median": 5.0, "referral_to_assessment_p90": 16.9,
    "assessment_to_decision_n": 7, "assessment_to_decision_median": 3.0, "assessment_to_decision_p90": 3.8,
    "decision_to_admission_n": 6, "decision_to_admission_median": 2.0, "decision_to_admission_p90": 21.5,
    "referral_to_admission_n": 6, "referral_to_admission_median": 10.0, "referral_to_admission_p90": 35.0,
    "awaiting_assessment_waiting": 2, "awaiting_decision_waiting": 1, "awaiting_admission_waiting": 2,
    "emergency_assessed": 2, "emergency_within": 1, "urgent_assessed": 4, "urgent_within": 3,
    "routine_assessed": 2, "routine_within": 1, "prison_admitted": 2, "prison_within_28": 1,
}
# IMPACT (referral.collaborative_id), 01..10 Mar: R02, R03, R04, R05, R09, R13.
#   r->a: R03 10, R04 1, R05 0 -> median 1; p90 pos 1.8: 1 + 0.8 x 9 = 8.2
#   a->d: R03 3, R04 2, R05 0 -> median 2; p90 2 + 0.8 x 1 = 2.8 (R09 withdrawn unassessed: not in it)
#   d->adm: R02 32, R03 3, R04 1, R05 1 -> 1 1 3 32: median 2; p90 pos 2.7: 3 + 0.7 x 29 = 23.3
#   r->adm: R02 49 (admitted to NORTH's W6, but IMPACT's referral), R03 16, R04 4, R05 1 -> 1 4 16 49:
#     median 10; p90 16 + 0.7 x 33 = 39.1.  Waiting: R13 awaiting assessment.
#   Within target: urgent R04, R05 2/2; routine R03 1/1; emergency 0/0. Prison: R02 49 -> 0/1.
IMPACT_P1 = {
    "received": 4,
    "referral_to_assessment_n": 3, "referral_to_assessment_median": 1.0, "referral_to_assessment_p90": 8.2,
    "assessment_to_decision_n": 3, "assessment_to_decision_median": 2.0, "assessment_to_decision_p90": 2.8,
    "decision_to_admission_n": 4, "decision_to_admission_median": 2.0, "decision_to_admission_p90": 23.3,
    "referral_to_admission_n": 4, "referral_to_admission_median": 10.0, "referral_to_admission_p90": 39.1,
    "awaiting_assessment_waiting": 1, "awaiting_decision_waiting": 0, "awaiting_admission_waiting": 0,
    "emergency_assessed": 0, "emergency_within": 0, "urgent_assessed": 2, "urgent_within": 2,
    "routine_assessed": 1, "routine_within": 1, "prison_admitted": 1, "prison_within_28": 0,
}
# Provider RHA (admitted to W1/W2): R03, R04, R05. r->a 10, 1, 0 -> median 1, p90 8.2; a->d 3, 2, 0 ->
#   median 2, p90 2.8; d->adm 3, 1, 1 -> median 1, p90 pos 1.8: 1 + 0.8 x 2 = 2.6; r->adm 16, 4, 1 ->
#   median 4, p90 4 + 0.8 x 12 = 13.6. Nothing waiting (not admitted = not under a provider).
RHA_P1 = {
    "received": 2,  # R04 03-01, R05 03-07 (R03 received 02-20)
    "referral_to_assessment_n": 3, "referral_to_assessment_median": 1.0, "referral_to_assessment_p90": 8.2,
    "assessment_to_decision_n": 3, "assessment_to_decision_median": 2.0, "assessment_to_decision_p90": 2.8,
    "decision_to_admission_n": 3, "decision_to_admission_median": 1.0, "decision_to_admission_p90": 2.6,
    "referral_to_admission_n": 3, "referral_to_admission_median": 4.0, "referral_to_admission_p90": 13.6,
    "awaiting_assessment_waiting": 0, "awaiting_decision_waiting": 0, "awaiting_admission_waiting": 0,
    "emergency_assessed": 0, "emergency_within": 0, "urgent_assessed": 2, "urgent_within": 2,
    "routine_assessed": 1, "routine_within": 1, "prison_admitted": 0, "prison_within_28": 0,
}


@pytest.mark.parametrize("level,code,expected", [("national", None, NATIONAL_P1),
                                                 ("collaborative", "IMPACT", IMPACT_P1),
                                                 ("provider", "RHA", RHA_P1)])
def test_stage_aggregates_match_hand_worked_answers(fixture_engine, level, code, expected):
    got = aggregates(fixture_engine, level, code)
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key] == approx(value, abs=1e-9), key


def test_stage_table_excludes_missing_dates_and_counts_them_as_waiting(fixture_engine):
    table = m.stage_table(aggregates(fixture_engine, "national", None)).set_index("stage_id")
    # R08 (assessed, no decision), R11 and R12 (accepted, not admitted), R09 (never assessed) never count
    # as zero days: the stages they have not finished have n 7 and 6, and they are waiting instead.
    assert table.loc["assessment_to_decision", ["n", "waiting"]].tolist() == [7, 1]
    assert table.loc["decision_to_admission", ["n", "waiting"]].tolist() == [6, 2]
    assert table.loc["referral_to_assessment", ["n", "waiting"]].tolist() == [8, 2]
    assert table.loc["referral_to_admission", ["n", "waiting"]].tolist() == [6, 5]  # all open referrals
    assert table["median"].tolist() == [5.0, 3.0, 2.0, 10.0]


def test_stage_figures_missing_everything_are_none_not_zero(fixture_engine):
    # Ward W4 (CAMHS) in 01..05 Mar: no referral was admitted there by then (R06 on 03-06).
    got = aggregates(fixture_engine, "ward", "W4", P2)
    assert got["referral_to_admission_n"] == 0 and got["referral_to_admission_median"] is None
    values = m.kpi_values(got)
    assert values["prison_transfer_within_28_days_pct"] == (None, 0, 0)
    assert values["median_referral_to_admission_days"] == (None, None, 0)


def test_targets_per_urgency(fixture_engine):
    table = m.target_table(aggregates(fixture_engine, "national", None), TARGETS).set_index("urgency")
    assert table.loc["Emergency", ["assessed", "within", "pct"]].tolist() == [2, 1, 50.0]
    assert table.loc["Urgent", ["assessed", "within", "pct"]].tolist() == [4, 3, 75.0]
    assert table.loc["Routine", ["assessed", "within", "pct"]].tolist() == [2, 1, 50.0]
    assert table.loc["All urgencies", ["assessed", "within", "pct"]].tolist() == [8, 5, 62.5]
    # A stricter urgent target of 1 day: R04 1 and R05 0 within, R08 7 and R12 8 not -> 2/4.
    with fixture_engine.connect() as conn:
        strict = q.stage_aggregates(conn, None, "national", None, *P1, TARGETS | {"urgent": 1})
    assert (strict["urgent_assessed"], strict["urgent_within"]) == (4, 2)


def test_prison_transfer_kpi(fixture_engine):
    # R01 21 days (within 28), R02 49 days: 1 of 2. NORTH: R01 only -> 1/1. IMPACT: R02 -> 0/1.
    assert m.kpi_values(aggregates(fixture_engine, "national", None))["prison_transfer_within_28_days_pct"] == (
        50.0, 1, 2)
    assert m.kpi_values(aggregates(fixture_engine, "collaborative", "NORTH"))[
        "prison_transfer_within_28_days_pct"] == (100.0, 1, 1)
    assert m.kpi_values(aggregates(fixture_engine, "collaborative", "IMPACT"))[
        "prison_transfer_within_28_days_pct"] == (0.0, 0, 1)


AGREEING_IDS = ["referrals_received", "median_referral_to_assessment_days", "median_assessment_to_decision_days",
                "median_referral_to_admission_days", "assessment_within_target_pct",
                "prison_transfer_within_28_days_pct", "open_referrals"]


@pytest.mark.parametrize("level,code,period", [
    ("national", None, P1), ("national", None, P2), ("region", "Y60", P1), ("region", "Y63", P1),
    ("collaborative", "IMPACT", P1), ("collaborative", "IMPACT", P2), ("collaborative", "NORTH", P1),
    ("collaborative", "CAMHS", P1), ("provider", "RHA", P1), ("provider", "NPR", P1), ("unit", "U3", P1),
    ("ward", "W1", P1), ("ward", "W3", P2)])
def test_stage_figures_agree_with_kpi_table(fixture_engine, level, code, period):
    mine = m.kpi_values(aggregates(fixture_engine, level, code, period))
    theirs = kpi_table(fixture_engine, level, code, *period, kpi_ids=AGREEING_IDS).set_index("kpi_id")
    for kpi_id in AGREEING_IDS:
        value, numerator, denominator = mine[kpi_id]
        row = theirs.loc[kpi_id]
        assert (value is None) == (row["value"] is None or pd.isna(row["value"])), kpi_id
        if value is not None:
            assert float(row["value"]) == approx(value), kpi_id
        assert (denominator or 0) == (0 if row["denominator"] is None or pd.isna(row["denominator"])
                                      else int(row["denominator"])), kpi_id


# ---- funnel ---------------------------------------------------------------------------------------------

def test_funnel_national(fixture_engine):
    # received R04 R05 R06 R08 R09 R10 R13 = 7; assessed 8 (above); accepted in period R03 R04 R05 R06 R11
    # R12 = 6; declined R07; withdrawn R09; admitted 6; waiting 5.
    with fixture_engine.connect() as conn:
        total = q.funnel(conn, None, "national", None, *P1)
        by_source = q.funnel(conn, None, "national", None, *P1, by="source").set_index("category")
    assert total.drop(columns="category").iloc[0].tolist() == [7, 8, 6, 1, 1, 6, 5]
    # prison: R10 received, R07 assessed and declined, R01 and R02 admitted, R10 waiting
    assert by_source.loc["prison"].tolist() == [1, 1, 0, 1, 0, 2, 1]
    # community: R05 R08 R13 received; R05 R08 R11 assessed; R05 R11 accepted; R05 admitted; R08 R11 R13 wait
    assert by_source.loc["community"].tolist() == [3, 3, 2, 0, 0, 1, 3]
    assert by_source.loc["court"].tolist() == [1, 0, 0, 0, 1, 0, 0]
    assert by_source.sum().tolist() == total.drop(columns="category").iloc[0].tolist()
    steps = m.funnel_steps(total, "none", "national")
    assert steps["shown"].tolist() == [7, 8, 6, 1, 1, 6, 5]


def test_funnel_by_urgency_and_security_level(fixture_engine):
    with fixture_engine.connect() as conn:
        urgency = q.funnel(conn, None, "collaborative", "IMPACT", *P1, by="urgency").set_index("category")
        level = q.funnel(conn, None, "collaborative", "IMPACT", *P1, by="security_level").set_index("category")
    # IMPACT urgent: R02 (admitted), R04 (recv, a, acc, adm), R05 (recv, a, acc, adm), R13 (recv, waiting)
    assert urgency.loc["urgent"].tolist() == [3, 2, 2, 0, 0, 3, 1]
    # routine: R03 (a, acc, adm), R09 (recv, withdrawn)
    assert urgency.loc["routine"].tolist() == [1, 1, 1, 0, 1, 1, 0]
    # medium: R04 only
    assert level.loc["medium"].tolist() == [1, 1, 1, 0, 0, 1, 0]


def test_funnel_breakdown_disclosed_mhsds():
    frame = pd.DataFrame({"category": ["prison", "community"], "received": [3, 12], "assessed": [0, 7],
                          "accepted": [0, 0], "declined": [0, 0], "withdrawn": [0, 0], "admitted": [6, 0],
                          "waiting": [5, 0]})
    shown, flags = m.funnel_breakdown(frame, "source", "mhsds", "collaborative")
    assert shown["category"].tolist() == ["Prison", "Community"]
    assert shown["received"].tolist() == [None, 10] and flags["received"].tolist() == [True, False]
    assert shown["admitted"].tolist() == [5, None]
    assert shown["assessed"].tolist() == [None, 5]


# ---- waiting list ---------------------------------------------------------------------------------------

def test_waiting_list_as_of_5_march(fixture_engine):
    # Open on 03-05 (received by then; undecided, or accepted and not admitted, as of 03-05), oldest first:
    #   R07 recv 02-01, assessed 03-05, decided 03-08 -> awaiting decision, 33 days; prison: 33 - 28 = 5 over
    #   R03 recv 02-20, accepted 03-04, admitted 03-07 -> awaiting admission, 14 days; no target set
    #   R12 recv 02-25, assessed 03-04 -> awaiting decision, 9 days; no target set
    #   R11 recv 02-28, accepted 03-04 -> awaiting admission, 6 days
    #   R08 recv 03-02, assessed 03-09 -> awaiting assessment, 3 days; urgent 7: 0 over
    #   R06 recv 03-03, assessed 03-06 -> awaiting assessment, 2 days; emergency 2: 0 over
    #   R09 recv 03-03, withdrawn 03-06 -> awaiting assessment, 2 days; routine 14: 0; disputed
    with fixture_engine.connect() as conn:
        rows = q.waiting_list(conn, None, "national", None, P2[1])
    table = m.waiting_with_targets(rows, TARGETS)
    assert table["referral_id"].tolist() == ["R07", "R03", "R12", "R11", "R08", "R06", "R09"]
    assert table["stage"].tolist() == ["awaiting_decision", "awaiting_admission", "awaiting_decision",
                                       "awaiting_admission", "awaiting_assessment", "awaiting_assessment",
                                       "awaiting_assessment"]
    assert table["age_days"].tolist() == [33, 14, 9, 6, 3, 2, 2]
    assert [None if pd.isna(v) else int(v) for v in table["days_over_target"]] == [5, None, None, None, 0, 0, 0]
    assert table["disputed"].tolist() == [False] * 6 + [True]
    # dates after the as-of date are not shown: R07 was decided on 03-08
    assert table.loc[0, "decision_date"] is None
    assert len(rows) == 7  # = open_referrals as of 03-05 (tests/expected_fixture.py)


def test_days_over_target_rules():
    rows = pd.DataFrame({"stage": ["awaiting_assessment", "awaiting_assessment", "awaiting_admission"],
                         "urgency": ["urgent", "emergency", "routine"], "source": ["community", "prison", "prison"],
                         "age_days": [10, 30, 20]})
    table = m.waiting_with_targets(rows, TARGETS)
    # 10 - 7 = 3; prison awaiting assessment: worst of 30 - 2 = 28 and 30 - 28 = 2; 20 - 28 < 0 -> 0
    assert table["days_over_target"].tolist() == [3, 28, 0]
    assert table["target"].iloc[1] == "Assessment 2 days (emergency); Prison transfer 28 days"


def test_waiting_summary_by_stage_and_band(fixture_engine):
    # As of 03-05: awaiting decision R07 33 (29-56), R12 9 (8-14); awaiting admission R03 14, R11 6;
    #   awaiting assessment R08 3, R06 2, R09 2 (0-7).
    with fixture_engine.connect() as conn:
        summary = q.waiting_summary(conn, None, "national", None, P2[1])
    bands = [b for b, _, _ in q.AGE_BANDS]
    shown, flags = m.waiting_pivot(summary, bands, "none", "national")
    shown = shown.set_index("Stage")
    assert shown.loc["Awaiting assessment", ["0–7 days", "Total"]].tolist() == [3, 3]
    assert shown.loc["Awaiting decision", ["8–14 days", "29–56 days", "Total"]].tolist() == [1, 1, 2]
    assert shown.loc["Accepted, awaiting admission", ["0–7 days", "8–14 days"]].tolist() == [1, 1]
    assert int(summary["disputed"].sum()) == 1
    hidden, hidden_flags = m.waiting_pivot(summary, bands, "mhsds", "collaborative")
    assert hidden_flags["Total"].all() and hidden["Total"].isna().all()


# ---- timeline ---------------------------------------------------------------------------------------------

def test_timeline_rows_capped_most_recent_first(fixture_engine):
    with fixture_engine.connect() as conn:
        rows = q.timeline(conn, None, "national", None, *P1, limit=5)
        every = q.timeline(conn, None, "national", None, *P1, limit=100)
        prison = q.timeline(conn, None, "national", None, *P1, limit=100, sources=("prison",))
    # open at some time in the period: all but R14 (closed 2022) = 13; newest received first
    assert rows["total"].iloc[0] == 13 and len(every) == 13
    assert rows["referral_id"].tolist() == ["R13", "R10", "R05", "R09", "R06"]
    assert sorted(prison["referral_id"]) == ["R01", "R02", "R07", "R10"]


def test_timeline_hides_dates_after_the_end_and_segments_stages(fixture_engine):
    with fixture_engine.connect() as conn:
        rows = q.timeline(conn, None, "national", None, *P2, limit=100).set_index("referral_id")
    # R03: admitted 03-07, after 03-05 -> accepted, awaiting admission as of 03-05
    assert rows.loc["R03", "admission_date"] is None and rows.loc["R03", "outcome"] == "awaiting_admission"
    # R05 received 03-07: not yet received by 03-05; R13 likewise
    assert "R05" not in rows.index and "R13" not in rows.index
    segments = m.timeline_segments(rows.reset_index(), P2[1]).set_index(["referral_id", "stage"])
    # R01: 5 / 5 / 11 days; R03: 10 / 3 then still waiting 03-04 -> 03-05 (1 day); R09 not assessed
    assert segments.loc[("R01", "Referral to assessment"), "days"] == 5
    assert segments.loc[("R01", "Assessment to decision"), "days"] == 5
    assert segments.loc[("R01", "Decision to admission"), "days"] == 11
    assert segments.loc[("R03", "Still waiting"), "days"] == 1
    assert segments.loc[("R09", "Still waiting"), "days"] == 2
    assert segments.loc[("R01", "Referral to assessment"), "total_days"] == 21


def test_outcome_bands(fixture_engine):
    # 01..10 Mar: admitted R05 1, R06 3, R04 4 (0-7), R03 16, R01 21 (15-28), R02 49 (29-56); declined R07
    #   36 (29-56); withdrawn R09 3; awaiting assessment R10 2, R13 1; awaiting decision R08 8;
    #   awaiting admission R11 11, R12 14 (8-14).
    with fixture_engine.connect() as conn:
        bands = q.outcome_bands(conn, None, "national", None, *P1)
    got = {(o, b): n for o, b, n in bands.itertuples(index=False)}
    assert got == {("admitted", "0–7 days"): 3, ("admitted", "15–28 days"): 2, ("admitted", "29–56 days"): 1,
                   ("declined", "29–56 days"): 1, ("withdrawn", "0–7 days"): 1,
                   ("awaiting_assessment", "0–7 days"): 2, ("awaiting_decision", "8–14 days"): 1,
                   ("awaiting_admission", "8–14 days"): 2}


# ---- access ------------------------------------------------------------------------------------------------

CRG = Viewer("crg member", "crg", ("collaborative:IMPACT",))
LEAD = Viewer("lead", "lead_provider", ("collaborative:IMPACT",), rule="none")


def test_patient_level_rows_need_patient_level_access(fixture_engine):
    with fixture_engine.connect() as conn:
        with pytest.raises(AccessDenied):
            q.timeline(conn, CRG, "collaborative", "IMPACT", *P1, limit=10)
        with pytest.raises(AccessDenied):
            q.waiting_list(conn, CRG, "collaborative", "IMPACT", P1[1])
        with pytest.raises(AccessDenied):  # national: aggregates only, whoever asks
            q.waiting_list(conn, LEAD, "national", None, P1[1])
        assert len(q.waiting_list(conn, LEAD, "collaborative", "IMPACT", P1[1])) == 1  # R13
        # aggregates are fine for the CRG in its own collaborative, refused elsewhere
        assert q.waiting_summary(conn, CRG, "collaborative", "IMPACT", P1[1])["referrals"].sum() == 1
        with pytest.raises(AccessDenied):
            q.stage_aggregates(conn, CRG, "collaborative", "NORTH", *P1)
        with pytest.raises(AccessDenied):
            q.funnel(conn, LEAD, "region", "Y63", *P1)


# ---- trend (SPC) -------------------------------------------------------------------------------------------

def _more_referrals(engine):
    """The fixture plus seven IMPACT referrals admitted to W1 between Oct 2023 and Feb 2024."""
    build_fixture(engine)
    from data_access.schema import referral

    def row(rid, received, admitted):
        return {"referral_id": rid, "patient_id": "P03", "collaborative_id": "IMPACT", "service_line": "adult_secure",
                "security_level": "low", "source": "community", "urgency": "routine", "received_date": received,
                "assessment_date": None, "decision": None, "decision_date": None, "admission_date": admitted,
                "admitted_ward_code": "W1", "disputed": False}

    d = dt.date
    rows = [row("X01", d(2023, 9, 20), d(2023, 10, 10)),  # 20 days
            row("X02", d(2023, 10, 1), d(2023, 10, 31)),  # 30
            row("X03", d(2023, 11, 1), d(2023, 11, 15)),  # 14
            row("X04", d(2024, 1, 1), d(2024, 1, 9)),  # 8
            row("X05", d(2024, 1, 2), d(2024, 1, 20)),  # 18
            row("X06", d(2023, 12, 1), d(2024, 1, 31)),  # 30 + 31 = 61
            row("X07", d(2024, 2, 1), d(2024, 2, 11))]  # 10
    with engine.begin() as conn:
        conn.execute(sa.insert(referral), rows)


@pytest.fixture(scope="module", params=ENGINES)
def trend_engine(request, tmp_path_factory):
    engine, cleanup = empty_database(request.param, tmp_path_factory.mktemp("trend"))
    _more_referrals(engine)
    yield engine
    cleanup()


def test_monthly_medians_and_xmr(trend_engine):
    # IMPACT by month of admission: Oct 2023 20, 30 -> 25; Nov 14; Dec none; Jan 2024 8, 18, 61 -> 18;
    #   Feb 10; Mar (01..10) R02 49, R03 16, R04 4, R05 1 -> 10.
    months = m.month_starts(P1[1])
    assert len(months) == 24 and months[0] == dt.date(2022, 4, 1) and months[-1] == dt.date(2024, 3, 1)
    with trend_engine.connect() as conn:
        monthly = q.monthly_admission_medians(conn, None, "collaborative", "IMPACT", months[0], P1[1])
    assert monthly["month"].tolist() == [dt.date(2023, 10, 1), dt.date(2023, 11, 1), dt.date(2024, 1, 1),
                                         dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
    assert monthly["admitted"].tolist() == [2, 1, 3, 1, 4]
    assert monthly["median"].tolist() == [25.0, 14.0, 18.0, 10.0, 10.0]
    frame = m.trend(monthly, months, "none", "collaborative")
    points = frame[frame["value"].notna()]
    assert points["value"].tolist() == [25.0, 14.0, 18.0, 10.0, 10.0]
    assert frame["value"].isna().sum() == 19  # the other months are gaps, not zeros
    # XmR over the 5 points: mean 77 / 5 = 15.4; moving ranges 11, 4, 8, 0 -> mean 5.75;
    #   limits 15.4 +- 2.66 x 5.75 = 15.295 -> 0.105 and 30.695 (trial limits: fewer than 12 points)
    assert points["mean"].iloc[0] == approx(15.4)
    assert points["upper"].iloc[0] == approx(30.695) and points["lower"].iloc[0] == approx(0.105)
    assert points["moving_range"].tolist()[1:] == [11.0, 4.0, 8.0, 0.0]
    assert bool(points["trial"].all()) and not points["special_cause"].any()
    # HES rule: medians over 1-7 admissions are suppressed -> every month is a gap
    hes = m.trend(monthly, months, "hes", "collaborative")
    assert hes["value"].isna().all() and int(hes["suppressed"].sum()) == 5


# ---- the page (AppTest) -------------------------------------------------------------------------------------

PAGE = "app_pages/referrals.py"
PERIOD = {"from": "2024-03-01", "to": "2024-03-10"}


@pytest.fixture(scope="module")
def page_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("referrals_page") / "fixture.duckdb", build_fixture)


def _stage_median(at, stage="Referral to admission"):
    for frame in at.dataframe:
        table = frame.value
        if "Stage" in table.columns and "Median days" in table.columns:
            return float(table.set_index("Stage").loc[stage, "Median days"])
    raise AssertionError("no stage table on the page")


def _text(at) -> str:
    parts = [e.value for e in [*at.markdown, *at.caption, *at.info, *at.title, *at.subheader]]
    parts += [f"{mt.label} {mt.value}" for mt in at.metric]
    parts += [frame.value.to_string() for frame in at.dataframe]
    return "\n".join(str(p) for p in parts)


# Median days referral to admission, 01..10 Mar: national 10; region Y60 (IMPACT and CAMHS referrals)
#   R02 49, R03 16, R04 4, R05 1, R06 3 -> 4; IMPACT 10; provider RHA and unit U1 (W1, W2) R03 16, R04 4,
#   R05 1 -> 4; ward W1 R03 16, R05 1 -> 8.5.
@pytest.mark.parametrize("role,home,scope,median", [
    ("national", "national", "national", 10.0), ("national", "national", "region:Y60", 4.0),
    ("lead_provider", "collaborative:IMPACT", "collaborative:IMPACT", 10.0),
    ("lead_provider", "collaborative:IMPACT", "provider:RHA", 4.0),
    ("lead_provider", "collaborative:IMPACT", "unit:U1", 4.0),
    ("lead_provider", "collaborative:IMPACT", "ward:W1", 8.5)])
def test_page_shows_known_median_at_every_level(monkeypatch, page_url, role, home, scope, median):
    monkeypatch.setenv("PCD_LOCAL_ROLE", role)
    monkeypatch.setenv("PCD_LOCAL_SCOPE", home)
    at = run_app(monkeypatch, page_url, PAGE, scope=scope, **PERIOD)
    assert not at.exception and errors(at) == []
    assert _stage_median(at) == median
    label = "Median days referral to admission"
    assert [mt.value for mt in at.metric if mt.label == label] == [f"{median:.0f} days"]


def test_page_lead_provider_sees_patient_level_rows(monkeypatch, page_url):
    monkeypatch.setenv("PCD_LOCAL_ROLE", "lead_provider")
    monkeypatch.setenv("PCD_LOCAL_SCOPE", "collaborative:IMPACT")
    at = run_app(monkeypatch, page_url, PAGE, scope="collaborative:IMPACT", **PERIOD)
    text = _text(at)
    assert "R13" in text  # the one IMPACT referral waiting on 10 Mar
    assert "All 6 referrals open at some time in the period" in text  # R02 R03 R04 R05 R09 R13
    metrics = {mt.label: mt.value for mt in at.metric}
    assert metrics["Prison transfers within 28 days"] == "0.0%" and metrics["Referrals waiting"] == "1"
    assert len(at.get("download_button")) == 1


@pytest.mark.parametrize("role", ["crg", "viewer"])
def test_page_aggregate_roles_see_no_referral_ids(monkeypatch, page_url, role):
    monkeypatch.setenv("PCD_LOCAL_ROLE", role)
    monkeypatch.setenv("PCD_LOCAL_SCOPE", "collaborative:IMPACT")
    at = run_app(monkeypatch, page_url, PAGE, scope="collaborative:IMPACT", **PERIOD)
    assert not at.exception and errors(at) == []
    text = _text(at)
    for rid in [f"R{i:02d}" for i in range(1, 15)]:
        assert rid not in text
    assert "Your role shows aggregates here" in text
    # mhsds below national: 4 referrals received -> suppressed
    assert {mt.label: mt.value for mt in at.metric}["Referrals received"] == "*"


def test_page_outside_the_role_says_so(monkeypatch, page_url):
    monkeypatch.setenv("PCD_LOCAL_ROLE", "crg")
    monkeypatch.setenv("PCD_LOCAL_SCOPE", "collaborative:IMPACT")
    at = run_app(monkeypatch, page_url, PAGE, scope="collaborative:NORTH", **PERIOD)
    assert not at.exception and errors(at) == []
    # The app shell may already send the viewer back to its home (with a warning); otherwise the page says so.
    refused = any("outside what your role covers" in i.value for i in at.info)
    assert refused or not any("North East" in t.value for t in at.title)
    assert "North East" not in _text(at) or refused
