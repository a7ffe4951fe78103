"""The deployment on one machine without containers: app processes (`streamlit run`) and nginx on
127.0.0.1, configured from the same template as the compose proxy (deploy/proxy.py).

Used by the proxy test (tests/test_deploy.py) and the load benchmark (benchmarks/load.py).
Every process started here is stopped by the context manager that started it.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from deploy.proxy import render

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HEALTH = "/_stcore/health"


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    """Wait until `url` answers 200 (bounded by `timeout` seconds); RuntimeError when the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited early (code {process.returncode}): {_output(process)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f} s")


def _output(process: subprocess.Popen) -> str:
    """The last lines the process wrote (its output goes to a temporary file: a pipe nobody reads would fill)."""
    log = getattr(process, "log_file", None)
    if log is None:
        return ""
    log.seek(0)
    return log.read().decode(errors="replace")[-2000:]


def start(command: list[str], env: dict | None = None) -> subprocess.Popen:
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log,
                               stderr=subprocess.STDOUT)
    process.log_file = log
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if getattr(process, "log_file", None) is not None:
        process.log_file.close()


@contextlib.contextmanager
def streamlit(script: str, env: dict | None = None):
    """`streamlit run script` on a free 127.0.0.1 port; yields (base URL, process)."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    process = start(command, env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base + HEALTH, process)
        yield base, process
    finally:
        stop(process)


@contextlib.contextmanager
def nginx(servers: list[str]):
    """nginx on a free 127.0.0.1 port in front of `servers` ("host:port"); yields (base URL, access log path)."""
    port = free_port()
    run_dir = Path(tempfile.mkdtemp(prefix="pcd_nginx_"))
    run_dir.chmod(0o755)  # nginx's workers (nobody, when started as root) write their temporary files here
    access_log = run_dir / "access.log"
    config = run_dir / "nginx.conf"
    config.write_text(render(servers, f"127.0.0.1:{port}", str(run_dir), access_log=str(access_log),
                             error_log=str(run_dir / "error.log")), encoding="utf-8")
    process = start([NGINX, "-c", str(config), "-p", str(run_dir)])
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base + "/proxy-health", process, timeout=30)
        yield base, access_log
    finally:
        stop(process)
        shutil.rmtree(run_dir, ignore_errors=True)


@contextlib.contextmanager
def stack(database_urls: list[str], env: dict | None = None):
    """One app process per database URL (a DuckDB file serves one process: give each its own copy; a
    PostgreSQL URL may repeat) behind nginx; yields (proxy base URL, [app base URLs], [app processes], access log).
    """
    with contextlib.ExitStack() as started:
        apps = [started.enter_context(streamlit("app.py", {**(env or {}), "PCD_DATABASE_URL": url}))
                for url in database_urls]
        servers = [base.removeprefix("http://") for base, _ in apps]
        proxy, access_log = started.enter_context(nginx(servers))
        yield proxy, [base for base, _ in apps], [process for _, process in apps], access_log
