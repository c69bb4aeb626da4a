"""nnkernel.init's PyTorch options: gain, mode, the leaky slope a, PyTorch's nn.Linear default, calculate_gain,
calculate_fans and orthogonal, checked against torch.nn.init (formulas, statistics, structure) and against the
weights the initializers drew before these options existed (bit for bit)."""
import math

import numpy as np
import pytest

import nnkernel as nk

I = nk.init


def np_(w):
    return nk.to_numpy(w)


@pytest.mark.parametrize("fi, fo", [(256, 128), (7, 300), (500, 500)])
def test_defaults_bit_identical(fi, fo):
    # the exact expressions the initializers used before gain / a / mode existed
    old = {
        "xavier_uniform": lambda r: r.uniform(-math.sqrt(6.0 / (fi + fo)), math.sqrt(6.0 / (fi + fo)), (fi, fo)),
        "xavier_normal": lambda r: r.normal(0.0, math.sqrt(2.0 / (fi + fo)), (fi, fo)),
        "he_uniform": lambda r: r.uniform(-math.sqrt(6.0 / fi), math.sqrt(6.0 / fi), (fi, fo)),
        "he_normal": lambda r: r.normal(0.0, math.sqrt(2.0 / fi), (fi, fo)),
    }
    for name, draw in old.items():
        expected = draw(np.random.default_rng(5))
        assert np.array_equal(np_(I.get(name)(fi, fo, seed=5)), expected), name
        assert np.array_equal(np_(I.get(name)(fi, fo, seed=np.random.default_rng(5))), expected), name
    assert np.array_equal(np_(I.xavier_normal(fi, fo, seed=1, gain=1.0)), np_(I.xavier_normal(fi, fo, seed=1)))
    assert np.array_equal(np_(I.he_normal(fi, fo, seed=1, a=0, mode="fan_in")), np_(I.he_normal(fi, fo, seed=1)))


def test_initializers_table_unchanged():
    # the Playground and the chapters list these; the new functions are not in it
    assert list(I.INITIALIZERS) == ["zeros", "constant", "random_normal", "random_uniform", "xavier_uniform",
                                    "xavier_normal", "he_uniform", "he_normal", "lecun_normal"]


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for name in ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "sigmoid", "tanh", "relu", "selu", "leaky_relu"]:
        assert I.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name), rel=1e-15), name
    for slope in [0.0, 0.2, 1.0, math.sqrt(5)]:
        assert I.calculate_gain("leaky_relu", slope) == pytest.approx(
            torch.nn.init.calculate_gain("leaky_relu", slope), rel=1e-15)


@pytest.mark.parametrize("shape", [(100, 30), (30, 100), (16, 3, 3, 3), (8, 4, 5), (2, 6, 3, 4, 5)])
def test_calculate_fans_matches_torch(shape):
    torch = pytest.importorskip("torch")
    assert I.calculate_fans(shape) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def _torch_scales(torch, fi, fo):
    """Our bound/std for each option, and torch's formula for the same option (weight of torch shape (fo, fi))."""
    w = torch.empty(fo, fi)
    init = torch.nn.init
    out = []
    for gain in [1.0, 5 / 3, 0.5]:
        out.append((lambda g=gain: I.xavier_uniform(fi, fo, seed=0, gain=g),
                    gain * math.sqrt(6.0 / (fi + fo)), "bound"))
        out.append((lambda g=gain: I.xavier_normal(fi, fo, seed=0, gain=g),
                    gain * math.sqrt(2.0 / (fi + fo)), "std"))
    for a in [0.0, 0.01, 0.3, math.sqrt(5)]:
        for mode in ["fan_in", "fan_out"]:
            fan = init._calculate_correct_fan(w, mode)
            std = init.calculate_gain("leaky_relu", a) / math.sqrt(fan)
            out.append((lambda a=a, m=mode: I.he_uniform(fi, fo, seed=0, a=a, mode=m), math.sqrt(3.0) * std, "bound"))
            out.append((lambda a=a, m=mode: I.he_normal(fi, fo, seed=0, a=a, mode=m), std, "std"))
    return out


def test_scales_match_torch_formulas():
    torch = pytest.importorskip("torch")
    fi, fo = 300, 70
    for make, expected, kind in _torch_scales(torch, fi, fo):
        # our draws are rng.uniform(-b, b) or rng.normal(0, s): read b or s back from the same generator
        W = np_(make())
        u = np.random.default_rng(0)
        if kind == "bound":
            unit = u.uniform(-1.0, 1.0, (fi, fo))
            # uniform(-b, b) = -b + 2b U, so W / unit is b up to the rounding of that affine map
            b = W.ravel()[np.argmax(np.abs(unit).ravel())] / unit.ravel()[np.argmax(np.abs(unit).ravel())]
            assert b == pytest.approx(expected, rel=1e-12)
        else:
            s = W[0, 0] / u.normal(0.0, 1.0, (fi, fo))[0, 0]
            assert s == pytest.approx(expected, rel=1e-12)


def test_pytorch_linear_default():
    torch = pytest.importorskip("torch")
    fi, fo = 400, 90
    W = np_(I.pytorch_linear_default(fi, fo, seed=0))
    assert np.array_equal(W, np_(I.he_uniform(fi, fo, seed=0, a=math.sqrt(5))))
    assert np.abs(W).max() <= 1 / math.sqrt(fi)
    assert np.abs(W).max() == pytest.approx(1 / math.sqrt(fi), rel=1e-3)
    lin = torch.nn.Linear(fi, fo, dtype=torch.float64).requires_grad_(False)  # its default init
    bound_torch = torch.nn.init.calculate_gain("leaky_relu", math.sqrt(5)) * math.sqrt(3.0 / fi)
    assert bound_torch == pytest.approx(1 / math.sqrt(fi), rel=1e-14)
    assert float(lin.weight.abs().max()) <= bound_torch
    # variances 1/(3 fan_in) within sampling error (Var of U^2 terms: b^4 (1/5 - 1/9) per entry)
    target, n = 1 / (3 * fi), W.size
    se = math.sqrt((1 / 5 - 1 / 9) / n) / fi
    assert abs(W.var() - target) < 5 * se
    assert abs(float(lin.weight.var()) - target) < 5 * se


@pytest.mark.parametrize("fi, fo", [(400, 400), (200, 300)])
def test_empirical_variances(fi, fo):
    n = fi * fo
    for W, v in [(I.he_normal(fi, fo, seed=2, mode="fan_out"), 2 / fo),
                 (I.he_normal(fi, fo, seed=2, a=0.5), 2 / (1.25 * fi)),
                 (I.xavier_normal(fi, fo, seed=3, gain=5 / 3), 25 / 9 * 2 / (fi + fo)),
                 (I.xavier_uniform(fi, fo, seed=4, gain=2.0), 4 * 2 / (fi + fo)),
                 (I.he_uniform(fi, fo, seed=4, mode="fan_out"), 2 / fo)]:
        W = np_(W)
        # normal: Var of the sample variance ~ 2 v^2 / n; uniform is smaller (0.8 v^2 / n)
        assert abs(W.var() - v) < 5 * math.sqrt(2 / n) * v


@pytest.mark.parametrize("fi, fo", [(64, 64), (100, 30), (30, 100), (1, 5), (5, 1)])
@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_orthogonal_structure(fi, fo, gain):
    W = np_(I.orthogonal(fi, fo, seed=0, gain=gain))
    assert W.shape == (fi, fo)
    G = W.T @ W if fi >= fo else W @ W.T
    assert np.abs(G - gain**2 * np.eye(min(fi, fo))).max() < 1e-12
    assert np.allclose(np.linalg.svd(W, compute_uv=False), gain, rtol=0, atol=1e-12)


def test_orthogonal_matches_torch_algorithm_and_statistics():
    torch = pytest.importorskip("torch")
    fi, fo = 50, 20
    # torch's algorithm on our Gaussian draw gives our matrix (torch's weight is (out, in) = W^T)
    g = np.random.default_rng(0).normal(0.0, 1.0, (fi, fo))
    t = torch.tensor(g.T.copy())
    # torch's orthogonal_ for rows < cols transposes, QRs, fixes signs, transposes back
    q, r = torch.linalg.qr(t.T)
    q = q * torch.sign(torch.diagonal(r))
    assert np.abs(q.numpy() - np_(I.orthogonal(fi, fo, seed=0))).max() < 1e-12
    # statistics against torch's own draws: every entry has variance 1/max(fi, fo); rows/cols orthonormal
    torch.manual_seed(0)
    tw = torch.empty(fo, fi, dtype=torch.float64)
    draws_t = np.concatenate([torch.nn.init.orthogonal_(tw).numpy().ravel().copy() for _ in range(200)])
    draws_n = np.concatenate([np_(I.orthogonal(fi, fo, seed=s)).ravel() for s in range(200)])
    for d in (draws_t, draws_n):
        assert abs(d.var() - 1 / fi) < 5 * math.sqrt(2 / d.size) / fi
        assert abs(d.mean()) < 5 / math.sqrt(d.size * fi)
    tw = torch.nn.init.orthogonal_(tw, gain=2.0).numpy()
    assert np.abs(tw @ tw.T - 4 * np.eye(fo)).max() < 1e-12


def test_orthogonal_sign_fix_makes_it_haar():
    # without the sign fix diag(R) > 0 would not hold for Q^T A; with it, Q^T A = R has a positive diagonal,
    # and the first entry's distribution is symmetric
    firsts = np.array([np_(I.orthogonal(8, 8, seed=s))[0, 0] for s in range(2000)])
    assert abs(firsts.mean()) < 5 * math.sqrt(1 / 8 / 2000)
    A = np.random.default_rng(3).normal(size=(8, 8))
    Q = np_(I.orthogonal(8, 8, seed=3))
    assert np.all(np.diag(Q.T @ A) > 0)


def test_validation():
    with pytest.raises(ValueError, match="mode"):
        I.he_normal(3, 4, mode="fan_avg")
    with pytest.raises(TypeError, match="mode"):
        I.he_uniform(3, 4, mode=1)
    with pytest.raises(ValueError, match="gain"):
        I.xavier_normal(3, 4, gain=0.0)
    with pytest.raises(ValueError, match="gain"):
        I.orthogonal(3, 4, gain=float("nan"))
    with pytest.raises(ValueError, match="a must"):
        I.he_normal(3, 4, a=float("inf"))
    with pytest.raises(ValueError, match="nonlinearity"):
        I.calculate_gain("gelu")
    with pytest.raises(ValueError, match="at least 2"):
        I.calculate_fans((3,))
    with pytest.raises(ValueError, match="shape entry"):
        I.calculate_fans((3, 0, 2))
    with pytest.raises(TypeError, match="shape"):
        I.calculate_fans("33")
    with pytest.raises(ValueError, match="fan_in"):
        I.orthogonal(0, 4)
