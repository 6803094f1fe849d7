"""Known truth: on the SYNTHETIC NSDUH-like survey, adjustment recovers the true kratom effect.

``synthetic_nsduh`` is ``course_utils.simulate.nsduh_like()`` with its defaults, whose
generating model sets the causal effect of past-year kratom use on past-year depression to
none (``kratom_effect = 0``: odds ratio 1, risk difference 0) while shared causes and
self-medication create a crude odds ratio of about 2.  A correct analysis must find the
truth inside its 95% interval; the crude comparison must not.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import course_utils as cu
from course_utils import causal, dags
from course_utils.simulate import nsduh_like, nsduh_like_dag
from course_utils.simulate.nsduh_like import ADJUSTMENT_SET

COVARIATES = " + ".join(ADJUSTMENT_SET)  # CATAG6 and IRSEX are categoricals: one coefficient per category
OUTCOME_FORMULA = f"AMDEYR ~ kratom_py + {COVARIATES}"


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    df = cu.load("synthetic_nsduh")
    assert cu.list_datasets().loc["synthetic_nsduh", "kind"] == "synthetic"
    return df


def test_the_truth_is_no_effect(survey):
    true = [coef for cause, effect, coef in nsduh_like_dag() if (cause, effect) == ("kratom_py", "AMDEYR")]
    assert true == [0.0]
    assert nsduh_like(n=1000).attrs["kratom_effect"] == 0.0  # the default the dataset was exported with
    assert "kratom_effect=0.0" in cu.cite("synthetic_nsduh")


def test_diagram_gives_the_adjustment_set(survey):
    sets = dags.backdoor_adjustment_sets(nsduh_like_dag(), "kratom_py", "AMDEYR", minimal=True)
    assert [set(s) for s in sets] == [set(ADJUSTMENT_SET)]


def test_crude_estimate_misses_the_truth(survey):
    crude = causal.association_measures(survey, "kratom_py", "AMDEYR")
    assert crude.loc["odds ratio", "ci_low"] > 1.5  # crude OR about 2, truth 1
    assert crude.loc["risk difference", "ci_low"] > 0


@pytest.mark.parametrize("measure, truth", [("odds ratio", 1.0), ("difference", 0.0)])
def test_ip_weighting_recovers_the_truth(survey, measure, truth):
    r = causal.ipw_effect(survey, "kratom_py", "AMDEYR", COVARIATES, measure=measure)
    assert r["ci_low"] <= truth <= r["ci_high"]
    crude = causal.ipw_effect(survey, "kratom_py", "AMDEYR", "1", measure=measure)  # no covariates = crude
    assert not crude["ci_low"] <= truth <= crude["ci_high"]


@pytest.mark.parametrize("measure, truth", [("odds ratio", 1.0), ("difference", 0.0), ("ratio", 1.0)])
def test_standardisation_recovers_the_truth(survey, measure, truth):
    r = causal.standardized_effect(survey, "kratom_py", "AMDEYR", OUTCOME_FORMULA, measure=measure)
    assert r["ci_low"] <= truth <= r["ci_high"]
    crude = causal.standardized_effect(survey, "kratom_py", "AMDEYR", "AMDEYR ~ kratom_py", measure=measure)
    assert not crude["ci_low"] <= truth <= crude["ci_high"]


def test_regression_and_stratification_recover_the_truth(survey):
    adjusted = causal.regression_effect(survey, OUTCOME_FORMULA, "kratom_py")
    assert adjusted["ci_low"] <= 1.0 <= adjusted["ci_high"]
    mh = causal.mantel_haenszel(survey, "kratom_py", "AMDEYR", list(ADJUSTMENT_SET))
    assert mh["ci_low"] <= 1.0 <= mh["ci_high"]
    assert mh["n_strata_used"] < mh["n_strata"]  # sparse strata: most hold no one who uses kratom


def test_leaving_out_a_confounder_leaves_bias(survey):
    formula = OUTCOME_FORMULA.replace(" + depression_history", "")
    r = causal.regression_effect(survey, formula, "kratom_py")
    assert r["ci_low"] > 1.0  # residual confounding by earlier depression (self-medication)


def test_a_true_effect_is_recovered_too():
    """With a non-null conditional effect (OR 2), the adjusted logistic model recovers it; the
    crude odds ratio is biased upwards."""
    df = nsduh_like(kratom_effect=math.log(2.0), seed=7)
    adjusted = causal.regression_effect(df, OUTCOME_FORMULA, "kratom_py")
    assert adjusted["ci_low"] <= 2.0 <= adjusted["ci_high"]
    crude = causal.association_measures(df, "kratom_py", "AMDEYR").loc["odds ratio"]
    assert crude["ci_low"] > 2.0
