"""Every optimizer mutant fails the properties it must fail; the controls pass them.

All mutants and controls run in one pytest subprocess, loaded through ``--optimizer``
exactly as a user's optimizer would be (float32, cpu, the selected properties only).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sgdcheck.optim.plugin import plugin_args
from tests.mutants.optimizers import ADAM_CLAIMS, DEVICE_KILLS, KILLS

ROOT = Path(__file__).resolve().parents[1]
MODULE = "tests.mutants.optimizers"
PROPERTY_FILES = sorted(ROOT.glob("properties/test_optimizer_*.py"))
Kills = dict[str, tuple[dict[str, Any], dict[str, Any], tuple[str, ...]]]


def _tests_of(kills: Kills, claims: dict[str, Any] | None = None) -> tuple[str, ...]:
    return tuple(sorted({t for _, c, ts in kills.values() for t in ts
                         if claims is None or c is claims}))


# Controls: the unmutated hand-written Adam and torch's own optimizers, same configs.
CONTROLS: dict[str, tuple[str, dict[str, Any], dict[str, Any], tuple[str, ...]]] = {
    "ReferenceAdam": (f"{MODULE}:ReferenceAdam", {}, ADAM_CLAIMS, _tests_of(KILLS, ADAM_CLAIMS)),
    "Adam": ("torch.optim.Adam", {"amsgrad": True, "betas": [0.9, 0.99]},
             {**ADAM_CLAIMS, "max_normalizer": True}, KILLS["AMSGradForgetsMax"][2]),
    "SGD": ("torch.optim.SGD", KILLS["SGDDampenedFirstStep"][0], {"first_step": "lr*g"},
            KILLS["SGDDampenedFirstStep"][2] + KILLS["SGDClipsGradInPlace"][2]),
}


def optimizer_properties() -> set[str]:
    """Every property that takes ``optimizer_case``, read from the property modules."""
    found = set()
    for path in PROPERTY_FILES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_") and \
                    any(a.arg == "optimizer_case" for a in node.args.args):
                found.add(node.name)
    return found


def _cuda() -> bool:
    import torch
    return torch.cuda.is_available()


def _selection(device: str) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    args: list[str] = []
    expect: dict[str, tuple[str, ...]] = {}
    kills = KILLS if device == "cpu" else DEVICE_KILLS
    runs = [(n, f"{MODULE}:{n}", kw, cl, ts) for n, (kw, cl, ts) in kills.items()]
    if device == "cpu":
        runs += [(n, ref, kw, cl, ts) for n, (ref, kw, cl, ts) in CONTROLS.items()]
    else:
        runs.append(("ReferenceAdam", f"{MODULE}:ReferenceAdam", {}, ADAM_CLAIMS,
                     _tests_of(DEVICE_KILLS)))
    for name, ref, kw, claims, tests in runs:
        args += ["--optimizer", ref, "--optimizer-kwargs", json.dumps(kw),
                 "--optimizer-claims", json.dumps(claims)]
        expect[name] = tests
    return args, expect


def _outcomes(tmp: Path, device: str) -> dict[str, dict[str, str]]:
    """One pytest subprocess over every mutant and control on ``device``, float32."""
    args, expect = _selection(device)
    results = tmp / f"results-{device}.jsonl"
    pick = " or ".join(f"({n}-{device}-float32 and ({' or '.join(ts)}))"
                       for n, ts in expect.items())
    cmd = [sys.executable, "-m", "pytest", *plugin_args(), "-q",
           "--hypothesis-profile", "mutants", "-p", "no:cacheprovider", *args, "-k", pick,
           "--optimizer-results", str(results), *(str(p) for p in PROPERTY_FILES)]
    env = {**os.environ, "SGDCHECK_OPTIMIZER": ""}
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert results.exists(), f"suite did not run:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    out: dict[str, dict[str, str]] = {}
    for line in results.read_text().splitlines():
        rec = json.loads(line)
        test, _, param = rec["nodeid"].rpartition("::")[2].partition("[")
        out.setdefault(param.split("-")[0], {})[test] = rec["outcome"]
        if rec["outcome"] == "failed":
            out[param.split("-")[0]][test + ":repro"] = rec["longrepr"]
    return out


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    return _outcomes(tmp_path_factory.mktemp("optim"), "cpu")


def _assert_killed(mutant: str, tests: tuple[str, ...], got: dict[str, str]) -> None:
    for test in tests:
        assert got.get(test) == "failed", f"{mutant} survived {test} ({got.get(test)})"
        assert "standalone repro" in got[f"{test}:repro"], f"{mutant}: {test} has no repro"


@pytest.mark.parametrize("mutant", sorted(KILLS))
def test_mutant_is_killed(mutant: str, outcomes: dict[str, dict[str, str]]) -> None:
    _assert_killed(mutant, KILLS[mutant][2], outcomes.get(mutant, {}))


@pytest.mark.parametrize("control", sorted(CONTROLS))
def test_control_passes(control: str, outcomes: dict[str, dict[str, str]]) -> None:
    got = outcomes.get(control, {})
    for test in CONTROLS[control][3]:
        assert got.get(test) == "passed", f"control {control} did not pass {test}: {got}"


def test_every_optimizer_property_has_a_mutant() -> None:
    """Every property can fail: some mutant in tests/mutants/optimizers.py must fail it."""
    killed = set(_tests_of(KILLS)) | set(_tests_of(DEVICE_KILLS))
    missing = optimizer_properties() - killed
    assert not missing, f"optimizer properties no mutant fails: {sorted(missing)}"
    unknown = killed - optimizer_properties()
    assert not unknown, f"KILLS name properties that do not exist: {sorted(unknown)}"


@pytest.mark.skipif(not _cuda(), reason="device mutants need cuda (cpu-only machine)")
def test_device_mutants_are_killed(tmp_path: Path) -> None:
    got = _outcomes(tmp_path, "cuda")
    for mutant, (_, _, tests) in DEVICE_KILLS.items():
        _assert_killed(mutant, tests, got.get(mutant, {}))
    for test in _tests_of(DEVICE_KILLS):
        assert got.get("ReferenceAdam", {}).get(test) == "passed", got.get("ReferenceAdam")


@pytest.mark.parametrize(("name", "words"), [
    ("RaisesAtStep3", ["RaisesAtStep3.step() at step 3", "RuntimeError: boom"]),
    ("HangsAtStep2", ["HangsAtStep2.step() at step 2", "did not return within 0.5 s"]),
    ("ReturnsGarbage", ["ReturnsGarbage.step() at step 1", "parameter 0 became (4,)"]),
])
def test_misbehaving_optimizer_is_a_clear_failure(name: str, words: list[str]) -> None:
    import numpy as np

    import tests.mutants.optimizers as mut
    from sgdcheck.optim.case import OptimizerCase
    from sgdcheck.optim.guard import OptimizerFailure
    from sgdcheck.optim.problem import constant_problem
    from sgdcheck.optim.registry import spec_for

    case = OptimizerCase(spec_for(getattr(mut, name)), "cpu", "float32", timeout=0.5)
    with pytest.raises(OptimizerFailure) as info:
        case.run(constant_problem(np.ones(3), 4))
    for w in words:
        assert w in str(info.value)
    script = case.repro_script(str(info.value))
    assert f"import {name} as Opt" in script and "grads = [" in script
    compile(script, "<repro>", "exec")


@pytest.mark.parametrize(("args", "words"), [
    (["--optimizer", "no_such_module:Opt"], ["cannot import 'no_such_module'"]),
    (["--optimizer", "torch.optim:NoSuch"], ["has no attribute 'NoSuch'"]),
    (["--optimizer", "torch.nn.Linear"], ["is not a torch.optim.Optimizer subclass"]),
    (["--optimizer", "torch.optim.Adam", "--optimizer-claims", "wings"], ["unknown claim"]),
    (["--optimizer", "torch.optim.Adam", "--optimizer-kwargs", "{lr"], ["not valid JSON"]),
])
def test_bad_selection_is_a_one_line_usage_error(args: list[str], words: list[str]) -> None:
    cmd = [sys.executable, "-m", "pytest", *plugin_args(), "-q",
           "-p", "no:cacheprovider", *args, "properties/test_optimizer_scaling.py",
           "--collect-only"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 4, proc.stdout[-2000:] + proc.stderr[-2000:]
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("ERROR:")]
    assert len(errors) == 1 and all(w in errors[0] for w in words), proc.stderr
