"""Write book/vendor/nnk-icons.js: the theme's icons as inline SVG, without Font Awesome's 1.5 MB script.

pydata-sphinx-theme loads Font Awesome's whole JavaScript (fontawesome.js, 1.49 MB, 0.54 MB gzipped) on
every page to turn a couple of dozen <i class="fa-solid fa-..."> elements into inline SVG.  This script
runs that file once in headless Chromium, asks it for the icons the theme's templates and the book use,
and writes their path data and Font Awesome's own stylesheet into a small script that does the same
replacement.  Run it again after upgrading the theme:

    .venv/bin/python book/tools/make_icons.py
"""
import json
import re
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / ".venv" / "lib"
THEME = next(SITE.glob("python3*/site-packages"))
SCRIPT = THEME / "pydata_sphinx_theme/theme/pydata_sphinx_theme/static/scripts/fontawesome.js"
SOURCES = [THEME / "pydata_sphinx_theme/theme", THEME / "sphinx_book_theme", ROOT / "book", ROOT / "_config.yml"]
PREFIX = {"fa-solid": "fas", "fas": "fas", "fa-regular": "far", "far": "far", "fa-brands": "fab", "fab": "fab"}


def wanted():
    """(prefix, name) of every icon class written in the theme's templates and Python, and in the book."""
    found = set()
    pattern = re.compile(r"\b(fa-solid|fa-regular|fa-brands|fas|far|fab)\s+fa-([a-z0-9-]+)")
    for source in SOURCES:
        files = [source] if source.is_file() else [p for p in source.rglob("*")
                                                   if p.suffix in (".html", ".py", ".md", ".yml", ".ipynb")]
        for path in files:
            for style, name in pattern.findall(path.read_text(errors="replace")):
                found.add((PREFIX[style], name))
    return sorted(found)


def main():
    icons = wanted()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content("<html><head></head><body></body></html>")
        page.add_script_tag(path=str(SCRIPT))
        page.wait_for_function("() => window.FontAwesome !== undefined")
        found = page.evaluate("""(icons) => {
          const out = {};
          for (const [prefix, name] of icons) {
            const d = FontAwesome.findIconDefinition({prefix: prefix, iconName: name});
            if (d) out[prefix + ' ' + name] = [d.icon[0], d.icon[1], Array.isArray(d.icon[4]) ? d.icon[4].join(' ') : d.icon[4]];
          }
          return out;
        }""", icons)
        css = page.evaluate("() => FontAwesome.dom.css()")
        browser.close()
    missing = [f"{p} {n}" for p, n in icons if f"{p} {n}" not in found]
    body = (ROOT / "book/tools/icons-template.js").read_text()
    out = body.replace("/*ICONS*/{}", json.dumps(found, separators=(",", ":"), sort_keys=True))
    out = out.replace('/*CSS*/""', json.dumps(css))
    (ROOT / "book/vendor/nnk-icons.js").write_text(out)
    print(f"{len(found)} icons written; not in Font Awesome (names from other versions): {missing}")


if __name__ == "__main__":
    main()
