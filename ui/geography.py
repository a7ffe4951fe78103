"""The maps' own geography (no tile server can be reached): the UK and Ireland outline shipped in assets/geo, and
the optional boundaries file of the `boundaries_file` setting (an ONS Open Geography GeoJSON of NHS England
regions, ICBs or sub-ICB locations, in longitude/latitude). Both are read once per file and kept in memory.
"""

import json
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
OUTLINE = ROOT / "assets" / "geo" / "uk_outline.geojson"
MAX_BOUNDARIES_MB = 50
AREA_TYPES = ("Polygon", "MultiPolygon")


class GeographyError(ValueError):
    """A boundaries file that cannot be drawn; the message says why and what to do."""


@st.cache_resource(show_spinner=False)
def outline() -> dict:
    """The UK and Ireland coast (Natural Earth 1:10m, simplified; assets/README.md)."""
    return json.loads(OUTLINE.read_text(encoding="utf-8"))


def _first_position(geometry: dict):
    coords = geometry.get("coordinates")
    while isinstance(coords, list) and coords and isinstance(coords[0], list):
        coords = coords[0]
    return coords


def name_property(properties: dict) -> str | None:
    """The property holding an area's name: ONS files name it like NHSER24NM, ICB23NM, SICBL23NM."""
    for key in properties:
        if key.upper().endswith("NM") and not key.upper().endswith("NMW"):
            return key
    return next((k for k in properties if k.lower() == "name"), None)


def check(collection) -> dict:
    """The collection with a `name` on each feature, or GeographyError saying what is wrong."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise GeographyError("it is not a GeoJSON FeatureCollection.")
    features = [f for f in collection.get("features") or [] if isinstance(f, dict)
                and isinstance(f.get("geometry"), dict) and f["geometry"].get("type") in AREA_TYPES]
    if not features:
        raise GeographyError("it has no polygon features (regions, ICBs or sub-ICB locations).")
    position = _first_position(features[0]["geometry"])
    if not (isinstance(position, list) and len(position) >= 2 and all(isinstance(v, (int, float))
                                                                        for v in position[:2])):
        raise GeographyError("its coordinates could not be read.")
    if not (-11 <= position[0] <= 3 and 49 <= position[1] <= 61.5):
        raise GeographyError("its coordinates are not longitude/latitude over the UK (an ONS file in British "
                             "National Grid? Download the WGS84 / EPSG:4326 GeoJSON).")
    out = []
    for feature in features:
        properties = feature.get("properties") or {}
        key = name_property(properties)
        out.append({"type": "Feature", "geometry": feature["geometry"],
                    "properties": {"name": str(properties.get(key, "")) if key else ""}})
    return {"type": "FeatureCollection", "features": out}


@st.cache_resource(show_spinner=False, max_entries=4)
def _read(path: str, modified: float) -> dict:
    with open(path, encoding="utf-8") as handle:
        return check(json.load(handle))


def boundaries(path: str) -> tuple[dict | None, str | None]:
    """(collection, None) for a usable boundaries file, (None, message) for a bad one, (None, None) when unset."""
    if not path:
        return None, None
    file = Path(path)
    prefix = f"The boundaries file `{file.name}` (setting boundaries_file) is not drawn: "
    try:
        if not file.is_file():
            raise GeographyError("there is no such file.")
        if file.stat().st_size > MAX_BOUNDARIES_MB * 1024 * 1024:
            raise GeographyError(f"it is larger than {MAX_BOUNDARIES_MB} MB; use ONS's generalised (BGC or BUC) "
                                 "version.")
        return _read(str(file.resolve()), file.stat().st_mtime), None
    except GeographyError as error:
        return None, prefix + str(error)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return None, prefix + f"it could not be read as GeoJSON ({type(error).__name__})."
