"""Labelled draws of linear-layer batches (spec/linear.md#definitions), shared by test_linear*.

Shapes: W (J, I), x (B, I), gy (B, J). B runs from 1 to 64, sometimes to 256;
I and J from 1 to 64, with I = J often (a transposed W_grad keeps its shape
then). Small arrays are drawn entry by entry; large ones from a drawn seed and
scale, so hypothesis stays fast. Values stay within linear_bounds.value_bound.
"""

from __future__ import annotations

import numpy as np
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sgdcheck.linear_bounds import value_bound

NO_EXPLAIN = tuple(p for p in Phase if p != Phase.explain)
"""Hypothesis's explain phase re-runs a failing example ~1000 times (minutes with the
harness's checked calls); these properties keep shrinking and drop only that phase."""


def fast_failure(test):
    """``@settings(phases=NO_EXPLAIN)``, inheriting the active profile's other settings."""
    return settings(phases=NO_EXPLAIN)(test)


ENTRYWISE_MAX = 48
"""Arrays with at most this many entries are drawn entry by entry."""


def int_bound(dtype: str) -> int:
    """|entries| of integer-valued batches: witnesses double them, squares must fit."""
    return 4 if dtype == "float16" else 15


def sizes(data: st.DataObject, *, min_B: int = 1, max_B: int = 64,
          large_B: bool = True) -> tuple[int, int, int]:
    """(B, I, J), labelled."""
    branches = [st.integers(min_B, min(max_B, 8)), st.integers(min_B, max_B)]
    if large_B:
        branches.append(st.integers(max_B + 1, 4 * max_B))
    B = data.draw(st.one_of(*branches), label="B")
    side = st.one_of(st.integers(1, 4), st.integers(1, 16), st.integers(1, 64 if B <= 64 else 8))
    I = data.draw(side, label="I")
    J = data.draw(st.one_of(st.just(I), side), label="J")
    return B, I, J


def matrix(data: st.DataObject, shape: tuple[int, ...], dtype: str, label: str,
           *, integer: bool = False) -> np.ndarray:
    """A float64 array of ``shape`` with bounded entries (integer-valued if asked)."""
    bound = value_bound(dtype)
    n = int(np.prod(shape))
    if integer:
        k = int_bound(dtype)
        if n <= ENTRYWISE_MAX:  # a flat list shrinks much faster than hnp.arrays
            flat = data.draw(st.lists(st.integers(-k, k), min_size=n, max_size=n), label=label)
            return np.array(flat, dtype=np.float64).reshape(shape)
        seed = data.draw(st.integers(0, 2**32 - 1), label=f"{label} seed")
        return np.random.default_rng(seed).integers(-k, k + 1, shape).astype(np.float64)
    if n <= ENTRYWISE_MAX:
        elements = st.floats(-bound, bound, allow_nan=False, allow_infinity=False)
        return data.draw(hnp.arrays(np.float64, shape, elements=elements), label=label)
    seed = data.draw(st.integers(0, 2**32 - 1), label=f"{label} seed")
    scale = data.draw(st.sampled_from([1e-3, 1.0, 30.0, bound]), label=f"{label} scale")
    a = np.random.default_rng(seed).standard_normal(shape) * scale
    return np.clip(a, -bound, bound)


def batch(data: st.DataObject, case, *, min_B: int = 1, max_B: int = 64,
          integer: bool = False, large_B: bool = True,
          with_W: bool = False) -> tuple[np.ndarray, ...]:
    """(x, gy) or (W, x, gy), rounded to the case's dtype."""
    B, I, J = sizes(data, min_B=min_B, max_B=max_B, large_B=large_B)
    x = case.representable(matrix(data, (B, I), case.dtype, "x", integer=integer))
    gy = case.representable(matrix(data, (B, J), case.dtype, "gy", integer=integer))
    if not with_W:
        return x, gy
    W = case.representable(matrix(data, (J, I), case.dtype, "W", integer=integer))
    return W, x, gy
