"""Shared helpers for browser tests: a real `streamlit run app.py` on a free port, and Chromium.

Debian's Chromium (/usr/bin/chromium) is used; Playwright's own browser downloads do
not work here. Without it the tests are skipped locally and fail under CI=true.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from data_access import schema
from deploy.local import free_port

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {CHROMIUM} is missing: install Debian's chromium (see .ci/run)")
    pytest.skip(f"{CHROMIUM} not installed: browser tests skipped")


def build_duckdb_file(path: Path, builder) -> str:
    """A DuckDB file filled by `builder(engine)`, closed so another process can open it."""
    url = f"duckdb:///{path}"
    engine = sa.create_engine(url)
    schema.create_all(engine)
    builder(engine)
    engine.dispose()
    return url


@contextlib.contextmanager
def streamlit_server(database_url: str, extra_env: dict | None = None, script: str = "app.py"):
    """Run `streamlit run <script>` (the app by default) against `database_url`; yields the base URL.

    `script` is a path relative to the project root, e.g. the minimal app tests/a11y_baseline/app.py;
    it runs from the root so it gets the project's .streamlit/config.toml (theme) too."""
    port = free_port()
    env = {**os.environ, "PCD_DATABASE_URL": database_url, **(extra_env or {})}
    command = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_port(port, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_port(port: int, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace")
            raise RuntimeError(f"streamlit exited early:\n{output[-3000:]}")
        with contextlib.closing(socket.socket()) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("streamlit did not start listening in time")


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until the script has finished running (Streamlit's own test attribute)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_timeout(300)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 1800})
    page.wait_for_timeout(500)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
