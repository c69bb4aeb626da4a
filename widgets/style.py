"""One visual language for the whole book: the same colour for the same concept.

``COLORS`` maps a concept (function, derivative, data, a loss, an optimizer)
to a colour; ``apply()`` sets matplotlib's defaults for the chapters' static
figures, and ``rc(presentation)`` gives the settings an explorer draws with.
"""
from __future__ import annotations

import matplotlib as mpl

#: the book's palette: Okabe-Ito's colour-blind-safe hues, sky blue and grey darkened and orange replaced by olive, so
#: that every line and marker reaches 3:1 against the white figure background (WCAG 2.1, 1.4.11);
#: tests/test_style.py computes the ratios.  Also matplotlib's default colour cycle, in this order.
PALETTE = {
    "blue": "#0072B2",        # 5.2:1
    "vermillion": "#D55E00",  # 3.9:1
    "green": "#009E73",       # 3.4:1
    "olive": "#8A7F00",       # 4.1:1 (takes the place of Okabe-Ito's orange #E69F00, 2.2:1; a darkened
                              # orange would be too close to vermillion, and Okabe-Ito's yellow is 1.3:1)
    "purple": "#CC79A7",      # 3.1:1
    "sky": "#3A9AD9",         # 3.1:1 (Okabe-Ito's #56B4E9 is 2.3:1)
    "black": "#000000",       # 21:1
    "grey": "#888888",        # 3.5:1 (#999999 was 2.8:1)
}

#: concept -> colour, from the palette: the same colour for the same concept in every chapter.
COLORS = {
    "function": PALETTE["blue"],        # an activation's value, a fitted curve
    "derivative": PALETTE["vermillion"],  # its derivative, a gradient
    "reference": PALETTE["grey"],       # a baseline drawn for comparison
    "data": PALETTE["black"],
    "highlight": PALETTE["purple"],     # outliers, a marked point
    "mse": PALETTE["blue"],
    "mae": PALETTE["green"],
    "huber": PALETTE["olive"],
    "cross_entropy": PALETTE["sky"],
    "sigmoid": PALETTE["blue"],
    "tanh": PALETTE["green"],
    "relu": PALETTE["vermillion"],
    "selu": PALETTE["olive"],
}

#: the line styles the chapters' static figures cycle through with the palette, so that the k-th series
#: of a plot differs from the others by its dashes as well as its colour (WCAG 2.1, 1.4.1: never by
#: colour alone).  A figure that gives a series its own style keeps it.
LINESTYLES = ["-", "--", "-.", ":", (0, (6, 2)), (0, (4, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 2, 1, 2))]

_BASE = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 10,
    "legend.framealpha": 0.85,
    "lines.linewidth": 2.0,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE.values())),
}

#: for a projector (widgets.base: a 12-inch figure spanning a 1920-px screen, where 15 pt is 32 px): no
#: text under 16 pt, crowded legends included (0.9 of 18)
_PRESENTATION = {
    "font.size": 16,
    "axes.titlesize": 20,
    "axes.labelsize": 18,
    "xtick.labelsize": 16,
    "ytick.labelsize": 16,
    "legend.fontsize": 18,
    "lines.linewidth": 3.5,
    "lines.markersize": 9,
    "ytick.major.pad": 6,
}


def legend_size() -> float:
    """The font size, in points, of a crowded legend in an explorer: 0.9 of the style's legend size, so
    9 pt on the page (legible at the column's width) and 16.2 pt in presentation mode."""
    from matplotlib.font_manager import FontProperties

    return 0.9 * FontProperties(size=mpl.rcParams["legend.fontsize"]).get_size_in_points()


def rc(presentation: bool = False) -> dict:
    """The matplotlib settings for book figures, enlarged for projection when ``presentation``."""
    out = dict(_BASE)
    if presentation:
        out.update(_PRESENTATION)
    return out


def explorer_rc(presentation: bool = False) -> dict:
    """:func:`rc` for an explorer, with room around the axes' corners: a y tick label at the bottom (top) of
    the axes reaches half its height below (above) them, so the x tick labels and the title keep 2 pt more
    than that away, and labels at a corner never touch."""
    from matplotlib.font_manager import FontProperties

    out = rc(presentation)
    with mpl.rc_context(out):
        half = 0.7 * FontProperties(size=mpl.rcParams["ytick.labelsize"]).get_size_in_points() + 2.0
        out["xtick.major.pad"] = max(mpl.rcParams["xtick.major.pad"], half - mpl.rcParams["xtick.major.size"])
        out["axes.titlepad"] = max(mpl.rcParams["axes.titlepad"], half)
    return out


def apply(presentation: bool = False) -> None:
    """Make the book's style matplotlib's default (for a chapter's static figures), with
    :data:`LINESTYLES` cycling beside the colours.

    While the book is built, each figure a chapter shows is also drawn for the dark page
    (:func:`widgets.dark.install_book_figures`).
    """
    from . import dark

    mpl.rcParams.update(rc(presentation))
    mpl.rcParams["axes.prop_cycle"] = mpl.cycler(color=list(PALETTE.values()), linestyle=LINESTYLES)
    dark.install_book_figures()
