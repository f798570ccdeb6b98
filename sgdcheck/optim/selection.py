"""Turn ``--optimizer`` / ``SGDCHECK_OPTIMIZER`` and friends into ``OptimizerSpec``s."""

from __future__ import annotations

import json
import os
from typing import Any

from sgdcheck.optim.claims import parse_claims
from sgdcheck.optim.loading import OptimizerUsageError, load_optimizer
from sgdcheck.optim.registry import OptimizerSpec, bundled_specs, spec_for


def _per_optimizer(values: list[str], n: int, flag: str) -> list[str | None]:
    if not values:
        return [None] * n
    if len(values) == 1:
        return values * n
    if len(values) != n:
        raise OptimizerUsageError(f"{flag} given {len(values)} times for {n} --optimizer values "
                                  "(give it once, or once per --optimizer)")
    return list(values)


def _kwargs(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        kw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OptimizerUsageError(f"--optimizer-kwargs is not valid JSON: {exc}") from None
    if not isinstance(kw, dict):
        raise OptimizerUsageError("--optimizer-kwargs must be a JSON object")
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()}


def select(refs: list[str], kwargs: list[str], claims: list[str]) -> list[OptimizerSpec]:
    refs = list(refs) or [r for r in os.environ.get("SGDCHECK_OPTIMIZER", "").split(",")
                          if r.strip()]
    if not refs:
        if kwargs or claims:
            raise OptimizerUsageError("--optimizer-kwargs/--optimizer-claims need --optimizer")
        return bundled_specs()
    specs = []
    for ref, kw, cl in zip(refs, _per_optimizer(kwargs, len(refs), "--optimizer-kwargs"),
                           _per_optimizer(claims, len(refs), "--optimizer-claims")):
        cls = load_optimizer(ref)
        try:
            claimed = parse_claims(cl) if cl is not None else None
        except ValueError as exc:
            raise OptimizerUsageError(str(exc)) from None
        specs.append(spec_for(cls, _kwargs(kw), claimed))
    names = [s.name for s in specs]
    return [s if names.count(s.name) == 1 else _renamed(s, i) for i, s in enumerate(specs)]


def _renamed(spec: OptimizerSpec, i: int) -> OptimizerSpec:
    from dataclasses import replace
    return replace(spec, name=f"{spec.name}{i}")
