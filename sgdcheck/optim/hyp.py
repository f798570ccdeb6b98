"""Hypothesis settings scaled to the active profile (dev / ci / thorough)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def examples(n: int) -> settings:
    """``n`` examples at the default 100-example profile, scaled with the active one."""
    base = settings.default.max_examples
    return settings(max_examples=max(1, round(n * base / 100)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
