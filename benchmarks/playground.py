"""The Playground (widgets/playground.py), trained live one epoch per animation frame.

* In the kernel (Agg, the inline image path): one tick is one epoch of training, a redraw and a PNG.
  TF Playground's default network on six features (``FEATURES`` below; hidden 4, 2, tanh, batch 10,
  SGD 0.03), 200 ticks after 10 warm-up ticks: the median and p95 of the explorer's own ``timings_ms``
  (redraw + encode) and of the whole ``tick()``, and the split: ``train_epoch`` alone, the forward pass
  over the heatmaps' grid, and drawing + encoding.  Goal: a median tick of at most 20 ms (the frame
  budget of a smooth animation, with room for the message to the browser).
* Training steps per second on batches of 10 for that network: ``nnkernel.playground.Network.step``
  beside the same network in PyTorch (``torch.nn.Sequential`` of Linear/Tanh in float64, ``torch.optim.SGD``,
  the same initial weights and batches; skipped when PyTorch is not installed).  Tiny matrices: both are
  bound by per-call overhead, not arithmetic.
* Voila in headless Chromium: the demo (demos/playground.ipynb) as `make demo NAME=playground` serves it;
  press play and count the frames the page shows (distinct image sources, loaded) in the 5 s after the
  first trained one.  Goal: at least 15 updates per second (the kernel paces the animation: at most one
  frame per ``Playground.frame_interval``).  Then press pause and check that the epoch stops.

Benchmarks print and record (benchmarks/results.json, section "playground"); they do not fail on a timing.
"""
from __future__ import annotations

import statistics
import time

import numpy as np

from . import live

SECTION = "playground"
#: TF Playground's default network with six of its seven features
FEATURES = "x1,x2,x1_sq,x2_sq,x1x2,sin_x1"
STATE = f"features={FEATURES}"
TICK_GOAL_MS = 20
UPDATES_GOAL = 15


def _p95(values) -> float:
    return float(np.percentile(values, 95))


class _Timed:
    """Wrap ``obj.name`` (an instance attribute shadowing the method) to record each call's milliseconds."""

    def __init__(self, obj, name):
        self.obj, self.name, self.ms = obj, name, []
        method = getattr(obj, name)

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.ms.append((time.perf_counter() - t0) * 1e3)

        setattr(obj, name, timed)

    def remove(self):
        delattr(self.obj, self.name)


def ticks(results, warmup: int = 10, count: int = 200):
    """Tick time in the kernel (Agg), and its split."""
    from widgets.playground import Playground

    p = Playground(state=STATE, mode="image")
    for _ in range(warmup):
        p.tick()
    full_draws = []
    cid = p.fig.canvas.mpl_connect("draw_event", lambda _: full_draws.append(p.net.epoch))
    train, grid, render = _Timed(p.net, "train_epoch"), _Timed(p.net, "grid"), _Timed(p, "render")
    start = len(p.timings_ms)
    wall = []
    for _ in range(count):
        t0 = time.perf_counter()
        p.tick()
        wall.append((time.perf_counter() - t0) * 1e3)
    for t in (train, grid, render):
        t.remove()
    p.fig.canvas.mpl_disconnect(cid)
    update = p.timings_ms[start:]
    assert len(update) == len(train.ms) == len(grid.ms) == len(render.ms) == count
    draw = [u - g for u, g in zip(update, grid.ms)]  # update() less the grid's forward pass
    name = f"playground tick ({len(p.net.config.features)} features, hidden 4,2)"
    results.add(name, f"tick() wall (train + draw + PNG), median of {count}", statistics.median(wall), "ms",
                goal=TICK_GOAL_MS, direction="max", section=SECTION)
    results.add(name, "tick() wall, p95", _p95(wall), "ms", section=SECTION)
    results.add(name, "tick() wall, max (a tick with a full redraw)", max(wall), "ms", section=SECTION)
    results.add(name, "timings_ms (update: redraw + PNG), median", statistics.median(update), "ms", section=SECTION)
    results.add(name, "timings_ms (update: redraw + PNG), p95", _p95(update), "ms", section=SECTION)
    results.add(name, "split: train_epoch, median", statistics.median(train.ms), "ms", section=SECTION,
                steps_per_epoch=int(np.ceil(len(p.net.T_train) / p.net.config.batch)))
    results.add(name, f"split: grid forward ({p.grid}x{p.grid}), median", statistics.median(grid.ms), "ms",
                section=SECTION)
    results.add(name, "split: draw + encode (update less grid), median", statistics.median(draw), "ms",
                section=SECTION)
    results.add(name, "split: render (blit + PNG + alt text), median", statistics.median(render.ms), "ms",
                section=SECTION)
    results.add(name, f"full redraws in {count} ticks (epoch axis doubling)", len(full_draws), "count",
                section=SECTION, at_epochs=full_draws)
    from widgets.base import encode_png

    rgba = np.asarray(p.fig.canvas.buffer_rgba())
    png = []
    for _ in range(50):
        t0 = time.perf_counter()
        encode_png(rgba)
        png.append((time.perf_counter() - t0) * 1e3)
    h, w, _ = rgba.shape
    results.add(name, f"split: PNG encode alone ({w}x{h}), median", statistics.median(png), "ms", section=SECTION,
                kilobytes=round(len(p.view.value) / 1e3, 1))
    print(f"  PNG {len(p.view.value) / 1e3:.0f} kB per frame; epoch {p.net.epoch} at the end")


def _rate(step, batches, steps: int, repeat: int = 5) -> float:
    """Steps per second: the best of ``repeat`` runs of ``steps`` steps over ``batches`` in turn."""
    n = len(batches)
    for i in range(min(steps, 2 * n)):  # warm-up
        step(*batches[i % n])
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for i in range(steps):
            step(*batches[i % n])
        best = min(best, time.perf_counter() - t0)
    return steps / best


def steps_per_second(results, steps: int = 5000):
    """Mini-batch SGD steps per second on the Playground's network: nnkernel beside PyTorch."""
    from nnkernel.playground import Config, Network

    config = Config.from_state(STATE)
    net = Network(config)
    b = config.batch
    batches = [(net.F_train[i:i + b], net.T_train[i:i + b]) for i in range(0, len(net.T_train), b)]
    initial = [np.array(p, copy=True) for p in net.model.params]
    net._grad_sums = [0.0] * len(net.dense)  # train_epoch sets it; step() adds each batch's gradient size
    name = f"playground steps (batch {b}, {len(config.features)}-4-2-1 tanh)"
    ours = _rate(net.step, batches, steps)
    results.add(name, "nnkernel Network.step, steps per second", ours, "steps/s", section=SECTION)
    try:
        import torch
    except ImportError:
        print("playground: PyTorch is not installed; the PyTorch row is skipped")
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # matrices of a few dozen numbers: more threads only add overhead
    try:
        sizes = [len(config.features), *config.hidden, 1]
        layers = []
        for i in range(len(sizes) - 1):
            layers += [torch.nn.Linear(sizes[i], sizes[i + 1], dtype=torch.float64), torch.nn.Tanh()]
        model = torch.nn.Sequential(*layers)
        optimizer = torch.optim.SGD(model.parameters(), lr=config.lr)
        tb = [(torch.from_numpy(np.ascontiguousarray(F)), torch.from_numpy(np.ascontiguousarray(T)))
              for F, T in batches]

        def load(params):  # nnkernel's (W (in, out), b) per Dense layer -> torch's (weight (out, in), bias)
            linear = [m for m in model if isinstance(m, torch.nn.Linear)]
            with torch.no_grad():
                for m, (W, bias) in zip(linear, zip(params[0::2], params[1::2])):
                    m.weight.copy_(torch.from_numpy(np.asarray(W).T.copy()))
                    m.bias.copy_(torch.from_numpy(np.asarray(bias).copy()))

        def torch_step(F, T):
            optimizer.zero_grad(set_to_none=True)
            loss = 0.5 * torch.nn.functional.mse_loss(model(F), T)
            loss.backward()
            optimizer.step()

        # the same network: from the same weights, the same batches give the same weights (float64)
        for p, p0 in zip(net.model.params, initial):
            p[...] = p0
        load(initial)
        n_check = 10 * len(batches)
        for i in range(n_check):
            net.step(*batches[i % len(batches)])
            torch_step(*tb[i % len(tb)])
        linear = [m for m in model if isinstance(m, torch.nn.Linear)]
        diff = max(float(np.max(np.abs(np.asarray(W) - m.weight.detach().numpy().T)))
                   for W, m in zip(net.weights, linear))
        theirs = _rate(torch_step, tb, steps)
    finally:
        torch.set_num_threads(threads)
    results.add(name, "PyTorch (float64, SGD, 1 thread), steps per second", theirs, "steps/s", section=SECTION,
                torch=torch.__version__)
    results.add(name, "nnkernel / PyTorch, steps per second", ours / theirs, "ratio", section=SECTION)
    results.add(name, f"max |W nnkernel - W PyTorch| after {n_check} same steps", diff, "abs", section=SECTION)


#: in the page: every frame the figure shows (a new image source, loaded), with the epoch the readout then
#: says, checked on every animation frame
_WATCH = """() => {
    const readout = () => { for (const e of document.querySelectorAll('.nnk-explorer .widget-html-content')) {
        const m = /^epoch (\\d+)/.exec(e.textContent.trim()); if (m) return +m[1]; } return null; };
    const w = window.__nnkFrames = {frames: [], last: null, stop: false, readout};
    const loop = () => {
        const img = document.querySelector('.nnk-explorer-figure');
        if (img && img.complete && img.naturalWidth && img.src !== w.last) {
            w.last = img.src; w.frames.push([performance.now(), readout()]);
        }
        if (!w.stop) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
}"""


def _epoch(page):
    return page.evaluate("() => window.__nnkFrames.readout()")


def voila(results, seconds: float = 5.0):
    """Displayed updates per second while playing, in Voila in Chromium; then pause stops the epoch."""
    if not live.chromium_path():
        print("playground: Chromium is not installed (make browser-setup); the Voila measurement is skipped")
        return
    try:
        import voila  # noqa: F401
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        print(f"playground: {exc.name} is not installed; the Voila measurement is skipped")
        return
    name = "playground in voila"
    with live.running_voila(live.ROOT / "demos" / "playground.ipynb") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=live.chromium_path(), args=live.CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            errors = []
            page.on("console", lambda m: errors.append(m.text[:200]) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)[:200]))
            t0 = time.perf_counter()
            page.goto(url)
            live.wait_painted(page)
            first = time.perf_counter() - t0
            page.evaluate(_WATCH)
            play = page.locator(".nnk-explorer .widget-play button").first
            epoch0 = _epoch(page)
            shown0 = len(page.evaluate("() => window.__nnkFrames.frames"))
            t_press = page.evaluate("() => performance.now()")
            play.click()
            # the first frame of a trained epoch (the page may show a frame of epoch 0 again as it settles)
            trained = f"f => f[1] !== null && f[1] > {epoch0}"
            page.wait_for_function(f"() => window.__nnkFrames.frames.slice({shown0}).some({trained})",
                                   timeout=20000, polling=20)
            page.wait_for_timeout(seconds * 1e3 + 300)
            frames = [f for f in page.evaluate("() => window.__nnkFrames.frames")[shown0:]
                      if f[1] is not None and f[1] > epoch0]
            t_first = frames[0][0]
            window = [f for f in frames if f[0] - t_first < seconds * 1e3]
            updates = len(window) / seconds
            # epochs the readout went through in the same window (up to the first frame after it)
            later = [f for f in frames if f[0] - t_first >= seconds * 1e3]
            end = later[0] if later else window[-1]
            epoch_rate = (end[1] - window[0][1]) / ((end[0] - t_first) / 1e3) if end[0] > t_first else 0.0
            gaps = np.diff([f[0] for f in window])
            # pause (the same button: ipywidgets 8's play/pause toggle), then the epoch must stop
            t_pause = time.perf_counter()
            play.click()
            at_pause = _epoch(page)
            stopped = live.settled(page, lambda: _same_for(page, 1.0), 20)
            stop_s = time.perf_counter() - t_pause
            after = _epoch(page)
            page.wait_for_timeout(2000)
            still = _epoch(page) == after
            page.evaluate("() => { window.__nnkFrames.stop = true; }")
        finally:
            browser.close()
    from widgets.playground import Playground

    pace = getattr(Playground, "frame_interval", None)
    results.add(name, f"displayed updates per second while playing ({seconds:g} s)", updates, "1/s",
                goal=UPDATES_GOAL, direction="min", section=SECTION, frames=len(window),
                kernel_frame_interval_s=pace)
    results.add(name, "frame interval in the page, median", float(np.median(gaps)) if len(gaps) else np.nan, "ms",
                section=SECTION)
    results.add(name, "frame interval in the page, p95", _p95(gaps) if len(gaps) else np.nan, "ms",
                section=SECTION)
    results.add(name, "frame interval in the page, longest", float(np.max(gaps)) if len(gaps) else np.nan, "ms",
                section=SECTION)
    results.add(name, "epochs per second (readout) while playing", epoch_rate, "1/s", section=SECTION)
    results.add(name, "play pressed -> first new frame", t_first - t_press, "ms", section=SECTION)
    results.add(name, "page opened -> first plot, fresh kernel", first, "s", section=SECTION)
    results.add(name, "epochs trained after pause was pressed", after - at_pause, "epochs", section=SECTION,
                stop_seconds=round(stop_s, 2))
    results.add(name, "epoch stopped after pause (1 yes, 0 no)", float(stopped and still), "bool", goal=1,
                direction="min", section=SECTION)
    print(f"  epoch {epoch0} -> {after} in all; console errors: {errors or 'none'}")


def _same_for(page, seconds: float) -> bool:
    """The readout's epoch does not change for ``seconds``."""
    before = _epoch(page)
    page.wait_for_timeout(seconds * 1e3)
    return _epoch(page) == before


def run(results):
    ticks(results)
    steps_per_second(results)
    voila(results)

