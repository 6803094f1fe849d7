"""Private helpers shared by the trial-analysis modules: the error class and input checks."""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_utils._validate import CourseInputError, require_frame

class TrialDataError(CourseInputError):
    """The trial data cannot be analysed as asked (the message says why and what to do)."""


# ------------------------------------------------------------------ input checks

def _frame(data: Any) -> pd.DataFrame:
    """A DataFrame with at least one row (the course's validation kit, with the trial's own error)."""
    return require_frame(data, "the trial data (one row per randomised participant)", error=TrialDataError)


def _column(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    if not isinstance(name, str):
        raise TypeError(f"{role} is a column name (a string), got {name!r}")
    if name not in data.columns:
        shown = ", ".join(repr(c) for c in data.columns[:20])
        raise TrialDataError(
            f"no column {name!r} (the {role}) in the data; the columns are: {shown}. "
            f"Pass the name of the column that holds the {role}."
        )
    return data[name]


def _arm_masks(
    data: pd.DataFrame, arm: str, treatment: Hashable, control: Hashable
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (treatment, control), after checking the arm column and labels."""
    data = _frame(data)
    arms = _column(data, arm, "arm")
    missing = int(arms.isna().sum())
    if missing:
        raise TrialDataError(
            f"{missing} row(s) have no label in the arm column {arm!r}. Every randomised participant "
            "belongs to an arm: fix or remove those rows explicitly before the analysis."
        )
    present = list(dict.fromkeys(arms.tolist()))
    if len(present) < 2:
        raise TrialDataError(
            f"the arm column {arm!r} holds a single arm ({present[0]!r} for all {len(arms)} rows); "
            "a comparison needs two arms. Check that you did not filter one arm away."
            if present
            else f"the arm column {arm!r} is empty: there is nothing to compare."
        )
    if treatment is None or control is None:
        raise TrialDataError(
            f"say which arms to compare: pass treatment= and control= (labels found in {arm!r}: "
            f"{', '.join(repr(p) for p in present)})"
        )
    if treatment == control:
        raise TrialDataError(f"treatment and control are the same label ({treatment!r}); pass two different arms")
    for label, role in ((treatment, "treatment"), (control, "control")):
        if label not in present:
            raise TrialDataError(
                f"{role} label {label!r} is not in the arm column {arm!r}; the labels there are "
                f"{', '.join(repr(p) for p in present)}. Pass {role}= one of them (spelling and case matter)."
            )
    values = arms.to_numpy(dtype=object)
    return values == treatment, values == control


def _numeric(series: pd.Series, name: str) -> np.ndarray:
    """A column as float with NaN for missing; booleans become 0/1."""
    problem = f"column {name!r} must be numeric (or true/false) for this analysis, but it holds " \
        f"{series.dtype} values. Recode it to numbers first, or load the dataset with codes=True."
    if isinstance(series.dtype, pd.CategoricalDtype):
        raise TrialDataError(problem)
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        if series.dtype == object and series.map(lambda v: v is None or isinstance(v, (int, float))).all():
            series = pd.to_numeric(series)  # e.g. a column of None only
        elif pd.to_numeric(series.dropna().astype(str), errors="coerce").notna().all() and series.notna().any():
            raise TrialDataError(
                f"column {name!r} holds numbers stored as text (e.g. {series.dropna().iloc[0]!r}); convert with "
                f"data[{name!r}] = pd.to_numeric(data[{name!r}]) first"
            )
        else:
            raise TrialDataError(problem)
    return series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _outcome(data: pd.DataFrame, outcome: str, t: np.ndarray, c: np.ndarray, labels: tuple[Any, Any]) -> np.ndarray:
    y = _numeric(_column(data, outcome, "outcome"), outcome)
    infinite = np.isinf(y) & (t | c)
    if infinite.any():
        raise TrialDataError(
            f"column {outcome!r} has {int(infinite.sum())} infinite value(s) (rows "
            f"{', '.join(map(str, data.index[infinite][:5]))}); an infinite outcome is not a missing one. "
            "Check how the column was computed and recode those rows to a value or to missing."
        )
    for mask, label in ((t, labels[0]), (c, labels[1])):
        if not np.isfinite(y[mask]).any():
            raise TrialDataError(
                f"all outcomes in column {outcome!r} are missing for arm {label!r} "
                f"({int(mask.sum())} participants): nothing to compare. Check the column name, or impute the "
                "missing outcomes explicitly (see carry_forward) and say which assumption that makes."
            )
    return y


def _labels(treatment: Hashable, control: Hashable) -> dict[str, Any]:
    return {"treatment": treatment, "control": control}


def _design(
    data: pd.DataFrame, columns: Sequence[str], rows: np.ndarray
) -> tuple[pd.DataFrame, list[str]]:
    """Numeric design columns (categoricals as dummies, first level dropped)."""
    parts = []
    for name in columns:
        series = _column(data, name, "covariate")[rows]
        if (
            isinstance(series.dtype, pd.CategoricalDtype)
            or pd.api.types.is_bool_dtype(series)
            or not pd.api.types.is_numeric_dtype(series)
        ):
            if pd.api.types.is_bool_dtype(series):
                parts.append(series.astype("Float64").astype(float).rename(name).to_frame())
                continue
            cat = series.astype("category")
            cat = cat.cat.remove_unused_categories()
            dummies = pd.get_dummies(cat, prefix=name, prefix_sep=": ", drop_first=True, dtype=float)
            dummies[cat.isna().to_numpy()] = np.nan
            parts.append(dummies)
        else:
            parts.append(pd.Series(_numeric(series, name), index=series.index, name=name).to_frame())
    frame = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=data.index[rows])
    return frame, list(frame.columns)


def _covariates(
    data: pd.DataFrame, covariates: str | Sequence[str], rows: np.ndarray
) -> tuple[pd.DataFrame, list[str]]:
    """Covariate design columns from a formula's right-hand side (``"C(drug) + length"``) or a list of columns.

    Rows with a missing value in a covariate the formula uses get NaN (the callers leave
    them out and count them in ``n_missing``).
    """
    if not isinstance(covariates, str):
        return _design(data, list(covariates), rows)
    from statsmodels.formula._manager import FormulaManager

    from course_utils._causal_common import _formula_columns, _formula_error

    rhs = covariates.strip().lstrip("~").strip()
    if not rhs:
        return _design(data, [], rows)
    columns = _formula_columns(rhs, data)
    part = data.loc[rows, columns]
    complete = part.notna().all(axis=1).to_numpy()
    plain = pd.DataFrame(index=part.index[complete])
    for name in columns:
        series = part.loc[complete, name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            plain[name] = series.cat.remove_unused_categories()
        elif pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            plain[name] = series.to_numpy(dtype=float)
        else:
            plain[name] = series.astype(object)
    try:
        matrix = FormulaManager().get_matrices(f"~ {rhs}", plain, pandas=True, eval_env={"np": np})
    except Exception as exc:  # patsy/formulaic errors have no common base class
        raise TrialDataError(str(_formula_error(exc, f"~ {rhs}", data))) from exc
    matrix = pd.DataFrame(matrix).drop(columns=["Intercept"], errors="ignore")
    full = matrix.reindex(part.index)
    return full, list(full.columns)
