"""2 × 2 tables and Mantel–Haenszel beyond the odds ratio; edge cases answered, not crashed (issues 13, 14).

Reference numbers, R 4.2.2 run once (calls beside the numbers):
* [epiR] epiR 2.0.57, epi.2by2(tab, method = "cohort.count")$massoc.detail, with options(digits = 12);
  RR.mh.wald (Greenland-Robins) and ARisk.mh.green (per 100; divided by 100 here).
  UCB: tab <- xtabs(Freq ~ Gender + Admit + Dept, as.data.frame(UCBAdmissions))[c("Female","Male"),
  c("Admitted","Rejected"), ]; synthetic survey: tab <- table(factor(s$kratom_py, levels = c(1,0)),
  factor(s$AMDEYR, levels = c(1,0)), s$chronic_pain) with s <- read.csv("datasets/synthetic_nsduh.csv").
* [Newcombe] the hybrid score interval computed by hand from Wilson intervals,
  w <- prop.test(x, n, correct = FALSE)$conf.int;
  d - sqrt((p1 - w1[1])^2 + (w0[2] - p0)^2), d + sqrt((w1[2] - p1)^2 + (p0 - w0[1])^2).
  56/70 vs 48/80 gives 0.0524 to 0.3339, the method-10 interval of Newcombe's own worked
  example (Stat Med 1998;17:873-890).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import course_utils as cu
from course_utils import causal, trials
from course_utils.causal import CausalInputError


def meta(result, key):
    return result.attrs.get(key, result.get(key))


@pytest.fixture(scope="module")
def ucb() -> pd.DataFrame:
    u = cu.load("ucb_admissions")
    return u.assign(female=(u["gender"] == "female").astype(int), admitted=(u["admit"] == "admitted").astype(int))


@pytest.fixture(scope="module")
def nsduh() -> pd.DataFrame:
    return cu.load("synthetic_nsduh", codes=True)


def test_mh_risk_ratio_matches_epir(ucb, nsduh):
    r = causal.mantel_haenszel(ucb, "female", "admitted", "dept", weight="count", measure="risk ratio")
    # [epiR] UCB RR.mh.wald: 1.05830742359 (0.970439153254, 1.15413171353)
    assert [r["estimate"], r["ci_low"], r["ci_high"]] == pytest.approx([1.05830742359, 0.970439153254,
                                                                         1.15413171353], abs=1e-10)
    assert meta(r, "se_scale") == "log" and "risk ratio" in meta(r, "measure")
    s = causal.mantel_haenszel(nsduh, "kratom_py", "AMDEYR", "chronic_pain", measure="risk ratio")
    # [epiR] synthetic survey RR.mh.wald: 1.96485160691 (1.61635636842, 2.38848431732)
    assert [s["estimate"], s["ci_low"], s["ci_high"]] == pytest.approx([1.96485160691, 1.61635636842,
                                                                         2.38848431732], abs=1e-10)


def test_mh_risk_difference_matches_epir(ucb, nsduh):
    r = causal.mantel_haenszel(ucb, "female", "admitted", "dept", weight="count", measure="risk difference")
    # [epiR] UCB ARisk.mh.green: 1.84251961909 (-1.0228435588, 4.70788279697) per 100
    assert [r["estimate"], r["ci_low"], r["ci_high"]] == pytest.approx(
        [0.0184251961909, -0.010228435588, 0.0470788279697], abs=1e-12)
    s = causal.mantel_haenszel(nsduh, "kratom_py", "AMDEYR", "chronic_pain", measure="risk difference")
    # [epiR] synthetic survey ARisk.mh.green: 9.22168166432 (5.6437383069, 12.7996250217) per 100
    assert [s["estimate"], s["ci_low"], s["ci_high"]] == pytest.approx(
        [0.0922168166432, 0.056437383069, 0.127996250217], abs=1e-12)
    # the MH test of no association does not depend on the measure
    odds = causal.mantel_haenszel(nsduh, "kratom_py", "AMDEYR", "chronic_pain")
    assert s["p_value"] == odds["p_value"] and s["mh_chi2"] == odds["mh_chi2"]
    # [epiR] OR.mh.wald: 2.2124620991 (1.73337706967, 2.82396059438)
    assert [odds["estimate"], odds["ci_low"], odds["ci_high"]] == pytest.approx(
        [2.2124620991, 1.73337706967, 2.82396059438], abs=1e-10)


def test_mh_bad_measure_and_zero_events():
    df = pd.DataFrame({"e": [1, 1, 0, 0] * 2, "y": [0, 0, 1, 0] * 2, "s": ["a"] * 4 + ["b"] * 4})
    with pytest.raises(CausalInputError, match="measure must be one of 'odds ratio', 'risk ratio'"):
        causal.mantel_haenszel(df, "e", "y", "s", measure="hazard ratio")
    with pytest.raises(CausalInputError, match="no stratum has both exposure groups and both outcomes"):
        causal.mantel_haenszel(df.assign(y=0), "e", "y", "s", measure="risk ratio")
    df2 = pd.DataFrame({"e": [1, 1, 0, 0, 0] * 2, "y": [0, 0, 1, 0, 0] * 2, "s": ["a"] * 5 + ["b"] * 5})
    with pytest.raises(CausalInputError, match="risk ratio is zero: there are no events among the exposed"):
        causal.mantel_haenszel(df2, "e", "y", "s", measure="risk ratio")
    rd = causal.mantel_haenszel(df2, "e", "y", "s", measure="risk difference")  # a documented answer: -1/3
    assert rd["estimate"] == pytest.approx(-1 / 3)


def test_newcombe_interval_for_zero_and_ordinary_tables():
    with pytest.warns(UserWarning, match="0.5 was added"):
        zero = causal.association_measures([[0, 10], [0, 10]])
    rd = zero.loc["risk difference"]
    # [Newcombe] 0/10 vs 0/10: 0 (-0.2775327999, 0.2775327999); not the zero-width Wald interval
    assert [rd["estimate"], rd["ci_low"], rd["ci_high"]] == pytest.approx([0, -0.2775327999, 0.2775327999], abs=1e-9)
    assert math.isnan(rd["se"]) and zero.attrs["rd_interval"] == "Newcombe hybrid score"
    assert zero.loc["risk ratio", "estimate"] == 1.0 and zero.loc["risk ratio", "ci_low"] < 1  # Haldane
    # [Newcombe] 56/70 vs 48/80: 0.2 (0.0524314724, 0.3338726540)
    ordinary = causal.association_measures([[56, 14], [48, 32]], rd_interval="newcombe").loc["risk difference"]
    assert [ordinary["ci_low"], ordinary["ci_high"]] == pytest.approx([0.0524314724, 0.3338726540], abs=1e-9)
    wald = causal.association_measures([[56, 14], [48, 32]])
    assert wald.attrs["rd_interval"] == "Wald"
    # [Newcombe] zero-event arm 0/10 vs 3/10: -0.3 (-0.6032218525, 0.0375924346);
    # all events 10/10 vs 0/20: 1 (0.6790860371, 1)
    with pytest.warns(UserWarning):
        arm = causal.association_measures([[0, 10], [3, 7]]).loc["risk difference"]
        full = causal.association_measures([[10, 0], [0, 20]]).loc["risk difference"]
    assert [arm["ci_low"], arm["ci_high"]] == pytest.approx([-0.6032218525, 0.0375924346], abs=1e-9)
    assert [full["ci_low"], full["ci_high"]] == pytest.approx([0.6790860371, 1.0], abs=1e-9)


def test_trial_binary_outcome_zero_events_gets_the_newcombe_interval():
    df = pd.DataFrame({"arm": ["t"] * 10 + ["c"] * 10, "died": [False] * 20})
    with pytest.warns(UserWarning, match="0.5 was added"):
        tab = trials.binary_outcome(df, "died", "arm", treatment="t", control="c")
    assert tab.loc["risk difference", "ci_low"] == pytest.approx(-0.2775327999, abs=1e-9)
    assert tab.loc["risk difference", "ci_high"] == pytest.approx(0.2775327999, abs=1e-9)


def test_tables_refuse_text_and_empty_data():
    with pytest.raises(CausalInputError, match="must be numbers, but one is the text '10'"):
        causal.association_measures([["10", 90], [5, 95]])
    with pytest.raises(CausalInputError, match="one exposure group of the 2 × 2 table is empty"):
        causal.association_measures([[0, 0], [0, 0]])
    with pytest.raises(CausalInputError, match="rd_interval must be one of"):
        causal.association_measures([[1, 2], [3, 4]], rd_interval="exact")
    empty = pd.DataFrame({"e": pd.Series([], dtype=int), "y": pd.Series([], dtype=int),
                          "s": pd.Series([], dtype=str)})
    for call in (lambda: causal.mantel_haenszel(empty, "e", "y", "s"),
                 lambda: causal.stratum_odds_ratios(empty, "e", "y", "s"),
                 lambda: causal.two_by_two(empty, "e", "y"),
                 lambda: causal.association_measures(empty, "e", "y")):
        with pytest.raises(CausalInputError, match="has no rows"):
            call()


def test_text_coded_zero_one_columns_are_refused_not_read_as_labels():
    df = pd.DataFrame({"e": ["1", "0", "1", "0"], "y": [1, 0, 0, 1], "s": ["a", "a", "b", "b"]})
    with pytest.raises(CausalInputError, match="numbers stored as text.*pd.to_numeric"):
        causal.two_by_two(df, "e", "y")
    with pytest.raises(CausalInputError, match="numbers stored as text"):
        causal.mantel_haenszel(df, "e", "y", "s")
    with pytest.raises(CausalInputError, match="numbers stored as text.*C\\(e\\)"):
        causal.regression_effect(df.assign(y=[1.0, 2, 3, 4]), "y ~ e", "e")


def test_missing_values_policy_in_tables():
    df = pd.DataFrame({"e": [1, 1, 0, 0, 1, 0], "y": [1, 0, 1, 0, np.nan, 0], "s": ["a", "a", "a", "b", "b", "b"]})
    with pytest.raises(CausalInputError, match=r"missing values in 'y' \(1 row\); pass dropna=True"):
        causal.two_by_two(df, "e", "y")
    with pytest.warns(UserWarning, match="left out 1 of 6 rows"):
        mh = causal.mantel_haenszel(df, "e", "y", "s", measure="risk difference", dropna=True)
    assert mh.attrs["n_dropped"] == 1 and mh["n"] == 5
    with pytest.warns(UserWarning):
        tab = causal.two_by_two(df, "e", "y", dropna=True)
    assert tab.to_numpy().sum() == 5 and tab.attrs["n_dropped"] == 1
