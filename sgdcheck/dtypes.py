"""Floating-point dtypes of the contract and their rounding constants.

See spec/tolerance.md. ``u`` is the unit roundoff of the storage dtype;
``u_work`` is the unit roundoff of the working (accumulation) precision that
spec/tolerance.md requires an implementation to use for that storage dtype.
"""

from __future__ import annotations

import numpy as np
import torch

TORCH_DTYPES: dict[str, torch.dtype] = {
    "float64": torch.float64,
    "float32": torch.float32,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
}

NUMPY_DTYPES: dict[str, type] = {
    "float64": np.float64,
    "float32": np.float32,
    "float16": np.float16,
}

# Significand bits p (implicit bit included): u = 2^-p.
_PRECISION = {"float64": 53, "float32": 24, "bfloat16": 8, "float16": 11}
# Required working precision (spec/tolerance.md#working-precision).
_WORKING = {"float64": "float64", "float32": "float32",
            "bfloat16": "float32", "float16": "float32"}


def unit_roundoff(dtype: str) -> float:
    """u = 2^-p for a dtype with p significand bits (round to nearest)."""
    return 2.0 ** -_PRECISION[dtype]


def working_dtype(dtype: str) -> str:
    return _WORKING[dtype]


def working_roundoff(dtype: str) -> float:
    return unit_roundoff(_WORKING[dtype])


def gamma(k: float, u: float) -> float:
    """Higham's γ_k = k·u / (1 − k·u): the bound on k accumulated roundings."""
    ku = k * u
    if ku >= 1:
        return float("inf")
    return ku / (1.0 - ku)


def name_of(dtype: object) -> str:
    """The contract's name ('float32', ...) of a torch or numpy dtype."""
    if isinstance(dtype, torch.dtype):
        for k, v in TORCH_DTYPES.items():
            if v == dtype:
                return k
    else:
        for k, v in NUMPY_DTYPES.items():
            if np.dtype(v) == np.dtype(dtype):  # type: ignore[call-overload]
                return k
    return str(dtype)


def round_to(a: np.ndarray, dtype: str) -> np.ndarray:
    """The float64 array of values representable in ``dtype`` nearest to ``a``."""
    a = np.asarray(a, dtype=np.float64)
    if dtype == "float64":
        return a.copy()
    t = torch.from_numpy(np.array(a, dtype=np.float64, order="C")).to(TORCH_DTYPES[dtype])
    return t.to(torch.float64).numpy()


def finfo_max(dtype: str) -> float:
    return float(torch.finfo(TORCH_DTYPES[dtype]).max)
