"""Who may see what, enforced where the data is read.

A `Viewer` has a role and a home (the organisations it belongs to, as scope keys).
Every data_access function that a page calls for a scope goes through `require_scope`;
every function that returns patient-level (pseudonymised) rows goes through
`require_patient_level`; finance lines go through `finance_providers`. Pages cannot ask
for more than the role allows, whatever is in the URL or session state.

Roles (settings map users to them):
- national: every scope, aggregates only.
- commissioner: scopes within its region(s), aggregates only.
- lead_provider: scopes within its collaborative(s), patient-level rows there, finance.
- provider: every scope as aggregates; patient-level rows only within its own provider;
  finance lines of its own provider only.
- crg: scopes within its collaborative(s), aggregates only, disclosure control on, no finance detail.
- viewer: scopes within its home, aggregates only, disclosure control on (a projected meeting).
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from data_access.schema import collaborative, collaborative_member, unit, ward
from data_access.scope import parse_key

ROLES = ("national", "commissioner", "lead_provider", "provider", "crg", "viewer")
ROLE_LABELS = {
    "national": "National (all organisations, aggregates)",
    "commissioner": "Commissioner (own region, aggregates)",
    "lead_provider": "Lead provider (own collaborative, patient-level, finance)",
    "provider": "Provider (own units patient-level; elsewhere aggregates)",
    "crg": "Clinical Reference Group (aggregates, disclosure control)",
    "viewer": "Meeting viewer (aggregates, disclosure control)",
}
DEFAULT_DISCLOSURE = {"national": "mhsds", "commissioner": "mhsds", "lead_provider": "none", "provider": "mhsds",
                      "crg": "mhsds", "viewer": "mhsds"}
PATIENT_LEVEL_ROLES = ("lead_provider", "provider")
FINANCE_ROLES = ("national", "commissioner", "lead_provider", "provider")


class AccessDenied(PermissionError):
    """The viewer's role does not allow this; the message says what and why, never more."""


@dataclass(frozen=True)
class Viewer:
    user_id: str
    role: str
    home: tuple[str, ...] = field(default_factory=tuple)  # scope keys, e.g. ("collaborative:IMPACT",)
    rule: str = "mhsds"
    local: bool = False

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"Unknown role '{self.role}'")


def _under(conn: sa.Connection, home_key: str, level: str, code: str | None) -> bool:
    """Is the node (level, code) the home node or below it?"""
    home_level, home_code = parse_key(home_key)
    if home_level == "national":
        return True
    if level == "national":
        return False
    if (level, code) == (home_level, home_code):
        return True
    query = _containment(home_level, home_code, level, code)
    return query is not None and bool(conn.execute(query).scalar())


def _containment(home_level, home_code, level, code):
    """A SELECT returning a positive count when (level, code) is within the home node."""
    wards = ward.join(unit, unit.c.unit_code == ward.c.unit_code).join(
        collaborative, collaborative.c.collaborative_id == ward.c.collaborative_id)
    node = {"collaborative": ward.c.collaborative_id, "provider": unit.c.provider_code,
            "unit": ward.c.unit_code, "ward": ward.c.ward_code}.get(level)
    home = {"region": collaborative.c.region_code, "collaborative": ward.c.collaborative_id,
            "provider": unit.c.provider_code, "unit": ward.c.unit_code}.get(home_level)
    order = ("region", "collaborative", "provider", "unit", "ward")
    if node is None or home is None or order.index(level) <= order.index(home_level):
        return None
    if home_level == "collaborative" and level == "provider":
        m = collaborative_member
        return sa.select(sa.func.count()).where(m.c.collaborative_id == home_code, m.c.provider_code == code)
    return sa.select(sa.func.count()).select_from(wards).where(node == code, home == home_code)


def can_see(conn: sa.Connection, viewer: Viewer, level: str, code: str | None) -> bool:
    if viewer.role in ("national", "provider"):
        return True
    return any(_under(conn, home, level, code) for home in viewer.home)


def require_scope(conn: sa.Connection, viewer: Viewer | None, level: str, code: str | None) -> None:
    """AccessDenied unless the viewer may see aggregates for this node. None = trusted caller (analysts)."""
    if viewer is not None and not can_see(conn, viewer, level, code):
        raise AccessDenied("Your role does not give access to this organisation.")


def patient_level_allowed(conn: sa.Connection, viewer: Viewer | None, level: str, code: str | None) -> bool:
    if viewer is None:
        return True
    if viewer.role not in PATIENT_LEVEL_ROLES or level == "national":
        return False
    return any(_under(conn, home, level, code) for home in viewer.home)


def require_patient_level(conn: sa.Connection, viewer: Viewer | None, level: str, code: str | None) -> None:
    if not patient_level_allowed(conn, viewer, level, code):
        raise AccessDenied("Your role shows aggregates only here, not patient-level rows.")


def finance_allowed(viewer: Viewer | None) -> bool:
    return viewer is None or viewer.role in FINANCE_ROLES


def finance_providers(viewer: Viewer | None) -> tuple[str, ...] | None:
    """Provider codes whose finance lines a provider-role viewer may see; None = no restriction."""
    if viewer is None or viewer.role != "provider":
        return None
    return tuple(parse_key(k)[1] for k in viewer.home if k.startswith("provider:"))
