"""Tests for course_utils.causal against published values and independent implementations.

Sources (each number below names where it comes from):

* [WI]  Hernán MA, Robins JM. Causal Inference: What If. NHEFS results as in the
        course reference facts (shared/reference/measures-and-methods.md, R1):
        crude difference ≈ 2.5 kg; IP weighting 3.4 kg (95% CI 2.4 to 4.5), ch. 12;
        standardisation 3.5 kg (95% CI 2.5 to 4.5), ch. 13.
* [WI-R] The book's published R code with its printed output (Programs 12.1–12.5,
        13.3, 15.2; R code by J. Shi and S. McGrath, compiled by T. Palmer:
        https://remlapmot.github.io/cibookex-r/ , files docs/12-ipw-msm-r.md,
        docs/13-stand-gformula-r.md, docs/15-prop-scores-r.md of
        github.com/remlapmot/cibookex-r).  The model formulas below are the book's.
* [R]   R 4.2.2, stats::mantelhaen.test, run once (calls written beside the numbers).
        The UCBAdmissions and Rabbits examples are those of R's ?mantelhaen.test help
        page; for Rabbits the help page's own comment states p = 0.047.
* [epiR] R package epiR 2.0.57 (Debian r-cran-epir), epi.2by2, run once.
* [VD]  VanderWeele TJ, Ding P. Ann Intern Med 2017;167(4):268–274 (R2 in the course
        reference): RR 3.9 (95% CI 1.8–8.7) → E-value 7.26.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import course_utils as cu
from course_utils import causal
from course_utils.causal import CausalInputError, PositivityError
from course_utils.seeding import rng

# The book's model for the propensity score (Program 12.2) and for the outcome (Program 13.3).
PS_COVARIATES = (
    "sex + race + age + I(age**2) + C(education) + smokeintensity + I(smokeintensity**2)"
    " + smokeyrs + I(smokeyrs**2) + C(exercise) + C(active) + wt71 + I(wt71**2)"
)
OUTCOME_FORMULA = (
    "wt82_71 ~ qsmk + sex + race + age + I(age*age) + C(education) + smokeintensity"
    " + I(smokeintensity*smokeintensity) + smokeyrs + I(smokeyrs*smokeyrs) + C(exercise)"
    " + C(active) + wt71 + I(wt71*wt71) + I(qsmk*smokeintensity)"
)


@pytest.fixture(scope="module")
def nhefs_all() -> pd.DataFrame:
    return cu.load("nhefs", codes=True)


@pytest.fixture(scope="module")
def nhefs(nhefs_all: pd.DataFrame) -> pd.DataFrame:
    """The book's nhefs.nmv: the 1,566 people whose 1982 weight was measured."""
    return nhefs_all.dropna(subset=["wt82_71"])


# ---------------------------------------------------------------------------- What If (NHEFS)


def test_nhefs_analysis_sample_is_the_books(nhefs_all, nhefs):
    assert len(nhefs_all) == 1629 and len(nhefs) == 1566  # [WI] R1
    assert nhefs["qsmk"].value_counts().to_dict() == {0: 1163, 1: 403}  # [WI-R] Program 12.1 tables


def test_crude_difference_what_if(nhefs):
    r = causal.regression_effect(nhefs, "wt82_71 ~ qsmk", "qsmk")
    assert round(r["estimate"], 1) == 2.5  # [WI] crude ≈ 2.5 kg
    assert round(r["estimate"], 3) == 2.541  # [WI-R] Program 12.1: lm(wt82_71 ~ qsmk) coefficient 2.541
    assert r.attrs["measure"] == "difference" and r["n"] == 1566


@pytest.mark.parametrize("stabilized", [True, False])
def test_ip_weighting_what_if(nhefs, stabilized):
    r = causal.ipw_effect(nhefs, "qsmk", "wt82_71", PS_COVARIATES, stabilized=stabilized)
    # [WI] ch. 12: 3.4 kg (95% CI 2.4 to 4.5)
    assert (round(r["estimate"], 1), round(r["ci_low"], 1), round(r["ci_high"], 1)) == (3.4, 2.4, 4.5)
    # [WI-R] Programs 12.2 (w) and 12.3 (sw): geeglm(wt82_71 ~ qsmk, weights, id = seqn,
    # corstr = "independence") -> 3.4405 (Std.err 0.5255), 95% CI 2.411 to 4.47
    assert r["estimate"] == pytest.approx(3.4405, abs=5e-5)
    assert r["se"] == pytest.approx(0.5255, abs=5e-5)
    assert r["ci_low"] == pytest.approx(2.411, abs=5e-4)
    assert r["ci_high"] == pytest.approx(4.47, abs=5e-3)
    assert r["mean_untreated"] == pytest.approx(1.7800, abs=5e-5)  # [WI-R] intercept 1.7800


def test_ip_weights_distribution_what_if(nhefs):
    w = causal.ip_weights(nhefs, "qsmk", PS_COVARIATES, stabilized=False)
    d = causal.weight_diagnostics(w, nhefs["qsmk"]).loc["all"]
    # [WI-R] Program 12.2: summary(w) Min 1.054, Mean 1.996, Max 16.700; sd(w) 1.474787
    assert (round(d["min"], 3), round(d["mean"], 3), round(d["max"], 1)) == (1.054, 1.996, 16.7)
    assert d["sd"] == pytest.approx(1.474787, abs=5e-7)
    sw = causal.ip_weights(nhefs, "qsmk", PS_COVARIATES, stabilized=True)
    ds = causal.weight_diagnostics(sw).loc["all"]
    # [WI-R] Program 12.3: summary(sw) Min 0.331, Mean 0.999, Max 4.298
    assert (round(ds["min"], 3), round(ds["mean"], 3), round(ds["max"], 3)) == (0.331, 0.999, 4.298)


def test_ip_weighted_logistic_msm_what_if(nhefs):
    r = causal.ipw_effect(nhefs, "qsmk", "death", PS_COVARIATES, measure="odds ratio")
    # [WI-R] Program 12.5: geeglm(death ~ qsmk, weights = sw, family = binomial()) -> qsmk 0.0301
    # (Std.err 0.1573), 95% CI -0.278 to 0.338 on the log-odds scale
    assert math.log(r["estimate"]) == pytest.approx(0.0301, abs=5e-5)
    assert r["se"] == pytest.approx(0.1573, abs=5e-5)
    assert math.log(r["ci_low"]) == pytest.approx(-0.278, abs=5e-4)
    assert math.log(r["ci_high"]) == pytest.approx(0.338, abs=5e-4)


def test_standardisation_what_if(nhefs):
    r = causal.standardized_effect(nhefs, "qsmk", "wt82_71", OUTCOME_FORMULA)
    assert round(r["estimate"], 1) == 3.5  # [WI] ch. 13: 3.5 kg
    assert round(r["ci_high"], 1) == 4.5  # [WI] upper limit 4.5
    # [WI] gives the lower limit as 2.5 (R1); other reproductions of the book print 2.6. The book's
    # interval is a bootstrap one, whose last digit moves with the resamples drawn, so the test
    # accepts a lower limit that rounds to either.
    assert 2.45 <= r["ci_low"] < 2.65


def test_standardisation_reproduces_program_13_3(nhefs, nhefs_all):
    # [WI-R] Program 13.3 fits the model to the uncensored and standardises to all 1,629 people:
    # mean(interv == 0) 1.660267, mean(interv == 1) 5.178841
    r = causal.standardized_effect(nhefs, "qsmk", "wt82_71", OUTCOME_FORMULA, standardize_to=nhefs_all)
    assert r["mean_untreated"] == pytest.approx(1.660267, abs=5e-7)
    assert r["mean_treated"] == pytest.approx(5.178841, abs=5e-7)
    assert r["estimate"] == pytest.approx(5.178841 - 1.660267, abs=1e-6)


def test_standardisation_bootstrap_is_seeded_and_close_to_sandwich(nhefs):
    a = causal.standardized_effect(nhefs, "qsmk", "wt82_71", OUTCOME_FORMULA, ci="bootstrap", n_boot=200, seed=3)
    b = causal.standardized_effect(nhefs, "qsmk", "wt82_71", OUTCOME_FORMULA, ci="bootstrap", n_boot=200, seed=3)
    s = causal.standardized_effect(nhefs, "qsmk", "wt82_71", OUTCOME_FORMULA)
    assert a.equals(b)
    assert a["estimate"] == s["estimate"]
    assert a["se"] == pytest.approx(s["se"], rel=0.2)
    assert a["ci_low"] < 3.0 < 4.0 < a["ci_high"]


def test_propensity_score_range_what_if(nhefs_all):
    # [WI-R] Program 15.2 (propensity model fitted to all 1,629):
    # summary(ps[qsmk == 0]) Min 0.05298, Max 0.65788; summary(ps[qsmk == 1]) Min 0.06248, Max 0.79320
    p = causal.positivity_check(nhefs_all, "qsmk", PS_COVARIATES)
    assert p.loc["untreated", "ps_min"] == pytest.approx(0.05298, abs=5e-6)
    assert p.loc["untreated", "ps_max"] == pytest.approx(0.65788, abs=5e-6)
    assert p.loc["treated", "ps_min"] == pytest.approx(0.06248, abs=5e-6)
    assert p.loc["treated", "ps_max"] == pytest.approx(0.79320, abs=5e-6)
    assert p["n"].tolist() == [1201, 428]
    assert p["n_degenerate"].sum() == 0


def test_weighting_balances_sex_what_if(nhefs):
    # [WI-R] Program 12.2: xtabs(w ~ sex + qsmk): sex 0: 763.6 / 763.6; sex 1: 801.7 / 797.2
    w = causal.ip_weights(nhefs, "qsmk", PS_COVARIATES, stabilized=False)
    table = w.groupby([nhefs["sex"], nhefs["qsmk"]]).sum().round(1)
    assert table.to_dict() == {(0, 0): 763.6, (0, 1): 763.6, (1, 0): 801.7, (1, 1): 797.2}
    bal = causal.balance_table(nhefs, "qsmk", ["sex", "age", "wt71"], w)
    assert (bal["smd_weighted"].abs() < 0.05).all()
    assert bal.loc["age", "smd"] > 0.2  # quitters were older before weighting (46.2 vs 42.8 years)


# ---------------------------------------------------------------------------- Mantel–Haenszel


@pytest.fixture(scope="module")
def ucb() -> pd.DataFrame:
    df = cu.load("ucb_admissions")
    return df.assign(
        male=(df["gender"] == "male").astype(int),
        female=(df["gender"] == "female").astype(int),
        admitted=(df["admit"] == "admitted").astype(int),
    )


def test_mantel_haenszel_ucb_matches_r(ucb):
    r = causal.mantel_haenszel(ucb, "male", "admitted", "dept", weight="count")
    # [R] mantelhaen.test(UCBAdmissions): common odds ratio 0.9046968, 95% CI 0.7719074 to 1.0603298,
    #     Mantel-Haenszel X-squared = 1.4269 (continuity correction), p-value = 0.2323
    assert r["estimate"] == pytest.approx(0.9046968, abs=5e-8)
    assert r["ci_low"] == pytest.approx(0.7719074, abs=5e-8)
    assert r["ci_high"] == pytest.approx(1.0603298, abs=5e-8)
    assert r["mh_chi2"] == pytest.approx(1.426946, abs=5e-7)
    assert r["p_value"] == pytest.approx(0.2322635, abs=5e-8)
    # [epiR] epi.2by2(UCBAdmissions as Gender x Admit x Dept)$massoc.detail$OR.homog.brday:
    #        Breslow-Day statistic 18.82551, df 5, p 0.00207139
    assert r["homogeneity_chi2"] == pytest.approx(18.82551, abs=5e-5)
    assert r["homogeneity_p"] == pytest.approx(0.00207139, abs=5e-8)
    # crude OR, men vs women: 1 / 0.5431594 [epiR OR.crude.wald, women vs men]
    assert r["crude_or"] == pytest.approx(1 / 0.5431594389, rel=1e-8)
    assert r["n"] == 4526 and r["n_strata"] == 6


def test_mantel_haenszel_rabbits_matches_r_help_page():
    # R's ?mantelhaen.test example "Rabbits" (penicillin, Mantel 1963): delay (None vs 1.5h) x
    # response (Cured vs Died) in five penicillin levels. mantelhaen.test(Rabbits):
    # common odds ratio 7, 95% CI 1.026713 to 47.725133, X-squared = 3.9286, p-value = 0.04747
    # (the help page's comment: "p = 0.047").
    cells = {  # level: [(None, Cured), (None, Died), (1.5h, Cured), (1.5h, Died)]
        "1/8": [0, 6, 0, 5], "1/4": [3, 3, 0, 6], "1/2": [6, 0, 2, 4], "1": [5, 1, 6, 0], "4": [2, 0, 5, 0],
    }
    rows = []
    for level, counts in cells.items():
        for (immediate, cured), k in zip([(1, 1), (1, 0), (0, 1), (0, 0)], counts):
            rows.append({"level": level, "immediate": immediate, "cured": cured, "k": k})
    df = pd.DataFrame(rows)
    r = causal.mantel_haenszel(df, "immediate", "cured", "level", weight="k")
    assert r["estimate"] == pytest.approx(7.0, abs=1e-9)
    assert r["ci_low"] == pytest.approx(1.026713, abs=5e-7)
    assert r["ci_high"] == pytest.approx(47.725133, abs=5e-6)
    assert r["mh_chi2"] == pytest.approx(3.928571, abs=5e-7)
    assert round(r["p_value"], 3) == 0.047
    assert r["n_strata"] == 5 and r["n_strata_used"] == 3  # levels 1/8 and 4 have only one outcome


def test_mantel_haenszel_degenerate_strata_are_a_clear_error():
    # exposure identical to outcome: b = c = 0 in every stratum, so the pooled OR would be infinite
    df = pd.DataFrame({"e": [1, 1, 0, 0, 1, 0] * 2, "s": ["a"] * 6 + ["b"] * 6})
    df["y"] = df["e"]
    with pytest.raises(CausalInputError, match=r"odds ratio is infinite: the product b·c .* is 0 in every stratum"):
        causal.mantel_haenszel(df, "e", "y", "s")
    df["y"] = 1 - df["e"]
    with pytest.raises(CausalInputError, match=r"odds ratio is zero: the product a·d"):
        causal.mantel_haenszel(df, "e", "y", "s")


def test_stratum_odds_ratios_ucb_match_epir(ucb):
    s = causal.stratum_odds_ratios(ucb, "female", "admitted", "dept", weight="count")
    # [epiR] OR.strata.wald (women vs men), departments A-F
    expected = [2.8635896382, 1.2461048159, 0.8825660699, 1.0854419102, 0.8185776488, 1.2079151133]
    lows = [1.7111703241, 0.5285365844, 0.6656151712, 0.8086283981, 0.5528573787, 0.6641722631]
    assert s["estimate"].tolist() == pytest.approx(expected, abs=5e-9)
    assert s["ci_low"].tolist() == pytest.approx(lows, abs=5e-9)
    assert list(s.index) == [f"department {d}" for d in "ABCDEF"]
    assert s.loc["department A", "exposed_total"] == 108  # 89 admitted + 19 rejected women


def test_association_measures_ucb_match_epir(ucb):
    m = causal.association_measures(ucb, "female", "admitted", weight="count")
    # [epiR] epi.2by2(..., method = "cross.sectional"): crude women vs men
    #   OR.crude.wald 0.5431594 (0.4792272, 0.6156207); PR.crude.wald 0.6818298 (0.6286966, 0.7394536);
    #   ARisk.crude.wald -14.16454 (-16.98439, -11.34470) per 100
    assert m.loc["odds ratio", ["estimate", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [0.5431594389, 0.4792272107, 0.6156206691], abs=5e-9)
    assert m.loc["risk ratio", ["estimate", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [0.6818298436, 0.6286965976, 0.7394535573], abs=5e-9)
    assert (100 * m.loc["risk difference", ["estimate", "ci_low", "ci_high"]]).tolist() == pytest.approx(
        [-14.16454282, -16.9843891, -11.34469655], abs=5e-7)
    # admission rates from the help page's counts: 557 / 1835 women, 1198 / 2691 men
    assert m.loc["odds ratio", "risk_exposed"] == pytest.approx(557 / 1835)
    assert m.loc["odds ratio", "risk_unexposed"] == pytest.approx(1198 / 2691)


def test_association_measures_from_table_and_zero_cell():
    t = causal.two_by_two(pd.DataFrame({"e": [1, 1, 0, 0], "y": [1, 0, 1, 0], "k": [3, 7, 1, 9]}), "e", "y",
                          weight="k")
    assert t.to_numpy().tolist() == [[3, 7], [1, 9]]
    from_table = causal.association_measures(t)
    assert from_table.loc["risk ratio", "estimate"] == pytest.approx(3.0)
    assert from_table.loc["odds ratio", "estimate"] == pytest.approx(27 / 7)
    with pytest.warns(UserWarning, match="0.5 was added to every cell"):
        z = causal.association_measures([[0, 10], [5, 5]])
    assert z.loc["odds ratio", "estimate"] == pytest.approx((0.5 * 5.5) / (10.5 * 5.5))
    assert z.loc["risk difference", "estimate"] == pytest.approx(-0.5)


# ---------------------------------------------------------------------------- E-values


def test_e_value_vanderweele_ding_worked_example():
    r = causal.e_value(3.9, (1.8, 8.7))
    assert round(r["point"], 2) == 7.26  # [VD] 7.26
    # CI limit nearer the null, 1.8: 1.8 + sqrt(1.8 * 0.8) = 1.8 + 1.2 = 3.0 (the published formula, R2)
    assert r["ci"] == pytest.approx(3.0, abs=1e-12)
    assert causal.e_value(3.9, 1.8)["ci"] == pytest.approx(3.0, abs=1e-12)
    # the paper's example is an odds ratio for a rare outcome: same E-values with rare_outcome=True
    rare = causal.e_value(3.9, (1.8, 8.7), measure="OR", rare_outcome=True)
    assert (rare["point"], rare["ci"]) == (r["point"], r["ci"])


def test_e_value_protective_and_conversions():
    # a protective RR uses 1/RR: E(0.8) == E(1.25) = 1.25 + sqrt(1.25 * 0.25)
    assert causal.e_value(0.8)["point"] == pytest.approx(1.25 + math.sqrt(1.25 * 0.25))
    assert causal.e_value(0.8, (0.71, 0.91))["ci"] == pytest.approx(causal.e_value(1 / 0.91)["point"])
    # common-outcome OR -> RR = sqrt(OR) (VanderWeele & Ding 2017, Table)
    common = causal.e_value(4.0, measure="OR")
    assert common["rr_point"] == pytest.approx(2.0)
    assert common["point"] == pytest.approx(2 + math.sqrt(2))
    # common-outcome HR -> RR = (1 - 0.5**sqrt(HR)) / (1 - 0.5**sqrt(1/HR)); HR = 4 gives 0.75 / 0.29289...
    hr = causal.e_value(4.0, measure="HR")
    assert hr["rr_point"] == pytest.approx(0.75 / (1 - 0.5 ** 0.5))
    # CI crossing the null -> 1; estimate exactly 1 -> 1
    assert causal.e_value(1.4, (0.9, 2.2))["ci"] == 1.0
    assert causal.e_value(1.0)["point"] == 1.0
    assert math.isnan(causal.e_value(2.0)["ci"])


def test_e_value_is_the_result_shape():
    r = causal.e_value(3.9, (1.8, 8.7), measure="OR", rare_outcome=True)
    assert r.dtype == np.float64 and list(r.index[:5]) == ["estimate", "se", "ci_low", "ci_high", "n"]
    assert r["estimate"] == r["point"] and r.round(2)["ci"] == 3.0
    assert r.attrs["measure"] == "OR" and r.attrs["rare_outcome"] is True


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"estimate": -2}, CausalInputError, "positive ratio"),
        ({"estimate": 2, "ci_limit": 3}, CausalInputError, "nearer the null"),
        ({"estimate": 2, "ci_limit": (2.5, 3)}, CausalInputError, "outside its interval"),
        ({"estimate": 2, "measure": "RD"}, CausalInputError, "'RR', 'OR' or 'HR'"),
        ({"estimate": 2, "measure": "OR", "rare_outcome": "yes"}, CausalInputError, "True or False"),
        ({"estimate": "3.9"}, CausalInputError, "text '3.9'"),  # issue 14: numeric strings passed silently
        ({"estimate": 3.9, "ci_limit": ("1.8", 8.7)}, CausalInputError, "text '1.8'"),
    ],
)
def test_e_value_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        causal.e_value(**kwargs)


# ---------------------------------------------------------------------------- bad input


@pytest.fixture()
def small() -> pd.DataFrame:
    g = rng(0, "test_causal")
    n = 200
    l = g.integers(0, 2, n)
    a = (g.random(n) < 0.3 + 0.4 * l).astype(int)
    return pd.DataFrame({"a": a, "l": l, "y": 1.0 + a + 2 * l + g.normal(0, 1, n),
                         "grp": g.integers(1, 5, n), "label": np.where(a == 1, "uses", "not")})


def test_non_binary_treatment_is_rejected(small):
    with pytest.raises(CausalInputError, match=r"treatment 'grp' must be binary, coded 0/1.*values 1, 2, 3, 4"):
        causal.ipw_effect(small, "grp", "y", "l")
    with pytest.raises(CausalInputError, match=r"holds labels 'uses', 'not'.*data\['label_1'\] = \(data\['label'\] =="):
        causal.standardized_effect(small, "label", "y", "y ~ label + l")
    with pytest.raises(CausalInputError, match="takes only the value 1"):
        causal.ipw_effect(small.assign(a=1), "a", "y", "l")


def test_missing_outcome_is_an_error_not_dropped(small):
    bad = small.copy()
    bad.loc[[0, 5, 9], "y"] = np.nan
    for call in (
        lambda: causal.ipw_effect(bad, "a", "y", "l"),
        lambda: causal.standardized_effect(bad, "a", "y", "y ~ a + l"),
        lambda: causal.regression_effect(bad, "y ~ a + l", "a"),
    ):
        with pytest.raises(CausalInputError, match=r"(missing values in 'y' \(3 rows\)|'y' is missing for 3 of 200 rows).*pass dropna=True"):
            call()


def test_formula_naming_absent_column_lists_columns(small):
    with pytest.raises(CausalInputError, match=r"names 'age'.*Available columns: a, l, y, grp, label"):
        causal.ipw_effect(small, "a", "y", "l + age")
    with pytest.raises(CausalInputError, match=r"names 'smoking'.*Available columns"):
        causal.standardized_effect(small, "a", "y", "y ~ a + smoking")
    with pytest.raises(CausalInputError, match=r"looking for the exposure\) has no column 'kratom'"):
        causal.regression_effect(small, "y ~ a", "kratom")
    with pytest.raises(CausalInputError, match="does not appear in the formula"):
        causal.regression_effect(small, "y ~ l", "a")
    with pytest.raises(CausalInputError, match="models 'l', but it should model 'a'"):
        causal.ipw_effect(small, "a", "y", "l ~ y")


def test_propensity_scores_of_zero_or_one_are_an_error(small):
    # l perfectly predicts treatment: everyone with l = 1 is treated, nobody with l = 0
    det = small.assign(a=small["l"])
    with pytest.raises(PositivityError, match="separates the data perfectly"):
        causal.ipw_effect(det, "a", "y", "l")
    with pytest.raises(PositivityError):
        causal.ip_weights(det, "a", "l")


def test_positivity_check_reports_instead_of_raising(small):
    p = causal.positivity_check(small, "a", "l")
    assert p["n"].sum() == 200 and (p["n_degenerate"] == 0).all()
    with pytest.raises(CausalInputError, match="bounds must satisfy"):
        causal.positivity_check(small, "a", "l", bounds=(0.9, 0.1))


def test_stratified_bad_input(ucb):
    with pytest.raises(CausalInputError, match=r"has no column 'department'. Columns available: .*'dept'"):
        causal.mantel_haenszel(ucb, "male", "admitted", "department", weight="count")
    with pytest.raises(CausalInputError, match="no stratum has both exposure groups"):
        causal.mantel_haenszel(ucb.assign(s=ucb["gender"]), "male", "admitted", "s", weight="count")
    with pytest.raises(CausalInputError, match="non-negative finite counts"):
        causal.mantel_haenszel(ucb.assign(count=-ucb["count"]), "male", "admitted", "dept", weight="count")
    with pytest.raises(CausalInputError, match="shape"):
        causal.association_measures([[1, 2, 3], [4, 5, 6]])


def test_weight_diagnostics_and_measure_checks(small):
    with pytest.raises(CausalInputError, match="finite and non-negative"):
        causal.weight_diagnostics([1.0, -2.0])
    with pytest.raises(CausalInputError, match="needs a binary"):
        causal.ipw_effect(small, "a", "y", "l", measure="odds ratio")
    d = causal.weight_diagnostics([1.0, 1.0, 12.0, 1.0], [0, 0, 1, 1], threshold=10)
    assert d.loc["treated", "n_extreme"] == 1 and d.loc["untreated", "n_extreme"] == 0
    assert d.loc["all", "ess"] == pytest.approx(15.0**2 / 147.0)


def test_ipw_and_standardisation_agree_when_model_is_saturated(small):
    # With one binary confounder and a saturated outcome model, standardisation and IP weighting are
    # algebraically identical (What If, Technical Point 13.1); both equal the stratum-weighted contrast.
    s = causal.standardized_effect(small, "a", "y", "y ~ a * l")
    w = causal.ipw_effect(small, "a", "y", "l")
    by_hand = sum(
        (small.query("l == @v and a == 1")["y"].mean() - small.query("l == @v and a == 0")["y"].mean())
        * (small["l"] == v).mean() for v in (0, 1)
    )
    assert s["estimate"] == pytest.approx(by_hand, abs=1e-10)
    assert w["estimate"] == pytest.approx(by_hand, abs=1e-10)


def test_weight_diagnostics_with_one_treatment_group_is_a_clear_error():
    # before: numpy's "zero-size array to reduction operation minimum which has no identity"
    with pytest.raises(causal.CausalInputError, match="treatment has no untreated people"):
        causal.weight_diagnostics([1.0, 2.0, 3.0], [1, 1, 1])
