"""pytest plugin: ``--impl``, hypothesis profiles, and the ``case`` parametrization.

Installed as a ``pytest11`` entry point, so it is active in any pytest run of
an environment holding sgdcheck: it imports torch and the implementations only
when a test asks for ``case`` (or when ``--impl`` is given).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from sgdcheck.contract import DTYPES
from sgdcheck.loading import Impl, ImplLoadError, load_all

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large,
             HealthCheck.differing_executors]
# The explain phase replays a failing example ~1000 times (a minute for one
# property); the labelled draws and the reproduction note already explain it.
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
settings.register_profile("dev", max_examples=25, deadline=None, phases=_PHASES,
                          suppress_health_check=_SUPPRESS)
settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True,
                          print_blob=True, phases=_PHASES, suppress_health_check=_SUPPRESS)
settings.register_profile("thorough", max_examples=400, deadline=None,
                          suppress_health_check=_SUPPRESS)
# For tests/ running mutants: same examples as ci, but stop at the first failure
# instead of shrinking it (the suite's own CI needs the verdict, not the minimum).
settings.register_profile("mutants", parent=settings.get_profile("ci"),
                          phases=[Phase.explicit, Phase.reuse, Phase.generate],
                          report_multiple_bugs=False)

DEVICES: tuple[str, ...] = ("cpu", "cuda", "mps")
_impls_key = pytest.StashKey[list[Impl]]()

pytest_plugins = ["sgdcheck.optim.plugin"]  # --optimizer (spec/optimizers.md)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sgdcheck", "sgdcheck: property-based checks of SGD math")
    group.addoption("--impl", action="append", default=[], metavar="MODULE[:ATTR]",
                    help="implementation to check (repeatable); env SGDCHECK_IMPL "
                         "(comma-separated). Default: every bundled implementation.")
    group.addoption("--sgd-devices", default=None, metavar="LIST",
                    help="comma-separated devices to test (default: cpu,cuda,mps)")
    group.addoption("--sgd-dtypes", default=None, metavar="LIST",
                    help="comma-separated dtypes to test (default: all the impl supports)")


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sgd_property(needs, spec): an sgdcheck property")
    config.addinivalue_line("markers", "dtypes(*names): restrict a property's dtypes")
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile("ci" if os.environ.get("CI") else "dev")
    if _specs(config):  # a named plug-in that does not load is a usage error, up front
        _impls(config)


def pytest_collection_finish(session: pytest.Session) -> None:
    """One torch thread per xdist worker: the workers already fill the cores, and
    oversubscribed torch threads made small ops 30–60× slower (bench/results). Only where
    the collected tests imported torch: an unrelated test run never pays for the import."""
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(session.config, "workerinput"):
        torch.set_num_threads(1)


def _specs(config: pytest.Config) -> list[str]:
    return list(config.getoption("impl") or []) or _csv(os.environ.get("SGDCHECK_IMPL"))


def _impls(config: pytest.Config) -> list[Impl]:
    if _impls_key not in config.stash:
        try:
            config.stash[_impls_key] = load_all(_specs(config))
        except ImplLoadError as e:
            raise pytest.UsageError(str(e)) from None
    return config.stash[_impls_key]


def _device_available(device: str) -> bool:
    import torch

    if device == "cpu":
        return True
    if device == "cuda":
        return torch.cuda.is_available()
    if device == "mps":
        return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    return False


def _params(config: pytest.Config, marker_dtypes: tuple[str, ...] | None,
            needs: tuple[str, ...]) -> list[Any]:
    devices = _csv(config.getoption("sgd_devices")) or list(DEVICES)
    dtypes_opt = _csv(config.getoption("sgd_dtypes")) or list(DTYPES)
    from sgdcheck.harness import Case

    params = []
    for impl in _impls(config):
        missing = [f for f in needs if not impl.has(f)]
        reason = (f"{impl.name}: {impl.unavailable}" if impl.unavailable else
                  f"not provided by {impl.name}: {', '.join(missing)}" if missing else None)
        if reason:  # one skip per implementation, not per device and dtype
            params.append(pytest.param(None, id=impl.name, marks=pytest.mark.skip(reason=reason)))
            continue
        dtypes = [d for d in DTYPES if d in impl.dtypes and d in dtypes_opt
                  and (marker_dtypes is None or d in marker_dtypes)]
        for device in devices:
            if impl.devices is not None and device not in impl.devices:
                continue
            if not _device_available(device):
                params.append(pytest.param(None, id=f"{impl.name}-{device}", marks=pytest.mark.skip(
                    reason=f"{device} is not available on this machine")))
                continue
            params.extend(pytest.param(Case(impl, device, dtype),
                                       id=f"{impl.name}-{device}-{dtype}") for dtype in dtypes)
    return params


def _only_optimizers(config: pytest.Config) -> bool:
    """An --optimizer selection without --impl fuzzes that optimizer alone."""
    chosen = config.getoption("optimizer", None) or os.environ.get("SGDCHECK_OPTIMIZER")
    return bool(chosen) and not _specs(config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" not in metafunc.fixturenames:
        return
    if _only_optimizers(metafunc.config):
        metafunc.parametrize("case", [pytest.param(None, id="none", marks=pytest.mark.skip(
            reason="only --optimizer was selected; contract properties run with --impl"))])
        return
    marker = metafunc.definition.get_closest_marker("dtypes")
    marker_dtypes = tuple(marker.args) if marker else None
    prop = metafunc.definition.get_closest_marker("sgd_property")
    needs = tuple(prop.kwargs.get("needs", ())) if prop else ()
    params = _params(metafunc.config, marker_dtypes, needs)
    if not params:
        params = [pytest.param(None, id="none", marks=pytest.mark.skip(
            reason="no selected implementation supports this property's dtypes/devices"))]
    metafunc.parametrize("case", params)
