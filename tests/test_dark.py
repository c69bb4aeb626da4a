"""Figures drawn for the dark page (widgets/dark.py): neutral colours turned around, others kept, the
light figure untouched, and the explorers' page frames drawn in both modes."""
import base64
import hashlib
import io
import json

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.figure import Figure
from PIL import Image

from widgets import CoinExplorer, dark, page, style
from widgets.optimizers import OPTIMIZER_COLORS

from test_style import LINE_COLOURS, contrast


def _rgb(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _hex(rgb) -> str:
    return matplotlib.colors.to_hex(rgb)


def test_neutral_colours_turn_around_and_others_stay():
    out = dark.dark_colours(np.array([to_rgba("white"), to_rgba("black"), to_rgba("#888888", 0.3),
                                      to_rgba(style.PALETTE["blue"]), to_rgba("#440154")]))
    assert _hex(out[0, :3]) == dark.BACKGROUND and _hex(out[1, :3]) == dark.TEXT
    grey = out[2, :3]  # a grey keeps its place between background and text, and its alpha
    assert np.allclose(grey, np.array(to_rgb(dark.TEXT)) + 0.5333 * (np.array(to_rgb(dark.BACKGROUND)) -
                                                                    np.array(to_rgb(dark.TEXT))), atol=1e-3)
    assert out[2, 3] == pytest.approx(0.3)
    assert _hex(out[3, :3]) == style.PALETTE["blue"].lower() and _hex(out[4, :3]) == "#440154"
    assert dark.dark_colours(np.zeros((0, 4))).shape == (0, 4)


@pytest.mark.parametrize("name", sorted(LINE_COLOURS))
def test_line_colours_reach_3_to_1_on_the_dark_page(name):
    drawn = dark.dark_colours(np.array(to_rgb(LINE_COLOURS[name])))
    assert contrast(_hex(drawn), dark.BACKGROUND) >= 3.0, (name, _hex(drawn))


def test_text_reaches_4_5_to_1_on_the_dark_page():
    with matplotlib.rc_context(style.rc()):
        text = matplotlib.rcParams["text.color"]
    assert contrast(_hex(dark.dark_colours(np.array(to_rgb(text)))), dark.BACKGROUND) >= 4.5


def _figure():
    fig = Figure(figsize=(4, 3), dpi=50)
    ax = fig.add_subplot()
    ax.set_facecolor("white")
    fig.set_facecolor("white")
    ax.plot([0, 1], [0, 1], color=OPTIMIZER_COLORS["adam"], lw=6)
    ax.imshow([[0.0, 1.0]], cmap="gray", extent=(0, 1, 0, 1))
    ax.set_title("a title", fontsize=9)
    return fig


def test_a_figure_is_drawn_dark_and_its_light_drawing_is_untouched():
    fig = _figure()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    light = _rgb(buf.getvalue())
    drawn = _rgb(dark.png(fig))
    assert light.shape == drawn.shape
    assert _hex(light[0, 0] / 255) == "#ffffff" and _hex(drawn[0, 0] / 255) == dark.BACKGROUND
    # the line's colour is kept; the gray colour map's white end is now the background
    assert (np.all(drawn == np.array([int(dark.BACKGROUND[i:i + 2], 16) for i in (1, 3, 5)]), axis=-1).mean()
            > np.all(light == 255, axis=-1).mean() * 0.5)
    adam = np.array([int(OPTIMIZER_COLORS["adam"][i:i + 2], 16) for i in (1, 3, 5)])
    assert np.any(np.all(drawn == adam, axis=-1)) and np.any(np.all(light == adam, axis=-1))
    buf2 = io.BytesIO()
    fig.savefig(buf2, format="png")  # the figure's own canvas came back
    assert np.array_equal(_rgb(buf2.getvalue()), light)
    assert dark.smallest_text_pt(fig) == 9


def test_the_book_build_leaves_each_figure_dark_twin(tmp_path, monkeypatch):
    monkeypatch.setenv(dark.SIDECAR_ENV, str(tmp_path))
    fig = _figure()
    light = base64.b64decode(dark._book_png(fig, bbox_inches="tight"))
    key = hashlib.sha256(light).hexdigest()  # MyST-NB names the page's image so
    twin = _rgb((tmp_path / f"{key}.png").read_bytes())
    assert twin.shape == _rgb(light).shape
    assert json.loads((tmp_path / f"{key}.json").read_text()) == {"font_pt": 9.0, "dpi": 50.0}


def test_explorer_frames_have_dark_twins():
    coin = CoinExplorer(p=0.5, mode="image")
    coin.page_grid = {"p": [0.2, 0.5]}
    bundle = page.page_bundle(coin)
    assert len(bundle["images_dark"]) == len(bundle["images"]) == 3  # one background, two overlays
    assert len(set(bundle["images_dark"]) | set(bundle["images"])) == 6
    background = np.asarray(Image.open(io.BytesIO(base64.b64decode(bundle["images_dark"][0].split(",")[1]))))
    assert _hex(background[0, 0, :3] / 255) == dark.BACKGROUND
    assert bundle["font_pt"] > 0 and bundle["dpi"] == coin.fig.dpi
    # the live explorer draws light again afterwards
    assert _hex(coin.snapshot()[0, 0, :3] / 255) == "#ffffff"
