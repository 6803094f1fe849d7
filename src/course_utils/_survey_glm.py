"""Private: design-based regression (R's ``svyglm``) and the Rao–Scott test (R's ``svychisq``).

Both reduce to :meth:`course_utils._survey_variance.Stages.variance` of
influence values:

* regression: the coefficients solve ``sum_i w_i x_i (y_i - mu_i) = 0``; the
  influence of row ``i`` is ``w_i (y_i - mu_i) x_i' A^-1`` with ``A`` the
  weighted information matrix (R's ``svy.varcoef``: ``estfun %*% Ainv``), so
  the covariance is ``A^-1 V A^-1`` with ``V`` the design variance of the
  score totals;
* Rao–Scott: the design covariance of the cell proportions gives the
  generalised design effects (the eigenvalues of ``Delta``), whose mean
  rescales Pearson's X² and whose spread sets the F degrees of freedom
  (``survey:::svychisq.survey.design``, statistic ``"F"``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from course_utils._validate import formula_columns as _formula_columns
from course_utils.results import critical_value, make_result, result_frame

if TYPE_CHECKING:
    from course_utils.survey import SurveyDesign

FAMILIES = ("gaussian", "binomial")


def formula_columns(formula: str, data: pd.DataFrame) -> list[str]:
    """Columns of ``data`` named in a formula (as names or quoted inside ``Q("...")``), in order."""
    from course_utils.survey import SurveyDesignError

    return _formula_columns(formula, data, error=SurveyDesignError)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable numbers and booleans as float64 (patsy reads a bool outcome as two columns)."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            continue
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            out[column] = series.to_numpy(dtype="float64", na_value=np.nan)
        elif pd.api.types.is_string_dtype(series):
            out[column] = series.astype(object)
    return out


def _domain_mask(design: SurveyDesign, domain: str | None) -> np.ndarray:
    """Rows inside the domain (a True/False or 0/1 column); every row when ``domain`` is None."""
    from course_utils.survey import SurveyDesignError

    if domain is None:
        return np.ones(len(design.data), dtype=bool)
    values = design._outcome(domain, "domain")
    if values.isna().any():
        raise SurveyDesignError(
            f"domain column {domain!r} has {int(values.isna().sum())} missing value(s): say for every respondent "
            "whether they belong to the domain (True/False or 1/0)"
        )
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.to_numpy(dtype="float64")
        if np.isin(codes, (0.0, 1.0)).all():
            return codes == 1.0
    raise SurveyDesignError(
        f"domain column {domain!r} must be True/False or 1/0 (dtype {values.dtype}); make it with a comparison, "
        f"e.g. df['adult'] = df['CATAG6'] != '12-17'"
    )


def fit_glm(design: SurveyDesign, formula: str, family: str, *, odds_ratios: bool, df: str | float,
            dropna: bool, level: float, domain: str | None = None) -> pd.DataFrame:
    """See :meth:`course_utils.survey.SurveyDesign.glm`."""
    from course_utils.survey import SurveyDesignError

    if family not in FAMILIES:
        raise ValueError(f"family must be 'gaussian' (linear) or 'binomial' (logistic), got {family!r}")
    if odds_ratios and family != "binomial":
        raise ValueError("odds_ratios=True needs family='binomial' (a logistic model)")
    if not isinstance(formula, str) or "~" not in formula:
        raise SurveyDesignError(f"a model formula looks like 'outcome ~ exposure + covariate'; got {formula!r}")
    data = design.data
    lhs = formula.split("~", 1)[0]
    columns = formula_columns(formula, data)
    outcome = formula_columns(lhs, data)
    if not outcome:
        raise SurveyDesignError(
            f"the outcome of {formula!r} is not a column of the data.{_close_hint(lhs.strip(), data)}"
        )
    inside = _domain_mask(design, domain)
    if not inside.any():
        raise SurveyDesignError(f"the domain {domain!r} is empty: no row has True (or 1) there")
    # missing values count only inside the domain (R: subset first, then na.action)
    _, missing = design._missing({c: data[c].where(inside, data[c].dropna().iloc[0] if data[c].notna().any()
                                                   else data[c]) for c in columns}, dropna)
    missing &= inside
    keep = inside & ~missing & (design._w > 0)
    used = np.flatnonzero(keep)
    n_zero = int(((design._w == 0) & inside & ~missing).sum())
    frame = _plain(data.iloc[used][columns])
    import statsmodels.formula.api as smf
    from statsmodels.genmod import families

    fam = families.Gaussian() if family == "gaussian" else families.Binomial()
    w = design._w[used]
    w = w / w.mean()  # R's rescale = TRUE: same estimates and SEs, better numerics
    try:
        model = smf.glm(formula, frame, family=fam, var_weights=w, missing="raise")
    except Exception as exc:  # patsy/formulaic errors have no common base class
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SurveyDesignError(f"could not build a model from the formula {formula!r}: {text}") from exc
    y = np.asarray(model.endog, dtype="float64")
    if family == "binomial" and not np.isin(np.unique(y), (0.0, 1.0)).all():
        raise SurveyDesignError(
            f"family='binomial' needs a 0/1 (or True/False) outcome, but {lhs.strip()!r} holds "
            f"{', '.join(f'{v:g}' for v in np.unique(y)[:6])}; make an indicator first (e.g. df['y'] == 'yes')"
        )
    x = np.asarray(model.exog, dtype="float64")
    names = list(model.exog_names)
    beta = _solve_weighted(x, y, w, family, formula)
    eta = x @ beta
    mu = eta if family == "gaussian" else 1.0 / (1.0 + np.exp(-eta))
    if family == "binomial" and (np.any(mu < 1e-10) or np.any(mu > 1 - 1e-10)):
        raise SurveyDesignError(
            f"the logistic model {formula!r} separates the data (some fitted probabilities are 0 or 1): a covariate "
            "pattern predicts the outcome with certainty. Merge sparse categories or simplify the model."
        )
    var_mu = np.ones_like(mu) if family == "gaussian" else mu * (1.0 - mu)
    info = x.T @ (x * (w * var_mu)[:, None])
    a_inv = np.linalg.inv(info)
    scores = x * (w * (y - mu))[:, None]
    influence = np.zeros((len(data), x.shape[1]))
    influence[used] = scores @ a_inv
    cov = design._stages.variance(influence)
    se = np.sqrt(np.diag(cov))
    if df == "design":
        dfv: float = float(design.df)
    elif df == "residual":
        dfv = float(design._df(keep, "domain") + 1 - x.shape[1])
    elif df == "domain":
        dfv = float(design._df(keep, "domain"))
    elif isinstance(df, (int, float)) and not isinstance(df, bool) and df > 0:
        dfv = float(df)
    else:
        raise ValueError(f"df must be 'design', 'domain', 'residual' or a positive number, got {df!r}")
    if dfv <= 0:
        raise SurveyDesignError(f"the model has {x.shape[1]} coefficients but the design only {design.df} degrees "
                                "of freedom: use fewer terms or df='design'")
    crit = critical_value(None if math.isinf(dfv) else dfv, level)
    from scipy import stats

    rows = {}
    for name, b, s in zip(names, beta, se):
        t = b / s if s > 0 else math.nan
        p = float(2 * (stats.norm.sf(abs(t)) if math.isinf(dfv) else stats.t.sf(abs(t), dfv)))
        low, high = b - crit * s, b + crit * s
        est = b
        if odds_ratios:
            est, low, high = math.exp(b), math.exp(low), math.exp(high)
        rows[name] = make_result(est, se=float(s), ci_low=low, ci_high=high, n=len(used), p_value=p, df=dfv,
                                 level=level, n_dropped=float(missing.sum()), n_zero_weight=float(n_zero))
    out = result_frame(rows, "term")
    out.attrs.update({
        "domain": domain if domain is not None else "(all)",
        "family": family,
        "measure": "odds ratio" if odds_ratios else ("log odds ratio" if family == "binomial" else "coefficient"),
        "se_scale": "log" if odds_ratios else "same",
        "method": "design-based " + ("logistic (quasibinomial)" if family == "binomial" else "linear")
        + " regression, Taylor-linearised SEs (R svyglm)",
    })
    return out


def _solve_weighted(x: np.ndarray, y: np.ndarray, w: np.ndarray, family: str, formula: str) -> np.ndarray:
    """Weighted least squares, or weighted logistic regression by Newton's method (= IRLS, canonical link)."""
    from course_utils.survey import SurveyDesignError

    def information(weights: np.ndarray) -> np.ndarray:
        return x.T @ (x * weights[:, None])

    redundant = SurveyDesignError(
        f"the model {formula!r} cannot be estimated: some terms are redundant or a category is empty in the "
        "rows with a positive weight; drop or merge them"
    )
    info = information(w)
    scale = np.sqrt(np.diag(info))
    if np.any(scale == 0) or np.linalg.cond(info / np.outer(scale, scale)) > 1e12:
        raise redundant
    if family == "gaussian":
        return np.linalg.solve(info, x.T @ (w * y))
    beta = np.zeros(x.shape[1])
    for _ in range(100):
        eta = np.clip(x @ beta, -700, 700)
        mu = 1.0 / (1.0 + np.exp(-eta))
        step = np.linalg.solve(information(w * mu * (1.0 - mu)), x.T @ (w * (y - mu)))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12 * (1.0 + np.max(np.abs(beta))):
            return beta
        if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 1e6:
            break
    raise SurveyDesignError(
        f"the logistic model {formula!r} did not converge: the data are (nearly) separated, a covariate pattern "
        "predicting the outcome with certainty. Merge sparse categories or simplify the model."
    )


def _close_hint(name: str, data: pd.DataFrame) -> str:
    import difflib

    close = difflib.get_close_matches(name, [str(c) for c in data.columns], n=3, cutoff=0.5)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _levels(values: pd.Series) -> list[object]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique().tolist())
        return [lv for lv in values.cat.categories if lv in present]
    return sorted(values.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))


def rao_scott(design: SurveyDesign, row: str, column: str, *, dropna: bool) -> pd.Series:
    """See :meth:`course_utils.survey.SurveyDesign.chisq`."""
    from scipy import stats

    from course_utils.survey import SurveyDesignError

    a, b = design._outcome(row, "row"), design._outcome(column, "column")
    keep, missing = design._missing({row: a, column: b}, dropna)
    rows, cols = _levels(a[keep]), _levels(b[keep])
    nr, nc = len(rows), len(cols)
    if nr < 2 or nc < 2:
        raise SurveyDesignError(
            f"a test of independence needs at least two categories in each variable; {row!r} has {nr} and "
            f"{column!r} has {nc} among the rows used"
        )
    n_all = len(design.data)  # R: N <- nrow(model.matrix(...)), every row of the design
    w = np.where(keep, design._w, 0.0)
    wsum = w.sum()
    # cell indicators in R's order: interaction(rows, cols), rows varying fastest
    av, bv = a.to_numpy(), b.to_numpy()
    cells = np.zeros((len(w), nr * nc))
    for j, cv in enumerate(cols):
        in_col = keep & (bv == cv)
        for i, rv in enumerate(rows):
            cells[:, j * nr + i] = in_col & (av == rv)
    p = (w[:, None] * cells).sum(axis=0) / wsum
    influence = w[:, None] * (cells - p) / wsum
    v = design._stages.variance(influence)
    grid_r = np.tile(np.arange(nr), nc)
    grid_c = np.repeat(np.arange(nc), nr)
    x1 = np.column_stack([np.ones(nr * nc)]
                         + [(grid_r == i).astype(float) for i in range(1, nr)]
                         + [(grid_c == j).astype(float) for j in range(1, nc)])
    inter = np.column_stack([((grid_r == i) & (grid_c == j)).astype(float)
                             for j in range(1, nc) for i in range(1, nr)])
    q, _ = np.linalg.qr(x1)
    cmat = inter - q @ (q.T @ inter)
    inv_p = np.where(p == 0, 0.0, 1.0 / np.where(p == 0, 1.0, p))
    denom = cmat.T @ (inv_p[:, None] * cmat) / n_all
    numr = cmat.T @ (inv_p[:, None] * v * inv_p[None, :]) @ cmat
    delta = np.linalg.solve(denom, numr)
    trace = float(np.trace(delta))
    d0 = trace**2 / float(np.trace(delta @ delta))
    table = (p * n_all).reshape(nc, nr).T  # svytable scaled to N
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = float(np.nansum((table - expected) ** 2 / expected))
    f_stat = pearson / trace
    ddf = d0 * design.df
    p_value = float(stats.f.sf(f_stat, d0, ddf))
    out = pd.Series({"statistic": f_stat, "ndf": d0, "ddf": ddf, "p_value": p_value, "pearson": pearson,
                     "deff_mean": trace / delta.shape[0], "n": float(keep.sum()), "n_dropped": float(missing.sum())},
                    dtype="float64", name=f"{row} x {column}")
    out.attrs.update({"method": "Pearson's X^2 with the Rao-Scott second-order correction (R svychisq, 'F')",
                      "measure": "F statistic"})
    return out
