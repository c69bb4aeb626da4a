"""The explorer pattern shared by every chapter's interactive widget.

An :class:`Explorer` owns one figure, its artists and its controls.  When a
control changes, only the data are recomputed (through nnkernel) and the
existing artists are updated in place; then the figure is redrawn:

* with ipympl in a live kernel (``mode="ipympl"``), the figure's canvas is
  itself a widget and only the changed image is sent to the browser;
* otherwise (``mode="image"``, the inline fallback), the figure is rendered to
  a PNG shown in an ``ipywidgets.Image``, whose bytes are replaced.

``mode="auto"`` picks ipympl when matplotlib's active backend is ipympl's
(after ``%matplotlib widget``), and the image fallback otherwise.

Explorers are testable without a browser: set ``explorer.controls[name].value``
and read back the artists' data.
"""
from __future__ import annotations

import html
import io
import re
import struct
import time
import warnings
import zlib

import ipywidgets as W
import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from .style import rc

MODES = ("auto", "ipympl", "image")


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


def _plain(markup: str) -> str:
    """HTML (a readout) as plain text: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<br\s*/?>", "; ", re.sub(r"<(?!br)[^>]+>", "", markup))).split())


def _setting(name: str, control) -> str:
    """One control's state as words: its label, then the value as the control shows it."""
    label = (getattr(control, "description", "") or name).replace("$", "").replace("\\", "").strip(": ")
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
    return f"{label} {shown}" + (" (does not apply)" if getattr(control, "disabled", False) else "")


def _alt_holder(text: str) -> W.HTML:
    """A hidden HTML widget holding a figure's description; on the page it becomes the image's alt text."""
    holder = W.HTML(html.escape(text), layout=W.Layout(display="none"))
    holder.add_class("nnk-alt")
    return holder


def _ipympl_active() -> bool:
    return "ipympl" in matplotlib.get_backend().lower() or "widget" in matplotlib.get_backend().lower()


class Explorer:
    """Base class: subclasses implement ``build()`` (axes, artists, controls) and ``redraw(values)``."""

    #: default figure size in inches, (width, height)
    figsize = (8.0, 3.4)

    #: an HTML line for the numbers that change with the controls, or None.  The browser draws its
    #: text for free, where Agg spends milliseconds laying out and rasterising every new string.
    readout: W.HTML | None = None

    def __init__(self, *, mode: str = "auto", presentation: bool = False, dpi: int = 90):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
        self.mode = ("ipympl" if _ipympl_active() else "image") if mode == "auto" else mode
        self.presentation = presentation
        self.dpi = dpi
        self.timings_ms: list[float] = []
        self.controls: dict[str, W.ValueWidget] = {}
        #: artists that change when a control moves; everything else is drawn once into a cached background
        self.animated: list = []
        self._background = None
        size = (self.figsize[0] * 1.5, self.figsize[1] * 1.5) if presentation else self.figsize
        with matplotlib.rc_context(rc(presentation)):
            self.fig = Figure(figsize=size, dpi=dpi, layout="constrained")
            FigureCanvasAgg(self.fig)
            self.build()
            self.redraw(self.values())
            # lay the figure out once, then freeze it: a layout pass on every redraw costs more than the drawing
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
        #: the figure's description (``describe()``), kept beside it; the book's page script makes it the
        #: image's alt text (the widget manager's Image has no alt of its own)
        self.alt = _alt_holder("")
        for name, control in self.controls.items():
            control.add_class(f"nnk-control-{name}")
            control.observe(self._on_change, names="value")
        self.update()

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
            self.update()

    _quiet = False

    def describe(self) -> str:
        """Alt text for the figure as it is now: what it shows, every control's setting, and the readout.

        What it shows is the first line of the class docstring; the numbers are the ones the readout
        prints, so the text never disagrees with the figure.
        """
        subject = (type(self).__doc__ or type(self).__name__).strip().splitlines()[0].rstrip(".")
        settings = "; ".join(_setting(name, c) for name, c in self.controls.items())
        text = f"{subject}. Settings: {settings}." if settings else f"{subject}."
        if self.readout is not None and self.readout.value:
            text += " " + _plain(self.readout.value)
        return text

    def quietly(self):
        """Context manager: change several controls, then call ``update()`` once yourself."""
        explorer = self

        class _Quiet:
            def __enter__(self):
                explorer._quiet = True

            def __exit__(self, *exc):
                explorer._quiet = False

        return _Quiet()

    def update(self) -> None:
        """Recompute, update artists, and redraw; records the time it took in ``timings_ms``."""
        start = time.perf_counter()
        with matplotlib.rc_context(rc(self.presentation)):
            self.redraw(self.values())
            self.render()
        self.timings_ms.append((time.perf_counter() - start) * 1e3)

    def invalidate(self) -> None:
        """Say that a static part (limits, a reference curve) changed: the background is drawn again."""
        self._background = None

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
        if self._background is None:
            canvas.draw()  # full draw; _on_draw keeps the background and draws the animated artists
        else:
            canvas.restore_region(self._background)
            self._draw_animated()
            if self.mode == "ipympl":
                canvas.blit(self.fig.bbox)
        if self.mode != "ipympl":
            self.view.value = encode_png(np.asarray(canvas.buffer_rgba()))
        self.alt.value = html.escape(self.describe())  # the figure's alt text on the page

    def png(self, colors: int = 96) -> bytes:
        """The figure as shown now, as a compact PNG: quantized to ``colors`` colours (lines and text stay sharp)."""
        rgb = Image.fromarray(np.asarray(self.fig.canvas.buffer_rgba())[..., :3])
        buf = io.BytesIO()
        rgb.quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(buf, format="png", optimize=True)
        return buf.getvalue()

    def static_view(self, control: str, values=None, n: int = 15, fmt: str = "{:.2f}") -> W.Widget:
        """A kernel-free version of the explorer for the static book: one precomputed frame per value.

        The frames (PNG images, each under its readout when the explorer has
        one, in an ``ipywidgets.Stack``) are switched by a
        ``SelectionSlider`` through ``jslink``, which runs in the browser, so
        the slider works on a static web page with no Python behind it.  The
        embedded widget state holds every frame; ``n`` bounds the page's weight.  The explorer's controls are restored afterwards.
        """
        slider = self.controls[control]
        if values is None:
            lo, hi = slider.min, slider.max
            values = [float(v) for v in np.linspace(lo, hi, n)]
            if type(slider).__name__ == "FloatLogSlider":
                values = [float(slider.base ** v) for v in values]
        saved = self.values()
        frames = []
        for v in values:
            slider.value = v
            image = W.Image(value=self.png(), format="png")
            described = [image, _alt_holder(self.describe())]
            if self.readout is not None:  # the frame carries its numbers with it
                described.insert(0, W.HTML(self.readout.value))
            frame = W.VBox(described)
            frames.append(frame)
        labels = [fmt.format(v) for v in values]
        start = int(np.argmin([abs(v - saved[control]) for v in values]))
        with self.quietly():
            for name, value in saved.items():
                self.controls[name].value = value
        self.update()
        chooser = W.SelectionSlider(options=labels, index=start, description=slider.description or control,
                                    continuous_update=True, layout=W.Layout(width="420px"))
        stack = W.Stack(frames, selected_index=start)
        link = W.jslink((chooser, "index"), (stack, "selected_index"))
        chooser.add_class(f"nnk-static-control-{control}")
        stack.add_class("nnk-static-frames")
        box = W.VBox([chooser, stack])
        box.add_class("nnk-static-explorer")
        box.link = link
        return box

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
            self._widget = W.VBox([self.control_box(), self.view, self.alt])
            self._widget.add_class("nnk-explorer")
        return self._widget

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
