"""Tests for course_utils.trials against published values and independent implementations.

Sources of the reference numbers (each test names its own):

* strep_tb: MRC Streptomycin in Tuberculosis Trials Committee, BMJ 1948;2:769-782 (course
  reference R3): 4 of 55 streptomycin and 14 of 52 control patients died.  Risk difference and
  risk ratio are computed by hand below from those published counts.
* btheb, mixed model: Vehkalahti K, Everitt BS. *Multivariate Analysis for the Behavioral
  Sciences*, 2nd ed. (CRC 2019), Table 9.9 -- the same 100 patients, times 2/4/6/8 months,
  ``lme4::lmer(BDI ~ BDIpre + Time + Treatment + Drug + Length + (1 | Subject), na.action =
  na.omit)`` (REML), as printed in the authors' companion examples
  (github.com/KimmoVehkalahti/MABS, Examples/Chapter-09).  The same call was re-run here with R
  4 / lme4 on datasets/btheb.csv and gave the same values to the digits printed.
* btheb, ML fit, ANCOVA and Welch test: an independent R run (R 4, lme4, stats) on
  datasets/btheb.csv; the exact call is written beside each number.
* effect sizes: Borenstein M, Hedges LV, Higgins JPT, Rothstein HR. *Introduction to
  Meta-Analysis* (Wiley 2009), ch. 4 worked example (means 103 vs 100, SDs 5.5 vs 4.5, n = 50
  each: d = 0.5970, V_d = 0.0418, SE_d = 0.2044; J = 0.9923, g = 0.5924, SE_g = 0.2028), as
  reproduced in H. Zhang, "Meta Analyses PUBH 7/8305, Chapters 4 and 5 (Borenstein et al.)", 2024.
* power: Cohen J. *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed. 1988
  (d = 0.5, power 0.80, two-sided alpha 0.05: 64 per group) and R ``power.t.test``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import course_utils as cu
from course_utils import trials
from course_utils.trials import TrialDataError

BTHEB_ARMS = {"treatment": "Beat the Blues", "control": "treatment as usual"}
STREP_ARMS = {"treatment": "streptomycin", "control": "control (bed rest)"}
VISITS = {"bdi_2m": 2, "bdi_4m": 4, "bdi_6m": 6, "bdi_8m": 8}  # HSAUR (1st ed.) timing, as documented


@pytest.fixture(scope="module")
def btheb() -> pd.DataFrame:
    return cu.load("btheb")


@pytest.fixture(scope="module")
def btheb_long(btheb) -> pd.DataFrame:
    return trials.long_format(btheb, VISITS, id="patient_id", keep=["treatment", "bdi_pre", "drug", "length"],
                              value_name="bdi", time_name="month")


@pytest.fixture(scope="module")
def strep() -> pd.DataFrame:
    return cu.load("strep_tb")


# ------------------------------------------------------------------ strep_tb (R3)

def test_strep_tb_deaths_match_published_counts(strep):
    tab = trials.binary_outcome(strep, "radiologic_6m", "arm", event="death", **STREP_ARMS)
    assert tab.attrs["events_treatment"] == 4 and tab.attrs["n_treatment"] == 55
    assert tab.attrs["events_control"] == 14 and tab.attrs["n_control"] == 52


def test_strep_tb_risk_difference_and_ratio_by_hand(strep):
    tab = trials.binary_outcome(strep, "radiologic_6m", "arm", event="death", **STREP_ARMS)
    p1, p0 = 4 / 55, 14 / 52
    rd = tab.loc["risk difference"]
    se_rd = math.sqrt(p1 * (1 - p1) / 55 + p0 * (1 - p0) / 52)
    assert rd["estimate"] == pytest.approx(p1 - p0)  # -0.19650
    assert rd["estimate"] == pytest.approx(-0.1965, abs=5e-5)
    assert rd["ci_low"] == pytest.approx(p1 - p0 - 1.959964 * se_rd, abs=1e-6)
    assert rd["ci_high"] == pytest.approx(p1 - p0 + 1.959964 * se_rd, abs=1e-6)
    rr = tab.loc["risk ratio"]
    se_log = math.sqrt(1 / 4 - 1 / 55 + 1 / 14 - 1 / 52)
    assert rr["estimate"] == pytest.approx(0.2701, abs=5e-5)
    assert rr["ci_low"] == pytest.approx(math.exp(math.log(p1 / p0) - 1.959964 * se_log), abs=1e-6)  # 0.0950
    assert rr["ci_high"] == pytest.approx(math.exp(math.log(p1 / p0) + 1.959964 * se_log), abs=1e-6)  # 0.7677
    assert rr["ci_low"] == pytest.approx(0.0950, abs=5e-4) and rr["ci_high"] == pytest.approx(0.7677, abs=5e-4)


def test_binary_outcome_boolean_column_and_missing_rows():
    df = pd.DataFrame({"arm": ["t"] * 5 + ["c"] * 5,
                       "event": pd.array([True, False, False, None, False, True, True, False, False, False],
                                         dtype="boolean")})
    tab = trials.binary_outcome(df, "event", "arm", treatment="t", control="c")
    assert tab.loc["risk (treatment)", "estimate"] == pytest.approx(1 / 4)
    assert tab.loc["risk (control)", "estimate"] == pytest.approx(2 / 5)
    assert int(tab.loc["risk difference", "n_missing"]) == 1


def test_binary_outcome_unknown_event_value(strep):
    with pytest.raises(TrialDataError, match=r"event value 'died' does not occur.*pass event="):
        trials.binary_outcome(strep, "radiologic_6m", "arm", event="died", **STREP_ARMS)


def test_binary_outcome_zero_events_warns_and_corrects():
    df = pd.DataFrame({"arm": ["t"] * 4 + ["c"] * 4, "y": [False] * 4 + [True, False, False, False]})
    with pytest.warns(UserWarning, match="zero: 0.5 was added"):
        tab = trials.binary_outcome(df, "y", "arm", treatment="t", control="c")
    # Haldane-Anscombe: (0.5 / 5) / (1.5 / 5) = 1/3
    assert tab.loc["risk ratio", "estimate"] == pytest.approx(1 / 3)
    assert tab.loc["risk difference", "estimate"] == pytest.approx(-0.25)


def test_strep_tb_odds_ratio_by_hand(strep):
    tab = trials.binary_outcome(strep, "radiologic_6m", "arm", event="death", **STREP_ARMS)
    assert tab.loc["odds ratio", "estimate"] == pytest.approx((4 * 38) / (51 * 14))  # 0.2129


def test_strep_tb_considerable_improvement_matches_published_counts(strep):
    # Senn S. Dicing with Death (CUP 2003), ch. "Trials of life", quoting the 1948 report:
    # 'considerable improvement' in 28 streptomycin and 4 control patients
    tab = trials.binary_outcome(strep, "radiologic_6m", "arm", event="considerable improvement", **STREP_ARMS)
    assert (tab.attrs["events_treatment"], tab.attrs["events_control"]) == (28, 4)


# ------------------------------------------------------------------ btheb

def test_btheb_attrition_counts(btheb):
    tab = trials.attrition(btheb, "treatment", {"2 months": "bdi_2m", "8 months": "bdi_8m"}, **BTHEB_ARMS)
    # 100 patients (48 TAU, 52 BtheB); 280 follow-up scores observed in all (Vehkalahti & Everitt 2019,
    # Table 9.9: "Number of obs: 280"); R: table(b$treatment); colSums(!is.na(...)) by arm
    assert tab.loc["randomised", ("treatment as usual", "n")] == 48
    assert tab.loc["randomised", ("Beat the Blues", "n")] == 52
    assert tab.loc["2 months", ("treatment as usual", "n")] == 45
    assert tab.loc["8 months", ("treatment as usual", "n")] == 25
    assert tab.loc["8 months", ("Beat the Blues", "n")] == 27
    assert tab.loc["8 months", ("Beat the Blues", "%")] == pytest.approx(51.9)


def test_btheb_mixed_model_reml_matches_published_table(btheb_long):
    fit = trials.mixed_model(btheb_long, "bdi", "treatment", subject="patient_id", time="month",
                             covariates=["bdi_pre", "drug", "length"], **BTHEB_ARMS)
    # Vehkalahti & Everitt 2019, Table 9.9 (REML): estimate (SE)
    published = {
        "const": (5.9215, 2.3059),
        "bdi_pre": (0.6389, 0.0796),
        "month": (-0.7135, 0.1466),
        "treated": (-2.3590, 1.7084),
        "drug": (-2.7889, 1.7659),
        "length: more than six months": (0.2381, 1.6754),
    }
    for term, (est, se) in published.items():
        assert fit.loc[term, "estimate"] == pytest.approx(est, abs=1e-3), term
        assert fit.loc[term, "se"] == pytest.approx(se, abs=3e-3), term
    assert fit.attrs["n_obs"] == 280 and fit.attrs["n_subjects"] == 97
    assert fit.attrs["var_intercept"] == pytest.approx(51.4, abs=0.05)
    assert fit.attrs["var_residual"] == pytest.approx(25.3, abs=0.05)


def test_btheb_mixed_model_ml_matches_r(btheb_long):
    fit = trials.mixed_model(btheb_long, "bdi", "treatment", subject="patient_id", time="month",
                             covariates=["bdi_pre", "drug", "length"], reml=False, **BTHEB_ARMS)
    # R 4 / lme4: lmer(bdi ~ bdi_pre + time + treatment + drug + length + (1 | patient_id),
    #   data = long, REML = FALSE, na.action = na.omit), long = reshape(...) with times 2, 4, 6, 8
    #   treatmentBtheB -2.3730783 (SE 1.6637474); time -0.7170177; logLik -935.3120603
    assert fit.loc["treated", "estimate"] == pytest.approx(-2.3730783, abs=1e-4)
    assert fit.loc["treated", "se"] == pytest.approx(1.6637474, abs=2e-3)
    assert fit.loc["month", "estimate"] == pytest.approx(-0.7170177, abs=1e-4)
    assert fit.attrs["loglik"] == pytest.approx(-935.3120603, abs=1e-3)


def test_btheb_ancova_matches_r(btheb):
    r = trials.ancova(btheb, "bdi_8m", "treatment", "bdi_pre", **BTHEB_ARMS)
    # R: lm(bdi_8m ~ treatment + bdi_pre, data = b) -> treatmentBtheB -4.0104897 (SE 2.3807033),
    #    confint -8.794692 to 0.773713, df.residual 49; 48 rows dropped for missing bdi_8m
    assert r["estimate"] == pytest.approx(-4.0104897, abs=1e-6)
    assert r["se"] == pytest.approx(2.3807033, abs=1e-6)
    assert r["ci_low"] == pytest.approx(-8.794692, abs=1e-5)
    assert r["ci_high"] == pytest.approx(0.773713, abs=1e-5)
    assert r["df"] == 49 and r["n"] == 52 and r["n_missing"] == 48


def test_btheb_welch_difference_matches_r(btheb):
    r = trials.mean_difference(btheb, "bdi_8m", "treatment", **BTHEB_ARMS)
    # R: t.test(bdi_8m ~ relevel(treatment, "BtheB"), data = b) -> means 8.851852 vs 13.6,
    #    df 35.88797, 95% CI -9.9743702 to 0.4780739
    assert r["estimate"] == pytest.approx(8.851852 - 13.6, abs=1e-6)
    assert r["df"] == pytest.approx(35.88797, abs=1e-4)
    assert r["ci_low"] == pytest.approx(-9.9743702, abs=1e-6)
    assert r["ci_high"] == pytest.approx(0.4780739, abs=1e-6)


def test_btheb_locf_fills_every_dropout(btheb):
    cols = ["bdi_pre", *VISITS]
    filled = trials.carry_forward(btheb, cols)
    assert filled["bdi_8m"].notna().all()
    assert filled.attrs["n_imputed"]["bdi_8m"] == 48  # 100 patients, 52 observed at 8 months
    # patient 1 was last seen at 4 months with BDI 2, so LOCF carries 2 to 8 months
    assert filled.loc[filled["patient_id"] == 1, "bdi_8m"].item() == 2
    assert btheb["bdi_8m"].isna().sum() == 48  # the original is unchanged


def test_btheb_balance_table(btheb):
    tab = trials.balance_table(btheb, "treatment", ["bdi_pre", "drug", "length"], **BTHEB_ARMS)
    pre = tab.loc["bdi_pre"]
    tau = btheb.loc[btheb["treatment"] == "treatment as usual", "bdi_pre"].astype(float)
    btb = btheb.loc[btheb["treatment"] == "Beat the Blues", "bdi_pre"].astype(float)
    expected = (btb.mean() - tau.mean()) / math.sqrt((btb.var() + tau.var()) / 2)
    assert pre["smd"] == pytest.approx(expected)
    assert tab.loc["drug", "kind"] == "proportion"
    assert set(tab.index) == {"bdi_pre", "drug", "length: less than six months", "length: more than six months"}


# ------------------------------------------------------------------ balance by hand

def test_balance_table_standardised_differences_by_hand():
    df = pd.DataFrame({"arm": ["c"] * 4 + ["t"] * 4, "age": [20, 30, 40, 50, 30, 40, 50, 60],
                       "female": [True, True, False, False, True, True, True, False]})
    tab = trials.balance_table(df, "arm", ["age", "female"], treatment="t", control="c")
    sd = np.std([20, 30, 40, 50], ddof=1)  # both arms have the same SD
    assert tab.loc["age", "smd"] == pytest.approx(10 / sd)
    # binary (Austin 2009): (0.75 - 0.5) / sqrt((0.75*0.25 + 0.5*0.5) / 2)
    assert tab.loc["female", "smd"] == pytest.approx(0.25 / math.sqrt((0.1875 + 0.25) / 2))


# ------------------------------------------------------------------ effect sizes (Borenstein ch. 4)

def test_cohens_d_borenstein_example():
    r = trials.cohens_d(103, 5.5, 50, 100, 4.5, 50)
    assert r["s_pooled"] == pytest.approx(5.0249, abs=5e-5)
    assert r["estimate"] == pytest.approx(0.5970, abs=5e-5)
    assert r["variance"] == pytest.approx(0.0418, abs=5e-5)
    assert r["se"] == pytest.approx(0.2044, abs=5e-5)


def test_hedges_g_borenstein_example():
    r = trials.hedges_g(103, 5.5, 50, 100, 4.5, 50)
    assert r["J"] == pytest.approx(0.9923, abs=5e-5)
    assert r["estimate"] == pytest.approx(0.5924, abs=5e-5)
    assert r["se"] == pytest.approx(0.2028, abs=5e-5)
    assert r["ci_low"] == pytest.approx(0.5924 - 1.96 * 0.2028, abs=1e-3)


def test_effect_size_from_rows_equals_summary_formula():
    df = pd.DataFrame({"arm": ["c"] * 5 + ["t"] * 5, "y": [1, 2, 3, 4, 5, 3, 4, 5, 6, 8]})
    g = trials.effect_size(df, "y", "arm", treatment="t", control="c")
    yt, yc = np.array([3, 4, 5, 6, 8.0]), np.array([1, 2, 3, 4, 5.0])
    ref = trials.hedges_g(yt.mean(), yt.std(ddof=1), 5, yc.mean(), yc.std(ddof=1), 5)
    assert g["estimate"] == pytest.approx(ref["estimate"])
    with pytest.raises(ValueError, match="kind must be"):
        trials.effect_size(df, "y", "arm", treatment="t", control="c", kind="glass")


@pytest.mark.parametrize("bad", [{"sd_t": 0}, {"sd_t": -1.0}, {"n_t": 1}, {"mean_t": float("nan")}])
def test_effect_size_rejects_bad_summaries(bad):
    args = {"mean_t": 103, "sd_t": 5.5, "n_t": 50, "mean_c": 100, "sd_c": 4.5, "n_c": 50} | bad
    with pytest.raises(ValueError, match="treatment"):
        trials.cohens_d(**args)


# ------------------------------------------------------------------ power

def test_sample_size_cohen_table_and_r():
    s = trials.sample_size(0.5)
    # R: power.t.test(delta = 0.5, sd = 1, power = 0.8, sig.level = 0.05) -> n = 63.76576
    assert s["n_control_exact"] == pytest.approx(63.76576, abs=0.01)
    assert s["n_control"] == 64 and s["n_total"] == 128  # Cohen (1988): 64 per group
    # R: power.t.test(delta = 0.24, sd = 1, power = 0.8, sig.level = 0.05) -> n = 273.4942
    assert trials.sample_size(0.24)["n_control_exact"] == pytest.approx(273.4942, abs=0.01)


def test_sample_size_dropout_allowance():
    s = trials.sample_size(0.5, dropout=0.2)
    assert s["n_to_randomise"] == math.ceil(128 / 0.8)


def test_power_round_trip():
    r = trials.power(0.5, 64)
    # both tails of the two-sided test, as statsmodels: R's default counts only the upper one (0.8014586234)
    # R: power.t.test(n = 64, delta = 0.5, sd = 1, strict = TRUE)$power -> 0.8014595579
    assert r["estimate"] == pytest.approx(0.8014595579, abs=1e-7)  # scipy 1.11 (the lowest allowed) agrees to 1e-8
    assert r.dtype == np.float64 and r["n"] == 128 and r["n_control"] == 64
    assert trials.power(-0.5, 64)["estimate"] == pytest.approx(r["estimate"])
    # R: power.t.test(n = 30, delta = 0.3, strict = TRUE)$power -> 0.2078517718
    assert trials.power(0.3, 30)["estimate"] == pytest.approx(0.2078517718, abs=1e-9)


def test_sample_size_is_the_result_shape():
    s = trials.sample_size(0.5)
    # R: power.t.test(delta = 0.5, power = 0.8, strict = TRUE)$n -> 63.7656101708
    assert s["n_control_exact"] == pytest.approx(63.7656101708, abs=1e-5)
    assert s.dtype == np.float64 and list(s.index[:5]) == ["estimate", "se", "ci_low", "ci_high", "n"]
    assert s["estimate"] == s["n_control"] == 64 and s["n"] == 128
    assert trials.sample_size_binary(0.3, 0.5).dtype == np.float64


@pytest.mark.parametrize("call, message", [
    (lambda: trials.sample_size("0.5"), "text '0.5'"),
    (lambda: trials.sample_size(0.5, power="0.9"), "text '0.9'"),
    (lambda: trials.power(0.5, "64"), "text '64'"),
    (lambda: trials.sample_size_binary("0.3", 0.5), "text '0.3'"),
    (lambda: trials.sample_size(0.5, dropout=1.2), "dropout"),
])
def test_planning_refuses_text_and_out_of_range(call, message):
    with pytest.raises(TrialDataError, match=message):
        call()


def test_sample_size_binary_arcsine_formula_by_hand():
    s = trials.sample_size_binary(0.3, 0.5)
    h = 2 * math.asin(math.sqrt(0.5)) - 2 * math.asin(math.sqrt(0.3))
    z = 1.959964 + 0.841621  # z_{0.975} + z_{0.80}
    assert s["cohens_h"] == pytest.approx(h, abs=1e-9)
    assert s["n_control_exact"] == pytest.approx(2 * (z / h) ** 2, rel=1e-4)  # 92.7
    assert s["n_control"] == 93


@pytest.mark.parametrize("kwargs, match", [
    ({"effect_size": 0}, "non-zero"),
    ({"effect_size": 0.5, "power": 1.2}, "power must be strictly between 0 and 1"),
    ({"effect_size": 0.5, "alpha": 0}, "alpha must be strictly between 0 and 1"),
    ({"effect_size": 0.5, "dropout": 1.0}, "dropout"),
])
def test_sample_size_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        trials.sample_size(**kwargs)


# ------------------------------------------------------------------ analysis populations (synthetic)

def test_analysis_populations_rows_and_counts():
    from course_utils.simulate import trial

    df = trial(200, -3.0, dropout=0.25, nonadherence=0.2, seed=5)
    bocf = trials.carry_forward(df, ["baseline", "followup"])["followup"]  # baseline carried forward
    tab = trials.analysis_populations(
        df.assign(followup_bocf=bocf), "followup", "arm", treatment="treatment", control="placebo",
        adherent="adherent", imputed={"ITT, baseline carried forward": "followup_bocf"},
    )
    assert tab.index.tolist() == ["complete case", "per protocol", "ITT, baseline carried forward"]
    assert tab.loc["complete case", "n"] == int(df["followup"].notna().sum())
    assert tab.loc["per protocol", "n"] == int((df["followup"].notna() & df["adherent"]).sum())
    assert tab.loc["ITT, baseline carried forward", "n"] == 400
    assert (tab["n_randomised"] == 400).all()


def test_analysis_populations_rejects_incomplete_imputation():
    df = pd.DataFrame({"arm": ["c", "c", "t", "t", "t"], "y": [1, 2, 3, 4, None], "y2": [1, 2, 3, 4, None]})
    with pytest.raises(TrialDataError, match="still has 1 missing"):
        trials.analysis_populations(df, "y", "arm", treatment="t", control="c", imputed={"ITT": "y2"})


# ------------------------------------------------------------------ bad input: clear errors

@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame({"arm": ["A", "A", "A", "B", "B", "B"], "y": [1.0, 2, 3, 2, 3, 5],
                         "base": [1.0, 1, 2, 2, 3, 3], "empty": [np.nan] * 6})


def test_unknown_arm_label_lists_the_labels(small):
    with pytest.raises(TrialDataError, match=r"treatment label 'C' is not in the arm column 'arm'; "
                                             r"the labels there are 'A', 'B'"):
        trials.mean_difference(small, "y", "arm", treatment="C", control="A")


def test_single_arm_is_refused(small):
    one = small[small["arm"] == "A"]
    with pytest.raises(TrialDataError, match=r"holds a single arm \('A' for all 3 rows\); a comparison needs two"):
        trials.ancova(one, "y", "arm", "base", treatment="B", control="A")


def test_all_outcomes_missing_is_refused(small):
    with pytest.raises(TrialDataError, match=r"all outcomes in column 'empty' are missing for arm 'B'"):
        trials.mean_difference(small, "empty", "arm", treatment="B", control="A")


def test_missing_arm_column_and_labels(small):
    with pytest.raises(TrialDataError, match=r"no column 'group' \(the arm\)"):
        trials.mean_difference(small, "y", "group", treatment="B", control="A")
    with pytest.raises(TrialDataError, match="same label"):
        trials.mean_difference(small, "y", "arm", treatment="A", control="A")
    with pytest.raises(TrialDataError, match="pass treatment= and control="):
        trials.mean_difference(small, "y", "arm", treatment=None, control=None)


def test_rows_without_arm_are_refused(small):
    bad = small.astype({"arm": object})
    bad.loc[0, "arm"] = None
    with pytest.raises(TrialDataError, match="1 row\\(s\\) have no label in the arm column"):
        trials.balance_table(bad, "arm", ["base"], treatment="B", control="A")


def test_non_numeric_outcome_is_refused(small):
    with pytest.raises(TrialDataError, match="must be numeric"):
        trials.mean_difference(small.assign(y=list("abcdef")), "y", "arm", treatment="B", control="A")


def test_not_a_dataframe():
    with pytest.raises(TrialDataError, match="pandas DataFrame"):
        trials.mean_difference([1, 2, 3], "y", "arm", treatment="B", control="A")


@pytest.mark.parametrize("call", [
    lambda: trials.power(0.5, 64, ratio=-1),
    lambda: trials.power(0.5, 64, ratio=0),
    lambda: trials.sample_size_binary(0.3, 0.5, ratio=0),
    lambda: trials.sample_size_binary(0.3, 0.5, ratio=-2),
])
def test_power_and_binary_sample_size_reject_a_non_positive_ratio(call):
    # before: power() raised a bare ZeroDivisionError and sample_size_binary(ratio=0) planned 0 treated
    with pytest.raises(ValueError, match=r"ratio \(n_treatment / n_control\) must be positive"):
        call()


def test_long_format_names_a_missing_keep_column():
    df = pd.DataFrame({"pid": [1, 2], "m2": [10, 12]})
    with pytest.raises(TrialDataError, match=r"no column 'arm' \(the column to keep\)"):
        trials.long_format(df, {"m2": 2}, id="pid", keep=["arm"])


def test_infinite_outcome_is_refused_not_counted_as_missing(small):
    # before: the infinite value was silently dropped and reported as a missing outcome
    bad = small.assign(y=[1.0, np.inf, 3, 2, 3, 5])
    with pytest.raises(TrialDataError, match=r"column 'y' has 1 infinite value\(s\) \(rows 1\)"):
        trials.mean_difference(bad, "y", "arm", treatment="B", control="A")


def test_mixed_model_refuses_a_fit_that_did_not_converge(btheb_long, monkeypatch):
    # statsmodels can end with converged=False without a ConvergenceWarning; that fit must not be
    # reported as a result. Simulate it by making every fit report non-convergence.
    from statsmodels.regression.mixed_linear_model import MixedLM

    real_fit = MixedLM.fit

    def unconverged(self, *args, **kwargs):
        result = real_fit(self, *args, **kwargs)
        result.converged = False
        return result

    monkeypatch.setattr(MixedLM, "fit", unconverged)
    with pytest.raises(trials.TrialDataError, match="did not converge .*converged=False"):
        trials.mixed_model(btheb_long, "bdi", "treatment", subject="patient_id", time="month",
                           covariates=["bdi_pre"], **BTHEB_ARMS)


# ------------------------------------------------------------------ formulas, as everywhere in the course

def test_ancova_takes_a_formula_for_covariates(btheb):
    # R: b$t <- as.numeric(b$treatment == "BtheB");
    # lm(bdi_8m ~ t + bdi_pre + factor(drug) + factor(length) + I(bdi_pre^2), data = b)
    # -> t -3.0860830291 (SE 2.5036145724), 52 observations
    r = trials.ancova(btheb, "bdi_8m", "treatment", "bdi_pre", covariates="drug + C(length) + I(bdi_pre**2)",
                      **BTHEB_ARMS)
    assert r["estimate"] == pytest.approx(-3.0860830291, abs=1e-9)
    assert r["se"] == pytest.approx(2.5036145724, abs=1e-9)
    assert r["n"] == 52 and r["n_missing"] == 48


def test_trial_inputs_use_the_course_validation_kit(small):
    from course_utils._validate import CourseInputError

    with pytest.raises(CourseInputError, match="has no rows"):
        trials.mean_difference(small.iloc[:0], "y", "arm", treatment="B", control="A")
    with pytest.raises(TrialDataError, match="numbers stored as text"):
        trials.mean_difference(small.assign(y=small["y"].astype(str)), "y", "arm", treatment="B", control="A")


def test_summary_statistics_refuse_numeric_strings():
    # issue 14: numeric strings passed silently as effects and counts
    with pytest.raises(TrialDataError, match="treatment mean must be a finite number, got '103'"):
        trials.cohens_d("103", 5.5, 50, 100, 4.5, 50)
    with pytest.raises(TrialDataError, match="group size"):
        trials.hedges_g(103, 5.5, "50", 100, 4.5, 50)


def test_mixed_model_formula_covariates_give_the_published_table(btheb_long):
    # the same model as Vehkalahti & Everitt 2019, Table 9.9 (REML), covariates written as a formula
    fit = trials.mixed_model(btheb_long, "bdi", "treatment", subject="patient_id", time="month",
                             covariates="bdi_pre + drug + C(length)", **BTHEB_ARMS)
    assert fit.loc["treated", "estimate"] == pytest.approx(-2.3590, abs=1e-3)
    assert fit.loc["treated", "se"] == pytest.approx(1.7084, abs=3e-3)
    assert fit.loc["bdi_pre", "estimate"] == pytest.approx(0.6389, abs=1e-3)
    assert fit.attrs["n_obs"] == 280
