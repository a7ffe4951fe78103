"""A governance forum's meeting pack: its KPIs with value, previous value, change, RAG (all disclosed)."""

import pandas as pd

from metrics.catalogue import KPIS
from metrics.overview import headline

DIRECTION_WORDS = {"up": "Higher is better", "down": "Lower is better", "neutral": "No direction"}
RAG_WORDS = {"green": "On track", "amber": "Watch", "red": "Off track"}


def known_and_unknown(kpi_ids: list[str]) -> tuple[list[str], list[str]]:
    """(ids in the catalogue, in catalogue order; ids the catalogue does not have)."""
    known = [k for k in KPIS if k in kpi_ids]
    return known, sorted(set(kpi_ids) - set(KPIS))


def pack_table(current: pd.DataFrame, previous: pd.DataFrame, kpi_ids: list[str], rule: str, level: str,
               thresholds: dict) -> pd.DataFrame:
    """One row per forum KPI: headline() columns plus previous shown value and plain-English RAG and direction."""
    now = current[current["kpi_id"].isin(kpi_ids)]
    before = previous[previous["kpi_id"].isin(kpi_ids)]
    table = headline(now, before, rule, level, thresholds, dict(zip(current["kpi_id"], current["value"])))
    previous_shown = headline(before, before, rule, level, thresholds).set_index("kpi_id")["shown"]
    table["previous"] = table["kpi_id"].map(previous_shown)
    table["rag_words"] = table["rag"].map(RAG_WORDS).fillna("No threshold")
    table["direction_words"] = table["direction"].map(DIRECTION_WORDS)
    return table.set_index("kpi_id").loc[kpi_ids].reset_index()
