"""Gradient checking by central finite differences.

The central difference (f(x + h e_i) - f(x - h e_i)) / (2 h) approximates the
partial derivative df/dx_i with an error of order h^2, so in float64 with
h ~ 1e-6 it agrees with a correct analytic gradient to about 1e-8 or better.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import backend
from ._common import check_bool, check_callable, check_float, prepare


def _check_h(h, who):
    return check_float("h", h, 0.0, low_open=True, where=f"{who}: ")


def _check_x(x, who):
    """x as a float64 host array of finite real numbers (a NaN there would make every difference NaN)."""
    xp, (a,) = prepare(x, names=("x",), where=f"{who}: ")
    if a.ndim > 0 and any(int(s) == 0 for s in a.shape):  # nothing would be checked, yet it would "pass"
        raise ValueError(f"{who}: x is empty (shape {tuple(a.shape)}); it needs at least one element")
    if not bool(xp.all(xp.isfinite(a))):
        raise ValueError(f"{who}: x contains NaN or infinite values; it must hold finite real numbers")
    return np.asarray(backend.to_numpy(a), dtype=np.float64)


@dataclass(frozen=True)
class GradcheckResult:
    """The outcome of comparing an analytic gradient with finite differences."""

    max_abs_error: float
    max_rel_error: float
    ok: bool
    atol: float = 1e-7
    rtol: float = 1e-5

    def __bool__(self):
        return self.ok

    def __str__(self):
        """The verdict against the tolerance, which prints the same on every CPU (the error's digits do not)."""
        tol = f"|analytic - numeric| <= {self.atol:.0e} + {self.rtol:.0e} |numeric|"
        if self.ok:
            return f"passes ({tol} everywhere)"
        return f"FAILS (max error {self.max_abs_error:.2g}; needs {tol})"

    def __format__(self, spec):
        return format(str(self), spec)


def numerical_gradient(f, x, h=1e-6):
    """Central-difference gradient of a scalar function ``f`` at ``x`` (one pair of calls per element)."""
    check_callable("f", f, where="numerical_gradient: ")
    h = _check_h(h, "numerical_gradient")
    x0 = np.array(_check_x(x, "numerical_gradient"), dtype=np.float64)
    grad = np.zeros_like(x0)
    flat, gflat = x0.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + h
        up = float(backend.to_numpy(f(backend.asarray(x0.copy()))))
        flat[i] = orig - h
        down = float(backend.to_numpy(f(backend.asarray(x0.copy()))))
        flat[i] = orig
        gflat[i] = (up - down) / (2 * h)
    return grad


def numerical_derivative(f, x, h=1e-6):
    """Central-difference derivative of an elementwise function ``f``, all elements at once."""
    check_callable("f", f, where="numerical_derivative: ")
    h = _check_h(h, "numerical_derivative")
    x0 = _check_x(x, "numerical_derivative")
    up = backend.to_numpy(f(backend.asarray(x0 + h)))
    down = backend.to_numpy(f(backend.asarray(x0 - h)))
    return (np.asarray(up) - np.asarray(down)) / (2 * h)


def gradcheck(f, grad, x, *, elementwise=False, h=1e-6, rtol=1e-5, atol=1e-7):
    """Compare ``grad(x)`` with the finite-difference gradient of ``f`` at ``x``.

    ``f`` is scalar-valued (a loss), or elementwise when ``elementwise=True``
    (an activation, whose derivative is compared position by position).
    Passes when |analytic - numeric| <= atol + rtol |numeric| everywhere.
    ``h`` must be > 0, ``rtol`` and ``atol`` >= 0 (all finite).
    """
    who = "gradcheck: "
    check_callable("f", f, where=who)
    check_callable("grad", grad, where=who)
    elementwise = check_bool("elementwise", elementwise, where=who)
    h = _check_h(h, "gradcheck")
    rtol, atol = check_float("rtol", rtol, 0.0, where=who), check_float("atol", atol, 0.0, where=who)
    _check_x(x, "gradcheck")
    numeric = numerical_derivative(f, x, h) if elementwise else numerical_gradient(f, x, h)
    analytic = np.asarray(backend.to_numpy(grad(x)), dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"gradcheck: analytic gradient has shape {analytic.shape}, expected {numeric.shape}")
    err = np.abs(analytic - numeric)
    rel = err / np.maximum(np.abs(numeric), 1e-300)
    ok = bool(np.all(err <= atol + rtol * np.abs(numeric)))
    return GradcheckResult(float(err.max(initial=0.0)), float(np.where(err > 0, rel, 0.0).max(initial=0.0)), ok,
                           float(atol), float(rtol))
