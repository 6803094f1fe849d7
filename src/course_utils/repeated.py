"""Repeated measures in a trial: last observation carried forward, long format, a linear mixed model."""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_utils._trial_common import TrialDataError, _arm_masks, _column, _covariates, _frame, _labels, _numeric, _outcome
from course_utils.results import critical_value, make_result, result_frame

__all__ = ["carry_forward", "long_format", "mixed_model"]


# ------------------------------------------------------------------ repeated measures

def carry_forward(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Last observation carried forward (LOCF) along visit columns, row by row.

    ``columns`` are in time order, starting with the baseline.  A missing value
    is replaced by the participant's last observed earlier value.  LOCF assumes
    that a person who left would have stayed exactly where they were last seen
    -- usually false (depression scores tend to change), so it can bias the
    estimate either way and makes the CI too narrow.  It is shown in the course
    as a common but flawed way to "get" an ITT analysis.

    Parameters
    ----------
    data : DataFrame
        One row per participant.
    columns : sequence of str
        Visit columns in time order, baseline first.

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

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, the ``keep`` columns, ``time_name`` and ``value_name``;
        one row per participant and visit, sorted by participant then time.

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
    treatment: Hashable,
    control: Hashable,
    subject: str,
    time: str,
    covariates: str | Sequence[str] = (),
    reml: bool = True,
) -> pd.DataFrame:
    """Linear mixed model with a random intercept per participant (statsmodels ``MixedLM``).

    Model: ``outcome ~ treated + time + covariates + (1 | subject)``, fitted by
    restricted maximum likelihood (REML, the default, as in Vehkalahti &
    Everitt's Table 9.9) or by maximum likelihood (``reml=False``, as in
    Everitt & Hothorn's *Handbook*).  Every observed visit is used, including
    those of participants who later dropped out, so the treatment estimate is
    valid if dropout depends only on what was observed ("missing at random");
    rows with a missing outcome are left out and counted.  ``covariates``
    is the right-hand side of a model formula (``"C(drug) + length"``) or a
    list of column names.

    Parameters
    ----------
    long : DataFrame
        One row per participant and visit (see :func:`long_format`).
    outcome : str
        The repeated measurement.
    arm : str
        Column holding the arm label.
    treatment, control : label
        The two arms.
    subject : str
        Participant identifier.
    time : str
        Numeric time of each visit.
    covariates : str or sequence of str
        A formula's right-hand side (``"C(drug) + length"``) or column names.
    reml : bool, default True
        REML (True) or maximum likelihood.

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
    covs, cov_names = _covariates(long, covariates, rows)
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
    results: dict[object, pd.Series] = {}
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


