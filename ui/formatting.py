"""How numbers look on screen and in exports (British English, NHS style)."""

from metrics.catalogue import KPIS
from metrics.disclosure import SUPPRESSED

NOT_AVAILABLE = "–"


def format_value(kind: str, value, suppressed: bool = False) -> str:
    if suppressed:
        return SUPPRESSED
    if value is None:
        return NOT_AVAILABLE
    value = float(value)
    if kind == "pct":
        return f"{value:.1f}%"
    if kind == "rate":
        return f"{value:.1f}"
    if kind == "days":
        return f"{value:,.0f} days"
    if kind == "km":
        return f"{value:,.0f} km"
    if kind == "mean":
        return f"{value:.1f}"
    if kind == "gbp":
        return format_gbp(value)
    return f"{value:,.0f}"


def format_gbp(value: float) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 1e6:
        return f"{sign}£{value / 1e6:,.2f}m"
    if value >= 1e4:
        return f"{sign}£{value / 1e3:,.0f}k"
    return f"{sign}£{value:,.0f}"


def format_kpi(kpi_id: str, value, suppressed: bool = False) -> str:
    return format_value(KPIS[kpi_id].kind, value, suppressed)


def excel_format(kind: str) -> str:
    """openpyxl number format for a KPI kind."""
    return {"pct": "0.0", "rate": "0.0", "days": "#,##0", "km": "#,##0.0", "mean": "0.0",
            "gbp": "£#,##0", "count": "#,##0"}.get(kind, "General")
