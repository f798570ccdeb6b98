"""Problems 1–2 as the seed writes them: one float64 loop step per time step.

x has shape (T, *S); the result holds y_1 … y_T. Every function is the loop
y_t = a_t·y_{t−1} + b_t·x_t from y_0 = 0, with the seed's coefficients.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from impl._checks import check_array, check_N

__all__ = ["debiased_mean", "running_mean", "running_sum", "warmup_mean"]


def _loop(x: np.ndarray, coefficients: Callable[[int], tuple[float, float]]) -> np.ndarray:
    """y_0 = 0, y_t = a_t·y_{t−1} + b_t·x_t for t = 1…T, with (a_t, b_t) = coefficients(t)."""
    check_array("x", x, min_ndim=1)
    x64 = np.asarray(x, dtype=np.float64)
    y = np.zeros_like(x64)
    prev = np.zeros(x64.shape[1:])
    for t in range(1, x64.shape[0] + 1):
        a, b = coefficients(t)
        prev = a * prev + b * x64[t - 1]
        y[t - 1] = prev
    return y


def running_sum(x: np.ndarray, N: float) -> np.ndarray:
    """y_0 = 0, y_t = (1 − 1/N)·y_{t−1} + x_t."""
    N = check_N(N)
    return _loop(x, lambda t: (1 - 1 / N, 1.0)).astype(x.dtype)


def running_mean(x: np.ndarray, N: float) -> np.ndarray:
    """μ_0 = 0, μ_t = (1 − 1/N)·μ_{t−1} + (1/N)·x_t."""
    N = check_N(N)
    return _loop(x, lambda t: (1 - 1 / N, 1 / N)).astype(x.dtype)


def warmup_mean(x: np.ndarray, N: float) -> np.ndarray:
    """y_0 = 0, y_t = (1 − 1/min(t, N))·y_{t−1} + (1/min(t, N))·x_t."""
    N = check_N(N)
    return _loop(x, lambda t: (1 - 1 / min(t, N), 1 / min(t, N))).astype(x.dtype)


def debiased_mean(x: np.ndarray, N: float) -> np.ndarray:
    """μ_t / (1 − (1 − 1/N)^t): Adam's bias correction of running_mean."""
    N = check_N(N)
    mu = _loop(x, lambda t: (1 - 1 / N, 1 / N))
    out = np.zeros_like(mu)
    for t in range(1, mu.shape[0] + 1):
        out[t - 1] = mu[t - 1] / (1 - (1 - 1 / N) ** t)
    return out.astype(x.dtype)
