"""Bed occupancy arithmetic: colour buckets, unit totals, daily series, flows and the placement ranking.

Pure functions on the aggregates of data_access/beds.py (no SQL, no Streamlit). Raw values
stay raw; the `disclosed_*` functions are the only way figures leave for the screen, the map
or an export, and they go through metrics/disclosure.py.
"""

import datetime as dt
import functools
import math

import numpy as np
import pandas as pd

from assets.palette import FLOWS, FREE_BEDS, OCCUPANCY
from metrics.disclosure import disclose, disclose_counts
from metrics.kpis import ratio

OCCUPANCY_CEILING = 85.0  # Royal College of Psychiatrists: at most 85%
OCCUPANCY_HIGH = 95.0
# Bucket id -> (label, RGB), colours from assets/palette.py: NHS dark green, warm yellow, red, grey; pale grey
# when suppressed.
BUCKETS = {
    "under_85": ("Under 85%", OCCUPANCY["under_85"]),
    "85_to_95": ("85% to 95%", OCCUPANCY["85_to_95"]),
    "over_95": ("Over 95%", OCCUPANCY["over_95"]),
    "no_report": ("No bed state reported", OCCUPANCY["no_report"]),
    "suppressed": ("Suppressed (disclosure rule)", OCCUPANCY["suppressed"]),
}
# Free beds now, what the map colours by (the legend draws the same palette tuples): band id -> (label, RGB).
FREE_BANDS = {
    "none": ("No free bed", FREE_BEDS["none"]),
    "one_two": ("1–2 free beds", FREE_BEDS["one_two"]),
    "three_plus": ("3 or more free beds", FREE_BEDS["three_plus"]),
    "no_report": ("No bed state reported", FREE_BEDS["no_report"]),
    "suppressed": ("Suppressed (disclosure rule)", FREE_BEDS["suppressed"]),
}
FLOW_COLOURS = {0: FLOWS["in_area"], 1: FLOWS["out_of_area"]}  # in area: NHS blue; out of area: NHS pink
BED_COUNTS = ["occupied", "on_leave", "available"]  # people-derived counts: disclosed
ALL_LEVELS = "All security levels"


def live_bound(end: dt.date, latest: dt.date) -> dt.datetime | None:
    """Upper limit of `reported_at` for the current bed state.

    A period that reaches the latest day of data shows the live feed (every report, including
    those that arrived after the last activity load); an earlier period shows the bed state as
    of the end of its last day, as the catalogue's beds_available_now.
    """
    if end >= latest:
        return None
    return dt.datetime.combine(end + dt.timedelta(days=1), dt.time())


def occupancy_pct(occupied, commissioned, closed):
    """occupied ÷ (commissioned − closed) × 100; None without a report or with no open bed."""
    if occupied is None or commissioned is None or pd.isna(occupied) or pd.isna(commissioned):
        return None
    return ratio(occupied, commissioned - (0 if closed is None or pd.isna(closed) else closed))


def bucket(pct, suppressed: bool = False) -> str:
    """Colour bucket of an occupancy %: under 85, 85 to 95 (inclusive), over 95; no report; suppressed."""
    if suppressed:
        return "suppressed"
    if pct is None or pd.isna(pct):
        return "no_report"
    if pct < OCCUPANCY_CEILING:
        return "under_85"
    return "85_to_95" if pct <= OCCUPANCY_HIGH else "over_95"


def free_band(free, suppressed: bool = False) -> str:
    """Colour band of a number of free beds (from data_access.beds.free_beds): none, 1–2, 3 or more; no report;
    suppressed."""
    if suppressed:
        return "suppressed"
    if free is None or pd.isna(free):
        return "no_report"
    return "none" if free <= 0 else "one_two" if free <= 2 else "three_plus"


def filter_wards(wards: pd.DataFrame, levels=(), genders=(), specialisms=()) -> pd.DataFrame:
    """Wards matching the chosen security levels, genders and specialisms (empty choice = all)."""
    keep = pd.Series(True, index=wards.index)
    for column, chosen in (("security_level", levels), ("gender", genders), ("specialism", specialisms)):
        if chosen:
            keep &= wards[column].isin(list(chosen))
    return wards[keep].reset_index(drop=True)


def stale_flags(reported_at: pd.Series, reference: dt.datetime | None, hours: float) -> pd.Series:
    """True where a ward's latest report is older than `hours` before `reference` (or missing)."""
    if reference is None:
        return pd.Series(True, index=reported_at.index)
    limit = pd.Timestamp(reference) - pd.Timedelta(hours=hours)
    times = pd.to_datetime(reported_at)
    return times.isna() | (times < limit)


def ward_table(wards: pd.DataFrame, reference: dt.datetime | None, stale_hours: float) -> pd.DataFrame:
    """Raw ward rows with occupancy % (of open beds) and a stale flag."""
    out = wards.copy()
    out["occupancy_pct"] = [occupancy_pct(o, c, cl) for o, c, cl in
                            zip(out["occupied"], out["commissioned"], out["closed"])]
    out["stale"] = stale_flags(out["reported_at"], reference, stale_hours)
    return out


def unit_summary(wards: pd.DataFrame) -> pd.DataFrame:
    """One row per unit: totals of its wards' latest reports, occupancy %, and report times."""
    columns = ["unit_code", "unit_name", "provider_name", "sector", "latitude", "longitude", "security_levels",
               "wards", "reported_wards", "commissioned", "occupied", "on_leave", "closed", "available",
               "occupancy_pct", "oldest_report", "newest_report"]
    if wards.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for (code, name), group in wards.groupby(["unit_code", "unit_name"], sort=True):
        reported = group[group["reported_at"].notna()]
        totals = {c: int(reported[c].sum()) if not reported.empty else None
                  for c in ("commissioned", "occupied", "on_leave", "closed", "available")}
        first = group.iloc[0]
        rows.append({
            "unit_code": code, "unit_name": name, "provider_name": first["provider_name"],
            "sector": first["sector"], "latitude": float(first["latitude"]), "longitude": float(first["longitude"]),
            "security_levels": sorted(group["security_level"].unique()), "wards": len(group),
            "reported_wards": len(reported), **totals,
            "occupancy_pct": occupancy_pct(totals["occupied"], totals["commissioned"], totals["closed"]),
            "oldest_report": reported["reported_at"].min() if not reported.empty else None,
            "newest_report": reported["reported_at"].max() if not reported.empty else None,
        })
    return pd.DataFrame(rows, columns=columns)


def disclosed_beds(frame: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """Ward or unit rows with occupied, on leave and available disclosed, occupancy % disclosed from
    the raw counts, and the colour bucket of what may be shown. Commissioned and closed beds are
    capacity, shown as they are."""
    out = disclose_counts(frame, BED_COUNTS, rule, level)
    shown_pct = [disclose("pct", p, o, None if c is None or pd.isna(c) else c - cl, rule, level)
                 for p, o, c, cl in zip(frame["occupancy_pct"], frame["occupied"], frame["commissioned"],
                                        frame["closed"].fillna(0))]
    out["occupancy_pct"] = [s.value for s in shown_pct]
    out["pct_suppressed"] = [s.suppressed for s in shown_pct]
    # occupied + available + closed = commissioned (shown): hiding one of occupied, available or the
    # occupancy % alone lets it be recovered from the others, so each hides all three (secondary suppression).
    linked = pd.Series(out["pct_suppressed"], index=out.index)
    for column in ("occupied", "available"):
        linked |= pd.Series([disclose("count", v, rule=rule, level=level).suppressed for v in frame[column]],
                            index=out.index)
    for column in ("occupied", "available", "occupancy_pct"):
        out[column] = out[column].astype(object).where(~linked, None)
    out["pct_suppressed"] = linked
    out["suppressed"] = out["suppressed"] | linked
    full = [c is not None and not pd.isna(c) and c - cl <= 0 and (o or 0) > 0
            for o, c, cl in zip(frame["occupied"], frame["commissioned"], frame["closed"].fillna(0))]
    out["bucket"] = ["over_95" if f and not hide else bucket(None if hide else s.value, hide)
                     for s, f, hide in zip(shown_pct, full, linked)]  # patients in and no open bed: over 95
    # the band of the free beds that may be shown (never of a suppressed count)
    out["free_band"] = [free_band(a, hide) for a, hide in zip(out["available"], linked)]
    return out


def beds_available(wards: pd.DataFrame) -> int | None:
    """Σ available beds of the wards' latest reports (the catalogue's beds_available_now); None if none."""
    reported = wards["available"].dropna()
    return None if reported.empty else int(reported.sum())


def view_state(latitudes, longitudes, height_px: int = 520, width_px: int = 900) -> dict:
    """Centre and zoom that fit the points in a map of about this size (Web Mercator, 80% margin)."""
    lats, lons = [float(v) for v in latitudes], [float(v) for v in longitudes]
    if not lats:
        return {"latitude": 52.8, "longitude": -1.5, "zoom": 5.3}
    middle = (max(lats) + min(lats)) / 2
    stretch = 1 / max(math.cos(math.radians(middle)), 0.2)  # a degree of latitude is taller than one of longitude
    span_lat, span_lon = max(max(lats) - min(lats), 0.1), max(max(lons) - min(lons), 0.1)
    per_degree = 512 / 360  # pixels per degree of longitude at zoom 0
    zoom = min(math.log2(0.8 * height_px / (span_lat * stretch * per_degree)),
               math.log2(0.8 * width_px / (span_lon * per_degree)))
    return {"latitude": middle, "longitude": (max(lons) + min(lons)) / 2, "zoom": min(max(zoom, 4.5), 11.0)}


def daily_series(daily: pd.DataFrame) -> pd.DataFrame:
    """Per date and security level (plus ALL_LEVELS): raw numerators, denominators and percentages."""
    columns = ["date", "security_level", "obd", "leave_days", "available_days", "occupancy_pct",
               "occupancy_excl_leave_pct"]
    if daily.empty:
        return pd.DataFrame(columns=columns)
    total = daily.groupby("date", as_index=False)[["obd", "leave_days", "available_days"]].sum()
    total["security_level"] = ALL_LEVELS
    out = pd.concat([daily, total], ignore_index=True)
    out["occupancy_pct"] = [ratio(o, a) for o, a in zip(out["obd"], out["available_days"])]
    out["occupancy_excl_leave_pct"] = [ratio(o - lv, a) for o, lv, a in
                                       zip(out["obd"], out["leave_days"], out["available_days"])]
    return out[columns].sort_values(["security_level", "date"]).reset_index(drop=True)


def period_totals(daily: pd.DataFrame) -> dict:
    """The period's occupancy from the daily series: Σ numerators ÷ Σ denominators (= kpi_table)."""
    obd, leave, avail = (int(daily[c].sum()) for c in ("obd", "leave_days", "available_days"))
    return {"bed_occupancy_pct": (ratio(obd, avail), obd, avail),
            "bed_occupancy_excl_leave_pct": (ratio(obd - leave, avail), obd - leave, avail),
            "occupied_bed_days": (obd, obd, None)}


def disclosed_daily(series: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """The daily series with both percentages disclosed (suppressed days become None)."""
    out = series.copy()
    out["occupancy_pct"] = [disclose("pct", p, o, a, rule, level).value for p, o, a in
                            zip(series["occupancy_pct"], series["obd"], series["available_days"])]
    out["occupancy_excl_leave_pct"] = [
        disclose("pct", p, o - lv, a, rule, level).value for p, o, lv, a in
        zip(series["occupancy_excl_leave_pct"], series["obd"], series["leave_days"], series["available_days"])]
    return out


def out_of_area_totals(daily: pd.DataFrame) -> dict:
    """out_of_area_pct over the period from the daily series, and the count on its last day."""
    ooa, days = int(daily["out_of_area_days"].sum()), int(daily["bed_days"].sum())
    last = int(daily["out_of_area_patients"].iloc[-1]) if not daily.empty else 0
    return {"out_of_area_pct": (ratio(ooa, days), ooa, days), "out_of_area_patients": (last, last, None)}


def monthly_out_of_area(daily: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """Per month: out-of-area % of bed days (disclosed) and out-of-area patients on the month's last day."""
    columns = ["month_start", "out_of_area_pct", "out_of_area_patients", "suppressed"]
    if daily.empty:
        return pd.DataFrame(columns=columns)
    frame = daily.assign(month_start=[d.replace(day=1) for d in daily["date"]])
    sums = frame.groupby("month_start", as_index=False)[["out_of_area_days", "bed_days"]].sum()
    last = frame.sort_values("date").groupby("month_start", as_index=False)["out_of_area_patients"].last()
    out = sums.merge(last, on="month_start")
    shown = [disclose("pct", ratio(o, d), o, d, rule, level) for o, d in zip(out["out_of_area_days"],
                                                                           out["bed_days"])]
    out["out_of_area_pct"] = [s.value for s in shown]
    counts = disclose_counts(out[["out_of_area_patients"]], ["out_of_area_patients"], rule, level)
    out["out_of_area_patients"] = counts["out_of_area_patients"]
    out["suppressed"] = counts["suppressed"] | pd.Series([s.suppressed for s in shown], index=out.index)
    return out[columns]


def disclosed_daily_patients(daily: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """Date and out-of-area patients in a bed that night, disclosed."""
    return disclose_counts(daily[["date", "out_of_area_patients"]], ["out_of_area_patients"], rule, level)


def disclosed_flows(flows: pd.DataFrame, rule: str, level: str) -> tuple[pd.DataFrame, int]:
    """Locality-to-unit flows that may be drawn (small ones suppressed), with their colour; and how many
    flows were suppressed."""
    shown = disclose_counts(flows, ["patients"], rule, level)
    hidden = int(shown["suppressed"].sum())
    shown = shown[~shown["suppressed"] & shown["patients"].notna()].copy()
    shown["colour"] = [list(FLOW_COLOURS[int(o)]) for o in shown["out_of_area"]]
    return shown.reset_index(drop=True), hidden


def postcode_district(postcode: str) -> str:
    """The outward code of a UK postcode ('NG3 6AA' -> 'NG3'): the finder's town for exclusion zones."""
    text = str(postcode or "").strip().upper()
    return text.split()[0] if " " in text else text[:-3] or text


CQC_ORDER = {"outstanding": 0, "good": 1, "requires_improvement": 2, "inadequate": 3}


def rank_placements(candidates: pd.DataFrame, security_level: str, gender: str, specialism: str | None = None,
                    specialism_required: bool = True, exclude_units=(), exclude_districts=()) -> pd.DataFrame:
    """Wards a referral could be placed on, best first, following the placement principles.

    Never offered: a ward of another security level, of the other gender (mixed wards accept both),
    with no free bed, in an excluded unit or town (postcode district), or (when required) of
    another specialism. Order: home area first (in area before out of area), then the treatment
    pathway (matching specialism first), then distance from home, then unit resources (staffing
    fill rate, higher first; CQC rating, better first). Patient and carer choice: the list is a
    suggestion, nothing is booked.
    """
    out = candidates.copy()
    out["district"] = [postcode_district(p) for p in out["postcode"]]
    keep = ((out["security_level"] == security_level) & out["gender"].isin([gender, "mixed"])
            & (out["free_beds"] > 0) & ~out["unit_code"].isin(list(exclude_units))
            & ~out["district"].isin(list(exclude_districts)))
    out["specialism_match"] = (out["specialism"] == specialism) if specialism else True
    if specialism and specialism_required:
        keep &= out["specialism_match"]
    out = out[keep].copy()
    out["fill_rate_pct"] = [ratio(a, p) for a, p in zip(out["actual_hours"], out["planned_hours"])]
    out["_fill"] = [-(f if f is not None else -1.0) for f in out["fill_rate_pct"]]
    out["_cqc"] = [CQC_ORDER.get(r, 9) for r in out["cqc_rating"]]
    out["_spec"] = [0 if m else 1 for m in out["specialism_match"]]
    out["_area"] = [0 if a else 1 for a in out["in_area"]]
    out = out.sort_values(["_area", "_spec", "distance_km", "_fill", "_cqc", "ward_code"])
    out = out.drop(columns=["_fill", "_cqc", "_spec", "_area"]).reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


def disclosed_placements(ranked: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """The ranking with free beds disclosed (the ranking itself used the raw counts)."""
    return disclose_counts(ranked, ["free_beds"], rule, level)


# ---------------------------------------------------------------- the map: readable at every scale

AGGREGATE_LEVELS = ("national", "region")  # one symbol per collaborative; below, one per unit


def collaborative_summary(wards: pd.DataFrame) -> pd.DataFrame:
    """One row per collaborative (the map at national and region scope): totals of its wards' latest reports,
    occupancy % and free beds, placed at the mean position of its units. Grouped once with pandas, not filtered
    collaborative by collaborative (0.09 s a rerun at England)."""
    columns = ["collaborative_id", "collaborative_name", "latitude", "longitude", "units", "wards", "reported_wards",
               "commissioned", "occupied", "on_leave", "closed", "available", "occupancy_pct", "newest_report"]
    if wards.empty:
        return pd.DataFrame(columns=columns)
    keys, totals = ["collaborative_id", "collaborative_name"], ["commissioned", "occupied", "on_leave", "closed",
                                                                "available"]
    places = wards.drop_duplicates([*keys, "unit_code"]).groupby(keys, sort=True)
    out = places[["latitude", "longitude"]].mean().astype(float)
    out["units"] = places.size()
    out["wards"] = wards.groupby(keys, sort=True).size()
    reported = wards[wards["reported_at"].notna()].groupby(keys, sort=True)
    out["reported_wards"] = reported.size().reindex(out.index, fill_value=0)
    sums = reported[totals].sum().reindex(out.index)
    for column in totals:  # None for a collaborative with no report
        out[column] = [None if pd.isna(v) else int(v) for v in sums[column]]
    out["occupancy_pct"] = [occupancy_pct(o, c, x) for o, c, x in zip(out["occupied"], out["commissioned"],
                                                                      out["closed"])]
    newest = reported["reported_at"].max().reindex(out.index)
    out["newest_report"] = [None if pd.isna(v) else v for v in newest]
    return out.reset_index()[columns]


def symbol_radius(commissioned, collaborative: bool = False) -> float:
    """Pixel radius of a unit or collaborative symbol: area grows with commissioned beds, 10 px at least (room
    for its free-bed number); collaboratives (many to a map of England) grow more slowly."""
    beds = float(commissioned) if commissioned is not None and not pd.isna(commissioned) else 0.0
    if collaborative:
        return min(10 + 0.6 * beds ** 0.5, 20.0)
    return min(11 + 1.6 * beds ** 0.5, 30.0)


def _pixels(lat: float, lon: float, zoom: float) -> tuple[float, float]:
    """Web Mercator pixel position at `zoom` (512-pixel world at zoom 0, as deck.gl)."""
    size = 512 * 2 ** zoom
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    return (lon + 180) / 360 * size, (1 - y / math.pi) / 2 * size


def _degrees(x: float, y: float, zoom: float) -> tuple[float, float]:
    size = 512 * 2 ** zoom
    lon = x / size * 360 - 180
    lat = math.degrees(2 * math.atan(math.exp(math.pi * (1 - 2 * y / size))) - math.pi / 2)
    return lat, lon


def spread(latitudes, longitudes, radii, zoom: float, gap: float = 2.0, rounds: int = 400) -> list[tuple]:
    """Positions (lat, lon) nudged apart so that no two symbols of these pixel radii overlap at `zoom` (the
    default view): each round, every overlapping pair is pushed apart along the line between them by half its
    overlap (all pairs at once, with numpy: a national map's units took 0.2 s pair by pair in Python), until none
    overlap. Symbols that do not overlap stay where they are. The same symbols give the same positions, so they
    are kept (the last 256 sets) for the next rerun: England's 279 units took 0.1 s on every rerun."""
    return list(_spread(tuple(map(float, latitudes)), tuple(map(float, longitudes)), tuple(map(float, radii)),
                        float(zoom), float(gap), int(rounds)))


@functools.lru_cache(maxsize=256)
def _spread(latitudes: tuple, longitudes: tuple, radii: tuple, zoom: float, gap: float, rounds: int) -> tuple:
    xy = np.array([_pixels(a, o, zoom) for a, o in zip(latitudes, longitudes)], dtype=float)
    if len(xy) < 2:
        return tuple(_degrees(x, y, zoom) for x, y in xy)
    r = np.array(radii, dtype=float)
    need = r[:, None] + r[None, :] + gap
    pairs = np.triu(np.ones((len(xy), len(xy)), dtype=bool), 1)
    for _ in range(rounds):
        d = xy[None, :, :] - xy[:, None, :]  # d[i, j]: from i to j
        distance = np.hypot(d[..., 0], d[..., 1])
        close = pairs & (distance < need)
        if not close.any():
            break
        same = close & (distance < 1e-6)  # the same place: split them left and right
        d[same], distance[same] = (1.0, 0.0), 1.0
        push = np.where(close, (need - distance) / 2 + 0.01, 0.0) / np.where(close, distance, 1.0)
        move = d * push[..., None]  # pair (i, j): j moves by +move, i by -move
        xy += move.sum(axis=0) - move.sum(axis=1)
    return tuple(_degrees(x, y, zoom) for x, y in xy)


def overlaps(latitudes, longitudes, radii, zoom: float) -> int:
    """How many pairs of symbols overlap at `zoom` (0 after `spread`)."""
    points = [_pixels(float(a), float(o), zoom) for a, o in zip(latitudes, longitudes)]
    return sum(math.hypot(points[i][0] - points[j][0], points[i][1] - points[j][1]) < radii[i] + radii[j]
               for i in range(len(points)) for j in range(i + 1, len(points)))


PER_POPULATION = 100_000


def locality_rates(flows: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """Home localities of the flows: patients placed (disclosed) and patients placed per 100,000 population,
    computed from the disclosed count (a rate never reveals a suppressed or rounded count). Suppressed
    localities are left out. Columns: locality_code, locality_name, latitude, longitude, population, patients,
    per_100k."""
    columns = ["locality_code", "locality_name", "latitude", "longitude", "population", "patients", "per_100k"]
    if flows.empty:
        return pd.DataFrame(columns=columns)
    keys = ["locality_code", "locality_name", "home_latitude", "home_longitude", "population"]
    raw = flows.groupby(keys, as_index=False)["patients"].sum()
    shown = disclose_counts(raw, ["patients"], rule, level)
    shown = shown[~shown["suppressed"] & shown["patients"].notna()].copy()
    shown["per_100k"] = [float(p) * PER_POPULATION / float(pop) if pop else None
                         for p, pop in zip(shown["patients"], shown["population"])]
    shown = shown.rename(columns={"home_latitude": "latitude", "home_longitude": "longitude"})
    return shown[columns].reset_index(drop=True)


def flows_to_collaboratives(flows: pd.DataFrame, wards: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Raw unit flows re-aimed at their unit's collaborative symbol (the map at national and region scope),
    summed per locality, collaborative and in/out of area, before disclosure."""
    owner = wards.drop_duplicates("unit_code").set_index("unit_code")["collaborative_id"]
    where = places.set_index("collaborative_id")
    out = flows[flows["unit_code"].isin(owner.index)].assign(unit_code=lambda f: f["unit_code"].map(owner))
    out = out[out["unit_code"].isin(where.index)]
    keys = ["locality_code", "locality_name", "population", "home_latitude", "home_longitude", "unit_code",
            "out_of_area"]
    out = out.groupby(keys, as_index=False)["patients"].sum()
    out["unit_name"] = [where.at[c, "collaborative_name"] for c in out["unit_code"]]
    out["latitude"] = [where.at[c, "latitude"] for c in out["unit_code"]]
    out["longitude"] = [where.at[c, "longitude"] for c in out["unit_code"]]
    return out


GROUP_KEYS = ["gender", "security_level", "specialism"]


def free_beds_by(wards: pd.DataFrame, rule: str, level: str, keys=tuple(GROUP_KEYS)) -> pd.DataFrame:
    """Free beds now (Σ of the wards' free beds, data_access.beds.free_beds) by gender × security level ×
    specialism (or `keys`), with wards, open beds and wards not reporting; free beds disclosed."""
    keys = list(keys)
    columns = [*keys, "wards", "not_reporting", "open_beds", "free_beds", "suppressed"]
    if wards.empty:
        return pd.DataFrame(columns=columns)
    frame = wards.assign(reported=wards["reported_at"].notna(),
                         open_beds=(wards["commissioned"] - wards["closed"].fillna(0)).clip(lower=0))
    out = frame.groupby(keys, as_index=False).agg(wards=("ward_code", "count"), reported=("reported", "sum"),
                                                  open_beds=("open_beds", "sum"),
                                                  free_beds=("available", lambda v: v.sum(min_count=1)))
    out["not_reporting"] = out["wards"] - out["reported"]
    return disclose_counts(out, ["free_beds"], rule, level)[columns]


def placement_units(ranked: pd.DataFrame, rule: str, level: str) -> pd.DataFrame:
    """The placement finder's result on the map: one row per unit with its best rank, wards offered and free
    beds (Σ of the raw free beds, then disclosed), with the free-bed band."""
    columns = ["unit_code", "unit_name", "latitude", "longitude", "best_rank", "wards", "available", "commissioned",
               "in_area", "distance_km", "suppressed", "free_band", "bucket"]
    if ranked.empty:
        return pd.DataFrame(columns=columns)
    out = ranked.groupby(["unit_code", "unit_name"], as_index=False).agg(
        latitude=("latitude", "first"), longitude=("longitude", "first"), best_rank=("rank", "min"),
        wards=("ward_code", "count"), available=("free_beds", "sum"), in_area=("in_area", "max"),
        distance_km=("distance_km", "min"))
    out = disclose_counts(out, ["available"], rule, level).sort_values("best_rank").reset_index(drop=True)
    out["commissioned"] = None
    out["free_band"] = [free_band(a, s) for a, s in zip(out["available"], out["suppressed"])]
    out["bucket"] = ""
    return out[columns]
