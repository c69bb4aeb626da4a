"""Figures drawn for a dark page: the same figure, its neutral colours turned around as it is drawn.

In dark mode the published book shows each figure drawn on the theme's dark background instead of a
dimmed light image.  Nothing is redrawn by hand: a figure is drawn once more through
:class:`DarkCanvasAgg`, whose renderer passes every colour it is given (lines, markers, fills, text,
image pixels) through :func:`dark_colours` before Agg paints it, so anti-aliasing blends against the
dark background as it should.

:func:`dark_colours` maps

* a neutral colour (white, black or a grey: the background, text, axes, ticks, grid) along the line
  from white to black onto the line from the page's dark background to its text colour, so white
  becomes the background, black the text and a grey keeps its place between them;
* every other colour (the palette, a colour map) to itself: the palette reaches 3:1 against the dark
  background too (``tests/test_style.py``), and a colour map means the same on either page.

Because the map is one function of the colour, a colour bar and the image it explains change alike.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb

#: the dark page's background and text colours (pydata-sphinx-theme's --pst-color-background and
#: --pst-color-text-base in dark mode)
BACKGROUND = "#14181e"
TEXT = "#ced6dd"

#: a colour whose channels differ by at most this much is neutral
NEUTRAL_CHROMA = 0.02

_BG = np.array(to_rgb(BACKGROUND))
_TEXT = np.array(to_rgb(TEXT))


def dark_colours(rgba) -> np.ndarray:
    """RGB(A) floats in [0, 1] (shape (..., 3) or (..., 4)) as drawn for the dark page.

    Neutral colours, grey level g (1 white, 0 black): TEXT + g (BACKGROUND - TEXT); others unchanged.
    Alpha is kept.
    """
    out = np.array(rgba, dtype=float, copy=True)
    if out.size == 0:
        return out
    rgb = out[..., :3]
    neutral = (rgb.max(axis=-1) - rgb.min(axis=-1)) <= NEUTRAL_CHROMA
    g = rgb.mean(axis=-1, keepdims=True)
    out[..., :3] = np.where(neutral[..., None], _TEXT + g * (_BG - _TEXT), rgb)
    return out


def _dark_image(im: np.ndarray) -> np.ndarray:
    """An RGBA uint8 image (what Agg's draw_image receives) as drawn for the dark page."""
    return np.round(dark_colours(im.astype(float) / 255.0) * 255.0).astype(np.uint8)


class _DarkRenderer:
    """An Agg renderer that draws every colour through :func:`dark_colours`; all else is Agg's own."""

    def __init__(self, renderer):
        self._agg = renderer

    def __getattr__(self, name):
        return getattr(self._agg, name)

    def _gc(self, gc):
        out = self._agg.new_gc()
        out.copy_properties(gc)
        out.set_foreground(tuple(dark_colours(gc.get_rgb())), isRGBA=True)
        hatch = gc.get_hatch_color() if hasattr(gc, "get_hatch_color") else None
        if hatch is not None and hasattr(out, "set_hatch_color"):
            out.set_hatch_color(tuple(dark_colours(hatch)))
        return out

    @staticmethod
    def _face(rgb_face):
        return None if rgb_face is None else tuple(dark_colours(rgb_face))

    def draw_path(self, gc, path, transform, rgbFace=None):
        return self._agg.draw_path(self._gc(gc), path, transform, self._face(rgbFace))

    def draw_markers(self, gc, marker_path, marker_trans, path, trans, rgbFace=None):
        return self._agg.draw_markers(self._gc(gc), marker_path, marker_trans, path, trans, self._face(rgbFace))

    def draw_path_collection(self, gc, master_transform, paths, all_transforms, offsets, offset_trans,
                             facecolors, edgecolors, *rest, **kwargs):
        return self._agg.draw_path_collection(self._gc(gc), master_transform, paths, all_transforms, offsets,
                                              offset_trans, dark_colours(facecolors), dark_colours(edgecolors),
                                              *rest, **kwargs)

    def draw_quad_mesh(self, gc, master_transform, mesh_width, mesh_height, coordinates, offsets, offset_trans,
                       facecolors, antialiased, edgecolors):
        return self._agg.draw_quad_mesh(self._gc(gc), master_transform, mesh_width, mesh_height, coordinates,
                                        offsets, offset_trans, dark_colours(facecolors), antialiased,
                                        dark_colours(edgecolors))

    def draw_gouraud_triangles(self, gc, triangles, colors, transform):
        return self._agg.draw_gouraud_triangles(self._gc(gc), triangles, dark_colours(colors), transform)

    def draw_image(self, gc, x, y, im, *args, **kwargs):
        return self._agg.draw_image(self._gc(gc), x, y, _dark_image(im), *args, **kwargs)

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        return self._agg.draw_text(self._gc(gc), x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    def draw_tex(self, gc, x, y, s, prop, angle, *, mtext=None):
        return self._agg.draw_tex(self._gc(gc), x, y, s, prop, angle, mtext=mtext)


class DarkCanvasAgg(FigureCanvasAgg):
    """An Agg canvas that draws its figure for the dark page (see :class:`_DarkRenderer`)."""

    def get_renderer(self):
        renderer = super().get_renderer()
        if not isinstance(renderer, _DarkRenderer):
            self.renderer = _DarkRenderer(renderer)
        return self.renderer


@contextmanager
def drawn_dark(fig):
    """Within the block, ``fig`` draws for the dark page; its own canvas is put back afterwards."""
    canvas = fig.canvas
    DarkCanvasAgg(fig)
    try:
        yield fig.canvas
    finally:
        fig.set_canvas(canvas)


def smallest_text_pt(fig) -> float | None:
    """The font size, in points, of the smallest text the figure shows (ticks, labels, legends, titles)."""
    from matplotlib.text import Text

    sizes = [t.get_fontsize() for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and t.get_alpha() != 0]
    return min(sizes) if sizes else None


# -- the book's static figures ---------------------------------------------------------------------
#: set while the book is built (book/_ext/nnk_pages.py): the folder where each figure's dark rendering
#: and its text size go, named by the SHA-256 of the light PNG, as MyST-NB names the page's image
SIDECAR_ENV = "NNK_FIGURE_SIDECAR"


def _book_png(fig, **kwargs):
    """The inline backend's PNG of ``fig``, and beside it (in the sidecar folder) its dark rendering."""
    from IPython.core.pylabtools import print_figure

    light = print_figure(fig, "png", base64=False, **kwargs)
    if light is None:
        return None
    folder = Path(os.environ[SIDECAR_ENV])
    folder.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(light).hexdigest()
    with drawn_dark(fig):
        dark = print_figure(fig, "png", base64=False, **kwargs)
    (folder / f"{key}.png").write_bytes(dark)
    (folder / f"{key}.json").write_text(json.dumps({"font_pt": smallest_text_pt(fig), "dpi": fig.dpi}))
    import base64

    return base64.b64encode(light).decode("ascii")


def install_book_figures() -> bool:
    """While the book is built, make every figure a chapter shows leave its dark rendering beside it."""
    if not os.environ.get(SIDECAR_ENV):
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    # the inline backend sets the figure formatters when its module is first imported, which pyplot
    # defers to the first figure: import it now, so that ours comes after and stays
    plt.switch_backend(matplotlib.get_backend())

    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, lambda fig: _book_png(fig, bbox_inches="tight"))
    return True


def png(fig, **kwargs) -> bytes:
    """``fig`` drawn for the dark page, as PNG bytes (``savefig``'s keyword arguments)."""
    buf = io.BytesIO()
    with drawn_dark(fig):
        fig.savefig(buf, format="png", **kwargs)
    return buf.getvalue()
