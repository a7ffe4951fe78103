"""Where the reporting database is, and how to connect to it.

Order of precedence (explicit settings, as in datasette):
1. the environment variable PCD_DATABASE_URL;
2. `[connections.reporting] url = ...` in .streamlit/secrets.toml (st.connection);
3. the embedded default: a DuckDB file of regional demo data, built on first run.
"""

import contextvars
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from data_access.dialect import spec_for

ENV_VAR = "PCD_DATABASE_URL"
CONNECTION_NAME = "reporting"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEMO_PATH = PROJECT_ROOT / "data" / "demo_region.duckdb"
DEMO_SOURCE_PREFIX = "demo:"


def default_demo_url() -> str:
    return f"duckdb:///{DEFAULT_DEMO_PATH}"


def resolve_url(secrets: dict | None = None) -> str:
    """The database URL to use, from the environment, the secrets, or the default."""
    url = os.environ.get(ENV_VAR, "").strip()
    if url:
        return url
    try:
        url = (secrets or {}).get("connections", {}).get(CONNECTION_NAME, {}).get("url", "")
    except AttributeError:
        url = ""
    return str(url).strip() or default_demo_url()


def make_engine(url: str) -> sa.Engine:
    """An engine for `url`; DuckDB files (and their folder) are created on demand, PostgreSQL pings first."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "duckdb" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    spec = spec_for(url)
    engine = sa.create_engine(url, **spec.engine_options())
    spec.prepare(engine)
    return engine


def display_url(url: str) -> str:
    """The URL with any password hidden, for messages on screen."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL we cannot parse is shown as "unparseable"
        return "(unparseable database URL)"


def is_default_demo(url: str) -> bool:
    return url == default_demo_url()


@contextmanager
def meanwhile(engine: sa.Engine, reader, *args) -> Iterator[Callable]:
    """Run reader(conn, *args) on a second connection of `engine` while the caller goes on with its own; yields a
    function that waits for the result. The thread runs in a copy of the caller's context, so as the same viewer
    (row-level security names it per transaction, data_access/rls.py)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(contextvars.copy_context().run, _on_own_connection, engine, reader, *args)
        yield future.result


def _on_own_connection(engine: sa.Engine, reader, *args):
    with engine.connect() as conn:
        return reader(conn, *args)
