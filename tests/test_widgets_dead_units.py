"""The dead-units explorer, headless: set the controls, read back the plotted data, and check the dead-unit
counts against an independent forward pass with the trained weights."""
import math

import numpy as np
import pytest

import nnkernel as nk
from widgets.dead_units import (ACTIVATIONS, LR_LOG10, DeadUnitsExplorer, Setup, data, dead_fractions,
                                initial_parameters, loss_of, train)

LOW, HIGH = 10 ** LR_LOG10[0], 10 ** LR_LOG10[1]


@pytest.fixture(scope="module")
def explorer():
    return DeadUnitsExplorer(mode="image")


def _dead_by_hand(activation, weights, biases, X):
    """Per layer, units with z <= 0 on every example for ReLU (its gradient is 0 there, nk's convention at 0),
    and the units whose nnkernel gradient is exactly 0 on every example otherwise: a second forward pass,
    written out."""
    fn = getattr(nk.activations, activation)
    grad = getattr(nk.activations, f"{activation}_grad")
    out, h = [], X
    for W, b in zip(weights[:-1], biases[:-1]):
        z = np.einsum("ni,ij->nj", h, W) + b
        if activation == "relu":
            dead = np.all(z <= 0, axis=0)
            assert np.array_equal(dead, np.all(grad(z) == 0, axis=0))
        else:
            dead = np.all(grad(z) == 0, axis=0)
        out.append(int(dead.sum()))
        h = fn(z)
    return out


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("log_lr", [LR_LOG10[0], 0.0, 0.25, LR_LOG10[1]])
def test_plotted_data_is_the_run_and_the_counts_hold(explorer, activation, log_lr):
    c = explorer.controls
    c["activation"].value = activation
    c["lr"].value = 10 ** log_lr
    run = explorer.run(activation, 10 ** log_lr)
    for k, line in enumerate(explorer.dead_lines):
        np.testing.assert_array_equal(line.get_ydata(), 100 * run.dead[:, k])
    np.testing.assert_array_equal(explorer.loss_line.get_xdata(), np.arange(Setup().epochs + 1))
    # the last epoch's counts, from the trained weights, by a separate forward pass
    X, y = data()
    last = (run.diverged - 1) if run.diverged else -1
    widths = Setup().widths
    counts = _dead_by_hand(activation, run.weights, run.biases, X)
    assert counts == [round(f * w) for f, w in zip(run.dead[last], widths)]
    if not run.diverged:
        assert loss_of(activation, run.weights, run.biases, X, y) == run.loss[-1]
        text = explorer.readout.value
        assert all(f"layer {k + 1}: {n} of {w}" in text for k, (n, w) in enumerate(zip(counts, widths)))


def test_relu_dies_at_the_high_rate_and_the_fixes_do_not():
    relu = train("relu", HIGH)
    assert relu.diverged is None and np.all(relu.dead[-1] > 0.25)  # over a quarter of each layer
    assert relu.dead[-1, 0] > relu.dead[0, 0]  # the first layer's units died in training
    # the same network at the lowest rate: the first layer keeps every unit
    assert np.all(train("relu", LOW).dead[:, 0] == 0)
    for activation in ("leaky_relu", "elu"):
        for log_lr in np.arange(LR_LOG10[0], LR_LOG10[1] + 1e-9, LR_LOG10[2]):
            run = train(activation, 10 ** log_lr)
            if run.diverged is None:  # a finite run: no unit of a leaky ReLU or ELU network is dead
                assert np.all(run.dead == 0), (activation, log_lr)
    assert np.all(train("leaky_relu", HIGH).dead == 0) and train("leaky_relu", HIGH).diverged is None


def test_a_dead_first_layer_unit_stays_dead():
    """A first-layer unit dead on every example gets no gradient: it is dead in every later epoch too."""
    run = train("relu", HIGH)
    first = run.dead[:, 0]
    assert np.all(np.diff(first) >= 0)


def test_runs_are_deterministic_and_cached(explorer):
    a, b = train("relu", 1.0), train("relu", 1.0)
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.dead, b.dead)
    assert explorer.run("relu", 1.0) is explorer.run("relu", 1.0)


def test_final_losses_are_far_from_a_rounding_edge():
    """The readout prints the final loss to 2 significant digits: each lies at least 1e-6 (relative) from the
    edge between two printed values, far beyond the round-off between CPUs (about 1e-11 here)."""
    for activation in ACTIVATIONS:
        for log_lr in np.arange(LR_LOG10[0], LR_LOG10[1] + 1e-9, LR_LOG10[2]):
            run = train(activation, 10 ** log_lr)
            if run.diverged:
                continue
            x = run.loss[-1]
            scale = 10 ** (math.floor(math.log10(x)) - 1)  # one unit of the second significant digit
            frac = (x / scale) % 1.0
            assert abs(frac - 0.5) > 1e-6 * x / scale, (activation, log_lr, x)


def test_initial_parameters_and_the_check_on_its_own():
    weights, biases = initial_parameters()
    assert [w.shape for w in weights] == [(2, 24), (24, 24), (24, 1)] and all(np.all(b == 0.1) for b in biases)
    X, _ = data()
    assert dead_fractions("relu", weights, biases, X) == [n / 24 for n in _dead_by_hand("relu", weights, biases, X)]


def test_page_grid_and_state(explorer):
    from widgets import page

    states = page.page_states(explorer)
    assert len(states) == 3 * 11
    assert explorer.page_values("lr")[0] == pytest.approx(0.01) and explorer.page_values("lr")[-1] == pytest.approx(HIGH)
    explorer.restore("activation=elu;lr=0.1")
    assert explorer.values()["activation"] == "elu" and explorer.values()["lr"] == pytest.approx(0.1)


def test_bad_arguments():
    with pytest.raises(ValueError, match="activation must be one of"):
        train("tanh", 0.1)
    with pytest.raises(ValueError, match="lr must be a positive number"):
        train("relu", -1.0)
    with pytest.raises(ValueError, match="activation must be one of"):
        DeadUnitsExplorer(activation="sigmoid")
