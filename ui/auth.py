"""Sign-in and the viewer: who is using the dashboard, and with which role and home.

Two modes (docs/security.md):
- Sign-in (st.login, OpenID Connect, e.g. Microsoft Entra ID for NHSmail) when `[auth]` is in
  secrets.toml. The signed-in user's e-mail and identity claims are mapped to a role and home
  by the `[roles]` table (in secrets.toml, or in the TOML file named by the `roles_file`
  setting; see roles.toml.example). A user the table does not map sees a clear message only.
- Local mode (no `[auth]`): one local user with the `local_role` / `local_scope` settings,
  shown in the sidebar ("Local mode: role X for Y").

`map_user(claims, roles)` is pure (tested without Streamlit).
"""

import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from data_access import access, audit

log = logging.getLogger(__name__)
EMAIL_CLAIMS = ("email", "preferred_username", "upn")
SECTIONS = ("user", "group", "domain")  # precedence: exact e-mail, then identity claim, then domain
MARKDOWN_SPECIAL = "\\`*_[]<>#|~$"  # enough to stop links, emphasis, code, LaTeX and tables


@dataclass(frozen=True)
class Identity:
    user_id: str
    viewer: access.Viewer | None
    message: str = ""


def plain(text) -> str:
    """`text` with markdown's special characters escaped, for showing user or database text in st.* messages."""
    return "".join(f"\\{c}" if c in MARKDOWN_SPECIAL else c for c in str(text))


def email_of(claims: dict) -> str:
    for name in EMAIL_CLAIMS:
        value = claims.get(name)
        if isinstance(value, str) and "@" in value:
            return value.strip().lower()
    return ""


def _claim_values(claims: dict, name: str) -> list[str]:
    value = claims.get(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _matches(section: str, entry: dict, email: str, claims: dict) -> bool:
    if section == "user":
        return bool(email) and str(entry.get("email", "")).strip().lower() == email
    if section == "group":
        return str(entry.get("value", "")) in _claim_values(claims, str(entry.get("claim", "groups")))
    domain = str(entry.get("domain", "")).strip().lower().lstrip("@")
    return bool(email and domain) and email.rpartition("@")[2] == domain


def viewer_from_entry(user_id: str, entry: dict) -> access.Viewer:
    """A Viewer from one [[roles.*]] entry; ValueError when the entry is not valid."""
    role = str(entry.get("role", ""))
    if role not in access.ROLES:
        raise ValueError(f"unknown role '{role}'")
    home = entry.get("home", [])
    home = (home,) if isinstance(home, str) else tuple(str(h) for h in home)
    if role == "national":
        home = ("national",)
    if not home:
        raise ValueError(f"a {role} needs a home (e.g. home = [\"collaborative:IMPACT\"])")
    rule = str(entry.get("disclosure", access.DEFAULT_DISCLOSURE[role]))
    return access.Viewer(user_id, role, home, rule)


def map_user(claims: dict, roles: dict) -> Identity:
    """The Identity of a signed-in user from its claims and the [roles] table (first match by precedence)."""
    if claims.get("email_verified") is False:
        return Identity(email_of(claims) or "unknown", None, "Your e-mail address is not verified.")
    email = email_of(claims)
    user_id = email or str(claims.get("sub", "unknown"))
    for section in SECTIONS:
        for entry in roles.get(section, []) or []:
            if isinstance(entry, dict) and _matches(section, entry, email, claims):
                try:
                    return Identity(user_id, viewer_from_entry(user_id, entry))
                except ValueError as error:
                    log.warning("Roles table entry for %s is not valid: %s", section, error)
                    return Identity(user_id, None, "Your access is set up wrongly; the administrator has been told.")
    return Identity(user_id, None, "")


def roles_table(secrets: dict, values: dict) -> dict:
    """The [roles] table: from the file named by the roles_file setting, else from secrets.toml."""
    path = str(values.get("roles_file", "") or "").strip()
    if path:
        try:
            return dict(tomllib.loads(Path(path).read_text(encoding="utf-8")).get("roles", {}))
        except (OSError, tomllib.TOMLDecodeError) as error:
            log.warning("Roles file %s cannot be read: %s", path, type(error).__name__)
            return {}
    roles = secrets.get("roles", {})
    return dict(roles) if isinstance(roles, dict) else {}


def auth_configured(secrets: dict) -> bool:
    return isinstance(secrets.get("auth"), dict) and bool(secrets["auth"])


def _provider(secrets: dict) -> str | None:
    """The named provider when [auth] has sub-tables ([auth.microsoft]); None for a single provider."""
    named = [k for k, v in secrets.get("auth", {}).items() if isinstance(v, dict)]
    return named[0] if named else None


def local_identity(values: dict) -> Identity:
    role = values["local_role"]
    home = ("national",) if role == "national" else (values["local_scope"],)
    try:
        return Identity("local user", access.Viewer("local user", role, home, access.DEFAULT_DISCLOSURE[role],
                                                    local=True))
    except ValueError as error:
        return Identity("local user", None, f"The local_scope setting does not suit the {role} role: {error}")


def identify(values: dict, secrets: dict) -> Identity:
    """The current user's Identity; shows the sign-in screen and stops the run when not signed in."""
    if not auth_configured(secrets):
        return local_identity(values)
    if not st.user.get("is_logged_in", False):
        sign_in_screen(secrets)
        st.stop()
    return map_user(st.user.to_dict(), roles_table(secrets, values))


def sign_in_screen(secrets: dict) -> None:
    st.title("Provider Collaborative Dashboard")
    st.write("Sign in with your NHS account to see the dashboard.")
    st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login, args=(_provider(secrets),))


def refuse(identity: Identity, local: bool) -> None:
    """What a user with no role sees: a clear message and (when signed in) a sign-out button."""
    st.title("Provider Collaborative Dashboard")
    if local:
        st.error(f"{plain(identity.message)} Set local_role and local_scope (see README.md, Settings).",
                 icon=":material/settings:")
        return
    st.warning(f"You are signed in as {plain(identity.user_id)}, but your account has no role in this dashboard. "
               f"{plain(identity.message)} Ask your organisation's dashboard administrator for access.",
               icon=":material/lock:")
    st.button("Sign out", on_click=st.logout, icon=":material/logout:")


def hold_login(viewer: access.Viewer) -> None:
    """One 'login' audit row per browser session (local mode included), held to be written with the run's next
    audit row (its 'view' row, or a refusal before it: audit.hold); the router flushes it in every case."""
    if st.session_state.get("_pcd_login_recorded") == viewer.user_id:
        return
    st.session_state["_pcd_login_recorded"] = viewer.user_id
    audit.hold(viewer, "login", audit.target("Sign-in", viewer.home[0] if viewer.home else None),
               {"mode": "local" if viewer.local else "oidc", "role": viewer.role})


def show_identity(viewer: access.Viewer, scope_names: dict[str, str]) -> None:
    """Who is using the dashboard, at the top of the sidebar."""
    homes = ", ".join(plain(scope_names.get(h, h)) for h in viewer.home) or "no organisation"
    with st.sidebar:
        if viewer.local:
            st.info(f"Local mode: role **{viewer.role}** for {homes}", icon=":material/person:")
        else:
            st.caption(f"Signed in as {plain(viewer.user_id)}: **{viewer.role}** for {homes}")
            st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="sign_out")
