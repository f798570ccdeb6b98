"""grad2 is not a function of W_grad: Theorem 1's witness and a counterexample finder.

See spec/linear.md#grad2-is-not-a-function-of-grad.  Notation of the seed:
x is (B, I), gy is (B, J), G_b = gy_b x_b^T, W_grad = (1/B) sum_b G_b and
grad2 = (1/B) sum_b G_b^2.  Everything here is float64 numpy; on integer-valued
batches every quantity is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import Phase, find, settings
from hypothesis import strategies as st

Batch = tuple[np.ndarray, np.ndarray]


def w_grad(x: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """W_grad[j, i] = (1/B) sum_b gy[b, j] x[b, i] (float64)."""
    return gy.T @ x / x.shape[0]


def grad2(x: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """grad2[j, i] = (1/B) sum_b gy[b, j]^2 x[b, i]^2 (float64)."""
    return (gy * gy).T @ (x * x) / x.shape[0]


def per_example(x: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """G[b, j, i] = gy[b, j] x[b, i]."""
    return gy[:, :, None] * x[:, None, :]


def all_equal(x: np.ndarray, gy: np.ndarray) -> bool:
    """Whether the per-example gradients G_1 ... G_B are all equal."""
    G = per_example(x, gy)
    return bool((G == G[:1]).all())


@dataclass(frozen=True)
class Witness:
    x: np.ndarray
    gy: np.ndarray
    entry: tuple[int, int]
    """(j, i) where grad2 provably changes."""
    gap: float
    """grad2'[j, i] - grad2[j, i] = 2 (a^2 + |a d|) / B > 0."""


def construct_witness(x: np.ndarray, gy: np.ndarray) -> Witness:
    """Theorem 1: a batch of the same B with the same W_grad and a different grad2.

    Requires B >= 2 and per-example gradients that are not all equal.
    """
    x, gy = np.array(x, dtype=np.float64), np.array(gy, dtype=np.float64)
    B = x.shape[0]
    if B < 2 or all_equal(x, gy):
        raise ValueError("Theorem 1 needs B >= 2 and per-example gradients not all equal")
    G = per_example(x, gy)
    p = next(b for b in range(B) if G[b].any())                          # step 1
    q = next(b for b in range(B) if b != p and not np.array_equal(G[b], G[p]))  # step 2
    if not x[q].any():                                                   # step 3
        x[q], gy[q] = x[p], 0.0
        G = per_example(x, gy)
    j, i = int(np.argmax(np.abs(gy[p]))), int(np.argmax(np.abs(x[q])))  # step 4
    a = gy[p, j] * x[q, i]
    d = G[q, j, i] - G[p, j, i]
    t = 1.0 if a * d >= 0 else -1.0                                      # step 5
    x2, gy2 = x.copy(), gy.copy()
    x2[p] = x[p] - t * x[q]
    gy2[q] = gy[q] + t * gy[p]
    return Witness(x2, gy2, (j, i), float(2.0 * (a * a + abs(a * d)) / B))


def integer_batches(max_B: int = 8, max_side: int = 4, bound: int = 4,
                    min_B: int = 1) -> st.SearchStrategy[Batch]:
    """Integer-valued batches (x, gy): B in [min_B, max_B], I, J in [1, max_side]."""

    @st.composite
    def draw(data: st.DrawFn) -> Batch:
        I = data(st.integers(1, max_side))
        J = data(st.one_of(st.just(I), st.integers(1, max_side)))
        ints = st.integers(-bound, bound)
        row = st.tuples(st.lists(ints, min_size=I, max_size=I),
                        st.lists(ints, min_size=J, max_size=J))
        rows = data(st.lists(row, min_size=min_B, max_size=max_B))
        return (np.array([r[0] for r in rows], dtype=np.float64).reshape(-1, I),
                np.array([r[1] for r in rows], dtype=np.float64).reshape(-1, J))

    return draw()


@dataclass(frozen=True)
class Counterexample:
    x: np.ndarray
    gy: np.ndarray
    W_grad: np.ndarray
    grad2: np.ndarray
    estimate: np.ndarray
    """f(W_grad), which differs from grad2 by more than the tolerance somewhere."""

    def __str__(self) -> str:
        return (f"x = {self.x.tolist()}\ngy = {self.gy.tolist()}\n"
                f"W_grad = {self.W_grad.tolist()}\ngrad2 = {self.grad2.tolist()}\n"
                f"f(W_grad) = {self.estimate.tolist()}")


def _differs(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, gy: np.ndarray,
             tol: Callable[[np.ndarray, np.ndarray], np.ndarray] | None) -> bool:
    est = np.asarray(f(w_grad(x, gy)), dtype=np.float64)
    margin = 0.0 if tol is None else tol(x, gy)
    return bool((~(np.abs(est - grad2(x, gy)) <= margin)).any())


def find_counterexample(f: Callable[[np.ndarray], np.ndarray], *,
                        tol: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                        max_B: int = 8, max_side: int = 4, bound: int = 4,
                        max_examples: int = 500) -> Counterexample:
    """A batch on which the candidate estimator ``f(W_grad)`` is not grad2.

    Hypothesis searches integer-valued batches with 2 <= B <= max_B; each batch
    is tried together with its Theorem 1 witness (same W_grad, different
    grad2), so for any deterministic f one of the pair is a counterexample,
    whenever ``tol`` (a margin from the batch, default 0) is below the gap.
    The result is simplified greedily (fewer rows and columns, entries nearer
    0) while it stays a counterexample.  Raises ``hypothesis.errors.NoSuchExample``
    if none is found.
    """

    def pair(b: Batch) -> list[Batch]:
        x, gy = b
        if all_equal(x, gy):
            return [b]
        w = construct_witness(x, gy)
        return [b, (w.x, w.gy)]

    def bad(b: Batch) -> bool:
        return any(_differs(f, x, gy, tol) for x, gy in pair(b))

    found = find(integer_batches(max_B, max_side, bound, min_B=2), bad,
                 settings=settings(max_examples=max_examples, database=None, deadline=None,
                                   phases=[Phase.generate]))
    x, gy = next(c for c in pair(_simplify(found, bad)) if _differs(f, c[0], c[1], tol))
    W = w_grad(x, gy)
    return Counterexample(x, gy, W, grad2(x, gy), np.asarray(f(W), dtype=np.float64))


def _smaller(b: Batch) -> list[Batch]:
    """Candidate simplifications of a batch: fewer rows or columns, entries nearer 0."""
    x, gy = b
    out: list[Batch] = []
    if x.shape[0] > 2:
        out += [(np.delete(x, r, 0), np.delete(gy, r, 0)) for r in range(x.shape[0])]
    if x.shape[1] > 1:
        out += [(np.delete(x, c, 1), gy) for c in range(x.shape[1])]
    if gy.shape[1] > 1:
        out += [(x, np.delete(gy, c, 1)) for c in range(gy.shape[1])]
    for a, which in ((x, 0), (gy, 1)):
        for idx in zip(*np.nonzero(a)):
            for v in (0.0, a[idx] - np.sign(a[idx])):
                c = a.copy()
                c[idx] = v
                out.append((c, gy) if which == 0 else (x, c))
    return out


def _simplify(b: Batch, bad: Callable[[Batch], bool], budget: int = 2000) -> Batch:
    """Greedy shrinking (hypothesis's own shrinker is slow here): keep any smaller bad batch."""
    improved = True
    while improved and budget > 0:
        improved = False
        for c in _smaller(b):
            budget -= 1
            if bad(c):
                b, improved = c, True
                break
    return b
