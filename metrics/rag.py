"""Red/amber/green against `kpi_threshold` bands, in the KPI's good direction."""

from assets.palette import RAG
from metrics.catalogue import KPIS

RAG_COLOURS = RAG  # assets/palette.py: dark green, warm yellow, red (they differ in lightness too)


def rag(kpi_id: str, value, green: float | None, amber: float | None) -> str | None:
    """'green', 'amber', 'red', or None when there is no value or no threshold.

    For 'up' KPIs a value at or above green is green, at or above amber is amber. For 'down'
    KPIs (and neutral ones with a ceiling, such as occupancy's 85%) a value at or below
    green is green, at or below amber is amber. Anything else is red.
    """
    if value is None or green is None or amber is None:
        return None
    if KPIS[kpi_id].direction == "up":
        return "green" if value >= green else "amber" if value >= amber else "red"
    return "green" if value <= green else "amber" if value <= amber else "red"
