"""Helpers for AppTest page tests: run app.py against a given database with URL parameters."""

from pathlib import Path

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access.scope import hierarchy

TIMEOUT = 120
APP = str(Path(__file__).resolve().parent.parent / "app.py")


def run_app(monkeypatch, database_url: str, page: str | None = None, secrets: dict | None = None,
            user: dict | None = None, **params) -> AppTest:
    """Run app.py (and then `page`, if given) with query parameters, optional secrets and signed-in user;
    returns the finished AppTest."""
    monkeypatch.setenv("PCD_DATABASE_URL", database_url)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    if user is not None:
        at.user = user
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def scope_keys(database_url: str) -> list[str]:
    """One scope key per hierarchy level (the first node of each), national first."""
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        tree = hierarchy(conn)
    engine.dispose()
    first = tree.iloc[0]
    return ["national", f"region:{first.region_code}", f"collaborative:{first.collaborative_id}",
            f"provider:{first.provider_code}", f"unit:{first.unit_code}", f"ward:{first.ward_code}"]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def quality_summary_table(at: AppTest):
    """The Quality page's summary (a Markdown table, icons as images with alt text) as a frame of cell texts."""
    import pandas as pd

    text = next(m.value for m in at.markdown if m.value.startswith("| Variation | Assurance | Measure |"))
    rows = [[cell.strip() for cell in line.strip("|").split(" | ")] for line in text.splitlines()]
    return pd.DataFrame(rows[2:], columns=rows[0])
