"""The batch-normalization training explorer, tested headless: set the learning rate and the seed, read back
the plotted curves and compare them with an independent re-run of the chapter's training, written here with
nnkernel's layers and ``fit``."""
import warnings

import numpy as np
import pytest

import nnkernel as nk
from nnkernel.layers import Activation, BatchNorm, Dense
from nnkernel.models import Sequential, fit
from nnkernel.optim import SGD
from widgets.bn_training import (LEARNING_RATES, NO_FIT, SEEDS, BNTrainingExplorer, batches, epoch_means,
                                 train, verdict)

X, Y = nk.data.two_moons(n=300, noise=0.15, seed=0)
Y = nk.asarray(nk.to_numpy(Y)[:, None])
LOSS = "binary_cross_entropy_with_logits"


@pytest.fixture(scope="module")
def explorer():
    return BNTrainingExplorer(mode="image")


def chapter_net(batchnorm, seed):
    """The chapter's make_net, written out again."""
    layers, fan_in = [], 2
    for i in range(5):
        layers.append(Dense(fan_in, 32, seed=100 * seed + i))
        if batchnorm:
            layers.append(BatchNorm(32))
        layers.append(Activation("relu"))
        fan_in = 32
    layers.append(Dense(fan_in, 1, seed=100 * seed + 99))
    return Sequential(layers)


def rerun_steps(batchnorm, lr, seed, epochs=20):
    """Every step's batch loss, from a loop over nnkernel's layers (forward, loss, backward, SGD step),
    the batches cut as fit cuts them; stops at the first step whose output is not finite."""
    net, opt, losses = chapter_net(batchnorm, seed), SGD(lr), []
    with np.errstate(all="ignore"):
        for epoch in range(epochs):
            order = np.random.default_rng(1000 * seed + epoch).permutation(300)
            for start in range(0, 300, 32):
                idx = order[start:start + 32]
                xb, yb = X[idx], Y[idx]
                out = net.forward(xb, training=True)
                if not np.all(np.isfinite(out)):
                    return np.array(losses), len(losses) + 1, net
                losses.append(float(nk.losses.binary_cross_entropy_with_logits(yb, out)))
                net.backward(nk.losses.binary_cross_entropy_with_logits_grad(yb, out))
                opt.step(net.params, net.grads)
    return np.array(losses), None, net


def chapter_train(batchnorm, lr, seed, epochs=20):
    """The chapter's train(): fit one epoch at a time; per-epoch losses, whether it stayed finite, the net."""
    net, opt, losses = chapter_net(batchnorm, seed), SGD(lr), []
    for epoch in range(epochs):
        h = fit(net, LOSS, opt, X, Y, epochs=1, batch_size=32, seed=1000 * seed + epoch, progress=False)
        if h.diverged_at is not None:
            return losses, False, net
        losses.append(h["loss"][0])
    return losses, True, net


def test_batches_are_fits():
    assert batches(300, 32) == [(k, min(k + 32, 300)) for k in range(0, 300, 32)]
    assert batches(33, 32) == [(0, 33)]  # a last batch of one joins the one before it


@pytest.mark.parametrize("lr, seed", [(0.1, 0), (1.0, 1), (2.0, 0), (3.0, 2)])
def test_plotted_curves_equal_an_independent_rerun(explorer, lr, seed):
    explorer.controls["seed"].value = seed
    explorer.controls["lr"].value = lr
    for bn in (False, True):
        plotted = np.asarray(explorer.lines[bn].get_ydata(), float)
        run = explorer.current[bn]
        steps, diverged, net = rerun_steps(bn, lr, seed)
        assert run.diverged == diverged
        assert len(steps) == run.last
        # the same operations in the same order: the same numbers (up to round-off grown over 200 steps)
        np.testing.assert_allclose(run.loss[:run.last], steps, rtol=1e-9, atol=0)
        finite = np.isfinite(plotted)
        assert finite.sum() == run.last
        np.testing.assert_allclose(plotted[:run.last], np.clip(steps, 1.01e-4, 30 / 1.01), rtol=1e-9)
        end_x, _ = explorer.ends[bn].get_data()
        if diverged is None:
            assert np.all(np.isnan(end_x))
            # the readout's final loss is the chapter's: the whole training set in evaluation mode
            expect = float(nk.losses.binary_cross_entropy_with_logits(Y, net.predict(X)))
            assert run.final == pytest.approx(expect, rel=1e-9)
        else:
            assert list(end_x) == [diverged]
            assert "diverged at step" in explorer.readout.value


@pytest.mark.parametrize("lr, seed", [(0.3, 2), (1.0, 1)])
def test_epoch_means_are_the_chapters(explorer, lr, seed):
    """The thick curves are the per-epoch losses of the chapter's train() (fit called epoch by epoch)."""
    explorer.controls["seed"].value = seed
    explorer.controls["lr"].value = lr
    for bn in (False, True):
        losses, ok, net = chapter_train(bn, lr, seed)
        means = epoch_means(explorer.current[bn])
        assert ok == (explorer.current[bn].diverged is None)
        np.testing.assert_array_equal(means[:len(losses)], losses)
        assert np.all(np.isnan(means[len(losses):]))
        np.testing.assert_array_equal(np.asarray(explorer.means[bn].get_ydata(), float)[:len(losses)], losses)
        # and the readout's final loss is the chapter's final_loss of the same network, to the last bit
        if ok:
            out = net.predict(X)
            assert explorer.current[bn].final == float(nk.losses.binary_cross_entropy_with_logits(Y, out))


def test_high_rate_plain_diverges_while_bn_trains():
    for seed in SEEDS:
        plain, bn = train(False, 3.0, seed), train(True, 3.0, seed)
        assert plain.diverged is not None and plain.final == np.inf
        assert bn.diverged is None and bn.final < 0.05
        assert "diverged" in verdict(plain) and verdict(bn).startswith("final loss")


def test_small_rate_both_train():
    for seed in SEEDS:
        for bn in (False, True):
            run = train(bn, 0.03, seed)
            assert run.diverged is None
            assert run.final < NO_FIT
            # training lowers the loss: the last epoch's mean is well below the first's
            means = epoch_means(run)
            assert means[-1] < 0.6 * means[0]


def test_no_runtime_warning_escapes():
    ex = BNTrainingExplorer(mode="image", lr=10.0, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for lr in (10.0, 5.0, 0.01):
            ex.controls["lr"].value = lr
    assert ex.readout.value


def test_readout_and_description(explorer):
    explorer.controls["seed"].value = 0
    explorer.controls["lr"].value = 2.0
    text = explorer.describe()
    assert "without BN: diverged at step" in text and "with BN: final loss" in text
    assert "Notice" in text and "learning rate 2" in text


def test_the_grid_holds_the_chapters_rates():
    assert {0.03, 0.1, 0.3, 1.0, 3.0, 10.0} <= set(LEARNING_RATES)
    with pytest.raises(ValueError):
        BNTrainingExplorer(mode="image", lr=0.7)
    with pytest.raises(ValueError):
        train(True, -1.0)
