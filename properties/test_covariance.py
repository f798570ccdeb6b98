"""Seed Problem 4: the covariance Σ^B of the batch mean ĝ^B (spec/covariance.md).

Oracles are exact enumerations of every batch, never the closed forms.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from impl import reference
from sgdcheck.assertions import assert_close, assert_differ
from sgdcheck.covariance_bounds import (
    SPEC,
    batch_factor,
    cov_bound,
    draw_G,
    enumerate_batches,
    population_covariance,
)
from sgdcheck.harness import sgd_property

SEC = f"{SPEC}#the-covariance-of-the-batch-mean"


def _draw_B(data: st.DataObject, n: int, replace: bool) -> int:
    """B with at most 4096 batches to enumerate."""
    if replace:
        top = max(b for b in range(1, 7) if n ** b <= 4096)
        return data.draw(st.integers(1, top), label="B")
    return data.draw(st.integers(1, n), label="B")


@sgd_property(needs=("gradient_covariance",), spec=SEC)
@given(data=st.data())
def test_gradient_covariance_by_definition(case, data):
    """Σ¹ = (1/n)·Σ_k (g_k − ḡ)(g_k − ḡ)ᵀ, the covariance of one uniform draw (divide by n)."""
    G = draw_G(data, case)
    got = case.call("gradient_covariance", G)
    exact = population_covariance(G)
    assert_close(got, exact, cov_bound(G, exact, 1.0, case.dtype, count=G.shape[0]),
                 what="gradient_covariance against the uniform distribution over the n rows")


@sgd_property(needs=("batch_covariance", "gradient_covariance"),
              spec=f"{SPEC}#the-seeds-derivation-and-where-it-uses-independence")
@given(data=st.data())
def test_with_replacement_by_enumeration(case, data):
    """Σ^B over all n^B ordered batches equals Σ¹/B (the seed's derivation)."""
    G = draw_G(data, case)
    n = G.shape[0]
    B = _draw_B(data, n, True)
    exact, count = enumerate_batches(G, B, True)
    got = case.call("batch_covariance", G, B, True)
    tol = cov_bound(G, exact, 1 / B, case.dtype, count=count, B=B)
    assert_close(got, exact, tol, what=f"batch_covariance(B={B}, replace=True) against "
                 f"enumeration of all {count} ordered batches")
    sigma1 = case.call("gradient_covariance", G)
    tol1 = cov_bound(G, population_covariance(G), 1.0, case.dtype, count=n) / B
    assert_close(sigma1 / B, exact, tol1 + tol, what="Σ¹/B against the enumerated Σ^B")


@sgd_property(needs=("batch_covariance",), spec=f"{SPEC}#without-replacement")
@given(data=st.data())
def test_without_replacement_factor_by_enumeration(case, data):
    """Σ^B over all C(n, B) subsets equals Σ¹·(n − B)/(B·(n − 1))."""
    G = draw_G(data, case)
    n = G.shape[0]
    B = _draw_B(data, n, False)
    exact, count = enumerate_batches(G, B, False)
    factor = batch_factor(n, B, False)
    tol = cov_bound(G, exact, max(factor, 1e-300), case.dtype, count=count, B=B)
    assert_close(exact, population_covariance(G) * factor, tol,
                 what="enumerated Σ^B (without replacement) against Σ¹(n − B)/(B(n − 1))")
    got = case.call("batch_covariance", G, B, False)
    assert_close(got, exact, tol, what=f"batch_covariance(B={B}, replace=False) against "
                 f"enumeration of all {count} subsets")


@sgd_property(needs=("batch_covariance",),
              spec=f"{SPEC}#the-seeds-derivation-and-where-it-uses-independence")
@given(data=st.data())
def test_derivation_uses_independence(case, data):
    """The schemes differ exactly by (n − B)/(n − 1), the cross term −Σ¹/(n − 1) the seed drops.

    The cross covariance of two distinct positions is enumerated over ordered pairs:
    zero with replacement, −Σ¹/(n − 1) without; so Σ^B differs for every B ≥ 2 with Σ¹ ≠ 0.
    """
    G = draw_G(data, case)
    n = G.shape[0]
    B = data.draw(st.integers(2, n), label="B")
    c = G - G.mean(axis=0)
    pairs = [(k, m) for k in range(n) for m in range(n) if k != m]
    cross = sum(np.outer(c[k], c[m]) for k, m in pairs) / len(pairs)
    sigma1 = population_covariance(G)
    assert_close(cross, -sigma1 / (n - 1), 64 * n * n * 2.0**-52 * np.abs(c).max() ** 2,
                 what="enumerated cross term without replacement against −Σ¹/(n − 1)")
    with_r = case.call("batch_covariance", G, B, True)
    without = case.call("batch_covariance", G, B, False)
    ratio = (n - B) / (n - 1)
    tol_w = cov_bound(G, sigma1 / B, 1 / B, case.dtype, B=B)
    tol_wo = cov_bound(G, sigma1 * batch_factor(n, B, False), 1 / B, case.dtype, B=B)
    assert_close(without, ratio * with_r, tol_wo + ratio * tol_w,
                 what=f"Σ^B without replacement against (n − B)/(n − 1) = {ratio:.4g} × with")
    if np.abs(np.diag(sigma1)).max() / B > 4 * tol_w.max():
        assert_differ(with_r, without, tol_w + tol_wo,
                      what="with and without replacement must differ when Σ¹ ≠ 0")


@sgd_property(needs=("batch_covariance", "gradient_covariance"),
              spec=f"{SPEC}#the-linear-scaling-rule")
@given(data=st.data())
def test_linear_scaling_rule(case, data):
    """η·Σ^B = η′·Σ¹ for η = B·η′ (with replacement): the Langevin noise is B-free."""
    G = draw_G(data, case)
    n = G.shape[0]
    B = data.draw(st.integers(1, 64), label="B")
    eta_p = data.draw(st.floats(1e-3, 1.0), label="eta_prime")
    eta = B * eta_p
    sigma1 = population_covariance(G)
    got_b = case.call("batch_covariance", G, B, True)
    got_1 = case.call("gradient_covariance", G)
    tol = eta * cov_bound(G, sigma1 / B, 1 / B, case.dtype, B=B)
    tol = tol + eta_p * cov_bound(G, sigma1, 1.0, case.dtype, count=n)
    assert_close(eta * got_b, eta_p * got_1, tol + 4 * 2.0**-52 * eta_p * np.abs(sigma1),
                 what=f"η·Σ^B (η = {B}·η′) against η′·Σ¹")


@sgd_property(needs=("gradient_covariance", "batch_covariance"), spec=f"{SPEC}#differential")
@given(data=st.data())
def test_batch_covariance_matches_reference(case, data):
    """Every implementation matches the enumerating reference within the derived bound."""
    G = draw_G(data, case)
    n = G.shape[0]
    replace = data.draw(st.booleans(), label="replace")
    B = _draw_B(data, n, replace)
    want1 = reference.gradient_covariance(G)
    wantB = reference.batch_covariance(G, B, replace)
    f = batch_factor(n, B, replace)
    assert_close(case.call("gradient_covariance", G), want1,
                 cov_bound(G, want1, 1.0, case.dtype, count=n), what="Σ¹ against the reference")
    assert_close(case.call("batch_covariance", G, B, replace), wantB,
                 cov_bound(G, wantB, max(f, 1e-300), case.dtype, count=n**B, B=B),
                 what=f"Σ^B (B={B}, replace={replace}) against the reference")
