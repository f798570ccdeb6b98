"""Moving exact float64 values into an implementation's array type, and back.

Properties hold their data as float64 numpy arrays whose values are
representable in the case's dtype, so conversion is exact. A *layout* picks
how the converted array is laid out in memory: contiguous, or a
non-contiguous view (strided, transposed, offset) holding the same values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from sgdcheck.dtypes import NUMPY_DTYPES, TORCH_DTYPES, name_of

LAYOUTS: tuple[str, ...] = ("contiguous", "strided", "transposed", "offset")


def layouts_for(shape: tuple[int, ...]) -> tuple[str, ...]:
    """The layouts that give a genuinely non-contiguous view of this shape."""
    if int(np.prod(shape)) <= 1 or len(shape) == 0:
        return ("contiguous",)
    if len(shape) == 1:
        return ("contiguous", "strided", "offset")
    return LAYOUTS


def _zeros(like: Any, shape: tuple[int, ...]) -> Any:
    if isinstance(like, torch.Tensor):
        return torch.zeros(shape, dtype=like.dtype, device=like.device)
    return np.zeros(shape, dtype=like.dtype)


def to_backend(a: np.ndarray, backend: str, dtype: str, device: str,
               layout: str = "contiguous") -> Any:
    """A ``backend`` array equal to ``a`` (exactly, if representable), in ``layout``."""
    a = np.asarray(a, dtype=np.float64)
    if backend == "numpy":
        dense: Any = a.astype(NUMPY_DTYPES[dtype])
    else:
        dense = torch.from_numpy(np.array(a, dtype=np.float64, order="C")).to(
            device=device, dtype=TORCH_DTYPES[dtype])
    if layout == "contiguous" or a.ndim == 0:
        return dense
    if layout == "strided":  # every other element of a wider buffer
        buf = _zeros(dense, (*a.shape[:-1], 2 * a.shape[-1]))
        buf[..., ::2] = dense
        return buf[..., ::2]
    if layout == "transposed":  # the transpose of a contiguous transpose
        if backend == "numpy":
            return np.ascontiguousarray(dense.swapaxes(0, -1)).swapaxes(0, -1)
        return dense.transpose(0, -1).contiguous().transpose(0, -1)
    if layout == "offset":  # a view starting one element into its storage
        flat = _zeros(dense, (a.size + 1,))
        flat[1:] = dense.reshape(-1)
        return flat[1:].reshape(a.shape)
    raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")


def is_array(a: Any) -> bool:
    return isinstance(a, (np.ndarray, torch.Tensor))


def to_float64(a: Any) -> np.ndarray:
    """A float64 numpy copy of a backend array."""
    if isinstance(a, torch.Tensor):
        return a.detach().to("cpu", torch.float64).numpy().copy()
    return np.array(a, dtype=np.float64)


def snapshot(a: Any) -> Any:
    return a.detach().clone() if isinstance(a, torch.Tensor) else a.copy()


def same_values(a: Any, b: Any) -> bool:
    """Bitwise equality of values, NaNs equal to NaNs."""
    if isinstance(a, torch.Tensor):
        if a.shape != b.shape:
            return False
        if a.is_floating_point():
            nan_a, nan_b = a.isnan(), b.isnan()
            if not torch.equal(nan_a, nan_b):
                return False
            a, b = a.masked_fill(nan_a, 0), b.masked_fill(nan_b, 0)
        return bool(torch.equal(a, b))
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


def describe(a: Any) -> str:
    """``float32[5, 3] on cpu`` (and the layout, when not contiguous)."""
    dt = name_of(a.dtype)
    shape = list(a.shape)
    if isinstance(a, torch.Tensor):
        where = f" on {a.device.type}"
        contiguous = a.is_contiguous()
    else:
        where = " (numpy)"
        contiguous = a.flags.c_contiguous
    return f"{dt}{shape}{where}{'' if contiguous else ' non-contiguous'}"


def device_of(a: Any) -> str:
    return a.device.type if isinstance(a, torch.Tensor) else "cpu"
