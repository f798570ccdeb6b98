"""Building a mutant: a bundled implementation with one contract function replaced."""

from __future__ import annotations

from types import ModuleType, SimpleNamespace
from typing import Any

from sgdcheck.contract import SIGNATURES


def mutant(base: ModuleType, name: str, *, modules: tuple[str, ...], kills: tuple[str, ...],
           dtypes: tuple[str, ...] | None = None, **overrides: Any) -> SimpleNamespace:
    """``base`` with ``overrides`` swapped in, loadable as ``--impl tests.mutants.<topic>:<name>``.

    ``modules`` are the property modules it is run against; ``kills`` the
    properties it must fail (tests/test_mutants.py checks both).
    """
    unknown = set(overrides) - set(SIGNATURES)
    if unknown:
        raise ValueError(f"mutant {name}: {sorted(unknown)} are not contract functions")
    functions = {f: getattr(base, f) for f in SIGNATURES if hasattr(base, f)}
    functions.update(overrides)
    return SimpleNamespace(
        name=name, backend=getattr(base, "backend", "torch"),
        dtypes=dtypes or getattr(base, "dtypes", None), modules=modules, kills=kills,
        **functions)
