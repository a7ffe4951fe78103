"""Who may see what, enforced where the data is read.

A `Viewer` has a role and a home (the organisations it belongs to, as scope keys).
ONE permission call decides everything: `allowed(viewer, action, scope, conn)` with a named
action (ACTIONS: see scope, see finance, see patient rows, import, export, read audit, or
"view page:<file stem>"); `require(...)` is the same call raising AccessDenied with a clear
message. The menu (ui/navigation.py), every page guard and every data_access function use it;
RIGHTS is the one table of what each role may do. Row filters (`patient_wards`,
`visible_wards`, `finance_providers`) restrict rows in SQL to what `allowed` permits. Pages
cannot ask for more than the role allows, whatever is in the URL or session state.
`viewer=None` means a trusted caller (an analyst's script or a test), never a signed-in user.

Roles (docs/security.md has the full table; settings map users to them):
- national: every scope, aggregates only, all finance.
- commissioner: scopes within its region(s), aggregates only, finance there.
- lead_provider: scopes within its collaborative(s); patient-level rows only where every ward
  of the node is commissioned by its collaborative(s) (the collaborative itself, and a
  provider, unit or ward none of whose wards belongs to another collaborative); finance there.
  Exact figures (rule `none`) only where it has patient-level access, elsewhere `mhsds`.
- provider: every scope as aggregates; patient-level rows only within its own provider(s)
  (provider, unit, ward); finance totals of its collaboratives, finance lines of its own
  provider only.
- crg: scopes within its home (national, region or collaborative), aggregates only,
  disclosure control on, no finance.
- viewer: scopes within its home (any level), aggregates only, disclosure control on, no
  finance (a projected meeting).

"Within a home": the home node itself or a node below it. The hierarchy is not a tree (a
provider can hold wards for several collaboratives), so a provider or unit counts as within a
collaborative or region when at least one of its wards is commissioned there (or, for a
provider, when it is a member of the collaborative).
"""

from dataclasses import dataclass, field, replace

import sqlalchemy as sa

from data_access.schema import collaborative, collaborative_member, finance_ledger, unit, ward
from data_access.scope import LEVEL_LABELS, LEVELS, ScopeError, parse_key, ward_filter

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
DISCLOSURE_RULES = ("mhsds", "hes", "none")
# The named actions of `allowed`. "view page:<file stem>" (e.g. "view page:finance") is the action of a page.
ACTIONS = ("see scope", "see every scope", "see finance", "see patient rows", "import", "export", "read audit",
           "restate", "find beds anywhere", "submit bed state", "write governance", "manage financial risks")
# What each role may do at all; a scope given to `allowed` narrows it further. The one table of role rules.
RIGHTS = {
    "national": {"see every scope", "see finance", "import", "export", "read audit", "restate", "find beds anywhere",
                 "manage financial risks"},
    "commissioner": {"see finance", "export", "find beds anywhere"},
    "lead_provider": {"see finance", "see patient rows", "import", "export", "read audit", "restate",
                      "find beds anywhere", "write governance", "manage financial risks"},
    "provider": {"see every scope", "see finance", "see patient rows", "export", "find beds anywhere",
                 "submit bed state", "write governance"},
    "crg": {"export"},
    "viewer": {"export"},
}
# Pages that need more than seeing a scope: file stem -> the action they need.
PAGE_ACTIONS = {"finance": "see finance", "audit": "read audit", "bed_state_submit": "submit bed state"}
REFUSALS = {
    "see finance": "Your role does not include finance.",
    "see patient rows": "Your role shows aggregates only here, not patient-level rows.",
    "import": "Only lead providers and national users may import the finance return.",
    "export": "Your role does not include exports.",
    "read audit": "Your role does not include the audit trail.",
    "submit bed state": "Only a provider's users may submit the bed state of their own wards.",
    "write governance": "Only the lead provider (or a provider, for its own figures) writes to the meeting pack.",
    "restate": "Your role may not restate a closed month.",
    "manage financial risks": "Only the lead provider (or a national user) records financial risks and reserves.",
}
# The levels a role's home may be at.
HOME_LEVELS = {
    "national": ("national",),
    "commissioner": ("region",),
    "lead_provider": ("collaborative",),
    "provider": ("provider",),
    "crg": ("national", "region", "collaborative"),
    "viewer": LEVELS,
}


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
        if self.rule not in DISCLOSURE_RULES:
            raise ValueError(f"Unknown disclosure rule '{self.rule}'")
        if self.rule == "none" and "see patient rows" not in RIGHTS[self.role]:
            raise ValueError(f"The {self.role} role cannot have exact figures (rule none): it sees aggregates only")
        if isinstance(self.home, str):
            object.__setattr__(self, "home", (self.home,))
        for key in self.home:
            level, _ = parse_key(key)  # ScopeError (a ValueError) when malformed
            if level not in HOME_LEVELS[self.role]:
                raise ValueError(f"A {self.role} cannot have a home at {level} level ('{key}')")

    @property
    def policy(self) -> "Viewer":
        """The same access without the user's identity: a cache key shared by users with the same access."""
        return replace(self, user_id="", local=False)

    def describe(self) -> str:
        homes = ", ".join(self.home) or "no organisation"
        return f"{self.role} for {homes}"


def _order(level: str) -> int:
    return LEVELS.index(level)


def _wards():
    return ward.join(unit, unit.c.unit_code == ward.c.unit_code).join(
        collaborative, collaborative.c.collaborative_id == ward.c.collaborative_id)


def _count_wards(conn: sa.Connection, *where) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(_wards()).where(*where)).scalar() or 0)


def _under(conn: sa.Connection, home_key: str, level: str, code: str | None) -> bool:
    """Is the node (level, code) the home node or below it (for a provider or unit: overlapping it)?"""
    home_level, home_code = parse_key(home_key)
    if home_level == "national":
        return True
    if level not in LEVELS or _order(level) < _order(home_level):
        return False
    if level == home_level:
        return code == home_code
    if home_level == "collaborative" and level == "provider":
        m = collaborative_member
        member = conn.execute(sa.select(sa.func.count()).where(
            m.c.collaborative_id == home_code, m.c.provider_code == code)).scalar()
        if member:
            return True
    if home_level == "region" and level == "collaborative":
        return bool(conn.execute(sa.select(sa.func.count()).where(
            collaborative.c.collaborative_id == code, collaborative.c.region_code == home_code)).scalar())
    return _count_wards(conn, ward_filter(level, code), ward_filter(home_level, home_code)) > 0


def _wholly_within(conn: sa.Connection, homes: tuple[str, ...], level: str, code: str | None) -> bool:
    """Does the node have wards, every one of them within one of the homes?"""
    if not homes:
        return False
    inside = sa.or_(*[ward_filter(*parse_key(h)) for h in homes])
    node = ward_filter(level, code)
    return _count_wards(conn, node) > 0 and _count_wards(conn, node, sa.not_(inside)) == 0


def allowed(viewer: Viewer | None, action: str, scope: tuple[str, str | None] | None = None,
            conn: sa.Connection | None = None) -> bool:
    """THE permission call: may the viewer do `action` (one of ACTIONS, or "view page:<file stem>")?

    With a `scope` (level, code) the answer is for that node (and `conn` is needed to look at the
    hierarchy); without one, whether the role may do it anywhere. None = a trusted caller: always True.
    """
    if viewer is None:
        return True
    if action.startswith("view page:"):
        action = PAGE_ACTIONS.get(action.removeprefix("view page:"), "see scope")
    if action != "see scope" and action not in RIGHTS[viewer.role]:
        return False
    if scope is None:
        return True
    if action in ("see patient rows", "submit bed state", "write governance"):  # only where one answers for them
        return _patient_rows(conn, viewer, *scope)
    if action == "see finance":
        return _finance_at(conn, viewer, *scope)  # the figures' own rule; seeing the scope is "see scope"
    return _sees(conn, viewer, *scope)


def require(viewer: Viewer | None, action: str, scope: tuple[str, str | None] | None = None,
            conn: sa.Connection | None = None) -> None:
    """AccessDenied, with a message saying what was refused, unless `allowed`."""
    if allowed(viewer, action, scope, conn):
        return
    if action in REFUSALS and (scope is None or action in ("see patient rows", "see finance", "write governance")
                               or not allowed(viewer, action)):
        raise AccessDenied(REFUSALS[action])
    level = scope[0] if scope else ""
    raise AccessDenied(f"Your role does not give access to this {LEVEL_LABELS.get(level, 'node').lower()}.")


def _sees(conn: sa.Connection, viewer: Viewer, level: str, code: str | None) -> bool:
    """May the viewer see aggregates for this node?"""
    if "see every scope" in RIGHTS[viewer.role]:
        return True
    return any(_under(conn, home, level, code) for home in viewer.home)


def _patient_rows(conn: sa.Connection, viewer: Viewer, level: str, code: str | None) -> bool:
    """May the viewer see pseudonymised patient-level rows for this node?"""
    if level in ("national", "region"):
        return False
    if level == "collaborative":
        return viewer.role == "lead_provider" and f"collaborative:{code}" in viewer.home
    return _wholly_within(conn, viewer.home, level, code)


def patient_wards(viewer: Viewer | None):
    """SELECT of the ward codes whose patients' rows the viewer may see (None = no restriction).

    For a data_access function that returns patient rows: add `ward_code IN patient_wards(viewer)`
    to the WHERE clause, so rows of wards commissioned elsewhere never leave the database.
    """
    if viewer is None:
        return None
    select = sa.select(ward.c.ward_code).select_from(_wards())
    if not allowed(viewer, "see patient rows") or not viewer.home:
        return select.where(sa.false())
    return select.where(sa.or_(*[ward_filter(*parse_key(h)) for h in viewer.home]))


def visible_wards(viewer: Viewer | None):
    """SELECT of the ward codes within the viewer's aggregate scope (None = every ward)."""
    if allowed(viewer, "see every scope") or "national" in viewer.home:
        return None
    select = sa.select(ward.c.ward_code).select_from(_wards())
    if not viewer.home:
        return select.where(sa.false())
    return select.where(sa.or_(*[ward_filter(*parse_key(h)) for h in viewer.home]))


def ward_rows(viewer: Viewer | None, ward_column):
    """WHERE part for a row set with one row per ward, unit or locality-ward pair: only the wards within the
    viewer's aggregate scope (rows of wards other collaboratives commission never leave the database)."""
    wards = visible_wards(viewer)
    return sa.true() if wards is None else ward_column.in_(wards)


def unit_rows(viewer: Viewer | None, unit_column):
    """WHERE part for a row set with one row per unit: units with at least one ward the viewer may see."""
    wards = visible_wards(viewer)
    if wards is None:
        return sa.true()
    return unit_column.in_(sa.select(ward.c.unit_code).where(ward.c.ward_code.in_(wards)))


def visible_children(conn: sa.Connection, viewer: Viewer | None, kids: list) -> list:
    """The child nodes (Scope objects) the viewer may see, for tables, funnels and charts of children."""
    if viewer is None:
        return list(kids)
    return [k for k in kids if allowed(viewer, "see scope", (k.level, k.code), conn)]


def placement_wards(viewer: Viewer | None, ward_column):
    """WHERE part for the placement finder: every ward for roles that place patients, else the role's wards."""
    if allowed(viewer, "find beds anywhere"):
        return sa.true()
    return ward_rows(viewer, ward_column)


def rule_for(conn: sa.Connection, viewer: Viewer | None, level: str, code: str | None) -> str:
    """The disclosure rule for this viewer at this node: exact figures (`none`) only with patient-level access."""
    if viewer is None:
        return "mhsds"
    if viewer.rule == "none" and not allowed(viewer, "see patient rows", (level, code), conn):
        return "mhsds"
    return viewer.rule


def finance_providers(viewer: Viewer | None) -> tuple[str, ...] | None:
    """Provider codes whose finance lines a provider-role viewer may see; None = no restriction."""
    if viewer is None or viewer.role != "provider":
        return None
    return tuple(parse_key(k)[1] for k in viewer.home if k.startswith("provider:"))


def finance_collaboratives(viewer: Viewer | None):
    """SELECT of the collaborative ids whose ledger lines the viewer may see; None = every collaborative.

    A lead provider sees its own collaboratives' lines, a commissioner those of its region(s), so at a
    provider shared with other collaboratives (NQ1 in IMPACT and CAMHS) their lines stay out."""
    if viewer is None or viewer.role not in ("lead_provider", "commissioner") or "national" in viewer.home:
        return None
    homes = [parse_key(h) for h in viewer.home]
    collabs = [c for lvl, c in homes if lvl == "collaborative"]
    regions = [c for lvl, c in homes if lvl == "region"]
    return sa.select(collaborative.c.collaborative_id).where(
        sa.or_(sa.false(), collaborative.c.collaborative_id.in_(collabs), collaborative.c.region_code.in_(regions)))


def finance_lines(viewer: Viewer | None, collab_column, provider_column):
    """WHERE part: only the finance lines (ledger, risk share, bed days) the viewer may see."""
    parts = []
    own = finance_providers(viewer)
    if own is not None:
        parts.append(provider_column.in_(own) if own else sa.false())
    collabs = finance_collaboratives(viewer)
    if collabs is not None:
        parts.append(collab_column.in_(collabs))
    return sa.and_(sa.true(), *parts)


def _finance_at(conn: sa.Connection, viewer: Viewer, level: str, code: str | None) -> bool:
    """Finance figures of this node: a provider sees other providers' totals only summed into a
    collaborative, region or England, never one provider's (or its units') figures. A lead provider or
    commissioner sees a provider's totals only when all its ledger lines are within its homes (elsewhere
    the finance page shows its own collaboratives' lines of that provider: `finance_lines`)."""
    collabs = finance_collaboratives(viewer)
    if collabs is not None and level == "provider":
        f = finance_ledger
        outside = conn.execute(sa.select(sa.func.count()).select_from(f).where(
            f.c.provider_code == code, f.c.collaborative_id.not_in(collabs))).scalar()
        return not outside
    own = finance_providers(viewer)
    if own is None or level in ("national", "region", "collaborative"):
        return True
    return _wholly_within(conn, tuple(f"provider:{p}" for p in own), level, code)


def default_scope_key(viewer: Viewer | None) -> str:
    """Where a viewer starts: its (first) home; England for national roles and trusted callers."""
    if viewer is None or not viewer.home:
        return "national"
    return viewer.home[0]


def visible_keys(conn: sa.Connection, viewer: Viewer | None) -> set[str] | None:
    """Every scope key the viewer may see (None = all), e.g. to filter audit rows by their scope."""
    if allowed(viewer, "see every scope") or "national" in viewer.home:
        return None
    keys = set(viewer.home)
    wards = visible_wards(viewer)
    rows = conn.execute(
        sa.select(collaborative.c.region_code, ward.c.collaborative_id, unit.c.provider_code, ward.c.unit_code,
                  ward.c.ward_code).select_from(_wards()).where(ward.c.ward_code.in_(wards))).all()
    for region_code, collab, provider_code, unit_code, ward_code in rows:
        for level, code in (("region", region_code), ("collaborative", collab), ("provider", provider_code),
                            ("unit", unit_code), ("ward", ward_code)):
            if _order(level) > min(_order(parse_key(h)[0]) for h in viewer.home):
                keys.add(f"{level}:{code}")
    return {k for k in keys if k == "national" or _visible_key(conn, viewer, k)}


def _visible_key(conn: sa.Connection, viewer: Viewer, key: str) -> bool:
    try:
        return allowed(viewer, "see scope", parse_key(key), conn)
    except ScopeError:
        return False
