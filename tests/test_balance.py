"""The one balance table (course_utils.balance), against R computed by hand.

Definitions: Austin PC. Commun Stat Simul Comput 2009;38(6):1228-1234 (binary s^2 = p(1-p),
continuous sample variance); weighted versions as in Austin & Stuart, Stat Med 2015;34:3661-79.
Reference numbers: R 4.2.2, run once with the functions written beside them on
datasets/nhefs.csv (rows with wt82_71 observed) and datasets/btheb.csv:

    smd_c <- function(x, a) (mean(x[a==1]) - mean(x[a==0])) / sqrt((var(x[a==1]) + var(x[a==0]))/2)
    smd_b <- function(x, a) {p1 <- mean(x[a==1]); p0 <- mean(x[a==0]); (p1-p0)/sqrt((p1*(1-p1)+p0*(1-p0))/2)}
    # weighted: wm <- function(x, w) sum(w*x)/sum(w)
    #           wv <- function(x, w) {m <- wm(x,w); sum(w)/(sum(w)^2-sum(w^2))*sum(w*(x-m)^2)}
    # w = 1/P(A=a|L) from glm(qsmk ~ <What If Program 12.2 covariates>, family=binomial())
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

PS_COVARIATES = (
    "sex + race + age + I(age**2) + C(education) + smokeintensity + I(smokeintensity**2)"
    " + smokeyrs + I(smokeyrs**2) + C(exercise) + C(active) + wt71 + I(wt71**2)"
)


@pytest.fixture(scope="module")
def nhefs() -> pd.DataFrame:
    return cu.load("nhefs", codes=True).dropna(subset=["wt82_71"])


def test_nhefs_standardised_differences_match_r(nhefs):
    tab = causal.balance_table(nhefs, "qsmk", ["sex", "age", "wt71"])
    # smd_b(d$sex, d$qsmk) -> -0.1602626394 ; smd_c(d$age, ...) -> 0.2819809099 ; smd_c(d$wt71, ...) -> 0.1332161873
    assert tab["smd"].tolist() == pytest.approx([-0.1602626394, 0.2819809099, 0.1332161873], abs=1e-9)
    assert tab["kind"].tolist() == ["proportion", "mean (SD)", "mean (SD)"]
    # a level of a categorical covariate: smd_b(as.numeric(d$education==5), d$qsmk) -> 0.1659936355
    edu = causal.balance_table(nhefs, "qsmk", ["education"], categorical=["education"])
    assert edu.loc["education: 5", "smd"] == pytest.approx(0.1659936355, abs=1e-9)


def test_nhefs_weighted_standardised_differences_match_r(nhefs):
    w = causal.ip_weights(nhefs, "qsmk", PS_COVARIATES, stabilized=False)
    tab = causal.balance_table(nhefs, "qsmk", ["sex", "age", "wt71"], w)
    # wsmd_b(d$sex) -> -0.0028540551 ; wsmd_c(d$age) -> 0.0058485273 ; wsmd_c(d$wt71) -> -0.0090582157
    assert tab["smd_weighted"].tolist() == pytest.approx([-0.0028540551, 0.0058485273, -0.0090582157], abs=1e-7)


def test_trial_arms_with_labels_match_r():
    btheb = cu.load("btheb")
    tab = trials.balance_table(btheb, "treatment", ["bdi_pre", "drug", "length"],
                               treatment="Beat the Blues", control="treatment as usual")
    # t <- as.numeric(b$treatment=="BtheB"); smd_c(b$bdi_pre, t) -> -0.1523385021;
    # smd_b(as.numeric(b$drug=="Yes"), t) -> 0.6009194174; smd_b(as.numeric(b$length==">6m"), t) -> -0.0416847629
    assert tab.loc["bdi_pre", "smd"] == pytest.approx(-0.1523385021, abs=1e-9)
    assert tab.loc["drug", "smd"] == pytest.approx(0.6009194174, abs=1e-9)  # a true/false column: one row
    assert tab.loc["length: more than six months", "smd"] == pytest.approx(-0.0416847629, abs=1e-9)
    assert tab.loc["length: less than six months", "smd"] == pytest.approx(0.0416847629, abs=1e-9)


def test_same_true_false_covariate_same_number_in_both_lessons():
    """The issue's finding: causal and trials gave 0.577 and 0.707 for the same covariate."""
    df = pd.DataFrame({"a": [1, 1, 0, 0, 1, 0], "f": [True, False, False, False, True, True]})
    one = causal.balance_table(df, "a", ["f"]).loc["f", "smd"]
    two = trials.balance_table(df.assign(arm=df["a"].map({1: "t", 0: "c"})), "arm", ["f"],
                               treatment="t", control="c").loc["f", "smd"]
    p1, p0 = 2 / 3, 1 / 3
    assert one == two == pytest.approx((p1 - p0) / math.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2))
    assert causal.balance_table is trials.balance_table is cu.balance_table


def test_weights_follow_the_rows_that_are_kept():
    df = pd.DataFrame({"a": [1, 1, 0, 0, 1, 0], "x": [1.0, np.nan, 2.0, 3.0, 5.0, 4.0]})
    w = np.array([1.0, 100.0, 1.0, 1.0, 3.0, 2.0])
    with pytest.warns(UserWarning):
        tab = causal.balance_table(df, "a", "x", w, dropna=True)
    assert tab.loc["x", "mean_treatment_weighted"] == pytest.approx((1 * 1 + 5 * 3) / 4)
    assert tab.loc["x", "mean_control_weighted"] == pytest.approx((2 + 3 + 4 * 2) / 4)


def test_missing_values_raise_then_drop_with_count():
    df = pd.DataFrame({"a": [1, 1, 0, 0, 1], "x": [1.0, 2.0, np.nan, 3.0, 5.0]})
    with pytest.raises(CausalInputError, match=r"missing values in 'x' \(1 row\); pass dropna=True"):
        causal.balance_table(df, "a", "x")
    with pytest.warns(UserWarning, match="left out 1 of 5 rows") as record:
        tab = causal.balance_table(df, "a", "x", dropna=True)
    assert record[0].filename == __file__  # the warning points at the caller's line, not the library
    assert tab.attrs["n_dropped"] == 1 and tab.loc["x", "n_control"] == 1


def test_bad_inputs_have_clear_messages():
    df = pd.DataFrame({"a": [1, 1, 0, 0], "x": ["1", "2", "3", "4"], "y": [1.0, 2, 3, 4]})
    with pytest.raises(CausalInputError, match="numbers stored as text.*pd.to_numeric"):
        causal.balance_table(df, "a", "x")
    with pytest.raises(CausalInputError, match="one per row"):
        causal.balance_table(df, "a", "y", [1.0, 2.0])
    with pytest.raises(CausalInputError, match="no rows|empty"):
        causal.balance_table(df.iloc[:0], "a", "y")
    with pytest.raises(CausalInputError, match="has no column 'z'"):
        causal.balance_table(df, "a", "z")
    with pytest.raises(CausalInputError, match="at least one covariate"):
        causal.balance_table(df, "a", [])
    with pytest.raises(CausalInputError, match="both treatment= and control="):
        causal.balance_table(df, "a", "y", treatment=1)


def test_perfectly_separated_covariate_is_infinite_not_zero():
    df = pd.DataFrame({"a": [1, 1, 0, 0], "f": [1, 1, 0, 0]})
    assert causal.balance_table(df, "a", "f").loc["f", "smd"] == math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert causal.balance_table(df.assign(f=1), "a", "f").loc["f", "smd"] == 0.0
