"""Argument validation shared by every bundled implementation.

Each check raises ``TypeError`` (wrong kind of value) or ``ValueError``
(right kind, bad value) with a message that starts with the argument's name,
so a caller never gets a silent NaN from a bad argument.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

try:  # torch is a core dependency, but the reference must import without it
    import torch
except ImportError:  # pragma: no cover
    torch = None  # type: ignore[assignment]

_FLOAT_NUMPY = (np.float16, np.float32, np.float64)


def is_tensor(a: Any) -> bool:
    return torch is not None and isinstance(a, torch.Tensor)


def check_real(name: str, value: Any, *, low: float | None = None,
               low_inclusive: bool = True, high: float | None = None,
               high_inclusive: bool = True) -> float:
    """A finite real scalar (int or float, not bool) inside [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (v < low or (v == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low}, got {value!r}")
    if high is not None and (v > high or (v == high and not high_inclusive)):
        op = "<=" if high_inclusive else "<"
        raise ValueError(f"{name} must be {op} {high}, got {value!r}")
    return v


def check_int(name: str, value: Any, *, low: int | None = None,
              high: int | None = None) -> int:
    """An integer (Python or numpy, not bool) inside [low, high]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v


def check_N(N: Any) -> float:
    """The averaging horizon N: a finite real number >= 1."""
    return check_real("N", N, low=1.0)


def check_array(name: str, a: Any, *, ndim: int | None = None,
                min_ndim: int | None = None, finite: bool = True) -> Any:
    """A floating-point numpy array or torch tensor, optionally of given rank.

    Non-finite entries are rejected (``finite=True``): the contract's
    functions are defined on finite inputs only.
    """
    if is_tensor(a):
        if not a.is_floating_point():
            raise TypeError(f"{name} must have a floating-point dtype, got {a.dtype}")
        # amax/amin propagate NaN and see ±inf: two read-only passes, no bool temporary
        # (4–5× cheaper than isfinite(a).all() on CPU, bench/results).
        bad = bool(finite and a.numel() and not (torch.isfinite(a.amax())
                                                  and torch.isfinite(a.amin())))
    elif isinstance(a, np.ndarray):
        if a.dtype.type not in _FLOAT_NUMPY:
            raise TypeError(f"{name} must have a floating-point dtype, got {a.dtype}")
        bad = bool(finite and a.size and not np.isfinite(a).all())
    else:
        raise TypeError(f"{name} must be a numpy array or torch tensor, "
                        f"got {type(a).__name__}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(a.shape)}")
    if min_ndim is not None and a.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), "
                         f"got shape {tuple(a.shape)}")
    if bad:
        raise ValueError(f"{name} must be finite, got non-finite entries")
    return a


def check_same_kind(names: tuple[str, ...], arrays: tuple[Any, ...]) -> None:
    """All arrays share one dtype (and, for tensors, one device)."""
    first = arrays[0]
    for n, a in zip(names[1:], arrays[1:]):
        if a.dtype != first.dtype:
            raise TypeError(f"{n} has dtype {a.dtype} but {names[0]} has {first.dtype}")
        if is_tensor(a) and a.device != first.device:
            raise ValueError(f"{n} is on {a.device} but {names[0]} is on {first.device}")


def check_dim(name: str, size: int, expected: int, what: str) -> None:
    if size != expected:
        raise ValueError(f"{name} has {size} {what}, expected {expected}")


def check_rmsprop_args(param: Any, grad: Any, second: Any, s: Any, N: Any, lr: Any,
                       eps: Any, *, array_type: type) -> tuple[float, float, float]:
    """Validate ``rmsprop_step``'s arguments (spec/linear.md#argument-validation).

    Four finite floating arrays of ``array_type`` with param's shape, one dtype and
    device, ``second`` and ``s`` ≥ 0 (averages of squares); N ≥ 1, lr finite, eps ≥ 0.
    Returns (N, lr, eps) as floats.
    """
    N = check_N(N)
    lr = check_real("lr", lr)
    eps = check_real("eps", eps, low=0.0)
    names = ("param", "grad", "second", "s")
    arrays = (param, grad, second, s)
    for n, a in zip(names, arrays):
        if not isinstance(a, array_type):
            raise TypeError(f"{n} must be a {array_type.__module__}.{array_type.__name__}, "
                            f"got {type(a).__name__}")
        check_array(n, a)
        if tuple(a.shape) != tuple(param.shape):
            raise ValueError(f"{n} has shape {tuple(a.shape)} but param has "
                             f"{tuple(param.shape)}")
    check_same_kind(names, arrays)
    for n, a in (("second", second), ("s", s)):
        if bool((a < 0).any()):
            raise ValueError(f"{n} must be >= 0 (an average of squares)")
    return N, lr, eps
