"""Live bed state from providers: checks, writing, audit (DuckDB and PostgreSQL) and the page (AppTest).

The fixture's RHA runs W1 (4 commissioned beds) and W2 (3); W5 belongs to RX4.
"""

import datetime as dt

import pytest
import sqlalchemy as sa

from data_access import bed_state_submit as submit
from data_access.access import AccessDenied, Viewer
from data_access.schema import audit_log, bed_state, load_log
from tests.apptest import errors, run_app
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture

RHA = Viewer("nurse@rha", "provider", ("provider:RHA",))


def _row(ward="W1", occupied=2, available=1, closed=1, reason="ligature works", on_leave=1):
    return {"ward_code": ward, "occupied": occupied, "available": available, "closed": closed,
            "closed_reason": reason, "on_leave": on_leave}


def _count(engine, table):
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


@pytest.fixture
def engine(empty_engine):
    build_fixture(empty_engine)
    return empty_engine


def test_own_wards_only(engine):
    with engine.connect() as conn:
        wards = submit.own_wards(conn, RHA)
        none = submit.own_wards(conn, Viewer("lead", "lead_provider", ("collaborative:IMPACT",)))
    assert list(wards["ward_code"]) == ["W1", "W2"] or sorted(wards["ward_code"]) == ["W1", "W2"]
    assert none.empty


def test_valid_submission_lands_with_its_time_and_is_audited(engine):
    ok, message, problems = submit.submit(engine, RHA, [_row(), _row("W2", 3, 0, 0, "", 0)], "form")
    assert ok and problems == [] and "2 ward(s)" in message
    with engine.connect() as conn:
        rows = conn.execute(sa.select(bed_state.c.ward_code, bed_state.c.commissioned_beds, bed_state.c.occupied,
                                      bed_state.c.on_leave, bed_state.c.closed, bed_state.c.reported_by,
                                      bed_state.c.closed_reason)
                            .where(bed_state.c.reported_by == "nurse@rha").order_by(bed_state.c.ward_code)).all()
        log = conn.execute(sa.select(load_log.c.feed, load_log.c.rows).where(load_log.c.source == "submission: form")
                           ).all()
        audited = conn.execute(sa.select(audit_log.c.action, audit_log.c.target)).all()
    assert [tuple(r) for r in rows] == [("W1", 4, 2, 1, 1, "nurse@rha", "ligature works"),
                                        ("W2", 3, 3, 0, 0, "nurse@rha", None)]
    assert log == [("bed_state", 2)]
    assert audited == [("import", "Bed state submission @ provider:RHA")]


@pytest.mark.parametrize("row,column,words", [
    (_row(occupied=3, available=1, closed=1), "occupied", "more than the 4 commissioned beds"),
    (_row(ward="W5"), "ward_code", "not one of your wards"),
    (_row(occupied=-1), "occupied", "whole number of 0 or more"),
    (_row(on_leave=3), "on_leave", "more patients on leave"),
    (_row(reason=""), "closed_reason", "give a reason"),
    (_row(occupied="two"), "occupied", "whole number"),
], ids=["over capacity", "someone else's ward", "negative", "leave over occupied", "no reason", "not a number"])
def test_invalid_submission_changes_nothing(engine, row, column, words):
    before = _count(engine, bed_state)
    ok, message, problems = submit.submit(engine, RHA, [row])
    assert not ok and "Nothing was saved" in message
    assert any(p.column == column and words in p.message for p in problems)
    assert _count(engine, bed_state) == before


def test_role_without_the_right_is_refused_and_audited(engine):
    before = _count(engine, bed_state)
    with pytest.raises(AccessDenied):
        submit.submit(engine, Viewer("c", "commissioner", ("region:Y60",)), [_row()])
    assert _count(engine, bed_state) == before
    with engine.connect() as conn:
        assert conn.execute(sa.select(audit_log.c.action)).scalars().all() == ["denied"]


def test_upload_reads_csv_and_refuses_bad_files():
    data = b"ward_code,occupied,available,closed,closed_reason,on_leave\nW1,2,2,0,,0\n"
    assert submit.read_upload(data, "beds.csv", 10_000) == [
        {"ward_code": "W1", "occupied": "2", "available": "2", "closed": "0", "closed_reason": "", "on_leave": "0"}]
    with pytest.raises(ValueError, match="no column on_leave"):
        submit.read_upload(b"ward_code,occupied,available,closed,closed_reason\n", "beds.csv", 10_000)
    with pytest.raises(ValueError, match="over the limit"):
        submit.read_upload(data, "beds.csv", 10)
    with pytest.raises(ValueError, match="not an Excel workbook"):
        submit.read_upload(b"\x00\xff not a workbook", "beds.xlsx", 10_000)


# ---------------------------------------------------------------- the page (AppTest)

@pytest.fixture
def app_url(tmp_path):
    return build_duckdb_file(tmp_path / "fixture.duckdb", build_fixture)


def _page(monkeypatch, url, role="provider", home="provider:RHA", page="app_pages/bed_state_submit.py", **params):
    monkeypatch.setenv("PCD_LOCAL_ROLE", role)
    monkeypatch.setenv("PCD_LOCAL_SCOPE", home)
    return run_app(monkeypatch, url, page, **params)


def _fill(at, occupied, available, closed, on_leave, reason=""):
    at.selectbox[0].set_value("W1")
    for label, value in (("Occupied beds", occupied), ("Available beds", available), ("Closed beds", closed),
                         ("Patients on leave (of the occupied beds)", on_leave)):
        next(n for n in at.number_input if n.label == label).set_value(value)
    at.text_input[0].set_value(reason)
    next(b for b in at.button if b.label == "Submit this ward's bed state").click()
    return at.run()


def _unit_tip(at, unit_code):
    import json

    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    layer = next(layer for layer in spec["layers"] if layer["id"] == "units")
    return next(p["tip"] for p in layer["data"] if p["unit_code"] == unit_code)


def test_page_valid_submission_shows_on_the_map(monkeypatch, app_url):
    today = f"{dt.date.today():%d %b %Y}"
    before = _page(monkeypatch, app_url, page="app_pages/beds.py", scope="provider:RHA")
    assert "Last reported: 08 Mar 2024 10:00 to 11 Mar 2024 08:00" in _unit_tip(before, "U1")
    at = _page(monkeypatch, app_url)
    assert not at.exception and errors(at) == []
    assert at.selectbox[0].options == ["Low secure men (W1, 4 commissioned beds)",
                                       "Medium secure women (W2, 3 commissioned beds)"]
    at = _fill(at, occupied=1, available=3, closed=0, on_leave=0)
    assert not at.exception and errors(at) == []
    assert "Saved the bed state of 1 ward(s)" in at.success[0].value
    beds = _page(monkeypatch, app_url, page="app_pages/beds.py", scope="provider:RHA")
    assert not beds.exception
    # the map's point for Arnold Lodge (W1, W2) now carries W1's report of today (figures under 5 are shown as *)
    assert f"Last reported: 08 Mar 2024 10:00 to {today}" in _unit_tip(beds, "U1")


def test_page_over_capacity_is_refused(monkeypatch, app_url):
    at = _fill(_page(monkeypatch, app_url), occupied=3, available=2, closed=0, on_leave=0)
    assert at.success == [] or len(at.success) == 0
    assert "more than the 4 commissioned beds of W1" in errors(at)[0]


def test_page_lists_only_own_wards_and_refuses_other_roles(monkeypatch, app_url):
    at = _page(monkeypatch, app_url, home="provider:RX4")
    assert [o.split(" (")[1][:2] for o in at.selectbox[0].options] == ["W5", "W7"]
    lead = _page(monkeypatch, app_url, role="lead_provider", home="collaborative:IMPACT")
    assert not lead.exception
    assert "Your role cannot submit bed state" in lead.info[0].value
    assert len(lead.number_input) == 0
