"""Hypothesis settings scaled to the active profile (dev / ci / thorough)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

CI_EXAMPLES = 30  # max_examples of the project's ``ci`` profile (sgdcheck/plugin.py)


def examples(n: int) -> settings:
    """``n`` examples under the ``ci`` profile, scaled with the active profile (dev 25,
    thorough 400); other settings (derandomize, phases) come from the profile."""
    base = settings.default.max_examples
    return settings(max_examples=max(1, round(n * base / CI_EXAMPLES)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
