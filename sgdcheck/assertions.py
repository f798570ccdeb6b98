"""Assertions whose messages explain themselves (worst entry, error, bound)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _where(idx: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in idx) + "]" if idx else "(scalar)"


def assert_close(got: np.ndarray, expected: np.ndarray, tol: np.ndarray | float,
                 what: str) -> None:
    """|got − expected| ≤ tol elementwise (NaN in ``got`` always fails).

    ``tol`` is the bound derived in spec/; the message names the worst entry
    relative to its bound.
    """
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        raise AssertionError(f"{what}: shape {list(got.shape)} where {list(expected.shape)} "
                             "was expected")
    tol = np.broadcast_to(np.asarray(tol, dtype=np.float64), got.shape)
    err = np.abs(got - expected)
    bad = ~(err <= tol)  # NaN counts as bad
    if not bad.any():
        return
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ratio = np.where(bad, np.nan_to_num(err / np.maximum(tol, 1e-300), nan=np.inf), 0.0)
    idx = np.unravel_index(int(np.argmax(ratio)), got.shape) if got.ndim else ()
    raise AssertionError(
        f"{what}: {int(bad.sum())} of {got.size} entries outside the derived bound; "
        f"worst at {_where(tuple(int(i) for i in idx))}: got {got[idx]!r}, "
        f"expected {expected[idx]!r}, |error| = {err[idx]:.3g} > bound {tol[idx]:.3g}")


def assert_differ(a: np.ndarray, b: np.ndarray, tol: np.ndarray | float, what: str) -> None:
    """Some entry of ``a`` and ``b`` differs by more than ``tol`` (a witness of inequality)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    gap = np.abs(a - b)
    if not (gap > np.broadcast_to(tol, gap.shape)).any():
        raise AssertionError(f"{what}: expected a difference larger than the rounding bound, "
                             f"but the largest gap is {float(gap.max(initial=0)):.3g}")


def assert_rejects(case: Any, fn: str, arg: str, *args: Any) -> None:
    """``case``'s ``fn(*args)`` raises ValueError or TypeError whose message names ``arg``.

    Any other outcome — no error, another exception type, a message that does not
    name the argument — fails the test with a message saying which (spec/contract.md#errors).
    """
    who = f"{case.impl.name}.{fn}"
    try:
        case.raw(fn)(*args)
    except (ValueError, TypeError) as e:
        if arg not in str(e):
            raise AssertionError(f"{who} raised {type(e).__name__}({e!s}), whose message "
                                 f"does not name the argument {arg!r}") from e
    except Exception as e:
        raise AssertionError(f"{who} raised {type(e).__name__}: {e}; a bad {arg!r} must "
                             "raise ValueError or TypeError naming it") from e
    else:
        raise AssertionError(f"{who} accepted a bad {arg!r} without error")
