"""Live front ends in a real browser: Voila and JupyterLab servers on 127.0.0.1, headless Chromium, and
what the browser tests and the front-end benchmarks measure in them (key press -> changed pixels, the
first plot, rendered text heights).

The explorer's figure is either an ``<img>`` (the inline path: a PNG per change) or ipympl's
``<canvas>``; every helper here handles both.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: flags that keep Chromium off the network (../shared/notes/browser-testing.md)
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
    "--no-default-browser-check", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]

#: the explorer's figure in either display path
FIGURE = ".nnk-explorer-figure"

#: a string that changes whenever the figure's pixels do, read in the page: the image's source once it has
#: loaded (a new PNG is a new blob), or a hash of the canvas's pixels
SIGNATURE = """() => { const f = document.querySelector('.nnk-explorer-figure');
    if (!f) return null;
    const img = f.tagName === 'IMG' ? f : f.querySelector('img');
    if (img && !f.querySelector('canvas')) return (img.complete && img.naturalWidth) ? img.src : null;
    const c = f.querySelector('canvas');
    if (!c || c.width === 0) return null;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let h = 0;
    for (let i = 0; i < d.length; i += 16) h = (h * 31 + d[i] + d[i + 1]) | 0;
    return String(h); }"""

#: the figure's pixels as the browser shows them ({w, h, rgba: base64 of the RGBA bytes}), or null before
#: the first plot; read back with :func:`pixels`
PIXELS = """async () => { const f = document.querySelector('.nnk-explorer-figure');
    if (!f) return null;
    let c = f.querySelector('canvas');
    const img = f.tagName === 'IMG' ? f : f.querySelector('img');
    if (img && !c) {
        if (!img.complete || !img.naturalWidth) return null;
        await img.decode();
        c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
        c.getContext('2d').drawImage(img, 0, 0);
    }
    if (!c || c.width === 0) return null;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let s = ''; for (let i = 0; i < d.length; i += 32768) s += String.fromCharCode.apply(null, d.subarray(i, i + 32768));
    return {w: c.width, h: c.height, rgba: btoa(s)}; }"""


def pixels(page):
    """The explorer's figure as the browser shows it: an (h, w, 4) uint8 array, or None before the first plot."""
    import base64

    import numpy as np

    got = page.evaluate(PIXELS)
    if got is None:
        return None
    return np.frombuffer(base64.b64decode(got["rgba"]), np.uint8).reshape(got["h"], got["w"], 4)


#: the figure holds a drawing (several distinct colours; ipympl's canvas starts blank)
PAINTED = """() => { const f = document.querySelector('.nnk-explorer-figure');
    if (!f) return false;
    const img = f.tagName === 'IMG' ? f : f.querySelector('img');
    if (img && !f.querySelector('canvas')) return img.complete && img.naturalWidth > 0;
    const c = f.querySelector('canvas');
    if (!c || c.width === 0) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const seen = new Set();
    for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i] * 65536 + d[i + 1] * 256 + d[i + 2]);
    return seen.size > 3; }"""


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_answering(url: str, proc, name: str, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with status {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{name} did not answer within {timeout:.0f} s")


@contextlib.contextmanager
def _server(cmd, url, name, env=None, cwd=ROOT):
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_answering(url, proc, name)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def running_voila(target, *options, env=None):
    """A Voila server on 127.0.0.1 serving ``target`` (demos/ or one notebook) with extra ``options`` and
    environment ``env``, through the demos' template as `make demo` runs it; yields its address once it
    answers, and stops it (and its kernels) afterwards."""
    port = free_port()
    cmd = [sys.executable, "-m", "voila", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1", "--template=nnk",
           *options, str(target)]
    env = {"JUPYTER_PATH": str(ROOT / "demos" / "jupyter"), **(env or {})}
    with _server(cmd, f"http://127.0.0.1:{port}", "Voila", env) as url:
        yield url


@contextlib.contextmanager
def running_lab(root_dir, env=None):
    """JupyterLab on 127.0.0.1 over ``root_dir`` (no token, as the tests drive it), with environment
    ``env`` for its kernels; yields its address once it answers."""
    port = free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
           "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
           f"--ServerApp.root_dir={root_dir}", "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    with _server(cmd, f"http://127.0.0.1:{port}/api", "JupyterLab", env) as url:
        yield url.removesuffix("/api")


def wait_painted(page, timeout_s: float = 90) -> None:
    page.wait_for_function(PAINTED, timeout=timeout_s * 1e3, polling=50)


def settled(page, predicate, timeout_s: float = 20.0) -> bool:
    """Wait until ``predicate()`` holds and still holds 600 ms later (a value sent back late would show by
    then); False if it does not within ``timeout_s``."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if predicate():
            page.wait_for_timeout(600)
            if predicate():
                return True
        page.wait_for_timeout(100)
    return False


#: the page's own clock for one input at a time: ``arm(before)`` forgets the last input and watches every
#: frame for the figure's signature to leave ``before``; the key press's event time (``keydown``, captured
#: before any widget sees it) or ``mark()`` (a change made by script) starts it, and the first frame whose
#: signature differs ends it.  ``ms()`` is their difference, null until both happened.
PAGE_CLOCK = """() => { if (window.__nnkClock) return;
    const sig = """ + SIGNATURE + """;
    const w = window.__nnkClock = {start: null, end: null, before: null, watching: false};
    document.addEventListener('keydown', (e) => { if (w.watching && w.start === null) w.start = e.timeStamp; }, true);
    const frame = () => {
        if (!w.watching) return;
        if (w.start !== null) { const s = sig(); if (s !== null && s !== w.before) { w.end = performance.now(); w.watching = false; return; } }
        requestAnimationFrame(frame); };
    w.arm = (before) => { w.start = null; w.end = null; w.before = before; if (!w.watching) { w.watching = true; requestAnimationFrame(frame); } };
    w.mark = () => { w.start = performance.now(); };
    w.ms = () => (w.start !== null && w.end !== null) ? w.end - w.start : null; }"""


def _page_ms(page, timeout_s: float = 2.0):
    """The page clock's last input -> changed frame, in ms (see :data:`PAGE_CLOCK`), or None."""
    try:
        page.wait_for_function("() => window.__nnkClock.ms() !== null", timeout=timeout_s * 1e3, polling="raf")
    except Exception:  # noqa: BLE001 - Playwright's timeout
        return None
    return page.evaluate("() => window.__nnkClock.ms()")


def key_to_pixels(page, control: str = ".widget-slider", presses: int = 25, timeout_s: float = 5.0,
                  in_page: list | None = None) -> list[float]:
    """Milliseconds from an arrow-key press on the first slider matching ``control`` to changed pixels, for
    ``presses`` presses that move it (the direction turns at either end of its range, where the slider's
    readout stays put), by this process's clock: each includes Playwright's round trips to the browser.

    ``in_page``: a list that gets the same presses by the page's clock (:data:`PAGE_CLOCK`): from the key
    event's time to the first frame showing the new figure, without the round trips.
    """
    handle = page.locator(f"{control} .noUi-handle").first
    readout = page.locator(f"{control} .widget-readout").first
    handle.focus()
    if in_page is not None:
        page.evaluate(PAGE_CLOCK)
    key, out, misses = "ArrowRight", [], 0
    while len(out) < presses and misses < 4:
        now = readout.inner_text()
        before = page.evaluate(SIGNATURE)
        if in_page is not None:
            page.evaluate("(b) => window.__nnkClock.arm(b)", before)
        t0 = time.perf_counter()
        page.keyboard.press(key)
        if readout.inner_text() == now:  # at the end of the range
            key = "ArrowLeft" if key == "ArrowRight" else "ArrowRight"
            misses += 1
            continue
        if not _figure_changed(page, before, timeout_s):  # count it as a miss
            misses += 1
            continue
        out.append((time.perf_counter() - t0) * 1e3)
        if in_page is not None:
            in_page.append(_page_ms(page))
        page.wait_for_timeout(30)
    return out


def _figure_changed(page, before, timeout_s: float) -> bool:
    """Whether the explorer's figure signature leaves ``before`` within ``timeout_s`` (checked every frame)."""
    try:
        page.wait_for_function(f"(b) => {{ const s = ({SIGNATURE})(); return s !== null && s !== b; }}",
                               arg=before, timeout=timeout_s * 1e3, polling="raf")
    except Exception:  # noqa: BLE001 - Playwright's timeout: the figure did not change
        return False
    return True


#: choose the option ``step`` places from the current one in the first ``<select>`` under ``control``, as a reader's
#: choice does (the select's change event); returns the new index, or -1 past either end
_CHOOSE = """([control, step]) => { const s = document.querySelector(control + ' select');
    const i = s.selectedIndex + step;
    if (i < 0 || i >= s.options.length) return -1;
    if (window.__nnkClock) window.__nnkClock.mark();
    s.selectedIndex = i; s.dispatchEvent(new Event('change', {bubbles: true})); return i; }"""


def dropdown_to_pixels(page, control: str = ".widget-dropdown", presses: int = 10, pause_s: float = 1.0,
                       timeout_s: float = 5.0, in_page: list | None = None) -> list[float]:
    """Milliseconds from choosing the next option of the first dropdown matching ``control`` (its select's
    change event, as a click or an arrow key makes it; JupyterLab takes arrow keys for its own shortcuts) to
    changed pixels, for ``presses`` choices; the direction turns at either end of the options.  ``pause_s``
    between choices: a reader looks at each (and with NNK_EXPLORER_WARM=1 an idle kernel draws the choices
    one step away meanwhile: widgets/base.py, Explorer.warm).  ``in_page``: as for :func:`key_to_pixels`, from
    just before the script makes the change."""
    if in_page is not None:
        page.evaluate(PAGE_CLOCK)
    step, out, misses = 1, [], 0
    while len(out) < presses and misses < 4:
        page.wait_for_timeout(pause_s * 1e3)
        before = page.evaluate(SIGNATURE)
        if in_page is not None:
            page.evaluate("(b) => window.__nnkClock.arm(b)", before)
        t0 = time.perf_counter()
        if page.evaluate(_CHOOSE, [control, step]) < 0:  # at the end of the options
            step = -step
            misses += 1
            continue
        if not _figure_changed(page, before, timeout_s):  # count it as a miss
            misses += 1
            continue
        misses = 0
        out.append((time.perf_counter() - t0) * 1e3)
        if in_page is not None:
            in_page.append(_page_ms(page))
    return out


def open_in_lab(page, url: str, notebook: str, timeout_s: float = 120) -> float:
    """Open ``notebook`` (a path under the server's root) in JupyterLab, run all its cells, and wait for the
    explorer's first plot; returns the seconds from Run All to the plot."""
    page.goto(f"{url}/lab/tree/{notebook}?reset")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget && "
                           "window.jupyterapp.shell.currentWidget.sessionContext && "
                           "window.jupyterapp.shell.currentWidget.sessionContext.session && "
                           "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel && "
                           "window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                           timeout=timeout_s * 1e3, polling=200)
    t0 = time.perf_counter()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    wait_painted(page, timeout_s)
    return time.perf_counter() - t0


def preheated_first_plot(browser, demo: str = "activations", warm_s: float = 20) -> float:
    """Seconds from opening ``demo`` served as `make demo` serves it (Voila keeping a kernel that has already
    run the notebook: its preheat option) to the first plot.  The pool's kernel gets ``warm_s`` to run the
    demo once, as it would while an instructor sets up.  (A plain page: routing every request through
    Playwright costs seconds here; Chromium's host rules already keep it off the network.)"""
    with running_voila(ROOT / "demos" / f"{demo}.ipynb", "--preheat_kernel=True") as url:
        time.sleep(warm_s)
        page = browser.new_page()
        try:
            t0 = time.perf_counter()
            page.goto(url)
            wait_painted(page, 60)
            return time.perf_counter() - t0
        finally:
            page.close()
