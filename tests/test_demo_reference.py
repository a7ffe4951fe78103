"""The demo's reference data CSV files (demo/reference_data/): they parse, have their columns, keep
their codes unique, their references resolve, and both scales of reference build from them."""

import csv
import subprocess
from datetime import date
from pathlib import Path

import pytest

from demo import reference as ref_module
from demo.reference import DATA_DIR, reference

COLUMNS = {
    "regions": ["code", "name"],
    "towns": ["town", "latitude", "longitude", "outward_code"],
    "localities": ["area", "code", "name", "latitude", "longitude", "population"],
    "nhs_providers": ["code", "name"],
    "independent_names": ["name"],
    "ward_words": ["word"],
    "unit_suffixes": ["suffix"],
    "units": ["area", "code", "name", "provider", "town", "postcode_inward", "collaborative"],
    "unit_wards": ["unit", "security_level", "gender", "specialism", "beds"],
    "region_collaboratives": ["id", "name", "region", "service_line", "lead_provider", "go_live"],
    "wsbs_units": ["unit"],
    "footprints": ["key", "region", "name", "adult_secure_beds", "camhs_beds"],
    "footprint_towns": ["footprint", "town"],
    "footprint_providers": ["footprint", "provider"],
    "shared_services": ["footprint", "host_footprint"],
    "perinatal_hosts": ["region", "host_footprint"],
    "aed_hosts": ["region", "host_footprint"],
    "secure_mix": ["security_level", "gender", "specialism", "weight"],
    "camhs_mix": ["security_level", "gender", "specialism", "weight"],
}
UNIQUE = {  # table -> columns whose values (together) are unique
    "regions": ["code"],
    "towns": ["town"],
    "localities": ["code"],
    "nhs_providers": ["code"],
    "independent_names": ["name"],
    "ward_words": ["word"],
    "unit_suffixes": ["suffix"],
    "units": ["code"],
    "region_collaboratives": ["id"],
    "wsbs_units": ["unit"],
    "footprints": ["key"],
    "footprint_towns": ["footprint", "town"],
    "footprint_providers": ["footprint", "provider"],
    "shared_services": ["footprint"],
    "perinatal_hosts": ["region"],
    "aed_hosts": ["region"],
    "secure_mix": ["security_level", "gender", "specialism"],
    "camhs_mix": ["security_level", "gender", "specialism"],
}
SERVICE_LINES = {"adult_secure", "camhs", "adult_eating_disorders", "perinatal"}


def _read(table: str) -> tuple[list, list]:
    with open(DATA_DIR / f"{table}.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _dicts(table: str) -> list[dict]:
    header, rows = _read(table)
    return [dict(zip(header, row)) for row in rows]


def _values(table: str, column: str) -> set:
    return {r[column] for r in _dicts(table)}


def test_every_file_is_described_and_known():
    files = {p.stem for p in DATA_DIR.glob("*.csv")}
    assert files == set(COLUMNS)
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    for table in COLUMNS:
        assert f"`{table}.csv`" in readme
    assert "fictional" in readme


@pytest.mark.parametrize("table", sorted(COLUMNS))
def test_csv_parses_with_its_columns(table):
    header, rows = _read(table)
    assert header == COLUMNS[table]
    assert rows, f"{table}.csv has no rows"
    for n, row in enumerate(rows, start=2):
        assert len(row) == len(header), f"{table}.csv line {n}: {len(row)} fields, header has {len(header)}"
        assert all(v.strip() == v and v for v in row), f"{table}.csv line {n}: empty or padded value"


@pytest.mark.parametrize("table", sorted(UNIQUE))
def test_codes_unique(table):
    keys = [tuple(r[c] for c in UNIQUE[table]) for r in _dicts(table)]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"{table}.csv repeats {duplicates}"


def test_numbers_dates_and_places_parse():
    for r in _dicts("towns") + _dicts("localities"):
        assert 49.8 < float(r["latitude"]) < 55.9 and -6.5 < float(r["longitude"]) < 1.8, r
    assert all(int(r["population"]) > 0 for r in _dicts("localities"))
    assert all(0 < int(r["beds"]) <= 20 for r in _dicts("unit_wards"))
    assert all(int(r["adult_secure_beds"]) > 0 and int(r["camhs_beds"]) >= 0 for r in _dicts("footprints"))
    assert all(float(r["weight"]) > 0 for r in _dicts("secure_mix") + _dicts("camhs_mix"))
    for r in _dicts("region_collaboratives"):
        assert date.fromisoformat(r["go_live"]) < date(2026, 1, 1)
        assert r["service_line"] in SERVICE_LINES


def test_references_resolve():
    regions, towns = _values("regions", "code"), _values("towns", "town")
    nhs, units = _values("nhs_providers", "code"), _values("units", "code")
    independents = {f"NV{i + 1}" for i in range(len(_dicts("independent_names")))}
    footprints = _values("footprints", "key")
    collabs = _values("region_collaboratives", "id")
    assert _values("units", "town") <= towns
    assert _values("units", "provider") <= nhs | independents
    assert _values("units", "collaborative") <= collabs
    assert _values("units", "area") <= {"EM", "WM", "SY"}
    assert _values("unit_wards", "unit") == units
    assert _values("wsbs_units", "unit") <= units
    assert _values("region_collaboratives", "region") | _values("footprints", "region") <= regions
    assert _values("region_collaboratives", "lead_provider") <= nhs
    assert _values("localities", "area") == {"EM", "WM", "SY"} | footprints
    assert _values("footprint_towns", "town") <= towns
    assert _values("footprint_towns", "footprint") == footprints
    assert _values("footprint_providers", "provider") <= nhs
    assert _values("footprint_providers", "footprint") == footprints
    assert _values("shared_services", "footprint") <= footprints
    assert _values("shared_services", "host_footprint") <= footprints
    assert _values("perinatal_hosts", "host_footprint") <= footprints | {"EM"}
    assert _values("aed_hosts", "host_footprint") <= footprints
    assert _values("perinatal_hosts", "region") | _values("aed_hosts", "region") <= regions


def test_python_names_keep_their_types():
    assert ref_module.TOWNS["Nottingham"] == (52.9548, -1.1581, "NG3")
    assert ref_module.EM_LOCALITIES[0] == ("52R", "Nottingham and Nottinghamshire", 53.05, -1.05, 1_040_000)
    code, _name, _prov, _town, _inward, collab, wards = ref_module.EM_UNITS[0]
    assert (code, collab, wards[0]) == ("RHA10", "IMPACT", ("medium", "male", "mi", 16))
    assert ref_module.REGION_COLLABS[0][5] == date(2020, 10, 1)
    key, region, _n, locs, towns, provs, secure, camhs = ref_module.FOOTPRINTS[0]
    assert (key, region, len(locs), towns[0], provs[0], secure, camhs) == ("NLON", "Y56", 2, "Camden", "RV3", 620, 170)
    assert ref_module.SECURE_MIX[0] == ("medium", "male", "mi", 0.20)
    assert ref_module.REGION_INDEPENDENT["NV1"] == "Larkspur Healthcare"


@pytest.mark.parametrize(
    "scale, counts",
    [
        ("region", {"regions": 2, "providers": 20, "collaboratives": 5, "units": 35, "wards": 91, "localities": 22,
                    "locality_collaborative": 36, "wsbs_units": 3}),
        ("national", {"regions": 7, "providers": 75, "collaboratives": 40, "units": 279, "wards": 764,
                      "localities": 51, "locality_collaborative": 192, "wsbs_units": 3}),
    ],
)
def test_reference_builds(scale, counts):
    ref = reference(scale)
    for name, n in counts.items():
        assert len(getattr(ref, name)) == n, name
    units = {u[0] for u in ref.units}
    localities = {loc[0] for loc in ref.localities}
    assert len(units) == len(ref.units) and {w[1] for w in ref.wards} <= units
    assert len({w[0] for w in ref.wards}) == len(ref.wards)
    assert {lc[0] for lc in ref.locality_collaborative} <= localities
    assert set(ref.wsbs_units) <= units
    assert reference(scale).wards == ref.wards  # deterministic


def test_national_is_a_superset_of_region():
    region, national = reference("region"), reference("national")
    assert set(region.units) <= set(national.units)
    assert len(national.units) > 3 * len(region.units)
    assert len(national.localities) == len(_dicts("localities"))


def test_files_are_tracked_not_ignored():
    names = [str(p.relative_to(DATA_DIR.parent.parent)) for p in sorted(DATA_DIR.iterdir())]
    try:
        ignored = subprocess.run(
            ["git", "check-ignore", *names], cwd=DATA_DIR.parent.parent, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        pytest.skip("git not available")
    assert ignored.stdout.strip() == "", f"git ignores {ignored.stdout.split()}"


def test_loader_reads_only_its_own_folder():
    source = Path(ref_module.__file__).read_text(encoding="utf-8")
    assert "/work/shared" not in source
    assert DATA_DIR == Path(ref_module.__file__).parent / "reference_data"
