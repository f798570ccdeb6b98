"""Guarded runs of an optimizer over a ``Problem``; trajectories as float64 numpy."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import torch

from sgdcheck.optim.guard import (
    DEFAULT_TIMEOUT,
    OptimizerFailure,
    guarded,
    single_thread,
    watchdog,
)
from sgdcheck.optim.problem import Problem
from sgdcheck.optim.registry import OptimizerSpec

DTYPES = {"float64": torch.float64, "float32": torch.float32,
          "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass
class RunRecord:
    """Everything needed to replay a run (the repro script is built from these)."""

    spec: OptimizerSpec
    problem: Problem
    kwargs: dict[str, Any]
    dtype: str
    device: str
    label: str
    events: dict[int, str] = field(default_factory=dict)
    closure: bool = False

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(f"<run {self.label!r} of {self.spec.name}>")


@dataclass
class Trajectory:
    params: list[list[np.ndarray]]  # params[t][i], t = 0 (initial) .. T
    losses: list[Any]  # what step(closure) returned, per step
    state: dict[str, np.ndarray]  # final state, flattened "idx.key" -> array
    grads_after: list[list[np.ndarray | None]]  # grads as seen after each step

    def step(self, t: int) -> list[np.ndarray]:
        """The update of step t (1-based): params[t] - params[t-1]."""
        return [a - b for a, b in zip(self.params[t], self.params[t - 1])]


def to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().to("cpu", torch.float64).numpy().copy()
    return np.asarray(x, dtype=np.float64)


def snapshot_state(opt: torch.optim.Optimizer) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for idx, st in opt.state_dict()["state"].items():
        if not isinstance(st, dict):  # e.g. a global counter stored beside per-param state
            st = {"value": st}
        _flatten(str(idx), st, out)
    return out


def _flatten(prefix: str, st: dict[Any, Any], out: dict[str, np.ndarray]) -> None:
    """Tensors and numbers of a per-parameter state, nested dicts as ``idx.k1.k2``
    (heavyball keeps ``state[idx][0][key]``)."""
    for key, val in st.items():
        name = f"{prefix}.{key}"
        if isinstance(val, torch.Tensor) and not val.is_complex():
            out[name] = to_numpy(val)
        elif isinstance(val, (int, float)):  # bool is an int
            out[name] = np.asarray(float(val))
        elif isinstance(val, dict):
            _flatten(name, val, out)


def construct(spec: OptimizerSpec, params: Any, kwargs: dict[str, Any],
              timeout: float = DEFAULT_TIMEOUT, armed: bool | None = None
              ) -> torch.optim.Optimizer:
    """``spec.cls(params, **kwargs)``, then the spec's ``prepare`` hook, both guarded."""
    opt = guarded(lambda: spec.cls(params, **kwargs), f"{spec.name}(...) constructor", timeout,
                  armed)
    if spec.prepare is not None:
        guarded(partial(spec.prepare, opt), f"{spec.name}: {spec.prepare.__name__}(opt)",
                timeout, armed)
    return opt


def _build(rec: RunRecord, tensors: list[torch.Tensor], timeout: float,
           armed: bool) -> torch.optim.Optimizer:
    groups = [{"params": [tensors[i] for i in g], **gk}
              for g, gk in zip(rec.problem.groups, rec.problem.group_kwargs)]
    return construct(rec.spec, groups, rec.kwargs, timeout, armed)


def _tensors_of(opt: torch.optim.Optimizer, rec: RunRecord) -> list[torch.Tensor]:
    """Parameter i of the layout, read back from an optimizer's groups."""
    flat = [i for g in rec.problem.groups for i in g]
    found = [p for g in opt.param_groups for p in g["params"]]
    out: list[torch.Tensor] = [torch.empty(0)] * len(flat)
    for i, p in zip(flat, found):
        out[i] = p
    return out


@contextmanager
def seeded(device: str, seed: int = 0) -> Iterator[None]:
    """torch's generator (cpu, and ``device``'s if cuda) and Python's ``random`` seeded to
    ``seed``, restored afterwards: identical runs of an optimizer that draws random numbers
    (stochastic rounding, random probes) see identical draws, and the caller's RNG is
    untouched."""
    dev = torch.device(device)
    cuda = [dev.index if dev.index is not None else torch.cuda.current_device()] \
        if dev.type == "cuda" else []
    py_state = random.getstate()
    with torch.random.fork_rng(devices=cuda):
        torch.random.default_generator.manual_seed(seed)
        if cuda:
            torch.cuda.manual_seed(seed)
        random.seed(seed)
        try:
            yield
        finally:
            random.setstate(py_state)


def execute(rec: RunRecord, timeout: float = DEFAULT_TIMEOUT) -> Trajectory:
    with single_thread(), seeded(rec.device), watchdog() as armed:
        return _execute(rec, timeout, armed)


def _execute(rec: RunRecord, timeout: float, armed: bool) -> Trajectory:
    dt, dev, name = DTYPES[rec.dtype], rec.device, rec.spec.name
    cache: dict[int, torch.Tensor] = {}

    def tensor(g: np.ndarray) -> torch.Tensor:
        if id(g) not in cache:
            cache[id(g)] = torch.tensor(g, dtype=dt, device=dev)
        return cache[id(g)].clone()

    ps = [torch.nn.Parameter(torch.tensor(a, dtype=dt, device=dev)) for a in rec.problem.init]
    opt = _build(rec, ps, timeout, armed)
    traj = Trajectory([[to_numpy(p) for p in ps]], [], {}, [])
    for t, row in enumerate(rec.problem.grads, start=1):
        event = rec.events.get(t)
        where = f"{name}: before step {t} of run '{rec.label}'"
        if event == "roundtrip":
            sd = copy.deepcopy(guarded(opt.state_dict, f"{where}: state_dict()", timeout, armed))
            ps = [torch.nn.Parameter(p.detach().clone()) for p in ps]
            opt = _build(rec, ps, timeout, armed)
            guarded(partial(opt.load_state_dict, sd), f"{where}: load_state_dict()", timeout, armed)
        elif event == "reload":
            sd = copy.deepcopy(guarded(opt.state_dict, f"{where}: state_dict()", timeout, armed))
            guarded(partial(opt.load_state_dict, sd), f"{where}: load_state_dict()", timeout, armed)
        elif event == "deepcopy":
            opt = guarded(partial(copy.deepcopy, opt), f"{where}: copy.deepcopy", timeout, armed)
            ps = _tensors_of(opt, rec)
        for p, g in zip(ps, row):
            p.grad = None if g is None else tensor(g)
        what = f"{name}.step() at step {t} of run '{rec.label}'"
        if rec.closure:
            loss_val = torch.tensor(float(t), dtype=dt, device=dev)
            closure = partial(_identity, loss_val)
            ret = guarded(partial(opt.step, closure), what, timeout, armed)
            if not (isinstance(ret, torch.Tensor) and bool((ret == loss_val).all())):
                raise OptimizerFailure(f"{what}: step(closure) returned {ret!r}, "
                                       f"expected the closure's loss {loss_val!r}")
            traj.losses.append(ret)
        else:
            guarded(opt.step, what, timeout, armed)
        _check_params(opt, rec, ps, what)
        traj.params.append([to_numpy(p) for p in ps])
        traj.grads_after.append([None if p.grad is None else to_numpy(p.grad) for p in ps])
    traj.state = guarded(lambda: snapshot_state(opt), f"{name}: state_dict()", timeout, armed)
    return traj


def _identity(value: torch.Tensor) -> torch.Tensor:
    return value


def _check_params(opt: torch.optim.Optimizer, rec: RunRecord, ps: list[torch.Tensor],
                  what: str) -> None:
    held = [p for g in opt.param_groups for p in g["params"]]
    if len(held) != len(ps) or any(a is not b for a, b in zip(held, _ordered(ps, rec))):
        raise OptimizerFailure(f"{what}: param_groups no longer hold the original tensors")
    for i, (p, a) in enumerate(zip(ps, rec.problem.init)):
        if tuple(p.shape) != a.shape or p.dtype != DTYPES[rec.dtype] \
                or p.device.type != rec.device:
            raise OptimizerFailure(f"{what}: parameter {i} became {tuple(p.shape)} "
                                   f"{p.dtype} on {p.device}")
        if p.numel() and not bool(torch.isfinite(p).all()):
            raise OptimizerFailure(f"{what}: parameter {i} became non-finite from finite "
                                   f"inputs: {p.detach().cpu().flatten()[:4].tolist()}")


def _ordered(ps: list[torch.Tensor], rec: RunRecord) -> list[torch.Tensor]:
    return [ps[i] for g in rec.problem.groups for i in g]
