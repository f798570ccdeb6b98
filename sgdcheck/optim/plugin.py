"""pytest plugin: ``--optimizer`` selection and the ``optimizer_case`` parametrization.

Loaded with sgdcheck's pytest11 entry point in every pytest run, so it imports torch and
the optimizers only when a test asks for ``optimizer_case`` or ``--optimizer`` is given.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from typing import Any

import pytest

from sgdcheck.optim.guard import DEFAULT_TIMEOUT

DEVICES = ("cpu", "cuda", "mps")
DTYPES = ("float64", "float32")
_KEY = "sgdcheck_measured"


def plugin_args() -> list[str]:
    """``-p sgdcheck.optim.plugin`` for a subprocess, unless an entry point loads it."""
    from importlib.metadata import entry_points
    loaded = any(ep.value == __name__ for ep in entry_points(group="pytest11"))
    return [] if loaded else ["-p", __name__]


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("sgdcheck-optim", "sgdcheck: fuzz torch optimizers")
    g.addoption("--optimizer", action="append", default=[], metavar="REF",
                help="optimizer class: torch.optim.Adam or pkg.module:Class (repeatable; "
                     "env SGDCHECK_OPTIMIZER, comma-separated). Default: every bundled one.")
    g.addoption("--optimizer-kwargs", action="append", default=[], metavar="JSON",
                help='constructor kwargs, e.g. \'{"lr": 1e-3, "betas": [0.9, 0.99]}\' '
                     "(once for all, or once per --optimizer)")
    g.addoption("--optimizer-claims", action="append", default=[], metavar="CLAIMS",
                help='claims to check, JSON or shorthand: \'{"momentum": "sum"}\' or '
                     "'elementwise,bias_correction,batch_size_rule=sqrt' (spec/optimizers.md)")
    g.addoption("--optimizer-timeout", type=float, default=DEFAULT_TIMEOUT,
                help="seconds one optimizer call may take before it counts as a hang")
    g.addoption("--optimizer-results", default=None, metavar="PATH",
                help="write per-test outcomes and measurements as JSON lines")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "optimizer_dtypes(*names): dtypes to run a property at")
    config.addinivalue_line("markers", "optimizer_devices(*names): devices to run a property on")
    explicit = any(config.getoption(o) for o in
                   ("--optimizer", "--optimizer-kwargs", "--optimizer-claims"))
    # an explicit selection is resolved now, so a bad one is a usage error before collection
    config._sgdcheck_optimizers = (  # type: ignore[attr-defined]
        _select(config) if explicit or os.environ.get("SGDCHECK_OPTIMIZER") else None)
    config._sgdcheck_measured = {}  # type: ignore[attr-defined]


def _select(config: pytest.Config) -> list[Any]:
    from sgdcheck.optim.loading import OptimizerUsageError
    from sgdcheck.optim.selection import select
    try:
        return select(config.getoption("--optimizer"), config.getoption("--optimizer-kwargs"),
                      config.getoption("--optimizer-claims"))
    except OptimizerUsageError as exc:
        raise pytest.UsageError(str(exc)) from None


def _optimizers(config: pytest.Config) -> list[Any]:
    """The selected OptimizerSpecs (the bundled ones are loaded on first use)."""
    if config._sgdcheck_optimizers is None:  # type: ignore[attr-defined]
        config._sgdcheck_optimizers = _select(config)  # type: ignore[attr-defined]
    return config._sgdcheck_optimizers  # type: ignore[attr-defined]


def _csv_opt(config: pytest.Config, name: str) -> list[str]:
    try:
        value = config.getoption(name)
    except ValueError:
        return []
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _device_skip(device: str) -> str | None:
    import torch
    if device == "cuda" and not torch.cuda.is_available():
        return "cuda not available"
    if device == "mps" and not (hasattr(torch.backends, "mps")
                                and torch.backends.mps.is_available()):
        return "mps not available"
    return None


def _only_implementations(config: pytest.Config) -> bool:
    """An --impl selection without --optimizer checks that implementation alone."""
    impl = config.getoption("impl", None) or os.environ.get("SGDCHECK_IMPL")
    chosen = config.getoption("--optimizer") or os.environ.get("SGDCHECK_OPTIMIZER")
    return bool(impl) and not chosen


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "optimizer_case" not in metafunc.fixturenames:
        return
    config = metafunc.config
    if _only_implementations(config):
        skip = pytest.mark.skip(
            reason="only --impl was selected; optimizer properties run with --optimizer")
        metafunc.parametrize("optimizer_case", [pytest.param(None, id="none", marks=skip)])
        return
    dt_mark = metafunc.definition.get_closest_marker("optimizer_dtypes")
    dev_mark = metafunc.definition.get_closest_marker("optimizer_devices")
    dtypes = dt_mark.args if dt_mark else DTYPES
    devices = dev_mark.args if dev_mark else DEVICES
    # honour the harness's --sgd-dtypes / --sgd-devices when sgdcheck.plugin is loaded
    only_dt, only_dev = _csv_opt(config, "sgd_dtypes"), _csv_opt(config, "sgd_devices")
    dtypes = tuple(d for d in dtypes if not only_dt or d in only_dt)
    devices = tuple(d for d in devices if not only_dev or d in only_dev)
    from sgdcheck.optim.case import OptimizerCase
    timeout = config.getoption("--optimizer-timeout")
    params = []
    for spec in _optimizers(config):
        for device in devices:
            for dtype in dtypes:
                case = OptimizerCase(spec, device, dtype, timeout)
                marks = []
                skip = _device_skip(device)
                if skip:
                    marks.append(pytest.mark.skip(reason=skip))
                fn = metafunc.function.__name__
                reason = spec.xfail.get(f"{fn}[{dtype}]") or spec.xfail.get(fn)
                if reason:
                    marks.append(pytest.mark.xfail(reason=f"finding: {reason}", strict=False))
                params.append(pytest.param(case, id=case.id, marks=marks))
    metafunc.parametrize("optimizer_case", params)


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, Any, Any]:
    case = pyfuncitem.funcargs.get("optimizer_case")
    if case is None:
        return (yield)
    try:
        return (yield)
    except Exception as exc:
        script = case.repro_script(str(exc))
        exc.add_note(f"[sgdcheck] optimizer {case.spec.ref} ({case.id}), "
                     f"kwargs {case.spec.kwargs}, claims {case.claims}")
        if script:
            exc.add_note(script)
        raise
    finally:
        if case.measured:
            pyfuncitem.user_properties.append((_KEY, json.dumps(case.measured, default=str)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and report.outcome == "skipped"):
        return
    config = _CONFIG.get("config")
    if config is None or hasattr(config, "workerinput"):  # xdist: the controller records
        return
    measured = {}
    for key, val in report.user_properties:
        if key == _KEY:
            measured = json.loads(val)
    if measured:
        opt = report.nodeid.rsplit("[", 1)[-1].rstrip("]")
        config._sgdcheck_measured.setdefault(opt, {}).update(measured)
    path = config.getoption("--optimizer-results")
    if path:
        outcome = report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        text = report.longreprtext if outcome in ("failed", "xfailed") else ""
        with open(path, "a") as fh:
            fh.write(json.dumps({"nodeid": report.nodeid, "outcome": outcome,
                                 "measured": measured, "longrepr": text,
                                 "xfail": getattr(report, "wasxfail", "")}) + "\n")


_CONFIG: dict[str, pytest.Config] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG["config"] = session.config


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    measured = getattr(config, "_sgdcheck_measured", {})
    if not measured:
        return
    from sgdcheck.optim.registry import EXCEPTIONS
    tr = terminalreporter
    tr.section("sgdcheck: measured optimizer conventions")
    for opt in sorted(measured):
        items = ", ".join(f"{k}={v}" for k, v in sorted(measured[opt].items()))
        tr.write_line(f"{opt}: {items}")
    tr.write_line("(not run: " + "; ".join(f"{k}: {v}" for k, v in EXCEPTIONS.items()) + ")")
