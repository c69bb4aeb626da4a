"""The activation explorer's pre-activation controls: z ~ Normal(mean, spread^2), the dead and saturated
fractions and the mean gradient E[g'(z)], checked against closed forms, SciPy's quadrature and a seeded
Monte Carlo estimate; and a slider that does not apply to the chosen activation is not offered."""
import numpy as np
import pytest
from scipy import integrate, stats

import nnkernel as nk
from nnkernel.activations import REGISTRY
from widgets.activations import PAGE_Z_MEANS, PAGE_Z_SPREADS, SATURATION, ActivationExplorer, pre_activation_stats


@pytest.fixture(scope="module")
def explorer():
    return ActivationExplorer(activation="elu", mode="image")


def _grad(name, **params):
    return lambda z: nk.to_numpy(REGISTRY[name].grad(nk.asarray(np.asarray(z, float)), **params))


@pytest.mark.parametrize("mean, spread", [(0.0, 1.0), (-1.5, 0.5), (2.0, 3.0), (-3.0, 2.0)])
def test_relu_closed_form(mean, spread):
    """ReLU: dead = P(z < 0) = Phi(-mean/spread) and E[g'] = P(z > 0); nothing is merely saturated."""
    s = pre_activation_stats(_grad("relu"), mean, spread, 1.0)
    assert s["dead"] == pytest.approx(stats.norm.cdf(-mean / spread), abs=1e-12)
    assert s["mean_grad"] == pytest.approx(stats.norm.cdf(mean / spread), abs=1e-12)
    assert s["saturated"] == 0.0


@pytest.mark.parametrize("mean, spread", [(0.0, 1.0), (1.5, 3.0), (-3.0, 0.5)])
def test_tanh_saturation_closed_form(mean, spread):
    """tanh' = 1 - tanh^2 < 0.05 exactly where |z| > atanh(sqrt(0.95)); E[tanh'] against SciPy's quad."""
    s = pre_activation_stats(_grad("tanh"), mean, spread, 1.0)
    edge = np.arctanh(np.sqrt(1 - SATURATION))
    want = stats.norm.cdf((-edge - mean) / spread) + stats.norm.sf((edge - mean) / spread)
    assert s["saturated"] == pytest.approx(want, abs=1e-10) and s["dead"] == 0.0
    quad, _ = integrate.quad(lambda z: (1 - np.tanh(z) ** 2) * stats.norm.pdf(z, mean, spread), -np.inf, np.inf,
                             epsabs=1e-13, points=None)
    assert s["mean_grad"] == pytest.approx(quad, abs=1e-10)


@pytest.mark.parametrize("name, params", [("sigmoid", {}), ("elu", {"alpha": 1.0}), ("leaky_relu", {"alpha": 0.01}),
                                          ("gelu", {}), ("swish", {"beta": 2.0}), ("binary_step", {}),
                                          ("selu", {})])
@pytest.mark.parametrize("mean, spread", [(0.0, 1.0), (-1.5, 2.0), (3.0, 0.5)])
def test_against_a_seeded_monte_carlo_estimate(explorer, name, params, mean, spread):
    """Quadrature against 400 000 seeded draws: within 5 standard errors of the sample means."""
    n = 400_000
    z = np.random.default_rng(20261202).normal(mean, spread, n)
    g = _grad(name, **params)(z)
    gmax = explorer.gmax(name, params)
    s = pre_activation_stats(_grad(name, **params), mean, spread, gmax)
    dead = np.mean(g == 0)
    small = np.mean((g != 0) & (np.abs(g) < SATURATION * gmax))
    for got, sample, var in [(s["dead"], dead, dead * (1 - dead)), (s["saturated"], small, small * (1 - small)),
                             (s["mean_grad"], g.mean(), g.var())]:
        assert abs(got - sample) <= 5 * np.sqrt(var / n) + 1e-8, (got, sample)  # P(z < 0) ~ 1e-9 unsampled


def test_gmax_is_the_largest_gradient(explorer):
    assert explorer.gmax("sigmoid", {}) == pytest.approx(0.25)
    assert explorer.gmax("relu", {}) == 1.0
    assert explorer.gmax("elu", {"alpha": 2.0}) == pytest.approx(2.0, rel=1e-3)  # alpha e^z just left of 0
    assert explorer.gmax("binary_step", {}) == 0.0


def test_the_figure_shows_the_distribution_and_the_readout_its_numbers(explorer):
    c = explorer.controls
    c["activation"].value = "relu"
    c["z_mean"].value, c["z_spread"].value = -1.5, 0.5
    z = explorer.z
    want = np.exp(-0.5 * ((z + 1.5) / 0.5) ** 2)  # the density, scaled to peak 1
    for ax, patch in zip((explorer.ax_f, explorer.ax_d), explorer.density):
        lo, hi = ax.get_ylim()
        xy = patch.get_xy()
        np.testing.assert_allclose(xy[1:-2, 0], z)
        np.testing.assert_allclose((xy[1:-2, 1] - lo) / (explorer.density_height * (hi - lo)), want, atol=1e-12)
    # the hatched part: the density where ReLU's gradient is 0 (z <= 0), nothing where it is 1
    lo, hi = explorer.ax_d.get_ylim()
    top = (explorer.stuck.get_xy()[1:-2, 1] - lo) / (explorer.density_height * (hi - lo))
    np.testing.assert_allclose(top[z <= 0], want[z <= 0], atol=1e-12)
    assert np.all(top[z > 0] == 0)
    # the dotted line at E[g'(z)] = P(z > 0)
    mean_grad = stats.norm.cdf(-1.5 / 0.5)
    np.testing.assert_allclose(explorer.mean_line.get_ydata(), [mean_grad] * 2, atol=1e-12)
    text = explorer.readout.value
    assert f"{100 * stats.norm.cdf(3.0):.1f} %" in text and f"E[g'(z)] = {mean_grad:.3g}" in text
    assert "z ~ Normal(−1.5, 0.5²)" in text and "<" not in explorer.describe()


def test_a_slider_that_does_not_apply_is_hidden(explorer):
    c = explorer.controls
    c["activation"].value = "elu"
    assert c["beta"].disabled and c["beta"].layout.display == "none" and c["m"].layout.display == "none"
    assert not c["alpha"].disabled and c["alpha"].layout.display is None
    assert "beta" not in explorer.state() and "alpha=1.00" in explorer.state()
    c["activation"].value = "swish"
    assert c["beta"].layout.display is None and c["alpha"].layout.display == "none"
    c["activation"].value = "relu"
    assert all(c[n].layout.display == "none" for n in ("alpha", "beta", "m"))
    assert c["z_mean"].layout.display is None and c["z_spread"].layout.display is None


def test_the_page_offers_the_coarse_grid(explorer):
    c = explorer.controls
    c["activation"].value = "leaky_relu"
    assert explorer.page_values("z_mean") == PAGE_Z_MEANS and explorer.page_values("z_spread") == PAGE_Z_SPREADS
    assert explorer.page_values("alpha") == [0.0, 0.01, 0.1, 0.2, 0.3, 0.5]


def test_the_mean_gradient_does_not_depend_on_the_panels():
    """Quadrature converged: 64 and 512 panels agree to round-off."""
    for name, params in [("relu", {}), ("elu", {"alpha": 1.0}), ("gelu", {}), ("sigmoid", {})]:
        a = pre_activation_stats(_grad(name, **params), 0.7, 1.3, 1.0, panels=64)
        b = pre_activation_stats(_grad(name, **params), 0.7, 1.3, 1.0, panels=512)
        assert a["mean_grad"] == pytest.approx(b["mean_grad"], abs=1e-13)


def test_bad_spread():
    with pytest.raises(ValueError, match="spread must be positive"):
        pre_activation_stats(_grad("relu"), 0.0, 0.0, 1.0)


def test_percentages_never_round_to_a_false_0_or_100():
    from widgets.activations import _percent

    assert [_percent(x) for x in (0.0, 1e-9, 0.0005, 0.5, 0.9996, 1.0)] == \
        ["0 %", "under 0.1 %", "0.1 %", "50.0 %", "over 99.9 %", "100 %"]
