"""The checked call: what every property gets for free (spec/contract.md#harness).

A :class:`Case` is one (implementation, device, dtype). ``case.call`` converts
exact float64 inputs, calls the implementation under a time limit, and checks
that it neither mutated its inputs nor returned the wrong shape, dtype or
device. Every failure carries a reproduction of the example's calls.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st

from sgdcheck import arrays
from sgdcheck.contract import SIGNATURES, bind
from sgdcheck.dtypes import name_of, round_to, unit_roundoff, working_roundoff
from sgdcheck.loading import Impl
from sgdcheck.repro import Call, render

DEFAULT_TIMEOUT_S = float(os.environ.get("SGDCHECK_TIMEOUT", "60"))


class ContractViolation(AssertionError):
    """The implementation broke the plug-in contract (spec/contract.md)."""


class Case:
    """One implementation on one device in one dtype."""

    def __init__(self, impl: Impl, device: str, dtype: str,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.impl = impl
        self.device = device
        self.dtype = dtype
        self.timeout_s = timeout_s
        self.u = unit_roundoff(dtype)
        self.u_work = working_roundoff(dtype)
        self.calls: list[Call] = []
        self.data: Any = None
        self.test_id = ""

    def __repr__(self) -> str:
        return f"{self.impl.name}-{self.device}-{self.dtype}"

    # --- values -------------------------------------------------------
    def representable(self, a: Any) -> np.ndarray:
        """``a`` rounded to the case's dtype, as float64: the value a call will see."""
        return round_to(np.asarray(a, dtype=np.float64), self.dtype)

    def tensor(self, a: Any, layout: str = "contiguous") -> Any:
        """``a`` as the implementation's array type, dtype and device."""
        return arrays.to_backend(a, self.impl.backend, self.dtype, self.device, layout)

    def raw(self, fn: str) -> Callable[..., Any]:
        """The implementation's function itself, unchecked (for error-handling tests)."""
        return self.impl.function(fn)

    # --- the checked call ---------------------------------------------
    def begin_example(self, data: Any) -> None:
        self.calls = []
        self.data = data

    def _layout(self, name: str, a: np.ndarray) -> str:
        options = arrays.layouts_for(a.shape)
        if self.data is None or len(options) == 1:
            return "contiguous"
        return self.data.draw(st.sampled_from(options), label=f"layout of {name}")

    def call(self, fn: str, *args: Any, **kwargs: Any) -> Any:
        """Call contract function ``fn``; float64 arrays in, float64 arrays out."""
        if not self.impl.has(fn):
            pytest.skip(f"not provided by {self.impl.name}: {fn}")
        named = bind(fn, args, kwargs)
        layouts: dict[str, str] = {}
        converted: dict[str, Any] = {}
        for name, value in named.items():
            if isinstance(value, np.ndarray):
                exact = self.representable(value)
                named[name] = exact
                layouts[name] = self._layout(name, exact)
                converted[name] = self.tensor(exact, layouts[name])
            else:
                converted[name] = value
        self.calls.append(Call(fn, named, layouts))
        where = f"{self.impl.name}.{fn}({self._signature_text(converted)})"
        before = {n: arrays.snapshot(v) for n, v in converted.items() if arrays.is_array(v)}
        out = self._call_with_timeout(fn, converted, where)
        for n, v in before.items():
            if not arrays.same_values(converted[n], v):
                raise ContractViolation(f"{where} modified its input {n!r} in place; "
                                        "the contract forbids mutating inputs")
        return self._check_output(fn, named, out, where)

    def _signature_text(self, converted: dict[str, Any]) -> str:
        return ", ".join(f"{n}={arrays.describe(v) if arrays.is_array(v) else repr(v)}"
                         for n, v in converted.items())

    def _call_with_timeout(self, fn: str, kwargs: dict[str, Any], where: str) -> Any:
        result: dict[str, Any] = {}

        def target() -> None:
            try:
                result["out"] = self.impl.function(fn)(**kwargs)
            except BaseException as e:  # re-raised in the test's thread
                result["exc"] = e

        worker = threading.Thread(target=target, name=f"sgdcheck-{fn}", daemon=True)
        worker.start()
        worker.join(self.timeout_s)
        if worker.is_alive():
            raise ContractViolation(f"{where} did not return within {self.timeout_s:g} s "
                                    "(set SGDCHECK_TIMEOUT to change the limit)")
        if "exc" in result:
            e = result["exc"]
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise e
            raise ContractViolation(f"{where} raised {type(e).__name__}: {e}") from e
        return result["out"]

    def _check_output(self, fn: str, named: dict[str, Any], out: Any, where: str) -> Any:
        sig = SIGNATURES[fn]
        shapes = sig.outputs(named)
        if sig.returns_tuple:
            if not isinstance(out, (tuple, list)) or len(out) != len(shapes):
                raise ContractViolation(f"{where} returned {type(out).__name__}; the contract "
                                        f"requires a tuple of {len(shapes)} arrays")
            outs = list(out)
        else:
            outs = [out]
        expected_type = "torch.Tensor" if self.impl.backend == "torch" else "numpy.ndarray"
        result = []
        for k, (o, shape) in enumerate(zip(outs, shapes)):
            label = f"output {k} of {where}" if len(outs) > 1 else f"the output of {where}"
            is_torch = type(o).__module__.startswith("torch")
            if not arrays.is_array(o) or is_torch != (self.impl.backend == "torch"):
                raise ContractViolation(f"{label} is a {type(o).__name__}, "
                                        f"expected {expected_type}")
            problems = []
            if tuple(o.shape) != tuple(shape):
                problems.append(f"shape {list(o.shape)} (expected {list(shape)})")
            if name_of(o.dtype) != self.dtype:
                problems.append(f"dtype {name_of(o.dtype)} (expected {self.dtype})")
            if arrays.device_of(o) != self.device:
                problems.append(f"device {arrays.device_of(o)} (expected {self.device})")
            if problems:
                raise ContractViolation(f"{label} has " + ", ".join(problems))
            result.append(arrays.to_float64(o))
        return tuple(result) if sig.returns_tuple else result[0]

    def reproduction(self) -> str:
        return render(self.calls, import_line=self.impl.import_line, backend=self.impl.backend,
                      dtype=self.dtype, device=self.device, test_id=self.test_id)


def _is_skip(e: BaseException) -> bool:
    return isinstance(e, pytest.skip.Exception) or type(e).__name__ in ("Skipped", "SkipTest")


def _note(e: BaseException, case: Case, test: str, spec: str) -> None:
    if not case.calls:
        return
    header = (f"Reproduce ({test} on {case!r}; claim: {spec}). "
              "Copy-paste into python:")
    e.add_note(f"{header}\n{case.reproduction()}")


def sgd_property(*, needs: tuple[str, ...], spec: str) -> Callable[[Any], Any]:
    """Mark a hypothesis test as an sgdcheck property of the contract functions ``needs``.

    ``spec`` cites the claim (``spec/running.md#anchor``). Put this decorator
    above ``@given``: it hooks each example to record calls and, on failure,
    attach the reproduction of the failing example's calls.
    """
    unknown = [f for f in needs if f not in SIGNATURES]
    if unknown:
        raise ValueError(f"needs names functions outside the contract: {unknown}")

    def decorate(test: Any) -> Any:
        if not hasattr(test, "hypothesis"):
            raise TypeError(f"@sgd_property must be applied above @given on {test.__name__}")
        inner = test.hypothesis.inner_test

        @functools.wraps(inner)
        def example(*args: Any, **kwargs: Any) -> Any:
            case = kwargs.get("case")
            if case is not None:
                case.begin_example(kwargs.get("data"))
                case.test_id = test.__name__
            try:
                return inner(*args, **kwargs)
            except (Exception, pytest.fail.Exception) as e:  # pytest.fail is a BaseException
                if case is not None and not _is_skip(e):
                    _note(e, case, test.__name__, spec)
                raise

        test.hypothesis.inner_test = example
        test.sgd_needs = needs
        test.sgd_spec = spec
        return pytest.mark.sgd_property(needs=needs, spec=spec)(test)

    return decorate
