"""Running the property suite against mutants, the way a user runs it against a plug-in.

Every mutant in tests/mutants/<topic>.py is passed as ``--impl
tests.mutants.<topic>:<name>`` to a pytest subprocess; the JUnit report says
which properties each one failed, and with what message.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import tests.mutants

ROOT = Path(__file__).resolve().parent.parent
PROPERTIES = ROOT / "properties"
HANG_TIMEOUT_S = "5"


@dataclass
class Mutant:
    topic: str
    name: str
    modules: tuple[str, ...]
    kills: tuple[str, ...]

    @property
    def spec(self) -> str:
        return f"tests.mutants.{self.topic}:{self.name}"


@dataclass
class Outcome:
    failed: dict[str, str] = field(default_factory=dict)  # property -> failure text
    passed: set[str] = field(default_factory=set)


def discover(topic: str) -> list[Mutant]:
    module = importlib.import_module(f"tests.mutants.{topic}")
    return [Mutant(topic, obj.name, tuple(obj.modules), tuple(obj.kills))
            for obj in vars(module).values()
            if hasattr(obj, "kills") and hasattr(obj, "modules") and hasattr(obj, "name")]


def topics() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(tests.mutants.__path__)
                  if not m.name.startswith("_") and m.name != "optimizers")


def run(mutants: list[Mutant], workdir: Path) -> dict[str, Outcome]:
    """One pytest subprocess per distinct set of property modules."""
    outcomes = {m.name: Outcome() for m in mutants}
    groups: dict[tuple[str, ...], list[Mutant]] = {}
    for m in mutants:
        groups.setdefault(m.modules, []).append(m)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "SGDCHECK_TIMEOUT": HANG_TIMEOUT_S, "SGDCHECK_REPRO_DIR": str(workdir / "repros")}
    env.pop("SGDCHECK_IMPL", None)
    for k, (modules, group) in enumerate(groups.items()):
        report = workdir / f"report{k}.xml"
        cmd = [sys.executable, "-m", "pytest", *modules, "-p", "no:cacheprovider",
               "-p", "no:xdist", "--hypothesis-profile", "mutants", "-q",
               f"--junitxml={report}", "-o", "junit_logging=no",
               *[f"--impl={m.spec}" for m in group]]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=1800)
        if not report.exists():
            raise RuntimeError(f"pytest crashed on mutants {[m.name for m in group]}:\n"
                               f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        _parse(report, outcomes)
    return outcomes


def _parse(report: Path, outcomes: dict[str, Outcome]) -> None:
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name", "")
        test, _, params = name.partition("[")
        impl_name = params.rstrip("]").split("-")[0]
        if impl_name not in outcomes:
            continue
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        if failure is not None:
            text = (failure.get("message") or "") + "\n" + (failure.text or "")
            outcomes[impl_name].failed.setdefault(test, text)
        elif case.find("skipped") is None:
            outcomes[impl_name].passed.add(test)


def contract_properties() -> set[str]:
    """Names of every @sgd_property in properties/ (each must have a mutant that fails it)."""
    names = set()
    for path in sorted(PROPERTIES.glob("test_*.py")):
        module = importlib.import_module(f"properties.{path.stem}")
        names |= {n for n, obj in vars(module).items() if hasattr(obj, "sgd_spec")}
    return names
