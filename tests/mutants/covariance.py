"""Wrong gradient-noise covariances and Langevin dynamics (Problem 4), one bug each.

Load one with ``pytest --impl tests.mutants.covariance:<name>``.
"""

from __future__ import annotations

import math

import torch

import impl.optimized as base
from impl.optimized import chains, covariance
from tests.mutants._base import mutant

MODULES = ("properties/test_covariance.py", "properties/test_covariance_stationary.py",
           "properties/test_langevin.py", "properties/test_covariance_errors.py")
FAST = ("float64",)


def _sample_cov(G: torch.Tensor) -> torch.Tensor:
    n = G.shape[-2]
    return base.gradient_covariance(G) * (n / (n - 1))


def _wo_factor_always(G: torch.Tensor, B: int, replace: bool = True) -> torch.Tensor:
    n = G.shape[-2]
    return base.gradient_covariance(G) * ((n - B) / (B * (n - 1)))


def _transposed_factor(phi, g, noise_cov, dt, noise):
    q, _ = covariance.check_noise_cov(noise_cov, phi.shape[-1], factor=False)
    L = torch.linalg.cholesky(q.to(torch.float64)).to(q.dtype)
    return covariance.step_with_factor(phi, g, L.mT, dt, noise)


def _unchecked_discrete(H: torch.Tensor, eta, noise_cov: torch.Tensor) -> torch.Tensor:
    w = covariance.work_dtype(H)
    h, V = torch.linalg.eigh(H.to(w))
    q = V.mT @ noise_cov.to(w) @ V
    s = eta * q / (h[:, None] + h[None, :] - eta * h[:, None] * h[None, :])
    return (V @ s @ V.mT).to(H.dtype)


def _sgd_noise_unscaled(H, eta, noise_cov, steps, chains_, seed=0):
    h, _, x = covariance.check_spd(H)
    _, L = covariance.check_noise_cov(noise_cov, H.shape[-1])
    e = covariance.check_eta(eta, h)
    return chains._run(x, L, e, -torch.ones_like(e), steps, chains_, seed).to(H.dtype)


def _langevin_noise_dt(H, noise_cov, dt, steps, chains_, seed=0):
    h, _, x = covariance.check_spd(H)
    _, L = covariance.check_noise_cov(noise_cov, H.shape[-1])
    e = covariance.check_eta(dt, h)
    return chains._run(x, L, e, e, steps, chains_, seed).to(H.dtype)


def _unchecked_batch(G: torch.Tensor, B: int, replace: bool = True) -> torch.Tensor:
    n = G.shape[-2]
    f = 1 / B if replace else (n - B) / (B * max(n - 1, 1))
    c = G - G.mean(dim=-2, keepdim=True)
    return (c.mT @ c) * (f / n)


def _unchecked_continuous(H: torch.Tensor, noise_cov: torch.Tensor) -> torch.Tensor:
    w = covariance.work_dtype(H)
    h, V = torch.linalg.eigh(H.to(w))
    s = (V.mT @ noise_cov.to(w) @ V) / (h[:, None] + h[None, :])
    return (V @ s @ V.mT).to(H.dtype)


def _unchecked_step(phi, g, noise_cov, dt, noise):
    L = torch.linalg.cholesky_ex(noise_cov.to(torch.float64))[0].to(phi.dtype)
    return phi - g * dt + math.sqrt(abs(dt)) * (noise @ L.mT)


# --- the six mutants of issue 4 ---------------------------------------------------
sample_covariance = mutant(
    base, "sample_covariance", modules=MODULES, dtypes=FAST,
    kills=("test_gradient_covariance_by_definition", "test_batch_covariance_matches_reference"),
    gradient_covariance=_sample_cov)

sigma_B_over_B_squared = mutant(
    base, "sigma_B_over_B_squared", modules=MODULES, dtypes=FAST,
    kills=("test_with_replacement_by_enumeration", "test_linear_scaling_rule",
           "test_fixed_eta_inverse_B_scaling"),
    batch_covariance=lambda G, B, replace=True: base.batch_covariance(G, B, replace) / B)

without_factor_for_replace = mutant(
    base, "without_factor_for_replace", modules=MODULES, dtypes=FAST,
    kills=("test_with_replacement_by_enumeration", "test_derivation_uses_independence",
           "test_linear_scaling_rule"),
    batch_covariance=_wo_factor_always)

langevin_noise_dt = mutant(
    base, "langevin_noise_dt", modules=MODULES, dtypes=FAST,
    kills=("test_basis_noise_recovers_factor",),
    langevin_step=lambda phi, g, noise_cov, dt, noise: base.langevin_step(
        phi, g, noise_cov, dt, noise * math.sqrt(dt)))

continuous_for_discrete = mutant(
    base, "continuous_for_discrete", modules=MODULES, dtypes=FAST,
    kills=("test_solves_discrete_lyapunov", "test_relative_deviation_per_eigendirection",
           "test_stationary_loss_gap", "test_langevin_is_eta_to_zero_limit",
           "test_lyapunov_matches_reference"),
    sgd_stationary_covariance=lambda H, eta, noise_cov: base.langevin_stationary_covariance(
        H, eta * noise_cov))

cholesky_transposed = mutant(
    base, "cholesky_transposed", modules=MODULES, dtypes=FAST,
    kills=("test_basis_noise_recovers_factor",),
    langevin_step=_transposed_factor)

# --- more, so that every property in the topic is failed by some mutant ----------
without_replacement_ignored = mutant(
    base, "without_replacement_ignored", modules=MODULES, dtypes=FAST,
    kills=("test_without_replacement_factor_by_enumeration", "test_derivation_uses_independence"),
    batch_covariance=lambda G, B, replace=True: base.batch_covariance(G, B, True))

drift_sqrt_dt = mutant(
    base, "drift_sqrt_dt", modules=MODULES, dtypes=FAST,
    kills=("test_increment_mean_is_minus_g_dt",),
    langevin_step=lambda phi, g, noise_cov, dt, noise: base.langevin_step(
        phi, g / math.sqrt(dt), noise_cov, dt, noise))

continuous_half = mutant(
    base, "continuous_half", modules=MODULES, dtypes=FAST,
    kills=("test_solves_continuous_lyapunov", "test_langevin_is_eta_to_zero_limit",
           "test_lyapunov_matches_reference"),
    langevin_stationary_covariance=lambda H, noise_cov: base.langevin_stationary_covariance(
        H, noise_cov) / 2)

no_stability_check = mutant(
    base, "no_stability_check", modules=MODULES, dtypes=FAST,
    kills=("test_divergence_at_critical_batch", "test_rejects_unstable_eta"),
    sgd_stationary_covariance=_unchecked_discrete)

sgd_chain_noise_unscaled = mutant(
    base, "sgd_chain_noise_unscaled", modules=MODULES, dtypes=FAST,
    kills=("test_sgd_chains_match_stationary_covariance",),
    simulate_sgd=_sgd_noise_unscaled)

langevin_chain_noise_dt = mutant(
    base, "langevin_chain_noise_dt", modules=MODULES, dtypes=FAST,
    kills=("test_langevin_chains_match_discretized_covariance",),
    simulate_langevin=_langevin_noise_dt)

unchecked = mutant(
    base, "unchecked", modules=MODULES, dtypes=FAST,
    kills=("test_rejects_bad_batch_size", "test_rejects_non_finite_G", "test_rejects_bad_H",
           "test_rejects_unstable_eta", "test_rejects_bad_noise_cov"),
    batch_covariance=_unchecked_batch,
    gradient_covariance=lambda G: _unchecked_batch(G, 1, True),
    sgd_stationary_covariance=_unchecked_discrete,
    langevin_stationary_covariance=_unchecked_continuous,
    langevin_step=_unchecked_step)
