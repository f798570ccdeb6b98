"""Beyond the seed: Adam's bias correction against the warm-up average.

spec/running.md#beyond-the-seed-bias-correction.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sgdcheck import strategies as sst
from sgdcheck.assertions import assert_close, assert_differ
from sgdcheck.bounds import running_bound
from sgdcheck.harness import sgd_property

SPEC = "spec/running.md#beyond-the-seed-bias-correction"


def _constant(case, data) -> tuple[float, np.ndarray]:
    N = data.draw(sst.horizons(), label="N")
    T = data.draw(sst.lengths(), label="T")
    S = data.draw(sst.sample_shapes(), label="S")
    c = case.representable(data.draw(sst.arrays(S, sst.value_bound_for(case.dtype, 1)), label="c"))
    return N, np.broadcast_to(c, (T, *S)).copy()


@sgd_property(needs=("debiased_mean",), spec=SPEC)
@given(data=st.data())
def test_debiased_reproduces_constants(case, data):
    """μ_t/(1 − (1 − 1/N)^t) = c for x_t = c, from the first step on."""
    N, x = _constant(case, data)
    y = case.call("debiased_mean", x, N)
    assert_close(y, x, running_bound("debiased_mean", x, N, x, case.dtype),
                 what="debiased_mean of a constant against the constant")


@sgd_property(needs=("debiased_mean", "warmup_mean"), spec=SPEC)
@given(data=st.data())
def test_debiased_equals_warmup_on_constants(case, data):
    """On constant inputs both corrections give c, so they agree."""
    N, x = _constant(case, data)
    tol = (running_bound("debiased_mean", x, N, x, case.dtype)
           + running_bound("warmup_mean", x, N, x, case.dtype))
    assert_close(case.call("debiased_mean", x, N), case.call("warmup_mean", x, N), tol,
                 what="debiased_mean against warmup_mean on a constant input")


@sgd_property(needs=("debiased_mean", "warmup_mean"), spec=SPEC)
@given(data=st.data())
def test_debiased_differs_from_warmup_on_an_impulse(case, data):
    """x = (1, 0, …): at t = 2 warmup_mean gives 1/2, debiased_mean gives a/(1 + a), a = 1 − 1/N.

    They differ by 1/(2(2N − 1)) for every N ≥ 2, so the two corrections are not
    interchangeable (the course's slides say they have "essentially the same effect").
    N is kept where that gap exceeds the rounding bound: ≈ 1/(4N) against
    u_s/2 + ≈ 4·N·u_w (1 − a^t loses N·u_w when formed naively).
    """
    N_max = min(1e6, 1 / (64 * case.u), 1 / np.sqrt(256 * case.u_work))
    N = data.draw(st.floats(2.0, N_max), label="N")
    T = data.draw(st.integers(2, 50), label="T")
    x = np.zeros(T)
    x[0] = 1.0
    a = 1 - 1 / N
    warm = case.call("warmup_mean", x, N)
    deb = case.call("debiased_mean", x, N)
    expected_warm, expected_deb = np.array(0.5), np.array(a / (1 + a))
    tol_w = running_bound("warmup_mean", x, N, np.where(np.arange(T) == 1, 0.5, 0), case.dtype)[1]
    tol_d = running_bound("debiased_mean", x, N, np.full(T, a / (1 + a)), case.dtype)[1]
    assert_close(warm[1], expected_warm, tol_w, what="warmup_mean at t = 2 against 1/2")
    assert_close(deb[1], expected_deb, tol_d, what="debiased_mean at t = 2 against a/(1 + a)")
    assert_differ(warm[1], deb[1], tol_w + tol_d,
                  what=f"warmup_mean and debiased_mean at t = 2 for N = {N}")
