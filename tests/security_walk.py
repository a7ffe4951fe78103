"""What a page sends to the browser, as tables: every dataframe, every chart's datasets (not only what is
drawn), every map layer, every metric and every Excel export. Used by tests/test_security_walk.py.

`page_tables(at, exports)` returns [(where, DataFrame)]; `outside_rows` and `small_counts` check them.
"""

import io
import json
import re

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from data_access import access
from data_access.schema import collaborative, unit, ward

# Column names (lower case, spaces for underscores) that hold counts of people or events.
COUNT_WORDS = ("admitted", "admissions", "patients", "referrals", "occupied", "on leave", "available",
               "numerator", "denominator", "discharges", "spells", "people", "readmitted", "repatriations",
               "restraint", "incidents", "count")
LABEL_COLUMNS = ("Indicator", "KPI", "label")  # long tables: one row per measure, its kind from the catalogue
NOT_COUNT_WORDS = ("%", "pct", "rate", "days", "median", "mean", "km", "£", "gbp", "share", "per ", "beds",
                   "suppressed", "rank", "label", "text", "name", "code", "tip", "colour", "bucket")


def _tree(node, out):
    for child in getattr(node, "children", {}).values():
        out.append(child)
        _tree(child, out)
    return out


def _arrow(data: bytes) -> pd.DataFrame:
    try:
        return pa.ipc.open_stream(pa.py_buffer(data)).read_all().to_pandas()
    except pa.ArrowInvalid:
        return pd.DataFrame()


def _vega(proto) -> list[pd.DataFrame]:
    frames = [_arrow(d.data.data) for d in proto.datasets if d.data.data]
    spec = json.loads(proto.spec or "{}")
    for values in (spec.get("datasets") or {}).values():
        frames.append(pd.DataFrame(values))
    if isinstance(spec.get("data"), dict) and "values" in spec["data"]:
        frames.append(pd.DataFrame(spec["data"]["values"]))
    return frames


def _deck(proto) -> list[pd.DataFrame]:
    spec = json.loads(proto.json or "{}")
    return [pd.DataFrame(layer["data"]) for layer in spec.get("layers", []) if isinstance(layer.get("data"), list)]


def _workbook(data: bytes) -> list[tuple[str, pd.DataFrame]]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    out = []
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if rows:
            out.append((sheet.title, pd.DataFrame(rows[1:], columns=[str(c) for c in rows[0]])))
    return out


def page_tables(at, exports: list) -> list[tuple[str, pd.DataFrame]]:
    """Every table of data the run sent to the browser, and every export it offered."""
    out = []
    for element in _tree(at._tree, []):
        kind = getattr(element, "type", "")
        if kind == "dataframe":
            out.append(("dataframe", element.value))
        elif kind == "vega_lite_chart":
            out += [("chart", frame) for frame in _vega(element.proto)]
        elif kind == "deck_gl_json_chart":
            out += [("map", frame) for frame in _deck(element.proto)]
        elif kind == "metric":
            out.append(("metric", pd.DataFrame({element.label: [element.value]})))
    for name, data in exports:
        if isinstance(data, bytes | bytearray) and data[:2] == b"PK":
            out += [(f"export {name}:{title}", frame) for title, frame in _workbook(bytes(data))]
    return out


def forbidden(engine, viewer) -> dict[str, set[str]]:
    """Codes and names the viewer must never receive as rows: wards, units and collaboratives with no ward
    it may see ("codes" match a whole cell: codes, and ward names no visible ward shares; "names" match
    anywhere in a cell). Empty for roles that see aggregates of every node."""
    wards = access.visible_wards(viewer)
    if wards is None:
        return {"codes": set(), "names": set()}
    with engine.connect() as conn:
        seen = {r[0] for r in conn.execute(wards)}
        ward_names = conn.execute(sa.select(ward.c.ward_code, ward.c.name)).all()
        rows = conn.execute(sa.select(ward.c.ward_code, ward.c.unit_code, unit.c.name, ward.c.collaborative_id,
                                      collaborative.c.name)
                            .select_from(ward.join(unit, unit.c.unit_code == ward.c.unit_code)
                                         .join(collaborative, collaborative.c.collaborative_id ==
                                               ward.c.collaborative_id))).all()
    seen_units = {u for w, u, *_ in rows if w in seen}
    seen_collabs = {c for w, _, _, c, _ in rows if w in seen}
    codes = {w for w, *_ in rows if w not in seen} | {u for _, u, *_ in rows if u not in seen_units}
    codes |= {c for *_, c, _ in rows if c not in seen_collabs}
    names = {n for _, u, n, _, _ in rows if u not in seen_units}
    names |= {n for *_, c, n in rows if c not in seen_collabs}
    shown_ward_names = {n for w, n in ward_names if w in seen}
    codes |= {n for w, n in ward_names if w not in seen and n not in shown_ward_names}  # whole-cell match
    return {"codes": codes, "names": names}


def _strings(frame: pd.DataFrame):
    for column in frame.columns:
        for value in frame[column]:
            if isinstance(value, str):
                yield column, value


def outside_rows(tables, banned: dict[str, set[str]], exempt=lambda where, frame: False) -> list[str]:
    """Cells naming a ward, unit or collaborative outside the role (a code as a whole cell, a name anywhere)."""
    found = []
    for where, frame in tables:
        if exempt(where, frame):
            continue
        for column, value in _strings(frame):
            text = value.strip()
            if text in banned["codes"] or any(name in text for name in banned["names"]):
                found.append(f"{where} [{column}]: {text[:80]}")
    return found


def is_count_column(name: str) -> bool:
    low = re.sub(r"[_\s]+", " ", str(name).lower())
    return any(w in low for w in COUNT_WORDS) and not any(w in low for w in NOT_COUNT_WORDS)


def _label_kinds() -> dict[str, str]:
    from metrics import women as wm
    from metrics.catalogue import KPIS

    kinds = {k.label: k.kind for k in KPIS.values()}
    kinds.update({wm.LABELS[k]: wm.KINDS[k] for k in wm.INDICATOR_IDS})
    return kinds


def _small(value) -> bool:
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if pd.isna(number) or isinstance(value, bool):
        return False
    return 1 <= number <= 4 or bool(number % 5 and float(number).is_integer())


def _long_table_counts(where, frame, label) -> list[str]:
    kinds, found = _label_kinds(), []
    for _, row in frame.iterrows():
        if kinds.get(str(row[label]).split(" (")[0]) != "count":
            continue
        found += [f"{where} [{row[label]} / {c}] = {row[c]}" for c in frame.columns if c != label and _small(row[c])]
    return found


def small_counts(tables) -> list[str]:
    """Counts of 1–4 (or counts not rounded to 5) in count columns or count rows: unsuppressed small numbers."""
    found = []
    for where, frame in tables:
        label = next((c for c in LABEL_COLUMNS if c in frame.columns), None)
        if label is not None:
            found += _long_table_counts(where, frame, label)
            continue
        for column in frame.columns:
            if is_count_column(column):
                found += [f"{where} [{column}] = {v}" for v in frame[column] if _small(v)]
    return found
