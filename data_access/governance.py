"""Governance forums (who meets, who they escalate to), the KPIs each forum reviews, and what forums write:
pack narratives, actions, decisions and published (frozen) packs."""

import datetime as dt
import json
import uuid

import pandas as pd
import sqlalchemy as sa

from data_access import access, audit, clock
from data_access.schema import (
    collaborative,
    forum_kpi,
    governance_action,
    governance_decision,
    governance_forum,
    pack_narrative,
    published_pack,
)
from data_access.scope import parse_key


def forums(conn: sa.Connection, viewer, level: str, code: str | None, collaborative_id: str | None) -> pd.DataFrame:
    """Forums relevant to a scope: its collaborative's forums (or the region's, or all) and regional/national ones.

    Columns: forum_id, name, collaborative_id, collaborative_name, parent_forum_id, parent_name, kpi_count.
    """
    access.require(viewer, "see scope", (level, code), conn)
    f, parent = governance_forum, governance_forum.alias("parent")
    counts = sa.select(forum_kpi.c.forum_id, sa.func.count().label("kpi_count")).group_by(
        forum_kpi.c.forum_id).subquery("counts")
    query = (
        sa.select(f.c.forum_id, f.c.name, f.c.collaborative_id, collaborative.c.name.label("collaborative_name"),
                  f.c.parent_forum_id, parent.c.name.label("parent_name"),
                  sa.func.coalesce(counts.c.kpi_count, 0).label("kpi_count"))
        .select_from(f.outerjoin(collaborative, collaborative.c.collaborative_id == f.c.collaborative_id)
                     .outerjoin(parent, parent.c.forum_id == f.c.parent_forum_id)
                     .outerjoin(counts, counts.c.forum_id == f.c.forum_id))
        .where(_forum_scope(f, level, code, collaborative_id))
        .order_by(f.c.collaborative_id.is_(None), collaborative.c.name, f.c.name)
    )
    return pd.DataFrame(conn.execute(query).mappings().all(),
                        columns=["forum_id", "name", "collaborative_id", "collaborative_name", "parent_forum_id",
                                 "parent_name", "kpi_count"])


def _forum_scope(f, level, code, collaborative_id):
    if collaborative_id is not None:
        return sa.or_(f.c.collaborative_id == collaborative_id, f.c.collaborative_id.is_(None))
    if level == "region":
        in_region = sa.select(collaborative.c.collaborative_id).where(collaborative.c.region_code == code)
        return sa.or_(f.c.collaborative_id.in_(in_region), f.c.collaborative_id.is_(None))
    return sa.true()


def forum_kpi_ids(conn: sa.Connection, forum_id: str) -> list[str]:
    rows = conn.execute(sa.select(forum_kpi.c.kpi_id).where(forum_kpi.c.forum_id == forum_id)
                        .order_by(forum_kpi.c.kpi_id)).scalars().all()
    return list(rows)


def escalation_chain(conn: sa.Connection, forum_id: str) -> list[str]:
    """Names of the forums this one escalates to, nearest first (stops on a cycle)."""
    return [name for _, name in escalation_path(conn, forum_id)]


def escalation_path(conn: sa.Connection, forum_id: str) -> list[tuple[str, str]]:
    """(forum_id, name) of the forums this one escalates to, nearest first (stops on a cycle)."""
    f = governance_forum
    chain, seen, current = [], {forum_id}, forum_id
    while True:
        parent = conn.execute(sa.select(f.c.parent_forum_id).where(f.c.forum_id == current)).scalar()
        if parent is None or parent in seen:
            return chain
        seen.add(parent)
        chain.append((parent, conn.execute(sa.select(f.c.name).where(f.c.forum_id == parent)).scalar()))
        current = parent


# --- narratives, actions, decisions and published packs (docs/governance.md) ----------------------------
# Every write asks access.allowed(viewer, "write governance", scope) and writes its audit row ("edit" or
# "publish", target "<what> @ <scope key>") in the same transaction. Times are UTC (data_access/clock).
# Text is stored as written; pages escape it.

ACTION_STATUSES = ("open", "done", "dropped")
MAX_TEXT = 4000


class PackError(ValueError):
    """A write the pack refuses (empty text, unknown status, a pack already published for that date)."""


def _new_id() -> str:
    return uuid.uuid4().hex[:16]


def _text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise PackError(f"The {what} is empty.")
    if len(text) > MAX_TEXT:
        raise PackError(f"The {what} is longer than {MAX_TEXT:,} characters.")
    return text


def _write(engine: sa.Engine, viewer, scope: tuple[str, str | None], statement, audit_action: str, what: str,
           detail: dict) -> None:
    """Check the viewer may write for the scope, run the statement, then append the audit row."""
    level, code = scope
    key = scope_key(level, code)
    with engine.begin() as conn:
        access.require(viewer, "write governance", (level, code), conn)
        conn.execute(statement)
        audit.write(conn, viewer, audit_action, audit.target(what, key), detail)  # committed with the write


def scope_key(level: str, code: str | None) -> str:
    return level if level == "national" else f"{level}:{code}"


def save_narrative(engine: sa.Engine, viewer, scope: tuple, forum_id: str, month_start: dt.date, kpi_id: str,
                   text: str, flagged: bool, author: str) -> None:
    """A new version of a KPI's narrative for a forum, scope and month (the latest version is shown)."""
    row = {"forum_id": forum_id, "scope_key": scope_key(*scope), "month_start": month_start, "kpi_id": kpi_id,
           "written_at": clock.utc_now(precise=True), "author": author[:200], "flagged": bool(flagged),
           "text": _text(text, "narrative")}
    _write(engine, viewer, scope, pack_narrative.insert().values(**row), "edit", "Pack narrative",
           {"forum": forum_id, "kpi": kpi_id, "month": str(month_start), "flagged": flagged})


def narratives(conn: sa.Connection, forum_id: str, key: str, month_start: dt.date) -> pd.DataFrame:
    """The latest narrative of each KPI: kpi_id, text, author, written_at, flagged."""
    n = pack_narrative
    rows = conn.execute(sa.select(n.c.kpi_id, n.c.text, n.c.author, n.c.written_at, n.c.flagged).where(
        n.c.forum_id == forum_id, n.c.scope_key == key, n.c.month_start == month_start)
        .order_by(n.c.kpi_id, n.c.written_at)).all()
    frame = pd.DataFrame(rows, columns=["kpi_id", "text", "author", "written_at", "flagged"])
    return frame.drop_duplicates("kpi_id", keep="last").reset_index(drop=True)


def add_action(engine: sa.Engine, viewer, scope: tuple, forum_id: str, meeting_date: dt.date, text: str,
               owner: str, due_date: dt.date, kpi_id: str | None, author: str) -> str:
    now, action_id = clock.utc_now(), _new_id()
    row = {"action_id": action_id, "forum_id": forum_id, "scope_key": scope_key(*scope),
           "meeting_date": meeting_date, "text": _text(text, "action"), "owner": _text(owner, "owner")[:200],
           "due_date": due_date, "status": "open", "kpi_id": kpi_id or None, "created_by": author[:200],
           "created_at": now, "updated_by": author[:200], "updated_at": now}
    _write(engine, viewer, scope, governance_action.insert().values(**row), "edit", "Governance action",
           {"forum": forum_id, "action": action_id, "due": str(due_date), "status": "open"})
    return action_id


def set_action_status(engine: sa.Engine, viewer, scope: tuple, action_id: str, status: str, author: str) -> None:
    if status not in ACTION_STATUSES:
        raise PackError(f"Unknown action status '{status}'.")
    a = governance_action
    statement = a.update().where(a.c.action_id == action_id, a.c.scope_key == scope_key(*scope)).values(
        status=status, updated_by=author[:200], updated_at=clock.utc_now())
    _write(engine, viewer, scope, statement, "edit", "Governance action", {"action": action_id, "status": status})


def actions(conn: sa.Connection, forum_id: str, key: str) -> pd.DataFrame:
    """Every action of a forum for a scope, oldest due first."""
    a = governance_action
    columns = ["action_id", "meeting_date", "text", "owner", "due_date", "status", "kpi_id", "updated_by",
               "updated_at"]
    rows = conn.execute(sa.select(*[a.c[c] for c in columns]).where(a.c.forum_id == forum_id, a.c.scope_key == key)
                        .order_by(a.c.due_date, a.c.created_at)).all()
    return pd.DataFrame(rows, columns=columns)


def add_decision(engine: sa.Engine, viewer, scope: tuple, forum_id: str, meeting_date: dt.date, text: str,
                 kpi_id: str | None, author: str) -> str:
    decision_id = _new_id()
    row = {"decision_id": decision_id, "forum_id": forum_id, "scope_key": scope_key(*scope),
           "meeting_date": meeting_date, "text": _text(text, "decision"), "kpi_id": kpi_id or None,
           "recorded_by": author[:200], "recorded_at": clock.utc_now()}
    _write(engine, viewer, scope, governance_decision.insert().values(**row), "edit", "Governance decision",
           {"forum": forum_id, "decision": decision_id, "meeting": str(meeting_date)})
    return decision_id


def decisions(conn: sa.Connection, forum_id: str, key: str) -> pd.DataFrame:
    d = governance_decision
    columns = ["decision_id", "meeting_date", "text", "kpi_id", "recorded_by", "recorded_at"]
    rows = conn.execute(sa.select(*[d.c[c] for c in columns]).where(d.c.forum_id == forum_id, d.c.scope_key == key)
                        .order_by(d.c.meeting_date.desc(), d.c.recorded_at.desc())).all()
    return pd.DataFrame(rows, columns=columns)


def publish(engine: sa.Engine, viewer, scope: tuple, forum_id: str, meeting_date: dt.date, month_start: dt.date,
            rule: str, content: dict, author: str) -> str:
    """Freeze a pack (content: metrics.governance.freeze) for a meeting date; PackError when one exists."""
    p = published_pack
    key = scope_key(*scope)
    with engine.connect() as conn:
        taken = conn.execute(sa.select(sa.func.count()).where(
            p.c.forum_id == forum_id, p.c.scope_key == key, p.c.meeting_date == meeting_date)).scalar()
    if taken:
        raise PackError(f"A pack for this forum's meeting on {meeting_date:%d %b %Y} is published already; "
                        "published packs are never changed.")
    pack_id = _new_id()
    row = {"pack_id": pack_id, "forum_id": forum_id, "scope_key": key, "meeting_date": meeting_date,
           "month_start": month_start, "rule": rule, "published_by": author[:200], "published_at": clock.utc_now(),
           "content": json.dumps(content, sort_keys=True, default=str)}
    _write(engine, viewer, scope, p.insert().values(**row), "publish", "Meeting pack",
           {"forum": forum_id, "pack": pack_id, "meeting": str(meeting_date), "month": str(month_start),
            "rule": rule})
    return pack_id


def published_packs(conn: sa.Connection, forum_id: str, key: str) -> pd.DataFrame:
    """The forum's published packs for a scope, newest meeting first (without their content)."""
    p = published_pack
    columns = ["pack_id", "meeting_date", "month_start", "rule", "published_by", "published_at"]
    rows = conn.execute(sa.select(*[p.c[c] for c in columns]).where(p.c.forum_id == forum_id, p.c.scope_key == key)
                        .order_by(p.c.meeting_date.desc())).all()
    return pd.DataFrame(rows, columns=columns)


def published_content(conn: sa.Connection, pack_id: str, forum_id: str, key: str) -> dict | None:
    """The frozen content of one published pack of this forum and scope (None when there is no such pack)."""
    p = published_pack
    text = conn.execute(sa.select(p.c.content).where(p.c.pack_id == pack_id, p.c.forum_id == forum_id,
                                                      p.c.scope_key == key)).scalar()
    return None if text is None else json.loads(text)


def pack_records(conn: sa.Connection, viewer, forum_id: str, key: str, month_start: dt.date) -> dict[str, pd.DataFrame]:
    """{"narratives", "actions", "decisions", "published"} of a forum and scope (narratives of the month), for a
    viewer who may see the scope; read fresh (ui.cached.fresh): a write shows at once."""
    access.require(viewer, "see scope", parse_key(key), conn)
    return {"narratives": narratives(conn, forum_id, key, month_start), "actions": actions(conn, forum_id, key),
            "decisions": decisions(conn, forum_id, key), "published": published_packs(conn, forum_id, key)}


def write_allowed(conn: sa.Connection, viewer, level: str, code: str | None) -> bool:
    """May the viewer write to this scope's packs (access.allowed 'write governance')?"""
    return access.allowed(viewer, "write governance", (level, code), conn)
