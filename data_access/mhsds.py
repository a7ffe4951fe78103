"""The monthly extract (shaped like the Mental Health Services Data Set v6): load and export.

    python -m data_access.mhsds load --url URL DIR
    python -m data_access.mhsds export --url URL --out DIR

`load_extract(engine, directory, ...)` reads every CSV file of DIR (data_access/mhsds_files.py),
checks them all (data_access/mhsds_check.py) and loads them in ONE transaction with a `load_log`
row (feed mhsds) and an audit row; or changes nothing and names each problem's file, row and
column. A provider's submission of a month replaces that provider's month: `extract_record` says
which submissions hold each patient, referral, spell, ward stay and leave record; a record is
written with the values of the latest month that holds it, and a record no submission holds any
more is deleted with everything that refers to it (no duplicates, no orphans). Events (restrictive
interventions, and the local incident, staffing and bed-state feeds when their file is present)
are replaced by provider and month. Organisations and wards are reference data the loader never
invents (`python -m demo --scale region --reference-only --url URL` builds just those).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from data_access import audit, bulk, clock, dialect, facts, mhsds_check
from data_access import schema as s
from data_access.mhsds_files import HEADER, ExtractError, Problem, csv_files, read_file

FEED = "mhsds"
# Records held by submissions, parents first; each with its key column.
HELD = {"patient": "patient_id", "referral": "referral_id", "hospital_spell": "spell_id",
        "ward_stay": "ward_stay_id", "leave_episode": "leave_id"}
# Events replaced by provider (the ward's) and month, with the column that dates them.
EVENTS = {"restrictive_intervention": "started_at", "incident": "occurred_at", "staffing": "month_start",
          "bed_state": "reported_at"}
# What refers to what: (child table, column, parent table), for deleting what a dropped record leaves behind.
CASCADE = [("referral", "patient_id", "patient"), ("hospital_spell", "patient_id", "patient"),
           ("hospital_spell", "referral_id", "referral"), ("ward_stay", "spell_id", "hospital_spell"),
           ("leave_episode", "ward_stay_id", "ward_stay"), ("restrictive_intervention", "patient_id", "patient")]
DELETE_ORDER = ["leave_episode", "restrictive_intervention", "ward_stay", "hospital_spell", "referral", "patient"]
KEYS = HELD | {"restrictive_intervention": "intervention_id"}
MB = 1_000_000


@dataclass
class LoadResult:
    status: str  # ok, rejected
    rows: int
    message: str
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def read_extract(directory: Path, max_bytes: int, max_rows: int) -> dict[str, pd.DataFrame]:
    """Every file of the extract, parsed; ExtractError with all the problems found."""
    paths, problems = csv_files(directory)
    parsed = {}
    for table, path in paths.items():
        frame, found = read_file(path, max_bytes, max_rows)
        problems += found
        parsed[table] = frame
    if problems:
        raise ExtractError(problems)
    return parsed


# --------------------------------------------------------------------------- writing

def _now() -> dt.datetime:
    return clock.utc_now()


def _columns(table: str) -> list[str]:
    return [c.name for c in s.metadata.tables[table].columns]


def _stage_submissions(conn, subs: pd.DataFrame) -> sa.Table:
    frame = subs[["provider_code", "month_start"]].copy()
    frame["month_next"] = frame["month_start"].map(mhsds_check._month_after)
    return bulk.stage_columns(conn, "stage_submission", {"provider_code": s.CODE, "month_start": sa.Date,
                                                         "month_next": sa.Date}, frame)


def _previously_held(conn, sub: sa.Table) -> dict[str, set]:
    """{table: ids} the loaded submissions held before this load; their extract_record rows are removed."""
    r = s.extract_record
    match = sa.exists().where(sub.c.provider_code == r.c.provider_code, sub.c.month_start == r.c.month_start)
    held = {t: set() for t in HELD}
    for table, record in conn.execute(sa.select(r.c.table_name, r.c.record_id).where(match)):
        held[table].add(record)
    conn.execute(sa.delete(r).where(match))
    return held


def _latest(frame: pd.DataFrame, table: str, conn) -> pd.DataFrame:
    """One row per record, from the latest month of this load, unless a later month already holds it."""
    key = HELD[table]
    frame = frame.sort_values("_month", kind="stable").drop_duplicates(key, keep="last")
    r = s.extract_record
    newer = dict(conn.execute(
        sa.select(r.c.record_id, sa.func.max(r.c.month_start))
        .where(r.c.table_name == table, r.c.month_start > frame["_month"].min()).group_by(r.c.record_id)).all())
    if newer:
        frame = frame[~(frame[key].map(newer) > frame["_month"]).fillna(False).astype(bool)]
    return frame


def _upsert(conn, table: str, frame: pd.DataFrame) -> None:
    key = HELD[table]
    target = s.metadata.tables[table]
    if frame.empty:
        return
    stage = bulk.stage(conn, f"stage_{table}", table, _latest(frame, table, conn))
    for column in [c for c in _columns(table) if c != key]:
        # one column at a time, only where it changed: DuckDB rewrites a row whose indexed column is set,
        # which its foreign keys refuse while children refer to the row
        conn.execute(sa.update(target).values({column: stage.c[column]})
                     .where(target.c[key] == stage.c[key], target.c[column].is_distinct_from(stage.c[column])))
    new = sa.select(*stage.c).where(~sa.exists().where(target.c[key] == stage.c[key]))
    conn.execute(sa.insert(target).from_select(_columns(table), new))
    bulk.unstage(conn, stage)


def _hold(conn, frames: dict[str, pd.DataFrame]) -> None:
    parts = [pd.DataFrame({"provider_code": f["_provider"], "month_start": f["_month"], "table_name": t,
                           "record_id": f[HELD[t]]}) for t, f in frames.items() if t in HELD]
    if parts:
        bulk.insert_frame(conn, "extract_record", pd.concat(parts).drop_duplicates())


def _ward_of_submission(sub: sa.Table, table: sa.Table, when: str):
    w, u = s.ward, s.unit
    day = table.c[when]
    return sa.exists().where(w.c.ward_code == table.c.ward_code, u.c.unit_code == w.c.unit_code,
                             u.c.provider_code == sub.c.provider_code, day >= sub.c.month_start,
                             day < sub.c.month_next)


def _replace_events(conn, sub: sa.Table, frames: dict, present: set[str]) -> None:
    for table, when in EVENTS.items():
        if table != "restrictive_intervention" and mhsds_check.FILE_OF[table] not in present:
            continue
        target = s.metadata.tables[table]
        conn.execute(sa.delete(target).where(_ward_of_submission(sub, target, when)))
        if table in frames:
            bulk.insert_frame(conn, table, frames[table])


def _ids_in(conn, table: str, column: str, values: set) -> set:
    t = s.metadata.tables[table]
    values, found = sorted(values), set()
    key = KEYS[table]
    for i in range(0, len(values), mhsds_check.CHUNK):
        found |= set(conn.execute(sa.select(t.c[key]).where(t.c[column].in_(values[i:i + mhsds_check.CHUNK])))
                     .scalars())
    return found


def _dropped(conn, before: dict[str, set], frames: dict) -> dict[str, set]:
    """Records no submission holds any more, and every record that refers to one of them."""
    r = s.extract_record
    gone = {t: set() for t in KEYS}
    for table in HELD:
        loaded = set(frames[table][HELD[table]]) if table in frames else set()
        candidates = before[table] - loaded
        held = {x for x in candidates if conn.execute(
            sa.select(sa.func.count()).where(r.c.table_name == table, r.c.record_id == x)).scalar()}
        gone[table] |= candidates - held
    for child, column, parent in CASCADE:
        if gone[parent]:
            gone[child] |= _ids_in(conn, child, column, gone[parent])
    return gone


def _delete(conn, gone: dict[str, set], tables: list[str]) -> int:
    r, n = s.extract_record, 0
    for table in tables:
        ids = sorted(gone[table])
        t = s.metadata.tables[table]
        for i in range(0, len(ids), mhsds_check.CHUNK):
            part = ids[i:i + mhsds_check.CHUNK]
            n += conn.execute(sa.delete(t).where(t.c[KEYS[table]].in_(part))).rowcount or 0
            if table in HELD:
                conn.execute(sa.delete(r).where(r.c.table_name == table, r.c.record_id.in_(part)))
    return n


def _record_submissions(conn, sub: sa.Table, subs: pd.DataFrame, frames: dict, load_id: str,
                        now: dt.datetime) -> None:
    """One extract_submission row per provider-month loaded, keeping the time it first arrived."""
    counts = pd.concat([f[["_provider", "_month"]] for f in frames.values()] or [pd.DataFrame(
        columns=["_provider", "_month"])]).value_counts()
    e = s.extract_submission
    match = sa.exists().where(sub.c.provider_code == e.c.provider_code, sub.c.month_start == e.c.month_start)
    first = {(p, m): at for p, m, at in conn.execute(sa.select(e.c.provider_code, e.c.month_start,
                                                                 e.c.first_loaded_at).where(match))}
    conn.execute(sa.delete(e).where(match))
    keys = list(zip(subs["provider_code"], subs["month_start"]))
    bulk.insert_frame(conn, "extract_submission", pd.DataFrame({
        "provider_code": subs["provider_code"].to_numpy(), "month_start": subs["month_start"].to_numpy(),
        "first_loaded_at": [first.get(k, now) for k in keys], "loaded_at": now, "load_id": load_id,
        "rows": [int(counts.get(k, 0)) for k in keys]}))


def _log(conn, viewer, load_id: str, status: str, rows: int, source: str, message: str, scope_key: str) -> None:
    conn.execute(sa.insert(s.load_log).values(load_id=load_id, feed=FEED, loaded_at=_now(), rows=rows,
                                              source=source[:500], status=status, message=message[:4000]))
    audit.write(conn, viewer, "import", audit.target("MHSDS extract", scope_key),
                {"source": source[:200], "status": status, "rows": rows, "message": message[:300]},
                user_id=None if viewer else "system")


def _scope_key(subs: pd.DataFrame) -> str:
    providers = sorted(set(subs["provider_code"]))
    return f"provider:{providers[0]}" if len(providers) == 1 else "national"


def _summary(subs: pd.DataFrame) -> str:
    months = subs.groupby("provider_code")["month_start"].agg(["min", "max", "count"])
    parts = [f"{p} {r['min']:%b %Y}" + (f"–{r['max']:%b %Y} ({r['count']} months)" if r["count"] > 1 else "")
             for p, r in months.iterrows()]
    return "Replaced " + "; ".join(parts)


def _write(conn, subs, frames, present, load_id, now) -> dict[str, set]:
    sub = _stage_submissions(conn, subs)
    before = _previously_held(conn, sub)
    for table in HELD:
        if table in frames:
            _upsert(conn, table, frames[table])
    _hold(conn, frames)
    _replace_events(conn, sub, frames, present)
    gone = _dropped(conn, before, frames)
    _record_submissions(conn, sub, subs, frames, load_id, now)
    bulk.unstage(conn, sub)
    return gone


def _refresh_facts(conn, frames: dict) -> None:
    """The daily ward facts rebuilt from what the load wrote, then the planner's statistics (every load path)."""
    facts.refresh(conn)
    bulk.analyze(conn, [*frames, *facts.TABLES, "extract_record", "extract_submission"])


def reject(engine, viewer, source: str, problems: list[Problem]) -> LoadResult:
    message = str(ExtractError(problems))
    with engine.begin() as conn:
        _log(conn, viewer, f"mhsds-{uuid.uuid4().hex[:26]}", "rejected", 0, source, message, "national")
    return LoadResult("rejected", 0, message, problems)


def load_extract(engine: sa.Engine, directory, viewer=None, max_bytes: int = 500 * MB,
                 max_rows: int = 2_000_000) -> LoadResult:
    """Load the extract in DIR in one transaction, or nothing; every attempt is logged and audited."""
    started = time.perf_counter()
    directory = Path(directory)
    source = f"extract: {directory.name}"
    s.create_all(engine)
    try:
        parsed = read_extract(directory, max_bytes, max_rows)
        with engine.connect() as conn:
            subs, frames = mhsds_check.build(conn, parsed)
    except ExtractError as error:
        return reject(engine, viewer, source, error.problems)
    load_id, now = f"mhsds-{uuid.uuid4().hex[:26]}", _now()
    rows = sum(len(f) for f in frames.values())
    message = _summary(subs)
    present = set(parsed) - {HEADER}
    try:
        with engine.begin() as conn:
            gone = _write(conn, subs, frames, present, load_id, now)
            same_transaction = dialect.deletes_parents_after_children(conn)
            dropped = _delete(conn, gone, DELETE_ORDER if same_transaction else [])
            _refresh_facts(conn, frames)
            _log(conn, viewer, load_id, "ok", rows, source, message, _scope_key(subs))
        if not same_transaction:
            for table in DELETE_ORDER:
                with engine.begin() as conn:
                    dropped += _delete(conn, gone, [table])
            if dropped:
                with engine.begin() as conn:
                    _refresh_facts(conn, frames)
    except sa.exc.SQLAlchemyError as error:
        text = f"The database refused the load ({type(error.orig or error).__name__}: {str(error.orig)[:200]})"
        return reject(engine, viewer, source, [Problem(directory.name, None, None, text + "; nothing was changed")])
    bulk.tidy(engine, facts.TABLES)
    message += f"; {dropped} record(s) no longer submitted were removed" if dropped else ""
    return LoadResult("ok", rows, f"Loaded {rows:,} rows. {message}.", seconds=time.perf_counter() - started)


# --------------------------------------------------------------------------- command line

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access.mhsds", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="load a directory of extract CSV files")
    load.add_argument("--url", required=True)
    load.add_argument("directory")
    export = commands.add_parser("export", help="write the database's activity as an extract")
    export.add_argument("--url", required=True)
    export.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    from data_access.engine import make_engine
    from settings import load as load_settings

    values, _ = load_settings()
    engine = make_engine(args.url)
    try:
        if args.command == "export":
            from data_access.mhsds_export import export_extract

            counts = export_extract(engine, Path(args.out))
            print("\n".join(f"{name}.csv  {n:>10,}" for name, n in counts.items()))
            return 0
        result = load_extract(engine, args.directory, max_bytes=values["max_extract_file_mb"] * MB,
                              max_rows=values["max_extract_rows"])
    finally:
        engine.dispose()
    print(result.message if result.ok else "Nothing loaded:\n" + "\n".join(f"  {p}" for p in result.problems))
    if result.ok:
        print(f"in {result.seconds:.1f} s")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
