"""The one result shape every estimating function in the course returns.

Every estimate is a :class:`pandas.Series` with the fields ``estimate``, ``se``,
``ci_low``, ``ci_high`` (a 95% confidence interval) and ``n``; functions may add
fields after these (for example ``p_value`` or ``df``).  Estimates for several
groups are a :class:`pandas.DataFrame` with one such row per group.

Learners therefore meet one pattern everywhere::

    >>> from course_utils.results import make_result
    >>> r = make_result(2.5, se=0.5, n=100)
    >>> r.round(3).tolist()
    [2.5, 0.5, 1.52, 3.48, 100.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist

import pandas as pd

RESULT_FIELDS: tuple[str, ...] = ("estimate", "se", "ci_low", "ci_high", "n")
LEVEL = 0.95


def critical_value(df: float | None = None, level: float = LEVEL) -> float:
    """Two-sided critical value: normal when ``df`` is None, Student t otherwise.

    Examples
    --------
    >>> round(critical_value(), 4)
    1.96
    >>> round(critical_value(df=10), 4)
    2.2281
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    q = 0.5 + level / 2
    if df is None or math.isinf(df):
        return NormalDist().inv_cdf(q)
    if df <= 0:
        raise ValueError(
            f"degrees of freedom must be positive, got {df!r}; "
            "a design needs more PSUs than strata to estimate a variance"
        )
    from scipy import stats  # heavy import only when a t interval is needed

    return float(stats.t.ppf(q, df))


def make_result(
    estimate: float,
    se: float = math.nan,
    ci_low: float | None = None,
    ci_high: float | None = None,
    n: int | float | None = None,
    *,
    df: float | None = None,
    name: str | None = None,
    **extra: object,
) -> pd.Series:
    """Build a result Series.

    When ``ci_low``/``ci_high`` are not given they are ``estimate ± z·se`` (or
    ``t_df·se`` when ``df`` is given).  Extra keyword arguments become extra
    fields after the standard five.

    Examples
    --------
    >>> make_result(0.1, se=0.01, n=50, name="prevalence")
    estimate     0.1000
    se           0.0100
    ci_low       0.0804
    ci_high      0.1196
    n           50.0000
    Name: prevalence, dtype: float64
    """
    if (ci_low is None) != (ci_high is None):
        raise ValueError("give both ci_low and ci_high, or neither")
    if ci_low is None:
        crit = critical_value(df)
        ci_low, ci_high = estimate - crit * se, estimate + crit * se
    values: dict[str, object] = {
        "estimate": float(estimate),
        "se": float(se),
        "ci_low": float(ci_low),
        "ci_high": float(ci_high),
        "n": n if n is not None else math.nan,
    }
    if df is not None:
        values["df"] = df
    values.update(extra)
    return pd.Series(values, name=name, dtype=object).infer_objects()


def result_frame(rows: Mapping[object, pd.Series], index_name: str | None = None) -> pd.DataFrame:
    """Stack result Series into a DataFrame, one row per group.

    Examples
    --------
    >>> rows = {"a": make_result(1.0, se=0.1), "b": make_result(2.0, se=0.2)}
    >>> list(result_frame(rows, "group").index)
    ['a', 'b']
    """
    frame = pd.DataFrame({key: row for key, row in rows.items()}).T.infer_objects()
    frame.index.name = index_name
    return frame


def from_ratio_log_ci(log_estimate: float, log_se: float, n: int | None = None, **extra: object) -> pd.Series:
    """A ratio (odds ratio, risk ratio) from its log-scale estimate and SE.

    The CI is computed on the log scale and exponentiated; ``se`` is kept on the
    log scale (named ``se_log`` too, so it is clear which scale it is on).

    Examples
    --------
    >>> r = from_ratio_log_ci(math.log(2), 0.1)
    >>> print(f"{r['estimate']:.3f} ({r['ci_low']:.3f} to {r['ci_high']:.3f})")
    2.000 (1.644 to 2.433)
    """
    crit = critical_value()
    return make_result(
        math.exp(log_estimate),
        se=log_se,
        ci_low=math.exp(log_estimate - crit * log_se),
        ci_high=math.exp(log_estimate + crit * log_se),
        n=n,
        se_scale="log",
        **extra,
    )
