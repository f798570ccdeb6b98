"""The plug-in contract: which functions exist and what they must return.

An *implementation* is any importable object exposing some of these functions
by name (spec/contract.md). ``SIGNATURES`` maps each function to its parameter
names and to the shapes its outputs must have, computed from the arguments.
Every output has the dtype and device of the array arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Shape = tuple[int, ...]

DTYPES: tuple[str, ...] = ("float64", "float32", "bfloat16", "float16")
"""The floating-point dtypes the contract is checked in (spec/contract.md#dtypes)."""


@dataclass(frozen=True)
class Signature:
    params: tuple[str, ...]
    outputs: Callable[[dict[str, Any]], list[Shape]]
    """Expected output shapes, from the bound arguments (arrays by ``.shape``)."""
    returns_tuple: bool = False


def _shape(a: Any) -> Shape:
    return tuple(a.shape)


def _lyap(a: dict[str, Any]) -> list[Shape]:
    return [_shape(a["H"])]


def _per_example(a: dict[str, Any]) -> list[Shape]:
    return [(a["x"].shape[0], a["gy"].shape[-1], a["x"].shape[-1])]


SIGNATURES: dict[str, Signature] = {
    # Problems 1–2 (spec/running.md)
    "running_sum": Signature(("x", "N"), lambda a: [_shape(a["x"])]),
    "running_mean": Signature(("x", "N"), lambda a: [_shape(a["x"])]),
    "warmup_mean": Signature(("x", "N"), lambda a: [_shape(a["x"])]),
    "debiased_mean": Signature(("x", "N"), lambda a: [_shape(a["x"])]),
    # Problem 3 (spec/linear.md)
    "linear_forward": Signature(
        ("W", "x"), lambda a: [(a["x"].shape[0], a["W"].shape[0])]),
    "linear_backward": Signature(
        ("W", "x", "gy"), lambda a: [_shape(a["W"]), _shape(a["x"])], returns_tuple=True),
    "per_example_grads": Signature(("x", "gy"), _per_example),
    "grad2": Signature(("x", "gy"), lambda a: [(a["gy"].shape[-1], a["x"].shape[-1])]),
    "rmsprop_step": Signature(
        ("param", "grad", "second", "s", "N", "lr", "eps"),
        lambda a: [_shape(a["param"]), _shape(a["s"])], returns_tuple=True),
    # Problem 4 (spec/covariance.md)
    "gradient_covariance": Signature(
        ("G",), lambda a: [(a["G"].shape[-1], a["G"].shape[-1])]),
    "batch_covariance": Signature(
        ("G", "B", "replace"), lambda a: [(a["G"].shape[-1], a["G"].shape[-1])]),
    "langevin_step": Signature(
        ("phi", "g", "noise_cov", "dt", "noise"), lambda a: [_shape(a["phi"])]),
    "sgd_stationary_covariance": Signature(("H", "eta", "noise_cov"), _lyap),
    "langevin_stationary_covariance": Signature(("H", "noise_cov"), _lyap),
    "simulate_sgd": Signature(
        ("H", "eta", "noise_cov", "steps", "chains", "seed"),
        lambda a: [(a["chains"], a["H"].shape[-1])]),
    "simulate_langevin": Signature(
        ("H", "noise_cov", "dt", "steps", "chains", "seed"),
        lambda a: [(a["chains"], a["H"].shape[-1])]),
}


def bind(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Name the arguments of a call to contract function ``name``."""
    sig = SIGNATURES[name]
    bound = dict(zip(sig.params, args))
    bound.update(kwargs)
    return bound
