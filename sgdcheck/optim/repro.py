"""Standalone repro scripts for failing examples (attached with ``exc.add_note``)."""

from __future__ import annotations

import inspect
import textwrap
from typing import Any

import numpy as np

from sgdcheck.optim.registry import OptimizerSpec
from sgdcheck.optim.runner import RunRecord


def _arr(a: np.ndarray | None, dtype: str, device: str) -> str:
    if a is None:
        return "None"
    body = repr(a.tolist()) if a.ndim else repr(float(a))
    shape = f".reshape({a.shape!r})" if a.size == 0 else ""
    return f"torch.tensor({body}, dtype=torch.{dtype}, device={device!r}){shape}"


def _kw(d: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in d.items())


def _prepare_call(spec: OptimizerSpec, indent: str) -> list[str]:
    fn = spec.prepare
    return [] if fn is None else [f"{indent}{fn.__name__}(opt)"]


def _prepare_def(spec: OptimizerSpec) -> list[str]:
    """The source of the spec's ``prepare`` hook, called after every construction."""
    fn = spec.prepare
    if fn is None:
        return []
    try:
        src = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        src = f"def {fn.__name__}(opt):\n    raise NotImplementedError('source unavailable')\n"
    return [*src.rstrip().splitlines(), "", ""]


def _run_fn(i: int, rec: RunRecord) -> list[str]:
    p = rec.problem
    lines = [f"def run_{i}():  # run '{rec.label}'",
             "    torch.manual_seed(0)  # every sgdcheck run starts from this RNG state",
             "    random.seed(0)",
             "    ps = [torch.nn.Parameter(t) for t in ["]
    lines += [f"        {_arr(a, rec.dtype, rec.device)}," for a in p.init]
    lines.append("    ]]")
    groups = ", ".join(
        "{'params': [" + ", ".join(f"ps[{j}]" for j in g) + "]"
        + "".join(f", {k!r}: {v!r}" for k, v in gk.items()) + "}"
        for g, gk in zip(p.groups, p.group_kwargs))
    lines.append(f"    opt = Opt([{groups}], {_kw(rec.kwargs)})")
    lines += _prepare_call(rec.spec, "    ")
    lines.append("    grads = [")
    for row in p.grads:
        lines.append("        [" + ", ".join(_arr(g, rec.dtype, rec.device) for g in row) + "],")
    lines.append("    ]")
    lines.append("    traj = [[p.detach().clone() for p in ps]]")
    lines.append("    for t, row in enumerate(grads, start=1):")
    for t, ev in sorted(rec.events.items()):
        lines.append(f"        if t == {t}:  # {ev}")
        if ev == "roundtrip":
            lines += ["            sd = copy.deepcopy(opt.state_dict())",
                      "            ps = [torch.nn.Parameter(p.detach().clone()) for p in ps]",
                      f"            opt = Opt([{groups}], {_kw(rec.kwargs)})",
                      *_prepare_call(rec.spec, "            "),
                      "            opt.load_state_dict(sd)"]
        elif ev == "reload":
            lines += ["            opt.load_state_dict(copy.deepcopy(opt.state_dict()))"]
        else:
            lines += ["            opt = copy.deepcopy(opt)",
                      "            ps = [p for g in opt.param_groups for p in g['params']]"]
    lines += ["        for p, g in zip(ps, row):",
              "            p.grad = g",
              f"        opt.step({'lambda: torch.tensor(float(t))' if rec.closure else ''})",
              "        traj.append([p.detach().clone() for p in ps])",
              "    return traj", ""]
    return lines


def script(records: list[RunRecord], failure: str = "") -> str:
    if not records:
        return ""
    rec0 = records[0]
    mod, _, attr = rec0.spec.ref.partition(":")
    out = ["# --- standalone repro (sgdcheck) ---", "import copy", "import random", "",
           "import torch", "",
           f"from {mod} import {attr.split('.')[0]} as Opt" if "." not in attr
           else f"import {mod}; Opt = {mod}.{attr}", ""]
    if failure:
        out += [f"# failure: {line}" for line in failure.splitlines()[:3]] + [""]
    out += _prepare_def(rec0.spec)
    for i, rec in enumerate(records):
        out += _run_fn(i, rec)
    out += [f"trajs = [{', '.join(f'run_{i}()' for i in range(len(records)))}]",
            "for t, step in enumerate(trajs[0]):",
            "    print('step', t, [p.tolist() for p in step])",
            "    for k, other in enumerate(trajs[1:], start=1):",
            "        if t < len(other):",
            "            d = max(((a.double() - b.double()).abs().max().item()",
            "                     if a.numel() else 0.0) for a, b in zip(step, other[t]))",
            "            print(f'   max |run_0 - run_{k}| = {d:.3e}')"]
    return "\n".join(out)
