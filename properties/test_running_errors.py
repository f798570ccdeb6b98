"""Bad arguments get a ValueError or TypeError that names the argument (spec/contract.md#errors)."""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

from sgdcheck.assertions import assert_rejects
from sgdcheck.harness import sgd_property

SPEC = "spec/contract.md#errors"
RUNNING = ("running_sum", "running_mean", "warmup_mean", "debiased_mean")

BAD_N = st.one_of(
    st.floats(-1e6, 1.0, exclude_max=True, allow_nan=False),
    st.sampled_from([math.nan, math.inf, -math.inf, "3", None, True, 2 + 0j]),
)



@sgd_property(needs=RUNNING, spec=SPEC)
@given(N=BAD_N, fn=st.sampled_from(RUNNING))
def test_rejects_bad_N(case, N, fn):
    """N < 1, non-finite N, and N that is not a real number are rejected."""
    assert_rejects(case, fn, "N", case.tensor(np.ones((3, 2))), N)


@sgd_property(needs=RUNNING, spec=SPEC)
@given(fn=st.sampled_from(RUNNING), bad=st.sampled_from(["nan", "inf", "-inf"]),
       where=st.integers(0, 5))
def test_rejects_non_finite_x(case, fn, bad, where):
    """x with a NaN or ±inf entry is rejected rather than averaged into NaN."""
    x = case.tensor(np.ones((3, 2)))
    x.reshape(-1)[where] = float(bad)
    assert_rejects(case, fn, "x", x, 4)


def _as_integers(x):
    return x.to(torch.int64) if isinstance(x, torch.Tensor) else x.astype(np.int64)


@sgd_property(needs=RUNNING, spec=SPEC)
@given(fn=st.sampled_from(RUNNING), kind=st.sampled_from(["scalar", "integer"]))
def test_rejects_x_without_time_axis_or_not_float(case, fn, kind):
    """A 0-d x has no time axis; an integer x is not floating point."""
    x = case.tensor(np.ones((4, 2)))
    x = x.reshape(-1)[:1].reshape(()) if kind == "scalar" else _as_integers(x)
    assert_rejects(case, fn, "x", x, 4)
