"""Running averages (Problems 1–2): the blocked torch scan against its anchors.

Candidates: ``running_mean`` as shipped (input validation included) and the bare ``scan``
kernel. Anchors: ``scipy.signal.lfilter`` (float64, axis 0, same data, on the CPU) and a
per-step torch loop. The loop is timed at a smaller T and scaled linearly to the full T
(its cost per step is constant); each row says so. A T sweep checks linear growth.
Run ``python -m bench.bench_running [--quick] [--device cuda]``.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import torch

from bench import _timing as tm
from impl.optimized.running import running_mean
from impl.optimized.scan import scan

S = 64


def _data(T: int, device: str) -> torch.Tensor:
    g = torch.Generator().manual_seed(T)
    return torch.randn(T, S, generator=g, dtype=torch.float64).to(device)


def _loop(x: torch.Tensor, N: float) -> torch.Tensor:
    """μ_t = (1 − 1/N)·μ_{t−1} + x_t/N, one torch call per step."""
    a, y = 1.0 - 1.0 / N, torch.empty_like(x)
    acc = torch.zeros_like(x[0])
    for t in range(x.shape[0]):
        acc.mul_(a).add_(x[t], alpha=1.0 / N)
        y[t] = acc
    return y


def _lfilter(xn: Any, N: float) -> Any:
    from scipy.signal import lfilter

    return lfilter([1.0 / N], [1.0, -(1.0 - 1.0 / N)], xn, axis=0)


def _fixed_T(T: int, N: float, t_loop: int, rounds: int, device: str) -> list[dict[str, Any]]:
    x = _data(T, device)
    xn = x.cpu().numpy()
    xs = x[:t_loop].clone()
    z = x / N
    fns = {"opt": lambda: running_mean(x, N), "kernel": lambda: scan(z, 1.0 - 1.0 / N),
           "lfilter": lambda: _lfilter(xn, N), "loop": lambda: _loop(xs, N)}
    err = float((running_mean(x, N).cpu() - torch.from_numpy(_lfilter(xn, N))).abs().max())
    loop_err = float((running_mean(xs, N) - _loop(xs, N)).abs().max())
    t = tm.interleave(fns, rounds=rounds, device=device)
    t["loop"] = [v * T / t_loop for v in t["loop"]]
    size = f"T={T}, S=({S},), N={N:g}, float64, {device}"
    scaled = f"loop timed at T={t_loop}, scaled ×{T / t_loop:g} (linear)"
    rows = []
    loop_us = 1e6 * tm.median(t["loop"]) / T
    for cand, label in (("opt", "running_mean"), ("kernel", "scan kernel (no checks)")):
        ns = 1e9 * tm.median(t[cand]) / (T * S)
        pair = [tm.row("running", f"running mean, N={N:g}", label, "scipy lfilter (CPU)",
                       size, tm.ratio(t["lfilter"], t[cand]), 1.0,
                       note=f"{ns:.1f} ns/element; max |Δ| {err:.1e}"),
                tm.row("running", f"running mean, N={N:g}", label, "per-step torch loop",
                       size, tm.ratio(t["loop"], t[cand]), 30.0,
                       note=f"{scaled}; loop {loop_us:.1f} µs/step vs candidate "
                            f"{ns * S / 1e3:.2f} µs/step; max |Δ| {loop_err:.1e}")]
        if any(r["met"] is False for r in pair):
            prof = tm.profile_top(fns[cand], k=4, device=device)
            for r in pair:
                r["profile"] = prof if r["met"] is False else ""
        for r in pair:
            r["candidate_s"] = tm.median(t[cand])
        rows += pair
    return rows


def _point(T: int, N: float, rounds: int, device: str) -> dict[str, Any]:
    x = _data(T, device)
    xn = x.cpu().numpy()
    t = tm.interleave({"opt": lambda: running_mean(x, N), "lfilter": lambda: _lfilter(xn, N)},
                      rounds=rounds, device=device)
    return {"T": T, "opt_ns_per_elem": 1e9 * tm.median(t["opt"]) / (T * S),
            "lfilter_ns_per_elem": 1e9 * tm.median(t["lfilter"]) / (T * S),
            **tm.ratio(t["lfilter"], t["opt"])}


def sweep(Ts: list[int], N: float, rounds: int, device: str) -> dict[str, Any]:
    """Candidate and lfilter time per element over T, and the fitted log-log slope."""
    pts = [_point(T, N, rounds, device) for T in Ts]
    return {"N": N, "points": pts, "slope": _slope([p for p in pts if p["T"] >= 10**4]),
            "per_elem_growth": pts[-1]["opt_ns_per_elem"] / min(p["opt_ns_per_elem"]
                                                                for p in pts)}


def _slope(pts: list[dict[str, Any]]) -> float:
    """Least-squares slope of log(time) against log(T); 1 is linear cost."""
    xs = [math.log(p["T"]) for p in pts]
    ys = [math.log(p["opt_ns_per_elem"] * p["T"]) for p in pts]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return (sum((x - mx) * (y - my) for x, y in zip(xs, ys))
            / sum((x - mx) ** 2 for x in xs))


def run(quick: bool = False, device: str = "cpu") -> dict[str, Any]:
    rounds = 3 if quick else 7
    t_loop = 4096 if quick else 16384
    rows: list[dict[str, Any]] = []
    for N in (10.0, 1000.0):
        rows += _fixed_T(65536, N, t_loop, rounds, device)
    Ts = [10**3, 10**4, 10**5] + ([] if quick else [10**6])
    sw = sweep(Ts, 100.0, 3, device)
    detail = ", ".join(f"T={p['T']:.0e}: {p['opt_ns_per_elem']:.2f} ns/elem "
                       f"({p['ratio']:.2f}× lfilter)" for p in sw["points"])
    rows.append(tm.row("running", "cost linear in T (log-log slope fitted over T ≥ 1e4)",
                       "running_mean", "—", f"T={Ts[0]:.0e}…{Ts[-1]:.0e}, S=({S},), N=100",
                       {"ratio": sw["slope"]}, 1.1, higher=False, unit="",
                       note=f"{detail}; per-element cost at top T / cheapest = "
                            f"{sw['per_elem_growth']:.2f}"))
    return {"rows": rows, "sweep": sw}


def profile_candidate(device: str = "cpu") -> str:
    x = _data(65536, device)
    return tm.profile_top(lambda: running_mean(x, 10.0), device=device)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    tm.set_threads()
    from bench.run import markdown

    print(markdown(run(args.quick, args.device)["rows"]))


if __name__ == "__main__":
    main()
