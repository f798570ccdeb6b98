"""Step contract of any torch optimizer (spec/optimizers.md#1-the-step-contract)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sgdcheck.optim.case import OptimizerCase
from sgdcheck.optim.hyp import examples
from sgdcheck.optim.problem import Problem, problems


def draw_problem(case: OptimizerCase, data: st.DataObject, **kw: object) -> Problem:
    kw.setdefault("zero_size", case.spec.zero_size)
    return data.draw(problems(case.spec.ndims, **kw), label="problem")


@examples(10)
@given(data=st.data())
def test_step_closure_returns_loss(optimizer_case: OptimizerCase, data: st.DataObject) -> None:
    """step(closure) returns the closure's loss (checked by the runner at every step)."""
    case = optimizer_case
    case.run(draw_problem(case, data), case.draw_kwargs(data), closure=True, label="closure")


@examples(15)
@given(data=st.data())
def test_none_grad_leaves_param_untouched(optimizer_case: OptimizerCase,
                                          data: st.DataObject) -> None:
    case = optimizer_case
    prob = draw_problem(case, data)
    traj = case.run(prob, case.draw_kwargs(data))
    for t, row in enumerate(prob.grads, start=1):
        for i, g in enumerate(row):
            if g is None:
                assert np.array_equal(traj.params[t][i], traj.params[t - 1][i]), (
                    f"{case.name}: step {t} moved parameter {i} whose grad is None")


@examples(15)
@given(data=st.data())
def test_lr_zero_is_identity(optimizer_case: OptimizerCase, data: st.DataObject) -> None:
    case = optimizer_case
    fixed: dict[str, object] = {"lr": 0.0}
    if case.claims.get("decoupled_weight_decay") and case.spec.accepts("weight_decay"):
        fixed["weight_decay"] = 0.0
    prob = draw_problem(case, data, none_grads=False)
    traj = case.run(prob, case.draw_kwargs(data, **fixed), label="lr=0")
    for t in range(1, len(traj.params)):
        for i, (p, p0) in enumerate(zip(traj.params[t], traj.params[0])):
            assert np.array_equal(p, p0), f"{case.name}: lr=0 moved parameter {i} at step {t}"


@examples(15)
@given(data=st.data())
def test_finite_in_finite_out(optimizer_case: OptimizerCase, data: st.DataObject) -> None:
    """Large, tiny and zero finite gradients keep parameters finite (runner checks)."""
    case = optimizer_case
    prob = draw_problem(case, data, bound=1e4, tiny=True, steps=(1, 8))
    case.run(prob, case.draw_kwargs(data), label="finite inputs")


@examples(10)
@given(data=st.data())
def test_identical_runs_bit_identical(optimizer_case: OptimizerCase,
                                      data: st.DataObject) -> None:
    case = optimizer_case
    prob, kw = draw_problem(case, data), case.draw_kwargs(data)
    a, b = case.run(prob, kw, label="first"), case.run(prob, kw, label="second")
    for t, (ra, rb) in enumerate(zip(a.params, b.params)):
        for i, (x, y) in enumerate(zip(ra, rb)):
            assert np.array_equal(x, y), f"{case.name}: runs differ at step {t}, param {i}"
    assert a.state.keys() == b.state.keys()
    for key in a.state:
        assert np.array_equal(a.state[key], b.state[key]), f"{case.name}: state {key} differs"


@examples(15)
@given(data=st.data())
def test_step_does_not_modify_grads(optimizer_case: OptimizerCase,
                                    data: st.DataObject) -> None:
    case = optimizer_case
    prob = draw_problem(case, data)
    traj = case.run(prob, case.draw_kwargs(data))
    for t, (given_row, seen_row) in enumerate(zip(prob.grads, traj.grads_after), start=1):
        for i, (g, seen) in enumerate(zip(given_row, seen_row)):
            same = seen is None if g is None else (seen is not None and np.array_equal(g, seen))
            assert same, f"{case.name}: step {t} modified the gradient of parameter {i}"


@pytest.mark.optimizer_dtypes("float32")
@examples(5)
@given(data=st.data())
def test_zero_size_params(optimizer_case: OptimizerCase, data: st.DataObject) -> None:
    """Two zero-size parameters, of different shapes where the layout allows, next to
    ordinary ones are accepted and left alone (every zero-size tensor has data_ptr 0, so
    state keyed by storage would collide)."""
    case = optimizer_case
    prob = draw_problem(case, data, zero_size=False, none_grads=False)
    options = [(0,)] * (1 in case.spec.ndims) + [(0, 2), (2, 0), (0, 0)] * (2 in case.spec.ndims)
    options = options or [(0,)]
    shapes = data.draw(st.permutations(options), label="zero-size shapes")[:2]
    shapes = (shapes * 2)[:2]
    for shape in shapes:
        prob.init.insert(0, np.zeros(shape))
        for row in prob.grads:
            row.insert(0, np.zeros(shape))
    prob.groups = [[0, 1] + [i + 2 for i in g] for g in prob.groups[:1]] + \
        [[i + 2 for i in g] for g in prob.groups[1:]]
    case.run(prob, case.draw_kwargs(data), label="with zero-size params")
