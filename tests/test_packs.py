"""Meeting packs: forums of a scope, escalation, the pack's KPI values (hand-worked on the fixture)."""


import pytest

from data_access import governance
from data_access.access import AccessDenied, Viewer
from metrics.packs import default_forum, known_and_unknown
from tests.apptest import run_app
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture


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


def test_the_scope_opens_on_its_board(fixture_engine):
    with fixture_engine.connect() as conn:
        found = governance.forums(conn, None, "collaborative", "IMPACT", "IMPACT")
        everything = governance.forums(conn, None, "national", None, None)
    assert default_forum(found, "IMPACT") == "F1"  # not F0, the first alphabetically
    assert default_forum(everything, None) in {"F1", "F3"}  # a Board at the top of its chain
    assert default_forum(found.iloc[0:0], "IMPACT") is None
    assert known_and_unknown(["variance_gbp", "bed_occupancy_pct", "made_up"]) == (
        ["bed_occupancy_pct", "variance_gbp"], ["made_up"])


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("packs") / "fixture.duckdb", build_fixture)


def test_pack_page_shows_the_boards_figures(monkeypatch, fixture_url):
    at = run_app(monkeypatch, fixture_url, "app_pages/packs.py", scope="collaborative:IMPACT",
                 **{"from": "2024-03-01", "to": "2024-03-10"})
    assert not at.exception
    assert at.query_params["forum"] == "F1"  # the scope's Board
    assert at.header[0].value == "KPI summary"
    summary = at.dataframe[0].value.set_index("KPI")
    assert summary.loc["Bed occupancy", "Latest"] == "55.6%"  # March 2024 (to the 10th): 45 / 81 bed days
    assert summary.loc["Out of area placements", "Latest"] == "22.4%"  # 13 / 58


def test_unknown_forum_in_url_falls_back_with_a_message(monkeypatch, fixture_url):
    at = run_app(monkeypatch, fixture_url, "app_pages/packs.py", scope="collaborative:IMPACT", forum="NOPE")
    assert not at.exception
    assert any("not one of this scope's forums" in w.value for w in at.warning)
