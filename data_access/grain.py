"""The grain of an aggregate: which rows a measure's one SELECT returns.

Each measure of data_access/kpi_queries.py (and restrictive.py) is one query builder taking a node
(level, code), a period and a Grain:
- NODE: one row, the node over the period (kpi_table);
- MONTH: one row per calendar month of the period, clipped to it (kpi_queries.month_periods, or the
  calendar month of each row's date): the packs' and the Quality page's series;
- children(level, codes): one row per child of the node at `level` (only `codes` when given).

Parent-scope rule (docs/kpi-definitions.md, "Children rows"): with a child grain the node's own filter
still applies and the child's key groups the rows inside it, so a child's row counts only what the node
owns (a provider inside a collaborative: its wards commissioned by that collaborative). Where the
hierarchy nests this is the child's own NODE row (tests/test_children.py, tests/test_quality.py).

A builder asks the grain for its key column (`key(month=..., child=...)`) and builds its SELECT with
`select`; `frame` runs it into a frame indexed by key ("all" for NODE).
"""

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from data_access.schema import calendar, collaborative, unit, ward

NODE_BY, MONTH_BY = "node", "month"


@dataclass(frozen=True)
class Grain:
    by: str = NODE_BY  # NODE_BY, MONTH_BY or a child level
    codes: tuple[str, ...] | None = None  # with a child level: only these children

    @property
    def child(self) -> bool:
        return self.by not in (NODE_BY, MONTH_BY)

    def key(self, month=None, child=None):
        """The column to group by: None for the node, `month` by month, `child(level)` by child."""
        if self.by == NODE_BY:
            return None
        if self.by == MONTH_BY:
            if month is None:
                raise ValueError("This measure has no month grain.")
            return month
        return child(self.by)

    def where(self, key) -> list:
        """The children kept: key IN codes, or every row that has a child (none for node and month)."""
        if not self.child:
            return []
        return [key.in_(self.codes)] if self.codes is not None else [key.is_not(None)]

    def select(self, key, values, source, where) -> sa.Select:
        """SELECT [key,] values FROM source WHERE where (and the children kept) [GROUP BY key]."""
        columns = [] if key is None else [key.label("key")]
        query = sa.select(*columns, *values).select_from(source).where(*where, *self.where(key))
        return query if key is None else query.group_by(key)

    def by_day(self, source, day):
        """(source, month key) for rows dated `day`: by month, the source joined to its calendar day."""
        if self.by != MONTH_BY:
            return source, None
        return source.join(calendar, calendar.c.date == day), calendar.c.month_start


NODE = Grain()
MONTH = Grain(MONTH_BY)


def children(level: str, codes=None) -> Grain:
    """The grain of the children at `level` of a node (only `codes` when given)."""
    return Grain(level, None if codes is None else tuple(codes))


def frame(conn, query, names: list[str], grain: Grain) -> pd.DataFrame:
    """The rows of a grain's SELECT, indexed by key (one row keyed "all" for the node)."""
    rows = conn.execute(query).all()
    if grain.by == NODE_BY:
        return pd.DataFrame(rows, columns=names, index=pd.Index(["all"] * len(rows), name="key"))
    return pd.DataFrame(rows, columns=["key", *names]).set_index("key")


def ward_joins():
    """ward joined to its unit and collaborative: the source of ward-based measures (scope.ward_filter)."""
    return (ward.join(unit, unit.c.unit_code == ward.c.unit_code)
            .join(collaborative, collaborative.c.collaborative_id == ward.c.collaborative_id))


def ward_key(level: str):
    """The column of ward_joins() naming the node at `level` a ward is under."""
    return {"region": collaborative.c.region_code, "collaborative": ward.c.collaborative_id,
            "provider": unit.c.provider_code, "unit": ward.c.unit_code, "ward": ward.c.ward_code}[level]


def facts_key(facts, level: str, follow: str = "ward"):
    """The column of kpi_queries.stay_facts naming the node at `level` a stay counts for: its ward's, or
    (follow='home', region and collaborative) its patient's home."""
    if follow == "home" and level in ("region", "collaborative"):
        return facts.c.home_region if level == "region" else facts.c.home_collab
    return {"region": facts.c.ward_region, "collaborative": facts.c.ward_collab, "provider": facts.c.provider_code,
            "unit": facts.c.unit_code, "ward": facts.c.ward_code}[level]
