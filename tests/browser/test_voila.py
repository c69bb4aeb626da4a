"""An explorer served by Voila: move a slider with the keyboard, the figure follows, and matches the parameter."""
import json
import statistics
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

CANVAS_PIXELS = """() => { const c = document.querySelector('.nnk-explorer-figure canvas');
    if (!c || c.width === 0) return null;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    return {w: c.width, h: c.height, data: Array.from(d.data)}; }"""
CANVAS_HASH = """() => { const c = document.querySelector('.nnk-explorer-figure canvas');
    if (!c || c.width === 0) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let h = 0;
    for (let i = 0; i < d.length; i += 16) h = (h * 31 + d[i] + d[i + 1]) | 0; return h; }"""


def _wait_painted(page, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        h = page.evaluate(CANVAS_HASH)
        if h not in (0, None):
            pixels = page.evaluate(CANVAS_PIXELS)
            if pixels and len(set(pixels["data"][::97])) > 3:  # not blank
                return pixels
        time.sleep(0.2)
    pytest.fail("the explorer's figure was not painted")


def test_slider_moves_the_figure_and_it_matches_the_parameter(voila_server, page):
    page.goto(f"{voila_server}/voila/render/activations.ipynb")
    page.wait_for_selector(".nnk-control-alpha .noUi-handle", timeout=90000)
    _wait_painted(page)
    handle = page.locator(".nnk-control-alpha .noUi-handle")
    handle.focus()
    latencies = []
    for _ in range(25):
        before = page.evaluate(CANVAS_HASH)
        t0 = time.perf_counter()
        page.keyboard.press("ArrowRight")
        while page.evaluate(CANVAS_HASH) == before and time.perf_counter() - t0 < 5:
            pass
        latencies.append((time.perf_counter() - t0) * 1e3)
    page.wait_for_timeout(500)
    alpha = float(page.locator(".nnk-control-alpha .widget-readout").inner_text())
    assert alpha == pytest.approx(0.26)  # 0.01 + 25 steps of 0.01

    # the browser's pixels equal the same explorer drawn here at that alpha
    from widgets.activations import ActivationExplorer

    shown = page.evaluate(CANVAS_PIXELS)
    ex = ActivationExplorer(activation="leaky_relu", mode="image")
    ex.controls["alpha"].value = alpha
    expected = ex.snapshot()
    got = np.array(shown["data"], dtype=np.uint8).reshape(shown["h"], shown["w"], 4)
    assert got.shape == expected.shape
    diff = np.abs(got[..., :3].astype(int) - expected[..., :3].astype(int))
    assert diff.mean() < 2.0
    ex.controls["alpha"].value = 0.01
    assert np.abs(got[..., :3].astype(int) - ex.snapshot()[..., :3].astype(int)).mean() > diff.mean() + 0.5

    med = statistics.median(latencies)
    report = {"median_ms": med, "p95_ms": float(np.percentile(latencies, 95)), "presses": len(latencies)}
    out = ROOT / "_build" / "voila-latency.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report))
    print(f"Voila key press -> changed pixels: median {med:.0f} ms, p95 {report['p95_ms']:.0f} ms")
