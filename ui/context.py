"""What every page works on: the database, the scope, the period and the viewer.

app.py calls `build()` once per run (it draws the sidebar selectors); pages call
`current()`. Scope and period live in the URL (?scope=collaborative:IMPACT&from=…&to=…)
so a view can be shared; a bad value there gives a clear message and a safe default.
The scope is always one the viewer may see: with no scope in the URL it is the viewer's home;
a scope outside its access gives a message, an audit row and the home instead.
"""

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
import streamlit as st

from data_access import access, audit
from data_access.access import Viewer
from data_access.scope import LEVEL_LABELS, Scope, ScopeError, parse_key
from settings import assessment_targets
from ui import cached, period
from ui.auth import plain


@dataclass(frozen=True)
class Context:
    url: str
    engine: sa.Engine
    scope: Scope
    parents: list = field(default_factory=list)
    start: dt.date = dt.date.today()
    end: dt.date = dt.date.today()
    latest: dt.date = dt.date.today()
    is_demo: bool = False
    feeds: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    viewer: Viewer | None = None
    disclosure: str = ""  # the viewer's rule at this scope (access.rule_for); empty = the viewer's own rule

    @property
    def targets(self) -> tuple:
        """Assessment targets by urgency from the settings, hashable for caching."""
        return tuple(sorted(assessment_targets(self.settings).items())) if self.settings else ()

    @property
    def rule(self) -> str:
        if self.disclosure:
            return self.disclosure
        return self.viewer.rule if self.viewer else "mhsds"


# The context of each session's current run, kept out of st.session_state's reach: a value put
# there (by a test harness or a future widget key) can never stand in for the one build() made.
_built: dict[str, Context] = {}


def _session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    run = get_script_run_ctx()
    return run.session_id if run else ""


def current() -> Context:
    return _built[_session_id()]


def go_to(scope_key: str) -> None:
    """Change the scope (keeps the period); used by drill-down clicks and selectors."""
    st.query_params["scope"] = scope_key


def latest_day(feeds: dict, calendar_end: dt.date | None) -> dt.date:
    """The last complete day of data: the date of the latest MHSDS (activity) load, else yesterday."""
    loaded = feeds.get("mhsds") or max(feeds.values(), default=None)
    day = loaded.date() if loaded else dt.date.today() - dt.timedelta(days=1)
    return min(day, calendar_end) if calendar_end else day


class NoHome(RuntimeError):
    """The viewer's home organisation is not in this database."""


def _home(url: str, engine: sa.Engine, viewer: Viewer | None) -> tuple[Scope, list]:
    key = access.default_scope_key(viewer)
    try:
        return cached.resolve_scope(engine, url, *parse_key(key))
    except ScopeError as error:
        raise NoHome(f"Your organisation ({plain(key)}) is not in this database.") from error


def _scope_name(scope: Scope) -> str:
    return plain(scope.name) if scope.level == "national" else plain(scope_title(scope))


def resolve_scope(url: str, engine: sa.Engine, viewer: Viewer | None = None) -> tuple[Scope, list]:
    """The scope of the URL when it exists and the viewer may see it; otherwise a message and the home."""
    home_key = access.default_scope_key(viewer)
    key = st.query_params.get("scope", home_key)
    try:
        level, code = parse_key(key)
    except ScopeError as error:
        return _fall_back(url, engine, viewer, plain(error))
    try:
        scope, parents = cached.resolve_scope(engine, url, level, code)
    except ScopeError as error:
        if viewer is not None and not access.allowed(viewer, "see every scope"):
            return _refuse(url, engine, viewer, key)  # the same words as a node outside the role: no probing
        return _fall_back(url, engine, viewer, plain(error))
    if viewer is None or cached.scope_access(engine, url, viewer.policy, level, code)["see"]:
        return scope, _visible_parents(url, engine, viewer, parents)
    return _refuse(url, engine, viewer, scope.key)


def _fall_back(url: str, engine: sa.Engine, viewer: Viewer | None, problem: str) -> tuple[Scope, list]:
    home, home_parents = _home(url, engine, viewer)
    st.error(f"{problem} Showing {_scope_name(home)} instead.", icon=":material/error:")
    st.query_params["scope"] = home.key
    return home, _visible_parents(url, engine, viewer, home_parents)


def _refuse(url: str, engine: sa.Engine, viewer: Viewer, key: str) -> tuple[Scope, list]:
    """A scope outside the role, or one that does not exist: one message that names neither, an audit row."""
    home, home_parents = _home(url, engine, viewer)
    audit.record(engine, viewer, "denied", audit.target("Scope", key[:60]), {"reason": "scope outside role"})
    st.warning(f"Your role does not give access to the organisation in the address; showing your organisation "
               f"({_scope_name(home)}) instead.", icon=":material/lock:")
    st.query_params["scope"] = home.key
    return home, _visible_parents(url, engine, viewer, home_parents)


def _visible_parents(url: str, engine: sa.Engine, viewer: Viewer | None, parents: list) -> list:
    """The breadcrumb's steps the viewer may see (a provider's parent collaborative may be another's)."""
    if viewer is None:
        return parents
    return [p for p in parents if cached.scope_access(engine, url, viewer.policy, p.level, p.code)["see"]]


def resolve_period(latest: dt.date) -> tuple[dt.date, dt.date]:
    params = st.query_params
    if "from" not in params and "to" not in params:
        return period.preset_range(period.DEFAULT_PRESET, latest)
    try:
        return period.parse(params.get("from"), params.get("to"), latest)
    except period.PeriodError as error:
        start, end = period.preset_range(period.DEFAULT_PRESET, latest)
        st.warning(f"{error} Showing {period.DEFAULT_PRESET.lower()} instead.", icon=":material/warning:")
        st.query_params["from"], st.query_params["to"] = str(start), str(end)
        return start, end


def build(url: str, engine: sa.Engine, settings: dict, viewer: Viewer) -> Context:
    as_of = cached.data_as_of(engine, url)
    latest = latest_day(as_of["feeds"], as_of["calendar_end"])
    scope, parents = resolve_scope(url, engine, viewer)
    start, end = resolve_period(latest)
    rule = cached.scope_access(engine, url, viewer.policy, scope.level, scope.code)["rule"] if viewer else ""
    ctx = Context(url=url, engine=engine, scope=scope, parents=parents, start=start, end=end, latest=latest,
                  is_demo=as_of["is_demo"], feeds=as_of["feeds"], settings=settings, viewer=viewer, disclosure=rule)
    st.session_state["ctx"] = ctx  # for reading only (tests); pages use current()
    _built[_session_id()] = ctx
    return ctx


def home_names(url: str, engine: sa.Engine, viewer: Viewer) -> dict[str, str]:
    """{home key: name} for the sidebar's "Local mode: role X for Y"."""
    names = {}
    for key in viewer.home:
        try:
            names[key] = scope_title(cached.resolve_scope(engine, url, *parse_key(key))[0])
        except ScopeError:
            names[key] = key
    return names


def scope_title(scope: Scope) -> str:
    return scope.name if scope.level == "national" else f"{scope.name} — {LEVEL_LABELS[scope.level].lower()}"
