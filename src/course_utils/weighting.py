"""Inverse-probability weighting: propensity scores, weights, marginal structural models, diagnostics."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_utils._causal_common import (
    _PS_EPS,
    CausalInputError,
    PositivityError,
    _binary,
    _finish,
    _fit_glm,
    _measure_for,
    _model_frame,
    _no_missing,
    _require_columns,
    _require_frame,
    _split_formula,
)

__all__ = ["propensity_scores", "ip_weights", "ipw_effect", "weight_diagnostics", "positivity_check"]


# ====================================================================== IP weighting


def _ps_formula(ps_formula: str, treatment: str) -> str:
    if not isinstance(ps_formula, str) or not ps_formula.strip():
        raise CausalInputError("ps_formula is the model for treatment, e.g. 'sex + age + I(age**2)'")
    if "~" not in ps_formula:
        return f"{treatment} ~ {ps_formula.strip()}"
    lhs, _ = _split_formula(ps_formula)
    if lhs != treatment:
        raise CausalInputError(
            f"the propensity-score formula models {lhs!r}, but the treatment is {treatment!r}; "
            f"write it as '{treatment} ~ covariates' or give only the covariates"
        )
    return ps_formula


def _propensity(data: pd.DataFrame, treatment: str, ps_formula: str, *, strict: bool) -> tuple[np.ndarray, np.ndarray]:
    _require_frame(data)
    a = _binary(data, treatment, "treatment")
    formula = _ps_formula(ps_formula, treatment)
    frame = _model_frame(data, formula, [treatment])
    result = _fit_glm(formula, frame, data, "logistic")
    ps = np.asarray(result.predict(), dtype=float)
    if strict:
        degenerate = (ps <= _PS_EPS) | (ps >= 1 - _PS_EPS)
        if degenerate.any():
            raise PositivityError(
                f"{int(degenerate.sum())} people have an estimated propensity score of 0 or 1 (no chance of "
                "one treatment level given their covariates), so their weight is infinite. Look at "
                "positivity_check(...) and cross-tables of treatment by covariates; restrict the analysis to "
                "people who could receive either level, or simplify the propensity model."
            )
    return a, ps


def propensity_scores(data: pd.DataFrame, treatment: str, ps_formula: str) -> pd.Series:
    """Estimated probability of treatment given covariates, P(A = 1 | L), from a logistic model.

    Parameters
    ----------
    data : DataFrame
    treatment : str
        0/1 column.
    ps_formula : str
        Covariates (``"sex + age + I(age**2)"``) or a full formula with the
        treatment on the left.

    Raises
    ------
    PositivityError
        A score of (numerically) 0 or 1, or perfect separation.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [0, 1, 0, 1, 1, 0], "l": [0, 0, 1, 1, 1, 0]})
    >>> propensity_scores(df, "a", "l").round(3).tolist()
    [0.333, 0.333, 0.667, 0.667, 0.667, 0.333]
    """
    _, ps = _propensity(data, treatment, ps_formula, strict=True)
    return pd.Series(ps, index=data.index, name="propensity_score")


def ip_weights(data: pd.DataFrame, treatment: str, ps_formula: str, *, stabilized: bool = True) -> pd.Series:
    """Inverse-probability-of-treatment weights.

    Unstabilised: 1 / P(A = a | L) for the treatment level a each person had.
    Stabilised: P(A = a) / P(A = a | L) (mean close to 1; same point estimate
    for a saturated marginal structural model, less variable).

    Examples
    --------
    >>> df = pd.DataFrame({"a": [0, 1, 0, 1, 1, 0], "l": [0, 0, 1, 1, 1, 0]})
    >>> ip_weights(df, "a", "l", stabilized=False).round(2).tolist()
    [1.5, 3.0, 3.0, 1.5, 1.5, 1.5]
    """
    a, ps = _propensity(data, treatment, ps_formula, strict=True)
    p_obs = np.where(a == 1, ps, 1 - ps)
    if stabilized:
        share = a.mean()
        numerator = np.where(a == 1, share, 1 - share)
    else:
        numerator = np.ones_like(p_obs)
    return pd.Series(numerator / p_obs, index=data.index, name="sw" if stabilized else "w")


def ipw_effect(
    data: pd.DataFrame,
    treatment: str,
    outcome: str,
    ps_formula: str,
    *,
    stabilized: bool = True,
    measure: str | None = None,
) -> pd.Series:
    """Average causal effect of a binary treatment by inverse-probability weighting.

    Fits the propensity-score model (logistic), weights each person by
    :func:`ip_weights`, and fits the marginal structural model
    ``outcome ~ treatment`` to the weighted data with robust (sandwich)
    standard errors — the same numbers as GEE with an independence working
    correlation and one cluster per person, as in *What If* (Hernán & Robins)
    chapter 12.  The robust interval ignores that the weights were estimated,
    which makes it slightly conservative.

    Parameters
    ----------
    data : DataFrame
    treatment : str
        0/1 column.
    outcome : str
        Continuous or 0/1 column, no missing values.
    ps_formula : str
        Covariates of the propensity model (or ``"treatment ~ covariates"``).
    stabilized : bool, default True
    measure : {"difference", "ratio", "odds ratio"}, optional
        ``"difference"`` (default): identity link; ``"ratio"``: log link
        (Poisson working model); ``"odds ratio"``: logit link.  Ratios need a
        0/1 outcome.

    Returns
    -------
    pandas.Series
        Result shape plus ``measure``, ``mean_treated``/``mean_untreated``
        (weighted means, i.e. estimates of E[Y^1], E[Y^0]), ``stabilized``,
        ``max_weight``, ``method``.

    Raises
    ------
    PositivityError
        An estimated propensity score of 0 or 1.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [0, 1, 0, 1, 1, 0, 0, 1], "l": [0, 0, 1, 1, 1, 0, 1, 0],
    ...                    "y": [1., 2, 3, 5, 5, 1, 3, 2]})
    >>> float(round(ipw_effect(df, "a", "y", "l")["estimate"], 3))
    1.5
    """
    # the specific modules, not statsmodels.api (which also imports the time-series and graphics code)
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    _require_frame(data)
    _require_columns(data, [outcome], "outcome")
    _no_missing(data, [outcome])
    if not pd.api.types.is_numeric_dtype(data[outcome]) and not pd.api.types.is_bool_dtype(data[outcome]):
        raise CausalInputError(f"outcome {outcome!r} must be numeric (a measurement, or 0/1)")
    y = data[outcome].to_numpy(dtype=float)
    binary = set(np.unique(y).tolist()) <= {0.0, 1.0}
    measure = _measure_for("logistic" if binary else "linear", measure)
    w = ip_weights(data, treatment, ps_formula, stabilized=stabilized).to_numpy()
    a = data[treatment].to_numpy(dtype=float)
    family = {
        "difference": families.Gaussian(),
        "ratio": families.Poisson(),
        "odds ratio": families.Binomial(),
    }[measure]
    X = np.column_stack([np.ones_like(a), a])
    # A weighted GLM with the robust (HC0) sandwich gives exactly the estimates and standard errors
    # of GEE with an independence working correlation and one cluster per person (R's geeglm in
    # What If), and is much faster on large surveys.
    fit = GLM(y, X, family=family, var_weights=w).fit(cov_type="HC0")
    coef, se = float(fit.params[1]), float(fit.bse[1])
    mean1 = float(np.sum(w * a * y) / np.sum(w * a))
    mean0 = float(np.sum(w * (1 - a) * y) / np.sum(w * (1 - a)))
    return _finish(coef, se, measure, len(y), mean_treated=mean1, mean_untreated=mean0,
                   stabilized=stabilized, max_weight=float(w.max()), method="IP weighting (robust SE)")


# ====================================================================== diagnostics


def weight_diagnostics(weights: Any, treatment: Any = None, *, threshold: float = 10.0) -> pd.DataFrame:
    """Distribution of IP weights, overall and by treatment group.

    Parameters
    ----------
    weights : array-like
        The weights (e.g. from :func:`ip_weights`).
    treatment : array-like, optional
        0/1 treatment, aligned with ``weights``, to summarise each group.
    threshold : float, default 10
        Weights above it are counted as extreme.

    Returns
    -------
    pandas.DataFrame
        Rows ``all`` (and ``treated``, ``untreated``): ``n``, ``mean``, ``sd``,
        ``min``, ``p01``, ``median``, ``p99``, ``max``, ``n_extreme`` (above the
        threshold) and ``ess`` (effective sample size, (Σw)² / Σw²).  Stabilised
        weights should have mean close to 1; a mean far from 1 or a few huge
        weights signal model misspecification or near-violations of positivity.

    Examples
    --------
    >>> float(weight_diagnostics([1, 1, 2, 4], [0, 0, 1, 1]).loc["treated", "mean"])
    3.0
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or len(w) == 0:
        raise CausalInputError("weights must be a non-empty one-dimensional array")
    if not np.isfinite(w).all() or (w < 0).any():
        raise CausalInputError("weights must be finite and non-negative; missing or infinite weights mean "
                               "something went wrong upstream (see positivity_check)")
    groups = {"all": np.ones(len(w), dtype=bool)}
    if treatment is not None:
        a = np.asarray(treatment, dtype=float)
        if a.shape != w.shape:
            raise CausalInputError(f"treatment has {a.size} values but weights have {w.size}")
        if not set(np.unique(a).tolist()) <= {0.0, 1.0}:
            raise CausalInputError("treatment must be coded 0/1")
        groups |= {"treated": a == 1, "untreated": a == 0}
        for name in ("treated", "untreated"):
            if not groups[name].any():
                raise CausalInputError(
                    f"treatment has no {name} people (all {a.size} values are {int(a[0])}); IP weights compare "
                    "two groups — check that the treatment column is the one the weights were built for"
                )
    rows = []
    for name, mask in groups.items():
        x = w[mask]
        rows.append({
            "group": name, "n": int(mask.sum()), "mean": x.mean(), "sd": x.std(ddof=1) if len(x) > 1 else math.nan,
            "min": x.min(), "p01": np.percentile(x, 1), "median": np.median(x), "p99": np.percentile(x, 99),
            "max": x.max(), "n_extreme": int((x > threshold).sum()), "ess": x.sum() ** 2 / (x**2).sum(),
        })
    return pd.DataFrame(rows).set_index("group")


def positivity_check(
    data: pd.DataFrame, treatment: str, ps_formula: str, *, bounds: tuple[float, float] = (0.05, 0.95)
) -> pd.DataFrame:
    """How well the treatment groups overlap in their propensity scores.

    Unlike :func:`propensity_scores` this never raises on scores of 0 or 1: it
    reports them, so you can see the problem.

    Returns
    -------
    pandas.DataFrame
        Rows ``untreated`` and ``treated``: ``n``, ``ps_min``, ``ps_median``,
        ``ps_max``, ``n_below`` / ``n_above`` (scores outside ``bounds``),
        ``n_outside_overlap`` (scores outside the range the two groups share),
        ``n_degenerate`` (scores of 0 or 1 to numerical precision).

    Examples
    --------
    >>> df = pd.DataFrame({"a": [0, 1, 0, 1, 1, 0], "l": [0, 0, 1, 1, 1, 0]})
    >>> positivity_check(df, "a", "l")["n_outside_overlap"].tolist()
    [0, 0]
    """
    low_b, high_b = bounds
    if not 0 <= low_b < high_b <= 1:
        raise CausalInputError(f"bounds must satisfy 0 <= low < high <= 1, got {bounds!r}")
    a, ps = _propensity(data, treatment, ps_formula, strict=False)
    lo = max(ps[a == 1].min(), ps[a == 0].min())
    hi = min(ps[a == 1].max(), ps[a == 0].max())
    rows = {}
    for name, mask in (("untreated", a == 0), ("treated", a == 1)):
        x = ps[mask]
        rows[name] = {
            "n": int(mask.sum()), "ps_min": x.min(), "ps_median": float(np.median(x)), "ps_max": x.max(),
            "n_below": int((x < low_b).sum()), "n_above": int((x > high_b).sum()),
            "n_outside_overlap": int(((x < lo) | (x > hi)).sum()),
            "n_degenerate": int(((x <= _PS_EPS) | (x >= 1 - _PS_EPS)).sum()),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "group"
    return frame


