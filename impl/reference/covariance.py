"""Reference (numpy, float64) for seed Problem 4: gradient-noise covariance.

Notation of the seed: a population of n per-example gradients g_k (rows of
``G``), their mean ḡ = g, the batch mean ĝ^B of B sampled gradients, its
covariance Σ^B, the step size η, and the quadratic loss ½ΦᵀHΦ.

This module is the oracle, so it computes everything the slow, obvious way:

* ``batch_covariance`` enumerates every one of the n^B ordered batches (with
  replacement) or every B-subset (without), averages the outer products of
  the batch-mean deviations, and never uses the closed forms Σ¹/B or
  Σ¹(n−B)/(B(n−1)).  For populations too large to enumerate it enumerates the
  n² ordered *pairs* of batch positions instead (spec/covariance.md,
  "Where the derivation uses independence"), which is still exact.
* both Lyapunov equations are solved as d²×d² linear systems built from
  Kronecker products.

Inputs may be any float dtype; the computation is float64 and the result is
cast back to the dtype of the first array argument.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from impl._checks import check_array, check_int, check_real

__all__ = [
    "batch_covariance",
    "gradient_covariance",
    "langevin_stationary_covariance",
    "langevin_step",
    "sgd_stationary_covariance",
]

#: Enumerate whole batches only while there are at most this many of them.
MAX_ENUMERATED_BATCHES = 200_000
#: Tolerances (spec/covariance.md#argument-validation), s = d·max|M| ≥ ‖M‖₂, u the unit
#: roundoff of M's dtype: "symmetric" if max|M − Mᵀ| ≤ SYM_FACTOR·d·u·max|M|, "PSD" if
#: λ_min ≥ −PSD_FACTOR·u·s; H is "positive definite" if λ_min(H) > PD_FACTOR·d·u_w·s with
#: u_w = 2⁻⁵³ of the float64 computation.
SYM_FACTOR = 2
PSD_FACTOR = 64
PSD_STORAGE = 4
PD_FACTOR = 16


def _unit_roundoff(a: np.ndarray) -> float:
    return float(np.finfo(a.dtype).eps) / 2.0


def _matrix(name: str, a: Any, d: int | None = None) -> np.ndarray:
    check_array(name, a, ndim=2)
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array for the numpy reference")
    if a.shape[0] != a.shape[1]:
        raise ValueError(f"{name} must be square, got shape {a.shape}")
    if d is not None and a.shape[0] != d:
        raise ValueError(f"{name} must have shape ({d}, {d}), got {a.shape}")
    return a


def _symmetric(name: str, a: np.ndarray) -> np.ndarray:
    """Check symmetry within SYM_FACTOR·d·u·max|a|; return the float64 array."""
    d = a.shape[0]
    x = a.astype(np.float64)
    scale = float(np.abs(x).max()) if x.size else 0.0
    tol = SYM_FACTOR * d * _unit_roundoff(a) * scale
    if x.size and float(np.abs(x - x.T).max()) > tol:
        raise ValueError(f"{name} must be symmetric (max |{name} - {name}^T| > {tol:.3g})")
    return (x + x.T) / 2.0


def _check_psd(name: str, a: np.ndarray, x: np.ndarray) -> None:
    d = x.shape[0]
    if d == 0:
        return
    scale = d * float(np.abs(x).max())
    lam = float(np.linalg.eigvalsh(x).min())
    if lam < -(PSD_STORAGE + PSD_FACTOR) * _unit_roundoff(a) * scale:  # u = u_w here
        raise ValueError(f"{name} must be positive semidefinite, smallest eigenvalue {lam:.3g}")


def _spd_eigs(name: str, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Eigenvalues of a symmetric H, checked numerically positive definite."""
    d = x.shape[0]
    if d == 0:
        return np.zeros(0)
    h = np.linalg.eigvalsh(x)
    scale = d * float(np.abs(x).max())
    if not h[0] > PD_FACTOR * d * _unit_roundoff(x) * scale:
        raise ValueError(f"{name} must be positive definite, smallest eigenvalue {h[0]:.3g}")
    return h


def _check_G(G: Any) -> np.ndarray:
    check_array("G", G, ndim=2)
    if not isinstance(G, np.ndarray):
        raise TypeError("G must be a numpy array for the numpy reference")
    if G.shape[0] < 1:
        raise ValueError("G must hold at least one example (n >= 1), got n = 0")
    return G


def gradient_covariance(G: np.ndarray) -> np.ndarray:
    """Σ¹ = (1/n)·Σ_k (g_k − ḡ)(g_k − ḡ)ᵀ for the n rows g_k of ``G`` (n, d).

    A literal two-pass loop over the examples: the population covariance of
    one uniformly sampled gradient (divide by n, not n − 1).
    """
    G = _check_G(G)
    x = G.astype(np.float64)
    n, d = x.shape
    mean = np.zeros(d)
    for k in range(n):
        mean += x[k]
    mean /= n
    out = np.zeros((d, d))
    for k in range(n):
        c = x[k] - mean
        out += np.outer(c, c)
    return (out / n).astype(G.dtype)


def _batches(n: int, B: int, replace: bool) -> tuple[np.ndarray, float]:
    """All ordered batches (index rows) and how many there are."""
    if replace:
        it = itertools.product(range(n), repeat=B)
        count = float(n) ** B
    else:
        it = itertools.combinations(range(n), B)
        count = float(math.comb(n, B))
    idx = np.fromiter(itertools.chain.from_iterable(it), dtype=np.int64)
    return idx.reshape(-1, B), count


def _pair_covariance(x: np.ndarray, B: int, replace: bool) -> np.ndarray:
    """Σ^B from the joint law of two batch positions (exact, O(n²d²)).

    ĝ^B − g = (1/B)·Σ_b (g_{k_b} − g), so Σ^B = (1/B²)·Σ_{b,b'} C(b, b') where
    C(b, b) is the covariance of one draw and C(b, b') for b ≠ b' that of two
    positions: uniform over all n² ordered pairs with replacement, over the
    n(n−1) pairs of distinct examples without.
    """
    n, _ = x.shape
    c = x - x.mean(axis=0)
    same = c.T @ c / n
    total = c.sum(axis=0)
    pair_sum = np.outer(total, total)
    if replace:
        cross = pair_sum / (n * n)
    else:
        cross = (pair_sum - c.T @ c) / (n * (n - 1)) if n > 1 else np.zeros_like(same)
    return (B * same + B * (B - 1) * cross) / (B * B)


def batch_covariance(G: np.ndarray, B: int, replace: bool = True) -> np.ndarray:
    """Σ^B: covariance of the mean ĝ^B of B examples drawn uniformly from ``G``.

    ``replace=True``: B i.i.d. draws (all n^B ordered batches equally likely).
    ``replace=False``: a uniformly random B-subset (all C(n, B) equally likely).
    Computed by enumerating every batch when there are at most
    MAX_ENUMERATED_BATCHES of them, else from the exact pair law.
    """
    G = _check_G(G)
    n = G.shape[0]
    B = check_int("B", B, low=1)
    if not isinstance(replace, (bool, np.bool_)):
        raise TypeError(f"replace must be a bool, got {type(replace).__name__}")
    if not replace and B > n:
        raise ValueError(f"B must be <= n = {n} when sampling without replacement, got {B}")
    x = G.astype(np.float64)
    count = float(n) ** B if replace else float(math.comb(n, B))
    if count > MAX_ENUMERATED_BATCHES:
        return _pair_covariance(x, B, bool(replace)).astype(G.dtype)
    idx, count = _batches(n, B, bool(replace))
    g = x.mean(axis=0)
    means = x[idx].mean(axis=1) - g          # (count, d): ĝ^B − g per batch
    out = means.T @ means / count
    return ((out + out.T) / 2.0).astype(G.dtype)


def _noise_factor(noise_cov: np.ndarray) -> np.ndarray:
    """A lower-triangular L with L·Lᵀ = noise_cov (PSD, possibly singular).

    Cholesky of the positive definite case; for a singular matrix the
    Cholesky of the eigenvalue-clipped matrix plus a tiny shift would be
    inexact, so the factor comes from a QR of the symmetric square root
    instead: if Q·R = (V√Λ Vᵀ)ᵀ then Rᵀ·R = noise_cov and Rᵀ is lower
    triangular.
    """
    try:
        return np.linalg.cholesky(noise_cov)
    except np.linalg.LinAlgError:
        lam, V = np.linalg.eigh(noise_cov)
        root = (V * np.sqrt(np.clip(lam, 0.0, None))) @ V.T
        R = np.linalg.qr(root.T, mode="r")
        signs = np.where(np.diag(R) < 0, -1.0, 1.0)
        return (R * signs[:, None]).T


def langevin_step(phi: np.ndarray, g: np.ndarray, noise_cov: np.ndarray, dt: float,
                  noise: np.ndarray) -> np.ndarray:
    """One Euler–Maruyama step Φ − g·Δt + √Δt·L·ε with L·Lᵀ = noise_cov.

    ``phi``, ``g``, ``noise`` have shape (..., d) (broadcast together);
    ``noise_cov`` (d, d) is ηΣ^B.  With ε ~ N(0, I) the increment is
    N(−g·Δt, Δt·ηΣ^B), the seed's Langevin dynamics.
    """
    for name, a in (("phi", phi), ("g", g), ("noise", noise)):
        check_array(name, a, min_ndim=1)
    d = phi.shape[-1]
    for name, a in (("g", g), ("noise", noise)):
        if a.shape[-1] != d:
            raise ValueError(f"{name} must have last dimension d = {d}, got shape {a.shape}")
    Q = _matrix("noise_cov", noise_cov, d)
    dt = check_real("dt", dt, low=0.0)
    Qs = _symmetric("noise_cov", Q)
    _check_psd("noise_cov", Q, Qs)
    L = _noise_factor(Qs)
    out_shape = np.broadcast_shapes(phi.shape, g.shape, noise.shape)
    p = np.broadcast_to(phi.astype(np.float64), out_shape)
    gg = np.broadcast_to(g.astype(np.float64), out_shape)
    z = np.broadcast_to(noise.astype(np.float64), out_shape)
    step = np.einsum("ij,...j->...i", L, z)
    return (p - gg * dt + math.sqrt(dt) * step).astype(phi.dtype)


def _kron_solve(op: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    d = rhs.shape[0]
    s = np.linalg.solve(op, rhs.reshape(d * d)).reshape(d, d)
    return (s + s.T) / 2.0


def _lyapunov_inputs(H: Any, noise_cov: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    Hm = _matrix("H", H)
    d = Hm.shape[0]
    Qm = _matrix("noise_cov", noise_cov, d)
    Hs = _symmetric("H", Hm)
    h = _spd_eigs("H", Hm, Hs)
    Qs = _symmetric("noise_cov", Qm)
    _check_psd("noise_cov", Qm, Qs)
    return Hs, Qs, h


def sgd_stationary_covariance(H: np.ndarray, eta: float, noise_cov: np.ndarray) -> np.ndarray:
    """S = (I − ηH)·S·(I − ηH)ᵀ + η²·noise_cov, solved as a d²×d² system.

    The stationary covariance of Φ ← Φ − η(HΦ + ξ), Cov ξ = noise_cov = Σ^B,
    on the quadratic ½ΦᵀHΦ.  Needs H symmetric positive definite and
    0 < η·h_max < 2 (spec/covariance.md#the-discrete-lyapunov-equation).
    """
    Hs, Qs, h = _lyapunov_inputs(H, noise_cov)
    eta = check_real("eta", eta, low=0.0, low_inclusive=False)
    d = Hs.shape[0]
    h_max = float(h[-1]) if d else 0.0
    if eta * h_max >= 2.0:
        raise ValueError(f"eta must satisfy 0 < eta*h_max < 2 (h_max = {h_max:.6g}), "
                         f"got eta*h_max = {eta * h_max:.6g}")
    A = np.eye(d) - eta * Hs
    op = np.eye(d * d) - np.kron(A, A)
    return _kron_solve(op, eta * eta * Qs).astype(np.asarray(H).dtype)


def langevin_stationary_covariance(H: np.ndarray, noise_cov: np.ndarray) -> np.ndarray:
    """S solving H·S + S·H = noise_cov, as (H ⊗ I + I ⊗ H)·vec S = vec noise_cov.

    The stationary covariance of dΦ = −HΦ dt + √noise_cov dW with
    noise_cov = ηΣ^B (spec/covariance.md#the-continuous-lyapunov-equation).
    """
    Hs, Qs, _ = _lyapunov_inputs(H, noise_cov)
    d = Hs.shape[0]
    eye = np.eye(d)
    op = np.kron(Hs, eye) + np.kron(eye, Hs)
    return _kron_solve(op, Qs).astype(np.asarray(H).dtype)
