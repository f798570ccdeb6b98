"""Derived trajectory bounds (spec/optimizers.md#tolerances)."""

from __future__ import annotations

import numpy as np

from sgdcheck.optim.runner import Trajectory

UNIT_ROUNDOFF = {"float64": 2.0 ** -53, "float32": 2.0 ** -24,
                 "bfloat16": 2.0 ** -8, "float16": 2.0 ** -11}
# Per-step rounding budget, in units of u: a torch.optim update is a chain of at most
# ~16 rounded elementwise operations (EMA updates, sqrt, division, bias corrections),
# each contributing at most u relative to the largest magnitude in flight; doubled for
# the two runs being compared.
C_STEP = 32.0


def trajectory_bound(ref: Trajectory, u: float, c: float = C_STEP) -> list[list[np.ndarray]]:
    """bound[t][i]: allowed |p_t - p_t(ref)| elementwise.

    c*u * sum_{s<=t} (|p_{s-1}| + S_s) + u*|p_t|, S_s the running max over steps r <= s
    and over the tensor of |update_r| (covers cancellation inside EMAs and
    non-elementwise updates).
    """
    out: list[list[np.ndarray]] = [[u * np.abs(p) for p in ref.params[0]]]
    acc = [np.zeros_like(p) for p in ref.params[0]]
    smax = [0.0 for _ in ref.params[0]]
    for t in range(1, len(ref.params)):
        row = []
        for i, (prev, cur) in enumerate(zip(ref.params[t - 1], ref.params[t])):
            if cur.size:
                smax[i] = max(smax[i], float(np.max(np.abs(cur - prev))))
            acc[i] = acc[i] + np.abs(prev) + smax[i]
            row.append(c * u * acc[i] + u * np.abs(cur))
        out.append(row)
    return out


def worst_violation(a: Trajectory, b: Trajectory, bound: list[list[np.ndarray]]
                    ) -> tuple[float, int, int] | None:
    """(excess ratio, step, param) of the worst entry outside the bound, else None."""
    worst: tuple[float, int, int] | None = None
    for t, (ra, rb, rt) in enumerate(zip(a.params, b.params, bound)):
        for i, (x, y, tol) in enumerate(zip(ra, rb, rt)):
            if not x.size:
                continue
            diff = np.abs(x - y)
            bad = diff > tol
            if bad.any():
                ratio = float(np.max(diff[bad] / np.maximum(tol[bad], 1e-300)))
                if worst is None or ratio > worst[0]:
                    worst = (ratio, t, i)
    return worst


def state_mismatch(a: dict[str, np.ndarray], b: dict[str, np.ndarray], u: float,
                   steps: int, c: float = C_STEP) -> str | None:
    """Differences between two final states beyond c*u*(steps+1)*max|a|."""
    if set(a) != set(b):
        return f"state keys differ: {sorted(set(a) ^ set(b))}"
    for key in sorted(a):
        x, y = a[key], b[key]
        if x.shape != y.shape:
            return f"state {key}: shape {x.shape} vs {y.shape}"
        if not x.size:
            continue
        tol = c * u * (steps + 1) * float(np.max(np.abs(x)))
        d = float(np.max(np.abs(x - y)))
        if d > tol:
            return f"state {key}: max |diff| {d:.3e} > bound {tol:.3e}"
    return None
