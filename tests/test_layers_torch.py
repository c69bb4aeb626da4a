"""Backprop through Dense, Activation and BatchNorm stacks against PyTorch autograd (float64)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

import nnkernel as nk  # noqa: E402
from nnkernel.layers import Activation, BatchNorm, Dense  # noqa: E402
from nnkernel.models import Sequential  # noqa: E402

TORCH_ACT = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "elu": F.elu, "selu": F.selu,
             "gelu": F.gelu, "softplus": lambda t: torch.logaddexp(t, torch.zeros_like(t))}


@pytest.mark.parametrize("act", sorted(TORCH_ACT))
@pytest.mark.parametrize("training", [True, False])
def test_stack_matches_autograd(act, training):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(16, 6))
    y = rng.normal(size=(16, 2))
    model = Sequential([Dense(6, 10, seed=1), BatchNorm(10, momentum=0.2), Activation(act), Dense(10, 8, seed=2),
                        Activation(act), BatchNorm(8), Dense(8, 2, init="xavier_uniform", seed=3)])
    if not training:  # give the running statistics something to hold
        model.forward(rng.normal(1.0, 2.0, size=(32, 6)))
    tparams = [torch.tensor(np.asarray(p), requires_grad=True) for p in model.params]
    bns = [l for l in model.layers if isinstance(l, BatchNorm)]
    running = [(torch.tensor(np.asarray(b.running_mean)), torch.tensor(np.asarray(b.running_var))) for b in bns]

    out = model.forward(X, training=training)
    grad_x = model.backward(nk.losses.mse_grad(y, out))

    tx = torch.tensor(X, requires_grad=True)
    h, i, k = tx, 0, 0
    for layer in model.layers:
        if isinstance(layer, Dense):
            h = h @ tparams[i] + tparams[i + 1]
            i += 2
        elif isinstance(layer, BatchNorm):
            rm, rv = running[k]
            h = F.batch_norm(h, rm, rv, tparams[i], tparams[i + 1], training=training, momentum=layer.momentum,
                             eps=layer.eps)
            i, k = i + 2, k + 1
        else:
            h = TORCH_ACT[act](h)
    loss = F.mse_loss(h, torch.tensor(y))
    loss.backward()
    np.testing.assert_allclose(out, h.detach().numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(grad_x, tx.grad.numpy(), rtol=1e-10, atol=1e-14)
    for g, tp in zip(model.grads, tparams):
        np.testing.assert_allclose(g, tp.grad.numpy(), rtol=1e-10, atol=1e-14)
    for b, (rm, rv) in zip(bns, running):
        np.testing.assert_allclose(b.running_mean, rm.numpy(), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(b.running_var, rv.numpy(), rtol=1e-13)


def test_initializer_formulas_match_torch_init():
    # same distribution family and scale as torch.nn.init (weights transposed: ours are (fan_in, fan_out))
    W = torch.empty(300, 400, dtype=torch.float64)
    torch.manual_seed(0)
    torch.nn.init.kaiming_normal_(W, nonlinearity="relu")
    ours = nk.to_numpy(nk.init.he_normal(400, 300, seed=0))
    assert abs(W.numpy().std() / ours.std() - 1) < 0.02
    torch.nn.init.xavier_uniform_(W)
    ours = nk.to_numpy(nk.init.xavier_uniform(400, 300, seed=0))
    assert abs(W.numpy().max() / ours.max() - 1) < 0.01


def test_sgd_trajectory_matches_torch():
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=(3, 2))
    grads = [rng.normal(size=(3, 2)) for _ in range(5)]
    for momentum, nesterov in [(0.0, False), (0.9, False), (0.9, True)]:
        p = p0.copy()
        opt = nk.optim.SGD(lr=0.05, momentum=momentum, nesterov=nesterov)
        tp = torch.tensor(p0.copy(), requires_grad=True)
        topt = torch.optim.SGD([tp], lr=0.05, momentum=momentum, nesterov=nesterov)
        for g in grads:
            opt.step([p], [g])
            tp.grad = torch.tensor(g)
            topt.step()
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name,ours,theirs", [
    ("adagrad", lambda: nk.optim.Adagrad(lr=0.05, eps=1e-10), lambda p: torch.optim.Adagrad(p, lr=0.05, eps=1e-10)),
    ("rmsprop", lambda: nk.optim.RMSProp(lr=0.01, beta=0.9, eps=1e-8),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8)),
    ("adam", lambda: nk.optim.Adam(lr=0.01, beta1=0.8, beta2=0.95, eps=1e-8),
     lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.95), eps=1e-8)),
])
def test_adaptive_optimizer_trajectories_match_torch(name, ours, theirs):
    rng = np.random.default_rng(5)
    p0 = rng.normal(size=(4, 3))
    grads = [rng.normal(size=(4, 3)) * 10 ** rng.uniform(-3, 1) for _ in range(50)]
    p = p0.copy()
    opt = ours()
    tp = torch.tensor(p0.copy(), requires_grad=True)
    topt = theirs([tp])
    for g in grads:
        opt.step([p], [g])
        tp.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-13, atol=1e-15)
