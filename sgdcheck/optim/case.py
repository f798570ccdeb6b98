"""``optimizer_case``: one optimizer configuration x device x dtype, with guarded runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.control import _current_build_context  # type: ignore[attr-defined]

from sgdcheck.optim import repro
from sgdcheck.optim.guard import DEFAULT_TIMEOUT
from sgdcheck.optim.problem import Problem
from sgdcheck.optim.registry import OptimizerSpec
from sgdcheck.optim.runner import RunRecord, Trajectory, execute
from sgdcheck.optim.tolerance import UNIT_ROUNDOFF


@dataclass(repr=False)
class OptimizerCase:
    spec: OptimizerSpec
    device: str
    dtype: str
    timeout: float = DEFAULT_TIMEOUT
    runs: list[RunRecord] = field(default_factory=list)
    measured: dict[str, Any] = field(default_factory=dict)
    script: Callable[[str], str] | None = None  # a repro for work outside run() (the NQM)
    _ctx: Any = None

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))

    def __repr__(self) -> str:
        return f"<optimizer_case {self.id}: {self.spec.ref} kwargs={self.spec.kwargs}>"

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def id(self) -> str:
        return f"{self.spec.name}-{self.device}-{self.dtype}"

    @property
    def u(self) -> float:
        """Unit roundoff of the arithmetic the optimizer actually does."""
        return max(UNIT_ROUNDOFF[self.dtype], self.spec.work_u or 0.0)

    @property
    def claims(self) -> dict[str, Any]:
        return self.spec.claims

    def kwargs(self, **over: Any) -> dict[str, Any]:
        return {**self.spec.kwargs, **over}

    def measure_kwargs(self, **over: Any) -> dict[str, Any]:
        """Configured kwargs with weight decay off (measurements look at the gradient path)."""
        kw = self.kwargs(**over)
        if self.spec.accepts("weight_decay") and "weight_decay" not in over:
            kw["weight_decay"] = 0.0
        return kw

    def draw_kwargs(self, data: Any, **fixed: Any) -> dict[str, Any]:
        """Configured kwargs with each documented hyperparameter maybe redrawn (labelled)."""
        kw = self.kwargs()
        for name, strat in self.spec.hparams.items():
            if name in fixed:
                continue
            val = data.draw(st.none() | strat, label=f"hparam {name}")
            if val is not None:
                kw[name] = val
        kw.update(fixed)
        return self.spec.fix(kw) if self.spec.fix else kw

    def _fresh(self) -> None:
        ctx = _current_build_context.value
        if ctx is not self._ctx:
            self._ctx, self.runs = ctx, []

    def run(self, problem: Problem, kwargs: dict[str, Any] | None = None, *, label: str = "run",
            dtype: str | None = None, events: dict[int, str] | None = None,
            closure: bool = False) -> Trajectory:
        self._fresh()
        rec = RunRecord(self.spec, problem, self.kwargs() if kwargs is None else kwargs,
                        dtype or self.dtype, self.device, label, events or {}, closure)
        self.runs.append(rec)
        return execute(rec, self.timeout)

    def report(self, key: str, value: Any) -> None:
        """Record a measured convention (printed in the summary and docs/optimizers.md)."""
        self.measured[key] = value

    def repro_script(self, failure: str = "") -> str:
        return self.script(failure) if self.script else repro.script(self.runs, failure)
