"""One audit path and honest menus: every download goes through ui.exports.download and writes an 'export'
audit row; each of the six roles' menus lists exactly the pages its role can use (worked out by hand from the
RIGHTS table of data_access/access.py: finance for national, commissioner, lead provider and provider; the audit
trail for national and lead provider)."""

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st

from data_access.access import ROLES, Viewer
from data_access.schema import audit_log
from tests.apptest import run_app
from tests.browser import build_duckdb_file
from tests.fixture_db import build_fixture
from ui.navigation import PAGES, menu

ROOT = Path(__file__).resolve().parent.parent
HOMES = {"national": "national", "commissioner": "region:Y60", "lead_provider": "collaborative:IMPACT",
         "provider": "provider:NQ1", "crg": "collaborative:NORTH", "viewer": "unit:U3"}
ALL_TITLES = {title for _, _, title, _ in PAGES}
SUBMIT = "Submit bed state"  # only a provider's users report their wards' bed state
MENUS = {
    "national": ALL_TITLES - {SUBMIT},
    "commissioner": ALL_TITLES - {"Audit trail", SUBMIT},
    "lead_provider": ALL_TITLES - {SUBMIT},
    "provider": ALL_TITLES - {"Audit trail"},
    "crg": ALL_TITLES - {"Audit trail", "Budget and spend", SUBMIT},
    "viewer": ALL_TITLES - {"Audit trail", "Budget and spend", SUBMIT},
}
# Every download of every page for a lead provider at IMPACT in March 2024 (the role with every export).
EXPORTS = {
    "app_pages/overview.py": ["Overview export"],
    "app_pages/beds.py": ["Bed state export"],
    "app_pages/referrals.py": ["Referrals to admission: stage table and waiting list"],
    "app_pages/finance.py": ["Budget and spend export", "Finance return template"],
    "app_pages/women.py": ["Women's pathway export"],
    "app_pages/quality.py": ["Quality summary export", "Restrictive practice export"],
    "app_pages/packs.py": ["Meeting pack export"],
    "app_pages/audit.py": ["Audit trail export"],
}
P1 = {"from": "2024-03-01", "to": "2024-03-10"}


def _calls_download_button(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr == "download_button":
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and any(a.name == "download_button" for a in node.names):
            lines.append(node.lineno)
    return lines


def test_no_page_or_ui_module_calls_download_button_but_the_helper():
    files = [*ROOT.glob("app_pages/*.py"), *ROOT.glob("ui/*.py")]
    assert len(files) > 10
    offenders = {str(p.relative_to(ROOT)): lines for p in files
                 if p != ROOT / "ui" / "exports.py" and (lines := _calls_download_button(p))}
    assert offenders == {}
    assert _calls_download_button(ROOT / "ui" / "exports.py")


def _workbooks_built_on_render(path: Path) -> list[int]:
    """Lines where download(...) is handed workbook_bytes(...) already built, rather than a function that builds it
    when the button is clicked (building a workbook costs a page's render tens of milliseconds)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "download" and len(node.args) > 1:
            data = node.args[1]
            if isinstance(data, ast.Call) and getattr(data.func, "id", None) == "workbook_bytes":
                lines.append(node.lineno)
    return lines


def test_workbooks_are_built_only_when_the_download_is_clicked():
    offenders = {p.name: lines for p in ROOT.glob("app_pages/*.py") if (lines := _workbooks_built_on_render(p))}
    assert offenders == {}


@pytest.mark.parametrize("role", ROLES)
def test_menu_lists_only_the_pages_the_role_can_use(role):
    viewer = Viewer(f"{role}@example.nhs.uk", role, (HOMES[role],))
    rows = menu(viewer)
    assert {title for _, _, title, _, shown in rows if shown} == MENUS[role]
    hidden = {title for _, _, title, _, shown in rows if not shown}
    # a hidden page stays reachable by link only to show its own refusal; the audit trail not even that
    assert hidden == ALL_TITLES - MENUS[role] - {"Audit trail"}


def test_trusted_caller_menu_has_every_page():
    assert {title for _, _, title, _, shown in menu(None) if shown} == ALL_TITLES


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    return build_duckdb_file(tmp_path_factory.mktemp("exports") / "fixture.duckdb", build_fixture)


def _exports(url) -> list[tuple[str, str]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(audit_log.c.target, audit_log.c.detail)
                                .where(audit_log.c.action == "export").order_by(audit_log.c.at)).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("page", list(EXPORTS))
def test_every_download_writes_an_export_audit_row(monkeypatch, app_url, page):
    buttons = []
    original = st.download_button

    def recording(label, data, **kwargs):
        buttons.append(kwargs)
        return original(label, data, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    at = run_app(monkeypatch, app_url, scope="collaborative:IMPACT", **P1)
    buttons.clear()  # the Overview's, drawn before the page is switched to
    at.switch_page(page).run()
    assert not at.exception
    seen = [b["args"][1] for b in buttons]
    assert sorted(set(seen)) == sorted(EXPORTS[page])
    before = len(_exports(app_url))
    for button in {b["args"][1]: b for b in buttons}.values():  # a click runs the button's on_click
        button["on_click"](*button["args"])
    new = _exports(app_url)[before:]
    assert [target for target, _ in new] == [f"{what} @ collaborative:IMPACT" for what in dict.fromkeys(seen)]
    assert all('"file": ' in detail and '"rule": "none"' in detail for _, detail in new)
