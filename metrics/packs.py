"""A governance forum's pack: which of its KPIs the catalogue knows, and which forum a scope opens on (its Board)."""

import pandas as pd

from metrics.catalogue import KPIS

RAG_WORDS = {"green": "On track", "amber": "Watch", "red": "Off track"}


def known_and_unknown(kpi_ids: list[str]) -> tuple[list[str], list[str]]:
    """(ids in the catalogue, in catalogue order; ids the catalogue does not have)."""
    known = [k for k in KPIS if k in kpi_ids]
    return known, sorted(set(kpi_ids) - set(KPIS))


def default_forum(forums: pd.DataFrame, collaborative_id: str | None) -> str | None:
    """The scope's Board: the forum of the scope's collaborative at the top of its own chain (its parent, if
    any, belongs to no collaborative or another one); for a region or England, a forum without a parent.
    Ties go to a name with "Board" in it, then by name. None when there are no forums."""
    if forums.empty:
        return None
    ids = set(forums["forum_id"])
    owner = dict(zip(forums["forum_id"], forums["collaborative_id"]))
    if collaborative_id is not None:
        mine = forums[forums["collaborative_id"] == collaborative_id]
        tops = mine[[owner.get(p) != collaborative_id for p in mine["parent_forum_id"]]]
    else:
        tops = forums[[p is None or pd.isna(p) or p not in ids for p in forums["parent_forum_id"]]]
    if tops.empty:
        tops = forums
    ranked = tops.assign(board=~tops["name"].str.contains("Board", case=False)).sort_values(["board", "name"])
    return ranked["forum_id"].iloc[0]
