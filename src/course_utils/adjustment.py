"""Regression adjustment and standardisation (the parametric g-formula)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_utils._causal_common import (
    CausalInputError,
    _binary,
    _complete,
    _contrast_influence,
    _contrast_value,
    _expit,
    _design,
    _finish,
    _fit_glm,
    _formula_columns,
    _kind_for,
    _logistic_newton,
    _measure_for,
    _model_frame,
    _record,
    _require_columns,
    _require_frame,
    _split_formula,
)
from course_utils.results import from_ratio_log_ci, make_result
from course_utils.seeding import rng

__all__ = ["regression_effect", "standardized_effect", "COV_TYPES"]

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3")


# ====================================================================== regression adjustment


def regression_effect(
    data: pd.DataFrame,
    formula: str,
    exposure: str,
    *,
    kind: str | None = None,
    cov_type: str = "nonrobust",
    dropna: bool = False,
) -> pd.Series:
    """The exposure's coefficient from an outcome regression, on the interpretable scale.

    ``kind="logistic"`` gives the (conditional) odds ratio, ``kind="linear"``
    the adjusted difference in means; by default the kind follows the outcome
    (0/1 → logistic, otherwise linear).

    Parameters
    ----------
    data : DataFrame
    formula : str
        e.g. ``"AMDEYR ~ kratom_py + chronic_pain + C(CATAG6)"``.
    exposure : str
        The exposure column; its coefficient is the one reported (``exposure``,
        or a single term like ``exposure[T.1]`` when it enters as a category).
    kind : {"linear", "logistic"}, optional
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3"}, default "nonrobust"
        The standard error: model-based, or a heteroskedasticity-consistent
        (sandwich) one named as in R's ``sandwich::vcovHC``: ``"HC0"`` (White),
        ``"HC1"`` (HC0 × n / (n − k), Stata's ``robust``), ``"HC2"``, ``"HC3"``
        (leverage-adjusted).  For a logistic model the sandwich is computed
        here (statsmodels' discrete models give HC0 under every name); robust
        intervals and p-values are normal-theory (Wald), as R's ``coeftest``
        for a GLM.
    dropna : bool, default False
        Missing values in the formula's columns raise; ``True`` analyses the
        complete cases (a warning says how many rows were left out;
        ``attrs["n_dropped"]``).

    Returns
    -------
    pandas.Series
        Result shape with ``measure``, ``term``, ``p_value``, ``formula``, ``cov_type``; the
        ``n`` is the number of rows used.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1., 2, 3, 5, 6, 8], "a": [0, 0, 0, 1, 1, 1], "z": [0, 1, 2, 0, 1, 2]})
    >>> float(round(regression_effect(df, "y ~ a + z", "a")["estimate"], 3))
    4.333
    """
    _require_frame(data)
    lhs, _ = _split_formula(formula)
    _require_columns(data, [exposure], "exposure")
    if exposure not in _formula_columns(formula, data):
        raise CausalInputError(f"the exposure {exposure!r} does not appear in the formula {formula!r}")
    data, n_dropped = _complete(data, [exposure, *_formula_columns(formula, data)], dropna)
    frame = _model_frame(data, formula, [exposure])
    if lhs in frame.columns:
        kind = _kind_for(frame[lhs].to_numpy(dtype=float), kind, lhs)
    elif kind is None:
        kind = "linear"
    if cov_type not in COV_TYPES:
        raise CausalInputError(
            f"cov_type must be one of {', '.join(map(repr, COV_TYPES))} (as R's sandwich::vcovHC types), "
            f"got {cov_type!r}"
        )
    # statsmodels' discrete models return HC0 for every "HC*" name, so the logistic sandwich is computed here
    result = _fit_glm(formula, frame, data, kind, cov_type if kind == "linear" else "nonrobust")
    names = list(result.params.index)
    matches = [t for t in names if t == exposure or t.startswith(f"{exposure}[") or t.startswith(f"C({exposure})[")]
    if len(matches) != 1:
        raise CausalInputError(
            f"cannot identify one coefficient for {exposure!r} among the model terms {names}; "
            "enter the exposure as a single 0/1 column"
        )
    term = matches[0]
    coef, se = float(result.params[term]), float(result.bse[term])
    p_value = float(result.pvalues[term])
    if kind == "logistic" and cov_type != "nonrobust":
        cov = _logistic_sandwich(result, cov_type)
        position = names.index(term)
        se = math.sqrt(float(cov[position, position]))
        p_value = _normal_p(coef / se)
    common = {"term": term, "p_value": p_value, "formula": formula, "cov_type": cov_type}
    if kind == "logistic":
        out = from_ratio_log_ci(coef, se, n=int(result.nobs), measure="odds ratio", **common)
    else:
        low, high = result.conf_int().loc[term]
        df = float(result.df_resid) if cov_type == "nonrobust" else None
        out = make_result(coef, se, float(low), float(high), n=int(result.nobs), df=df, measure="difference",
                          **common)
    out.attrs["n_dropped"] = n_dropped
    return out


def _normal_p(z: float) -> float:
    """Two-sided p-value of a z statistic."""
    return math.erfc(abs(z) / math.sqrt(2))


def _logistic_sandwich(result: Any, cov_type: str) -> np.ndarray:
    """Heteroskedasticity-consistent covariance of a logistic fit, as R's ``sandwich::vcovHC``.

    V = (X'WX)^-1 [sum_i omega_i (y_i - p_i)^2 x_i x_i'] (X'WX)^-1, with omega_i = 1 (HC0),
    n / (n - k) (HC1), 1 / (1 - h_i) (HC2) or 1 / (1 - h_i)^2 (HC3); h_i are the diagonal
    elements of the weighted hat matrix W^1/2 X (X'WX)^-1 X' W^1/2 (R's ``hatvalues.glm``).
    """
    X = np.asarray(result.model.exog, dtype=float)
    y = np.asarray(result.model.endog, dtype=float)
    p = _expit(X @ np.asarray(result.params, dtype=float))
    w = p * (1 - p)
    bread = np.linalg.inv((X * w[:, None]).T @ X)
    n, k = X.shape
    if cov_type == "HC0":
        omega = np.ones(n)
    elif cov_type == "HC1":
        omega = np.full(n, n / (n - k))
    else:
        h = np.einsum("ij,jk,ik->i", X, bread, X) * w
        omega = 1 / (1 - h) if cov_type == "HC2" else 1 / (1 - h) ** 2
    scores = X * (y - p)[:, None]
    meat = (scores * omega[:, None]).T @ scores
    return np.asarray(bread @ meat @ bread)


# ====================================================================== standardisation (g-formula)


def standardized_effect(
    data: pd.DataFrame,
    treatment: str,
    outcome: str,
    outcome_formula: str,
    *,
    kind: str | None = None,
    measure: str | None = None,
    standardize_to: pd.DataFrame | None = None,
    ci: str = "sandwich",
    n_boot: int = 500,
    seed: int | None = None,
    dropna: bool = False,
) -> pd.Series:
    """Average causal effect of a binary treatment by standardisation (the parametric g-formula).

    Fit the outcome model, predict every person's outcome with the treatment
    set to 1 and to 0, average the predictions (standardising to the covariate
    distribution of ``data`` or of ``standardize_to``) and contrast the averages.

    Parameters
    ----------
    data : DataFrame
        The people the outcome model is fitted to (no missing values in the
        columns the formula uses).
    treatment, outcome : str
        ``treatment`` is 0/1; ``outcome`` continuous (linear model) or 0/1
        (logistic model).
    outcome_formula : str
        Must include the treatment, e.g. ``"wt82_71 ~ qsmk + sex + age + I(age**2)"``.
    kind : {"linear", "logistic"}, optional
        Default: logistic for a 0/1 outcome, linear otherwise.
    measure : {"difference", "ratio", "odds ratio"}, optional
        Contrast of the standardised means; default ``"difference"``.
    standardize_to : DataFrame, optional
        The population to standardise to (default ``data``); e.g. all
        participants, including those whose outcome is missing, as in
        *What If* Program 13.3.
    ci : {"sandwich", "bootstrap"}
        ``"sandwich"``: influence-function (robust) variance, deterministic.
        ``"bootstrap"``: standard error from ``n_boot`` resamples drawn with
        :func:`course_utils.seeding.rng` (``seed``, stream ``"bootstrap"``) and
        a normal-approximation interval, as in *What If* Program 13.4.
    n_boot : int, default 500
        Number of bootstrap resamples (``ci="bootstrap"``).
    seed : int, optional
        Seed of the bootstrap draws.
    dropna : bool, default False
        Missing values raise; ``True`` fits the model to the complete cases
        (a warning says how many were left out; ``attrs["n_dropped"]``).

    Returns
    -------
    pandas.Series
        Result shape plus ``measure``, ``mean_treated`` and ``mean_untreated``
        (the standardised means E[Y^1], E[Y^0]), ``method``, ``ci_method``.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [0, 0, 1, 1, 0, 1, 0, 1], "l": [0, 1, 0, 1, 1, 1, 0, 0],
    ...                    "y": [1., 3, 2, 5, 3, 5, 1, 2]})
    >>> float(round(standardized_effect(df, "a", "y", "y ~ a + l + a:l")["estimate"], 3))
    1.5
    """
    _require_frame(data)
    measure_in = measure
    _require_columns(data, [treatment], "treatment")
    _require_columns(data, [outcome], "outcome")
    data, n_dropped = _complete(data, [treatment, outcome, *_formula_columns(outcome_formula, data)], dropna)
    a = _binary(data, treatment, "treatment")
    lhs, _ = _split_formula(outcome_formula)
    if lhs != outcome:
        raise CausalInputError(f"the outcome formula's left side is {lhs!r}, but outcome is {outcome!r}")
    if treatment not in _formula_columns(outcome_formula, data):
        raise CausalInputError(f"the treatment {treatment!r} must appear in the outcome formula")
    frame = _model_frame(data, outcome_formula, [treatment, outcome])
    yv = frame[outcome].to_numpy(dtype=float)
    kind = _kind_for(yv, kind, outcome)
    measure = _measure_for(kind, measure_in)
    if ci not in ("sandwich", "bootstrap"):
        raise CausalInputError(f"ci must be 'sandwich' or 'bootstrap', got {ci!r}")
    result = _fit_glm(outcome_formula, frame, data, kind)
    beta = result.params.to_numpy(dtype=float)
    X = _design(result, frame)
    if standardize_to is None:
        target = frame
    else:
        _require_frame(standardize_to)
        target = _model_frame(standardize_to, outcome_formula.split("~", 1)[1], [treatment])
    X1 = _design(result, target.assign(**{treatment: 1.0}))
    X0 = _design(result, target.assign(**{treatment: 0.0}))
    link = (lambda eta: eta) if kind == "linear" else (lambda eta: 1.0 / (1.0 + np.exp(-eta)))
    m1, m0 = link(X1 @ beta), link(X0 @ beta)
    psi1, psi0 = float(m1.mean()), float(m0.mean())
    value = _contrast_value(psi1, psi0, measure)
    extra = {"mean_treated": psi1, "mean_untreated": psi0, "method": "standardisation (g-formula)",
             "ci_method": ci}
    n = len(frame)
    if ci == "sandwich":
        n_fit, n_target = len(frame), len(target)
        if kind == "linear":
            resid = yv - X @ beta
            bread = np.linalg.inv(X.T @ X / n_fit)
            d1, d0 = np.ones(n_target), np.ones(n_target)
        else:
            p = link(X @ beta)
            resid = yv - p
            bread = np.linalg.inv((X * (p * (1 - p))[:, None]).T @ X / n_fit)
            d1, d0 = m1 * (1 - m1), m0 * (1 - m0)
        if_beta = (X * resid[:, None]) @ bread  # n_fit × k, influence of beta
        g1, g0 = (X1 * d1[:, None]).mean(axis=0), (X0 * d0[:, None]).mean(axis=0)
        if_model = _contrast_influence(psi1, psi0, if_beta @ g1, if_beta @ g0, measure)
        if_target = _contrast_influence(psi1, psi0, m1 - psi1, m0 - psi0, measure)
        if standardize_to is None:
            var = float(np.sum((if_model + if_target) ** 2)) / n_fit**2
        else:  # fitted and target samples treated as independent
            var = float(np.sum(if_model**2)) / n_fit**2 + float(np.sum(if_target**2)) / n_target**2
        return _record(_finish(value, math.sqrt(var), measure, n, **extra), n_dropped)
    draws = _bootstrap_gformula(X, yv, X1, X0, beta, kind, measure, standardize_to is not None, n_boot, seed)
    # Wald interval with the bootstrap standard error (on the log scale for ratios), as in the
    # published code of What If, Program 13.4
    return _record(_finish(value, float(np.std(draws, ddof=1)), measure, n, n_boot=n_boot, **extra), n_dropped)


def _bootstrap_gformula(X: np.ndarray, y: np.ndarray, X1: np.ndarray, X0: np.ndarray, beta: np.ndarray,
                        kind: str, measure: str, separate_target: bool, n_boot: int, seed: int | None
                        ) -> np.ndarray:
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 50:
        raise CausalInputError(f"n_boot must be a whole number of at least 50, got {n_boot!r}")
    gen = rng(seed, "bootstrap")
    n, n_t = len(y), len(X1)
    out = np.empty(n_boot)
    for b in range(n_boot):
        idx = gen.integers(0, n, n)
        tidx = gen.integers(0, n_t, n_t) if separate_target else idx
        if kind == "linear":
            xb = X[idx]
            bb = np.linalg.solve(xb.T @ xb, xb.T @ y[idx])
            m1, m0 = X1[tidx] @ bb, X0[tidx] @ bb
        else:
            bb = _logistic_newton(X[idx], y[idx], beta)
            m1, m0 = 1 / (1 + np.exp(-X1[tidx] @ bb)), 1 / (1 + np.exp(-X0[tidx] @ bb))
        out[b] = _contrast_value(float(m1.mean()), float(m0.mean()), measure)
    return out


