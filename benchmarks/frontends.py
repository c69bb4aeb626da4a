"""The live front ends, measured in headless Chromium: key press -> changed pixels, first plot and Run All.

* Voila, every demo (demos/): the inline image path at the page's size and in presentation mode, and
  ipympl's canvas; the time from opening the page to the first plot, with a fresh kernel and with the
  pre-heated one `make demo` keeps.
* JupyterLab, every demo: the inline image path against ipympl's canvas, and Run All -> first plot.

An explorer's default display path (``mode="auto"`` in widgets/base.py) is the one these measure faster.
Needs Chromium (``make browser-setup``); skipped with a line when it is missing.
"""
from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import widgets

from . import live

DEMOS = list(widgets.DEMOS)
PRESSES = 25
#: key press -> changed pixels that reads as immediate
KEY_GOAL_MS = 100


def _keys(page) -> list[float]:
    return live.key_to_pixels(page, ".widget-slider", presses=PRESSES)


def _voila(browser, results, mode, presentation, section):
    env = {"NNK_EXPLORER_MODE": mode, "NNK_PRESENTATION": "1" if presentation else "0"}
    size = "presentation" if presentation else "page size"
    medians = {}
    with live.running_voila(live.ROOT / "demos", env=env) as url:
        for name in DEMOS:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            t0 = time.perf_counter()
            page.goto(f"{url}/voila/render/{name}.ipynb")
            live.wait_painted(page)
            first = time.perf_counter() - t0
            ms = _keys(page)
            page.close()
            medians[name] = statistics.median(ms)
            results.add(f"voila {mode}, {size}", f"{name}: key press -> pixels, median of {len(ms)}", medians[name],
                        "ms", goal=KEY_GOAL_MS, direction="max", section=section)
            results.add(f"voila {mode}, {size}", f"{name}: key press -> pixels, p95", float(np.percentile(ms, 95)),
                        "ms", section=section)
            results.add(f"voila {mode}, {size}", f"{name}: page opened -> first plot, fresh kernel", first, "s",
                        section=section)
    return medians


def _lab(browser, results, mode, section):
    medians = {}
    with tempfile.TemporaryDirectory() as root:
        for nb in (live.ROOT / "demos").glob("*.ipynb"):
            shutil.copy(nb, Path(root) / nb.name)
        with live.running_lab(root, env={"NNK_EXPLORER_MODE": mode}) as url:
            for name in DEMOS:
                page = browser.new_page(viewport={"width": 1300, "height": 1000})
                run_all = live.open_in_lab(page, url, f"{name}.ipynb")
                ms = _keys(page)
                page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:shutdown')")
                page.close()
                medians[name] = statistics.median(ms)
                results.add(f"lab {mode}", f"{name}: key press -> pixels, median of {len(ms)}", medians[name], "ms",
                            goal=KEY_GOAL_MS, direction="max", section=section)
                results.add(f"lab {mode}", f"{name}: Run All -> first plot", run_all, "s", section=section)
    return medians


def _preheated(browser, results, section):
    first = live.preheated_first_plot(browser)
    results.add("voila image, page size", "activations: page opened -> first plot, pre-heated kernel", first, "s",
                goal=5.0, direction="max", section=section)


def run(results, section="frontends"):
    if not live.chromium_path():
        print("frontends: Chromium is not installed (make browser-setup); skipped")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=live.chromium_path(), args=live.CHROMIUM_ARGS)
        image = _voila(browser, results, "image", False, section)
        large = _voila(browser, results, "image", True, section)
        canvas = _voila(browser, results, "ipympl", False, section)
        for name in DEMOS:
            results.add("voila image", f"{name}: presentation / page size, key press -> pixels",
                        large[name] / image[name], "ratio", goal=1.2, direction="max", section=section)
        _preheated(browser, results, section)
        lab_image = _lab(browser, results, "image", section)
        lab_canvas = _lab(browser, results, "ipympl", section)
        browser.close()
    for front, a, b in (("voila", image, canvas), ("lab", lab_image, lab_canvas)):
        ratio = statistics.median(b[n] / a[n] for n in DEMOS)
        results.add(front, "ipympl / image, key press -> pixels, median over the demos", ratio, "ratio",
                    section=section)
