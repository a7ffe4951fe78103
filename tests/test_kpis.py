"""metrics.kpi_table against the hand-worked answers of tests/expected_fixture.py.

Runs on the fixture database of tests/fixture_db.py, once on DuckDB and once on
PostgreSQL (the `fixture_engine` fixture of conftest.py).
"""

import math
import re
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from tests.expected_fixture import ANY, CASES

CATALOGUE = Path(__file__).parents[2] / "shared" / "kpi-catalogue.md"
EXTRA_LABELS = {"out_of_area_patients": "Out of area placements"}


def registry_labels() -> dict[str, str]:
    """kpi_id -> label from the KPI registry (metrics/catalogue.py), which carries the catalogue as data."""
    from metrics.catalogue import KPIS

    return {kpi_id: kpi.label for kpi_id, kpi in KPIS.items()}


def catalogue_labels() -> dict[str, str]:
    """kpi_id -> label from ../shared/kpi-catalogue.md's table (a row may list several ids and labels)."""
    labels = {}
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        ids = re.findall(r"`([a-z0-9_]+)`", cells[0])
        names = [n.strip() for n in cells[1].split(" / ")] if len(ids) > 1 else [cells[1]]
        assert len(ids) == len(names), line
        labels.update(zip(ids, names))
    labels.update(EXTRA_LABELS)
    return labels


def _case_id(case) -> str:
    return f"{case['scope_level']}-{case['scope_id'] or 'all'}-{case['start']:%m%d}-{case['end']:%m%d}"


PARAMS = [
    pytest.param(index, kpi_id, id=f"{_case_id(case)}-{kpi_id}")
    for index, case in enumerate(CASES)
    for kpi_id in case["expected"]
]

_tables: dict[tuple[int, str, int], pd.DataFrame] = {}


def _table(engine, index: int) -> pd.DataFrame:
    """kpi_table for CASES[index], computed once per engine."""
    key = (id(engine), str(engine.url), index)
    if key not in _tables:
        from metrics import kpi_table

        case = CASES[index]
        _tables[key] = kpi_table(engine, case["scope_level"], case["scope_id"], case["start"], case["end"])
    return _tables[key]


def _missing(x) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def _check(what: str, actual, expected) -> None:
    if expected is ANY:
        return
    if expected is None:
        assert _missing(actual), f"{what}: expected None, got {actual!r}"
        return
    assert not _missing(actual), f"{what}: expected {expected!r}, got {actual!r}"
    if isinstance(actual, Decimal):
        actual = float(actual)
    assert float(actual) == pytest.approx(expected, rel=1e-9, abs=1e-9), f"{what}: {actual!r} != {expected!r}"


@pytest.mark.parametrize(("index", "kpi_id"), PARAMS)
def test_kpi_value(fixture_engine, index, kpi_id):
    table = _table(fixture_engine, index)
    rows = table[table["kpi_id"] == kpi_id]
    assert len(rows) == 1, f"{kpi_id}: {len(rows)} rows in kpi_table"
    row = rows.iloc[0]
    value, numerator, denominator = CASES[index]["expected"][kpi_id]
    _check(f"{kpi_id} value", row["value"], value)
    _check(f"{kpi_id} numerator", row["numerator"], numerator)
    _check(f"{kpi_id} denominator", row["denominator"], denominator)


def test_every_registry_kpi_is_checked():
    checked = {kpi_id for case in CASES for kpi_id in case["expected"]}
    assert set(registry_labels()) - checked == set()


def test_every_kpi_is_in_exactly_one_family():
    """The registry: each KPI's aggregates and arithmetic are declared once (metrics.kpis.FAMILIES)."""
    from data_access.kpi_queries import AGGREGATES
    from metrics.catalogue import KPI_IDS
    from metrics.kpis import FAMILIES

    ids = [kpi_id for family in FAMILIES for kpi_id in family.ids]
    assert sorted(ids) == sorted(KPI_IDS)
    assert {name for family in FAMILIES for name in family.needs} <= set(AGGREGATES)


def test_only_the_needed_aggregates_run():
    from metrics.kpis import needs_for

    assert needs_for(["bed_occupancy_pct", "delayed_discharge_days_pct"]) == ["bed_days", "available_days"]
    assert needs_for(["incidents_per_1000_obd"]) == ["bed_days", "events"]


@pytest.mark.skipif(not CATALOGUE.exists(), reason="only where ../shared/kpi-catalogue.md sits beside the project")
def test_registry_carries_the_catalogues_labels():
    """The registry is the catalogue as data: where the contract file is at hand, they agree word for word."""
    catalogue = catalogue_labels()
    registry = registry_labels()
    assert {k: registry.get(k) for k in catalogue if registry.get(k) != catalogue[k]} == {}


def test_labels_are_the_registrys(fixture_engine):
    labels = registry_labels()
    table = _table(fixture_engine, 0)
    assert {"kpi_id", "label", "value", "numerator", "denominator"} <= set(table.columns)
    assert table["kpi_id"].is_unique
    missing = set(labels) - set(table["kpi_id"])
    assert missing == set(), f"kpi_table lacks {sorted(missing)}"
    shown = dict(zip(table["kpi_id"], table["label"]))
    wrong = {k: (shown[k], v) for k, v in labels.items() if shown[k] != v}
    assert wrong == {}


@pytest.mark.parametrize(("level", "scope_id"), [
    ("region", "Y99"), ("collaborative", "NOPE"), ("provider", "XXX"), ("unit", "U9"), ("ward", "W9"),
])
def test_unknown_scope_id_raises(fixture_engine, level, scope_id):
    from metrics import kpi_table

    start, end = CASES[0]["start"], CASES[0]["end"]
    with pytest.raises(ValueError):
        kpi_table(fixture_engine, level, scope_id, start, end)
