"""The maximum-likelihood explorers, tested headless: set the sliders, read back the plotted data."""
import io
import math

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image
from scipy import stats

import nnkernel as nk
from widgets.likelihood import (COIN_FLIPS, CoinExplorer, GaussianNoiseExplorer, coin_log_likelihood,
                                coin_log_likelihood_slope, gaussian_mean_nll, mse_of_constants)

plt.switch_backend("Agg")  # an earlier test may have imported ipympl's backend


@pytest.fixture
def coin():
    return CoinExplorer(mode="image")


@pytest.fixture
def gauss():
    return GaussianNoiseExplorer(mode="image")


def png(explorer):
    return np.asarray(Image.open(io.BytesIO(explorer.view.value)))


# ----------------------------------------------------------------------------- the coin
def test_the_chapter_coin_has_8_heads_in_10_flips(coin):
    assert (coin.heads, coin.n) == (8, 10)
    np.testing.assert_array_equal(coin.flips, COIN_FLIPS)


def test_coin_maximum_is_at_0_8(coin):
    assert coin.p_max == pytest.approx(0.8, abs=1e-12)
    assert coin.p_max == pytest.approx(coin.heads / coin.n, abs=1e-12)
    # the marked maximum is where the star is drawn, on both panels, and it is the top of both curves
    for marker, y in zip(coin.max_markers, (coin.max_likelihood, coin.max_log_likelihood)):
        np.testing.assert_allclose(marker.get_xdata(), [coin.p_max])
        np.testing.assert_allclose(marker.get_ydata(), [y])
    assert coin.max_likelihood == pytest.approx(0.8**8 * 0.2**2, rel=1e-12)
    assert coin.max_likelihood >= coin.likelihood.max()
    assert coin.max_log_likelihood >= coin.log_likelihood.max()
    assert "0.80" in coin.ax_l.get_title()


def test_coin_curves_are_what_nnkernel_computes(coin):
    p = coin.p_grid
    np.testing.assert_allclose(coin.line_L.get_xdata(), p)
    # log-likelihood = minus the summed binary cross-entropy of the flips against the constant p
    expected = np.array([-float(nk.losses.binary_cross_entropy(coin.flips, np.full(10, q), reduction="sum"))
                         for q in p])
    np.testing.assert_allclose(coin.line_l.get_ydata(), expected, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(coin.line_l.get_ydata(), 8 * np.log(p) + 2 * np.log1p(-p), rtol=1e-12)
    np.testing.assert_allclose(coin.line_L.get_ydata(), p**8 * (1 - p) ** 2, rtol=1e-11)


@pytest.mark.parametrize("p", [0.01, 0.3, 0.5, 0.8, 0.99])
def test_coin_marker_follows_the_slider(coin, p):
    coin.controls["p"].value = p
    ll = -float(nk.losses.binary_cross_entropy(coin.flips, np.full(10, p), reduction="sum"))
    assert coin.p == p
    assert coin.current_log_likelihood == pytest.approx(ll, rel=1e-13)
    assert coin.current_likelihood == pytest.approx(p**8 * (1 - p) ** 2, rel=1e-11)
    (mL, ml), (cL, cl) = coin.markers, coin.cursors
    np.testing.assert_allclose(mL.get_xydata(), [[p, coin.current_likelihood]])
    np.testing.assert_allclose(ml.get_xydata(), [[p, ll]])
    # drop lines from the bottom of each axes up to the curve
    np.testing.assert_allclose(cL.get_xydata(), [[p, coin.ax_L.get_ylim()[0]], [p, coin.current_likelihood]])
    np.testing.assert_allclose(cl.get_xydata(), [[p, coin.ax_l.get_ylim()[0]], [p, ll]])
    assert f"{coin.current_likelihood:.3e}".replace("-", "−") in coin.readout.value
    assert f"<b>{ll:.3f}</b>".replace("-", "−") in coin.readout.value
    # the marker stays inside the axes' limits
    assert coin.ax_L.get_ylim()[0] <= coin.current_likelihood <= coin.ax_L.get_ylim()[1]
    assert coin.ax_l.get_ylim()[0] <= ll <= coin.ax_l.get_ylim()[1]


def test_coin_curves_are_static_and_artists_reused(coin):
    fig, lines = coin.fig, (coin.line_L, coin.line_l)
    before = [line.get_ydata().copy() for line in lines]
    markers = list(coin.markers)
    n_lines = [len(coin.ax_L.lines), len(coin.ax_l.lines)]
    for p in np.linspace(0.05, 0.95, 7):
        coin.controls["p"].value = float(round(p, 2))
    assert coin.fig is fig and (coin.line_L, coin.line_l) == lines and coin.markers == markers
    assert [len(coin.ax_L.lines), len(coin.ax_l.lines)] == n_lines
    for line, y in zip(lines, before):
        np.testing.assert_array_equal(line.get_ydata(), y)
    # only the markers and cursors move; the curves are drawn once into the background
    assert lines[0] not in coin.animated and lines[1] not in coin.animated
    assert set(coin.markers + coin.cursors) == set(coin.animated)


def test_coin_image_is_updated_and_blitting_equals_a_full_draw(coin):
    first = coin.view.value
    coin.controls["p"].value = 0.27
    assert coin.view.value != first
    img = png(coin)
    w, h = coin.fig.canvas.get_width_height()
    assert img.shape[:2] == (h, w)
    coin.invalidate()
    coin.render()
    np.testing.assert_array_equal(png(coin), img)


def test_coin_with_other_flips():
    flips = [1, 0, 0, 0] * 3  # 3 heads in 12
    ex = CoinExplorer(flips=flips, p=0.4, mode="image")
    assert ex.p_max == pytest.approx(0.25, abs=1e-12)
    assert "3 heads in 12 flips" in ex.ax_L.get_title()
    assert ex.p == 0.4


def test_coin_log_likelihood_slope_is_zero_at_the_maximum():
    assert coin_log_likelihood_slope(COIN_FLIPS, 0.8) == pytest.approx(0.0, abs=1e-12)
    # d/dp [8 log p + 2 log(1 - p)] = 8/p - 2/(1 - p)
    for p in (0.2, 0.5, 0.9):
        assert coin_log_likelihood_slope(COIN_FLIPS, p) == pytest.approx(8 / p - 2 / (1 - p), rel=1e-12)
    assert coin_log_likelihood(COIN_FLIPS, 0.5) == pytest.approx(10 * math.log(0.5), rel=1e-14)


def test_coin_bad_arguments():
    with pytest.raises(ValueError, match="0 \\(tails\\) or 1 \\(heads\\)"):
        CoinExplorer(flips=[1, 2, 0], mode="image")
    with pytest.raises(ValueError, match="at least one flip"):
        CoinExplorer(flips=[], mode="image")
    with pytest.raises(ValueError, match="p must be in"):
        CoinExplorer(p=1.0, mode="image")
    with pytest.raises(ValueError, match="mode must be one of"):
        CoinExplorer(mode="svg")


# ----------------------------------------------------------------------------- Gaussian noise
def test_gaussian_data_are_seeded():
    a, b = GaussianNoiseExplorer(mode="image"), GaussianNoiseExplorer(mode="image")
    np.testing.assert_array_equal(a.targets, b.targets)
    c = GaussianNoiseExplorer(seed=1, mode="image")
    assert not np.array_equal(a.targets, c.targets)


@pytest.mark.parametrize("sigma", [0.3, 0.75, 1.0, 2.2, 3.0])
def test_gaussian_curve_is_what_nnkernel_computes(gauss, sigma):
    gauss.controls["sigma"].value = sigma
    t, c = gauss.targets, gauss.predictions
    mse = np.array([float(nk.losses.mse(t, np.full_like(t, ci))) for ci in c])
    np.testing.assert_allclose(gauss.mse, mse, rtol=1e-13)
    expected = mse / (2 * sigma**2) + math.log(sigma) + 0.5 * math.log(2 * math.pi)
    np.testing.assert_allclose(gauss.line_nll.get_xdata(), c)
    np.testing.assert_allclose(gauss.line_nll.get_ydata(), expected, rtol=1e-13)
    # ... which is the mean Gaussian negative log-density of the targets
    direct = np.array([-stats.norm.logpdf(t, loc=ci, scale=sigma).mean() for ci in c[::50]])
    np.testing.assert_allclose(gauss.line_nll.get_ydata()[::50], direct, rtol=1e-12)
    np.testing.assert_allclose(gaussian_mean_nll(t, c, sigma), expected, rtol=1e-13)
    # the noise density on the left is N(minimiser, sigma^2)
    np.testing.assert_allclose(gauss.density.get_ydata(),
                               stats.norm.pdf(gauss.t_grid, loc=gauss.minimiser, scale=sigma), rtol=1e-12)
    assert gauss.scale == pytest.approx(1 / (2 * sigma**2))
    assert gauss.shift == pytest.approx(math.log(sigma) + 0.5 * math.log(2 * math.pi))
    assert f"<b>{gauss.scale:.3f}</b>" in gauss.readout.value


def test_gaussian_minimiser_does_not_move_with_sigma(gauss):
    seen = []
    for sigma in np.round(np.linspace(0.3, 3.0, 12), 2):
        gauss.controls["sigma"].value = float(sigma)
        seen.append(gauss.minimiser)
        np.testing.assert_allclose(gauss.min_marker.get_xydata(), [[gauss.minimiser, gauss.min_nll]])
        assert gauss.min_nll == pytest.approx(gauss.line_nll.get_ydata().min(), abs=1e-3)
        assert gauss.min_nll <= gauss.line_nll.get_ydata().min() + 1e-12
    seen = np.array(seen)
    assert np.ptp(seen) < 1e-12
    # and it is the sample mean, the minimiser of the MSE (the parabola's vertex)
    np.testing.assert_allclose(seen, np.mean(gauss.targets), atol=1e-12)
    assert gauss.sample_mean == pytest.approx(np.mean(gauss.targets), abs=0)


def test_gaussian_sigma_rescales_and_shifts(gauss):
    curves = {}
    for sigma in (0.5, 2.0):
        gauss.controls["sigma"].value = sigma
        curves[sigma] = gauss.line_nll.get_ydata().copy()
    # remove each curve's shift: what is left differs by the factor (2.0 / 0.5)^2 = 16
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    a = curves[0.5] - math.log(0.5) - half_log_2pi
    b = curves[2.0] - math.log(2.0) - half_log_2pi
    np.testing.assert_allclose(a, 16 * b, rtol=1e-12)


def test_gaussian_lowest_nll_is_at_the_sample_standard_deviation(gauss):
    # min over y_hat of the NLL, as a function of sigma, is lowest at sigma = the (ddof=0) standard deviation
    sigmas = np.round(np.arange(0.3, 3.0001, 0.05), 2)
    lows = []
    for s in sigmas:
        gauss.controls["sigma"].value = float(s)
        lows.append(gauss.min_nll)
    best = sigmas[int(np.argmin(lows))]
    assert abs(best - np.std(gauss.targets)) <= 0.025


def test_gaussian_artists_reused_and_limits_hold(gauss):
    fig, line, marker = gauss.fig, gauss.line_nll, gauss.min_marker
    n = len(gauss.ax_n.lines)
    lo, hi = gauss.ax_n.get_ylim()
    for sigma in (0.3, 1.7, 3.0):
        gauss.controls["sigma"].value = sigma
        assert lo <= gauss.min_nll <= hi
        assert gauss.density.get_ydata().max() <= gauss.ax_d.get_ylim()[1]
    assert gauss.fig is fig and gauss.line_nll is line and gauss.min_marker is marker
    assert len(gauss.ax_n.lines) == n
    assert set(gauss.animated) == {gauss.density, gauss.line_nll, gauss.min_marker}


def test_gaussian_image_is_updated_and_blitting_equals_a_full_draw(gauss):
    first = gauss.view.value
    gauss.controls["sigma"].value = 2.5
    assert gauss.view.value != first
    img = png(gauss)
    gauss.invalidate()
    gauss.render()
    np.testing.assert_array_equal(png(gauss), img)


def test_gaussian_with_given_targets():
    t = np.array([1.0, 2.0, 4.0, 7.0])
    ex = GaussianNoiseExplorer(targets=t, sigma=2.0, mode="image")
    assert ex.minimiser == pytest.approx(3.5, abs=1e-12)
    np.testing.assert_allclose(ex.mse, mse_of_constants(t, ex.predictions))


def test_gaussian_bad_arguments():
    with pytest.raises(ValueError, match="at least two finite"):
        GaussianNoiseExplorer(targets=[1.0], mode="image")
    with pytest.raises(ValueError, match="sigma must lie"):
        GaussianNoiseExplorer(sigma=5.0, mode="image")
    with pytest.raises(ValueError, match="sigma_range"):
        GaussianNoiseExplorer(sigma_range=(0.0, 1.0), mode="image")
    with pytest.raises(ValueError, match="sigma must be positive"):
        gaussian_mean_nll([1.0, 2.0], [1.5], 0.0)


# ----------------------------------------------------------------------------- both
@pytest.mark.parametrize("cls,name,values", [(CoinExplorer, "p", np.linspace(0.01, 0.99, 50)),
                                             (GaussianNoiseExplorer, "sigma", np.linspace(0.3, 3.0, 50))])
def test_one_redraw_per_step_and_fast_enough(cls, name, values):
    ex = cls(mode="image")
    n = len(ex.timings_ms)
    for v in values:
        ex.controls[name].value = float(round(v, 2))
    times = ex.timings_ms[n:]
    assert len(times) == len(values)
    # the target is ~20 ms on a laptop; the bound is loose so a busy CI machine does not fail it
    assert np.median(times) < 100


@pytest.mark.parametrize("cls", [CoinExplorer, GaussianNoiseExplorer])
def test_widget_layout_and_presentation(cls):
    ex = cls(mode="image")
    box = ex.widget
    assert isinstance(box, W.VBox) and ex.view in box.children
    assert "nnk-explorer-figure" in ex.view._dom_classes
    assert "application/vnd.jupyter.widget-view+json" in ex._repr_mimebundle_()
    big = cls(mode="image", presentation=True)
    assert big.fig.get_size_inches()[0] > ex.fig.get_size_inches()[0]
    for axes in (ex.fig.axes, big.fig.axes):
        for ax in axes:
            assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
