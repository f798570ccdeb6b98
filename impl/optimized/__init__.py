"""The optimized implementation: vectorized torch, any device and dtype."""

from impl.optimized.covariance import *  # noqa: F403
from impl.optimized.covariance import __all__ as _covariance
from impl.optimized.linear import *  # noqa: F403
from impl.optimized.linear import __all__ as _linear
from impl.optimized.running import *  # noqa: F403
from impl.optimized.running import __all__ as _running

name = "torch"
backend = "torch"

__all__ = [*_running, *_linear, *_covariance]
