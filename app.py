"""Provider Collaborative Dashboard: the router.

A thin entry point (as Streamlit's app template): page config, settings, database,
viewer, scope and period (kept in the URL), then st.navigation runs the chosen page.
"""

import streamlit as st

import settings as app_settings
from data_access.access import DEFAULT_DISCLOSURE, Viewer
from ui import context, db, sidebar
from ui.navigation import DEFAULT_PAGE, available_pages


def secrets_dict() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 - no secrets.toml is a normal local set-up
        return {}


def navigation() -> st.navigation:
    sections: dict[str, list] = {}
    for section, path, title, icon in available_pages():
        sections.setdefault(section, []).append(st.Page(path, title=title, icon=icon, default=path == DEFAULT_PAGE))
    return st.navigation(sections)


def local_viewer(values: dict) -> Viewer:
    """The single local user of a demo or desktop install (no sign-in configured)."""
    role = values["local_role"]
    return Viewer("local user", role, (values["local_scope"],), DEFAULT_DISCLOSURE[role], local=True)


def main() -> None:
    st.set_page_config(page_title="Provider Collaborative Dashboard", page_icon=":material/local_hospital:",
                       layout="wide")
    values, problems = app_settings.load(secrets_dict())
    for problem in problems:
        st.warning(problem, icon=":material/settings:")
    page = navigation()
    try:
        url, engine = db.connect()
    except db.DatabaseUnavailable as error:
        st.error(str(error), icon=":material/database:")
        st.stop()
    ctx = context.build(url, engine, values, local_viewer(values))
    sidebar.draw(ctx)
    page.run()


main()
