"""Adapter: ``torch.optim.RMSprop`` as the contract's ``rmsprop_step``.

Mapping (spec/linear.md#adapters): torch keeps ``square_avg`` and updates
square_avg <- alpha square_avg + (1 - alpha) g^2, then
p <- p - lr g / (sqrt(square_avg) + eps).  With alpha = 1 - 1/N this is the
contract's s' = (1 - 1/N) s + second / N when second = g^2.

* second == grad^2 (standard RMSProp): one real optimizer step on a copy of
  ``param`` with ``square_avg`` preset to s; both outputs come from torch.
* any other ``second`` (e.g. grad2): torch only averages squares of its own
  gradient, so the adapter runs the optimizer's square-average update on a
  scratch parameter whose gradient is sqrt(second) (lr = 0), and applies
  param' = param - lr grad / (sqrt(s') + eps) with torch's own ``addcdiv``.
"""

from __future__ import annotations

import torch

from impl._checks import check_rmsprop_args

name = "torch_rmsprop"
backend = "torch"
dtypes = ("float64", "float32")
"""Half types are left out: torch's RMSprop computes alpha * s in the storage
dtype, where 1 - 1/N rounds to 1 for large N (spec/linear.md#adapters)."""

__all__ = ["rmsprop_step"]


def _step(p: torch.Tensor, g: torch.Tensor, s: torch.Tensor, N: float, lr: float,
          eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """One ``torch.optim.RMSprop`` step on a fresh copy of p; returns (p', s')."""
    p = p.detach().clone().requires_grad_(True)
    opt = torch.optim.RMSprop([p], lr=lr, alpha=1.0 - 1.0 / N, eps=eps,
                              foreach=False)
    p.grad = g.detach().clone()
    state = opt.state[p]
    state["step"] = torch.tensor(0.0)
    state["square_avg"] = s.detach().clone()
    opt.step()
    return p.detach(), state["square_avg"]


def rmsprop_step(param: torch.Tensor, grad: torch.Tensor, second: torch.Tensor,
                 s: torch.Tensor, N: float, lr: float,
                 eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(param', s') from torch.optim.RMSprop with alpha = 1 - 1/N."""
    N, lr, eps = check_rmsprop_args(param, grad, second, s, N, lr, eps,
                                    array_type=torch.Tensor)
    if lr < 0:  # torch rejects a negative lr; the contract allows gradient ascent
        raise ValueError(f"lr must be >= 0 for torch.optim.RMSprop, got {lr!r}")
    with torch.no_grad():
        if torch.equal(second, grad * grad):
            return _step(param, grad, s, N, lr, eps)
        _, new_s = _step(torch.zeros_like(param), second.sqrt(), s, N, 0.0, eps)
        new_p = param.addcdiv(grad, new_s.sqrt().add(eps), value=-lr)
    return new_p, new_s
