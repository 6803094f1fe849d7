"""course_utils: helpers for the open course on kratom, depression and stress.

The public API is flat: ``import course_utils as cu`` then ``cu.load("nhefs")``.
Importing this package is cheap; statsmodels, seaborn and scipy are imported
inside the functions that need them.
"""

from course_utils.datasets import cite, describe, list_datasets, load, verify
from course_utils.results import make_result, result_frame

__version__ = "0.1.0"

__all__ = [
    "cite",
    "describe",
    "list_datasets",
    "load",
    "verify",
    "make_result",
    "result_frame",
]
