"""The reference implementation: numpy float64, the seed's loops written literally.

It is the oracle of the differential checks; the closed forms of spec/ check it.
"""

from impl.reference.running import debiased_mean, running_mean, running_sum, warmup_mean

name = "reference"
backend = "numpy"
dtypes = ("float64",)

__all__ = ["running_sum", "running_mean", "warmup_mean", "debiased_mean"]
