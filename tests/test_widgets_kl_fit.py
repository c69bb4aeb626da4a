"""The KL-fit explorer, tested headless: the two fits of one Gaussian to a two-mode mixture.

Each check compares with an independent computation: SciPy's adaptive quadrature and general-purpose
minimisers, and ``nnkernel.losses.kl_divergence`` on a fine grid of x.
"""
import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize

import nnkernel as nk
from widgets.kl_fit import (KLFitExplorer, expected_logp, forward_fit, gauss_logpdf, grid_kl, kl_forward,
                            kl_reverse, mixture_dlogpdf, mixture_entropy, mixture_logpdf, mixture_moments,
                            profiles, reverse_fit, reverse_fits)

DS = [0.0, 0.5, 2.0, 3.0, 5.0, 6.0, 8.0]


@pytest.fixture(scope="module")
def explorer():
    return KLFitExplorer(mode="image")


def _quad(f, breaks):
    edges = [-np.inf, *sorted(set(breaks)), np.inf]
    return sum(quad(f, a, b, epsabs=1e-14, epsrel=1e-13, limit=400)[0] for a, b in zip(edges[:-1], edges[1:]) if b > a)


# ----------------------------------------------------------------------------- the mixture
def test_mixture_density_moments_and_entropy_against_quadrature():
    for d in DS:
        p = lambda x: math.exp(mixture_logpdf(x, d))  # noqa: E731
        breaks = [-d / 2, 0.0, d / 2]
        assert _quad(p, breaks) == pytest.approx(1.0, abs=1e-12)
        mean, var = mixture_moments(d)
        assert _quad(lambda x: x * p(x), breaks) == pytest.approx(mean, abs=1e-12)
        assert _quad(lambda x: x * x * p(x), breaks) == pytest.approx(var, rel=1e-12)
        H = -_quad(lambda x: p(x) * float(mixture_logpdf(x, d)), breaks)
        assert mixture_entropy(d) == pytest.approx(H, abs=1e-12)
    # one Gaussian at d = 0: H = log(2 pi e) / 2
    assert mixture_entropy(0.0) == pytest.approx(0.5 * math.log(2 * math.pi * math.e), abs=1e-14)


def test_expected_logp_and_its_derivatives():
    for d in DS:
        for mu, sigma in [(-3.0, 0.4), (0.0, 1.0), (0.8, 2.5), (3.9, 1.05), (1.5, 6.0)]:
            q = lambda x: math.exp(gauss_logpdf(x, mu, sigma))  # noqa: E731
            breaks = [-d / 2, 0.0, d / 2, mu]
            e, e_mu, e_sigma = expected_logp(mu, sigma, d)
            assert float(e) == pytest.approx(_quad(lambda x: q(x) * float(mixture_logpdf(x, d)), breaks), abs=1e-11)
            # d/d mu E_q log p = E_q (log p)'(x), checked by quadrature and by finite differences
            ref = _quad(lambda x: q(x) * float(mixture_dlogpdf(x, d)), breaks)
            assert float(e_mu) == pytest.approx(ref, abs=1e-10)
            h = 1e-6
            fd_mu = (expected_logp(mu + h, sigma, d)[0] - expected_logp(mu - h, sigma, d)[0]) / (2 * h)
            fd_sigma = (expected_logp(mu, sigma + h, d)[0] - expected_logp(mu, sigma - h, d)[0]) / (2 * h)
            assert float(e_mu) == pytest.approx(float(fd_mu), abs=1e-7)
            assert float(e_sigma) == pytest.approx(float(fd_sigma), abs=1e-7)


def test_both_divergences_agree_with_nnkernel_on_a_grid():
    """nnkernel's discrete KL of the densities sampled on a fine grid is a Riemann sum of the integral.

    (Not for the forward fit beyond d = 5: its tails reach where p < e^-100, and nnkernel clamps log p there.)
    """
    for d in DS:
        fits = [(reverse_fit(d)["mu"], reverse_fit(d)["sigma"]), (1.0, 0.7)] + ([forward_fit(d)] if d <= 5 else [])
        for mu, sigma in fits:
            fwd, rev = grid_kl(mu, sigma, d)
            assert fwd == pytest.approx(kl_forward(mu, sigma, d), rel=1e-6, abs=1e-6)
            assert rev == pytest.approx(kl_reverse(mu, sigma, d), rel=1e-6, abs=1e-6)


def test_inputs_are_checked():
    with pytest.raises(ValueError, match="separation d"):
        mixture_logpdf(0.0, -1.0)
    with pytest.raises(ValueError, match="spread s"):
        forward_fit(1.0, 0.0)
    with pytest.raises(ValueError, match="multiple of d_step"):
        KLFitExplorer(d=0.3, mode="image")


# ----------------------------------------------------------------------------- the fits
@pytest.mark.parametrize("d", DS)
def test_forward_fit_is_moment_matching_and_minimises_kl_p_q(d):
    mu, sigma = forward_fit(d)
    mean, var = mixture_moments(d)
    assert (mu, sigma * sigma) == pytest.approx((mean, var), abs=1e-14)
    # an independent minimisation of KL(p || q) from elsewhere lands on the moments
    res = minimize(lambda th: kl_forward(th[0], math.exp(th[1]), d), [1.3, 0.9], method="Nelder-Mead",
                   options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 5000})
    assert res.x[0] == pytest.approx(mu, abs=1e-6)
    assert math.exp(res.x[1]) == pytest.approx(sigma, rel=1e-6)
    assert kl_forward(mu, sigma, d) <= res.fun + 1e-14


@pytest.mark.parametrize("d", DS)
def test_reverse_fit_is_a_stationary_point_and_beats_moment_matching(d):
    fit = reverse_fit(d)
    mu, sigma = fit["mu"], fit["sigma"]
    h = 1e-5
    grad = [(kl_reverse(mu + h, sigma, d) - kl_reverse(mu - h, sigma, d)) / (2 * h),
            (kl_reverse(mu, sigma + h, d) - kl_reverse(mu, sigma - h, d)) / (2 * h)]
    np.testing.assert_allclose(grad, 0.0, atol=1e-8)
    # a local minimum: KL(q || p) rises in every direction
    for dm, ds in [(0.01, 0), (-0.01, 0), (0, 0.01), (0, -0.01), (0.01, 0.01), (-0.01, 0.01)]:
        assert kl_reverse(mu + dm, sigma + ds, d) > fit["kl"]
    fm, fs = forward_fit(d)
    assert fit["kl"] <= kl_reverse(fm, fs, d) + 1e-12
    if d >= 3.0:  # clearly better once p is far from a Gaussian
        assert fit["kl"] < kl_reverse(fm, fs, d) - 1e-3
    # no start of a general-purpose minimiser finds anything lower
    for m0 in (-d / 2, 0.3, d / 2, d):
        res = minimize(lambda th: kl_reverse(th[0], math.exp(th[1]), d), [m0, 0.1], method="Nelder-Mead",
                       options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 5000})
        assert fit["kl"] <= res.fun + 1e-10


def test_reverse_fit_covers_both_modes_when_close_and_picks_one_when_far():
    small, large = reverse_fit(2.0), reverse_fit(8.0)
    assert small["start"] == "middle" and abs(small["mu"]) < 1e-8
    assert large["start"] == "right mode"
    assert large["mu"] == pytest.approx(4.0, abs=0.01) and large["sigma"] == pytest.approx(1.0, abs=0.01)
    # locked on one of two equal modes, q misses half of p: KL(q || p) -> log 2
    assert large["kl"] == pytest.approx(math.log(2), abs=1e-3)
    # the mirror-image fit on the left mode is exactly as good
    left = large["runs"]["left mode"]
    assert left["mu"] == pytest.approx(-large["mu"], abs=1e-8) and left["kl"] == pytest.approx(large["kl"], abs=1e-12)


def test_at_zero_separation_both_fits_are_p_itself():
    fwd, rev = forward_fit(0.0), reverse_fit(0.0)
    for mu, sigma in (fwd, (rev["mu"], rev["sigma"])):
        assert mu == pytest.approx(0.0, abs=1e-12) and sigma == pytest.approx(1.0, abs=1e-10)
        assert abs(kl_forward(mu, sigma, 0.0)) < 1e-12 and abs(kl_reverse(mu, sigma, 0.0)) < 1e-12
        x = np.linspace(-12, 12, 2001)
        p = np.exp(mixture_logpdf(x, 0.0))
        q = np.exp(gauss_logpdf(x, mu, sigma))
        assert abs(float(nk.losses.kl_divergence((p / p.sum())[None], (q / q.sum())[None]))) < 1e-12


def test_many_separations_at_once_match_one_at_a_time():
    many = reverse_fits([1.0, 5.75, 7.0])
    for d, fit in zip([1.0, 5.75, 7.0], many):
        one = reverse_fit(d)
        assert fit["start"] == one["start"]
        assert (fit["mu"], fit["sigma"]) == pytest.approx((one["mu"], one["sigma"]), abs=1e-8)


def test_profiles_are_the_minima_over_sigma():
    mu = np.array([-4.0, -1.0, 0.0, 2.5, 4.0])
    for d in (3.0, 8.0):
        fwd, rev = profiles(d, mu)
        for m, f, r in zip(mu, fwd, rev):
            res = minimize(lambda ls: kl_reverse(m, math.exp(ls[0]), d), [0.0], method="Nelder-Mead",
                           options={"xatol": 1e-10, "fatol": 1e-14})
            alt = minimize(lambda ls: kl_reverse(m, math.exp(ls[0]), d), [1.2], method="Nelder-Mead",
                           options={"xatol": 1e-10, "fatol": 1e-14})
            assert r == pytest.approx(min(res.fun, alt.fun), abs=3e-3)
            assert f == pytest.approx(kl_forward(m, math.sqrt(mixture_moments(d)[1] + m * m), d), abs=1e-12)


# ----------------------------------------------------------------------------- the explorer
def test_explorer_draws_the_fits_for_every_separation(explorer):
    for d in explorer.page_values("d"):
        explorer.controls["d"].value = d
        assert explorer.d == d
        x = explorer.line_p.get_xdata()
        np.testing.assert_allclose(explorer.line_p.get_ydata(), np.exp(mixture_logpdf(x, d)), rtol=1e-12)
        fm, fs = forward_fit(d)
        np.testing.assert_allclose(explorer.line_f.get_ydata(), np.exp(gauss_logpdf(x, fm, fs)), rtol=1e-12)
        rev = reverse_fit(d)
        np.testing.assert_allclose(explorer.line_r.get_ydata(), np.exp(gauss_logpdf(x, rev["mu"], rev["sigma"])),
                                   rtol=1e-6, atol=1e-12)
        assert explorer.kl[("reverse", "q||p")] == pytest.approx(rev["kl"], abs=1e-12)
        assert explorer.kl[("forward", "p||q")] == pytest.approx(kl_forward(fm, fs, d), abs=1e-12)
        # the dots sit at the fits' divergences, on the profile curves
        assert explorer.dot_r.get_ydata()[0] == pytest.approx(rev["kl"], abs=1e-12)
        text = explorer.readout.value
        assert f"KL(p‖q) = <b>{kl_forward(fm, fs, d):.3f}" in text.replace("-0.000", "0.000")


def test_readout_and_description_say_what_to_notice(explorer):
    explorer.controls["d"].value = 8.0
    text = explorer.describe()
    assert "locked onto the right mode" in text and "separation d 8" in text
    assert "forward fit" in text and "reverse fit" in text and "KL(q‖p) = 0.693" in text
    explorer.controls["d"].value = 1.0
    text = explorer.describe()
    assert "one mode" in text and "covers both" in text
    assert "-0.00" not in text
    explorer.controls["d"].value = 3.0


def test_page_grid_is_small_and_updates_are_quick(explorer):
    values = explorer.page_values("d")
    assert 10 <= len(values) <= 100
    explorer.timings_ms.clear()
    for d in values:
        explorer.controls["d"].value = d
    assert np.median(explorer.timings_ms) < 100  # ~5-10 ms on a quiet machine; generous for a busy one


def test_the_published_page_draws_every_slider_value():
    from widgets import page

    ex = KLFitExplorer(mode="image")
    bundle = page.page_bundle(ex)
    assert len(bundle["states"]) == 33
    assert len({s["bg"] for s in bundle["states"]}) == 1  # one background: only the lines move
    record = bundle["states"][-1]
    ex.restore(f"d={record['v'][0]}")
    assert record["readout"] == ex.readout.value and record["alt"] == ex.describe()
