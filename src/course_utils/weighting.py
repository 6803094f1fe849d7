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
    _complete,
    _finish,
    _fit_glm,
    _formula_columns,
    _formula_error,
    _measure_for,
    _model_frame,
    _require_columns,
    _require_frame,
    _split_formula,
)
from course_utils.results import critical_value, make_result, result_frame

__all__ = [
    "propensity_scores",
    "ip_weights",
    "censoring_weights",
    "ipw_effect",
    "ipw_msm",
    "weight_diagnostics",
    "positivity_check",
]


# ====================================================================== IP weighting

FAMILIES = ("gaussian", "binomial", "poisson")


def _rhs_formula(formula: str | None, lhs: str, what: str, example: str) -> str:
    """``"lhs ~ rhs"`` from covariates only or from a full formula whose left side must be ``lhs``."""
    if not isinstance(formula, str) or not formula.strip():
        raise CausalInputError(f"{what} is a model formula, e.g. {example!r}; got {formula!r}")
    if "~" not in formula:
        return f"{lhs} ~ {formula.strip()}"
    left, right = _split_formula(formula)
    if left != lhs:
        raise CausalInputError(
            f"the {what} models {left!r}, but it should model {lhs!r}; write it as '{lhs} ~ covariates' "
            "or give only the covariates"
        )
    return f"{lhs} ~ {right}"


def _ps_formula(ps_formula: str, treatment: str) -> str:
    return _rhs_formula(ps_formula, treatment, "propensity-score formula", "sex + age + I(age**2)")


def _columns_of(data: pd.DataFrame, *formulas: str | None) -> list[str]:
    found: list[str] = []
    for formula in formulas:
        if formula:
            found += [c for c in _formula_columns(formula, data) if c not in found]
    return found


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


def _treatment_kind(values: np.ndarray, treatment: str) -> str:
    levels = np.unique(values)
    if set(levels.tolist()) <= {0.0, 1.0}:
        if len(levels) < 2:
            raise CausalInputError(
                f"treatment {treatment!r} takes only the value {levels[0]:g}; a comparison needs people at both levels"
            )
        return "binary"
    if len(levels) <= 5:
        raise CausalInputError(
            f"treatment {treatment!r} has {len(levels)} values ({', '.join(f'{v:g}' for v in levels)}): IP weighting "
            "here handles a binary (0/1) treatment or a continuous one (e.g. a dose); make a 0/1 indicator for the "
            "comparison you mean"
        )
    return "continuous"


def _normal_density(x: np.ndarray, mean: np.ndarray, sd: float) -> np.ndarray:
    return np.asarray(np.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * math.sqrt(2 * math.pi)))


def _treatment_weights(
    frame: pd.DataFrame, data: pd.DataFrame, treatment: str, ps_formula: str,
    numerator_formula: str | None, stabilized: bool,
) -> tuple[np.ndarray, str]:
    """IP weights for treatment: binary (propensity scores) or continuous (normal densities)."""
    a = frame[treatment].to_numpy(dtype=float)
    kind = _treatment_kind(a, treatment)
    formula = _ps_formula(ps_formula, treatment)
    numerator = None if numerator_formula is None else _rhs_formula(
        numerator_formula, treatment, "numerator formula", "sex")
    if kind == "binary":
        ps = np.asarray(_fit_glm(formula, frame, data, "logistic").predict(), dtype=float)
        degenerate = (ps <= _PS_EPS) | (ps >= 1 - _PS_EPS)
        if degenerate.any():
            raise PositivityError(
                f"{int(degenerate.sum())} people have an estimated propensity score of 0 or 1 (no chance of "
                "one treatment level given their covariates), so their weight is infinite. Look at "
                "positivity_check(...) and cross-tables of treatment by covariates; restrict the analysis to "
                "people who could receive either level, or simplify the propensity model."
            )
        p_obs = np.where(a == 1, ps, 1 - ps)
        if not stabilized:
            return 1 / p_obs, kind
        if numerator is None:
            share = float(a.mean())
            return np.where(a == 1, share, 1 - share) / p_obs, kind
        pn = np.asarray(_fit_glm(numerator, frame, data, "logistic").predict(), dtype=float)
        return np.where(a == 1, pn, 1 - pn) / p_obs, kind
    if not stabilized:
        raise CausalInputError(
            f"treatment {treatment!r} is continuous: only stabilised weights f(A | V) / f(A | L) are used "
            "(unstabilised density weights 1 / f(A | L) have infinite variance, What If §12.4); pass stabilized=True"
        )
    den = _fit_glm(formula, frame, data, "linear")
    num = _fit_glm(numerator or f"{treatment} ~ 1", frame, data, "linear")
    dens_den = _normal_density(a, np.asarray(den.fittedvalues, dtype=float), math.sqrt(float(den.scale)))
    dens_num = _normal_density(a, np.asarray(num.fittedvalues, dtype=float), math.sqrt(float(num.scale)))
    if (dens_den <= 0).any():
        raise PositivityError(
            f"the treatment model gives a density of 0 to {int((dens_den <= 0).sum())} observed doses; "
            "check for extreme doses or simplify the model"
        )
    return dens_num / dens_den, kind


def _censoring_weights(
    frame: pd.DataFrame, data: pd.DataFrame, observed: np.ndarray, censoring_formula: str,
    numerator_rhs: str | None, stabilized: bool,
) -> np.ndarray:
    """Inverse probability of remaining uncensored, P(C=0 | V) / P(C=0 | L); 0 for the censored."""
    if observed.all():
        raise CausalInputError(
            "censoring_formula was given but no outcome is missing, so nobody is censored and there is nothing "
            "to weight for; leave out censoring_formula"
        )
    if not observed.any():
        raise CausalInputError("every outcome is missing: nobody remains to analyse")
    work = frame.assign(_uncensored=observed.astype(float))
    formula = _rhs_formula(censoring_formula, "_uncensored", "censoring formula", "qsmk + sex + age")
    try:
        p = np.asarray(_fit_glm(formula, work, data, "logistic").predict(), dtype=float)
    except PositivityError as exc:
        raise PositivityError(
            f"the censoring model {censoring_formula!r} predicts with certainty who is censored (some covariate "
            "pattern has a probability of remaining uncensored of 0 or 1), so censoring weights would be infinite. "
            "Look at a cross-table of the censoring indicator by the covariates; merge sparse categories or "
            "simplify the censoring model"
        ) from exc
    low = observed & (p <= _PS_EPS)
    if low.any():
        raise PositivityError(
            f"the censoring model {censoring_formula!r} predicts a probability of remaining uncensored of 0 for "
            f"{int(low.sum())} people whose outcome was observed, so their censoring weight is infinite. "
            "Simplify the censoring model or check positivity (people like them must have a chance of being observed)"
        )
    if stabilized:
        num_formula = f"_uncensored ~ {numerator_rhs or '1'}"
        pn = np.asarray(_fit_glm(num_formula, work, data, "logistic").predict(), dtype=float)
    else:
        pn = np.ones_like(p)
    return np.where(observed, pn / np.where(observed, p, 1.0), 0.0)


def _weighting_frame(
    data: pd.DataFrame, treatment: str, outcome: str | None, formulas: Sequence[str | None],
    censoring: bool, dropna: bool,
) -> tuple[pd.DataFrame, int]:
    """The rows and columns a weighted analysis uses, after the missing-value policy.

    With censoring weights a missing outcome means "censored" and is kept; every other
    column must be complete (or dropped with ``dropna=True``).
    """
    _require_frame(data)
    _require_columns(data, [treatment], "treatment")
    if outcome is not None:
        _require_columns(data, [outcome], "outcome")
    columns = [treatment, *_columns_of(data, *formulas)]
    if outcome is not None and not censoring and data[outcome].isna().any() and not dropna:
        k = int(data[outcome].isna().sum())
        raise CausalInputError(
            f"the outcome {outcome!r} is missing for {k} of {len(data)} rows. Either weight for them, "
            "censoring_formula='covariates that predict who is missing' (inverse probability of censoring "
            "weights, What If Program 12.7), or pass dropna=True to analyse complete cases (which assumes "
            "they are missing completely at random given treatment)"
        )
    checked = [c for c in dict.fromkeys(columns) if c != outcome or not censoring]
    if outcome is not None and not censoring:
        checked = list(dict.fromkeys([*checked, outcome]))
    kept, n_dropped = _complete(data, checked, dropna)
    if kept.empty:
        raise CausalInputError("no rows remain to analyse")
    frame = _model_frame(kept, " + ".join(["0 ~ 1", *checked]), checked)
    if outcome is not None and censoring:
        if not (pd.api.types.is_numeric_dtype(kept[outcome]) or pd.api.types.is_bool_dtype(kept[outcome])):
            raise CausalInputError(f"outcome {outcome!r} must be numeric (a measurement, or 0/1)")
        frame[outcome] = kept[outcome].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    return frame, n_dropped


def propensity_scores(data: pd.DataFrame, treatment: str, ps_formula: str, *, dropna: bool = False) -> pd.Series:
    """Estimated probability of treatment given covariates, P(A = 1 | L), from a logistic model.

    Parameters
    ----------
    data : DataFrame
        One row per person.
    treatment : str
        0/1 column.
    ps_formula : str
        Covariates (``"sex + age + I(age**2)"``) or a full formula with the
        treatment on the left.
    dropna : bool, default False
        Missing values raise; ``True`` drops incomplete rows (with a warning).

    Returns
    -------
    pandas.Series
        One score per (complete) row, indexed like ``data``; ``attrs["n_dropped"]``.

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
    frame, n_dropped = _weighting_frame(data, treatment, None, [_ps_formula(ps_formula, treatment)], False, dropna)
    _, ps = _propensity(frame, treatment, ps_formula, strict=True)
    out = pd.Series(ps, index=frame.index, name="propensity_score")
    out.attrs["n_dropped"] = n_dropped
    return out


def ip_weights(
    data: pd.DataFrame,
    treatment: str,
    ps_formula: str,
    *,
    stabilized: bool = True,
    numerator_formula: str | None = None,
    dropna: bool = False,
) -> pd.Series:
    """Inverse-probability-of-treatment weights, for a binary or a continuous treatment.

    Binary (0/1) treatment: unstabilised 1 / P(A = a | L) for the level a each
    person had; stabilised P(A = a) / P(A = a | L) (mean close to 1; same point
    estimate for a saturated marginal structural model, less variable), or
    P(A = a | V) / P(A = a | L) with ``numerator_formula`` (the baseline
    variables V of an MSM with effect modification, What If Program 12.6).

    Continuous treatment (a dose): stabilised density weights
    f(A | V) / f(A | L), each density from a normal linear model with the
    residual SD of the fit (What If Program 12.4).

    Parameters
    ----------
    data : DataFrame
        One row per person.
    treatment : str
        0/1 column, or a continuous one.
    ps_formula : str
        Covariates L of the treatment model (or ``"treatment ~ covariates"``).
    stabilized : bool, default True
        Must be True for a continuous treatment.
    numerator_formula : str, optional
        Covariates V of the numerator model (default: none, the marginal P(A)).
    dropna : bool, default False
        Missing values raise; ``True`` drops incomplete rows (with a warning).

    Returns
    -------
    pandas.Series
        One weight per (complete) row, indexed like ``data``, named ``sw`` or ``w``.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [0, 1, 0, 1, 1, 0], "l": [0, 0, 1, 1, 1, 0]})
    >>> ip_weights(df, "a", "l", stabilized=False).round(2).tolist()
    [1.5, 3.0, 3.0, 1.5, 1.5, 1.5]
    """
    frame, n_dropped = _weighting_frame(
        data, treatment, None, [_ps_formula(ps_formula, treatment), numerator_formula], False, dropna)
    w, _ = _treatment_weights(frame, data, treatment, ps_formula, numerator_formula, stabilized)
    out = pd.Series(w, index=frame.index, name="sw" if stabilized else "w")
    out.attrs["n_dropped"] = n_dropped
    return out


def censoring_weights(
    data: pd.DataFrame,
    outcome: str,
    censoring_formula: str,
    *,
    numerator_formula: str | None = None,
    stabilized: bool = True,
    dropna: bool = False,
) -> pd.Series:
    """Inverse-probability-of-censoring weights: who is like the people whose outcome is missing?

    A person is *censored* when ``outcome`` is missing.  The weight of an
    uncensored person is P(C = 0 | V) / P(C = 0 | L) (stabilised;
    ``numerator_formula`` gives V, default none) or 1 / P(C = 0 | L), from
    logistic models of remaining uncensored; censored people get weight 0.
    The uncensored then stand in for the censored who resembled them in L
    (What If §12.6 and Program 12.7).

    Parameters
    ----------
    data : DataFrame
        Everyone, including those whose outcome is missing.
    outcome : str
        The outcome column; missing means censored.
    censoring_formula : str
        Covariates L of the censoring model (e.g. ``"qsmk + sex + age"``).
    numerator_formula : str, optional
        Covariates V of the numerator model (What If uses the treatment).
    stabilized : bool, default True
    dropna : bool, default False
        Missing covariates raise; ``True`` drops those rows (with a warning).

    Returns
    -------
    pandas.Series
        Named ``cw``, indexed like ``data``; 0 for censored rows.

    Raises
    ------
    PositivityError
        The censoring model predicts that some observed person had no chance of being observed.

    Examples
    --------
    >>> df = pd.DataFrame({"l": [0, 0, 0, 0, 1, 1, 1, 1], "y": [1.0, 2.0, 3.0, None, 2.0, None, None, 4.0]})
    >>> censoring_weights(df, "y", "l", stabilized=False).round(3).tolist()
    [1.333, 1.333, 1.333, 0.0, 2.0, 0.0, 0.0, 2.0]
    """
    _require_frame(data)
    _require_columns(data, [outcome], "outcome")
    columns = _columns_of(data, censoring_formula, numerator_formula)
    kept, n_dropped = _complete(data, [c for c in columns if c != outcome], dropna)
    frame = _model_frame(kept, " + ".join(["0 ~ 1", *columns]), columns) if columns else kept[[]].copy()
    observed = kept[outcome].notna().to_numpy()
    num = None if numerator_formula is None else _rhs_formula(
        numerator_formula, "_uncensored", "numerator formula", "qsmk").split("~", 1)[1]
    w = _censoring_weights(frame, kept, observed, censoring_formula, num, stabilized)
    out = pd.Series(w, index=kept.index, name="cw")
    out.attrs["n_dropped"] = n_dropped
    return out


def _msm_fit(formula: str, frame: pd.DataFrame, weights: np.ndarray, family: str, data: pd.DataFrame) -> Any:
    """Weighted GLM with the HC0 sandwich: the estimates and SEs of GEE with an independence working
    correlation and one cluster per person (R's geeglm in What If), and much faster."""
    import statsmodels.formula.api as smf
    from statsmodels.genmod import families

    fam = {"gaussian": families.Gaussian(), "binomial": families.Binomial(), "poisson": families.Poisson()}[family]
    try:
        model = smf.glm(formula, frame, family=fam, var_weights=weights, eval_env={"np": np})
    except Exception as exc:  # patsy/formulaic errors have no common base class
        raise _formula_error(exc, formula, data) from exc
    return model.fit(cov_type="HC0")


def ipw_msm(
    data: pd.DataFrame,
    msm_formula: str,
    treatment: str,
    ps_formula: str,
    *,
    numerator_formula: str | None = None,
    censoring_formula: str | None = None,
    family: str = "gaussian",
    stabilized: bool = True,
    dropna: bool = False,
) -> pd.DataFrame:
    """Fit a marginal structural model by IP weighting: effect modification, a dose, censoring.

    The general form of :func:`ipw_effect`.  Weights: treatment weights from
    :func:`ip_weights` (binary or continuous treatment, numerator
    ``numerator_formula``) times, with ``censoring_formula``, censoring weights
    from :func:`censoring_weights` (numerator: the treatment plus
    ``numerator_formula``).  The MSM ``msm_formula`` is fitted to the
    uncensored people with those weights and robust (HC0 sandwich) standard
    errors, the numbers of R's ``geeglm(..., corstr = "independence")``.

    * Effect modification by a baseline variable V (What If Program 12.6):
      ``ipw_msm(d, "wt82_71 ~ qsmk * sex", "qsmk", ps, numerator_formula="sex")``.
    * A continuous treatment (Program 12.4):
      ``ipw_msm(d, "wt82_71 ~ dose + I(dose**2)", "dose", ps)``.

    Parameters
    ----------
    data : DataFrame
        One row per person (with ``censoring_formula``, including those whose outcome is missing).
    msm_formula : str
        The marginal structural model, ``"outcome ~ treatment [+ V + treatment:V]"``.
    treatment : str
        0/1 or continuous column.
    ps_formula : str
        Covariates L of the treatment model.
    numerator_formula : str, optional
        Covariates V of the weights' numerator; must be the baseline variables in the MSM.
    censoring_formula : str, optional
        Covariates of the model for remaining uncensored (outcome observed).
    family : {"gaussian", "binomial", "poisson"}
        Identity, logit or log link; coefficients are on that scale.
    stabilized : bool, default True
    dropna : bool, default False
        Missing values (other than censored outcomes) raise; ``True`` drops those rows.

    Returns
    -------
    pandas.DataFrame
        One result row per MSM term (``estimate``, ``se``, ``ci_low``, ``ci_high``,
        ``n``, ``p_value``); ``attrs`` holds ``family``, ``treatment_kind``,
        ``n_censored``, ``n_dropped``, ``mean_weight``, ``max_weight``.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [0, 1, 0, 1, 1, 0, 0, 1], "l": [0, 0, 1, 1, 1, 0, 1, 0],
    ...                    "y": [1., 2, 3, 5, 5, 1, 3, 2]})
    >>> float(round(ipw_msm(df, "y ~ a", "a", "l").loc["a", "estimate"], 3))
    1.5
    """
    if family not in FAMILIES:
        raise CausalInputError(f"family must be one of {', '.join(map(repr, FAMILIES))}, got {family!r}")
    outcome, _ = _split_formula(msm_formula)
    censoring = censoring_formula is not None
    frame, n_dropped = _weighting_frame(
        data, treatment, outcome, [msm_formula, _ps_formula(ps_formula, treatment), numerator_formula,
                                   censoring_formula], censoring, dropna)
    if treatment not in _formula_columns(msm_formula, data):
        raise CausalInputError(f"the treatment {treatment!r} must appear in the MSM formula {msm_formula!r}")
    w, kind = _treatment_weights(frame, data, treatment, ps_formula, numerator_formula, stabilized)
    observed = np.isfinite(frame[outcome].to_numpy(dtype=float))
    if censoring:
        num_rhs = treatment if numerator_formula is None else f"{treatment} + " + _rhs_formula(
            numerator_formula, treatment, "numerator formula", "sex").split("~", 1)[1]
        w = w * _censoring_weights(frame, data, observed, str(censoring_formula), num_rhs, stabilized)
    fit = _msm_fit(msm_formula, frame[observed], w[observed], family, data)
    crit = critical_value()
    rows: dict[object, pd.Series] = {}
    for term in fit.params.index:
        est, se = float(fit.params[term]), float(fit.bse[term])
        rows[term] = make_result(est, se, est - crit * se, est + crit * se, n=int(observed.sum()),
                                 p_value=float(fit.pvalues[term]))
    table = result_frame(rows, "term")
    table.attrs.update({"family": family, "treatment_kind": kind, "n_censored": int((~observed).sum()),
                        "n_dropped": n_dropped, "mean_weight": float(w[observed].mean()),
                        "max_weight": float(w[observed].max()), "method": "IP weighting (robust SE)"})
    return table


def ipw_effect(
    data: pd.DataFrame,
    treatment: str,
    outcome: str,
    ps_formula: str,
    *,
    stabilized: bool = True,
    measure: str | None = None,
    censoring_formula: str | None = None,
    dropna: bool = False,
) -> pd.Series:
    """Average causal effect of a binary treatment by inverse-probability weighting.

    Fits the propensity-score model (logistic), weights each person by
    :func:`ip_weights`, and fits the marginal structural model
    ``outcome ~ treatment`` to the weighted data with robust (sandwich)
    standard errors — the same numbers as GEE with an independence working
    correlation and one cluster per person, as in *What If* (Hernán & Robins)
    chapter 12.  The robust interval ignores that the weights were estimated,
    which makes it slightly conservative.

    With ``censoring_formula`` the people whose outcome is missing are not
    simply left out: the uncensored are also weighted by the inverse
    probability of remaining uncensored (:func:`censoring_weights`, numerator
    P(C = 0 | A)), so that they stand in for the censored who resembled them
    (What If Program 12.7).  The treatment model is then fitted to everyone.

    Parameters
    ----------
    data : DataFrame
        One row per person.
    treatment : str
        0/1 column.
    outcome : str
        Continuous or 0/1 column.  Missing values are an error unless
        ``censoring_formula`` (they are censored) or ``dropna=True`` (complete cases).
    ps_formula : str
        Covariates of the propensity model (or ``"treatment ~ covariates"``).
    stabilized : bool, default True
    measure : {"difference", "ratio", "odds ratio"}, optional
        ``"difference"`` (default): identity link; ``"ratio"``: log link
        (Poisson working model); ``"odds ratio"``: logit link.  Ratios need a
        0/1 outcome.
    censoring_formula : str, optional
        Covariates that predict who has a missing outcome (e.g. the treatment and L).
    dropna : bool, default False
        Missing covariates raise; ``True`` drops incomplete rows (with a warning).

    Returns
    -------
    pandas.Series
        Result shape (``n``: the people analysed) plus ``mean_treated``/``mean_untreated``
        (weighted means, i.e. estimates of E[Y^1], E[Y^0]), ``max_weight``,
        ``n_censored``; ``attrs``: ``measure``, ``method``, ``stabilized``, ``n_dropped``.

    Raises
    ------
    PositivityError
        An estimated propensity score of 0 or 1, or a censoring model that
        predicts some observed person could not have been observed.

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

    censoring = censoring_formula is not None
    frame, n_dropped = _weighting_frame(
        data, treatment, outcome, [_ps_formula(ps_formula, treatment), censoring_formula], censoring, dropna)
    if not (pd.api.types.is_numeric_dtype(frame[outcome]) or pd.api.types.is_bool_dtype(frame[outcome])):
        raise CausalInputError(f"outcome {outcome!r} must be numeric (a measurement, or 0/1)")
    a = _binary(frame, treatment, "treatment")
    w, _ = _treatment_weights(frame, data, treatment, ps_formula, None, stabilized)
    y_all = frame[outcome].to_numpy(dtype=float)
    observed = np.isfinite(y_all)
    if censoring:
        w = w * _censoring_weights(frame, data, observed, str(censoring_formula), treatment, stabilized)
    y, a, w = y_all[observed], a[observed], w[observed]
    for level, name in ((1, "treated"), (0, "untreated")):
        if not (a == level).any():
            raise CausalInputError(f"no {name} person has an observed outcome; there is nothing to compare")
    binary = set(np.unique(y).tolist()) <= {0.0, 1.0}
    measure = _measure_for("logistic" if binary else "linear", measure)
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
    method = "IP weighting with censoring weights (robust SE)" if censoring else "IP weighting (robust SE)"
    result = _finish(coef, se, measure, len(y), mean_treated=mean1, mean_untreated=mean0,
                     stabilized=stabilized, max_weight=float(w.max()), n_censored=int((~observed).sum()),
                     method=method)
    result.attrs["n_dropped"] = n_dropped
    return result


# ====================================================================== diagnostics


def weight_diagnostics(
    weights: Sequence[float] | np.ndarray | pd.Series,
    treatment: Sequence[float] | np.ndarray | pd.Series | None = None,
    *,
    threshold: float = 10.0,
) -> pd.DataFrame:
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

    Parameters
    ----------
    data : DataFrame
        One row per person.
    treatment : str
        0/1 column.
    ps_formula : str
        Covariates of the propensity model.
    bounds : (float, float), default (0.05, 0.95)
        Scores outside these count in ``n_below`` / ``n_above``.

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
    rows: dict[object, pd.Series] = {}
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


