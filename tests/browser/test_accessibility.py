"""axe-core on every page of the built book, in light and in dark mode (WCAG 2.1 A and AA rules).

No page may have a critical or serious violation, the theme and the explorers' controls included.
Minor violations are printed.
"""
import json
from collections import Counter

import pytest

from conftest import ROOT, _missing, book_pages

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("critical", "serious")
_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                      example: v.nodes[0].target.join(' ') + ': ' + (v.nodes[0].failureSummary || '').slice(0, 200)}));
}"""


@pytest.fixture(scope="session")
def axe_path():
    if not AXE.exists():
        _missing("axe-core is not installed (npm ci)")
    return AXE


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_no_serious_accessibility_violations(built_book, book_server, browser, axe_path, mode):
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    context.add_init_script(f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');")
    page = context.new_page()
    blocking, minor, audited = {}, Counter(), 0
    try:
        for rel in book_pages(built_book):
            page.goto(f"{book_server}/{rel}", wait_until="networkidle")
            page.wait_for_timeout(800 if rel.startswith("lessons/") else 100)
            assert page.evaluate("() => document.documentElement.dataset.theme") == mode, rel
            page.add_script_tag(path=str(axe_path))
            audited += page.locator(".nnk-player .nnk-control").count()
            for v in page.evaluate(_RUN, RULES):
                if v["impact"] in BLOCKING:
                    blocking.setdefault(rel, []).append(v)
                else:
                    minor[v["id"]] += v["nodes"]
    finally:
        context.close()
    print(f"\n{mode}: {audited} explorer controls audited; minor violations: {dict(minor) or 'none'}")
    assert audited >= 15  # the chapters' explorers (8, with 19 controls) were on the pages audited
    assert blocking == {}, json.dumps(blocking, indent=1)
