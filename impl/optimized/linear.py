"""Optimized implementation of seed Problem 3 (torch, any device and dtype).

Same contract as impl/reference/linear.py (spec/linear.md), written as
matmuls.  Half types (float16, bfloat16) are computed in float32 and rounded
once to the storage dtype at the end, which is what the tolerance model of
spec/linear.md#rounding-error-bounds assumes.  ``grad2`` is the matmul of
squares ``(gy^2)^T (x^2) / B``: it never forms the B x J x I tensor of
per-example gradients, and can be chunked over B to bound its temporaries.
"""

from __future__ import annotations

from typing import Any

import torch

from impl._checks import (
    check_array,
    check_int,
    check_rmsprop_args,
    check_same_kind,
)

__all__ = ["grad2", "linear_backward", "linear_forward", "per_example_grads",
           "rmsprop_step"]

_HALF = (torch.float16, torch.bfloat16)


def _work(a: torch.Tensor) -> torch.Tensor:
    """``a`` in its working precision: float32 for half types, else itself."""
    return a.float() if a.dtype in _HALF else a


def _tensor(name: str, a: Any, ndim: int | None = None) -> torch.Tensor:
    if not isinstance(a, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor (torch backend), "
                        f"got {type(a).__name__}")
    return check_array(name, a, ndim=ndim)


def _batch(x: Any, gy: Any) -> int:
    """Validate a batch (x: (B, I), gy: (B, J)) and return B >= 1."""
    _tensor("x", x, 2)
    _tensor("gy", gy, 2)
    check_same_kind(("x", "gy"), (x, gy))
    B = x.shape[0]
    if B == 0:
        raise ValueError("x must hold at least one example (B >= 1), got B = 0")
    if gy.shape[0] != B:
        raise ValueError(f"gy has {gy.shape[0]} rows but x has B = {B}")
    return B


def _weights(W: Any, x: torch.Tensor) -> None:
    _tensor("W", W, 2)
    check_same_kind(("x", "W"), (x, W))
    if x.shape[1] != W.shape[1]:
        raise ValueError(f"x has {x.shape[1]} columns but W has I = {W.shape[1]}")


def linear_forward(W: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """y[b, j] = sum_i W[j, i] x[b, i], i.e. y = x W^T; shape (B, J)."""
    _tensor("x", x, 2)
    _weights(W, x)
    if x.shape[0] == 0:
        raise ValueError("x must hold at least one example (B >= 1), got B = 0")
    return (_work(x) @ _work(W).T).to(x.dtype)


def linear_backward(W: torch.Tensor, x: torch.Tensor,
                    gy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(W_grad, x_grad)`` with W_grad = gy^T x / B and x_grad = gy W."""
    B = _batch(x, gy)
    _weights(W, x)
    check_same_kind(("x", "W"), (x, W))
    if gy.shape[1] != W.shape[0]:
        raise ValueError(f"gy has {gy.shape[1]} columns but W has J = {W.shape[0]}")
    xw, gw = _work(x), _work(gy)
    W_grad = (gw.T @ xw).div_(B)
    x_grad = gw @ _work(W)
    return W_grad.to(x.dtype), x_grad.to(x.dtype)


def per_example_grads(x: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    """G[b, j, i] = gy[b, j] x[b, i]: B rank-one outer products, no 1/B."""
    _batch(x, gy)
    return (_work(gy)[:, :, None] * _work(x)[:, None, :]).to(x.dtype)


def grad2(x: torch.Tensor, gy: torch.Tensor, *, chunk: int | None = None) -> torch.Tensor:
    """grad2[j, i] = (1/B) sum_b gy[b, j]^2 x[b, i]^2 = ((gy^2)^T (x^2))[j, i] / B.

    Uses sum_b G[b, j, i]^2 = sum_b gy[b, j]^2 x[b, i]^2, so the per-example
    gradients are never formed.  ``chunk`` (optional) processes B in blocks
    of that many rows, so the temporaries are O(chunk (I + J) + I J).
    """
    B = _batch(x, gy)
    if chunk is None:
        chunk = B
    chunk = check_int("chunk", chunk, low=1)
    out = None
    for start in range(0, B, chunk):
        xc = _work(x[start:start + chunk]).square()
        gc = _work(gy[start:start + chunk]).square()
        out = gc.T @ xc if out is None else out.addmm_(gc.T, xc)
    assert out is not None
    return out.div_(B).to(x.dtype)


def rmsprop_step(param: torch.Tensor, grad: torch.Tensor, second: torch.Tensor,
                 s: torch.Tensor, N: float, lr: float,
                 eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """s' = (1 - 1/N) s + second/N;  param' = param - lr grad / (sqrt(s') + eps)."""
    N, lr, eps = check_rmsprop_args(param, grad, second, s, N, lr, eps,
                                    array_type=torch.Tensor)
    p, g, q, s0 = (_work(a) for a in (param, grad, second, s))
    new_s = s0 * (1.0 - 1.0 / N) + q / N
    new_p = p - lr * g / (new_s.sqrt() + eps)
    return new_p.to(param.dtype), new_s.to(param.dtype)
