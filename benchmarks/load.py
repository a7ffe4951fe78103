"""Benchmark: N concurrent sessions over Streamlit's websocket protocol (no browser): p50/p95/max, errors, throughput.

One line, starting everything itself (a trivial 16-tile page, the app as one process, two app
processes behind nginx configured from deploy/nginx.conf.template), same run, same machine:

    python benchmarks/load.py --serve duckdb:///data/demo_region.duckdb --sessions 50 --runs 2

Against servers already running (name=URL; the URL's path is the page, its query the scope):

    python benchmarks/load.py --sessions 50 overview=http://127.0.0.1:8501/?scope=collaborative:IMPACT \
        trivial=http://127.0.0.1:8502/

Each session does what a browser tab does: first request (gets the proxy's route cookie), websocket,
then asks for the page `--runs` times in a row (the first run opens the session, the next ones are
reruns, as after a click). All sessions start together. With --serve it also prints each server's CPU
time per run (/proc), which depends less on a busy machine than the latency does. A DuckDB file
serves one process: --serve gives each app process its own copy; a PostgreSQL URL is shared.
"""

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy import local  # noqa: E402
from deploy.wsclient import Session, route_cookie  # noqa: E402

TRIVIAL_APP = "benchmarks/trivial_app.py"
PHASE_LIMIT = 900  # seconds: a phase that runs longer is cut and its unfinished sessions count as errors


@dataclass
class Target:
    name: str
    base: str
    page: str = ""
    query: str = ""
    pids: list[int] = field(default_factory=list)  # the server processes (for CPU time), when known

    @classmethod
    def parse(cls, spec: str) -> "Target":
        name, _, url = spec.partition("=")
        if not url:
            raise argparse.ArgumentTypeError(f"'{spec}': give name=URL")
        parts = urllib.parse.urlsplit(url)
        return cls(name, f"{parts.scheme}://{parts.netloc}", parts.path.strip("/"), parts.query)


@dataclass
class Result:
    times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0
    cpu: float | None = None  # server CPU seconds during the phase


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU seconds of the processes so far (Linux /proc), None when unknown."""
    if not pids:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


async def one_session(target: Target, runs: int, result: Result) -> None:
    try:
        cookie = await asyncio.to_thread(route_cookie, target.base)
        async with Session(target.base, cookie) as session:
            for _ in range(runs):
                run = await session.run(target.page, target.query)
                result.times.append(run.seconds)
                result.errors.extend(run.errors[:1])
    except Exception as error:  # noqa: BLE001 - a failed session is counted, not fatal
        result.errors.append(f"{type(error).__name__}: {error}"[:200])


async def phase(target: Target, sessions: int, runs: int) -> Result:
    result = Result()
    before = cpu_seconds(target.pids)
    started = time.perf_counter()
    tasks = [asyncio.create_task(one_session(target, runs, result)) for _ in range(sessions)]
    done, pending = await asyncio.wait(tasks, timeout=PHASE_LIMIT)
    for task in pending:
        task.cancel()
        result.errors.append("session cut at the phase limit")
    result.wall = time.perf_counter() - started
    after = cpu_seconds(target.pids)
    result.cpu = None if before is None else after - before
    return result


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


HEADER = (f"{'target':28} {'sessions':>8} {'runs':>5} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'errors':>6} "
          f"{'runs/s':>7} {'server CPU ms/run':>18}")


def line(name: str, sessions: int, result: Result) -> str:
    if not result.times:
        return f"{name:28} {sessions:8d} {0:5d} {'-':>7} {'-':>7} {'-':>7} {len(result.errors):6d}"
    cpu = f"{result.cpu * 1000 / len(result.times):18.0f}" if result.cpu is not None else f"{'-':>18}"
    return (f"{name:28} {sessions:8d} {len(result.times):5d} {statistics.median(result.times):7.2f} "
            f"{p95(result.times):7.2f} {max(result.times):7.2f} {len(result.errors):6d} "
            f"{len(result.times) / result.wall:7.2f} {cpu}")


def conditions() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}"


async def measure(targets: list[Target], sessions: int, runs: int, repeat: int) -> dict[str, list[Result]]:
    results: dict[str, list[Result]] = {t.name: [] for t in targets}
    print(HEADER)
    for _ in range(repeat):
        for target in targets:
            result = await phase(target, sessions, runs)
            results[target.name].append(result)
            print(line(target.name, sessions, result), flush=True)
            if result.errors:
                print(f"{'':28} first error: {result.errors[0]}")
    return results


def warm(targets: list[Target], bases: list[str]) -> None:
    """One session per server process asks for each page once, so the runs measured find warm caches."""
    async def go():
        for target in targets:
            for base in bases if target.name != "trivial" else [target.base]:
                async with Session(base) as session:
                    await session.run(target.page, target.query)
    asyncio.run(go())


def summary(results: dict[str, list[Result]]) -> None:
    def best(name: str, key) -> float:
        return statistics.median(key(r) for r in results[name] if r.times)

    if "trivial" in results and "overview, one process" in results:
        ratio = best("overview, one process", lambda r: p95(r.times)) / best("trivial", lambda r: p95(r.times))
        print(f"Overview p95 / trivial p95, one process: {ratio:.2f} (goal: at most 2)")
    if "overview, one process" in results and "overview, proxy" in results:
        rate = lambda r: len(r.times) / r.wall
        ratio = best("overview, proxy", rate) / best("overview, one process", rate)
        print(f"throughput, two processes behind nginx / one process: {ratio:.2f} (goal: at least 1.5)")


def copies(url: str, count: int, folder: Path) -> list[str]:
    """`count` database URLs: copies of a DuckDB file (one per process), or the same PostgreSQL URL."""
    if not url.startswith("duckdb:///"):
        return [url] * count
    source = Path(url.removeprefix("duckdb:///"))
    out = []
    for index in range(count):
        copy = folder / f"app{index}.duckdb"
        shutil.copyfile(source, copy)
        out.append(f"duckdb:///{copy}")
    return out


def serve_and_measure(args) -> None:
    env = {"PCD_LOCAL_ROLE": args.role, "PCD_LOCAL_SCOPE": args.home}
    query = urllib.parse.urlencode({"scope": args.scope})
    with tempfile.TemporaryDirectory(prefix="pcd_load_") as folder, ExitStack() as started:
        trivial_base, trivial = started.enter_context(local.streamlit(TRIVIAL_APP))
        proxy, bases, processes, _ = started.enter_context(local.stack(copies(args.serve, 2, Path(folder)), env))
        targets = [Target("trivial", trivial_base, pids=[trivial.pid]),
                   Target("overview, one process", bases[0], query=query, pids=[processes[0].pid]),
                   Target("overview, proxy", proxy, query=query, pids=[p.pid for p in processes])]
        warm(targets, bases)
        print(f"database: {args.serve}; scope {args.scope}, role {args.role}; {args.sessions} sessions x "
              f"{args.runs} runs; {conditions()}")
        results = asyncio.run(measure(targets, args.sessions, args.runs, args.repeat))
        print(f"after: {conditions()}")
        summary(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", type=Target.parse, help="name=URL of a running server or proxy")
    parser.add_argument("--serve", metavar="DATABASE_URL", help="start the trivial page, the app and the proxy")
    parser.add_argument("--sessions", type=int, default=50, choices=range(1, 501), metavar="1..500")
    parser.add_argument("--runs", type=int, default=2, choices=range(1, 21), metavar="1..20")
    parser.add_argument("--repeat", type=int, default=1, choices=range(1, 11), metavar="1..10")
    parser.add_argument("--scope", default="collaborative:IMPACT")
    parser.add_argument("--role", default="lead_provider", help="local_role of the served app")
    parser.add_argument("--home", default="collaborative:IMPACT", help="local_scope of the served app")
    args = parser.parse_args()
    if bool(args.serve) == bool(args.targets):
        parser.error("give either --serve DATABASE_URL or name=URL targets")
    if args.serve:
        serve_and_measure(args)
        return
    print(f"{args.sessions} sessions x {args.runs} runs; {conditions()}")
    summary(asyncio.run(measure(args.targets, args.sessions, args.runs, args.repeat)))
    print(f"after: {conditions()}")


if __name__ == "__main__":
    main()
