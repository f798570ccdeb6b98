"""Optimized (torch, any device) seed Problem 4: gradient-noise covariance.

Notation of the seed: n per-example gradients g_k (rows of ``G``), the batch
mean ĝ^B of B of them, its covariance Σ^B, the step size η, and SGD on the
quadratic ½ΦᵀHΦ.  Every function is batched over leading dimensions:

* ``batch_covariance`` uses the closed forms Σ^B = Σ¹/B (with replacement)
  and Σ^B = Σ¹·(n − B)/(B·(n − 1)) (without), spec/covariance.md;
* the Lyapunov equations are solved in H's eigenbasis: with H = V·diag(h)·Vᵀ
  and Q̃ = Vᵀ·noise_cov·V, the solutions are S̃_ij = η·Q̃_ij/(h_i + h_j − η·h_i·h_j)
  (discrete) and S̃_ij = Q̃_ij/(h_i + h_j) (continuous), one batched ``eigh``
  for any number of problems.

Storage dtypes float64 and float32 compute in themselves; float16 and
bfloat16 compute in float32 (the working precision of spec/tolerance.md) and
round the result once.  The chain simulators live in ``chains.py``.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from impl._checks import check_array, check_int, check_real

__all__ = [
    "batch_covariance",
    "gradient_covariance",
    "langevin_stationary_covariance",
    "langevin_step",
    "sgd_stationary_covariance",
    "simulate_langevin",
    "simulate_sgd",
]

#: Tolerances (spec/covariance.md#argument-validation), s = d·max|M| ≥ ‖M‖₂, u the unit
#: roundoff of the storage dtype, u_w that of the working dtype:
#: symmetric: max|M − Mᵀ| ≤ SYM_FACTOR·d·u·max|M|; PSD: λ_min ≥ −PSD_FACTOR·u·s;
#: PD (H): λ_min > PD_FACTOR·d·u_w·s, since the solves divide by eigenvalues computed in u_w.
SYM_FACTOR = 2
PSD_FACTOR = 64
PSD_STORAGE = 4
PD_FACTOR = 16
#: From this many matrices on, PSD is tested by a Cholesky of M + PSD_FACTOR·u·s·I (5x
#: cheaper than eigenvalues; it decides exactly except within O(d·u_w·s) of the threshold).
CHOLESKY_BATCH = 64


def work_dtype(t: torch.Tensor) -> torch.dtype:
    """float64 stays float64 (float32 on mps); everything else works in float32."""
    if t.dtype == torch.float64 and t.device.type != "mps":
        return torch.float64
    return torch.float32


def _u(dtype: torch.dtype) -> float:
    return float(torch.finfo(dtype).eps) / 2.0


def _tensor(name: str, a: Any, min_ndim: int) -> torch.Tensor:
    check_array(name, a, min_ndim=min_ndim)
    if not isinstance(a, torch.Tensor):
        raise TypeError(f"{name} must be a torch tensor, got {type(a).__name__}")
    return a


def _square(name: str, a: Any, d: int | None = None) -> torch.Tensor:
    a = _tensor(name, a, 2)
    if a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name} must be square in its last two dims, got {tuple(a.shape)}")
    if d is not None and a.shape[-1] != d:
        raise ValueError(f"{name} must be {d}x{d} in its last two dims, got {tuple(a.shape)}")
    return a


def _scale(x: torch.Tensor) -> torch.Tensor:
    """s = d·max|M| per matrix (an upper bound on ‖M‖₂), shape (...)."""
    d = x.shape[-1]
    return d * x.abs().amax(dim=(-2, -1)) if x.numel() else x.new_zeros(x.shape[:-2])


def _symmetric(name: str, a: torch.Tensor) -> torch.Tensor:
    """Check symmetry (tolerance above); return sym(a) in the working dtype."""
    x = a.to(work_dtype(a))
    if x.numel():
        tol = SYM_FACTOR * _u(a.dtype) * _scale(x)
        bad = (x - x.mT).abs().amax(dim=(-2, -1)) > tol
        if bool(bad.any()):
            raise ValueError(f"{name} must be symmetric within {SYM_FACTOR}*d*u*max|{name}|")
    return (x + x.mT) / 2


def _check_psd(name: str, a: torch.Tensor, x: torch.Tensor,
               lam: torch.Tensor | None = None) -> None:
    """PSD within tolerance: λ_min(x) ≥ −(PSD_STORAGE·u + PSD_FACTOR·u_w)·s (spec)."""
    if x.numel() == 0:
        return
    shift = (PSD_STORAGE * _u(a.dtype) + PSD_FACTOR * _u(x.dtype)) * _scale(x)
    if lam is None and x[..., 0, 0].numel() >= CHOLESKY_BATCH:
        eye = torch.eye(x.shape[-1], dtype=x.dtype, device=x.device)
        shifted = x + (shift[..., None, None] + torch.finfo(x.dtype).tiny) * eye
        if bool((torch.linalg.cholesky_ex(shifted).info != 0).any()):
            raise ValueError(f"{name} must be positive semidefinite (Cholesky of "
                             f"{name} + {PSD_FACTOR}*u*s*I failed)")
        return
    if lam is None:
        lam = torch.linalg.eigvalsh(x)
    if bool((lam[..., 0] < -shift).any()):
        raise ValueError(f"{name} must be positive semidefinite (smallest eigenvalue "
                         f"{float(lam[..., 0].min()):.3g})")


def _check_G(G: Any) -> torch.Tensor:
    G = _tensor("G", G, 2)
    if G.shape[-2] < 1:
        raise ValueError("G must hold at least one example (n >= 1), got n = 0")
    return G


def gradient_covariance(G: torch.Tensor) -> torch.Tensor:
    """Σ¹ = (1/n)·Σ_k (g_k − ḡ)(g_k − ḡ)ᵀ for G of shape (..., n, d) -> (..., d, d)."""
    G = _check_G(G)
    x = G.to(work_dtype(G))
    c = x - x.mean(dim=-2, keepdim=True)
    cov = c.mT @ c / x.shape[-2]
    return ((cov + cov.mT) / 2).to(G.dtype)


def batch_factor(n: int, B: int, replace: bool) -> float:
    """Σ^B / Σ¹: 1/B with replacement, (n − B)/(B·(n − 1)) without (0 when B = n)."""
    if replace:
        return 1.0 / B
    return 0.0 if B == n else (n - B) / (B * (n - 1))


def batch_covariance(G: torch.Tensor, B: int, replace: bool = True) -> torch.Tensor:
    """Σ^B of the mean of B uniform draws from the rows of G (..., n, d)."""
    G = _check_G(G)
    n = G.shape[-2]
    B = check_int("B", B, low=1)
    if not isinstance(replace, bool):
        raise TypeError(f"replace must be a bool, got {type(replace).__name__}")
    if not replace and B > n:
        raise ValueError(f"B must be <= n = {n} when sampling without replacement, got {B}")
    x = G.to(work_dtype(G))
    c = x - x.mean(dim=-2, keepdim=True)
    cov = c.mT @ c * (batch_factor(n, B, replace) / n)
    return ((cov + cov.mT) / 2).to(G.dtype)


def noise_factor(lam: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """L = V·diag(√λ₊) from q = V·diag(λ)·Vᵀ, so L·Lᵀ = q (PSD, possibly singular).

    An eigen-root rather than Cholesky: it handles singular q, and a tiny batched
    Cholesky can be slow on multi-threaded CPU LAPACK. L is not symmetric, so applying
    Lᵀ instead of L is a detectable bug.
    """
    return V * lam.clamp_min(0).sqrt()[..., None, :]


def check_noise_cov(noise_cov: Any, d: int, factor: bool = True
                    ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Validate noise_cov (..., d, d); return (sym(noise_cov), L or None), working dtype."""
    Q = _square("noise_cov", noise_cov, d)
    q = _symmetric("noise_cov", Q)
    if not factor:
        _check_psd("noise_cov", Q, q)
        return q, None
    lam, V = torch.linalg.eigh(q) if q.numel() else (q.new_zeros(q.shape[:-1]), q)
    _check_psd("noise_cov", Q, q, lam)
    return q, noise_factor(lam, V)


def _last_dim(name: str, a: Any, d: int) -> torch.Tensor:
    a = _tensor(name, a, 1)
    if a.shape[-1] != d:
        raise ValueError(f"{name} must have last dimension d = {d}, got {tuple(a.shape)}")
    return a


def langevin_step(phi: torch.Tensor, g: torch.Tensor, noise_cov: torch.Tensor, dt: float,
                  noise: torch.Tensor) -> torch.Tensor:
    """Φ − g·Δt + √Δt·L·ε with L·Lᵀ = noise_cov = ηΣ^B; phi, g, noise (..., d)."""
    phi = _tensor("phi", phi, 1)
    d = phi.shape[-1]
    g = _last_dim("g", g, d)
    noise = _last_dim("noise", noise, d)
    dt = check_real("dt", dt, low=0.0)
    _, L = check_noise_cov(noise_cov, d)
    return step_with_factor(phi, g, L, dt, noise)


def matvec(M: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """M·x for M (..., d, d), x (..., d); one GEMM when M is a single matrix."""
    if M.ndim == 2:
        return x @ M.mT
    return (M @ x.unsqueeze(-1)).squeeze(-1)


def step_with_factor(phi: torch.Tensor, g: torch.Tensor, L: torch.Tensor, dt: float,
                     noise: torch.Tensor) -> torch.Tensor:
    """The unchecked step, L already computed (used by the chain simulators)."""
    w = L.dtype
    kick = matvec(L, noise.to(w))
    out = phi.to(w) - g.to(w) * dt + math.sqrt(dt) * kick
    return out.to(phi.dtype)


def check_spd(H: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Validate H (..., d, d) symmetric positive definite; return (h, V, H_sym)."""
    Hm = _square("H", H)
    x = _symmetric("H", Hm)
    h, V = torch.linalg.eigh(x)
    if x.numel():
        floor = PD_FACTOR * x.shape[-1] * _u(x.dtype) * _scale(x)
        if bool((h[..., 0] <= floor).any()):
            raise ValueError("H must be positive definite (smallest eigenvalue too small)")
    return h, V, x


def check_eta(eta: Any, h: torch.Tensor) -> torch.Tensor:
    """η (real, or a tensor broadcastable to H's batch shape) with 0 < η·h_max < 2."""
    if isinstance(eta, torch.Tensor):
        check_array("eta", eta)
        e = eta.to(device=h.device, dtype=h.dtype)
    else:
        e = torch.tensor(check_real("eta", eta, low=0.0, low_inclusive=False),
                         dtype=h.dtype, device=h.device)
    if bool((e <= 0).any()):
        raise ValueError("eta must be > 0")
    if h.shape[-1] and bool((e * h[..., -1] >= 2).any()):
        raise ValueError("eta must satisfy 0 < eta*h_max < 2 (SGD on the quadratic diverges)")
    return e


def _in_eigenbasis(V: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    return V.mT @ q @ V


def _from_eigenbasis(V: torch.Tensor, s: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    out = V @ s @ V.mT
    return ((out + out.mT) / 2).to(dtype)


def sgd_stationary_covariance(H: torch.Tensor, eta: Any,
                              noise_cov: torch.Tensor) -> torch.Tensor:
    """S = (I − ηH)·S·(I − ηH)ᵀ + η²·noise_cov, batched over leading dims.

    S̃_ij = η·Q̃_ij / (h_i + h_j − η·h_i·h_j) in H's eigenbasis.
    """
    h, V, _ = check_spd(H)
    q, _ = check_noise_cov(noise_cov, H.shape[-1], factor=False)
    e = check_eta(eta, h)[..., None, None]
    hi, hj = h[..., :, None], h[..., None, :]
    s = e * _in_eigenbasis(V, q) / (hi + hj - e * hi * hj)
    return _from_eigenbasis(V, s, H.dtype)


def langevin_stationary_covariance(H: torch.Tensor, noise_cov: torch.Tensor) -> torch.Tensor:
    """S solving H·S + S·H = noise_cov: S̃_ij = Q̃_ij / (h_i + h_j) in H's eigenbasis."""
    h, V, _ = check_spd(H)
    q, _ = check_noise_cov(noise_cov, H.shape[-1], factor=False)
    s = _in_eigenbasis(V, q) / (h[..., :, None] + h[..., None, :])
    return _from_eigenbasis(V, s, H.dtype)


from .chains import simulate_langevin, simulate_sgd  # noqa: E402  (chains imports us)
