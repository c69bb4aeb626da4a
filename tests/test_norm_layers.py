"""BatchNorm's cumulative average and axes, LayerNorm, RMSNorm and GroupNorm: against PyTorch, finite differences,
and the old BatchNorm bit for bit."""
import importlib.util

import numpy as np
import pytest

import nnkernel as nk
from nnkernel.layers import BatchNorm, GroupNorm, LayerNorm, RMSNorm


def _old_batchnorm():
    """The BatchNorm of the commit before axes and momentum=None (kept here to check bit-identity)."""
    import pathlib
    import subprocess

    root = pathlib.Path(__file__).resolve().parents[1]
    try:
        src = subprocess.run(["git", "show", "60c9dd8:nnkernel/layers.py"], cwd=root, capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("the old nnkernel/layers.py is not available from git")
    path = root / "nnkernel" / "_old_layers_for_test.py"
    spec = importlib.util.spec_from_loader("nnkernel._old_layers_for_test", loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "nnkernel"
    exec(compile(src, str(path), "exec"), module.__dict__)
    return module.BatchNorm


# ----------------------------------------------------------------------------- default behaviour unchanged
@pytest.mark.parametrize("momentum", [0.1, 0.5, 1.0])
def test_default_batchnorm_bit_identical_to_old(momentum):
    Old = _old_batchnorm()
    rng = np.random.default_rng(0)
    new, old = BatchNorm(5, momentum=momentum), Old(5, momentum=momentum)
    for step in range(6):
        x = rng.normal(2.0, 3.0, size=(7 + step, 5))
        g = rng.normal(size=x.shape)
        training = step != 3
        a, b = new.forward(x, training=training), old.forward(x, training=training)
        assert np.array_equal(a, b)
        assert np.array_equal(new.backward(g), old.backward(g))
        for k in ("gamma", "beta"):
            assert np.array_equal(new.grads[k], old.grads[k])
        assert np.array_equal(new.running_mean, old.running_mean)
        assert np.array_equal(new.running_var, old.running_var)
    assert new.num_batches_tracked == 5


# ----------------------------------------------------------------------------- input checks
def test_bad_arguments_and_shapes():
    with pytest.raises(ValueError, match="axes must include the batch axis 0"):
        BatchNorm(3, axes=(1,))
    with pytest.raises(ValueError, match="more than one feature axis"):
        BatchNorm(3, axes=(0, 3))
    with pytest.raises(ValueError, match="distinct"):
        BatchNorm(3, axes=(0, 0))
    with pytest.raises(TypeError, match="axes"):
        BatchNorm(3, axes="0")
    with pytest.raises(ValueError, match=r"expected \(N, 3, d2, d3\)"):
        BatchNorm(3, axes=(0, 2, 3)).forward(np.zeros((2, 4, 2, 2)))
    with pytest.raises(ValueError, match=r"expected \(N, 3\)"):
        BatchNorm(3).forward(np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match="at least 2 values per feature"):
        BatchNorm(3, axes=(0, 2, 3)).forward(np.zeros((1, 3, 1, 1)))
    BatchNorm(3, axes=(0, 2, 3)).forward(np.ones((1, 3, 2, 1)))  # one image, two pixels: fine
    with pytest.raises(ValueError, match="at least 2 examples, got 1"):  # the message of before
        BatchNorm(3).forward(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(3, momentum=1.5)
    with pytest.raises(ValueError, match=r"expected \(\.\.\., 4\)"):
        LayerNorm(4).forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"expected \(\.\.\., 2, 3\)"):
        RMSNorm((2, 3)).forward(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match="normalized_shape"):
        LayerNorm(0)
    with pytest.raises(ValueError, match="normalized_shape must not be empty"):
        LayerNorm(())
    with pytest.raises(ValueError, match="eps"):
        LayerNorm(3, eps=0.0)
    with pytest.raises(ValueError, match="eps"):
        RMSNorm(3, eps=-1.0)
    with pytest.raises(ValueError, match="divisible"):
        GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r"expected \(N, 6, \.\.\.\)"):
        GroupNorm(3, 6).forward(np.zeros((2, 4, 3)))
    with pytest.raises(RuntimeError, match="forward before backward"):
        LayerNorm(3).backward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="grad_out has shape"):
        ln = LayerNorm(3)
        ln.forward(np.zeros((2, 3)))
        ln.backward(np.zeros((3, 3)))


# ----------------------------------------------------------------------------- finite differences
def _fd_check(layer, x, training=True, h=1e-6):
    rng = np.random.default_rng(1)
    w = rng.normal(size=layer.forward(x, training=training).shape)

    def loss(v, key=None):
        if key is not None:
            saved = layer.params[key]
            layer.params[key] = v
        out = float(np.sum(w * layer.forward(x if key is not None else v, training=training)))
        if key is not None:
            layer.params[key] = saved
        return out

    layer.forward(x, training=training)
    gx = layer.backward(w)
    grads = {k: np.array(v) for k, v in layer.grads.items()}
    num = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        num[i] = (loss(x + e) - loss(x - e)) / (2 * h)
    np.testing.assert_allclose(gx, num, rtol=1e-6, atol=1e-8)
    for k, p in layer.params.items():
        p = np.array(p)
        nump = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            e = np.zeros_like(p)
            e[i] = h
            nump[i] = (loss(p + e, k) - loss(p - e, k)) / (2 * h)
        np.testing.assert_allclose(grads[k], nump, rtol=1e-6, atol=1e-8)


def _with_random_params(layer, seed=3):
    rng = np.random.default_rng(seed)
    for k, p in layer.params.items():
        layer.params[k] = rng.normal(1.0 if k == "gamma" else 0.0, 0.5, size=np.shape(p))
    return layer


@pytest.mark.parametrize("make, shape", [
    (lambda: BatchNorm(3, axes=(0, 2, 3)), (2, 3, 2, 3)),
    (lambda: BatchNorm(3, axes=(0, 2)), (3, 3, 4)),
    (lambda: BatchNorm(4, axes=(0, 1)), (2, 3, 4)),
    (lambda: LayerNorm(5), (4, 5)),
    (lambda: LayerNorm((2, 3)), (3, 2, 3)),
    (lambda: LayerNorm(4, bias=False), (3, 4)),
    (lambda: RMSNorm(5), (4, 5)),
    (lambda: RMSNorm((2, 3), eps=1e-3), (3, 2, 3)),
    (lambda: GroupNorm(2, 4), (3, 4, 3)),
    (lambda: GroupNorm(3, 6, affine=False), (2, 6)),
    (lambda: GroupNorm(1, 2), (2, 2, 2, 2)),
])
def test_finite_differences(make, shape):
    x = np.random.default_rng(2).normal(0.5, 2.0, size=shape)
    _fd_check(_with_random_params(make()), x)


def test_batchnorm_axes_eval_finite_differences():
    layer = _with_random_params(BatchNorm(3, axes=(0, 2, 3)))
    rng = np.random.default_rng(4)
    layer.forward(rng.normal(size=(4, 3, 2, 2)))
    _fd_check(layer, rng.normal(size=(2, 3, 2, 2)), training=False)


# ----------------------------------------------------------------------------- cumulative average
def test_momentum_none_is_the_plain_average_of_batch_statistics():
    rng = np.random.default_rng(5)
    layer = BatchNorm(2, momentum=None)
    batches = [rng.normal(3.0, 2.0, size=(6, 2)) for _ in range(50)]
    for b in batches:
        layer.forward(b)
    assert layer.num_batches_tracked == 50
    np.testing.assert_allclose(layer.running_mean, np.mean([b.mean(0) for b in batches], axis=0), rtol=1e-13)
    np.testing.assert_allclose(layer.running_var, np.mean([b.var(0, ddof=1) for b in batches], axis=0),
                               rtol=1e-13)
    layer.forward(batches[0], training=False)  # evaluation does not count
    assert layer.num_batches_tracked == 50


# ----------------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("momentum", [None, 0.1, 0.3])
@pytest.mark.parametrize("axes, shape", [((0,), (6, 3)), ((0, 2), (4, 3, 5)), ((0, 2, 3), (3, 3, 2, 4))])
def test_batchnorm_matches_torch(momentum, axes, shape):
    torch = pytest.importorskip("torch")
    cls = {1: torch.nn.BatchNorm1d, 2: torch.nn.BatchNorm1d, 3: torch.nn.BatchNorm2d}[len(axes)]
    ref = cls(3, momentum=momentum, dtype=torch.float64)
    ours = _with_random_params(BatchNorm(3, momentum=momentum, axes=axes))
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(ours.params["gamma"]))
        ref.bias.copy_(torch.tensor(ours.params["beta"]))
    rng = np.random.default_rng(6)
    for step in range(8):
        x = rng.normal(1.0, 2.0, size=shape)
        g = rng.normal(size=shape)
        training = step != 5
        ref.train(training)
        tx = torch.tensor(x, requires_grad=True)
        ty = ref(tx)
        ty.backward(torch.tensor(g))
        y = ours.forward(x, training=training)
        gx = ours.backward(g)
        np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(ours.grads["gamma"], ref.weight.grad.numpy(), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(ours.grads["beta"], ref.bias.grad.numpy(), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(ours.running_mean, ref.running_mean.numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ours.running_var, ref.running_var.numpy(), rtol=1e-12)
        assert ours.num_batches_tracked == int(ref.num_batches_tracked)
        ref.weight.grad = ref.bias.grad = None


def _against_torch(ours, ref, x, g):
    torch = pytest.importorskip("torch")
    tx = torch.tensor(x, requires_grad=True)
    ty = ref(tx)
    ty.backward(torch.tensor(g))
    y = ours.forward(x)
    gx = ours.backward(g)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    named = dict(ref.named_parameters())
    for ours_name, torch_name in (("gamma", "weight"), ("beta", "bias")):
        if ours_name in ours.params:
            np.testing.assert_allclose(ours.grads[ours_name], named[torch_name].grad.numpy(), rtol=1e-10,
                                       atol=1e-12)
        else:
            assert named.get(torch_name) is None


def _copy_params(ours, ref):
    torch = pytest.importorskip("torch")
    with torch.no_grad():
        for ours_name, torch_name in (("gamma", "weight"), ("beta", "bias")):
            if ours_name in ours.params:
                getattr(ref, torch_name).copy_(torch.tensor(np.asarray(ours.params[ours_name])))


@pytest.mark.parametrize("normalized_shape, shape, kw", [
    (5, (4, 5), {}), ((2, 3), (3, 2, 3), {}), (4, (2, 3, 4), {"eps": 1e-3}), (4, (3, 4), {"bias": False}),
    (4, (3, 4), {"elementwise_affine": False}), (6, (1, 6), {}),
])
def test_layernorm_matches_torch(normalized_shape, shape, kw):
    torch = pytest.importorskip("torch")
    ours = _with_random_params(LayerNorm(normalized_shape, **kw))
    ref = torch.nn.LayerNorm(normalized_shape, dtype=torch.float64, **kw)
    _copy_params(ours, ref)
    rng = np.random.default_rng(7)
    _against_torch(ours, ref, rng.normal(1.0, 3.0, size=shape), rng.normal(size=shape))


@pytest.mark.parametrize("normalized_shape, shape, kw", [
    (5, (4, 5), {}), ((2, 3), (3, 2, 3), {}), (4, (2, 3, 4), {"eps": 1e-3}),
    (4, (3, 4), {"elementwise_affine": False}), (6, (1, 6), {}),
])
def test_rmsnorm_matches_torch(normalized_shape, shape, kw):
    torch = pytest.importorskip("torch")
    ours = _with_random_params(RMSNorm(normalized_shape, **kw))
    ref = torch.nn.RMSNorm(normalized_shape, dtype=torch.float64, **kw)
    _copy_params(ours, ref)
    rng = np.random.default_rng(8)
    _against_torch(ours, ref, rng.normal(1.0, 3.0, size=shape), rng.normal(size=shape))


def test_rmsnorm_default_eps_is_the_dtype_epsilon_as_in_torch():
    torch = pytest.importorskip("torch")
    assert torch.nn.RMSNorm(3).eps is None and RMSNorm(3).eps is None
    # tiny inputs: the result depends on eps, so a wrong default shows
    x = np.full((2, 3), 1e-8)
    y = RMSNorm(3, elementwise_affine=False).forward(x)
    ty = torch.nn.functional.rms_norm(torch.tensor(x), (3,))
    np.testing.assert_allclose(y, ty.numpy(), rtol=1e-12)
    expected = 1e-8 / np.sqrt(1e-16 + np.finfo(np.float64).eps)
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    x32 = np.full((2, 3), 1e-4, dtype=np.float32)
    y32 = RMSNorm(3, elementwise_affine=False).forward(x32)
    ty32 = torch.nn.functional.rms_norm(torch.tensor(x32), (3,))
    np.testing.assert_allclose(y32, ty32.numpy(), rtol=1e-5)
    assert abs(float(y32[0, 0]) - 1e-4 / np.sqrt(1e-8 + np.finfo(np.float32).eps)) < 1e-3


@pytest.mark.parametrize("groups, channels, shape, kw", [
    (2, 4, (3, 4, 5), {}), (1, 3, (2, 3, 2, 2), {}), (3, 3, (2, 3, 4), {"eps": 1e-3}), (2, 6, (2, 6), {}),
    (2, 4, (2, 4, 3), {"affine": False}),
])
def test_groupnorm_matches_torch(groups, channels, shape, kw):
    torch = pytest.importorskip("torch")
    ours = _with_random_params(GroupNorm(groups, channels, **kw))
    ref = torch.nn.GroupNorm(groups, channels, dtype=torch.float64, **kw)
    _copy_params(ours, ref)
    rng = np.random.default_rng(9)
    _against_torch(ours, ref, rng.normal(1.0, 3.0, size=shape), rng.normal(size=shape))


def test_layernorm_and_groupnorm_agree_where_they_should():
    x = np.random.default_rng(10).normal(size=(3, 4, 5))
    ln = LayerNorm((4, 5)).forward(x)
    gn = GroupNorm(1, 4).forward(x)
    np.testing.assert_allclose(gn, ln, rtol=1e-12, atol=1e-14)
    # batch norm with axes over everything but the features of a transposed input: layer norm
    bn = BatchNorm(3, axes=(0,)).forward(x.reshape(3, 20).T.copy())
    np.testing.assert_allclose(bn.T, LayerNorm(20).forward(x.reshape(3, 20)), rtol=1e-12, atol=1e-14)


def test_in_a_sequential_model():
    model = nk.models.Sequential([nk.layers.Dense(3, 4, seed=0), LayerNorm(4), nk.layers.Activation("relu"),
                                  nk.layers.Dense(4, 4, seed=1), RMSNorm(4), nk.layers.Dense(4, 1, seed=2)])
    x = np.random.default_rng(11).normal(size=(1, 3))
    out = model.forward(x)
    model.backward(np.ones_like(out))
    assert all(g is not None for g in model.grads)
