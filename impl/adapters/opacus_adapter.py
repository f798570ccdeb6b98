"""Adapter (optional extra): opacus per-sample gradients.

Scaling (spec/linear.md#adapters): ``GradSampleModule(..., loss_reduction=
"mean")`` un-scales the 1/B of a batch-mean loss, so ``weight.grad_sample[b]``
is example b's own gradient gy_b x_b^T: the contract's ``per_example_grads``
as is.  ``grad2`` is the mean over b of its squares.  When opacus is not
installed the module still imports and ``unavailable`` says why, so the
suite skips it with that reason.
"""

from __future__ import annotations

import importlib.util
import warnings

import torch
from torch import nn

from impl.optimized.linear import _batch

name = "opacus"
backend = "torch"
dtypes = ("float64", "float32")
unavailable = (None if importlib.util.find_spec("opacus") is not None else
               "opacus is not installed (pip install 'sgdcheck[adapters]' or opacus)")

__all__ = ["grad2", "per_example_grads"]


def per_example_grads(x: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    """``weight.grad_sample`` of L = mean_b <W x_b, gy_b> (opacus un-scales 1/B)."""
    from opacus import GradSampleModule

    B = _batch(x, gy)
    layer = nn.Linear(x.shape[1], gy.shape[1], bias=False, device=x.device, dtype=x.dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GradSampleModule(layer, loss_reduction="mean")
        with torch.enable_grad():
            loss = (model(x.detach()) * gy.detach()).sum() / B
            loss.backward()
    return layer.weight.grad_sample.detach()


def grad2(x: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    """(1/B) sum_b grad_sample[b]^2."""
    return per_example_grads(x, gy).square().mean(dim=0)
