"""A blocked scan for the linear recurrence y_t = a·y_{t−1} + z_t, with no loop over t.

Split time into blocks of L steps. With the block's entering state p, step i
of a block is y_i = a^{i+1}·p + Σ_{j≤i} a^{i−j}·z_j: a lower-triangular
Toeplitz matmul plus a rank-one term. The entering states are the block ends,
which obey the same recurrence with decay a^L; a doubling (Kogge–Stone) scan
over the T/L blocks solves it. Every weight a^k is ≤ 1 and is formed as
exp(k·log a) in float64, so the scan is as stable as the sequential loop:
each output is a dot product of length ≤ L plus ⌈log2(T/L)⌉ carry steps
(spec/tolerance.md#blocked-scan).
"""

from __future__ import annotations

import math

import torch

BLOCK = 32
"""L: the fastest block length measured on CPU (bench/bench_running.py)."""


def working_dtype(dtype: torch.dtype, device: torch.device) -> torch.dtype:
    """float64 accumulation wherever the device has it (spec/tolerance.md#working-precision)."""
    return torch.float32 if device.type == "mps" else torch.float64


def _doubling_scan(c: torch.Tensor, A: float) -> torch.Tensor:
    """c_m ← Σ_{k≤m} A^{m−k}·c_k along dim 0, in ⌈log2 n⌉ passes."""
    n, shift, decay = c.shape[0], 1, A
    c = c.clone()
    while shift < n and decay != 0.0:
        c[shift:] = c[shift:] + decay * c[:-shift]
        shift, decay = 2 * shift, decay * decay
    return c


def scan(z: torch.Tensor, a: float, init: torch.Tensor | None = None, scale: float = 1.0,
         block: int = BLOCK) -> torch.Tensor:
    """y_t = a·y_{t−1} + scale·z_t for t = 1…T along dim 0, with y_0 = ``init`` (default 0).

    ``z`` has shape (T, M) in a working dtype; 0 ≤ a < 1. Returns a new tensor.
    """
    T, M = z.shape
    y0 = None if init is None else init.reshape(1, M).to(z.dtype)
    if T == 0 or a == 0.0:
        y = z * scale
        if y0 is not None and T > 0:
            y[0] += a * y0[0]
        return y
    L = min(block, T)
    nb = -(-T // L)
    log_a = math.log(a)
    k = torch.arange(L, dtype=torch.float64, device=z.device)
    lag = k[:, None] - k[None, :]
    toeplitz = (torch.where(lag >= 0, torch.exp(lag.clamp(min=0) * log_a), 0.0) * scale
                ).to(z.dtype)                                 # scale·a^{i−j}, i ≥ j
    entering = torch.exp((k + 1) * log_a).to(z.dtype)         # a^{i+1}
    blocks = (z if nb * L == T else torch.cat([z, z.new_zeros(nb * L - T, M)])).view(nb, L, M)
    ends = torch.matmul(toeplitz[-1], blocks)                 # (nb, M): block-local end states
    if y0 is not None:
        ends[0] += entering[-1] * y0[0]
    carry = _doubling_scan(ends, math.exp(L * log_a))
    prev = torch.cat([z.new_zeros(1, M) if y0 is None else y0, carry[:-1]])
    y = torch.matmul(toeplitz, blocks)                        # one pass: local part
    y.addcmul_(entering.view(1, L, 1), prev.view(nb, 1, M))   # one pass: entering state
    return y.view(nb * L, M)[:T]
