"""Benchmark: CPU time of one rerun with warm caches, the Overview against the trivial 16-tile page.

    python benchmarks/rerun.py --url duckdb:///data/demo_region.duckdb [--scope collaborative:IMPACT]
        [--runs 20] [--profile]

In process with AppTest: each page is run once to fill the caches, then `--runs` times; prints the
median and p95 CPU milliseconds per rerun (time.process_time: the script, Streamlit's element
building and AppTest's parsing, the same harness for both pages; scripts compiled once, as a server
does). `--profile` also prints a pyinstrument profile of the Overview's reruns (pip install pyinstrument).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from streamlit.testing.v1 import AppTest  # noqa: E402

TRIVIAL = ROOT / "benchmarks" / "trivial_app.py"


def share_script_cache() -> None:
    """AppTest compiles the scripts on every run (a new ScriptCache each time); a server compiles each once.
    One shared cache makes the in-process figures a server's."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    local_script_runner.ScriptCache = app_test.ScriptCache = lambda: shared


def warm(path: Path, scope: str | None) -> AppTest:
    at = AppTest.from_file(str(path), default_timeout=300)
    if scope:
        at.query_params["scope"] = scope
    at.run()
    if at.exception:
        raise RuntimeError(f"{path.name}: {at.exception[0].value}")
    return at


def cpu_per_rerun(at: AppTest, runs: int) -> list[float]:
    """CPU milliseconds of each of `runs` reruns."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        at.run()
        times.append((time.process_time() - started) * 1000)
    return times


def profile(at: AppTest, runs: int) -> str:
    """A pyinstrument profile of `runs` reruns, taken in the script's own thread (AppTest runs it in one)."""
    from pyinstrument import Profiler
    from pyinstrument.session import Session
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    sessions: list[Session] = []
    original = ScriptRunner._run_script

    def profiled(self, *args, **kwargs):
        with Profiler(interval=0.0005) as profiler:
            original(self, *args, **kwargs)
        sessions.append(profiler.last_session)

    ScriptRunner._run_script = profiled
    try:
        cpu_per_rerun(at, runs)
    finally:
        ScriptRunner._run_script = original
    combined = sessions[0]
    for session in sessions[1:]:
        combined = Session.combine(combined, session)
    return Profiler().output_text(session=combined, unicode=False, color=False) if False else _text(combined)


def _text(session) -> str:
    from pyinstrument.renderers import ConsoleRenderer

    return ConsoleRenderer(unicode=False, color=False, short_mode=True).render(session)


def describe(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"{statistics.median(ordered):10.1f} {p95:10.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="database URL (a DuckDB file no running app holds open)")
    parser.add_argument("--scope", default="collaborative:IMPACT")
    parser.add_argument("--role", default="lead_provider")
    parser.add_argument("--home", default="collaborative:IMPACT")
    parser.add_argument("--runs", type=int, default=20, choices=range(1, 501), metavar="1..500")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of the Overview")
    args = parser.parse_args()
    os.environ |= {"PCD_DATABASE_URL": args.url, "PCD_LOCAL_ROLE": args.role, "PCD_LOCAL_SCOPE": args.home}
    share_script_cache()
    overview, trivial = warm(ROOT / "app.py", args.scope), warm(TRIVIAL, None)
    print(f"database: {args.url}\nscope: {args.scope}; {args.runs} reruns each, warm caches\n")
    print(f"{'page':30} {'CPU ms p50':>10} {'CPU ms p95':>10}")
    print(f"{'Overview':30} {describe(cpu_per_rerun(overview, args.runs))}")
    print(f"{'trivial (16 tiles, a table)':30} {describe(cpu_per_rerun(trivial, args.runs))}")
    if args.profile:
        print(profile(overview, args.runs))


if __name__ == "__main__":
    main()
