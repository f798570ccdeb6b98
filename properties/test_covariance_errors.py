"""Bad arguments to the covariance functions raise ValueError/TypeError naming the argument.

spec/covariance.md#argument-validation: B < 1 or B > n without replacement; H not symmetric
or not positive definite; η outside 0 < η·h_max < 2; noise_cov not positive semidefinite;
non-finite arrays.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sgdcheck.assertions import assert_rejects
from sgdcheck.covariance_bounds import SPEC
from sgdcheck.harness import sgd_property

SEC = f"{SPEC}#argument-validation"
LYAP = ("sgd_stationary_covariance", "langevin_stationary_covariance")



def _lyap_args(case, fn: str, H: np.ndarray, eta: float, Q: np.ndarray) -> tuple:
    if fn == "sgd_stationary_covariance":
        return (case.tensor(H), eta, case.tensor(Q))
    return (case.tensor(H), case.tensor(Q))


@sgd_property(needs=("batch_covariance",), spec=SEC)
@given(n=st.integers(1, 5), B=st.integers(-3, 12), replace=st.booleans())
def test_rejects_bad_batch_size(case, n, B, replace):
    """B < 1, and B > n without replacement, are rejected (naming B)."""
    if B >= 1 and (replace or B <= n):
        return
    G = case.tensor(np.arange(2.0 * n).reshape(n, 2))
    assert_rejects(case, "batch_covariance", "B", G, B, replace)


@sgd_property(needs=("gradient_covariance", "batch_covariance"), spec=SEC)
@given(bad=st.sampled_from([math.nan, math.inf, -math.inf]), where=st.integers(0, 5),
       fn=st.sampled_from(["gradient_covariance", "batch_covariance"]))
def test_rejects_non_finite_G(case, bad, where, fn):
    """G with a NaN or ±inf entry is rejected rather than turned into a NaN covariance."""
    G = case.tensor(np.ones((3, 2)))
    G.reshape(-1)[where] = bad
    args = (G,) if fn == "gradient_covariance" else (G, 2, True)
    assert_rejects(case, fn, "G", *args)


@sgd_property(needs=LYAP, spec=SEC)
@given(fn=st.sampled_from(LYAP), kind=st.sampled_from(["asymmetric", "indefinite", "singular"]),
       d=st.integers(2, 4), size=st.floats(0.1, 1.0))
def test_rejects_bad_H(case, fn, kind, d, size):
    """A non-symmetric, indefinite, or singular H is rejected (naming H)."""
    H = np.eye(d)
    if kind == "asymmetric":
        H[0, 1] += size
    elif kind == "indefinite":
        H[-1, -1] = -size
    else:
        H[-1, -1] = 0.0
    assert_rejects(case, fn, "H", *_lyap_args(case, fn, H, 0.5, np.eye(d)))


@sgd_property(needs=("sgd_stationary_covariance",), spec=SEC)
@given(x=st.one_of(st.floats(-2.0, 0.0), st.floats(2.001, 10.0),
                   st.sampled_from([math.nan, math.inf])), h=st.floats(0.25, 1.0))
def test_rejects_unstable_eta(case, x, h):
    """η with η·h_max ∉ (0, 2) (or η not finite) is rejected (naming eta)."""
    H = case.representable(np.diag([h / 4, h]))
    eta = x / H[1, 1] if math.isfinite(x) else x
    assert_rejects(case, "sgd_stationary_covariance", "eta",
                  case.tensor(H), eta, case.tensor(np.eye(2)))


@sgd_property(needs=(*LYAP, "langevin_step"), spec=SEC)
@given(fn=st.sampled_from([*LYAP, "langevin_step"]), d=st.integers(1, 4),
       neg=st.floats(0.1, 1.0), asym=st.booleans())
def test_rejects_bad_noise_cov(case, fn, d, neg, asym):
    """A noise_cov with a negative eigenvalue, or not symmetric, is rejected (naming it)."""
    Q = np.eye(d)
    if asym and d > 1:
        Q[0, 1] = neg
    else:
        Q[0, 0] = -neg
    if fn == "langevin_step":
        z = case.tensor(np.zeros((2, d)))
        assert_rejects(case, fn, "noise_cov", z, z, case.tensor(Q), 0.1, z)
    else:
        assert_rejects(case, fn, "noise_cov", *_lyap_args(case, fn, np.eye(d), 0.5, Q))
