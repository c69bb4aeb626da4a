"""The EWMA explorer, tested headless: set the controls, read back the plotted data."""
import io

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

import nnkernel as nk
from widgets.ewma import EWMAExplorer, effective_window, station_series

plt.switch_backend("Agg")


@pytest.fixture(scope="module")
def _shared():
    return EWMAExplorer(mode="image")


@pytest.fixture
def explorer(_shared):
    """One explorer for the module (building a figure is the slow part), back at its starting settings."""
    with _shared.quietly():
        _shared.controls["beta"].value = 0.9
        _shared.controls["bias_correction"].value = False
    _shared.update()
    return _shared


def _expected_weights(beta, T, corrected):
    w = nk.ewma_weights(beta, T)
    return w / (1.0 - beta**T) if corrected else w


def test_series_is_the_seeded_temperature_series(explorer):
    _, temp = nk.data.temperature_series(days=182 + 365, seed=3)
    np.testing.assert_array_equal(explorer.series, nk.to_numpy(temp)[182:])
    np.testing.assert_array_equal(explorer.day, np.arange(365.0))
    day2, temp2 = station_series(365, 182, 3)  # the same numbers every time
    np.testing.assert_array_equal(temp2, explorer.series)


def test_initial_state_is_plotted():
    explorer = EWMAExplorer(mode="image")
    assert explorer.values() == {"beta": 0.9, "bias_correction": False}
    assert len(explorer.timings_ms) == 1  # drawn once on construction
    np.testing.assert_array_equal(explorer.line_s.get_ydata(), nk.ewma(explorer.series, 0.9))
    np.testing.assert_array_equal(explorer.line_s.get_xdata(), explorer.day)
    np.testing.assert_allclose(explorer.line_w.get_ydata(), nk.ewma_weights(0.9, 365)[: len(explorer.k)], rtol=1e-15)


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.5, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("corrected", [False, True])
def test_plotted_data_is_what_nnkernel_computes(explorer, beta, corrected):
    explorer.controls["beta"].value = beta
    explorer.controls["bias_correction"].value = corrected
    T = len(explorer.series)
    expected = nk.ewma(explorer.series, beta, bias_correction=corrected)
    np.testing.assert_array_equal(explorer.smoothed, expected)
    np.testing.assert_array_equal(explorer.line_s.get_ydata(), expected)
    weights = _expected_weights(beta, T, corrected)
    np.testing.assert_allclose(explorer.weights, weights, rtol=1e-15, atol=0)
    shown = np.asarray(explorer.line_w.get_ydata())
    n = len(explorer.k)
    np.testing.assert_allclose(shown[weights[:n] > 0], weights[:n][weights[:n] > 0], rtol=1e-15)
    assert np.all(np.isnan(shown[weights[:n] == 0]))  # beta = 0: nothing to draw on a log scale beyond k = 0
    np.testing.assert_array_equal(explorer.line_w.get_xdata(), np.arange(n))
    # the last day's smoothed value is the weighted sum the right panel shows
    np.testing.assert_allclose(expected[-1], np.sum(weights * explorer.series[::-1]), rtol=1e-12)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.98])
def test_effective_window_marks(explorer, beta):
    explorer.controls["beta"].value = beta
    window = 1.0 / (1.0 - beta)
    assert effective_window(beta) == pytest.approx(window)
    assert explorer.vline.get_xdata()[0] == pytest.approx(window)
    T = len(explorer.series)
    assert explorer.span.get_x() == pytest.approx(T - 1 - window)
    assert explorer.span.get_width() == pytest.approx(window)
    assert f"{window:.1f}</b> days" in explorer.readout.value


def test_readout_reports_weight_shares(explorer):
    explorer.controls["beta"].value = 0.9
    share = 1 - 0.9**10  # the last 10 days, out of weights that sum to 1 - 0.9^365 (1 to 16 digits)
    assert f"<b>{share / (1 - 0.9**365):.0%}</b> of the weight" in explorer.readout.value
    assert "sum to <b>1.000</b>" in explorer.readout.value
    explorer.controls["beta"].value = 0.99
    assert f"sum to <b>{1 - 0.99**365:.3f}</b>" in explorer.readout.value
    explorer.controls["bias_correction"].value = True
    assert "sum to <b>1.000</b>" in explorer.readout.value
    # day 1: the average starts at (1 - beta) x_1 without correction, at x_1 with it
    x1 = explorer.series[0]
    assert f"day 1's average <b>{x1:.1f}</b> °C (reading {x1:.1f} °C)" in explorer.readout.value
    explorer.controls["bias_correction"].value = False
    assert f"day 1's average <b>{(1 - explorer.controls['beta'].value) * x1:.1f}</b> °C" in explorer.readout.value


def test_bias_correction_changes_only_the_start(explorer):
    explorer.controls["beta"].value = 0.9
    plain = explorer.line_s.get_ydata().copy()
    explorer.controls["bias_correction"].value = True
    corrected = explorer.line_s.get_ydata()
    assert plain[0] == pytest.approx(0.1 * explorer.series[0])  # V_1 = (1 - beta) x_1: far too small
    assert corrected[0] == pytest.approx(explorer.series[0])  # corrected: V_1 / (1 - beta) = x_1
    np.testing.assert_allclose(corrected[100:], plain[100:], rtol=1e-4)  # 0.9^100 ~ 3e-5: no difference later


def test_same_figure_and_artists_are_reused(explorer):
    fig, line_s, line_w, span, vline = explorer.fig, explorer.line_s, explorer.line_w, explorer.span, explorer.vline
    n_lines = (len(explorer.ax_s.lines), len(explorer.ax_w.lines))
    for beta in np.linspace(0.0, 0.99, 12):
        explorer.controls["beta"].value = float(round(beta, 2))
        explorer.controls["bias_correction"].value = not explorer.controls["bias_correction"].value
    assert explorer.fig is fig and explorer.line_s is line_s and explorer.line_w is line_w
    assert explorer.span is span and explorer.vline is vline
    assert (len(explorer.ax_s.lines), len(explorer.ax_w.lines)) == n_lines
    assert len(explorer.fig.axes) == 2


def test_each_control_change_redraws_once(explorer):
    n = len(explorer.timings_ms)
    explorer.controls["beta"].value = 0.8
    explorer.controls["bias_correction"].value = True
    assert len(explorer.timings_ms) == n + 2


def test_image_shows_the_new_curve(explorer):
    first = explorer.view.value
    explorer.controls["beta"].value = 0.98
    second = explorer.view.value
    assert first != second
    img = np.asarray(Image.open(io.BytesIO(second)))
    w, h = explorer.fig.canvas.get_width_height()
    assert img.shape[:2] == (h, w)
    # the blitted image equals a full redraw of the same state
    explorer.invalidate()
    explorer.render()
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(explorer.view.value))), img)


def test_y_limits_hold_every_setting(explorer):
    lo, hi = explorer.ax_s.get_ylim()
    assert lo <= 0.0  # the uncorrected curve starts near 0
    for beta in (0.0, 0.5, 0.9, 0.99):
        for corrected in (False, True):
            v = nk.ewma(explorer.series, beta, bias_correction=corrected)
            assert lo <= v.min() and v.max() <= hi


def test_update_is_fast(explorer):
    explorer.timings_ms.clear()
    for beta in np.linspace(0.5, 0.99, 50):
        explorer.controls["beta"].value = float(round(beta, 2))
    assert len(explorer.timings_ms) == 50
    assert np.median(explorer.timings_ms) < 200  # generous: ~10-20 ms on an idle laptop; CI machines vary


def test_widget_layout_and_classes(explorer):
    box = explorer.widget
    assert isinstance(box, W.VBox)
    assert explorer.view in box.children
    controls = box.children[0]
    assert explorer.controls["beta"] in controls.children and explorer.readout in controls.children
    assert isinstance(explorer.controls["bias_correction"], W.Checkbox)
    assert "nnk-control-beta" in explorer.controls["beta"]._dom_classes
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()


@pytest.mark.parametrize("kwargs", [{"beta": 1.0}, {"beta": -0.1}, {"days": 1}, {"start_day": -1}])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        EWMAExplorer(mode="image", **kwargs)


def test_constructor_settings():
    ex = EWMAExplorer(beta=0.5, bias_correction=True, days=200, start_day=0, seed=1, mode="image")
    assert ex.values() == {"beta": 0.5, "bias_correction": True}
    np.testing.assert_array_equal(ex.line_s.get_ydata(), nk.ewma(ex.series, 0.5, bias_correction=True))
    assert len(ex.series) == 200


def test_presentation_mode_is_larger():
    small = EWMAExplorer(mode="image")
    large = EWMAExplorer(mode="image", presentation=True)
    assert large.fig.get_size_inches()[0] > small.fig.get_size_inches()[0]


def test_ipympl_mode_uses_a_canvas_widget():
    pytest.importorskip("ipympl")
    ex = EWMAExplorer(mode="ipympl")
    assert isinstance(ex.view, W.DOMWidget)
    ex.controls["beta"].value = 0.5
    np.testing.assert_array_equal(ex.line_s.get_ydata(), nk.ewma(ex.series, 0.5))
