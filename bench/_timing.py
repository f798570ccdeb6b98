"""Shared measurement core for the benchmarks: interleaved timing, ratios, memory, machine.

Timing protocol (``interleave``): every function is warmed up, then calibrated so that one
*sample* (``number`` back-to-back calls) lasts at least ``min_sample`` seconds; then ``rounds``
rounds run every function once each, A B C, B C A, … (the start rotates), all in this process.
Ratios are anchor / candidate, so > 1 means the candidate is faster. On cuda every sample is
bracketed by ``torch.cuda.synchronize()``.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import torch

Fn = Callable[[], Any]


def set_threads(n: int | None = None) -> int:
    """Fix torch's intra-op thread count (default: the cores this process may use)."""
    n = n or len(os.sched_getaffinity(0))
    torch.set_num_threads(n)
    return torch.get_num_threads()


def sync(device: torch.device | str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _sample(fn: Fn, number: int, device: torch.device | str) -> float:
    """Seconds per call, averaged over ``number`` back-to-back calls."""
    sync(device)
    t = time.perf_counter()
    for _ in range(number):
        fn()
    sync(device)
    return (time.perf_counter() - t) / number


def interleave(fns: dict[str, Fn], *, rounds: int = 7, warmup: int = 1,
               min_sample: float = 0.05, device: torch.device | str = "cpu"
               ) -> dict[str, list[float]]:
    """Per-call seconds of each function, one entry per round (see the module docstring)."""
    names = list(fns)
    number: dict[str, int] = {}
    for name in names:
        for _ in range(warmup):
            fns[name]()
        t = _sample(fns[name], 1, device)
        number[name] = max(1, math.ceil(min_sample / max(t, 1e-9)))
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for k in range(len(names)):
            name = names[(r + k) % len(names)]
            times[name].append(_sample(fns[name], number[name], device))
    return times


def _quartiles(v: list[float]) -> tuple[float, float]:
    if len(v) < 2:
        return v[0], v[0]
    q = statistics.quantiles(v, n=4, method="inclusive")
    return q[0], q[2]


def ratio(anchor: list[float], candidate: list[float]) -> dict[str, float]:
    """Median and IQR of the per-round ratios anchor/candidate (paired within a round, so a
    load change between rounds cancels); the ratio of the two medians is kept alongside."""
    per_round = [a / c for a, c in zip(anchor, candidate)]
    q1, q3 = _quartiles(per_round)
    return {"ratio": statistics.median(per_round), "iqr_low": q1, "iqr_high": q3,
            "ratio_of_medians": statistics.median(anchor) / statistics.median(candidate),
            "rounds": len(per_round)}


def median(v: list[float]) -> float:
    return statistics.median(v)


def profile_top(fn: Fn, *, k: int = 3, device: torch.device | str = "cpu") -> str:
    """The k ops with the most self time in one call of ``fn`` (torch.profiler), as text."""
    from torch.profiler import ProfilerActivity, profile

    cuda = torch.device(device).type == "cuda"
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    fn()
    sync(device)
    with profile(activities=acts) as prof:
        fn()
        sync(device)
    key = "self_device_time_total" if cuda else "self_cpu_time_total"
    rows = [e for e in prof.key_averages() if getattr(e, key) > 0]
    total = sum(getattr(e, key) for e in rows) or 1.0
    rows.sort(key=lambda e: getattr(e, key), reverse=True)
    return ", ".join(f"{e.key} {100 * getattr(e, key) / total:.0f}% ({e.count}×)"
                     for e in rows[:k])


def peak_extra_bytes(fn: Fn, device: torch.device | str = "cpu") -> dict[str, Any]:
    """Peak bytes held by torch's allocator during one call of ``fn``, above the start level.

    cpu: replays torch.profiler's allocation/free records ([memory] events, in time order)
    and takes the running sum's maximum — every tensor allocated by torch inside the call
    counts, including the output; numpy/scipy buffers are not seen. cuda: the caching
    allocator's ``max_memory_allocated`` above the level at entry.
    """
    dev = torch.device(device)
    if dev.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(dev)
        base = torch.cuda.memory_allocated(dev)
        fn()
        torch.cuda.synchronize()
        return {"bytes": torch.cuda.max_memory_allocated(dev) - base,
                "method": "torch.cuda.max_memory_allocated above entry level"}
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"
              and e.device_type() == torch.autograd.DeviceType.CPU]
    live = peak = 0
    for e in sorted(events, key=lambda e: e.start_ns()):
        live += e.nbytes()
        peak = max(peak, live)
    return {"bytes": peak, "method": "torch.profiler CPU allocation records, peak running sum"}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(device: torch.device | str = "cpu") -> dict[str, Any]:
    """Versions, cores, threads, load and (on cuda) the device, for the results header."""
    import numpy

    try:
        import scipy
        scipy_v = scipy.__version__
    except ImportError:
        scipy_v = "not installed"
    info: dict[str, Any] = {
        "cpu": _cpu_model(), "cores_usable": len(os.sched_getaffinity(0)),
        "cores_total": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "loadavg_1_5_15": [round(v, 2) for v in os.getloadavg()],
        "python": sys.version.split()[0], "torch": torch.__version__,
        "numpy": numpy.__version__, "scipy": scipy_v, "device": str(device),
    }
    if torch.device(device).type == "cuda":
        p = torch.cuda.get_device_properties(device)
        info["gpu"] = p.name
        info["gpu_memory_gib"] = round(p.total_memory / 2**30, 1)
    return info


def row(section: str, what: str, candidate: str, anchor: str, size: str,
        r: dict[str, float] | None, target: float | None, *, higher: bool = True,
        note: str = "", unit: str = "×") -> dict[str, Any]:
    """One line of the results table; ``met`` compares r["ratio"] with ``target``."""
    met = None
    if r is not None and target is not None:
        met = r["ratio"] >= target if higher else r["ratio"] <= target
    tgt = "—" if target is None else f"{'≥' if higher else '≤'} {target:g}{unit}"
    return {"section": section, "what": what, "candidate": candidate, "anchor": anchor,
            "size": size, **(r or {}), "unit": unit, "target": tgt, "met": met, "note": note}
