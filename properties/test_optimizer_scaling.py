"""Batch-size exponent alpha on the noisy quadratic (spec/optimizers.md#5-batch-size-scaling)."""

from __future__ import annotations

import pytest

from sgdcheck.optim import measure, nqm
from sgdcheck.optim.case import OptimizerCase


@pytest.mark.optimizer_dtypes("float32")
@pytest.mark.optimizer_devices("cpu")
def test_batch_size_exponent(optimizer_case: OptimizerCase) -> None:
    """alpha with a CI that misses the truth with probability <= 1e-9 (fixed seeds)."""
    case = optimizer_case
    if "skip" in case.spec.nqm:
        pytest.skip(case.spec.nqm["skip"])
    claimed = case.claims.get("elementwise")
    if claimed is False or (claimed is None and not measure.is_elementwise(case)):
        pytest.skip(f"{case.name} is not elementwise: NQM coordinates would not be independent")
    kw = case.measure_kwargs()
    kw.pop("lr", None)
    case.script = lambda failure: nqm.repro_script(case.spec, kw, failure)
    res = nqm.measure_alpha(case.spec, kw, timeout=case.timeout)
    case.report("alpha", round(res.alpha, 3))
    case.report("alpha CI(1e-9)", [round(res.lo, 3), round(res.hi, 3)])
    rule = case.claims.get("batch_size_rule")
    if rule is not None:
        lo, hi = nqm.BANDS[rule]
        assert res.lo <= hi and res.hi >= lo, (
            f"{case.name} claims batch_size_rule={rule!r} (alpha in [{lo}, {hi}]) but the "
            f"1e-9 CI is [{res.lo:.3f}, {res.hi:.3f}] (alpha = {res.alpha:.3f})")
