"""Batch-size exponent alpha on the noisy quadratic model (spec/optimizers.md#5).

L(theta) = 1/2 sum_i theta_i^2, batch gradient g = theta + xi / sqrt(B), xi ~ N(0, I):
seed Problem 4's Sigma^B = Sigma^1 / B, simulated directly. Each coordinate is an
independent chain when the optimizer is elementwise, so the per-coordinate window
averages X_i are i.i.d. and their median has an exact distribution-free CI.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from sgdcheck.optim.guard import guarded, single_thread, watchdog
from sgdcheck.optim.registry import OptimizerSpec
from sgdcheck.optim.runner import construct, seeded

KAPPA = 4.0  # the lr ratio and the batch-size ratio of the design
BANDS = {"linear": (0.85, 1.15), "sqrt": (0.35, 0.65)}


def log_binom_cdf_half(k: int, n: int) -> float:
    """log P(Bin(n, 1/2) <= k), summed in log space."""
    if k < 0:
        return -math.inf
    terms = [math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) for j in
             range(k + 1)]
    m = max(terms)
    return m + math.log(sum(math.exp(t - m) for t in terms)) - n * math.log(2)


def median_ci_rank(n: int, delta: float) -> int:
    """Largest k with P(median outside [X_(k), X_(n+1-k)]) <= 2 P(Bin <= k-1) <= delta."""
    lo, hi = 1, n // 2
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if math.log(2) + log_binom_cdf_half(mid - 1, n) <= math.log(delta):
            lo = mid
        else:
            hi = mid - 1
    return lo


def median_ci(x: np.ndarray, delta: float) -> tuple[float, float, float]:
    xs = np.sort(x)
    k = median_ci_rank(len(xs), delta)
    return float(xs[k - 1]), float(np.median(xs)), float(xs[len(xs) - k])


def scaled_kwargs(spec: OptimizerSpec, kw: dict[str, Any], kappa: float) -> dict[str, Any]:
    """Malladi et al. (2022) for B -> kappa*B: 1 - beta -> kappa (1 - beta), eps -> eps/sqrt."""
    out = dict(kw)
    for name in spec.nqm.get("ema", ()):
        val = out.get(name, _default(spec, name))
        if isinstance(val, (tuple, list)):
            out[name] = tuple(max(0.0, 1 - kappa * (1 - b)) for b in val)
        elif val is not None:
            out[name] = max(0.0, 1 - kappa * (1 - val))
    eps = spec.nqm.get("eps")
    if eps and _default(spec, eps) is not None:
        out[eps] = out.get(eps, _default(spec, eps)) / math.sqrt(kappa)
    return out


def _default(spec: OptimizerSpec, name: str) -> Any:
    import inspect
    p = inspect.signature(spec.cls.__init__).parameters.get(name)
    return None if p is None or p.default is p.empty else p.default


def window_losses(spec: OptimizerSpec, kw: dict[str, Any], B: float, *, n: int, burn: int,
                  window: int, seed: int, timeout: float) -> np.ndarray:
    """Per-coordinate mean of theta_i^2 / 2 over the window (float64 numpy)."""
    with single_thread(), seeded("cpu", seed), watchdog() as armed:
        return _window_losses(armed, spec, kw, B, n=n, burn=burn, window=window, seed=seed,
                              timeout=timeout)


def _window_losses(armed: bool, spec: OptimizerSpec, kw: dict[str, Any], B: float, *,
                   n: int, burn: int, window: int, seed: int, timeout: float) -> np.ndarray:
    gen = torch.Generator().manual_seed(seed)
    theta = torch.nn.Parameter(torch.zeros(n))
    opt = construct(spec, [theta], kw, timeout, armed)
    acc = torch.zeros(n, dtype=torch.float64)
    sd = 1.0 / math.sqrt(B)
    for t in range(burn + window):
        with torch.no_grad():
            theta.grad = theta.detach() + sd * torch.randn(n, generator=gen)
        guarded(opt.step, f"{spec.name}.step() at NQM step {t + 1} (B={B:g})", timeout,
                armed)
        if t >= burn:
            acc += theta.detach().double() ** 2
    x = (acc / (2 * window)).numpy()
    if not np.all(np.isfinite(x)):
        raise AssertionError(f"{spec.name}: non-finite NQM loss (lr={kw.get('lr')}, B={B:g})")
    return x


@dataclass
class AlphaResult:
    alpha: float
    lo: float
    hi: float
    medians: dict[str, tuple[float, float, float]]

    def as_dict(self) -> dict[str, Any]:
        return {"alpha": round(self.alpha, 4), "alpha_ci": [round(self.lo, 4), round(self.hi, 4)]}


DESIGN = {"n": 8192, "burn": 800, "window": 1600, "seed": 0}


def alpha_runs(spec: OptimizerSpec, kw: dict[str, Any]) -> dict[str, tuple[dict[str, Any],
                                                                          float]]:
    """The three (kwargs, B) runs: base, lr x KAPPA, and B x KAPPA with Malladi's rule."""
    lr = float(spec.nqm["lr"])
    return {"base": ({**kw, "lr": lr}, 1.0), "lr*4": ({**kw, "lr": lr * KAPPA}, 1.0),
            "B*4": (scaled_kwargs(spec, {**kw, "lr": lr}, KAPPA), KAPPA)}


def repro_script(spec: OptimizerSpec, kw: dict[str, Any], failure: str = "") -> str:
    """A standalone script that recomputes measure_alpha's three median losses and alpha."""
    from sgdcheck.optim.repro import nqm_script
    return nqm_script(spec, alpha_runs(spec, kw), failure=failure, **DESIGN)


def measure_alpha(spec: OptimizerSpec, kw: dict[str, Any], *, n: int = DESIGN["n"],
                  burn: int = DESIGN["burn"], window: int = DESIGN["window"],
                  delta: float = 1e-9, seed: int = DESIGN["seed"],
                  timeout: float = 10.0) -> AlphaResult:
    """alpha = b / a from log L = const + a log lr - b log B; CI by interval arithmetic on
    three simultaneous median CIs (union bound: each at delta / 3)."""
    runs = alpha_runs(spec, kw)
    med = {}
    for i, (key, (k, B)) in enumerate(runs.items()):
        x = window_losses(spec, k, B, n=n, burn=burn, window=window, seed=seed + i,
                          timeout=timeout)
        med[key] = median_ci(x, delta / 3)
    lg = {k: tuple(math.log(v) for v in m) for k, m in med.items()}
    L4 = math.log(KAPPA)
    a = (lg["lr*4"][1] - lg["base"][1]) / L4
    b = -(lg["B*4"][1] - lg["base"][1]) / L4
    a_lo, a_hi = (lg["lr*4"][0] - lg["base"][2]) / L4, (lg["lr*4"][2] - lg["base"][0]) / L4
    b_lo, b_hi = -(lg["B*4"][2] - lg["base"][0]) / L4, -(lg["B*4"][0] - lg["base"][2]) / L4
    if a_lo <= 0:
        return AlphaResult(b / a if a else math.nan, -math.inf, math.inf, med)
    cands = [b_lo / a_lo, b_lo / a_hi, b_hi / a_lo, b_hi / a_hi]
    return AlphaResult(b / a, min(cands), max(cands), med)
