"""Oracles, strategies and rounding bounds of spec/covariance.md (no tests here).

Shared by the covariance and Langevin property modules. Everything is float64
numpy computed from the (already representable) inputs; bounds follow
spec/covariance.md#rounding-error-bounds term by term.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from hypothesis import strategies as st

from sgdcheck.dtypes import TORCH_DTYPES, gamma, unit_roundoff, working_roundoff

SPEC = "spec/covariance.md"
U64 = unit_roundoff("float64")


def underflow(dtype: str) -> float:
    """η_s: the subnormal spacing of the storage dtype."""
    fi = torch.finfo(TORCH_DTYPES[dtype])
    return float(fi.smallest_normal) * float(fi.eps)


def k_d(d: int) -> float:
    """K_d = 16(d + 2) of the eigenbasis-solve bound."""
    return 16.0 * (d + 2)


# --- batch covariances ------------------------------------------------------

def batch_factor(n: int, B: int, replace: bool) -> float:
    """Σ^B/Σ¹ (used only to scale bounds, never as an oracle)."""
    if replace:
        return 1.0 / B
    return 0.0 if B == n else (n - B) / (B * (n - 1))


def enumerate_batches(G: np.ndarray, B: int, replace: bool) -> tuple[np.ndarray, int]:
    """Σ^B by enumeration: every ordered batch (replace) or every B-subset, equally likely."""
    n = G.shape[0]
    it = (itertools.product(range(n), repeat=B) if replace
          else itertools.combinations(range(n), B))
    idx = np.array(list(it), dtype=np.int64).reshape(-1, B)
    dev = G[idx].mean(axis=1) - G.mean(axis=0)
    return dev.T @ dev / idx.shape[0], idx.shape[0]


def population_covariance(G: np.ndarray) -> np.ndarray:
    """Σ¹ by its definition: the uniform distribution over the n rows."""
    c = G - G.mean(axis=0)
    return c.T @ c / G.shape[0]


def cov_bound(G: np.ndarray, sigma: np.ndarray, factor: float, dtype: str,
              count: int = 1, B: int = 1) -> np.ndarray:
    """Elementwise bound on |Σ̂ − Σ| (spec/covariance.md#batch-covariances), oracle included."""
    n = G.shape[0]
    u, u_w = unit_roundoff(dtype), working_roundoff(dtype)
    c = np.abs(G - G.mean(axis=0))
    total = 0.0
    for uu in (u_w, U64):
        a = gamma(n + 1, uu) * np.abs(G).max(axis=0)
        m = (c + a).T @ (c + a) / n
        total = total + 2 * factor * (gamma(n + 6, uu) * m + np.outer(a, a))
    big = c.max(axis=0) + gamma(n + 1, U64) * np.abs(G).max(axis=0)
    oracle = gamma(count + n + B + 4, U64) * factor * np.outer(big, big)
    return u * np.abs(sigma) + total + oracle + underflow(dtype) + 1e-300


# --- Lyapunov oracles ---------------------------------------------------------

def eig(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.linalg.eigh((H + H.T) / 2)


def discrete_oracle(H: np.ndarray, eta: float, Q: np.ndarray) -> np.ndarray:
    """S̃_ij = η·Q̃_ij/(h_i + h_j − η·h_i·h_j), float64."""
    h, V = eig(H)
    f = h[:, None] + h[None, :] - eta * np.outer(h, h)
    S = V @ (eta * (V.T @ Q @ V) / f) @ V.T
    return (S + S.T) / 2


def continuous_oracle(H: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """S̃_ij = Q̃_ij/(h_i + h_j), float64."""
    h, V = eig(H)
    S = V @ ((V.T @ Q @ V) / (h[:, None] + h[None, :])) @ V.T
    return (S + S.T) / 2


def delta(h: np.ndarray, eta: float | None) -> float:
    """δ = min f_ij over the spectrum (a corner of the box); 2h_min when continuous."""
    lo, hi = float(h[0]), float(h[-1])
    if eta is None:
        return 2 * lo
    return min(lo * (2 - eta * lo), hi * (2 - eta * hi), lo + hi - eta * lo * hi)


def kappa(H: np.ndarray, eta: float | None) -> float:
    h = eig(H)[0]
    return float(h[-1]) / delta(h, eta)


def oracle_constant(d: int) -> int:
    """3d⁴ + 8: LU on the d²×d² Kronecker operator (spec/covariance.md#lyapunov-solves)."""
    return 3 * d**4 + 8


def lyap_bound(H: np.ndarray, eta: float | None, S: np.ndarray, dtype: str) -> float:
    """Frobenius bound on ‖Ŝ − S‖_F: impl (u, u_w) + float64 oracle (u_64)."""
    d = H.shape[0]
    kap = kappa(H, eta)
    fro = float(np.linalg.norm(S))
    impl = (unit_roundoff(dtype) + k_d(d) * working_roundoff(dtype) * kap) * fro
    oracle = oracle_constant(d) * U64 * kap * fro
    return impl + oracle + d * underflow(dtype)


# --- strategies -----------------------------------------------------------------

def h_floor(dtype: str, d: int) -> float:
    """Smallest drawn eigenvalue (with h_max ≈ 1): rounding H must keep it positive."""
    return min(0.25, max(1e-3, 16 * d * unit_roundoff(dtype)))


def draw_spd(data: st.DataObject, case, d: int, label: str = "H") -> np.ndarray:
    """A representable symmetric positive definite H with eigenvalues in [h_floor, 1]."""
    lo = h_floor(case.dtype, d)
    h = np.array(data.draw(st.lists(st.floats(lo, 1.0), min_size=d, max_size=d),
                           label=f"eigenvalues of {label}"))
    h[np.argmax(h)] = 1.0
    M = np.array(data.draw(st.lists(st.floats(-1, 1), min_size=d * d, max_size=d * d),
                           label=f"basis seed of {label}")).reshape(d, d)
    V, _ = np.linalg.qr(M + 3 * np.eye(d))
    H = V @ np.diag(h) @ V.T
    return case.representable((H + H.T) / 2)


def draw_psd(data: st.DataObject, case, d: int, full_rank: bool = False,
             label: str = "noise_cov", scale: float = 1.0) -> np.ndarray:
    """An exactly PSD matrix M·Mᵀ (+ I/4 when ``full_rank``) times ``scale`` (a power of 2)."""
    r = d if full_rank else data.draw(st.integers(1, d), label=f"rank of {label}")
    # Entries k/4: every product and sum is exact in every dtype, so Q is exactly PSD.
    M = np.array(data.draw(st.lists(st.integers(-4, 4), min_size=d * r, max_size=d * r),
                           label=f"factor of {label} (x4)")).reshape(d, r) / 4
    Q = M @ M.T + (np.eye(d) / 4 if full_rank else 0)
    return case.representable(scale * (Q + Q.T) / 2)


def draw_G(data: st.DataObject, case, n_max: int = 6, d_max: int = 3) -> np.ndarray:
    n = data.draw(st.integers(2, n_max), label="n")
    d = data.draw(st.integers(1, d_max), label="d")
    vals = data.draw(st.lists(st.floats(-8, 8, width=32), min_size=n * d, max_size=n * d),
                     label="G")
    return case.representable(np.array(vals).reshape(n, d))


# --- Monte Carlo ---------------------------------------------------------------

def chi2_thresholds(n: int, alpha_side: float) -> tuple[float, float]:
    """t_± with exp(−(n/2)(t − ln(1 + t))) = α and exp(−(n/2)(−t − ln(1 − t))) = α."""
    target = 2 * math.log(1 / alpha_side) / n

    def solve(f, hi: float) -> float:
        lo = 0.0
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if f(mid) < target else (lo, mid)
        return hi

    up = solve(lambda t: t - math.log1p(t), 1e6)
    down = solve(lambda t: -t - math.log1p(-t), 1 - 1e-15)
    return up, down


def directions(d: int) -> np.ndarray:
    """e_i and (e_i ± e_j)/√2: d² unit vectors fixing every entry of a symmetric matrix."""
    rows = [np.eye(d)[i] for i in range(d)]
    for i, j in itertools.combinations(range(d), 2):
        for s in (1.0, -1.0):
            w = np.zeros(d)
            w[i], w[j] = 1 / math.sqrt(2), s / math.sqrt(2)
            rows.append(w)
    return np.array(rows)


def mixing_steps(A_radius: float, kappa_S: float, eps: float = 1e-6) -> int:
    """T with ρ^{2T}·κ(S) ≤ ε (spec/covariance.md#the-chain-simulators)."""
    return max(1, math.ceil(math.log(eps / kappa_S) / (2 * math.log(A_radius))))


def chi2_check(phi: np.ndarray, S_T: np.ndarray, bias: float, alpha: float,
               examples: int, what: str) -> None:
    """Fail iff some direction's X_w/n leaves [(1−b)(1−t_−), (1+b)(1+t_+)]."""
    n, d = phi.shape
    W = np.linalg.inv(np.linalg.cholesky(S_T))
    z = phi @ W.T
    dirs = directions(d)
    up, down = chi2_thresholds(n, alpha / (2 * len(dirs) * examples))
    x = ((z @ dirs.T) ** 2).sum(axis=0) / n
    hi, lo = (1 + bias) * (1 + up), (1 - bias) * (1 - down)
    bad = [(w, v) for w, v in zip(dirs, x) if not lo <= v <= hi]
    if bad:
        w, v = bad[0]
        raise AssertionError(
            f"{what}: whitened variance along {np.round(w, 3).tolist()} is {v:.4f}, outside "
            f"[{lo:.4f}, {hi:.4f}] (n = {n} chains; false-failure rate <= {alpha:g})")
