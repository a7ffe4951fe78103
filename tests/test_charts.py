"""Every chart a page draws is valid Vega-Lite.

ui.charts.show_chart draws charts without Altair's schema validation (it costs about 0.1 s per chart); this test
validates every chart spec each page sends, against the Vega-Lite schema Altair ships, at collaborative scope on
the fixture (where every page draws its charts).
"""

import json

import altair as alt
import jsonschema
import pandas as pd
import pytest
from altair.utils import schemapi
from altair.utils.schemapi import validate_jsonschema

from tests.apptest import run_app, scope_keys
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture
from ui.navigation import available_pages

PAGES = [p[1] for p in available_pages()]
SCHEMA = alt.vegalite.v6.schema.core.load_schema()


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("charts") / "fixture.duckdb", build_fixture)


def chart_specs(at) -> list[dict]:
    return [json.loads(element.proto.spec) for element in at.get("vega_lite_chart")]


@pytest.mark.parametrize("page", PAGES)
def test_every_chart_a_page_draws_is_valid_vega_lite(monkeypatch, fixture_url, page):
    monkeypatch.setenv("PCD_LOCAL_ROLE", "national")
    collaborative = [key for key in scope_keys(fixture_url) if key.startswith("collaborative:")][0]
    at = run_app(monkeypatch, fixture_url, page, scope=collaborative)
    assert not at.exception
    for spec in chart_specs(at):
        validate_jsonschema(spec, SCHEMA)  # raises on the first error


def test_the_pages_draw_charts(monkeypatch, fixture_url):
    """The check above is not vacuous: pages draw charts that reach it, and it rejects a broken spec."""
    monkeypatch.setenv("PCD_LOCAL_ROLE", "national")
    drawn = []
    for page in ("app_pages/overview.py", "app_pages/quality.py", "app_pages/referrals.py"):
        drawn += chart_specs(run_app(monkeypatch, fixture_url, page, scope="collaborative:IMPACT"))
    assert len(drawn) >= 3
    broken = {**drawn[0], "mark": {"type": "no_such_mark"}}
    with pytest.raises(jsonschema.ValidationError):
        validate_jsonschema(broken, SCHEMA)


def test_altairs_class_table_is_built_once_and_still_resolves_channels():
    import ui.charts  # noqa: F401 - shares the table on import

    classes = list(alt.vegalite.v6.schema.core.VegaLiteSchema._default_wrapper_classes())
    first, second = schemapi._FromDict(classes), schemapi._FromDict(iter(classes))
    assert first.class_dict is second.class_dict
    chart = alt.Chart(pd.DataFrame({"a": [1], "b": ["x"]})).mark_bar().encode(x="a:Q", y="b:N", tooltip=["a", "b"])
    assert isinstance(chart.encoding.x, alt.X) and isinstance(chart.encoding.y, alt.Y)
    assert chart.to_dict()["encoding"]["x"] == {"field": "a", "type": "quantitative"}
