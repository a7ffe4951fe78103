"""Provider Collaborative Dashboard: the router.

A thin entry point (as Streamlit's app template): page config, settings, sign-in and
viewer (ui/auth.py), database, scope and period (kept in the URL), then st.navigation runs
the chosen page and the view is written to the audit trail.
"""

import streamlit as st

import settings as app_settings
from data_access import access, audit, rls
from data_access.dialect import QueryTimeout, spec_for
from metrics.disclosure import RULE_LABELS
from ui import auth, context, db, meeting, sidebar
from ui.navigation import menu, page
from ui.views import show_timeout


def secrets_dict() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 - no secrets.toml is a normal local set-up
        return {}


def navigation(viewer: access.Viewer, hidden: bool = False) -> st.navigation:
    sections: dict[str, list] = {}
    for section, path, title, icon, shown in menu(viewer):
        sections.setdefault(section, []).append(page(path, title, icon, shown))
    return st.navigation(sections, position="hidden" if hidden else "sidebar")


def record_view(ctx: context.Context, page) -> None:
    """One 'view' audit row per page, scope and period shown (not per widget click)."""
    key = (page.title, ctx.scope.key, str(ctx.start), str(ctx.end))
    if st.session_state.get("_pcd_last_view") == key:
        return
    st.session_state["_pcd_last_view"] = key
    audit.record(ctx.engine, ctx.viewer, "view", audit.target(page.title, ctx.scope.key),
                 {"from": str(ctx.start), "to": str(ctx.end), "rule": ctx.rule})


def refuse(identity: auth.Identity, secrets: dict) -> None:
    """An unknown user: a clear message, a 'denied' audit row, nothing else."""
    auth.refuse(identity, local=not auth.auth_configured(secrets))
    try:
        _, engine = db.connect()
        audit.record(engine, None, "denied", audit.target("Sign-in", None), {"reason": "no role"},
                     user_id=identity.user_id)
    except db.DatabaseUnavailable:
        pass
    st.stop()


def main() -> None:
    meeting_mode = meeting.is_on()
    st.set_page_config(page_title="Provider Collaborative Dashboard", page_icon=":material/local_hospital:",
                       layout="wide", initial_sidebar_state="collapsed" if meeting_mode else "auto")
    secrets = secrets_dict()
    values, problems = app_settings.load(secrets)
    for problem in problems:
        st.warning(problem, icon=":material/settings:")
    identity = auth.identify(values, secrets)
    if identity.viewer is None:
        refuse(identity, secrets)
    viewer = identity.viewer
    page = navigation(viewer, hidden=meeting_mode)
    try:
        url, engine = db.connect()
    except db.DatabaseUnavailable as error:
        st.error(str(error), icon=":material/database:")
        st.stop()
    spec_for(engine).limit_queries(engine, values["query_timeout_seconds"])
    rls.use_viewer(engine, viewer)
    auth.hold_login(viewer)
    try:
        show(url, engine, values, viewer, page, meeting_mode)
    finally:
        audit.flush(engine)  # a held login row a run cut short did not write


def show(url: str, engine, values: dict, viewer: access.Viewer, page, meeting_mode: bool) -> None:
    """The scope and period, the sidebar and the page, then the view's audit row."""
    try:
        ctx = context.build(url, engine, values, viewer, meeting=meeting_mode)
    except context.NoHome as error:
        st.error(f"{error} Check the role settings (docs/security.md).", icon=":material/lock:")
        st.stop()
    if meeting_mode:
        meeting.start(RULE_LABELS[ctx.rule])
    else:
        auth.show_identity(viewer, context.home_names(url, engine, viewer))
        sidebar.draw(ctx)
        meeting.enter_button()
    try:
        page.run()
    except QueryTimeout as error:  # a page section without its own guard: the message, not a traceback
        show_timeout(error)
    except db.database_errors() as error:  # one error path for every page: a clear message, never a traceback
        db.show_database_error(error)
    finally:
        record_view(ctx, page)

main()
