"""Reference data for the demo generator: regions, providers, collaboratives, units, wards
and localities.

The static tables live as CSV files in demo/reference_data/ (described in its README.md) and
are read once, here, into the same Python names and types the generator has always used.
Real places (towns, sub-ICB / ICB localities with approximate centroids and populations) and
real NHS trust names and ODS codes; every unit, ward and independent provider name is
fictional. The region scale is hand-written (the East Midlands as in the seed presentation,
plus two neighbouring adult secure collaboratives); the national scale adds the other regions
procedurally from a fixed seed, so the geography never depends on the caller's seed.
"""

import csv
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).with_name("reference_data")


@cache
def _rows(table: str) -> tuple[dict, ...]:
    """The rows of reference_data/<table>.csv as dicts of strings, in file order (read once)."""
    with open(DATA_DIR / f"{table}.csv", newline="", encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


def _mapping(table: str, key: str, value: str) -> dict:
    return {r[key]: r[value] for r in _rows(table)}


def _column(table: str, column: str) -> list:
    return [r[column] for r in _rows(table)]


def _towns() -> dict:
    """Town -> (latitude, longitude, postcode outward code)."""
    return {r["town"]: (float(r["latitude"]), float(r["longitude"]), r["outward_code"]) for r in _rows("towns")}


def _localities(area: str) -> list:
    """(code, name, lat, lon, population) of one area (EM, WM, SY or a national footprint key)."""
    return [
        (r["code"], r["name"], float(r["latitude"]), float(r["longitude"]), int(r["population"]))
        for r in _rows("localities")
        if r["area"] == area
    ]


def _ward_specs(unit: str) -> list:
    """(level, gender, specialism, beds) of one hand-written unit's wards, in order."""
    return [
        (r["security_level"], r["gender"], r["specialism"], int(r["beds"]))
        for r in _rows("unit_wards")
        if r["unit"] == unit
    ]


def _units(area: str) -> list:
    """(unit_code, unit name, provider, town, postcode inward, collaborative, [ward specs])."""
    return [
        (
            r["code"],
            r["name"],
            r["provider"],
            r["town"],
            r["postcode_inward"],
            r["collaborative"],
            _ward_specs(r["code"]),
        )
        for r in _rows("units")
        if r["area"] == area
    ]


def _collaboratives() -> list:
    """(id, name, region, service line, lead provider, go-live date)."""
    return [
        (r["id"], r["name"], r["region"], r["service_line"], r["lead_provider"], date.fromisoformat(r["go_live"]))
        for r in _rows("region_collaboratives")
    ]


def _footprints() -> list:
    """(key, region, name, [localities], [towns], [NHS providers], adult secure beds, CAMHS beds)."""
    return [
        (
            r["key"],
            r["region"],
            r["name"],
            _localities(r["key"]),
            [t["town"] for t in _rows("footprint_towns") if t["footprint"] == r["key"]],
            [p["provider"] for p in _rows("footprint_providers") if p["footprint"] == r["key"]],
            int(r["adult_secure_beds"]),
            int(r["camhs_beds"]),
        )
        for r in _rows("footprints")
    ]


def _mix(table: str) -> list:
    """(level, gender, specialism, weight) of a national ward mix."""
    return [(r["security_level"], r["gender"], r["specialism"], float(r["weight"])) for r in _rows(table)]


REGIONS = _mapping("regions", "code", "name")
TOWNS = _towns()  # name -> (latitude, longitude, postcode outward code)
# Localities: (code, name, lat, lon, population) of the hand-written region scale.
EM_LOCALITIES = _localities("EM")
WM_LOCALITIES = _localities("WM")
SY_LOCALITIES = _localities("SY")
NHS_PROVIDERS = _mapping("nhs_providers", "code", "name")
INDEPENDENT_NAMES = _column("independent_names", "name")  # fictional, not real companies
WARD_WORDS = _column("ward_words", "word")
UNIT_SUFFIXES = _column("unit_suffixes", "suffix")


@dataclass
class Reference:
    regions: list = field(default_factory=list)  # (code, name)
    providers: list = field(default_factory=list)  # (code, name, sector, cqc)
    collaboratives: list = field(default_factory=list)  # (id, name, region, sl, lead, go_live)
    units: list = field(default_factory=list)  # (code, name, provider, postcode, lat, lon)
    wards: list = field(default_factory=list)  # (code, unit, name, collab, sl, level,
    #  gender, specialism, beds, opened, closed)
    localities: list = field(default_factory=list)  # (code, name, region, lat, lon, population)
    locality_collaborative: list = field(default_factory=list)  # (locality, sl, collab)
    wsbs_units: list = field(default_factory=list)  # units of the WSBS pilot


# Ward specs: (level, gender, specialism, beds)
A, C, E = "adult_secure", "camhs", "adult_eating_disorders"

# (unit_code, unit name, provider, town, postcode inward, collaborative, [ward specs])
EM_UNITS = _units("EM")
WM_UNITS = _units("WM")
SY_UNITS = _units("SY")
REGION_COLLABS = _collaboratives()
REGION_INDEPENDENT = {f"NV{i + 1}": INDEPENDENT_NAMES[i] for i in range(7)}
WSBS_UNITS = _column("wsbs_units", "unit")


def _postcode(outward: str, inward: str) -> str:
    return f"{outward} {inward}"


def _ward_name(i: int) -> str:
    return f"{WARD_WORDS[i % len(WARD_WORDS)]} Ward"


def _add_units(ref: Reference, units, rng: np.random.Generator, ward_counter: list) -> None:
    for code, name, prov, town, inward, collab, wards in units:
        lat, lon, outward = TOWNS[town]
        ref.units.append((code, name, prov, _postcode(outward, inward), lat, lon))
        sl = next(c[3] for c in ref.collaboratives if c[0] == collab)
        for j, (level, gender, spec, beds) in enumerate(wards):
            opened = date(int(rng.integers(1975, 2009)), int(rng.integers(1, 13)), 1)
            ref.wards.append(
                (
                    f"{code}W{j + 1:02d}",
                    code,
                    _ward_name(ward_counter[0]),
                    collab,
                    sl,
                    level,
                    gender,
                    spec,
                    beds,
                    opened,
                    None,
                )
            )
            ward_counter[0] += 1


def _cqc(rng: np.random.Generator) -> str:
    return str(
        rng.choice(["outstanding", "good", "requires_improvement", "inadequate"], p=[0.12, 0.68, 0.17, 0.03])
    )


def region_reference() -> Reference:
    rng = np.random.default_rng(2020)
    ref = Reference()
    ref.regions = [("Y60", REGIONS["Y60"]), ("Y63", REGIONS["Y63"])]
    codes = ["RHA", "RXM", "RT5", "RP7", "RP1", "RXT", "TAJ", "RYG", "RRE", "TAH", "RXE", "RXG", "RGD"]
    ref.providers = [(c, NHS_PROVIDERS[c], "nhs", _cqc(rng)) for c in codes]
    ref.providers += [(c, n, "independent", _cqc(rng)) for c, n in REGION_INDEPENDENT.items()]
    ref.collaboratives = list(REGION_COLLABS)
    counter = [0]
    _add_units(ref, EM_UNITS + WM_UNITS + SY_UNITS, rng, counter)
    for locs, region, colls in (
        (EM_LOCALITIES, "Y60", {A: "IMPACT", C: "EMCAMHS", E: "EMAED"}),
        (WM_LOCALITIES, "Y60", {A: "WMAS"}),
        (SY_LOCALITIES, "Y63", {A: "YHAS"}),
    ):
        for code, name, lat, lon, pop in locs:
            ref.localities.append((code, name, region, lat, lon, pop))
            for sl, coll in colls.items():
                ref.locality_collaborative.append((code, sl, coll))
    ref.wsbs_units = list(WSBS_UNITS)
    return ref


# National scale: footprints of the other areas.
# (key, region, name, [localities (code, name, lat, lon, pop)], [towns], [NHS providers],
#  adult secure beds, CAMHS beds (0 = covered by another footprint's CAMHS collaborative))
FOOTPRINTS = _footprints()
# Footprints sharing a CAMHS / eating disorders / perinatal collaborative (region-level services).
SHARED_SERVICES = _mapping("shared_services", "footprint", "host_footprint")
# Regions with a perinatal (mother and baby) collaborative, and its host footprint.
PERINATAL = _mapping("perinatal_hosts", "region", "host_footprint")
# Adult eating disorders collaborative per region (host footprint).
AED_HOSTS = _mapping("aed_hosts", "region", "host_footprint")

# Nationally commissioned services (NHS England specialised commissioning, not a collaborative's): women's
# enhanced medium secure, deaf, acquired brain injury and high secure. ward.nationally_commissioned.
NATIONAL_SPECIALISMS = ("wems", "deaf", "abi")
NATIONAL_SECURITY_LEVELS = ("high",)


def national_service(specialism, security_level):
    """True where a ward (specialism, security level; scalars or pandas Series) is nationally commissioned."""
    if isinstance(specialism, str):
        return specialism in NATIONAL_SPECIALISMS or security_level in NATIONAL_SECURITY_LEVELS
    return specialism.isin(NATIONAL_SPECIALISMS) | security_level.isin(NATIONAL_SECURITY_LEVELS)


SECURE_MIX = _mix("secure_mix")  # (level, gender, specialism, weight)
CAMHS_MIX = _mix("camhs_mix")


class _Namer:
    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def unit(self, town: str) -> str:
        while True:
            word = WARD_WORDS[int(self.rng.integers(len(WARD_WORDS)))]
            suffix = UNIT_SUFFIXES[int(self.rng.integers(len(UNIT_SUFFIXES)))]
            name = f"{word} {suffix}, {town}"
            if name not in self.used:
                self.used.add(name)
                return f"{word} {suffix}"


def _inward(rng) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"{int(rng.integers(1, 10))}{letters[int(rng.integers(20))]}{letters[int(rng.integers(20))]}"


def national_reference() -> Reference:
    """The region scale plus every other area of England, generated from a fixed seed."""
    ref = region_reference()
    rng = np.random.default_rng(2021)
    namer = _Namer(rng)
    ref.regions = sorted(REGIONS.items())
    counter = [len(ref.wards)]
    unit_seq = {}
    nv = [len(REGION_INDEPENDENT)]
    existing = {p[0] for p in ref.providers}

    def new_independent() -> str:
        nv[0] += 1
        code = f"NV{nv[0]}"
        ref.providers.append(
            (
                code,
                INDEPENDENT_NAMES[(nv[0] - 1) % len(INDEPENDENT_NAMES)]
                + ("" if nv[0] <= len(INDEPENDENT_NAMES) else " North"),
                "independent",
                _cqc(rng),
            )
        )
        return code

    def add_unit(provider: str, town: str, collab: str, sl: str, specs) -> None:
        seq = unit_seq.get(provider, 20)
        unit_seq[provider] = seq + 1
        code = f"{provider}{seq}"
        lat, lon, outward = TOWNS[town]
        ref.units.append(
            (
                code,
                namer.unit(town),
                provider,
                _postcode(outward, _inward(rng)),
                round(lat + float(rng.normal(0, 0.01)), 4),
                round(lon + float(rng.normal(0, 0.01)), 4),
            )
        )
        for j, (level, gender, spec, beds) in enumerate(specs):
            opened = date(int(rng.integers(1975, 2009)), int(rng.integers(1, 13)), 1)
            ref.wards.append(
                (
                    f"{code}W{j + 1:02d}",
                    code,
                    _ward_name(counter[0]),
                    collab,
                    sl,
                    level,
                    gender,
                    spec,
                    beds,
                    opened,
                    None,
                )
            )
            counter[0] += 1

    def ward_specs(mix, total: int):
        weights = np.array([m[3] for m in mix])
        specs = []
        while sum(s[3] for s in specs) < total:
            k = int(rng.choice(len(mix), p=weights / weights.sum()))
            level, gender, spec, _ = mix[k]
            beds = int(rng.integers(10, 17)) if level not in ("picu",) else int(rng.integers(6, 11))
            specs.append((level, gender, spec, beds))
        return specs

    def spread(collab, sl, specs, providers, towns, per_unit=(2, 5)):
        i = 0
        k = 0
        while i < len(specs):
            n = int(rng.integers(per_unit[0], per_unit[1] + 1))
            add_unit(providers[k % len(providers)], towns[k % len(towns)], collab, sl, specs[i : i + n])
            i += n
            k += 1

    # Other service lines of the Midlands and North East and Yorkshire footprints already simulated.
    extra_camhs = {
        "WM": (
            "Y60",
            "West Midlands",
            WM_LOCALITIES,
            ["Birmingham", "Coventry", "Stafford"],
            ["RXT", "RYG", "RRE"],
            150,
        ),
        "SY": (
            "Y63",
            "South and West Yorkshire",
            SY_LOCALITIES,
            ["Sheffield", "Leeds", "Wakefield"],
            ["TAH", "RGD", "RXG"],
            140,
        ),
    }
    for key, (region, name, locs, towns, provs, beds) in extra_camhs.items():
        cid = f"{key}CAMHS"
        ref.collaboratives.append(
            (cid, f"{name} CAMHS Provider Collaborative", region, C, provs[0], date(2021, 4, 1))
        )
        inds = [new_independent()]
        spread(cid, C, ward_specs(CAMHS_MIX, beds), provs + inds, towns, (1, 3))
        for code, *_ in locs:
            ref.locality_collaborative.append((code, C, cid))
    aed_wm = (
        "WMAED",
        "West Midlands Adult Eating Disorders Provider Collaborative",
        "Y60",
        E,
        "RRE",
        date(2021, 4, 1),
    )
    ref.collaboratives.append(aed_wm)
    spread(
        "WMAED",
        E,
        [
            ("general", "mixed", "eating_disorder", 14),
            ("general", "mixed", "eating_disorder", 12),
            ("general", "female", "eating_disorder", 12),
        ],
        ["RRE", "RXT", "TAJ"],
        ["Stafford", "Birmingham", "Dudley"],
        (1, 1),
    )
    for code, *_ in WM_LOCALITIES:
        ref.locality_collaborative.append((code, E, "WMAED"))
    for code, *_ in SY_LOCALITIES:
        ref.locality_collaborative.append((code, E, "NENCAED"))

    for key, region, name, locs, towns, provs, secure_beds, camhs_beds in FOOTPRINTS:
        for p in provs:
            if p not in existing:
                ref.providers.append((p, NHS_PROVIDERS[p], "nhs", _cqc(rng)))
                existing.add(p)
        for code, lname, lat, lon, pop in locs:
            ref.localities.append((code, lname, region, lat, lon, pop))
        inds = [new_independent() for _ in range(2 if secure_beds > 450 else 1)]
        go_live = date(int(rng.choice([2017, 2018, 2020, 2020, 2021])), int(rng.choice([4, 10])), 1)
        cid = f"{key}AS"
        ref.collaboratives.append(
            (cid, f"{name} Adult Secure Provider Collaborative", region, A, provs[0], go_live)
        )
        spread(cid, A, ward_specs(SECURE_MIX, secure_beds), provs + inds, towns)
        host = SHARED_SERVICES.get(key, key)
        for code, *_ in locs:
            ref.locality_collaborative.append((code, A, cid))
            ref.locality_collaborative.append((code, C, f"{host}CAMHS"))
            if region in AED_HOSTS:
                ref.locality_collaborative.append((code, E, f"{AED_HOSTS[region]}AED"))
            if region in PERINATAL:
                ref.locality_collaborative.append((code, "perinatal", f"{PERINATAL[region]}PN"))
        if camhs_beds:
            ccid = f"{key}CAMHS"
            ref.collaboratives.append(
                (ccid, f"{name} CAMHS Provider Collaborative", region, C, provs[-1], go_live)
            )
            spread(ccid, C, ward_specs(CAMHS_MIX, camhs_beds), provs[::-1] + inds[:1], towns[::-1], (1, 3))
        if AED_HOSTS.get(region) == key:
            acid = f"{key}AED"
            ref.collaboratives.append(
                (acid, f"{name} Adult Eating Disorders Provider Collaborative", region, E, provs[0], go_live)
            )
            spread(
                acid,
                E,
                [("general", "mixed", "eating_disorder", int(rng.integers(12, 17))) for _ in range(4)],
                provs + inds[:1],
                towns,
                (1, 2),
            )
    # Perinatal (mother and baby units), one collaborative per listed region.
    for region, host in sorted(PERINATAL.items()):
        pcid = f"{host}PN"
        if host == "EM":
            provs, towns, name = ["RHA", "RT5"], ["Nottingham", "Leicester"], "Midlands"
            for code, *_ in EM_LOCALITIES + WM_LOCALITIES:
                ref.locality_collaborative.append((code, "perinatal", pcid))
        else:
            fp = next(f for f in FOOTPRINTS if f[0] == host)
            provs, towns, name = fp[5][:2], fp[4][:2], REGIONS[region]
            if host == "NENC":
                for code, *_ in SY_LOCALITIES:
                    ref.locality_collaborative.append((code, "perinatal", pcid))
        ref.collaboratives.append(
            (
                pcid,
                f"{name} Perinatal Provider Collaborative",
                region,
                "perinatal",
                provs[0],
                date(2022, 4, 1),
            )
        )
        spread(
            pcid,
            "perinatal",
            [("general", "female", "mbu", int(rng.integers(8, 13))) for _ in provs],
            provs,
            towns,
            (1, 1),
        )
    ref.wsbs_units = list(WSBS_UNITS)
    return ref


def reference(scale: str) -> Reference:
    if scale == "region":
        return region_reference()
    if scale == "national":
        return national_reference()
    raise ValueError(f"unknown scale {scale!r} (region or national)")
