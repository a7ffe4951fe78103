"""Connecting the app to the reporting database, the Streamlit way (st.connection).

PCD_DATABASE_URL overrides `[connections.reporting]` in secrets.toml; with neither,
the regional demo DuckDB file is built on first start (with a progress bar) and used.
"""

import os
import threading
import time
from pathlib import Path

import sqlalchemy as sa
import streamlit as st

from data_access import engine as settings
from data_access.dialect import spec_for

_build_lock = threading.Lock()
_facts_checked: set[int] = set()  # engines whose daily facts are known to be there
# A reachable database is probed again at most this often (seconds): a probe on every rerun was a
# seventh of the Overview's rerun CPU (benchmarks/load.py, py-spy).
PROBE_EVERY_SECONDS = 5.0
_last_probe: dict[str, float] = {}  # url -> time.monotonic() of its last successful probe
# url -> the engine st.connection made for it: asking st.connection again on every rerun (its factory inspects
# its arguments) was a twentieth of the Overview's rerun CPU.
_engines: dict[str, sa.Engine] = {}


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached or read; the message says why, without secrets."""


def _secrets_section() -> dict:
    try:
        return dict(st.secrets.get("connections", {}).get(settings.CONNECTION_NAME, {}))
    except (FileNotFoundError, AttributeError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return {}


def configured_url() -> str | None:
    """The URL from the environment or the secrets, or None for the embedded demo."""
    env = os.environ.get(settings.ENV_VAR, "").strip()
    if env:
        return env
    section = _secrets_section()
    return str(section["url"]) if section.get("url") else None


def ensure_demo_database() -> None:
    """Build the regional demo DuckDB file when it does not exist yet, showing progress."""
    path: Path = settings.DEFAULT_DEMO_PATH
    if path.exists():
        return
    with _build_lock:
        if path.exists():
            return
        from demo import build_demo

        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".building")
        partial.unlink(missing_ok=True)
        bar = st.progress(0.0, text="First start: building the synthetic regional demo database…")
        engine = sa.create_engine(f"duckdb:///{partial}")
        try:
            build_demo(engine, scale="region", progress=lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg))
        finally:
            engine.dispose()
        partial.rename(path)
        bar.empty()


def ensure_facts(engine: sa.Engine) -> None:
    """A database made before the tables added since (facts, extract, governance: docs/) gets them once, and
    its daily facts, with a spinner. A read-only role cannot add tables: its owner runs
    `python -m data_access.facts --url URL` instead, and the pages that need them say so."""
    from data_access import facts, schema

    if id(engine) in _facts_checked:
        return
    try:
        schema.create_all(engine)  # only what is missing (checkfirst)
    except sa.exc.SQLAlchemyError:
        pass
    with engine.connect() as conn:
        if not facts.missing(conn):
            _facts_checked.add(id(engine))
            return
    with _build_lock, st.spinner("Building the daily ward facts of this database (once)…"):
        with engine.connect() as conn:
            if facts.missing(conn):
                facts.build(engine)
    _facts_checked.add(id(engine))


def _probe(url: str, engine: sa.Engine) -> None:
    """Check that the database answers and is a reporting database (unless it did a moment ago)."""
    if time.monotonic() - _last_probe.get(url, float("-inf")) < PROBE_EVERY_SECONDS:
        return
    _last_probe.pop(url, None)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1 FROM region WHERE 1 = 0"))
    _last_probe[url] = time.monotonic()


def connect() -> tuple[str, sa.Engine]:
    """(url, engine) for the reporting database; raises DatabaseUnavailable with a clear message."""
    url = configured_url()
    try:
        if url is None:
            ensure_demo_database()
            url = settings.default_demo_url()
        engine = _engines.get(url)
        if engine is None:
            # pool_pre_ping: a connection dropped by the server is replaced, not shown as an outage
            engine = st.connection(settings.CONNECTION_NAME, type="sql", url=url, pool_pre_ping=True).engine
            spec_for(engine).prepare(engine)  # the engine spec's session settings (idempotent)
            _engines[url] = engine
        _probe(url, engine)
        ensure_facts(engine)
    except Exception as error:  # noqa: BLE001 - every failure becomes one clear message
        shown = settings.display_url(url) if url else "the demo database"
        raise DatabaseUnavailable(
            f"The reporting database ({shown}) cannot be reached or is not a reporting database: "
            f"{type(error).__name__}. Nothing has been changed. Check {settings.ENV_VAR} or "
            "[connections.reporting] in .streamlit/secrets.toml, then reload."
        ) from error
    return url, engine


def database_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean the database failed mid-run (for the one error path in app.py)."""
    errors: list[type[BaseException]] = [sa.exc.SQLAlchemyError, DatabaseUnavailable, OSError]
    try:
        import duckdb

        errors.append(duckdb.Error)
    except ImportError:
        pass
    return tuple(errors)


def show_database_error(error: BaseException) -> None:
    """The one message every page shows when the database fails mid-run; the sidebar and menu stay usable."""
    st.error(f"The reporting database stopped answering while this page was drawn ({type(error).__name__}). "
             "Nothing has been changed. Try again in a moment (reload the page or pick another one); if it "
             "goes on, tell the dashboard's administrator.", icon=":material/database:")
