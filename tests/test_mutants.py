"""Every mutant fails the properties it must fail; every property is failed by some mutant.

spec/contract.md#every-property-can-fail.
"""

from __future__ import annotations

import pytest

from tests import mutation

MUTANTS = [m for topic in mutation.topics() for m in mutation.discover(topic)]


@pytest.fixture(scope="session")
def outcomes(tmp_path_factory) -> dict[str, mutation.Outcome]:
    return mutation.run(MUTANTS, tmp_path_factory.mktemp("mutants"))


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_fails_the_properties_it_must(mutant, outcomes):
    out = outcomes[mutant.name]
    survived = [k for k in mutant.kills if k not in out.failed]
    assert not survived, (
        f"mutant {mutant.spec} survived {survived}; it failed {sorted(out.failed)} "
        f"and passed {sorted(out.passed)}")


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_failures_carry_a_reproduction(mutant, outcomes):
    for prop, text in outcomes[mutant.name].failed.items():
        if "Reproduce (" not in text:
            continue
        assert f"from tests.mutants.{mutant.topic} import {mutant.name} as impl" in text, (
            f"{prop}: the reproduction does not import the implementation under test:\n{text}")
    # Error-handling properties (assert_rejects) call the raw function with bad
    # arguments, and their message is the reproduction. Every other failure must carry a note.
    rejects = ("accepted a bad", "must raise ValueError or TypeError", "does not name the argument")
    bare = [p for p, t in outcomes[mutant.name].failed.items()
            if "Reproduce (" not in t and not any(r in t for r in rejects)]
    assert not bare, f"failures of {mutant.spec} without a reproduction note: {bare}"


def test_every_property_is_failed_by_some_mutant(outcomes):
    killed = {p for out in outcomes.values() for p in out.failed}
    never = sorted(mutation.contract_properties() - killed)
    assert not never, f"properties that no mutant fails (they cannot be shown to fail): {never}"


def test_plugin_exceptions_become_clear_failures(outcomes):
    text = outcomes["raises"].failed["test_running_sum_matches_reference"]
    assert "raises.running_sum(x=float64" in text and "raised RuntimeError" in text, text


def test_wrong_shape_becomes_a_clear_failure(outcomes):
    text = outcomes["wrong_shape"].failed["test_running_sum_matches_reference"]
    assert "has shape" in text and "(expected" in text, text


def test_hang_becomes_a_clear_failure(outcomes):
    text = outcomes["hangs"].failed["test_running_sum_matches_reference"]
    assert "did not return within" in text, text


def test_mutated_input_becomes_a_clear_failure(outcomes):
    text = outcomes["mutates_input"].failed["test_sum_is_N_times_mean"]
    assert "modified its input 'x' in place" in text, text


def test_wrong_dtype_becomes_a_clear_failure(outcomes):
    text = outcomes["float64_for_float32"].failed["test_impulse_response"]
    assert "dtype float64 (expected float32)" in text, text
