"""The noisy quadratic model of spec/linear.md#batch-size-scaling-dynamics.

One coordinate theta per chain, loss L(theta) = h theta^2 / 2, and example b's
gradient g_b = h theta + sigma z_b with z_b ~ N(0, 1) independent.  A batch of
B examples gives

    W_grad = h theta + sigma zbar,          zbar ~ N(0, 1/B)
    grad2  = W_grad^2 + sigma^2 chi2_{B-1} / B

(the sum of squares splits into the mean's part and an independent
chi-square with B - 1 degrees of freedom), so a step costs O(1) per chain
whatever B is.  ``run`` drives K independent chains through an
implementation's ``rmsprop_step`` and returns each chain's time-averaged
clipped loss; ``predict`` is the frozen-denominator prediction of the spec;
``bernstein_halfwidth`` is the empirical Bernstein bound of Maurer and
Pontil (2009, Thm. 4) that turns K chains into a test with a stated
false-failure rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

H = 1.0
"""Curvature h of the quadratic."""
SIGMA = 1.0
"""Per-example gradient noise sigma (Sigma^1 = sigma^2)."""
HORIZON = 100
"""RMSProp's averaging horizon N (alpha = 1 - 1/N)."""
LR1 = 0.01
"""The learning rate at B = 1; the scaling rules multiply it by sqrt(B) or B."""
CLIP = 10.0
"""Per-step losses are clipped at CLIP times the predicted stationary loss."""
CHAINS, BURN_IN, STEPS = 8192, 100, 400

Step = Callable[..., tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Config:
    second: str
    """'standard' (RMSProp averages W_grad^2) or 'grad2'."""
    B: int
    rule: str
    """'sqrt' (lr = LR1 sqrt(B)) or 'linear' (lr = LR1 B)."""

    @property
    def lr(self) -> float:
        return LR1 * (math.sqrt(self.B) if self.rule == "sqrt" else self.B)

    def __str__(self) -> str:
        return f"{self.second} B={self.B} lr={self.rule}"


def predict(cfg: Config) -> float:
    """Stationary E[L] with the denominator frozen at sqrt(E[second]).

    theta' = (1 - eta h) theta - eta sigma zbar is AR(1), so
    v = E[theta^2] = eta sigma^2 / (B h (2 - eta h)) with eta = lr / sqrt(m) and
    m = E[second] = h^2 v + sigma^2 / B (standard) or h^2 v + sigma^2 (grad2);
    the fixed point is found by iteration.  Returns h v / 2.
    """
    noise = SIGMA ** 2 / cfg.B if cfg.second == "standard" else SIGMA ** 2
    v = 0.0
    for _ in range(200):
        eta = cfg.lr / math.sqrt(H * H * v + noise)
        v = eta * SIGMA ** 2 / (cfg.B * H * (2.0 - eta * H))
    return H * v / 2.0


def clipped_chi2_mean(a: float) -> float:
    """E[min(Z^2, a)] for Z ~ N(0, 1): P(|Z| <= r) - 2 r phi(r) + a P(|Z| > r), r = sqrt(a)."""
    r = math.sqrt(a)
    phi = math.exp(-r * r / 2) / math.sqrt(2 * math.pi)
    return math.erf(r / math.sqrt(2)) - 2 * r * phi + a * math.erfc(r / math.sqrt(2))


def predict_clipped(cfg: Config) -> float:
    """E[min(L, CLIP L*)] when theta is Gaussian with E[L] = L* = predict(cfg)."""
    return predict(cfg) * clipped_chi2_mean(CLIP)


def run(step: Step, cfg: Config, *, seed: int, chains: int = CHAINS,
        burn_in: int = BURN_IN, steps: int = STEPS,
        to_backend: Callable[[np.ndarray], Any] = lambda a: a,
        to_numpy: Callable[[Any], np.ndarray] = np.asarray) -> np.ndarray:
    """Each chain's time average of min(L_t, CLIP L*) over ``steps`` steps.

    Chains start at the predicted stationary law (theta ~ N(0, v), s = E[second])
    and run ``burn_in`` steps first.  ``step`` is an implementation's
    ``rmsprop_step``; ``to_backend``/``to_numpy`` convert its arrays.
    """
    rng = np.random.default_rng(seed)
    L_star = predict(cfg)
    v = 2.0 * L_star / H
    noise = SIGMA ** 2 / cfg.B if cfg.second == "standard" else SIGMA ** 2
    theta = rng.standard_normal(chains) * math.sqrt(v)
    s = np.full(chains, H * H * v + noise)
    cap = CLIP * L_star
    total = np.zeros(chains)
    th_b, s_b = to_backend(theta), to_backend(s)
    for t in range(burn_in + steps):
        g = H * theta + SIGMA * rng.standard_normal(chains) / math.sqrt(cfg.B)
        second = g * g
        if cfg.second == "grad2" and cfg.B > 1:
            second = second + SIGMA ** 2 * rng.chisquare(cfg.B - 1, chains) / cfg.B
        th_b, s_b = step(th_b, to_backend(g), to_backend(second), s_b,
                         HORIZON, cfg.lr, 0.0)
        theta = to_numpy(th_b)
        if t >= burn_in:
            total += np.minimum(H * theta * theta / 2.0, cap)
    return total / steps


def bernstein_halfwidth(Y: np.ndarray, cap: float, delta: float) -> float:
    """Two-sided empirical Bernstein radius for the mean of i.i.d. Y in [0, cap].

    With probability >= 1 - delta, |mean(Y) - E[Y]| <= cap (sqrt(2 V ln(4/delta) / n)
    + 7 ln(4/delta) / (3 (n - 1))), V the unbiased sample variance of Y / cap
    (Maurer and Pontil 2009, Theorem 4, applied to Y and cap - Y at delta/2 each).
    """
    n = Y.size
    V = float(np.var(Y / cap, ddof=1))
    log_term = math.log(4.0 / delta)
    return cap * (math.sqrt(2.0 * V * log_term / n) + 7.0 * log_term / (3.0 * (n - 1)))


CONFIGS: tuple[Config, ...] = (
    Config("standard", 1, "sqrt"),
    Config("standard", 16, "sqrt"),
    Config("standard", 16, "linear"),
    Config("grad2", 16, "linear"),
    Config("grad2", 16, "sqrt"),
)
"""B = 1 (where every rule and both seconds coincide) and B = 16 under each rule."""
