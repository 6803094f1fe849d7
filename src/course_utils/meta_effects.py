"""Per-study effect sizes from summary data, ready for :func:`course_utils.meta_analysis`.

* :func:`effect_from_means` — mean difference (MD) or standardised mean difference
  (SMD, Hedges' g) from each study's group means, SDs and sizes;
* :func:`risk_difference_from_counts` — risk difference (RD) from 2×2 counts.

(Log risk and odds ratios from counts: :func:`course_utils.log_ratio_from_counts`.)

Conventions, each the same as R's ``metafor::escalc`` (checked in the tests):

* **MD** ``m1 − m2`` with variance ``sd1²/n1 + sd2²/n2``, which does not assume equal
  SDs (escalc ``measure="MD"`` with its default ``vtype="LS"``);
* **SMD** Hedges' g: ``d = (m1 − m2)/s_p`` with the pooled SD
  ``s_p = √(((n1 − 1)sd1² + (n2 − 1)sd2²)/(n1 + n2 − 2))``, times the exact small-sample
  correction ``J = Γ(m/2) / (√(m/2) Γ((m − 1)/2))``, m = n1 + n2 − 2 (Hedges, J Educ Stat
  1981;6:107–128, doi:10.3102/10769986006002107); its **large-sample variance**
  ``1/n1 + 1/n2 + g²/(2(n1 + n2))`` — escalc ``measure="SMD"`` with its default
  ``vtype="LS"``.  Other software uses other variances (e.g. an unbiased one, or
  ``g²/(2(n1 + n2 − 2))``), so pooled SMDs can differ slightly between programs;
* **RD** ``a/n1 − c/n2`` with variance ``p1(1 − p1)/n1 + p2(1 − p2)/n2``; a table with a
  zero cell gets 0.5 added to each cell first (escalc's default ``add=1/2, to="only0"``),
  so a 0/10 vs 0/10 table has a positive variance, not a zero-width interval.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from course_utils._meta_inputs import Labels, MetaAnalysisError, Numbers, as_float_array, check_counts, labels_for, \
    listed
from course_utils.results import critical_value

__all__ = ["effect_from_means", "risk_difference_from_counts"]

#: The SMD's variance convention, shown in a result's ``.attrs``.
SMD_VARIANCE = "large-sample: 1/n1 + 1/n2 + g²/(2(n1 + n2)) (metafor escalc 'SMD', vtype 'LS')"


def _hedges_j(m: np.ndarray) -> np.ndarray:
    """Exact small-sample correction factor of Hedges (1981), computed on the log scale."""
    from scipy.special import gammaln

    return np.exp(gammaln(m / 2) - 0.5 * np.log(m / 2) - gammaln((m - 1) / 2))


def _frame(y: np.ndarray, v: np.ndarray, n: np.ndarray, names: list[str], attrs: dict[str, str]) -> pd.DataFrame:
    crit = critical_value()
    se = np.sqrt(v)
    frame = pd.DataFrame(
        {"estimate": y, "se": se, "ci_low": y - crit * se, "ci_high": y + crit * se, "n": n,
         "effect": y, "variance": v},
        index=pd.Index(names, name="study"), dtype="float64",
    )
    frame.attrs.update(attrs)
    return frame


def effect_from_means(
    mean_treated: Numbers,
    sd_treated: Numbers,
    n_treated: Numbers,
    mean_control: Numbers,
    sd_control: Numbers,
    n_control: Numbers,
    *,
    measure: str = "SMD",
    labels: Labels = None,
) -> pd.DataFrame:
    """Mean differences or standardised mean differences (Hedges' g) from group summaries.

    Parameters
    ----------
    mean_treated, sd_treated, n_treated : array-like of float
        Mean, standard deviation and size of the treated (exposed) group in each study.
    mean_control, sd_control, n_control : array-like of float
        The same for the control group.
    measure : {"SMD", "MD"}, default "SMD"
        ``"SMD"``: Hedges' g with its large-sample variance (metafor ``escalc`` "SMD";
        see the module docstring); ``"MD"``: raw mean difference, in the outcome's units.
    labels : sequence of str, optional
        Study labels (default: the index of ``mean_treated`` if it is a Series).

    Returns
    -------
    pandas.DataFrame
        One row per study, float columns ``estimate``, ``se``, ``ci_low``, ``ci_high`` (normal
        95% CI), ``n`` (both groups), ``effect`` and ``variance`` (the inputs to
        :func:`course_utils.meta_analysis`).  ``.attrs`` holds ``measure`` and ``variance``
        (the variance convention).

    Raises
    ------
    MetaAnalysisError
        Text or missing values, SDs ≤ 0, group sizes below 2 or not whole numbers,
        mismatched lengths, an unknown measure.

    Examples
    --------
    >>> t = effect_from_means([55], [47], [155], [75], [64], [156])
    >>> round(float(t["effect"].iloc[0]), 4), round(float(t["variance"].iloc[0]), 5)
    (-0.3552, 0.01306)
    """
    kind = str(measure).strip().upper()
    if kind not in ("SMD", "MD"):
        raise MetaAnalysisError(f"measure must be 'SMD' (Hedges' g) or 'MD' (mean difference), got {measure!r}")
    names_in = ("mean_treated", "sd_treated", "n_treated", "mean_control", "sd_control", "n_control")
    values = [as_float_array(x, name) for x, name in zip(
        (mean_treated, sd_treated, n_treated, mean_control, sd_control, n_control), names_in)]
    k = values[0].size
    if any(a.size != k for a in values):
        sizes = ", ".join(f"{name} {a.size}" for name, a in zip(names_in, values))
        raise MetaAnalysisError(f"give one value per study for every input (equal lengths); got {sizes}")
    if k == 0:
        raise MetaAnalysisError("no studies given: pass one mean, SD and size per group and study")
    names = labels_for(mean_treated, labels, k)
    m1, s1, n1, m2, s2, n2 = values
    stacked = np.vstack(values)
    if np.isnan(stacked).any():
        raise MetaAnalysisError(
            f"missing summary data for {listed(np.isnan(stacked).any(axis=0), names)}; "
            "fill them in or leave those studies out explicitly (and report it)"
        )
    if not np.isfinite(stacked).all():
        raise MetaAnalysisError("means, SDs and sizes must be finite numbers")
    if ((s1 <= 0) | (s2 <= 0)).any():
        raise MetaAnalysisError(
            f"standard deviations must be positive; not so for {listed((s1 <= 0) | (s2 <= 0), names)}. "
            "If a paper gives a standard error, SD = SE × √n"
        )
    small = (n1 < 2) | (n2 < 2) | (n1 % 1 != 0) | (n2 % 1 != 0)
    if small.any():
        raise MetaAnalysisError(f"group sizes must be whole numbers ≥ 2; not so for {listed(small, names)}")
    n = n1 + n2
    if kind == "MD":
        y = m1 - m2
        v = s1**2 / n1 + s2**2 / n2
        return _frame(y, v, n, names, {"measure": "mean difference", "variance": "sd1²/n1 + sd2²/n2"})
    pooled_sd = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n - 2))
    g = _hedges_j(n - 2) * (m1 - m2) / pooled_sd
    v = 1 / n1 + 1 / n2 + g**2 / (2 * n)
    return _frame(g, v, n, names, {"measure": "standardised mean difference (Hedges' g)", "variance": SMD_VARIANCE})


def risk_difference_from_counts(
    events_treated: Numbers,
    n_treated: Numbers,
    events_control: Numbers,
    n_control: Numbers,
    *,
    labels: Labels = None,
    zero_correction: float = 0.5,
) -> pd.DataFrame:
    """Per-study risk differences (treated minus control) from 2×2 counts.

    Parameters
    ----------
    events_treated, n_treated : array-like of int
        Events and group size in the treated (exposed) group.
    events_control, n_control : array-like of int
        Events and group size in the control group.
    labels : sequence of str, optional
        Study labels (default: the index of ``events_treated`` if it is a Series).
    zero_correction : float, default 0.5
        Added to every cell of a table with a zero cell (as ``metafor::escalc``), so that
        its variance is not 0.  Use 0 to switch it off (a table with 0 or all events in both
        groups then gets a zero variance and is refused by :func:`course_utils.meta_analysis`).

    Returns
    -------
    pandas.DataFrame
        One row per study, float columns ``estimate`` (the RD), ``se``, ``ci_low``, ``ci_high``
        (normal 95% CI), ``n``, ``effect`` and ``variance``, then ``zero_corrected`` (bool);
        ``.attrs["measure"]`` is "risk difference".

    Raises
    ------
    MetaAnalysisError
        Counts that are missing, text, negative, not whole numbers, or larger than the group size.

    Examples
    --------
    >>> t = risk_difference_from_counts([2], [39], [1], [43])
    >>> round(float(t["effect"].iloc[0]), 5)
    0.02803
    """
    if not (isinstance(zero_correction, (int, float)) and math.isfinite(zero_correction) and zero_correction >= 0):
        raise MetaAnalysisError(f"zero_correction must be a number ≥ 0, got {zero_correction!r}")
    a, n1, c, n2, names = check_counts(events_treated, n_treated, events_control, n_control, labels)
    zero = (a == 0) | (c == 0) | (a == n1) | (c == n2)
    add = np.where(zero, float(zero_correction), 0.0)
    p1 = (a + add) / (n1 + 2 * add)
    p2 = (c + add) / (n2 + 2 * add)
    y = p1 - p2
    v = p1 * (1 - p1) / (n1 + 2 * add) + p2 * (1 - p2) / (n2 + 2 * add)
    frame = _frame(y, v, n1 + n2, names, {"measure": "risk difference"})
    frame["zero_corrected"] = zero
    return frame
