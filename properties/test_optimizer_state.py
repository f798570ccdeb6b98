"""State: state_dict round trips and deepcopy (spec/optimizers.md#3-state)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sgdcheck.optim.case import OptimizerCase
from sgdcheck.optim.hyp import examples

from .test_optimizer_contract import draw_problem


def _continue_identically(case: OptimizerCase, data: st.DataObject, event: str) -> None:
    prob = draw_problem(case, data, steps=(2, 6))
    kw = case.draw_kwargs(data)
    k = data.draw(st.integers(2, prob.steps), label=f"{event} before step")
    plain = case.run(prob, kw, label="uninterrupted")
    other = case.run(prob, kw, label=f"{event} before step {k}", events={k: event})
    for t in range(k, len(plain.params)):
        for i, (x, y) in enumerate(zip(plain.params[t], other.params[t])):
            assert np.array_equal(x, y), (
                f"{case.name}: after {event} before step {k}, param {i} differs at step {t} "
                f"(max |diff| {np.max(np.abs(x - y)) if x.size else 0:.3e})")
    assert plain.state.keys() == other.state.keys(), (
        f"{case.name}: state keys after {event}: {sorted(plain.state.keys() ^ other.state.keys())}")


@examples(15)
@given(data=st.data())
def test_state_dict_roundtrip_into_fresh_instance(optimizer_case: OptimizerCase,
                                                  data: st.DataObject) -> None:
    _continue_identically(optimizer_case, data, "roundtrip")


@examples(10)
@given(data=st.data())
def test_state_dict_reload_into_same_instance(optimizer_case: OptimizerCase,
                                              data: st.DataObject) -> None:
    _continue_identically(optimizer_case, data, "reload")


@examples(10)
@given(data=st.data())
def test_deepcopy_continues_identically(optimizer_case: OptimizerCase,
                                        data: st.DataObject) -> None:
    _continue_identically(optimizer_case, data, "deepcopy")
