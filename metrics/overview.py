"""Overview figures: headline KPIs with change and RAG, and the children table, all disclosed.

Pure functions on kpi_table / child_table output; no database, no Streamlit.
"""

import pandas as pd

from metrics.catalogue import KPIS
from metrics.disclosure import disclose_table
from metrics.rag import rag


def _kinds(ids) -> dict[str, str]:
    return {k: KPIS[k].kind for k in ids}


def headline(current: pd.DataFrame, previous: pd.DataFrame, rule: str, level: str,
             thresholds: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """One row per KPI: label, kind, direction, shown, suppressed, change (vs previous, both shown), rag."""
    now = disclose_table(current, rule, level, _kinds(current["kpi_id"])).set_index("kpi_id")
    before = disclose_table(previous, rule, level, _kinds(previous["kpi_id"])).set_index("kpi_id")
    rows = []
    for kpi_id, row in now.iterrows():
        shown, old = row["shown"], before["shown"].get(kpi_id)
        change = None if shown is None or old is None or pd.isna(old) else float(shown) - float(old)
        green, amber = thresholds.get(kpi_id, (None, None))
        rows.append({
            "kpi_id": kpi_id, "label": row["label"], "kind": KPIS[kpi_id].kind, "direction": KPIS[kpi_id].direction,
            "shown": shown, "suppressed": row["suppressed"], "change": change,
            "rag": None if row["suppressed"] else rag(kpi_id, row["value"], green, amber),
        })
    return pd.DataFrame(rows)


def children_wide(long: pd.DataFrame, rule: str, level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(shown, suppressed) wide tables: one row per child (code, name), one column per KPI label."""
    if long.empty:
        return pd.DataFrame(), pd.DataFrame()
    disclosed = disclose_table(long, rule, level, _kinds(long["kpi_id"].unique()))
    order = list(dict.fromkeys(long["kpi_id"]))
    shown = disclosed.pivot(index=["code", "name"], columns="kpi_id", values="shown")[order]
    flags = disclosed.pivot(index=["code", "name"], columns="kpi_id", values="suppressed")[order]
    return shown.reset_index(), flags.reset_index()
