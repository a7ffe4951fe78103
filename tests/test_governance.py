"""Governance meetings: the exception report on known SPC signals, narratives, actions, decisions, frozen packs,
the PDF and the audit rows (tests/fixture_governance.py has the hand-worked series), on DuckDB and PostgreSQL."""

import datetime as dt
import io

import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit as st

from data_access import clock, governance, schema
from data_access.access import AccessDenied, Viewer
from data_access.quality import monthly_aggregates
from data_access.thresholds import lookup
from metrics import governance as mg
from metrics.kpis import kpi_tables
from metrics.packs import known_and_unknown
from metrics.rag import with_bases
from tests.fixture_governance import add_signals, build_governance_fixture

END = dt.date(2024, 3, 10)
MONTH = dt.date(2024, 3, 1)
SCOPE = ("collaborative", "IMPACT")
LEAD = Viewer("lead@impact", "lead_provider", ("collaborative:IMPACT",), "none")
MEETING = dt.date(2024, 3, 20)


@pytest.fixture(scope="module")
def engine(fixture_engine):
    """The fixture database with the known SPC signals (tests/fixture_governance.py), on each engine."""
    add_signals(fixture_engine)
    return fixture_engine


def board_report(engine, rule="mhsds"):
    with engine.connect() as conn:
        ids, _ = known_and_unknown(governance.forum_kpi_ids(conn, "F1"))
        bands = lookup(conn, "IMPACT")
        notes = governance.narratives(conn, "F1", "collaborative:IMPACT", MONTH)
    months = mg.report_months(END)
    quality_ids, other_ids = mg.split_ids(ids)
    assert quality_ids == ["staffing_fill_rate_pct"]  # from the Quality page's monthly aggregates (one query)
    with engine.connect() as conn:
        quality_monthly = monthly_aggregates(conn, None, *SCOPE, months[0][0], END)
    tables = kpi_tables(engine, *SCOPE, months, kpi_ids=list(with_bases(other_ids)))
    long = mg.forum_long(tables, months, quality_monthly, ids, rule, "collaborative")
    return ids, long, notes, *mg.exception_report(long, ids, bands, MONTH, notes)


def content(engine, rule="mhsds"):
    ids, long, notes, report, frames = board_report(engine, rule)
    with engine.connect() as conn:
        acts = governance.actions(conn, "F1", "collaborative:IMPACT")
        decs = governance.decisions(conn, "F1", "collaborative:IMPACT")
    return mg.build_content(
        forum={"forum_id": "F1", "name": "Provider Collaboration Board", "chain": []},
        scope={"key": "collaborative:IMPACT", "name": "IMPACT"}, month=MONTH, period_end=END, meeting_date=MEETING,
        rule=rule, data_as_of="2024-03-10", report=report, frames=frames, narratives=notes,
        actions=mg.action_states(acts, MEETING, None), decisions=decs)


def test_report_months_run_fifteen_months_to_the_period_end():
    months = mg.report_months(END)
    assert len(months) == 15
    assert months[0] == (dt.date(2023, 1, 1), dt.date(2023, 1, 31))
    assert months[-2] == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert months[-1] == (MONTH, END)


def test_known_signals_give_the_boards_exceptions(engine):
    ids, long, _, report, frames = board_report(engine)
    assert ids == ["bed_occupancy_pct", "out_of_area_pct", "staffing_fill_rate_pct", "variance_gbp"]
    rows = report.set_index("kpi_id")
    assert list(report[report["exception"]]["kpi_id"]) == ["staffing_fill_rate_pct", "variance_gbp"]
    assert list(report["kpi_id"][:2]) == ["staffing_fill_rate_pct", "variance_gbp"]  # exceptions first
    staffing = rows.loc["staffing_fill_rate_pct"]
    assert staffing["latest"] == pytest.approx(2140 / 2400 * 100)
    assert staffing["mean"] == pytest.approx(96.0)
    assert staffing["lower"] == pytest.approx(96 - 2.66 * 2)
    assert staffing["variation"] == "concern_low"
    assert staffing["assurance"] == "hit_and_miss"
    assert staffing["target"] == 95.0
    assert staffing["last_year"] == pytest.approx(95.0)  # March 2023: 950 / 1000
    assert staffing["reasons"] == "Special cause variation of concern: a point outside the process limits"
    assert list(frames["staffing_fill_rate_pct"]["special_cause"]) == [False] * 13 + [True, True]
    variance = rows.loc["variance_gbp"]
    assert variance["latest"] == pytest.approx(10500.0) and variance["rag"] == "red"
    assert variance["reasons"] == "Off track against plan" and pd.isna(variance["variation"])
    assert frames["variance_gbp"].empty  # year to date: no SPC chart
    assert not rows.loc["bed_occupancy_pct", "exception"] and not rows.loc["out_of_area_pct", "exception"]


def test_quality_kpis_from_one_query_equal_one_kpi_table_a_month(engine):
    months = mg.report_months(END)
    per_month = mg.monthly_long(kpi_tables(engine, *SCOPE, months, kpi_ids=["staffing_fill_rate_pct"]), months,
                                "mhsds", "collaborative")
    _, long, _, _, _ = board_report(engine)
    one_query = long[long["kpi_id"] == "staffing_fill_rate_pct"]
    assert list(one_query["month"]) == list(per_month["month"])
    assert [round(v, 9) if v == v else None for v in one_query["shown"].astype(float)] == [
        round(v, 9) if v == v else None for v in per_month["shown"].astype(float)]


def test_assurance_fail_alone_is_an_exception():
    # A 'down' KPI whose process runs at 10-12 against a target of 5: limits 11 ± 5.32 keep the target out.
    months = pd.date_range("2023-01-01", periods=13, freq="MS")
    values = [10.0, 12.0] * 6 + [11.0]
    long = pd.DataFrame({"month": months, "kpi_id": "prone_restraint_per_1000_obd", "value": values,
                         "shown": values, "suppressed": False})
    report, _ = mg.exception_report(long, ["prone_restraint_per_1000_obd"], {"prone_restraint_per_1000_obd":
                                                                                 (5.0, 10.0)}, months[-1].date())
    row = report.iloc[0]
    assert row["variation"] == "common_cause" and row["assurance"] == "fail"
    assert row["exception"] and row["reasons"] == "Will not meet its target (assurance)"


def audit_rows(engine, action):
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(sa.select(schema.audit_log).where(schema.audit_log.c.action == action)).all(),
                            columns=["at", "user_id", "role", "action", "target", "detail"])


def test_narrative_flags_a_kpi_and_round_trips(engine):
    governance.save_narrative(engine, LEAD, SCOPE, "F1", MONTH, "out_of_area_pct", "First draft", True, "Lead")
    governance.save_narrative(engine, LEAD, SCOPE, "F1", MONTH, "out_of_area_pct",
                              "Two patients placed out of area; repatriation plan agreed.", True, "Lead")
    with engine.connect() as conn:
        notes = governance.narratives(conn, "F1", "collaborative:IMPACT", MONTH)
    assert list(notes["kpi_id"]) == ["out_of_area_pct"]
    assert notes.iloc[0]["text"] == "Two patients placed out of area; repatriation plan agreed."
    assert notes.iloc[0]["author"] == "Lead" and bool(notes.iloc[0]["flagged"])
    assert notes.iloc[0]["written_at"] <= clock.utc_now(precise=True)
    _, _, _, report, _ = board_report(engine)
    assert list(report[report["exception"]]["kpi_id"]) == ["out_of_area_pct", "staffing_fill_rate_pct",
                                                           "variance_gbp"]
    edits = audit_rows(engine, "edit")
    assert (edits["target"] == "Pack narrative @ collaborative:IMPACT").sum() == 2
    assert edits["user_id"].eq("lead@impact").all()


def test_only_the_lead_provider_or_own_provider_writes(engine):
    crg = Viewer("crg@impact", "crg", ("collaborative:IMPACT",), "mhsds")
    with pytest.raises(AccessDenied):
        governance.save_narrative(engine, crg, SCOPE, "F1", MONTH, "out_of_area_pct", "No", False, "CRG")
    other = Viewer("p@rx4", "provider", ("provider:RX4",), "mhsds")
    with pytest.raises(AccessDenied):
        governance.add_action(engine, other, SCOPE, "F1", MEETING, "x", "y", MEETING, None, "P")
    with pytest.raises(governance.PackError):
        governance.save_narrative(engine, LEAD, SCOPE, "F1", MONTH, "out_of_area_pct", "   ", False, "Lead")


def test_actions_and_decisions_round_trip(engine):
    first = governance.add_action(engine, LEAD, SCOPE, "F1", dt.date(2024, 2, 20), "Review staffing rota",
                                  "Director of Nursing", dt.date(2024, 3, 15), "staffing_fill_rate_pct", "Lead")
    second = governance.add_action(engine, LEAD, SCOPE, "F1", dt.date(2024, 2, 20), "Report on out of area",
                                   "Head of Commissioning", dt.date(2024, 4, 30), None, "Lead")
    governance.add_decision(engine, LEAD, SCOPE, "F1", dt.date(2024, 2, 20), "Approve the repatriation plan",
                            "out_of_area_pct", "Lead")
    with engine.connect() as conn:
        acts = governance.actions(conn, "F1", "collaborative:IMPACT")
        decs = governance.decisions(conn, "F1", "collaborative:IMPACT")
    assert list(acts["action_id"]) == [first, second] and list(acts["status"]) == ["open", "open"]
    states = mg.action_states(acts, MEETING, dt.date(2024, 2, 20))
    assert list(states["state"]) == ["Overdue", "Open"]  # due 15 Mar, before the 20 Mar meeting
    assert decs.iloc[0]["text"] == "Approve the repatriation plan" and decs.iloc[0]["kpi_id"] == "out_of_area_pct"
    governance.set_action_status(engine, LEAD, SCOPE, second, "done", "Lead")
    with engine.connect() as conn:
        acts = governance.actions(conn, "F1", "collaborative:IMPACT")
    assert list(acts["status"]) == ["open", "done"]
    assert list(mg.action_states(acts, MEETING, dt.date(2024, 2, 20))["state"]) == ["Overdue", "Done"]
    with pytest.raises(governance.PackError):
        governance.set_action_status(engine, LEAD, SCOPE, second, "lost", "Lead")


def test_published_pack_is_frozen_after_source_rows_change(engine):
    live = content(engine)
    pack_id = governance.publish(engine, LEAD, SCOPE, "F1", MEETING, MONTH, "mhsds", live, "Lead")
    with engine.connect() as conn:
        frozen = governance.published_content(conn, pack_id, "F1", "collaborative:IMPACT")
        listed = governance.published_packs(conn, "F1", "collaborative:IMPACT")
    assert frozen == live
    assert list(listed["pack_id"]) == [pack_id]
    assert [k["kpi_id"] for k in mg.exceptions(frozen)] == ["out_of_area_pct", "staffing_fill_rate_pct",
                                                            "variance_gbp"]
    assert frozen["narratives"]["out_of_area_pct"]["author"] == "Lead"
    assert [a["text"] for a in frozen["actions"]] == ["Review staffing rota", "Report on out of area"]
    with pytest.raises(governance.PackError):
        governance.publish(engine, LEAD, SCOPE, "F1", MEETING, MONTH, "mhsds", live, "Lead")
    # Resubmitted data: January 2024's staffing changes; the published pack does not.
    with engine.begin() as conn:
        conn.execute(schema.staffing.update().where(schema.staffing.c.ward_code == "W1",
                                                    schema.staffing.c.month_start == dt.date(2024, 1, 1))
                     .values(actual_hours=700.0))
    with engine.connect() as conn:
        again = governance.published_content(conn, pack_id, "F1", "collaborative:IMPACT")
    assert again == frozen
    now = content(engine)
    assert mg.changed_since(frozen, now) == ["Staffing fill rate"]
    assert audit_rows(engine, "publish")["target"].tolist() == ["Meeting pack @ collaborative:IMPACT"]


def test_pdf_of_a_published_pack(engine):
    from pypdf import PdfReader

    from ui.pack_pdf import pack_pdf

    pack = content(engine)
    data = pack_pdf(pack)
    reader = PdfReader(io.BytesIO(data))
    assert data[:5] == b"%PDF-"
    text = "\n".join(page.extract_text() for page in reader.pages)
    titles = [k["label"] for k in mg.exceptions(pack)]
    assert {"Staffing fill rate", "Variance to budget"} <= set(titles)  # (and out of area once flagged)
    assert len(reader.pages) == 2 + len(titles)  # cover and contents, one page per exception, KPI summary
    for title in titles:
        assert f"Exception: {title}" in text
    staffing = reader.pages[1 + titles.index("Staffing fill rate")]  # after the cover, one page per exception
    assert staffing.extract_text().count("Exception: Staffing fill rate") == 1
    assert len(staffing.images) == 1  # its SPC chart (drawn by vl-convert)
    assert "89.2%" in text  # staffing fill rate, March 2024
    assert "£10k" in text  # variance to budget, year to date (£10,500, ui.formatting)
    for page in reader.pages:
        words = page.extract_text()
        assert "Disclosure" in words and "Data as of 10 Mar 2024" in words


# --- the page (AppTest, DuckDB file) -------------------------------------------------------------------------

PAGE = "app_pages/packs.py"
MARCH = {"from": "2024-03-01", "to": "2024-03-10"}


@pytest.fixture
def page_url(tmp_path):
    from tests.browser import build_duckdb_file

    return build_duckdb_file(tmp_path / "governance.duckdb", build_governance_fixture)


def open_pack(monkeypatch, url, **params):
    from tests.apptest import run_app

    at = run_app(monkeypatch, url, PAGE, scope="collaborative:IMPACT", **MARCH, **params)
    assert not at.exception
    return at


def press(at, label):
    next(b for b in at.button if b.label == label).click()
    return at.run()


def test_page_lists_exceptions_and_meeting_mode_suppresses(monkeypatch, page_url):
    at = open_pack(monkeypatch, page_url)
    assert [h.value for h in at.header] == ["KPI summary", "Exception: Staffing fill rate",
                                            "Exception: Variance to budget", "Actions", "Decisions", "Publish"]
    assert at.session_state["ctx"].rule == "none"  # the lead provider's own view: exact figures
    at = open_pack(monkeypatch, page_url, meeting="1", step="3")
    assert at.session_state["ctx"].rule == "mhsds"  # projected to the Board: the audience's rule
    assert [h.value for h in at.header] == ["Exception: Variance to budget"]
    assert not any(b.label == "Save narrative" for b in at.button)  # nothing is edited on the projector


def test_page_writes_a_narrative_and_publishes(monkeypatch, page_url):
    at = open_pack(monkeypatch, page_url, date="2024-03-20")
    at.text_area(key="narrative_text_staffing_fill_rate_pct").input(
        "Agency staff cover the vacancies on W1; recruitment closes in April.")
    at = at.button(key="save_staffing_fill_rate_pct").click().run()
    assert not at.exception and [s.value for s in at.success] == ["Narrative saved."]
    assert "Agency staff cover the vacancies on W1; recruitment closes in April." in [m.value for m in at.markdown]
    at = press(at, "Publish pack")
    assert not at.exception
    pack_id = at.query_params["pack"]
    at = open_pack(monkeypatch, page_url, pack=pack_id)
    assert any("As presented on 20 Mar 2024" in i.value for i in at.info)
    assert not at.warning  # nothing resubmitted since
    engine = sa.create_engine(page_url)
    edits, published = audit_rows(engine, "edit"), audit_rows(engine, "publish")
    with engine.begin() as conn:  # data resubmitted after the meeting
        conn.execute(schema.staffing.update().where(schema.staffing.c.month_start == dt.date(2024, 1, 1))
                     .values(actual_hours=700.0))
    engine.dispose()
    st.cache_data.clear()
    at = open_pack(monkeypatch, page_url, pack=pack_id)
    assert [w.value for w in at.warning] == [
        "Data changed since publication (resubmitted): Staffing fill rate. The pack below is as presented."]
    assert at.metric[0].value == "89.2%"  # as presented
    assert edits["target"].tolist() == ["Pack narrative @ collaborative:IMPACT"]
    assert edits["user_id"].tolist() == ["local user"]
    assert published["target"].tolist() == ["Meeting pack @ collaborative:IMPACT"]
    assert f'"pack": "{pack_id}"' in published["detail"].iloc[0] and '"rule": "mhsds"' in published["detail"].iloc[0]


def test_roles_that_do_not_answer_for_the_figures_only_read(monkeypatch, page_url):
    monkeypatch.setenv("PCD_LOCAL_ROLE", "crg")
    at = open_pack(monkeypatch, page_url)
    assert "Exception: Staffing fill rate" in [h.value for h in at.header]
    assert "Publish" not in [h.value for h in at.header]
    assert not any(b.label in ("Save narrative", "Publish pack", "Record the action") for b in at.button)


def test_pdf_download_is_audited(page_url):
    from types import SimpleNamespace

    from ui.exports import _record_export

    engine = sa.create_engine(page_url)
    ctx = SimpleNamespace(engine=engine, viewer=LEAD, scope=SimpleNamespace(key="collaborative:IMPACT"),
                          start=dt.date(2024, 3, 1), end=END, rule="mhsds")
    _record_export(ctx, "Meeting pack PDF", "pack_F1_2024-03-20.pdf")  # the PDF button's on_click
    rows = audit_rows(engine, "export")
    engine.dispose()
    assert rows["target"].tolist() == ["Meeting pack PDF @ collaborative:IMPACT"]
    assert "pack_F1_2024-03-20.pdf" in rows["detail"].iloc[0]
