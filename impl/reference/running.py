"""Problems 1–2 as the seed writes them: one float64 loop step per time step.

x has shape (T, *S), time first; the result holds y_1 … y_T.
"""

from __future__ import annotations

import numpy as np

from impl._checks import check_array, check_N

__all__ = ["debiased_mean", "running_mean", "running_sum", "warmup_mean"]


def _series(x: np.ndarray) -> np.ndarray:
    check_array("x", x, min_ndim=1)
    return np.asarray(x, dtype=np.float64)


def running_sum(x: np.ndarray, N: float) -> np.ndarray:
    """y_0 = 0, y_t = (1 − 1/N)·y_{t−1} + x_t."""
    x64, N = _series(x), check_N(N)
    y = np.zeros_like(x64)
    prev = np.zeros(x64.shape[1:])
    for t in range(x64.shape[0]):
        prev = (1 - 1 / N) * prev + x64[t]
        y[t] = prev
    return y.astype(x.dtype)


def running_mean(x: np.ndarray, N: float) -> np.ndarray:
    """μ_0 = 0, μ_t = (1 − 1/N)·μ_{t−1} + (1/N)·x_t."""
    x64, N = _series(x), check_N(N)
    mu = np.zeros_like(x64)
    prev = np.zeros(x64.shape[1:])
    for t in range(x64.shape[0]):
        prev = (1 - 1 / N) * prev + (1 / N) * x64[t]
        mu[t] = prev
    return mu.astype(x.dtype)


def warmup_mean(x: np.ndarray, N: float) -> np.ndarray:
    """y_0 = 0, y_t = (1 − 1/min(t, N))·y_{t−1} + (1/min(t, N))·x_t."""
    x64, N = _series(x), check_N(N)
    y = np.zeros_like(x64)
    prev = np.zeros(x64.shape[1:])
    for t in range(1, x64.shape[0] + 1):
        m = min(t, N)
        prev = (1 - 1 / m) * prev + (1 / m) * x64[t - 1]
        y[t - 1] = prev
    return y.astype(x.dtype)


def debiased_mean(x: np.ndarray, N: float) -> np.ndarray:
    """μ_t / (1 − (1 − 1/N)^t): Adam's bias correction of running_mean."""
    mu = running_mean(x, N).astype(np.float64)
    N = check_N(N)
    out = np.zeros_like(mu)
    for t in range(1, mu.shape[0] + 1):
        out[t - 1] = mu[t - 1] / (1 - (1 - 1 / N) ** t)
    return out.astype(x.dtype)
