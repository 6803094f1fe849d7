"""Design-based estimates from a weighted, stratified, clustered survey sample.

Surveys such as NSDUH do not sample people with equal probability: some groups
are oversampled, people are drawn in clusters (primary sampling units, PSUs)
within strata, and each respondent carries an analysis weight (the number of
people they stand for).  :class:`SurveyDesign` turns those three pieces into
estimates whose standard errors reflect the design:

* point estimates are weighted (a ratio of weighted sums);
* variances use Taylor linearisation with PSUs treated as sampled with
  replacement within strata (the "ultimate cluster" approximation NSDUH
  analyses use; no finite-population correction);
* 95% confidence intervals use Student's *t* with degrees of freedom
  ``#PSUs − #strata``;
* the design effect (``deff``) is the design variance divided by the variance
  the same estimate would have from a simple random sample of the same size
  (drawn without replacement from a population of size ``sum(weights)``), the
  definition R's ``survey`` package uses for ``svymean(..., deff=TRUE)``.

The numbers agree with R's ``survey`` package (Lumley) — see
``tests/test_survey.py`` for the R calls and values.  Domain (``by=``)
estimates keep every PSU of the design (rows outside the domain contribute
zero), as R's ``svyby`` does, so a small domain does not lose its design.

Examples
--------
>>> import pandas as pd
>>> from course_utils.survey import SurveyDesign
>>> df = pd.DataFrame({"y": [1, 0, 1, 1, 0, 0], "w": [1, 2, 1, 2, 1, 2],
...                    "h": [1, 1, 1, 2, 2, 2], "psu": [1, 2, 3, 1, 2, 3]})
>>> design = SurveyDesign(df, weight="w", strata="h", psu="psu")
>>> round(float(design.proportion("y")["estimate"]), 4)
0.4444
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from course_utils.results import critical_value, make_result, result_frame

__all__ = ["SurveyDesign", "SurveyDesignError", "SurveyColumnError", "SINGLE_PSU_OPTIONS"]

#: Ways to handle a stratum with a single PSU (R's ``options(survey.lonely.psu=...)``).
SINGLE_PSU_OPTIONS: dict[str, str] = {
    "fail": "raise an error (default; R 'fail')",
    "center": "the lonely PSU's total is centred at the whole-sample average instead of its stratum's "
    "(R 'adjust'): a conservative choice",
    "remove": "the stratum contributes nothing to the variance (R 'remove'); underestimates it",
}


class SurveyDesignError(ValueError):
    """The survey design (weights, strata, PSUs) cannot support the requested estimate."""


class SurveyColumnError(KeyError):
    """A column named in a survey call is not in the data."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


def _close(name: str, options: list[str]) -> str:
    same = [str(o) for o in options if str(o).casefold() == str(name).casefold()]
    close = same or difflib.get_close_matches(str(name), [str(o) for o in options], n=3, cutoff=0.5)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _rows(mask: np.ndarray | pd.Series, index: pd.Index, limit: int = 5) -> str:
    labels = index[np.asarray(mask)]
    shown = ", ".join(str(v) for v in labels[:limit])
    return shown + (", ..." if len(labels) > limit else "")


class SurveyDesign:
    """A survey sample with its weights, strata and PSUs, ready for design-based estimates.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    weight : str
        Column with the analysis weights (positive numbers; a zero weight
        removes a row from every estimate but keeps its PSU in the design).
    strata : str, optional
        Column identifying the variance strata.  Omit for an unstratified design.
    psu : str, optional
        Column identifying the primary sampling units.  PSU codes are read
        *within* strata (like R's ``nest=TRUE``), so NSDUH's ``VEREP`` = 1 or 2
        in every stratum is fine.  Omit when each respondent is its own PSU.
    single_psu : {"fail", "center", "remove"}, default "fail"
        What to do with a stratum that has only one PSU, whose variance cannot
        be estimated; see :data:`SINGLE_PSU_OPTIONS`.

    Raises
    ------
    SurveyColumnError
        A named column is not in ``data`` (a ``KeyError``; the message suggests
        close matches).
    TypeError
        ``data`` is not a DataFrame, or the weights are not numeric.
    SurveyDesignError
        Missing, negative, infinite or all-zero weights; missing strata or PSU
        codes; a single-PSU stratum with ``single_psu="fail"``.

    Examples
    --------
    >>> from course_utils.simulate import nsduh_like
    >>> svy = SurveyDesign(nsduh_like(n=5_000, seed=3), weight="ANALWT2_C", strata="VESTR_C", psu="VEREP")
    >>> svy.n_strata, svy.n_psu, svy.df
    (50, 100, 50)
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weight: str,
        strata: str | None = None,
        psu: str | None = None,
        single_psu: str = "fail",
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame (one row per respondent), got {type(data).__name__}")
        if len(data) == 0:
            raise SurveyDesignError("data has no rows: there is nothing to estimate from")
        if single_psu not in SINGLE_PSU_OPTIONS:
            raise ValueError(
                f"single_psu must be one of {', '.join(repr(k) for k in SINGLE_PSU_OPTIONS)}, got {single_psu!r}"
            )
        self.data = data
        self.weight, self.strata, self.psu = weight, strata, psu
        self.single_psu = single_psu
        for role, col in (("weight", weight), ("strata", strata), ("psu", psu)):
            if role == "weight" or col is not None:
                self._require_column(col, role)

        self._w = self._weights(data[weight])
        index = data.index
        if strata is not None:
            s = data[strata]
            if s.isna().any():
                raise SurveyDesignError(
                    f"stratum column {strata!r} has {int(s.isna().sum())} missing value(s) (rows "
                    f"{_rows(s.isna(), index)}); every respondent needs a stratum — fix or drop those rows first"
                )
            strat_codes, strat_labels = pd.factorize(s, sort=True)
        else:
            strat_codes, strat_labels = np.zeros(len(data), dtype=np.int64), pd.Index(["(all)"])
        if psu is not None:
            p = data[psu]
            if p.isna().any():
                raise SurveyDesignError(
                    f"PSU column {psu!r} has {int(p.isna().sum())} missing value(s) (rows "
                    f"{_rows(p.isna(), index)}); every respondent needs a PSU — fix or drop those rows first"
                )
            psu_codes, _ = pd.factorize(pd.MultiIndex.from_arrays([strat_codes, p.to_numpy()]), sort=True)
        else:
            psu_codes = np.arange(len(data))
        self._psu = np.asarray(psu_codes, dtype=np.int64)
        n_psu = int(self._psu.max()) + 1
        psu_stratum = np.zeros(n_psu, dtype=np.int64)
        psu_stratum[self._psu] = strat_codes
        self._psu_stratum = psu_stratum
        self._strat_labels = strat_labels
        self._psu_per_stratum = np.bincount(psu_stratum, minlength=len(strat_labels))
        lonely = np.flatnonzero(self._psu_per_stratum == 1)
        self._lonely = lonely
        if len(lonely) and single_psu == "fail":
            names = ", ".join(str(strat_labels[i]) for i in lonely[:10]) + (", ..." if len(lonely) > 10 else "")
            raise SurveyDesignError(
                f"{len(lonely)} stratum/strata of {strata!r} have a single PSU ({names}), so their sampling "
                "variance cannot be estimated. Collapse each such stratum with a similar one, or choose a "
                "documented approximation: single_psu='center' (conservative, R's 'adjust') or "
                "single_psu='remove'."
            )
        self.n_strata = len(strat_labels)
        self.n_psu = n_psu
        self.df = n_psu - self.n_strata
        if self.df <= 0 and psu is not None:
            raise SurveyDesignError(
                f"the design has {n_psu} PSUs in {self.n_strata} strata, so no degrees of freedom are left "
                "for a variance (df = PSUs − strata); check the strata and psu columns"
            )

    # ------------------------------------------------------------ validation
    def _require_column(self, col: Any, role: str) -> None:
        if not isinstance(col, Hashable) or col not in self.data.columns:
            raise SurveyColumnError(
                f"{role} column {col!r} is not in the data.{_close(col, list(self.data.columns))} "
                f"Columns are: {', '.join(map(str, self.data.columns[:30]))}"
                + (", ..." if len(self.data.columns) > 30 else "")
            )

    def _weights(self, raw: pd.Series) -> np.ndarray:
        if pd.api.types.is_bool_dtype(raw) or not pd.api.types.is_numeric_dtype(raw):
            raise TypeError(
                f"weight column {self.weight!r} must be numeric (persons represented), got dtype {raw.dtype}"
            )
        w = pd.to_numeric(raw).astype("float64").to_numpy(na_value=np.nan)
        index = raw.index
        if np.isnan(w).any():
            bad = np.isnan(w)
            raise SurveyDesignError(
                f"weight column {self.weight!r} has {int(bad.sum())} missing value(s) (rows {_rows(bad, index)}). "
                "A survey weight is never missing in a public-use file: check the column, or drop those rows "
                "deliberately and say so."
            )
        if np.isinf(w).any():
            bad = np.isinf(w)
            raise SurveyDesignError(
                f"weight column {self.weight!r} has {int(bad.sum())} infinite value(s) (rows {_rows(bad, index)})"
            )
        if (w < 0).any():
            bad = w < 0
            raise SurveyDesignError(
                f"weight column {self.weight!r} has {int(bad.sum())} negative value(s) (rows {_rows(bad, index)}); "
                "weights count the people a respondent represents and cannot be negative"
            )
        if w.sum() <= 0:
            raise SurveyDesignError(
                f"the weights in {self.weight!r} sum to zero: no respondent represents anyone. Check that you "
                "passed the analysis weight column."
            )
        return w

    def _outcome(self, column: str) -> pd.Series:
        self._require_column(column, "outcome")
        return self.data[column]

    def _groups(self, by: str | None, keep: np.ndarray) -> list[tuple[Any, np.ndarray]]:
        if by is None:
            return [(None, keep)]
        self._require_column(by, "by")
        g = self.data[by]
        if g.isna().any():
            raise SurveyDesignError(
                f"grouping column {by!r} has {int(g.isna().sum())} missing value(s) (rows {_rows(g.isna(), g.index)}); "
                "recode them to a labelled group, or estimate on the rows with a group"
            )
        if isinstance(g.dtype, pd.CategoricalDtype):
            levels = [lv for lv in g.cat.categories if (g == lv).any()]
        else:
            levels = sorted(g.unique().tolist(), key=lambda v: (str(type(v)), v))
        return [(lv, keep & (g == lv).to_numpy()) for lv in levels]

    def _missing(self, values: pd.Series, column: str, na_rm: bool) -> np.ndarray:
        """Mask of usable rows; raise on missing values unless ``na_rm``."""
        missing = values.isna().to_numpy()
        if missing.any() and not na_rm:
            raise SurveyDesignError(
                f"outcome {column!r} has {int(missing.sum())} missing value(s) (rows "
                f"{_rows(missing, values.index)}). Pass na_rm=True to estimate from the respondents with a "
                "value (they are then a domain of the design, and the result's n and n_missing say how many)."
            )
        if (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
                and not isinstance(values.dtype, pd.CategoricalDtype)):
            infinite = np.isinf(values.astype("float64").to_numpy(na_value=np.nan))
            if infinite.any():
                raise SurveyDesignError(
                    f"outcome {column!r} has {int(infinite.sum())} infinite value(s) (rows "
                    f"{_rows(infinite, values.index)}); an infinite value has no mean. Check how the column "
                    "was computed (e.g. a division by zero) and recode those rows to a value or to missing."
                )
        return ~missing & (self._w > 0)

    # ------------------------------------------------------------ core maths
    def _variance(self, influence: np.ndarray) -> float:
        """Variance of a total of influence values: PSUs with replacement within strata."""
        totals = np.bincount(self._psu, weights=influence, minlength=self.n_psu)
        n_h = self._psu_per_stratum
        sums = np.bincount(self._psu_stratum, weights=totals, minlength=self.n_strata)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(n_h > 0, sums / np.maximum(n_h, 1), 0.0)
        dev = totals - means[self._psu_stratum]
        scale = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 1.0)[self._psu_stratum]
        lonely_psu = n_h[self._psu_stratum] == 1
        if self.single_psu == "center":
            # R's 'adjust': centre a lonely PSU at the average PSU total of the whole design
            # (colSums(x) / all PSUs in survey:::onestage), which is 0 only when the influence
            # values sum to zero (means, proportions) -- not for totals.
            dev = np.where(lonely_psu, totals - totals.sum() / self.n_psu, dev)
        else:  # remove (fail never gets here)
            dev = np.where(lonely_psu, 0.0, dev)
        return float(np.sum(scale * dev**2))

    def _ratio(self, y: np.ndarray, rows: np.ndarray, n_missing: int, ci: str = "wald") -> pd.Series:
        """Weighted mean of ``y`` over ``rows`` (a domain), with its linearised variance."""
        n = int(rows.sum())
        if n == 0:
            raise SurveyDesignError("no respondents with a non-zero weight in this group: nothing to estimate")
        w = np.where(rows, self._w, 0.0)
        wsum = w.sum()
        yy = np.where(rows, y, 0.0)
        mean = float(np.sum(w * yy) / wsum)
        influence = w * (yy - mean) / wsum
        var = self._variance(influence)
        se = math.sqrt(var)
        crit = critical_value(self.df)
        low, high = mean - crit * se, mean + crit * se
        if ci == "logit":
            if 0.0 < mean < 1.0:
                logit = math.log(mean / (1.0 - mean))
                half = crit * se / (mean * (1.0 - mean))
                low, high = 1.0 / (1.0 + math.exp(-(logit - half))), 1.0 / (1.0 + math.exp(-(logit + half)))
            else:  # no logit interval at 0 or 1; report the degenerate Wald interval
                low, high = mean, mean
        deff_value = math.nan
        if n > 1:
            # R survey: svyvar(x) * (N - n) / (N * n), svyvar with divisor n - 1.
            s2 = float(np.sum(w * (yy - mean) ** 2) / wsum) * n / (n - 1)
            vsrs = s2 * (wsum - n) / (wsum * n) if wsum > n else math.nan
            deff_value = var / vsrs if vsrs and vsrs > 0 else math.nan
        return make_result(
            mean, se=se, ci_low=low, ci_high=high, n=n, df=self.df, deff=deff_value, n_missing=n_missing,
        )

    # ------------------------------------------------------------ public API
    def mean(self, column: str, by: str | None = None, *, na_rm: bool = False) -> pd.Series | pd.DataFrame:
        """Design-based mean of a numeric (or 0/1, boolean) column.

        Parameters
        ----------
        column : str
            The outcome.
        by : str, optional
            A grouping column: one row per group (a domain estimate).
        na_rm : bool, default False
            Estimate from the respondents with a value; otherwise missing
            values raise an error that says how many there are.

        Returns
        -------
        pandas.Series or pandas.DataFrame
            ``estimate``, ``se``, ``ci_low``, ``ci_high`` (95%, t with ``df``),
            ``n`` (unweighted respondents used), ``df``, ``deff``, ``n_missing``.

        Examples
        --------
        >>> from course_utils.simulate import nsduh_like
        >>> svy = SurveyDesign(nsduh_like(n=5_000, seed=3), weight="ANALWT2_C", strata="VESTR_C", psu="VEREP")
        >>> round(float(svy.mean("KSSLR6MON")["estimate"]), 2)
        3.77
        """
        values = self._outcome(column)
        if isinstance(values.dtype, pd.CategoricalDtype) or not (
            pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
        ):
            raise TypeError(
                f"mean() needs a numeric outcome, but {column!r} has dtype {values.dtype}. For the share of "
                f"each category use proportion({column!r}); to average category codes, convert them with "
                "pd.to_numeric first."
            )
        keep = self._missing(values, column, na_rm)
        y = values.astype("float64").to_numpy(na_value=np.nan)
        return self._collect(y, keep, by, values.isna().to_numpy())

    def proportion(
        self, column: str, by: str | None = None, *, na_rm: bool = False, ci: str = "wald"
    ) -> pd.Series | pd.DataFrame:
        """Design-based proportion: of 1/True in a 0/1 or boolean column, or of each category.

        Parameters
        ----------
        column : str
            A boolean column, a numeric column holding only 0 and 1, or a
            categorical / text column (then every category gets a row).
        by : str, optional
            A grouping column (domain estimates).
        na_rm : bool, default False
            As in :meth:`mean`.
        ci : {"wald", "logit"}, default "wald"
            ``"wald"``: estimate ± t·SE (R's ``confint(svymean(...))``).
            ``"logit"``: the interval is built on the log-odds scale and
            transformed back, so it stays inside 0–1 and is asymmetric — better
            for rare outcomes such as kratom use (R's
            ``svyciprop(..., method = "logit")``).

        Returns
        -------
        pandas.Series or pandas.DataFrame
            For a 0/1 column without ``by``: one result Series.  With ``by``:
            one row per group.  For a categorical column: one row per category
            (and per group, with a two-level index, when ``by`` is given).

        Examples
        --------
        >>> from course_utils.simulate import nsduh_like
        >>> svy = SurveyDesign(nsduh_like(n=5_000, seed=3), weight="ANALWT2_C", strata="VESTR_C", psu="VEREP")
        >>> svy.proportion("CATAG6").index.tolist()
        ['18-25', '26-34', '35-49', '50-64', '65+']
        """
        if ci not in ("wald", "logit"):
            raise ValueError(f"ci must be 'wald' or 'logit', got {ci!r}")
        values = self._outcome(column)
        keep = self._missing(values, column, na_rm)
        missing = values.isna().to_numpy()
        categorical = isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(values) \
            or values.dtype == object
        if not categorical:
            if pd.api.types.is_bool_dtype(values):
                y = values.astype("float64").to_numpy(na_value=np.nan)
            else:
                y = values.astype("float64").to_numpy(na_value=np.nan)
                seen = np.unique(y[~np.isnan(y)])
                if not np.isin(seen, (0.0, 1.0)).all():
                    shown = ", ".join(f"{v:g}" for v in seen[:8])
                    raise ValueError(
                        f"proportion() of a numeric column needs 0/1 values, but {column!r} holds {shown}. "
                        f"Use mean({column!r}) for a score, compare it with a cut-off first "
                        f"(e.g. df[{column!r}] >= 13), or convert codes to a categorical for one row per code."
                    )
            return self._collect(y, keep, by, missing, ci)
        levels = list(values.cat.categories) if isinstance(values.dtype, pd.CategoricalDtype) else sorted(
            values.dropna().unique().tolist(), key=str)
        rows = {}
        for level in levels:
            y = (values == level).fillna(False).astype("float64").to_numpy()
            est = self._collect(y, keep, by, missing, ci)
            if by is None:
                rows[level] = est
            else:
                for group, row in est.iterrows():
                    rows[(group, level)] = row
        frame = result_frame(rows, column if by is None else None)
        if by is not None:
            frame.index = pd.MultiIndex.from_tuples(frame.index, names=[by, column])
            frame = frame.sort_index(level=0, sort_remaining=False)
        return frame

    def total(self, column: str, by: str | None = None, *, na_rm: bool = False) -> pd.Series | pd.DataFrame:
        """Design-based total (e.g. the estimated number of people with a 0/1 condition).

        Examples
        --------
        >>> from course_utils.simulate import nsduh_like
        >>> svy = SurveyDesign(nsduh_like(n=5_000, seed=3), weight="ANALWT2_C", strata="VESTR_C", psu="VEREP")
        >>> f"{svy.total('kratom_py')['estimate']:.3g}"
        '1.77e+06'
        """
        values = self._outcome(column)
        if isinstance(values.dtype, pd.CategoricalDtype) or not (
            pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
        ):
            raise TypeError(f"total() needs a numeric or 0/1 outcome, but {column!r} has dtype {values.dtype}")
        keep = self._missing(values, column, na_rm)
        y = np.nan_to_num(values.astype("float64").to_numpy(na_value=np.nan))
        crit = critical_value(self.df)
        rows = {}
        missing = values.isna().to_numpy()
        everyone = np.ones_like(keep)
        for (group, mask), (_, in_group) in zip(self._groups(by, keep), self._groups(by, everyone)):
            influence = np.where(mask, self._w * y, 0.0)
            est = float(influence.sum())
            se = math.sqrt(self._variance(influence))
            rows[group] = make_result(est, se=se, ci_low=est - crit * se, ci_high=est + crit * se,
                                      n=int(mask.sum()), df=self.df, n_missing=int((missing & in_group).sum()))
        return rows[None] if by is None else result_frame(rows, by)

    def _collect(
        self, y: np.ndarray, keep: np.ndarray, by: str | None, missing: np.ndarray, ci: str = "wald"
    ) -> pd.Series | pd.DataFrame:
        everyone = np.ones_like(keep)
        rows = {
            group: self._ratio(y, mask, int((missing & in_group).sum()), ci)
            for (group, mask), (_, in_group) in zip(self._groups(by, keep), self._groups(by, everyone))
        }
        if by is None:
            return rows[None]
        return result_frame(rows, by)

    def __repr__(self) -> str:
        return (
            f"SurveyDesign({len(self.data)} respondents, weight={self.weight!r}, strata={self.strata!r} "
            f"({self.n_strata}), psu={self.psu!r} ({self.n_psu}), df={self.df})"
        )
