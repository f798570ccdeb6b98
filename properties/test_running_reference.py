"""Differential check: every running average matches the float64 reference within its bound.

spec/tolerance.md#running-averages.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from impl import reference
from sgdcheck import strategies as sst
from sgdcheck.assertions import assert_close
from sgdcheck.bounds import running_bound
from sgdcheck.harness import sgd_property

SPEC = "spec/tolerance.md#running-averages"


def _differential(case, data, fn: str) -> None:
    N = data.draw(sst.horizons(), label="N")
    T = data.draw(sst.lengths(), label="T")
    gain = min(T, N) if fn == "running_sum" else 1.0
    x = case.representable(sst.draw_series(data, case.dtype, T=T, gain=gain))
    expected = getattr(reference, fn)(x, N)
    assert_close(case.call(fn, x, N), expected, running_bound(fn, x, N, expected, case.dtype),
                 what=f"{fn}(x, N={N!r}) against the float64 reference loop")


@sgd_property(needs=("running_sum",), spec=SPEC)
@given(data=st.data())
def test_running_sum_matches_reference(case, data):
    _differential(case, data, "running_sum")


@sgd_property(needs=("running_mean",), spec=SPEC)
@given(data=st.data())
def test_running_mean_matches_reference(case, data):
    _differential(case, data, "running_mean")


@sgd_property(needs=("warmup_mean",), spec=SPEC)
@given(data=st.data())
def test_warmup_mean_matches_reference(case, data):
    _differential(case, data, "warmup_mean")


@sgd_property(needs=("debiased_mean",), spec=SPEC)
@given(data=st.data())
def test_debiased_mean_matches_reference(case, data):
    _differential(case, data, "debiased_mean")


@pytest.mark.dtypes("float32", "bfloat16", "float16")
@sgd_property(needs=("running_mean",), spec="spec/tolerance.md#working-precision")
@given(data=st.data())
def test_long_horizon_in_low_precision(case, data):
    """Large N over T ≫ N steps: where 1 − 1/N is not representable in the storage dtype.

    Computing the decay in bfloat16 makes 1 − 1/N round to 1 (N > 512) or to
    a wrong horizon; the required working precision keeps μ_t within the bound.
    """
    N = data.draw(st.integers(200, 3000), label="N")
    T = data.draw(st.integers(2 * N, 3 * N), label="T")
    c = case.representable(data.draw(st.floats(0.5, 2.0), label="c"))
    x = np.full((T,), float(c))
    expected = reference.running_mean(x, N)
    assert_close(case.call("running_mean", x, N), expected,
                 running_bound("running_mean", x, N, expected, case.dtype),
                 what=f"running_mean of a constant over T={T} steps with N={N}")
