"""Rounding-error bounds of spec/linear.md#rounding-error-bounds.

Each function returns the elementwise bound on |computed - exact| for an
implementation storing ``dtype``, *plus* the float64 oracle's own bound, from
the exact float64 inputs:

    gamma_{k+c}(u_w) * sum|terms| + u_s |result| + (k+c) eta_w + eta_s

with c = SLACK extra roundings for scalings an implementation may do its own way.
"""

from __future__ import annotations

import numpy as np
import torch

from sgdcheck.dtypes import TORCH_DTYPES, gamma, unit_roundoff, working_dtype

SLACK = 4
"""Extra roundings allowed per quantity (spec: c = 4)."""
U64 = unit_roundoff("float64")


def _eta(dtype: str) -> float:
    """Spacing of the subnormals of ``dtype``: the absolute error of a rounding near 0."""
    return 2.0 * unit_roundoff(dtype) * float(torch.finfo(TORCH_DTYPES[dtype]).smallest_normal)


def _sum_bound(k: int, abs_sum: np.ndarray, result: np.ndarray, dtype: str,
               amp: np.ndarray | float = 1.0) -> np.ndarray:
    """Bound of a k-term sum in ``dtype`` (working precision per spec) plus the oracle's.

    ``amp`` multiplies the underflow term: an intermediate that underflows (absolute
    error eta) and is then multiplied by something of size A contributes eta A.
    """
    u_s, w = unit_roundoff(dtype), working_dtype(dtype)
    u_w = unit_roundoff(w)
    kk = k + SLACK
    under = kk * (_eta(w) + _eta("float64")) * amp + _eta(dtype) + _eta("float64")
    return (gamma(kk, u_w) + gamma(kk, U64)) * abs_sum + (u_s + U64) * np.abs(result) + under


def value_bound(dtype: str) -> float:
    """|x|, |gy|, |W| <= this keeps every output of the topic finite (spec: Overflow)."""
    top = float(torch.finfo(TORCH_DTYPES[dtype]).max)
    return float(min(1000.0, np.sqrt(top / 1024.0)))


def forward(W: np.ndarray, x: np.ndarray, dtype: str) -> np.ndarray:
    """Bound on y = x W^T: k = I."""
    return _sum_bound(W.shape[1], np.abs(x) @ np.abs(W).T, x @ W.T, dtype)


def w_grad(x: np.ndarray, gy: np.ndarray, dtype: str) -> np.ndarray:
    """Bound on W_grad = gy^T x / B: k = B + 1."""
    B = x.shape[0]
    amp = 1.0 + np.abs(gy).sum(axis=0)[:, None] + np.abs(x).sum(axis=0)[None, :]
    return _sum_bound(B + 1, np.abs(gy).T @ np.abs(x) / B, gy.T @ x / B, dtype, amp)


def x_grad(W: np.ndarray, gy: np.ndarray, dtype: str) -> np.ndarray:
    """Bound on x_grad = gy W: k = J.

    amp: gy may be scaled by 1/B first, then W, then B, so a product that
    underflows (error eta) is multiplied back by B: the underflow term scales with B.
    """
    B = gy.shape[0]
    amp = B * (1.0 + np.abs(W).sum(axis=0)[None, :])
    return _sum_bound(W.shape[0], np.abs(gy) @ np.abs(W), gy @ W, dtype, amp)


def per_example(x: np.ndarray, gy: np.ndarray, dtype: str) -> np.ndarray:
    """Bound on G[b] = gy_b x_b^T: one product.

    amp: libraries that differentiate the mean loss form (gy_b/B)·x_b and multiply
    by B, so an underflowed product (error eta) comes back multiplied by B.
    """
    G = gy[:, :, None] * x[:, None, :]
    amp = x.shape[0] * (1.0 + np.abs(gy)[:, :, None] + np.abs(x)[:, None, :])
    return _sum_bound(1, np.abs(G), G, dtype, amp)


def grad2(x: np.ndarray, gy: np.ndarray, dtype: str) -> np.ndarray:
    """Bound on grad2 = (gy^2)^T (x^2) / B: k = B + 4, all terms >= 0.

    Underflow amplification: a square multiplied by the other square, and (for
    libraries that square G_b / B and multiply by B) 2 sum_b |G_b| + B^2.
    """
    B = x.shape[0]
    exact = (gy * gy).T @ (x * x) / B
    G_abs = np.abs(gy).T @ np.abs(x)
    amp = (1.0 + (gy * gy).mean(axis=0)[:, None] + (x * x).mean(axis=0)[None, :]
           + 2.0 * G_abs + B * B)
    return _sum_bound(B + 4, exact, exact, dtype, amp)


def square(w: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Bound on |w_hat^2 - w^2| given |w_hat - w| <= e."""
    return 2.0 * np.abs(w) * e + e * e


def rmsprop(param: np.ndarray, grad: np.ndarray, second: np.ndarray, s: np.ndarray,
            N: float, lr: float, eps: float, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on (param', s') of rmsprop_step (spec: the RMSProp paragraph).

    s': gamma_{4+c} s' plus u second, the price of computing 1/N as 1 - alpha
    (torch's parametrization).  param': the relative error of s' halves under the
    square root, plus gamma_{6+c} for lr, the product, eps and the quotient; then the
    subtraction and the storage rounding.
    """
    new_s = (1.0 - 1.0 / N) * s + second / N
    step = lr * grad / (np.sqrt(new_s) + eps)
    new_p = param - step
    w = working_dtype(dtype)
    tol_s = _sum_bound(4, new_s, new_s, dtype) + (unit_roundoff(w) + U64) * second
    tol_p = np.zeros_like(new_p)
    safe_s = np.where(new_s > 0, new_s, np.inf)
    for uw, us, eta in ((unit_roundoff(w), unit_roundoff(dtype), _eta(dtype)),
                        (U64, U64, _eta("float64"))):
        rel_s = gamma(4 + SLACK, uw) + uw * second / safe_s + 4 * _eta(w) / safe_s
        rel = np.minimum(rel_s / 2 + gamma(6 + SLACK, uw), 0.5)
        d_step = rel / (1 - rel) * np.abs(step)
        tol_p = tol_p + d_step + (uw + us) * (np.abs(new_p) + d_step) + 4 * eta
    return tol_p, tol_s
