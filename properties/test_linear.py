"""Problem 3 (a)-(c): backprop of a linear layer, per-example gradients, grad2 (spec/linear.md)."""

from __future__ import annotations

import functools

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impl.reference import linear as reference
from sgdcheck import linear_bounds as lb
from sgdcheck import witness
from sgdcheck.assertions import assert_close
from sgdcheck.harness import sgd_property
from sgdcheck.linear_draws import NO_EXPLAIN, batch, fast_failure

SPEC = "spec/linear.md"


# --- (a) the batch-averaged gradient ---------------------------------------------------

@sgd_property(needs=("linear_forward",), spec=f"{SPEC}#contract")
@given(data=st.data())
@fast_failure
def test_forward_is_x_times_W_transposed(case, data):
    """y[b, j] = sum_i W[j, i] x[b, i]."""
    W, x, _ = batch(data, case, with_W=True)
    y = case.call("linear_forward", W, x)
    assert_close(y, x @ W.T, lb.forward(W, x, case.dtype), what="linear_forward against x W^T")


@sgd_property(needs=("linear_backward", "per_example_grads"),
              spec=f"{SPEC}#the-batch-averaged-gradient")
@given(data=st.data())
@fast_failure
def test_w_grad_is_mean_of_per_example_grads(case, data):
    """W_grad = (1/B) sum_b G_b, with G from the implementation's own per_example_grads."""
    W, x, gy = batch(data, case, with_W=True)
    W_grad, _ = case.call("linear_backward", W, x, gy)
    G = case.call("per_example_grads", x, gy)
    tol = lb.w_grad(x, gy, case.dtype) + lb.per_example(x, gy, case.dtype).mean(axis=0)
    assert_close(W_grad, G.mean(axis=0), tol,
                 what=f"W_grad against the mean over B={x.shape[0]} per-example gradients")


def _autograd_mean_loss(W: np.ndarray, x: np.ndarray, gy: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """(dL/dW, B dL/dx) of L = (1/B) sum_b <y_b, gy_b>, by torch.autograd in float64."""
    Wt = torch.tensor(W, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    loss = (torch.nn.functional.linear(xt, Wt) * torch.tensor(gy)).sum() / x.shape[0]
    loss.backward()
    return Wt.grad.numpy(), xt.grad.numpy() * x.shape[0]


@sgd_property(needs=("linear_backward",), spec=f"{SPEC}#the-batch-averaged-gradient")
@given(data=st.data())
@fast_failure
def test_backward_is_autograd_of_batch_mean_loss(case, data):
    """(W_grad, x_grad) = (dL/dW, B dL/dx) for the batch-mean loss L = mean_b <y_b, gy_b>."""
    W, x, gy = batch(data, case, with_W=True)
    W_grad, x_grad = case.call("linear_backward", W, x, gy)
    ag_W, ag_x = _autograd_mean_loss(W, x, gy)
    assert_close(W_grad, ag_W, lb.w_grad(x, gy, case.dtype),
                 what="W_grad against autograd's dL/dW of the batch-mean loss")
    assert_close(x_grad, ag_x, lb.x_grad(W, gy, case.dtype),
                 what="x_grad against B * autograd's dL/dx (each example's own signal)")


# --- (b) per-example gradients ---------------------------------------------------------

@sgd_property(needs=("per_example_grads",), spec=f"{SPEC}#per-example-gradients")
@given(data=st.data())
@fast_failure
def test_per_example_grads_are_outer_products(case, data):
    """G[b] = gy_b x_b^T: rank one, no 1/B."""
    x, gy = batch(data, case)
    G = case.call("per_example_grads", x, gy)
    assert_close(G, witness.per_example(x, gy), lb.per_example(x, gy, case.dtype),
                 what="per_example_grads against the outer products gy_b x_b^T")


@sgd_property(needs=("per_example_grads", "linear_backward"), spec=f"{SPEC}#per-example-gradients")
@given(data=st.data())
@fast_failure
def test_single_example_grad_is_w_grad(case, data):
    """With B = 1 the per-example gradient is W_grad."""
    W, x, gy = batch(data, case, min_B=1, max_B=1, large_B=False, with_W=True)
    G = case.call("per_example_grads", x, gy)
    W_grad, _ = case.call("linear_backward", W, x, gy)
    tol = lb.per_example(x, gy, case.dtype)[0] + lb.w_grad(x, gy, case.dtype)
    assert_close(G[0], W_grad, tol, what="G[0] against W_grad at B = 1")


# --- (c) grad2 is not a function of grad -----------------------------------------------

def _unequal(x: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The batch itself, or, if its per-example gradients all agree, row 1 changed so they don't."""
    if not witness.all_equal(x, gy):
        return x, gy
    x, gy = x.copy(), gy.copy()
    if x[0].any():
        x[1], gy[1] = x[0], gy[0] + 1  # G_1 - G_0 = 1 x_0^T != 0
    else:
        x[1], gy[1] = 1.0, 1.0  # G_1 = ones != 0 = G_0
    return x, gy


@sgd_property(needs=("linear_backward", "grad2"), spec=f"{SPEC}#theorem-1-constructive-witness")
@given(data=st.data())
@fast_failure
def test_grad2_is_not_a_function_of_w_grad(case, data):
    """Theorem 1: the constructed batch has the same W_grad and a larger grad2 at (j, i)."""
    x, gy = batch(data, case, min_B=2, max_B=16, integer=True, large_B=False)
    x, gy = _unequal(x, gy)
    w = witness.construct_witness(x, gy)
    x2, gy2 = case.representable(w.x), case.representable(w.gy)
    assert np.array_equal(x2, w.x) and np.array_equal(gy2, w.gy), "witness not representable"
    assert np.array_equal(witness.w_grad(x, gy), witness.w_grad(x2, gy2)), "Theorem 1, exact"
    W = np.zeros((gy.shape[1], x.shape[1]))
    Wg1, _ = case.call("linear_backward", W, x, gy)
    Wg2, _ = case.call("linear_backward", W, x2, gy2)
    assert_close(Wg2, Wg1, lb.w_grad(x, gy, case.dtype) + lb.w_grad(x2, gy2, case.dtype),
                 what="W_grad of the witness batch against W_grad of the drawn batch")
    g1 = case.call("grad2", x, gy)
    g2 = case.call("grad2", x2, gy2)
    j, i = w.entry
    tol = lb.grad2(x, gy, case.dtype)[j, i] + lb.grad2(x2, gy2, case.dtype)[j, i]
    assert_close(np.asarray(g2[j, i] - g1[j, i]), np.asarray(w.gap), tol,
                 what=f"grad2[{j}, {i}] of the witness minus that of the batch, against "
                      f"Theorem 1's gap 2(a^2 + |ad|)/B = {w.gap:g}")


CANDIDATES = {
    "W_grad**2": lambda g: g ** 2,
    "B-free 2*W_grad**2": lambda g: 2 * g ** 2,
    "|W_grad|": np.abs,
    "W_grad**2 + 1": lambda g: g ** 2 + 1,
}


def _spread(f, W: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Bound on |f(W_hat) - f(W)| for |W_hat - W| <= e (every candidate is convex)."""
    return np.maximum(np.abs(f(W + e) - f(W)), np.abs(f(W - e) - f(W)))


def _margin(name: str, x: np.ndarray, gy: np.ndarray, dtype: str) -> np.ndarray:
    """Rounding allowed between grad2 and f(W_grad) as computed in ``dtype``."""
    e = lb.w_grad(x, gy, dtype)
    return lb.grad2(x, gy, dtype) + _spread(CANDIDATES[name], witness.w_grad(x, gy), e)


@functools.cache
def _counterexample(name: str) -> witness.Counterexample:
    """Separated beyond twice bfloat16's margin, so it works in every dtype."""
    return witness.find_counterexample(
        CANDIDATES[name], tol=lambda x, gy: 2 * _margin(name, x, gy, "bfloat16"),
        max_B=6, max_side=3)


@sgd_property(needs=("linear_backward", "grad2"),
              spec=f"{SPEC}#finding-a-counterexample-for-any-estimator")
@given(data=st.data())
@settings(suppress_health_check=[*settings().suppress_health_check, HealthCheck.nested_given],
          phases=NO_EXPLAIN)
def test_no_estimator_from_w_grad(case, data):
    """find_counterexample(f) finds a batch where f(W_grad) != grad2; the implementation agrees."""
    name = data.draw(st.sampled_from(sorted(CANDIDATES)), label="candidate f")
    ce = _counterexample(name)
    x, gy = case.representable(ce.x), case.representable(ce.gy)
    W = np.zeros((gy.shape[1], x.shape[1]))
    W_grad, _ = case.call("linear_backward", W, x, gy)
    g2 = case.call("grad2", x, gy)
    margin = _margin(name, x, gy, case.dtype)
    assert (np.abs(g2 - CANDIDATES[name](W_grad)) > margin).any(), (
        f"the implementation's grad2 equals f(W_grad) for f = {name} on the batch that "
        f"separates them:\n{ce}\nimplementation: W_grad = {W_grad.tolist()}, "
        f"grad2 = {g2.tolist()}")
    assert_close(g2, ce.grad2, lb.grad2(x, gy, case.dtype),
                 what=f"grad2 on the counterexample to f = {name}\n{ce}")


@sgd_property(needs=("linear_backward", "grad2"), spec=f"{SPEC}#jensen")
@given(data=st.data())
@fast_failure
def test_jensen_grad2_at_least_w_grad_squared(case, data):
    """grad2 >= W_grad^2, with equality exactly where the per-example gradients agree."""
    x, gy = batch(data, case, min_B=1, max_B=16, integer=True, large_B=False)
    if data.draw(st.booleans(), label="make x[:, 0] and gy[:, 0] constant"):
        x, gy = x.copy(), gy.copy()
        x[:, 0], gy[:, 0] = x[0, 0], gy[0, 0]  # so G[:, 0, 0] agree
    B = x.shape[0]
    W = np.zeros((gy.shape[1], x.shape[1]))
    W_grad, _ = case.call("linear_backward", W, x, gy)
    g2 = case.call("grad2", x, gy)
    tol = (lb.grad2(x, gy, case.dtype)
           + lb.square(witness.w_grad(x, gy), lb.w_grad(x, gy, case.dtype)))
    G = witness.per_example(x, gy)
    agree = (G == G[:1]).all(axis=0)
    gap = g2 - W_grad ** 2
    assert_close(np.where(agree, gap, 0.0), np.zeros_like(gap), tol,
                 what="grad2 - W_grad^2 where the per-example gradients agree")
    assert (gap >= -tol).all(), "grad2 < W_grad^2 beyond rounding somewhere (Jensen)"
    strict = ~agree & ((B - 1) / B ** 2 > 2 * tol)
    assert (gap[strict] > tol[strict]).all(), (
        "grad2 = W_grad^2 (within rounding) where the per-example gradients differ")


@sgd_property(needs=("linear_backward", "grad2"), spec=f"{SPEC}#jensen")
@given(data=st.data())
@fast_failure
def test_single_example_grad2_is_w_grad_squared(case, data):
    """B = 1: grad2 = W_grad^2."""
    W, x, gy = batch(data, case, min_B=1, max_B=1, large_B=False, with_W=True)
    W_grad, _ = case.call("linear_backward", W, x, gy)
    g2 = case.call("grad2", x, gy)
    tol = lb.grad2(x, gy, case.dtype) + lb.square(witness.w_grad(x, gy),
                                                  lb.w_grad(x, gy, case.dtype))
    assert_close(g2, W_grad ** 2, tol, what="grad2 against W_grad^2 at B = 1")


@sgd_property(needs=("grad2",), spec=f"{SPEC}#grad2-is-not-a-function-of-grad")
@given(data=st.data())
@fast_failure
def test_grad2_definition(case, data):
    """grad2 = (1/B) sum_b G_b^2, against float64 arithmetic."""
    x, gy = batch(data, case)
    g2 = case.call("grad2", x, gy)
    assert_close(g2, witness.grad2(x, gy), lb.grad2(x, gy, case.dtype),
                 what=f"grad2 against (1/B) sum_b G_b^2 with B={x.shape[0]}")


# --- differential: every implementation against the reference ---------------------------

@sgd_property(needs=("linear_forward",), spec=f"{SPEC}#rounding-error-bounds")
@given(data=st.data())
@fast_failure
def test_differential_forward(case, data):
    """linear_forward matches impl.reference within the bound of spec/linear.md."""
    W, x, _ = batch(data, case, with_W=True)
    assert_close(case.call("linear_forward", W, x), reference.linear_forward(W, x),
                 lb.forward(W, x, case.dtype), what="linear_forward against the reference")


@sgd_property(needs=("linear_backward",), spec=f"{SPEC}#rounding-error-bounds")
@given(data=st.data())
@fast_failure
def test_differential_backward(case, data):
    """linear_backward matches impl.reference within the bound of spec/linear.md."""
    W, x, gy = batch(data, case, with_W=True)
    W_grad, x_grad = case.call("linear_backward", W, x, gy)
    ref_W, ref_x = reference.linear_backward(W, x, gy)
    assert_close(W_grad, ref_W, lb.w_grad(x, gy, case.dtype), what="W_grad against the reference")
    assert_close(x_grad, ref_x, lb.x_grad(W, gy, case.dtype), what="x_grad against the reference")


@sgd_property(needs=("per_example_grads",), spec=f"{SPEC}#rounding-error-bounds")
@given(data=st.data())
@fast_failure
def test_differential_per_example_grads(case, data):
    """per_example_grads matches impl.reference within the bound of spec/linear.md."""
    x, gy = batch(data, case)
    assert_close(case.call("per_example_grads", x, gy), reference.per_example_grads(x, gy),
                 lb.per_example(x, gy, case.dtype), what="per_example_grads against the reference")


@sgd_property(needs=("grad2",), spec=f"{SPEC}#rounding-error-bounds")
@given(data=st.data())
@fast_failure
def test_differential_grad2(case, data):
    """grad2 matches impl.reference within the bound of spec/linear.md."""
    x, gy = batch(data, case)
    assert_close(case.call("grad2", x, gy), reference.grad2(x, gy),
                 lb.grad2(x, gy, case.dtype), what="grad2 against the reference")
