"""Private: the sampling stages of a survey design and the linearised variance of a total.

:class:`Stages` holds, for every stage of sampling, which unit each row belongs
to and in which stratum that unit was drawn, with the number of units sampled
and (with a finite-population correction) the number in the population.  Its
:meth:`Stages.variance` is the variance of an estimated total of "influence
values", the one formula every design-based standard error in
:mod:`course_utils.survey` reduces to.

The recursion follows R's ``survey`` package (``survey:::multistage``,
``onestage``, ``onestrat``; Lumley 2010, *Complex Surveys*, appendix C):

* stage 1: ``sum_h f_h * n_h / (n_h - 1) * sum_i (t_hi - mean_h t)^2`` over the
  PSU totals ``t_hi`` in stratum ``h``, with ``f_h = 1 - n_h / N_h`` (1 without
  an fpc);
* with an fpc and more than one stage, each PSU adds its own within-PSU
  variance of the same form, multiplied by the sampling fraction ``n_h / N_h``
  of the stage above (and so on down the stages).  Without an fpc only the
  first stage counts (the "ultimate cluster" variance, as R does).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FloatArray = np.ndarray  # float64 arrays; kept simple for readability
IntArray = np.ndarray


@dataclass(frozen=True)
class Stage:
    """One stage of sampling: row -> unit, unit -> stratum, and stratum sizes."""

    unit: IntArray  # per row: code of the unit drawn at this stage (unique across the design)
    unit_stratum: IntArray  # per unit: code of the stratum it was drawn in
    n_units: int
    n_strata: int
    sampled: FloatArray  # per stratum: units sampled (in the whole design)
    population: FloatArray  # per stratum: units in the population (inf without an fpc)

    @property
    def fraction(self) -> FloatArray:
        """Sampling fraction n/N per stratum (0 without an fpc)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.isinf(self.population), 0.0, self.sampled / self.population)


def _group_sums(codes: IntArray, values: FloatArray, k: int) -> FloatArray:
    """Column sums of ``values`` (n x p) within the groups ``codes`` (0..k-1): k x p."""
    return np.column_stack([np.bincount(codes, weights=values[:, j], minlength=k) for j in range(values.shape[1])])


def _scale(stage: Stage) -> FloatArray:
    """Per-stratum multiplier f * n / (n - 1) (f alone for a single unit)."""
    f = 1.0 - stage.fraction
    n = stage.sampled
    return np.where(n > 1, f * n / np.maximum(n - 1, 1), f)


def _stage_variance(
    stage: Stage, z: FloatArray, weight: FloatArray, single_psu: str, first: bool
) -> FloatArray:
    """sum over strata of weight_s * scale_s * sum_units (t - mean_s)(t - mean_s)'  (p x p)."""
    p = z.shape[1]
    totals = _group_sums(stage.unit, z, stage.n_units)
    sums = _group_sums(stage.unit_stratum, totals, stage.n_strata)
    n_s = stage.sampled
    means = sums / np.maximum(n_s, 1)[:, None]
    dev = totals - means[stage.unit_stratum]
    lonely = (n_s == 1)[stage.unit_stratum]
    if lonely.any():
        if single_psu == "center":
            # R's 'adjust'.  Stage 1: centred at the average PSU total of the whole design;
            # later stages: not centred (survey:::onestrat skips the sweep for a lonely unit).
            centre = totals.sum(axis=0) / stage.n_units if first else np.zeros(p)
            dev = np.where(lonely[:, None], totals - centre, dev)
        else:  # remove ("fail" was refused when the design was built)
            dev = np.where(lonely[:, None], 0.0, dev)
    factor = (_scale(stage) * weight)[stage.unit_stratum]
    census = (1.0 - stage.fraction)[stage.unit_stratum] < 1e-7  # every unit sampled: no variance
    factor = np.where(census, 0.0, factor)
    return (dev * factor[:, None]).T @ dev


@dataclass(frozen=True)
class Stages:
    """All stages of a design (stage 1 first)."""

    stages: tuple[Stage, ...]
    has_fpc: bool
    single_psu: str

    def variance(self, z: FloatArray) -> FloatArray:
        """Covariance matrix (p x p) of the estimated totals of the columns of ``z`` (n x p)."""
        z2 = np.asarray(z, dtype="float64")
        if z2.ndim == 1:
            z2 = z2[:, None]
        first = self.stages[0]
        v = _stage_variance(first, z2, np.ones(first.n_strata), self.single_psu, first=True)
        if not self.has_fpc:
            return v
        # per unit of the stage above: product of the sampling fractions down to it
        carry = first.fraction[first.unit_stratum]
        for stage in self.stages[1:]:
            v = v + _stage_variance(stage, z2, carry, self.single_psu, first=False)
            carry = carry[stage.unit_stratum] * stage.fraction[stage.unit_stratum]
        return v

    def variance1(self, z: FloatArray) -> float:
        """Variance of one estimated total."""
        return float(self.variance(z)[0, 0])


def factorize(values: pd.Series | pd.MultiIndex | np.ndarray) -> tuple[IntArray, int]:
    """Integer codes 0..k-1 (sorted) and k."""
    codes, uniques = pd.factorize(values, sort=True)
    return np.asarray(codes, dtype=np.int64), len(uniques)


def stage_from_codes(unit: IntArray, stratum: IntArray, n_units: int, n_strata: int,
                     population: FloatArray | None) -> Stage:
    """Build a :class:`Stage` from per-row unit and stratum codes (units nested in strata)."""
    unit_stratum = np.zeros(n_units, dtype=np.int64)
    unit_stratum[unit] = stratum
    sampled = np.bincount(unit_stratum, minlength=n_strata).astype("float64")
    pop = np.full(n_strata, np.inf) if population is None else population
    return Stage(unit=unit, unit_stratum=unit_stratum, n_units=n_units, n_strata=n_strata,
                 sampled=sampled, population=pop)
