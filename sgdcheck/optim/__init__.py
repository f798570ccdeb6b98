"""Fuzz any ``torch.optim.Optimizer``: loading, guarded runs, measured conventions.

See spec/optimizers.md for the claims vocabulary, the properties and their bounds.
"""

from sgdcheck.optim.claims import CLAIMS, parse_claims
from sgdcheck.optim.loading import OptimizerUsageError, load_optimizer
from sgdcheck.optim.registry import OptimizerSpec, bundled_specs, spec_for

__all__ = [
    "CLAIMS", "OptimizerSpec", "OptimizerUsageError", "bundled_specs", "load_optimizer",
    "parse_claims", "spec_for",
]
