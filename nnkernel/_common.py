"""Small helpers shared by the kernel modules: namespaces, dtypes, checks.

Every public function checks its arguments here, in one way, so that bad input
gets a clear error and never a silent number: an error names the argument and
what it accepts.  A value of the wrong *kind* (a string where a number belongs,
None, a complex number, an array of strings) is a TypeError; a value of the
right kind outside what is accepted (NaN, a negative size, 2.5 examples) is a
ValueError.  The checks are cheap: type tests, and for arrays at most one
``isfinite`` reduction each.

Arrays accepted as numeric input: real numbers, nested lists of them and arrays
of a real dtype (floating, integer, or bool, which counts as 0/1, as in NumPy
and PyTorch); integer and bool arrays compute in float64.  Complex, string and
object input is refused rather than cast (NumPy's cast would drop imaginary
parts or parse strings).
"""
from __future__ import annotations

import functools
import math
import numbers
import os

import numpy as np
from array_api_compat import array_namespace, is_array_api_obj, is_cupy_namespace, is_numpy_namespace

from . import backend

_NUMPY = array_namespace(np.empty(0))

#: what numeric array arguments accept, for error messages
ACCEPTS_ARRAY = "a real number or an array of real numbers (float, int or bool)"
_REAL_KINDS = ("bool", "integral", "real floating")


def _describe(value) -> str:
    """``repr(value)`` (shortened) and its type, for error messages."""
    r = repr(value)
    if len(r) > 60:
        r = r[:57] + "..."
    return f"{r} ({type(value).__name__})"


def _real_array(a, name, where):
    """``a`` as an array of a real dtype on its own backend (lists and numbers go to the active backend)."""
    if type(a) is np.ndarray and a.dtype.kind in "biuf":  # the common case, in a few hundred nanoseconds
        return a
    if is_array_api_obj(a):
        try:
            ok = array_namespace(a).isdtype(a.dtype, _REAL_KINDS)
        except Exception:  # object or string dtypes that the namespace does not know
            ok = False
        if not ok:
            raise TypeError(f"{where}{name} must be {ACCEPTS_ARRAY}, got an array of dtype {a.dtype}")
        return a
    if a is None or isinstance(a, (str, bytes, dict, set)):
        raise TypeError(f"{where}{name} must be {ACCEPTS_ARRAY}, got {_describe(a)}")
    try:
        probe = np.asarray(a)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{where}{name} must be {ACCEPTS_ARRAY} of one rectangular shape ({exc})") from None
    if probe.dtype.kind not in "biuf":
        raise TypeError(f"{where}{name} must be {ACCEPTS_ARRAY}, got {_describe(a)}")
    return backend.asarray(probe)


def prepare(*arrays, names=None, where=""):
    """Return ``(xp, arrays)``: the arrays' namespace and the arrays as floating arrays.

    Non-array inputs (numbers, lists) are put on the active backend first;
    integer and boolean arrays become float64.  Anything else (None, strings,
    complex numbers, object arrays) is a TypeError naming the argument
    (``names``, defaulting to "input") prefixed with ``where``.
    """
    for a in arrays:  # the common case, NumPy floating arrays, returned as they are (a layer calls this per step)
        if type(a) is not np.ndarray or a.dtype.kind != "f":
            break
    else:
        return _NUMPY, list(arrays)
    arrs = [_real_array(a, names[i] if names else "input", where) for i, a in enumerate(arrays)]
    if all(type(a) is np.ndarray for a in arrs):  # NumPy alone: skip the namespace lookup (microseconds)
        return _NUMPY, [a if a.dtype.kind == "f" else a.astype(np.float64) for a in arrs]
    xp = array_namespace(*arrs)
    out = []
    for a in arrs:
        if not xp.isdtype(a.dtype, "real floating"):
            a = xp.astype(a, xp.float64)
        out.append(a)
    return xp, out


def check_array(name, a, *, where="", finite=False, nonempty=False, min_ndim=0):
    """``(xp, array)`` for a numeric array argument, as :func:`prepare` gives it, with optional checks.

    ``finite``: NaN or +-inf is a ValueError; ``nonempty``: an array with no
    elements is a ValueError; ``min_ndim``: fewer axes is a ValueError.
    """
    xp, (arr,) = prepare(a, names=(name,), where=where)
    if arr.ndim < min_ndim:
        raise ValueError(f"{where}{name} must have at least {min_ndim} axes, got shape {tuple(arr.shape)}")
    if nonempty and size(arr) == 0:
        raise ValueError(f"{where}{name} is empty (shape {tuple(arr.shape)}); it needs at least one element")
    if finite:
        check_finite(xp, arr, name, where=where)
    return xp, arr


#: from this many elements the finiteness and NaN checks of NumPy float arrays are one parallel pass of the
#: fused kernels (fused.all_finite, fused.has_nan; fused.py says why not below)
CHECK_MIN_SIZE = 1 << 20


def check_finite(xp, arr, name, *, where=""):
    """ValueError naming ``name`` unless every element of ``arr`` is finite (one reduction)."""
    if type(arr) is np.ndarray:
        # small: count_nonzero of isfinite's mask is two C calls where .all() goes through Python (0.6 against
        # 1.1 us at n = 10); from about 1e4 elements .all()'s pass is the faster (73 against 88 us at 1e6)
        if arr.size < 8192:
            ok = np.count_nonzero(np.isfinite(arr)) == arr.size
        elif arr.size < CHECK_MIN_SIZE:
            ok = np.isfinite(arr).all()
        else:
            from . import fused  # here, not at the top: fused imports this module

            ok = fused.all_finite(arr) if fused.check_applies(arr) else np.isfinite(arr).all()
    else:
        ok = xp.all(xp.isfinite(arr))
    if not bool(ok):
        raise ValueError(f"{where}{name} contains NaN or infinite values; it must hold finite real numbers")


def size(a) -> int:
    """The number of elements of an array (any backend; ``a.size`` is not in every namespace)."""
    n = 1
    for s in a.shape:
        n *= int(s)
    return n


def _is_real_scalar(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, numbers.Real):
        return True
    if is_array_api_obj(value) and getattr(value, "ndim", None) == 0:
        try:
            return bool(array_namespace(value).isdtype(value.dtype, ("integral", "real floating")))
        except Exception:
            return False
    return False


def _interval(low, high, low_open, high_open) -> str:
    lo = "(" if low_open or low == -math.inf else "["
    hi = ")" if high_open or high == math.inf else "]"
    lo_s = "-inf" if low == -math.inf else f"{low:g}"
    hi_s = "inf" if high == math.inf else f"{high:g}"
    return f"{lo}{lo_s}, {hi_s}{hi}"


def check_float(name, value, low=-math.inf, high=math.inf, *, low_open=False, high_open=False, where=""):
    """``value`` as a Python float: a finite real number in the stated range.

    TypeError unless it is a real number (bools, strings, None and complex
    numbers are not); ValueError if NaN, infinite or out of range.
    """
    if type(value) is float or type(value) is int:  # the common case: no ABC checks (bool is not int here)
        pass
    elif not _is_real_scalar(value):
        raise TypeError(f"{where}{name} must be a real number in {_interval(low, high, low_open, high_open)}, "
                        f"got {_describe(value)}")
    v = float(value)
    ok = math.isfinite(v)
    ok = ok and (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
    if not ok:
        raise ValueError(f"{where}{name} must be in {_interval(low, high, low_open, high_open)}, got {value!r}")
    return v


#: the former name of :func:`check_float`
check_param = check_float


def _int_words(minimum, maximum):
    if maximum is None:
        if minimum == 1:
            return "a positive integer"
        if minimum == 0:
            return "a non-negative integer"
        if minimum is not None:
            return f"an integer >= {minimum}"
        return "an integer"
    return f"an integer in [{minimum if minimum is not None else '-inf'}, {maximum}]"


def check_int(name, value, minimum=None, maximum=None, *, where=""):
    """``value`` as a Python int in [minimum, maximum].

    Accepts Python and NumPy integers and floats with an integral value (2.0);
    TypeError for bools, strings, None and other non-numbers; ValueError for
    2.5, NaN, infinities and values out of range.
    """
    if type(value) is int:  # the common case: no ABC checks, and the words only for an error
        v = value
    else:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"{where}{name} must be {_int_words(minimum, maximum)}, got {_describe(value)}")
        if isinstance(value, numbers.Integral):
            v = int(value)
        else:
            f = float(value)
            if not (math.isfinite(f) and f.is_integer()):
                raise ValueError(f"{where}{name} must be {_int_words(minimum, maximum)}, got {value!r}")
            v = int(f)
    if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
        raise ValueError(f"{where}{name} must be {_int_words(minimum, maximum)}, got {value!r}")
    return v


def check_bool(name, value, *, where=""):
    """``value`` as a Python bool: only True or False (NumPy bools too), not 0/1 or strings."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}{name} must be True or False, got {_describe(value)}")
    return bool(value)


def check_callable(name, value, *, where="", allow_none=False):
    """``value`` unchanged if callable (or None when ``allow_none``); else TypeError."""
    if value is None and allow_none:
        return None
    if not callable(value):
        raise TypeError(f"{where}{name} must be a function{' or None' if allow_none else ''}, "
                        f"got {_describe(value)}")
    return value


def check_choice(name, value, choices, *, where=""):
    """``value`` if it is one of the strings ``choices``; TypeError for a non-string, else ValueError."""
    if isinstance(value, str) and value in choices:  # the common case: no message built
        return value
    listed = ", ".join(map(repr, choices))
    if not isinstance(value, str):
        raise TypeError(f"{where}{name} must be one of {listed}, got {_describe(value)}")
    raise ValueError(f"{where}{name} must be one of {listed}, got {value!r}")


def check_seed(value, name="seed", *, where=""):
    """A seed for ``numpy.random.default_rng``: None, an integer >= 0, or a Generator/SeedSequence/BitGenerator."""
    if value is None or isinstance(value, (np.random.Generator, np.random.SeedSequence, np.random.BitGenerator)):
        return value
    words = "None, a non-negative integer or a numpy.random.Generator"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}{name} must be {words}, got {_describe(value)}")
    if int(value) < 0:
        raise ValueError(f"{where}{name} must be {words}, got {value!r}")
    return int(value)


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def env_flag(var, default):
    """The boolean environment variable ``var``: 1/true/yes/on or 0/false/no/off (any case), else ``default``
    when unset or empty; anything else is a ValueError naming the variable and the accepted values."""
    raw = os.environ.get(var)
    if raw is None or not raw.strip():
        return default
    key = raw.strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"environment variable {var}={raw!r} is not understood; use one of "
                     f"{'/'.join(_TRUE)} (on) or {'/'.join(_FALSE)} (off), in any case")


def erfc(x):
    """The complementary error function 1 - erf(x), by the array library's own special-function module.

    erfc keeps full relative accuracy where 1 - erf(x) would cancel (large x),
    which is what the normal distribution Phi(z) = erfc(-z / sqrt 2) / 2 needs
    in its lower tail.
    """
    if type(x) is np.ndarray:  # the common case, without the namespace lookup (microseconds per call)
        return _scipy_erfc()(x)
    xp = array_namespace(x)
    if is_numpy_namespace(xp):
        return _scipy_erfc()(x)
    if is_cupy_namespace(xp):  # pragma: no cover - needs a GPU
        from cupyx.scipy.special import erfc as _erfc

        return _erfc(x)
    special = getattr(xp, "special", None)
    if special is not None and hasattr(special, "erfc"):  # e.g. torch
        return special.erfc(x)
    from scipy.special import erfc as _erfc

    host = backend.to_numpy(x)
    return xp.asarray(_erfc(host), dtype=x.dtype, device=getattr(x, "device", None))


@functools.cache
def _scipy_erfc():
    from scipy.special import erfc as _erfc

    return _erfc


_PY_NUMBERS = (int, float, bool)


def where(cond, a, b, like):
    """``xp.where`` that accepts Python numbers for ``a`` and ``b`` (cast to ``like``'s dtype)."""
    if type(like) is np.ndarray and type(cond) is np.ndarray:  # NumPy: no namespace lookup, same result
        ta, tb = type(a), type(b)
        if (ta is np.ndarray or ta in _PY_NUMBERS) and (tb is np.ndarray or tb in _PY_NUMBERS):
            t = like.dtype.type
            return np.where(cond, t(a) if ta in _PY_NUMBERS else a, t(b) if tb in _PY_NUMBERS else b)
    xp = array_namespace(like)
    if not is_array_api_obj(a):
        a = xp.asarray(a, dtype=like.dtype, device=getattr(like, "device", None))
    if not is_array_api_obj(b):
        b = xp.asarray(b, dtype=like.dtype, device=getattr(like, "device", None))
    return xp.where(cond, a, b)


def host_scalar(x) -> float:
    """A 0-d array (any backend) as a Python float."""
    return float(np.asarray(backend.to_numpy(x)))
