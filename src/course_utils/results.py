"""The one result shape every estimating function in the course returns.

Every estimate is a float :class:`pandas.Series` with the fields ``estimate``,
``se``, ``ci_low``, ``ci_high`` (a confidence interval, 95% unless ``level`` says
otherwise) and ``n``; functions may add numeric fields after these (for example
``p_value``, ``df`` or ``tau2``).  Estimates for several groups or terms are a float
:class:`pandas.DataFrame` with one such row per group.

Because every field is a number, a result rounds, compares and plots directly
(``r.round(2)``, ``r["ci_low"] > 1``).  What is *not* a number -- which measure was
computed, on which scale the SE is, the method, the confidence level -- lives in the
result's ``attrs`` (``r.attrs["measure"]``), where it never breaks arithmetic.

Learners therefore meet one pattern everywhere::

    >>> from course_utils.results import make_result
    >>> r = make_result(2.5, se=0.5, n=100, measure="mean difference")
    >>> r.round(3).tolist()
    [2.5, 0.5, 1.52, 3.48, 100.0]
    >>> r.attrs["measure"], r.attrs["level"]
    ('mean difference', 0.95)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from statistics import NormalDist

import numpy as np
import pandas as pd

__all__ = [
    "RESULT_FIELDS",
    "LEVEL",
    "critical_value",
    "make_result",
    "result_frame",
    "from_ratio_log_ci",
]

#: The five standard fields, in order.
RESULT_FIELDS: tuple[str, ...] = ("estimate", "se", "ci_low", "ci_high", "n")
#: The default confidence level.
LEVEL = 0.95

Metadata = dict[str, object]


def critical_value(df: float | None = None, level: float = LEVEL) -> float:
    """Two-sided critical value: normal when ``df`` is None, Student t otherwise.

    Parameters
    ----------
    df : float or None
        Degrees of freedom of a t distribution; None (or infinity) for the normal.
    level : float
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    float
        The quantile ``q`` with ``P(-q < T < q) = level``.

    Examples
    --------
    >>> round(critical_value(), 4)
    1.96
    >>> round(critical_value(df=10), 4)
    2.2281
    >>> round(critical_value(level=0.9), 4)
    1.6449
    """
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ValueError(f"level must be a number between 0 and 1 (e.g. 0.95), got {level!r}")
    q = 0.5 + float(level) / 2
    if df is None or math.isinf(df):
        return NormalDist().inv_cdf(q)
    if df <= 0:
        raise ValueError(
            f"degrees of freedom must be positive, got {df!r}; "
            "a design needs more PSUs than strata to estimate a variance"
        )
    from scipy import stats  # heavy import only when a t interval is needed

    return float(stats.t.ppf(q, df))


def _is_number(value: object) -> bool:
    return isinstance(value, (numbers.Real, np.number)) and not isinstance(value, (bool, np.bool_))


def _split_extra(extra: Mapping[str, object]) -> tuple[dict[str, float], Metadata]:
    """Numeric extras become fields; everything else (text, flags, None) becomes metadata."""
    fields: dict[str, float] = {}
    meta: Metadata = {}
    for key, value in extra.items():
        if _is_number(value):
            fields[key] = float(value)  # type: ignore[arg-type]
        elif isinstance(value, (bool, np.bool_)):
            meta[key] = bool(value)
        else:
            meta[key] = value
    return fields, meta


def make_result(
    estimate: float,
    se: float = math.nan,
    ci_low: float | None = None,
    ci_high: float | None = None,
    n: float | None = None,
    *,
    df: float | None = None,
    level: float = LEVEL,
    name: str | None = None,
    **extra: object,
) -> pd.Series:
    """Build a result: a float Series ``estimate, se, ci_low, ci_high, n`` (+ numeric extras).

    Parameters
    ----------
    estimate, se : float
        The estimate and its standard error (NaN when there is none).
    ci_low, ci_high : float, optional
        The interval; when both are omitted it is ``estimate ± q·se`` with ``q`` the
        normal (or, with ``df``, the Student t) critical value for ``level``.
    n : int or float, optional
        How many observations (or studies, clusters) the estimate rests on.
    df : float, optional
        Degrees of freedom; stored as the field ``df``.
    level : float
        Confidence level of the interval (stored in ``attrs["level"]``).
    name : str, optional
        The Series' name (shown when it prints); defaults to ``attrs["measure"]`` if given.
    **extra
        Numbers become extra fields after the standard five (``p_value=0.03``);
        anything else -- text, True/False, None -- goes to ``attrs`` (``measure="odds ratio"``).

    Returns
    -------
    pandas.Series
        dtype float64; metadata in ``.attrs``.

    Examples
    --------
    >>> r = make_result(0.1, se=0.01, n=50, name="prevalence")
    >>> r
    estimate     0.1000
    se           0.0100
    ci_low       0.0804
    ci_high      0.1196
    n           50.0000
    Name: prevalence, dtype: float64
    >>> float(make_result(0.1, se=0.01, level=0.9).round(4)["ci_low"])
    0.0836
    """
    if (ci_low is None) != (ci_high is None):
        raise ValueError("give both ci_low and ci_high, or neither")
    for label, value in (("estimate", estimate), ("se", se), ("n", n), ("ci_low", ci_low), ("ci_high", ci_high)):
        if value is not None and not _is_number(value):
            raise TypeError(
                f"{label} must be a number, got {type(value).__name__} {value!r}; "
                "convert text with float() or pd.to_numeric first"
            )
    if ci_low is None or ci_high is None:
        crit = critical_value(df, level)
        ci_low, ci_high = float(estimate) - crit * float(se), float(estimate) + crit * float(se)
    else:
        critical_value(None, level)  # validates level
    values: dict[str, float] = {
        "estimate": float(estimate),
        "se": float(se),
        "ci_low": float(ci_low),
        "ci_high": float(ci_high),
        "n": float(n) if n is not None else math.nan,
    }
    if df is not None:
        values["df"] = float(df)
    fields, meta = _split_extra(extra)
    values.update(fields)
    meta = {"level": float(level), **meta}
    if name is None and isinstance(meta.get("measure"), str):
        name = str(meta["measure"])
    series = pd.Series(values, name=name, dtype="float64")
    series.attrs.update(meta)
    return series


def result_frame(rows: Mapping[object, pd.Series], index_name: str | None = None) -> pd.DataFrame:
    """Stack result Series into a float DataFrame, one row per group or term.

    Metadata shared by every row goes to the frame's ``attrs``; metadata that differs
    between rows is kept per row in ``attrs["rows"]`` (``{row: {key: value}}``).

    Parameters
    ----------
    rows : mapping of label to result Series
        Each value as made by :func:`make_result`.
    index_name : str, optional
        Name of the index (for example ``"stratum"``).

    Returns
    -------
    pandas.DataFrame
        Float columns ``estimate, se, ci_low, ci_high, n`` (+ any extras, NaN where a row lacks one).

    Examples
    --------
    >>> rows = {"a": make_result(1.0, se=0.1), "b": make_result(2.0, se=0.2)}
    >>> frame = result_frame(rows, "group")
    >>> list(frame.index), frame.round(1)["ci_high"].tolist()
    (['a', 'b'], [1.2, 2.4])
    """
    if not rows:
        raise ValueError("result_frame needs at least one row; the table of groups or terms is empty")
    columns: list[str] = []
    for row in rows.values():
        columns.extend(c for c in row.index if c not in columns)
    frame = pd.DataFrame(
        [[float(row.get(c, math.nan)) for c in columns] for row in rows.values()],
        index=pd.Index(list(rows.keys()), name=index_name),
        columns=columns,
        dtype="float64",
    )
    metas = {key: dict(row.attrs) for key, row in rows.items()}
    keys = set().union(*metas.values())
    common: Metadata = {}
    for key in sorted(keys):
        values = [m.get(key, None) for m in metas.values()]
        if all(key in m for m in metas.values()) and all(v == values[0] for v in values):
            common[key] = values[0]
    per_row = {row: {k: v for k, v in m.items() if k not in common} for row, m in metas.items()}
    frame.attrs.update(common)
    if any(per_row.values()):
        frame.attrs["rows"] = {row: m for row, m in per_row.items() if m}
    return frame


def from_ratio_log_ci(
    log_estimate: float,
    log_se: float,
    n: float | None = None,
    *,
    level: float = LEVEL,
    name: str | None = None,
    **extra: object,
) -> pd.Series:
    """A ratio (odds ratio, risk ratio) from its log-scale estimate and SE.

    The interval is computed on the log scale and exponentiated; ``se`` stays on the
    log scale, and ``attrs["se_scale"]`` says so.

    Parameters
    ----------
    log_estimate, log_se : float
        The log ratio and its standard error.
    n : int or float, optional
        Observations behind the estimate.
    level : float
        Confidence level.
    name : str, optional
        The Series' name (defaults to ``attrs["measure"]``).
    **extra
        As in :func:`make_result`.

    Returns
    -------
    pandas.Series
        The result, ``estimate`` on the ratio scale.

    Examples
    --------
    >>> r = from_ratio_log_ci(math.log(2), 0.1)
    >>> print(f"{r['estimate']:.3f} ({r['ci_low']:.3f} to {r['ci_high']:.3f})")
    2.000 (1.644 to 2.433)
    >>> r.attrs["se_scale"]
    'log'
    """
    crit = critical_value(None, level)
    result = make_result(
        math.exp(log_estimate),
        se=log_se,
        ci_low=math.exp(log_estimate - crit * log_se),
        ci_high=math.exp(log_estimate + crit * log_se),
        n=n,
        level=level,
        name=name,
    )
    fields, meta = _split_extra(extra)
    for key, value in fields.items():
        result[key] = value
    result.attrs.update({"se_scale": "log", **meta})
    if name is None and isinstance(result.attrs.get("measure"), str):
        result.name = str(result.attrs["measure"])
    return result
