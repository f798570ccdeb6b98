"""Rounding-error bounds of the running averages (spec/tolerance.md#running).

Every bound is computed from the actual inputs, in float64:

    |ŷ_t − y_t| ≤ u_s·|y_t| + γ_4·E_t + γ_64·ỹ_t + η_s

with ỹ_t = a_t·ỹ_{t−1} + |b_t·x_t| (the recurrence on magnitudes),
E_t = a_t·E_{t−1} + ỹ_{t−1} + |b_t·x_t| (rounding errors made at every step,
decayed), γ_k = k·u/(1 − k·u) summed over the working precision u_w and the
float64 oracle's u_64, and η_s the storage dtype's underflow spacing.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from sgdcheck.dtypes import TORCH_DTYPES, gamma, unit_roundoff, working_dtype, working_roundoff

U64 = unit_roundoff("float64")
"""The float64 oracle's unit roundoff."""
K_STEP = 4
"""Roundings per step of a sequential loop: a product, a sum, and the decay's two."""
K_DOT = 64
"""Roundings of one output formed as a dot product of ≤ 32 terms plus ≤ 30 carry steps."""


def coefficients(kind: str, T: int, N: float) -> tuple[np.ndarray, np.ndarray]:
    """(a_t, b_t) of y_t = a_t·y_{t−1} + b_t·x_t for t = 1…T."""
    t = np.arange(1, T + 1, dtype=np.float64)
    if kind == "warmup_mean":
        m = np.minimum(t, N)
        return 1 - 1 / m, 1 / m
    a = np.full(T, 1 - 1 / N)
    b = np.full(T, 1.0 if kind == "running_sum" else 1 / N)
    return a, b


def one_minus_decay_power(N: float, T: int) -> np.ndarray:
    """1 − (1 − 1/N)^t for t = 1…T, without cancellation (−expm1(t·log1p(−1/N)))."""
    t = np.arange(1, T + 1, dtype=np.float64)
    if N == 1:
        return np.ones(T)
    return -np.expm1(t * math.log1p(-1 / N))


def _magnitudes(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ỹ, E) of the module docstring, elementwise over the trailing shape."""
    ytil = np.zeros_like(x)
    E = np.zeros_like(x)
    prev_y = np.zeros(x.shape[1:])
    prev_E = np.zeros(x.shape[1:])
    for t in range(x.shape[0]):
        bx = np.abs(b[t] * x[t])
        prev_E = a[t] * prev_E + prev_y + bx
        prev_y = a[t] * prev_y + bx
        ytil[t], E[t] = prev_y, prev_E
    return ytil, E


def _underflow(dtype: str) -> float:
    """The spacing of subnormal numbers: the absolute error of one rounding near zero."""
    return (2 * unit_roundoff(dtype)) * float(torch.finfo(TORCH_DTYPES[dtype]).smallest_normal)


def running_bound(kind: str, x: np.ndarray, N: float, y: np.ndarray, dtype: str) -> np.ndarray:
    """The elementwise bound on |ŷ − y| for ``kind`` ∈ contract's running functions.

    ``x`` is the (rounded) float64 input of shape (T, *S) and ``y`` the exact output.
    """
    T = x.shape[0]
    u_s, u_w, u_64 = unit_roundoff(dtype), working_roundoff(dtype), unit_roundoff("float64")
    g_step = gamma(K_STEP, u_w) + gamma(K_STEP, u_64)
    g_dot = gamma(K_DOT, u_w) + gamma(K_DOT, u_64)
    base = "running_mean" if kind == "debiased_mean" else kind
    a, b = coefficients(base, T, N)
    ytil, E = _magnitudes(np.asarray(x, dtype=np.float64), a, b)
    t = np.arange(1, T + 1, dtype=np.float64).reshape((T,) + (1,) * (x.ndim - 1))
    # underflow: one subnormal spacing per working rounding, K_DOT + K_STEP·t of them
    eta = _underflow(working_dtype(dtype)) + _underflow("float64")
    accumulated = g_step * E + g_dot * ytil + (K_DOT + K_STEP * t) * eta
    if kind == "debiased_mean":
        d = one_minus_decay_power(N, T).reshape(t.shape)
        mu = np.abs(y) * d  # |μ_t|
        # μ's own error scaled by 1/d, plus 1 − a^t computed naively: |δd| ≤ γ_{2t+4}.
        g_d = np.array([gamma(2 * k + 4, u_w) + gamma(2 * k + 4, u_64) for k in t.ravel()])
        accumulated = accumulated / d + g_d.reshape(d.shape) * mu / d**2
    return u_s * np.abs(y) + accumulated + _underflow(dtype)
