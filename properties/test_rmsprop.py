"""RMSProp's step and Problem 3(d)'s batch-size scaling, in dynamics (spec/linear.md).

The step: s' = (1 - 1/N) s + second/N, param' = param - lr grad / (sqrt(s') + eps).
The dynamics: the noisy quadratic model of spec/linear.md#batch-size-scaling-dynamics,
driven through the implementation's rmsprop_step on 8192 independent chains.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from impl.reference import linear as reference
from sgdcheck import linear_bounds as lb
from sgdcheck import nqm
from sgdcheck import strategies as sst
from sgdcheck.arrays import to_float64
from sgdcheck.assertions import assert_close
from sgdcheck.harness import sgd_property
from sgdcheck.linear_draws import NO_EXPLAIN, fast_failure

SPEC = "spec/linear.md"


def _arguments(data: st.DataObject, case, *, N=None) -> tuple:
    """(param, grad, second, s, N, lr, eps) with a finite exact result in the case's dtype."""
    half = case.dtype == "float16"
    bound = lb.value_bound(case.dtype)
    floor = 1.0 if half else 2.0 ** -10
    shape = data.draw(sst.sample_shapes(max_rank=2, max_side=5), label="shape")
    values = st.floats(-bound, bound, allow_nan=False, allow_infinity=False)
    positive = st.floats(floor, bound * bound if half else bound)
    squares = st.one_of(st.just(0.0), positive)
    param = case.representable(data.draw(hnp.arrays(np.float64, shape, elements=values),
                                         label="param"))
    grad = case.representable(data.draw(hnp.arrays(np.float64, shape, elements=values),
                                        label="grad"))
    second = case.representable(data.draw(
        hnp.arrays(np.float64, shape, elements=positive), label="second"))
    s = case.representable(data.draw(hnp.arrays(np.float64, shape, elements=squares),
                                     label="s"))
    if N is None:
        N = data.draw(sst.horizons(64 if half else 1e6), label="N")
    lr = data.draw(st.floats(0.0, 10.0), label="lr")
    eps = data.draw(st.one_of(st.just(0.0), st.floats(1e-8, 1.0)), label="eps")
    return param, grad, second, s, N, lr, eps


def _expected(param, grad, second, s, N, lr, eps):
    new_s = (1.0 - 1.0 / N) * s + second / N
    return param - lr * grad / (np.sqrt(new_s) + eps), new_s


@sgd_property(needs=("rmsprop_step",), spec=f"{SPEC}#rmsprop-step")
@given(data=st.data())
@fast_failure
def test_rmsprop_step_definition(case, data):
    """s' = (1 - 1/N) s + second/N; param' = param - lr grad / (sqrt(s') + eps), eps outside."""
    args = _arguments(data, case)
    new_p, new_s = case.call("rmsprop_step", *args)
    exp_p, exp_s = _expected(*args)
    tol_p, tol_s = lb.rmsprop(*args, case.dtype)
    assert_close(new_s, exp_s, tol_s, what="s' against (1 - 1/N) s + second/N")
    assert_close(new_p, exp_p, tol_p, what="param' against param - lr grad / (sqrt(s') + eps)")


@sgd_property(needs=("rmsprop_step",), spec=f"{SPEC}#rmsprop-step")
@given(data=st.data())
@fast_failure
def test_rmsprop_N1_averages_nothing(case, data):
    """N = 1: s' = second, whatever s was."""
    args = _arguments(data, case, N=1)
    new_p, new_s = case.call("rmsprop_step", *args)
    tol_p, tol_s = lb.rmsprop(*args, case.dtype)
    assert_close(new_s, args[2], tol_s, what="s' against second at N = 1")
    assert_close(new_p, _expected(*args)[0], tol_p, what="param' at N = 1")


@sgd_property(needs=("rmsprop_step",), spec=f"{SPEC}#rounding-error-bounds")
@given(data=st.data())
@fast_failure
def test_differential_rmsprop_step(case, data):
    """rmsprop_step matches impl.reference within the bound of spec/linear.md."""
    args = _arguments(data, case)
    new_p, new_s = case.call("rmsprop_step", *args)
    ref_p, ref_s = reference.rmsprop_step(*args)
    tol_p, tol_s = lb.rmsprop(*args, case.dtype)
    assert_close(new_s, ref_s, tol_s, what="s' against the reference")
    assert_close(new_p, ref_p, tol_p, what="param' against the reference")


FALSE_FAILURE = 1e-9
"""Per test: split evenly over the configurations (union bound)."""
MODEL_ERROR = 0.03
"""delta_model of spec/linear.md#the-statistical-test."""


def _measure(case, cfg: nqm.Config, seed: int) -> tuple[float, float, float]:
    """(mean of Y, Bernstein radius, predicted clipped mean) for one configuration."""
    step = case.raw("rmsprop_step")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # 8192-element ops: thread wake-ups cost more than they save
    try:
        Y = nqm.run(step, cfg, seed=seed, to_backend=case.tensor, to_numpy=to_float64)
    finally:
        torch.set_num_threads(threads)
    cap = nqm.CLIP * nqm.predict(cfg)
    radius = nqm.bernstein_halfwidth(Y, cap, FALSE_FAILURE / len(nqm.CONFIGS))
    return float(Y.mean()), radius, nqm.predict_clipped(cfg)


@pytest.mark.dtypes("float64")
@sgd_property(needs=("rmsprop_step",), spec=f"{SPEC}#batch-size-scaling-dynamics")
@given(data=st.data())
@settings(max_examples=1, derandomize=True, phases=NO_EXPLAIN)
def test_batch_size_scaling_dynamics(case, data):
    """Standard RMSProp keeps its stationary loss under lr ~ sqrt(B) and loses it under lr ~ B;
    RMSProp fed grad2 keeps it under lr = B eta'. Fixed seeds, false-failure rate <= 1e-9."""
    probe = np.full(4, 0.5)
    case.call("rmsprop_step", probe, probe, probe, probe, 10, 0.1, 0.0)  # the contract checks
    interval = {}
    for seed, cfg in enumerate(nqm.CONFIGS, start=1):
        mean, radius, pred = _measure(case, cfg, seed)
        slack = MODEL_ERROR * pred + radius
        assert abs(mean - pred) <= slack, (
            f"{cfg}: stationary clipped loss {mean:.6g}, predicted {pred:.6g} "
            f"(model error {MODEL_ERROR:.0%} + Bernstein radius {radius:.3g} at "
            f"{FALSE_FAILURE:g}); spec/linear.md records the expected numbers")
        interval[str(cfg)] = (mean - radius, mean + radius)
    # The seed's answer, on the intervals: factor 2 separates the cases with margin
    # (spec/linear.md#the-statistical-test derives the worst cases 1.74, 0.67, 3.0, 0.42).
    lo1, hi1 = interval["standard B=1 lr=sqrt"]
    for keeps in ("standard B=16 lr=sqrt", "grad2 B=16 lr=linear"):
        lo, hi = interval[keeps]
        assert lo / hi1 >= 0.5 and hi / lo1 <= 2, (
            f"{keeps} does not keep the B = 1 stationary loss within a factor 2: "
            f"[{lo:.4g}, {hi:.4g}] against [{lo1:.4g}, {hi1:.4g}]")
    lo, _ = interval["standard B=16 lr=linear"]
    assert lo / hi1 >= 2, "standard RMSProp under lr ~ B should lose the stationary loss"
    _, hi = interval["grad2 B=16 lr=sqrt"]
    assert hi / lo1 <= 0.5, "RMSProp fed grad2 under lr ~ sqrt(B) should shrink it"
