"""``grad2`` as a matmul of squares against materializing the per-example gradients.

Candidate: ``impl.optimized.linear.grad2`` = (gy²)ᵀ(x²)/B. Anchors, on the same tensors:
the materialized einsum G = einsum("bj,bi->bji", gy, x), (G²).mean(0); and
``torch.func.vmap(grad(...))`` (``impl.adapters.torch_func.grad2``). All three run
interleaved in one process (bench/_timing.py); ratios are anchor / candidate (> 1: the
candidate is faster), the median of per-round ratios. Peak extra memory is torch's CPU
allocator as recorded by torch.profiler during one call (every tensor torch allocates in
the call, the output included; see ``bench._timing.peak_extra_bytes``), next to the sizes
the spec predicts: B(I + J) + IJ floats for the candidate, B·I·J for the anchors.
Target (issue 3): ≥ 50× faster than both at B = 256, I = J = 512, float32, CPU.
Run ``python -m bench.bench_linear [--quick] [--device cuda] [--threads N]``.
"""

from __future__ import annotations

import argparse
from typing import Any

import torch

from bench import _timing as tm
from impl.adapters.torch_func import grad2 as vmap_grad2
from impl.optimized.linear import grad2

TARGET = 50.0


def einsum_grad2(x: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    """(1/B) Σ_b G_b² with G materialized as a B×J×I tensor."""
    G = torch.einsum("bj,bi->bji", gy, x)
    return G.square().mean(dim=0)


def _inputs(B: int, I: int, J: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return (torch.randn(B, I, generator=g).to(device),
            torch.randn(B, J, generator=g).to(device))


def _mib(n_bytes: float) -> float:
    return n_bytes / 2**20


def _case(B: int, I: int, J: int, rounds: int, device: str, memory: bool
          ) -> dict[str, Any]:
    x, gy = _inputs(B, I, J, device)
    fns = {"matmul of squares": lambda: grad2(x, gy),
           "einsum": lambda: einsum_grad2(x, gy),
           "vmap": lambda: vmap_grad2(x, gy)}
    ref = einsum_grad2(x.double(), gy.double())
    err = {k: float(((f().double() - ref).abs() / ref.abs().clamp_min(1e-30)).max())
           for k, f in fns.items()}
    t = tm.interleave(fns, rounds=rounds, device=device)
    out: dict[str, Any] = {"B": B, "I": I, "J": J, "median_s": {k: tm.median(v)
                                                                 for k, v in t.items()},
                           "max_rel_err_vs_float64": err}
    for anchor in ("einsum", "vmap"):
        out[f"vs_{anchor}"] = tm.ratio(t[anchor], t["matmul of squares"])
    if memory:
        out["peak_extra_MiB"] = {k: _mib(tm.peak_extra_bytes(f, device)["bytes"])
                                 for k, f in fns.items()}
        out["predicted_MiB"] = {"matmul of squares": _mib(4 * (B * (I + J) + I * J)),
                                "materialized": _mib(4 * B * I * J)}
    return out


def run(quick: bool = False, device: str = "cpu") -> dict[str, Any]:
    """The headline case (with memory) and a B sweep; returns {"rows", "cases"}."""
    rounds = 3 if quick else 7
    head = _case(256, 512, 512, rounds, device, memory=True)
    sweep = [_case(B, 512, 512, 3, device, memory=False)
             for B in ((16, 64) if quick else (16, 64, 1024))]
    rows = []
    mem = head["peak_extra_MiB"]
    for anchor, label in (("einsum", "materialized einsum, then mean of squares"),
                          ("vmap", "torch.func vmap(grad) per-example, then mean")):
        key = "einsum" if anchor == "einsum" else "vmap"
        rows.append(tm.row(
            "linear", "grad2 (1/B) Σ_b G_b²", "grad2: (gy²)ᵀ(x²)/B", label,
            f"B=256, I=J=512, float32, {device}", head[f"vs_{anchor}"], TARGET,
            note=f"peak extra {mem['matmul of squares']:.1f} MiB vs {mem[key]:.0f} MiB "
                 f"(predicted {head['predicted_MiB']['matmul of squares']:.1f} vs "
                 f"{head['predicted_MiB']['materialized']:.0f})"))
    for c in sweep:
        for anchor in ("einsum", "vmap"):
            rows.append(tm.row("linear", "grad2, B sweep", "grad2: (gy²)ᵀ(x²)/B", anchor,
                               f"B={c['B']}, I=J=512, float32, {device}",
                               c[f"vs_{anchor}"], None,
                               note=f"candidate {1e3 * c['median_s']['matmul of squares']:.2f}"
                                    " ms"))
    return {"rows": rows, "cases": [head, *sweep]}


def _table(result: dict[str, Any]) -> str:
    lines = ["| size | anchor | ratio (IQR) | candidate ms | anchor ms | note |",
             "|---|---|---|---|---|---|"]
    for c in result["cases"]:
        for anchor in ("einsum", "vmap"):
            r = c[f"vs_{anchor}"]
            lines.append(
                f"| B={c['B']}, I=J={c['I']} | {anchor} | {r['ratio']:.0f}× "
                f"({r['iqr_low']:.0f}–{r['iqr_high']:.0f}) | "
                f"{1e3 * c['median_s']['matmul of squares']:.2f} | "
                f"{1e3 * c['median_s'][anchor]:.1f} | "
                + (f"peak extra MiB: candidate {c['peak_extra_MiB']['matmul of squares']:.1f}, "
                   f"{anchor} {c['peak_extra_MiB'][anchor]:.0f}" if "peak_extra_MiB" in c
                   else "") + " |")
    return "\n".join(lines)


def main() -> dict[str, Any]:
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("--quick", action="store_true")
    a.add_argument("--device", default="cpu")
    a.add_argument("--threads", type=int, default=None,
                   help="torch intra-op threads (default: every usable core)")
    args = a.parse_args()
    tm.set_threads(args.threads)
    result = run(args.quick, args.device)
    print(f"machine: {tm.machine(args.device)}\n")
    print(_table(result))
    return result


if __name__ == "__main__":
    main()
