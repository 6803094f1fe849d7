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
  differences (what randomisation balances); the same table as lesson 06's
  (:mod:`course_utils.balance`);
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

Missing values
--------------
Outcome analyses here are, by definition, analyses of the people with an
observed outcome (a *complete-case* analysis; :func:`analysis_populations`
sets it beside the alternatives): a missing outcome is left out and counted in
``n_missing``, never silently.  A missing arm label is an error.  The baseline
:func:`balance_table` follows the course's one policy (missing values raise
unless ``dropna=True``).  Covariates are given as a formula's right-hand side
(``"drug + C(length)"``), as in :mod:`course_utils.causal`.

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
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_utils._trial_common import TrialDataError, _arm_masks, _column, _covariates, _frame, _labels, _numeric, _outcome
from course_utils.balance import balance_table
from course_utils.effect_sizes import cohens_d, effect_size, hedges_g
from course_utils.planning import power, sample_size, sample_size_binary
from course_utils.repeated import carry_forward, long_format, mixed_model
from course_utils.results import make_result, result_frame

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


# ------------------------------------------------------------------ attrition

def attrition(
    data: pd.DataFrame,
    arm: str,
    stages: Mapping[str, str],
    *,
    treatment: Hashable,
    control: Hashable,
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
    >>> int(attrition(df, "arm", {"visit 1": "y1"}, treatment="b", control="a").loc["visit 1", ("a", "n")])
    1
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
    columns: dict[tuple[object, str], list[int] | list[float]] = {}
    for arm_label, mask in ((control, c), (treatment, t)):
        total = int(mask.sum())
        counts = [int((p & mask).sum()) for p in present.values()]
        columns[(arm_label, "n")] = counts
        columns[(arm_label, "%")] = [round(100 * k / total, 1) for k in counts]
    table = pd.DataFrame(columns, index=pd.Index(list(present), name="stage"))
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["arm", ""])
    return table


# ------------------------------------------------------------------ continuous outcomes

def mean_difference(
    data: pd.DataFrame,
    outcome: str,
    arm: str,
    *,
    treatment: Hashable,
    control: Hashable,
    equal_var: bool = False,
) -> pd.Series:
    """Difference in mean outcome, treatment minus control, among those with an outcome.

    Participants whose outcome is missing are left out (a *complete-case*
    analysis); how many is reported in ``n_missing``.  The CI is Welch's t
    interval (``equal_var=False``, the default) or the pooled-variance t
    interval.

    Parameters
    ----------
    data : DataFrame
        One row per randomised participant.
    outcome : str
        Numeric outcome column (missing = not observed).
    arm : str
        Column holding the arm label.
    treatment, control : label
        The two arms to compare (differences are treatment minus control).
    equal_var : bool, default False
        Pooled-variance t interval instead of Welch's.

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
    df: float
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


def ancova(
    data: pd.DataFrame,
    outcome: str,
    arm: str,
    baseline: str,
    *,
    treatment: Hashable,
    control: Hashable,
    covariates: str | Sequence[str] = (),
) -> pd.Series:
    """Baseline-adjusted treatment effect: OLS of the outcome on arm and the baseline score.

    The model is ``outcome ~ treated + baseline [+ covariates]`` fitted by
    ordinary least squares (statsmodels ``OLS``); the estimate is the
    coefficient of ``treated`` (treatment minus control, at the same baseline).
    Adjusting for a prognostic baseline score does not remove bias in a
    randomised trial (there is none to remove) but narrows the CI.

    Rows with a missing outcome, baseline or covariate are left out (count in
    ``n_missing``).  ``covariates`` is the right-hand side of a model formula
    (``"drug + C(length)"``, as everywhere in the course) or a list of column
    names; categorical covariates enter as indicator columns.

    Parameters
    ----------
    data : DataFrame
        One row per randomised participant.
    outcome : str
        Numeric outcome column (missing = not observed).
    arm : str
        Column holding the arm label.
    treatment, control : label
        The two arms to compare (differences are treatment minus control).
    baseline : str
        The baseline measurement of the outcome.
    covariates : str or sequence of str
        More baseline covariates: a formula's right-hand side (``"drug + C(length)"``) or column names.

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
    covs, cov_names = _covariates(data, covariates, rows)
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
    treatment: Hashable,
    control: Hashable,
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

    Parameters
    ----------
    data : DataFrame
        One row per randomised participant.
    outcome : str
        Numeric outcome column (missing = not observed).
    arm : str
        Column holding the arm label.
    treatment, control : label
        The two arms to compare (differences are treatment minus control).
    adherent : str, optional
        True/false column: who stuck to their allocation (adds the per-protocol row).
    imputed : mapping of label -> column, optional
        Outcome columns with missing values filled in, one row each.

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
    rows: dict[object, pd.Series] = {}
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


# ------------------------------------------------------------------ binary outcomes

def _two_by_two(
    data: pd.DataFrame, outcome: str, arm: str, treatment: Hashable, control: Hashable, event: Hashable
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
    boolean_event = pd.api.types.is_bool_dtype(series) and isinstance(event, (bool, np.bool_))
    if event not in present and not boolean_event:  # a true/false column with no events is an answer
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
    treatment: Hashable,
    control: Hashable,
    event: Hashable = True,
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
    rows: dict[object, pd.Series] = {}
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


