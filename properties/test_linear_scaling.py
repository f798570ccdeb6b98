"""Problem 3(d), exactly: E[W_grad^2] and E[grad2] over every batch of a finite population.

spec/linear.md#batch-size-scaling-exact. No Monte Carlo: every ordered batch drawn with
replacement (n^B of them) and every B-subset without replacement is evaluated by the
implementation, and the averages are compared with Theorems 3 and 4.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sgdcheck import linear_bounds as lb
from sgdcheck import witness
from sgdcheck.assertions import assert_close
from sgdcheck.dtypes import gamma
from sgdcheck.harness import sgd_property
from sgdcheck.linear_draws import fast_failure, matrix

SPEC = "spec/linear.md#batch-size-scaling-exact"


def _population(data: st.DataObject, case, max_n: int) -> tuple[np.ndarray, np.ndarray]:
    """n integer-valued examples (x_k, gy_k), labelled draws."""
    n = data.draw(st.integers(2, max_n), label="n")
    I = data.draw(st.integers(1, 3), label="I")
    J = data.draw(st.one_of(st.just(I), st.integers(1, 3)), label="J")
    x = case.representable(matrix(data, (n, I), case.dtype, "population x", integer=True))
    gy = case.representable(matrix(data, (n, J), case.dtype, "population gy", integer=True))
    return x, gy


def _moments(x: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(g, diag(Sigma^1)): mean and variance (over n, dividing by n) of the G_k."""
    G = witness.per_example(x, gy)
    return G.mean(axis=0), G.var(axis=0)


def _averages(case, x: np.ndarray, gy: np.ndarray, batches: list[tuple[int, ...]]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean over the batches of the implementation's W_grad^2 and grad2, and their bounds."""
    W = np.zeros((gy.shape[1], x.shape[1]))
    w2 = g2 = tol_w2 = tol_g2 = 0.0
    for idx in batches:
        xb, gb = x[list(idx)], gy[list(idx)]
        W_grad, _ = case.call("linear_backward", W, xb, gb)
        w2 = w2 + W_grad ** 2
        g2 = g2 + case.call("grad2", xb, gb)
        tol_w2 = tol_w2 + lb.square(witness.w_grad(xb, gb), lb.w_grad(xb, gb, case.dtype))
        tol_g2 = tol_g2 + lb.grad2(xb, gb, case.dtype)
    k = len(batches)
    return w2 / k, g2 / k, tol_w2 / k, tol_g2 / k


def _formula_tol(*terms: np.ndarray) -> np.ndarray:
    """float64 rounding of the closed forms and of the averaging (tiny, but stated)."""
    return gamma(64, 2.0 ** -53) * sum(np.abs(t) for t in terms)


@sgd_property(needs=("linear_backward", "grad2"), spec=SPEC)
@given(data=st.data())
@fast_failure
def test_with_replacement_w_grad2_shrinks_grad2_does_not(case, data):
    """E[W_grad^2] = g^2 + diag(Sigma^1)/B and E[grad2] = g^2 + diag(Sigma^1), every B."""
    x, gy = _population(data, case, max_n=4)
    n = x.shape[0]
    B = data.draw(st.integers(1, 3 if n <= 4 else 2), label="B")
    g, var = _moments(x, gy)
    batches = list(itertools.product(range(n), repeat=B))
    w2, g2, tol_w2, tol_g2 = _averages(case, x, gy, batches)
    expected_w2 = g * g + var / B
    expected_g2 = g * g + var
    assert_close(w2, expected_w2, tol_w2 + _formula_tol(g * g, var),
                 what=f"E[W_grad^2] over all {n}^{B} batches against g^2 + diag(Sigma^1)/B")
    assert_close(g2, expected_g2, tol_g2 + _formula_tol(g * g, var),
                 what=f"E[grad2] over all {n}^{B} batches against g^2 + diag(Sigma^1) "
                      "(independent of B)")


@sgd_property(needs=("linear_backward", "grad2"), spec=SPEC)
@given(data=st.data())
@fast_failure
def test_without_replacement_finite_population_factor(case, data):
    """Without replacement E[W_grad^2] = g^2 + diag(Sigma^1)/B (n - B)/(n - 1); grad2 unchanged."""
    x, gy = _population(data, case, max_n=6)
    n = x.shape[0]
    B = data.draw(st.integers(1, n), label="B")
    g, var = _moments(x, gy)
    batches = list(itertools.combinations(range(n), B))
    assert len(batches) == math.comb(n, B)
    w2, g2, tol_w2, tol_g2 = _averages(case, x, gy, batches)
    factor = (n - B) / (n - 1)
    tol = tol_w2 + _formula_tol(g * g, var)
    assert_close(w2, g * g + var / B * factor, tol,
                 what=f"E[W_grad^2] over all C({n},{B}) subsets against "
                      "g^2 + diag(Sigma^1)/B (n - B)/(n - 1)")
    assert_close(g2, g * g + var, tol_g2 + _formula_tol(g * g, var),
                 what="E[grad2] without replacement against g^2 + diag(Sigma^1)")
    # The with-replacement formula is off by exactly diag(Sigma^1)/B (B - 1)/(n - 1).
    shift = var / B * (B - 1) / (n - 1)
    visible = shift > 2 * tol
    assert (np.abs(w2 - (g * g + var / B)) > tol)[visible].all(), (
        "without replacement, E[W_grad^2] matches the with-replacement formula where the "
        "finite-population factor should separate them")


@sgd_property(needs=("linear_backward",), spec=SPEC)
@given(data=st.data())
@fast_failure
def test_whole_population_batch_has_no_noise(case, data):
    """B = n without replacement: the only batch is the population, W_grad = g."""
    x, gy = _population(data, case, max_n=6)
    W = np.zeros((gy.shape[1], x.shape[1]))
    W_grad, _ = case.call("linear_backward", W, x, gy)
    g, _ = _moments(x, gy)
    assert_close(W_grad, g, lb.w_grad(x, gy, case.dtype), what="W_grad of the whole population")
