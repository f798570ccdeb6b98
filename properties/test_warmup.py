"""Problem 2: the warm-up average y_t = (1 − 1/min(t,N))·y_{t−1} + x_t/min(t,N).

spec/running.md#problem-2.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from impl import reference
from sgdcheck import strategies as sst
from sgdcheck.assertions import assert_close
from sgdcheck.bounds import U64, running_bound
from sgdcheck.dtypes import gamma
from sgdcheck.harness import sgd_property

SPEC = "spec/running.md#problem-2"


@sgd_property(needs=("warmup_mean",), spec=SPEC)
@given(data=st.data())
def test_warmup_constant_is_exact(case, data):
    """x_t = c gives y_t = c for every t ≥ 1."""
    N = data.draw(sst.horizons(), label="N")
    T = data.draw(sst.lengths(), label="T")
    S = data.draw(sst.sample_shapes(), label="S")
    c = case.representable(data.draw(sst.arrays(S, sst.value_bound_for(case.dtype, 1)), label="c"))
    x = np.broadcast_to(c, (T, *S)).copy()
    y = case.call("warmup_mean", x, N)
    assert_close(y, x, running_bound("warmup_mean", x, N, x, case.dtype),
                 what="warmup_mean of a constant against the constant")


@sgd_property(needs=("warmup_mean",), spec=SPEC)
@given(data=st.data())
def test_warmup_is_arithmetic_mean_until_N(case, data):
    """For t ≤ N, y_t = (x_1 + … + x_t)/t."""
    N = data.draw(sst.horizons(), label="N")
    x = case.representable(sst.draw_series(data, case.dtype))
    K = min(x.shape[0], math.floor(N))
    y = case.call("warmup_mean", x, N)
    t = np.arange(1, K + 1).reshape((-1,) + (1,) * (x.ndim - 1))
    mean = np.cumsum(x[:K], axis=0) / t
    tol = running_bound("warmup_mean", x, N, reference.warmup_mean(x, N), case.dtype)[:K]
    # the float64 oracle: a t-term cumulative sum and a division, γ_{t+1}(u_64)·Σ|x|/t
    oracle = np.array([gamma(k + 1, U64) for k in range(1, K + 1)]).reshape(t.shape) / t
    assert_close(y[:K], mean, tol + oracle * np.cumsum(np.abs(x[:K]), axis=0),
                 what=f"the first {K} outputs against the arithmetic mean of x_1 … x_t")


@sgd_property(needs=("warmup_mean",), spec=SPEC)
@given(data=st.data())
def test_warmup_continues_with_weight_1_over_N(case, data):
    """For t > N, y_t = (1 − 1/N)·y_{t−1} + x_t/N."""
    N = data.draw(st.one_of(st.integers(1, 50), st.floats(1.0, 50.0)), label="N")
    T = data.draw(st.integers(math.floor(N) + 1, math.floor(N) + 300), label="T")
    x = case.representable(sst.draw_series(data, case.dtype, T=T))
    y = case.call("warmup_mean", x, N)
    K = math.floor(N)
    tol = running_bound("warmup_mean", x, N, reference.warmup_mean(x, N), case.dtype)
    a = 1 - 1 / N
    step = a * y[K - 1:-1] + x[K:] / N if K > 0 else x[K:] / N
    assert_close(y[K:], step, tol[K:] + (a * tol[K - 1:-1] if K > 0 else 0)
                 + gamma(3, U64) * (np.abs(y[K - 1:-1] if K > 0 else 0) + np.abs(x[K:]) / N),
                 what="y_t against (1 − 1/N)·y_{t−1} + x_t/N for t > N")


@sgd_property(needs=("warmup_mean",), spec=SPEC)
@given(data=st.data())
def test_warmup_weights_are_an_average(case, data):
    """y_t = Σ_k w_{t,k}·x_k with w_{t,k} ≥ 0 and Σ_k w_{t,k} = 1; w_{t,k} = 1/t for t ≤ N.

    The columns of the identity, fed as S = (T,), give every weight in one call.
    """
    N = data.draw(sst.horizons(max_N=100), label="N")
    T = data.draw(st.integers(1, 60), label="T")
    eye = np.eye(T)
    w = case.call("warmup_mean", eye, N)  # w[t, k]: weight of x_k in y_t
    exact = reference.warmup_mean(eye, N)
    tol = running_bound("warmup_mean", eye, N, exact, case.dtype)
    assert_close(w, exact, tol, what="the weights w[t, k] against the reference recurrence")
    assert (w >= 0).all(), f"negative weight w[t, k] at {np.argwhere(w < 0)[0].tolist()}"
    assert_close(w.sum(axis=1), np.ones(T), tol.sum(axis=1),
                 what="Σ_k w[t, k] (the weights of each y_t) against 1")
    K = min(T, math.floor(N))
    lower = np.tril(np.ones((K, K))) / np.arange(1, K + 1)[:, None]
    assert_close(w[:K, :K], lower, tol[:K, :K], what="w[t, k] against 1/t for k ≤ t ≤ N")


@sgd_property(needs=("warmup_mean",), spec=SPEC)
@given(data=st.data())
def test_warmup_N_equal_1_is_identity(case, data):
    """N = 1: min(t, 1) = 1, so y_t = x_t."""
    x = case.representable(sst.draw_series(data, case.dtype))
    assert_close(case.call("warmup_mean", x, 1), x, 0.0, what="warmup_mean(x, N=1) against x")
