"""KPI definitions: arithmetic on aggregates from data_access, SPC, disclosure control, RAG."""

from metrics.kpis import kpi_table

__all__ = ["kpi_table"]
