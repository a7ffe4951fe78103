import pytest

from tests.databases import ENGINES, empty_database
from tests.fixture_db import build_fixture


@pytest.fixture(params=ENGINES)
def empty_engine(request, tmp_path):
    """An empty reporting database, once on DuckDB and once on PostgreSQL."""
    engine, cleanup = empty_database(request.param, tmp_path)
    yield engine
    cleanup()


@pytest.fixture(scope="module", params=ENGINES)
def fixture_engine(request, tmp_path_factory):
    """The small hand-built fixture database (tests/fixture_db.py) on each engine."""
    engine, cleanup = empty_database(request.param, tmp_path_factory.mktemp("fixture"))
    build_fixture(engine)
    yield engine
    cleanup()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright: launch Debian's Chromium (Playwright's browser downloads do not work here)."""
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}
