"""Measured conventions, checked where claimed (spec/optimizers.md#4-measured-conventions)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sgdcheck.optim import measure
from sgdcheck.optim.case import OptimizerCase
from sgdcheck.optim.hyp import examples
from sgdcheck.optim.problem import constant_problem, f32, stream_problem

MAGNITUDES = st.floats(2.0 ** -6, 2.0 ** 6, width=32)
POW2 = st.integers(-7, 7).filter(bool).map(lambda j: 2.0 ** j)
_CACHE: dict[str, tuple[Any, float]] = {}


def check(case: OptimizerCase, claim: str, measured: Any, ok: bool, detail: str) -> None:
    """Report ``measured``; if ``claim`` was declared, ``ok`` must hold."""
    case.report(claim, measured)
    if claim in case.claims:
        assert ok, (f"{case.name} claims {claim}={case.claims[claim]!r} but measured "
                    f"{measured!r} ({detail})")


def nonzero_gradient(data: st.DataObject, case: OptimizerCase) -> np.ndarray:
    n = data.draw(st.integers(1, 4), label="entries")
    mags = data.draw(hnp.arrays(np.float32, (n,), elements=MAGNITUDES), label="|c|")
    signs = data.draw(hnp.arrays(np.int8, (n,), elements=st.sampled_from([-1, 1])),
                      label="sign(c)")
    c = f32(mags * signs)
    return c.reshape(1, n) if case.spec.ndims == (2,) else c


@examples(10)
@given(data=st.data())
def test_first_step(optimizer_case: OptimizerCase, data: st.DataObject) -> None:
    case = optimizer_case
    kw = case.measure_kwargs()
    c = nonzero_gradient(data, case)
    traj = case.run(constant_problem(c, 1), kw, label="first step")
    kinds, ratio = measure.classify_first_step(traj.step(1)[0].ravel(), c.ravel(),
                                               measure.lr_of(case, kw))
    if kinds in (["lr*g"], ["other"]):  # a ratio to lr*g says nothing for sign-like steps
        case.report("first_step/(lr*g)", round(ratio, 4))
    check(case, "first_step", " = ".join(kinds), case.claims.get("first_step") in kinds,
          f"first update / (lr*g) = {ratio:.6g} for g = {c.ravel().tolist()}")


def _constant(case: OptimizerCase) -> dict[str, Any]:
    if case.id not in _CACHE:
        _CACHE[case.id] = measure.constant_run(case)
    traj, lr = _CACHE[case.id]
    return measure.constant_summary(case, traj, lr)


@pytest.mark.optimizer_dtypes("float32")
def test_bias_correction(optimizer_case: OptimizerCase) -> None:
    """Constant gradient for 1000 steps: with bias correction every step equals the last."""
    case = optimizer_case
    s = _constant(case)
    flat = s["max_dev_from_last"] <= measure.REL_TOL
    case.report("first/last step", round(s["first_over_last"], 4))
    check(case, "bias_correction", flat, flat == case.claims.get("bias_correction"),
          f"max_t |step_t / step_1000 - 1| = {s['max_dev_from_last']:.3g}")


@pytest.mark.optimizer_dtypes("float32")
def test_asymptotic_step(optimizer_case: OptimizerCase) -> None:
    """Constant gradient c: asymptotic step / (lr c) (= N for the running-sum convention)."""
    case = optimizer_case
    s = _constant(case)
    sign_like = abs(s["asymptote_over_lr"] - 1) <= 1e-2 and s["asymptote_spread"] <= 1e-2
    if s["asymptote_spread"] <= 1e-2:  # |step| independent of |c|: report |step| / lr
        case.report("asymptote/lr", round(s["asymptote_over_lr"], 4))
    else:
        case.report("asymptote/(lr*c)", round(s["asymptote_over_lr_c"], 4))
    check(case, "sign_like", sign_like, sign_like == case.claims.get("sign_like"),
          f"|step|/lr = {s['asymptote_over_lr']:.4g}, spread over |c| in [1e-2, 64] "
          f"{s['asymptote_spread']:.3g}")


@pytest.mark.optimizer_dtypes("float32")
def test_momentum_convention(optimizer_case: OptimizerCase) -> None:
    """The step's EMA convention, against running_sum / running_mean / debiased_mean."""
    case = optimizer_case
    m = measure.identify_momentum(case)
    if m["N"] is not None:
        case.report("momentum N", round(m["N"], 3))
    check(case, "momentum", m["momentum"], m["momentum"] == case.claims.get("momentum"),
          f"best fit N={m['N']}, relative residual {m['residual']:.3g}")


@pytest.mark.optimizer_dtypes("float32")
def test_scale_sensitivity_measured(optimizer_case: OptimizerCase) -> None:
    case = optimizer_case
    kw = case.measure_kwargs()
    prob = measure.fixed_stream(case)
    dev = max(measure.scale_deviation(case, prob, kw, k) for k in (2.0 ** -6, 2.0 ** 6))
    inv = dev <= measure.SCALE_TOL
    case.report("scale deviation", float(f"{dev:.3g}"))
    check(case, "scale_invariant", inv, inv == case.claims.get("scale_invariant"),
          f"relative deviation {dev:.3g} for g -> 2^+-6 g")


@examples(10)
@given(data=st.data())
def test_scale_invariance(optimizer_case: OptimizerCase, data: st.DataObject) -> None:
    case = optimizer_case
    if case.claims.get("scale_invariant") is not True:
        pytest.skip(f"{case.name} does not claim scale_invariant")
    T = data.draw(st.integers(1, 6), label="steps")
    shape = measure.fixed_stream(case).init[0].shape
    mags = hnp.arrays(np.float32, shape, elements=MAGNITUDES)
    signs = hnp.arrays(np.int8, shape, elements=st.sampled_from([-1, 1]))
    grads = [f32(data.draw(mags, label=f"|g[{t}]|") * data.draw(signs, label=f"sign(g[{t}])"))
             for t in range(T)]
    k = data.draw(POW2, label="k")
    prob = stream_problem(np.stack(grads))
    dev = measure.scale_deviation(case, prob, case.measure_kwargs(), k)
    assert dev <= measure.SCALE_TOL, (f"{case.name} claims scale_invariant but g -> {k:g} g "
                                      f"moves the run by {dev:.3g} of its path length")


@pytest.mark.optimizer_dtypes("float32")
def test_max_normalizer(optimizer_case: OptimizerCase) -> None:
    """After 5 steps of a 1000x spike, does the step stay damped (AMSGrad) or recover?"""
    case = optimizer_case
    r = measure.spike_ratio(case)
    damped = r <= 0.5
    case.report("spike recovery ratio", float(f"{r:.3g}"))
    if "max_normalizer" in case.claims:
        check(case, "max_normalizer", damped, damped == case.claims["max_normalizer"],
              f"|step| 1000 steps after the spike / |step| without it = {r:.3g}")
