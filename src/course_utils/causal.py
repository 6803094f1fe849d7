"""Confounding: measures of association, stratification, adjustment, standardisation, IP weighting, E-values.

Every estimating function returns the course's one result shape (a Series
with ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n`` and extra fields, see
:mod:`course_utils.results`); ratios carry their standard error on the log
scale (``se_scale = "log"``).

=====================================  ==============================================
:func:`two_by_two`                      exposure × outcome counts
:func:`association_measures`            risk difference, risk ratio, odds ratio (95% CI)
:func:`mantel_haenszel`                 pooled odds ratio over strata + homogeneity test
:func:`stratum_odds_ratios`             odds ratio in each stratum
:func:`regression_effect`               exposure coefficient of a linear or logistic model
:func:`standardized_effect`             parametric g-formula (standardisation)
:func:`ipw_effect`                      inverse-probability weighting (marginal structural model)
:func:`propensity_scores`,
:func:`ip_weights`                      the pieces of IP weighting
:func:`weight_diagnostics`,
:func:`balance_table`,
:func:`positivity_check`                is the weighting trustworthy?
:func:`e_value`                         sensitivity to unmeasured confounding
=====================================  ==============================================

Conventions
-----------
* Exposures/treatments and binary outcomes are coded **0/1** (or True/False).
  A labelled column (``"uses"``/``"not"``) is rejected with a message showing how
  to make the indicator, so the comparison is always explicit.
* Missing values in any column a function uses are an error, never dropped
  silently: decide how to handle them (for example a complete-case analysis
  with ``data.dropna(subset=[...])``) and pass the result.
* Formulas are statsmodels/patsy formulas (``"y ~ a + C(group) + I(age**2)"``),
  evaluated on the data only (plus ``np`` for numpy functions).

Examples
--------
>>> import course_utils as cu
>>> from course_utils import causal
>>> r = causal.e_value(3.9, (1.8, 8.7))
>>> round(r["point"], 2), round(r["ci"], 2)
(7.26, 3.0)
"""

from __future__ import annotations

import io
import math
import re
import tokenize
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_utils.results import critical_value, from_ratio_log_ci, make_result, result_frame
from course_utils.seeding import rng

__all__ = [
    "CausalInputError",
    "PositivityError",
    "two_by_two",
    "association_measures",
    "mantel_haenszel",
    "stratum_odds_ratios",
    "regression_effect",
    "standardized_effect",
    "propensity_scores",
    "ip_weights",
    "ipw_effect",
    "weight_diagnostics",
    "balance_table",
    "positivity_check",
    "e_value",
]

MEASURES = ("difference", "ratio", "odds ratio")
_PS_EPS = 1e-8


class CausalInputError(ValueError):
    """The data or arguments cannot give a meaningful estimate; the message says what to do."""


class PositivityError(CausalInputError):
    """Some people had (numerically) no chance of one of the treatment levels."""


# ====================================================================== input checks


def _require_frame(data: Any) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    return data


def _require_columns(data: pd.DataFrame, columns: Iterable[str], what: str = "column") -> None:
    for column in columns:
        if column not in data.columns:
            raise KeyError(
                f"{what} {column!r} is not in the data. Available columns: {', '.join(map(str, data.columns))}"
            )


def _no_missing(data: pd.DataFrame, columns: Sequence[str]) -> None:
    counts = {c: int(data[c].isna().sum()) for c in columns}
    bad = {c: k for c, k in counts.items() if k}
    if bad:
        rows = int(data[list(columns)].isna().any(axis=1).sum())
        shown = ", ".join(f"{c!r}: {k}" for c, k in bad.items())
        raise CausalInputError(
            f"{rows} of {len(data)} rows have missing values in the columns used ({shown}). "
            "Nothing is dropped silently: decide how to handle them — for a complete-case analysis pass "
            f"data.dropna(subset={list(bad)!r}) and report how many rows that removes."
        )


def _binary(data: pd.DataFrame, column: str, role: str, *, both_levels: bool = True) -> np.ndarray:
    """A 0/1 float array from a 0/1 or boolean column; a clear error otherwise."""
    _require_columns(data, [column], role)
    _no_missing(data, [column])
    series = data[column]
    if pd.api.types.is_bool_dtype(series):
        values = series.astype(bool).to_numpy(dtype=float)
    elif pd.api.types.is_numeric_dtype(series) and not isinstance(series.dtype, pd.CategoricalDtype):
        values = series.to_numpy(dtype=float)
        levels = set(np.unique(values).tolist())
        if not levels <= {0.0, 1.0}:
            shown = ", ".join(f"{v:g}" for v in sorted(levels)[:6])
            raise CausalInputError(
                f"{role} {column!r} must be binary, coded 0/1 (or True/False); it has the values {shown}. "
                f"Make an indicator first, e.g. data['{column}_high'] = (data['{column}'] >= cutoff)."
            )
    else:
        levels = list(pd.unique(series.astype("object")))[:6]
        example = levels[0] if levels else "level"
        raise CausalInputError(
            f"{role} {column!r} must be binary, coded 0/1 (or True/False); it holds labels "
            f"{', '.join(repr(v) for v in levels)}. Make the comparison explicit with an indicator, "
            f"e.g. data['{column}_1'] = (data['{column}'] == {example!r})."
        )
    if both_levels and len(np.unique(values)) < 2:
        raise CausalInputError(
            f"{role} {column!r} takes only the value {values[0]:g}; a comparison needs people at both levels (0 and 1)"
        )
    return values


def _weights_column(data: pd.DataFrame, weight: str | None) -> np.ndarray:
    if weight is None:
        return np.ones(len(data))
    _require_columns(data, [weight], "weight column")
    _no_missing(data, [weight])
    values = pd.to_numeric(data[weight], errors="coerce")
    if values.isna().any() or (values < 0).any() or not np.isfinite(values.to_numpy(dtype=float)).all():
        raise CausalInputError(
            f"weight column {weight!r} must hold non-negative finite counts (number of people in each row)"
        )
    return values.to_numpy(dtype=float)


# ====================================================================== formulas


def _formula_columns(formula: str, data: pd.DataFrame) -> list[str]:
    """Column names mentioned in a formula (as names or inside Q("...")), in order."""
    found: list[str] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(formula).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        raise CausalInputError(f"cannot read the formula {formula!r}: {exc}") from exc
    for tok in tokens:
        name = None
        if tok.type == tokenize.NAME:
            name = tok.string
        elif tok.type == tokenize.STRING:
            name = tok.string.strip("\"'")
        if name is not None and name in data.columns and name not in found:
            found.append(name)
    return found


def _split_formula(formula: str) -> tuple[str, str]:
    if not isinstance(formula, str) or "~" not in formula:
        raise CausalInputError(
            f"a model formula looks like 'outcome ~ exposure + covariate'; got {formula!r}"
        )
    lhs, rhs = formula.split("~", 1)
    return lhs.strip(), rhs.strip()


def _model_frame(data: pd.DataFrame, formula: str, required: Sequence[str]) -> pd.DataFrame:
    """The columns a model uses, checked for missing values, nullable dtypes made plain."""
    columns = list(dict.fromkeys([*required, *_formula_columns(formula, data)]))
    _require_columns(data, columns)
    _no_missing(data, columns)
    frame = data[columns].copy()
    for column in columns:
        series = frame[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            continue
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            frame[column] = series.to_numpy(dtype=float)
        elif pd.api.types.is_string_dtype(series):
            frame[column] = series.astype(object)
    return frame


def _formula_error(exc: Exception, formula: str, data: pd.DataFrame) -> Exception:
    text = str(exc)
    match = re.search(r"name '([^']+)' is not defined", text)
    if match:
        return KeyError(
            f"the formula {formula!r} names {match.group(1)!r}, which is not a column of the data. "
            f"Available columns: {', '.join(map(str, data.columns))}"
        )
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return CausalInputError(f"could not build a model from the formula {formula!r}: {first}")


def _fit_glm(formula: str, frame: pd.DataFrame, data: pd.DataFrame, kind: str, cov_type: str = "nonrobust") -> Any:
    """Fit OLS (kind 'linear') or logistic regression by Newton's method (kind 'logistic').

    Formula problems, perfect separation and non-convergence become clear errors.
    """
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    try:
        if kind == "linear":
            model = smf.ols(formula, frame, eval_env={"np": np})
        else:
            model = smf.logit(formula, frame, eval_env={"np": np})
    except KeyError:
        raise
    except Exception as exc:  # patsy/formulaic errors have no common base class
        raise _formula_error(exc, formula, data) from exc
    separation = PositivityError(
        f"the logistic model {formula!r} separates the data perfectly: some covariate pattern "
        "predicts the outcome (or treatment) with certainty. Check positivity with a cross-table, "
        "merge sparse categories or simplify the model."
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if kind == "linear":
                result = model.fit(cov_type=cov_type)
            else:
                result = model.fit(disp=0, method="newton", maxiter=100, cov_type=cov_type)
        except np.linalg.LinAlgError as exc:
            raise CausalInputError(
                f"the model {formula!r} cannot be estimated ({exc}): some terms are redundant or a category "
                "is empty; drop or merge them"
            ) from exc
        except Exception as exc:
            if "separation" in type(exc).__name__.lower() or "separation" in str(exc).lower():
                raise separation from exc
            raise
    for w in caught:
        if issubclass(w.category, PerfectSeparationWarning) or "separation" in str(w.message).lower():
            raise separation
        if issubclass(w.category, ConvergenceWarning):
            raise CausalInputError(
                f"the model {formula!r} did not converge ({w.message}); simplify it or merge sparse categories"
            )
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if kind == "logistic" and not result.mle_retvals.get("converged", True):
        raise CausalInputError(
            f"the logistic model {formula!r} did not converge; simplify it or merge sparse categories"
        )
    return result


def _design(result: Any, frame: pd.DataFrame) -> np.ndarray:
    from statsmodels.formula._manager import FormulaManager

    matrix = FormulaManager().get_matrices(
        result.model.data.model_spec, frame, pandas=False, prediction=True, eval_env={"np": np}
    )
    return np.asarray(matrix, dtype=float)


def _kind_for(values: np.ndarray, kind: str | None, outcome: str) -> str:
    binary = set(np.unique(values).tolist()) <= {0.0, 1.0}
    if kind is None:
        return "logistic" if binary else "linear"
    if kind not in ("linear", "logistic"):
        raise CausalInputError(f"kind must be 'linear' or 'logistic', got {kind!r}")
    if kind == "logistic" and not binary:
        raise CausalInputError(
            f"a logistic model needs a 0/1 outcome, but {outcome!r} has other values; use kind='linear' "
            "or make an indicator"
        )
    return kind


def _measure_for(kind: str, measure: str | None) -> str:
    if measure is None:
        return "difference"
    if measure not in MEASURES:
        raise CausalInputError(f"measure must be one of {', '.join(map(repr, MEASURES))}, got {measure!r}")
    if kind == "linear" and measure != "difference":
        raise CausalInputError(
            f"measure {measure!r} needs a binary (0/1) outcome; for a continuous outcome use 'difference'"
        )
    return measure


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


# ====================================================================== regression adjustment


def regression_effect(
    data: pd.DataFrame,
    formula: str,
    exposure: str,
    *,
    kind: str | None = None,
    cov_type: str = "nonrobust",
) -> pd.Series:
    """The exposure's coefficient from an outcome regression, on the interpretable scale.

    ``kind="logistic"`` gives the (conditional) odds ratio, ``kind="linear"``
    the adjusted difference in means; by default the kind follows the outcome
    (0/1 → logistic, otherwise linear).

    Parameters
    ----------
    data : DataFrame
    formula : str
        e.g. ``"AMDEYR ~ kratom_py + chronic_pain + C(CATAG6)"``.
    exposure : str
        The exposure column; its coefficient is the one reported (``exposure``,
        or a single term like ``exposure[T.1]`` when it enters as a category).
    kind : {"linear", "logistic"}, optional
    cov_type : str, default "nonrobust"
        statsmodels covariance type, e.g. ``"HC1"`` for robust standard errors.

    Returns
    -------
    pandas.Series
        Result shape with ``measure``, ``term``, ``p_value``, ``formula``; the
        ``n`` is the number of rows used (all of them: missing values are an error).

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1., 2, 3, 5, 6, 8], "a": [0, 0, 0, 1, 1, 1], "z": [0, 1, 2, 0, 1, 2]})
    >>> float(round(regression_effect(df, "y ~ a + z", "a")["estimate"], 3))
    4.333
    """
    _require_frame(data)
    lhs, _ = _split_formula(formula)
    _require_columns(data, [exposure], "exposure")
    if exposure not in _formula_columns(formula, data):
        raise CausalInputError(f"the exposure {exposure!r} does not appear in the formula {formula!r}")
    frame = _model_frame(data, formula, [exposure])
    if lhs in frame.columns:
        kind = _kind_for(frame[lhs].to_numpy(dtype=float), kind, lhs)
    elif kind is None:
        kind = "linear"
    result = _fit_glm(formula, frame, data, kind, cov_type)
    names = list(result.params.index)
    matches = [t for t in names if t == exposure or t.startswith(f"{exposure}[") or t.startswith(f"C({exposure})[")]
    if len(matches) != 1:
        raise CausalInputError(
            f"cannot identify one coefficient for {exposure!r} among the model terms {names}; "
            "enter the exposure as a single 0/1 column"
        )
    term = matches[0]
    coef, se = float(result.params[term]), float(result.bse[term])
    common = {"term": term, "p_value": float(result.pvalues[term]), "formula": formula}
    if kind == "logistic":
        return from_ratio_log_ci(coef, se, n=int(result.nobs), measure="odds ratio", **common)
    low, high = result.conf_int().loc[term]
    df = float(result.df_resid) if cov_type == "nonrobust" else None
    return make_result(coef, se, float(low), float(high), n=int(result.nobs), df=df, measure="difference",
                       **common)


# ====================================================================== standardisation (g-formula)


def _contrast(psi1: float, psi0: float, if1: np.ndarray | None, if0: np.ndarray | None, measure: str
              ) -> tuple[float, np.ndarray | None]:
    """Contrast of two means and its influence function (log scale for ratios)."""
    if measure == "difference":
        return psi1 - psi0, (None if if1 is None else if1 - if0)
    if psi1 <= 0 or psi0 <= 0 or (measure == "odds ratio" and (psi1 >= 1 or psi0 >= 1)):
        raise CausalInputError("the standardised risks are 0 or 1, so a ratio is undefined; use 'difference'")
    if measure == "ratio":
        return math.log(psi1 / psi0), (None if if1 is None else if1 / psi1 - if0 / psi0)
    value = math.log(psi1 / (1 - psi1)) - math.log(psi0 / (1 - psi0))
    return value, (None if if1 is None else if1 / (psi1 * (1 - psi1)) - if0 / (psi0 * (1 - psi0)))


def _finish(value: float, se: float, measure: str, n: int, **extra: Any) -> pd.Series:
    """Result for a contrast with a Wald 95% CI (value and se on the log scale for ratios)."""
    if measure == "difference":
        return make_result(value, se, n=n, measure="difference", **extra)
    crit = critical_value()
    return make_result(math.exp(value), se, math.exp(value - crit * se), math.exp(value + crit * se), n=n,
                       se_scale="log", measure=measure, **extra)


def _logistic_newton(X: np.ndarray, y: np.ndarray, beta: np.ndarray, steps: int = 25) -> np.ndarray:
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-X @ beta))
        step = np.linalg.solve((X * (p * (1 - p))[:, None]).T @ X, X.T @ (y - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def standardized_effect(
    data: pd.DataFrame,
    treatment: str,
    outcome: str,
    outcome_formula: str,
    *,
    kind: str | None = None,
    measure: str | None = None,
    standardize_to: pd.DataFrame | None = None,
    ci: str = "sandwich",
    n_boot: int = 500,
    seed: int | None = None,
) -> pd.Series:
    """Average causal effect of a binary treatment by standardisation (the parametric g-formula).

    Fit the outcome model, predict every person's outcome with the treatment
    set to 1 and to 0, average the predictions (standardising to the covariate
    distribution of ``data`` or of ``standardize_to``) and contrast the averages.

    Parameters
    ----------
    data : DataFrame
        The people the outcome model is fitted to (no missing values in the
        columns the formula uses).
    treatment, outcome : str
        ``treatment`` is 0/1; ``outcome`` continuous (linear model) or 0/1
        (logistic model).
    outcome_formula : str
        Must include the treatment, e.g. ``"wt82_71 ~ qsmk + sex + age + I(age**2)"``.
    kind : {"linear", "logistic"}, optional
        Default: logistic for a 0/1 outcome, linear otherwise.
    measure : {"difference", "ratio", "odds ratio"}, optional
        Contrast of the standardised means; default ``"difference"``.
    standardize_to : DataFrame, optional
        The population to standardise to (default ``data``); e.g. all
        participants, including those whose outcome is missing, as in
        *What If* Program 13.3.
    ci : {"sandwich", "bootstrap"}
        ``"sandwich"``: influence-function (robust) variance, deterministic.
        ``"bootstrap"``: standard error from ``n_boot`` resamples drawn with
        :func:`course_utils.seeding.rng` (``seed``, stream ``"bootstrap"``) and
        a normal-approximation interval, as in *What If* Program 13.4.

    Returns
    -------
    pandas.Series
        Result shape plus ``measure``, ``mean_treated`` and ``mean_untreated``
        (the standardised means E[Y^1], E[Y^0]), ``method``, ``ci_method``.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [0, 0, 1, 1, 0, 1, 0, 1], "l": [0, 1, 0, 1, 1, 1, 0, 0],
    ...                    "y": [1., 3, 2, 5, 3, 5, 1, 2]})
    >>> float(round(standardized_effect(df, "a", "y", "y ~ a + l + a:l")["estimate"], 3))
    1.5
    """
    _require_frame(data)
    measure_in = measure
    _require_columns(data, [treatment], "treatment")
    _require_columns(data, [outcome], "outcome")
    _no_missing(data, [outcome])
    a = _binary(data, treatment, "treatment")
    lhs, _ = _split_formula(outcome_formula)
    if lhs != outcome:
        raise CausalInputError(f"the outcome formula's left side is {lhs!r}, but outcome is {outcome!r}")
    if treatment not in _formula_columns(outcome_formula, data):
        raise CausalInputError(f"the treatment {treatment!r} must appear in the outcome formula")
    frame = _model_frame(data, outcome_formula, [treatment, outcome])
    yv = frame[outcome].to_numpy(dtype=float)
    kind = _kind_for(yv, kind, outcome)
    measure = _measure_for(kind, measure_in)
    if ci not in ("sandwich", "bootstrap"):
        raise CausalInputError(f"ci must be 'sandwich' or 'bootstrap', got {ci!r}")
    result = _fit_glm(outcome_formula, frame, data, kind)
    beta = result.params.to_numpy(dtype=float)
    X = _design(result, frame)
    if standardize_to is None:
        target = frame
    else:
        _require_frame(standardize_to)
        target = _model_frame(standardize_to, outcome_formula.split("~", 1)[1], [treatment])
    X1 = _design(result, target.assign(**{treatment: 1.0}))
    X0 = _design(result, target.assign(**{treatment: 0.0}))
    link = (lambda eta: eta) if kind == "linear" else (lambda eta: 1.0 / (1.0 + np.exp(-eta)))
    m1, m0 = link(X1 @ beta), link(X0 @ beta)
    psi1, psi0 = float(m1.mean()), float(m0.mean())
    value, _ = _contrast(psi1, psi0, None, None, measure)
    extra = {"mean_treated": psi1, "mean_untreated": psi0, "method": "standardisation (g-formula)",
             "ci_method": ci}
    n = len(frame)
    if ci == "sandwich":
        n_fit, n_target = len(frame), len(target)
        if kind == "linear":
            resid = yv - X @ beta
            bread = np.linalg.inv(X.T @ X / n_fit)
            d1, d0 = np.ones(n_target), np.ones(n_target)
        else:
            p = link(X @ beta)
            resid = yv - p
            bread = np.linalg.inv((X * (p * (1 - p))[:, None]).T @ X / n_fit)
            d1, d0 = m1 * (1 - m1), m0 * (1 - m0)
        if_beta = (X * resid[:, None]) @ bread  # n_fit × k, influence of beta
        g1, g0 = (X1 * d1[:, None]).mean(axis=0), (X0 * d0[:, None]).mean(axis=0)
        _, if_model = _contrast(psi1, psi0, if_beta @ g1, if_beta @ g0, measure)
        _, if_target = _contrast(psi1, psi0, m1 - psi1, m0 - psi0, measure)
        if standardize_to is None:
            var = float(np.sum((if_model + if_target) ** 2)) / n_fit**2
        else:  # fitted and target samples treated as independent
            var = float(np.sum(if_model**2)) / n_fit**2 + float(np.sum(if_target**2)) / n_target**2
        return _finish(value, math.sqrt(var), measure, n, **extra)
    draws = _bootstrap_gformula(X, yv, X1, X0, beta, kind, measure, standardize_to is not None, n_boot, seed)
    # Wald interval with the bootstrap standard error (on the log scale for ratios), as in the
    # published code of What If, Program 13.4
    return _finish(value, float(np.std(draws, ddof=1)), measure, n, n_boot=n_boot, **extra)


def _bootstrap_gformula(X: np.ndarray, y: np.ndarray, X1: np.ndarray, X0: np.ndarray, beta: np.ndarray,
                        kind: str, measure: str, separate_target: bool, n_boot: int, seed: int | None
                        ) -> np.ndarray:
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 50:
        raise CausalInputError(f"n_boot must be a whole number of at least 50, got {n_boot!r}")
    gen = rng(seed, "bootstrap")
    n, n_t = len(y), len(X1)
    out = np.empty(n_boot)
    for b in range(n_boot):
        idx = gen.integers(0, n, n)
        tidx = gen.integers(0, n_t, n_t) if separate_target else idx
        if kind == "linear":
            xb = X[idx]
            bb = np.linalg.solve(xb.T @ xb, xb.T @ y[idx])
            m1, m0 = X1[tidx] @ bb, X0[tidx] @ bb
        else:
            bb = _logistic_newton(X[idx], y[idx], beta)
            m1, m0 = 1 / (1 + np.exp(-X1[tidx] @ bb)), 1 / (1 + np.exp(-X0[tidx] @ bb))
        out[b] = _contrast(float(m1.mean()), float(m0.mean()), None, None, measure)[0]
    return out


# ====================================================================== IP weighting


def _ps_formula(ps_formula: str, treatment: str) -> str:
    if not isinstance(ps_formula, str) or not ps_formula.strip():
        raise CausalInputError("ps_formula is the model for treatment, e.g. 'sex + age + I(age**2)'")
    if "~" not in ps_formula:
        return f"{treatment} ~ {ps_formula.strip()}"
    lhs, _ = _split_formula(ps_formula)
    if lhs != treatment:
        raise CausalInputError(
            f"the propensity-score formula models {lhs!r}, but the treatment is {treatment!r}; "
            f"write it as '{treatment} ~ covariates' or give only the covariates"
        )
    return ps_formula


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


def propensity_scores(data: pd.DataFrame, treatment: str, ps_formula: str) -> pd.Series:
    """Estimated probability of treatment given covariates, P(A = 1 | L), from a logistic model.

    Parameters
    ----------
    data : DataFrame
    treatment : str
        0/1 column.
    ps_formula : str
        Covariates (``"sex + age + I(age**2)"``) or a full formula with the
        treatment on the left.

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
    _, ps = _propensity(data, treatment, ps_formula, strict=True)
    return pd.Series(ps, index=data.index, name="propensity_score")


def ip_weights(data: pd.DataFrame, treatment: str, ps_formula: str, *, stabilized: bool = True) -> pd.Series:
    """Inverse-probability-of-treatment weights.

    Unstabilised: 1 / P(A = a | L) for the treatment level a each person had.
    Stabilised: P(A = a) / P(A = a | L) (mean close to 1; same point estimate
    for a saturated marginal structural model, less variable).

    Examples
    --------
    >>> df = pd.DataFrame({"a": [0, 1, 0, 1, 1, 0], "l": [0, 0, 1, 1, 1, 0]})
    >>> ip_weights(df, "a", "l", stabilized=False).round(2).tolist()
    [1.5, 3.0, 3.0, 1.5, 1.5, 1.5]
    """
    a, ps = _propensity(data, treatment, ps_formula, strict=True)
    p_obs = np.where(a == 1, ps, 1 - ps)
    if stabilized:
        share = a.mean()
        numerator = np.where(a == 1, share, 1 - share)
    else:
        numerator = np.ones_like(p_obs)
    return pd.Series(numerator / p_obs, index=data.index, name="sw" if stabilized else "w")


def ipw_effect(
    data: pd.DataFrame,
    treatment: str,
    outcome: str,
    ps_formula: str,
    *,
    stabilized: bool = True,
    measure: str | None = None,
) -> pd.Series:
    """Average causal effect of a binary treatment by inverse-probability weighting.

    Fits the propensity-score model (logistic), weights each person by
    :func:`ip_weights`, and fits the marginal structural model
    ``outcome ~ treatment`` to the weighted data with robust (sandwich)
    standard errors — the same numbers as GEE with an independence working
    correlation and one cluster per person, as in *What If* (Hernán & Robins)
    chapter 12.  The robust interval ignores that the weights were estimated,
    which makes it slightly conservative.

    Parameters
    ----------
    data : DataFrame
    treatment : str
        0/1 column.
    outcome : str
        Continuous or 0/1 column, no missing values.
    ps_formula : str
        Covariates of the propensity model (or ``"treatment ~ covariates"``).
    stabilized : bool, default True
    measure : {"difference", "ratio", "odds ratio"}, optional
        ``"difference"`` (default): identity link; ``"ratio"``: log link
        (Poisson working model); ``"odds ratio"``: logit link.  Ratios need a
        0/1 outcome.

    Returns
    -------
    pandas.Series
        Result shape plus ``measure``, ``mean_treated``/``mean_untreated``
        (weighted means, i.e. estimates of E[Y^1], E[Y^0]), ``stabilized``,
        ``max_weight``, ``method``.

    Raises
    ------
    PositivityError
        An estimated propensity score of 0 or 1.

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

    _require_frame(data)
    _require_columns(data, [outcome], "outcome")
    _no_missing(data, [outcome])
    if not pd.api.types.is_numeric_dtype(data[outcome]) and not pd.api.types.is_bool_dtype(data[outcome]):
        raise CausalInputError(f"outcome {outcome!r} must be numeric (a measurement, or 0/1)")
    y = data[outcome].to_numpy(dtype=float)
    binary = set(np.unique(y).tolist()) <= {0.0, 1.0}
    measure = _measure_for("logistic" if binary else "linear", measure)
    w = ip_weights(data, treatment, ps_formula, stabilized=stabilized).to_numpy()
    a = data[treatment].to_numpy(dtype=float)
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
    return _finish(coef, se, measure, len(y), mean_treated=mean1, mean_untreated=mean0,
                   stabilized=stabilized, max_weight=float(w.max()), method="IP weighting (robust SE)")


# ====================================================================== diagnostics


def weight_diagnostics(weights: Any, treatment: Any = None, *, threshold: float = 10.0) -> pd.DataFrame:
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


def _weighted_mean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted mean and variance; with equal weights the variance is the usual sample variance."""
    total, total_sq = float(np.sum(w)), float(np.sum(w**2))
    mean = float(np.sum(w * x) / total)
    denom = total**2 - total_sq
    var = float(total * np.sum(w * (x - mean) ** 2) / denom) if denom > 0 else 0.0
    return mean, var


def balance_table(
    data: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    weights: Any = None,
    *,
    categorical: Iterable[str] = (),
) -> pd.DataFrame:
    """Covariate balance between treatment groups as standardised mean differences (SMD).

    SMD = (mean₁ − mean₀) / √((var₁ + var₀)/2), with sample variances before
    weighting and weighted means and variances after weighting (Austin &
    Stuart, Stat Med 2015;34:3661–79, doi:10.1002/sim.6607).  Categorical covariates (category/string/boolean
    dtype, or listed in ``categorical``) get one row per level (its
    proportion).  |SMD| < 0.1 is a common rule of thumb for good balance.

    Returns
    -------
    pandas.DataFrame
        One row per covariate (or level): ``mean_treated``, ``mean_untreated``,
        ``smd``, and with ``weights`` also ``mean_treated_weighted``,
        ``mean_untreated_weighted``, ``smd_weighted``.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 1, 0, 0], "x": [2.0, 4.0, 1.0, 3.0]})
    >>> round(float(balance_table(df, "a", ["x"]).loc["x", "smd"]), 3)
    0.707
    """
    _require_frame(data)
    a = _binary(data, treatment, "treatment")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    _require_columns(data, covariates, "covariate")
    _no_missing(data, covariates)
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if w.shape != a.shape or not np.isfinite(w).all() or (w < 0).any():
            raise CausalInputError("weights must be finite, non-negative and one per row of data")
    forced = set(categorical)
    columns: dict[str, np.ndarray] = {}
    for cov in covariates:
        s = data[cov]
        if cov in forced or isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s) \
                or pd.api.types.is_bool_dtype(s):
            levels = s.cat.categories if isinstance(s.dtype, pd.CategoricalDtype) else sorted(pd.unique(s))
            for level in levels:
                columns[f"{cov}: {level}"] = (s == level).to_numpy(dtype=float)
        else:
            columns[cov] = s.to_numpy(dtype=float)
    rows = {}
    for name, x in columns.items():
        row = {}
        for suffix, ww in (("", np.ones_like(a)), ("_weighted", w)):
            if ww is None:
                continue
            m1, v1 = _weighted_mean_var(x[a == 1], ww[a == 1])
            m0, v0 = _weighted_mean_var(x[a == 0], ww[a == 0])
            pooled = math.sqrt((v1 + v0) / 2)
            row[f"mean_treated{suffix}"] = m1
            row[f"mean_untreated{suffix}"] = m0
            row[f"smd{suffix}"] = (m1 - m0) / pooled if pooled > 0 else 0.0
        rows[name] = row
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "covariate"
    order = ["mean_treated", "mean_untreated", "smd", "mean_treated_weighted", "mean_untreated_weighted",
             "smd_weighted"]
    return frame[[c for c in order if c in frame.columns]]


def positivity_check(
    data: pd.DataFrame, treatment: str, ps_formula: str, *, bounds: tuple[float, float] = (0.05, 0.95)
) -> pd.DataFrame:
    """How well the treatment groups overlap in their propensity scores.

    Unlike :func:`propensity_scores` this never raises on scores of 0 or 1: it
    reports them, so you can see the problem.

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
    rows = {}
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


# ====================================================================== E-values


def _rr_scale(value: float, measure: str, rare_outcome: bool) -> float:
    if measure == "RR" or rare_outcome:
        return value
    if measure == "OR":
        return math.sqrt(value)
    # HR with a common outcome (VanderWeele & Ding 2017, Table)
    return (1 - 0.5 ** math.sqrt(value)) / (1 - 0.5 ** math.sqrt(1 / value))


def _e(rr: float) -> float:
    rr = 1 / rr if rr < 1 else rr
    return rr + math.sqrt(rr * (rr - 1))


def e_value(
    estimate: float,
    ci_limit: float | Sequence[float] | None = None,
    *,
    measure: str = "RR",
    rare_outcome: bool = False,
) -> pd.Series:
    """E-value: how strong unmeasured confounding would need to be to explain away an association.

    The E-value is the minimum strength of association, on the risk-ratio
    scale, that an unmeasured confounder would need to have with both the
    exposure and the outcome, conditional on the measured covariates, to fully
    explain away the observed association (VanderWeele TJ, Ding P. Ann Intern
    Med 2017;167(4):268–274, doi:10.7326/M16-2607):
    E = RR + √(RR·(RR − 1)), with RR replaced by 1/RR when RR < 1.

    Odds and hazard ratios are first put on the risk-ratio scale: used as they
    are when the outcome is rare (``rare_outcome=True``, under about 15% by the
    paper's rule of thumb); otherwise OR → √OR and
    HR → (1 − 0.5^√HR) / (1 − 0.5^√(1/HR)).

    Parameters
    ----------
    estimate : float
        The ratio estimate (> 0).
    ci_limit : float or (low, high), optional
        The confidence limit nearer the null, or both limits (the one nearer
        the null is chosen).  The ``ci`` E-value is 1 when the interval
        includes the null.
    measure : {"RR", "OR", "HR"}
    rare_outcome : bool, default False
        Whether the outcome is rare, which decides the OR/HR conversion.

    Returns
    -------
    pandas.Series
        ``point`` (E-value of the estimate), ``ci`` (of the limit nearer the
        null; NaN when no CI was given), ``rr_point``/``rr_ci`` (the values on
        the risk-ratio scale that were used), ``measure``, ``rare_outcome``.

    Examples
    --------
    >>> round(e_value(3.9, 1.8)["point"], 2)
    7.26
    >>> e_value(1.5, (0.9, 2.4))["ci"]
    1.0
    """
    measure = str(measure).upper()
    if measure not in ("RR", "OR", "HR"):
        raise CausalInputError(f"measure must be 'RR', 'OR' or 'HR', got {measure!r}")
    if not isinstance(rare_outcome, (bool, np.bool_)):
        raise TypeError("rare_outcome is True or False (is the outcome rare, under about 15%?)")

    def positive(x: Any, what: str) -> float:
        try:
            value = float(x)
        except (TypeError, ValueError):
            raise TypeError(f"{what} must be a number, got {x!r}") from None
        if not math.isfinite(value) or value <= 0:
            raise CausalInputError(f"{what} must be a positive ratio (a risk, odds or hazard ratio), got {x!r}")
        return value

    est = positive(estimate, "estimate")
    rr = _rr_scale(est, measure, bool(rare_outcome))
    point = _e(rr) if rr != 1 else 1.0
    ci_value, rr_ci = math.nan, math.nan
    if ci_limit is not None:
        if isinstance(ci_limit, (tuple, list, np.ndarray, pd.Series)):
            if len(ci_limit) != 2:
                raise CausalInputError("ci_limit is one number (the limit nearer the null) or a (low, high) pair")
            low, high = sorted(positive(c, "a confidence limit") for c in ci_limit)
            if not low <= est <= high:
                raise CausalInputError(f"the estimate {est} lies outside its interval ({low}, {high})")
            crosses = low <= 1 <= high
            limit = low if est > 1 else high
        else:
            limit = positive(ci_limit, "ci_limit")
            crosses = (est >= 1 and limit <= 1) or (est <= 1 and limit >= 1)
            if (est > 1 and limit > est) or (est < 1 and limit < est):
                raise CausalInputError(
                    f"ci_limit {limit} is farther from the null than the estimate {est}; pass the limit nearer "
                    "the null (the lower limit when the estimate is above 1, the upper when below), or both limits"
                )
        rr_ci = _rr_scale(limit, measure, bool(rare_outcome))
        ci_value = 1.0 if crosses else _e(rr_ci)
    return pd.Series(
        {"point": point, "ci": ci_value, "rr_point": rr, "rr_ci": rr_ci, "measure": measure,
         "rare_outcome": bool(rare_outcome)},
        name="e_value",
        dtype=object,
    ).infer_objects()
