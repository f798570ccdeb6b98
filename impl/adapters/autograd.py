"""Adapter: ``torch.autograd`` on ``nn.Linear`` with a batch-mean loss.

Scaling (spec/linear.md#adapters): example b's loss is l_b = <y_b, gy_b>, so
dl_b/dy_b = gy_b, and the batch loss is L = (1/B) sum_b l_b.  Then
``weight.grad`` = dL/dW is the contract's W_grad as is, while
``x.grad[b]`` = dL/dx_b = x_grad[b] / B: the adapter multiplies it by B.
"""

from __future__ import annotations

import torch
from torch import nn

from impl.optimized.linear import _batch, _weights

name = "autograd"
backend = "torch"
dtypes = ("float64", "float32")
"""Half types are left out: autograd rounds gy/B to the storage dtype before the
matmul, an extra rounding per term that spec/linear.md's bound does not allow."""

__all__ = ["linear_backward", "linear_forward"]


def _layer(W: torch.Tensor) -> nn.Linear:
    J, I = W.shape
    layer = nn.Linear(I, J, bias=False, device=W.device, dtype=W.dtype)
    with torch.no_grad():
        layer.weight.copy_(W)
    return layer


def linear_forward(W: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """y = nn.Linear(I, J, bias=False) with weight W, applied to x."""
    _weights(W, x)
    if x.shape[0] == 0:
        raise ValueError("x must hold at least one example (B >= 1), got B = 0")
    with torch.no_grad():
        return _layer(W)(x)


def linear_backward(W: torch.Tensor, x: torch.Tensor,
                    gy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(W_grad, x_grad) = (weight.grad, B * x.grad) of L = mean_b <y_b, gy_b>."""
    B = _batch(x, gy)
    _weights(W, x)
    if gy.shape[1] != W.shape[0]:
        raise ValueError(f"gy has {gy.shape[1]} columns but W has J = {W.shape[0]}")
    layer = _layer(W)
    xr = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = (layer(xr) * gy.detach()).sum() / B
        loss.backward()
    assert layer.weight.grad is not None and xr.grad is not None
    return layer.weight.grad.detach(), xr.grad.detach() * B
