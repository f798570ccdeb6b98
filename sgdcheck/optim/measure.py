"""Convention measurements under constant and sign-flipping gradients (spec section 4)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sgdcheck.optim.case import OptimizerCase
from sgdcheck.optim.ema import CANDIDATES
from sgdcheck.optim.problem import constant_problem, stream_problem
from sgdcheck.optim.runner import Trajectory

# A fixed gradient with both signs and magnitudes 1e-2 .. 1e2 (float32-exact).
C_FIXED = np.array([1.0, -0.5, 3.0, -0.0625, 0.015625, -64.0])
REL_TOL = 1e-3  # conventions: eps effects (eps/|c| <= 1e-6) and rounding fit well inside


def steps(traj: Trajectory) -> np.ndarray:
    """Updates as an array (T, n) for a single-parameter run."""
    return np.stack([traj.step(t)[0].ravel() for t in range(1, len(traj.params))])


def lr_of(case: OptimizerCase, kw: dict[str, Any]) -> float:
    return float(kw["lr"]) if "lr" in kw else _default_lr(case)


def _default_lr(case: OptimizerCase) -> float:
    import inspect
    p = inspect.signature(case.spec.cls.__init__).parameters.get("lr")
    return float(p.default) if p is not None and p.default is not p.empty else 1.0


def classify_first_step(delta: np.ndarray, c: np.ndarray, lr: float
                        ) -> tuple[list[str], float]:
    """(the kinds among 'lr*g', 'lr*sign(g)' that fit, median of -delta/(lr*c)).

    Both fit when every |c| = 1; neither fits: 'other'."""
    r = -delta / (lr * c)
    kinds = [k for k, ok in (("lr*g", np.all(np.abs(r - 1) <= REL_TOL)),
                             ("lr*sign(g)", np.all(np.abs(r * np.abs(c) - 1) <= REL_TOL))) if ok]
    return kinds or ["other"], float(np.median(r))


def constant_run(case: OptimizerCase, steps_: int = 1000) -> tuple[Trajectory, float]:
    kw = case.measure_kwargs()
    c = np.broadcast_to(C_FIXED, (2, 6)) if case.spec.ndims == (2,) else C_FIXED
    return case.run(constant_problem(c, steps_), kw, label="constant gradient"), lr_of(case, kw)


def constant_summary(case: OptimizerCase, traj: Trajectory, lr: float) -> dict[str, Any]:
    d = -steps(traj) / lr  # (T, n)
    c = np.resize(C_FIXED, d.shape[1])
    last = d[-1]
    flat = float(np.max(np.abs(d / np.where(last == 0, 1, last) - 1)))
    return {"first_over_last": float(np.median(d[0] / last)) if np.all(last) else math.inf,
            "asymptote_over_lr_c": float(np.median(last / c)),
            "asymptote_over_lr": float(np.median(np.abs(last))),
            "max_dev_from_last": flat,
            "asymptote_spread": float(np.max(np.abs(np.abs(last) / np.median(np.abs(last)) - 1)))
            if np.median(np.abs(last)) else 0.0}


def _fit(name: str, e: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    """Golden-section fit of N in [1, 1e4] (log scale): (N, max abs residual)."""
    f = CANDIDATES[name]

    def res(logn: float) -> float:
        return float(np.max(np.abs(e - f(s, math.exp(logn)))))

    lo, hi, g = 0.0, math.log(1e4), (math.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        lo, hi = (lo, b) if res(a) < res(b) else (a, hi)
    return math.exp((lo + hi) / 2), res((lo + hi) / 2)


def identify_momentum(case: OptimizerCase, T: int = 200, seed: int = 0) -> dict[str, Any]:
    """EMA convention of the step, from a +-1 gradient stream (|g| fixed, so any
    bias-corrected second moment is exactly 1)."""
    kw = case.measure_kwargs()
    lr = lr_of(case, kw)
    s = np.random.default_rng(seed).choice([-1.0, 1.0], size=(T, 1))
    shape = (T, 1, 1) if case.spec.ndims == (2,) else (T, 1)
    e = -steps(case.run(stream_problem(s.reshape(shape)), kw, label="sign stream")) / lr
    d = -steps(case.run(stream_problem(np.ones(shape)), kw, label="constant +1")) / lr
    scale = float(np.max(np.abs(e))) or 1.0
    if np.max(np.abs(e - s * np.abs(d))) <= REL_TOL * scale:
        return {"momentum": "none", "N": 1.0, "residual": 0.0}
    fits = {name: _fit(name, e, s) for name in CANDIDATES}
    best = min(fits, key=lambda k: fits[k][1])
    N, r = fits[best]
    if r > REL_TOL * scale:
        return {"momentum": "unidentified", "N": None, "residual": r / scale}
    return {"momentum": best, "N": N, "residual": r / scale}


def spike_ratio(case: OptimizerCase, T: int = 1000, spike: float = 1e3) -> float:
    """|last step| after 5 spike steps of size spike*c, over |last step| without the spike."""
    kw = case.measure_kwargs()
    c = np.ones((1, 2)) if case.spec.ndims == (2,) else np.ones(2)
    xs = np.stack([c * spike] * 5 + [c] * T)
    a = steps(case.run(stream_problem(xs), kw, label="spike then constant"))[-1]
    b = steps(case.run(stream_problem(np.stack([c] * (T + 5))), kw, label="constant"))[-1]
    return float(np.max(np.abs(a)) / max(float(np.max(np.abs(b))), 1e-300))


SCALE_TOL = 1e-2  # eps-regularisation allowance for "scale-invariant" (spec section 4)


def scale_deviation(case: OptimizerCase, prob: Any, kw: dict[str, Any], k: float) -> float:
    """max |p(k g) - p(g)| over the longest cumulative path length of p(g)."""
    a = case.run(prob, kw, label="g")
    b = case.run(prob.map_grads(lambda g: g * k), kw, label=f"{k:g} * g")
    num = max((float(np.max(np.abs(x - y))) for ra, rb in zip(a.params, b.params)
               for x, y in zip(ra, rb) if x.size), default=0.0)
    path = [np.zeros_like(p) for p in a.params[0]]
    for t in range(1, len(a.params)):
        path = [s + np.abs(d) for s, d in zip(path, a.step(t))]
    den = max((float(np.max(p)) for p in path if p.size), default=0.0)
    return num / den if den else (0.0 if num == 0 else math.inf)


def fixed_stream(case: OptimizerCase, T: int = 6, n: int = 4, seed: int = 1) -> Any:
    rng = np.random.default_rng(seed)
    xs = rng.choice([-1.0, 1.0], (T, n)) * 2.0 ** rng.integers(-6, 7, (T, n))
    return stream_problem(xs.reshape((T, 1, n)) if case.spec.ndims == (2,) else xs)


def is_elementwise(case: OptimizerCase) -> bool:
    """Deterministic split + permute check on a fixed stream (for unclaimed optimizers)."""
    from sgdcheck.optim.problem import Problem
    from sgdcheck.optim.runner import Trajectory
    from sgdcheck.optim.tolerance import trajectory_bound, worst_violation
    if 1 not in case.spec.ndims:
        return False
    kw = case.measure_kwargs()
    prob = fixed_stream(case, n=6)
    base = case.run(prob, kw, label="one tensor")
    perm = np.array([3, 0, 5, 1, 4, 2])
    split = Problem([prob.init[0][perm][:2], prob.init[0][perm][2:]],
                    [[g[0][perm][:2], g[0][perm][2:]] for g in prob.grads], [[0], [1]])
    other = case.run(split, kw, label="permuted, split over two groups")
    back = [[np.concatenate(p)[np.argsort(perm)]] for p in other.params]
    return worst_violation(base, Trajectory(back, [], {}, []),
                           trajectory_bound(base, 2 * case.u)) is None
