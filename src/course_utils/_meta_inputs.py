"""Private input checks and result helpers shared by the meta-analysis modules.

Every public meta-analysis function turns its inputs into float arrays here, so
the same bad input gets the same message everywhere: text (including numeric
strings such as ``"0.1"``), true/false values, missing values, negative or zero
variances, and lists of different lengths.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Union

import numpy as np
import numpy.typing as npt
import pandas as pd

from course_utils._validate import CourseInputError, finite_numbers
from course_utils.results import make_result

#: What a per-study input may be: a list, tuple, NumPy array or pandas Series of numbers.
Numbers = Union[Sequence[float], Sequence[int], npt.NDArray[np.float64], npt.NDArray[np.int64], "pd.Series[float]",
                "pd.Series[int]"]
#: Study labels.
Labels = Union[Sequence[object], "pd.Series[str]", "pd.Index[str]", None]
FloatArray = npt.NDArray[np.float64]


class MetaAnalysisError(CourseInputError):
    """The study data cannot be pooled as given (the message says why and what to do).

    A :class:`course_utils._validate.CourseInputError` (and so a ``ValueError``).

    Examples
    --------
    >>> issubclass(MetaAnalysisError, ValueError)
    True
    """


def as_float_array(values: object, what: str) -> FloatArray:
    """``values`` as a 1-D float array; text, numeric strings and true/false values are refused.

    Text is refused by the course's validation kit (:func:`course_utils._validate.finite_numbers`),
    so the message is the same as in every other module.

    Examples
    --------
    >>> as_float_array([1, 2.5], "effect").tolist()
    [1.0, 2.5]
    """
    if isinstance(values, (str, bytes)):
        raise MetaAnalysisError(f"{what} must be numbers, one per study; got the text {values!r:.60}")
    if isinstance(values, pd.Series):
        if pd.api.types.is_bool_dtype(values.dtype):
            raise MetaAnalysisError(f"{what} holds true/false values; give numbers, one per study")
        if pd.api.types.is_numeric_dtype(values.dtype):
            return values.to_numpy(dtype="float64", na_value=np.nan)
        values = values.to_numpy(dtype=object)
    array = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if array.ndim != 1:
        raise MetaAnalysisError(
            f"{what} must be one number per study (a 1-D list or Series), got shape {array.shape}"
        )
    if array.dtype.kind == "b" or any(isinstance(x, (bool, np.bool_)) for x in array.ravel()):
        raise MetaAnalysisError(f"{what} holds true/false values; give numbers, one per study")
    if array.dtype.kind in "iuf":
        return np.asarray(array, dtype="float64")
    if all(x is None or x is pd.NA or isinstance(x, (numbers.Real, np.number)) for x in array):
        return np.array([np.nan if (x is None or x is pd.NA) else float(x) for x in array], dtype="float64")
    return finite_numbers(array, what, error=MetaAnalysisError, allow_nan=True)


def labels_for(values: object, labels: Labels, k: int) -> list[str]:
    """Study labels: given ones, the Series index, or 'study 1', 'study 2', …"""
    if labels is None:
        if isinstance(values, pd.Series):
            return [str(i) for i in values.index]
        return [f"study {i + 1}" for i in range(k)]
    names = [str(x) for x in labels]
    if len(names) != k:
        raise MetaAnalysisError(f"got {len(names)} labels for {k} studies; give one label per study")
    return names


def listed(mask: object, labels: Sequence[str]) -> str:
    """The first few labels where ``mask`` is true, for an error message."""
    chosen = [labels[int(i)] for i in np.flatnonzero(np.asarray(mask, dtype=bool))]
    more = f" and {len(chosen) - 6} more" if len(chosen) > 6 else ""
    return ", ".join(chosen[:6]) + more


def check_studies(effect: object, variance: object, labels: Labels,
                  *, minimum: int = 2) -> tuple[FloatArray, FloatArray, list[str]]:
    """Validated effects, variances and labels (see :func:`course_utils.meta_analysis`)."""
    y = as_float_array(effect, "effect")
    v = as_float_array(variance, "variance")
    if y.shape != v.shape:
        raise MetaAnalysisError(
            f"effect has {y.size} values but variance has {v.size}; give one effect and one variance per study"
        )
    names = labels_for(effect, labels, y.size)
    missing = np.isnan(y) | np.isnan(v)
    if missing.any():
        raise MetaAnalysisError(
            f"{int(missing.sum())} stud{'y has' if missing.sum() == 1 else 'ies have'} a missing effect or variance "
            f"({listed(missing, names)}). Nothing is dropped silently: remove those studies explicitly "
            "(and report that you did) or fill in their values."
        )
    if not np.isfinite(y).all():
        raise MetaAnalysisError(
            f"infinite effect for {listed(~np.isfinite(y), names)}: a log ratio is infinite when a 2×2 cell is zero; "
            "use log_ratio_from_counts, which adds 0.5 to every cell of such a table"
        )
    bad = ~np.isfinite(v) | (v <= 0)
    if bad.any():
        raise MetaAnalysisError(
            f"variances must be positive and finite; not so for {listed(bad, names)}. "
            "Pass the variance (SE squared), not the standard error or a CI."
        )
    if y.size < minimum:
        raise MetaAnalysisError(f"a meta-analysis needs at least {minimum} studies, got {y.size}")
    return y, v, names


def numeric_result(
    estimate: float,
    se: float,
    ci_low: float,
    ci_high: float,
    n: float,
    *,
    name: str | None = None,
    attrs: Mapping[str, object] | None = None,
    **extra: float,
) -> "pd.Series[float]":
    """A course result Series that is float64 throughout, with text metadata in ``.attrs``.

    Examples
    --------
    >>> r = numeric_result(1.0, 0.1, 0.8, 1.2, 3, attrs={"method": "REML"}, tau2=0.0)
    >>> r.dtype, r.attrs["method"]
    (dtype('float64'), 'REML')
    """
    result = make_result(estimate, se=se, ci_low=ci_low, ci_high=ci_high, n=n, name=name,
                         **{key: float(value) for key, value in extra.items()})
    result = result.astype("float64")
    result.attrs.update(dict(attrs or {}))
    return result


def check_counts(
    events_treated: object,
    n_treated: object,
    events_control: object,
    n_control: object,
    labels: Labels,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, list[str]]:
    """Validated 2×2 counts per study: events and group sizes, whole numbers, events ≤ group size."""
    arrays = [
        as_float_array(x, name)
        for x, name in ((events_treated, "events_treated"), (n_treated, "n_treated"),
                        (events_control, "events_control"), (n_control, "n_control"))
    ]
    k = arrays[0].size
    if any(a.size != k for a in arrays):
        sizes = ", ".join(str(a.size) for a in arrays)
        raise MetaAnalysisError(
            f"events and group sizes must have one value per study (equal lengths); got {sizes}"
        )
    if k == 0:
        raise MetaAnalysisError("no studies given: pass one count per study")
    names = labels_for(events_treated, labels, k)
    a, n1, c, n2 = arrays
    stacked = np.vstack(arrays)
    if np.isnan(stacked).any():
        bad = np.isnan(stacked).any(axis=0)
        raise MetaAnalysisError(
            f"missing counts for {listed(bad, names)}; fill them in or leave those studies out explicitly"
        )
    if (stacked < 0).any() or (stacked % 1 != 0).any() or not np.isfinite(stacked).all():
        raise MetaAnalysisError("counts must be whole numbers ≥ 0")
    if ((a > n1) | (c > n2)).any():
        bad = (a > n1) | (c > n2)
        raise MetaAnalysisError(f"more events than people in {listed(bad, names)}: pass group sizes, not non-events")
    if ((n1 == 0) | (n2 == 0)).any():
        raise MetaAnalysisError(
            f"a group of size 0 has no risk ({listed((n1 == 0) | (n2 == 0), names)}); remove that study explicitly"
        )
    return a, n1, c, n2, names
