"""Meta-analysis: pool study results, measure heterogeneity, meta-regression.

Pooling is done by statsmodels' :func:`statsmodels.stats.meta_analysis.combine_effects`
(inverse-variance fixed effect; random effects with the DerSimonian–Laird or the
Paule–Mandel estimate of the between-study variance τ²).  This module wraps it
into the course's result shape and adds what a reader of a meta-analysis needs:

* :func:`log_ratio_from_counts` — per-study log risk ratios or log odds ratios
  and their variances from 2×2 counts (statsmodels ``effectsize_2proportions``);
* :func:`meta_analysis` — the pooled estimate, its 95% CI, a 95% *prediction
  interval* for the effect in a new setting, and heterogeneity (Cochran's Q, I², τ²);
* :func:`meta_regression` — a mixed-effects meta-regression on one study-level
  moderator (method-of-moments τ², weighted least squares via statsmodels);
* :func:`funnel_asymmetry_test` — the regression test for funnel-plot asymmetry
  (meta-regression on the standard error, as ``metafor::regtest``).

Formulas (all on the log scale for ratios):

* log risk ratio ``log((a/n1)/(c/n2))`` with variance ``1/a − 1/n1 + 1/c − 1/n2``
  (Rothman, Greenland & Lash, *Modern Epidemiology*, 3rd ed., ch. 14; identical to
  ``metafor::escalc(measure="RR")``);
* Q = Σ wᵢ(yᵢ − ȳ_FE)², df = k − 1, I² = (Q − df)/Q truncated at 0 (Higgins &
  Thompson, Stat Med 2002;21:1539–1558, doi:10.1002/sim.1186);
* DerSimonian–Laird τ² (Control Clin Trials 1986;7:177–188,
  doi:10.1016/0197-2456(86)90046-2); Paule–Mandel τ² (DerSimonian & Kacker,
  Contemp Clin Trials 2007;28:105–114, doi:10.1016/j.cct.2006.04.004);
* prediction interval μ̂ ± 1.96·√(τ² + SE(μ̂)²) — the normal-based interval that
  ``metafor::predict.rma`` prints; Higgins, Thompson & Spiegelhalter (J R Stat Soc A
  2009;172:137–159, doi:10.1111/j.1467-985X.2008.00552.x) suggest a t distribution
  with k − 2 df instead (``prediction="t"``).

The results were checked against R ``metafor`` 3.8-1 on the BCG trials (see
``tests/test_metaanalysis.py`` for the exact calls and printed values).

Examples
--------
>>> import course_utils as cu
>>> bcg = cu.load("bcg")
>>> tab = cu.log_ratio_from_counts(bcg["bcg_tb"], bcg["bcg_vacc"], bcg["no_vacc_tb"], bcg["no_vacc"])
>>> meta = cu.meta_analysis(tab["log_ratio"], tab["variance"], method="dl", exponentiate=True)
>>> float(round(meta.pooled["estimate"], 3))
0.49
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from course_utils.results import critical_value, from_ratio_log_ci, make_result, result_frame

__all__ = [
    "MetaAnalysisError",
    "MetaAnalysis",
    "MetaRegression",
    "log_ratio_from_counts",
    "log_ratio_from_ci",
    "meta_analysis",
    "meta_regression",
    "funnel_asymmetry_test",
]

METHODS = {
    "fe": "fixed effect (inverse variance)",
    "dl": "random effects, DerSimonian–Laird τ²",
    "pm": "random effects, Paule–Mandel τ²",
}
_ALIASES = {"fixed": "fe", "fixed effect": "fe", "iterated": "pm", "chi2": "dl"}


class MetaAnalysisError(ValueError):
    """The study data cannot be pooled as given (the message says why and what to do)."""


# ------------------------------------------------------------------ input checks

def _as_float_array(values: Any, what: str) -> np.ndarray:
    try:
        array = np.asarray(pd.Series(values, dtype="float64") if isinstance(values, pd.Series) else values,
                           dtype="float64")
    except (TypeError, ValueError) as exc:
        raise MetaAnalysisError(f"{what} must be numbers; got {values!r:.80}") from exc
    if array.ndim != 1:
        raise MetaAnalysisError(f"{what} must be one number per study (a 1-D list or Series), got shape {array.shape}")
    return array


def _labels(values: Any, labels: Sequence[Any] | None, k: int) -> list[str]:
    if labels is None:
        if isinstance(values, pd.Series):
            return [str(i) for i in values.index]
        return [f"study {i + 1}" for i in range(k)]
    labels = [str(x) for x in labels]
    if len(labels) != k:
        raise MetaAnalysisError(f"got {len(labels)} labels for {k} studies; give one label per study")
    return labels


def _rows(mask: np.ndarray, labels: list[str]) -> str:
    return ", ".join(labels[i] for i in np.flatnonzero(mask)[:6])


def _check_studies(effect: Any, variance: Any, labels: Sequence[Any] | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    y = _as_float_array(effect, "effect")
    v = _as_float_array(variance, "variance")
    if y.shape != v.shape:
        raise MetaAnalysisError(
            f"effect has {y.size} values but variance has {v.size}; give one effect and one variance per study"
        )
    names = _labels(effect, labels, y.size)
    missing = np.isnan(y) | np.isnan(v)
    if missing.any():
        raise MetaAnalysisError(
            f"{int(missing.sum())} stud{'y has' if missing.sum() == 1 else 'ies have'} a missing effect or variance "
            f"({_rows(missing, names)}). Nothing is dropped silently: remove those studies explicitly "
            "(and report that you did) or fill in their values."
        )
    if not np.isfinite(y).all():
        bad = ~np.isfinite(y)
        raise MetaAnalysisError(
            f"infinite effect for {_rows(bad, names)}: a log ratio is infinite when a 2×2 cell is zero; "
            "use log_ratio_from_counts, which adds 0.5 to every cell of such a table"
        )
    bad = ~np.isfinite(v) | (v <= 0)
    if bad.any():
        raise MetaAnalysisError(
            f"variances must be positive and finite; not so for {_rows(bad, names)}. "
            "Pass the variance (SE squared), not the standard error or a CI."
        )
    if y.size < 2:
        raise MetaAnalysisError(f"a meta-analysis needs at least 2 studies, got {y.size}")
    return y, v, names


def _method(method: str) -> str:
    key = str(method).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in METHODS:
        raise MetaAnalysisError(
            f"unknown method {method!r}; use 'fe' (fixed effect), 'dl' (random effects, DerSimonian–Laird) "
            "or 'pm' (random effects, Paule–Mandel)"
        )
    return key


# ------------------------------------------------------------------ effect sizes

def log_ratio_from_counts(
    events_treated: Any,
    n_treated: Any,
    events_control: Any,
    n_control: Any,
    *,
    measure: str = "RR",
    labels: Sequence[Any] | None = None,
    zero_correction: float = 0.5,
) -> pd.DataFrame:
    """Per-study risk ratios (or odds ratios) from 2×2 counts, with their log-scale variances.

    Parameters
    ----------
    events_treated, n_treated : array-like of int
        Events and group size in the treated (exposed, vaccinated) group.
    events_control, n_control : array-like of int
        Events and group size in the control group.
    measure : {"RR", "OR"}
        Risk ratio (default) or odds ratio.
    labels : sequence of str, optional
        Study labels (default: the index of ``events_treated`` if it is a Series).
    zero_correction : float, default 0.5
        Added to all four cells of a table that has a zero cell (the usual
        convention, as in ``metafor::escalc``); tables without zeros are unchanged.

    Returns
    -------
    pandas.DataFrame
        One result row per study: ``estimate`` (the ratio), ``se`` (on the log
        scale), ``ci_low``, ``ci_high``, ``n`` (both groups), ``se_scale`` ("log"),
        then ``measure``, ``log_ratio`` and ``variance`` (the inputs to :func:`meta_analysis`)
        and ``zero_corrected``.

    Raises
    ------
    MetaAnalysisError
        Counts that are missing, negative, not whole numbers, or larger than the group size.

    Notes
    -----
    Computed with statsmodels ``effectsize_2proportions`` (statistic
    ``"risk-ratio"`` / ``"odds-ratio"``), which uses the textbook formulas
    (log RR variance 1/a − 1/n1 + 1/c − 1/n2; log OR variance 1/a + 1/b + 1/c + 1/d).

    Examples
    --------
    >>> tab = log_ratio_from_counts([4], [123], [11], [139])
    >>> round(float(tab["estimate"].iloc[0]), 3), round(float(tab["variance"].iloc[0]), 4)
    (0.411, 0.3256)
    """
    from statsmodels.stats.meta_analysis import effectsize_2proportions

    kind = str(measure).strip().upper()
    if kind not in ("RR", "OR"):
        raise MetaAnalysisError(f"measure must be 'RR' (risk ratio) or 'OR' (odds ratio), got {measure!r}")
    arrays = [
        _as_float_array(x, name)
        for x, name in ((events_treated, "events_treated"), (n_treated, "n_treated"),
                        (events_control, "events_control"), (n_control, "n_control"))
    ]
    k = arrays[0].size
    if any(a.size != k for a in arrays):
        raise MetaAnalysisError("events and group sizes must have one value per study (equal lengths)")
    names = _labels(events_treated, labels, k)
    a, n1, c, n2 = arrays
    stacked = np.vstack(arrays)
    if np.isnan(stacked).any():
        bad = np.isnan(stacked).any(axis=0)
        raise MetaAnalysisError(f"missing counts for {_rows(bad, names)}; fill them in or leave those studies out explicitly")
    if (stacked < 0).any() or (stacked % 1 != 0).any():
        raise MetaAnalysisError("counts must be whole numbers ≥ 0")
    if ((a > n1) | (c > n2)).any():
        bad = (a > n1) | (c > n2)
        raise MetaAnalysisError(f"more events than people in {_rows(bad, names)}: pass group sizes, not non-events")
    if ((n1 == 0) | (n2 == 0)).any():
        raise MetaAnalysisError("a group of size 0 has no risk; remove that study explicitly")
    zero = (a == 0) | (c == 0) | (a == n1) | (c == n2)
    add = np.where(zero, float(zero_correction), 0.0)
    a_, c_ = a + add, c + add
    n1_, n2_ = n1 + 2 * add, n2 + 2 * add
    statistic = "risk-ratio" if kind == "RR" else "odds-ratio"
    y, v = effectsize_2proportions(a_, n1_, c_, n2_, statistic=statistic)
    rows = {
        name: from_ratio_log_ci(float(y[i]), math.sqrt(float(v[i])), n=int(n1[i] + n2[i]),
                                measure=kind, log_ratio=float(y[i]), variance=float(v[i]),
                                zero_corrected=float(zero[i]))
        for i, name in enumerate(names)
    }
    return result_frame(rows, "study")


def log_ratio_from_ci(
    estimate: Any,
    ci_low: Any,
    ci_high: Any,
    *,
    labels: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Log ratios and their variances recovered from published ratios and 95% CIs.

    A published ratio R with 95% CI (L, U) was computed on the log scale, so
    SE(log R) = (log U − log L) / (2 × 1.96) (Cochrane Handbook, section 6.3.2).
    Rounded published limits make this approximate; the function also reports
    how far log R sits from the middle of the log CI (``asymmetry``) — a large
    value means the interval was not symmetric on the log scale or the numbers
    were mistyped.

    Parameters
    ----------
    estimate, ci_low, ci_high : array-like of float
        Published ratios (odds, risk, hazard ratios) and their 95% limits.
    labels : sequence of str, optional
        Study labels (default: the index of ``estimate`` if it is a Series).

    Returns
    -------
    pandas.DataFrame
        One result row per study: ``estimate``, ``se`` (log scale), ``ci_low``,
        ``ci_high`` (as published), ``n`` (NA), then ``log_ratio``, ``variance``, ``asymmetry``.

    Raises
    ------
    MetaAnalysisError
        Missing values, non-positive ratios or limits, or an estimate outside its CI.

    Examples
    --------
    >>> t = log_ratio_from_ci([3.20], [1.38], [7.41])
    >>> round(float(t["se"].iloc[0]), 3)
    0.429
    """
    est = _as_float_array(estimate, "estimate")
    lo = _as_float_array(ci_low, "ci_low")
    hi = _as_float_array(ci_high, "ci_high")
    if not (est.size == lo.size == hi.size):
        raise MetaAnalysisError("estimate, ci_low and ci_high must have one value per study (equal lengths)")
    names = _labels(estimate, labels, est.size)
    stacked = np.vstack([est, lo, hi])
    missing = np.isnan(stacked).any(axis=0)
    if missing.any():
        raise MetaAnalysisError(
            f"{_rows(missing, names)}: estimate or CI missing. A study reported without a CI cannot be given a "
            "weight; leave it out explicitly and say so."
        )
    if (stacked <= 0).any():
        raise MetaAnalysisError("ratios and their limits must be positive (give ratios, not log ratios)")
    bad = (est < lo) | (est > hi)
    if bad.any():
        raise MetaAnalysisError(f"{_rows(bad, names)}: the estimate lies outside its CI; check the numbers")
    crit = critical_value()
    log_se = (np.log(hi) - np.log(lo)) / (2 * crit)
    rows = {}
    for i, name in enumerate(names):
        y = math.log(est[i])
        middle = (math.log(lo[i]) + math.log(hi[i])) / 2
        rows[name] = make_result(
            float(est[i]), se=float(log_se[i]), ci_low=float(lo[i]), ci_high=float(hi[i]),
            se_scale="log", log_ratio=y, variance=float(log_se[i] ** 2), asymmetry=y - middle,
        )
    return result_frame(rows, "study")


# ------------------------------------------------------------------ pooling

def _fmt(x: float, digits: int = 3) -> str:
    return "NA" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


@dataclass(frozen=True)
class MetaAnalysis:
    """The result of :func:`meta_analysis`.

    Attributes
    ----------
    method : str
        ``"fe"``, ``"dl"`` or ``"pm"``; :attr:`method_label` says it in words.
    studies : pandas.DataFrame
        One row per study: ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``weight`` (percent).
    pooled : pandas.Series
        The pooled result: ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n`` (number of
        studies), then ``z``, ``p_value``, ``pi_low``, ``pi_high`` (95% prediction interval),
        ``tau2``, ``method``.
    heterogeneity : pandas.Series
        ``q``, ``df``, ``p_value``, ``i2`` (percent), ``h2``, ``tau2``, ``tau``.
    exponentiate : bool
        Whether estimates are shown as ratios (the inputs were log ratios).
    """

    method: str
    studies: pd.DataFrame
    pooled: pd.Series
    heterogeneity: pd.Series
    exponentiate: bool
    log_effect: np.ndarray = field(repr=False)
    variance: np.ndarray = field(repr=False)

    @property
    def method_label(self) -> str:
        """The pooling method in words."""
        return METHODS[self.method]

    @property
    def k(self) -> int:
        """Number of studies."""
        return len(self.studies)

    def summary(self, digits: int = 3) -> str:
        """A few lines that report the analysis the way a paper would."""
        p, h = self.pooled, self.heterogeneity
        scale = "ratio" if self.exponentiate else "effect"
        lines = [
            f"Meta-analysis of {self.k} studies — {self.method_label}",
            f"  pooled {scale}: {_fmt(p['estimate'], digits)} (95% CI {_fmt(p['ci_low'], digits)} to "
            f"{_fmt(p['ci_high'], digits)}), z = {_fmt(p['z'], 2)}, {_pval(p['p_value'])}",
        ]
        if self.method != "fe":
            lines.append(f"  95% prediction interval: {_fmt(p['pi_low'], digits)} to {_fmt(p['pi_high'], digits)}")
        lines.append(
            f"  heterogeneity: Q = {_fmt(h['q'], 2)} on {int(h['df'])} df ({_pval(h['p_value'])}), "
            f"I² = {_fmt(h['i2'], 1)}%, τ² = {_fmt(h['tau2'], 4)}"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:  # deterministic, readable in a notebook
        return self.summary()

    def table(self) -> pd.DataFrame:
        """Studies and the pooled row in one DataFrame (for printing or a forest plot)."""
        pooled = self.pooled[["estimate", "se", "ci_low", "ci_high"]].copy()
        pooled["weight"] = 100.0
        frame = pd.concat([self.studies, pooled.to_frame(f"pooled ({self.method_label})").T])
        frame.index.name = "study"
        return frame.astype({"estimate": float, "se": float, "ci_low": float, "ci_high": float, "weight": float})


def _pval(p: float) -> str:
    """'p < 0.001' or 'p = 0.402'."""
    if math.isnan(p):
        return "p = NA"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def meta_analysis(
    effect: Any,
    variance: Any,
    *,
    labels: Sequence[Any] | None = None,
    method: str = "dl",
    exponentiate: bool = False,
    prediction: str = "normal",
) -> MetaAnalysis:
    """Pool study estimates by inverse-variance weighting (fixed or random effects).

    Parameters
    ----------
    effect : array-like of float
        One estimate per study, on an additive scale: log risk ratios, log odds
        ratios, mean differences, standardised mean differences…
    variance : array-like of float
        The squared standard error of each estimate.
    labels : sequence of str, optional
        Study names (default: the index of ``effect`` if it is a Series).
    method : {"dl", "pm", "fe"}, default "dl"
        ``"dl"``: random effects with the DerSimonian–Laird τ²; ``"pm"``: random
        effects with the Paule–Mandel τ² (statsmodels' ``"iterated"``); ``"fe"``:
        fixed (common) effect.
    exponentiate : bool, default False
        Show estimates, CIs and the prediction interval as ratios (``exp``) — use
        when ``effect`` holds log ratios.  Standard errors stay on the log scale.
    prediction : {"normal", "t"}, default "normal"
        Prediction interval μ̂ ± q·√(τ² + SE²) with q from the normal distribution
        (as ``metafor``) or from t with k − 2 df (Higgins et al. 2009).

    Returns
    -------
    MetaAnalysis
        ``.pooled`` (result Series), ``.studies`` (result DataFrame with weights),
        ``.heterogeneity`` (Q, df, p, I², H², τ²), ``.summary()``.

    Raises
    ------
    MetaAnalysisError
        Missing or non-finite effects, non-positive variances, fewer than two
        studies, mismatched lengths or an unknown method.

    Examples
    --------
    >>> m = meta_analysis([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], method="fe")
    >>> float(round(m.pooled["estimate"], 4)), int(m.pooled["n"])
    (0.1769, 3)
    """
    from scipy import stats
    from statsmodels.stats.meta_analysis import combine_effects

    y, v, names = _check_studies(effect, variance, labels)
    key = _method(method)
    if prediction not in ("normal", "t"):
        raise MetaAnalysisError(f"prediction must be 'normal' or 't', got {prediction!r}")
    k = y.size
    if key == "pm":
        res = combine_effects(y, v, method_re="iterated", row_names=names, atol=1e-10, maxiter=200)
    else:
        res = combine_effects(y, v, method_re="dl", row_names=names)
    if key == "fe":
        mu, se, weights, tau2 = float(res.mean_effect_fe), float(res.sd_eff_w_fe), res.weights_rel_fe, 0.0
    else:
        mu, se, weights, tau2 = float(res.mean_effect_re), float(res.sd_eff_w_re), res.weights_rel_re, float(res.tau2)
    z = mu / se
    p = 2 * stats.norm.sf(abs(z))
    crit = critical_value()
    lo, hi = mu - crit * se, mu + crit * se
    if key == "fe":
        pi_lo = pi_hi = math.nan
    else:
        if prediction == "t":
            if k < 3:
                raise MetaAnalysisError("a t-based prediction interval needs at least 3 studies (k − 2 df)")
            q = float(stats.t.ppf(0.975, k - 2))
        else:
            q = crit
        half = q * math.sqrt(tau2 + se**2)
        pi_lo, pi_hi = mu - half, mu + half
    tf = np.exp if exponentiate else (lambda x: x)
    pooled = make_result(
        float(tf(mu)), se=se, ci_low=float(tf(lo)), ci_high=float(tf(hi)), n=k,
        z=z, p_value=float(p), pi_low=float(tf(pi_lo)), pi_high=float(tf(pi_hi)), tau2=tau2,
        log_estimate=mu, se_scale="log" if exponentiate else "same", method=METHODS[key],
        name="pooled",
    )
    sd = np.sqrt(v)
    studies = pd.DataFrame(
        {
            "estimate": tf(y),
            "se": sd,
            "ci_low": tf(y - crit * sd),
            "ci_high": tf(y + crit * sd),
            "weight": 100 * np.asarray(weights, dtype=float),
        },
        index=pd.Index(names, name="study"),
    )
    q_stat, df = float(res.q), k - 1
    heterogeneity = pd.Series(
        {
            "q": q_stat,
            "df": df,
            "p_value": float(stats.chi2.sf(q_stat, df)),
            "i2": 100 * max(0.0, (q_stat - df) / q_stat) if q_stat > 0 else 0.0,
            "h2": q_stat / df,
            "tau2": tau2,
            "tau": math.sqrt(tau2),
        },
        name="heterogeneity",
        dtype=object,
    ).infer_objects()
    return MetaAnalysis(key, studies, pooled, heterogeneity, bool(exponentiate), y, v)


# ------------------------------------------------------------------ meta-regression

@dataclass(frozen=True)
class MetaRegression:
    """The result of :func:`meta_regression`.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        One result row per coefficient (``intercept`` and the moderator):
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n`` (studies), ``z``, ``p_value``
        — on the scale of the effects (log scale for ratios).
    tau2 : float
        Residual between-study variance (method of moments), truncated at 0.
    qe, qe_df, qe_p : float
        Test for residual heterogeneity.
    qm, qm_p : float
        Wald test of the moderator (1 df).
    r2 : float
        Percentage of τ² (from the random-effects model without the moderator,
        same estimator) accounted for by the moderator, truncated at 0.
    i2 : float
        Residual I² (percent).
    moderator : str
        Name of the moderator.
    """

    coefficients: pd.DataFrame
    tau2: float
    qe: float
    qe_df: int
    qe_p: float
    qm: float
    qm_p: float
    r2: float
    i2: float
    moderator: str
    cov: tuple[tuple[float, ...], ...] = field(repr=False, default=())

    def predict(self, values: Any, *, exponentiate: bool = False) -> pd.DataFrame:
        """Predicted average effect (with 95% CI) at given moderator values.

        Examples
        --------
        >>> r = meta_regression([0.1, 0.3, 0.5, 0.6], [0.01, 0.02, 0.01, 0.03], [1, 2, 3, 4])
        >>> r.predict([0]).shape
        (1, 4)
        """
        x = _as_float_array(np.atleast_1d(values), "values")
        b = self.coefficients["estimate"].to_numpy(float)
        cov = self._cov
        X = np.column_stack([np.ones_like(x), x])
        fit = X @ b
        se = np.sqrt(np.einsum("ij,jk,ik->i", X, cov, X))
        crit = critical_value()
        tf = np.exp if exponentiate else (lambda t: t)
        return pd.DataFrame(
            {"estimate": tf(fit), "se": se, "ci_low": tf(fit - crit * se), "ci_high": tf(fit + crit * se)},
            index=pd.Index(x, name=self.moderator),
        )

    @property
    def _cov(self) -> np.ndarray:
        return np.asarray(self.cov, dtype=float)

    def summary(self) -> str:
        """A few lines in the style of a paper's results section."""
        c = self.coefficients
        slope = c.iloc[1]
        return "\n".join(
            [
                f"Mixed-effects meta-regression on {self.moderator} (τ² by method of moments), k = {int(slope['n'])}",
                f"  intercept: {c.iloc[0]['estimate']:.4f} (SE {c.iloc[0]['se']:.4f})",
                f"  slope per unit of {self.moderator}: {slope['estimate']:.4f} (95% CI {slope['ci_low']:.4f} to "
                f"{slope['ci_high']:.4f}), {_pval(slope['p_value'])}",
                f"  residual heterogeneity: QE = {self.qe:.2f} on {self.qe_df} df ({_pval(self.qe_p)}), "
                f"τ² = {self.tau2:.4f}, I² = {self.i2:.1f}%",
                f"  share of τ² explained (R²): {self.r2:.1f}%",
            ]
        )

    def __repr__(self) -> str:
        return self.summary()


def _mm_tau2(y: np.ndarray, v: np.ndarray, X: np.ndarray) -> tuple[float, float]:
    """Method-of-moments (DerSimonian–Laird type) τ² for a meta-regression; returns (tau2, QE)."""
    from statsmodels.regression.linear_model import WLS

    w = 1 / v
    fe = WLS(y, X, weights=w).fit()
    qe = float(fe.ssr)
    k, p = X.shape
    xtwx = X.T @ (X * w[:, None])
    trace_p = w.sum() - np.trace(np.linalg.solve(xtwx, X.T @ (X * (w**2)[:, None])))
    return max(0.0, (qe - (k - p)) / trace_p), qe


def meta_regression(
    effect: Any,
    variance: Any,
    moderator: Any,
    *,
    moderator_name: str | None = None,
) -> MetaRegression:
    """Mixed-effects meta-regression of study effects on one study-level moderator.

    The residual between-study variance τ² is estimated by the method of
    moments (the DerSimonian–Laird estimator generalised to regression; Raudenbush
    2009 in *The Handbook of Research Synthesis and Meta-Analysis*), then the
    coefficients come from weighted least squares (statsmodels ``WLS``) with
    weights 1/(vᵢ + τ²) and the scale fixed at 1 — the same model as
    ``metafor::rma(yi, vi, mods = ~ x, method = "DL")``.

    Parameters
    ----------
    effect, variance : array-like of float
        Study effects (log scale for ratios) and their variances.
    moderator : array-like of float
        The study-level covariate (e.g. latitude).
    moderator_name : str, optional
        Name shown in the results (default: the Series name, else "moderator").

    Returns
    -------
    MetaRegression

    Raises
    ------
    MetaAnalysisError
        Bad effects or variances (as :func:`meta_analysis`), a missing or constant
        moderator, or fewer than 3 studies.

    Examples
    --------
    >>> r = meta_regression([0.1, 0.3, 0.5, 0.6], [0.01, 0.02, 0.01, 0.03], [1, 2, 3, 4])
    >>> round(float(r.coefficients.loc["moderator", "estimate"]), 3)
    0.181
    """
    from statsmodels.regression.linear_model import WLS
    from scipy import stats

    y, v, names = _check_studies(effect, variance, None)
    x = _as_float_array(moderator, "moderator")
    if x.size != y.size:
        raise MetaAnalysisError(f"moderator has {x.size} values for {y.size} studies; give one per study")
    if np.isnan(x).any():
        raise MetaAnalysisError(
            f"moderator is missing for {_rows(np.isnan(x), names)}; nothing is dropped silently — "
            "remove those studies explicitly and report it"
        )
    if np.ptp(x) == 0:
        raise MetaAnalysisError("the moderator has the same value in every study, so it cannot explain anything")
    if y.size < 3:
        raise MetaAnalysisError("a meta-regression with one moderator needs at least 3 studies")
    name = moderator_name or (moderator.name if isinstance(moderator, pd.Series) and moderator.name else "moderator")
    X = np.column_stack([np.ones_like(x), x])
    tau2, qe = _mm_tau2(y, v, X)
    fit = WLS(y, X, weights=1 / (v + tau2)).fit(cov_type="fixed scale")
    k, p = X.shape
    crit = critical_value()
    rows = {}
    for i, label in enumerate(["intercept", str(name)]):
        b, se = float(fit.params[i]), float(fit.bse[i])
        zval = b / se
        rows[label] = make_result(b, se=se, ci_low=b - crit * se, ci_high=b + crit * se, n=k,
                                  z=zval, p_value=float(2 * stats.norm.sf(abs(zval))))
    coefs = result_frame(rows, "term")
    qm = float((fit.params[1] / fit.bse[1]) ** 2)
    tau2_re, _ = _mm_tau2(y, v, np.ones((k, 1)))
    r2 = 100 * max(0.0, (tau2_re - tau2) / tau2_re) if tau2_re > 0 else 0.0
    i2 = 100 * max(0.0, (qe - (k - p)) / qe) if qe > 0 else 0.0
    return MetaRegression(
        coefficients=coefs, tau2=tau2, qe=qe, qe_df=k - p, qe_p=float(stats.chi2.sf(qe, k - p)),
        qm=qm, qm_p=float(stats.chi2.sf(qm, 1)), r2=r2, i2=i2, moderator=str(name),
        cov=tuple(tuple(float(c) for c in row) for row in np.asarray(fit.cov_params())),
    )


def funnel_asymmetry_test(effect: Any, variance: Any) -> pd.Series:
    """Regression test for funnel-plot asymmetry (small-study effects).

    Fits the mixed-effects meta-regression of the effects on their standard
    errors (:func:`meta_regression`); a slope far from 0 means smaller studies
    (larger SE) report systematically different effects — one possible sign of
    publication bias, though not proof of it (heterogeneity or chance can do
    the same).  This is the default test of ``metafor::regtest`` for a
    DerSimonian–Laird model, a variant of Egger et al.'s test (BMJ 1997;315:629–634,
    doi:10.1136/bmj.315.7109.629).

    Returns
    -------
    pandas.Series
        A result Series for the slope (``estimate``, ``se``, ``ci_low``, ``ci_high``,
        ``n``) plus ``z``, ``p_value`` and ``limit_estimate`` (the intercept: the
        predicted effect of an infinitely large study).  The test has low power
        with few studies, and asymmetry has causes other than publication bias
        (Sterne JAC et al. BMJ 2011;343:d4002, doi:10.1136/bmj.d4002).

    Examples
    --------
    >>> r = funnel_asymmetry_test([0.1, 0.3, 0.5, 0.6], [0.01, 0.02, 0.01, 0.03])
    >>> sorted(r.index)[:3]
    ['ci_high', 'ci_low', 'estimate']
    """
    v = _as_float_array(variance, "variance")
    fit = meta_regression(effect, variance, np.sqrt(v), moderator_name="standard error")
    slope = fit.coefficients.iloc[1]
    return make_result(
        float(slope["estimate"]), se=float(slope["se"]), ci_low=float(slope["ci_low"]),
        ci_high=float(slope["ci_high"]), n=int(slope["n"]), z=float(slope["z"]),
        p_value=float(slope["p_value"]), limit_estimate=float(fit.coefficients.iloc[0]["estimate"]),
        name="funnel asymmetry (slope on SE)",
    )
