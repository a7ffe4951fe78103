"""The pages of the app, by section. A page is listed only when its file exists (no placeholders)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (section, file, title, icon)
PAGES = [
    ("Overview", "app_pages/overview.py", "Overview", ":material/dashboard:"),
    ("Beds", "app_pages/beds.py", "Bed occupancy", ":material/bed:"),
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


def available_pages() -> list[tuple[str, str, str, str]]:
    return [p for p in PAGES if (ROOT / p[1]).exists()]


def url_path(path: str) -> str:
    """The URL path Streamlit gives a page file (the default page is served at /)."""
    return "" if path == DEFAULT_PAGE else Path(path).stem
