"""Benchmark of seed Problem 4's optimized kernels (spec/covariance.md).

1. Stationary covariance of many SGD-on-a-quadratic problems (d = 16): one batched
   eigenbasis solve (``impl.optimized.sgd_stationary_covariance`` /
   ``langevin_stationary_covariance``) against a Python loop of
   ``scipy.linalg.solve_discrete_lyapunov`` / ``solve_continuous_lyapunov``.
2. Chain simulation throughput (chains × steps / s) of ``simulate_sgd`` against a naive
   per-chain loop of the same recursion Φ ← Φ − η(HΦ + L·ε).

A and B are interleaved in one process; each reported ratio is the median over rounds of
(time of B) / (time of A). Run ``python -m bench.bench_covariance [--quick]``; ``run()``
returns the numbers as a dict (``{"skipped": reason}`` when scipy is absent).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import impl.optimized.covariance as opt


def _problems(n: int, d: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, float]:
    """n SPD H (eigenvalues in [0.1, 1]) and PSD Σ^B, float64; η = 1 (η·h_max ≤ 1)."""
    g = torch.Generator().manual_seed(seed)
    V, _ = torch.linalg.qr(torch.randn(n, d, d, generator=g, dtype=torch.float64))
    h = 0.1 + 0.9 * torch.rand(n, d, generator=g, dtype=torch.float64)
    H = (V * h[:, None, :]) @ V.mT
    M = torch.randn(n, d, d, generator=g, dtype=torch.float64)
    Q = M @ M.mT / d
    return (H + H.mT) / 2, (Q + Q.mT) / 2, 1.0


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    _sync()
    t = time.perf_counter()
    out = fn()
    _sync()
    return time.perf_counter() - t, out


def _interleave(a: Callable[[], Any], b: Callable[[], Any], rounds: int
                ) -> tuple[list[float], list[float], Any, Any]:
    a(), b()  # warm-up
    ta, tb = [], []
    out_a = out_b = None
    for _ in range(rounds):
        t, out_a = _timed(a)
        ta.append(t)
        t, out_b = _timed(b)
        tb.append(t)
    return ta, tb, out_a, out_b


def _median_ratio(slow: list[float], fast: list[float]) -> float:
    return statistics.median(s / f for s, f in zip(slow, fast))


def bench_lyapunov(n: int, d: int, rounds: int, device: str = "cpu") -> dict[str, Any]:
    from scipy.linalg import solve_continuous_lyapunov, solve_discrete_lyapunov

    H, Q, eta = _problems(n, d)
    Hn, Qn = H.numpy(), Q.numpy()
    H, Q = H.to(device), Q.to(device)
    An = np.eye(d) - eta * Hn
    out: dict[str, Any] = {}
    for kind in ("discrete", "continuous"):
        if kind == "discrete":
            def fast() -> torch.Tensor:
                return opt.sgd_stationary_covariance(H, eta, Q)

            def slow() -> np.ndarray:
                return np.stack([solve_discrete_lyapunov(An[i], eta**2 * Qn[i])
                                 for i in range(n)])
        else:
            def fast() -> torch.Tensor:
                return opt.langevin_stationary_covariance(H, Q)

            def slow() -> np.ndarray:
                return np.stack([solve_continuous_lyapunov(Hn[i], Qn[i]) for i in range(n)])
        tf, ts, got, want = _interleave(fast, slow, rounds)
        err = float(np.abs(got.cpu().numpy() - want).max() / np.abs(want).max())
        out[kind] = {"problems": n, "d": d, "device": device,
                     "batched_s": statistics.median(tf),
                     "scipy_loop_s": statistics.median(ts),
                     "speedup": _median_ratio(ts, tf), "max_rel_diff": err}
    return out


def _naive_chains(H: torch.Tensor, L: torch.Tensor, eta: float, steps: int, chains: int,
                  seed: int) -> torch.Tensor:
    """One chain at a time, one step at a time: the loop the simulator replaces."""
    g = torch.Generator().manual_seed(seed)
    d = H.shape[-1]
    finals = []
    for _ in range(chains):
        phi = torch.zeros(d, dtype=H.dtype)
        for _ in range(steps):
            eps = torch.randn(d, generator=g, dtype=H.dtype)
            phi = phi - eta * (H @ phi + L @ eps)
        finals.append(phi)
    return torch.stack(finals)


def bench_chains(chains: int, steps: int, naive_chains: int, d: int, rounds: int,
                 device: str = "cpu") -> dict[str, Any]:
    """Vectorized chains on ``device`` against the naive loop on CPU (its best device)."""
    H, Q, _ = _problems(1, d, seed=1)
    H, Q = H[0], Q[0]
    eta = 0.5
    _, L = opt.check_noise_cov(Q, d)
    Hd, Qd = H.to(device), Q.to(device)

    def fast() -> torch.Tensor:
        return opt.simulate_sgd(Hd, eta, Qd, steps, chains, seed=0)

    def slow() -> torch.Tensor:
        return _naive_chains(H, L, eta, steps, naive_chains, seed=0)

    tf, ts, _, _ = _interleave(fast, slow, rounds)
    fast_tp = [chains * steps / t for t in tf]
    slow_tp = [naive_chains * steps / t for t in ts]
    return {"d": d, "chains": chains, "steps": steps, "naive_chains": naive_chains,
            "device": device,
            "vectorized_chain_steps_per_s": statistics.median(fast_tp),
            "naive_chain_steps_per_s": statistics.median(slow_tp),
            "speedup": statistics.median(f / s for f, s in zip(fast_tp, slow_tp))}


def run(quick: bool = False, device: str = "cpu") -> dict[str, Any]:
    """All measurements as a dict (the benchmark runner's entry point).

    ``device`` is where the optimized code runs; the scipy and naive baselines run on CPU.
    """
    try:
        import scipy  # noqa: F401
    except ImportError:
        return {"skipped": "scipy is not installed (pip install sgdcheck[bench])"}
    n = 1_000 if quick else 10_000
    rounds = 3 if quick else 5
    result = {"torch_threads": torch.get_num_threads(),
              "lyapunov": bench_lyapunov(n, 16, rounds, device),
              "chains": bench_chains(chains=10_000, steps=200 if quick else 1_000,
                                     naive_chains=4 if quick else 10, d=16, rounds=rounds,
                                     device=device)}
    return result


def table(r: dict[str, Any]) -> str:
    if "skipped" in r:
        return f"skipped: {r['skipped']}"
    rows = ["| benchmark | optimized | baseline | speedup (median of rounds) |",
            "|---|---|---|---|"]
    for kind, fn in (("discrete", "solve_discrete_lyapunov"),
                     ("continuous", "solve_continuous_lyapunov")):
        x = r["lyapunov"][kind]
        rows.append(f"| {kind} Lyapunov, {x['problems']} problems, d = {x['d']} | "
                    f"{x['batched_s'] * 1e3:.1f} ms batched | {x['scipy_loop_s'] * 1e3:.0f} ms "
                    f"loop of scipy `{fn}` | {x['speedup']:.0f}× (max rel diff "
                    f"{x['max_rel_diff']:.1e}) |")
    c = r["chains"]
    rows.append(f"| SGD chains, d = {c['d']}, {c['chains']} chains × {c['steps']} steps | "
                f"{c['vectorized_chain_steps_per_s']:.3g} chain-steps/s | "
                f"{c['naive_chain_steps_per_s']:.3g} chain-steps/s per-chain loop | "
                f"{c['speedup']:.0f}× |")
    return "\n".join(rows) + f"\n\n(torch threads: {r['torch_threads']})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1000 problems, fewer steps")
    parser.add_argument("--device", default="cpu", help="device of the optimized code")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads (default: torch's own choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(table(run(quick=args.quick, device=args.device)))


if __name__ == "__main__":
    main()
