"""``rmsprop_step`` against ``torch.optim.RMSprop(foreach=True)`` on the same tensors.

alpha = 1 − 1/N, centered=False, momentum 0. The candidate's timed call includes forming
second = grad² (the optimizer squares its gradient itself) and calls ``rmsprop_step`` once
per tensor; the anchor is one ``optimizer.step()`` over all tensors (foreach kernels).
No target is set by the issues: the rows are reported for information.
Run ``python -m bench.bench_rmsprop [--quick] [--device cuda]``.
"""

from __future__ import annotations

import argparse
from typing import Any

import torch

from bench import _timing as tm
from impl.optimized.linear import rmsprop_step

N, LR, EPS = 100.0, 1e-4, 1e-8


def _tensors(shapes: list[tuple[int, ...]], device: str) -> tuple[list[torch.Tensor], ...]:
    g = torch.Generator().manual_seed(0)
    params, grads, states = [], [], []
    for shp in shapes:
        params.append(torch.randn(shp, generator=g).to(device))
        grads.append(torch.randn(shp, generator=g).to(device))
        states.append(torch.rand(shp, generator=g).to(device))
    return params, grads, states


def _optimizer(params: list[torch.Tensor], grads: list[torch.Tensor],
               states: list[torch.Tensor]) -> torch.optim.RMSprop:
    ps = [torch.nn.Parameter(p.clone()) for p in params]
    opt = torch.optim.RMSprop(ps, lr=LR, alpha=1.0 - 1.0 / N, eps=EPS, centered=False,
                              foreach=True)
    for p, g, s in zip(ps, grads, states):
        p.grad = g.clone()
        opt.state[p] = {"step": torch.tensor(0.0), "square_avg": s.clone()}
    return opt


def _case(label: str, shapes: list[tuple[int, ...]], rounds: int, device: str
          ) -> dict[str, Any]:
    params, grads, states = _tensors(shapes, device)
    opt = _optimizer(params, grads, states)

    def candidate() -> list[tuple[torch.Tensor, torch.Tensor]]:
        return [rmsprop_step(p, g, g * g, s, N, LR, EPS)
                for p, g, s in zip(params, grads, states)]

    with torch.no_grad():  # one step from the same state: both must agree
        got = candidate()
        opt.step()
    group = opt.param_groups[0]["params"]
    err = max(float((p1 - p2.detach()).abs().max()) for (p1, _), p2 in zip(got, group))
    t = tm.interleave({"cand": candidate, "anchor": torch.no_grad()(opt.step)},
                      rounds=rounds, device=device)
    n = sum(p.numel() for p in params)
    r = tm.row("rmsprop", f"RMSProp step, {label}", "rmsprop_step (per tensor)",
               "torch.optim.RMSprop(foreach=True)", f"{n / 1e6:.1f}M float32, {device}",
               tm.ratio(t["anchor"], t["cand"]), None,
               note=f"first-step max |Δparam| {err:.1e}; candidate profile: "
                    + tm.profile_top(candidate, k=4, device=device))
    r["candidate_s"] = tm.median(t["cand"])
    return r


def run(quick: bool = False, device: str = "cpu") -> dict[str, Any]:
    rounds = 3 if quick else 7
    k = 2 if quick else 1
    cases = [("1 tensor", [(2048 // k, 1024)]),
             ("16 tensors (8 matrices + 8 vectors)", [(512 // k, 512)] * 8 + [(512,)] * 8)]
    return {"rows": [_case(label, shapes, rounds, device) for label, shapes in cases]}


def profile_candidate(device: str = "cpu") -> str:
    (p,), (g,), (s,) = _tensors([(2048, 1024)], device)
    return tm.profile_top(lambda: rmsprop_step(p, g, g * g, s, N, LR, EPS), device=device)


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--quick", action="store_true")
    a.add_argument("--device", default="cpu")
    args = a.parse_args()
    tm.set_threads()
    from bench.run import markdown

    print(markdown(run(args.quick, args.device)["rows"]))


if __name__ == "__main__":
    main()
