"""The sigmoid-loss explorer, tested headless: gradients by finite differences, runs by a plain NumPy loop."""
import math

import numpy as np
import pytest

import nnkernel as nk
from widgets.sigmoid_loss import SigmoidLossExplorer, first_step_below, grads_of_logit, losses_of_logit, train


@pytest.fixture(scope="module")
def explorer():
    return SigmoidLossExplorer(mode="image")


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_losses_are_cross_entropy_and_squared_error_of_sigmoid():
    z = np.linspace(-8, 8, 33)
    ce, se = losses_of_logit(z)
    p = _sigmoid(z)
    np.testing.assert_allclose(ce, -np.log(p), rtol=1e-12)
    np.testing.assert_allclose(se, (p - 1.0) ** 2, rtol=1e-12)


def test_gradients_match_the_formulas_and_finite_differences():
    z = np.linspace(-8, 8, 161)
    g_ce, g_se = grads_of_logit(z)
    p = _sigmoid(z)
    np.testing.assert_allclose(g_ce, p - 1.0, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g_se, 2 * (p - 1.0) * p * (1 - p), rtol=1e-10, atol=1e-18)
    # central differences of the losses themselves (elementwise: each example's own loss)
    h = 1e-5
    (ce_hi, se_hi), (ce_lo, se_lo) = losses_of_logit(z + h), losses_of_logit(z - h)
    np.testing.assert_allclose(g_ce, (ce_hi - ce_lo) / (2 * h), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(g_se, (se_hi - se_lo) / (2 * h), rtol=1e-6, atol=1e-10)
    # and with nnkernel's own checker
    res = nk.gradcheck(lambda v: losses_of_logit(v)[1], lambda v: grads_of_logit(v)[1], z, elementwise=True)
    assert res.ok, res


def test_training_is_gradient_descent_with_those_gradients():
    w0 = np.array([-8.0, -3.0, 0.0, 5.0])
    runs = train(w0, 300, lr=0.7)
    wc, ws = w0.copy(), w0.copy()
    for k in range(300):
        p = _sigmoid(wc)
        wc = wc - 0.7 * (p - 1.0)
        q = _sigmoid(ws)
        ws = ws - 0.7 * 2 * (q - 1.0) * q * (1 - q)
        np.testing.assert_allclose(runs["ce"][k + 1], wc, rtol=1e-12)
        np.testing.assert_allclose(runs["se"][k + 1], ws, rtol=1e-12)
    with pytest.raises(ValueError, match="steps"):
        train(w0, 0)


def test_first_step_below():
    loss = np.array([[3.0, 0.1], [2.0, 0.05], [0.5, 0.01]])
    np.testing.assert_array_equal(first_step_below(loss, 1.0), [2, 0])
    np.testing.assert_array_equal(first_step_below(loss, 0.2), [-1, 0])


def test_explorer_readout_and_artists_follow_the_start(explorer):
    th = explorer.thresholds
    assert th["ce"] == pytest.approx(-math.log(0.9), rel=1e-12) and th["se"] == pytest.approx(0.01, rel=1e-12)
    for w0 in explorer.page_values("w0"):
        explorer.controls["w0"].value = w0
        p = _sigmoid(w0)
        assert explorer.grads["ce"] == pytest.approx(p - 1.0, rel=1e-12)
        assert explorer.grads["se"] == pytest.approx(2 * (p - 1) * p * (1 - p), rel=1e-10)
        assert explorer.dot_se.get_ydata()[0] == pytest.approx(abs(explorer.grads["se"]))
        # the step counts from an independent run
        wc, ws, kc, ks = w0, w0, -1, -1
        for k in range(explorer.steps + 1):
            if kc < 0 and -math.log(_sigmoid(wc)) <= th["ce"]:
                kc = k
            if ks < 0 and (1 - _sigmoid(ws)) ** 2 <= th["se"]:
                ks = k
            if kc >= 0 and ks >= 0:
                break
            q, r = _sigmoid(wc), _sigmoid(ws)
            wc, ws = wc - (q - 1), ws - 2 * (r - 1) * r * (1 - r)
        assert explorer.steps_to_target == {"ce": kc, "se": ks}
        # the plotted curves are the losses along the run
        np.testing.assert_allclose(explorer.curves_lines["ce"].get_ydata(),
                                   -np.log(_sigmoid(explorer.weights["ce"][explorer.k, explorer._index(w0)])),
                                   rtol=1e-9)


def test_cross_entropy_is_faster_from_every_wrong_start(explorer):
    for w0 in explorer.page_values("w0"):
        explorer.controls["w0"].value = w0
        ce, se = explorer.steps_to_target["ce"], explorer.steps_to_target["se"]
        assert ce >= 0 and se >= 0  # both get there within the horizon, from every start on the slider
        assert ce <= se
        assert abs(explorer.grads["ce"]) >= 2 * abs(explorer.grads["se"])  # 2p(1-p) <= 1/2
    explorer.controls["w0"].value = -8.0
    assert explorer.steps_to_target["se"] > 50 * explorer.steps_to_target["ce"]


def test_description_says_what_is_shown(explorer):
    explorer.controls["w0"].value = -6.0
    text = explorer.describe()
    assert "start w₀ -6" in text and "confidently wrong" in text
    assert "cross-entropy <b>" not in text and "times smaller" in text and "steps to p ≥ 0.9" in text
    explorer.controls["w0"].value = 8.0
    assert "already right" in explorer.describe()


def test_inputs_are_checked():
    with pytest.raises(ValueError, match="multiple of w_step"):
        SigmoidLossExplorer(w0=0.3, mode="image")
    with pytest.raises(ValueError, match="p_target"):
        SigmoidLossExplorer(p_target=0.3, mode="image")


def test_page_grid_and_update_time(explorer):
    from widgets import page

    assert len(explorer.page_values("w0")) == 33
    explorer.timings_ms.clear()
    for w0 in explorer.page_values("w0"):
        explorer.controls["w0"].value = w0
    assert np.median(explorer.timings_ms) < 100  # ~10-15 ms on a quiet machine; generous for a busy one
    bundle = page.page_bundle(SigmoidLossExplorer(mode="image"))
    assert len(bundle["states"]) == 33 and len({s["bg"] for s in bundle["states"]}) == 1
