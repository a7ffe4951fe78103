"""The one formatting path: tables keep their numbers and show `*` for suppressed, `–` for missing, never "None";
changes that round to zero read "no change"; money in £, £k, £m."""

import numpy as np
import pandas as pd

from ui.formatting import NO_CHANGE, format_change, format_gbp, format_value, styled


def shown(table) -> list[list[str]]:
    """The cell texts the browser draws, row by row: a Styler's display values, then each column's printf format
    (as sprintf-js applies it; "," = thousands separators), `–` (show's placeholder) where missing."""
    data = table.data
    if not isinstance(data, pd.DataFrame):
        data._compute()
        body = data._translate(False, False)["body"]
        texts = pd.DataFrame([[c["display_value"] for c in row if c["type"] == "td"] for row in body],
                             columns=data.data.columns)
        data = data.data
    else:
        texts = data.astype(object).where(data.notna(), "–").astype(str)
    for column, config in table.column_config.items():
        printf = config["type_config"].get("format")
        if printf is None:  # a text column (a suppressed cell made it text): its cells as they are
            continue
        python = "{:" + printf[1:] + "}"
        texts[column] = ["–" if pd.isna(v) else python.format(v) for v in data[column]]
    return texts.to_numpy().tolist()


def test_table_cells_show_star_for_suppressed_dash_for_missing_and_numbers_otherwise():
    """Suppressed cells arrive empty (metrics.disclosure keeps the raw figure elsewhere) and flagged."""
    frame = pd.DataFrame({"Ward": ["A", "B", "C"], "Occupancy (%)": [91.26, None, None],
                          "Admissions": [12, None, None], "Length of stay (days)": [40.0, None, 12.0]})
    suppressed = pd.DataFrame({"Occupancy (%)": [False, True, False], "Admissions": [False, True, False],
                               "Length of stay (days)": [False, False, False]})
    kinds = {"Occupancy (%)": "pct", "Admissions": "count", "Length of stay (days)": "days"}
    style = styled(frame, kinds, suppressed)
    assert shown(style) == [["A", "91.3", "12", "40"], ["B", "*", "*", "–"], ["C", "–", "–", "12"]]
    assert style.data["Length of stay (days)"].dtype == np.float64  # numbers stay numbers (sorting)
    assert style.data["Occupancy (%)"].tolist() == ["91.3", "*", "–"]  # a suppressed cell is text, not empty
    assert style.column_config["Occupancy (%)"]["alignment"] == "right"  # aligned with the numbers around it


def test_numbers_never_show_a_signed_zero_and_money_keeps_its_size():
    frame = pd.DataFrame({"Change (%)": [-0.04, -0.06, 2.0], "Spend (£)": [950.0, 12_345.0, -2_500_000.0],
                          "People": [1234.0, None, 7.0]})
    table = styled(frame, {"Change (%)": "pct", "Spend (£)": "gbp", "People": "count"})
    assert shown(table) == [["0.0", "£950", "1,234"], ["-0.1", "£12k", "–"], ["2.0", "-£2.50m", "7"]]
    assert table.data.data["Change (%)"].tolist()[0] == 0.0  # not -0.04: the browser would draw "-0.0"


def test_suppression_in_different_rows_per_column():
    frame = pd.DataFrame({"x": [1.0, None, 3.0], "y": [None, 2.0, None]})
    suppressed = pd.DataFrame({"x": [False, True, False], "y": [True, False, False]})
    assert shown(styled(frame, {"x": "count", "y": "count"}, suppressed)) == [["1", "*"], ["*", "2"], ["3", "–"]]


def test_changes_and_money():
    assert format_change("pct", -0.04) == NO_CHANGE
    assert format_change("days", 0.2) == NO_CHANGE
    assert format_change("pct", 1.25) == "+1.2 pp"
    assert format_value("pct", -0.04) == "0.0%"
    assert [format_gbp(v) for v in (950, 12_345, -2_500_000)] == ["£950", "£12k", "-£2.50m"]
    assert format_value("count", None) == "–" and format_value("count", 5, suppressed=True) == "*"
