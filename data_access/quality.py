"""Quality aggregates (restrictive practice, incidents, staffing, delayed discharge, readmissions,
length of stay) grouped by month, or by the children of a node, computed in SQL.

Each is a data_access.kpi_queries builder (or aggregates.census_days) at a grain (data_access/grain.py):
``MONTH`` (every calendar month of the period, clipped to the period), ``NODE`` (the whole period, one
row) or the children of the node (a child's figures are its part within the node, e.g. a provider's
wards commissioned by this collaborative, so the children add up to the node). The SQL is kpi_table's
(docs/kpi-definitions.md), so a month's aggregates equal kpi_queries over that month's dates.
Raw numerators and denominators only: metrics/quality.py does the arithmetic.
"""

import datetime as dt

import pandas as pd

from data_access import access, restrictive
from data_access import kpi_queries as q
from data_access.aggregates import census_days
from data_access.engine import meanwhile
from data_access.grain import MONTH, NODE, Grain, children, frame
from data_access.scope import CHILD_LEVEL, resolve
from data_access.scope import children as child_nodes

COLUMNS = ["obd", "delayed_days", "interventions", "prone", "incidents", "incidents_low", "incidents_moderate",
           "actual_hours", "planned_hours", "readmission_denominator", "readmitted", "discharges",
           "median_los_days"]
COLUMNS += ["self_harm", "seclusion", "rapid_tranquillisation", "mechanical_restraint", "seclusion_hours",
            "segregation_people", "segregation_median_days", "segregation_n", "people_restricted",
            "people_in_bed"]  # restrictive practice and safety (the second catalogue; data_access/restrictive.py)


def _bed_days(conn, level, code, start, end, grain: Grain):
    by = () if grain == NODE else (grain.by,)
    days = census_days(conn, level, code, start, end, by=by)[[*by, "obd", "delayed_days"]]
    if grain == NODE:  # no stay in the period: no bed days (None), as a SUM over no rows
        days = days.astype(object).where(days["obd"] > 0, None)
        days.insert(0, "key", "all")
    return days.rename(columns={by[0]: "key"} if by else {}).set_index("key")


def _measure(build, names) -> tuple[list[str], object]:
    """(names, the part that runs kpi_queries builder `build` at a grain into those columns)."""
    def read(conn, level, code, start, end, grain: Grain) -> pd.DataFrame:
        return frame(conn, build(level, code, start, end, grain=grain), names, grain)
    return names, read


# The parts of the aggregates: (the columns each gives, how it reads them at a grain). The restrictive practice
# parts are the slowest: they run on a second connection meanwhile.
PARTS = [(["obd", "delayed_days"], _bed_days), _measure(q.intervention_query, q.INTERVENTION_KEYS),
         _measure(q.incident_query, q.INCIDENT_KEYS), _measure(q.staffing_query, ["actual_hours", "planned_hours"]),
         _measure(q.readmission_query, ["readmission_denominator", "readmitted"]),
         _measure(q.spell_query, q.SPELL_KEYS)]
SLOW_PARTS = [(restrictive.EVENT_COLUMNS, restrictive.event_counts),
              (restrictive.SEGREGATION_COLUMNS, restrictive.segregation_open),
              (restrictive.PEOPLE_COLUMNS, restrictive.people_counts)]


def _read(conn, parts, level, code, start, end, grain: Grain) -> list[pd.DataFrame]:
    return [read(conn, level, code, start, end, grain) for _, read in parts]


def _aggregates(conn, level, code, start, end, grain: Grain, columns=None) -> pd.DataFrame:
    """The columns of COLUMNS by `grain`: every one, or (`columns` given) only those of the parts that give them,
    the others left empty (a section that shows one measure reads only what it needs)."""
    def wanted(parts):
        return [(names, read) for names, read in parts if columns is None or set(names) & set(columns)]
    quick, slow = wanted(PARTS), wanted(SLOW_PARTS)
    if quick and slow:
        with meanwhile(conn.engine, _read, slow, level, code, start, end, grain) as slow_frames:
            frames = _read(conn, quick, level, code, start, end, grain) + slow_frames()
    else:
        frames = _read(conn, quick + slow, level, code, start, end, grain)
    return pd.concat(frames, axis=1).reindex(columns=COLUMNS)


def monthly_aggregates(conn, viewer, level: str, code: str | None, start: dt.date, end: dt.date) -> pd.DataFrame:
    """One row per calendar month of [start, end] (index: month start, every month present), raw aggregates."""
    access.require(viewer, "see scope", (level, code), conn)
    resolve(conn, level, code)
    raw = _aggregates(conn, level, code, start, end, MONTH)
    raw.index = pd.to_datetime(raw.index)
    months = pd.date_range(pd.Timestamp(start.replace(day=1)), pd.Timestamp(end), freq="MS")
    return raw.reindex(months).rename_axis("month")


def node_aggregates(conn, viewer, level: str, code: str | None, start: dt.date, end: dt.date,
                    columns: tuple[str, ...] | None = None) -> pd.Series:
    """The node's raw aggregates over the period (only `columns` when given, the rest empty)."""
    access.require(viewer, "see scope", (level, code), conn)
    resolve(conn, level, code)
    return _aggregates(conn, level, code, start, end, NODE, columns).iloc[0]


def children_aggregates(conn, viewer, level: str, code: str | None, start: dt.date, end: dt.date,
                        columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """One row per child the viewer may see, with `code` and `name`, in name order: raw aggregates over the period
    (only `columns` when given, the rest empty)."""
    access.require(viewer, "see scope", (level, code), conn)
    kids = access.visible_children(conn, viewer, child_nodes(conn, resolve(conn, level, code)))
    if not kids:
        return pd.DataFrame(columns=["code", "name", *COLUMNS])
    raw = _aggregates(conn, level, code, start, end, children(CHILD_LEVEL[level]), columns)
    rows = pd.DataFrame({"code": [k.code for k in kids], "name": [k.name for k in kids]})
    return rows.join(raw, on="code", how="left")


def period_aggregates(conn, viewer, level: str, code: str | None, start: dt.date,
                      end: dt.date) -> tuple[pd.Series, pd.DataFrame]:
    """(the node's raw aggregates over the period, one row per child with `name`, in name order): the page reads
    the two apart, side by side."""
    return (node_aggregates(conn, viewer, level, code, start, end),
            children_aggregates(conn, viewer, level, code, start, end))
