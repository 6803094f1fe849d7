"""The one covariate-balance table: standardised differences between two groups.

Lesson 06 (is an observational comparison balanced, before and after IP
weighting?) and lesson 08 (what randomisation balances) use the same table
with the same definition, so a learner meets one number under one name:
``smd``, the standardised difference of Austin (2009).

* Continuous covariate: ``(m_t - m_c) / sqrt((s_t**2 + s_c**2) / 2)`` with the
  sample variances (``ddof=1``).
* Binary covariate (true/false, a numeric 0/1 column, or one level of a
  categorical/text covariate): ``(p_t - p_c) / sqrt((p_t(1 - p_t) + p_c(1 - p_c)) / 2)``.
* Weighted (after IP weighting): weighted means and proportions, and for a
  continuous covariate the weighted variance
  ``sum(w) / (sum(w)**2 - sum(w**2)) * sum(w (x - m_w)**2)`` (Austin & Stuart 2015).

Sources: Austin PC. Commun Stat Simul Comput 2009;38(6):1228-1234,
doi:10.1080/03610910902859574 (equations for continuous and dichotomous
variables); Austin PC, Stuart EA. Stat Med 2015;34(28):3661-3679,
doi:10.1002/sim.6607 (weighted versions).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd

from course_utils._causal_common import CausalInputError, _binary, _complete, _require_columns, _require_frame

__all__ = ["balance_table"]

_ORDER = ("kind", "n_treatment", "mean_treatment", "sd_treatment", "n_control", "mean_control", "sd_control",
          "smd", "mean_treatment_weighted", "mean_control_weighted", "smd_weighted")


def _weighted_mean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean and variance; with equal weights the variance is the usual sample variance."""
    total, total_sq = float(np.sum(w)), float(np.sum(w**2))
    if total <= 0:
        return math.nan, math.nan
    mean = float(np.sum(w * x) / total)
    denom = total**2 - total_sq
    var = float(total * np.sum(w * (x - mean) ** 2) / denom) if denom > 0 else math.nan
    return mean, var


def _smd(m_t: float, v_t: float, m_c: float, v_c: float) -> float:
    pooled = math.sqrt((v_t + v_c) / 2)
    if pooled == 0:
        return 0.0 if m_t == m_c else math.copysign(math.inf, m_t - m_c)
    return (m_t - m_c) / pooled


def _groups(
    data: pd.DataFrame, group: str, treatment: Hashable | None, control: Hashable | None
) -> tuple[np.ndarray, np.ndarray, Hashable, Hashable]:
    if treatment is None and control is None:
        a = _binary(data, group, "treatment")
        return a == 1, a == 0, 1, 0
    if treatment is None or control is None:
        raise CausalInputError("give both treatment= and control= (the two labels to compare), or neither for a 0/1 column")
    from course_utils._trial_common import _arm_masks

    t, c = _arm_masks(data, group, treatment, control)
    return t, c, treatment, control


def _indicators(data: pd.DataFrame, covariates: Sequence[str], forced: set[str]) -> dict[str, tuple[str, np.ndarray]]:
    """One numeric array per table row: (kind, values)."""
    columns: dict[str, tuple[str, np.ndarray]] = {}
    for cov in covariates:
        s = data[cov]
        is_cat = isinstance(s.dtype, pd.CategoricalDtype)
        numeric = (pd.api.types.is_numeric_dtype(s) and not is_cat) or pd.api.types.is_bool_dtype(s)
        if pd.api.types.is_bool_dtype(s):
            columns[cov] = ("proportion", s.to_numpy(dtype=float))
        elif numeric and cov not in forced:
            x = s.to_numpy(dtype=float)
            if not np.isfinite(x).all():
                raise CausalInputError(f"covariate {cov!r} has infinite values; recode them before a balance table")
            kind = "proportion" if set(np.unique(x).tolist()) <= {0.0, 1.0} else "mean (SD)"
            columns[cov] = (kind, x)
        else:
            if not numeric and not is_cat:
                text = s.astype(str).str.strip()
                if pd.to_numeric(text, errors="coerce").notna().all():
                    raise CausalInputError(
                        f"covariate {cov!r} holds numbers stored as text (e.g. {s.iloc[0]!r}); convert with "
                        f"data[{cov!r}] = pd.to_numeric(data[{cov!r}]) so it is summarised as a number, or make it "
                        "a category on purpose with .astype('category')"
                    )
            if is_cat:
                levels = [lv for lv in s.cat.categories if (s == lv).any()]
            else:
                levels = list(dict.fromkeys(s.tolist()))
                try:
                    levels = sorted(levels)
                except TypeError:
                    pass
            for level in levels:
                columns[f"{cov}: {level}"] = ("proportion", (s == level).to_numpy(dtype=float))
    return columns


def balance_table(
    data: pd.DataFrame,
    group: str,
    covariates: str | Sequence[str],
    weights: Sequence[float] | np.ndarray | pd.Series | None = None,
    *,
    treatment: Hashable | None = None,
    control: Hashable | None = None,
    categorical: Iterable[str] = (),
    dropna: bool = False,
) -> pd.DataFrame:
    """Covariate balance between two groups: means (or proportions) and standardised differences.

    One table for lesson 06 (observational data, before and after IP
    weighting) and lesson 08 (randomised arms).  The standardised difference
    ``smd`` is Austin's (2009): the difference in means divided by
    ``sqrt((s_t**2 + s_c**2) / 2)``, where for a binary covariate (true/false,
    0/1, or one level of a categorical or text covariate) ``s**2 = p(1 - p)``
    and for a continuous covariate ``s**2`` is the sample variance.  With
    ``weights`` the same is computed with weighted means and variances
    (Austin & Stuart 2015).  ``|smd| < 0.1`` is a common rule of thumb for good
    balance; it is a description of the sample, not a test.

    Parameters
    ----------
    data : DataFrame
        One row per person.
    group : str
        The column that says who is in which group: a 0/1 (or true/false)
        treatment column, or, with ``treatment`` and ``control``, a column of
        arm labels.
    covariates : str or sequence of str
        Baseline columns to summarise.
    weights : array-like, optional
        One non-negative weight per row (e.g. from :func:`course_utils.causal.ip_weights`);
        adds the ``*_weighted`` columns.
    treatment, control : label, optional
        The two labels of ``group`` to compare (needed when ``group`` holds labels).
    categorical : iterable of str
        Numeric covariates to summarise level by level (one row per level).
    dropna : bool, default False
        Missing values in ``group`` or ``covariates`` raise an error that names
        them; ``dropna=True`` analyses the complete cases, warns how many rows
        were dropped and records it in ``attrs["n_dropped"]``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``covariate`` (``"name"`` or ``"name: level"``): ``kind``
        (``"mean (SD)"`` or ``"proportion"``), ``n_treatment``,
        ``mean_treatment``, ``sd_treatment``, ``n_control``, ``mean_control``,
        ``sd_control``, ``smd``, and with ``weights`` ``mean_treatment_weighted``,
        ``mean_control_weighted``, ``smd_weighted``.  ``attrs`` holds the
        ``treatment`` and ``control`` labels and ``n_dropped``.

    Raises
    ------
    CausalInputError
        Missing values (without ``dropna=True``), numbers stored as text, bad weights.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 1, 0, 0], "x": [2.0, 4.0, 1.0, 3.0], "f": [True, False, False, False]})
    >>> t = balance_table(df, "a", ["x", "f"])
    >>> t["smd"].round(3).tolist()
    [0.707, 1.414]
    >>> arms = pd.DataFrame({"arm": ["b", "b", "a", "a"], "age": [30, 50, 30, 40]})
    >>> round(float(balance_table(arms, "arm", "age", treatment="b", control="a").loc["age", "smd"]), 3)
    0.447
    """
    _require_frame(data)
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    if not covariates:
        raise CausalInputError("give at least one covariate to summarise in covariates=")
    _require_columns(data, [group], "group column")
    _require_columns(data, covariates, "covariate")
    w_all: np.ndarray | None = None
    if weights is not None:
        w_all = np.asarray(weights, dtype=float)
        if w_all.shape != (len(data),) or not np.isfinite(w_all).all() or (w_all < 0).any():
            raise CausalInputError(
                f"weights must be finite, non-negative and one per row of data ({len(data)} rows); "
                f"got {w_all.size} values"
            )
    if treatment is not None and control is not None:
        _groups(data, group, treatment, control)  # a missing arm label is an error, never a dropped row
    complete = ~data[list(dict.fromkeys([group, *covariates]))].isna().any(axis=1).to_numpy()
    data, n_dropped = _complete(data, [group, *covariates], dropna)
    if n_dropped and w_all is not None:
        w_all = w_all[complete]
    if data.empty:
        raise CausalInputError("the data have no rows to compare")
    t, c, t_label, c_label = _groups(data, group, treatment, control)
    rows: dict[str, dict[str, object]] = {}
    for name, (kind, x) in _indicators(data, covariates, set(categorical)).items():
        row: dict[str, object] = {"kind": kind}
        moments: dict[str, tuple[float, float]] = {}
        for label, mask in (("treatment", t), ("control", c)):
            xs = x[mask]
            m = float(xs.mean())
            if kind == "proportion":
                sd = math.sqrt(m * (1 - m))
            else:
                sd = float(xs.std(ddof=1)) if len(xs) > 1 else math.nan
            moments[label] = (m, sd**2)
            row[f"n_{label}"] = int(mask.sum())
            row[f"mean_{label}"] = m
            row[f"sd_{label}"] = sd
        row["smd"] = _smd(*moments["treatment"], *moments["control"])
        if w_all is not None:
            stats = {}
            for label, mask in (("treatment", t), ("control", c)):
                m, v = _weighted_mean_var(x[mask], w_all[mask])
                stats[label] = (m, m * (1 - m) if kind == "proportion" else v)
                row[f"mean_{label}_weighted"] = m
            row["smd_weighted"] = _smd(stats["treatment"][0], stats["treatment"][1],
                                       stats["control"][0], stats["control"][1])
        rows[name] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "covariate"
    frame = frame[[c for c in _ORDER if c in frame.columns]]
    frame.attrs.update({"treatment": t_label, "control": c_label, "n_dropped": n_dropped,
                        "smd": "Austin (2009): binary s^2 = p(1-p), continuous sample variance"})
    return frame
