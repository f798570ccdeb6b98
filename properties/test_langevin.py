"""Langevin dynamics: the step, the continuous limit, and simulated chains (spec/covariance.md).

Exact wherever possible (basis noise, antithetic pairs, Lyapunov identities); Monte Carlo
only for the chain simulators, with a Chernoff χ² test whose false-failure rate is ≤ 1e-9.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sgdcheck.assertions import assert_close
from sgdcheck.covariance_bounds import (
    SPEC,
    U64,
    chi2_check,
    continuous_oracle,
    discrete_oracle,
    draw_psd,
    draw_spd,
    eig,
    k_d,
    kappa,
    lyap_bound,
    mixing_steps,
    underflow,
)
from sgdcheck.harness import sgd_property

ALPHA = 1e-9
MC_EXAMPLES = 2
CHAINS = 20_000
SEED = 20_231_130


def _draw_dt(data) -> float:
    """Δt away from 1, so Δt, √Δt and 1 are far apart."""
    return data.draw(st.floats(1e-3, 0.5), label="dt")


@sgd_property(needs=("langevin_step",), spec=f"{SPEC}#basis-noise-recovers-the-factor")
@given(data=st.data())
def test_basis_noise_recovers_factor(case, data):
    """noise = e_1 … e_d, phi = g = 0 gives rows √dt·L·e_k, so outᵀ·out/dt = L·Lᵀ = noise_cov."""
    d = data.draw(st.integers(1, 4), label="d")
    Q = draw_psd(data, case, d)
    dt = _draw_dt(data)
    zeros = np.zeros((d, d))
    out = case.call("langevin_step", zeros, zeros, Q, dt, np.eye(d))
    got = out.T @ out / dt
    u, u_w = case.u, case.u_work
    diag = np.sqrt(np.diag(Q))
    norm2 = float(np.linalg.eigvalsh(Q)[-1])
    tol = (4 * u + 8 * (d + 2) * u_w + 8 * (d + 2) * U64) * (np.outer(diag, diag) + norm2)
    assert_close(got, Q, tol + d * underflow(case.dtype) / dt,
                 what=f"(outᵀ·out)/dt from basis noise against noise_cov (dt = {dt:.4g})")


@sgd_property(needs=("langevin_step",), spec=f"{SPEC}#increments-have-mean-minus-g-dt")
@given(data=st.data())
def test_increment_mean_is_minus_g_dt(case, data):
    """E[step − phi] = −g·dt exactly: step(ε) + step(−ε) = 2(phi − g·dt), step(0) = phi − g·dt."""
    d = data.draw(st.integers(1, 4), label="d")
    k = data.draw(st.integers(1, 3), label="chains")
    Q = draw_psd(data, case, d)
    dt = _draw_dt(data)

    def arr(label: str, bound: float) -> np.ndarray:
        v = data.draw(st.lists(st.floats(-bound, bound), min_size=k * d, max_size=k * d),
                      label=label)
        return case.representable(np.array(v).reshape(k, d))

    phi, g, eps = arr("phi", 8.0), arr("g", 8.0), arr("noise", 4.0)
    plus = case.call("langevin_step", phi, g, Q, dt, eps)
    minus = case.call("langevin_step", phi, g, Q, dt, -eps)
    zero = case.call("langevin_step", phi, g, Q, dt, np.zeros_like(eps))
    mean = phi - g * dt
    # |(L̂ε)_j| ≤ ‖L̂_j‖·‖ε‖, and a computed factor has L̂L̂ᵀ = Q + E, |E| ≤ 4d·u_w·max|Q|:
    # a coordinate with Q_jj = 0 still gets noise of size √(4d·u_w·max|Q|) that must cancel.
    row = np.sqrt(np.diag(Q) + 4 * d * case.u_work * np.abs(Q).max(initial=0.0))
    # ‖ε‖₁ ≥ ‖ε‖₂, and unlike np.linalg.norm it does not underflow for tiny ε.
    kick = math.sqrt(dt) * row[None, :] * np.abs(eps).sum(axis=1)[:, None]
    tol = 4 * (case.u + (d + 4) * case.u_work) * (np.abs(phi) + np.abs(g) * dt + 2 * kick)
    tol += 4 * underflow(case.dtype)
    assert_close((plus + minus) / 2, mean, tol,
                 what="antithetic mean of two steps against phi − g·dt")
    assert_close(zero, mean, tol, what="step with zero noise against phi − g·dt")


@sgd_property(needs=("langevin_stationary_covariance",),
              spec=f"{SPEC}#the-continuous-lyapunov-equation")
@given(data=st.data())
def test_solves_continuous_lyapunov(case, data):
    """H·S + S·H = noise_cov (residual), and S = Q̃_ij/(h_i + h_j) in H's eigenbasis."""
    d = data.draw(st.integers(1, 4), label="d")
    H = draw_spd(data, case, d)
    Q = draw_psd(data, case, d)
    S = case.call("langevin_stationary_covariance", H, Q)
    exact = continuous_oracle(H, Q)
    b = lyap_bound(H, None, exact, case.dtype)
    resid = np.linalg.norm(H @ S + S @ H - Q)
    evaluation = 8 * (2 * d + 2) * U64 * (2 * np.linalg.norm(H) * np.linalg.norm(S)
                                          + np.linalg.norm(Q))
    assert_close(resid, 0.0, 2 * np.linalg.norm(H, 2) * b + evaluation,
                 what="‖HS + SH − noise_cov‖_F of the returned S")
    assert_close(S, exact, b, what="S against the eigenbasis solution Q̃_ij/(h_i + h_j)")


@sgd_property(needs=("sgd_stationary_covariance", "langevin_stationary_covariance"),
              spec=f"{SPEC}#the-small-step-limit-and-its-first-order-coefficient")
@given(data=st.data())
def test_langevin_is_eta_to_zero_limit(case, data):
    """‖S_d − S_c − η²C‖_F ≤ η²‖C‖_F·ρ/(1 − ρ), HC + CH = HPH, HP + PH = Q, ρ = ηh_max/2.

    η = 2^−k ≤ ½ and h_max = 1. In bfloat16/float16 with small η the O(η²) term is below
    the storage rounding and the check passes vacuously (spec says so).
    """
    d = data.draw(st.integers(1, 4), label="d")
    H = draw_spd(data, case, d)
    Q = draw_psd(data, case, d)
    eta = 2.0 ** -data.draw(st.integers(1, 10), label="log2(1/eta)")
    Qc = case.representable(eta * Q)
    Sd = case.call("sgd_stationary_covariance", H, eta, Q)
    Sc = case.call("langevin_stationary_covariance", H, Qc)
    h = eig(H)[0]
    P = continuous_oracle(H, Q)
    C = continuous_oracle(H, H @ P @ H)
    rho = eta * float(h[-1]) / 2
    input_err = np.linalg.norm(continuous_oracle(H, Qc - eta * Q))  # if η·Q was not exact
    tol = (lyap_bound(H, eta, discrete_oracle(H, eta, Q), case.dtype)
           + lyap_bound(H, None, continuous_oracle(H, Qc), case.dtype) + input_err
           + 64 * d * U64 * kappa(H, None) * eta**2 * np.linalg.norm(C))
    err = np.linalg.norm(Sd - Sc - eta**2 * C)
    assert_close(err, 0.0, eta**2 * np.linalg.norm(C) * rho / (1 - rho) + tol,
                 what=f"‖S_d − S_c − η²C‖_F at η = {eta:g}")


def _mc_problem(data, case, d_max: int = 3):
    d = data.draw(st.integers(1, d_max), label="d")
    # h in [0.4, 1] and a step in [0.5, 0.8]: ρ = max|1 − step·h| ≤ 0.8 mixes in a few dozen
    # steps (each simulator call stays far below the harness's hang timeout), and the
    # mutants' covariance errors (≥ 20%) stay far above the test's ~8% resolution.
    H = case.representable(0.4 * np.eye(d) + 0.6 * draw_spd(data, case, d))
    Q = draw_psd(data, case, d, full_rank=True)
    step = data.draw(st.floats(0.5, 0.8), label="step size (h_max <= 1)")
    return H, Q, step


def _bias(H: np.ndarray, step: float, S: np.ndarray, dtype: str, u_w: float) -> tuple[int, float]:
    h = eig(H)[0]
    rho = max(abs(1 - step * h[0]), abs(1 - step * h[-1]))
    lam = np.linalg.eigvalsh(S)
    steps = mixing_steps(rho, float(lam[-1] / lam[0]))
    return steps, 1e-6 + k_d(H.shape[0]) * u_w * kappa(H, step)


@pytest.mark.dtypes("float64", "float32")
@sgd_property(needs=("simulate_sgd",), spec=f"{SPEC}#monte-carlo-tests")
@settings(max_examples=MC_EXAMPLES)
@given(data=st.data())
def test_sgd_chains_match_stationary_covariance(case, data):
    """20 000 SGD chains after the mixing time are N(0, S): χ² per direction, rate ≤ 1e-9."""
    H, Q, eta = _mc_problem(data, case)
    S = discrete_oracle(H, eta, Q)
    steps, bias = _bias(H, eta, S, case.dtype, case.u_work)
    phi = case.call("simulate_sgd", H, eta, Q, steps, CHAINS, SEED)
    chi2_check(phi, S, bias, ALPHA, MC_EXAMPLES,
               what=f"SGD chains (η = {eta:.3g}, {steps} steps) against the stationary S")


@pytest.mark.dtypes("float64", "float32")
@sgd_property(needs=("simulate_langevin",), spec=f"{SPEC}#monte-carlo-tests")
@settings(max_examples=MC_EXAMPLES)
@given(data=st.data())
def test_langevin_chains_match_discretized_covariance(case, data):
    """Euler–Maruyama chains are N(0, S_Δt), S_Δt = sgd_stationary(H, Δt, Q_c/Δt): rate ≤ 1e-9."""
    H, Qc, dt = _mc_problem(data, case)
    S = discrete_oracle(H, dt, Qc / dt)
    steps, bias = _bias(H, dt, S, case.dtype, case.u_work)
    phi = case.call("simulate_langevin", H, Qc, dt, steps, CHAINS, SEED)
    chi2_check(phi, S, bias, ALPHA, MC_EXAMPLES,
               what=f"Langevin chains (Δt = {dt:.3g}, {steps} steps) against S_Δt")
