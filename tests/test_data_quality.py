"""Data quality: hand-worked completeness, timeliness, score and reconciliation on the fixture (both engines),
the feeds' months from hand-made submissions, provisional months, and the page (AppTest).

IMPACT, 1-10 March 2024: providers NQ1 (W3) and RHA (W1, W2).
- People with a ward stay on IMPACT's wards in the period: RHA P01, P03, P04, P05, P07 (5, all ethnic group
  stated); NQ1 P06, P07 (2).
- Discharges in the period: RHA S04a (community, no ready date) -> destination 1/1, ready date 0/1; NQ1 S06
  (step down, ready 20 Feb) and S07a (other hospital, no ready date) -> 2/2 and 1/2.
- Referrals received in the period (referral_filter IMPACT): R04, R05 (admitted by RHA), R09, R13 (no ward:
  IMPACT's lead, RHA) -> RHA 4, security level 4/4.
- Restrictive interventions on IMPACT's wards: RI4 (W1), RI5 (W2, 23:59:59 on the 10th) -> RHA 2.
- Bed state: open ward-days RHA 2 x 10 = 20, reported W1 on 2, 3, 5, 10 March and W2 on 1, 8 March = 6;
  NQ1 W3 open 1-5 March (closes on the 6th) = 5, reported 4, 5 March = 2 -> both late.
- Score RHA: completeness 100, 100, 0, 100, 100 and validity 100 x 7 = 1,100 / 12 = 91.67; NQ1: completeness
  100, 100, 50, 100 and validity 100 x 4 = 750 / 8 = 93.75 (no referrals or interventions: items left out).
- Reconciliation: W1 on 2 March reported 3 (20:00 report) against a census of 2 (WS04a, WS05) = +1;
  W3 on 4 March reported 2 against 1 (WS07a; WS06 ended on the 4th) = +1; every other day 0.
"""

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from data_access import data_quality as q
from data_access.schema import extract_submission
from metrics import data_quality as dq
from tests.apptest import errors, run_app
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture

START, END = dt.date(2024, 3, 1), dt.date(2024, 3, 10)


@pytest.fixture(scope="module")
def impact(fixture_engine):
    with fixture_engine.connect() as conn:
        frames = q.report_frames(conn, None, "collaborative", "IMPACT", START, END)
    return dq.report(frames, START, END, 28, END)


def test_completeness_and_validity_hand_worked(impact):
    table = impact["completeness"].set_index(["provider_code", "field"])
    assert table.loc[("RHA", "ethnic_group"), ["complete", "records"]].tolist() == [5, 5]
    assert table.loc[("NQ1", "ethnic_group"), ["complete", "records"]].tolist() == [2, 2]
    assert table.loc[("RHA", "clinically_ready_date"), "complete_pct"] == 0.0
    assert table.loc[("NQ1", "clinically_ready_date"), "complete_pct"] == 50.0
    assert table.loc[("NQ1", "discharge_destination"), ["complete", "valid", "records"]].tolist() == [2, 2, 2]
    assert table.loc[("RHA", "security_level"), ["complete", "valid", "records"]].tolist() == [4, 4, 4]
    assert table.loc[("RHA", "restrictive_intervention_type"), "records"] == 2
    assert ("NQ1", "security_level") not in table.index


def test_score_hand_worked(impact):
    scores = impact["scores"].set_index("provider_code")
    assert scores.loc["RHA", "score"] == pytest.approx(1100 / 12)
    assert scores.loc["RHA", "items"] == 12
    assert scores.loc["NQ1", "score"] == pytest.approx(93.75)


def test_timeliness_hand_worked(impact):
    feeds = impact["feeds"].set_index(["feed", "provider_code"])
    assert feeds.loc[("bed_state", "RHA"), "late"] == 1 and feeds.loc[("bed_state", "NQ1"), "late"] == 1
    # no extract submissions in the fixture; March is not due until 28 April
    assert feeds.loc[("extract", "RHA"), "not_due"] == 1 and feeds.loc[("extract", "RHA"), "missing"] == 0
    assert feeds.loc[("incidents", "NQ1"), "untimed"] == 1  # I2 on W3, loaded without an extract
    assert feeds.loc[("finance", "RHA"), "not_due"] == 1  # March not closed
    assert pd.Timestamp(feeds.loc[("bed_state", "RHA"), "last"]) == pd.Timestamp(2024, 3, 11, 8)


def test_extract_months_on_time_late_missing(fixture_engine):
    """Hand-made submissions: RHA January on time (due 28 Feb), NQ1 January late; February due 28 March."""
    rows = [("RHA", dt.date(2024, 1, 1), dt.datetime(2024, 2, 20, 9)),
            ("NQ1", dt.date(2024, 1, 1), dt.datetime(2024, 3, 2, 9))]
    with fixture_engine.begin() as conn:
        for prov, month, at in rows:
            conn.execute(sa.insert(extract_submission).values(provider_code=prov, month_start=month, first_loaded_at=at,
                                                              loaded_at=at, load_id="test", rows=1))
    try:
        with fixture_engine.connect() as conn:
            found = q.feed_months(conn, "collaborative", "IMPACT", dt.date(2024, 1, 1), dt.date(2024, 2, 29))
            coverage = q.bed_state_coverage(conn, "collaborative", "IMPACT", dt.date(2024, 1, 1), dt.date(2024, 2, 29))
        statuses = dq.timeliness(found, coverage, ["NQ1", "RHA"], dq.months(dt.date(2024, 1, 1), dt.date(2024, 2, 29)),
                                 28, dt.date(2024, 4, 30))
        extract = statuses[statuses["feed"] == "extract"].set_index(["provider_code", "month_start"])["status"]
        assert extract.to_dict() == {("NQ1", dt.date(2024, 1, 1)): "late", ("NQ1", dt.date(2024, 2, 1)): "missing",
                                     ("RHA", dt.date(2024, 1, 1)): "on_time", ("RHA", dt.date(2024, 2, 1)): "missing"}
        beds = statuses[statuses["feed"] == "bed_state"]
        assert set(beds["status"]) == {"missing"}  # no bed state in January or February
    finally:
        with fixture_engine.begin() as conn:
            conn.execute(sa.delete(extract_submission))


def test_reconciliation_hand_worked(impact):
    rec = impact["reconciliation"]
    top = rec[["ward_code", "day", "reported", "census", "difference"]].values.tolist()
    assert [[w, pd.Timestamp(d).date(), r, c, x] for w, d, r, c, x in top] == [
        ["W1", dt.date(2024, 3, 2), 3, 2, 1], ["W3", dt.date(2024, 3, 4), 2, 1, 1]]  # the days that agree left out
    assert impact["reported_days"] == 8  # W1 4, W2 2, W3 2 reported ward-days


def test_complete_to():
    assert dq.complete_to(dt.date(2024, 3, 10), 28) == dt.date(2024, 1, 31)
    assert dq.complete_to(dt.date(2024, 3, 28), 28) == dt.date(2024, 2, 29)
    assert dq.complete_to(dt.date(2026, 11, 30), 28) == dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("dq") / "fixture.duckdb", build_fixture)


def test_page_shows_the_hand_worked_figures(monkeypatch, app_url):
    monkeypatch.setenv("PCD_LOCAL_ROLE", "lead_provider")
    monkeypatch.setenv("PCD_LOCAL_SCOPE", "collaborative:IMPACT")
    at = run_app(monkeypatch, app_url, "app_pages/data_quality.py", scope="collaborative:IMPACT",
                 **{"from": "2024-03-01", "to": "2024-03-10"})
    assert not at.exception and errors(at) == []
    frames = [d.value for d in at.dataframe]
    fields = frames[1].set_index(["Provider", "Field"])
    rha = "Nottinghamshire Healthcare NHS Foundation Trust (RHA)"
    nq1 = "St Andrew's Healthcare (NQ1)"
    assert fields.loc[(nq1, "Clinically ready for discharge date"), "Complete"] == "50.0%"
    assert fields.loc[(rha, "Ethnic group"), ["Records", "Complete", "Valid"]].tolist() == ["5", "100.0%", "100.0%"]
    scores = frames[2].set_index("Provider")["Score"].to_dict()
    assert scores == {nq1: "93.8", rha: "91.7"}
    feeds = frames[0].set_index(["Provider", "Feed"])
    assert feeds.loc[(rha, "Bed state"), "Late"] == 1
    assert feeds.loc[(rha, "Monthly extract (MHSDS)"), "Not yet due"] == 1
    assert frames[3]["Difference"].tolist()[:2] == ["+1", "+1"]


def test_page_says_when_every_reported_day_matched_the_census(monkeypatch, app_url):
    """5-10 March: W1 reported on the 5th and 10th, W2 on the 8th, W3 on the 5th, each equal to its census."""
    monkeypatch.setenv("PCD_LOCAL_ROLE", "lead_provider")
    monkeypatch.setenv("PCD_LOCAL_SCOPE", "collaborative:IMPACT")
    at = run_app(monkeypatch, app_url, "app_pages/data_quality.py", scope="collaborative:IMPACT",
                 **{"from": "2024-03-05", "to": "2024-03-10"})
    assert not at.exception and errors(at) == []
    assert [s.value for s in at.success] == [
        "Every reported ward-day matched the census (4 ward-days with a report)."]
    assert len(at.dataframe) == 3  # feeds, completeness, scores: no reconciliation table
