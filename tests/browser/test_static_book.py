"""The built book in a real browser: maths rendered, figures loaded, static explorers respond, nothing fetched."""

CHAPTERS = ["activations", "maximum_likelihood", "losses", "initialization", "batch_normalization", "ewma",
            "optimizers"]


def _chapters(html_dir):
    return [c for c in CHAPTERS if (html_dir / "lessons" / f"{c}.html").exists()]


def test_every_chapter_renders_offline(built_book, page):
    chapters = _chapters(built_book)
    assert "activations" in chapters
    for chapter in chapters:
        path = built_book / "lessons" / f"{chapter}.html"
        page.goto(path.as_uri())
        page.wait_for_selector("mjx-container", timeout=20000)
        assert page.locator("mjx-container").count() > 10, chapter
        errors = page.locator("mjx-merror").all_inner_texts()  # MathJax's "Math input error" boxes
        assert errors == [], (chapter, errors)
        broken = page.evaluate("() => Array.from(document.images).filter(i => i.complete && i.naturalWidth === 0)"
                               ".map(i => i.src.slice(0, 80))")
        assert broken == [], (chapter, broken)
        assert page.locator("img").count() > 3, chapter
        # every figure has alt text that describes it (not the file path MyST-NB falls back to)
        alts = page.evaluate("() => Array.from(document.images)"
                             ".filter(i => !i.classList.contains('widget-image')).map(i => i.alt)")
        assert all(len(a) >= 40 and ".png" not in a and "_images" not in a for a in alts), (chapter, alts)
        print(f"{chapter}: {path.stat().st_size / 1e6:.2f} MB of HTML")
    assert page.external_requests == []


def test_static_explorer_slider_changes_the_image(built_book, page):
    page.goto((built_book / "lessons" / "activations.html").as_uri())
    static = page.locator(".nnk-static-explorer").first
    static.wait_for(timeout=20000)
    static.scroll_into_view_if_needed()
    visible = "() => { const s = document.querySelector('.nnk-static-explorer .nnk-static-frames');" \
              " const imgs = Array.from(s.querySelectorAll('img')).filter(i => i.offsetParent !== null);" \
              " return imgs.map(i => i.src.length + ':' + i.src.slice(-40)); }"
    readout = static.locator(".widget-readout")
    before_img, before_text = page.evaluate(visible), readout.inner_text()
    assert len(before_img) == 1
    handle = static.locator(".noUi-handle")
    handle.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)
    after_img, after_text = page.evaluate(visible), readout.inner_text()
    assert after_text != before_text
    assert len(after_img) == 1 and after_img != before_img
    assert page.external_requests == []


def test_explorer_controls_and_figures_are_named(built_book, page):
    """Slider handles are named by their label and announce the value shown; figures have alt text."""
    for chapter in _chapters(built_book):
        page.goto((built_book / "lessons" / f"{chapter}.html").as_uri())
        page.locator(".nnk-static-explorer").first.wait_for(timeout=20000)
        page.wait_for_timeout(500)
        handles = page.evaluate(
            "() => Array.from(document.querySelectorAll('.widget-slider')).map(s => {"
            " const h = s.querySelector('[role=slider]'); const r = s.querySelector('.widget-readout');"
            " return [h.getAttribute('aria-label'), s.querySelector('.widget-label').textContent.trim(),"
            " h.getAttribute('aria-valuetext'), r ? r.textContent.trim() : null]; })")
        assert handles, chapter
        for name, label, valuetext, readout in handles:
            assert name and name != "null" and name == label, (chapter, name, label)
            if readout:
                assert valuetext == readout, (chapter, label, valuetext, readout)
        alts = page.evaluate("() => Array.from(document.querySelectorAll('img.widget-image'))"
                             ".filter(i => i.offsetParent !== null).map(i => i.alt)")
        assert alts and all(len(a) > 40 and "Settings:" in a for a in alts), (chapter, alts)
