"""Problems 1–2 in torch: blocked scans, any device and dtype.

x has shape (T, *S), time first. Work happens in float64 (float32 on mps)
and is rounded once to x's dtype at the end (spec/tolerance.md#running).
"""

from __future__ import annotations

import math

import torch

from impl._checks import check_array, check_N
from impl.optimized.scan import scan, working_dtype

__all__ = ["debiased_mean", "running_mean", "running_sum", "warmup_mean"]


def _flat(x: torch.Tensor) -> tuple[torch.Tensor, torch.dtype]:
    check_array("x", x, min_ndim=1)
    w = working_dtype(x.dtype, x.device)
    return x.to(w).reshape(x.shape[0], math.prod(x.shape[1:])), w


def _decay(N: float) -> float:
    return 1.0 - 1.0 / N


def running_sum(x: torch.Tensor, N: float) -> torch.Tensor:
    """y_0 = 0, y_t = (1 − 1/N)·y_{t−1} + x_t."""
    N = check_N(N)
    z, _ = _flat(x)
    return scan(z, _decay(N)).reshape(x.shape).to(x.dtype)


def running_mean(x: torch.Tensor, N: float) -> torch.Tensor:
    """μ_0 = 0, μ_t = (1 − 1/N)·μ_{t−1} + (1/N)·x_t."""
    N = check_N(N)
    z, _ = _flat(x)
    return scan(z, _decay(N), scale=1 / N).reshape(x.shape).to(x.dtype)


def warmup_mean(x: torch.Tensor, N: float) -> torch.Tensor:
    """y_t = (1 − 1/min(t, N))·y_{t−1} + x_t/min(t, N).

    For t ≤ K = ⌊N⌋ this is the plain mean (x_1 + … + x_t)/t; after K it is
    running_mean's recurrence started from y_K.
    """
    N = check_N(N)
    z, w = _flat(x)
    T = z.shape[0]
    K = min(T, math.floor(N))
    t = torch.arange(1, K + 1, dtype=w, device=z.device)
    head = torch.cumsum(z[:K], dim=0) / t[:, None]
    if K == T:
        y = head
    else:
        init = head[K - 1] if K > 0 else None
        y = torch.cat([head, scan(z[K:], _decay(N), init=init, scale=1 / N)])
    return y.reshape(x.shape).to(x.dtype)


def debiased_mean(x: torch.Tensor, N: float) -> torch.Tensor:
    """μ_t / (1 − (1 − 1/N)^t), with 1 − (1 − 1/N)^t = −expm1(t·log1p(−1/N))."""
    N = check_N(N)
    z, w = _flat(x)
    mu = scan(z, _decay(N), scale=1 / N)
    t = torch.arange(1, z.shape[0] + 1, dtype=torch.float64, device=z.device)
    debias = -torch.expm1(t * math.log1p(-1.0 / N)) if N > 1 else torch.ones_like(t)
    return (mu / debias.to(w)[:, None]).reshape(x.shape).to(x.dtype)
