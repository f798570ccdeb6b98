"""The contract's running averages (seed Problem 1), float64 numpy, time axis first.

Prefers impl.reference (the project's oracle) when it exists; the fallbacks below are
the seed's recurrences as literal loops.
"""

from __future__ import annotations

import numpy as np


def _running_sum(x: np.ndarray, N: float) -> np.ndarray:
    y, out = np.zeros_like(x[0]), np.empty_like(x)
    for t in range(len(x)):
        y = (1 - 1 / N) * y + x[t]
        out[t] = y
    return out


def _running_mean(x: np.ndarray, N: float) -> np.ndarray:
    return _running_sum(np.asarray(x) / N, N)


def _debiased_mean(x: np.ndarray, N: float) -> np.ndarray:
    t = np.arange(1, len(x) + 1).reshape((-1,) + (1,) * (np.ndim(x) - 1))
    return _running_mean(x, N) / (1 - (1 - 1 / N) ** t)


try:  # the lead's reference implementation (impl/reference/running.py)
    from impl.reference import debiased_mean, running_mean, running_sum  # type: ignore
except Exception:
    running_sum, running_mean, debiased_mean = _running_sum, _running_mean, _debiased_mean

CANDIDATES = {"sum": running_sum, "mean": running_mean, "debiased_mean": debiased_mean}
