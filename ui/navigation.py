"""The pages of the app, by section. A page is listed only when its file exists (no placeholders), and in a
viewer's menu only when access.allowed(viewer, "view page:<file stem>")."""

import copy
from pathlib import Path

import streamlit as st

from data_access import access

ROOT = Path(__file__).resolve().parent.parent

# (section, file, title, icon)
PAGES = [
    ("Overview", "app_pages/overview.py", "Overview", ":material/dashboard:"),
    ("Beds", "app_pages/beds.py", "Bed occupancy", ":material/bed:"),
    ("Beds", "app_pages/bed_meeting.py", "Bed meeting", ":material/event_seat:"),
    ("Beds", "app_pages/bed_state_submit.py", "Submit bed state", ":material/edit_note:"),
    ("Access", "app_pages/referrals.py", "Referrals to admission", ":material/timeline:"),
    ("Money", "app_pages/finance.py", "Budget and spend", ":material/payments:"),
    ("Pathways", "app_pages/women.py", "Women's pathway", ":material/diversity_3:"),
    ("Quality", "app_pages/quality.py", "Quality (Clinical Reference Group)", ":material/monitoring:"),
    ("Governance", "app_pages/packs.py", "Meeting packs", ":material/groups:"),
    ("Governance", "app_pages/audit.py", "Audit trail", ":material/policy:"),
    ("Governance", "app_pages/data_quality.py", "Data quality", ":material/fact_check:"),
]
DEFAULT_PAGE = "app_pages/overview.py"


AVAILABLE = [p for p in PAGES if (ROOT / p[1]).exists()]  # a deployment's files do not change under it
_PROTOTYPES: dict[tuple, st.Page] = {}


def available_pages() -> list[tuple[str, str, str, str]]:
    return list(AVAILABLE)


def page(path: str, title: str, icon: str, visible: bool) -> st.Page:
    """A new st.Page for this run (st.navigation marks the one it returns as runnable, so runs never share one),
    copied from a prototype built once: building a page resolves its file on disk, a tenth of a busy server's
    script time when done for every page on every run."""
    key = (path, title, icon, visible)
    if key not in _PROTOTYPES:
        _PROTOTYPES[key] = st.Page(path, title=title, icon=icon, default=path == DEFAULT_PAGE,
                                   visibility="visible" if visible else "hidden")
    return copy.copy(_PROTOTYPES[key])


def page_allowed(viewer: access.Viewer | None, path: str) -> bool:
    return access.allowed(viewer, f"view page:{Path(path).stem}")


def menu(viewer: access.Viewer | None) -> list[tuple[str, str, str, str, bool]]:
    """(section, file, title, icon, shown in the menu) of the pages the router registers for this viewer.

    A page the role cannot use is never in the menu. It stays registered (hidden) so that a shared link to it
    gets the page's own clear refusal, except the audit trail, which a role without it cannot reach at all.
    """
    rows = []
    for section, path, title, icon in available_pages():
        shown = page_allowed(viewer, path)
        if shown or access.PAGE_ACTIONS.get(Path(path).stem) != "read audit":
            rows.append((section, path, title, icon, shown))
    return rows


def url_path(path: str) -> str:
    """The URL path Streamlit gives a page file (the default page is served at /)."""
    return "" if path == DEFAULT_PAGE else Path(path).stem
