"""The harness itself: loading --impl, usage errors, test ids, and installed use."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import numpy as np
import pytest
import torch

from sgdcheck import arrays
from sgdcheck.harness import Case, ContractViolation
from sgdcheck.loading import ImplLoadError, load, load_all

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _pytest(*args: str, cwd: str = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": ROOT, **(env or {})}
    full_env.pop("SGDCHECK_IMPL", None) if "SGDCHECK_IMPL" not in (env or {}) else None
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "-p", "no:xdist", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=600)


def test_missing_module_is_a_one_line_usage_error():
    proc = _pytest("properties/test_running.py", "--impl", "no_such_pkg.impl")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "no module named 'no_such_pkg'" in err[0], proc.stderr


def test_missing_attribute_is_a_usage_error():
    with pytest.raises(ImplLoadError, match="has no attribute 'nope'"):
        load("impl.reference:nope")


def test_module_and_attribute_forms_load():
    assert load("impl.reference").name == "reference"
    mutant = load("tests.mutants.running:shifted_output")
    assert mutant.name == "shifted_output" and mutant.has("running_sum")
    assert mutant.import_line == "from tests.mutants.running import shifted_output as impl"


def test_env_variable_selects_implementations():
    proc = _pytest("properties/test_running.py", "-k", "test_N_equal_1_is_identity",
                   "--collect-only", "-q", env={"SGDCHECK_IMPL": "impl.reference"})
    assert "test_N_equal_1_is_identity[reference-cpu-float64]" in proc.stdout, proc.stdout
    assert "torch-cpu" not in proc.stdout


def test_ids_name_impl_device_dtype():
    proc = _pytest("properties/test_running.py", "-k", "test_N_equal_1_is_identity",
                   "--collect-only", "-q", "--impl", "impl.optimized")
    for dtype in ("float64", "float32", "bfloat16", "float16"):
        assert f"test_N_equal_1_is_identity[torch-cpu-{dtype}]" in proc.stdout, proc.stdout


def test_missing_function_is_skipped_with_reason():
    proc = _pytest("properties/test_warmup.py", "-rs", "-q", "--impl", "impl.adapters.autograd")
    assert "not provided by autograd: warmup_mean" in proc.stdout, proc.stdout


def test_properties_run_from_any_directory(tmp_path):
    proc = _pytest("--pyargs", "properties", "-k", "test_N_equal_1_is_identity", "-q",
                   "--impl", "impl.reference", cwd=str(tmp_path))
    assert proc.returncode == 0 and "passed" in proc.stdout, proc.stdout + proc.stderr


def test_bad_backend_attribute_is_rejected():
    sys.modules["_sgdcheck_bad_backend"] = types.SimpleNamespace(backend="jax")
    try:
        with pytest.raises(ImplLoadError, match="backend must be one of"):
            load("_sgdcheck_bad_backend")
    finally:
        del sys.modules["_sgdcheck_bad_backend"]


def test_default_selection_is_the_bundled_implementations():
    names = {im.name for im in load_all([])}
    assert {"reference", "torch"} <= names


@pytest.mark.parametrize("layout", arrays.LAYOUTS)
@pytest.mark.parametrize("backend", ["torch", "numpy"])
def test_layouts_hold_the_same_values(layout, backend):
    a = np.arange(12.0).reshape(3, 4)
    v = arrays.to_backend(a, backend, "float64", "cpu", layout)
    np.testing.assert_array_equal(arrays.to_float64(v), a)
    contiguous = v.is_contiguous() if backend == "torch" else v.flags.c_contiguous
    assert contiguous == (layout in ("contiguous", "offset"))
    if layout == "offset":  # contiguous, but not at the start of its storage
        assert (v.storage_offset() if backend == "torch" else v.base is not None) >= 1


def _case(fn) -> Case:
    impl = load("impl.optimized")
    impl.obj = types.SimpleNamespace(running_sum=fn)
    return Case(impl, "cpu", "float32", timeout_s=2)


def test_checked_call_reports_exceptions_with_the_call():
    def boom(x, N):
        raise KeyError("inner")

    with pytest.raises(ContractViolation, match=r"running_sum\(x=float32\[3\] on cpu, N=2\) "
                                                r"raised KeyError"):
        _case(boom).call("running_sum", np.ones(3), 2)


def test_checked_call_reports_wrong_type():
    with pytest.raises(ContractViolation, match=r"is a ndarray, expected torch\.Tensor"):
        _case(lambda x, N: x.numpy()).call("running_sum", np.ones(3), 2)


def test_checked_call_reports_wrong_device_or_dtype():
    with pytest.raises(ContractViolation, match=r"dtype float16 \(expected float32\)"):
        _case(lambda x, N: x.to(torch.float16)).call("running_sum", np.ones(3), 2)


def test_checked_call_reports_mutation():
    def mutate(x, N):
        x += 1
        return x.clone()

    with pytest.raises(ContractViolation, match="modified its input 'x' in place"):
        _case(mutate).call("running_sum", np.ones(3), 2)


def test_plugins_import_no_torch_for_unrelated_tests(tmp_path):
    """sgdcheck's plugins load in every pytest run of the environment: an unrelated test
    must not pay for importing torch (or the bundled optimizers)."""
    (tmp_path / "test_other.py").write_text(
        "import sys\n\ndef test_no_torch():\n    assert 'torch' not in sys.modules\n")
    from importlib.metadata import entry_points
    installed = any(ep.value == "sgdcheck.plugin" for ep in entry_points(group="pytest11"))
    load = [] if installed else ["-p", "sgdcheck.plugin"]
    # --sgd-devices exists only if the plugins are active
    proc = _pytest(*load, str(tmp_path / "test_other.py"), "-q", "--sgd-devices", "cpu",
                   cwd=str(tmp_path), env={"SGDCHECK_OPTIMIZER": ""})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
