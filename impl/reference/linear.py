"""Reference implementation of seed Problem 3 (numpy, float64, literal loops).

Notation of the seed (spec/linear.md): ``W`` is (J, I), ``x`` is (B, I),
``gy`` is (B, J) with ``gy[b, j] = dl_b/dy[b, j]``.  The forward pass is the
seed's loop ``for i, j: y[b, j] += W[j, i] * x[b, i]``; every backward
quantity below is written as the same kind of loop, ``for b: for j: for i:``,
on Python floats (IEEE binary64, like numpy float64).  This module is the
oracle: it is meant to be read, not to be fast.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from impl._checks import check_array, check_rmsprop_args

__all__ = ["grad2", "linear_backward", "linear_forward", "per_example_grads",
           "rmsprop_step"]


def _matrix(name: str, a: Any) -> list[list[float]]:
    """A finite floating 2-D numpy array, as nested Python floats."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array (reference backend), "
                        f"got {type(a).__name__}")
    check_array(name, a, ndim=2)
    return np.asarray(a, dtype=np.float64).tolist()


def _batch(x: Any, gy: Any) -> tuple[list[list[float]], list[list[float]], int]:
    """Validate a batch (x, gy) and return it as lists with its size B >= 1."""
    xs, gs = _matrix("x", x), _matrix("gy", gy)
    B = x.shape[0]
    if B == 0:
        raise ValueError("x must hold at least one example (B >= 1), got B = 0")
    if gy.shape[0] != B:
        raise ValueError(f"gy has {gy.shape[0]} rows but x has B = {B}")
    return xs, gs, B


def _zeros(*shape: int) -> Any:
    if len(shape) == 2:
        return [[0.0] * shape[1] for _ in range(shape[0])]
    return [_zeros(*shape[1:]) for _ in range(shape[0])]


def linear_forward(W: np.ndarray, x: np.ndarray) -> np.ndarray:
    """y[b, j] = sum_i W[j, i] * x[b, i]; shape (B, J)."""
    Ws, xs = _matrix("W", W), _matrix("x", x)
    (J, I), B = W.shape, x.shape[0]
    if B == 0:
        raise ValueError("x must hold at least one example (B >= 1), got B = 0")
    if x.shape[1] != I:
        raise ValueError(f"x has {x.shape[1]} columns but W has I = {I}")
    y = _zeros(B, J)
    for b in range(B):
        for j in range(J):
            for i in range(I):
                y[b][j] += Ws[j][i] * xs[b][i]
    return np.array(y, dtype=np.float64).reshape(B, J)


def linear_backward(W: np.ndarray, x: np.ndarray,
                    gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seed 3(a): ``(W_grad, x_grad)``.

    W_grad[j, i] = (1/B) sum_b gy[b, j] x[b, i]  (parameter gradients are
    averaged over the batch); x_grad[b, i] = sum_j W[j, i] gy[b, j] (each
    example's own backward signal, no 1/B).
    """
    Ws = _matrix("W", W)
    xs, gs, B = _batch(x, gy)
    J, I = W.shape
    if x.shape[1] != I:
        raise ValueError(f"x has {x.shape[1]} columns but W has I = {I}")
    if gy.shape[1] != J:
        raise ValueError(f"gy has {gy.shape[1]} columns but W has J = {J}")
    W_grad, x_grad = _zeros(J, I), _zeros(B, I)
    for b in range(B):
        for j in range(J):
            for i in range(I):
                W_grad[j][i] += gs[b][j] * xs[b][i]
                x_grad[b][i] += Ws[j][i] * gs[b][j]
    for j in range(J):
        for i in range(I):
            W_grad[j][i] /= B
    return (np.array(W_grad, dtype=np.float64).reshape(J, I),
            np.array(x_grad, dtype=np.float64).reshape(B, I))


def per_example_grads(x: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Seed 3(b): G[b, j, i] = gy[b, j] * x[b, i] -- no 1/B (spec/linear.md)."""
    xs, gs, B = _batch(x, gy)
    I, J = x.shape[1], gy.shape[1]
    G = _zeros(B, J, I)
    for b in range(B):
        for j in range(J):
            for i in range(I):
                G[b][j][i] = gs[b][j] * xs[b][i]
    return np.array(G, dtype=np.float64).reshape(B, J, I)


def grad2(x: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Seed 3(c): grad2[j, i] = (1/B) sum_b G[b, j, i]^2."""
    xs, gs, B = _batch(x, gy)
    I, J = x.shape[1], gy.shape[1]
    out = _zeros(J, I)
    for b in range(B):
        for j in range(J):
            for i in range(I):
                g = gs[b][j] * xs[b][i]
                out[j][i] += g * g
    for j in range(J):
        for i in range(I):
            out[j][i] /= B
    return np.array(out, dtype=np.float64).reshape(J, I)


def rmsprop_step(param: np.ndarray, grad: np.ndarray, second: np.ndarray,
                 s: np.ndarray, N: float, lr: float,
                 eps: float) -> tuple[np.ndarray, np.ndarray]:
    """One RMSProp step, elementwise over arrays of one shape.

    s' = (1 - 1/N) s + second / N        (running average with horizon N)
    param' = param - lr * grad / (sqrt(s') + eps)

    ``second`` is what the optimizer averages: W_grad^2 for standard RMSProp,
    grad2 when per-example gradients are available.
    """
    N, lr, eps = check_rmsprop_args(param, grad, second, s, N, lr, eps,
                                    array_type=np.ndarray)
    p, g, q, s0 = (np.asarray(a, dtype=np.float64) for a in (param, grad, second, s))
    # Elementwise, so numpy's elementwise operators *are* the literal formula
    # (one rounding per operation, in the order written).
    new_s = (1.0 - 1.0 / N) * s0 + q / N
    new_p = p - lr * g / (np.sqrt(new_s) + eps)
    return np.asarray(new_p), np.asarray(new_s)  # 0-d arithmetic gives numpy scalars
