"""The built book in a real browser: maths rendered, figures loaded and described, explorers named, nothing fetched."""

CHAPTERS = ["activations", "maximum_likelihood", "losses", "initialization", "batch_normalization", "ewma",
            "optimizers", "playground"]


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
                             ".filter(i => !i.closest('.nnk-frame')).map(i => i.alt)")
        assert all(len(a) >= 40 and ".png" not in a and "_images" not in a for a in alts), (chapter, alts)
        print(f"{chapter}: {path.stat().st_size / 1e6:.2f} MB of HTML")
    assert page.external_requests == []


def test_explorer_controls_and_figures_are_named(built_book, page):
    """Each control is named by its label, a slider announces the value shown, and each frame is described."""
    for chapter in _chapters(built_book):
        page.goto((built_book / "lessons" / f"{chapter}.html").as_uri())
        page.locator(".nnk-player.nnk-ready").first.wait_for(timeout=20000)
        controls = page.evaluate(
            "() => Array.from(document.querySelectorAll('.nnk-player .nnk-controls input, .nnk-player select'))"
            ".map(e => [e.type, e.labels.length ? e.labels[0].textContent.trim() : null,"
            " e.getAttribute('aria-valuetext'), e.disabled,"
            " e.type === 'range' ? e.parentElement.querySelector('output').textContent : null])")
        assert controls, chapter
        for kind, label, valuetext, disabled, shown in controls:
            assert label, (chapter, kind)
            if kind == "range":
                assert valuetext == ("does not apply" if disabled else shown), (chapter, label, valuetext, shown)
        frames = page.evaluate("() => Array.from(document.querySelectorAll('.nnk-frame'))"
                               ".map(f => [f.getAttribute('role'), f.getAttribute('aria-label')])")
        assert frames and all(role == "img" and len(alt) > 40 and "Settings:" in alt for role, alt in frames), \
            (chapter, frames)
