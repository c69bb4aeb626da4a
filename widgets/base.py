"""The explorer pattern shared by every chapter's interactive widget.

An :class:`Explorer` owns one figure, its artists and its controls.  When a
control changes, only the data are recomputed (through nnkernel) and the
existing artists are updated in place; then the figure is redrawn:

* with ipympl in a live kernel (``mode="ipympl"``), the figure's canvas is
  itself a widget and only the changed image is sent to the browser;
* otherwise (``mode="image"``, the inline fallback), the figure is rendered to
  a PNG shown in an ``ipywidgets.Image``, whose bytes are replaced.

``mode="auto"`` picks the path measured faster, by this rule (:func:`choose_mode`):

1. ``NNK_EXPLORER_MODE`` in the kernel's environment (``"image"`` or ``"ipympl"``), if set: the
   explicit override, as is ``mode="image"`` / ``mode="ipympl"`` in the code;
2. else the path recorded for this front end (Voila or a notebook) in ``widgets/display_path.json``:
   ``python -m benchmarks --sections frontends`` measures key press -> changed pixels in Chromium
   for both paths on the machine it runs on and records the faster one (the one with the lower
   median over the demos' sliders);
3. else (no record, or ipympl not installed) the image path, which also leaves every other figure
   of a chapter as it is (``%matplotlib widget`` would give each a toolbar).

A dropdown changes the static part of the figure (axes, titles, reference curves): it is laid
out and drawn again, which costs many slider steps.  An explorer that names the controls
its static part depends on (``static_controls``) keeps the drawing of each static part it has
drawn (its layout and background bitmap) and reuses it when the reader comes back to it; with
NNK_EXPLORER_WARM=1 a live kernel also draws, while the reader is idle, the static parts one choice
away from the current state (:meth:`Explorer.warm`), so a dropdown change is a cache hit.  The drawing is the
same either way (tests/test_display_path.py compares the pixels).

The first update a reader makes costs what the next ones do: building an explorer runs every code
path an update takes (it draws the first state through ``update()``), in a live kernel it ends with a
full garbage collection (else Python's next one would fall on the reader's first key), warming
(when on) starts only after the reader's first change, and an update imports nothing and never takes
nnkernel's Numba path (tests/test_display_path.py checks both).

``presentation=True`` sizes an explorer for a projector: the figure spans the
window's width and its smallest text, like the controls' and the readout's,
is at least 32 CSS px on a 1920-px screen (:data:`PRESENTATION_TEXT_PX`).

Explorers are testable without a browser: set ``explorer.controls[name].value``
and read back the artists' data.
"""
from __future__ import annotations

import base64
import contextlib
import gc
import html
import json
import os
import re
import struct
import threading
import time
import warnings
import zlib
from collections import OrderedDict
from pathlib import Path

import ipywidgets as W
import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from . import page
from .style import explorer_rc

MODES = ("auto", "ipympl", "image")

#: the display path measured faster per front end on this machine (written by benchmarks/frontends.py)
DISPLAY_PATH_FILE = Path(__file__).with_name("display_path.json")


def front_end() -> str:
    """``"voila"`` in a kernel Voila started (it puts VOILA_* variables in the kernel's environment), else
    ``"lab"`` (JupyterLab, Notebook, or no front end at all)."""
    return "voila" if any(k in os.environ for k in ("VOILA_KERNEL_ID", "VOILA_BASE_URL", "VOILA_APP_PORT")) else "lab"


def choose_mode(mode: str = "auto") -> str:
    """The display path for ``mode``: ``"image"`` or ``"ipympl"`` as given, or for ``"auto"`` the rule in
    this module's docstring (the override in NNK_EXPLORER_MODE, the recorded faster path, the image path)."""
    if mode != "auto":
        return mode
    forced = os.environ.get("NNK_EXPLORER_MODE", "auto")
    if forced in ("image", "ipympl"):
        return forced
    try:
        recorded = json.loads(DISPLAY_PATH_FILE.read_text())[front_end()]["faster"]
    except (OSError, ValueError, KeyError, TypeError):
        return "image"
    if recorded == "ipympl":
        try:
            import ipympl  # noqa: F401
        except ImportError:
            return "image"
        return "ipympl"
    return "image"


def encode_png(rgba: np.ndarray, level: int = 1) -> bytes:
    """An (h, w, 4) uint8 RGBA image (Agg's buffer) as a PNG: rows unfiltered, deflated at zlib ``level``.

    A PNG is a signature followed by chunks (length, tag, data, CRC-32): IHDR
    (size, 8-bit RGBA), IDAT (the zlib-compressed rows, each prefixed by its
    filter byte, 0 = none) and IEND.  Plots are mostly flat colour, which
    deflate compresses well without PNG's row filters, and keeping the alpha
    channel lets each row be copied whole instead of picked apart pixel by
    pixel; together this is about twice as fast as Pillow's encoder at the same level.
    """
    h, w, _ = rgba.shape
    rows = np.empty((h, 1 + 4 * w), np.uint8)
    rows[:, 0] = 0
    rows[:, 1:] = rgba.reshape(h, 4 * w)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)  # width, height, bit depth, RGBA, deflate, no filter, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, level)) + chunk(b"IEND", b"")


def _live_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (a reader's live front end, or a chapter being executed)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), "kernel", None) is not None


def _plain(markup: str) -> str:
    """HTML (a readout) as plain text: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<br\s*/?>", "; ", re.sub(r"<(?!br)[^>]+>", "", markup))).split())


def _setting(name: str, control) -> str:
    """One control's state as words: its label, then the value as the control shows it."""
    label = page.control_label(name, control)
    if getattr(control, "disabled", False):
        return f"{label} (does not apply)"
    value = control.value
    if isinstance(value, bool):
        shown = "on" if value else "off"
    elif hasattr(control, "label") and getattr(control, "options", None) is not None:
        chosen = control.label
        shown = ", ".join(chosen) if isinstance(chosen, tuple) else str(chosen)
        shown = shown or "none"
    elif isinstance(value, float):
        shown = f"{value:.3g}"
    else:
        shown = str(value)
    return f"{label} {shown}"


def _alt_holder(text: str) -> W.HTML:
    """A hidden HTML widget holding a figure's description (the widget manager's Image has no alt text)."""
    holder = W.HTML(html.escape(text), layout=W.Layout(display="none"))
    holder.add_class("nnk-alt")
    return holder


#: presentation mode: the screen the sizes are made for (CSS px), the smallest text on it, and the figure's
#: width in inches (its fonts, in points, are set in :mod:`widgets.style` for this width)
PRESENTATION_SCREEN_PX = 1920
PRESENTATION_TEXT_PX = 32
PRESENTATION_WIDTH_IN = 12.0
#: the drawing's resolution in presentation mode: about 1150 px wide, scaled to the window's width by the
#: browser (more pixels would cost latency, which stays within 1.2x of the page size's)
PRESENTATION_DPI = 96

def _thin_ticks(fig) -> None:
    """Fewer ticks for projector-sized labels: matplotlib spaces them for numbers three font sizes wide,
    and "−0.75" is wider than that."""
    from matplotlib.ticker import MaxNLocator

    for ax in fig.axes:
        for axis, n in ((ax.xaxis, 5), (ax.yaxis, 6)):
            locator = axis.get_major_locator()
            if isinstance(locator, MaxNLocator):
                locator.set_params(nbins=n)


def _fit_titles(fig) -> None:
    """Break an axes' one-line title that is wider than the axes into two lines, at the space nearest its
    middle (a surface's formula, a long sentence at projector size)."""
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        title = ax.title
        text = title.get_text()
        if "\n" in text or " " not in text:
            continue
        if title.get_window_extent(renderer).width > 1.05 * ax.get_window_extent(renderer).width:
            spaces = [i for i, ch in enumerate(text) if ch == " "]
            cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
            title.set_text(text[:cut] + "\n" + text[cut + 1:])


#: projector-sized controls: ipywidgets sizes its controls through these CSS variables
_PRESENTATION_CSS = f"""<style>
.nnk-presentation {{
  --jp-widgets-font-size: {PRESENTATION_TEXT_PX}px;
  --jp-widgets-inline-height: {round(PRESENTATION_TEXT_PX * 1.6)}px;
  --jp-widgets-inline-label-width: auto;
  --jp-widgets-inline-width: 600px;
  --jp-widgets-inline-width-short: 300px;
  --jp-widgets-slider-handle-size: {PRESENTATION_TEXT_PX}px;
  --jp-widgets-slider-track-thickness: 8px;
  --jp-widgets-slider-handle-border-color: #555;
  font-size: {PRESENTATION_TEXT_PX}px;
}}
.nnk-presentation .widget-html-content, .nnk-presentation select, .nnk-presentation option,
.nnk-presentation .widget-readout, .nnk-presentation label {{
  font-size: {PRESENTATION_TEXT_PX}px; line-height: 1.3;
}}
.nnk-presentation select[multiple] {{ height: auto; padding-right: 0.5em; }}
.nnk-presentation .widget-select-multiple {{ width: auto; }}
.nnk-presentation .widget-readout {{ min-width: 4em; }}
.nnk-presentation .nnk-explorer-figure {{ width: 100%; height: auto; max-width: none; }}
</style>"""


class Explorer:
    """Base class: subclasses implement ``build()`` (axes, artists, controls) and ``redraw(values)``."""

    #: the explorer's name on a published page: its element id and the prefix of a shared state
    #: (``#activations:activation=elu;alpha=0.50``)
    page_name = "explorer"

    #: a multiple-choice control whose options draw independent artists (the optimizers): the page
    #: keeps one overlay per option and stacks the chosen ones instead of drawing every combination
    layer_control: str | None = None

    #: the values a published page offers, per control name: a list, or a function of the explorer
    #: returning one; controls not named here get :meth:`page_values`' default
    page_grid: dict = {}

    #: the order in which the page grid is walked, outermost first (default: the controls' order); a
    #: control that changes the static part of the figure belongs outside the sliders, so that the
    #: background is drawn once per value of it rather than once per setting
    page_order: tuple = ()

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self._source_args = (args, kwargs)  # so a test can build the same explorer as a page shows
        return self

    #: default figure size in inches, (width, height)
    figsize = (8.0, 3.4)

    #: in presentation mode, the figure's height as a fraction of its width at most: what leaves room on a
    #: 16:9 screen for the controls and the readout above it
    presentation_aspect = 0.5

    #: an HTML line for the numbers that change with the controls, or None.  The browser draws its
    #: text for free, where Agg spends milliseconds laying out and rasterising every new string.
    readout: W.HTML | None = None

    def __init__(self, *, mode: str = "auto", presentation: bool = False, dpi: int = 90):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
        self.mode = choose_mode(mode)
        self._statics: OrderedDict = OrderedDict()  # static key -> (axes' places, titles, background)
        self._drawing = threading.RLock()  # held by update() and warm()
        self.presentation = presentation
        self.dpi = PRESENTATION_DPI if presentation else dpi
        self.timings_ms: list[float] = []
        self.controls: dict[str, W.ValueWidget] = {}
        #: artists that change when a control moves; everything else is drawn once into a cached background
        self.animated: list = []
        self._background = None
        size = self.figsize
        if presentation:
            w, h = self.figsize
            size = (PRESENTATION_WIDTH_IN, PRESENTATION_WIDTH_IN * min(h / w, self.presentation_aspect))
        #: the matplotlib settings it draws with, worked out once (update() runs on every slider step)
        self.rc = explorer_rc(presentation)
        with matplotlib.rc_context(self.rc):
            self.fig = Figure(figsize=size, dpi=self.dpi, layout="constrained")
            if presentation:  # more room between the panels, the legends and the labels at projector size
                self.fig.get_layout_engine().set(w_pad=6 / 72, h_pad=6 / 72)
            FigureCanvasAgg(self.fig)
            self.build()
            self.redraw(self.values())
            if presentation:
                _thin_ticks(self.fig)
            # lay the figure out once, then freeze it: a layout pass on every redraw costs more than the drawing
            # (it is laid out again when a static part changes: invalidate())
            engine = self.fig.get_layout_engine()
            self._relayout = engine if isinstance(engine, ConstrainedLayoutEngine) else None
            _fit_titles(self.fig)
            self._positions = [(ax, ax.get_position(original=True)) for ax in self.fig.axes]
            self.fig.canvas.draw()
            self.fig.set_layout_engine("none")
            for artist in self.animated:
                artist.set_animated(True)
        if self.mode == "ipympl":
            from ipympl.backend_nbagg import Canvas, FigureManager

            with warnings.catch_warnings():  # ipympl's toolbar trips a traitlets deprecation notice
                warnings.simplefilter("ignore", DeprecationWarning)
                canvas = Canvas(self.fig)
                FigureManager(canvas, 0)
            # ipympl would embed a pre-rendered image in the widget's state that its front end fails to
            # decode; without it the front end asks for a full draw once it is ready, which _on_draw serves
            canvas.syncing_data_url = False
            canvas.header_visible = False
            canvas.footer_visible = False
            canvas.toolbar_visible = False
            canvas.resizable = False
            self.view = canvas
        else:
            self.view = W.Image(format="png")
        self.fig.canvas.mpl_connect("draw_event", self._on_draw)
        self.view.add_class("nnk-explorer-figure")
        #: the figure's description (``describe()``), kept beside it for assistive tools in a live front end;
        #: the published page shows the player instead, whose frames carry the same text (widgets/page.py)
        self.alt = _alt_holder("")
        for name, control in self.controls.items():
            control.add_class(f"nnk-control-{name}")
            # the label as wide as its words (the default width cut "weight scale" to "weight sc…")
            if hasattr(control, "style") and hasattr(control.style, "description_width"):
                control.style.description_width = "initial"
            control.observe(self._on_change, names="value")
        self.update()
        if _live_kernel() and not page.on_static_page():
            # building made tens of thousands of objects: Python's next full garbage collection would stop
            # the reader's first updates for a few hundred ms; do it now, before the figure is shown (after
            # it, a full collection waits for a quarter as many new long-lived objects as exist)
            gc.collect()

    # -- to be provided by subclasses ---------------------------------------------------
    def build(self) -> None:  # pragma: no cover - abstract
        """Create axes and artists on ``self.fig`` and controls in ``self.controls``."""
        raise NotImplementedError

    def redraw(self, values: dict) -> None:  # pragma: no cover - abstract
        """Recompute the data for ``values`` and update the artists in place."""
        raise NotImplementedError

    # -- the machinery --------------------------------------------------------------------
    def values(self) -> dict:
        """The current value of every control."""
        return {name: c.value for name, c in self.controls.items()}

    def _on_change(self, change) -> None:
        if not self._quiet:
            self._touched = True
            self.update()

    _touched = False  # a reader has changed a control (warming starts only then: never before a first update)

    _quiet = False
    _off_screen = False

    def subject(self) -> str:
        """What the figure shows: the first line of the class docstring."""
        return (type(self).__doc__ or type(self).__name__).strip().splitlines()[0].rstrip(".")

    def describe(self) -> str:
        """Alt text for the figure as it is now: what it shows, every control's setting, and the readout.

        What it shows is :meth:`subject`; the numbers are the ones the readout prints, so the text
        never disagrees with the figure.
        """
        return self._describe()

    def _describe(self, hold: str | None = None, readout: bool = True) -> str:
        """:meth:`describe`, with control ``hold``'s value written as a NUL (the page fills it in)."""
        subject = self.subject()
        settings = "; ".join(_setting(name, c) if name != hold else f"{page.control_label(name, c)} \0"
                             for name, c in self.controls.items())
        text = f"{subject}. Settings: {settings}." if settings else f"{subject}."
        if readout and self.readout is not None and self.readout.value:
            text += " " + _plain(self.readout.value)
        return text

    def quietly(self):
        """Context manager: change several controls, then call ``update()`` once yourself."""
        explorer = self

        class _Quiet:  # re-entrant: an observer's own quiet block inside ours leaves ours quiet
            def __enter__(self):
                self.before = explorer._quiet
                explorer._quiet = True

            def __exit__(self, *exc):
                explorer._quiet = self.before

        return _Quiet()

    def update(self) -> None:
        """Recompute, update artists, and redraw; records the time it took in ``timings_ms``."""
        start = time.perf_counter()
        with self._drawing, matplotlib.rc_context(self.rc):
            self.redraw(self.values())
            self.render()
        self._last_update = time.perf_counter()
        self.timings_ms.append((self._last_update - start) * 1e3)
        self._schedule_warm()

    def invalidate(self, layout: bool = True) -> None:
        """Say that a static part (limits, ticks, a title) changed: the figure is laid out and its background
        drawn again on the next render (new tick labels may be wider, a title longer).  ``layout=False``
        keeps the places of the axes and only draws the background again (a live animation whose axis
        limits grow: a layout pass would stall it for a few frames)."""
        self._background = None
        self._layout_due = self._layout_due or layout

    _layout_due = False

    def _on_draw(self, event) -> None:
        """After every full draw (ours, or one ipympl asks for on resize): keep the background, add the animated artists."""
        self._background = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        self._draw_animated()

    def _draw_animated(self) -> None:
        for artist in self.animated:
            self.fig.draw_artist(artist)

    def render(self) -> None:
        """Draw the figure to the view, redrawing only the animated artists over a cached background.

        The static part of the figure (axes, ticks, labels, reference curves) is
        drawn once and kept; each update restores it and draws the animated
        artists on top (blitting).  The result goes to ipympl's canvas, or is
        encoded as a PNG for the Image widget.
        """
        canvas = self.fig.canvas
        key = self.static_key() if self._background is None else None
        hit = self._statics.get(key) if key is not None else None
        if hit is not None:  # a static part drawn before: its layout and bitmap, then the animated artists
            self._statics.move_to_end(key)
            self._layout_due = False
            self._use_static(hit)
            canvas.restore_region(self._background)
            self._draw_animated()
            if self.mode == "ipympl":
                canvas.blit(self.fig.bbox)
        elif self._background is None:
            self._full_draw(canvas.draw)
            self._keep_static(key)
        else:
            canvas.restore_region(self._background)
            self._draw_animated()
            if self.mode == "ipympl":
                canvas.blit(self.fig.bbox)
        if self._off_screen:  # drawing the page's frames (widgets/page.py): nobody looks at the view
            return
        if self.mode != "ipympl":
            self.view.value = encode_png(np.asarray(canvas.buffer_rgba()))
        self.alt.value = html.escape(self.describe())  # the figure's alt text on the page

    def _full_draw(self, draw) -> None:
        """Lay the figure out if due, then ``draw()`` it whole (``_on_draw`` keeps the background)."""
        # a full draw, laid out again (then frozen: a layout pass on every update would cost more than the
        # drawing); _on_draw keeps the background and draws the animated artists
        relayout = self._relayout if self._layout_due else None
        self._layout_due = False
        _fit_titles(self.fig)
        if relayout:
            # from the axes' places before the first layout: the automatic ticks depend on an axes'
            # size, so a layout started elsewhere could end elsewhere, and the same state would be
            # drawn differently after a different path (the page walks its grid; a reader jumps)
            for ax, place in self._positions:
                ax._set_position(place)
            self.fig.set_layout_engine(self._relayout)
        draw()
        if relayout:
            self.fig.set_layout_engine("none")

    # -- the static parts drawn so far, and warming them -------------------------------------
    #: the controls the static part of the figure depends on (a dropdown's choice, a slider that sets an
    #: axis' range); empty: no cache.  Every static part of an explorer must follow from these values.
    static_controls: tuple = ()
    #: how many static parts are kept (each is one RGBA bitmap of the figure, about 1 MB)
    static_cache_size = 48

    def static_key(self, values: dict | None = None):
        """The static part's key for ``values`` (default: the controls'), or None without ``static_controls``."""
        if not self.static_controls:
            return None
        values = self.values() if values is None else values
        return tuple(tuple(v) if isinstance(v, (list, tuple)) else v
                     for v in (values[n] for n in self.static_controls))

    def _keep_static(self, key) -> None:
        if key is None or self._background is None:
            return
        places = [(ax, ax.get_position(original=True).frozen(), ax.get_position().frozen()) for ax in self.fig.axes]
        titles = [(ax, ax.title.get_text()) for ax in self.fig.axes]
        self._statics[key] = (places, titles, self._background)
        self._statics.move_to_end(key)
        while len(self._statics) > self.static_cache_size:
            self._statics.popitem(last=False)

    def _use_static(self, kept) -> None:
        places, titles, background = kept
        for ax, original, active in places:
            ax._set_position(original, which="original")
            ax._set_position(active, which="active")
        for ax, text in titles:
            ax.title.set_text(text)
        self._background = background

    def neighbours(self) -> list[dict]:
        """The states one choice away from the current one: each other option of each dropdown among
        ``static_controls``, the other controls as they are (what the reader's next choice draws); the
        options next to the current one first (an arrow key's next choice)."""
        values = self.values()
        out = []
        for name in self.static_controls:
            control = self.controls[name]
            if page.kind(control) != "select" or control.disabled:
                continue
            options = [option for _, option in page._pairs(control)]
            here = options.index(values[name]) if values[name] in options else 0
            for i in sorted(range(len(options)), key=lambda i: (abs(i - here), i)):
                if i != here:
                    out.append((abs(i - here), self.choice_values(values, name, options[i])))
        return [v for _, v in sorted(out, key=lambda pair: pair[0])]

    def choice_values(self, values: dict, name: str, option) -> dict:
        """The controls' values once the reader picks ``option`` in dropdown ``name``: by default only that
        control changes; an explorer whose choice resets other controls (an activation its sliders) says so."""
        return {**values, name: option}

    def warm(self, limit: int | None = None) -> int:
        """Draw and keep the static parts of up to ``limit`` states in :meth:`neighbours` not drawn yet,
        then put the figure back as it was; returns how many were drawn.

        Nothing reaches the view: the drawing is Agg's own (ipympl's canvas sends nothing), and the
        readout's changes are held and sent back unchanged.  With NNK_EXPLORER_WARM=1 a live kernel calls this
        while the reader is idle (:meth:`_schedule_warm`); tests and benchmarks call it directly.
        """
        todo = [v for v in self.neighbours() if self.static_key(v) not in self._statics]
        if limit is not None:
            todo = todo[:limit]
        if not todo:
            return 0
        with self._drawing:  # a kernel may run the reader's update on another thread: never both at once
            return self._warm(todo)

    def _warm(self, todo) -> int:
        current = self.values()
        held = self.readout.hold_sync() if self.readout is not None else contextlib.nullcontext()
        with held, matplotlib.rc_context(self.rc):
            key_now = self.static_key(current)
            if key_now not in self._statics and self._background is not None:
                self._keep_static(key_now)
            for values in todo:
                self.redraw(values)
                self._full_draw(lambda: FigureCanvasAgg.draw(self.fig.canvas))
                self._keep_static(self.static_key(values))
            # back to the reader's state: its artists, its static part, its pixels
            self.redraw(current)
            kept = self._statics.get(key_now)
            if kept is not None:
                self._use_static(kept)
                self._layout_due = False
                self.fig.canvas.restore_region(self._background)
                self._draw_animated()
            else:
                self.invalidate()
        return len(todo)

    #: seconds without an update before an idle kernel draws a static part (each takes 0.1-0.3 s)
    WARM_IDLE_S = 0.6
    _warm_pending = False
    _last_update = 0.0

    def _schedule_warm(self, delay: float | None = None) -> None:
        """In a live kernel, once the reader has changed a control, warm one neighbour at a time whenever
        the reader has been idle for ``WARM_IDLE_S`` (a step under way delays the next key by one full
        draw at most: the kernel's event loop and the thread that handles the reader's changes share
        the figure through ``_drawing``); never on the book's static page, in tests, without a kernel's
        event loop, with ipympl's canvas, or unless NNK_EXPLORER_WARM=1: it is opt-in, because on a
        course's shared hub the drawing ahead spends CPU the class needs, and in the browser it gave no
        clear gain from key press to pixels (benchmarks section frontends-live)."""
        if (self._warm_pending or not self._touched or not self.static_controls or self._off_screen
                or page.on_static_page() or self.mode == "ipympl"  # ipympl's canvas draws on requests of its own
                or os.environ.get("NNK_EXPLORER_WARM", "0") != "1"):
            return
        if not _live_kernel():
            return
        try:
            from IPython import get_ipython

            loop = get_ipython().kernel.io_loop
        except Exception:  # noqa: BLE001 - a kernel without tornado's loop: nothing to schedule on
            return
        self._warm_pending = True

        def step():
            self._warm_pending = False
            idle = time.perf_counter() - self._last_update
            if idle < self.WARM_IDLE_S:
                self._warm_pending = True
                loop.call_later(self.WARM_IDLE_S - idle + 0.05, step)
                return
            try:
                drawn = self.warm(limit=1)
            except Exception:  # noqa: BLE001 - warming is an optimisation: never disturb the reader
                return
            if drawn:  # the next one at once if the reader is still idle
                self._schedule_warm(0.02)

        loop.call_later(self.WARM_IDLE_S if delay is None else delay, step)

    # -- the published page ---------------------------------------------------------------
    def state(self) -> str:
        """The controls' values as a short string, ``"activation=elu;alpha=0.50"`` (a control that does not
        apply, here beta, is left out).

        The same string after ``#<page_name>:`` in the page's address opens the published page in
        that state, and :meth:`restore` sets the live explorer to it.
        """
        return page.state_string(self.controls, skip={n for n, c in self.controls.items() if c.disabled})

    def restore(self, state: str) -> None:
        """Set the controls to a state string (from :meth:`state` or a page's address), then redraw once.

        Controls are set in the explorer's order, so a choice that resets others (an activation its
        sliders) comes before the values given for them; names not mentioned keep their values, and
        so does a control that does not apply once the choices before it are made.
        """
        text = state.split(":", 1)[1] if ":" in state else state
        page.parse_state(self.controls, text)  # every value checked before any is set
        texts = page.state_texts(self.controls, text)
        with self.quietly():
            for name, control in self.controls.items():
                if name in texts and not control.disabled:
                    # parsed only now, on the control's grid as the choices before it have configured it
                    control.value = page.parse(control, texts[name])
        self.update()

    def page_values(self, name: str) -> list:
        """The values of control ``name`` that the published page offers, with the controls before it set.

        From ``page_grid`` if it names the control; otherwise every option of a dropdown, both
        states of a checkbox, and every step of a slider (thinned to 101 evenly spaced steps when
        there are more than 151).  The control's current value is always included, so a reset
        to a default lands on the grid.  A slider's values are rounded to the digits its label shows.
        """
        control = self.controls[name]
        chosen = self.page_grid.get(name)
        if chosen is not None:
            values = list(chosen(self) if callable(chosen) else chosen)
        elif page.kind(control) == "checkbox":
            values = [False, True]
        elif page.kind(control) == "select" or isinstance(control, W.SelectionSlider):
            values = [v for _, v in page._pairs(control)]
        elif page.kind(control) == "multiple":
            raise ValueError(f"{name}: a multiple choice goes on the page only as the layer_control")
        else:
            lo, hi, step = control.min, control.max, control.step
            n = int(round((hi - lo) / step)) + 1
            picks = np.arange(n) if n <= 151 else np.unique(np.round(np.linspace(0, n - 1, 101)).astype(int))
            steps = lo + picks * step
            if isinstance(control, W.IntSlider):
                values = [int(v) for v in steps]
            elif isinstance(control, W.FloatLogSlider):
                values = [float(control.base ** round(v, 10)) for v in steps]
            else:
                decimals = max(0, -int(np.floor(np.log10(step))) + 1)
                values = [float(round(v, decimals)) for v in steps]
        if page.kind(control) == "range" and not isinstance(control, W.SelectionSlider):
            # each value exactly as its label writes it, so that the page draws what it says and a shared
            # state string restores the very same figure
            values = [page.parse(control, page.label(control, v)) for v in values]
            current = control.value
            if all(page.label(control, v) != page.label(control, current) for v in values):
                values.append(current)
            values = sorted(values)
        out, labels = [], set()
        for v in values:
            if page.label(control, v) not in labels:
                labels.add(page.label(control, v))
                out.append(v)
        return out

    def source(self) -> dict:
        """The explorer's class and the arguments it was made with (those JSON can hold)."""
        import json

        args, kwargs = self._source_args
        kwargs = {k: v for k, v in kwargs.items() if k != "mode"}
        try:
            json.dumps([args, kwargs])
        except TypeError:
            args, kwargs = [], {}
        return {"module": type(self).__module__, "class": type(self).__name__, "args": list(args),
                "kwargs": kwargs}

    def snapshot(self) -> np.ndarray:
        """The pixels currently shown (RGBA), for tests and for the static book."""
        return np.asarray(self.fig.canvas.buffer_rgba()).copy()

    def control_box(self) -> W.Widget:
        """The controls laid out in a row, the readout (if any) under them; override for another layout."""
        row = W.HBox(list(self.controls.values()), layout=W.Layout(flex_flow="row wrap"))
        return row if self.readout is None else W.VBox([row, self.readout])

    @property
    def widget(self) -> W.Widget:
        """The whole explorer: controls above the figure."""
        if not hasattr(self, "_widget"):
            parts = [self.control_box(), self.view, self.alt]
            if self.presentation:
                parts.append(W.HTML(_PRESENTATION_CSS, layout=W.Layout(display="none")))
            self._widget = W.VBox(parts)
            self._widget.add_class("nnk-explorer")
            if self.presentation:
                self._widget.add_class("nnk-presentation")
        return self._widget

    def hint(self) -> str:
        """What a saved notebook shows in place of the explorer until its cells run: a one-line hint."""
        return (f"{self.subject()}: an interactive explorer. Run the cells above and this one (or Run All) "
                f"to start it; until then this is its first frame.")

    def _repr_mimebundle_(self, **kwargs):
        if page.on_static_page():  # the book being built: the kernel-free player, every state drawn
            return {"text/plain": f"<{type(self).__name__}: {self.state()}>", "text/html": page.page_html(self)}
        bundle = self.widget._repr_mimebundle_(**kwargs)
        # A saved notebook opened before its kernel runs (an untrusted notebook in JupyterLab, a
        # repository's web view) cannot show a widget and falls back to the next kind of output: the hint
        # and the first frame, instead of the widget's repr ("VBox(children=(...").  A running kernel's
        # front end shows the widget itself.
        frame = base64.b64encode(encode_png(self.snapshot(), level=6)).decode("ascii")
        bundle["text/plain"] = self.hint()
        bundle["text/html"] = (f'<div class="nnk-saved-explorer"><p><em>{html.escape(self.hint())}</em></p>'
                               f'<img alt="{html.escape(self.describe())}" src="data:image/png;base64,{frame}">'
                               f"</div>")
        return bundle
