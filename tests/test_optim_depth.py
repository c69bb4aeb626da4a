"""AdamW, AMSGrad and the learning-rate schedules of nnkernel.optim, against PyTorch and by hand."""
import math

import numpy as np
import pytest

import nnkernel as nk

O = nk.optim


def _quadratic_grads(seed, steps, shape=(3, 4)):
    """A fixed sequence of gradients of varying sign and size (the updates must not depend on the loss)."""
    g = np.random.default_rng(seed)
    scales = np.exp(g.normal(size=(steps,) + (1,) * len(shape)))
    return g.normal(size=(steps, *shape)) * scales


def _run_ours(opt, p0, grads, lr_seq=None):
    p = p0.copy()
    out = []
    for t, g in enumerate(grads):
        if lr_seq is not None:
            opt.lr = lr_seq[t]
        opt.step([p], [g + 0.3 * p])  # a gradient that depends on p, as in training
        out.append(p.copy())
    return np.array(out)


def _run_torch(torch, opt_cls, p0, grads, **kw):
    p = torch.tensor(p0.copy(), dtype=torch.float64, requires_grad=True)
    opt = opt_cls([p], **kw)
    out = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64) + 0.3 * p.detach()
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


def _torch_betas(kw):
    """Our beta1/beta2 keywords as torch's betas=(beta1, beta2), with torch's defaults."""
    tkw = {k: v for k, v in kw.items() if k not in ("beta1", "beta2")}
    tkw["betas"] = (kw.get("beta1", 0.9), kw.get("beta2", 0.999))
    return tkw


@pytest.mark.parametrize("kw", [
    dict(lr=0.01),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.02, beta1=0.5, beta2=0.9, eps=1e-6, weight_decay=0.3),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.03, beta1=0.0, beta2=0.99, weight_decay=0.05, amsgrad=True),
])
def test_adamw_matches_torch(kw):
    torch = pytest.importorskip("torch")
    p0 = np.random.default_rng(1).normal(size=(3, 4))
    grads = _quadratic_grads(2, 40)
    ours = _run_ours(O.AdamW(**kw), p0, grads)
    theirs = _run_torch(torch, torch.optim.AdamW, p0, grads, **_torch_betas(kw))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kw", [
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.05, beta1=0.0, beta2=0.99, weight_decay=0.1, amsgrad=True),
    dict(lr=0.02, beta2=0.9, amsgrad=True),
])
def test_amsgrad_matches_torch(kw):
    torch = pytest.importorskip("torch")
    p0 = np.random.default_rng(3).normal(size=(3, 4))
    grads = _quadratic_grads(4, 40)
    ours = _run_ours(O.Adam(**kw), p0, grads)
    theirs = _run_torch(torch, torch.optim.Adam, p0, grads, **_torch_betas(kw))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_adam_defaults_unchanged_and_amsgrad_differs():
    p0 = np.random.default_rng(5).normal(size=(3, 4))
    grads = _quadratic_grads(6, 30)
    a = _run_ours(O.Adam(lr=0.01), p0, grads)
    b = _run_ours(O.Adam(lr=0.01, amsgrad=False), p0, grads)
    np.testing.assert_array_equal(a, b)
    # Adam's default path, written out: bit for bit the same operations as before amsgrad existed
    p, m, v = p0.copy(), None, None
    for t, g in enumerate(grads, 1):
        g = g + 0.3 * p
        m = (1 - 0.9) * g if m is None else 0.9 * m + (1 - 0.9) * g
        v = (1 - 0.999) * g * g if v is None else 0.999 * v + (1 - 0.999) * g * g
        p -= (0.01 / (1 - 0.9 ** t)) * m / (np.sqrt(v) / (1 - 0.999 ** t) ** 0.5 + 1e-8)
    np.testing.assert_array_equal(a[-1], p)
    c = _run_ours(O.Adam(lr=0.01, amsgrad=True), p0, grads)
    assert np.abs(a - c).max() > 1e-6  # vmax > v once the gradients shrink
    assert len(O.Adam(amsgrad=True).state) == 0


def test_adamw_with_zero_decay_is_adam_and_decay_is_decoupled():
    p0 = np.random.default_rng(7).normal(size=(5,))
    grads = _quadratic_grads(8, 25, shape=(5,))
    np.testing.assert_array_equal(_run_ours(O.AdamW(lr=0.01, weight_decay=0.0), p0, grads),
                                  _run_ours(O.Adam(lr=0.01), p0, grads))
    # with a zero gradient Adam's moments stay 0 and the step is 0: only the decay acts
    p = p0.copy()
    opt = O.AdamW(lr=0.1, weight_decay=0.5)
    for _ in range(10):
        opt.step([p], [np.zeros(5)])
    np.testing.assert_allclose(p, p0 * (1 - 0.05) ** 10, rtol=1e-14)
    assert O.AdamW().weight_decay == 0.01


def test_amsgrad_state_is_the_running_max():
    opt = O.Adam(lr=0.01, amsgrad=True)
    p = np.zeros(2)
    seq = [np.array([3.0, 0.1]), np.array([0.1, 2.0]), np.array([0.0, 0.0])]
    vmax = np.zeros(2)
    v = np.zeros(2)
    for g in seq:
        opt.step([p], [g])
        v = 0.999 * v + 0.001 * g * g
        vmax = np.maximum(vmax, v)
    np.testing.assert_allclose(opt.state[0][2], vmax, rtol=1e-15)


def test_bad_arguments():
    with pytest.raises(TypeError, match="amsgrad must be True or False"):
        O.Adam(amsgrad=1)
    with pytest.raises(ValueError, match="AdamW: weight_decay"):
        O.AdamW(weight_decay=-1.0)
    with pytest.raises(TypeError, match="optimizer must be an nnkernel optimizer"):
        O.StepLR("sgd", 3)
    with pytest.raises(ValueError, match="step_size must be an integer >= 1"):
        O.StepLR(O.SGD(), 0)
    with pytest.raises(ValueError, match="T_max must be an integer >= 1"):
        O.CosineAnnealingLR(O.SGD(), 2.5)
    with pytest.raises(ValueError, match="cycle_momentum=True needs"):
        O.OneCycleLR(O.Adagrad(), 1.0, 100)
    with pytest.raises(ValueError, match="past total_steps"):
        O.OneCycleLR(O.SGD(), 1.0, 10).lr_at(11)
    with pytest.raises(ValueError, match="t must be an integer >= 0"):
        O.ExponentialLR(O.SGD(), 0.9).lr_at(-1)


# ----------------------------------------------------------------------------- schedules
SCHEDULE_CASES = [
    ("StepLR", dict(step_size=7, gamma=0.5), {}),
    ("ExponentialLR", dict(gamma=0.97), {}),
    ("CosineAnnealingLR", dict(T_max=60, eta_min=0.001), {}),
    ("CosineAnnealingLR", dict(T_max=150), {}),
    ("LinearLR", dict(), {}),
    ("LinearLR", dict(start_factor=0.01, end_factor=1.0, total_iters=30), {}),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.1, total_iters=40), {}),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=120), {}),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=120, cycle_momentum=False), {}),
    ("OneCycleLR", dict(max_lr=2.0, total_steps=101, pct_start=0.25, div_factor=10.0,
                        final_div_factor=100.0), {}),
]


@pytest.mark.parametrize("name,kw,_", SCHEDULE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(SCHEDULE_CASES)])
@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_schedule_matches_torch(name, kw, _, opt_name):
    torch = pytest.importorskip("torch")
    steps = kw.get("total_steps", 120)
    ours_opt = O.SGD(lr=0.1, momentum=0.9) if opt_name == "sgd" else O.Adam(lr=0.1)
    p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    t_opt = (torch.optim.SGD([p], lr=0.1, momentum=0.9) if opt_name == "sgd"
             else torch.optim.Adam([p], lr=0.1))
    ours = getattr(O, name)(ours_opt, **kw)
    theirs = getattr(torch.optim.lr_scheduler, name)(t_opt, **kw)
    lr_o, lr_t, mom_o, mom_t = [], [], [], []
    for t in range(steps):
        lr_o.append(ours_opt.lr)
        lr_t.append(t_opt.param_groups[0]["lr"])
        mom_o.append(ours_opt.momentum if opt_name == "sgd" else ours_opt.beta1)
        grp = t_opt.param_groups[0]
        mom_t.append(grp["momentum"] if opt_name == "sgd" else grp["betas"][0])
        assert ours.lr_at(t) == ours_opt.lr
        t_opt.step()
        theirs.step()
        ours.step()
    np.testing.assert_allclose(lr_o, lr_t, rtol=1e-12, atol=0)
    np.testing.assert_allclose(mom_o, mom_t, rtol=1e-12, atol=0)
    assert len(lr_o) >= 100


def test_schedule_closed_forms_by_hand():
    sgd = O.SGD(lr=0.2)
    assert O.StepLR(sgd, 10, 0.5).rates(25)[[0, 9, 10, 19, 20]].tolist() == [0.2, 0.2, 0.1, 0.1, 0.05]
    sgd = O.SGD(lr=0.2)
    cos = O.CosineAnnealingLR(sgd, 40, eta_min=0.01)
    assert cos.lr_at(0) == 0.2 and abs(cos.lr_at(40) - 0.01) < 1e-16 and abs(cos.lr_at(20) - 0.105) < 1e-15
    sgd = O.SGD(lr=0.2)
    lin = O.LinearLR(sgd, 0.1, 1.0, 10)
    np.testing.assert_allclose(lin.rates(15), 0.2 * np.r_[np.linspace(0.1, 1.0, 11), np.ones(4)], rtol=1e-14)
    one = O.OneCycleLR(O.SGD(lr=0.1, momentum=0.9), max_lr=1.0, total_steps=100)
    r = one.rates(100)
    k = int(np.argmax(r))
    assert k == 29 and r[k] == 1.0 and math.isclose(r[0], 1.0 / 25, rel_tol=1e-14)
    assert math.isclose(r[-1], 1.0 / 25 / 1e4, rel_tol=1e-12)
    assert one.momentum_at(29) == 0.85 and one.momentum_at(0) == 0.95


def test_schedule_sets_the_rate_the_optimizer_uses():
    sgd = O.SGD(lr=1.0)
    sched = O.ExponentialLR(sgd, 0.5)
    w = np.array([0.0])
    for _ in range(4):
        sgd.step([w], [np.array([1.0])])
        sched.step()
    assert w[0] == -(1 + 0.5 + 0.25 + 0.125)
    assert sched.base_lr == 1.0 and sched.last_lr == 0.0625
