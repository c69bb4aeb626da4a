"""The momentum-rate explorer, tested headless: the rate formula against np.linalg.eigvals, the optimum
against a grid search, the simulated runs against their predicted rate and against nnkernel's SGD with
momentum (and PyTorch's, if installed), and the plotted data against the explorer's own numbers."""
import math

import numpy as np
import pytest

import nnkernel as nk
from widgets.momentum_rate import (KAPPAS, RUN_STEPS, MomentumRateExplorer, gd_best, heavy_ball_run,
                                   observed_rate, optimal_parameters, quadratic_eigenvalues, rate, relative_gap,
                                   steps_to_reduce, worst_rate)


@pytest.fixture(scope="module")
def explorer():
    return MomentumRateExplorer(mode="image")


def spectral_radius(alpha, beta, lam):
    """max |eig| of the heavy-ball iteration matrix, by np.linalg.eigvals."""
    return float(np.max(np.abs(np.linalg.eigvals(np.array([[1 + beta - alpha * lam, -beta], [1.0, 0.0]])))))


# ----------------------------------------------------------------------------- the rate
def test_rate_is_the_spectral_radius_of_the_iteration_matrix():
    rng = np.random.default_rng(0)
    for _ in range(400):
        alpha, beta, lam = rng.uniform(0, 0.5), rng.uniform(0, 0.999), rng.uniform(0.5, 10)
        assert rate(alpha, beta, lam) == pytest.approx(spectral_radius(alpha, beta, lam), rel=1e-7, abs=1e-7)


def test_the_explorers_maps_are_spectral_radii(explorer):
    rng = np.random.default_rng(1)
    for k in KAPPAS:
        m = explorer.maps[k]
        for _ in range(60):
            i, j = rng.integers(m.shape[0]), rng.integers(m.shape[1])
            a, b = explorer.alpha_grid[j] / k, explorer.beta_grid[i]
            want = max(spectral_radius(a, b, 1.0), spectral_radius(a, b, float(k)))
            assert m[i, j] == pytest.approx(want, rel=1e-7, abs=1e-7)


def test_the_worst_eigenvalue_is_an_end_of_the_interval():
    """The max of the rate over a dense grid of lambda in [mu, L] equals the max over {mu, L}."""
    rng = np.random.default_rng(2)
    for k in KAPPAS:
        lams = np.geomspace(1.0, k, 2001)
        for _ in range(100):
            a, b = rng.uniform(0, 4.2) / k, rng.uniform(0, 0.999)
            assert np.max(rate(a, b, lams)) <= worst_rate(a, b, 1.0, float(k)) * (1 + 1e-12)


def test_the_divergence_boundary_is_alpha_L_equal_2_1_plus_beta(explorer):
    for k in KAPPAS:
        A, B = np.meshgrid(explorer.alpha_grid, explorer.beta_grid)
        m = explorer.maps[k]
        assert np.all(m[A > 2 * (1 + B) + 1e-9] > 1)
        assert np.all(m[(A < 2 * (1 + B) - 1e-9) & (A > 0)] < 1)


# ----------------------------------------------------------------------------- the optimum
@pytest.mark.parametrize("k", KAPPAS)
def test_the_optimum_has_rate_sqrt_kappa_minus_1_over_plus_1(k):
    a, b, r = optimal_parameters(k)
    s = math.sqrt(k)
    assert abs(float(worst_rate(a, b, 1.0, float(k))) - (s - 1) / (s + 1)) < 1e-12
    assert r == pytest.approx((s - 1) / (s + 1), rel=1e-15)
    a_gd, r_gd = gd_best(k)
    assert abs(float(worst_rate(a_gd, 0.0, 1.0, float(k))) - (k - 1) / (k + 1)) < 1e-12


@pytest.mark.parametrize("k", KAPPAS)
def test_the_optimum_minimises_the_worst_rate_over_a_fine_grid(k):
    a_opt, b_opt, r_opt = optimal_parameters(k)
    # a coarse grid over the whole square: nothing beats the optimum, and the best grid point comes close
    aL, b = np.meshgrid(np.linspace(0.01, 4.0, 800), np.linspace(0, 0.999, 800))
    rho = worst_rate(aL / k, b, 1.0, float(k))
    assert rho.min() >= r_opt - 1e-12
    assert rho.min() - r_opt < 0.2 * (1 - r_opt)
    # a fine grid around the optimum: its best point lies next to (alpha*, beta*)
    aL, b = np.meshgrid(a_opt * k + np.linspace(-0.02, 0.02, 401), b_opt + np.linspace(-0.002, 0.002, 401))
    rho = worst_rate(aL / k, b, 1.0, float(k))
    assert rho.min() >= r_opt - 1e-12
    i = np.unravel_index(np.argmin(rho), rho.shape)
    assert abs(aL[i] - a_opt * k) <= 2 * (aL[0, 1] - aL[0, 0]) + 1e-12
    assert abs(b[i] - b_opt) <= 2 * (b[1, 0] - b[0, 0]) + 1e-12


# ----------------------------------------------------------------------------- the runs
@pytest.mark.parametrize("k,aL,b", [(10, 1.0, 0.5), (100, 1.5, 0.5), (100, 3.0, 0.8), (1000, 2.5, 0.9),
                                    (10000, 3.5, 0.95), (100, 1.0, 0.0)])
def test_the_observed_rate_matches_the_prediction(k, aL, b):
    lams = quadratic_eigenvalues(k)
    n = max(RUN_STEPS[k], int(200 * steps_to_reduce(float(worst_rate(aL / k, b, 1.0, float(k))), math.e)))
    n = min(n, 100000)
    gap = relative_gap(lams, heavy_ball_run(lams, np.ones(len(lams)), aL / k, b, n))
    want = float(worst_rate(aL / k, b, 1.0, float(k)))
    assert observed_rate(gap) == pytest.approx(want, abs=3e-3)


@pytest.mark.parametrize("k", KAPPAS)
def test_the_observed_rate_at_the_optimum_tends_to_the_prediction(k):
    """At the optimum both ends are critically damped (a double root): the error carries a factor k, so
    the observed rate approaches rho* from above as the run lengthens."""
    a, b, r = optimal_parameters(k)
    lams = quadratic_eigenvalues(k)
    n = int(200 * steps_to_reduce(r, math.e))
    gap = relative_gap(lams, heavy_ball_run(lams, np.ones(len(lams)), a, b, n))
    obs = observed_rate(gap)
    assert r <= obs < r + 0.1 * (1 - r)


def test_runs_are_nnkernels_sgd_with_momentum():
    """nk.optim.SGD(lr=alpha, momentum=beta) on f = 1/2 sum lam x^2 takes the explorer's iterates."""
    for k, aL, b in [(100, 1.5, 0.5), (1000, 3.759, 0.881), (10, 2.0, 0.0)]:
        lams = quadratic_eigenvalues(k)
        x = np.ones(len(lams))
        opt = nk.optim.SGD(lr=aL / k, momentum=b) if b else nk.optim.SGD(lr=aL / k)
        xs = [x.copy()]
        for _ in range(300):
            opt.step([x], [lams * x])
            xs.append(x.copy())
        want = np.array(xs)
        got = heavy_ball_run(lams, np.ones(len(lams)), aL / k, b, 300)
        scale = np.max(np.abs(want), axis=1, keepdims=True)
        assert np.max(np.abs(got - want) / scale) < 1e-10


def test_runs_are_torchs_sgd_with_momentum():
    torch = pytest.importorskip("torch")
    k, aL, b = 100, 3.306, 0.669
    lams = quadratic_eigenvalues(k)
    p = torch.ones(len(lams), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=aL / k, momentum=b)
    lt = torch.tensor(lams)
    xs = [p.detach().numpy().copy()]
    for _ in range(200):
        opt.zero_grad()
        (0.5 * (lt * p * p).sum()).backward()
        opt.step()
        xs.append(p.detach().numpy().copy())
    want = np.array(xs)
    got = heavy_ball_run(lams, np.ones(len(lams)), aL / k, b, 200)
    assert np.max(np.abs(got - want) / np.max(np.abs(want), axis=1, keepdims=True)) < 1e-10


def test_steps_to_reduce():
    assert steps_to_reduce(0.5, 1e6) == pytest.approx(math.log(1e6) / (2 * math.log(2)))
    assert steps_to_reduce(1.0) == math.inf


# ----------------------------------------------------------------------------- the explorer
def test_controls_draw_the_chosen_run_and_snap_to_the_optimum(explorer):
    ex = explorer
    for k in KAPPAS:
        a, b, r = optimal_parameters(k)
        ex.controls["kappa"].value = k
        ex.controls["alpha"].value = round(a * k, 3)
        ex.controls["beta"].value = round(b, 3)
        assert ex.parameters(ex.values()) == (k, a, b)
        assert ex.rho == pytest.approx(r, abs=1e-12)
        x, y = ex.run_line.get_data()
        assert len(x) == RUN_STEPS[k] + 1
        np.testing.assert_allclose(y, ex.reference[k]["optimum"], rtol=0, atol=0)
        mx, my = ex.opt_mark.get_data()
        assert (mx[0], my[0]) == (a * k, b)
        cx, cy = ex.cur_mark.get_data()
        assert (cx[0], cy[0]) == pytest.approx((a * k, b))
        assert f"{r:.4f}" in ex.readout.value
    ex.controls["kappa"].value = 100
    ex.controls["alpha"].value = 1.5
    ex.controls["beta"].value = 0.5
    k, a, b = ex.parameters(ex.values())
    assert (a, b) == (0.015, 0.5)
    lams = quadratic_eigenvalues(100)
    want = relative_gap(lams, heavy_ball_run(lams, np.ones(5), 0.015, 0.5, RUN_STEPS[100]))
    np.testing.assert_allclose(ex.run_line.get_data()[1], want)
    _, pred = ex.pred_line.get_data()
    np.testing.assert_allclose(pred, ex.rho ** (2.0 * np.arange(RUN_STEPS[100] + 1)))
    assert "predicted rate" in ex.describe()


def test_divergent_settings_are_reported_without_warnings(explorer):
    ex = explorer
    ex.controls["kappa"].value = 1000
    ex.controls["alpha"].value = 4.0
    ex.controls["beta"].value = 0.0
    assert ex.rho == pytest.approx(3.0)
    assert "diverges" in ex.readout.value
    ex.controls["alpha"].value = 0.0  # no step at all: rate 1, the run stalls
    assert "diverges" in ex.readout.value or "stalls" in ex.readout.value
    ex.controls["alpha"].value = 1.5
    ex.controls["beta"].value = 0.5


def test_the_page_grid_holds_the_optimum_and_gd_best_and_stays_small(explorer):
    ex = explorer
    total = 0
    for k in KAPPAS:
        ex.controls["kappa"].value = k
        a, b, _ = optimal_parameters(k)
        alphas, betas = ex.page_values("alpha"), ex.page_values("beta")
        assert round(a * k, 3) in alphas and round(gd_best(k)[0] * k, 3) in alphas
        assert round(b, 3) in betas and 0.0 in betas
        total += len(alphas) * len(betas)
    ex.controls["kappa"].value = 100
    assert total <= 360
    # the exercise's plateau (kappa = 100, beta = 0.9) has both ends bracketed by page values
    alphas, betas = ex.page_values("alpha"), ex.page_values("beta")
    lo, hi = 100 * (1 - math.sqrt(0.9)) ** 2, (1 + math.sqrt(0.9)) ** 2
    assert 0.9 in betas
    for end in (lo, hi):
        assert any(a < end for a in alphas) and any(a > end for a in alphas)
        assert min(abs(a - end) for a in alphas) < 0.06


def test_updates_are_fast(explorer):
    ex = explorer
    start = len(ex.timings_ms)
    for v in np.round(np.linspace(0.5, 3.5, 30), 3):
        ex.controls["alpha"].value = float(v)
    assert np.median(ex.timings_ms[start:]) < 100  # generous: shared CI machines; the benchmark holds 15 ms
    ex.controls["alpha"].value = 1.5


def test_a_state_is_drawn_the_same_whatever_the_path_to_it():
    """kappa redraws the static part (map, colour bar, x-range): a reader who jumps sees the page's pixels."""
    walked = MomentumRateExplorer(mode="image")
    for k in (10000, 10, 1000):
        walked.restore(f"kappa={k};alpha=3.500;beta=0.990")
    target = "kappa=100;alpha=3.306;beta=0.669"
    walked.restore(target)
    direct = MomentumRateExplorer(mode="image")
    direct.restore(target)
    assert np.array_equal(walked.snapshot(), direct.snapshot())
