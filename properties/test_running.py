"""Problem 1: the running sum y_t = (1 − 1/N)·y_{t−1} + x_t (spec/running.md#problem-1)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from impl import reference
from sgdcheck import strategies as sst
from sgdcheck.assertions import assert_close
from sgdcheck.bounds import U64, one_minus_decay_power, running_bound
from sgdcheck.dtypes import gamma
from sgdcheck.harness import sgd_property

SPEC = "spec/running.md"


def _time_column(v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Broadcast a length-T vector along x's trailing shape."""
    return v.reshape((-1,) + (1,) * (x.ndim - 1))


@sgd_property(needs=("running_sum",), spec=f"{SPEC}#1a-constant-input")
@given(data=st.data())
def test_constant_input_closed_form(case, data):
    """x_t = c gives y_t = N·c·(1 − (1 − 1/N)^t)."""
    N = data.draw(sst.horizons(), label="N")
    T = data.draw(sst.lengths(), label="T")
    S = data.draw(sst.sample_shapes(), label="S")
    c = case.representable(data.draw(sst.arrays(S, sst.value_bound_for(case.dtype, min(T, N))),
                                     label="c"))
    x = np.broadcast_to(c, (T, *S)).copy()
    y = case.call("running_sum", x, N)
    expected = N * c * _time_column(one_minus_decay_power(N, T), x)
    assert_close(y, expected, running_bound("running_sum", x, N, expected, case.dtype),
                 what=f"running_sum of a constant c over T={T} steps against N·c·(1 − a^t)")


@sgd_property(needs=("running_sum",), spec=f"{SPEC}#1a-constant-input")
@given(data=st.data())
def test_distance_to_Nc_shrinks_by_decay(case, data):
    """Under x_t = c, N·c − y_t = (1 − 1/N)·(N·c − y_{t−1}): exactly one factor per step."""
    N = data.draw(sst.horizons(), label="N")
    T = data.draw(st.integers(2, 400), label="T")
    c = float(case.representable(data.draw(sst.values(sst.value_bound_for(case.dtype, min(T, N))),
                                           label="c")))
    x = np.full((T,), c)
    y = case.call("running_sum", x, N)
    exact = reference.running_sum(x, N)
    tol = running_bound("running_sum", x, N, exact, case.dtype)
    a = 1 - 1 / N
    gap = N * c - y
    # plus the float64 rounding of forming N·c − y and a·(N·c − y): γ_4(u_64) of the terms
    oracle = gamma(4, U64) * (2 * abs(N * c) + np.abs(y[1:]) + np.abs(y[:-1]))
    assert_close(gap[1:], a * gap[:-1], tol[1:] + a * tol[:-1] + oracle,
                 what="(N·c − y_t) against (1 − 1/N)·(N·c − y_{t−1})")


@sgd_property(needs=("running_sum",), spec=f"{SPEC}#1a-constant-input")
@given(data=st.data())
def test_limit_is_Nc(case, data):
    """With T ≥ 40·N steps, y_T is within N·|c|·e^{−40} of the limit N·c."""
    T = data.draw(st.integers(40, 2000), label="T")
    N = data.draw(st.one_of(st.just(1), st.floats(1.0, T / 40.0)), label="N")
    c = float(case.representable(data.draw(sst.values(sst.value_bound_for(case.dtype, N)),
                                           label="c")))
    x = np.full((T,), c)
    y = case.call("running_sum", x, N)
    exact = reference.running_sum(x, N)
    tol = running_bound("running_sum", x, N, exact, case.dtype)[-1]
    assert_close(y[-1], np.asarray(N * c), tol + N * abs(c) * (1 - 1 / N) ** T,
                 what=f"y_T after T={T} ≥ 40·N steps against the limit N·c")


@sgd_property(needs=("running_sum", "running_mean"), spec=f"{SPEC}#1b-running-average-of-nx")
@given(data=st.data())
def test_sum_is_running_mean_of_N_x(case, data):
    """running_sum(x, N) = running_mean(N·x, N): y averages N·x."""
    N = data.draw(sst.horizons(), label="N")
    T = data.draw(sst.lengths(), label="T")
    x = case.representable(sst.draw_series(data, case.dtype, T=T, gain=N * min(T, N)))
    Nx = case.representable(N * x)  # N·x rounded to the dtype, as any caller would pass it
    y = case.call("running_sum", x, N)
    m = case.call("running_mean", Nx, N)
    exact_y = reference.running_sum(x, N)
    exact_m = reference.running_mean(Nx, N)
    tol = (running_bound("running_sum", x, N, exact_y, case.dtype)
           + running_bound("running_mean", Nx, N, exact_m, case.dtype)
           + np.abs(exact_y - exact_m))  # what rounding N·x to the dtype changed, computed exactly
    assert_close(y, m, tol, what="running_sum(x, N) against running_mean(N·x, N)")


@sgd_property(needs=("running_sum",), spec=f"{SPEC}#1b-running-average-of-nx")
@given(data=st.data())
def test_linearity(case, data):
    """running_sum(α·x + β·z) = α·running_sum(x) + β·running_sum(z)."""
    N = data.draw(sst.horizons(), label="N")
    T = data.draw(sst.lengths(), label="T")
    gain = 4 * min(T, N)
    x = case.representable(sst.draw_series(data, case.dtype, T=T, gain=gain))
    z = case.representable(data.draw(sst.arrays(x.shape, sst.value_bound_for(case.dtype, gain)),
                                     label="z"))
    alpha = data.draw(st.floats(-2, 2), label="alpha")
    beta = data.draw(st.floats(-2, 2), label="beta")
    mix = case.representable(alpha * x + beta * z)
    y_mix, y_x, y_z = (case.call("running_sum", v, N) for v in (mix, x, z))
    ex_mix, ex_x, ex_z = (reference.running_sum(v, N) for v in (mix, x, z))
    tol = (running_bound("running_sum", mix, N, ex_mix, case.dtype)
           + abs(alpha) * running_bound("running_sum", x, N, ex_x, case.dtype)
           + abs(beta) * running_bound("running_sum", z, N, ex_z, case.dtype)
           + np.abs(ex_mix - (alpha * ex_x + beta * ex_z))
           # float64 rounding of both linear combinations: γ_4(u_64) of their terms
           + 2 * gamma(4, U64) * (np.abs(ex_mix) + abs(alpha) * np.abs(ex_x)
                                  + abs(beta) * np.abs(ex_z)))
    assert_close(y_mix, alpha * y_x + beta * y_z, tol,
                 what="running_sum(α·x + β·z) against α·running_sum(x) + β·running_sum(z)")


@sgd_property(needs=("running_sum",), spec=f"{SPEC}#1b-running-average-of-nx")
@given(data=st.data())
def test_time_invariance(case, data):
    """Prepending k zeros shifts the output by k steps and changes nothing else."""
    N = data.draw(sst.horizons(), label="N")
    T = data.draw(sst.lengths(max_T=400), label="T")
    x = case.representable(sst.draw_series(data, case.dtype, T=T, gain=min(T, N)))
    k = data.draw(st.integers(1, 70), label="k")
    shifted = np.concatenate([np.zeros((k, *x.shape[1:])), x])
    y = case.call("running_sum", x, N)
    y_shifted = case.call("running_sum", shifted, N)
    assert_close(y_shifted[:k], np.zeros_like(y_shifted[:k]), 0.0,
                 what=f"the outputs for the {k} prepended zeros")
    tol = 2 * running_bound("running_sum", x, N, reference.running_sum(x, N), case.dtype)
    assert_close(y_shifted[k:], y, tol, what=f"running_sum with {k} zeros prepended, shifted back")


@sgd_property(needs=("running_sum",), spec=f"{SPEC}#1b-running-average-of-nx")
@given(data=st.data())
def test_impulse_response(case, data):
    """x = (1, 0, 0, …) gives y_t = (1 − 1/N)^{t−1}."""
    N = data.draw(sst.horizons(), label="N")
    T = data.draw(st.integers(1, 600), label="T")
    x = np.zeros(T)
    x[0] = 1.0
    y = case.call("running_sum", x, N)
    expected = np.exp(np.arange(T) * np.log1p(-1 / N)) if N > 1 else x.copy()
    assert_close(y, expected, running_bound("running_sum", x, N, expected, case.dtype),
                 what="the impulse response against (1 − 1/N)^(t−1)")


@sgd_property(needs=("running_sum",), spec=f"{SPEC}#1b-running-average-of-nx")
@given(data=st.data())
def test_N_equal_1_is_identity(case, data):
    """N = 1 forgets everything: y_t = x_t."""
    x = case.representable(sst.draw_series(data, case.dtype))
    y = case.call("running_sum", x, 1)
    assert_close(y, x, 0.0, what="running_sum(x, N=1) against x")


@sgd_property(needs=("running_sum", "running_mean"), spec=f"{SPEC}#1c-y-is-n-mu")
@given(data=st.data())
def test_sum_is_N_times_mean(case, data):
    """y_t = N·μ_t for the same input."""
    N = data.draw(sst.horizons(), label="N")
    T = data.draw(sst.lengths(), label="T")
    x = case.representable(sst.draw_series(data, case.dtype, T=T, gain=min(T, N)))
    y = case.call("running_sum", x, N)
    mu = case.call("running_mean", x, N)
    ex_y, ex_mu = reference.running_sum(x, N), reference.running_mean(x, N)
    tol = (running_bound("running_sum", x, N, ex_y, case.dtype)
           + N * running_bound("running_mean", x, N, ex_mu, case.dtype)
           + gamma(2, U64) * np.abs(ex_y))  # N·μ formed in float64
    assert_close(y, N * mu, tol, what="running_sum against N·running_mean")
