"""Analysing a randomised trial: balance, analysis populations, adjusted effects, effect sizes, power.

Every function takes the trial as a DataFrame with one row per randomised
participant, the name of the column that holds the **arm**, and the labels of
the two arms being compared (``treatment=`` and ``control=``), so that no
comparison depends on the order in which labels happen to sort.  Estimates are
result Series (see :mod:`course_utils.results`): ``estimate``, ``se``,
``ci_low``, ``ci_high``, ``n``, then extra fields.  Differences are always
*treatment minus control*; ratios *treatment over control*.

What is here, and the lesson it serves (lesson 08):

* :func:`balance_table` -- baseline characteristics by arm with standardised
  differences (what randomisation balances);
* :func:`attrition` -- CONSORT-style counts of who was randomised and who was
  assessed at each visit;
* :func:`mean_difference`, :func:`ancova` -- the unadjusted and the
  baseline-adjusted treatment effect on a continuous outcome;
* :func:`analysis_populations` -- complete-case vs per-protocol vs
  intention-to-treat with an explicitly imputed outcome, side by side;
* :func:`carry_forward`, :func:`long_format`, :func:`mixed_model` -- last
  observation carried forward (a flawed but common imputation) and a linear
  mixed model over all visits (valid if dropout is "missing at random");
* :func:`binary_outcome` -- risks, risk difference, risk ratio and odds ratio
  from individual rows (the 2×2 arithmetic is
  :func:`course_utils.causal.association_measures`);
* :func:`cohens_d`, :func:`hedges_g`, :func:`effect_size` -- standardised
  mean differences with confidence intervals;
* :func:`sample_size`, :func:`power`, :func:`sample_size_binary` -- how many
  people a trial needs (statsmodels' power tools).

Formulas and sources
--------------------
* Standardised difference for balance: difference in means divided by
  ``sqrt((s_t**2 + s_c**2) / 2)``; for a binary characteristic ``s**2 = p(1 - p)``.
  Austin PC. Commun Stat Simul Comput 2009;38(6):1228-1234,
  doi:10.1080/03610910902859574.
* Cohen's d uses the pooled SD; its variance is
  ``(n_t + n_c) / (n_t n_c) + d**2 / (2 (n_t + n_c))``; Hedges' g is ``J d`` with
  ``J = 1 - 3 / (4 df - 1)``, ``df = n_t + n_c - 2``, and variance ``J**2 V_d``.
  Borenstein M, Hedges LV, Higgins JPT, Rothstein HR. *Introduction to
  Meta-Analysis*. Wiley 2009, chapter 4 (p. 27 for J); Hedges LV, Olkin I.
  *Statistical Methods for Meta-Analysis*. Academic Press 1985, p. 104.
* Risk difference: Wald interval; risk ratio: interval on the log scale with
  ``SE = sqrt(1/a - 1/n_t + 1/c - 1/n_c)`` (computed by
  :func:`course_utils.causal.association_measures`).

Examples
--------
>>> import pandas as pd
>>> from course_utils import trials
>>> df = pd.DataFrame({"arm": ["A", "A", "A", "B", "B", "B"],
...                    "y": [1.0, 2.0, 3.0, 2.0, 3.0, 4.0]})
>>> r = trials.mean_difference(df, "y", "arm", treatment="B", control="A")
>>> float(r["estimate"]), int(r["n"])
(1.0, 6)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_utils.results import critical_value, make_result, result_frame

__all__ = [
    "TrialDataError",
    "balance_table",
    "attrition",
    "mean_difference",
    "ancova",
    "analysis_populations",
    "carry_forward",
    "long_format",
    "mixed_model",
    "binary_outcome",
    "cohens_d",
    "hedges_g",
    "effect_size",
    "sample_size",
    "power",
    "sample_size_binary",
]


class TrialDataError(ValueError):
    """The trial data cannot be analysed as asked (the message says why and what to do)."""


# ------------------------------------------------------------------ input checks

def _frame(data: Any) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"trial data must be a pandas DataFrame with one row per randomised participant, "
            f"got {type(data).__name__}"
        )
    return data


def _column(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    if not isinstance(name, str):
        raise TypeError(f"{role} is a column name (a string), got {name!r}")
    if name not in data.columns:
        shown = ", ".join(repr(c) for c in data.columns[:20])
        raise KeyError(
            f"no column {name!r} (the {role}) in the data; the columns are: {shown}. "
            f"Pass the name of the column that holds the {role}."
        )
    return data[name]


def _arm_masks(
    data: pd.DataFrame, arm: str, treatment: Any, control: Any
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
        raise TypeError(problem)
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        if series.dtype == object and series.map(lambda v: v is None or isinstance(v, (int, float))).all():
            series = pd.to_numeric(series)  # e.g. a column of None only
        else:
            raise TypeError(problem)
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


def _labels(treatment: Any, control: Any) -> dict[str, Any]:
    return {"treatment": treatment, "control": control}


# ------------------------------------------------------------------ balance

def _summary_rows(values: np.ndarray) -> tuple[float, float, int]:
    ok = values[np.isfinite(values)]
    if len(ok) == 0:
        return math.nan, math.nan, 0
    sd = float(np.std(ok, ddof=1)) if len(ok) > 1 else math.nan
    return float(np.mean(ok)), sd, int(len(ok))


def balance_table(
    data: pd.DataFrame,
    arm: str,
    covariates: Sequence[str],
    *,
    treatment: Any,
    control: Any,
) -> pd.DataFrame:
    """Baseline characteristics by arm, with standardised differences.

    Numeric characteristics are summarised as mean and SD; a true/false
    characteristic as the proportion true; categorical and text
    characteristics get one row per level, summarised as the proportion with
    that level.  For proportions the SD is ``sqrt(p(1-p))``.  The
    standardised difference is ``(m_t - m_c) / sqrt((s_t**2 + s_c**2) / 2)``
    (Austin 2009); an absolute value above 0.1 is often read as a noticeable
    imbalance.  In a randomised trial any imbalance is chance, so the table
    describes the sample; it is not a test.

    Parameters
    ----------
    data : DataFrame
        One row per randomised participant.
    arm : str
        Column holding the arm label.
    covariates : sequence of str
        Baseline columns to summarise.
    treatment, control : label
        The two arms to compare.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``characteristic`` (``"name"`` or ``"name: level"``), with
        ``kind`` ("mean (SD)" or "proportion"), ``mean_control``, ``sd_control``,
        ``mean_treatment``, ``sd_treatment``, ``std_diff``, and ``n_control``,
        ``n_treatment`` (non-missing values).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["a", "a", "b", "b"], "age": [30, 40, 30, 50],
    ...                    "sex": ["F", "M", "F", "F"], "smoker": [True, False, False, False]})
    >>> t = balance_table(df, "arm", ["age", "sex", "smoker"], treatment="b", control="a")
    >>> t.index.tolist()
    ['age', 'sex: F', 'sex: M', 'smoker']
    >>> round(float(t.loc["sex: F", "mean_treatment"]), 2)
    1.0
    """
    data = _frame(data)
    t, c = _arm_masks(data, arm, treatment, control)
    if isinstance(covariates, str):
        covariates = [covariates]
    if not covariates:
        raise ValueError("give at least one baseline characteristic in covariates=")
    rows: dict[str, dict[str, Any]] = {}
    for name in covariates:
        series = _column(data, name, "baseline characteristic")
        categorical = (
            isinstance(series.dtype, pd.CategoricalDtype)
            or pd.api.types.is_bool_dtype(series)
            or not pd.api.types.is_numeric_dtype(series)
        )
        if pd.api.types.is_bool_dtype(series):
            known = series.notna().to_numpy()
            indicator = np.where(known, series.to_numpy(dtype=bool, na_value=False), np.nan)
            rows[name] = _balance_row(indicator, t, c, binary=True)
        elif categorical:
            if isinstance(series.dtype, pd.CategoricalDtype):
                levels = [lv for lv in series.cat.categories if (series == lv).any()]
            else:
                levels = list(dict.fromkeys(series.dropna().tolist()))
                try:
                    levels = sorted(levels)
                except TypeError:
                    pass
            known = series.notna().to_numpy()
            for level in levels:
                indicator = np.where(known, (series == level).to_numpy(dtype=bool, na_value=False), np.nan)
                rows[f"{name}: {level}"] = _balance_row(indicator, t, c, binary=True)
        else:
            rows[name] = _balance_row(_numeric(series, name), t, c, binary=False)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "characteristic"
    table.attrs.update(_labels(treatment, control))
    return table


def _balance_row(values: np.ndarray, t: np.ndarray, c: np.ndarray, *, binary: bool) -> dict[str, Any]:
    m_t, s_t, n_t = _summary_rows(values[t])
    m_c, s_c, n_c = _summary_rows(values[c])
    if binary:
        s_t = math.sqrt(m_t * (1 - m_t)) if n_t else math.nan
        s_c = math.sqrt(m_c * (1 - m_c)) if n_c else math.nan
    pooled = math.sqrt((s_t**2 + s_c**2) / 2) if n_t and n_c else math.nan
    if pooled == 0:
        std_diff = 0.0 if m_t == m_c else math.inf
    else:
        std_diff = (m_t - m_c) / pooled
    return {
        "kind": "proportion" if binary else "mean (SD)",
        "mean_control": m_c,
        "sd_control": s_c,
        "mean_treatment": m_t,
        "sd_treatment": s_t,
        "std_diff": std_diff,
        "n_control": n_c,
        "n_treatment": n_t,
    }


# ------------------------------------------------------------------ attrition

def attrition(
    data: pd.DataFrame,
    arm: str,
    stages: Mapping[str, str],
    *,
    treatment: Any,
    control: Any,
) -> pd.DataFrame:
    """CONSORT-style counts: randomised, then how many were assessed at each stage.

    Parameters
    ----------
    data : DataFrame
        One row per randomised participant.
    arm : str
        Column holding the arm label.
    stages : mapping of stage label -> column
        In order of time.  A participant counts at a stage when that column is
        not missing (for a true/false column: when it is true).
    treatment, control : label
        The two arms.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``stage`` (first row "randomised"), columns a two-level
        index ``(arm label, "n")`` and ``(arm label, "%")`` (percent of those
        randomised to that arm).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["a", "a", "b", "b"], "y1": [1, None, 2, 3]})
    >>> attrition(df, "arm", {"visit 1": "y1"}, treatment="b", control="a").loc["visit 1", ("a", "n")]
    np.int64(1)
    """
    data = _frame(data)
    t, c = _arm_masks(data, arm, treatment, control)
    if not isinstance(stages, Mapping) or not stages:
        raise TypeError('stages is a mapping of stage label -> column, e.g. {"2 months": "bdi_2m"}')
    present: dict[str, np.ndarray] = {"randomised": np.ones(len(data), dtype=bool)}
    for label, column in stages.items():
        series = _column(data, column, f"column for stage {label!r}")
        if pd.api.types.is_bool_dtype(series):
            present[str(label)] = series.fillna(False).to_numpy(dtype=bool)
        else:
            present[str(label)] = series.notna().to_numpy()
    columns = {}
    for label, mask in ((control, c), (treatment, t)):
        total = int(mask.sum())
        counts = [int((p & mask).sum()) for p in present.values()]
        columns[(label, "n")] = counts
        columns[(label, "%")] = [round(100 * k / total, 1) for k in counts]
    table = pd.DataFrame(columns, index=pd.Index(list(present), name="stage"))
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["arm", ""])
    return table


# ------------------------------------------------------------------ continuous outcomes

def mean_difference(
    data: pd.DataFrame,
    outcome: str,
    arm: str,
    *,
    treatment: Any,
    control: Any,
    equal_var: bool = False,
) -> pd.Series:
    """Difference in mean outcome, treatment minus control, among those with an outcome.

    Participants whose outcome is missing are left out (a *complete-case*
    analysis); how many is reported in ``n_missing``.  The CI is Welch's t
    interval (``equal_var=False``, the default) or the pooled-variance t
    interval.

    Returns
    -------
    pandas.Series
        Result with ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n``
        (analysed), ``df``, ``n_missing``, ``mean_treatment``, ``mean_control``,
        ``n_treatment``, ``n_control``.

    Raises
    ------
    TrialDataError
        Unknown arm labels, a single arm, or no outcome at all in an arm.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["c", "c", "c", "t", "t", "t"], "y": [1, 2, 3, 3, 4, None]})
    >>> r = mean_difference(df, "y", "arm", treatment="t", control="c")
    >>> float(r["estimate"]), int(r["n_missing"])
    (1.5, 1)
    """
    t, c = _arm_masks(data, arm, treatment, control)
    y = _outcome(data, outcome, t, c, (treatment, control))
    yt, yc = y[t & np.isfinite(y)], y[c & np.isfinite(y)]
    for values, label in ((yt, treatment), (yc, control)):
        if len(values) < 2:
            raise TrialDataError(
                f"arm {label!r} has {len(values)} observed outcome(s) in {outcome!r}; a mean difference with "
                "a confidence interval needs at least 2 per arm"
            )
    nt, nc = len(yt), len(yc)
    vt, vc = float(np.var(yt, ddof=1)), float(np.var(yc, ddof=1))
    if equal_var:
        df = nt + nc - 2
        pooled = ((nt - 1) * vt + (nc - 1) * vc) / df
        se = math.sqrt(pooled * (1 / nt + 1 / nc))
    else:
        a, b = vt / nt, vc / nc
        se = math.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (nt - 1) + b**2 / (nc - 1)) if se > 0 else nt + nc - 2
    n_total = int(t.sum() + c.sum())
    return make_result(
        float(yt.mean() - yc.mean()),
        se=se,
        n=nt + nc,
        df=float(df),
        name=f"difference in mean {outcome}",
        n_missing=n_total - (nt + nc),
        mean_treatment=float(yt.mean()),
        mean_control=float(yc.mean()),
        n_treatment=nt,
        n_control=nc,
    )


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


def ancova(
    data: pd.DataFrame,
    outcome: str,
    arm: str,
    baseline: str,
    *,
    treatment: Any,
    control: Any,
    covariates: Sequence[str] = (),
) -> pd.Series:
    """Baseline-adjusted treatment effect: OLS of the outcome on arm and the baseline score.

    The model is ``outcome ~ treated + baseline [+ covariates]`` fitted by
    ordinary least squares (statsmodels ``OLS``); the estimate is the
    coefficient of ``treated`` (treatment minus control, at the same baseline).
    Adjusting for a prognostic baseline score does not remove bias in a
    randomised trial (there is none to remove) but narrows the CI.

    Rows with a missing outcome, baseline or covariate are left out (count in
    ``n_missing``).  Categorical covariates enter as indicator columns.

    Returns
    -------
    pandas.Series
        Result with ``estimate``, ``se``, ``ci_low``, ``ci_high`` (t interval),
        ``n``, ``df``, ``n_missing``, ``p_value``, ``baseline_coef``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["c"] * 4 + ["t"] * 4, "pre": [1, 2, 3, 4] * 2,
    ...                    "post": [2.1, 3.0, 3.9, 5.0, 0.0, 1.1, 2.0, 2.9]})
    >>> round(float(ancova(df, "post", "arm", "pre", treatment="t", control="c")["estimate"]), 2)
    -2.0
    """
    from statsmodels.regression.linear_model import OLS  # not statsmodels.api: much faster to import

    t, c = _arm_masks(data, arm, treatment, control)
    y = _outcome(data, outcome, t, c, (treatment, control))
    base = _numeric(_column(data, baseline, "baseline"), baseline)
    rows = t | c
    covs, cov_names = _design(data, list(covariates), rows)
    frame = pd.DataFrame(
        {"const": 1.0, "treated": t[rows].astype(float), baseline: base[rows]},
        index=data.index[rows],
    )
    frame = pd.concat([frame, covs], axis=1)
    y_rows = y[rows]
    ok = np.isfinite(y_rows) & frame.notna().all(axis=1).to_numpy()
    if int((ok & t[rows]).sum()) < 2 or int((ok & c[rows]).sum()) < 2:
        raise TrialDataError(
            f"too few complete rows (outcome {outcome!r}, baseline {baseline!r} and covariates all present) "
            "in one arm to fit the model; at least 2 per arm are needed"
        )
    fit = OLS(y_rows[ok], frame[ok].astype(float)).fit()
    est = float(fit.params["treated"])
    se = float(fit.bse["treated"])
    df = float(fit.df_resid)
    return make_result(
        est,
        se=se,
        n=int(ok.sum()),
        df=df,
        name=f"baseline-adjusted difference in {outcome}",
        n_missing=int(rows.sum() - ok.sum()),
        p_value=float(fit.pvalues["treated"]),
        baseline_coef=float(fit.params[baseline]),
        covariates=", ".join([baseline, *cov_names]),
    )


def analysis_populations(
    data: pd.DataFrame,
    outcome: str,
    arm: str,
    *,
    treatment: Any,
    control: Any,
    adherent: str | None = None,
    imputed: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The same comparison in different analysis populations, side by side.

    Rows (each a difference in means, treatment minus control, Welch CI):

    * ``complete case`` -- everyone randomised whose outcome was observed;
    * ``per protocol`` -- only those who stuck to their allocation
      (``adherent`` is a true/false column) and whose outcome was observed;
    * one row per entry of ``imputed`` (label -> column): everyone randomised,
      with missing outcomes filled in by the method the label names (for
      example ``{"ITT, baseline carried forward": "followup_bocf"}``).  An
      intention-to-treat analysis with missing outcomes *always* rests on an
      assumption about them; the label should say which.

    Returns
    -------
    pandas.DataFrame
        One result row per analysis with ``n`` (analysed) and
        ``n_randomised`` (both arms).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["c", "c", "c", "t", "t", "t"], "y": [1, 2, 3, 3, 4, None],
    ...                    "y_filled": [1, 2, 3, 3, 4, 2]})
    >>> tab = analysis_populations(df, "y", "arm", treatment="t", control="c",
    ...                            imputed={"ITT, missing set to 2": "y_filled"})
    >>> tab["n"].tolist()
    [5, 6]
    """
    t, c = _arm_masks(data, arm, treatment, control)
    n_randomised = int(t.sum() + c.sum())
    rows: dict[str, pd.Series] = {}
    rows["complete case"] = mean_difference(data, outcome, arm, treatment=treatment, control=control)
    if adherent is not None:
        flag = _column(data, adherent, "adherence flag")
        if not pd.api.types.is_bool_dtype(flag):
            raise TypeError(f"the adherence column {adherent!r} must be true/false, got {flag.dtype}")
        if flag.isna().any():
            raise TrialDataError(
                f"{int(flag.isna().sum())} row(s) have no value in the adherence column {adherent!r}; "
                "decide explicitly whether they adhered"
            )
        subset = data[flag.to_numpy(dtype=bool)]
        rows["per protocol"] = mean_difference(subset, outcome, arm, treatment=treatment, control=control)
    for label, column in (imputed or {}).items():
        values = _column(data, column, f"imputed outcome for {label!r}")
        missing = int(values[t | c].isna().sum())
        if missing:
            raise TrialDataError(
                f"the imputed outcome {column!r} still has {missing} missing value(s); an "
                "intention-to-treat analysis needs an outcome for everyone randomised"
            )
        rows[str(label)] = mean_difference(data, column, arm, treatment=treatment, control=control)
    table = result_frame(rows, "analysis")
    table["n"] = table["n"].astype(int)
    table["n_randomised"] = n_randomised
    keep = ["estimate", "se", "ci_low", "ci_high", "n", "n_randomised", "mean_treatment", "mean_control"]
    return table[keep]


# ------------------------------------------------------------------ repeated measures

def carry_forward(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Last observation carried forward (LOCF) along visit columns, row by row.

    ``columns`` are in time order, starting with the baseline.  A missing value
    is replaced by the participant's last observed earlier value.  LOCF assumes
    that a person who left would have stayed exactly where they were last seen
    -- usually false (depression scores tend to change), so it can bias the
    estimate either way and makes the CI too narrow.  It is shown in the course
    as a common but flawed way to "get" an ITT analysis.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with the visit columns filled; ``attrs["n_imputed"]``
        maps each column to the number of values filled in.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"pre": [20.0, 30.0], "m2": [15.0, None], "m4": [None, None]})
    >>> carry_forward(df, ["pre", "m2", "m4"])["m4"].tolist()
    [15.0, 30.0]
    """
    data = _frame(data)
    columns = list(columns)
    if len(columns) < 2:
        raise ValueError("give at least two visit columns in time order (baseline first)")
    for name in columns:
        _numeric(_column(data, name, "visit"), name)
    out = data.copy()
    block = data[columns].astype("Float64").astype(float)
    filled = block.ffill(axis=1)
    out[columns] = filled
    out.attrs["n_imputed"] = {
        name: int(block[name].isna().sum() - filled[name].isna().sum()) for name in columns
    }
    return out


def long_format(
    data: pd.DataFrame,
    visits: Mapping[str, float],
    *,
    id: str,
    keep: Sequence[str] = (),
    value_name: str = "score",
    time_name: str = "time",
) -> pd.DataFrame:
    """Wide (one row per person) to long (one row per person and visit).

    Parameters
    ----------
    visits : mapping of column -> time
        The repeated-measure columns and the time each was measured at.
    id : str
        Participant identifier column.
    keep : sequence of str
        Columns copied to every row (arm, baseline score, covariates).

    Rows whose value is missing are kept (with NaN) so that the count of
    missed visits stays visible; models drop them and say how many.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"pid": [1, 2], "m2": [10, 12], "m4": [9, None]})
    >>> long_format(df, {"m2": 2, "m4": 4}, id="pid").shape
    (4, 3)
    """
    data = _frame(data)
    _column(data, id, "participant id")
    keep = [keep] if isinstance(keep, str) else list(keep)
    for name in keep:
        _column(data, name, "column to keep")
    if not visits:
        raise ValueError('visits maps each repeated-measure column to its time, e.g. {"bdi_2m": 2}')
    pieces = []
    for column, time in visits.items():
        values = _column(data, column, "visit")
        piece = data[[id, *keep]].copy()
        piece[time_name] = float(time)
        piece[value_name] = values.astype("Float64").astype(float).to_numpy()
        pieces.append(piece)
    long = pd.concat(pieces, ignore_index=True)
    order = np.lexsort((long[time_name].to_numpy(), pd.factorize(long[id])[0]))
    return long.iloc[order].reset_index(drop=True)


def mixed_model(
    long: pd.DataFrame,
    outcome: str,
    arm: str,
    *,
    treatment: Any,
    control: Any,
    subject: str,
    time: str,
    covariates: Sequence[str] = (),
    reml: bool = True,
) -> pd.DataFrame:
    """Linear mixed model with a random intercept per participant (statsmodels ``MixedLM``).

    Model: ``outcome ~ treated + time + covariates + (1 | subject)``, fitted by
    restricted maximum likelihood (REML, the default, as in Vehkalahti &
    Everitt's Table 9.9) or by maximum likelihood (``reml=False``, as in
    Everitt & Hothorn's *Handbook*).  Every observed visit is used, including
    those of participants who later dropped out, so the treatment estimate is
    valid if dropout depends only on what was observed ("missing at random");
    rows with a missing outcome are left out and counted.

    Returns
    -------
    pandas.DataFrame
        One result row per fixed effect (``treated`` is the treatment effect,
        treatment minus control, at any time), normal-theory 95% CIs;
        ``attrs`` holds ``n_obs``, ``n_subjects``, ``n_missing``,
        ``var_intercept`` (between-participant variance), ``var_residual``
        and ``loglik``.

    Examples
    --------
    >>> from course_utils.simulate import trial
    >>> df = trial(60, effect=-3.0, seed=1)
    >>> long = long_format(df, {"baseline": 0, "followup": 8}, id="id", keep=["arm"])
    >>> fit = mixed_model(long, "score", "arm", treatment="treatment", control="placebo",
    ...                   subject="id", time="time")
    >>> "treated" in fit.index
    True
    """
    from statsmodels.regression.mixed_linear_model import MixedLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    long = _frame(long)
    t, c = _arm_masks(long, arm, treatment, control)
    y = _outcome(long, outcome, t, c, (treatment, control))
    rows = t | c
    groups = _column(long, subject, "participant id")
    times = _numeric(_column(long, time, "time"), time)
    covs, cov_names = _design(long, list(covariates), rows)
    frame = pd.DataFrame(
        {"const": 1.0, "treated": t[rows].astype(float), time: times[rows]}, index=long.index[rows]
    )
    frame = pd.concat([frame, covs], axis=1)
    y_rows = y[rows]
    ok = np.isfinite(y_rows) & frame.notna().all(axis=1).to_numpy()
    g = groups[rows][ok].to_numpy()
    model = MixedLM(y_rows[ok], frame[ok].astype(float), groups=g)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            fit = model.fit(reml=reml, method=["lbfgs"])
        except ConvergenceWarning:
            fit = None
    if fit is None or not fit.converged:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            try:
                fit = model.fit(reml=reml, method=["powell", "lbfgs"])
            except ConvergenceWarning as exc:
                raise TrialDataError(
                    f"the mixed model did not converge ({exc}); simplify it (fewer covariates) or check "
                    "that each participant has a stable id"
                ) from exc
        if not fit.converged:
            raise TrialDataError(
                "the mixed model did not converge (statsmodels reports converged=False); simplify it "
                "(fewer covariates) or check that each participant has a stable id"
            )
    names = ["const", "treated", time, *cov_names]
    crit = critical_value()
    results = {}
    for name in names:
        est, se = float(fit.fe_params[name]), float(fit.bse_fe[name])
        results[name] = make_result(est, se=se, ci_low=est - crit * se, ci_high=est + crit * se,
                                    n=int(ok.sum()), z=est / se)
    table = result_frame(results, "term")
    table.attrs.update(
        {
            "n_obs": int(ok.sum()),
            "n_subjects": int(pd.Series(g).nunique()),
            "n_missing": int(rows.sum() - ok.sum()),
            "var_intercept": float(fit.cov_re.iloc[0, 0]),
            "var_residual": float(fit.scale),
            "loglik": float(fit.llf),
            "method": "ML" if not reml else "REML",
            **_labels(treatment, control),
        }
    )
    return table


# ------------------------------------------------------------------ binary outcomes

def _two_by_two(
    data: pd.DataFrame, outcome: str, arm: str, treatment: Any, control: Any, event: Any
) -> tuple[int, int, int, int, int]:
    t, c = _arm_masks(data, arm, treatment, control)
    series = _column(data, outcome, "outcome")
    known = series.notna().to_numpy()
    for mask, label in ((t, treatment), (c, control)):
        if not (known & mask).any():
            raise TrialDataError(
                f"all outcomes in column {outcome!r} are missing for arm {label!r}: nothing to compare"
            )
    values = series.to_numpy(dtype=object)
    present = set(series.dropna().tolist())
    if event not in present:
        raise TrialDataError(
            f"the event value {event!r} does not occur in column {outcome!r} (values there: "
            f"{', '.join(sorted(repr(v) for v in present))}); pass event= the value that means the event happened"
        )
    is_event = np.zeros(len(values), dtype=bool)
    is_event[known] = [bool(v == event) for v in values[known]]
    a = int((is_event & t).sum())
    n_t = int((known & t).sum())
    cc = int((is_event & c).sum())
    n_c = int((known & c).sum())
    n_missing = int(((~known) & (t | c)).sum())
    return a, n_t, cc, n_c, n_missing


def binary_outcome(
    data: pd.DataFrame,
    outcome: str,
    arm: str,
    *,
    treatment: Any,
    control: Any,
    event: Any = True,
) -> pd.DataFrame:
    """Risks by arm, risk difference, risk ratio and odds ratio for a binary outcome.

    This function only finds the arms and counts the events; the 2×2
    arithmetic is :func:`course_utils.causal.association_measures` (Wald CI for
    the risk difference, log-scale CIs for the ratios, 0.5 added to every cell
    with a warning when a cell is zero).

    Parameters
    ----------
    outcome : str
        Column whose value equals ``event`` when the event happened (e.g. a
        true/false column with ``event=True``, or a labelled column with
        ``event="death"``).
    event : value, default True
        The value that means "the event happened".

    Returns
    -------
    pandas.DataFrame
        Rows ``risk (treatment)``, ``risk (control)`` (Wald CIs),
        ``risk difference`` (treatment minus control), ``risk ratio`` and
        ``odds ratio`` (treatment over control).  Rows with a missing outcome
        are left out and counted in ``n_missing``; ``attrs`` holds the counts.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["t"] * 10 + ["c"] * 10,
    ...                    "died": [True] * 2 + [False] * 8 + [True] * 5 + [False] * 5})
    >>> tab = binary_outcome(df, "died", "arm", treatment="t", control="c")
    >>> round(float(tab.loc["risk ratio", "estimate"]), 2)
    0.4
    """
    from course_utils.causal import association_measures

    a, n_t, c, n_c, n_missing = _two_by_two(data, outcome, arm, treatment, control, event)
    rows: dict[str, pd.Series] = {}
    for label, k, n in (("risk (treatment)", a, n_t), ("risk (control)", c, n_c)):
        p = k / n
        rows[label] = make_result(p, se=math.sqrt(p * (1 - p) / n), n=n, events=k)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        measures = association_measures([[a, n_t - a], [c, n_c - c]])
    for w in caught:  # re-raise from here so the warning points at the caller's line
        warnings.warn(str(w.message), w.category, stacklevel=2)
    for name in ("risk difference", "risk ratio", "odds ratio"):
        row = measures.loc[name]
        rows[name] = make_result(float(row["estimate"]), se=float(row["se"]), ci_low=float(row["ci_low"]),
                                 ci_high=float(row["ci_high"]), n=n_t + n_c, events=a + c)
    table = result_frame(rows, "measure")
    table["n_missing"] = n_missing
    table.attrs.update({"events_treatment": a, "n_treatment": n_t, "events_control": c, "n_control": n_c,
                        **_labels(treatment, control)})
    return table


# ------------------------------------------------------------------ standardised effect sizes

def _check_summary(mean: float, sd: float, n: int, which: str) -> None:
    for value, label in ((mean, "mean"), (sd, "SD")):
        if not isinstance(value, (int, float, np.number)) or not math.isfinite(float(value)):
            raise ValueError(f"the {which} {label} must be a finite number, got {value!r}")
    if sd <= 0:
        raise ValueError(f"the {which} SD must be positive, got {sd!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"the {which} group size must be a whole number of at least 2, got {n!r}")


def cohens_d(
    mean_t: float, sd_t: float, n_t: int, mean_c: float, sd_c: float, n_c: int
) -> pd.Series:
    """Cohen's d (standardised mean difference with the pooled SD) and its 95% CI.

    ``d = (mean_t - mean_c) / s_pooled``, with
    ``s_pooled = sqrt(((n_t - 1) sd_t**2 + (n_c - 1) sd_c**2) / (n_t + n_c - 2))``
    and ``V_d = (n_t + n_c) / (n_t n_c) + d**2 / (2 (n_t + n_c))``; CI ``d ± 1.96 sqrt(V_d)``
    (Borenstein et al. 2009, ch. 4).

    Examples
    --------
    Borenstein et al. (2009, ch. 4) worked example: means 103 and 100, SDs 5.5
    and 4.5, 50 per group.

    >>> r = cohens_d(103, 5.5, 50, 100, 4.5, 50)
    >>> round(float(r["estimate"]), 4), round(float(r["se"]), 4)
    (0.597, 0.2044)
    """
    _check_summary(mean_t, sd_t, n_t, "treatment")
    _check_summary(mean_c, sd_c, n_c, "control")
    df = n_t + n_c - 2
    s_pooled = math.sqrt(((n_t - 1) * sd_t**2 + (n_c - 1) * sd_c**2) / df)
    d = (mean_t - mean_c) / s_pooled
    var_d = (n_t + n_c) / (n_t * n_c) + d**2 / (2 * (n_t + n_c))
    return make_result(d, se=math.sqrt(var_d), n=n_t + n_c, name="Cohen's d", s_pooled=s_pooled, variance=var_d)


def hedges_g(
    mean_t: float, sd_t: float, n_t: int, mean_c: float, sd_c: float, n_c: int
) -> pd.Series:
    """Hedges' g: Cohen's d corrected for small-sample bias, with its 95% CI.

    ``g = J d`` with ``J = 1 - 3 / (4 df - 1)``, ``df = n_t + n_c - 2``;
    ``V_g = J**2 V_d`` (Borenstein et al. 2009, ch. 4; Hedges & Olkin 1985).

    Examples
    --------
    >>> r = hedges_g(103, 5.5, 50, 100, 4.5, 50)
    >>> round(float(r["estimate"]), 4), round(float(r["se"]), 4)
    (0.5924, 0.2028)
    """
    d = cohens_d(mean_t, sd_t, n_t, mean_c, sd_c, n_c)
    df = n_t + n_c - 2
    j = 1 - 3 / (4 * df - 1)
    g = j * float(d["estimate"])
    var_g = j**2 * float(d["variance"])
    return make_result(g, se=math.sqrt(var_g), n=n_t + n_c, name="Hedges' g", d=float(d["estimate"]), J=j,
                       variance=var_g)


def effect_size(
    data: pd.DataFrame,
    outcome: str,
    arm: str,
    *,
    treatment: Any,
    control: Any,
    kind: str = "hedges_g",
) -> pd.Series:
    """Standardised mean difference (``"hedges_g"`` or ``"cohens_d"``) from individual rows.

    Missing outcomes are left out (``n_missing`` says how many).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["c"] * 3 + ["t"] * 3, "y": [1, 2, 3, 2, 3, 4]})
    >>> float(effect_size(df, "y", "arm", treatment="t", control="c", kind="cohens_d")["estimate"])
    1.0
    """
    funcs = {"hedges_g": hedges_g, "cohens_d": cohens_d}
    if kind not in funcs:
        raise ValueError(f"kind must be 'hedges_g' or 'cohens_d', got {kind!r}")
    diff = mean_difference(data, outcome, arm, treatment=treatment, control=control)
    t, c = _arm_masks(data, arm, treatment, control)
    y = _numeric(data[outcome], outcome)
    yt, yc = y[t & np.isfinite(y)], y[c & np.isfinite(y)]
    result = funcs[kind](float(yt.mean()), float(yt.std(ddof=1)), len(yt), float(yc.mean()),
                         float(yc.std(ddof=1)), len(yc))
    result["n_missing"] = int(diff["n_missing"])
    return result


# ------------------------------------------------------------------ power and sample size

def _check_prob(value: float, name: str, low_open: bool = True) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number between 0 and 1, got {value!r}") from None
    if not (0 < v < 1):
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value!r}")
    return v


def _check_effect(effect: float) -> float:
    try:
        v = float(effect)
    except (TypeError, ValueError):
        raise TypeError(f"effect_size must be a number (a standardised difference such as 0.3), got {effect!r}") from None
    if not math.isfinite(v) or v == 0:
        raise ValueError(
            f"effect_size must be a non-zero finite standardised difference (e.g. 0.24 or 0.5), got {effect!r}; "
            "no trial can be powered to detect an effect of exactly zero"
        )
    return abs(v)


def _check_ratio(ratio: Any) -> float:
    try:
        v = float(ratio)
    except (TypeError, ValueError):
        raise TypeError(f"ratio (n_treatment / n_control) must be a number, got {ratio!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"ratio (n_treatment / n_control) must be positive, got {ratio!r}")
    return v


def sample_size(
    effect_size: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    ratio: float = 1.0,
    dropout: float = 0.0,
) -> pd.Series:
    """People needed per arm to detect a standardised difference with a two-sided t test.

    Uses :class:`statsmodels.stats.power.TTestIndPower`.  ``ratio`` is
    n_treatment / n_control.  ``dropout`` (the share expected to give no
    outcome) inflates the number to randomise: ``n / (1 - dropout)`` -- an
    approximation that assumes the dropouts are otherwise like the rest.

    Returns
    -------
    pandas.Series
        ``n_control_exact``, ``n_control``, ``n_treatment`` (rounded up),
        ``n_total``, ``n_to_randomise`` (after the dropout allowance), and the
        inputs.

    Examples
    --------
    Cohen (1988): d = 0.5, power 0.80, two-sided alpha 0.05 needs 64 per group.

    >>> int(sample_size(0.5)["n_control"])
    64
    """
    from statsmodels.stats.power import TTestIndPower

    d = _check_effect(effect_size)
    power_ = _check_prob(power, "power")
    alpha_ = _check_prob(alpha, "alpha")
    if not (0 <= float(dropout) < 1):
        raise ValueError(f"dropout is the expected share with no outcome, in [0, 1); got {dropout!r}")
    if not float(ratio) > 0:
        raise ValueError(f"ratio (n_treatment / n_control) must be positive, got {ratio!r}")
    n1 = float(TTestIndPower().solve_power(effect_size=d, power=power_, alpha=alpha_, ratio=float(ratio),
                                           alternative="two-sided"))
    n_c = math.ceil(n1 - 1e-9)
    n_t = math.ceil(n1 * float(ratio) - 1e-9)
    total = n_c + n_t
    return pd.Series(
        {
            "effect_size": d,
            "power": power_,
            "alpha": alpha_,
            "ratio": float(ratio),
            "dropout": float(dropout),
            "n_control_exact": n1,
            "n_control": n_c,
            "n_treatment": n_t,
            "n_total": total,
            "n_to_randomise": math.ceil(total / (1 - float(dropout)) - 1e-9),
        },
        name="sample size",
        dtype=object,
    ).infer_objects()


def power(effect_size: float, n_per_arm: int, *, alpha: float = 0.05, ratio: float = 1.0) -> float:
    """Power of a two-sided two-sample t test (``TTestIndPower``) with ``n_per_arm`` in the control arm.

    Examples
    --------
    >>> round(power(0.5, 64), 3)
    0.801
    """
    from statsmodels.stats.power import TTestIndPower

    d = _check_effect(effect_size)
    ratio = _check_ratio(ratio)
    if isinstance(n_per_arm, bool) or not float(n_per_arm) >= 2:
        raise ValueError(f"n_per_arm must be at least 2, got {n_per_arm!r}")
    return float(TTestIndPower().power(effect_size=d, nobs1=float(n_per_arm), alpha=_check_prob(alpha, "alpha"),
                                       ratio=float(ratio), alternative="two-sided"))


def sample_size_binary(
    p_treatment: float,
    p_control: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    ratio: float = 1.0,
    dropout: float = 0.0,
) -> pd.Series:
    """People needed per arm to detect a difference between two proportions.

    Uses Cohen's h (``statsmodels.stats.proportion.proportion_effectsize``,
    the arcsine transformation) and :class:`statsmodels.stats.power.NormalIndPower`.

    Examples
    --------
    >>> int(sample_size_binary(0.3, 0.5)["n_control"])
    93
    """
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    p1 = _check_prob(p_treatment, "p_treatment")
    p0 = _check_prob(p_control, "p_control")
    ratio = _check_ratio(ratio)
    if p1 == p0:
        raise ValueError("p_treatment equals p_control: there is no difference to detect")
    h = abs(float(proportion_effectsize(p1, p0)))
    n1 = float(NormalIndPower().solve_power(effect_size=h, power=_check_prob(power, "power"),
                                            alpha=_check_prob(alpha, "alpha"), ratio=float(ratio),
                                            alternative="two-sided"))
    if not (0 <= float(dropout) < 1):
        raise ValueError(f"dropout is the expected share with no outcome, in [0, 1); got {dropout!r}")
    n_c = math.ceil(n1 - 1e-9)
    n_t = math.ceil(n1 * float(ratio) - 1e-9)
    return pd.Series(
        {
            "p_treatment": p1,
            "p_control": p0,
            "cohens_h": h,
            "power": float(power),
            "alpha": float(alpha),
            "n_control_exact": n1,
            "n_control": n_c,
            "n_treatment": n_t,
            "n_total": n_c + n_t,
            "n_to_randomise": math.ceil((n_c + n_t) / (1 - float(dropout)) - 1e-9),
        },
        name="sample size",
        dtype=object,
    ).infer_objects()
