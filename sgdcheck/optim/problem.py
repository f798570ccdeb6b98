"""A run's inputs: parameter layout, initial values and gradient stream (float64 numpy).

All values are float32-representable so every dtype sees the same problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

Grad = np.ndarray | None


@dataclass
class Problem:
    init: list[np.ndarray]  # one array per parameter tensor
    grads: list[list[Grad]]  # grads[t][i]: gradient of parameter i at step t+1 (None: no grad)
    groups: list[list[int]] = field(default_factory=list)  # param indices per group
    group_kwargs: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.groups:
            self.groups = [list(range(len(self.init)))]
        if not self.group_kwargs:
            self.group_kwargs = [{} for _ in self.groups]

    @property
    def steps(self) -> int:
        return len(self.grads)

    def map_grads(self, fn: Any) -> Problem:
        grads = [[None if g is None else fn(g) for g in row] for row in self.grads]
        return Problem(self.init, grads, self.groups, self.group_kwargs)


def f32(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).astype(np.float32).astype(np.float64)


def values(bound: float = 10.0, tiny: bool = False) -> st.SearchStrategy[float]:
    """Finite float32 values: 0 or 1e-12 <= |x| <= bound, so no product of two underflows
    (the parity bounds assume no underflow); ``tiny`` adds the whole normal range."""
    base = st.floats(-bound, bound, width=32, allow_subnormal=False)
    if tiny:
        return base | st.sampled_from([0.0, 1e-30, -1e-30, 1e-7, bound])
    small = st.sampled_from([1e-8, -2e-9, 1e-11])  # where eps-like constants take over
    return (base | small).map(lambda x: x if abs(x) >= 1e-12 else 0.0)


@st.composite
def shapes(draw: Any, ndims: tuple[int, ...] = (0, 1, 2), zero_size: bool = True,
           max_side: int = 4, label: str = "shape") -> tuple[int, ...]:
    nd = draw(st.sampled_from(ndims), label=f"{label}.ndim")
    lo = 0 if zero_size else 1
    return tuple(draw(st.lists(st.integers(lo, max_side), min_size=nd, max_size=nd),
                      label=f"{label}.sides"))


@st.composite
def problems(draw: Any, ndims: tuple[int, ...] = (0, 1, 2), *, max_params: int = 3,
             steps: tuple[int, int] = (1, 5), none_grads: bool = True,
             zero_size: bool = True, max_groups: int = 2, bound: float = 10.0,
             tiny: bool = False, init_zero: bool = False) -> Problem:
    """Hypothesis draws (all labelled) for a whole run."""
    n = draw(st.integers(1, max_params), label="n_params")
    shp = [draw(shapes(ndims, zero_size), label=f"shape[{i}]") for i in range(n)]
    vals = values(bound, tiny)
    init = [np.zeros(s) if init_zero else
            f32(draw(hnp.arrays(np.float32, s, elements=vals), label=f"init[{i}]"))
            for i, s in enumerate(shp)]
    T = draw(st.integers(*steps), label="steps")
    grads: list[list[Grad]] = []
    for t in range(T):
        row: list[Grad] = []
        for i, s in enumerate(shp):
            absent = none_grads and draw(st.booleans(), label=f"grad[{t}][{i}] is None")
            row.append(None if absent else f32(
                draw(hnp.arrays(np.float32, s, elements=vals), label=f"grad[{t}][{i}]")))
        grads.append(row)
    k = draw(st.integers(1, min(max_groups, n)), label="n_groups")
    owner = [draw(st.integers(0, k - 1), label=f"group_of[{i}]") for i in range(n)]
    groups = [[i for i in range(n) if owner[i] == g] for g in range(k)]
    groups = [g for g in groups if g] or [list(range(n))]
    return Problem(init, grads, groups)


def constant_problem(c: np.ndarray, steps: int) -> Problem:
    """One parameter at zero fed the same gradient ``c`` for ``steps`` steps."""
    c = f32(c)
    return Problem([np.zeros_like(c)], [[c] for _ in range(steps)])


def stream_problem(xs: np.ndarray) -> Problem:
    """One parameter at zero fed ``xs[t]`` at step t (time axis first)."""
    xs = f32(xs)
    return Problem([np.zeros_like(xs[0])], [[x] for x in xs])
