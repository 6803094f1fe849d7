"""Small-study effects and robustness: trim-and-fill, Egger's test, leave-one-out, influence.

* :func:`egger_test` — the classic regression test of Egger et al. (BMJ 1997;315:629–634,
  doi:10.1136/bmj.315.7109.629): ordinary least squares of yᵢ/SEᵢ on 1/SEᵢ; an intercept
  (the "bias" coefficient) far from 0 means small studies report different effects.
  It is the same model as ``metafor::regtest(rma(yi, vi, method="FE"), model="lm")``.
  (:func:`course_utils.funnel_asymmetry_test` is the random-effects variant, metafor's default.)
* :func:`trim_and_fill` — Duval & Tweedie's nonparametric trim-and-fill (Biometrics
  2000;56:455–463, doi:10.1111/j.0006-341X.2000.00455.x; JASA 2000;95:89–98,
  doi:10.1080/01621459.2000.10473905) with the L0 or R0 estimator of the number of
  missing studies, as ``metafor::trimfill``.
* :func:`leave_one_out` — the model refitted without each study in turn (``metafor::leave1out``).
* :func:`influence_diagnostics` — studentised deleted residuals, DFFITS, Cook's distance,
  covariance ratios, hat values and DFBETAS (Viechtbauer & Cheung, Res Synth Methods
  2010;1:112–125, doi:10.1002/jrsm.11), as ``metafor::influence.rma.uni``.

None of these proves or rules out publication bias.  Funnel asymmetry has other causes
(heterogeneity, chance, study quality — Sterne et al., BMJ 2011;343:d4002,
doi:10.1136/bmj.d4002), the tests have little power with fewer than about ten studies,
and trim-and-fill imputes studies under the assumption that asymmetry *is* publication
bias of one particular kind; its adjusted estimate is a sensitivity analysis, not a
corrected answer (Peters et al., Stat Med 2007;26:4544–4562, doi:10.1002/sim.2889).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from course_utils import _meta_estimators as _est
from course_utils._meta_inputs import FloatArray, MetaAnalysisError, Numbers, check_studies, numeric_result
from course_utils.metaanalysis import MetaAnalysis, refit
from course_utils.results import result_frame

__all__ = ["TrimAndFill", "egger_test", "trim_and_fill", "leave_one_out", "influence_diagnostics"]


def _require_inverse_variance(meta: object, what: str) -> MetaAnalysis:
    if not isinstance(meta, MetaAnalysis):
        raise TypeError(f"{what} takes the result of course_utils.meta_analysis, got {type(meta).__name__}")
    if meta.method not in ("fe", "dl", "pm", "reml"):
        raise MetaAnalysisError(
            f"{what} needs an inverse-variance model from meta_analysis (method 'reml', 'dl', 'pm' or 'fe'); "
            f"this one was pooled with {meta.method_label}. Compute the per-study effects "
            "(log_ratio_from_counts) and pass them to meta_analysis first"
        )
    return meta


# ------------------------------------------------------------------ Egger's regression test

def egger_test(effect: Numbers, variance: Numbers) -> pd.Series:
    """Egger's regression test for funnel-plot asymmetry (the classic form).

    Parameters
    ----------
    effect : array-like of float
        Study effects on an additive scale (log ratios, mean differences…).
    variance : array-like of float
        Their variances (SE squared).

    Returns
    -------
    pandas.Series
        A float result Series for the bias coefficient (the intercept of yᵢ/SEᵢ on 1/SEᵢ):
        ``estimate``, ``se``, ``ci_low``, ``ci_high`` (t on k − 2 df), ``n`` (studies), then
        ``t``, ``df``, ``p_value`` and ``limit_estimate`` (the slope on 1/SE: the effect
        expected in an infinitely precise study).  ``.attrs["test"]`` names the test.

    Raises
    ------
    MetaAnalysisError
        Bad effects or variances (as :func:`course_utils.meta_analysis`) or fewer than 3 studies.

    Notes
    -----
    With fewer than 10 studies the test has too little power to be useful (Sterne et al. 2011).

    Examples
    --------
    >>> r = egger_test([0.1, 0.3, 0.5, 0.6], [0.01, 0.02, 0.01, 0.03])
    >>> float(r["df"])
    2.0
    """
    from scipy import stats
    from statsmodels.regression.linear_model import OLS

    y, v, _ = check_studies(effect, variance, None, minimum=3)
    se = np.sqrt(v)
    X = np.column_stack([np.ones_like(y), 1 / se])
    fit = OLS(y / se, X).fit()
    df = y.size - 2
    b, sb = float(fit.params[0]), float(fit.bse[0])
    crit = float(stats.t.ppf(0.975, df))
    tval = b / sb
    return numeric_result(
        b, sb, b - crit * sb, b + crit * sb, y.size, name="Egger's test (bias coefficient)",
        attrs={"test": "Egger et al. 1997: OLS of y/SE on 1/SE (metafor regtest, model='lm')"},
        t=tval, df=float(df), p_value=float(2 * stats.t.sf(abs(tval), df)), limit_estimate=float(fit.params[1]),
    )


# ------------------------------------------------------------------ trim and fill

@dataclass(frozen=True)
class TrimAndFill:
    """The result of :func:`trim_and_fill`.

    Attributes
    ----------
    k0 : int
        Estimated number of missing studies (imputed as mirror images).
    se_k0 : float
        Standard error of the estimate of k0.
    side : str
        Side of the funnel on which studies were judged missing ("left" or "right").
    estimator : str
        "L0" or "R0".
    original : MetaAnalysis
        The model as given.
    adjusted : MetaAnalysis
        The same model refitted to the observed plus the filled studies
        (the original model when k0 = 0).
    filled : pandas.DataFrame
        The imputed studies: ``effect`` and ``variance`` (analysis scale).
    pooled : pandas.Series
        The adjusted pooled result (float), with ``n`` = k + k0 and ``k0``, ``se_k0``.

    Examples
    --------
    >>> import course_utils as cu
    >>> m = cu.meta_analysis([0.1, 0.3, 0.5, 0.6, 0.9], [0.01, 0.02, 0.04, 0.06, 0.1], method="fe")
    >>> int(trim_and_fill(m).pooled["n"])
    7
    """

    k0: int
    se_k0: float
    side: str
    estimator: str
    original: MetaAnalysis
    adjusted: MetaAnalysis
    filled: pd.DataFrame
    pooled: pd.Series

    def summary(self, digits: int = 3) -> str:
        """What trim-and-fill did, and the caution that goes with it.

        Parameters
        ----------
        digits : int, default 3
            Decimals for estimates and intervals.

        Returns
        -------
        str

        Examples
        --------
        >>> import course_utils as cu
        >>> m = cu.meta_analysis([0.1, 0.3, 0.5, 0.6, 0.9], [0.01, 0.02, 0.04, 0.06, 0.1], method="fe")
        >>> print(trim_and_fill(m).summary().splitlines()[0])
        Trim-and-fill (L0): 2 studies imputed on the left of the funnel
        """
        o, a = self.original.pooled, self.adjusted.pooled
        scale = "ratio" if self.original.exponentiate else "effect"
        return "\n".join([
            f"Trim-and-fill ({self.estimator}): {self.k0} stud{'y' if self.k0 == 1 else 'ies'} imputed on the "
            f"{self.side} of the funnel",
            f"  pooled {scale} as observed: {o['estimate']:.{digits}f} ({o['ci_low']:.{digits}f} to "
            f"{o['ci_high']:.{digits}f}), k = {int(o['n'])}",
            f"  with the filled studies:    {a['estimate']:.{digits}f} ({a['ci_low']:.{digits}f} to "
            f"{a['ci_high']:.{digits}f}), k = {int(a['n'])}",
            "  A sensitivity analysis under one model of publication bias, not a corrected estimate.",
        ])

    def __repr__(self) -> str:
        return self.summary()


def _signed_ranks(centred: FloatArray) -> FloatArray:
    """Ranks of |centred| (ties in order of appearance, as R's ties.method='first'), signed."""
    order = np.argsort(np.abs(centred), kind="stable")
    ranks = np.empty(centred.size)
    ranks[order] = np.arange(1, centred.size + 1)
    return np.sign(centred) * ranks


def trim_and_fill(meta: MetaAnalysis, *, estimator: str = "L0", side: str | None = None,
                  maxiter: int = 100) -> TrimAndFill:
    """Duval and Tweedie's trim-and-fill: how would the estimate move if the funnel were symmetric?

    The most extreme studies on the side with "too many" are trimmed until the rest is
    symmetric around its own pooled estimate; their mirror images are then added on the
    other side and the model is refitted to the observed and filled studies.

    Parameters
    ----------
    meta : MetaAnalysis
        A model from :func:`course_utils.meta_analysis` (its method, Hartung–Knapp choice and
        scale are reused for every fit).
    estimator : {"L0", "R0"}, default "L0"
        Estimator of the number of missing studies (Duval & Tweedie 2000).
    side : {"left", "right"}, optional
        Side on which studies are missing.  Default, as metafor: the side opposite the slope
        of the regression of the effects on their standard errors.
    maxiter : int, default 100
        Iteration limit.

    Returns
    -------
    TrimAndFill
        ``.k0``, ``.side``, ``.pooled`` (the adjusted result), ``.adjusted`` and ``.original``
        (MetaAnalysis objects for plotting), ``.filled``, ``.summary()``.

    Raises
    ------
    MetaAnalysisError
        A model that is not an inverse-variance model (Mantel–Haenszel, Peto), fewer than 3
        studies, an unknown estimator or side, or no convergence.
    TypeError
        ``meta`` is not a MetaAnalysis.

    Notes
    -----
    As metafor's ``trimfill`` except that the filled model keeps the Hartung–Knapp interval
    when ``meta`` used it (metafor refits with normal intervals).  The adjusted estimate
    assumes the asymmetry is caused by unpublished studies mirroring the published ones;
    with heterogeneity it can impute studies that never existed (Terrin et al., Stat Med
    2003;22:2113–2126, doi:10.1002/sim.1461).  Use it to ask "how sensitive is the answer?",
    never as the answer.

    Examples
    --------
    >>> import course_utils as cu
    >>> m = cu.meta_analysis([0.1, 0.3, 0.5, 0.6, 0.9], [0.01, 0.02, 0.04, 0.06, 0.1], method="fe")
    >>> tf = trim_and_fill(m)
    >>> tf.k0, tf.side
    (2, 'left')
    """
    meta = _require_inverse_variance(meta, "trim_and_fill")
    key = str(estimator).strip().upper()
    if key not in ("L0", "R0"):
        raise MetaAnalysisError(f"estimator must be 'L0' or 'R0', got {estimator!r}")
    y0, v0 = np.asarray(meta.log_effect, dtype=float), np.asarray(meta.variance, dtype=float)
    k = y0.size
    if k < 3:
        raise MetaAnalysisError(f"trim-and-fill needs at least 3 studies, got {k}")
    if side is None:
        chosen = "right" if _est.slope_on_se(y0, v0, meta.method) < 0 else "left"
    elif side in ("left", "right"):
        chosen = side
    else:
        raise MetaAnalysisError(f"side must be 'left', 'right' or None (decide from the data), got {side!r}")
    flip = -1.0 if chosen == "right" else 1.0
    y = flip * y0
    order = np.argsort(y, kind="stable")
    y, v = y[order], v0[order]
    k0, previous, beta, se_k0 = 0, -1, math.nan, math.nan
    for _ in range(maxiter):
        if k0 == previous:
            break
        previous = k0
        beta = _est.fit(y[: k - k0], v[: k - k0], meta.method).mu
        signed = _signed_ranks(y - beta)
        if key == "R0":
            negatives = -signed[signed < 0]
            estimate = (k - (float(negatives.max()) if negatives.size else 0.0)) - 1
            se_k0 = math.sqrt(2 * max(0.0, estimate) + 2)
        else:
            s_r = float(signed[signed > 0].sum())
            estimate = (4 * s_r - k * (k + 1)) / (2 * k - 1)
            var_sr = (k * (k + 1) * (2 * k + 1) + 10 * estimate**3 + 27 * estimate**2 + 17 * estimate
                      - 18 * k * estimate**2 - 18 * k * estimate + 6 * k**2 * estimate) / 24
            se_k0 = 4 * math.sqrt(max(var_sr, 0.0)) / (2 * k - 1)
        k0 = max(0, int(np.round(estimate)))
        k0 = min(k0, k - 1)
    else:
        raise MetaAnalysisError(f"trim-and-fill did not converge in {maxiter} iterations")
    se_k0 = max(0.0, se_k0)
    if k0 > 0:
        filled_y = flip * (2 * beta - y[k - k0:])
        filled_v = v[k - k0:]
        filled_names = [f"filled {i + 1}" for i in range(k0)]
        labels = [str(s) for s in meta.studies.index] + filled_names
        adjusted = refit(meta, np.concatenate([y0, filled_y]), np.concatenate([v0, filled_v]), labels)
    else:
        filled_y, filled_v, filled_names, adjusted = np.array([]), np.array([]), [], meta
    filled = pd.DataFrame({"effect": filled_y, "variance": filled_v},
                          index=pd.Index(filled_names, name="study"), dtype="float64")
    pooled = adjusted.pooled.copy()
    pooled["k0"] = float(k0)
    pooled["se_k0"] = se_k0
    pooled = pooled.astype("float64")
    pooled.name = "pooled, trim-and-fill"
    pooled.attrs.update(adjusted.pooled.attrs)
    pooled.attrs.update({"side": chosen, "estimator": key})
    return TrimAndFill(k0, se_k0, chosen, key, meta, adjusted, filled, pooled)


# ------------------------------------------------------------------ leave-one-out and influence

def _leave_one_out_check(meta: MetaAnalysis, what: str) -> None:
    if meta.k < 3:
        raise MetaAnalysisError(f"{what} needs at least 3 studies (each refit keeps k − 1 ≥ 2), got {meta.k}")


def leave_one_out(meta: MetaAnalysis) -> pd.DataFrame:
    """The meta-analysis repeated with each study left out in turn.

    Parameters
    ----------
    meta : MetaAnalysis
        A model from :func:`course_utils.meta_analysis`; each refit uses its method,
        Hartung–Knapp choice and scale.

    Returns
    -------
    pandas.DataFrame
        One float result row per omitted study (index: the study left out): ``estimate``,
        ``se``, ``ci_low``, ``ci_high``, ``n`` (k − 1), ``z`` or ``t``, ``p_value``,
        ``pi_low``, ``pi_high``, ``tau2``, ``i2``, ``q``, ``log_estimate`` — as
        ``metafor::leave1out``.

    Raises
    ------
    MetaAnalysisError
        Not an inverse-variance model, or fewer than 3 studies.

    Examples
    --------
    >>> import course_utils as cu
    >>> m = cu.meta_analysis([0.1, 0.3, 0.2, 0.8], [0.01, 0.02, 0.015, 0.02])
    >>> leave_one_out(m)["estimate"].round(3).tolist()
    [0.429, 0.357, 0.392, 0.177]
    """
    meta = _require_inverse_variance(meta, "leave_one_out")
    _leave_one_out_check(meta, "leave-one-out")
    y, v = np.asarray(meta.log_effect, dtype=float), np.asarray(meta.variance, dtype=float)
    names = [str(s) for s in meta.studies.index]
    rows: dict[object, pd.Series] = {}
    for i, name in enumerate(names):
        keep = np.arange(y.size) != i
        rows[name] = refit(meta, y[keep], v[keep]).pooled
    frame = result_frame(rows, "omitted").astype("float64")
    frame.attrs.update(dict(meta.pooled.attrs))
    return frame


def influence_diagnostics(meta: MetaAnalysis) -> pd.DataFrame:
    """Case-deletion diagnostics for each study, as ``metafor::influence``.

    Parameters
    ----------
    meta : MetaAnalysis
        A model from :func:`course_utils.meta_analysis`.

    Returns
    -------
    pandas.DataFrame
        One row per study: ``rstudent`` (studentised deleted residual), ``dffits``,
        ``cook_d`` (Cook's distance), ``cov_r`` (covariance ratio), ``tau2_del`` and
        ``qe_del`` (τ² and Q without the study), ``hat``, ``weight`` (percent), ``dfbetas``,
        and ``influential`` (bool): metafor's flag — |DFFITS| > 3√(1/(k − 1)), or Cook's
        distance above the median of χ²₁, or hat > 3/k, or |DFBETAS| > 1.

    Raises
    ------
    MetaAnalysisError
        Not an inverse-variance model, or fewer than 3 studies.

    Examples
    --------
    >>> import course_utils as cu
    >>> m = cu.meta_analysis([0.1, 0.3, 0.2, 0.8], [0.01, 0.02, 0.015, 0.02])
    >>> influence_diagnostics(m)["influential"].tolist()
    [False, False, False, True]
    """
    from scipy import stats

    meta = _require_inverse_variance(meta, "influence_diagnostics")
    _leave_one_out_check(meta, "influence diagnostics")
    y, v = np.asarray(meta.log_effect, dtype=float), np.asarray(meta.variance, dtype=float)
    k = y.size
    full = _est.fit(y, v, meta.method, hartung_knapp=meta.hartung_knapp)
    vb = full.se**2
    hat = full.weights
    columns: dict[str, list[float]] = {name: [] for name in (
        "rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat", "weight", "dfbetas")}
    for i in range(k):
        keep = np.arange(k) != i
        part = _est.fit(y[keep], v[keep], meta.method, hartung_knapp=meta.hartung_knapp)
        vb_i = part.se**2
        diff = full.mu - part.mu
        vb_del = 1.0 / float(np.sum(1.0 / (v + part.tau2)))
        columns["rstudent"].append((y[i] - part.mu) / math.sqrt(v[i] * part.s2w + vb_i + part.tau2 * part.s2w))
        columns["dffits"].append(diff / math.sqrt(part.s2w * hat[i] * (part.tau2 + v[i])))
        columns["cook_d"].append(diff**2 / vb)
        columns["cov_r"].append(vb_i / vb)
        columns["tau2_del"].append(part.tau2)
        columns["qe_del"].append(part.q)
        columns["hat"].append(float(hat[i]))
        columns["weight"].append(100 * float(hat[i]))
        columns["dfbetas"].append(diff / math.sqrt(part.s2w * vb_del))
    frame = pd.DataFrame(columns, index=pd.Index([str(s) for s in meta.studies.index], name="study"),
                         dtype="float64")
    frame["influential"] = (
        (frame["dffits"].abs() > 3 * math.sqrt(1 / (k - 1)))
        | (stats.chi2.cdf(frame["cook_d"], 1) > 0.5)
        | (frame["hat"] > 3 / k)
        | (frame["dfbetas"].abs() > 1)
    )
    return frame
