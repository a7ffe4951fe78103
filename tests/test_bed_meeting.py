"""The bed meeting (issue 15): free beds by gender × security level × specialism, people waiting, patients ready
for discharge and the occupancy projection, hand-worked on the fixture (DuckDB and PostgreSQL), and the page
(AppTest, also in meeting mode).

Free beds on 10 March (latest report before 11 March, max(commissioned − occupied − closed, 0) per open ward;
W3 closed on 03-06):
  W1 male low mi 4−3−0 = 1 · W2 female medium wems 3−2−1 = 0 · W4 mixed general general 3−2−0 = 1
  W5 male medium mi 5−2−0 = 3 (surge bed) · W6 female low mi 3−1−0 = 2 · W7 female medium mi 2−1−2 < 0 → 0
"""

import datetime as dt

import pandas as pd
import pytest

from data_access import bed_meeting as dm
from data_access import beds
from data_access.access import AccessDenied, Viewer
from metrics import bed_meeting as bmm
from metrics import beds as mb
from tests.apptest import errors, run_app
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture

D, T = dt.date, dt.datetime
END = D(2024, 3, 10)
BOUND = T(2024, 3, 11)


def _read(engine, fn, *args):
    with engine.connect() as conn:
        return fn(conn, *args)


def _wards(engine, level="national", code=None):
    return _read(engine, beds.ward_bed_state, None, level, code, END, BOUND)


def test_free_beds_by_gender_and_security_level_hand_worked(fixture_engine):
    table = mb.free_beds_by(_wards(fixture_engine), "none", "national", ("gender", "security_level"))
    got = {(r.gender, r.security_level): r.free_beds for r in table.itertuples()}
    assert got == {("female", "low"): 2, ("female", "medium"): 0, ("male", "low"): 1, ("male", "medium"): 3,
                   ("mixed", "general"): 1}
    # open beds (commissioned − closed of the latest report): women's medium W2 3−1 + W7 2−2 = 2
    assert table.set_index(["gender", "security_level"]).loc[("female", "medium"), "open_beds"] == 2


def test_free_beds_by_gender_security_level_and_specialism(fixture_engine):
    table = mb.free_beds_by(_wards(fixture_engine), "none", "national")
    got = {(r.gender, r.security_level, r.specialism): r.free_beds for r in table.itertuples()}
    assert got == {("female", "low", "mi"): 2, ("female", "medium", "mi"): 0, ("female", "medium", "wems"): 0,
                   ("male", "low", "mi"): 1, ("male", "medium", "mi"): 3, ("mixed", "general", "general"): 1}
    # below national level the MHSDS rule suppresses every one of these (all under 5)
    impact = mb.free_beds_by(_wards(fixture_engine, "collaborative", "IMPACT"), "mhsds", "collaborative")
    assert impact["suppressed"].all() and impact["free_beds"].isna().all()


def test_one_free_bed_rule_for_map_meeting_and_finder(fixture_engine):
    """The placement finder's free beds are the map's and the meeting's (data_access.beds.free_beds)."""
    wards = _wards(fixture_engine).set_index("ward_code")["available"]
    found = _read(fixture_engine, beds.placement_candidates, None, "national", None, "L3", "adult_secure", "medium",
                  "male", END, BOUND)
    assert found.set_index("ward_code")["free_beds"].to_dict() == {"W5": 3}
    assert wards["W5"] == 3 and wards["W7"] == 0  # W7 (2 − 1 − 2) is never offered and counts 0, not −1


@pytest.mark.parametrize("free,band", [(None, "no_report"), (0, "none"), (1, "one_two"), (2, "one_two"),
                                       (3, "three_plus"), (12, "three_plus")])
def test_free_bands(free, band):
    assert mb.free_band(free) == band
    assert mb.free_band(free, suppressed=True) == "suppressed"


def test_flow_and_projection_hand_worked(fixture_engine):
    # IMPACT's wards (W1, W2, W3) over (17 Dec 2023, 10 Mar 2024]: stays started WS01c, WS03b, WS04b, WS07a,
    # WS07b = 5; ended WS04a, WS06, WS07a = 3; in a bed on 10 March WS01c, WS03b, WS04b, WS05, WS07b = 5 (and 3 on
    # 17 Dec: WS04a, WS05, WS06, so 5 − 3 = arrivals − departures); open beds W1 4 + W2 3 = 7
    flow = _read(fixture_engine, dm.flow, None, "collaborative", "IMPACT", END, 12)
    assert {k: flow[k] for k in ("occupied", "arrivals", "departures", "beds")} == \
        {"occupied": 5, "arrivals": 5, "departures": 3, "beds": 7}
    projected = bmm.projection(flow).set_index("weeks_ahead")
    # 5 + w × 2/12, capped at 7 beds
    assert projected["occupied"].tolist() == pytest.approx([5, 5 + 8 / 12, 5 + 16 / 12, 7])
    assert projected["occupancy_pct"].tolist() == pytest.approx([500 / 7, (5 + 8 / 12) / 7 * 100,
                                                                 (5 + 16 / 12) / 7 * 100, 100.0])
    # NORTH: W5, W6, W7; started WS03a (1 Feb), WS08, WS10 = 3; ended WS01b (31 Dec), WS03a, WS09 = 3: flat at 4 of 9
    north = _read(fixture_engine, dm.flow, None, "collaborative", "NORTH", END, 12)
    assert (north["occupied"], north["arrivals"], north["departures"], north["beds"]) == (4, 3, 3, 9)
    assert bmm.projection(north)["occupancy_pct"].tolist() == pytest.approx([400 / 9] * 4)


def test_projection_is_disclosed(fixture_engine):
    flow = _read(fixture_engine, dm.flow, None, "collaborative", "IMPACT", END, 12)
    shown = bmm.disclosed_projection(bmm.projection(flow), flow, "mhsds", "collaborative")
    # 5 in a bed now: rounded to 5; the % has numerator 5 and 7 beds, both 5 or more: shown
    assert shown["occupied"].tolist() == [5, 5, 5, 5] and not shown["suppressed"].any()
    north = _read(fixture_engine, dm.flow, None, "collaborative", "NORTH", END, 12)
    shown = bmm.disclosed_projection(bmm.projection(north), north, "mhsds", "collaborative")
    assert shown["suppressed"].all() and shown["occupancy_pct"].isna().all()  # 4 in a bed: under 5


def test_waiting_for_a_bed_hand_worked(fixture_engine):
    # accepted and not admitted on 10 March: R11 (CAMHS, accepted 03-04: 6 days, emergency, general, P14 male)
    # and R12 (NORTH, accepted 03-09: 1 day, urgent, low, P13 male)
    rows = _read(fixture_engine, dm.waiting_rows, None, "national", None, END)
    assert rows[["referral_id", "days_waiting", "urgency", "security_level", "gender"]].values.tolist() == [
        ["R11", 6, "emergency", "general", "male"], ["R12", 1, "urgent", "low", "male"]]
    counts = _read(fixture_engine, dm.waiting_counts, None, "collaborative", "NORTH", END)
    assert counts.values.tolist() == [["low", "male", "urgent", 1]]
    assert _read(fixture_engine, dm.waiting_counts, None, "collaborative", "IMPACT", END).empty
    assert bmm.waiting_table(counts, "mhsds", "collaborative")["suppressed"].all()


def test_ready_for_discharge_hand_worked(fixture_engine):
    # in a bed on 10 March and ready: S05 (P05 on W1, ready 03-06: 4 days); S09 and S06 were discharged
    rows = _read(fixture_engine, dm.ready_rows, None, "collaborative", "IMPACT", END)
    assert rows[["spell_id", "ward_code", "days_ready"]].values.tolist() == [["S05", "W1", 4]]
    counts = _read(fixture_engine, dm.ready_counts, None, "national", None, END)
    assert counts.values.tolist() == [["low", "male", 1, 4, 4]]
    table = bmm.ready_table(counts, "none", "national")
    assert table[["ready", "mean_days", "days_longest"]].values.tolist() == [[1, 4.0, 4]]


def test_patient_rows_need_patient_level_access(fixture_engine):
    crg = Viewer("c", "crg", ("collaborative:NORTH",))
    with pytest.raises(AccessDenied):
        _read(fixture_engine, dm.waiting_rows, crg, "collaborative", "NORTH", END)
    with pytest.raises(AccessDenied):
        _read(fixture_engine, dm.ready_rows, crg, "collaborative", "NORTH", END)
    assert _read(fixture_engine, dm.waiting_counts, crg, "collaborative", "NORTH", END)["waiting"].sum() == 1


# ---------------------------------------------------------------- the page (AppTest)

@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("bed_meeting") / "fixture.duckdb", build_fixture)


PERIOD = {"from": "2024-03-01", "to": "2024-03-09"}  # ends before the last day: bed state as of 9 March


def _tables(at) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def test_page_shows_the_hand_worked_figures(monkeypatch, fixture_url):
    at = run_app(monkeypatch, fixture_url, "app_pages/bed_meeting.py", scope="collaborative:IMPACT", **PERIOD)
    assert not at.exception and errors(at) == []
    shown = {m.label: m.value for m in at.metric}
    # reports before 10 March: W1 4 − 2 − 0 = 2 (5 March), W2 3 − 2 − 1 = 0 (8 March); lead provider: exact
    assert shown["Beds available now"] == "2"
    assert shown["Expected admissions"] == "0"
    assert shown["Expected discharges"] == "1"
    assert shown["Open beds now"] == "7"
    tables = _tables(at)
    by_two = next(t for t in tables if list(t.columns[:2]) == ["Gender", "Security level"]
                  and "Specialism" not in t.columns)
    assert by_two.set_index(["Gender", "Security level"])["Free beds"].to_dict() == {
        ("Men", "Low secure"): 2, ("Women", "Medium secure"): 0}
    ready = next(t for t in tables if "Days since ready" in t.columns)  # lead provider: patient rows
    assert ready["Spell"].tolist() == ["S05"] and ready["Days since ready"].tolist() == [3]  # 6 to 9 March
    assert any("Projection: beds occupied now" in c.value for c in at.caption)
    assert at.get("deck_gl_json_chart")


def test_meeting_mode_shows_one_section_and_no_patient_rows(monkeypatch, fixture_url):
    at = run_app(monkeypatch, fixture_url, "app_pages/bed_meeting.py", scope="collaborative:IMPACT", meeting="1",
                 step="3", **PERIOD)
    assert not at.exception and errors(at) == []
    assert [s.value for s in at.subheader] == ["Clinically ready for discharge"]
    assert not any("Spell" in t.columns for t in _tables(at))  # counts only when projected


def test_meeting_mode_free_beds_follow_the_audiences_rule(monkeypatch, fixture_url):
    at = run_app(monkeypatch, fixture_url, "app_pages/bed_meeting.py", scope="collaborative:IMPACT", meeting="1",
                 step="1", **PERIOD)
    assert not at.exception and errors(at) == []
    assert [s.value for s in at.subheader] == ["Free beds now"]
    by_two = next(t for t in _tables(at) if "Free beds" in t.columns and "Specialism" not in t.columns)
    assert (by_two["Free beds"] == "*").all()  # 2 and 0 free: under 5, suppressed for the room
    assert {m.label: m.value for m in at.metric}["Beds available now"] == "*"
