"""The reference implementation: numpy float64, the seed's loops written literally.

It is the oracle of the differential checks; the closed forms of spec/ check it.
"""

from impl.reference.covariance import *  # noqa: F403
from impl.reference.covariance import __all__ as _covariance
from impl.reference.linear import *  # noqa: F403
from impl.reference.linear import __all__ as _linear
from impl.reference.running import *  # noqa: F403
from impl.reference.running import __all__ as _running

name = "reference"
backend = "numpy"
dtypes = ("float64",)

__all__ = [*_running, *_linear, *_covariance]
