"""Hypothesis strategies for the contract's arguments (draw them with labels)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

VALUE_BOUND = 1e3
"""|x| ≤ VALUE_BOUND keeps N·|x| (N ≤ 10^6) far from overflow in every dtype but float16."""


def values(bound: float = VALUE_BOUND) -> st.SearchStrategy[float]:
    """Bounded finite floats, with the edge values 0 and ±bound reachable."""
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)


def arrays(shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]],
           bound: float = VALUE_BOUND) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of ``shape`` with entries in [-bound, bound]."""
    return hnp.arrays(np.float64, shape, elements=values(bound))


def sample_shapes(max_rank: int = 3, max_side: int = 4) -> st.SearchStrategy[tuple[int, ...]]:
    """The per-step shape S of a time series: rank 0 to ``max_rank``."""
    return hnp.array_shapes(min_dims=0, max_dims=max_rank, min_side=1, max_side=max_side)


def horizons(max_N: float = 1e6) -> st.SearchStrategy[float | int]:
    """The averaging horizon N ≥ 1: integers and reals, N = 1 and huge N included."""
    return st.one_of(
        st.just(1),
        st.integers(1, 64),
        st.integers(1, int(max_N)),
        st.floats(1.0, max_N, allow_nan=False, allow_infinity=False),
    )


def lengths(max_T: int = 2000) -> st.SearchStrategy[int]:
    """The number of time steps T ≥ 0."""
    return st.one_of(st.just(0), st.integers(1, 16), st.integers(0, max_T))


def value_bound_for(dtype: str, gain: float, bound: float = VALUE_BOUND) -> float:
    """The largest |x| for which outputs up to ``gain``·|x| stay far from overflow."""
    from sgdcheck.dtypes import finfo_max

    return min(bound, finfo_max(dtype) / (16.0 * max(gain, 1.0)))


def draw_series(data: st.DataObject, dtype: str, *, T: int | None = None,
                gain: float = 1.0, max_T: int = 1000) -> np.ndarray:
    """x of shape (T, *S) whose outputs (≤ gain·max|x|) cannot overflow ``dtype``."""
    if T is None:
        T = data.draw(lengths(max_T), label="T")
    S = data.draw(sample_shapes(), label="S")
    return data.draw(arrays((T, *S), value_bound_for(dtype, gain)), label="x")
