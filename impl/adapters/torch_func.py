"""Adapter: per-example gradients with ``torch.func.vmap(torch.func.grad(...))``.

Scaling (spec/linear.md#adapters): ``grad`` differentiates example b's own
loss l_b(W) = <W x_b, gy_b>, so vmap returns G[b] = gy_b x_b^T with no 1/B,
exactly the contract's ``per_example_grads``; ``grad2`` is the mean over b of
G[b]^2, which materializes the B x J x I tensor (this is the baseline the
matmul of squares is benchmarked against).
"""

from __future__ import annotations

import torch
from torch.func import grad, vmap

from impl.optimized.linear import _batch

name = "torch_func"
backend = "torch"
dtypes = ("float64", "float32")
"""Half types are left out: ``mean`` of the squares runs in the storage dtype's
kernels, whose accumulation spec/linear.md's bound does not cover."""

__all__ = ["grad2", "per_example_grads"]


def _example_loss(W: torch.Tensor, x_b: torch.Tensor, gy_b: torch.Tensor) -> torch.Tensor:
    """l_b(W) = sum_j gy[b, j] y[b, j] with y[b, j] = sum_i W[j, i] x[b, i]."""
    return (torch.nn.functional.linear(x_b, W) * gy_b).sum()


def per_example_grads(x: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    """G[b] = d l_b / dW, one vmapped ``grad`` per example."""
    _batch(x, gy)
    W = torch.zeros(gy.shape[1], x.shape[1], dtype=x.dtype, device=x.device)
    return vmap(grad(_example_loss), in_dims=(None, 0, 0))(W, x, gy)


def grad2(x: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    """(1/B) sum_b G[b]^2 from the materialized per-example gradients."""
    return per_example_grads(x, gy).square().mean(dim=0)
