"""Wrong running averages (Problems 1–2), each with one deliberate bug.

Load one with ``pytest --impl tests.mutants.running:<name>``.
"""

from __future__ import annotations

import math
import time

import torch

import impl.optimized as base
from impl.optimized.scan import scan
from tests.mutants._base import mutant

MODULES = ("properties/test_running.py", "properties/test_warmup.py",
           "properties/test_debiased.py", "properties/test_running_reference.py",
           "properties/test_running_errors.py")
FAST = ("float32",)


def _flat(x: torch.Tensor) -> torch.Tensor:
    return x.to(torch.float64).reshape(x.shape[0], math.prod(x.shape[1:]))


def _finish(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return y.reshape(x.shape).to(x.dtype)


def _loop(x: torch.Tensor, coefficients) -> torch.Tensor:
    """y_t = a_t·y_{t−1} + b_t·x_t with (a_t, b_t) = coefficients(t), t = 1…T."""
    z, y = _flat(x), []
    prev = torch.zeros(z.shape[1:], dtype=torch.float64)
    for t in range(1, z.shape[0] + 1):
        a, b = coefficients(t)
        prev = a * prev + b * z[t - 1]
        y.append(prev)
    return _finish(torch.stack(y) if y else z.clone(), x)


# --- the list -----------------------------------------------------
swapped_convention = mutant(
    base, "swapped_convention", modules=MODULES, dtypes=FAST,
    kills=("test_constant_input_closed_form", "test_limit_is_Nc", "test_sum_is_N_times_mean"),
    running_sum=base.running_mean, running_mean=base.running_sum)

warmup_off_by_one = mutant(
    base, "warmup_off_by_one", modules=MODULES, dtypes=FAST,
    kills=("test_warmup_constant_is_exact", "test_warmup_weights_are_an_average"),
    warmup_mean=lambda x, N: _loop(x, lambda t: (1 - 1 / min(t + 1, N), 1 / min(t + 1, N))))


def _mean_copying_x1(x: torch.Tensor, N: float) -> torch.Tensor:
    z = _flat(x)
    init = z[0] if z.shape[0] else None  # μ_1 = (1 − 1/N)·x_1 + x_1/N = x_1
    return _finish(scan(z / N, 1 - 1 / N, init=init), x)


init_copies_x1 = mutant(
    base, "init_copies_x1", modules=MODULES, dtypes=FAST,
    kills=("test_sum_is_N_times_mean", "test_running_mean_matches_reference"),
    running_mean=_mean_copying_x1)


def _decay_in(x: torch.Tensor, N: float) -> float:
    return float(torch.tensor(1 - 1 / N, dtype=x.dtype))


decay_in_storage_dtype = mutant(
    base, "decay_in_storage_dtype", modules=MODULES, dtypes=("bfloat16", "float16"),
    kills=("test_long_horizon_in_low_precision", "test_running_sum_matches_reference"),
    running_sum=lambda x, N: _finish(scan(_flat(x), _decay_in(x, N)), x),
    running_mean=lambda x, N: _finish(scan(_flat(x) / N, _decay_in(x, N)), x))


def _shifted(x: torch.Tensor, N: float) -> torch.Tensor:
    y = base.running_sum(x, N)
    return torch.cat([torch.zeros_like(y[:1]), y[:-1]]) if y.shape[0] else y


shifted_output = mutant(
    base, "shifted_output", modules=MODULES, dtypes=FAST,
    kills=("test_impulse_response", "test_N_equal_1_is_identity"), running_sum=_shifted)


def _mean_in_place(x: torch.Tensor, N: float) -> torch.Tensor:
    x.div_(N)  # scales the caller's tensor
    return _finish(scan(_flat(x), 1 - 1 / N), x)


mutates_input = mutant(base, "mutates_input", modules=MODULES, dtypes=FAST,
                       kills=("test_sum_is_N_times_mean",), running_mean=_mean_in_place)


def _float64_out(x: torch.Tensor, N: float) -> torch.Tensor:
    return base.running_sum(x.to(torch.float64), N)


float64_for_float32 = mutant(base, "float64_for_float32", modules=MODULES, dtypes=("float32",),
                             kills=("test_impulse_response",), running_sum=_float64_out)


def _chunked_bad_carry(x: torch.Tensor, N: float, chunk: int = 64) -> torch.Tensor:
    z, a, out, carry = _flat(x), 1 - 1 / N, [], None
    for start in range(0, z.shape[0], chunk):
        y = scan(z[start:start + chunk], a, init=carry)
        carry = y[-2] if y.shape[0] > 1 else y[-1]  # should be y[-1]
        out.append(y)
    return _finish(torch.cat(out) if out else z.clone(), x)


chunked_bad_carry = mutant(base, "chunked_bad_carry", modules=MODULES, dtypes=FAST,
                           kills=("test_running_sum_matches_reference",),
                           running_sum=_chunked_bad_carry)

# --- more bugs, so that every property has a mutant that fails it ----------
nonzero_initial_state = mutant(
    base, "nonzero_initial_state", modules=MODULES, dtypes=FAST,
    kills=("test_linearity", "test_time_invariance"),
    running_sum=lambda x, N: _finish(
        scan(_flat(x), 1 - 1 / N, init=torch.ones(_flat(x).shape[1:], dtype=torch.float64)), x))


def _unchecked(fn_scale):
    def fn(x, N):
        z = x.to(torch.float64).reshape(x.shape[0] if x.ndim else 1, -1)
        return _finish(scan(z * fn_scale(N), 1 - 1 / N), x) if x.ndim else x
    return fn


no_validation = mutant(
    base, "no_validation", modules=MODULES, dtypes=FAST,
    kills=("test_rejects_bad_N", "test_rejects_non_finite_x",
           "test_rejects_x_without_time_axis_or_not_float"),
    running_sum=_unchecked(lambda N: 1.0), running_mean=_unchecked(lambda N: 1 / N),
    warmup_mean=_unchecked(lambda N: 1 / N), debiased_mean=_unchecked(lambda N: 1 / N))

warmup_never_switches = mutant(
    base, "warmup_never_switches", modules=MODULES, dtypes=FAST,
    kills=("test_warmup_continues_with_weight_1_over_N",),
    warmup_mean=lambda x, N: _loop(x, lambda t: (1 - 1 / t, 1 / t)))


def _debiased_off_by_one(x: torch.Tensor, N: float) -> torch.Tensor:
    mu = _flat(base.running_mean(x.to(torch.float64), N))
    t = torch.arange(2, mu.shape[0] + 2, dtype=torch.float64)[:, None]
    return _finish(mu / (1 - (1 - 1 / N) ** t), x)


debiased_off_by_one = mutant(
    base, "debiased_off_by_one", modules=MODULES, dtypes=FAST,
    kills=("test_debiased_reproduces_constants", "test_debiased_equals_warmup_on_constants",
           "test_debiased_differs_from_warmup_on_an_impulse"),
    debiased_mean=_debiased_off_by_one)

# --- plug-ins that misbehave: a clear failure, never a crash ----------------


def _raises(x, N):
    raise RuntimeError("boom from inside the plug-in")


def _hangs(x, N):
    time.sleep(3600)


raises = mutant(base, "raises", modules=("properties/test_running_reference.py",),
                dtypes=("float64",), kills=("test_running_sum_matches_reference",),
                running_sum=_raises)
wrong_shape = mutant(base, "wrong_shape", modules=("properties/test_running_reference.py",),
                     dtypes=("float64",), kills=("test_running_sum_matches_reference",),
                     running_sum=lambda x, N: base.running_sum(x, N)[1:])
hangs = mutant(base, "hangs", modules=("properties/test_running_reference.py",),
               dtypes=("float64",), kills=("test_running_sum_matches_reference",),
               running_sum=_hangs)
