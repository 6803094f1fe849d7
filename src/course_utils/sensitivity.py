"""Sensitivity to unmeasured confounding: E-values."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_utils._causal_common import CausalInputError
from course_utils.results import make_result

__all__ = ["e_value"]


# ====================================================================== E-values


def _rr_scale(value: float, measure: str, rare_outcome: bool) -> float:
    if measure == "RR" or rare_outcome:
        return value
    if measure == "OR":
        return math.sqrt(value)
    # HR with a common outcome (VanderWeele & Ding 2017, Table)
    return (1 - 0.5 ** math.sqrt(value)) / (1 - 0.5 ** math.sqrt(1 / value))


def _e(rr: float) -> float:
    rr = 1 / rr if rr < 1 else rr
    return rr + math.sqrt(rr * (rr - 1))


def e_value(
    estimate: float,
    ci_limit: float | Sequence[float] | None = None,
    *,
    measure: str = "RR",
    rare_outcome: bool = False,
) -> pd.Series:
    """E-value: how strong unmeasured confounding would need to be to explain away an association.

    The E-value is the minimum strength of association, on the risk-ratio
    scale, that an unmeasured confounder would need to have with both the
    exposure and the outcome, conditional on the measured covariates, to fully
    explain away the observed association (VanderWeele TJ, Ding P. Ann Intern
    Med 2017;167(4):268–274, doi:10.7326/M16-2607):
    E = RR + √(RR·(RR − 1)), with RR replaced by 1/RR when RR < 1.

    Odds and hazard ratios are first put on the risk-ratio scale: used as they
    are when the outcome is rare (``rare_outcome=True``, under about 15% by the
    paper's rule of thumb); otherwise OR → √OR and
    HR → (1 − 0.5^√HR) / (1 − 0.5^√(1/HR)).

    Parameters
    ----------
    estimate : float
        The ratio estimate (> 0).
    ci_limit : float or (low, high), optional
        The confidence limit nearer the null, or both limits (the one nearer
        the null is chosen).  The ``ci`` E-value is 1 when the interval
        includes the null.
    measure : {"RR", "OR", "HR"}
    rare_outcome : bool, default False
        Whether the outcome is rare, which decides the OR/HR conversion.

    Returns
    -------
    pandas.Series
        The course's result shape (float): ``estimate`` is the E-value of the
        point estimate (``se``, ``ci_low``, ``ci_high``, ``n`` are NaN: an
        E-value has no sampling interval), then ``point`` (the same number),
        ``ci`` (E-value of the limit nearer the null; NaN when no CI was
        given), ``rr_point``/``rr_ci`` (the values on the risk-ratio scale that
        were used); ``attrs`` holds ``measure`` and ``rare_outcome``.

    Raises
    ------
    CausalInputError
        A ratio that is not a positive number (text such as ``"3.9"`` included),
        or a limit on the wrong side of the estimate.

    Examples
    --------
    >>> r = e_value(3.9, (1.8, 8.7))
    >>> r.round(2).tolist()
    [7.26, nan, nan, nan, nan, 7.26, 3.0, 3.9, 1.8]
    >>> float(e_value(1.5, (0.9, 2.4))["ci"])
    1.0
    """
    measure = str(measure).upper()
    if measure not in ("RR", "OR", "HR"):
        raise CausalInputError(f"measure must be 'RR', 'OR' or 'HR', got {measure!r}")
    if not isinstance(rare_outcome, (bool, np.bool_)):
        raise CausalInputError("rare_outcome is True or False (is the outcome rare, under about 15%?)")

    def positive(x: Any, what: str) -> float:
        if isinstance(x, (str, bytes)):
            raise CausalInputError(
                f"{what} must be a number, but it is the text {x!r}; convert with float() or pd.to_numeric first"
            )
        try:
            value = float(x)
        except (TypeError, ValueError):
            raise CausalInputError(f"{what} must be a number (a risk, odds or hazard ratio), got {x!r}") from None
        if not math.isfinite(value) or value <= 0:
            raise CausalInputError(f"{what} must be a positive ratio (a risk, odds or hazard ratio), got {x!r}")
        return value

    est = positive(estimate, "estimate")
    rr = _rr_scale(est, measure, bool(rare_outcome))
    point = _e(rr) if rr != 1 else 1.0
    ci_value, rr_ci = math.nan, math.nan
    if ci_limit is not None:
        if isinstance(ci_limit, (tuple, list, np.ndarray, pd.Series)):
            if len(ci_limit) != 2:
                raise CausalInputError("ci_limit is one number (the limit nearer the null) or a (low, high) pair")
            low, high = sorted(positive(c, "a confidence limit") for c in ci_limit)
            if not low <= est <= high:
                raise CausalInputError(f"the estimate {est} lies outside its interval ({low}, {high})")
            crosses = low <= 1 <= high
            limit = low if est > 1 else high
        else:
            limit = positive(ci_limit, "ci_limit")
            crosses = (est >= 1 and limit <= 1) or (est <= 1 and limit >= 1)
            if (est > 1 and limit > est) or (est < 1 and limit < est):
                raise CausalInputError(
                    f"ci_limit {limit} is farther from the null than the estimate {est}; pass the limit nearer "
                    "the null (the lower limit when the estimate is above 1, the upper when below), or both limits"
                )
        rr_ci = _rr_scale(limit, measure, bool(rare_outcome))
        ci_value = 1.0 if crosses else _e(rr_ci)
    result = make_result(point, math.nan, math.nan, math.nan, name="e_value", point=point, ci=ci_value,
                         rr_point=rr, rr_ci=rr_ci)
    result.attrs.update({"measure": measure, "rare_outcome": bool(rare_outcome),
                         "meaning": "estimate = E-value of the point estimate; ci = E-value of the limit nearer the null"})
    return result
