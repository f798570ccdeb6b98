"""Fuzz any ``torch.optim.Optimizer``: loading, guarded runs, measured conventions.

See spec/optimizers.md for the claims vocabulary, the properties and their bounds.
"""

from importlib import import_module
from typing import Any

_HOME = {"CLAIMS": "claims", "parse_claims": "claims", "OptimizerUsageError": "loading",
         "load_optimizer": "loading", "OptimizerSpec": "registry", "bundled_specs": "registry",
         "spec_for": "registry"}

__all__ = [
    "CLAIMS", "OptimizerSpec", "OptimizerUsageError", "bundled_specs", "load_optimizer",
    "parse_claims", "spec_for",
]


def __getattr__(name: str) -> Any:
    """Lazy exports: importing sgdcheck.optim (as the pytest plugin does) loads no torch."""
    if name in _HOME:
        return getattr(import_module(f"sgdcheck.optim.{_HOME[name]}"), name)
    raise AttributeError(f"module 'sgdcheck.optim' has no attribute {name!r}")
