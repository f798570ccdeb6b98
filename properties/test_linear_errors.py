"""Bad arguments to the linear-layer contract get a ValueError or TypeError naming them.

spec/linear.md#argument-validation.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sgdcheck.assertions import assert_rejects
from sgdcheck.harness import sgd_property
from sgdcheck.linear_draws import fast_failure

SPEC = "spec/linear.md#argument-validation"



def _batch(case, B: int = 3, I: int = 2, J: int = 4):
    return (case.tensor(np.ones((J, I))), case.tensor(np.ones((B, I))),
            case.tensor(np.ones((B, J))))


@sgd_property(needs=("grad2", "per_example_grads", "linear_backward"), spec=SPEC)
@given(fn=st.sampled_from(["grad2", "per_example_grads", "linear_backward"]))
@fast_failure
def test_rejects_empty_batch(case, fn):
    """B = 0 is an error, not an empty mean (0/0)."""
    W, x, gy = _batch(case, B=0)
    args = (W, x, gy) if fn == "linear_backward" else (x, gy)
    assert_rejects(case, fn, "B", *args)


@sgd_property(needs=("grad2", "per_example_grads", "linear_backward"), spec=SPEC)
@given(fn=st.sampled_from(["grad2", "per_example_grads", "linear_backward"]))
@fast_failure
def test_rejects_mismatched_batch(case, fn):
    """gy with a different B from x names gy."""
    W, x, _ = _batch(case)
    gy = case.tensor(np.ones((5, 4)))
    args = (W, x, gy) if fn == "linear_backward" else (x, gy)
    assert_rejects(case, fn, "gy", *args)


@sgd_property(needs=("linear_backward",), spec=SPEC)
@given(which=st.sampled_from(["W", "x", "gy"]),
       bad=st.sampled_from([math.nan, math.inf, -math.inf]))
@fast_failure
def test_rejects_non_finite(case, which, bad):
    """A NaN or inf in W, x or gy names the argument."""
    arrays = dict(zip(("W", "x", "gy"), _batch(case)))
    a = arrays[which].clone() if hasattr(arrays[which], "clone") else arrays[which].copy()
    a[0, 0] = bad
    arrays[which] = a
    assert_rejects(case, "linear_backward", which, arrays["W"], arrays["x"], arrays["gy"])


@sgd_property(needs=("linear_backward",), spec=SPEC)
@given(data=st.data())
@fast_failure
def test_rejects_wrong_inner_size(case, data):
    """x with I columns and W with a different I names x."""
    W, _, gy = _batch(case)
    x = case.tensor(np.ones((3, 5)))
    assert_rejects(case, "linear_backward", "x", W, x, gy)


RMS_BAD = {
    "N": [0.5, 0, -3, math.nan, math.inf, "10", None],
    "lr": [math.nan, math.inf, "0.1", None],
    "eps": [-1e-8, math.nan, math.inf, None],
}


@sgd_property(needs=("rmsprop_step",), spec=SPEC)
@given(data=st.data())
@fast_failure
def test_rmsprop_rejects_bad_scalars(case, data):
    """N < 1 or not finite, lr not finite, eps < 0 or not finite: named errors."""
    arg = data.draw(st.sampled_from(sorted(RMS_BAD)), label="argument")
    value = data.draw(st.sampled_from(RMS_BAD[arg]), label="value")
    a = case.tensor(np.ones(3))
    scalars = {"N": 10, "lr": 0.1, "eps": 1e-8, arg: value}
    assert_rejects(case, "rmsprop_step", arg, a, a, a, a,
                  scalars["N"], scalars["lr"], scalars["eps"])


@sgd_property(needs=("rmsprop_step",), spec=SPEC)
@given(which=st.sampled_from(["second", "s"]))
@fast_failure
def test_rmsprop_rejects_negative_averages(case, which):
    """second and s are averages of squares: a negative entry is an error."""
    a = case.tensor(np.ones(3))
    neg = case.tensor(-np.ones(3))
    args = [a, a, neg if which == "second" else a, neg if which == "s" else a]
    assert_rejects(case, "rmsprop_step", which, *args, 10, 0.1, 1e-8)
