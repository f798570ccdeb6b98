"""Copy-pasteable reproductions of the calls a failing example made."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

INLINE_LIMIT = 400
"""Arrays with more elements than this are saved to a .npy file, not inlined."""


@dataclass
class Call:
    """One contract call: float64 values of its array arguments, scalars as given."""

    fn: str
    args: dict[str, Any]
    layouts: dict[str, str]


def _array_source(name: str, a: np.ndarray, backend: str, dtype: str, device: str,
                  test_id: str) -> str:
    if a.size > INLINE_LIMIT:
        folder = Path(os.environ.get("SGDCHECK_REPRO_DIR", "sgdcheck-repros"))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', test_id)}-{name}.npy"
        np.save(path, a)
        values = f"np.load({str(path.resolve())!r})"
    else:
        values = f"np.array({a.tolist()!r}, dtype=np.float64)"
    if backend == "numpy":
        return f"{name} = {values}" + ("" if dtype == "float64" else f".astype(np.{dtype})")
    return (f"{name} = torch.tensor({values}, dtype=torch.{dtype}, "
            f"device={device!r})")


def render(calls: list[Call], *, import_line: str, backend: str, dtype: str,
           device: str, test_id: str) -> str:
    """Python source that replays ``calls`` on the implementation."""
    lines = ["import numpy as np"]
    if backend == "torch":
        lines.append("import torch")
    lines.append(import_line)
    for k, call in enumerate(calls):
        parts = []
        for name, value in call.args.items():
            if isinstance(value, np.ndarray):
                var = f"{name}{k}" if len(calls) > 1 else name
                lines.append(_array_source(var, value, backend, dtype, device, test_id))
                parts.append(f"{name}={var}")
            else:
                parts.append(f"{name}={value!r}")
        out = f"out{k}" if len(calls) > 1 else "out"
        lines.append(f"{out} = impl.{call.fn}({', '.join(parts)})")
        lines.append(f"print({out})")
    skipped = {n: lay for c in calls for n, lay in c.layouts.items() if lay != "contiguous"}
    if skipped:
        lines.append(f"# The failing run passed non-contiguous views: {skipped}.")
    return "\n".join(lines)
