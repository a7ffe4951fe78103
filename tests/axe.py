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


def framework_findings(browser, database_url: str, settle_ms: int = 1500) -> set[tuple[str, str]]:
    """What axe finds on the minimal Streamlit app (tests/a11y_baseline, its two pages): Streamlit's own
    findings, not the dashboard's; `beyond` leaves these out."""
    from tests.browser import streamlit_server, wait_for_app  # the browser helpers build on this module

    require_axe()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    found = set()
    with streamlit_server(database_url, script="tests/a11y_baseline/app.py") as base:
        for path in ("", "second"):
            page.goto(f"{base}/{path}")
            wait_for_app(page)
            page.wait_for_timeout(settle_ms)
            found |= findings(violations(page))
    page.close()
    return found


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


_FOCUSED = """() => { const e = document.activeElement;
  if (!e || e === document.body) return null;
  const r = e.getBoundingClientRect();
  return {name: (e.getAttribute('aria-label') || e.innerText || '').trim().split('\\n').pop().slice(0, 80),
          tag: e.tagName, testid: e.closest('[data-testid]')?.getAttribute('data-testid') || '',
          x: r.x, y: r.y, w: r.width, h: r.height}; }"""


def tab_through(page, presses: int = 120) -> tuple[list[dict], bool]:
    """Press Tab until focus comes back to the first stop (or `presses` run out). Returns the focus stops in order,
    each with `visible` (does the area around the element look different focused and unfocused: a focus ring),
    and whether focus came back to the start (no keyboard trap)."""
    stops: list[dict] = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        page.wait_for_timeout(250)  # toolbars fade in on focus
        stop = page.evaluate(_FOCUSED)
        if stop is None:
            continue
        key = (stop["name"], stop["testid"], round(stop["x"]), round(stop["y"]))
        if stops and key == stops[0]["key"]:
            return stops, True
        if any(s["key"] == key for s in stops):
            continue
        stop["key"] = key
        stop["visible"] = _focus_shows(page, stop)
        stops.append(stop)
    return stops, False


def _focus_shows(page, stop: dict) -> bool | None:
    """Screenshot the element's area (with room for a ring) focused, then blurred, then focus it again."""
    if stop["w"] == 0 or stop["h"] == 0:
        return None  # off-screen helper elements (a data grid's accessible table cells)
    margin = 6
    clip = {"x": max(stop["x"] - margin, 0), "y": max(stop["y"] - margin, 0),
            "width": stop["w"] + 2 * margin, "height": stop["h"] + 2 * margin}
    try:
        focused = page.screenshot(clip=clip)
        handle = page.evaluate_handle("document.activeElement")
        page.evaluate("e => e.blur()", handle)
        page.wait_for_timeout(250)
        blurred = page.screenshot(clip=clip)
        page.evaluate("e => e.focus()", handle)
    except Exception:  # noqa: BLE001 - an element scrolled out of the viewport: not judged here
        return None
    return focused != blurred
