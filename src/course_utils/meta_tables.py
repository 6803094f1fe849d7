"""Pooling 2×2 tables directly: Mantel–Haenszel (OR, RR, RD) and Peto (OR).

Both are fixed-effect (common-effect) methods that work on the counts rather than
on per-study estimates, so sparse tables (few events, zero cells) need no 0.5
correction for the pooled estimate — the reason they are preferred for rare
events (Cochrane Handbook, chapter 10.4.4).  Results match R's ``metafor::rma.mh``
and ``metafor::rma.peto`` (tests/test_meta_tables.py).

Formulas, per table i with a events among n1 treated, c among n2 controls,
b = n1 − a, d = n2 − c, N = n1 + n2:

* **MH odds ratio** ΣRᵢ/ΣSᵢ with Rᵢ = aᵢdᵢ/Nᵢ, Sᵢ = bᵢcᵢ/Nᵢ; variance of its log by
  Robins, Breslow & Greenland (Biometrics 1986;42:311–323, doi:10.2307/2531052);
* **MH risk ratio** Σ(aᵢn2ᵢ/Nᵢ)/Σ(cᵢn1ᵢ/Nᵢ); variance of its log by Greenland & Robins
  (Biometrics 1985;41:55–68, doi:10.2307/2530643);
* **MH risk difference** Σ(aᵢn2ᵢ − cᵢn1ᵢ)/Nᵢ / Σ n1ᵢn2ᵢ/Nᵢ; variance by Sato, Greenland &
  Robins (Biometrics 1989;45:1323–1324), as metafor;
* **Peto odds ratio** exp(Σ(Oᵢ − Eᵢ)/ΣVᵢ), Eᵢ = n1ᵢ(aᵢ + cᵢ)/Nᵢ,
  Vᵢ = (aᵢ + cᵢ)(bᵢ + dᵢ)n1ᵢn2ᵢ/(Nᵢ²(Nᵢ − 1)), SE of the log = 1/√ΣVᵢ (Yusuf et al.,
  Prog Cardiovasc Dis 1985;27:335–371, doi:10.1016/S0033-0620(85)80003-7).

Heterogeneity as metafor: Cochran's Q of the per-study estimates (0.5 added to the
cells of tables with a zero; tables with no events, or only events, in both groups
left out) around the pooled value, df = (tables with an estimate) − 1; for Peto
Q = Σ(Oᵢ − Eᵢ)²/Vᵢ − (Σ(Oᵢ − Eᵢ))²/ΣVᵢ.  I² = max(0, (Q − df)/Q).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from course_utils._meta_inputs import FloatArray, Labels, MetaAnalysisError, Numbers, check_counts, numeric_result
from course_utils.metaanalysis import METHODS, MetaAnalysis
from course_utils.results import critical_value

__all__ = ["pool_2x2"]

_MEASURES = {"OR": "odds ratio", "RR": "risk ratio", "RD": "risk difference"}


def _study_effects(a: FloatArray, n1: FloatArray, c: FloatArray, n2: FloatArray,
                   measure: str) -> tuple[FloatArray, FloatArray]:
    """Per-study estimates as escalc (0.5 added to tables with a zero; double-zero tables → NaN)."""
    b, d = n1 - a, n2 - c
    double_zero = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    add = np.where(zero, 0.5, 0.0)
    a_, b_, c_, d_ = a + add, b + add, c + add, d + add
    m1, m2 = a_ + b_, c_ + d_
    if measure == "OR":
        y = np.log(a_ * d_ / (b_ * c_))
        v = 1 / a_ + 1 / b_ + 1 / c_ + 1 / d_
    elif measure == "RR":
        y = np.log((a_ / m1) / (c_ / m2))
        v = 1 / a_ - 1 / m1 + 1 / c_ - 1 / m2
    else:
        p1, p2 = a_ / m1, c_ / m2
        y = p1 - p2
        v = p1 * (1 - p1) / m1 + p2 * (1 - p2) / m2
    y = np.where(double_zero, np.nan, y)
    v = np.where(double_zero, np.nan, v)
    return y, v


def _mantel_haenszel(a: FloatArray, n1: FloatArray, c: FloatArray, n2: FloatArray,
                     measure: str) -> tuple[float, float, FloatArray]:
    """(estimate on the analysis scale, its SE, per-table weights)."""
    b, d, N = n1 - a, n2 - c, n1 + n2
    if measure == "OR":
        R, S = a * d / N, b * c / N
        sum_r, sum_s = float(R.sum()), float(S.sum())
        if sum_r == 0 or sum_s == 0:
            raise MetaAnalysisError(
                "the Mantel–Haenszel odds ratio is 0 or infinite: no table has both an event in one group and a "
                "non-event in the other. Report the counts; a ratio cannot be estimated from them"
            )
        P, Q = (a + d) / N, (b + c) / N
        var = 0.5 * (float((P * R).sum()) / sum_r**2 + float((P * S + Q * R).sum()) / (sum_r * sum_s)
                     + float((Q * S).sum()) / sum_s**2)
        return math.log(sum_r / sum_s), math.sqrt(var), S
    if measure == "RR":
        R, S = a * n2 / N, c * n1 / N
        sum_r, sum_s = float(R.sum()), float(S.sum())
        if sum_r == 0 or sum_s == 0:
            raise MetaAnalysisError(
                "the Mantel–Haenszel risk ratio is 0 or infinite: one group has no events in any table. "
                "Report the counts, or pool the risk difference instead (measure='RD')"
            )
        var = float(((n1 * n2 * (a + c) - a * c * N) / N**2).sum()) / (sum_r * sum_s)
        return math.log(sum_r / sum_s), math.sqrt(var), S
    w = n1 * n2 / N
    sum_w = float(w.sum())
    rd = float(((a * n2 - c * n1) / N).sum()) / sum_w
    part1 = rd * float((c * (n1 / N) ** 2 - a * (n2 / N) ** 2 + (n1 / N) * (n2 / N) * (n2 - n1) / 2).sum())
    part2 = float((a * (n2 - c) / N + c * (n1 - a) / N).sum()) / 2
    return rd, math.sqrt((part1 + part2) / sum_w**2), w


def pool_2x2(
    events_treated: Numbers,
    n_treated: Numbers,
    events_control: Numbers,
    n_control: Numbers,
    *,
    method: str = "mh",
    measure: str = "OR",
    labels: Labels = None,
) -> MetaAnalysis:
    """Pool 2×2 tables with the Mantel–Haenszel or the Peto method (fixed effect).

    Parameters
    ----------
    events_treated, n_treated : array-like of int
        Events and group size in the treated (exposed) group of each study.
    events_control, n_control : array-like of int
        Events and group size in the control group.
    method : {"mh", "peto"}, default "mh"
        Mantel–Haenszel (``metafor::rma.mh``) or Peto's one-step odds ratio
        (``metafor::rma.peto``; good for rare events with balanced groups and
        modest effects, biased otherwise).
    measure : {"OR", "RR", "RD"}, default "OR"
        Odds ratio, risk ratio or risk difference (Peto: odds ratio only).
    labels : sequence of str, optional
        Study labels (default: the index of ``events_treated`` if it is a Series).

    Returns
    -------
    MetaAnalysis
        ``.pooled``: float result Series (``estimate`` — a ratio for OR/RR —, ``se`` on the log
        scale for ratios, ``ci_low``, ``ci_high``, ``n`` = number of tables, then ``z``, ``p_value``,
        ``q``, ``i2``, ``tau2`` (0: a fixed-effect method), ``log_estimate``; for the MH odds ratio
        also ``cmh`` and ``cmh_p``, the Cochran–Mantel–Haenszel test with continuity correction);
        ``.attrs`` holds ``method`` and ``measure``.  ``.studies`` holds the per-study estimates with
        the method's weights: for Mantel–Haenszel each table's own OR, RR or RD (0.5 added to the cells
        of tables with a zero cell, as metafor; tables without any event, or with only events, are left
        out of ``.studies`` and of Q but kept in the pooled estimate); for Peto each table's one-step
        log OR (O − E)/V from the raw counts (tables with V = 0 left out).

    Raises
    ------
    MetaAnalysisError
        Bad counts (see :func:`course_utils.log_ratio_from_counts`), an unknown method or measure,
        Peto with a measure other than OR, or tables from which the ratio cannot be estimated.

    Examples
    --------
    >>> m = pool_2x2([2, 4, 6], [39, 44, 107], [1, 4, 4], [43, 44, 110], measure="RR")
    >>> round(float(m.pooled["estimate"]), 3)
    1.369
    """
    from scipy import stats

    key = str(method).strip().lower().replace("-", "").replace("_", "")
    key = {"mantelhaenszel": "mh"}.get(key, key)
    if key not in ("mh", "peto"):
        raise MetaAnalysisError(f"method must be 'mh' (Mantel–Haenszel) or 'peto', got {method!r}")
    kind = str(measure).strip().upper()
    if kind not in _MEASURES:
        raise MetaAnalysisError(f"measure must be 'OR', 'RR' or 'RD', got {measure!r}")
    if key == "peto" and kind != "OR":
        raise MetaAnalysisError("the Peto method estimates an odds ratio only; use measure='OR' or method='mh'")
    a, n1, c, n2, names = check_counts(events_treated, n_treated, events_control, n_control, labels)
    k = a.size
    extra: dict[str, float] = {}
    if key == "mh":
        est, se, weights = _mantel_haenszel(a, n1, c, n2, kind)
        y, v = _study_effects(a, n1, c, n2, kind)
        ok = ~np.isnan(y)
        k_y = int(ok.sum())
        q = max(0.0, float(np.sum((y[ok] - est) ** 2 / v[ok]))) if k_y > 1 else 0.0
        if kind == "OR":
            N = n1 + n2
            xt, yt = a + c, (n1 - a) + (n2 - c)
            numerator = (abs(float((a - n1 / N * xt).sum())) - 0.5) ** 2
            denominator = float(((n1 / N) * (n2 / N) * (xt * (yt / N))).sum())
            cmh = numerator / denominator
            extra = {"cmh": cmh, "cmh_p": float(stats.chi2.sf(cmh, 1))}
    else:
        N = n1 + n2
        xt, yt = a + c, (n1 - a) + (n2 - c)
        expected = xt * n1 / N
        with np.errstate(invalid="ignore", divide="ignore"):
            V = xt * yt * (n1 / N) * (n2 / N) / (N - 1)
        V = np.where(N > 1, V, 0.0)
        sum_v = float(V.sum())
        if sum_v == 0:
            raise MetaAnalysisError("no table has events and non-events, so the Peto odds ratio cannot be estimated")
        est = float((a - expected).sum()) / sum_v
        se = math.sqrt(1 / sum_v)
        weights = V
        ok = V > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(ok, (a - expected) / np.where(ok, V, 1.0), np.nan)
            v = np.where(ok, 1 / np.where(ok, V, 1.0), np.nan)
        k_y = int(ok.sum())
        q = max(0.0, float(np.sum((a[ok] - expected[ok]) ** 2 / V[ok])) - float((a - expected).sum()) ** 2 / sum_v)
    df = k_y - 1
    i2 = 100 * max(0.0, (q - df) / q) if (df > 0 and q > 0) else 0.0
    crit = critical_value()
    z = est / se
    p = float(2 * stats.norm.sf(abs(z)))
    ratio = kind != "RD"

    def tf(x: FloatArray | float) -> FloatArray | float:
        return np.exp(x) if ratio else x

    pooled = numeric_result(
        float(tf(est)), se, float(tf(est - crit * se)), float(tf(est + crit * se)), k, name="pooled",
        attrs={"method": METHODS[key], "measure": _MEASURES[kind], "se_scale": "log" if ratio else "same",
               "test": "z"},
        z=z, p_value=p, q=q, i2=i2, tau2=0.0, log_estimate=est, **extra,
    )
    sd = np.sqrt(v[ok])
    yk = y[ok]
    studies = pd.DataFrame(
        {"estimate": tf(yk), "se": sd, "ci_low": tf(yk - crit * sd), "ci_high": tf(yk + crit * sd),
         "weight": 100 * weights[ok] / float(weights.sum())},
        index=pd.Index([names[i] for i in np.flatnonzero(ok)], name="study"), dtype="float64",
    )
    studies.attrs["measure"] = _MEASURES[kind]
    heterogeneity = pd.Series(
        {"q": q, "df": float(df), "p_value": float(stats.chi2.sf(q, df)) if df > 0 else 1.0, "i2": i2,
         "h2": q / df if df > 0 else 1.0, "tau2": 0.0, "tau": 0.0},
        name="heterogeneity", dtype="float64",
    )
    return MetaAnalysis(key, studies, pooled, heterogeneity, ratio, yk, v[ok])
