"""The explorer pattern, tested headless: set controls, read back the plotted data."""
import html
import io

import ipywidgets as W
import numpy as np
import pytest
from PIL import Image

import nnkernel as nk
import widgets
from nnkernel.activations import REGISTRY
from widgets.activations import CHOICES, ActivationExplorer


@pytest.fixture
def explorer():
    return ActivationExplorer(activation="elu", mode="image")


def test_offers_every_elementwise_activation():
    assert CHOICES == [n for n, info in REGISTRY.items() if info.elementwise]
    assert {"sigmoid", "relu", "leaky_relu", "prelu", "elu", "swish", "gelu"} <= set(CHOICES)


@pytest.mark.parametrize("name", CHOICES)
def test_plotted_data_is_what_nnkernel_computes(explorer, name):
    explorer.controls["activation"].value = name
    info = REGISTRY[name]
    kw = explorer.params(explorer.values())
    assert set(kw) == {p.name for p in info.params}
    np.testing.assert_allclose(explorer.line_f.get_ydata(), nk.to_numpy(info.fn(explorer.z, **kw)), rtol=0, atol=0)
    np.testing.assert_allclose(explorer.line_d.get_ydata(), nk.to_numpy(info.grad(explorer.z, **kw)), rtol=0, atol=0)


@pytest.mark.parametrize("name,param,value", [("leaky_relu", "alpha", 0.37), ("prelu", "alpha", -0.2),
                                              ("elu", "alpha", 2.5), ("swish", "beta", 3.3),
                                              ("linear", "m", -1.5)])
def test_slider_moves_update_the_curves(explorer, name, param, value):
    explorer.controls["activation"].value = name
    before = explorer.line_f.get_ydata().copy()
    explorer.controls[param].value = value
    fn = getattr(nk.activations, name)
    grad = getattr(nk.activations, f"{name}_grad")
    np.testing.assert_allclose(explorer.line_f.get_ydata(), fn(explorer.z, **{param: value}), rtol=1e-12)
    np.testing.assert_allclose(explorer.line_d.get_ydata(), grad(explorer.z, **{param: value}), rtol=1e-12)
    assert not np.allclose(before, explorer.line_f.get_ydata())
    assert f"{param} = {value:.2f}".replace("-", "−") in explorer.readout.value and explorer.ax_f.get_title() == REGISTRY[name].label


def test_sliders_follow_the_chosen_activation(explorer):
    c = explorer.controls
    c["activation"].value = "sigmoid"
    assert c["alpha"].disabled and c["beta"].disabled
    c["activation"].value = "leaky_relu"
    assert not c["alpha"].disabled and c["beta"].disabled
    assert (c["alpha"].min, c["alpha"].max, c["alpha"].value) == (0.0, 0.5, 0.01)
    c["activation"].value = "elu"
    assert (c["alpha"].min, c["alpha"].max, c["alpha"].value) == (0.05, 3.0, 1.0)
    c["activation"].value = "swish"
    assert c["alpha"].disabled and not c["beta"].disabled


def test_changing_activation_redraws_once(explorer):
    n = len(explorer.timings_ms)
    explorer.controls["activation"].value = "leaky_relu"  # also resets alpha: still one redraw
    assert len(explorer.timings_ms) == n + 1


def test_same_figure_and_artists_are_reused(explorer):
    fig, line = explorer.fig, explorer.line_f
    for value in np.linspace(0.1, 3.0, 7):
        explorer.controls["alpha"].value = float(value)
    assert explorer.fig is fig and explorer.line_f is line
    assert len(explorer.ax_f.lines) == 4  # function, reference, and the two axis lines


def test_image_shows_the_new_curve(explorer):
    first = explorer.view.value
    explorer.controls["alpha"].value = 2.5
    second = explorer.view.value
    assert first != second
    img = np.asarray(Image.open(io.BytesIO(second)))
    w, h = explorer.fig.canvas.get_width_height()
    assert img.shape[:2] == (h, w)
    # the blitted image equals a full redraw of the same state
    explorer.invalidate()
    explorer.render()
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(explorer.view.value))), img)


def test_y_limits_hold_every_slider_position(explorer):
    explorer.controls["activation"].value = "elu"
    lo, hi = explorer.ax_f.get_ylim()
    for alpha in (0.05, 1.0, 3.0):
        explorer.controls["alpha"].value = alpha
        y = explorer.line_f.get_ydata()
        assert lo <= y.min() and y.max() <= hi


def test_widget_layout_and_classes(explorer):
    box = explorer.widget
    assert isinstance(box, W.VBox)
    assert explorer.view in box.children
    assert "nnk-explorer-figure" in explorer.view._dom_classes
    assert "nnk-control-alpha" in explorer.controls["alpha"]._dom_classes
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()


def test_presentation_mode_is_larger():
    small = ActivationExplorer(mode="image")
    large = ActivationExplorer(mode="image", presentation=True)
    assert large.fig.get_size_inches()[0] > small.fig.get_size_inches()[0]
    assert large.line_f.get_linewidth() > small.line_f.get_linewidth()


def test_ipympl_mode_uses_a_canvas_widget():
    pytest.importorskip("ipympl")
    ex = ActivationExplorer(mode="ipympl")
    assert isinstance(ex.view, W.DOMWidget)
    ex.controls["alpha"].value = 0.5
    np.testing.assert_allclose(ex.line_f.get_ydata(), nk.activations.elu(ex.z, alpha=0.5))


def test_auto_mode_is_the_inline_image_even_after_matplotlib_widget():
    """The faster display path (benchmarks/frontends.py), whatever matplotlib's backend: `%matplotlib widget`
    no longer switches explorers to ipympl's canvas."""
    pytest.importorskip("ipympl")
    import matplotlib.pyplot as plt

    plt.switch_backend("module://ipympl.backend_nbagg")
    try:
        ex = ActivationExplorer()
        assert ex.mode == "image" and isinstance(ex.view, W.Image)
    finally:
        plt.switch_backend("Agg")


def test_bad_arguments():
    with pytest.raises(ValueError, match="activation must be one of"):
        ActivationExplorer(activation="softmax")
    with pytest.raises(ValueError, match="mode must be one of"):
        ActivationExplorer(mode="svg")


def test_plots_activation_panels():
    import matplotlib.pyplot as plt

    plt.switch_backend("Agg")  # an earlier test may have imported ipympl's backend
    fig = widgets.plots.activation_panels(["relu", "elu"], params={"elu": {"alpha": 0.5}})
    axes = fig.axes
    np.testing.assert_allclose(axes[1].lines[0].get_ydata(), nk.activations.elu(np.linspace(-5, 5, 801), alpha=0.5))
    assert axes[0].get_title() == "ReLU" and axes[2].get_xlabel() == "pre-activation z"
    plt.close(fig)


def test_figures_carry_alt_text_that_follows_the_state(explorer):
    explorer.controls["activation"].value = "elu"
    explorer.controls["alpha"].value = 0.5
    alt = html.unescape(explorer.alt.value)  # beside the image; the page makes it the image's alt text
    assert alt == explorer.describe() and explorer.alt in explorer.widget.children
    assert alt.startswith("Function (left) and derivative (right) of one activation")
    assert "activation ELU" in alt and "alpha 0.5" in alt and "beta (does not apply)" in alt
    assert "<" not in alt and "g(0) = 0" in alt  # the readout's numbers, as plain text
    explorer.controls["activation"].value = "swish"
    assert "alpha (does not apply)" in explorer.alt.value and "activation Swish" in explorer.alt.value


def test_a_saved_notebook_shows_a_hint_and_the_first_frame(explorer):
    """Before its kernel runs, a saved notebook cannot show the widget; the fallbacks say what to do and
    show the explorer's first frame, not the widget's repr."""
    import base64
    import re

    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith(explorer.subject()) and "Run All" in bundle["text/plain"]
    assert "VBox" not in bundle["text/plain"]
    markup = bundle["text/html"]
    assert html.escape(explorer.hint()) in markup and f'alt="{html.escape(explorer.describe())}"' in markup
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', markup).group(1))
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")), explorer.snapshot())


def test_control_labels_are_not_cut():
    from widgets.initialization import InitExplorer

    for control in InitExplorer(mode="image").controls.values():
        assert control.style.description_width == "initial", control.description
