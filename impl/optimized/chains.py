"""Vectorized simulators of many independent SGD and Langevin chains.

Signature (spec/covariance.md#the-chain-simulators): every chain starts at
Φ_0 = 0 and runs ``steps`` steps; the result is the final state of each of
``chains`` independent chains, shape (chains, *batch, d), in H's dtype and on
H's device.  All chains advance together: one (chains, *batch, d) Gaussian
draw and one batched mat-vec per step, so the Python loop is over steps only.

* ``simulate_sgd``:      Φ ← Φ − η·(HΦ + ξ),        ξ ~ N(0, noise_cov = Σ^B)
* ``simulate_langevin``: Φ ← Φ − HΦ·Δt + √Δt·L·ε,  ε ~ N(0, I), L·Lᵀ = noise_cov = ηΣ^B

Both are Gaussian linear recursions, so Φ_T ~ N(0, S − A^T·S·(A^T)ᵀ) exactly,
A = I − ηH (resp. I − Δt·H) and S the matching discrete stationary covariance;
the caller picks ``steps`` from the mixing time.  ``seed`` seeds a private
generator (numpy PCG64 on CPU, ``torch.Generator`` elsewhere), so runs are reproducible
per device.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from impl._checks import check_int, check_real

from .covariance import check_eta, check_noise_cov, check_spd, matvec

__all__ = ["simulate_langevin", "simulate_sgd"]


class _Normals:
    """Standard normal draws of a fixed shape, seeded, on the chains' device.

    On CPU they come from numpy's PCG64 ziggurat sampler (several times faster than
    torch's float64 CPU sampler); elsewhere from a ``torch.Generator`` on the device.
    """

    def __init__(self, seed: int, shape: tuple[int, ...], dtype: torch.dtype,
                 device: torch.device) -> None:
        self.shape, self.dtype, self.device = shape, dtype, device
        if device.type == "cpu":
            self.rng = np.random.default_rng(seed)
            self.np_dtype = np.float64 if dtype == torch.float64 else np.float32
        else:
            self.gen = torch.Generator(device=device)
            self.gen.manual_seed(seed)

    def draw(self) -> torch.Tensor:
        if self.device.type == "cpu":
            return torch.from_numpy(self.rng.standard_normal(self.shape, dtype=self.np_dtype))
        return torch.randn(self.shape, generator=self.gen, dtype=self.dtype, device=self.device)


def _run(H: torch.Tensor, L: torch.Tensor, step_size: torch.Tensor, noise_scale: torch.Tensor,
         steps: int, chains: int, seed: int) -> torch.Tensor:
    """Φ ← Φ − step_size·HΦ + noise_scale·L·ε for all chains at once (working dtype)."""
    batch = torch.broadcast_shapes(H.shape[:-2], L.shape[:-2], step_size.shape)
    d = H.shape[-1]
    phi = torch.zeros((chains, *batch, d), dtype=H.dtype, device=H.device)
    normals = _Normals(seed, tuple(phi.shape), H.dtype, H.device)
    a = step_size[..., None]
    s = noise_scale[..., None]
    for _ in range(steps):
        phi = phi - a * matvec(H, phi) + s * matvec(L, normals.draw())
    return phi


def _counts(steps: Any, chains: Any, seed: Any) -> tuple[int, int, int]:
    return (check_int("steps", steps, low=0), check_int("chains", chains, low=1),
            check_int("seed", seed, low=0))


def simulate_sgd(H: torch.Tensor, eta: Any, noise_cov: torch.Tensor, steps: int,
                 chains: int, seed: int = 0) -> torch.Tensor:
    """Final states of ``chains`` SGD chains Φ ← Φ − η(HΦ + ξ), ξ ~ N(0, Σ^B)."""
    h, _, x = check_spd(H)
    _, L = check_noise_cov(noise_cov, H.shape[-1])
    e = check_eta(eta, h)
    steps, chains, seed = _counts(steps, chains, seed)
    return _run(x, L, e, -e, steps, chains, seed).to(H.dtype)


def simulate_langevin(H: torch.Tensor, noise_cov: torch.Tensor, dt: float, steps: int,
                      chains: int, seed: int = 0) -> torch.Tensor:
    """Final states of Euler–Maruyama chains of dΦ = −HΦ dt + √(ηΣ^B) dW.

    Each step is the arithmetic of ``langevin_step(Φ, HΦ, noise_cov, dt, ε)``:
    Φ − HΦ·Δt + √Δt·L·ε. 0 < Δt·h_max < 2 is required (the scheme's stability range,
    the same as SGD's).
    """
    h, _, x = check_spd(H)
    _, L = check_noise_cov(noise_cov, H.shape[-1])
    dt = check_real("dt", dt, low=0.0, low_inclusive=False)
    e = check_eta(dt, h)
    steps, chains, seed = _counts(steps, chains, seed)
    return _run(x, L, e, e.sqrt(), steps, chains, seed).to(H.dtype)
