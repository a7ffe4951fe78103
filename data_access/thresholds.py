"""The one threshold lookup: the RAG bands for a scope, each with its provenance.

`lookup(conn, collaborative_id, is_demo)` reads `kpi_threshold`: a collaborative's own row wins over the
default row (collaborative_id NULL). Provenance: "<collaborative>'s own threshold" for its own rows; for
default rows "National standard", or "Demo threshold (synthetic data)" when the database is the demo.
`collaborative_of(scope, parents)` is the one rule for which collaborative's bands apply at a scope: the
scope's own collaborative, or the nearest above it; England and regions use the defaults. Every page,
pack and export asks through ui.cached.bands(ctx), so a KPI has one RAG at one scope everywhere.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from data_access.schema import kpi_threshold

NATIONAL = "National standard"
DEMO = "Demo threshold (synthetic data)"


@dataclass(frozen=True)
class Band:
    green: float
    amber: float
    source: str = ""  # where the threshold comes from, shown beside it
    of: str | None = None  # rate |value| ÷ this KPI's value × 100, either way (variance to budget: of budget_gbp)


def collaborative_of(scope, parents) -> str | None:
    """The collaborative whose bands apply at `scope` (a Scope; `parents` from England down)."""
    nodes = [*parents, scope]
    return next((n.code for n in reversed(nodes) if n.level == "collaborative"), None)


def lookup(conn: sa.Connection, collaborative_id: str | None, is_demo: bool = False) -> dict[str, Band]:
    """{kpi_id: Band}: the collaborative's own bands where set, else the defaults."""
    t = kpi_threshold
    rows = conn.execute(
        sa.select(t.c.kpi_id, t.c.collaborative_id, t.c.green, t.c.amber)
        .where(sa.or_(t.c.collaborative_id.is_(None), t.c.collaborative_id == collaborative_id))
        .order_by(t.c.kpi_id, t.c.collaborative_id.is_(None).desc())
    ).all()
    default = DEMO if is_demo else NATIONAL
    return {kpi_id: Band(float(green), float(amber), f"{collab}'s own threshold" if collab else default)
            for kpi_id, collab, green, amber in rows}
