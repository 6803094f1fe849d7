"""Confounding: measures of association, stratification, adjustment, standardisation, IP weighting, E-values.

This module gathers, under one name, the functions of four modules of one idea
each: :mod:`course_utils.contingency` (2 × 2 tables and Mantel–Haenszel),
:mod:`course_utils.adjustment` (regression and standardisation),
:mod:`course_utils.weighting` (IP weighting and its diagnostics),
:mod:`course_utils.sensitivity` (E-values), and the one
:func:`~course_utils.balance.balance_table`.  Learners call them as
``causal.name`` or ``cu.name``.

Every estimating function returns the course's one result shape (a Series
with ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n`` and extra fields, see
:mod:`course_utils.results`); ratios carry their standard error on the log
scale (``se_scale = "log"``).

=====================================  ==============================================
:func:`two_by_two`                      exposure × outcome counts
:func:`association_measures`            risk difference, risk ratio, odds ratio (95% CI)
:func:`mantel_haenszel`                 pooled odds ratio over strata + homogeneity test
:func:`stratum_odds_ratios`             odds ratio in each stratum
:func:`regression_effect`               exposure coefficient of a linear or logistic model
:func:`standardized_effect`             parametric g-formula (standardisation)
:func:`ipw_effect`                      inverse-probability weighting (marginal structural model),
                                        optionally with censoring weights
:func:`ipw_msm`                         any MSM: effect modification, a continuous treatment
:func:`censoring_weights`               inverse probability of remaining uncensored
:func:`propensity_scores`,
:func:`ip_weights`                      the pieces of IP weighting
:func:`weight_diagnostics`,
:func:`balance_table`,
:func:`positivity_check`                is the weighting trustworthy?
:func:`e_value`                         sensitivity to unmeasured confounding
=====================================  ==============================================

Conventions
-----------
* Exposures/treatments and binary outcomes are coded **0/1** (or True/False).
  A labelled column (``"uses"``/``"not"``) is rejected with a message showing how
  to make the indicator, so the comparison is always explicit.
* Missing values follow the course's one policy (:mod:`course_utils._validate`):
  a missing value in any column a function uses is an error that names the
  columns and counts; ``dropna=True`` analyses the complete cases, warns how
  many rows were left out and records it in ``result.attrs["n_dropped"]``.
  For IP weighting, ``censoring_formula=`` weights for missing outcomes instead.
* Text is never read as numbers: a 0/1 column stored as ``"0"``/``"1"``, or a
  count given as ``"10"``, is refused with a message saying how to convert it.
* Formulas are statsmodels/patsy formulas (``"y ~ a + C(group) + I(age**2)"``),
  evaluated on the data only (plus ``np`` for numpy functions).

Examples
--------
>>> import course_utils as cu
>>> from course_utils import causal
>>> r = causal.e_value(3.9, (1.8, 8.7))
>>> float(round(r["point"], 2)), float(round(r["ci"], 2))
(7.26, 3.0)
"""

from __future__ import annotations

from course_utils._causal_common import MEASURES, CausalInputError, PositivityError
from course_utils.adjustment import regression_effect, standardized_effect
from course_utils.balance import balance_table
from course_utils.contingency import association_measures, mantel_haenszel, stratum_odds_ratios, two_by_two
from course_utils.sensitivity import e_value
from course_utils.weighting import (
    censoring_weights,
    ip_weights,
    ipw_effect,
    ipw_msm,
    positivity_check,
    propensity_scores,
    weight_diagnostics,
)

__all__ = [
    "CausalInputError",
    "PositivityError",
    "two_by_two",
    "association_measures",
    "mantel_haenszel",
    "stratum_odds_ratios",
    "regression_effect",
    "standardized_effect",
    "propensity_scores",
    "ip_weights",
    "ipw_effect",
    "ipw_msm",
    "censoring_weights",
    "weight_diagnostics",
    "balance_table",
    "positivity_check",
    "e_value",
]
