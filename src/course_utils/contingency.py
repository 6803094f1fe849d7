"""2 × 2 tables, measures of association and Mantel–Haenszel pooling over strata."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_utils._causal_common import CausalInputError, _binary, _no_missing, _require_columns, _require_frame, _weights_column
from course_utils.results import critical_value, from_ratio_log_ci, make_result, result_frame

__all__ = ["two_by_two", "association_measures", "mantel_haenszel", "stratum_odds_ratios"]


# ====================================================================== 2 × 2 tables


def two_by_two(data: pd.DataFrame, exposure: str, outcome: str, *, weight: str | None = None) -> pd.DataFrame:
    """Counts of exposure × outcome: exposed row first, event column first.

    Parameters
    ----------
    data : DataFrame
    exposure, outcome : str
        0/1 (or boolean) columns.
    weight : str, optional
        A count column, for tabulated data (one row per cell, e.g. ``ucb_admissions``).

    Returns
    -------
    pandas.DataFrame
        2 × 2 counts, rows ``exposure=1``/``exposure=0``, columns ``outcome=1``/``outcome=0``.

    Examples
    --------
    >>> df = pd.DataFrame({"e": [1, 1, 0, 0, 0], "y": [1, 0, 1, 0, 0]})
    >>> two_by_two(df, "e", "y").to_numpy().tolist()
    [[1, 1], [1, 2]]
    """
    _require_frame(data)
    e = _binary(data, exposure, "exposure")
    y = _binary(data, outcome, "outcome", both_levels=False)
    w = _weights_column(data, weight)
    counts = np.array([[w[(e == 1) & (y == 1)].sum(), w[(e == 1) & (y == 0)].sum()],
                       [w[(e == 0) & (y == 1)].sum(), w[(e == 0) & (y == 0)].sum()]])
    if np.all(counts == np.round(counts)):
        counts = counts.astype(np.int64)
    return pd.DataFrame(
        counts,
        index=pd.Index([f"{exposure}=1", f"{exposure}=0"], name="exposure"),
        columns=pd.Index([f"{outcome}=1", f"{outcome}=0"], name="outcome"),
    )


def _as_table(table: Any) -> np.ndarray:
    arr = np.asarray(table.to_numpy() if isinstance(table, pd.DataFrame) else table, dtype=float)
    if arr.shape != (2, 2):
        raise CausalInputError(
            f"a 2 × 2 table is needed (rows exposed/unexposed, columns event/no event); got shape {arr.shape}"
        )
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise CausalInputError("a 2 × 2 table holds non-negative counts")
    if (arr.sum(axis=1) == 0).any():
        raise CausalInputError("one exposure group of the 2 × 2 table is empty; there is nothing to compare")
    return arr


def association_measures(
    data: Any, exposure: str | None = None, outcome: str | None = None, *, weight: str | None = None
) -> pd.DataFrame:
    """Risk difference, risk ratio and odds ratio with 95% confidence intervals.

    Give either a 2 × 2 table of counts (rows exposed/unexposed, columns
    event/no event — the layout :func:`two_by_two` returns) or a DataFrame with
    the names of a 0/1 exposure and outcome column.  Ratios and their CIs come
    from statsmodels' ``Table2x2`` (Wald CI on the log scale); the risk
    difference uses the Wald CI.  When a cell is zero, 0.5 is added to every
    cell for the ratios (a warning says so).

    Returns
    -------
    pandas.DataFrame
        Rows ``risk difference``, ``risk ratio``, ``odds ratio``; the result
        fields plus ``risk_exposed`` and ``risk_unexposed``.

    Examples
    --------
    >>> float(association_measures([[10, 90], [5, 95]]).loc["risk ratio", "estimate"])
    2.0
    """
    from statsmodels.stats.contingency_tables import Table2x2

    if isinstance(data, pd.DataFrame) and exposure is not None:
        if outcome is None:
            raise CausalInputError("give both exposure and outcome column names")
        arr = _as_table(two_by_two(data, exposure, outcome, weight=weight))
    else:
        arr = _as_table(data)
    (a, b), (c, d) = arr
    n1, n0 = a + b, c + d
    p1, p0 = a / n1, c / n0
    n = float(arr.sum())
    n_out: float | int = int(n) if float(n).is_integer() else n
    extra = {"risk_exposed": p1, "risk_unexposed": p0}
    se_rd = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    rows = {"risk difference": make_result(p1 - p0, se_rd, n=n_out, se_scale="difference", **extra)}
    shift = bool((arr == 0).any())
    if shift:
        warnings.warn(
            "a cell of the 2 × 2 table is zero: 0.5 was added to every cell to compute the risk and odds "
            "ratios (Haldane–Anscombe correction); with so few events, prefer exact methods",
            UserWarning,
            stacklevel=2,
        )
    # add 0.5 to every cell ourselves: statsmodels' shift_zeros replaces only the zero cells
    tab = Table2x2(arr + 0.5 if shift else arr, shift_zeros=False)
    rows["risk ratio"] = from_ratio_log_ci(tab.log_riskratio, tab.log_riskratio_se, n=n_out, **extra)
    rows["odds ratio"] = from_ratio_log_ci(tab.log_oddsratio, tab.log_oddsratio_se, n=n_out, **extra)
    return result_frame(rows, "measure")


# ====================================================================== stratification


def _strata_tables(
    data: pd.DataFrame, exposure: str, outcome: str, strata: str | Sequence[str], weight: str | None
) -> tuple[list[Any], np.ndarray]:
    _require_frame(data)
    keys = [strata] if isinstance(strata, str) else list(strata)
    if not keys:
        raise CausalInputError("give at least one stratum column")
    _require_columns(data, keys, "stratum column")
    _no_missing(data, keys)
    e = _binary(data, exposure, "exposure")
    y = _binary(data, outcome, "outcome", both_levels=False)
    w = _weights_column(data, weight)
    frame = pd.DataFrame({"_e": e, "_y": y, "_w": w})
    for k in keys:
        frame[k] = data[k].to_numpy()
    labels, tables = [], []
    for label, part in frame.groupby(keys if len(keys) > 1 else keys[0], sort=True, observed=True):
        pe, py, pw = part["_e"].to_numpy(), part["_y"].to_numpy(), part["_w"].to_numpy()
        table = [[pw[(pe == 1) & (py == 1)].sum(), pw[(pe == 1) & (py == 0)].sum()],
                 [pw[(pe == 0) & (py == 1)].sum(), pw[(pe == 0) & (py == 0)].sum()]]
        labels.append(label)
        tables.append(table)
    return labels, np.asarray(tables, dtype=float)


def _informative(tables: np.ndarray) -> np.ndarray:
    """Strata with both exposure groups and both outcomes present (others carry no MH information)."""
    rows = tables.sum(axis=2)
    cols = tables.sum(axis=1)
    return (rows > 0).all(axis=1) & (cols > 0).all(axis=1)


def mantel_haenszel(
    data: pd.DataFrame,
    exposure: str,
    outcome: str,
    strata: str | Sequence[str],
    weight: str | None = None,
) -> pd.Series:
    """Mantel–Haenszel odds ratio pooled over strata, with tests, via statsmodels ``StratifiedTable``.

    Parameters
    ----------
    data : DataFrame
        One row per person, or one row per cell with a count column ``weight``.
    exposure, outcome : str
        0/1 (or boolean) columns.
    strata : str or list of str
        Column(s) defining the strata.
    weight : str, optional
        Count column for tabulated data (e.g. ``"count"`` in ``ucb_admissions``).

    Returns
    -------
    pandas.Series
        The result shape: ``estimate`` (MH odds ratio), ``se`` (of the log OR,
        Robins–Breslow–Greenland), 95% CI, ``n``; plus ``crude_or`` (pooled
        table), ``mh_chi2`` and ``p_value`` (Mantel–Haenszel test of OR = 1,
        with continuity correction, as R's ``mantelhaen.test``),
        ``homogeneity_chi2`` and ``homogeneity_p`` (Breslow–Day test that the
        odds ratio is the same in every stratum), ``n_strata`` and
        ``n_strata_used`` (strata with both exposure groups and both outcomes;
        the others add nothing to the MH estimate).

    Examples
    --------
    >>> df = pd.DataFrame({"e": [1, 1, 0, 0] * 2, "y": [1, 0, 1, 0] * 2,
    ...                    "s": ["a"] * 4 + ["b"] * 4, "k": [4, 1, 2, 2, 3, 3, 1, 5]})
    >>> float(round(mantel_haenszel(df, "e", "y", "s", weight="k")["estimate"], 3))
    4.529
    """
    from statsmodels.stats.contingency_tables import StratifiedTable, Table2x2

    labels, tables = _strata_tables(data, exposure, outcome, strata, weight)
    keep = _informative(tables)
    if not keep.any():
        raise CausalInputError(
            "no stratum has both exposure groups and both outcomes, so the strata carry no information "
            "about the association; use fewer or coarser strata"
        )
    used = tables[keep]
    totals = used.sum(axis=(1, 2))
    concordant = (used[:, 0, 0] * used[:, 1, 1] / totals).sum()
    discordant = (used[:, 0, 1] * used[:, 1, 0] / totals).sum()
    if concordant == 0 or discordant == 0:
        which = "a·d" if concordant == 0 else "b·c"
        raise CausalInputError(
            f"the Mantel–Haenszel odds ratio is {'zero' if concordant == 0 else 'infinite'}: the product {which} "
            "of the 2×2 table is 0 in every stratum (for example the exposure and outcome columns hold the same "
            "values, or one combination never occurs). Check the coding of the two columns, and report the "
            "stratum counts (stratum_odds_ratios) instead of a pooled ratio"
        )
    st = StratifiedTable(np.moveaxis(used, 0, -1))
    low, high = st.oddsratio_pooled_confint()
    null = st.test_null_odds(correction=True)
    if len(used) > 1:
        homog = st.test_equal_odds()
        homog_chi2, homog_p = float(homog.statistic), float(homog.pvalue)
    else:
        homog_chi2, homog_p = math.nan, math.nan
    pooled = tables.sum(axis=0)
    crude = float(Table2x2(pooled, shift_zeros=False).oddsratio) if (pooled > 0).all() else math.nan
    n = float(tables.sum())
    return make_result(
        st.oddsratio_pooled,
        se=st.logodds_pooled_se,
        ci_low=low,
        ci_high=high,
        n=int(n) if n.is_integer() else n,
        se_scale="log",
        measure="odds ratio (Mantel–Haenszel)",
        crude_or=crude,
        mh_chi2=float(null.statistic),
        p_value=float(null.pvalue),
        homogeneity_chi2=homog_chi2,
        homogeneity_p=homog_p,
        n_strata=len(tables),
        n_strata_used=int(keep.sum()),
    )


def stratum_odds_ratios(
    data: pd.DataFrame,
    exposure: str,
    outcome: str,
    strata: str | Sequence[str],
    weight: str | None = None,
) -> pd.DataFrame:
    """The odds ratio of outcome for exposure within each stratum (Wald 95% CI on the log scale).

    Strata with a zero cell get 0.5 added to every cell (``zero_cell_corrected``
    is True); strata lacking an exposure group or an outcome have no odds ratio
    (NaN) but stay in the table so nothing disappears.

    Returns
    -------
    pandas.DataFrame
        One row per stratum: the result fields plus the four counts
        ``exposed_events``, ``exposed_total``, ``unexposed_events``,
        ``unexposed_total`` and ``zero_cell_corrected``.

    Examples
    --------
    >>> df = pd.DataFrame({"e": [1, 1, 0, 0] * 2, "y": [1, 0, 1, 0] * 2,
    ...                    "s": ["a"] * 4 + ["b"] * 4, "k": [4, 1, 2, 2, 3, 3, 1, 5]})
    >>> stratum_odds_ratios(df, "e", "y", "s", weight="k")["estimate"].round(2).tolist()
    [4.0, 5.0]
    """
    labels, tables = _strata_tables(data, exposure, outcome, strata, weight)
    crit = critical_value()
    rows = {}
    def whole(x: float) -> float | int:
        return int(x) if float(x).is_integer() else float(x)

    for label, table, ok in zip(labels, tables, _informative(tables)):
        (a, b), (c, d) = table
        counts = {"exposed_events": whole(a), "exposed_total": whole(a + b),
                  "unexposed_events": whole(c), "unexposed_total": whole(c + d)}
        corrected = bool(ok and (table == 0).any())
        if ok:
            t = table + 0.5 if corrected else table
            log_or = math.log(t[0, 0] * t[1, 1] / (t[0, 1] * t[1, 0]))
            se = math.sqrt((1.0 / t).sum())
            row = make_result(math.exp(log_or), se, math.exp(log_or - crit * se), math.exp(log_or + crit * se),
                              n=whole(table.sum()), se_scale="log", **counts, zero_cell_corrected=corrected)
        else:
            row = make_result(math.nan, math.nan, math.nan, math.nan, n=whole(table.sum()), se_scale="log",
                              **counts, zero_cell_corrected=False)
        rows[label] = row
    names = [strata] if isinstance(strata, str) else list(strata)
    frame = result_frame(rows, names[0] if len(names) == 1 else None)
    if len(names) > 1:
        frame.index = pd.MultiIndex.from_tuples(frame.index, names=names)
    return frame


