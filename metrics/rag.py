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
                                 either_way_pct=True)}


def band_for(kpi_id: str, thresholds: dict | None) -> Band | None:
    """The band that applies: STANDARD, else the lookup's (a plain (green, amber) pair is accepted too)."""
    if kpi_id in STANDARD:
        return STANDARD[kpi_id]
    found = (thresholds or {}).get(kpi_id)
    if found is None or isinstance(found, Band):
        return found
    green, amber = found[:2]
    return None if green is None or amber is None else Band(float(green), float(amber))


def rag(kpi_id: str, value, thresholds: dict | None, denominator=None) -> str | None:
    """'green', 'amber', 'red', or None when there is no value or no threshold.

    For 'up' KPIs a value at or above green is green, at or above amber is amber. For 'down'
    KPIs (and neutral ones with a ceiling, such as occupancy's 85%) a value at or below
    green is green, at or below amber is amber. Anything else is red. An either-way band rates
    |value| ÷ denominator × 100 (None without a denominator).
    """
    band = band_for(kpi_id, thresholds)
    if value is None or band is None or value != value:
        return None
    if band.either_way_pct:
        if not denominator:
            return None
        value = abs(float(value)) / abs(float(denominator)) * 100
    elif KPIS[kpi_id].direction == "up":
        return "green" if value >= band.green else "amber" if value >= band.amber else "red"
    return "green" if value <= band.green else "amber" if value <= band.amber else "red"
