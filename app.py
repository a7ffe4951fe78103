"""Provider Collaborative Dashboard: the router.

A thin entry point (as Streamlit's app template): page config, settings, database,
viewer, scope and period (kept in the URL), then st.navigation runs the chosen page.
"""

from pathlib import Path

import streamlit as st

import settings as app_settings
from ui import context, db, sidebar

HERE = Path(__file__).parent

# (section, file, title, icon): a page is listed only when its file exists.
PAGES = [
    ("Overview", "pages/overview.py", "Overview", ":material/dashboard:"),
    ("Beds", "pages/beds.py", "Bed occupancy", ":material/bed:"),
    ("Access", "pages/referrals.py", "Referrals to admission", ":material/timeline:"),
    ("Money", "pages/finance.py", "Budget and spend", ":material/payments:"),
    ("Pathways", "pages/women.py", "Women's pathway", ":material/diversity_3:"),
    ("Quality", "pages/quality.py", "Quality (Clinical Reference Group)", ":material/monitoring:"),
    ("Governance", "pages/packs.py", "Meeting packs", ":material/groups:"),
    ("Governance", "pages/audit.py", "Audit trail", ":material/policy:"),
]


def secrets_dict() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 - no secrets.toml is a normal local set-up
        return {}


def navigation() -> st.navigation:
    sections: dict[str, list] = {}
    for section, path, title, icon in PAGES:
        if (HERE / path).exists():
            sections.setdefault(section, []).append(
                st.Page(path, title=title, icon=icon, default=path == "pages/overview.py"))
    return st.navigation(sections)


def local_viewer(values: dict) -> context.Viewer:
    role = values["local_role"]
    return context.Viewer("local user", role, context.ROLE_DISCLOSURE[role], local=True)


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
