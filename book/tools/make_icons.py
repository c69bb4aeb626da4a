"""Write book/vendor/nnk-icons.js: the theme's icons as inline SVG, without Font Awesome's 1.5 MB script.

pydata-sphinx-theme loads Font Awesome's whole JavaScript (fontawesome.js, 1.49 MB, 0.54 MB gzipped) on
every page to turn a couple of dozen <i class="fa-solid fa-..."> elements into inline SVG.  This script
runs that file once in headless Chromium, asks it for the icons the theme's templates and the book use,
and writes their path data and Font Awesome's own stylesheet into a small script that does the same
replacement.

The theme's stylesheet still draws a few icons with Font Awesome's font (the admonition and navigation
glyphs in its --pst-icon-* variables); the font files are cut down to those glyphs and the icons above
(fonttools, with brotli for WOFF2: 156 kB becomes a few kB) and placed where the theme's stylesheet
looks for them, book/vendor/vendor/fontawesome/webfonts/.  Run it again after upgrading the theme:

    .venv/bin/python -m pip install brotli   # only for this script
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
            if (d) out[prefix + ' ' + name] = [d.icon[0], d.icon[1], Array.isArray(d.icon[4]) ? d.icon[4].join(' ') : d.icon[4], d.icon[3]];
          }
          return out;
        }""", icons)
        css = page.evaluate("() => FontAwesome.dom.css()")
        browser.close()
    missing = [f"{p} {n}" for p, n in icons if f"{p} {n}" not in found]
    codes = {int(v[3], 16) for v in found.values()}
    found = {k: v[:3] for k, v in found.items()}
    body = (ROOT / "book/tools/icons-template.js").read_text()
    out = body.replace("/*ICONS*/{}", json.dumps(found, separators=(",", ":"), sort_keys=True))
    out = out.replace('/*CSS*/""', json.dumps(css))
    (ROOT / "book/vendor/nnk-icons.js").write_text(out)
    print(f"{len(found)} icons written; not in Font Awesome (names from other versions): {missing}")
    subset_fonts(codes)


def theme_glyphs() -> set:
    """Code points the theme's stylesheets draw with Font Awesome's font (not its per-icon classes)."""
    styles = SCRIPT.parents[1] / "styles"
    pydata = (styles / "pydata-sphinx-theme.css").read_text()
    text = "".join(re.findall(r'--pst-icon-[a-z-]+:"([^"]*)"', pydata))
    others = [THEME / "sphinx_book_theme/theme/sphinx_book_theme/static/styles/sphinx-book-theme.css",
              *THEME.glob("sphinx_exercise/assets/*.css"), *THEME.glob("sphinx_proof/_static/*.css")]
    for path in others:
        css = path.read_text()
        text += "".join(chr(int(h, 16)) for h in re.findall(r'content:\s*"\\([ef][0-9a-f]{3})"', css))
        text += "".join(re.findall(r'content:\s*"([\ue000-\uf8ff])"', css))
    return {ord(c) for c in text if 0xE000 <= ord(c) <= 0xF8FF}


def subset_fonts(codes: set) -> None:
    from fontTools import subset

    codes = codes | theme_glyphs()
    source = SCRIPT.parents[1] / "vendor/fontawesome/webfonts"
    target = ROOT / "book/vendor/vendor/fontawesome/webfonts"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("fa-solid-900", "fa-regular-400", "fa-brands-400"):
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = ["*"]
        font = subset.load_font(str(source / f"{name}.woff2"), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codes)
        subsetter.subset(font)
        subset.save_font(font, str(target / f"{name}.woff2"), options)
        print(f"{name}.woff2: {(source / f'{name}.woff2').stat().st_size} -> "
              f"{(target / f'{name}.woff2').stat().st_size} bytes ({len(codes)} code points asked for)")


if __name__ == "__main__":
    main()
