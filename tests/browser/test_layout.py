"""Pages that fit: nothing overflows a phone's width, and keyboard focus is always visible."""

from conftest import book_pages

PHONE = {"width": 390, "height": 844}


def test_nothing_overflows_a_phone(built_book, browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    wide = {}
    try:
        for rel in book_pages(built_book):
            page.goto((built_book / rel).as_uri())
            page.wait_for_timeout(1200 if rel.startswith("lessons/") else 100)
            width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            if width[0] > width[1]:
                wide[rel] = width
            if rel.startswith("lessons/"):
                # every explorer control and its value lie inside the screen
                right = page.evaluate("() => Array.from(document.querySelectorAll('.nnk-player .nnk-control'))"
                                      ".map(s => s.getBoundingClientRect().right)")
                assert right and max(right) <= PHONE["width"], (rel, right)
    finally:
        context.close()
    assert wide == {}


def test_keyboard_focus_has_a_visible_outline(built_book, page):
    page.goto((built_book / "lessons" / "activations.html").as_uri())
    page.locator(".nnk-player.nnk-ready").first.wait_for(timeout=20000)
    outline = ("() => { const s = getComputedStyle(document.activeElement);"
               " return [document.activeElement.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; }")
    page.keyboard.press("Tab")  # the first link of the page, reached by keyboard
    tag, style, width = page.evaluate(outline)
    assert tag in ("A", "BUTTON") and style != "none" and width >= 2, (tag, style, width)
    page.locator(".nnk-player input[type=range]").first.focus()
    tag, style, width = page.evaluate(outline)
    assert style != "none" and width >= 2, (tag, style, width)
