"""axe-core in the browser tests: inject it into any page Playwright has open and collect WCAG violations.

axe-core comes from the npm registry, pinned in tests/package.json and tests/package-lock.json
(`npm ci --prefix tests`, done by .ci/run). Usable on any URL (a dashboard page, meeting mode, the minimal
app in tests/a11y_baseline/):

    page.goto(url); wait_for_app(page)
    found = violations(page)                      # [{"id", "impact", "help", "nodes": [...]}, ...]
    extra = beyond(found, framework_findings)     # what the minimal Streamlit app does not also show
"""

import os
from pathlib import Path

import pytest

AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe's own tags).
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa")
BLOCKING = ("critical", "serious")

_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 300),
                              summary: n.failureSummary}))}));
}"""


def require_axe() -> None:
    if AXE_JS.exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {AXE_JS} is missing: run `npm ci --prefix tests` (see .ci/run)")
    pytest.skip("axe-core not installed (npm ci --prefix tests): accessibility browser tests skipped")


def violations(page, tags=WCAG_TAGS) -> list[dict]:
    """axe-core's violations on the page as it is now (inject first if needed)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(_RUN, list(tags))


def findings(found: list[dict], impacts=BLOCKING) -> set[tuple[str, str]]:
    """(rule id, element) pairs of the given impacts, the element named by its Streamlit test id."""
    return {(v["id"], element_key(n["html"])) for v in found if v["impact"] in impacts for n in v["nodes"]}


def element_key(html: str) -> str:
    """A name for a failing element that is the same in any app: its data-testid, else its opening tag."""
    if 'data-testid="' in html:
        return html.split('data-testid="', 1)[1].split('"', 1)[0]
    return html.split(">", 1)[0].split(" ", 1)[0] + ">"


def beyond(found: list[dict], framework: set[tuple[str, str]], impacts=BLOCKING) -> list[str]:
    """Readable lines for the violations of these impacts that the framework's own app does not also show."""
    lines = []
    for v in found:
        if v["impact"] not in impacts:
            continue
        for node in v["nodes"]:
            if (v["id"], element_key(node["html"])) not in framework:
                lines.append(f"{v['impact']} {v['id']} ({v['help']}): {node['target']} :: {node['html'][:160]}")
    return lines
