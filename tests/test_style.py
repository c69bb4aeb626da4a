"""The book's colours are legible: every line colour reaches 3:1 against the figure background and the
text colour 4.5:1 (WCAG 2.1, 1.4.11 and 1.4.3), computed from the style itself."""
import matplotlib as mpl
import pytest
from matplotlib.colors import to_rgb

from widgets import style
from widgets.ewma import BETA_COLORS
from widgets.initialization import ACTIVATION_COLORS
from widgets.losses import LOSS_COLORS
from widgets.optimizers import OPTIMIZER_COLORS


def luminance(colour):
    """WCAG relative luminance of a colour (sRGB channels linearised)."""
    def lin(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula():
    assert contrast("black", "white") == pytest.approx(21.0)
    assert contrast("#767676", "white") == pytest.approx(4.54, abs=0.01)  # the classic AA grey
    assert contrast("#56B4E9", "white") < 3  # Okabe-Ito's sky blue, as published, is too light


LINE_COLOURS = {
    **{f"PALETTE[{k}]": v for k, v in style.PALETTE.items()},
    **{f"COLORS[{k}]": v for k, v in style.COLORS.items()},
    **{f"OPTIMIZER_COLORS[{k}]": v for k, v in OPTIMIZER_COLORS.items()},
    **{f"BETA_COLORS[{k}]": v for k, v in BETA_COLORS.items()},
    **{f"ACTIVATION_COLORS[{k}]": v for k, v in ACTIVATION_COLORS.items()},
    **{f"LOSS_COLORS[{k}]": v for k, v in LOSS_COLORS.items()},
}


@pytest.mark.parametrize("name", sorted(LINE_COLOURS))
def test_line_colours_reach_3_to_1(name):
    background = style.rc()["axes.facecolor"]
    assert contrast(LINE_COLOURS[name], background) >= 3.0, (name, LINE_COLOURS[name])


def test_default_cycle_is_the_palette_and_text_is_legible():
    rc = style.rc()
    cycle = [c["color"] for c in rc["axes.prop_cycle"]]
    assert cycle == list(style.PALETTE.values())
    with mpl.rc_context(rc):
        text = mpl.rcParams["text.color"]
        assert contrast(text, rc["axes.facecolor"]) >= 4.5


def test_palette_colours_are_distinct():
    values = list(style.PALETTE.values())
    assert len(set(values)) == len(values)
    # no two hues closer than a clearly visible difference (Euclidean distance in RGB)
    for i, a in enumerate(values):
        for b in values[i + 1:]:
            assert sum((x - y) ** 2 for x, y in zip(to_rgb(a), to_rgb(b))) ** 0.5 > 0.25, (a, b)
