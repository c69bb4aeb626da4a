"""The live front ends, measured in headless Chromium: key press -> changed pixels, first plot and Run All.

* Voila, every demo (demos/): the inline image path at the page's size and in presentation mode, and
  ipympl's canvas; the time from opening the page to the first plot, with a fresh kernel and with the
  pre-heated one `make demo` keeps.
* JupyterLab, every demo: the inline image path against ipympl's canvas, and Run All -> first plot.

* Per front end (Voila, JupyterLab) and display path (image, ipympl), on the demos with a dropdown
  (:data:`LIVE_DEMOS`): the first update after the kernel starts (the first slider key once the
  figure is up), the slider median and the dropdown median, key press -> changed pixels
  (:func:`run_live`, section ``frontends-live``); it records the path with the lower slider median per
  front end in widgets/display_path.json, which ``mode="auto"`` follows (widgets/base.py).

Needs Chromium (``make browser-setup``); skipped with a line when it is missing.
``python -m benchmarks.frontends [--demos a,b]`` runs the per-path section alone.
"""
from __future__ import annotations

import contextlib
import json
import os
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


@contextlib.contextmanager
def _lab_over_demos(mode):
    """JupyterLab on 127.0.0.1 over a copy of demos/ (Lab saves what it runs), explorers in display ``mode``."""
    with tempfile.TemporaryDirectory() as root:
        for nb in (live.ROOT / "demos").glob("*.ipynb"):
            shutil.copy(nb, Path(root) / nb.name)
        with live.running_lab(root, env={"NNK_EXPLORER_MODE": mode}) as url:
            yield url


def _lab(browser, results, mode, section):
    medians = {}
    with _lab_over_demos(mode) as url:
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
    run_live(results)
    for front, a, b in (("voila", image, canvas), ("lab", lab_image, lab_canvas)):
        ratio = statistics.median(b[n] / a[n] for n in DEMOS)
        results.add(front, "ipympl / image, key press -> pixels, median over the demos", ratio, "ratio",
                    section=section)


#: the demos whose explorers have a dropdown (and sliders)
LIVE_DEMOS = ["activations", "initialization", "optimizers", "momentum_rate"]
LIVE_SLIDER_PRESSES = 21  # the first (the first update) and 20 more
LIVE_DROPDOWN_PRESSES = 10
#: goals from issue 18: key -> pixels medians, and the first update
SLIDER_GOAL_MS, DROPDOWN_GOAL_MS, FIRST_GOAL_MS = 50, 100, 100


def _measure_page(page):
    """{clock: (first update, slider presses after it, dropdown presses)} in ms, on a page whose figure is up,
    by this process's clock ("wall", Playwright's round trips included) and the page's ("page": input event
    to the first frame that shows the change, benchmarks/live.py PAGE_CLOCK); a press the page's clock missed
    is left out of its lists."""
    page.wait_for_timeout(1500)  # a reader finds the slider: the page's own start-up work settles
    slider_page, dropdown_page = [], []
    slider = live.key_to_pixels(page, ".widget-slider", presses=LIVE_SLIDER_PRESSES, in_page=slider_page)
    dropdown = live.dropdown_to_pixels(page, presses=LIVE_DROPDOWN_PRESSES, in_page=dropdown_page)
    first_page = slider_page[0] if slider_page else None
    return {"wall": (slider[0], slider[1:], dropdown),
            "page": (first_page, [v for v in slider_page[1:] if v is not None],
                     [v for v in dropdown_page if v is not None])}


def _live_voila(browser, mode, demos):
    out = {}
    with live.running_voila(live.ROOT / "demos", env={"NNK_EXPLORER_MODE": mode, "NNK_PRESENTATION": "0"}) as url:
        for name in demos:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.goto(f"{url}/voila/render/{name}.ipynb")
            live.wait_painted(page)
            out[name] = _measure_page(page)
            page.close()
    return out


def _live_lab(browser, mode, demos):
    out = {}
    with _lab_over_demos(mode) as url:
        for name in demos:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            live.open_in_lab(page, url, f"{name}.ipynb")
            out[name] = _measure_page(page)
            page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:shutdown')")
            page.close()
    return out


def run_live(results, section="frontends-live", demos=None, record=True):
    """Slider median, dropdown median and first update per front end and display path; records the faster
    path per front end in widgets/display_path.json (``record``)."""
    demos = demos or LIVE_DEMOS
    if not live.chromium_path():
        print("frontends: Chromium is not installed (make browser-setup); skipped")
        return None
    from playwright.sync_api import sync_playwright

    load = os.getloadavg()[0]
    medians = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=live.chromium_path(), args=live.CHROMIUM_ARGS)
        for front, measure in (("voila", _live_voila), ("lab", _live_lab)):
            for mode in ("image", "ipympl"):
                got = measure(browser, mode, demos)
                bench = f"{front} {mode}"
                for clock, tag in (("wall", ""), ("page", ", page clock")):
                    every = {"slider": [], "dropdown": [], "first": []}
                    for name, clocks in got.items():
                        first, slider, dropdown = clocks[clock]
                        if slider:
                            results.add(bench, f"{name}: slider key -> pixels{tag}, median of {len(slider)}",
                                        statistics.median(slider), "ms", goal=SLIDER_GOAL_MS, direction="max",
                                        section=section)
                        if dropdown:
                            results.add(bench, f"{name}: dropdown key -> pixels{tag}, median of {len(dropdown)}",
                                        statistics.median(dropdown), "ms", goal=DROPDOWN_GOAL_MS, direction="max",
                                        section=section)
                        if first is not None:
                            results.add(bench, f"{name}: first update after the kernel starts{tag}", first, "ms",
                                        goal=FIRST_GOAL_MS, direction="max", section=section)
                            every["first"].append(first)
                        every["slider"] += slider
                        every["dropdown"] += dropdown
                    found = {k: statistics.median(v) for k, v in every.items() if v}
                    if clock == "wall":
                        medians[(front, mode)] = found
                    for kind, goal in (("slider", SLIDER_GOAL_MS), ("dropdown", DROPDOWN_GOAL_MS),
                                       ("first", FIRST_GOAL_MS)):
                        if kind in found:
                            what = f"first update, median over the demos{tag}" if kind == "first" else \
                                f"{kind} key -> pixels, median over every press of the demos{tag}"
                            results.add(bench, what, found[kind], "ms", goal=goal, direction="max", section=section)
                results.add(bench, "load average (1 min) when the section started", load, "", section=section)
        browser.close()
    if record:
        choice = {}
        for front in ("voila", "lab"):
            image, canvas = medians[(front, "image")]["slider"], medians[(front, "ipympl")]["slider"]
            choice[front] = {"faster": "ipympl" if canvas < image else "image",
                             "slider_median_ms": {"image": round(image, 1), "ipympl": round(canvas, 1)},
                             "demos": list(demos)}
        from widgets import base

        base.DISPLAY_PATH_FILE.write_text(json.dumps(choice, indent=1) + "\n")
    return medians


if __name__ == "__main__":
    import argparse

    from .common import Results

    parser = argparse.ArgumentParser(description="The live front ends per display path (section frontends-live).")
    parser.add_argument("--demos", default=",".join(LIVE_DEMOS))
    parser.add_argument("--out", default=str(live.ROOT / "benchmarks" / "results.json"))
    args = parser.parse_args()
    res = Results()
    found = run_live(res, demos=args.demos.split(","))
    if found is not None:
        for (front, mode), m in found.items():
            print(front, mode, {k: round(v, 1) for k, v in m.items()})
        res.write(args.out)
        print(f"wrote {args.out}")
