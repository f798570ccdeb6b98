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


def _header(spec: OptimizerSpec, failure: str, imports: list[str]) -> list[str]:
    mod, _, attr = spec.ref.partition(":")
    out = ["# --- standalone repro (sgdcheck) ---", *imports, "",
           f"from {mod} import {attr.split('.')[0]} as Opt" if "." not in attr
           else f"import {mod}; Opt = {mod}.{attr}", ""]
    if failure:
        out += [f"# failure: {line}" for line in failure.splitlines()[:3]] + [""]
    return out + _prepare_def(spec)


def script(records: list[RunRecord], failure: str = "") -> str:
    if not records:
        return ""
    out = _header(records[0].spec, failure, ["import copy", "import random", "",
                                             "import torch"])
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


def nqm_script(spec: OptimizerSpec, runs: dict[str, tuple[dict[str, Any], float]], *,
               n: int, burn: int, window: int, seed: int, failure: str = "") -> str:
    """The batch-size measurement of ``nqm.measure_alpha`` (same seeds, same numbers)."""
    out = _header(spec, failure, ["import math", "", "import numpy as np", "import torch"])
    out += ["# Noisy quadratic L = |theta|^2 / 2, batch gradient theta + xi / sqrt(B):",
            "# Sigma^B = I / B (seed Problem 4). Median over coordinates of the window loss.",
            f"def window_loss(kwargs, B, seed, n={n}, burn={burn}, window={window}):",
            "    gen = torch.Generator().manual_seed(seed)",
            "    torch.manual_seed(seed)  # sgdcheck seeds the global RNG per run as well",
            "    theta = torch.nn.Parameter(torch.zeros(n))",
            "    opt = Opt([theta], **kwargs)", *_prepare_call(spec, "    "),
            "    acc = torch.zeros(n, dtype=torch.float64)",
            "    sd = 1.0 / math.sqrt(B)",
            "    for t in range(burn + window):",
            "        with torch.no_grad():",
            "            theta.grad = theta.detach() + sd * torch.randn(n, generator=gen)",
            "        opt.step()",
            "        if t >= burn:",
            "            acc += theta.detach().double() ** 2",
            "    return float(np.median((acc / (2 * window)).numpy()))", "", "", "L = {}"]
    out += [f"L[{key!r}] = window_loss({kw!r}, {B!r}, seed={seed + i})"
            for i, (key, (kw, B)) in enumerate(runs.items())]
    out += ["a = math.log(L['lr*4'] / L['base']) / math.log(4)  # L ~ lr^a",
            "b = -math.log(L['B*4'] / L['base']) / math.log(4)  # L ~ B^-b",
            "print(L, f'alpha = b / a = {b / a:.3f}')  # lr ~ B^alpha keeps L fixed"]
    return "\n".join(out)
