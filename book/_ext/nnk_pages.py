"""Small fixes to the pages Jupyter Book 1 writes.

- sphinx-thebe registers its configuration script once per read phase, so pages carried it twice and
  the second copy threw "Identifier 'THEBE_JS_URL' has already been declared".  Each page now keeps
  one copy of every script.
- docutils marks each bibliography entry role="doc-biblioentry" inside a role="list": that role is
  deprecated and leaves the list with no items for a screen reader (axe: aria-required-children,
  critical).  Entries become role="listitem".
- MyST-NB's folded code cells name their <summary> "Toggle hidden content", which hides the visible
  "Show code cell source" from the accessible name (axe: label-content-name-mismatch); the summary is
  named by its text instead.
- Explorers (widgets/page.py): while the book is built, NNK_STATIC_PAGE=1 is set, so each explorer's
  cell shows its kernel-free player.  The player's images arrive as data URIs; each distinct image is
  written once to _images/nnk/<hash>.webp and the page refers to the file, so a browser fetches only
  the frames a reader reaches, and caches them.  Pages with a player get its script and stylesheet.
- No page shows a Jupyter widget (the explorers show their players), so MyST-NB's widget state is not
  embedded in any page.
- Figures: every PNG that MyST-NB wrote to _images becomes a lossless WebP (the same pixels, about 2.5
  times smaller), and the pages refer to the WebP, so the chapter pages stay light.
- Dark mode: while a chapter runs, each figure it shows is drawn a second time for the dark page
  (widgets/dark.py) into a folder beside the doctrees, named like the figure.  Each figure on a page
  becomes a pair of images, the light one marked only-light and the dark one only-dark (the theme's
  classes), both loaded lazily, so a reader fetches only the one the page shows.  Both carry the
  figure's smallest font size and resolution (data-nnk-font-pt, data-nnk-dpi), from which the browser
  tests compute the text's rendered height.
- Phones: each figure and explorer frame gets the narrowest width at which its smallest text stays at
  9 CSS px (--nnk-phone-width); on a narrow screen it keeps that width and its box scrolls sideways.
"""
import base64
import hashlib
import io
import json
import math
import os
import re
from pathlib import Path

os.environ["NNK_STATIC_PAGE"] = "1"  # inherited by the kernels MyST-NB starts
SIDECAR_ENV = "NNK_FIGURE_SIDECAR"  # widgets.dark.SIDECAR_ENV


def _key(asset):
    """Same file (None and "" both mean an inline script) and same attributes, body included."""
    if isinstance(asset, str):
        return asset, ()
    attributes = getattr(asset, "attributes", {}) or {}
    return str(asset.filename or ""), tuple(sorted((k, str(v)) for k, v in attributes.items()))


def dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for asset in scripts:
        key = _key(asset)
        if key not in seen:
            seen.add(key)
            unique.append(asset)
    scripts[:] = unique


BODY_FIXES = (
    ('role="doc-biblioentry"', 'role="listitem"'),
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
)


def fix_body(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body:
        for old, new in BODY_FIXES:
            body = body.replace(old, new)
        context["body"] = body


DATA_URI = re.compile(r"data:image/webp;base64,([A-Za-z0-9+/=]+)")
FRAME = re.compile(r'(<div class="nnk-frame"[^>]*? data-nnk-font-pt="([0-9.]+)" data-nnk-dpi="([0-9.]+)")'
                   r'(><img class="nnk-background"[^>]*? src="data:image/webp;base64,([A-Za-z0-9+/=]+)")')

#: the smallest text a figure may show, in CSS px (tests/browser/test_figure_text.py)
MIN_TEXT_PX = 9.0


def phone_width(width: int, font_pt: float, dpi: float) -> int:
    """The narrowest a figure ``width`` px wide may be shown, so that its smallest text (``font_pt`` at
    ``dpi``) stays at MIN_TEXT_PX: on a phone the figure keeps this width and its box scrolls sideways
    (nnk-a11y.css) instead of shrinking the text to a few pixels."""
    return math.ceil(width * MIN_TEXT_PX / (font_pt * dpi / 72))


def player_images(app, pagename, templatename, context, doctree):
    """Each distinct explorer frame written once as a file; the page refers to it by a relative path."""
    body = context.get("body")
    if not body or "nnk-player" not in body:
        return
    folder = Path(app.outdir) / "_images" / "nnk"
    folder.mkdir(parents=True, exist_ok=True)
    up = "../" * pagename.count("/")

    def narrowest(match):
        from PIL import Image

        with Image.open(io.BytesIO(base64.b64decode(match.group(5)))) as image:
            width = phone_width(image.width, float(match.group(2)), float(match.group(3)))
        return f'{match.group(1)} style="--nnk-phone-width: {width}px"{match.group(4)}'

    body = FRAME.sub(narrowest, body)

    def to_file(match):
        data = base64.b64decode(match.group(1))
        name = hashlib.sha1(data).hexdigest()[:20] + ".webp"
        path = folder / name
        if not path.exists():
            path.write_bytes(data)
        return f"{up}_images/nnk/{name}"

    context["body"] = DATA_URI.sub(to_file, body)
    app.add_js_file("nnk-player.js")
    app.add_css_file("nnk-player.css")


def drop_widget_state(app, pagename, templatename, context, doctree):
    """No page shows a Jupyter widget, so none needs the widget state MyST-NB would embed (the appendix
    that builds eight explorers carried 0.3 MB of it).  Runs before MyST-NB adds the page's scripts."""
    body = context.get("body") or ""
    if "application/vnd.jupyter.widget-view+json" in body:
        return
    js_files = getattr(app.env, "nb_metadata", {}).get(pagename, {}).get("js_files", {})
    for key in [k for k in js_files if k.startswith("ipywidgets")]:
        del js_files[key]


def webp_figures(app, exception):
    """After the build: each figure in _images as a lossless WebP where that is smaller, pages pointed at it."""
    if exception is not None or app.builder.format != "html":
        return
    from PIL import Image

    out = Path(app.outdir)
    converted = {}
    for png in sorted((out / "_images").glob("*.png")):
        webp = png.with_suffix(".webp")
        with Image.open(png) as image:
            image.save(webp, format="webp", lossless=True, quality=50, method=4, exact=True)
        if webp.stat().st_size < png.stat().st_size:
            converted[png.name] = webp.name
            png.unlink()
        else:
            webp.unlink()
    if not converted:
        return
    pattern = re.compile(r"_images/([^\"'/?#\s]+\.png)")
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = pattern.sub(lambda m: "_images/" + converted.get(m.group(1), m.group(1)), text)
        if new != text:
            page.write_text(new, encoding="utf-8")


IMG = re.compile(r'<img alt="([^"]*)" src="((?:\.\./)*)_images/([0-9a-f]{64})\.(webp|png)" />')


def dark_figures(app, exception):
    """After the build: each chapter figure with a dark rendering shown as a light/dark pair (see above)."""
    if exception is not None or app.builder.format != "html":
        return
    from PIL import Image

    sidecar = Path(os.environ[SIDECAR_ENV])
    images = Path(app.outdir) / "_images"

    def pair(match):
        alt, up, key, ext = match.groups()
        dark_png, meta_file = sidecar / f"{key}.png", sidecar / f"{key}.json"
        if not dark_png.exists():
            return match.group(0)
        dark = images / f"{key}-dark.webp"
        if not dark.exists():
            with Image.open(dark_png) as image:
                image.save(dark, format="webp", lossless=True, quality=50, method=4, exact=True)
        meta = json.loads(meta_file.read_text())
        data = ""
        if meta["font_pt"]:
            with Image.open(dark_png) as image:
                width = phone_width(image.width, meta["font_pt"], meta["dpi"])
            data = (f'data-nnk-font-pt="{meta["font_pt"]}" data-nnk-dpi="{meta["dpi"]}" '
                    f'style="--nnk-phone-width: {width}px"')
        return (f'<img alt="{alt}" class="only-light" loading="lazy" {data} src="{up}_images/{key}.{ext}" />'
                f'<img alt="{alt}" class="only-dark" loading="lazy" {data} src="{up}_images/{key}-dark.webp" />')

    for page in Path(app.outdir).rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = IMG.sub(pair, text)
        if new != text:
            page.write_text(new, encoding="utf-8")


def setup(app):
    # where the kernels leave each figure's dark rendering (widgets/dark.py); inherited by the kernels
    os.environ[SIDECAR_ENV] = str(Path(app.doctreedir) / "nnk-dark")
    # early: html-page-context stops at the first handler that returns a template name
    app.connect("html-page-context", dedupe_scripts, priority=100)
    app.connect("html-page-context", fix_body, priority=100)
    app.connect("html-page-context", player_images, priority=110)
    app.connect("html-page-context", drop_widget_state, priority=120)
    app.connect("build-finished", webp_figures)
    app.connect("build-finished", dark_figures)  # after webp_figures: pairs the WebP it wrote
    return {"parallel_read_safe": True, "parallel_write_safe": True}
