"""Test databases: a fresh DuckDB file, or a fresh schema in the test PostgreSQL.

PostgreSQL tests read the server's URL from PCD_TEST_POSTGRES_URL (.ci/run sets it).
Without it they are skipped on a developer's machine and fail under CI=true.
"""

import os
import uuid

import pytest
import sqlalchemy as sa

from data_access import schema

POSTGRES_ENV = "PCD_TEST_POSTGRES_URL"
ENGINES = ["duckdb", "postgresql"]


def postgres_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {POSTGRES_ENV} is not set: PostgreSQL tests must run in CI")
    pytest.skip(f"{POSTGRES_ENV} not set: PostgreSQL tests skipped (they run in CI)")
    return None


def new_postgres_engine(url: str) -> tuple[sa.Engine, str]:
    """An engine whose search_path is a new, empty schema; returns (engine, schema)."""
    name = f"pcd_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL at {POSTGRES_ENV} is not reachable: {error}")
    finally:
        admin.dispose()
    engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={name}"})
    return engine, name


def drop_postgres_schema(url: str, name: str) -> None:
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    admin.dispose()


def empty_database(kind: str, tmp_path) -> tuple[sa.Engine, callable]:
    """A database of `kind` with the reporting schema and no rows; returns (engine, cleanup)."""
    if kind == "duckdb":
        url = f"duckdb:///{tmp_path / 'test.duckdb'}"
        engine = sa.create_engine(url)
        schema.create_all(engine)
        return engine, engine.dispose
    url = postgres_url()
    engine, name = new_postgres_engine(url)
    schema.create_all(engine)

    def cleanup():
        engine.dispose()
        drop_postgres_schema(url, name)

    return engine, cleanup
