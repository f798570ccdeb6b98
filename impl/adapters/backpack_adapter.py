"""Adapter (optional extra): BackPACK's ``SumGradSquared`` and ``BatchGrad``.

Scaling (spec/linear.md#adapters): BackPACK differentiates the loss it is
given, so with a batch-mean loss L = (1/B) sum_b <W x_b, gy_b> it returns
``grad_batch[b]`` = G[b] / B and ``sum_grad_squared`` = sum_b (G[b] / B)^2
= grad2 / B.  The adapter multiplies by B in both cases.  When BackPACK is
not installed the module still imports and ``unavailable`` says why.
"""

from __future__ import annotations

import importlib.util
import warnings

import torch
from torch import nn

from impl.optimized.linear import _batch

name = "backpack"
backend = "torch"
dtypes = ("float64", "float32")
unavailable = (None if importlib.util.find_spec("backpack") is not None else
               "backpack-for-pytorch is not installed "
               "(pip install 'sgdcheck[adapters]' or backpack-for-pytorch)")

__all__ = ["grad2", "per_example_grads"]


def _backward(x: torch.Tensor, gy: torch.Tensor, extension_name: str) -> torch.Tensor:
    from backpack import backpack, extend
    from backpack import extensions as ext

    B = _batch(x, gy)
    layer = nn.Linear(x.shape[1], gy.shape[1], bias=False, device=x.device, dtype=x.dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = extend(layer)
        with torch.enable_grad():
            loss = (model(x.detach()) * gy.detach()).sum() / B
            with backpack(getattr(ext, extension_name)()):
                loss.backward()
    attr = {"BatchGrad": "grad_batch", "SumGradSquared": "sum_grad_squared"}[extension_name]
    return getattr(layer.weight, attr).detach() * B


def per_example_grads(x: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    """B * grad_batch: BackPACK's per-sample gradients of the mean loss, un-scaled."""
    return _backward(x, gy, "BatchGrad")


def grad2(x: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    """B * sum_grad_squared = B * sum_b (G[b]/B)^2 = (1/B) sum_b G[b]^2."""
    return _backward(x, gy, "SumGradSquared")
