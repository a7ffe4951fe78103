"""Make assets/geo/uk_outline.geojson from Natural Earth's 1:10m countries (TopoJSON of the npm package world-atlas).

Run once; the output is committed. Steps: decode the TopoJSON (delta-encoded, quantized arcs) of the United
Kingdom and Ireland into GeoJSON polygons, drop islands smaller than MIN_AREA square degrees, simplify each ring
with Douglas-Peucker (TOLERANCE degrees), round to 3 decimals (about 100 m).

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python scripts/make_uk_outline.py package/countries-10m.json assets/geo/uk_outline.geojson
"""

import json
import sys

COUNTRIES = {"826": "United Kingdom", "372": "Ireland"}  # ISO 3166-1 numeric ids of world-atlas
TOLERANCE = 0.008  # degrees, about 500-900 m
MIN_AREA = 0.002  # square degrees: islands smaller than about 15 km² are left out
DECIMALS = 3


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Every arc in longitude/latitude: undo the delta encoding, then the quantization transform."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indexes: list[int], arcs: list) -> list[tuple[float, float]]:
    """A ring from arc indexes (a negative index ~i is arc i reversed); shared end points are not repeated."""
    points = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def _distance(p, a, b) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == dy == 0:
        return ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
    return ((x - x1 - t * dx) ** 2 + (y - y1 - t * dy) ** 2) ** 0.5


def simplify(points: list, tolerance: float) -> list:
    """Douglas-Peucker (iterative), first and last points kept."""
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, at = 0.0, None
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > worst:
                worst, at = d, i
        if at is not None and worst > tolerance:
            keep.add(at)
            stack += [(first, at), (at, last)]
    return [points[i] for i in sorted(keep)]


def area(points: list) -> float:
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]))) / 2


def polygons(geometry: dict, arcs: list) -> list:
    parts = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    out = []
    for polygon in parts:
        rings = [ring(r, arcs) for r in polygon]
        if area(rings[0]) < MIN_AREA:
            continue
        simple = [simplify(r, TOLERANCE) for r in rings]
        out.append([[[round(x, DECIMALS), round(y, DECIMALS)] for x, y in r] for r in simple if len(r) >= 4])
    return out


def convert(topology: dict) -> dict:
    arcs = decode_arcs(topology)
    features = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("id") in COUNTRIES:
            features.append({"type": "Feature", "properties": {"name": COUNTRIES[geometry["id"]]},
                             "geometry": {"type": "MultiPolygon", "coordinates": polygons(geometry, arcs)}})
    return {"type": "FeatureCollection", "features": features}


def main(source: str, target: str) -> None:
    with open(source, encoding="utf-8") as handle:
        collection = convert(json.load(handle))
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(collection, handle, separators=(",", ":"))


if __name__ == "__main__":
    main(*sys.argv[1:3])
