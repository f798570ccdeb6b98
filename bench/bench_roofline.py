"""Achieved throughput against the device's peak (the GPU targets of issue 6).

* Scan: ``running_sum`` on (T, 64) float64 moves at least 2·T·64·8 bytes (read x, write y);
  achieved GB/s = that / time, against the nominal peak memory bandwidth (cuda; from a table
  of known parts, else the memory clock and bus width) and a measured device copy.
  On the CPU there is no nominal figure: the peak is the measured copy.
* grad2: 2·B·I·J flops (the matmul of squares), against ``torch.mm`` of the same shapes.
Targets (cuda only): scan ≥ 50% of peak bandwidth; grad2 ≥ 50% of the matmul's TFLOP/s.
"""

from __future__ import annotations

from typing import Any

import torch

from bench import _timing as tm
from impl.optimized.linear import grad2
from impl.optimized.running import running_sum
from impl.optimized.scan import scan

# Nominal peak memory bandwidth (bytes/s) from vendor data sheets, matched by name substring.
_NOMINAL = [("H200", 4.8e12), ("H100 PCIe", 2.0e12), ("H100", 3.35e12), ("GH200", 4.0e12),
            ("A100-SXM4-80GB", 2.039e12), ("A100 80GB PCIe", 1.935e12), ("A100", 1.555e12),
            ("L40S", 0.864e12), ("L4", 0.3e12), ("A10G", 0.6e12), ("V100", 0.9e12),
            ("T4", 0.32e12)]


def nominal_bandwidth(device: str) -> tuple[float | None, str]:
    if torch.device(device).type != "cuda":
        return None, "none (CPU)"
    p = torch.cuda.get_device_properties(device)
    for key, bw in _NOMINAL:
        if key in p.name:
            return bw, f"data sheet ({key})"
    clock, bus = getattr(p, "memory_clock_rate", 0), getattr(p, "memory_bus_width", 0)
    if clock and bus:  # kHz, bits; double data rate
        return 2 * clock * 1e3 * bus / 8, "2 × memory clock × bus width"
    return None, "unknown"


def _scan_rows(quick: bool, device: str) -> list[dict[str, Any]]:
    cuda = torch.device(device).type == "cuda"
    T = (2**21 if cuda else 2**16) // (2 if quick else 1)
    x = torch.randn(T, 64, dtype=torch.float64, device=device)
    y = torch.empty_like(x)
    z = x / 100.0
    t = tm.interleave({"opt": lambda: running_sum(x, 100.0), "kernel": lambda: scan(z, 0.99),
                       "copy": lambda: y.copy_(x)}, rounds=3 if quick else 7, device=device)
    moved = 2 * x.nbytes
    gbs = {k: moved / tm.median(v) / 1e9 for k, v in t.items()}
    nominal, src = nominal_bandwidth(device)
    peak, peak_src = (nominal / 1e9, src) if nominal else (gbs["copy"], "measured copy")
    rows = []
    for k, label in (("opt", "running_sum"), ("kernel", "scan kernel (no checks)")):
        rows.append(tm.row("roofline", "scan memory bandwidth", label, f"peak ({peak_src})",
                           f"T={T}, S=(64,), float64, {device}",
                           {"ratio": gbs[k] / peak}, 0.5 if cuda else None, unit=" of peak",
                           note=f"{gbs[k]:.1f} GB/s achieved; peak {peak:.0f} GB/s "
                                f"({peak_src}); device copy {gbs['copy']:.1f} GB/s"))
    return rows


def _grad2_row(quick: bool, device: str) -> dict[str, Any]:
    cuda = torch.device(device).type == "cuda"
    B, IJ = (8192, 8192) if cuda else (256, 512)
    if quick:
        B //= 2
    x = torch.randn(B, IJ, device=device)
    gy = torch.randn(B, IJ, device=device)
    t = tm.interleave({"grad2": lambda: grad2(x, gy), "mm": lambda: torch.mm(gy.T, x)},
                      rounds=3 if quick else 7, device=device)
    flops = 2 * B * IJ * IJ
    tf = {k: flops / tm.median(v) / 1e12 for k, v in t.items()}
    tf32 = torch.backends.cuda.matmul.allow_tf32 if cuda else False
    return tm.row("roofline", "grad2 throughput", "grad2", "torch.mm, same shapes",
                  f"B={B}, I=J={IJ}, float32, {device}", tm.ratio(t["mm"], t["grad2"]),
                  0.5 if cuda else None, unit=" of matmul",
                  note=f"{tf['grad2']:.3g} vs {tf['mm']:.3g} TFLOP/s (2·B·I·J flops; "
                       f"tf32={tf32})")


def run(quick: bool = False, device: str = "cpu") -> dict[str, Any]:
    return {"rows": [*_scan_rows(quick, device), _grad2_row(quick, device)]}
