"""Implementation parity (spec/optimizers.md#2-implementation-parity)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sgdcheck.optim.case import OptimizerCase
from sgdcheck.optim.hyp import examples
from sgdcheck.optim.problem import Problem, f32, values
from sgdcheck.optim.runner import Trajectory
from sgdcheck.optim.tolerance import state_mismatch, trajectory_bound, worst_violation

from .test_optimizer_contract import draw_problem


def assert_agree(case: OptimizerCase, ref: Trajectory, other: Trajectory, u: float,
                 what: str) -> None:
    bad = worst_violation(ref, other, trajectory_bound(ref, u))
    assert bad is None, (f"{case.name}: {what}: param {bad[2]} at step {bad[1]} is "
                         f"{bad[0]:.3g}x outside the derived bound (u={u:.3g})")


@examples(15)
@given(data=st.data())
def test_impl_paths_agree(optimizer_case: OptimizerCase, data: st.DataObject) -> None:
    """foreach=False / foreach=True / fused=True give one trajectory and one final state."""
    case = optimizer_case
    flags = case.spec.impl_flags
    if len(flags) < 2:
        pytest.skip(f"{case.name} has no foreach/fused variants")
    prob, kw = draw_problem(case, data), case.draw_kwargs(data)
    runs = [case.run(prob, {**kw, **f}, label=str(f)) for f in flags]
    for f, other in zip(flags[1:], runs[1:]):
        assert_agree(case, runs[0], other, 2 * case.u, f"{flags[0]} vs {f}")
        bad = state_mismatch(runs[0].state, other.state, 2 * case.u, prob.steps)
        assert bad is None, f"{case.name}: {flags[0]} vs {f}: {bad}"


def _elementwise_claim(case: OptimizerCase) -> None:
    if case.claims.get("elementwise") is False:
        pytest.skip(f"{case.name} declares elementwise=False")
    if 1 not in case.spec.ndims:
        pytest.skip(f"{case.name} takes no 1-d parameters")


@examples(15)
@given(data=st.data())
def test_elementwise_regrouping_changes_nothing(optimizer_case: OptimizerCase,
                                               data: st.DataObject) -> None:
    """Split a tensor in two, spread it over groups, or permute its entries: same run."""
    case = optimizer_case
    _elementwise_claim(case)
    n = data.draw(st.integers(2, 8), label="n")
    T = data.draw(st.integers(1, 5), label="steps")
    arr = hnp.arrays(np.float32, (n,), elements=values())
    init = f32(data.draw(arr, label="init"))
    grads = [f32(data.draw(arr, label=f"grad[{t}]")) for t in range(T)]
    kw = case.draw_kwargs(data)
    how = data.draw(st.sampled_from(["split", "split+groups", "permute"]), label="transform")
    base = case.run(Problem([init], [[g] for g in grads]), kw, label="one tensor")
    if how == "permute":
        perm = np.array(data.draw(st.permutations(range(n)), label="permutation"))
        other = case.run(Problem([init[perm]], [[g[perm]] for g in grads]), kw, label=how)
        got = [[p[0][np.argsort(perm)]] for p in other.params]
    else:
        k = data.draw(st.integers(1, n - 1), label="cut")
        groups = [[0], [1]] if how == "split+groups" else [[0, 1]]
        prob = Problem([init[:k], init[k:]], [[g[:k], g[k:]] for g in grads], groups)
        other = case.run(prob, kw, label=how)
        got = [[np.concatenate(p)] for p in other.params]
    mapped = Trajectory(got, [], {}, [])
    bad = worst_violation(base, mapped, trajectory_bound(base, 2 * case.u))
    if case.claims.get("elementwise") is None:
        case.report("elementwise", bad is None)
        return
    assert bad is None, (f"{case.name}: '{how}' changed param entries at step {bad[1]} "
                         f"({bad[0]:.3g}x the bound): not elementwise")


@pytest.mark.optimizer_dtypes("float32")
@examples(15)
@given(data=st.data())
def test_float32_tracks_float64(optimizer_case: OptimizerCase, data: st.DataObject) -> None:
    case = optimizer_case
    prob, kw = draw_problem(case, data), case.draw_kwargs(data)
    ref = case.run(prob, kw, dtype="float64", label="float64")
    got = case.run(prob, kw, label="float32")
    assert_agree(case, ref, got, case.u, "float32 vs float64")


@pytest.mark.optimizer_devices("cuda", "mps")
@examples(10)
@given(data=st.data())
def test_device_matches_cpu(optimizer_case: OptimizerCase, data: st.DataObject) -> None:
    case = optimizer_case
    prob, kw = draw_problem(case, data), case.draw_kwargs(data)
    got = case.run(prob, kw, label=case.device)
    case.device, dev = "cpu", case.device
    try:
        ref = case.run(prob, kw, label="cpu")
    finally:
        case.device = dev
    assert_agree(case, ref, got, 2 * case.u, f"{dev} vs cpu")
