"""The pages of the app, by section. A page is listed only when its file exists (no placeholders)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (section, file, title, icon)
PAGES = [
    ("Overview", "pages/views/overview.py", "Overview", ":material/dashboard:"),
    ("Beds", "pages/views/beds.py", "Bed occupancy", ":material/bed:"),
    ("Access", "pages/views/referrals.py", "Referrals to admission", ":material/timeline:"),
    ("Money", "pages/views/finance.py", "Budget and spend", ":material/payments:"),
    ("Pathways", "pages/views/women.py", "Women's pathway", ":material/diversity_3:"),
    ("Quality", "pages/views/quality.py", "Quality (Clinical Reference Group)", ":material/monitoring:"),
    ("Governance", "pages/views/packs.py", "Meeting packs", ":material/groups:"),
    ("Governance", "pages/views/audit.py", "Audit trail", ":material/policy:"),
]
DEFAULT_PAGE = "pages/views/overview.py"


def available_pages() -> list[tuple[str, str, str, str]]:
    return [p for p in PAGES if (ROOT / p[1]).exists()]


def url_path(path: str) -> str:
    """The URL path Streamlit gives a page file (the default page is served at /)."""
    return "" if path == DEFAULT_PAGE else Path(path).stem
