"""2 × 2 tables, measures of association and Mantel–Haenszel pooling over strata."""

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
    _require_columns,
    _require_frame,
    _make,
    _ratio,
    _weights_column,
)
from course_utils._validate import finite_numbers
from course_utils.results import critical_value, from_ratio_log_ci, make_result, result_frame

__all__ = ["two_by_two", "association_measures", "mantel_haenszel", "stratum_odds_ratios", "MH_MEASURES"]

MH_MEASURES = ("odds ratio", "risk ratio", "risk difference")
RD_INTERVALS = ("auto", "wald", "newcombe")


# ====================================================================== 2 × 2 tables


def two_by_two(
    data: pd.DataFrame, exposure: str, outcome: str, *, weight: str | None = None, dropna: bool = False
) -> pd.DataFrame:
    """Counts of exposure × outcome: exposed row first, event column first.

    Parameters
    ----------
    data : DataFrame
    exposure, outcome : str
        0/1 (or boolean) columns.
    weight : str, optional
        A count column, for tabulated data (one row per cell, e.g. ``ucb_admissions``).
    dropna : bool, default False
        Missing values raise; ``True`` leaves those rows out (with a warning and
        ``attrs["n_dropped"]``).

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
    data, n_dropped = _complete(data, [exposure, outcome, weight], dropna)
    e = _binary(data, exposure, "exposure")
    y = _binary(data, outcome, "outcome", both_levels=False)
    w = _weights_column(data, weight)
    counts = np.array([[w[(e == 1) & (y == 1)].sum(), w[(e == 1) & (y == 0)].sum()],
                       [w[(e == 0) & (y == 1)].sum(), w[(e == 0) & (y == 0)].sum()]])
    if np.all(counts == np.round(counts)):
        counts = counts.astype(np.int64)
    table = pd.DataFrame(
        counts,
        index=pd.Index([f"{exposure}=1", f"{exposure}=0"], name="exposure"),
        columns=pd.Index([f"{outcome}=1", f"{outcome}=0"], name="outcome"),
    )
    table.attrs["n_dropped"] = n_dropped
    return table


def _as_table(table: Any) -> np.ndarray:
    raw = np.asarray(table.to_numpy() if isinstance(table, pd.DataFrame) else table, dtype=object)
    if raw.shape != (2, 2):
        raise CausalInputError(
            f"a 2 × 2 table is needed (rows exposed/unexposed, columns event/no event); got shape {raw.shape}"
        )
    arr = finite_numbers(raw, "the counts of the 2 × 2 table", error=CausalInputError).reshape(2, 2)
    if arr.shape != (2, 2):
        raise CausalInputError(
            f"a 2 × 2 table is needed (rows exposed/unexposed, columns event/no event); got shape {arr.shape}"
        )
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise CausalInputError("a 2 × 2 table holds non-negative counts")
    if (arr.sum(axis=1) == 0).any():
        raise CausalInputError("one exposure group of the 2 × 2 table is empty; there is nothing to compare")
    return arr


def _wilson(x: float, n: float, z: float) -> tuple[float, float]:
    """Wilson score interval for a proportion x / n."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _newcombe(a: float, n1: float, c: float, n0: float, z: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 - p0 (Stat Med 1998;17:873-890, method 10)."""
    p1, p0 = a / n1, c / n0
    l1, u1 = _wilson(a, n1, z)
    l0, u0 = _wilson(c, n0, z)
    d = p1 - p0
    return d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


def association_measures(
    data: pd.DataFrame | Sequence[Sequence[float]] | np.ndarray,
    exposure: str | None = None,
    outcome: str | None = None,
    *,
    weight: str | None = None,
    rd_interval: str = "auto",
    dropna: bool = False,
) -> pd.DataFrame:
    """Risk difference, risk ratio and odds ratio with 95% confidence intervals.

    Give either a 2 × 2 table of counts (rows exposed/unexposed, columns
    event/no event — the layout :func:`two_by_two` returns) or a DataFrame with
    the names of a 0/1 exposure and outcome column.  Ratios and their CIs come
    from statsmodels' ``Table2x2`` (Wald CI on the log scale).  When a cell is
    zero, 0.5 is added to every cell for the ratios (Haldane–Anscombe; a
    warning says so).

    The risk difference has a Wald CI, except when a risk is 0 or 1: then the
    Wald interval ignores that group's uncertainty (0/10 vs 0/10 would give
    the zero-width interval 0 to 0), so ``rd_interval="auto"`` (the default)
    uses Newcombe's hybrid score interval (Stat Med 1998;17:873–890, method
    10) and reports ``se`` as NaN (that interval is not built from an SE).

    Parameters
    ----------
    data : DataFrame or 2 × 2 array of counts
        People (with ``exposure`` and ``outcome``) or the counts themselves.
        Counts must be numbers (text such as ``"10"`` is refused).
    exposure, outcome : str, optional
        0/1 (or boolean) columns of ``data``.
    weight : str, optional
        A count column, for tabulated data.
    rd_interval : {"auto", "wald", "newcombe"}
        Interval for the risk difference.
    dropna : bool, default False
        Missing values raise; ``True`` leaves those rows out.

    Returns
    -------
    pandas.DataFrame
        Rows ``risk difference``, ``risk ratio``, ``odds ratio``; the result
        fields plus ``risk_exposed`` and ``risk_unexposed``; ``attrs`` holds
        ``rd_interval`` (the interval used) and ``n_dropped``.

    Examples
    --------
    >>> float(association_measures([[10, 90], [5, 95]]).loc["risk ratio", "estimate"])
    2.0
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     rd = association_measures([[0, 10], [0, 10]]).loc["risk difference"]
    >>> round(float(rd["ci_low"]), 4), round(float(rd["ci_high"]), 4)
    (-0.2775, 0.2775)
    """
    from statsmodels.stats.contingency_tables import Table2x2

    if rd_interval not in RD_INTERVALS:
        raise CausalInputError(f"rd_interval must be one of {', '.join(map(repr, RD_INTERVALS))}, got {rd_interval!r}")
    n_dropped = 0
    if isinstance(data, pd.DataFrame) and exposure is not None:
        if outcome is None:
            raise CausalInputError("give both exposure and outcome column names")
        counts = two_by_two(data, exposure, outcome, weight=weight, dropna=dropna)
        n_dropped = int(counts.attrs.get("n_dropped", 0))
        arr = _as_table(counts)
    elif isinstance(data, pd.DataFrame) and data.shape != (2, 2):
        raise CausalInputError(
            "give a 2 × 2 table of counts, or a DataFrame of people with exposure= and outcome= column names"
        )
    else:
        arr = _as_table(data)
    (a, b), (c, d) = arr
    n1, n0 = a + b, c + d
    p1, p0 = a / n1, c / n0
    n = float(arr.sum())
    extra = {"risk_exposed": p1, "risk_unexposed": p0}
    crit = critical_value()
    degenerate = p1 in (0.0, 1.0) or p0 in (0.0, 1.0)
    use_newcombe = rd_interval == "newcombe" or (rd_interval == "auto" and degenerate)
    if use_newcombe:
        low, high = _newcombe(a, n1, c, n0, crit)
        rd_row = make_result(p1 - p0, math.nan, low, high, n=n, se_scale="difference",
                             ci_method="Newcombe hybrid score", **extra)
    else:
        se_rd = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
        rd_row = make_result(p1 - p0, se_rd, n=n, se_scale="difference", ci_method="Wald", **extra)
    rows: dict[object, pd.Series] = {"risk difference": rd_row}
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
    rows["risk ratio"] = from_ratio_log_ci(tab.log_riskratio, tab.log_riskratio_se, n=n, **extra)
    rows["odds ratio"] = from_ratio_log_ci(tab.log_oddsratio, tab.log_oddsratio_se, n=n, **extra)
    frame = result_frame(rows, "measure")
    frame.attrs["rd_interval"] = "Newcombe hybrid score" if use_newcombe else "Wald"
    frame.attrs["n_dropped"] = n_dropped
    return frame


# ====================================================================== stratification


def _strata_tables(
    data: pd.DataFrame, exposure: str, outcome: str, strata: str | Sequence[str], weight: str | None,
    dropna: bool = False,
) -> tuple[list[Any], np.ndarray, int]:
    _require_frame(data)
    keys = [strata] if isinstance(strata, str) else list(strata)
    if not keys:
        raise CausalInputError("give at least one stratum column")
    _require_columns(data, keys, "stratum column")
    data, n_dropped = _complete(data, [exposure, outcome, *keys, weight], dropna)
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
    return labels, np.asarray(tables, dtype=float), n_dropped


def _informative(tables: np.ndarray) -> np.ndarray:
    """Strata with both exposure groups and both outcomes present (others carry no MH information)."""
    rows = tables.sum(axis=2)
    cols = tables.sum(axis=1)
    return (rows > 0).all(axis=1) & (cols > 0).all(axis=1)


def _mh_ratio_difference(used: np.ndarray, measure: str) -> tuple[float, float]:
    """Mantel–Haenszel risk ratio (log scale) or risk difference and the Greenland–Robins (1985) SE."""
    a, b, c, d = used[:, 0, 0], used[:, 0, 1], used[:, 1, 0], used[:, 1, 1]
    n1, n0 = a + b, c + d
    total = n1 + n0
    if measure == "risk ratio":
        r = float(np.sum(a * n0 / total))
        s = float(np.sum(c * n1 / total))
        if r == 0 or s == 0:
            raise CausalInputError(
                f"the Mantel–Haenszel risk ratio is {'zero' if r == 0 else 'infinite'}: there are no events among "
                f"the {'exposed' if r == 0 else 'unexposed'} in any stratum; report the counts (or a risk difference) "
                "instead of a ratio"
            )
        var = float(np.sum((n1 * n0 * (a + c) - a * c * total) / total**2)) / (r * s)
        return math.log(r / s), math.sqrt(var)
    weights = float(np.sum(n1 * n0 / total))
    rd = float(np.sum((a * n0 - c * n1) / total)) / weights
    var = float(np.sum((a * b * n0**3 + c * d * n1**3) / (n1 * n0 * total**2))) / weights**2
    return rd, math.sqrt(var)


def mantel_haenszel(
    data: pd.DataFrame,
    exposure: str,
    outcome: str,
    strata: str | Sequence[str],
    weight: str | None = None,
    *,
    measure: str = "odds ratio",
    dropna: bool = False,
) -> pd.Series:
    """Mantel–Haenszel estimate pooled over strata (odds ratio, risk ratio or risk difference), with tests.

    * ``"odds ratio"`` (default): statsmodels ``StratifiedTable``; SE of the
      log OR by Robins–Breslow–Greenland; Breslow–Day test of homogeneity.
    * ``"risk ratio"``: sum(a n0 / N) / sum(c n1 / N); SE of the log RR by
      Greenland & Robins (Biometrics 1985;41:55–68), as R's
      ``epiR::epi.2by2`` (``RR.mh.wald``).
    * ``"risk difference"``: sum((a n0 − c n1) / N) / sum(n1 n0 / N); the
      Greenland–Robins SE, as ``epiR``'s ``ARisk.mh.green``.

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
    measure : {"odds ratio", "risk ratio", "risk difference"}
        The pooled measure.
    dropna : bool, default False
        Missing values raise; ``True`` leaves those rows out (``attrs["n_dropped"]``).

    Returns
    -------
    pandas.Series
        The result shape: ``estimate``, ``se`` (log scale for the ratios), 95%
        CI, ``n``; plus ``crude`` (the same measure from the pooled table;
        ``crude_or`` too for the odds ratio), ``mh_chi2`` and ``p_value``
        (Mantel–Haenszel test of no association, with continuity correction,
        as R's ``mantelhaen.test``; the same test whatever the measure),
        ``homogeneity_chi2`` and ``homogeneity_p`` (Breslow–Day, odds ratio
        only), ``n_strata`` and ``n_strata_used`` (strata that carry
        information: both exposure groups, and for the odds ratio both outcomes).

    Examples
    --------
    >>> df = pd.DataFrame({"e": [1, 1, 0, 0] * 2, "y": [1, 0, 1, 0] * 2,
    ...                    "s": ["a"] * 4 + ["b"] * 4, "k": [4, 1, 2, 2, 3, 3, 1, 5]})
    >>> float(round(mantel_haenszel(df, "e", "y", "s", weight="k")["estimate"], 3))
    4.529
    >>> float(round(mantel_haenszel(df, "e", "y", "s", weight="k", measure="risk difference")["estimate"], 3))
    0.319
    """
    from statsmodels.stats.contingency_tables import StratifiedTable, Table2x2

    if measure not in MH_MEASURES:
        raise CausalInputError(f"measure must be one of {', '.join(map(repr, MH_MEASURES))}, got {measure!r}")
    labels, tables, n_dropped = _strata_tables(data, exposure, outcome, strata, weight, dropna)
    informative = _informative(tables)
    both_groups = (tables.sum(axis=2) > 0).all(axis=1)
    keep = informative if measure == "odds ratio" else both_groups
    if not informative.any():
        raise CausalInputError(
            "no stratum has both exposure groups and both outcomes, so the strata carry no information "
            "about the association; use fewer or coarser strata"
        )
    used = tables[keep]
    st = StratifiedTable(np.moveaxis(tables[informative], 0, -1))
    null = st.test_null_odds(correction=True)
    pooled = tables.sum(axis=0)
    n = float(tables.sum())
    tests = {"mh_chi2": float(null.statistic), "p_value": float(null.pvalue)}
    common = {"n_strata": len(tables), "n_strata_used": int(keep.sum())}
    if measure != "odds ratio":
        value, se = _mh_ratio_difference(used, measure)
        (a, b), (c, d) = pooled
        p1, p0 = a / (a + b), c / (c + d)
        if measure == "risk ratio":
            crude = p1 / p0 if p0 > 0 else math.nan
            result = _ratio(value, se, n=n, crude=crude, **tests, **common,
                                       measure="risk ratio (Mantel–Haenszel)")
        else:
            result = _make(value, se, n=n, crude=p1 - p0, **tests, **common, se_scale="difference",
                                 measure="risk difference (Mantel–Haenszel)")
        result.attrs["n_dropped"] = n_dropped
        return result
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
    low, high = st.oddsratio_pooled_confint()
    if len(used) > 1:
        homog = st.test_equal_odds()
        homog_chi2, homog_p = float(homog.statistic), float(homog.pvalue)
    else:
        homog_chi2, homog_p = math.nan, math.nan
    crude = float(Table2x2(pooled, shift_zeros=False).oddsratio) if (pooled > 0).all() else math.nan
    result = _make(
        st.oddsratio_pooled,
        se=st.logodds_pooled_se,
        ci_low=low,
        ci_high=high,
        n=n,
        se_scale="log",
        measure="odds ratio (Mantel–Haenszel)",
        crude=crude,
        crude_or=crude,
        **tests,
        homogeneity_chi2=homog_chi2,
        homogeneity_p=homog_p,
        **common,
    )
    result.attrs["n_dropped"] = n_dropped
    return result


def stratum_odds_ratios(
    data: pd.DataFrame,
    exposure: str,
    outcome: str,
    strata: str | Sequence[str],
    weight: str | None = None,
    *,
    dropna: bool = False,
) -> pd.DataFrame:
    """The odds ratio of outcome for exposure within each stratum (Wald 95% CI on the log scale).

    Strata with a zero cell get 0.5 added to every cell (``zero_cell_corrected``
    is True); strata lacking an exposure group or an outcome have no odds ratio
    (NaN) but stay in the table so nothing disappears.

    Parameters
    ----------
    data : DataFrame
        One row per person, or one row per cell with a count column ``weight``.
    exposure, outcome : str
        0/1 (or boolean) columns.
    strata : str or list of str
        Column(s) defining the strata.
    weight : str, optional
        Count column for tabulated data.
    dropna : bool, default False
        Missing values raise; ``True`` leaves those rows out.

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
    labels, tables, n_dropped = _strata_tables(data, exposure, outcome, strata, weight, dropna)
    crit = critical_value()
    rows: dict[object, pd.Series] = {}
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
            row = _make(math.exp(log_or), se, math.exp(log_or - crit * se), math.exp(log_or + crit * se),
                              n=whole(table.sum()), se_scale="log", **counts, zero_cell_corrected=corrected)
        else:
            row = _make(math.nan, math.nan, math.nan, math.nan, n=whole(table.sum()), se_scale="log",
                              **counts, zero_cell_corrected=False)
        rows[label] = row
    names = [strata] if isinstance(strata, str) else list(strata)
    frame = result_frame(rows, names[0] if len(names) == 1 else None)
    if len(names) > 1:
        frame.index = pd.MultiIndex.from_tuples(frame.index, names=names)
    frame.attrs["n_dropped"] = n_dropped
    return frame


