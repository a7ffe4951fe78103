"""Governance forums (who meets, who they escalate to) and the KPIs each forum reviews."""

import pandas as pd
import sqlalchemy as sa

from data_access import access
from data_access.schema import collaborative, forum_kpi, governance_forum


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
    f = governance_forum
    chain, seen, current = [], {forum_id}, forum_id
    while True:
        parent = conn.execute(sa.select(f.c.parent_forum_id).where(f.c.forum_id == current)).scalar()
        if parent is None or parent in seen:
            return chain
        seen.add(parent)
        chain.append(conn.execute(sa.select(f.c.name).where(f.c.forum_id == parent)).scalar())
        current = parent
