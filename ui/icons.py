"""Making Data Count icons with text alternatives, and tables that hold them.

An icon is a Markdown image, `![<what it means>](data:image/svg+xml;base64,...)`: Streamlit draws it as an <img>
whose alt text names its meaning, so a screen reader says "Special cause variation – concern (high)" (a data
grid's image column would read out the data URI instead). No HTML is written.
"""

import pandas as pd

from metrics import quality as mq

NO_ICON = "No icon"


def icon_markdown(name: str | None) -> str:
    """The icon as a Markdown image with its meaning as alt text; '–' (with words) when there is none."""
    if not isinstance(name, str):
        return "–"
    return f"![{mq.icon_label(name)}]({mq.icon_uri(name)})"


def _cell(value) -> str:
    text = "–" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame, icon_columns: tuple = ()) -> str:
    """A Markdown table of already formatted text (a real <table> with column headers for assistive technology).
    Cells in `icon_columns` are icon names, drawn with icon_markdown; every other cell is escaped text."""
    head = "| " + " | ".join(_cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join(" --- " for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(icon_markdown(v) if c in icon_columns else _cell(v) for c, v in row.items()) + " |"
            for row in frame.to_dict("records")]
    return "\n".join([head, rule, *rows])
