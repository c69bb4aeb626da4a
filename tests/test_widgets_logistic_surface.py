"""The logistic-regression likelihood surface explorer, tested headless: set the controls, read back the
plotted data and compare with independent computations (NumPy formulas, SciPy's optimiser)."""
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy.optimize import minimize

import nnkernel as nk
from widgets import page
from widgets.logistic_surface import (GD_LR, GD_START, GD_STEPS, PENALTIES, LogisticSurfaceExplorer, gradient_descent,
                                      gradient_descent_batch, make_data, newton, nll_and_grad, nll_surface,
                                      separation_gap)

plt.switch_backend("Agg")  # an earlier test may have imported ipympl's backend


@pytest.fixture(scope="module")
def explorer():
    return LogisticSurfaceExplorer(mode="image")


def set_state(ex, separation, penalty):
    with ex.quietly():
        ex.controls["penalty"].value = penalty
        ex.controls["separation"].value = separation
    ex.update()
    return ex.current


def objective(theta, x, y, penalty=0.0):
    """mean log(1 + e^z) - y z + penalty/2 w^2, in plain NumPy (independent of nnkernel)."""
    z = theta[0] * x + theta[1]
    return float(np.mean(np.logaddexp(0.0, z) - y * z)) + 0.5 * penalty * theta[0] ** 2


def objective_grad(theta, x, y, penalty=0.0):
    from scipy.special import expit

    r = expit(theta[0] * x + theta[1]) - y
    return np.array([np.mean(r * x) + penalty * theta[0], np.mean(r)])


def scipy_minimum(x, y, penalty=0.0):
    res = minimize(objective, np.zeros(2), args=(x, y, penalty), jac=objective_grad, method="BFGS",
                   options={"gtol": 1e-11, "maxiter": 1000})
    return res.x


# ----------------------------------------------------------------------------- the surface
def test_surface_is_nnkernels_bce_at_grid_points(explorer):
    st = set_state(explorer, 1.5, 0.0)
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, len(explorer.w_grid), size=(25, 2)):
        w, b = explorer.w_grid[i], explorer.b_grid[j]
        expected = float(nk.losses.binary_cross_entropy_with_logits(st.y, w * st.x + b))
        assert st.surface[i, j] == pytest.approx(expected, rel=1e-12, abs=1e-14)
        assert st.surface[i, j] == pytest.approx(objective((w, b), st.x, st.y), rel=1e-12, abs=1e-14)
    # what is drawn is that surface (image rows are b, columns w), and its contour lines lie in the window
    np.testing.assert_array_equal(np.asarray(explorer.image.get_array()), st.surface.T)
    assert len(explorer.lines.get_segments()) >= 5


def test_penalised_surface_adds_half_lambda_w_squared(explorer):
    st0 = set_state(explorer, 3.0, 0.0)
    st = set_state(explorer, 3.0, 0.03)
    np.testing.assert_allclose(st.surface, st0.surface + 0.015 * explorer.w_grid[:, None] ** 2, rtol=1e-14)


def test_nll_surface_checks_its_inputs():
    with pytest.raises(ValueError, match="0s and 1s"):
        nll_surface([0.0, 1.0], [0.0, 2.0], [1.0], [0.0])
    with pytest.raises(ValueError, match="same length"):
        nll_surface([0.0, 1.0], [0.0], [1.0], [0.0])
    with pytest.raises(ValueError, match="separation"):
        LogisticSurfaceExplorer(mode="image", separation=0.3)
    with pytest.raises(ValueError, match="penalty"):
        LogisticSurfaceExplorer(mode="image", penalty=0.5)


def test_the_gradient_is_the_finite_difference_gradient():
    x, y = make_data(1.0)
    for penalty in (0.0, 0.1):
        for theta in ((0.3, -0.2), (2.0, 1.5), (-1.0, 3.0)):
            g = nll_and_grad(x, y, *theta, penalty)[1]
            numeric = nk.numerical_gradient(lambda t: nll_and_grad(x, y, t[0], t[1], penalty)[0], np.array(theta))
            np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-9)
            np.testing.assert_allclose(g, objective_grad(np.array(theta), x, y, penalty), rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- the maximum-likelihood estimate
@pytest.mark.parametrize("separation", [0.0, 1.0, 1.5, 2.5])
def test_mle_has_zero_gradient_and_matches_scipy(explorer, separation):
    st = set_state(explorer, separation, 0.0)
    assert st.gap is None and st.minimiser is not None
    assert np.max(np.abs(nll_and_grad(st.x, st.y, *st.minimiser)[1])) < 1e-12
    assert np.max(np.abs(objective_grad(st.minimiser, st.x, st.y))) < 1e-12
    np.testing.assert_allclose(st.minimiser, scipy_minimum(st.x, st.y), rtol=1e-6, atol=1e-8)
    assert st.min_nll == pytest.approx(objective(st.minimiser, st.x, st.y), rel=1e-12)
    # the star is drawn there, the fitted curve is sigmoid(w x + b) there, and the readout says it
    np.testing.assert_allclose(explorer.min_marker.get_xydata(), [st.minimiser])
    xs, ps = explorer.fit.get_data()
    np.testing.assert_allclose(ps, 1 / (1 + np.exp(-(st.minimiser[0] * xs + st.minimiser[1]))), rtol=1e-12)
    assert f"w = {st.minimiser[0]:.3g}".replace("-", "−") in explorer.readout.value
    assert "MLE" in explorer.readout.value and "no maximum" not in explorer.readout.value
    # gradient descent ends there too (the bowl is well conditioned)
    np.testing.assert_allclose(st.path[-1], st.minimiser, atol=2e-2 if separation < 2.5 else 1.5)


def test_gradient_descent_is_plain_gradient_descent():
    x, y = make_data(2.0)
    for penalty in (0.0, 0.01):
        theta = np.array(GD_START)
        expected = [theta]
        for _ in range(GD_STEPS):
            theta = theta - GD_LR * objective_grad(theta, x, y, penalty)
            expected.append(theta)
        np.testing.assert_allclose(gradient_descent(x, y, penalty), np.array(expected), rtol=1e-10, atol=1e-12)
    # the batch is the runs one by one
    xs, ys = zip(*(make_data(s) for s in (0.5, 3.5)))
    batch = gradient_descent_batch(xs, ys, [0.0, 0.03], steps=20)
    np.testing.assert_allclose(batch[1], gradient_descent(xs[1], ys[1], 0.03, steps=20), rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------- the separable case
@pytest.mark.parametrize("separation", [2.75, 3.5, 4.0])
def test_separable_data_have_no_mle(explorer, separation):
    st = set_state(explorer, separation, 0.0)
    x0, x1 = st.x[st.y == 0], st.x[st.y == 1]
    assert x0.max() < x1.min()  # checked independently: a threshold separates the classes
    assert st.gap == (1, x0.max(), x1.min()) and st.minimiser is None
    assert "separable: no maximum — the likelihood approaches 1 as |w| grows along" in \
        explorer.readout.value.replace("<b>", "").replace("</b>", "")
    assert explorer.min_marker.get_xydata().size == 0 and explorer.fit.get_xydata().size == 0
    # along the separating ray (w, b) = t (1, -c) the NLL falls monotonically towards 0
    c = 0.5 * (x0.max() + x1.min())
    ts = np.linspace(0.0, 400.0, 401)
    nll = np.array([float(nk.losses.binary_cross_entropy_with_logits(st.y, t * (st.x - c))) for t in ts])
    assert np.all(np.diff(nll) < 0) or np.all(np.diff(nll[nll > 0]) < 0)
    assert nll[0] == pytest.approx(math.log(2)) and nll[-1] < 1e-6
    # the ray drawn is that direction
    rw, rb = explorer.ray.get_data()
    np.testing.assert_allclose(np.asarray(rb) / np.where(rw == 0, 1, rw), [0.0, -c])
    # Newton's method finds nothing, and gradient descent keeps going out with a falling loss
    with pytest.raises(ValueError, match="no minimum"):
        newton(st.x, st.y)
    # a general-purpose optimiser "converges" only because the gradient underflows, far out along the ray
    far = minimize(objective, np.zeros(2), args=(st.x, st.y), jac=objective_grad, method="BFGS").x
    assert far[0] > 10 and objective(far, st.x, st.y) < 1e-3
    w_path = st.path[:, 0]
    assert np.all(np.diff(w_path[-100:]) > 0)
    losses = [objective(p, st.x, st.y) for p in st.path[::30]]
    assert np.all(np.diff(losses) < 0)
    assert "still falling" in explorer.readout.value
    assert "valley" in explorer.describe()


def test_overlapping_data_are_not_separable():
    x, y = make_data(2.5)
    assert separation_gap(x, y) is None
    assert separation_gap(-x, y) is None
    flipped = separation_gap(-make_data(3.0)[0], y)
    assert flipped[0] == -1


@pytest.mark.parametrize("penalty", [p for p in PENALTIES if p > 0])
def test_an_l2_penalty_gives_separable_data_a_finite_minimum(explorer, penalty):
    st = set_state(explorer, 4.0, penalty)
    assert st.gap is not None and st.minimiser is not None
    assert np.all(np.isfinite(st.minimiser))
    assert np.max(np.abs(nll_and_grad(st.x, st.y, *st.minimiser, penalty)[1])) < 1e-12
    np.testing.assert_allclose(st.minimiser, scipy_minimum(st.x, st.y, penalty), rtol=1e-6, atol=1e-8)
    # a larger penalty pulls w towards 0
    smaller = [p for p in PENALTIES if 0 < p < penalty]
    if smaller:
        assert st.minimiser[0] < set_state(explorer, 4.0, smaller[-1]).minimiser[0]
    assert "MAP estimate" in explorer.readout.value and "no maximum" not in explorer.readout.value


def test_penalty_shrinks_the_mle_and_both_are_marked(explorer):
    st = set_state(explorer, 2.0, 0.1)
    np.testing.assert_allclose(explorer.mle_marker.get_xydata(), [st.mle])
    assert 0 < st.minimiser[0] < st.mle[0]


# ----------------------------------------------------------------------------- the page
def test_page_grid_and_readouts_hold_under_round_off():
    ex = LogisticSurfaceExplorer(mode="image")
    states = page.page_states(ex)
    assert len(states) == 10 * len(PENALTIES)
    assert {(v["separation"], v["penalty"]) for v, _ in states} <= {(s, p) for s in ex.separations for p in PENALTIES}
    for values in ({"separation": s, "penalty": p} for s in ex.separations for p in PENALTIES):  # every live state
        st = ex.compute(values["separation"], values["penalty"])
        shown = list(st.path[-1]) + [st.path_loss, st.path[-101, 0]]
        if st.minimiser is not None:
            shown += [*st.minimiser, st.min_nll]
        if st.mle is not None:
            shown += list(st.mle)
        if st.gap is not None:
            shown += [st.gap[1], st.gap[2], 0.5 * (st.gap[1] + st.gap[2])]
        for v in shown:  # 3 significant digits that a change in the 7th digit cannot flip
            assert f"{v * (1 + 1e-7):.3g}" == f"{v * (1 - 1e-7):.3g}", (values, v)


def test_describe_says_what_is_shown_and_what_to_notice(explorer):
    set_state(explorer, 1.5, 0.0)
    text = explorer.describe()
    assert text.startswith("The mean negative log-likelihood of logistic regression")
    assert "class separation 1.5" in text and "bowl" in text and "MLE: w = 2.41, b = −0.386" in text
    set_state(explorer, 4.0, 0.01)
    assert "finite" in explorer.describe()


def test_updates_are_fast():
    ex = LogisticSurfaceExplorer(mode="image")
    ex.timings_ms.clear()
    for penalty in PENALTIES[:2]:
        ex.controls["penalty"].value = penalty
        for k in range(17):
            ex.controls["separation"].value = 0.25 * k
    assert np.median(ex.timings_ms) < 100  # about 12 ms on a laptop core; generous for shared machines
