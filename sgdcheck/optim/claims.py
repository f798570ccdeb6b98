"""The documented claim vocabulary (spec/optimizers.md#claims)."""

from __future__ import annotations

import json
from typing import Any

# name -> (allowed values, one-line meaning); bools accept true/false.
CLAIMS: dict[str, tuple[tuple[Any, ...], str]] = {
    "elementwise": ((True, False), "the update of each entry depends only on that entry"),
    "scale_invariant": ((True, False), "g -> k*g (k > 0) leaves the run unchanged"),
    "sign_like": ((True, False), "under a constant gradient c the step tends to lr*sign(c)"),
    "bias_correction": ((True, False), "under a constant gradient every step equals the last"),
    "first_step": (("lr*g", "lr*sign(g)"), "the first update from fresh state"),
    "momentum": (("none", "sum", "mean", "debiased_mean"), "EMA convention of the step"),
    "max_normalizer": ((True, False), "after a gradient spike the step stays damped (AMSGrad)"),
    "batch_size_rule": (("linear", "sqrt"), "lr ~ B^alpha with alpha 1 or 1/2"),
    "decoupled_weight_decay": ((True, False), "weight decay is not scaled into the lr=0 check"),
}

_ALIASES = {"scale-invariant": "scale_invariant", "bias-correction": "bias_correction",
            "has-bias-correction": "bias_correction", "sign-like": "sign_like",
            "first-step": "first_step", "batch-size-rule": "batch_size_rule",
            "max-normalizer": "max_normalizer", "amsgrad": "max_normalizer",
            "decoupled-weight-decay": "decoupled_weight_decay"}


def _coerce(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "yes"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "no"):
        return False
    return value


def parse_claims(text: str | dict[str, Any] | None) -> dict[str, Any]:
    """JSON object, or ``elementwise,momentum=sum,no-bias-correction`` shorthand."""
    if text is None or text == "":
        return {}
    if isinstance(text, dict):
        raw = dict(text)
    elif text.lstrip().startswith("{"):
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--optimizer-claims is not valid JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise ValueError("--optimizer-claims must be a JSON object")
    else:
        raw = {}
        for item in filter(None, (s.strip() for s in text.split(","))):
            key, sep, val = item.partition("=")
            neg = not sep and key.startswith("no-")
            raw[key[3:] if neg else key] = (not neg) if not sep else val
    out: dict[str, Any] = {}
    for key, val in raw.items():
        name = _ALIASES.get(key, key).replace("-", "_")
        if name not in CLAIMS:
            raise ValueError(f"unknown claim {key!r}; known claims: {', '.join(CLAIMS)}")
        val = _coerce(val)
        allowed = CLAIMS[name][0]
        if val not in allowed or (isinstance(val, bool) != isinstance(allowed[0], bool)):
            raise ValueError(f"claim {name!r} must be one of {allowed}, got {val!r}")
        out[name] = val
    return out
