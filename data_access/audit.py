"""The audit trail: who viewed, exported, imported, signed in or was refused, appended to `audit_log`.

`record(engine, viewer, action, target, detail)` never raises: an audit write that fails is
logged and the page carries on. `write(conn, ...)` appends the same row inside the caller's
transaction (an import's row commits or rolls back with the import). Times are UTC
(data_access/clock.py); pages show them in UK time. Rows never hold patient identifiers: `detail` is the filters
of the action (scope, period, file name, rule…); keys that name patient-level records are
dropped and long values cut. `target` is "what @ scope key" (see `target()`) so that a lead
provider's audit page can show the rows about its own organisations (`read`).
"""

import contextvars
import datetime as dt
import json
import logging
from collections import deque

import pandas as pd
import sqlalchemy as sa

from data_access import access, clock
from data_access.schema import audit_log

ACTIONS = ("view", "export", "import", "login", "denied", "edit", "publish")
ACTION_LABELS = {"view": "Page view", "export": "Export", "import": "Import", "login": "Sign-in",
                 "denied": "Refused access", "edit": "Edit", "publish": "Publish"}
# Keys never written to the audit trail: they would name a patient or a patient-level record.
FORBIDDEN_KEYS = ("patient_id", "patient", "nhs_number", "referral_id", "spell_id", "ward_stay_id", "leave_id",
                  "intervention_id", "incident_id", "pseudonym", "name", "date_of_birth", "birth_year", "postcode")
MAX_TEXT = 500
LIMIT = 5000  # most rows the audit page reads at once
SEPARATOR = " @ "
UNKNOWN_ROLE = "unknown"

log = logging.getLogger(__name__)


def target(what: str, scope_key: str | None) -> str:
    """The audit target: the page or object, and the scope it was for (e.g. "Overview @ collaborative:IMPACT")."""
    return f"{what}{SEPARATOR}{scope_key or 'none'}"


def clean_detail(detail) -> str | None:
    """The detail as compact JSON, without patient-identifying keys, each value cut to MAX_TEXT characters."""
    if detail is None:
        return None
    if not isinstance(detail, dict):
        return str(detail)[:MAX_TEXT]
    safe = {str(k): str(v)[:MAX_TEXT] for k, v in detail.items() if str(k).lower() not in FORBIDDEN_KEYS}
    return json.dumps(safe, sort_keys=True, ensure_ascii=False)[:4 * MAX_TEXT]


# Rows whose write failed (database down), per database, retried with that database's next row.
_pending: dict[str, deque] = {}
_held: contextvars.ContextVar[tuple] = contextvars.ContextVar("audit_held", default=())  # see `hold`


def _row(viewer: access.Viewer | None, action: str, target: str, detail=None, user_id: str | None = None) -> dict:
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action '{action}'")
    return {"at": clock.utc_now(), "user_id": str(user_id or (viewer.user_id if viewer else "unknown"))[:200],
            "role": viewer.role if viewer else UNKNOWN_ROLE, "action": action, "target": str(target)[:MAX_TEXT],
            "detail": clean_detail(detail)}


def write(conn: sa.Connection, viewer: access.Viewer | None, action: str, target: str, detail=None,
          user_id: str | None = None) -> None:
    """Append one audit row in the caller's transaction (raises, unlike `record`)."""
    conn.execute(audit_log.insert().values(**_row(viewer, action, target, detail, user_id)))


def hold(viewer: access.Viewer | None, action: str, target: str, detail=None) -> None:
    """Stamp an audit row now and write it with this thread's next `record` (before that one, in the same
    transaction): the router holds a session's 'login' row for its first 'view' row, one write instead of two."""
    try:
        _held.set((*_held.get(), _row(viewer, action, target, detail)))
    except ValueError as error:
        log.warning("Audit row not written (%s %s): %s", action, target, error)


def record(engine: sa.Engine, viewer: access.Viewer | None, action: str, target: str, detail=None,
           user_id: str | None = None) -> bool:
    """Append one audit row, after any held ones; True when written. Never raises (a failure is logged)."""
    try:
        row = _row(viewer, action, target, detail, user_id)
    except ValueError as error:
        log.warning("Audit row not written (%s %s): %s", action, target, error)
        return flush(engine)
    return _write(engine, [*_take_held(), row])


def flush(engine: sa.Engine) -> bool:
    """Write the held rows now, if any (True when written)."""
    rows = _take_held()
    return _write(engine, rows) if rows else False


def _take_held() -> list[dict]:
    rows = list(_held.get())
    _held.set(())
    return rows


def _write(engine: sa.Engine, rows: list[dict]) -> bool:
    """Write the rows in one transaction, after any rows kept from earlier failures; failed rows are kept to retry
    (bounded)."""
    pending = _pending.setdefault(str(engine.url), deque(maxlen=1000))
    try:
        with engine.begin() as conn:
            conn.execute(audit_log.insert(), [*pending, *rows])
    except Exception as error:  # noqa: BLE001 - auditing must never break the page
        log.warning("Audit row not written, kept to retry (%s %s): %s", rows[-1]["action"], rows[-1]["target"],
                    type(error).__name__)
        pending.extend(rows)
        return False
    pending.clear()
    return True


def read(conn: sa.Connection, viewer: access.Viewer | None, start: dt.date, end: dt.date,
         actions: tuple[str, ...] = (), user_contains: str = "", limit: int = LIMIT,
         keys: set[str] | None = None) -> pd.DataFrame:
    """Audit rows from `start` to `end` (inclusive UK dates), newest first, that the viewer may read; `at` in
    UK time.

    national (and trusted callers): every row. lead_provider: rows whose target scope is one of
    the organisations it may see (access.visible_keys, or `keys` when the caller has them already).
    Other roles: AccessDenied.
    """
    access.require(viewer, "read audit")
    a = audit_log
    first, after = clock.utc_bounds(start, end)
    where = [a.c.at >= sa.literal(first, sa.DateTime), a.c.at < sa.literal(after, sa.DateTime)]
    if actions:
        where.append(a.c.action.in_(list(actions)))
    if user_contains.strip():
        where.append(sa.func.lower(a.c.user_id).contains(user_contains.strip().lower(), autoescape=True))
    keys = access.visible_keys(conn, viewer) if keys is None else keys
    if keys is not None:
        where.append(sa.or_(sa.false(), *[a.c.target.endswith(SEPARATOR + k, autoescape=True) for k in sorted(keys)]))
    query = (sa.select(a.c.at, a.c.user_id, a.c.role, a.c.action, a.c.target, a.c.detail).where(*where)
             .order_by(a.c.at.desc()).limit(limit))
    rows = [(clock.uk(r[0]), *r[1:]) for r in conn.execute(query).all()]
    return pd.DataFrame(rows, columns=["at", "user_id", "role", "action", "target", "detail"])
