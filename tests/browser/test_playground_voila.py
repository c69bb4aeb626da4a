"""The Playground demo (demos/playground.ipynb) served by Voila, driven in headless Chromium.

Functional checks only (how fast it animates is benchmarks/playground.py's): it opens without a console
error at epoch 0 with its figure and its description; play trains (the readout's epoch advances and the
figure changes), pause stops it, step trains exactly one epoch, reset goes back to epoch 0 and the first
figure; choosing the spiral data set redraws the figure and rewrites its description; "show state" writes
the state string.
"""
import numpy as np

from benchmarks.live import SIGNATURE, pixels, settled, wait_painted

URL = "/voila/render/playground.ipynb"
ALT = ".nnk-alt .widget-html-content"
PLAY = ".nnk-explorer .widget-play button"

#: the epoch the readout says ("epoch N · train loss ..."), or null before it shows
_EPOCH = """() => { for (const e of document.querySelectorAll('.nnk-explorer .widget-html-content')) {
    const m = /^epoch (\\d+)/.exec(e.textContent.trim()); if (m) return +m[1]; } return null; }"""


def _epoch(page):
    return page.evaluate(_EPOCH)


def _alt(page):
    return page.locator(ALT).first.text_content()


def _signature(page):
    return page.evaluate(SIGNATURE)


def _open(voila_server, page):
    """Open the demo and wait for its first figure; returns the list that collects console errors."""
    errors = []
    page.on("console", lambda m: errors.append(f"console: {m.text[:200]}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {str(e)[:200]}"))
    page.goto(f"{voila_server}{URL}")
    page.wait_for_selector(PLAY, timeout=90000)
    wait_painted(page)
    assert settled(page, lambda: _epoch(page) == 0), _epoch(page)
    return errors


def _unchanged_for(page, seconds):
    before = _epoch(page)
    page.wait_for_timeout(seconds * 1e3)
    return _epoch(page) == before


def _changed(a, b) -> float:
    """The fraction of pixels that differ (by more than 8 levels in a channel) between two RGBA pictures."""
    if a is None or b is None or a.shape != b.shape:
        return 1.0
    return float((np.abs(a[..., :3].astype(int) - b[..., :3].astype(int)).max(axis=-1) > 8).mean())


def _same_picture(a, b) -> bool:
    """The same figure (the circle and the spiral data sets' first figures differ in 1.4 % of their pixels)."""
    return _changed(a, b) < 0.001


def test_the_demo_opens_at_epoch_0_with_its_figure_and_description(voila_server, page):
    from widgets.playground import Playground

    errors = _open(voila_server, page)
    fresh = Playground(mode="image")
    assert page.evaluate("() => document.querySelector('.nnk-explorer-figure').naturalWidth") == \
        fresh.fig.canvas.get_width_height()[0]
    # the description beside the figure is the kernel's describe(), and the figure is the one drawn here
    want = fresh.describe()
    assert settled(page, lambda: _alt(page) == want), (_alt(page), want)
    assert _same_picture(pixels(page), fresh.snapshot())
    assert errors == []


def test_play_pause_step_and_reset(voila_server, page):
    errors = _open(voila_server, page)
    first = pixels(page)
    play = page.locator(PLAY).first

    # play: the epoch advances and the figure changes, frame after frame
    sig = _signature(page)
    play.click()
    page.wait_for_function(f"() => ({_EPOCH})() >= 3", timeout=30000, polling=50)
    seen = {_signature(page)}
    for _ in range(20):
        page.wait_for_timeout(100)
        seen.add(_signature(page))
    assert len(seen - {sig, None}) >= 2, "the figure did not change while playing"
    assert page.locator(f"{PLAY} i.fa-pause").count() == 1  # the play button became pause

    # pause: the epoch stops (ticks already on their way may land first) and stays stopped
    play.click()
    assert settled(page, lambda: _unchanged_for(page, 1.0), 20), "the epoch did not stop after pause"
    stopped = _epoch(page)
    assert stopped >= 3
    page.wait_for_timeout(1500)
    assert _epoch(page) == stopped
    assert page.locator(f"{PLAY} i.fa-play").count() == 1

    # step: exactly one epoch more, and a new figure
    sig = _signature(page)
    page.get_by_role("button", name="step").click()
    assert settled(page, lambda: _epoch(page) == stopped + 1), (_epoch(page), stopped)
    page.wait_for_timeout(1000)
    assert _epoch(page) == stopped + 1
    assert _signature(page) != sig

    # reset: epoch 0 and the first figure again
    page.get_by_role("button", name="reset").click()
    assert settled(page, lambda: _epoch(page) == 0), _epoch(page)
    assert settled(page, lambda: _same_picture(pixels(page), first)), "reset did not bring back the first figure"
    assert errors == []


def test_spiral_data_redraws_the_figure_and_rewrites_the_description_and_state(voila_server, page):
    from widgets.playground import Playground

    errors = _open(voila_server, page)
    first, alt0 = pixels(page), _alt(page)
    assert "circle data" in alt0
    page.select_option(".nnk-control-dataset select", "spiral")
    want = Playground(state="dataset=spiral", mode="image")
    assert settled(page, lambda: _alt(page) == want.describe()), (_alt(page), want.describe())
    assert "spiral data" in _alt(page)
    assert settled(page, lambda: _same_picture(pixels(page), want.snapshot()))
    assert _changed(pixels(page), first) > 0.005
    assert _epoch(page) == 0

    state = page.locator(".nnk-group-state input[type=text]")
    assert state.input_value() == ""
    page.get_by_role("button", name="show state").click()
    assert settled(page, lambda: state.input_value() == "dataset=spiral"), state.input_value()
    assert errors == []

