"""Loading implementations named on the command line (spec/contract.md#selecting)."""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from typing import Any

from sgdcheck.contract import DTYPES, SIGNATURES

BUNDLED: tuple[str, ...] = (
    "impl.reference",
    "impl.optimized",
    "impl.adapters.autograd",
    "impl.adapters.torch_func",
    "impl.adapters.torch_rmsprop",
    "impl.adapters.opacus_adapter",
    "impl.adapters.backpack_adapter",
)
"""What runs when no ``--impl`` is given. Missing modules are skipped quietly."""

BACKENDS = ("torch", "numpy")


class ImplLoadError(Exception):
    """An ``--impl`` value that cannot be imported or is malformed."""


@dataclass
class Impl:
    """One implementation under test, with its declared capabilities."""

    spec: str
    obj: Any
    name: str
    backend: str
    dtypes: tuple[str, ...]
    devices: tuple[str, ...] | None
    unavailable: str | None = None
    functions: tuple[str, ...] = field(default=())

    def has(self, fn: str) -> bool:
        return fn in self.functions

    def function(self, fn: str) -> Any:
        return getattr(self.obj, fn)

    @property
    def import_line(self) -> str:
        """A Python statement binding this implementation to ``impl``."""
        module, _, attr = self.spec.partition(":")
        if attr:
            return f"from {module} import {attr} as impl"
        return f"import {module} as impl"


def _import(spec: str) -> Any:
    module, sep, attr = spec.partition(":")
    if not module or (sep and not attr):
        raise ImplLoadError(f"--impl {spec!r}: expected 'package.module' or 'package.module:attr'")
    try:
        obj = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and (module == e.name or module.startswith(e.name + ".")):
            raise ImplLoadError(f"--impl {spec!r}: no module named {e.name!r} "
                                f"(is it installed, or on PYTHONPATH?)") from None
        raise ImplLoadError(f"--impl {spec!r}: importing it failed: {e}") from None
    except Exception as e:  # a plug-in whose import raises must not crash pytest
        raise ImplLoadError(f"--impl {spec!r}: importing it raised "
                            f"{type(e).__name__}: {e}") from None
    for part in attr.split(".") if attr else ():
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ImplLoadError(f"--impl {spec!r}: module {module!r} has no attribute "
                                f"{attr!r}") from None
    return obj


def _tuple_attr(spec: str, obj: Any, attr: str, allowed: tuple[str, ...] | None
                ) -> tuple[str, ...] | None:
    value = getattr(obj, attr, None)
    if value is None:
        return None
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise ImplLoadError(f"--impl {spec!r}: attribute {attr!r} must be a sequence of "
                            f"strings, got {value!r}")
    bad = [v for v in value if allowed is not None and v not in allowed]
    if bad:
        raise ImplLoadError(f"--impl {spec!r}: {attr} {bad} not among {list(allowed or ())}")
    return tuple(value)


def load(spec: str) -> Impl:
    """Import ``package.module`` or ``package.module:attr`` as an :class:`Impl`."""
    obj = _import(spec)
    backend = getattr(obj, "backend", "torch")
    if backend not in BACKENDS:
        raise ImplLoadError(f"--impl {spec!r}: backend must be one of {BACKENDS}, "
                            f"got {backend!r}")
    default_dtypes = DTYPES if backend == "torch" else ("float64", "float32", "float16")
    dtypes = _tuple_attr(spec, obj, "dtypes", DTYPES) or default_dtypes
    devices = _tuple_attr(spec, obj, "devices", None)
    if backend == "numpy":
        devices = ("cpu",)
    functions = tuple(f for f in SIGNATURES if callable(getattr(obj, f, None)))
    unavailable = getattr(obj, "unavailable", None) or None
    name = getattr(obj, "name", None)
    if not isinstance(name, str) or not name:
        name = spec.replace(":", ".").rsplit(".", 1)[-1]
    return Impl(spec=spec, obj=obj, name=name, backend=backend, dtypes=dtypes,
                devices=devices, unavailable=unavailable, functions=functions)


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def load_all(specs: list[str]) -> list[Impl]:
    """Load the selected implementations; with none selected, the bundled ones."""
    if specs:
        impls = [load(s) for s in specs]
    else:
        impls = [load(s) for s in BUNDLED if _exists(s)]
    seen: dict[str, int] = {}
    for im in impls:  # keep test ids unique
        if im.name in seen:
            seen[im.name] += 1
            im.name = f"{im.name}{seen[im.name]}"
        else:
            seen[im.name] = 0
    return impls
