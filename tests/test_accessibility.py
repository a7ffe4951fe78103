"""Text alternatives without a browser: charts get a title and a description, the map a summary, icons alt text,
tiles their change in words; and no page draws a chart or an image any other way."""

import re
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from metrics.beds import BUCKETS
from metrics.spc import ICON_LABELS, xmr
from metrics.spc_chart import spc_table
from ui.charts import accessible, map_summary
from ui.icons import icon_markdown, markdown_table
from ui.tiles import _delta_words

ROOT = Path(__file__).resolve().parent.parent
PAGE_FILES = sorted((ROOT / "app_pages").glob("*.py"))


def test_chart_gets_title_and_description_naming_it():
    chart = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_bar().encode(x="x:Q")
    spec = accessible(chart, "Referral funnel", "Bars of referrals at each step.").to_dict()
    assert spec["title"] == "Referral funnel"
    assert spec["description"] == "Referral funnel. Bars of referrals at each step."


def test_chart_keeps_its_own_title():
    chart = alt.layer(alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")).properties(title="Own title")
    spec = accessible(chart, "Other", "A point.").to_dict()
    assert spec["title"] == "Own title"
    assert spec["description"] == "Other. A point."


def test_map_summary_counts_units_in_each_band():
    units = pd.DataFrame({"bucket": ["under_85", "over_95", "under_85", "no_report"]})
    assert map_summary(units, BUCKETS) == ("Map of 4 units by bed occupancy: 2 under 85%, 1 over 95%, "
                                           "1 no bed state reported.")
    assert map_summary(units.head(1), BUCKETS) == "Map of 1 unit by bed occupancy: 1 under 85%."


def test_icon_is_an_image_with_its_meaning_as_alt_text():
    text = icon_markdown("concern_high")
    assert text.startswith("![Special cause variation – concern (high)](data:image/svg+xml;base64,")
    assert icon_markdown(None) == "–"


def test_markdown_table_escapes_cells_and_draws_icons():
    frame = pd.DataFrame({"Icon": ["pass", None], "Measure": ["A | B", None]})
    lines = markdown_table(frame, icon_columns=("Icon",)).splitlines()
    assert lines[0] == "| Icon | Measure |"
    assert lines[1] == "| --- | --- |"
    assert lines[2].startswith(f"| ![{ICON_LABELS['pass']}](data:image/svg+xml;base64,")
    assert lines[2].endswith(" | A \\| B |")
    assert lines[3] == "| – | – |"


@pytest.mark.parametrize(("change", "direction", "words"), [
    (2.0, "up", "better than previous period"), (-2.0, "up", "worse than previous period"),
    (2.0, "down", "worse than previous period"), (-1.0, "down", "better than previous period"),
    (0.0, "up", "vs previous period"), (3.0, "neutral", "vs previous period"), (None, "up", None),
])
def test_tile_says_in_words_what_the_delta_colour_says(change, direction, words):
    assert _delta_words({"change": change, "direction": direction}) == words


def test_spc_table_is_the_chart_in_words():
    frame = xmr([10, 12, 11, 30], dates=pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]),
                direction="down", baseline=None)
    table = spc_table(frame)
    assert table.columns.tolist() == ["Month", "Value", "Mean", "Lower process limit", "Upper process limit",
                                      "Variation", "Special cause rule"]
    assert table["Month"].tolist() == ["Jan 2024", "Feb 2024", "Mar 2024", "Apr 2024"]
    # mean 63/4 = 15.75; moving ranges 2, 1, 19: mean 22/3, limits 15.75 ± 2.66 × 7.333 = -3.76 and 35.26
    assert table["Mean"].iloc[0] == "15.8"
    assert table["Lower process limit"].iloc[0] == "-3.8" and table["Upper process limit"].iloc[0] == "35.3"
    assert table["Variation"].tolist() == ["Common cause"] * 4


@pytest.mark.parametrize("path", PAGE_FILES, ids=[p.stem for p in PAGE_FILES])
def test_pages_draw_charts_only_through_show_chart_and_images_with_alt(path):
    source = path.read_text()
    assert "altair_chart(" not in source, "draw charts with ui.charts.show_chart (title, description, data)"
    for call in re.findall(r"\.image\([^\n]*", source):
        assert "alt=" in call, call
    for call in re.findall(r"pydeck_chart\((?:[^()]|\([^()]*\))*\)", source):
        assert "alt=" in call, call
