"""Run every benchmark section and write results.json and results.md.

``python -m bench.run [--quick] [--device cpu|cuda] [--threads N] [--out DIR]``

Sections: running, rmsprop, linear (bench/bench_linear.py), covariance
(bench/bench_covariance.py), and roofline (achieved GB/s and TFLOP/s; its targets apply
on cuda). A section that is missing or raises is reported as "not run: <reason>". Every
missed target is followed by a torch.profiler summary of the candidate's dominant ops.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from bench import _timing as tm

SECTIONS = ("running", "rmsprop", "linear", "covariance", "roofline")


def _call_run(module: Any, quick: bool, device: str) -> dict[str, Any]:
    params = inspect.signature(module.run).parameters
    if "device" in params:
        return module.run(quick=quick, device=device)
    if torch.device(device).type != "cpu":
        raise RuntimeError(f"{module.__name__}.run takes no device argument")
    return module.run(quick=quick)


def _covariance_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for kind in ("discrete", "continuous"):
        x = r["lyapunov"][kind]
        rows.append(tm.row("covariance", f"stationary covariance ({kind} Lyapunov)",
                           "batched eigenbasis solve", f"scipy solve_{kind}_lyapunov loop",
                           f"{x['problems']} problems, d={x['d']}, float64, "
                           f"{x.get('device', 'cpu')}",
                           {"ratio": x["speedup"]}, 20.0,
                           note=f"max rel diff {x['max_rel_diff']:.1e}; ratio is the "
                                "module's median of per-round ratios"))
    c = r["chains"]
    rows.append(tm.row("covariance", "SGD chain simulation", "simulate_sgd (vectorized)",
                       "per-chain, per-step loop",
                       f"{c['chains']} chains × {c['steps']} steps, d={c['d']}, "
                       f"{c.get('device', 'cpu')}",
                       {"ratio": c["speedup"]}, None,
                       note=f"{c['vectorized_chain_steps_per_s']:.3g} vs "
                            f"{c['naive_chain_steps_per_s']:.3g} chain-steps/s"))
    return rows


def _linear_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    if "rows" in r:
        return r["rows"]
    raise KeyError("bench_linear result has no 'rows'")


def _profile(section: str, device: str) -> str:
    """Dominant ops of the section's headline candidate (for missed targets)."""
    if section in ("running", "roofline"):
        from bench.bench_running import profile_candidate
        return profile_candidate(device)
    if section == "rmsprop":
        from bench.bench_rmsprop import profile_candidate
        return profile_candidate(device)
    if section == "linear":
        from impl.optimized.linear import grad2
        x, gy = torch.randn(256, 512, device=device), torch.randn(256, 512, device=device)
        return tm.profile_top(lambda: grad2(x, gy), device=device)
    if section == "covariance":
        import impl.optimized.covariance as cov
        from bench.bench_covariance import _problems
        H, Q, eta = _problems(1000, 16)
        H, Q = H.to(device), Q.to(device)
        return tm.profile_top(lambda: cov.sgd_stationary_covariance(H, eta, Q), k=4,
                              device=device)
    return "no profile"


def run_section(name: str, quick: bool, device: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    try:
        mod = importlib.import_module(f"bench.bench_{name}")
        raw = _call_run(mod, quick, device)
        if "skipped" in raw:
            raise RuntimeError(raw["skipped"])
        convert: Callable[[dict[str, Any]], list[dict[str, Any]]] = {
            "covariance": _covariance_rows, "linear": _linear_rows}.get(
            name, lambda r: r["rows"])
        rows = convert(raw)
        if any(r["met"] is False and not r.get("profile") for r in rows):
            prof = _profile(name, device)
            for r in rows:
                if r["met"] is False and not r.get("profile"):
                    r["profile"] = prof
        out = {"rows": rows, "raw": raw}
    except Exception as e:  # any failure becomes a "not run" line
        out = {"rows": [], "not_run": f"{type(e).__name__}: {e}".splitlines()[0][:200],
               "traceback": traceback.format_exc(limit=3)}
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def _fmt_ratio(r: dict[str, Any]) -> str:
    if "ratio" not in r:
        return "—"
    s = f"{r['ratio']:.3g}{r['unit']}"
    if "iqr_low" in r:
        s += f" ({r['iqr_low']:.3g}–{r['iqr_high']:.3g})"
    return s


def markdown(rows: list[dict[str, Any]]) -> str:
    met = {True: "met", False: "**missed**", None: "—"}
    lines = ["| what | candidate | anchor | size | median ratio (IQR) | target | met | notes |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        note = r.get("note", "") + (f"; profile: {r['profile']}" if r.get("profile") else "")
        lines.append(f"| {r['what']} | {r['candidate']} | {r['anchor']} | {r['size']} | "
                     f"{_fmt_ratio(r)} | {r['target']} | {met[r['met']]} | {note} |")
    return "\n".join(lines)


def report(res: dict[str, Any]) -> str:
    m = res["machine"]
    head = [f"# sgdcheck benchmarks ({res['mode']}, {m['device']})", "",
            f"- {res['date']}; {m['cpu']}, {m['cores_usable']} usable cores, "
            f"torch threads {m['torch_threads']}" + (f"; GPU {m['gpu']}" if "gpu" in m else ""),
            "- torch threads set by --threads (default 1 on cpu: the scipy anchors are "
            "single-threaded, and extra OpenMP threads on a shared machine distort timings)",
            f"- python {m['python']}, torch {m['torch']}, numpy {m['numpy']}, "
            f"scipy {m['scipy']}",
            f"- load average (1, 5, 15 min) at start {m['loadavg_1_5_15']}, at end "
            f"{res['loadavg_end']}: other jobs shared the CPUs, hence ratios from "
            "interleaved rounds",
            "- ratio = anchor time / candidate time (> 1: candidate faster), median and IQR "
            "over interleaved rounds", ""]
    rows = [r for s in res["sections"].values() for r in s["rows"]]
    body = [markdown(rows), ""]
    for name, s in res["sections"].items():
        if "not_run" in s:
            body.append(f"- **{name}: not run**: {s['not_run']}")
    body.append("- section wall times: " + ", ".join(
        f"{k} {v['seconds']} s" for k, v in res["sections"].items()))
    return "\n".join(head + body) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller sizes, fewer rounds")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads (default: 1 on cpu, like the scipy anchors; all cores "
                        "on a GPU host)")
    p.add_argument("--out", default=None, help="default bench/results (gpu: bench/results/gpu)")
    p.add_argument("--sections", default=",".join(SECTIONS))
    a = p.parse_args()
    if torch.device(a.device).type == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda, but torch.cuda.is_available() is False")
    out = Path(a.out or ("bench/results" if a.device == "cpu" else "bench/results/gpu"))
    tm.set_threads(a.threads or (1 if a.device == "cpu" else None))
    res: dict[str, Any] = {"mode": "quick" if a.quick else "full",
                           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                           "machine": tm.machine(a.device), "sections": {}}
    out.mkdir(parents=True, exist_ok=True)
    for name in a.sections.split(","):  # rewritten after each section: a timeout keeps the rest
        print(f"[bench] {name} …", flush=True)
        res["sections"][name] = run_section(name, a.quick, a.device)
        res["loadavg_end"] = [round(v, 2) for v in os.getloadavg()]
        (out / "results.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
        md = report(res)
        (out / "results.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
