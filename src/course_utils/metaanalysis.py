"""Meta-analysis: pool study results, measure heterogeneity, meta-regression.

Pooling follows R's ``metafor::rma`` (Viechtbauer, J Stat Softw 2010;36(3),
doi:10.18637/jss.v036.i03) and is checked against metafor 3.8-1 in the tests:

* :func:`log_ratio_from_counts` — per-study log risk ratios or log odds ratios
  and their variances from 2×2 counts;
* :func:`meta_analysis` — inverse-variance pooling: fixed effect, or random effects
  with τ² by REML, DerSimonian–Laird or Paule–Mandel (always ≥ 0), optionally with
  Hartung–Knapp–Sidik–Jonkman intervals; the pooled estimate, its 95% CI, a 95%
  *prediction interval* for the effect in a new setting, and heterogeneity
  (Cochran's Q, I², H², τ²);
* :func:`meta_regression` — a mixed-effects meta-regression on one study-level
  moderator (method-of-moments τ², weighted least squares via statsmodels);
* :func:`funnel_asymmetry_test` — the regression test for funnel-plot asymmetry
  (meta-regression on the standard error, as ``metafor::regtest``).

Related modules with the same flat ``cu.`` names: :mod:`course_utils.meta_effects`
(MD, SMD, RD from summary data), :mod:`course_utils.meta_tables` (Mantel–Haenszel and
Peto pooling of 2×2 tables), :mod:`course_utils.meta_bias` (trim-and-fill, Egger's test,
leave-one-out and influence diagnostics).  The arithmetic of τ² and Hartung–Knapp is in
the private ``_meta_estimators`` (its docstring gives the formulas and sources).

Formulas (all on the log scale for ratios):

* log risk ratio ``log((a/n1)/(c/n2))`` with variance ``1/a − 1/n1 + 1/c − 1/n2``
  (Rothman, Greenland & Lash, *Modern Epidemiology*, 3rd ed., ch. 14; identical to
  ``metafor::escalc(measure="RR")``);
* Q = Σ wᵢ(yᵢ − ȳ_FE)², df = k − 1;
* prediction interval μ̂ ± q·√(τ² + SE(μ̂)²) with q the normal quantile (as
  ``metafor::predict.rma``), the t quantile on k − 1 df with Hartung–Knapp (as metafor),
  or on k − 2 df on request (Higgins, Thompson & Spiegelhalter, J R Stat Soc A
  2009;172:137–159, doi:10.1111/j.1467-985X.2008.00552.x).

Examples
--------
>>> import course_utils as cu
>>> bcg = cu.load("bcg")
>>> tab = cu.log_ratio_from_counts(bcg["bcg_tb"], bcg["bcg_vacc"], bcg["no_vacc_tb"], bcg["no_vacc"])
>>> meta = cu.meta_analysis(tab["log_ratio"], tab["variance"], method="reml", hartung_knapp=True,
...                         exponentiate=True)
>>> meta.pooled[["estimate", "ci_low", "ci_high"]].round(3).tolist()
[0.489, 0.33, 0.726]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from course_utils import _meta_estimators as _est
from course_utils._meta_inputs import (
    FloatArray,
    Labels,
    MetaAnalysisError,
    Numbers,
    as_float_array,
    check_counts,
    check_studies,
    labels_for,
    listed,
    numeric_result,
)
from course_utils.results import critical_value, result_frame

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
    "reml": "random effects, REML τ²",
    "mh": "fixed effect, Mantel–Haenszel",
    "peto": "fixed effect, Peto",
}
#: Methods :func:`meta_analysis` fits from effects and variances (MH and Peto need the 2×2 tables).
POOLING_METHODS = ("fe", "dl", "pm", "reml")
_ALIASES = {"fixed": "fe", "fixed effect": "fe", "common": "fe", "equal": "fe", "iterated": "pm", "chi2": "dl"}

# Old private names, kept for code that imported them.
_as_float_array = as_float_array
_rows = listed
_labels = labels_for
_check_studies = check_studies


def _method(method: str) -> str:
    key = str(method).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in POOLING_METHODS:
        raise MetaAnalysisError(
            f"unknown method {method!r}; use 'reml' (random effects, restricted maximum likelihood), "
            "'dl' (random effects, DerSimonian–Laird), 'pm' (random effects, Paule–Mandel) or 'fe' (fixed effect). "
            "Mantel–Haenszel and Peto pool 2×2 tables: see pool_2x2"
        )
    return key


# ------------------------------------------------------------------ effect sizes

def log_ratio_from_counts(
    events_treated: Numbers,
    n_treated: Numbers,
    events_control: Numbers,
    n_control: Numbers,
    *,
    measure: str = "RR",
    labels: Labels = None,
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
        Risk ratio (default) or odds ratio.  For the risk difference use
        :func:`course_utils.risk_difference_from_counts`.
    labels : sequence of str, optional
        Study labels (default: the index of ``events_treated`` if it is a Series).
    zero_correction : float, default 0.5
        Added to all four cells of a table that has a zero cell (the usual
        convention, as in ``metafor::escalc``); tables without zeros are unchanged.

    Returns
    -------
    pandas.DataFrame
        One result row per study, float columns: ``estimate`` (the ratio), ``se`` (on the log
        scale), ``ci_low``, ``ci_high``, ``n`` (both groups), ``log_ratio`` and ``variance`` (the
        inputs to :func:`meta_analysis`), then ``zero_corrected`` (bool).  ``.attrs`` holds
        ``measure`` and ``se_scale`` ("log").

    Raises
    ------
    MetaAnalysisError
        Counts that are missing, text, negative, not whole numbers, or larger than the group size.

    Examples
    --------
    >>> tab = log_ratio_from_counts([4], [123], [11], [139])
    >>> round(float(tab["estimate"].iloc[0]), 3), round(float(tab["variance"].iloc[0]), 4)
    (0.411, 0.3256)
    """
    kind = str(measure).strip().upper()
    if kind not in ("RR", "OR"):
        raise MetaAnalysisError(
            f"measure must be 'RR' (risk ratio) or 'OR' (odds ratio), got {measure!r}; "
            "for the risk difference use risk_difference_from_counts"
        )
    a, n1, c, n2, names = check_counts(events_treated, n_treated, events_control, n_control, labels)
    zero = (a == 0) | (c == 0) | (a == n1) | (c == n2)
    add = np.where(zero, float(zero_correction), 0.0)
    a_, b_, c_, d_ = a + add, n1 - a + add, c + add, n2 - c + add
    if kind == "RR":
        y = np.log((a_ / (a_ + b_)) / (c_ / (c_ + d_)))
        v = 1 / a_ - 1 / (a_ + b_) + 1 / c_ - 1 / (c_ + d_)
    else:
        y = np.log((a_ * d_) / (b_ * c_))
        v = 1 / a_ + 1 / b_ + 1 / c_ + 1 / d_
    crit = critical_value()
    se = np.sqrt(v)
    frame = pd.DataFrame(
        {
            "estimate": np.exp(y), "se": se, "ci_low": np.exp(y - crit * se), "ci_high": np.exp(y + crit * se),
            "n": n1 + n2, "log_ratio": y, "variance": v,
        },
        index=pd.Index(names, name="study"), dtype="float64",
    )
    frame["zero_corrected"] = zero
    frame.attrs.update({"measure": "risk ratio" if kind == "RR" else "odds ratio", "se_scale": "log"})
    return frame


def log_ratio_from_ci(
    estimate: Numbers,
    ci_low: Numbers,
    ci_high: Numbers,
    *,
    labels: Labels = None,
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
        ``ci_high`` (as published), ``n`` (NA), then ``log_ratio``, ``variance``, ``asymmetry``;
        ``.attrs["se_scale"]`` is "log".

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
    est = as_float_array(estimate, "estimate")
    lo = as_float_array(ci_low, "ci_low")
    hi = as_float_array(ci_high, "ci_high")
    if not (est.size == lo.size == hi.size):
        raise MetaAnalysisError("estimate, ci_low and ci_high must have one value per study (equal lengths)")
    names = labels_for(estimate, labels, est.size)
    stacked = np.vstack([est, lo, hi])
    missing = np.isnan(stacked).any(axis=0)
    if missing.any():
        raise MetaAnalysisError(
            f"{listed(missing, names)}: estimate or CI missing. A study reported without a CI cannot be given a "
            "weight; leave it out explicitly and say so."
        )
    if (stacked <= 0).any():
        raise MetaAnalysisError("ratios and their limits must be positive (give ratios, not log ratios)")
    bad = (est < lo) | (est > hi)
    if bad.any():
        raise MetaAnalysisError(f"{listed(bad, names)}: the estimate lies outside its CI; check the numbers")
    crit = critical_value()
    log_se = (np.log(hi) - np.log(lo)) / (2 * crit)
    rows: dict[object, pd.Series] = {}
    for i, name in enumerate(names):
        y = math.log(est[i])
        middle = (math.log(lo[i]) + math.log(hi[i])) / 2
        rows[name] = numeric_result(
            float(est[i]), float(log_se[i]), float(lo[i]), float(hi[i]), math.nan,
            log_ratio=y, variance=float(log_se[i] ** 2), asymmetry=y - middle,
        )
    frame = result_frame(rows, "study").astype("float64")
    frame.attrs["se_scale"] = "log"
    return frame


# ------------------------------------------------------------------ pooling

def _fmt(x: float | None, digits: int = 3) -> str:
    return "NA" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _pval(p: float) -> str:
    """'p < 0.001' or 'p = 0.402'."""
    if math.isnan(p):
        return "p = NA"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


@dataclass(frozen=True)
class MetaAnalysis:
    """The result of :func:`meta_analysis` (and of :func:`course_utils.pool_2x2`).

    Attributes
    ----------
    method : str
        ``"reml"``, ``"dl"``, ``"pm"``, ``"fe"`` (or ``"mh"``, ``"peto"`` from
        :func:`course_utils.pool_2x2`); :attr:`method_label` says it in words.
    studies : pandas.DataFrame
        One row per study: ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``weight`` (percent).
    pooled : pandas.Series
        The pooled result, float64: ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n`` (number of
        studies), then ``z`` (or ``t`` with Hartung–Knapp), ``df`` (Hartung–Knapp only), ``p_value``,
        ``pi_low``, ``pi_high`` (95% prediction interval), ``tau2``, ``i2``, ``q``, ``log_estimate``.
        ``pooled.attrs`` holds ``method``, ``test`` ("z" or "Hartung–Knapp t"), ``se_scale``.
    heterogeneity : pandas.Series
        ``q``, ``df``, ``p_value``, ``i2`` (percent), ``h2``, ``tau2``, ``tau``.
    exponentiate : bool
        Whether estimates are shown as ratios (the inputs were log ratios).
    hartung_knapp : bool
        Whether the CI (and prediction interval) use the Hartung–Knapp–Sidik–Jonkman method.

    Examples
    --------
    >>> m = meta_analysis([0.1, 0.3, 0.2, 0.8], [0.01, 0.02, 0.015, 0.02], method="reml")
    >>> m.method_label, m.k
    ('random effects, REML τ²', 4)
    """

    method: str
    studies: pd.DataFrame
    pooled: pd.Series
    heterogeneity: pd.Series
    exponentiate: bool
    log_effect: FloatArray = field(repr=False)
    variance: FloatArray = field(repr=False)
    hartung_knapp: bool = False
    prediction: str = "normal"
    """Prediction-interval quantile: ``"normal"``, ``"hk"`` (t, k − 1 df) or ``"t"`` (t, k − 2 df)."""

    @property
    def method_label(self) -> str:
        """The pooling method in words."""
        label = METHODS[self.method]
        return label + (", Hartung–Knapp CI" if self.hartung_knapp else "")

    @property
    def k(self) -> int:
        """Number of studies."""
        return len(self.studies)

    def summary(self, digits: int = 3) -> str:
        """A few lines that report the analysis the way a paper would.

        Parameters
        ----------
        digits : int, default 3
            Decimals for estimates and intervals.

        Returns
        -------
        str

        Examples
        --------
        >>> print(meta_analysis([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], method="fe").summary().splitlines()[0])
        Meta-analysis of 3 studies — fixed effect (inverse variance)
        """
        p, h = self.pooled, self.heterogeneity
        scale = "ratio" if self.exponentiate else "effect"
        test = (f"t({int(p['df'])}) = {_fmt(p['t'], 2)}" if self.hartung_knapp else f"z = {_fmt(p['z'], 2)}")
        lines = [
            f"Meta-analysis of {self.k} studies — {self.method_label}",
            f"  pooled {scale}: {_fmt(p['estimate'], digits)} (95% CI {_fmt(p['ci_low'], digits)} to "
            f"{_fmt(p['ci_high'], digits)}), {test}, {_pval(p['p_value'])}",
        ]
        if self.method not in ("fe", "mh", "peto"):
            lines.append(f"  95% prediction interval: {_fmt(p['pi_low'], digits)} to {_fmt(p['pi_high'], digits)}")
        lines.append(
            f"  heterogeneity: Q = {_fmt(h['q'], 2)} on {int(h['df'])} df ({_pval(h['p_value'])}), "
            f"I² = {_fmt(h['i2'], 1)}%, τ² = {_fmt(h['tau2'], 4)}"
        )
        return "\n".join(lines)

    def __repr__(self) -> str:  # deterministic, readable in a notebook
        return self.summary()

    def table(self) -> pd.DataFrame:
        """Studies and the pooled row in one DataFrame (for printing or a forest plot).

        Returns
        -------
        pandas.DataFrame
            ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``weight`` per study, then the pooled row.

        Examples
        --------
        >>> meta_analysis([0.1, 0.3, 0.2], [0.01, 0.02, 0.015]).table().shape
        (4, 5)
        """
        pooled = self.pooled[["estimate", "se", "ci_low", "ci_high"]].copy()
        pooled["weight"] = 100.0
        frame = pd.concat([self.studies, pooled.to_frame(f"pooled ({self.method_label})").T])
        frame.index.name = "study"
        return frame.astype({"estimate": float, "se": float, "ci_low": float, "ci_high": float, "weight": float})


_PREDICTION = {
    "normal": "normal quantile (as metafor)",
    "hk": "t quantile, k − 1 df (as metafor with Hartung–Knapp)",
    "t": "t quantile, k − 2 df (Higgins et al. 2009)",
}


def _prediction_quantile(prediction: str | None, hartung_knapp: bool, k: int) -> tuple[float, str]:
    from scipy import stats

    key = ("hk" if hartung_knapp else "normal") if prediction is None else prediction
    if key not in _PREDICTION:
        raise MetaAnalysisError(f"prediction must be 'normal', 't' or 'hk', got {prediction!r}")
    if key == "normal":
        return critical_value(), key
    if key == "hk":
        return float(stats.t.ppf(0.975, k - 1)), key
    if k < 3:
        raise MetaAnalysisError("a t-based prediction interval needs at least 3 studies (k − 2 df)")
    return float(stats.t.ppf(0.975, k - 2)), key


def meta_analysis(
    effect: Numbers,
    variance: Numbers,
    *,
    labels: Labels = None,
    method: str = "dl",
    hartung_knapp: bool = False,
    exponentiate: bool = False,
    prediction: str | None = None,
) -> MetaAnalysis:
    """Pool study estimates by inverse-variance weighting (fixed or random effects).

    Parameters
    ----------
    effect : array-like of float
        One estimate per study, on an additive scale: log risk ratios, log odds
        ratios, mean differences, standardised mean differences…  Text (even
        numeric strings such as ``"0.1"``) is refused: convert with ``pd.to_numeric``.
    variance : array-like of float
        The squared standard error of each estimate (positive).
    labels : sequence of str, optional
        Study names (default: the index of ``effect`` if it is a Series).
    method : {"dl", "reml", "pm", "fe"}, default "dl"
        Random effects with τ² by DerSimonian–Laird (``"dl"``, the long-time default of
        most software), restricted maximum likelihood (``"reml"``, metafor's default and
        the modern recommendation) or Paule–Mandel (``"pm"``); or a fixed (common)
        effect (``"fe"``).  Every τ² is truncated at 0, so a homogeneous set of studies
        (Q < k − 1) gives τ² = 0 and the fixed-effect answer.
    hartung_knapp : bool, default False
        Use the Hartung–Knapp–Sidik–Jonkman standard error and t quantiles on k − 1 df
        for the CI, test and prediction interval (metafor's ``test="knha"``).  Recommended
        with random effects, especially with few studies (IntHout et al., BMC Med Res
        Methodol 2014;14:25, doi:10.1186/1471-2288-14-25).
    exponentiate : bool, default False
        Show estimates, CIs and the prediction interval as ratios (``exp``) — use
        when ``effect`` holds log ratios.  Standard errors stay on the log scale.
    prediction : {"normal", "t", "hk"}, optional
        Prediction interval μ̂ ± q·√(τ² + SE²) with q from the normal distribution
        (``"normal"``, the default without Hartung–Knapp, as metafor), from t with k − 1 df
        (``"hk"``, the default with Hartung–Knapp, as metafor) or from t with k − 2 df
        (``"t"``, Higgins et al. 2009).

    Returns
    -------
    MetaAnalysis
        ``.pooled`` (float result Series: estimate, se, ci_low, ci_high, n = k, then
        z or t, df, p_value, pi_low, pi_high, tau2, i2, q, log_estimate; text in ``.attrs``),
        ``.studies`` (result DataFrame with weights), ``.heterogeneity`` (Q, df, p, I², H², τ²),
        ``.summary()``.

    Raises
    ------
    MetaAnalysisError
        Text or missing or non-finite effects, non-positive variances, mismatched lengths,
        fewer than two studies (a single study has no between-study variance for REML or any
        τ² estimator, and Hartung–Knapp has k − 1 = 0 degrees of freedom), or an unknown method.

    Examples
    --------
    >>> m = meta_analysis([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], method="fe")
    >>> m.pooled[["estimate", "n"]].round(4).tolist()
    [0.1769, 3.0]
    >>> float(meta_analysis([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], method="reml").pooled["tau2"])
    0.0
    """
    from scipy import stats

    key = _method(method)
    y0 = as_float_array(effect, "effect")
    if y0.size == 1:
        why = ("Hartung–Knapp intervals need k − 1 ≥ 1 degrees of freedom" if hartung_knapp
               else f"{METHODS[key]} needs at least 2 studies" + (" to estimate τ²" if key != "fe" else ""))
        raise MetaAnalysisError(
            f"only one study given: {why}. A single study is its own result — report it, not a meta-analysis"
        )
    y, v, names = check_studies(effect, variance, labels)
    k = y.size
    res = _est.fit(y, v, key, hartung_knapp=bool(hartung_knapp))
    mu, se = res.mu, res.se
    if hartung_knapp:
        df = k - 1
        crit = float(stats.t.ppf(0.975, df))
        stat = mu / se
        p = float(2 * stats.t.sf(abs(stat), df))
    else:
        crit = critical_value()
        stat = mu / se
        p = float(2 * stats.norm.sf(abs(stat)))
    lo, hi = mu - crit * se, mu + crit * se
    q_pi, pi_kind = _prediction_quantile(prediction, bool(hartung_knapp), k)
    if key == "fe":
        pi_lo = pi_hi = math.nan
    else:
        half = q_pi * math.sqrt(res.tau2 + se**2)
        pi_lo, pi_hi = mu - half, mu + half

    def tf(x: float) -> float:
        return math.exp(x) if exponentiate and not math.isnan(x) else x

    test_fields = {"t": stat, "df": float(k - 1)} if hartung_knapp else {"z": stat}
    pooled = numeric_result(
        tf(mu), se, tf(lo), tf(hi), k, name="pooled",
        attrs={"method": METHODS[key], "test": "Hartung–Knapp t" if hartung_knapp else "z",
               "prediction": _PREDICTION[pi_kind], "se_scale": "log" if exponentiate else "same"},
        **test_fields, p_value=p, pi_low=tf(pi_lo), pi_high=tf(pi_hi), tau2=res.tau2, i2=res.i2, q=res.q,
        log_estimate=mu,
    )
    sd = np.sqrt(v)
    z = critical_value()
    studies = pd.DataFrame(
        {
            "estimate": np.exp(y) if exponentiate else y,
            "se": sd,
            "ci_low": np.exp(y - z * sd) if exponentiate else y - z * sd,
            "ci_high": np.exp(y + z * sd) if exponentiate else y + z * sd,
            "weight": 100 * res.weights,
        },
        index=pd.Index(names, name="study"), dtype="float64",
    )
    heterogeneity = pd.Series(
        {
            "q": res.q, "df": float(res.df), "p_value": float(stats.chi2.sf(res.q, res.df)),
            "i2": res.i2, "h2": res.h2, "tau2": res.tau2, "tau": math.sqrt(res.tau2),
        },
        name="heterogeneity", dtype="float64",
    )
    return MetaAnalysis(key, studies, pooled, heterogeneity, bool(exponentiate), y, v,
                        hartung_knapp=bool(hartung_knapp), prediction=pi_kind)


def refit(meta: MetaAnalysis, y: FloatArray, v: FloatArray, labels: list[str] | None = None) -> MetaAnalysis:
    """The same model as ``meta`` (method, Hartung–Knapp, scale) fitted to other studies."""
    return meta_analysis(y, v, labels=labels, method=meta.method, hartung_knapp=meta.hartung_knapp,
                         exponentiate=meta.exponentiate, prediction=meta.prediction)


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

    Examples
    --------
    >>> r = meta_regression([0.1, 0.3, 0.5, 0.6], [0.01, 0.02, 0.01, 0.03], [1, 2, 3, 4])
    >>> r.qe_df
    2
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

    def predict(self, values: Numbers | float, *, exponentiate: bool = False) -> pd.DataFrame:
        """Predicted average effect (with 95% CI) at given moderator values.

        Parameters
        ----------
        values : float or array-like of float
            Moderator values at which to predict.
        exponentiate : bool, default False
            Return ratios (``exp``) when the effects are log ratios.

        Returns
        -------
        pandas.DataFrame
            ``estimate``, ``se``, ``ci_low``, ``ci_high``, indexed by the moderator values.

        Examples
        --------
        >>> r = meta_regression([0.1, 0.3, 0.5, 0.6], [0.01, 0.02, 0.01, 0.03], [1, 2, 3, 4])
        >>> r.predict([0]).shape
        (1, 4)
        """
        x = as_float_array(np.atleast_1d(values), "values")
        b = self.coefficients["estimate"].to_numpy(float)
        cov = self._cov
        X = np.column_stack([np.ones_like(x), x])
        fit = X @ b
        se = np.sqrt(np.einsum("ij,jk,ik->i", X, cov, X))
        crit = critical_value()
        low, high = fit - crit * se, fit + crit * se
        if exponentiate:
            fit, low, high = np.exp(fit), np.exp(low), np.exp(high)
        return pd.DataFrame(
            {"estimate": fit, "se": se, "ci_low": low, "ci_high": high},
            index=pd.Index(x, name=self.moderator),
        )

    @property
    def _cov(self) -> FloatArray:
        return np.asarray(self.cov, dtype=float)

    def summary(self) -> str:
        """A few lines in the style of a paper's results section.

        Returns
        -------
        str

        Examples
        --------
        >>> r = meta_regression([0.1, 0.3, 0.5, 0.6], [0.01, 0.02, 0.01, 0.03], [1, 2, 3, 4])
        >>> r.summary().startswith("Mixed-effects meta-regression on moderator")
        True
        """
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


def _mm_tau2(y: FloatArray, v: FloatArray, X: FloatArray) -> tuple[float, float]:
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
    effect: Numbers,
    variance: Numbers,
    moderator: Numbers,
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

    y, v, names = check_studies(effect, variance, None)
    x = as_float_array(moderator, "moderator")
    if x.size != y.size:
        raise MetaAnalysisError(f"moderator has {x.size} values for {y.size} studies; give one per study")
    if np.isnan(x).any():
        raise MetaAnalysisError(
            f"moderator is missing for {listed(np.isnan(x), names)}; nothing is dropped silently — "
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
    rows: dict[object, pd.Series] = {}
    for i, label in enumerate(["intercept", str(name)]):
        b, se = float(fit.params[i]), float(fit.bse[i])
        zval = b / se
        rows[label] = numeric_result(b, se, b - crit * se, b + crit * se, k,
                                     z=zval, p_value=float(2 * stats.norm.sf(abs(zval))))
    coefs = result_frame(rows, "term").astype("float64")
    qm = float((fit.params[1] / fit.bse[1]) ** 2)
    tau2_re, _ = _mm_tau2(y, v, np.ones((k, 1)))
    r2 = 100 * max(0.0, (tau2_re - tau2) / tau2_re) if tau2_re > 0 else 0.0
    i2 = 100 * max(0.0, (qe - (k - p)) / qe) if qe > 0 else 0.0
    return MetaRegression(
        coefficients=coefs, tau2=tau2, qe=qe, qe_df=k - p, qe_p=float(stats.chi2.sf(qe, k - p)),
        qm=qm, qm_p=float(stats.chi2.sf(qm, 1)), r2=r2, i2=i2, moderator=str(name),
        cov=tuple(tuple(float(c) for c in row) for row in np.asarray(fit.cov_params())),
    )


def funnel_asymmetry_test(effect: Numbers, variance: Numbers) -> pd.Series:
    """Regression test for funnel-plot asymmetry (small-study effects).

    Fits the mixed-effects meta-regression of the effects on their standard
    errors (:func:`meta_regression`); a slope far from 0 means smaller studies
    (larger SE) report systematically different effects — one possible sign of
    publication bias, though not proof of it (heterogeneity or chance can do
    the same).  This is the default test of ``metafor::regtest`` for a
    DerSimonian–Laird model, a variant of Egger et al.'s test (BMJ 1997;315:629–634,
    doi:10.1136/bmj.315.7109.629); the classic form is :func:`course_utils.egger_test`.

    Parameters
    ----------
    effect : array-like of float
        Study effects on an additive scale (log ratios, mean differences…).
    variance : array-like of float
        Their variances (SE squared).

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
    v = as_float_array(variance, "variance")
    fit = meta_regression(effect, variance, np.sqrt(v), moderator_name="standard error")
    slope = fit.coefficients.iloc[1]
    return numeric_result(
        float(slope["estimate"]), float(slope["se"]), float(slope["ci_low"]), float(slope["ci_high"]),
        int(slope["n"]), name="funnel asymmetry (slope on SE)",
        attrs={"test": "mixed-effects meta-regression on the SE (metafor regtest default)"},
        z=float(slope["z"]), p_value=float(slope["p_value"]),
        limit_estimate=float(fit.coefficients.iloc[0]["estimate"]),
    )
