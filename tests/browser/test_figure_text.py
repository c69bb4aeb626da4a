"""Figures legible at the page's width, in both colour modes.

Every figure the book shows carries its smallest font size and its resolution (``data-nnk-font-pt``,
``data-nnk-dpi``: written when it was drawn, widgets/dark.py and widgets/page.py).  Text of ``pt``
points in an image of ``dpi`` dots per inch is ``pt * dpi / 72`` pixels high in the image; the page
shows the image at ``rendered width / natural width`` of that.  Every figure's smallest text must come
out at 9 CSS px or more at the desktop width, in light and in dark mode (each mode shows its own
rendering, and only that one is fetched), and on a phone, where a figure keeps the width its text
needs and its box scrolls sideways (the page itself does not: tests/browser/test_layout.py).
"""
import json

import pytest

from conftest import book_pages

MIN_PX = 9.0
DESKTOP = {"width": 1300, "height": 1000}
PHONE = {"width": 390, "height": 844}
_MEASURE = """async () => {
  const figures = [];
  const items = Array.from(document.querySelectorAll('img[data-nnk-font-pt], .nnk-frame[data-nnk-font-pt]'));
  for (const el of items) {
    const img = el.tagName === 'IMG' ? el : el.querySelector('.nnk-background');
    if (!img || img.offsetParent === null) continue;          // the other colour mode's twin
    img.loading = 'eager';
    img.scrollIntoView();
    try { await img.decode(); } catch (e) {}
    const pt = parseFloat(el.dataset.nnkFontPt), dpi = parseFloat(el.dataset.nnkDpi);
    figures.push({src: img.currentSrc.split('/').pop().slice(0, 16), natural: img.naturalWidth,
                  shown: img.getBoundingClientRect().width, px: pt * dpi / 72 * img.getBoundingClientRect().width / img.naturalWidth});
  }
  const hidden = Array.from(document.querySelectorAll('img.only-light, img.only-dark'))
    .filter(i => i.offsetParent === null && i.complete && i.naturalWidth > 0).length;
  return {figures, hidden};
}"""


@pytest.mark.parametrize("mode,screen", [("light", "desktop"), ("dark", "desktop"), ("light", "phone")])
def test_figure_text_is_at_least_9_css_px(built_book, browser, mode, screen):
    viewport = DESKTOP if screen == "desktop" else PHONE
    extra = {} if screen == "desktop" else {"device_scale_factor": 2, "is_mobile": True, "has_touch": True}
    context = browser.new_context(viewport=viewport, **extra)
    context.add_init_script(f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');")
    page = context.new_page()
    small, table, counted = {}, [], 0
    try:
        for rel in book_pages(built_book):
            page.goto((built_book / rel).as_uri())
            page.wait_for_timeout(300)
            result = page.evaluate(_MEASURE)
            figures = result["figures"]
            # lazy twins: the other mode's renderings were not fetched
            assert result["hidden"] == 0, (rel, result["hidden"])
            if not figures:
                continue
            counted += len(figures)
            smallest = min(f["px"] for f in figures)
            table.append((rel, len(figures), smallest))
            # to 0.01 px: Chromium lays boxes out in 1/64 px, so a width computed for exactly 9 px comes
            # out at 8.999 px
            small.update({f"{rel} {f['src']}": round(f["px"], 2) for f in figures if round(f["px"], 2) < MIN_PX})
            if mode == "dark":  # each figure shows its dark rendering
                sources = page.evaluate("() => Array.from(document.querySelectorAll('img[data-nnk-font-pt]'))"
                                        ".filter(i => i.offsetParent !== null).map(i => i.currentSrc)")
                assert all(s.endswith("-dark.webp") for s in sources), (rel, sources[:3])
    finally:
        context.close()
    print(f"\n{mode}: smallest figure text, CSS px, at {viewport['width']} px")
    for rel, n, px in table:
        print(f"  {rel:40s} {n:3d} figures  {px:5.1f} px")
    assert counted >= 55  # every chapter figure (47) and explorer (8) was measured
    assert small == {}, json.dumps(small, indent=1)
