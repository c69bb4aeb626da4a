"""The explorers on the published page: every control responds, frames are the live figure, links restore.

Also measures, per chapter page, the bytes a reader downloads when the page opens (gzip, as a static
host serves it) and the time from a key press to the new frame in place, and writes both to
benchmarks/results.json (section "explorers-page") with their goals.  Timing is recorded, never asserted.
"""
import base64
import gzip
import importlib
import random
import re
import statistics

import numpy as np
import pytest

from conftest import ROOT

CHAPTERS = ["activations", "losses", "maximum_likelihood", "initialization", "batch_normalization", "ewma",
            "optimizers", "playground"]

STATE = "(name) => window.nnkPlayers[name].state()"
SHOWN = """(name) => {
  const root = window.nnkPlayers[name].root;
  const frame = root.querySelector('.nnk-frame');
  return {images: Array.from(frame.querySelectorAll('img')).filter(i => !i.hidden).map(i => i.getAttribute('src')),
          readout: root.querySelector('.nnk-readout').innerHTML, alt: frame.getAttribute('aria-label')};
}"""
READY = """(name) => { window.nnkPlayers[name].root.scrollIntoView();
  return Promise.race([new Promise(r => setTimeout(() => r(false), 10000)),
    Promise.all(Array.from(window.nnkPlayers[name].root.querySelectorAll('.nnk-frame img'))
      .filter(i => !i.hidden).map(i => i.decode().catch(() => null))).then(() => true)]); }"""
PIXELS = """(name) => {
  const imgs = Array.from(window.nnkPlayers[name].root.querySelectorAll('.nnk-frame img')).filter(i => !i.hidden);
  const c = document.createElement('canvas');
  c.width = imgs[0].naturalWidth; c.height = imgs[0].naturalHeight;
  const g = c.getContext('2d');
  imgs.forEach(i => g.drawImage(i, 0, 0));
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let s = ''; for (let k = 0; k < d.length; k += 0x8000) s += String.fromCharCode.apply(null, d.subarray(k, k + 0x8000));
  return [c.width, c.height, btoa(s)];
}"""


def _chapters(built_book):
    found = [c for c in CHAPTERS if (built_book / "lessons" / f"{c}.html").exists()]
    if not found:
        pytest.skip("no chapter pages built")
    return found


def _open(page, url):
    page.goto(url)
    page.wait_for_selector(".nnk-player.nnk-ready", timeout=30000)
    return page.evaluate("() => Object.keys(window.nnkPlayers)")


def _controls(page, name):
    """(kind, selector) of every control of the player that applies now."""
    return page.evaluate("""(name) => {
      const root = window.nnkPlayers[name].root, out = [];
      root.querySelectorAll('.nnk-controls input, .nnk-controls select').forEach((el, k) => {
        el.dataset.nnkTest = name + '-' + k;
        if (!el.disabled) out.push([el.tagName === 'SELECT' ? 'select' : el.type, '[data-nnk-test="' + name + '-' + k + '"]']);
      });
      return out;
    }""", name)


def _press(page, kind, selector):
    el = page.locator(selector)
    el.focus()
    if kind == "range":
        at_end = page.evaluate("(s) => { const e = document.querySelector(s); return e.value === e.max; }", selector)
        page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
    elif kind == "select":
        at_end = page.evaluate("(s) => { const e = document.querySelector(s); return e.selectedIndex === e.options.length - 1; }",
                               selector)
        page.keyboard.press("ArrowUp" if at_end else "ArrowDown")
    else:
        page.keyboard.press("Space")


def test_every_control_changes_figure_readout_and_caption(built_book, book_server, page):
    """Each control of each explorer, driven by keyboard, changes the frame, the readout and the alt text."""
    dead = []
    for chapter in _chapters(built_book):
        names = _open(page, f"{book_server}/lessons/{chapter}.html")
        assert names, chapter
        for name in names:
            controls = _controls(page, name)
            assert controls, (chapter, name)
            for kind, selector in controls:
                assert page.evaluate(READY, name), (chapter, name, "frame did not load")
                before, state = page.evaluate(SHOWN, name), page.evaluate(STATE, name)
                _press(page, kind, selector)
                page.evaluate(READY, name)
                after, moved = page.evaluate(SHOWN, name), page.evaluate(STATE, name)
                changed = [k for k in ("images", "readout", "alt") if before[k] != after[k]]
                if moved == state or len(changed) < 3:
                    dead.append((chapter, name, kind, state, moved, changed))
                assert f"#{name}:{moved}" in page.url  # the address follows the controls
    assert page.external_requests == []
    assert dead == []


def _live(source, state):
    module = importlib.import_module(source["module"])
    explorer = getattr(module, source["class"])(*source["args"], mode="image", **source["kwargs"])
    explorer.restore(state)
    return explorer


def test_frames_are_the_live_explorer_pixel_for_pixel(built_book, book_server, page):
    """For a sample of states, the page's frame equals the explorer drawn in Python for the same state."""
    rng = random.Random(0)
    checked = 0
    for chapter in _chapters(built_book):
        for name in _open(page, f"{book_server}/lessons/{chapter}.html"):
            data = page.evaluate("(name) => ({source: window.nnkPlayers[name].data.source,"
                                 " layer: window.nnkPlayers[name].data.layer,"
                                 " controls: window.nnkPlayers[name].data.controls.map(c => c.name),"
                                 " states: window.nnkPlayers[name].data.states.map(s => s.v),"
                                 " options: (window.nnkPlayers[name].data.controls.find(c => c.kind === 'multiple')"
                                 " || {options: []}).options.map(o => o[0])})", name)
            grid = [c for c in data["controls"] if c != data["layer"]]
            samples = rng.sample(data["states"], min(3, len(data["states"])))
            for values in samples:
                state = ";".join(f"{n}={v}" for n, v in zip(grid, values) if v is not None)
                layers = [rng.choice(data["options"])] if data["layer"] else []
                if data["layer"]:
                    state += f";{data['layer']}={layers[0]}"
                page.evaluate("([name, s]) => window.nnkPlayers[name].restore(s)", [name, state])
                assert page.evaluate(READY, name), (chapter, name, state, "frame did not load")
                w, h, pixels = page.evaluate(PIXELS, name)
                shown = np.frombuffer(base64.b64decode(pixels), np.uint8).reshape(h, w, 4)
                live = _live(data["source"], state)
                assert page.evaluate(STATE, name) == live.state(), (chapter, name)
                assert shown.shape == live.snapshot().shape, (chapter, name, state)
                assert np.array_equal(shown, live.snapshot()), (chapter, name, state)
                alt = page.evaluate(SHOWN, name)["alt"]
                assert alt == live.describe(), (chapter, name, state)
                checked += 1
    assert checked >= 8


def test_a_shared_link_opens_the_state(built_book, book_server, page):
    _open(page, f"{book_server}/lessons/activations.html#activations:activation=swish;beta=2.00")
    assert page.evaluate(STATE, "activations") == "activation=swish;beta=2.00;z_mean=0.0;z_spread=1.0"
    shown = page.evaluate(SHOWN, "activations")
    assert "Swish (beta = 2.00)" in shown["readout"] and "activation Swish" in shown["alt"]
    assert page.evaluate("() => document.querySelector('#explorer-activations .nnk-control-alpha input').disabled")
    # the permalink under the controls is the same address
    href = page.evaluate("() => document.querySelector('#explorer-activations .nnk-permalink').getAttribute('href')")
    assert href == "#activations:activation=swish;beta=2.00;z_mean=0.0;z_spread=1.0"
    # a link to another state, followed on the page, moves the explorer there
    page.evaluate("() => { location.hash = 'activations:activation=elu;alpha=0.50'; }")
    page.wait_for_function("() => window.nnkPlayers.activations.state() === 'activation=elu;alpha=0.50;z_mean=0.0;z_spread=1.0'")
    # and the same string sets the live explorer
    live = _live(page.evaluate("() => window.nnkPlayers.activations.data.source"), "activation=elu;alpha=0.50")
    assert live.state() == "activation=elu;alpha=0.50;z_mean=0.0;z_spread=1.0"


def _weight(page, url):
    """Bytes the page loads when it opens, each compressed as a static host would (gzip for text)."""
    sizes = {}

    def on_response(response):
        try:
            body = response.body()
        except Exception:  # a redirect or an aborted request has none
            return
        kind = response.headers.get("content-type", "")
        text = any(t in kind for t in ("text", "javascript", "json", "svg", "css"))
        sizes[response.url] = len(gzip.compress(body, 6)) if text else len(body)

    page.on("response", on_response)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    page.remove_listener("response", on_response)
    return sum(sizes.values())


def test_other_pages_weight_is_recorded(built_book, book_server, browser):
    """Every page that is not a chapter: MB on opening, gzip (goal 0.6 MB), recorded."""
    from benchmarks.common import Results

    from conftest import book_pages

    results = Results()
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    heaviest = 0.0
    for rel in book_pages(built_book):
        if rel.startswith("lessons/"):
            continue
        mb = _weight(page, f"{book_server}/{rel}") / 1e6
        heaviest = max(heaviest, mb)
        results.add(rel.removesuffix(".html"), "page weight on opening (gzip)", mb, "MB", goal=0.6,
                    direction="max", section="page-weight")
    context.close()
    assert heaviest > 0.05  # the pages were measured
    results.write(str(ROOT / "benchmarks" / "results.json"))


def test_page_weight_and_latency_are_recorded(built_book, book_server, browser):
    """Per chapter page: MB on opening, and key press to frame over a sweep of every slider (recorded)."""
    from benchmarks.common import Results

    results = Results()
    for chapter in _chapters(built_book):
        context = browser.new_context(viewport={"width": 1300, "height": 1000})
        page = context.new_page()
        url = f"{book_server}/lessons/{chapter}.html"
        mb = _weight(page, url) / 1e6
        results.add(chapter, "page weight on opening (gzip)", mb, "MB", goal=3.0, direction="max",
                    section="explorers-page")
        # every drawing the page can show, fetched only as a reader reaches it
        html = (built_book / "lessons" / f"{chapter}.html").read_text()
        frames = set(re.findall(r"_images/nnk/[0-9a-f]+\.webp", html))
        stored = sum((built_book / f).stat().st_size for f in frames) / 1e6
        results.add(chapter, f"all {len(frames)} explorer drawings, fetched as reached", stored, "MB",
                    section="explorers-page")
        names = _open(page, url)
        page.evaluate("() => { window.nnkTimings.length = 0; }")
        for name in names:
            page.locator(f"[data-nnk-player={name}]").scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            for kind, selector in _controls(page, name):
                page.locator(selector).focus()
                for step in range(16 if kind == "range" else 2):
                    if kind == "range":
                        page.keyboard.press("ArrowLeft" if step >= 8 else "ArrowRight")
                    else:
                        _press(page, kind, selector)
                    page.wait_for_timeout(120)  # a reader's pace: the neighbours are fetched meanwhile
        timings = page.evaluate("() => window.nnkTimings")
        context.close()
        assert timings, chapter
        ms = sorted(t["ms"] for t in timings)
        p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
        in_next = sum(t["next_frame"] for t in timings) / len(timings)
        results.add(chapter, f"key press to frame, p95 of {len(ms)} moves", p95, "ms", goal=16, direction="max",
                    section="explorers-page")
        results.add(chapter, "moves shown at the next display frame", 100 * in_next, "%", goal=95,
                    direction="min", section="explorers-page")
        print(f"{chapter}: {mb:.2f} MB, median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, "
              f"{100 * in_next:.0f}% at the next frame")
    results.write(str(ROOT / "benchmarks" / "results.json"))
