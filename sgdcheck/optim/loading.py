"""Resolve ``--optimizer`` values (``torch.optim.Adam`` or ``pkg.module:Class``)."""

from __future__ import annotations

import importlib
import inspect

import torch


class OptimizerUsageError(ValueError):
    """A bad ``--optimizer`` / ``--optimizer-kwargs`` / ``--optimizer-claims`` value."""


def load_optimizer(ref: str) -> type[torch.optim.Optimizer]:
    """Import the class named by ``ref``; one-line errors for every way it can fail."""
    ref = ref.strip()
    if ":" in ref:
        mod_name, _, attr = ref.partition(":")
    else:
        mod_name, _, attr = ref.rpartition(".")
    if not mod_name or not attr:
        raise OptimizerUsageError(
            f"--optimizer {ref!r}: expected 'pkg.module:Class' or 'pkg.module.Class'")
    try:
        mod = importlib.import_module(mod_name)
    except Exception as exc:
        raise OptimizerUsageError(
            f"--optimizer {ref!r}: cannot import {mod_name!r} ({type(exc).__name__}: {exc})"
        ) from None
    obj = mod
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise OptimizerUsageError(
                f"--optimizer {ref!r}: {mod_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not (inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer)):
        raise OptimizerUsageError(
            f"--optimizer {ref!r}: {obj!r} is not a torch.optim.Optimizer subclass")
    return obj


def qualified_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"
