"""Private helpers shared by the causal-inference modules: errors, input checks, formulas, model fitting.

Not part of the public API; learners use :mod:`course_utils.causal` (or ``cu.``).
"""

from __future__ import annotations

import math
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_utils._validate import (
    CourseInputError,
    formula_columns,
    handle_missing,
    numeric_column,
    require_columns,
    require_frame,
)
from course_utils.results import critical_value, from_ratio_log_ci, make_result

# make_result / from_ratio_log_ci with extra fields passed as a mapping (**fields): typed loosely on
# purpose, because a mapping of numbers cannot be checked against their keyword-only text parameters
_make: Callable[..., pd.Series] = make_result
_ratio: Callable[..., pd.Series] = from_ratio_log_ci

MEASURES = ("difference", "ratio", "odds ratio")
_PS_EPS = 1e-8


class CausalInputError(CourseInputError):
    """The data or arguments cannot give a meaningful estimate; the message says what to do."""


class PositivityError(CausalInputError):
    """Some people had (numerically) no chance of one of the treatment levels."""


# ====================================================================== input checks
# Thin wrappers over the course's one validation kit (course_utils._validate), so every
# causal function gives the same message for the same bad input as the rest of the course.


def _require_frame(data: object) -> pd.DataFrame:
    """A DataFrame with at least one row (an empty table is an error, not an IndexError)."""
    return require_frame(data, "the data", error=CausalInputError)


def _require_columns(data: pd.DataFrame, columns: Iterable[str], what: str = "column") -> None:
    require_columns(data, list(columns), f"the data (looking for the {what})", error=CausalInputError)


def _no_missing(data: pd.DataFrame, columns: Sequence[str]) -> None:
    handle_missing(data, list(columns), False, "the data", error=CausalInputError)


def _complete(data: pd.DataFrame, columns: Sequence[str | None], dropna: bool) -> tuple[pd.DataFrame, int]:
    """The course's one missing-value policy on the columns an analysis uses.

    Raises (naming columns and counts) unless ``dropna=True``; then drops the
    incomplete rows with a warning and returns how many were dropped.
    """
    if not isinstance(dropna, (bool, np.bool_)):
        raise CausalInputError(f"dropna is True or False, got {dropna!r}")
    used = list(dict.fromkeys(c for c in columns if c is not None))
    _require_columns(data, used)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kept, n_dropped = handle_missing(data, used, bool(dropna), "the data", error=CausalInputError)
    for w in caught:
        _warn_outside(str(w.message), w.category)
    return kept, n_dropped


def _warn_outside(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn at the first caller outside course_utils (the learner's line, not a library file)."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame = sys._getframe(1)
    level = 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, category, stacklevel=level)


def _record(result: pd.Series, n_dropped: int) -> pd.Series:
    """Note in ``attrs`` how many rows the missing-value policy left out."""
    result.attrs["n_dropped"] = int(n_dropped)
    return result


def _binary(data: pd.DataFrame, column: str, role: str, *, both_levels: bool = True) -> np.ndarray:
    """A 0/1 float array from a 0/1 or boolean column; a clear error otherwise (text "0"/"1" included)."""
    _require_columns(data, [column], role)
    _no_missing(data, [column])
    series = data[column]
    if pd.api.types.is_bool_dtype(series):
        values = series.astype(bool).to_numpy(dtype=float)
    elif pd.api.types.is_numeric_dtype(series) and not isinstance(series.dtype, pd.CategoricalDtype):
        values = series.to_numpy(dtype=float)
        found = set(np.unique(values).tolist())
        if not found <= {0.0, 1.0}:
            shown = ", ".join(f"{v:g}" for v in sorted(found)[:6])
            raise CausalInputError(
                f"{role} {column!r} must be binary, coded 0/1 (or True/False); it has the values {shown}. "
                f"Make an indicator first, e.g. data['{column}_high'] = (data['{column}'] >= cutoff)."
            )
    else:
        levels = list(pd.unique(series.astype("object")))[:6]
        if levels and all(isinstance(v, str) for v in levels) and \
                pd.to_numeric(pd.Series(levels), errors="coerce").notna().all():
            raise CausalInputError(
                f"{role} {column!r} holds numbers stored as text ({', '.join(repr(v) for v in levels)}), which "
                f"would be read as labels; convert with data[{column!r}] = pd.to_numeric(data[{column!r}])"
            )
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
    values = numeric_column(data, weight, "the data", error=CausalInputError).to_numpy(dtype=float)
    if (values < 0).any() or not np.isfinite(values).all():
        raise CausalInputError(
            f"weight column {weight!r} must hold non-negative finite counts (number of people in each row)"
        )
    return values


# ====================================================================== formulas


def _formula_columns(formula: str, data: pd.DataFrame) -> list[str]:
    """Column names mentioned in a formula (as names or inside Q("...")), in order."""
    return formula_columns(formula, data, error=CausalInputError)


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
        elif pd.api.types.is_string_dtype(series) or series.dtype == object:
            texts = series.dropna().astype(str).str.strip()
            if len(texts) and pd.to_numeric(texts, errors="coerce").notna().all():
                raise CausalInputError(
                    f"column {column!r} holds numbers stored as text (e.g. {series.iloc[0]!r}); a model would "
                    f"read them as category labels. Convert with data[{column!r}] = pd.to_numeric(data[{column!r}]), "
                    f"and write C({column}) in the formula if the numbers are codes of categories"
                )
            frame[column] = series.astype(object)
    return frame


def _formula_error(exc: Exception, formula: str, data: pd.DataFrame) -> Exception:
    text = str(exc)
    match = re.search(r"name '([^']+)' is not defined", text)
    if match:
        return CausalInputError(
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


def _contrast_value(psi1: float, psi0: float, measure: str) -> float:
    """Contrast of two means (log scale for ratios)."""
    if measure == "difference":
        return psi1 - psi0
    if psi1 <= 0 or psi0 <= 0 or (measure == "odds ratio" and (psi1 >= 1 or psi0 >= 1)):
        raise CausalInputError("the standardised risks are 0 or 1, so a ratio is undefined; use 'difference'")
    if measure == "ratio":
        return math.log(psi1 / psi0)
    return math.log(psi1 / (1 - psi1)) - math.log(psi0 / (1 - psi0))


def _contrast_influence(psi1: float, psi0: float, if1: np.ndarray, if0: np.ndarray, measure: str) -> np.ndarray:
    """Influence function of :func:`_contrast_value` from those of the two means (delta method)."""
    if measure == "difference":
        return np.asarray(if1 - if0)
    if measure == "ratio":
        return np.asarray(if1 / psi1 - if0 / psi0)
    return np.asarray(if1 / (psi1 * (1 - psi1)) - if0 / (psi0 * (1 - psi0)))


def _finish(value: float, se: float, measure: str, n: int, **extra: Any) -> pd.Series:
    """Result for a contrast with a Wald 95% CI (value and se on the log scale for ratios)."""
    if measure == "difference":
        return make_result(value, se, n=n, measure="difference", **extra)
    crit = critical_value()
    return make_result(math.exp(value), se, math.exp(value - crit * se), math.exp(value + crit * se), n=n,
                       se_scale="log", measure=measure, **extra)


def _expit(x: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-x)), without overflow warnings for large |x|."""
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    ex = np.exp(x[~positive])
    out[~positive] = ex / (1.0 + ex)
    return out


def _logistic_newton(X: np.ndarray, y: np.ndarray, beta: np.ndarray, steps: int = 25) -> np.ndarray:
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-X @ beta))
        step = np.linalg.solve((X * (p * (1 - p))[:, None]).T @ X, X.T @ (y - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


