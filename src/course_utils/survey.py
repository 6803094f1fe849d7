"""Design-based estimates from a weighted, stratified, clustered survey sample.

Surveys such as NSDUH do not sample people with equal probability: some groups
are oversampled, people are drawn in clusters (primary sampling units, PSUs)
within strata, and each respondent carries an analysis weight (the number of
people they stand for).  :class:`SurveyDesign` turns those pieces into
estimates whose standard errors reflect the design:

* point estimates are weighted (ratios of weighted sums; weighted regression);
* variances use Taylor linearisation.  Without a finite-population correction
  (``fpc``) PSUs are treated as drawn with replacement within strata (the
  "ultimate cluster" approximation NSDUH analyses use).  With ``fpc`` the
  correction ``1 - n/N`` is applied and, for a multistage design (``psu`` and
  ``fpc`` with one column per stage), every stage adds its share of the
  variance, as R's ``svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2)`` does;
* confidence intervals use Student's *t* with degrees of freedom
  ``#PSUs − #strata`` of the whole design (see *Domains* below);
* the design effect (``deff``) is the design variance divided by the variance
  the same estimate would have from a simple random sample of the same size
  (drawn without replacement from a population of size ``sum(weights)``), the
  definition R's ``survey`` package uses for ``svymean(..., deff=TRUE)``.

Methods: :meth:`~SurveyDesign.mean`, :meth:`~SurveyDesign.proportion`,
:meth:`~SurveyDesign.total`, :meth:`~SurveyDesign.ratio`,
:meth:`~SurveyDesign.glm` (design-based linear and logistic regression, R's
``svyglm``) and :meth:`~SurveyDesign.chisq` (the Rao–Scott test of
independence, R's ``svychisq``).

Domains and degrees of freedom
------------------------------
A domain (a ``by=`` group, or the respondents with a value when
``dropna=True``) keeps every PSU of the design: rows outside it contribute
zero, as R's ``svyby`` and ``subset()`` do, so a small domain does not lose its
design.  Its interval uses the **whole design's** degrees of freedom by
default (``df="design"``, what ``confint(svyby(...), df = degf(design))``
gives and what SUDAAN and Stata report).  ``df="domain"`` uses the domain's
own: PSUs with at least one domain member minus strata with at least one, R's
``degf(subset(design, ...))`` (what ``svyciprop`` and ``svyglm`` on a subset
use).  The two differ only when a domain is absent from whole PSUs or strata.

Missing values and zero weights
-------------------------------
One policy, as everywhere in the course: a missing value in a column an
estimate uses raises an error that says how many there are; ``dropna=True``
estimates from the complete rows (a domain of the design), warns how many
rows were left out and records it in the result's ``n_dropped``.  Rows with a
zero weight keep their PSU in the design but enter no estimate; the design
warns when it is built, ``n`` counts only rows with a positive weight and
``n_zero_weight`` says how many were left out.

The numbers agree with R's ``survey`` package (Lumley) — see
``tests/test_survey.py`` for the R calls and values.

Examples
--------
>>> import pandas as pd
>>> from course_utils.survey import SurveyDesign
>>> df = pd.DataFrame({"y": [1, 0, 1, 1, 0, 0], "w": [1, 2, 1, 2, 1, 2],
...                    "h": [1, 1, 1, 2, 2, 2], "psu": [1, 2, 3, 1, 2, 3]})
>>> design = SurveyDesign(df, weight="w", strata="h", psu="psu", nest=True)
>>> round(float(design.proportion("y")["estimate"]), 4)
0.4444
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from course_utils._survey_variance import Stage, Stages, factorize, stage_from_codes
from course_utils._validate import CourseInputError, handle_missing
from course_utils.results import critical_value, make_result, result_frame

__all__ = ["SurveyDesign", "SurveyDesignError", "SurveyColumnError", "SINGLE_PSU_OPTIONS"]

#: Ways to handle a stratum with a single PSU (R's ``options(survey.lonely.psu=...)``).
SINGLE_PSU_OPTIONS: dict[str, str] = {
    "fail": "raise an error (default; R 'fail')",
    "center": "the lonely PSU's total is centred at the whole-sample average instead of its stratum's "
    "(R 'adjust'): a conservative choice",
    "remove": "the stratum contributes nothing to the variance (R 'remove'); underestimates it",
}

DfRule = Literal["design", "domain"]
Columns = str | Sequence[str] | None
Group = tuple[Hashable, np.ndarray]


class SurveyDesignError(CourseInputError):
    """The survey design (weights, strata, PSUs, fpc) cannot support the requested estimate."""


class SurveyColumnError(CourseInputError, KeyError):
    """A column named in a survey call is not in the data (a ``KeyError`` and a ``CourseInputError``)."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


def _close(name: object, options: list[str]) -> str:
    same = [str(o) for o in options if str(o).casefold() == str(name).casefold()]
    close = same or difflib.get_close_matches(str(name), [str(o) for o in options], n=3, cutoff=0.5)
    return f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _rows(mask: np.ndarray | pd.Series, index: pd.Index, limit: int = 5) -> str:
    labels = index[np.asarray(mask)]
    shown = ", ".join(str(v) for v in labels[:limit])
    return shown + (", ..." if len(labels) > limit else "")


def _label(value: object) -> str:
    """A code as a learner typed it (``148``, not ``np.int64(148)``)."""
    item = value.item() if isinstance(value, np.generic) else value
    return repr(item)


def _as_list(columns: Columns, role: str) -> list[str]:
    if columns is None:
        return []
    if isinstance(columns, str):
        return [columns]
    if isinstance(columns, Sequence) and all(isinstance(c, str) for c in columns):
        return list(columns)
    raise TypeError(f"{role} is a column name or a list of column names (one per stage), got {columns!r}")


class SurveyDesign:
    """A survey sample with its weights, strata, PSUs (and fpc), ready for design-based estimates.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    weight : str
        Column with the analysis weights (positive numbers; a zero weight
        removes a row from every estimate but keeps its PSU in the design, and
        the design warns about it).
    strata : str, optional
        Column identifying the (first-stage) variance strata.  Omit for an
        unstratified design.
    psu : str or list of str, optional
        Column identifying the primary sampling units, or one column per stage
        of a multistage design (``["dnum", "snum"]`` for R's
        ``id = ~dnum + snum``); each stage's units are read within the unit of
        the stage above.  Omit when each respondent is its own PSU.
    single_psu : {"fail", "center", "remove"}, default "fail"
        What to do with a stratum that has only one PSU, whose variance cannot
        be estimated; see :data:`SINGLE_PSU_OPTIONS`.
    fpc : str or list of str, optional
        Finite-population correction, one column per stage (as ``psu``; one
        column when ``psu`` is omitted): either the number of units in the
        stratum's population (constant within a stratum) or, if every value
        of the column is at most 1, the sampling fraction.  Without it, PSUs
        count as drawn with replacement and only the first stage enters the
        variance.
    nest : bool, default False
        ``True`` when PSU codes are numbered *within* strata, so that the same
        code in two strata means two different PSUs (NSDUH's ``VEREP`` = 1 or
        2 in every stratum; R's ``nest = TRUE``).  With ``False`` a PSU code
        found in two strata is an error, because it usually means the strata
        or PSU column is wrong.

    Raises
    ------
    SurveyColumnError
        A named column is not in ``data`` (a ``KeyError``; the message suggests
        close matches).
    TypeError
        ``data`` is not a DataFrame, or the weights or fpc are not numeric.
    SurveyDesignError
        Missing, negative, infinite or all-zero weights; missing strata or PSU
        codes; a PSU in two strata without ``nest=True``; an fpc smaller than
        the number of units sampled, varying within a stratum or not one
        column per stage; a single-PSU stratum with ``single_psu="fail"``.

    Warns
    -----
    UserWarning
        Some rows have a zero weight (they are counted in ``n_zero_weight``).

    Examples
    --------
    >>> from course_utils.simulate import nsduh_like
    >>> svy = SurveyDesign(nsduh_like(n=5_000, seed=3), weight="ANALWT2_C", strata="VESTR_C", psu="VEREP",
    ...                    nest=True)
    >>> svy.n_strata, svy.n_psu, svy.df
    (50, 100, 50)
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weight: str,
        strata: str | None = None,
        psu: str | Sequence[str] | None = None,
        single_psu: str = "fail",
        *,
        fpc: str | Sequence[str] | None = None,
        nest: bool = False,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame (one row per respondent), got {type(data).__name__}")
        if len(data) == 0:
            raise SurveyDesignError("data has no rows: there is nothing to estimate from")
        if single_psu not in SINGLE_PSU_OPTIONS:
            raise ValueError(
                f"single_psu must be one of {', '.join(repr(k) for k in SINGLE_PSU_OPTIONS)}, got {single_psu!r}"
            )
        psu_cols = _as_list(psu, "psu")
        fpc_cols = _as_list(fpc, "fpc")
        self.data = data
        self.weight, self.strata = weight, strata
        self.psu: str | list[str] | None = psu_cols[0] if len(psu_cols) == 1 else (psu_cols or None)
        self.fpc: str | list[str] | None = fpc_cols[0] if len(fpc_cols) == 1 else (fpc_cols or None)
        self.single_psu, self.nest = single_psu, bool(nest)
        self._require_column(weight, "weight")
        if strata is not None:
            self._require_column(strata, "strata")
        for col in psu_cols:
            self._require_column(col, "psu")
        for col in fpc_cols:
            self._require_column(col, "fpc")
        if fpc_cols and len(fpc_cols) != max(1, len(psu_cols)):
            raise SurveyDesignError(
                f"fpc needs one column per stage of sampling: psu names {max(1, len(psu_cols))} stage(s) "
                f"({psu_cols or 'respondents'}), fpc names {len(fpc_cols)} ({fpc_cols})"
            )

        self._w = self._weights(data[weight])
        index = data.index
        if strata is not None:
            s = data[strata]
            if s.isna().any():
                raise SurveyDesignError(
                    f"stratum column {strata!r} has {int(s.isna().sum())} missing value(s) (rows "
                    f"{_rows(s.isna(), index)}); every respondent needs a stratum — fix or drop those rows first"
                )
            strat_codes, n_strata = factorize(s)
            self._strat_labels = pd.Index(pd.unique(s.sort_values()))
        else:
            strat_codes, n_strata = np.zeros(len(data), dtype=np.int64), 1
            self._strat_labels = pd.Index(["(all)"])
        self._stages = Stages(self._build_stages(strat_codes, n_strata, psu_cols, fpc_cols), bool(fpc_cols),
                              single_psu)
        first = self._stages.stages[0]
        self._strata_codes = strat_codes
        self._psu = first.unit
        self.n_strata = n_strata
        self.n_psu = first.n_units
        self.df = self.n_psu - self.n_strata
        self._check_lonely(first, strata)
        if self.df <= 0 and psu_cols:
            raise SurveyDesignError(
                f"the design has {self.n_psu} PSUs in {self.n_strata} strata, so no degrees of freedom are left "
                "for a variance (df = PSUs − strata); check the strata and psu columns"
            )
        self.n_zero_weight = int((self._w == 0).sum())
        if self.n_zero_weight:
            warnings.warn(
                f"{self.n_zero_weight} row(s) have weight 0 in {weight!r} (rows {_rows(self._w == 0, index)}): "
                "they keep their PSUs in the design but enter no estimate, so each result's n counts only rows "
                "with a positive weight and n_zero_weight says how many were left out",
                UserWarning,
                stacklevel=2,
            )

    # ------------------------------------------------------------ design structure
    def _build_stages(self, strat_codes: np.ndarray, n_strata: int, psu_cols: list[str],
                      fpc_cols: list[str]) -> tuple[Stage, ...]:
        data = self.data
        if not psu_cols:
            unit, n_units = np.arange(len(data), dtype=np.int64), len(data)
            return (self._stage(unit, strat_codes, n_units, n_strata, fpc_cols[0] if fpc_cols else None, 1),)
        stages: list[Stage] = []
        stratum, k_strata = strat_codes, n_strata
        for depth, col in enumerate(psu_cols, start=1):
            p = data[col]
            if p.isna().any():
                raise SurveyDesignError(
                    f"PSU column {col!r} has {int(p.isna().sum())} missing value(s) (rows "
                    f"{_rows(p.isna(), data.index)}); every respondent needs a unit at every stage — fix or drop "
                    "those rows first"
                )
            if depth == 1 and not self.nest and self.strata is not None:
                self._check_nesting(p, col)
            if depth == 1 and not self.nest:
                unit, n_units = factorize(p)
            else:
                unit, n_units = factorize(pd.MultiIndex.from_arrays([stratum, p.to_numpy()]))
            stage = self._stage(unit, stratum, n_units, k_strata, fpc_cols[depth - 1] if fpc_cols else None,
                                depth)
            stages.append(stage)
            stratum, k_strata = unit, n_units  # the next stage is drawn within these units
        return tuple(stages)

    def _check_nesting(self, p: pd.Series, col: str) -> None:
        assert self.strata is not None
        per_psu = self.data.groupby(p.to_numpy(), sort=True)[self.strata].nunique()
        shared = per_psu[per_psu > 1]
        if len(shared):
            first = shared.index[0]
            where = sorted(self.data.loc[p.to_numpy() == first, self.strata].unique().tolist(), key=str)
            raise SurveyDesignError(
                f"{len(shared)} PSU code(s) of {col!r} appear in more than one stratum of {self.strata!r} (PSU "
                f"{_label(first)} is in strata {', '.join(map(str, where[:5]))}). A PSU is drawn within one stratum. If "
                f"{col!r} numbers the PSUs within each stratum (as NSDUH's VEREP = 1, 2 does), pass nest=True; "
                "otherwise check the strata and psu columns."
            )

    def _stage(self, unit: np.ndarray, stratum: np.ndarray, n_units: int, n_strata: int, fpc_col: str | None,
               depth: int) -> Stage:
        stage = stage_from_codes(unit, stratum, n_units, n_strata, None)
        if fpc_col is None:
            return stage
        raw = self.data[fpc_col]
        if pd.api.types.is_bool_dtype(raw) or not pd.api.types.is_numeric_dtype(raw):
            raise TypeError(f"fpc column {fpc_col!r} must be numeric (population sizes or sampling fractions), "
                            f"got dtype {raw.dtype}")
        values = raw.astype("float64").to_numpy(na_value=np.nan)
        if np.isnan(values).any() or (values <= 0).any() or np.isinf(values).any():
            bad = np.isnan(values) | (values <= 0) | np.isinf(values)
            raise SurveyDesignError(
                f"fpc column {fpc_col!r} has {int(bad.sum())} missing, zero, negative or infinite value(s) (rows "
                f"{_rows(bad, raw.index)}); it must hold the population size (or sampling fraction) of every "
                "respondent's stratum"
            )
        low = np.full(n_strata, np.inf)
        high = np.full(n_strata, -np.inf)
        np.minimum.at(low, stratum, values)
        np.maximum.at(high, stratum, values)
        varying = np.flatnonzero(~np.isclose(low, high))
        if len(varying):
            raise SurveyDesignError(
                f"fpc column {fpc_col!r} (stage {depth}) varies within {len(varying)} stratum/strata: the "
                "population size is one number per stratum"
            )
        fractions = bool((values <= 1).all())
        population = stage.sampled / low if fractions else low
        over = np.flatnonzero(population < stage.sampled - 1e-9)
        if len(over):
            i = over[0]
            raise SurveyDesignError(
                f"fpc column {fpc_col!r} (stage {depth}) says a stratum has {population[i]:g} units in the "
                f"population, but the sample has {int(stage.sampled[i])} units from it ({len(over)} stratum/strata "
                "like this): the fpc must be the population size, at least the number sampled (or, if every value "
                "is at most 1, the sampling fraction). Check that you passed the population-size column for this "
                "stage."
            )
        return Stage(stage.unit, stage.unit_stratum, stage.n_units, stage.n_strata, stage.sampled, population)

    def _check_lonely(self, first: Stage, strata: str | None) -> None:
        lonely = np.flatnonzero(first.sampled == 1)
        census = first.fraction >= 1 - 1e-7
        lonely = lonely[~census[lonely]]
        if len(lonely) and self.single_psu == "fail":
            names = ", ".join(str(self._strat_labels[i]) for i in lonely[:10]) + (", ..." if len(lonely) > 10 else "")
            raise SurveyDesignError(
                f"{len(lonely)} stratum/strata of {strata!r} have a single PSU ({names}), so their sampling "
                "variance cannot be estimated. Collapse each such stratum with a similar one, or choose a "
                "documented approximation: single_psu='center' (conservative, R's 'adjust') or "
                "single_psu='remove'."
            )
        for depth, stage in enumerate(self._stages.stages[1:], start=2):
            alone = (stage.sampled == 1) & (stage.fraction < 1 - 1e-7)
            if alone.any() and self.single_psu == "fail":
                raise SurveyDesignError(
                    f"{int(alone.sum())} unit(s) of stage {depth - 1} have a single sampled unit at stage {depth} "
                    "that is not the whole population, so that stage's variance cannot be estimated there; pass "
                    "single_psu='center' or 'remove' (R: options(survey.lonely.psu = ...))"
                )

    # ------------------------------------------------------------ validation
    def _require_column(self, col: object, role: str) -> None:
        if not isinstance(col, Hashable) or col not in self.data.columns:
            raise SurveyColumnError(
                f"{role} column {col!r} is not in the data.{_close(col, list(map(str, self.data.columns)))} "
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
        return np.asarray(w, dtype="float64")

    def _outcome(self, column: str, role: str = "outcome") -> pd.Series:
        self._require_column(column, role)
        return self.data[column]

    def _groups(self, by: str | None, keep: np.ndarray) -> list[Group]:
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

    def _missing(self, columns: dict[str, pd.Series], dropna: bool) -> tuple[np.ndarray, np.ndarray]:
        """(usable rows, missing rows): raise on missing values unless ``dropna``; refuse infinite values."""
        missing = np.zeros(len(self.data), dtype=bool)
        counts: dict[str, int] = {}
        for name, values in columns.items():
            m = values.isna().to_numpy()
            if m.any():
                counts[name] = int(m.sum())
            missing |= m
            if (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
                    and not isinstance(values.dtype, pd.CategoricalDtype)):
                infinite = np.isinf(values.astype("float64").to_numpy(na_value=np.nan))
                if infinite.any():
                    raise SurveyDesignError(
                        f"outcome {name!r} has {int(infinite.sum())} infinite value(s) (rows "
                        f"{_rows(infinite, values.index)}); an infinite value has no mean. Check how the column "
                        "was computed (e.g. a division by zero) and recode those rows to a value or to missing."
                    )
        if counts:
            # the course's one missing-value policy (course_utils._validate): raise, or drop with a warning
            handle_missing(pd.DataFrame(columns), list(columns), dropna, "the survey", error=SurveyDesignError)
        return ~missing & (self._w > 0), missing

    def _df(self, rows: np.ndarray, rule: DfRule | str) -> int:
        if rule == "design":
            return self.df
        if rule != "domain":
            raise ValueError(f"df must be 'design' (PSUs − strata of the whole design) or 'domain', got {rule!r}")
        psus = np.unique(self._psu[rows])
        strata = np.unique(self._strata_codes[rows])
        df = len(psus) - len(strata)
        if df <= 0:
            raise SurveyDesignError(
                f"this domain lies in {len(psus)} PSU(s) of {len(strata)} stratum/strata, which leaves no degrees "
                "of freedom of its own; use df='design'"
            )
        return df

    def _variance(self, influence: np.ndarray) -> float:
        return self._stages.variance1(influence)

    # ------------------------------------------------------------ core maths
    def _ratio(self, y: np.ndarray, rows: np.ndarray, n_dropped: int, ci: str = "wald",
               df_rule: DfRule | str = "design", level: float = 0.95, n_zero: int = 0) -> pd.Series:
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
        df = self._df(rows, df_rule)
        crit = critical_value(df, level)
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
            mean, se=se, ci_low=low, ci_high=high, n=n, df=float(df), deff=deff_value, n_dropped=float(n_dropped),
            n_zero_weight=float(n_zero),
        )

    def _zero(self, mask: np.ndarray) -> int:
        return int(((self._w == 0) & mask).sum())

    # ------------------------------------------------------------ public API
    def mean(self, column: str, by: str | None = None, *, dropna: bool = False, df: DfRule = "design",
             level: float = 0.95) -> pd.Series | pd.DataFrame:
        """Design-based mean of a numeric (or 0/1, boolean) column.

        Parameters
        ----------
        column : str
            The outcome.
        by : str, optional
            A grouping column: one row per group (a domain estimate).
        dropna : bool, default False
            Estimate from the respondents with a value (with a warning saying
            how many were left out); otherwise missing values raise an error
            that says how many there are.
        df : {"design", "domain"}, default "design"
            Degrees of freedom of the interval: the whole design's, or the
            domain's own (R's ``degf(subset(...))``); see the module docstring.
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        pandas.Series or pandas.DataFrame
            ``estimate``, ``se``, ``ci_low``, ``ci_high`` (t with ``df``),
            ``n`` (unweighted respondents used), ``df``, ``deff``,
            ``n_dropped`` (rows left out for missing values) and
            ``n_zero_weight``; one row per group with ``by``.

        Examples
        --------
        >>> from course_utils.simulate import nsduh_like
        >>> svy = SurveyDesign(nsduh_like(n=5_000, seed=3), weight="ANALWT2_C", strata="VESTR_C", psu="VEREP",
        ...                    nest=True)
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
        keep, missing = self._missing({column: values}, dropna)
        y = values.astype("float64").to_numpy(na_value=np.nan)
        return self._collect(y, keep, by, missing, "wald", df, level)

    def proportion(
        self, column: str, by: str | None = None, *, dropna: bool = False, ci: str = "wald",
        df: DfRule = "design", level: float = 0.95,
    ) -> pd.Series | pd.DataFrame:
        """Design-based proportion: of 1/True in a 0/1 or boolean column, or of each category.

        Parameters
        ----------
        column : str
            A boolean column, a numeric column holding only 0 and 1, or a
            categorical / text column (then every category gets a row).
        by : str, optional
            A grouping column (domain estimates).
        dropna : bool, default False
            As in :meth:`mean`.
        ci : {"wald", "logit"}, default "wald"
            ``"wald"``: estimate ± t·SE (R's ``confint(svymean(...))``).
            ``"logit"``: the interval is built on the log-odds scale and
            transformed back, so it stays inside 0–1 and is asymmetric — better
            for rare outcomes such as kratom use (R's
            ``svyciprop(..., method = "logit")``).
        df : {"design", "domain"}, default "design"
            As in :meth:`mean`.
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        pandas.Series or pandas.DataFrame
            For a 0/1 column without ``by``: one result Series (fields as in
            :meth:`mean`).  With ``by``: one row per group.  For a categorical
            column: one row per category (and per group, with a two-level
            index, when ``by`` is given).

        Examples
        --------
        >>> from course_utils.simulate import nsduh_like
        >>> svy = SurveyDesign(nsduh_like(n=5_000, seed=3), weight="ANALWT2_C", strata="VESTR_C", psu="VEREP",
        ...                    nest=True)
        >>> svy.proportion("CATAG6").index.tolist()
        ['18-25', '26-34', '35-49', '50-64', '65+']
        """
        if ci not in ("wald", "logit"):
            raise ValueError(f"ci must be 'wald' or 'logit', got {ci!r}")
        values = self._outcome(column)
        keep, missing = self._missing({column: values}, dropna)
        categorical = isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(values) \
            or values.dtype == object
        if not categorical:
            y = values.astype("float64").to_numpy(na_value=np.nan)
            if not pd.api.types.is_bool_dtype(values):
                seen = np.unique(y[~np.isnan(y)])
                if not np.isin(seen, (0.0, 1.0)).all():
                    shown = ", ".join(f"{v:g}" for v in seen[:8])
                    raise ValueError(
                        f"proportion() of a numeric column needs 0/1 values, but {column!r} holds {shown}. "
                        f"Use mean({column!r}) for a score, compare it with a cut-off first "
                        f"(e.g. df[{column!r}] >= 13), or convert codes to a categorical for one row per code."
                    )
            return self._collect(y, keep, by, missing, ci, df, level)
        levels = list(values.cat.categories) if isinstance(values.dtype, pd.CategoricalDtype) else sorted(
            values.dropna().unique().tolist(), key=str)
        rows: dict[Hashable, pd.Series] = {}
        for lv in levels:
            y = (values == lv).fillna(False).astype("float64").to_numpy()
            est = self._collect(y, keep, by, missing, ci, df, level)
            if isinstance(est, pd.Series):
                rows[lv] = est
            else:
                for group, row in est.iterrows():
                    rows[(group, lv)] = row
        frame = result_frame(rows, column if by is None else None)
        if by is not None:
            frame.index = pd.MultiIndex.from_tuples(list(frame.index), names=[by, column])
            frame = frame.sort_index(level=0, sort_remaining=False)
        return frame

    def total(self, column: str, by: str | None = None, *, dropna: bool = False, df: DfRule = "design",
              level: float = 0.95) -> pd.Series | pd.DataFrame:
        """Design-based total (e.g. the estimated number of people with a 0/1 condition).

        Parameters
        ----------
        column : str
            A numeric, 0/1 or boolean column.
        by : str, optional
            A grouping column (domain totals).
        dropna : bool, default False
            As in :meth:`mean`.
        df : {"design", "domain"}, default "design"
            As in :meth:`mean`.
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        pandas.Series or pandas.DataFrame
            ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n``, ``df``,
            ``n_dropped``, ``n_zero_weight``.

        Examples
        --------
        >>> from course_utils.simulate import nsduh_like
        >>> svy = SurveyDesign(nsduh_like(n=5_000, seed=3), weight="ANALWT2_C", strata="VESTR_C", psu="VEREP",
        ...                    nest=True)
        >>> f"{svy.total('kratom_py')['estimate']:.3g}"
        '1.77e+06'
        """
        values = self._outcome(column)
        if isinstance(values.dtype, pd.CategoricalDtype) or not (
            pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
        ):
            raise TypeError(f"total() needs a numeric or 0/1 outcome, but {column!r} has dtype {values.dtype}")
        keep, missing = self._missing({column: values}, dropna)
        y = np.nan_to_num(values.astype("float64").to_numpy(na_value=np.nan))
        rows: dict[Hashable, pd.Series] = {}
        everyone = np.ones_like(keep)
        for (group, mask), (_, in_group) in zip(self._groups(by, keep), self._groups(by, everyone)):
            influence = np.where(mask, self._w * y, 0.0)
            est = float(influence.sum())
            se = math.sqrt(self._variance(influence))
            dfv = self._df(mask, df)
            crit = critical_value(dfv, level)
            rows[group] = make_result(est, se=se, ci_low=est - crit * se, ci_high=est + crit * se,
                                      n=int(mask.sum()), df=float(dfv),
                                      n_dropped=float((missing & in_group).sum()),
                                      n_zero_weight=float(self._zero(in_group & ~missing)))
        return rows[None] if by is None else result_frame(rows, by)

    def ratio(self, numerator: str, denominator: str, by: str | None = None, *, dropna: bool = False,
              df: DfRule = "design", level: float = 0.95) -> pd.Series | pd.DataFrame:
        """Design-based ratio of two totals, ``total(numerator) / total(denominator)`` (R's ``svyratio``).

        Its variance is linearised: the influence value of a row is
        ``w * (y - R x) / X``, with ``X`` the estimated denominator total.  A
        mean is the ratio with a denominator of ones; ratios such as "tested
        students per enrolled student" or "episodes per person-year" need both
        parts to vary.

        Parameters
        ----------
        numerator, denominator : str
            Numeric (or 0/1, boolean) columns.
        by : str, optional
            A grouping column (one ratio per domain).
        dropna : bool, default False
            Drop rows missing either value (with a warning), as R's
            ``na.rm = TRUE``; otherwise they raise an error.
        df : {"design", "domain"}, default "design"
            Degrees of freedom of the interval; see the module docstring.
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        pandas.Series or pandas.DataFrame
            ``estimate`` (the ratio), ``se``, ``ci_low``, ``ci_high``, ``n``,
            ``df``, ``n_dropped``, ``n_zero_weight``.

        Raises
        ------
        SurveyDesignError
            The estimated denominator total is zero.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"y": [2.0, 1.0, 4.0, 3.0], "x": [1.0, 1.0, 2.0, 2.0], "w": [1.0, 1.0, 1.0, 1.0]})
        >>> float(SurveyDesign(df, weight="w").ratio("y", "x")["estimate"])
        1.6666666666666667
        """
        values = {}
        for column in (numerator, denominator):
            v = self._outcome(column, "ratio")
            if isinstance(v.dtype, pd.CategoricalDtype) or not (
                pd.api.types.is_numeric_dtype(v) or pd.api.types.is_bool_dtype(v)
            ):
                raise TypeError(f"ratio() needs numeric columns, but {column!r} has dtype {v.dtype}; convert it "
                                "with pd.to_numeric or make a 0/1 indicator first")
            values[column] = v
        keep, missing = self._missing(values, dropna)
        y = np.nan_to_num(values[numerator].astype("float64").to_numpy(na_value=np.nan))
        x = np.nan_to_num(values[denominator].astype("float64").to_numpy(na_value=np.nan))
        rows: dict[Hashable, pd.Series] = {}
        everyone = np.ones_like(keep)
        for (group, mask), (_, in_group) in zip(self._groups(by, keep), self._groups(by, everyone)):
            w = np.where(mask, self._w, 0.0)
            x_total = float(np.sum(w * x))
            if x_total == 0:
                raise SurveyDesignError(
                    f"the estimated total of the denominator {denominator!r} is 0"
                    + ("" if group is None else f" in group {group!r}") + ": the ratio is undefined"
                )
            r = float(np.sum(w * y)) / x_total
            se = math.sqrt(self._variance(w * (y - r * x) / x_total))
            dfv = self._df(mask, df)
            crit = critical_value(dfv, level)
            rows[group] = make_result(r, se=se, ci_low=r - crit * se, ci_high=r + crit * se, n=int(mask.sum()),
                                      df=float(dfv), n_dropped=float((missing & in_group).sum()),
                                      n_zero_weight=float(self._zero(in_group & ~missing)))
        return rows[None] if by is None else result_frame(rows, by)

    def glm(self, formula: str, family: str = "gaussian", *, odds_ratios: bool = False,
            df: str | float = "design", dropna: bool = False, level: float = 0.95,
            domain: str | None = None) -> pd.DataFrame:
        """Design-based linear or logistic regression (R's ``svyglm``), one row per term.

        The coefficients solve the weighted estimating equations (weighted
        least squares, or weighted logistic regression as R's
        ``family = quasibinomial``); their standard errors are
        Taylor-linearised (a sandwich whose middle is the design variance of
        the estimating-function totals), so weights, strata, clusters and fpc
        all count.

        Parameters
        ----------
        formula : str
            ``"outcome ~ term + term"`` (statsmodels/patsy syntax; categories
            get one coefficient per level but the first).
        family : {"gaussian", "binomial"}, default "gaussian"
            Linear regression, or logistic regression of a 0/1 outcome.
        odds_ratios : bool, default False
            For ``family="binomial"``: report ``exp(coefficient)`` and its
            interval (odds ratios); ``se`` stays on the log scale
            (``attrs["se_scale"] == "log"``).
        df : {"design", "domain", "residual"} or float, default "design"
            Degrees of freedom of the *t* intervals and p-values.  "design":
            PSUs − strata of the whole design (SUDAAN's and Stata's
            convention).  "domain": PSUs − strata among the rows the model
            uses (R's ``degf(subset(...))``).  "residual": R's
            ``summary(svyglm)`` / ``confint(svyglm)`` default, PSUs − strata −
            number of coefficients + 1, counted in the rows the model uses.
            A number (``math.inf`` for normal intervals) is used as given.
        dropna : bool, default False
            Fit on the rows with every model variable present (with a
            warning); otherwise missing values raise an error.
        level : float, default 0.95
            Confidence level.
        domain : str, optional
            A True/False (or 1/0) column: fit within that subpopulation (e.g.
            adults) while keeping every PSU and stratum of the design, as R's
            ``svyglm(..., design = subset(design, adult))``.  Rows outside
            contribute nothing; missing values count only inside.  Prefer it to
            dropping rows from the data, which changes the variance whenever a
            PSU or stratum loses all its rows.

        Returns
        -------
        pandas.DataFrame
            One row per term: ``estimate``, ``se``, ``ci_low``, ``ci_high``,
            ``n``, ``p_value``, ``df``, ``n_dropped``, ``n_zero_weight``; ``attrs`` holds
            ``family``, ``measure``, ``se_scale`` and ``method``.

        Raises
        ------
        SurveyDesignError
            A missing value without ``dropna``, a binomial outcome that is
            not 0/1, a model that cannot be estimated.

        Examples
        --------
        >>> from course_utils.simulate import nsduh_like
        >>> svy = SurveyDesign(nsduh_like(n=5_000, seed=3), weight="ANALWT2_C", strata="VESTR_C", psu="VEREP",
        ...                    nest=True)
        >>> fit = svy.glm("AMDEYR ~ kratom_py + CATAG6", family="binomial", odds_ratios=True)
        >>> fit.index.tolist()
        ['Intercept', 'CATAG6[T.26-34]', 'CATAG6[T.35-49]', 'CATAG6[T.50-64]', 'CATAG6[T.65+]', 'kratom_py']
        >>> fit.loc["kratom_py", ["estimate", "ci_low", "ci_high", "df"]].round(2).tolist()
        [0.61, 0.2, 1.9, 50.0]
        >>> fit.attrs["measure"]
        'odds ratio'
        """
        from course_utils._survey_glm import fit_glm

        return fit_glm(self, formula, family, odds_ratios=odds_ratios, df=df, dropna=dropna, level=level,
                       domain=domain)

    def chisq(self, row: str, column: str, *, dropna: bool = False) -> pd.Series:
        """Rao–Scott test of independence in a two-way table (R's ``svychisq``, its default ``"F"``).

        Pearson's X² of the weighted table (scaled to the number of rows) is
        divided by the mean generalised design effect and referred to an
        F distribution with ``d`` and ``d × df`` degrees of freedom, where
        ``d`` is Rao and Scott's second-order correction (Rao & Scott 1984).

        Parameters
        ----------
        row, column : str
            The two categorical (or 0/1, or coded) variables.
        dropna : bool, default False
            Test on the rows with both values (with a warning; R's default
            ``na.rm = TRUE``); otherwise missing values raise an error.

        Returns
        -------
        pandas.Series
            ``statistic`` (F), ``ndf``, ``ddf``, ``p_value``, ``pearson``
            (Pearson's X² of the scaled table), ``deff_mean`` (the mean
            generalised design effect), ``n``, ``n_dropped``.

        Examples
        --------
        >>> from course_utils.simulate import nsduh_like
        >>> svy = SurveyDesign(nsduh_like(n=5_000, seed=3), weight="ANALWT2_C", strata="VESTR_C", psu="VEREP",
        ...                    nest=True)
        >>> svy.chisq("CATAG6", "AMDEYR")[["statistic", "ndf", "ddf", "p_value"]].round(3).tolist()
        [9.955, 3.385, 169.237, 0.0]
        """
        from course_utils._survey_glm import rao_scott

        return rao_scott(self, row, column, dropna=dropna)

    def _collect(
        self, y: np.ndarray, keep: np.ndarray, by: str | None, missing: np.ndarray, ci: str = "wald",
        df_rule: DfRule | str = "design", level: float = 0.95,
    ) -> pd.Series | pd.DataFrame:
        everyone = np.ones_like(keep)
        rows = {
            group: self._ratio(y, mask, int((missing & in_group).sum()), ci, df_rule, level,
                               self._zero(in_group & ~missing))
            for (group, mask), (_, in_group) in zip(self._groups(by, keep), self._groups(by, everyone))
        }
        if by is None:
            return rows[None]
        return result_frame(rows, by)

    def __repr__(self) -> str:
        fpc = "" if self.fpc is None else f", fpc={self.fpc!r}"
        return (
            f"SurveyDesign({len(self.data)} respondents, weight={self.weight!r}, strata={self.strata!r} "
            f"({self.n_strata}), psu={self.psu!r} ({self.n_psu}){fpc}, df={self.df})"
        )
