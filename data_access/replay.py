"""Replay a day of bed-state reports into the database, one slice every few seconds (a live demo).

    python -m data_access.replay --url URL --interval 3 [--day 2024-03-10] [--step-minutes 60]

The day's reports (default: the day of the newest report) are taken out of `bed_state`, then
written back in time order, one slice of `--step-minutes` of reporting time at a time, every
`--interval` seconds, through the same bulk loader as every import (data_access/bulk.py), each
slice with its own `load_log` row (feed bed_state) and its wards' capacity facts rewritten in the same
transaction (data_access/facts.py: refresh_reports). The Bed occupancy page in presentation mode
shows the map change as the slices arrive. Stopped early (Ctrl+C or an error), the rest of the
day is written back at once, so the database always ends with every report it started with.

DuckDB allows one writing process per file: run this against PostgreSQL while the app is
running, or against a DuckDB file no app has open.
"""

import argparse
import datetime as dt
import sys
import time
import uuid
from collections.abc import Callable

import pandas as pd
import sqlalchemy as sa

from data_access import bulk, clock, facts
from data_access.engine import display_url, make_engine
from data_access.schema import bed_state, load_log

COLUMNS = [c.name for c in bed_state.columns]


class ReplayError(RuntimeError):
    """Nothing to replay, or the database cannot be written; the message says which."""


def newest_day(conn) -> dt.date | None:
    newest = conn.execute(sa.select(sa.func.max(bed_state.c.reported_at))).scalar()
    return None if newest is None else pd.Timestamp(newest).date()


def _day_filter(day: dt.date):
    start = dt.datetime.combine(day, dt.time())
    return sa.and_(bed_state.c.reported_at >= sa.literal(start, sa.DateTime),
                   bed_state.c.reported_at < sa.literal(start + dt.timedelta(days=1), sa.DateTime))


def take_day(conn, day: dt.date) -> pd.DataFrame:
    """Read and delete the day's reports (inside the caller's transaction, with their capacity facts);
    returns them in time order."""
    result = conn.execute(sa.select(*bed_state.columns).where(_day_filter(day))
                          .order_by(bed_state.c.reported_at, bed_state.c.ward_code))
    frame = pd.DataFrame(result.fetchall(), columns=COLUMNS)
    conn.execute(sa.delete(bed_state).where(_day_filter(day)))
    frame["reported_at"] = pd.to_datetime(frame["reported_at"])
    facts.refresh_reports(conn, frame)
    return frame


def slices(frame: pd.DataFrame, day: dt.date, step_minutes: int) -> list[pd.DataFrame]:
    """The reports cut into consecutive windows of `step_minutes` (empty windows skipped)."""
    offset = (frame["reported_at"] - pd.Timestamp(day)) // pd.Timedelta(minutes=step_minutes)
    return [group.reset_index(drop=True) for _, group in frame.groupby(offset, sort=True)]


def write_slice(conn, part: pd.DataFrame, source: str) -> None:
    """Insert one slice through the bulk loader, with its capacity facts, and record it in load_log."""
    bulk.insert_frame(conn, "bed_state", part)
    facts.refresh_reports(conn, part)
    conn.execute(sa.insert(load_log).values(
        load_id=f"replay-{uuid.uuid4().hex[:20]}", feed="bed_state",
        loaded_at=clock.utc_now(), rows=len(part), source=source,
        status="ok", message=None))


def replay(engine: sa.Engine, day: dt.date | None = None, interval: float = 3.0, step_minutes: int = 60,
           sleep: Callable[[float], None] = time.sleep, log: Callable[[str], None] = print,
           after_step: Callable[[int, int], None] | None = None) -> int:
    """Replay the day's reports; returns how many were written back."""
    with engine.begin() as conn:
        day = day or newest_day(conn)
        if day is None:
            raise ReplayError("There are no bed-state reports to replay.")
        frame = take_day(conn, day)
    if frame.empty:
        raise ReplayError(f"There are no bed-state reports on {day:%d %b %Y} to replay.")
    parts = slices(frame, day, step_minutes)
    log(f"Replaying {len(frame)} bed-state reports of {day:%d %b %Y} in {len(parts)} steps, every {interval:g} s.")
    written = 0
    try:
        for number, part in enumerate(parts, start=1):
            with engine.begin() as conn:
                write_slice(conn, part, f"replay: bed_state of {day} (step {number} of {len(parts)})")
            written += len(part)
            log(f"{part['reported_at'].iloc[-1]:%H:%M} · step {number} of {len(parts)}: {len(part)} reports")
            if after_step:
                after_step(number, len(parts))
            if number < len(parts):
                sleep(interval)
    finally:
        if written < len(frame):
            with engine.begin() as conn:
                write_slice(conn, frame.iloc[written:], f"replay: bed_state of {day} (rest, replay stopped)")
            log(f"Stopped: wrote the remaining {len(frame) - written} reports back at once.")
            written = len(frame)
        with engine.begin() as conn:
            bulk.analyze(conn, facts.CAPACITY_TABLES)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="database URL (PostgreSQL, or a DuckDB file no app has open)")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between steps (default 3)")
    parser.add_argument("--day", type=dt.date.fromisoformat, default=None,
                        help="the day to replay, YYYY-MM-DD (default: the day of the newest report)")
    parser.add_argument("--step-minutes", type=int, default=60, help="reporting time per step (default 60)")
    args = parser.parse_args(argv)
    if args.interval < 0 or not 1 <= args.step_minutes <= 1440:
        parser.error("--interval must be 0 or more and --step-minutes between 1 and 1440")
    engine = make_engine(args.url)
    try:
        replay(engine, args.day, args.interval, args.step_minutes)
    except ReplayError as error:
        print(str(error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except sa.exc.SQLAlchemyError as error:
        hint = (" DuckDB allows one writing process per file: stop the app or use PostgreSQL."
                if args.url.startswith("duckdb") else "")
        print(f"The database ({display_url(args.url)}) could not be written: {type(error).__name__}.{hint}",
              file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
