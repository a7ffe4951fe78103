"""Overview figures: headline KPIs with change and RAG, and the children table, all disclosed.

Pure functions on kpi_table / child_table output; no database, no Streamlit.
"""

import pandas as pd

from metrics.catalogue import KPIS
from metrics.disclosure import disclose_table
from metrics.rag import band_for, rag


def _kinds(ids) -> dict[str, str]:
    return {k: KPIS[k].kind for k in ids}


def headline(current: pd.DataFrame, previous: pd.DataFrame, rule: str, level: str,
             thresholds: dict, bases: dict | None = None) -> pd.DataFrame:
    """One row per KPI: label, kind, direction, shown, suppressed, change (vs previous, both shown), rag and
    the provenance of its threshold (`threshold`). `bases` ({kpi_id: raw value}, default: `current`'s) holds
    the values a RAG rates against (budget for variance to budget: metrics.rag.with_bases)."""
    bases = dict(zip(current["kpi_id"], current["value"])) if bases is None else bases
    now = disclose_table(current, rule, level, _kinds(current["kpi_id"])).set_index("kpi_id")
    before = disclose_table(previous, rule, level, _kinds(previous["kpi_id"])).set_index("kpi_id")
    rows = []
    for kpi_id, row in now.iterrows():
        shown, old = row["shown"], before["shown"].get(kpi_id)
        change = None if shown is None or old is None or pd.isna(old) else float(shown) - float(old)
        rows.append({
            "kpi_id": kpi_id, "label": row["label"], "kind": KPIS[kpi_id].kind, "direction": KPIS[kpi_id].direction,
            "shown": shown, "suppressed": row["suppressed"], "change": change,
            "rag": None if row["suppressed"] else rag(kpi_id, row["value"], thresholds, bases),
            "threshold": _provenance(kpi_id, thresholds),
        })
    return pd.DataFrame(rows)


def _provenance(kpi_id: str, thresholds: dict) -> str:
    band = band_for(kpi_id, thresholds)
    return "No threshold" if band is None else band.source or "Threshold given by the caller"


def children_wide(long: pd.DataFrame, rule: str, level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shown, suppressed) wide tables: one row per child (code, name), one column per KPI label."""
    if long.empty:
        return pd.DataFrame(), pd.DataFrame()
    disclosed = disclose_table(long, rule, level, _kinds(long["kpi_id"].unique()))
    order = list(dict.fromkeys(long["kpi_id"]))
    shown = disclosed.pivot(index=["code", "name"], columns="kpi_id", values="shown")[order]
    flags = disclosed.pivot(index=["code", "name"], columns="kpi_id", values="suppressed")[order]
    return shown.reset_index(), flags.reset_index()
