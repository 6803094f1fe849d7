"""Private: the between-study variance τ² and the pooled estimate, as metafor's ``rma.uni``.

One function, :func:`fit`, does the arithmetic every random-effects routine in the
course needs (``meta_analysis``, trim-and-fill, leave-one-out, influence), so a
method means the same thing everywhere.

Estimators of τ² (each truncated at 0, where the estimating equation has no
positive solution — e.g. when Cochran's Q is below its degrees of freedom k − 1):

* ``"dl"`` DerSimonian & Laird (Control Clin Trials 1986;7:177–188,
  doi:10.1016/0197-2456(86)90046-2): τ² = max(0, (Q − (k − 1)) / (Σw − Σw²/Σw)), w = 1/v;
* ``"pm"`` Paule & Mandel (DerSimonian & Kacker, Contemp Clin Trials 2007;28:105–114,
  doi:10.1016/j.cct.2006.04.004): the τ² ≥ 0 at which the generalised Q equals k − 1
  (found by bracketing root search; 0 when Q(0) ≤ k − 1);
* ``"reml"`` restricted maximum likelihood (Viechtbauer, J Educ Behav Stat
  2005;30:261–293, doi:10.3102/10769986030003261), by Fisher scoring as metafor, with
  step halving so that τ² never goes below 0 and the likelihood never falls (which stops
  the oscillation plain Fisher scoring can fall into); where the restricted likelihood is
  higher at τ² = 0 than at the interior point found, 0 is returned (the maximum).

Hartung–Knapp–Sidik–Jonkman (Hartung & Knapp, Stat Med 2001;20:3875–3889,
doi:10.1002/sim.1009; Sidik & Jonkman, Stat Med 2002;21:3153–3159, doi:10.1002/sim.1262):
SE² = s² / Σw* with s² = Σw*(y − μ̂)² / (k − 1), w* = 1/(v + τ²), and t quantiles on
k − 1 df.  As in metafor's default ``test="knha"``, s² is *not* truncated at 1, so the
interval may be narrower than the normal one when the studies agree closely.

I² and H² follow metafor: I² = τ² / (τ² + ṽ) with the "typical" within-study variance
ṽ = (k − 1)Σw / ((Σw)² − Σw²) (Higgins & Thompson, Stat Med 2002;21:1539–1558,
doi:10.1002/sim.1186); for DL this equals (Q − df)/Q; for a fixed-effect model
I² = max(0, (Q − df)/Q).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from course_utils._meta_inputs import FloatArray, MetaAnalysisError

TAU2_METHODS = ("dl", "pm", "reml")


@dataclass(frozen=True)
class Fit:
    """One fitted intercept-only model (all numbers on the analysis scale)."""

    mu: float
    se: float
    tau2: float
    q: float
    df: int
    i2: float
    h2: float
    s2w: float
    weights: FloatArray
    hartung_knapp: bool

    @property
    def k(self) -> int:
        """Number of studies."""
        return self.df + 1


def cochran_q(y: FloatArray, v: FloatArray) -> float:
    """Cochran's Q around the fixed-effect (inverse-variance) mean."""
    w = 1.0 / v
    mu = float(np.sum(w * y) / np.sum(w))
    return float(np.sum(w * (y - mu) ** 2))


def _generalised_q(y: FloatArray, v: FloatArray, tau2: float) -> float:
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    return float(np.sum(w * (y - mu) ** 2))


def tau2_dl(y: FloatArray, v: FloatArray) -> float:
    """DerSimonian–Laird τ², floored at 0."""
    w = 1.0 / v
    q = cochran_q(y, v)
    denominator = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    return max(0.0, (q - (y.size - 1)) / denominator)


def tau2_pm(y: FloatArray, v: FloatArray) -> float:
    """Paule–Mandel τ²: the root of Q(τ²) = k − 1, or 0 when Q(0) ≤ k − 1."""
    from scipy.optimize import brentq

    target = y.size - 1
    if _generalised_q(y, v, 0.0) <= target:
        return 0.0
    upper = max(1.0, 10 * float(np.var(y, ddof=1)))
    while _generalised_q(y, v, upper) > target:
        upper *= 10
    return float(brentq(lambda t: _generalised_q(y, v, t) - target, 0.0, upper, xtol=1e-14, rtol=1e-14,
                        maxiter=500))


def _maximise_reml(score_info: Callable[[float], tuple[float, float]], loglik: Callable[[float], float],
                   start: float, *, tol: float = 1e-12, maxiter: int = 1000) -> float:
    """REML τ² from its score and Fisher information, as metafor's Fisher scoring plus two safeguards.

    A step is halved while it would take τ² below 0 or lower the likelihood; and when two
    successive steps point in opposite directions the score's root is bracketed, so it is
    polished by Brent's method (plain Fisher scoring can oscillate around the root for ever).
    If the likelihood is higher at τ² = 0 than at the root (it can be bimodal), 0 is returned.
    """
    from scipy.optimize import brentq

    tau2, ll = start, loglik(start)
    previous: tuple[float, float] | None = None
    for _ in range(maxiter):
        score, info = score_info(tau2)
        step = score / info
        if previous is not None and previous[1] * step < 0:
            low, high = sorted((previous[0], tau2))
            if score_info(low)[0] * score_info(high)[0] < 0:
                tau2 = float(brentq(lambda t: score_info(t)[0], low, high, xtol=1e-15, rtol=1e-15, maxiter=500))
                break
        previous = (tau2, step)
        while abs(step) >= tol and (tau2 + step < 0 or loglik(tau2 + step) < ll - 1e-12):
            step /= 2
        if abs(step) < tol:
            break
        tau2 += step
        ll = loglik(tau2)
    else:
        raise MetaAnalysisError(
            f"the REML estimate of τ² did not converge in {maxiter} Fisher-scoring steps; "
            "try method='pm' or method='dl' and report which you used"
        )
    if tau2 < 1e-10 or loglik(0.0) > loglik(tau2):
        return 0.0
    return tau2


def _reml_loglik(y: FloatArray, v: FloatArray, tau2: float) -> float:
    """Restricted log-likelihood of the intercept-only model (up to a constant)."""
    w = 1.0 / (v + tau2)
    sw = float(np.sum(w))
    mu = float(np.sum(w * y) / sw)
    return -0.5 * (float(np.sum(np.log(v + tau2))) + math.log(sw) + float(np.sum(w * (y - mu) ** 2)))


def tau2_reml(y: FloatArray, v: FloatArray) -> float:
    """REML τ² (intercept-only model); see :func:`_maximise_reml`."""

    def score_info(tau2: float) -> tuple[float, float]:
        w = 1.0 / (v + tau2)
        sw = float(np.sum(w))
        mu = float(np.sum(w * y) / sw)
        trace_p = sw - float(np.sum(w**2)) / sw
        ypp_y = float(np.sum(w**2 * (y - mu) ** 2))
        trace_pp = float(np.sum(w**2) - 2 * np.sum(w**3) / sw + np.sum(w**2) ** 2 / sw**2)
        return ypp_y - trace_p, trace_pp

    return _maximise_reml(score_info, lambda t: _reml_loglik(y, v, t), tau2_dl(y, v))


def tau2(y: FloatArray, v: FloatArray, method: str) -> float:
    """τ² by the named method ("fe" gives 0)."""
    if method == "fe":
        return 0.0
    if method == "dl":
        return tau2_dl(y, v)
    if method == "pm":
        return tau2_pm(y, v)
    if method == "reml":
        return tau2_reml(y, v)
    raise MetaAnalysisError(f"unknown τ² method {method!r}")  # pragma: no cover - checked by callers


def fit(y: FloatArray, v: FloatArray, method: str, *, hartung_knapp: bool = False) -> Fit:
    """Pool ``y`` (variances ``v``) with the named method; see the module docstring."""
    k = y.size
    t2 = tau2(y, v, method)
    w = 1.0 / (v + t2)
    sw = float(np.sum(w))
    mu = float(np.sum(w * y) / sw)
    se = math.sqrt(1.0 / sw)
    s2w = 1.0
    if hartung_knapp:
        s2w = float(np.sum(w * (y - mu) ** 2)) / (k - 1)
        se = math.sqrt(s2w / sw)
    q = cochran_q(y, v)
    df = k - 1
    w0 = 1.0 / v
    if method == "fe":
        i2 = 100 * max(0.0, (q - df) / q) if q > 0 else 0.0
        h2 = q / df
    else:
        typical = df * float(np.sum(w0)) / (float(np.sum(w0)) ** 2 - float(np.sum(w0**2)))
        i2 = 100 * t2 / (t2 + typical)
        h2 = (t2 + typical) / typical
    return Fit(mu=mu, se=se, tau2=t2, q=q, df=df, i2=i2, h2=h2, s2w=s2w, weights=w / sw,
               hartung_knapp=hartung_knapp)


def _regression_parts(y: FloatArray, v: FloatArray, X: FloatArray, tau2: float) -> tuple[FloatArray, FloatArray]:
    """(coefficients, P·y) of the weighted regression with weights 1/(v + τ²)."""
    w = 1.0 / (v + tau2)
    xtw = X.T * w
    beta = np.linalg.solve(xtw @ X, xtw @ y)
    return beta, w * (y - X @ beta)


def _p_matrix(v: FloatArray, X: FloatArray, tau2: float) -> FloatArray:
    w = 1.0 / (v + tau2)
    W = np.diag(w)
    return W - W @ X @ np.linalg.solve(X.T @ W @ X, X.T @ W)


def regression_tau2(y: FloatArray, v: FloatArray, X: FloatArray, method: str) -> float:
    """Residual τ² of a meta-regression on the columns of ``X`` (as ``rma(yi, vi, mods=...)``)."""
    from scipy.optimize import brentq

    k, p = X.shape
    if method == "fe":
        return 0.0

    def qe(t2: float) -> float:
        _, py = _regression_parts(y, v, X, t2)
        return float(np.sum(py**2 * (v + t2)))

    if method == "dl":
        P0 = _p_matrix(v, X, 0.0)
        return max(0.0, (qe(0.0) - (k - p)) / float(np.trace(P0)))
    if method == "pm":
        if qe(0.0) <= k - p:
            return 0.0
        upper = 1.0
        while qe(upper) > k - p:
            upper *= 10
        return float(brentq(lambda t: qe(t) - (k - p), 0.0, upper, xtol=1e-14, rtol=1e-14, maxiter=500))

    def loglik(t2: float) -> float:
        w = 1.0 / (v + t2)
        xtwx = (X.T * w) @ X
        _, py = _regression_parts(y, v, X, t2)
        return -0.5 * (float(np.sum(np.log(v + t2))) + float(np.linalg.slogdet(xtwx)[1])
                       + float(np.sum(py**2 * (v + t2))))

    def score_info(t2: float) -> tuple[float, float]:
        P = _p_matrix(v, X, t2)
        py = P @ y
        return float(py @ py) - float(np.trace(P)), float(np.trace(P @ P))

    return _maximise_reml(score_info, loglik, regression_tau2(y, v, X, "dl"))


def slope_on_se(y: FloatArray, v: FloatArray, method: str) -> float:
    """Slope of the meta-regression of the effects on their standard errors (τ² by ``method``)."""
    X = np.column_stack([np.ones_like(y), np.sqrt(v)])
    beta, _ = _regression_parts(y, v, X, regression_tau2(y, v, X, method))
    return float(beta[1])
