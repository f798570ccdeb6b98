"""Wrong linear-layer and RMSProp implementations (Problem 3), each with one deliberate bug.

Load one with ``pytest --impl tests.mutants.linear:<name>``; spec/linear.md says why each
is wrong.
"""

from __future__ import annotations

import torch

import impl.optimized as base
from impl.optimized import linear as opt
from tests.mutants._base import mutant

MODULES = ("properties/test_linear.py", "properties/test_linear_scaling.py",
           "properties/test_rmsprop.py")
FAST = ("float64",)


def _w_grad_and_x_grad(W: torch.Tensor, x: torch.Tensor, gy: torch.Tensor,
                       *, scale_W: float | None = None, transpose: bool = False
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    W_grad, x_grad = opt.linear_backward(W, x, gy)
    if scale_W is not None:
        W_grad = W_grad * scale_W
    if transpose:
        W_grad = W_grad.T.contiguous()
    return W_grad, x_grad


grad2_from_mean = mutant(
    base, "grad2_from_mean", modules=MODULES, dtypes=FAST,
    kills=("test_grad2_is_not_a_function_of_w_grad", "test_no_estimator_from_w_grad",
           "test_jensen_grad2_at_least_w_grad_squared", "test_grad2_definition",
           "test_differential_grad2", "test_with_replacement_w_grad2_shrinks_grad2_does_not"),
    grad2=lambda x, gy: opt.linear_backward(
        torch.zeros(gy.shape[1], x.shape[1], dtype=x.dtype, device=x.device), x, gy)[0] ** 2)
"""grad2 computed as W_grad^2: the answer 'yes' to (c)."""

per_example_stray_1_over_B = mutant(
    base, "per_example_stray_1_over_B", modules=MODULES, dtypes=FAST,
    kills=("test_per_example_grads_are_outer_products", "test_w_grad_is_mean_of_per_example_grads",
           "test_differential_per_example_grads"),
    per_example_grads=lambda x, gy: opt.per_example_grads(x, gy) / x.shape[0])
"""The course solution's convention: G[b] = gy_b x_b^T / B."""

w_grad_summed = mutant(
    base, "w_grad_summed", modules=MODULES, dtypes=FAST,
    kills=("test_backward_is_autograd_of_batch_mean_loss",
           "test_w_grad_is_mean_of_per_example_grads", "test_differential_backward",
           "test_whole_population_batch_has_no_noise",
           "test_without_replacement_finite_population_factor"),
    linear_backward=lambda W, x, gy: _w_grad_and_x_grad(W, x, gy, scale_W=float(x.shape[0])))
"""W_grad = sum_b G_b instead of the mean."""

w_grad_transposed = mutant(
    base, "w_grad_transposed", modules=("properties/test_linear.py",), dtypes=FAST,
    kills=("test_backward_is_autograd_of_batch_mean_loss", "test_differential_backward",
           "test_single_example_grad_is_w_grad"),
    linear_backward=lambda W, x, gy: _w_grad_and_x_grad(W, x, gy, transpose=True))
"""W_grad^T: a shape error when I != J, a value error when I = J."""


def _transposed_square_matrix(W: torch.Tensor, x: torch.Tensor, gy: torch.Tensor
                              ) -> tuple[torch.Tensor, torch.Tensor]:
    """W_grad^T, but only when it keeps the shape (I = J): caught by values alone."""
    W_grad, x_grad = opt.linear_backward(W, x, gy)
    return (W_grad.T.contiguous() if W_grad.shape[0] == W_grad.shape[1] else W_grad), x_grad


w_grad_transposed_square = mutant(
    base, "w_grad_transposed_square", modules=("properties/test_linear.py",), dtypes=FAST,
    kills=("test_backward_is_autograd_of_batch_mean_loss",),
    linear_backward=_transposed_square_matrix)
"""The transposition that survives the shape check: W_grad^T when I = J only."""


def _rmsprop(param, grad, second, s, N, lr, eps, *, eps_inside=False, old_s=False):
    new_s = s * (1.0 - 1.0 / N) + second / N
    denom_s = s if old_s else new_s
    denom = (denom_s + eps).sqrt() if eps_inside else denom_s.sqrt() + eps
    return param - lr * grad / denom, new_s


rmsprop_eps_inside_sqrt = mutant(
    base, "rmsprop_eps_inside_sqrt", modules=("properties/test_rmsprop.py",), dtypes=FAST,
    kills=("test_rmsprop_step_definition", "test_differential_rmsprop_step"),
    rmsprop_step=lambda param, grad, second, s, N, lr, eps: _rmsprop(
        param, grad, second, s, N, lr, eps, eps_inside=True))
"""param' = param - lr grad / sqrt(s' + eps)."""

rmsprop_old_s = mutant(
    base, "rmsprop_old_s", modules=("properties/test_rmsprop.py",), dtypes=FAST,
    kills=("test_rmsprop_step_definition", "test_differential_rmsprop_step",
           "test_rmsprop_N1_averages_nothing"),
    rmsprop_step=lambda param, grad, second, s, N, lr, eps: _rmsprop(
        param, grad, second, s, N, lr, eps, old_s=True))
"""Divides by the old average s instead of s'."""


def _swapped_squares(x: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    """(x^2)^T (gy^2) / B: (I, J) instead of (J, I)."""
    return (x.square().T @ gy.square()) / x.shape[0]


grad2_squares_swapped = mutant(
    base, "grad2_squares_swapped", modules=("properties/test_linear.py",), dtypes=FAST,
    kills=("test_grad2_definition", "test_differential_grad2",
           "test_single_example_grad2_is_w_grad_squared"),
    grad2=_swapped_squares)
"""The matmul of squares with x^2 and gy^2 swapped: the transpose of grad2."""


def _swapped_square_only(x: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    out = opt.grad2(x, gy)
    return out.T.contiguous() if out.shape[0] == out.shape[1] else out


grad2_squares_swapped_square = mutant(
    base, "grad2_squares_swapped_square", modules=("properties/test_linear.py",), dtypes=FAST,
    kills=("test_grad2_definition", "test_differential_grad2"),
    grad2=_swapped_square_only)
"""The swap that survives the shape check (I = J): caught by values alone."""


def _grad2_low_precision(x: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    """Accumulates in the storage dtype (bfloat16): the bound must catch it."""
    return ((gy.square().T @ x.square()) / x.shape[0]).to(x.dtype)


grad2_accumulated_in_bfloat16 = mutant(
    base, "grad2_accumulated_in_bfloat16", modules=("properties/test_linear.py",),
    dtypes=("bfloat16",),
    kills=("test_grad2_definition", "test_differential_grad2"),
    grad2=lambda x, gy: _grad2_low_precision(x, gy))
"""A precision bug, not a math bug: sums B bfloat16 squares in bfloat16."""


def _forward_untransposed(W: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """y = x W instead of x W^T: a shape error unless I = J, then wrong values."""
    return x @ W if x.shape[1] == W.shape[0] else opt.linear_forward(W, x).flip(-1)


forward_untransposed = mutant(
    base, "forward_untransposed", modules=("properties/test_linear.py",), dtypes=FAST,
    kills=("test_forward_is_x_times_W_transposed", "test_differential_forward"),
    linear_forward=_forward_untransposed)
"""The forward pass with W[i, j] read as W[j, i]."""


def _running_sum_rmsprop(param, grad, second, s, N, lr, eps):
    """Problem 1's running *sum* (no 1/N on second) as RMSProp's average."""
    new_s = s * (1.0 - 1.0 / N) + second
    return param - lr * grad / (new_s.sqrt() + eps), new_s


rmsprop_running_sum = mutant(
    base, "rmsprop_running_sum", modules=("properties/test_rmsprop.py",), dtypes=FAST,
    kills=("test_rmsprop_step_definition", "test_differential_rmsprop_step",
           "test_batch_size_scaling_dynamics"),
    rmsprop_step=_running_sum_rmsprop)
"""s' = (1 - 1/N) s + second: N times too large, so every step is sqrt(N) too small."""


def _raw_backward(W, x, gy):
    return (gy.T @ x) / max(x.shape[0], 1), gy @ W


def _raw_rmsprop(param, grad, second, s, N, lr, eps):
    new_s = s * (1.0 - 1.0 / N) + second / N
    return param - lr * grad / (new_s.sqrt() + eps), new_s


unvalidated = mutant(
    base, "unvalidated", modules=("properties/test_linear_errors.py",), dtypes=FAST,
    kills=("test_rejects_empty_batch", "test_rejects_mismatched_batch",
           "test_rejects_non_finite", "test_rejects_wrong_inner_size",
           "test_rmsprop_rejects_bad_scalars", "test_rmsprop_rejects_negative_averages"),
    linear_backward=_raw_backward,
    per_example_grads=lambda x, gy: gy[:, :, None] * x[:, None, :],
    grad2=lambda x, gy: (gy.square().T @ x.square()) / max(x.shape[0], 1),
    rmsprop_step=_raw_rmsprop)
"""The right math with no argument checks: empty means, NaNs and torch's own errors leak out."""
