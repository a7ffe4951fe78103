"""Red/amber/green: ONE rule for every page, pack and export, from ONE threshold lookup.

The lookup (data_access/thresholds.py) gives `{kpi_id: Band}` for a scope, each band with its
provenance (national standard, the collaborative's own, or demo). `rag(kpi_id, value, thresholds,
denominator)` is the only place a RAG is decided; `band_for` the only place a band is chosen. Bands the
dashboard sets itself (STANDARD) win over any database row, so variance to budget has one rule everywhere.
"""

from data_access.thresholds import Band
from metrics.catalogue import KPIS

# Set by the dashboard (docs/kpi-definitions.md, "Variance RAG"): within ±1% of budget green, ±3% amber.
STANDARD = {"variance_gbp": Band(1.0, 3.0, "Dashboard finance rule: ±1% green, ±3% amber, of budget",
                                 of="budget_gbp")}


def with_bases(kpi_ids) -> tuple[str, ...]:
    """The KPI ids plus those whose values a RAG rates against (budget for variance), to ask kpi_table for."""
    ids = list(kpi_ids)
    return tuple(dict.fromkeys([*ids, *(STANDARD[k].of for k in ids if k in STANDARD and STANDARD[k].of)]))


def band_for(kpi_id: str, thresholds: dict | None) -> Band | None:
    """The band that applies: STANDARD, else the lookup's (a plain (green, amber) pair is accepted too)."""
    if kpi_id in STANDARD:
        return STANDARD[kpi_id]
    found = (thresholds or {}).get(kpi_id)
    if found is None or isinstance(found, Band):
        return found
    green, amber = found[:2]
    return None if green is None or amber is None else Band(float(green), float(amber))


def rag(kpi_id: str, value, thresholds: dict | None, bases: dict | None = None) -> str | None:
    """'green', 'amber', 'red', or None when there is no value or no threshold.

    For 'up' KPIs a value at or above green is green, at or above amber is amber. For 'down'
    KPIs (and neutral ones with a ceiling, such as occupancy's 85%) a value at or below
    green is green, at or below amber is amber. Anything else is red. A band `of` another KPI rates
    |value| ÷ that KPI's value (from `bases`, {kpi_id: value}) × 100, either way (None without it).
    """
    band = band_for(kpi_id, thresholds)
    if value is None or band is None or value != value:
        return None
    if band.of:
        base = (bases or {}).get(band.of)
        if not base or base != base:
            return None
        value = abs(float(value)) / abs(float(base)) * 100
    elif KPIS[kpi_id].direction == "up":
        return "green" if value >= band.green else "amber" if value >= band.amber else "red"
    return "green" if value <= band.green else "amber" if value <= band.amber else "red"
