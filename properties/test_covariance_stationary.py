"""Stationary covariance of SGD on the quadratic ½ΦᵀHΦ (spec/covariance.md).

S solves S = (I − ηH)·S·(I − ηH)ᵀ + η²·Σ^B; every claim is checked exactly (no sampling)
against float64 eigenbasis formulas, with the Frobenius bound (u + K_d·u_w·κ)·‖S‖_F.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from impl import reference
from sgdcheck.assertions import assert_close
from sgdcheck.covariance_bounds import (
    SPEC,
    U64,
    cov_bound,
    delta,
    discrete_oracle,
    draw_G,
    draw_psd,
    draw_spd,
    eig,
    kappa,
    lyap_bound,
    oracle_constant,
)
from sgdcheck.dtypes import gamma
from sgdcheck.harness import ContractViolation, sgd_property

SEC = f"{SPEC}#stationary-covariance-of-sgd-on-the-quadratic"


def _draw_problem(data, case, full_rank: bool = False, lo: float = 0.01, hi: float = 0.95):
    d = data.draw(st.integers(1, 4), label="d")
    H = draw_spd(data, case, d)
    h_max = float(eig(H)[0][-1])
    eta = data.draw(st.floats(lo, hi), label="eta*h_max/2") * 2 / h_max
    Q = draw_psd(data, case, d, full_rank=full_rank)
    return H, eta, Q


@sgd_property(needs=("sgd_stationary_covariance",), spec=f"{SPEC}#the-discrete-lyapunov-equation")
@given(data=st.data())
def test_solves_discrete_lyapunov(case, data):
    """S = A·S·Aᵀ + η²·Q (residual) and S equals the eigenbasis solution, A = I − ηH."""
    H, eta, Q = _draw_problem(data, case)
    S = case.call("sgd_stationary_covariance", H, eta, Q)
    exact = discrete_oracle(H, eta, Q)
    b = lyap_bound(H, eta, exact, case.dtype)
    A = np.eye(H.shape[0]) - eta * H
    resid = np.linalg.norm(S - A @ S @ A.T - eta**2 * Q)
    d = H.shape[0]
    evaluation = 8 * (2 * d + 2) * U64 * (3 * np.linalg.norm(S) + eta**2 * np.linalg.norm(Q))
    assert_close(resid, 0.0, 2 * b + evaluation,
                 what="‖S − (I − ηH)S(I − ηH)ᵀ − η²Q‖_F of the returned S")
    assert_close(S, exact, b, what="S against the eigenbasis solution η·Q̃_ij/(h_i + h_j − ηh_ih_j)")


def _direction_values(S: np.ndarray, V: np.ndarray) -> np.ndarray:
    return np.einsum("ik,ij,jk->k", V, S, V)


def _closed_form_error(H: np.ndarray, eta: float, exact: np.ndarray) -> np.ndarray:
    return oracle_constant(H.shape[0]) * U64 * kappa(H, eta) * np.abs(exact)


def _projection_error(S: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Rounding of v_kᵀSv_k in float64: γ_{2d+2}(u_64)·(|V|ᵀ|S||V|)_kk."""
    return gamma(2 * S.shape[0] + 2, U64) * _direction_values(np.abs(S), np.abs(V))


@sgd_property(needs=("sgd_stationary_covariance",),
              spec=f"{SPEC}#relative-deviation-under-linear-scaling")
@given(data=st.data())
def test_relative_deviation_per_eigendirection(case, data):
    """η = B·η′, Q = Σ¹/B: v_kᵀS(B)v_k / v_kᵀS(1)v_k − 1 = (B − 1)η′h/(2 − Bη′h) exactly.

    B is a power of two so that Σ¹/B and η′ = η/B are exact in every dtype.
    """
    H, eta, sigma1 = _draw_problem(data, case, full_rank=True, lo=0.05)
    B = 2 ** data.draw(st.integers(0, 5), label="log2 B")
    eta_p = eta / B
    SB = case.call("sgd_stationary_covariance", H, eta, sigma1 / B)
    S1 = case.call("sgd_stationary_covariance", H, eta_p, sigma1)
    h, V = eig(H)
    q = _direction_values(sigma1, V)
    exact_B = eta_p * q / (h * (2 - eta * h))
    exact_1 = eta_p * q / (h * (2 - eta_p * h))
    oracle_B, oracle_1 = discrete_oracle(H, eta, sigma1 / B), discrete_oracle(H, eta_p, sigma1)
    # |v_kᵀ E v_k| ≤ ‖E‖_F, plus the float64 projection (2d + 2 roundings of |V|ᵀ|S||V|)
    # and the closed form's own error: built from eig(H), it is conditioned like the
    # solve (κ), so it gets the oracle term of spec/covariance.md's Lyapunov bound.
    tB = (lyap_bound(H, eta, oracle_B, case.dtype) + _projection_error(oracle_B, V)
          + _closed_form_error(H, eta, exact_B))
    t1 = (lyap_bound(H, eta_p, oracle_1, case.dtype) + _projection_error(oracle_1, V)
          + _closed_form_error(H, eta_p, exact_1))
    got_B, got_1 = _direction_values(SB, V), _direction_values(S1, V)
    assert_close(got_B, exact_B, tB, what=f"v_kᵀS(B={B})v_k against η′q_k/(h_k(2 − Bη′h_k))")
    assert_close(got_1, exact_1, t1, what="v_kᵀS(1)v_k against η′q_k/(h_k(2 − η′h_k))")
    # Ratios only where the normwise bound resolves the direction (always in float64;
    # in float32 and below a direction with v_kᵀSv_k ≲ 4·bound carries no information).
    ok = (exact_1 > 4 * t1) & (exact_B > 4 * tB)
    dev = ((B - 1) * eta_p * h / (2 - B * eta_p * h))[ok]
    tol = (tB[ok] + (1 + dev) * t1[ok]) / (exact_1[ok] - t1[ok])
    assert_close((got_B / got_1)[ok] - 1, dev, tol,
                 what=f"relative deviation between B={B} and B=1 against (B − 1)η′h/(2 − Bη′h)")
    limit = (eta_p * q / (2 * h))[ok]  # the η → 0 (Langevin) value, independent of B
    assert_close(got_B[ok] / limit - 1, (eta * h / (2 - eta * h))[ok], tB[ok] / limit,
                 what="relative deviation from the η → 0 limit against ηh/(2 − ηh)")


@sgd_property(needs=("sgd_stationary_covariance",),
              spec=f"{SPEC}#divergence-at-the-critical-batch-size")
@given(data=st.data())
def test_divergence_at_critical_batch(case, data):
    """For η = B·η′: a ValueError naming eta when B·η′·h_max ≥ 2, else the pole 1/(2 − Bη′h_max)."""
    d = data.draw(st.integers(1, 4), label="d")
    H = draw_spd(data, case, d)
    sigma1 = draw_psd(data, case, d, full_rank=True)
    h, V = eig(H)
    eta_p = data.draw(st.floats(0.01, 1.0), label="eta_prime")
    B = data.draw(st.integers(1, 256), label="B")
    eta = B * eta_p
    x = eta * float(h[-1])
    QB = case.representable(sigma1 / B)
    if x >= 2 * (1 + 1e-3):
        # Through case.call (not pytest.raises, whose failure is a BaseException), so that
        # a missing error carries the reproduction note.
        try:
            case.call("sgd_stationary_covariance", H, eta, QB)
        except ContractViolation as e:
            cause = e.__cause__
            assert isinstance(cause, ValueError) and "eta" in str(cause), (
                f"at B·η′·h_max = {x:.4g} ≥ 2 expected a ValueError naming eta, got {cause!r}")
            return
        raise AssertionError(f"at B·η′·h_max = {x:.4g} ≥ 2 SGD diverges, but "
                             "sgd_stationary_covariance returned instead of raising a "
                             "ValueError naming eta")
    if x > 2 * (1 - 1e-3):
        return  # within rounding of the threshold: either verdict is correct
    S = case.call("sgd_stationary_covariance", H, eta, QB)
    top = V[:, -1]
    got = float(top @ S @ top)
    const = eta * float(top @ QB @ top) / float(h[-1])  # value × (2 − Bη′h_max)
    tol = lyap_bound(H, eta, discrete_oracle(H, eta, QB), case.dtype)
    assert_close(np.asarray(got * (2 - x)), np.asarray(const), tol * (2 - x),
                 what=f"top-direction variance × (2 − Bη′h_max) at Bη′h_max = {x:.4g}")


@sgd_property(needs=("sgd_stationary_covariance", "batch_covariance", "gradient_covariance"),
              spec=f"{SPEC}#fixed-step-size-inverse-b-scaling")
@given(data=st.data())
def test_fixed_eta_inverse_B_scaling(case, data):
    """Under a fixed η, S(Σ^B) = S(Σ¹)/B: from G through the implementation's Σ¹ and Σ^B."""
    G = draw_G(data, case, d_max=4)
    d = G.shape[1]
    B = data.draw(st.integers(1, 32), label="B")
    H = draw_spd(data, case, d)
    h = eig(H)[0]
    eta = data.draw(st.floats(0.01, 0.95), label="eta*h_max/2") * 2 / float(h[-1])
    sigma1 = case.call("gradient_covariance", G)
    sigmaB = case.call("batch_covariance", G, B, True)
    S1 = case.call("sgd_stationary_covariance", H, eta, sigma1)
    SB = case.call("sgd_stationary_covariance", H, eta, sigmaB)
    exact1 = discrete_oracle(H, eta, sigma1)
    t1 = lyap_bound(H, eta, exact1, case.dtype)
    tB = lyap_bound(H, eta, discrete_oracle(H, eta, sigmaB), case.dtype)
    c1 = cov_bound(G, sigma1, 1.0, case.dtype)
    count = min(G.shape[0] ** B, 200_000)  # batches the reference enumerates
    cB = cov_bound(G, sigma1 / B, 1 / B, case.dtype, count=count, B=B)
    dq = np.linalg.norm(cB) + np.linalg.norm(c1) / B
    assert_close(SB, S1 / B, tB + t1 / B + eta * dq / delta(h, eta),
                 what=f"S(Σ^B) against S(Σ¹)/B at B={B}, fixed η")


@sgd_property(needs=("sgd_stationary_covariance",), spec=f"{SPEC}#stationary-loss-gap")
@given(data=st.data())
def test_stationary_loss_gap(case, data):
    """E[L] − L* = ½·tr(HS) equals (η/4)·E‖ĝ‖² = (η/4)·(tr(HSH) + tr Q), exactly."""
    H, eta, Q = _draw_problem(data, case, lo=0.05)
    S = case.call("sgd_stationary_covariance", H, eta, Q)
    gap = 0.5 * np.trace(H @ S)
    grad2 = np.trace(H @ S @ H) + np.trace(Q)
    b = lyap_bound(H, eta, discrete_oracle(H, eta, Q), case.dtype)
    d = H.shape[0]
    tol = (0.5 * np.linalg.norm(H) + eta / 4 * np.linalg.norm(H @ H)) * b
    tol += 8 * (2 * d + 2) * U64 * (abs(gap) + eta / 4 * abs(grad2))
    assert_close(np.asarray(gap), np.asarray(eta / 4 * grad2), tol,
                 what="½tr(HS) against (η/4)(tr(HSH) + tr Q)")


@sgd_property(needs=("sgd_stationary_covariance", "langevin_stationary_covariance"),
              spec=f"{SPEC}#differential")
@given(data=st.data())
def test_lyapunov_matches_reference(case, data):
    """Both solves match the reference's Kronecker solves within the derived bounds."""
    H, eta, Q = _draw_problem(data, case)
    want = reference.sgd_stationary_covariance(H, eta, Q)
    assert_close(case.call("sgd_stationary_covariance", H, eta, Q), want,
                 lyap_bound(H, eta, want, case.dtype), what="discrete S against the reference")
    want_c = reference.langevin_stationary_covariance(H, Q)
    assert_close(case.call("langevin_stationary_covariance", H, Q), want_c,
                 lyap_bound(H, None, want_c, case.dtype), what="continuous S against the reference")
