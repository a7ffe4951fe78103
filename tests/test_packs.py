"""Meeting packs: forums of a scope, escalation, the pack's KPI values (hand-worked on the fixture)."""

import datetime as dt

import pytest

from data_access import governance
from data_access.access import AccessDenied, Viewer
from metrics.kpis import kpi_table
from metrics.packs import known_and_unknown, pack_table
from tests.apptest import run_app
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture

P1 = (dt.date(2024, 3, 1), dt.date(2024, 3, 10))


def test_forums_of_a_collaborative_include_regional_ones(fixture_engine):
    with fixture_engine.connect() as conn:
        found = governance.forums(conn, None, "collaborative", "IMPACT", "IMPACT")
    # IMPACT's board and CRG, plus the regional task and finish group (collaborative_id NULL); not NORTH's board.
    assert sorted(found["forum_id"]) == ["F0", "F1", "F2"]
    assert found.set_index("forum_id").loc["F2", "parent_name"] == "Provider Collaboration Board"
    assert found.set_index("forum_id").loc["F1", "kpi_count"] == 3


def test_escalation_chain_and_forum_kpis(fixture_engine):
    with fixture_engine.connect() as conn:
        assert governance.escalation_chain(conn, "F2") == ["Provider Collaboration Board"]
        assert governance.escalation_chain(conn, "F1") == []
        assert governance.forum_kpi_ids(conn, "F1") == ["bed_occupancy_pct", "out_of_area_pct", "variance_gbp"]


def test_forums_refused_outside_the_viewers_organisation(fixture_engine):
    viewer = Viewer("someone", "crg", ("collaborative:NORTH",), "mhsds")
    with fixture_engine.connect() as conn, pytest.raises(AccessDenied):
        governance.forums(conn, viewer, "collaborative", "IMPACT", "IMPACT")


def test_pack_values_for_the_board(fixture_engine):
    now = kpi_table(fixture_engine, "collaborative", "IMPACT", *P1)
    before = kpi_table(fixture_engine, "collaborative", "IMPACT", dt.date(2024, 2, 20), dt.date(2024, 2, 29))
    ids, unknown = known_and_unknown(["variance_gbp", "bed_occupancy_pct", "out_of_area_pct", "made_up"])
    assert unknown == ["made_up"]
    table = pack_table(now, before, ids, "none", "collaborative", {"bed_occupancy_pct": (90.0, 95.0)})
    rows = table.set_index("kpi_id")
    # Hand-worked in tests/expected_fixture.py: IMPACT occupancy 45 / 81 bed days, out of area 13 / 58.
    assert rows.loc["bed_occupancy_pct", "shown"] == pytest.approx(45 / 81 * 100)
    assert rows.loc["bed_occupancy_pct", "rag_words"] == "On track"  # 55.6% <= IMPACT's green band of 90%
    assert rows.loc["out_of_area_pct", "shown"] == pytest.approx(13 / 58 * 100)
    assert rows.loc["out_of_area_pct", "rag_words"] == "No threshold"
    assert list(table["kpi_id"]) == ["bed_occupancy_pct", "out_of_area_pct", "variance_gbp"]


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("packs") / "fixture.duckdb", build_fixture)


def test_pack_page_shows_the_boards_figures(monkeypatch, fixture_url):
    at = run_app(monkeypatch, fixture_url, "app_pages/packs.py", scope="collaborative:IMPACT",
                 **{"from": "2024-03-01", "to": "2024-03-10", "forum": "F1"})
    assert not at.exception
    assert at.header[0].value == "Provider Collaboration Board"
    values = {m.label: m.value for m in at.metric}
    assert values["Bed occupancy"] == "55.6%"
    assert values["Out of area placements"] == "22.4%"


def test_unknown_forum_in_url_falls_back_with_a_message(monkeypatch, fixture_url):
    at = run_app(monkeypatch, fixture_url, "app_pages/packs.py", scope="collaborative:IMPACT", forum="NOPE")
    assert not at.exception
    assert any("not one of this scope's forums" in w.value for w in at.warning)
