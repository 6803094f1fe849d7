"""IP weighting beyond a binary point treatment (issue 13 item 3), against R's geepack.

Reference numbers: R 4.2.2, geepack 1.3.9, run once.  Every logistic model in R was fitted with
control = glm.control(epsilon = 1e-14, maxit = 100) so that it is fully converged; weights were built
exactly as in What If's published R code (Programs 12.4-12.7; R code by J. Shi and S. McGrath,
https://remlapmot.github.io/cibookex-r/), then
    geeglm(<MSM>, data = <analysed rows>, weights = <weights>, id = <person id>, corstr = "independence")
and the coefficient table printed (Estimate, Std.err).  PS below is the book's covariate list
(sex + race + age + I(age^2) + as.factor(education) + smokeintensity + I(smokeintensity^2) + smokeyrs
+ I(smokeyrs^2) + as.factor(exercise) + as.factor(active) + wt71 + I(wt71^2)).

Data: datasets/nhefs.csv (NHEFS, real), datasets/btheb.csv (Beat the Blues trial, real), and
tests/data/synthetic_dose.csv (SYNTHETIC, generating model in tests/data/make_synthetic_dose.py).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import course_utils as cu
from course_utils import causal
from course_utils.causal import CausalInputError, PositivityError

DATA = Path(__file__).with_name("data")
PS = (
    "sex + race + age + I(age**2) + C(education) + smokeintensity + I(smokeintensity**2)"
    " + smokeyrs + I(smokeyrs**2) + C(exercise) + C(active) + wt71 + I(wt71**2)"
)


def meta(result, key):
    return result.attrs.get(key, result.get(key))


@pytest.fixture(scope="module")
def nhefs_all() -> pd.DataFrame:
    return cu.load("nhefs", codes=True)


@pytest.fixture(scope="module")
def nhefs(nhefs_all) -> pd.DataFrame:
    return nhefs_all.dropna(subset=["wt82_71"])


@pytest.fixture(scope="module")
def dose() -> pd.DataFrame:
    return pd.read_csv(DATA / "synthetic_dose.csv")


@pytest.fixture(scope="module")
def btheb() -> pd.DataFrame:
    b = cu.load("btheb")
    return b.assign(t=(b["treatment"] == "Beat the Blues").astype(int), drugY=b["drug"].astype(int),
                    long=(b["length"] == "more than six months").astype(int))


def test_synthetic_dose_file_is_what_its_generator_writes(dose):
    sys.path.insert(0, str(DATA))
    try:
        from make_synthetic_dose import make
    finally:
        sys.path.remove(str(DATA))
    pd.testing.assert_frame_equal(make(), dose, check_dtype=False)


# ------------------------------------------------------------------ censoring weights (Program 12.7)


def test_censoring_weights_what_if_program_12_7(nhefs_all):
    # nhefs$cens <- is.na(wt82); treatment model qsmk ~ PS and numerator qsmk ~ 1 on all 1629;
    # censoring model cens ~ as.factor(qsmk) + PS, numerator cens ~ as.factor(qsmk); sw = sw.a * sw.c;
    # geeglm(wt82_71 ~ qsmk, data = uncensored, weights = sw, id = seqn) -> qsmk 3.49649333, Std.err 0.52564358
    # (What If, Program 12.7 prints 3.5, 95% CI 2.5 to 4.5)
    r = causal.ipw_effect(nhefs_all, "qsmk", "wt82_71", PS, censoring_formula="C(qsmk) + " + PS)
    assert r["estimate"] == pytest.approx(3.49649333, abs=1e-7)
    assert r["se"] == pytest.approx(0.52564358, abs=1e-7)
    assert (round(r["ci_low"], 1), round(r["ci_high"], 1)) == (2.5, 4.5)
    assert r["n"] == 1566 and r["n_censored"] == 63  # the 63 with no 1982 weight
    assert r["max_weight"] == pytest.approx(4.09311268, abs=1e-7)  # max(sw) among the uncensored
    assert "censoring" in meta(r, "method")
    # unstabilised weights (1/P(A|L) x 1/P(C=0|A,L)) give the same estimate: 3.49649333 (0.52564358)
    u = causal.ipw_effect(nhefs_all, "qsmk", "wt82_71", PS, censoring_formula="C(qsmk) + " + PS, stabilized=False)
    assert u["estimate"] == pytest.approx(3.49649333, abs=1e-7)


def test_censoring_weights_series_what_if(nhefs_all):
    cw = causal.censoring_weights(nhefs_all, "wt82_71", "C(qsmk) + " + PS, numerator_formula="C(qsmk)")
    sw = causal.ip_weights(nhefs_all, "qsmk", PS) * cw
    observed = nhefs_all["wt82_71"].notna()
    assert (cw[~observed] == 0).all() and (cw[observed] > 0).all()
    # mean, min, max of sw among the uncensored: 0.99623511 0.35464686 4.09311268
    assert [sw[observed].mean(), sw[observed].min(), sw[observed].max()] == pytest.approx(
        [0.99623511, 0.35464686, 4.09311268], abs=1e-7)


def test_censoring_weights_dropout_in_a_trial(btheb):
    # b$cens <- is.na(b$bdi_8m); t = BtheB arm; censoring cens ~ t + bdi_pre + drugY + long, numerator cens ~ t;
    # treatment weights 1 (randomised: ps_formula "1"); geeglm(bdi_8m ~ t, weights = sw, id = patient_id)
    # -> t -4.44759353, Std.err 2.49400441; complete cases lm(bdi_8m ~ t) -> -4.74814815 (n = 52)
    r = causal.ipw_effect(btheb, "t", "bdi_8m", "1", censoring_formula="t + bdi_pre + drugY + long")
    assert r["estimate"] == pytest.approx(-4.44759353, abs=1e-7)
    assert r["se"] == pytest.approx(2.49400441, abs=1e-7)
    assert r["n"] == 52 and r["n_censored"] == 48
    with pytest.warns(UserWarning, match="left out 48 of 100 rows"):
        cc = causal.ipw_effect(btheb, "t", "bdi_8m", "1", dropna=True)
    assert cc["estimate"] == pytest.approx(-4.74814815, abs=1e-7) and cc.attrs["n_dropped"] == 48


def test_censoring_weights_synthetic(dose):
    # treatment treated ~ l1 + l2 (numerator: share); censoring cens ~ treated + l1, numerator cens ~ treated;
    # geeglm(y ~ treated, weights = sw, id = id) -> treated 0.42279009, Std.err 0.26967420
    r = causal.ipw_effect(dose, "treated", "y", "l1 + l2", censoring_formula="treated + l1")
    assert r["estimate"] == pytest.approx(0.42279009, abs=1e-7)
    assert r["se"] == pytest.approx(0.26967420, abs=1e-7)


def test_missing_outcome_names_both_ways_forward(nhefs_all):
    with pytest.raises(CausalInputError, match=r"missing for 63 of 1629 rows.*censoring_formula=.*dropna=True"):
        causal.ipw_effect(nhefs_all, "qsmk", "wt82_71", PS)


def test_censoring_model_that_predicts_zero_is_refused():
    # everyone with l = 1 is censored: the model predicts they could never be observed
    df = pd.DataFrame({"a": [0, 1] * 10, "l": [0] * 12 + [1] * 8,
                       "y": [1.0, 2.0] * 6 + [np.nan] * 8})
    with pytest.raises(PositivityError, match="censoring model 'a \\+ l' predicts with certainty who is censored"):
        causal.ipw_effect(df, "a", "y", "1", censoring_formula="a + l")
    with pytest.raises(PositivityError, match="censoring model"):
        causal.censoring_weights(df, "y", "a + l")


def test_censoring_bad_inputs(nhefs):
    with pytest.raises(CausalInputError, match="no outcome is missing"):
        causal.ipw_effect(nhefs, "qsmk", "wt82_71", PS, censoring_formula="qsmk + sex")
    df = pd.DataFrame({"a": [0, 1, 0, 1], "y": [np.nan] * 4})
    with pytest.raises(CausalInputError, match="every outcome is missing"):
        causal.ipw_effect(df, "a", "y", "1", censoring_formula="a")
    with pytest.raises(CausalInputError, match="should model '_uncensored'"):
        causal.censoring_weights(nhefs.assign(y=np.where(nhefs["sex"] == 1, np.nan, 1.0)), "y", "qsmk ~ sex")


# ------------------------------------------------------------------ continuous treatment (Program 12.4)

P124_PS = ("C(sex) + C(race) + age + I(age**2) + C(education) + smokeintensity + I(smokeintensity**2)"
           " + smokeyrs + I(smokeyrs**2) + C(exercise) + C(active) + wt71 + I(wt71**2)")


def test_continuous_treatment_what_if_program_12_4(nhefs):
    # nhefs.nmv.s <- subset(nhefs.nmv, smokeintensity <= 25) (1162 people); den: lm(smkintensity82_71 ~ ...),
    # num: lm(smkintensity82_71 ~ 1); sw.a = dnorm(A, p.num, sigma.num) / dnorm(A, p.den, sigma.den)
    # -> mean 0.99680565, sd 0.32229372, min 0.19383358, max 5.10233907
    # geeglm(wt82_71 ~ smkintensity82_71 + I(smkintensity82_71^2), weights = sw.a, id = seqn):
    # (Intercept) 2.00452474 (0.29512033); A -0.10898888 (0.03153541); A^2 0.00269494 (0.00241718)
    small = nhefs[nhefs["smokeintensity"] <= 25]
    sw = causal.ip_weights(small, "smkintensity82_71", P124_PS)
    assert len(sw) == 1162
    assert [sw.mean(), sw.std(), sw.min(), sw.max()] == pytest.approx(
        [0.99680565, 0.32229372, 0.19383358, 5.10233907], abs=1e-7)
    msm = causal.ipw_msm(small, "wt82_71 ~ smkintensity82_71 + I(smkintensity82_71**2)", "smkintensity82_71",
                         P124_PS)
    assert msm["estimate"].tolist() == pytest.approx([2.00452474, -0.10898888, 0.00269494], abs=1e-7)
    assert msm["se"].tolist() == pytest.approx([0.29512033, 0.03153541, 0.00241718], abs=1e-7)
    assert msm.attrs["treatment_kind"] == "continuous"


def test_continuous_treatment_synthetic(dose):
    # d <- s[!is.na(s$y), ]; den lm(dose ~ l1 + l2), num lm(dose ~ 1); geeglm(y ~ dose + I(dose^2), weights = sw):
    # (Intercept) 1.86526713 (1.01813301); dose 0.34497804 (0.17943930); dose^2 -0.00878214 (0.00763161)
    msm = causal.ipw_msm(dose.dropna(subset=["y"]), "y ~ dose + I(dose**2)", "dose", "l1 + l2")
    assert msm["estimate"].tolist() == pytest.approx([1.86526713, 0.34497804, -0.00878214], abs=1e-7)
    assert msm["se"].tolist() == pytest.approx([1.01813301, 0.17943930, 0.00763161], abs=1e-7)


def test_continuous_treatment_bad_inputs(dose):
    d = dose.dropna(subset=["y"])
    with pytest.raises(CausalInputError, match="only stabilised weights"):
        causal.ip_weights(d, "dose", "l1 + l2", stabilized=False)
    with pytest.raises(CausalInputError, match="has 3 values.*binary \\(0/1\\) treatment or a continuous one"):
        causal.ip_weights(d.assign(g=d["id"] % 3), "g", "l1")
    with pytest.raises(CausalInputError, match="must appear in the MSM formula"):
        causal.ipw_msm(d, "y ~ l1", "dose", "l1 + l2")
    with pytest.raises(CausalInputError, match="family must be one of"):
        causal.ipw_msm(d, "y ~ dose", "dose", "l1", family="gamma")


# ------------------------------------------------------------------ effect modification (Programs 12.5, 12.6)


def test_effect_modification_by_sex_what_if_program_12_6(nhefs):
    # denominator qsmk ~ PS, numerator qsmk ~ as.factor(sex);
    # geeglm(wt82_71 ~ as.factor(qsmk) + as.factor(sex) + as.factor(qsmk):as.factor(sex), weights = sw.a, id = seqn):
    # (Intercept) 1.78444688 (0.30984156); qsmk 3.52197763 (0.65706940); sex -0.00872478 (0.44881623);
    # qsmk:sex -0.15947852 (1.04608034); weights mean 0.99893102, min 0.29297883, max 3.80114088
    msm = causal.ipw_msm(nhefs, "wt82_71 ~ qsmk * sex", "qsmk", PS, numerator_formula="sex")
    assert list(msm.index) == ["Intercept", "qsmk", "sex", "qsmk:sex"]
    assert msm["estimate"].tolist() == pytest.approx([1.78444688, 3.52197763, -0.00872478, -0.15947852], abs=1e-7)
    assert msm["se"].tolist() == pytest.approx([0.30984156, 0.65706940, 0.44881623, 1.04608034], abs=1e-7)
    assert msm.attrs["mean_weight"] == pytest.approx(0.99893102, abs=1e-7)
    assert msm.attrs["max_weight"] == pytest.approx(3.80114088, abs=1e-7)
    sw = causal.ip_weights(nhefs, "qsmk", PS, numerator_formula="sex")
    assert sw.min() == pytest.approx(0.29297883, abs=1e-7)


def test_logistic_msm_what_if_program_12_5(nhefs):
    # geeglm(death ~ qsmk, family = binomial(), weights = sw (numerator qsmk ~ 1), id = seqn):
    # (Intercept) -1.49045075 (0.07893852); qsmk 0.03011981 (0.15732182)
    msm = causal.ipw_msm(nhefs, "death ~ qsmk", "qsmk", PS, family="binomial")
    assert msm["estimate"].tolist() == pytest.approx([-1.49045075, 0.03011981], abs=1e-7)
    assert msm["se"].tolist() == pytest.approx([0.07893852, 0.15732182], abs=1e-7)
    r = causal.ipw_effect(nhefs, "qsmk", "death", PS, measure="odds ratio")
    assert r["estimate"] == pytest.approx(np.exp(0.03011981), abs=1e-7)


def test_effect_modification_synthetic(dose):
    # d3 <- s[!is.na(s$y), ]; denominator treated ~ l1 + l2 + sex, numerator treated ~ sex;
    # geeglm(y ~ treated * sex, weights = sw, id = id): (Intercept) 4.40581012 (0.32770821);
    # treated 0.51536017 (0.38749659); sex -0.39145258 (0.40290091); treated:sex 0.03073076 (0.50733251)
    msm = causal.ipw_msm(dose.dropna(subset=["y"]), "y ~ treated * sex", "treated", "l1 + l2 + sex",
                         numerator_formula="sex")
    assert msm["estimate"].tolist() == pytest.approx([4.40581012, 0.51536017, -0.39145258, 0.03073076], abs=1e-7)
    assert msm["se"].tolist() == pytest.approx([0.32770821, 0.38749659, 0.40290091, 0.50733251], abs=1e-7)


def test_msm_with_censoring_equals_ipw_effect(nhefs_all):
    msm = causal.ipw_msm(nhefs_all, "wt82_71 ~ qsmk", "qsmk", PS, censoring_formula="C(qsmk) + " + PS)
    assert msm.loc["qsmk", "estimate"] == pytest.approx(3.49649333, abs=1e-7)
    assert msm.attrs["n_censored"] == 63


# ------------------------------------------------------------------ empty and odd inputs


def test_empty_data_is_a_clear_error():
    empty = pd.DataFrame({"a": pd.Series([], dtype=float), "y": pd.Series([], dtype=float),
                          "l": pd.Series([], dtype=float)})
    for call in (lambda: causal.ipw_effect(empty, "a", "y", "l"),
                 lambda: causal.ipw_msm(empty, "y ~ a", "a", "l"),
                 lambda: causal.ip_weights(empty, "a", "l"),
                 lambda: causal.propensity_scores(empty, "a", "l")):
        with pytest.raises(CausalInputError, match="has no rows"):
            call()


def test_text_coded_treatment_is_refused(nhefs):
    with pytest.raises(CausalInputError, match="numbers stored as text.*pd.to_numeric"):
        causal.ipw_effect(nhefs.assign(qsmk=nhefs["qsmk"].astype(str)), "qsmk", "wt82_71", "sex + age")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CausalInputError, match="numbers stored as text"):
            causal.ipw_effect(nhefs.assign(sex=nhefs["sex"].astype(str)), "qsmk", "wt82_71", "sex + age")
