"""The governance hierarchy: national > region > collaborative > provider > unit > ward.

A scope is a node of it. This module checks that a node exists, names it, lists its
children and parents, and gives the SQL filters that restrict wards, patients and
referrals to it.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from data_access.schema import collaborative, provider, region, unit, ward

LEVELS = ("national", "region", "collaborative", "provider", "unit", "ward")
CHILD_LEVEL = dict(zip(LEVELS[:-1], LEVELS[1:]))
LEVEL_LABELS = {
    "national": "National", "region": "Region", "collaborative": "Provider collaborative",
    "provider": "Provider", "unit": "Unit", "ward": "Ward",
}
# Levels whose patient-following KPIs follow home patients (see docs/kpi-definitions.md).
HOME_LEVELS = ("national", "region", "collaborative")


@dataclass(frozen=True)
class Scope:
    level: str
    code: str | None
    name: str

    @property
    def key(self) -> str:
        """The scope as it appears in the URL: `national` or `level:code`."""
        return self.level if self.level == "national" else f"{self.level}:{self.code}"


NATIONAL = Scope("national", None, "England")

_NAME_SOURCES = {
    "region": (region.c.region_code, region.c.name),
    "collaborative": (collaborative.c.collaborative_id, collaborative.c.name),
    "provider": (provider.c.provider_code, provider.c.name),
    "unit": (unit.c.unit_code, unit.c.name),
    "ward": (ward.c.ward_code, ward.c.name),
}


class ScopeError(ValueError):
    """A scope that is malformed or does not exist."""


def parse_key(key: str | None) -> tuple[str, str | None]:
    """Split a URL scope key (`national`, `collaborative:IMPACT`) into level and code."""
    if not key or key == "national":
        return "national", None
    level, sep, code = key.partition(":")
    if not sep or level not in LEVELS[1:] or not code or len(code) > 32:
        raise ScopeError(f"'{key[:60]}' is not a scope. Use national or level:code, e.g. collaborative:IMPACT.")
    return level, code


def resolve(conn: sa.Connection, level: str, code: str | None) -> Scope:
    """The named scope, or ScopeError when the level is unknown or the code does not exist."""
    if level == "national":
        return NATIONAL
    if level not in _NAME_SOURCES:
        raise ScopeError(f"Unknown hierarchy level '{level}'.")
    key_col, name_col = _NAME_SOURCES[level]
    name = conn.execute(sa.select(name_col).where(key_col == code)).scalar()
    if name is None:
        raise ScopeError(f"There is no {LEVEL_LABELS[level].lower()} with code '{code}'.")
    return Scope(level, code, name)


def ward_filter(level: str, code: str | None, ward_t=ward, unit_t=unit, collab_t=collaborative):
    """A WHERE clause selecting the wards under a node (ward_t joined to unit_t and collab_t)."""
    if level == "national":
        return sa.true()
    return {
        "region": collab_t.c.region_code == code,
        "collaborative": ward_t.c.collaborative_id == code,
        "provider": unit_t.c.provider_code == code,
        "unit": ward_t.c.unit_code == code,
        "ward": ward_t.c.ward_code == code,
    }[level]


def children(conn: sa.Connection, scope: Scope) -> list[Scope]:
    """The nodes one level down, by name."""
    if scope.level == "ward":
        return []
    child = CHILD_LEVEL[scope.level]
    key_col, name_col = _NAME_SOURCES[child]
    query = sa.select(key_col, name_col).distinct()
    if scope.level == "region":
        query = query.where(collaborative.c.region_code == scope.code)
    elif scope.level == "collaborative":
        query = query.select_from(
            provider.join(unit, unit.c.provider_code == provider.c.provider_code)
            .join(ward, ward.c.unit_code == unit.c.unit_code)
        ).where(ward.c.collaborative_id == scope.code)
    elif scope.level == "provider":
        query = query.where(unit.c.provider_code == scope.code)
    elif scope.level == "unit":
        query = query.where(ward.c.unit_code == scope.code)
    rows = conn.execute(query.order_by(name_col)).all()
    return [Scope(child, code, name) for code, name in rows]


def parents(conn: sa.Connection, scope: Scope) -> list[Scope]:
    """The path from national down to (not including) the scope, for breadcrumbs."""
    path: list[Scope] = []
    level, code = scope.level, scope.code
    while level != "national":
        level, code = _parent_of(conn, level, code)
        path.insert(0, resolve(conn, level, code))
    return path


def _parent_of(conn: sa.Connection, level: str, code: str) -> tuple[str, str | None]:
    if level == "region":
        return "national", None
    if level == "collaborative":
        return "region", conn.execute(
            sa.select(collaborative.c.region_code).where(collaborative.c.collaborative_id == code)).scalar()
    if level == "provider":
        row = conn.execute(
            sa.select(ward.c.collaborative_id, sa.func.count().label("n"))
            .select_from(ward.join(unit, ward.c.unit_code == unit.c.unit_code))
            .where(unit.c.provider_code == code)
            .group_by(ward.c.collaborative_id).order_by(sa.desc("n"), ward.c.collaborative_id)
        ).first()
        return ("collaborative", row[0]) if row else ("national", None)
    if level == "unit":
        return "provider", conn.execute(sa.select(unit.c.provider_code).where(unit.c.unit_code == code)).scalar()
    return "unit", conn.execute(sa.select(ward.c.unit_code).where(ward.c.ward_code == code)).scalar()


def hierarchy(conn: sa.Connection):
    """Every ward with its unit, provider, collaborative and region (codes and names), for navigation."""
    import pandas as pd

    query = (
        sa.select(
            region.c.region_code, region.c.name.label("region_name"),
            collaborative.c.collaborative_id, collaborative.c.name.label("collaborative_name"),
            provider.c.provider_code, provider.c.name.label("provider_name"),
            unit.c.unit_code, unit.c.name.label("unit_name"),
            ward.c.ward_code, ward.c.name.label("ward_name"),
        )
        .select_from(
            ward.join(unit, unit.c.unit_code == ward.c.unit_code)
            .join(provider, provider.c.provider_code == unit.c.provider_code)
            .join(collaborative, collaborative.c.collaborative_id == ward.c.collaborative_id)
            .join(region, region.c.region_code == collaborative.c.region_code)
        )
        .order_by(region.c.name, collaborative.c.name, provider.c.name, unit.c.name, ward.c.name)
    )
    return pd.DataFrame(conn.execute(query).mappings().all())
