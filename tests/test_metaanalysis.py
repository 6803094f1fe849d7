"""Meta-analysis against published and independently computed values (BCG trials).

Reference values
----------------
1. R ``metafor`` 3.8-1 (Viechtbauer, J Stat Softw 2010;36(3), doi:10.18637/jss.v036.i03),
   run once on this machine (R 4.x, Debian package r-cran-metafor) with::

       library(metafor)
       dat <- escalc(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg)
       rma(yi, vi, data=dat, method="DL")             # estimate -0.714117, se 0.178742,
                                                      # ci -1.064445 .. -0.363789, tau^2 0.308760,
                                                      # Q(df = 12) = 152.233008, I^2 92.12%, H^2 12.69
       predict(rma(yi, vi, data=dat, method="DL"), transf=exp)
                                                      # pred 0.489624, ci 0.344919 .. 0.695038,
                                                      # pi 0.155960 .. 1.537133
       rma(yi, vi, data=dat, method="FE")             # b -0.43028516, se 0.04049875, QE 152.2330
       rma(yi, vi, data=dat, method="PM")             # b -0.71497041, se 0.18089798, tau2 0.31809371
       rma(yi, vi, mods = ~ ablat, data=dat, method="DL")
                                                      # intrcpt 0.259544 (se 0.232307), ablat -0.029229
                                                      # (se 0.006733), tau^2 0.063301, QE(df = 11) 30.733090,
                                                      # QM 18.845234, R^2 79.50%, I^2 64.21%
       regtest(rma(yi, vi, data=dat, method="DL"))    # z = -0.8379, p = 0.4021, limit b = -0.5063

   ``dat.bcg`` holds the same 13 trials as the course's ``bcg`` (HSAUR); tneg = BCGVacc − BCGTB.
2. The published random-effects (DerSimonian–Laird) result on the risk-ratio scale, 0.4896
   (95% CI 0.3449 to 0.6950), tau^2 0.3088, I^2 92.1173%, as checked against Stata
   ``metan tpos tneg cpos cneg, randomi nograph rr`` in metafor's own test suite:
   https://github.com/wviechtb/metafor/blob/master/tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r
   (fixed effect there: 0.6503, 95% CI 0.6007 to 0.7040).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import course_utils as cu
from course_utils.metaanalysis import MetaAnalysisError, funnel_asymmetry_test, log_ratio_from_counts


@pytest.fixture(scope="module")
def bcg_table() -> pd.DataFrame:
    bcg = cu.load("bcg")
    return log_ratio_from_counts(bcg["bcg_tb"], bcg["bcg_vacc"], bcg["no_vacc_tb"], bcg["no_vacc"],
                                 labels=bcg["study"])


@pytest.fixture(scope="module")
def bcg() -> pd.DataFrame:
    return cu.load("bcg")


def test_log_risk_ratios_match_metafor_escalc(bcg_table):
    # escalc(measure="RR", ...) on dat.bcg, printed with digits=8 (trials 1, 4, 8, 12)
    assert bcg_table.loc["1", "log_ratio"] == pytest.approx(-0.88931133, abs=1e-8)
    assert bcg_table.loc["1", "variance"] == pytest.approx(0.32558477, abs=1e-8)
    assert bcg_table.loc["4", "log_ratio"] == pytest.approx(-1.44155119, abs=1e-8)
    assert bcg_table.loc["8", "variance"] == pytest.approx(0.00396158, abs=1e-8)
    assert bcg_table.loc["12", "log_ratio"] == pytest.approx(0.44591340, abs=1e-8)
    assert bcg_table["estimate"].iloc[0] == pytest.approx(math.exp(-0.88931133), rel=1e-7)
    assert not bcg_table["zero_corrected"].any()
    assert bcg_table.attrs["measure"] == "risk ratio" and bcg_table.attrs["se_scale"] == "log"


def test_bcg_random_effects_dl_matches_published(bcg_table):
    meta = cu.meta_analysis(bcg_table["log_ratio"], bcg_table["variance"], method="dl", exponentiate=True)
    p, h = meta.pooled, meta.heterogeneity
    # published (Stata metan, via metafor's test suite): 0.4896 (0.3449, 0.6950)
    assert round(p["estimate"], 4) == 0.4896
    assert round(p["ci_low"], 4) == 0.3449
    assert round(p["ci_high"], 4) == 0.6950
    # metafor 3.8-1 to six decimals
    assert p["log_estimate"] == pytest.approx(-0.714117, abs=1e-6)
    assert p["se"] == pytest.approx(0.178742, abs=1e-6)
    assert p["pi_low"] == pytest.approx(0.155960, abs=1e-6)
    assert p["pi_high"] == pytest.approx(1.537133, abs=1e-6)
    assert h["tau2"] == pytest.approx(0.308760, abs=1e-6)
    assert h["q"] == pytest.approx(152.233008, abs=1e-6)
    assert h["df"] == 12
    assert h["i2"] == pytest.approx(92.1173, abs=1e-4)
    assert h["h2"] == pytest.approx(12.69, abs=0.005)
    assert p["n"] == 13
    assert p["z"] == pytest.approx(-3.995238, abs=1e-6)


def test_bcg_fixed_effect_matches_published(bcg_table):
    meta = cu.meta_analysis(bcg_table["log_ratio"], bcg_table["variance"], method="fe", exponentiate=True)
    assert round(meta.pooled["estimate"], 4) == 0.6503
    assert round(meta.pooled["ci_low"], 4) == 0.6007
    assert round(meta.pooled["ci_high"], 4) == 0.7040
    assert meta.pooled["se"] == pytest.approx(0.04049875, abs=1e-8)
    assert math.isnan(meta.pooled["pi_low"])  # no prediction interval for a common-effect model
    assert meta.heterogeneity["tau2"] == 0.0


def test_bcg_paule_mandel_matches_metafor(bcg_table):
    meta = cu.meta_analysis(bcg_table["log_ratio"], bcg_table["variance"], method="pm")
    # metafor stops its PM iteration earlier (tau2 0.3180937); the exact root of the
    # estimating equation Q(tau2) = k - 1 is 0.3180685 (scipy brentq to 1e-14), which statsmodels finds.
    assert meta.heterogeneity["tau2"] == pytest.approx(0.3180937, abs=5e-5)
    assert meta.pooled["estimate"] == pytest.approx(-0.71497041, abs=5e-5)
    assert meta.pooled["se"] == pytest.approx(0.18089798, abs=5e-5)
    y, v = bcg_table["log_ratio"].to_numpy(), bcg_table["variance"].to_numpy()
    w = 1 / (v + meta.heterogeneity["tau2"])
    q = np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2)
    assert q == pytest.approx(12, abs=1e-6)


def test_weights_sum_to_100_and_table_has_pooled_row(bcg_table):
    meta = cu.meta_analysis(bcg_table["log_ratio"], bcg_table["variance"])
    assert meta.studies["weight"].sum() == pytest.approx(100)
    table = meta.table()
    assert len(table) == 14 and table.index[-1].startswith("pooled")
    assert list(meta.studies.index[:2]) == ["1", "2"]


def test_summary_is_readable_and_stable(bcg_table):
    meta = cu.meta_analysis(bcg_table["log_ratio"], bcg_table["variance"], exponentiate=True)
    text = repr(meta)
    assert "0.490 (95% CI 0.345 to 0.695)" in text
    assert "I² = 92.1%" in text and "0x" not in text


def test_t_prediction_interval_is_wider(bcg_table):
    normal = cu.meta_analysis(bcg_table["log_ratio"], bcg_table["variance"])
    t = cu.meta_analysis(bcg_table["log_ratio"], bcg_table["variance"], prediction="t")
    assert t.pooled["pi_low"] < normal.pooled["pi_low"]
    # Higgins et al. 2009: mu ± t_{k-2} * sqrt(tau2 + se^2), t_{11, 0.975} = 2.200985
    half = 2.200985 * math.sqrt(0.308760 + 0.178742**2)
    assert t.pooled["pi_high"] == pytest.approx(-0.714117 + half, abs=1e-5)


def test_meta_regression_on_latitude_matches_metafor(bcg_table, bcg):
    fit = cu.meta_regression(bcg_table["log_ratio"], bcg_table["variance"], bcg["latitude"])
    c = fit.coefficients
    assert list(c.index) == ["intercept", "latitude"]
    assert c.loc["intercept", "estimate"] == pytest.approx(0.259544, abs=1e-6)
    assert c.loc["intercept", "se"] == pytest.approx(0.232307, abs=1e-6)
    assert c.loc["latitude", "estimate"] == pytest.approx(-0.029229, abs=1e-6)
    assert c.loc["latitude", "se"] == pytest.approx(0.006733, abs=1e-6)
    assert fit.tau2 == pytest.approx(0.063301, abs=1e-6)
    assert fit.qe == pytest.approx(30.733090, abs=1e-6)
    assert fit.qe_df == 11
    assert fit.qm == pytest.approx(18.845234, abs=1e-5)
    assert fit.r2 == pytest.approx(79.50, abs=0.005)
    assert fit.i2 == pytest.approx(64.21, abs=0.005)
    pred = fit.predict([0.0], exponentiate=False)
    assert pred["estimate"].iloc[0] == pytest.approx(0.259544, abs=1e-6)
    assert pred["se"].iloc[0] == pytest.approx(0.232307, abs=1e-6)


def test_funnel_asymmetry_matches_metafor_regtest(bcg_table):
    res = funnel_asymmetry_test(bcg_table["log_ratio"], bcg_table["variance"])
    assert res["z"] == pytest.approx(-0.8379, abs=5e-5)
    assert res["p_value"] == pytest.approx(0.4021, abs=5e-5)
    assert res["limit_estimate"] == pytest.approx(-0.5063, abs=5e-5)


def test_odds_ratio_and_zero_correction():
    # 2x2 with a zero cell: 0/10 vs 5/10; +0.5 to every cell -> OR = (0.5*5.5)/(9.5*5.5) ... computed by hand
    tab = log_ratio_from_counts([0], [10], [5], [10], measure="OR")
    a, b, c, d = 0.5, 10.5, 5.5, 5.5
    assert tab["log_ratio"].iloc[0] == pytest.approx(math.log((a * d) / (b * c)))
    assert tab["variance"].iloc[0] == pytest.approx(1 / a + 1 / b + 1 / c + 1 / d)
    assert bool(tab["zero_corrected"].iloc[0])


@pytest.mark.parametrize(
    "effect, variance, message",
    [
        ([0.1, float("nan")], [0.1, 0.1], "missing effect or variance"),
        ([0.1, 0.2], [0.1, -0.1], "positive and finite"),
        ([0.1, 0.2], [0.1, 0.0], "positive and finite"),
        ([0.1], [0.1], "only one study.*at least 2 studies"),
        ([0.1, 0.2, 0.3], [0.1, 0.2], "one effect and one variance per study"),
        ([0.1, float("inf")], [0.1, 0.1], "infinite effect"),
    ],
)
def test_bad_study_data_is_refused(effect, variance, message):
    with pytest.raises(MetaAnalysisError, match=message):
        cu.meta_analysis(effect, variance)


def test_unknown_method_and_prediction_are_refused():
    with pytest.raises(MetaAnalysisError, match="unknown method 'sj'"):
        cu.meta_analysis([0.1, 0.2], [0.1, 0.1], method="sj")
    with pytest.raises(MetaAnalysisError, match="pool_2x2"):
        cu.meta_analysis([0.1, 0.2], [0.1, 0.1], method="mh")
    with pytest.raises(MetaAnalysisError, match="prediction must be"):
        cu.meta_analysis([0.1, 0.2], [0.1, 0.1], prediction="bootstrap")
    with pytest.raises(MetaAnalysisError, match="at least 3 studies"):
        cu.meta_analysis([0.1, 0.2], [0.1, 0.1], prediction="t")


@pytest.mark.parametrize(
    "counts, message",
    [
        (([5], [3], [1], [10]), "more events than people"),
        (([-1], [10], [1], [10]), "whole numbers"),
        (([1.5], [10], [1], [10]), "whole numbers"),
        (([None], [10], [1], [10]), "missing counts"),
        (([1, 2], [10], [1], [10]), "equal lengths"),
    ],
)
def test_bad_counts_are_refused(counts, message):
    with pytest.raises(MetaAnalysisError, match=message):
        log_ratio_from_counts(*counts)


def test_bad_measure_is_refused():
    with pytest.raises(MetaAnalysisError, match="'RR'.*'OR'.*risk_difference_from_counts"):
        log_ratio_from_counts([1], [10], [2], [10], measure="RD")


def test_meta_regression_bad_moderator():
    with pytest.raises(MetaAnalysisError, match="same value in every study"):
        cu.meta_regression([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], [5, 5, 5])
    with pytest.raises(MetaAnalysisError, match="moderator is missing"):
        cu.meta_regression([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], [5, float("nan"), 6])
    with pytest.raises(MetaAnalysisError, match="one per study"):
        cu.meta_regression([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], [5, 6])


def test_log_ratio_from_ci_recovers_the_standard_error():
    # Palamar 2021 (fact B1): AOR 3.20 (1.38, 7.41); SE = (ln 7.41 - ln 1.38) / (2 * 1.959964)
    t = cu.log_ratio_from_ci([3.20], [1.38], [7.41], labels=["B1"])
    se = (math.log(7.41) - math.log(1.38)) / (2 * 1.959964)
    assert t.loc["B1", "se"] == pytest.approx(se, rel=1e-6)
    assert t.loc["B1", "variance"] == pytest.approx(se**2, rel=1e-6)
    assert t.loc["B1", "log_ratio"] == pytest.approx(math.log(3.20))
    assert abs(t.loc["B1", "asymmetry"]) < 0.01
    # round trip: a CI rebuilt from a table of counts comes back with the same SE
    tab = log_ratio_from_counts([4], [123], [11], [139])
    back = cu.log_ratio_from_ci(tab["estimate"], tab["ci_low"], tab["ci_high"])
    assert back["se"].iloc[0] == pytest.approx(tab["se"].iloc[0], rel=1e-9)


@pytest.mark.parametrize("args, message", [
    (([2.0], [2.5], [3.0]), "outside its CI"),
    (([2.0], [float("nan")], [3.0]), "estimate or CI missing"),
    (([-0.5], [-1.0], [0.2]), "must be positive"),
    (([2.0, 1.0], [1.5], [3.0]), "equal lengths"),
])
def test_log_ratio_from_ci_bad_input(args, message):
    with pytest.raises(MetaAnalysisError, match=message):
        cu.log_ratio_from_ci(*args)


# ============================================================== issue 13 item 2 / issue 14
# Reference values: tests/data/metafor_reference.R, run once with metafor 3.8-1 (output stored beside it in
# metafor_reference.txt).  Each case names the R call.  Data sets: dat.bcg (the course's `bcg`; escalc "RR"),
# dat.nielweise2007 (escalc "OR"; 0.5 added to tables with a zero cell, escalc's default), dat.hackshaw1998
# (its own yi, vi), dat.normand1999 (escalc "SMD"), and the example of issue 14 (yi 0.1, 0.3, 0.2;
# vi 0.01, 0.02, 0.015).  None of them was used to build the estimators.

DATA = Path(__file__).parent / "data"


def _studies(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name == "bcg":
        b = cu.load("bcg")
        t = log_ratio_from_counts(b["bcg_tb"], b["bcg_vacc"], b["no_vacc_tb"], b["no_vacc"])
        return t["log_ratio"].to_numpy(), t["variance"].to_numpy()
    if name == "niel":
        d = pd.read_csv(DATA / "nielweise2007.csv")
        t = log_ratio_from_counts(d["ai"], d["n1i"], d["ci"], d["n2i"], measure="OR")
        return t["log_ratio"].to_numpy(), t["variance"].to_numpy()
    if name == "hack":
        d = pd.read_csv(DATA / "hackshaw1998.csv")
        return d["yi"].to_numpy(), d["vi"].to_numpy()
    if name == "normand_smd":
        d = pd.read_csv(DATA / "normand1999.csv")
        t = cu.effect_from_means(d["m1i"], d["sd1i"], d["n1i"], d["m2i"], d["sd2i"], d["n2i"], measure="SMD")
        return t["effect"].to_numpy(), t["variance"].to_numpy()
    assert name == "issue14"
    return np.array([0.1, 0.3, 0.2]), np.array([0.01, 0.02, 0.015])


# metafor stops its PM and REML iterations when tau^2 changes by < 1e-5 (its default control), so the PM and
# REML references were computed with control = tight = list(tol=1e-12, threshold=1e-12, maxiter=1000): the exact
# roots, which this module finds.  test_metafor_defaults_stop_early shows the size of the difference.
TOLERANCE = {"dl": 1e-8, "pm": 1e-8, "reml": 1e-8}

RANDOM_EFFECTS_CASES = [
    # bcg: rma(yi, vi, method="DL", test="z"); predict() for pi.lb, pi.ub
    ("bcg", "dl", False, {"estimate": -0.7141172221, "se": 0.1787420895, "ci_low": -1.06444528, "ci_high": -0.3637891641, "p_value": 6.462924305e-05, "tau2": 0.3087602629, "i2": 92.11734685, "h2": 12.68608401, "q": 152.2330081, "pi_low": -1.858153753, "pi_high": 0.4299193086}),
    # bcg: rma(yi, vi, method="DL", test="knha"); predict() for pi.lb, pi.ub
    ("bcg", "dl", True, {"estimate": -0.7141172221, "se": 0.1806966283, "ci_low": -1.107821354, "ci_high": -0.32041309, "p_value": 0.001920766767, "tau2": 0.3087602629, "i2": 92.11734685, "h2": 12.68608401, "q": 152.2330081, "pi_low": -1.987206963, "pi_high": 0.5589725193}),
    # bcg: rma(yi, vi, method="PM", test="z", control=tight); predict() for pi.lb, pi.ub
    ("bcg", "pm", False, {"estimate": -0.7149681535, "se": 0.1808921915, "ci_low": -1.069510334, "ci_high": -0.360425973, "p_value": 7.735364608e-05, "tau2": 0.3180684522, "i2": 92.33033795, "h2": 13.03838414, "q": 152.2330081, "pi_low": -1.875807082, "pi_high": 0.4458707755}),
    # bcg: rma(yi, vi, method="PM", test="knha", control=tight); predict() for pi.lb, pi.ub
    ("bcg", "pm", True, {"estimate": -0.7149681535, "se": 0.1808921915, "ci_low": -1.109098381, "ci_high": -0.3208379258, "p_value": 0.001919271831, "tau2": 0.3180684522, "i2": 92.33033795, "h2": 13.03838414, "q": 152.2330081, "pi_low": -2.005425923, "pi_high": 0.5754896159}),
    # bcg: rma(yi, vi, method="REML", test="z", control=tight); predict() for pi.lb, pi.ub
    ("bcg", "reml", False, {"estimate": -0.7145323422, "se": 0.1797815161, "ci_low": -1.066897639, "ci_high": -0.3621670455, "p_value": 7.054258102e-05, "tau2": 0.3132432581, "i2": 92.22138452, "h2": 12.85575824, "q": 152.2330081, "pi_low": -1.866692218, "pi_high": 0.4376275336}),
    # bcg: rma(yi, vi, method="REML", test="knha", control=tight); predict() for pi.lb, pi.ub
    ("bcg", "reml", True, {"estimate": -0.7145323422, "se": 0.1807917441, "ci_low": -1.108443714, "ci_high": -0.3206209706, "p_value": 0.001920015096, "tau2": 0.3132432581, "i2": 92.22138452, "h2": 12.85575824, "q": 152.2330081, "pi_low": -1.996016834, "pi_high": 0.5669521499}),
    # niel: rma(yi, vi, method="DL", test="z"); predict() for pi.lb, pi.ub
    ("niel", "dl", False, {"estimate": -0.9547791734, "se": 0.2346183079, "ci_low": -1.414622607, "ci_high": -0.4949357399, "p_value": 4.711416597e-05, "tau2": 0.0, "i2": 0.0, "h2": 1.0, "q": 15.98935997, "pi_low": -1.414622607, "pi_high": -0.4949357399}),
    # niel: rma(yi, vi, method="DL", test="knha"); predict() for pi.lb, pi.ub
    ("niel", "dl", True, {"estimate": -0.9547791734, "se": 0.2275374976, "ci_low": -1.43484133, "ci_high": -0.4747170164, "p_value": 0.0006066561843, "tau2": 0.0, "i2": 0.0, "h2": 1.0, "q": 15.98935997, "pi_low": -1.43484133, "pi_high": -0.4747170164}),
    # niel: rma(yi, vi, method="PM", test="z", control=tight); predict() for pi.lb, pi.ub
    ("niel", "pm", False, {"estimate": -0.9547791734, "se": 0.2346183079, "ci_low": -1.414622607, "ci_high": -0.4949357399, "p_value": 4.711416597e-05, "tau2": 0.0, "i2": 0.0, "h2": 1.0, "q": 15.98935997, "pi_low": -1.414622607, "pi_high": -0.4949357399}),
    # niel: rma(yi, vi, method="PM", test="knha", control=tight); predict() for pi.lb, pi.ub
    ("niel", "pm", True, {"estimate": -0.9547791734, "se": 0.2275374976, "ci_low": -1.43484133, "ci_high": -0.4747170164, "p_value": 0.0006066561843, "tau2": 0.0, "i2": 0.0, "h2": 1.0, "q": 15.98935997, "pi_low": -1.43484133, "pi_high": -0.4747170164}),
    # niel: rma(yi, vi, method="REML", test="z", control=tight); predict() for pi.lb, pi.ub
    ("niel", "reml", False, {"estimate": -0.9601524368, "se": 0.2374725374, "ci_low": -1.425590057, "ci_high": -0.4947148162, "p_value": 5.272331699e-05, "tau2": 0.01394944395, "i2": 1.327209271, "h2": 1.01345061, "q": 15.98935997, "pi_low": -1.479977786, "pi_high": -0.440327088}),
    # niel: rma(yi, vi, method="REML", test="knha", control=tight); predict() for pi.lb, pi.ub
    ("niel", "reml", True, {"estimate": -0.9601524368, "se": 0.2286576611, "ci_low": -1.442577932, "ci_high": -0.4777269415, "p_value": 0.0006028153414, "tau2": 0.01394944395, "i2": 1.327209271, "h2": 1.01345061, "q": 15.98935997, "pi_low": -1.503132936, "pi_high": -0.417171938}),
    # hack: rma(yi, vi, method="DL", test="z"); predict() for pi.lb, pi.ub
    ("hack", "dl", False, {"estimate": 0.2138889357, "se": 0.04712263944, "ci_low": 0.1215302595, "ci_high": 0.3062476118, "p_value": 5.652575816e-06, "tau2": 0.01703644432, "i2": 24.2072485, "h2": 1.319387382, "q": 47.49794576, "pi_low": -0.05809438064, "pi_high": 0.485872252}),
    # hack: rma(yi, vi, method="DL", test="knha"); predict() for pi.lb, pi.ub
    ("hack", "dl", True, {"estimate": 0.2138889357, "se": 0.04565119307, "ci_low": 0.1213040249, "ci_high": 0.3064738465, "p_value": 3.914396767e-05, "tau2": 0.01703644432, "i2": 24.2072485, "h2": 1.319387382, "q": 47.49794576, "pi_low": -0.06654942994, "pi_high": 0.4943273013}),
    # hack: rma(yi, vi, method="PM", test="z", control=tight); predict() for pi.lb, pi.ub
    ("hack", "pm", False, {"estimate": 0.2091708753, "se": 0.04518173953, "ci_low": 0.1206162931, "ci_high": 0.2977254576, "p_value": 3.664709053e-06, "tau2": 0.0128767168, "i2": 19.44602779, "h2": 1.241403711, "q": 47.49794576, "pi_low": -0.03021853834, "pi_high": 0.448560289}),
    # hack: rma(yi, vi, method="PM", test="knha", control=tight); predict() for pi.lb, pi.ub
    ("hack", "pm", True, {"estimate": 0.2091708753, "se": 0.04518173953, "ci_low": 0.1175380604, "ci_high": 0.3008036902, "p_value": 4.633227699e-05, "tau2": 0.0128767168, "i2": 19.44602779, "h2": 1.241403711, "q": 47.49794576, "pi_low": -0.03853991813, "pi_high": 0.4568816688}),
    # hack: rma(yi, vi, method="REML", test="z", control=tight); predict() for pi.lb, pi.ub
    ("hack", "reml", False, {"estimate": 0.2188892316, "se": 0.04939553401, "ci_low": 0.1220757639, "ci_high": 0.3157026993, "p_value": 9.364202635e-06, "tau2": 0.02239453097, "i2": 29.56938292, "h2": 1.419837056, "q": 47.49794576, "pi_low": -0.08998050802, "pi_high": 0.5277589712}),
    # hack: rma(yi, vi, method="REML", test="knha", control=tight); predict() for pi.lb, pi.ub
    ("hack", "reml", True, {"estimate": 0.2188892316, "se": 0.04616867641, "ci_low": 0.1252548159, "ci_high": 0.3125236473, "p_value": 3.305487115e-05, "tau2": 0.02239453097, "i2": 29.56938292, "h2": 1.419837056, "q": 47.49794576, "pi_low": -0.09872659133, "pi_high": 0.5365050546}),
    # normand_smd: rma(yi, vi, method="DL", test="z"); predict() for pi.lb, pi.ub
    ("normand_smd", "dl", False, {"estimate": -0.5307373106, "se": 0.2592186057, "ci_low": -1.038796442, "ci_high": -0.02267817937, "p_value": 0.04061385461, "tau2": 0.5397143748, "i2": 93.53427066, "h2": 15.46615929, "q": 123.7292744, "pi_low": -2.057634369, "pi_high": 0.9961597477}),
    # normand_smd: rma(yi, vi, method="DL", test="knha"); predict() for pi.lb, pi.ub
    ("normand_smd", "dl", True, {"estimate": -0.5307373106, "se": 0.3086582553, "ci_low": -1.242504524, "ci_high": 0.1810299024, "p_value": 0.1238398155, "tau2": 0.5397143748, "i2": 93.53427066, "h2": 15.46615929, "q": 123.7292744, "pi_low": -2.3682975, "pi_high": 1.306822878}),
    # normand_smd: rma(yi, vi, method="PM", test="z", control=tight); predict() for pi.lb, pi.ub
    ("normand_smd", "pm", False, {"estimate": -0.5371719637, "se": 0.3092913683, "ci_low": -1.143371906, "ci_high": 0.06902797891, "p_value": 0.08242549615, "tau2": 0.794330181, "i2": 95.51382791, "h2": 22.2907187, "q": 123.7292744, "pi_low": -2.386189284, "pi_high": 1.311845357}),
    # normand_smd: rma(yi, vi, method="PM", test="knha", control=tight); predict() for pi.lb, pi.ub
    ("normand_smd", "pm", True, {"estimate": -0.5371719637, "se": 0.3092913683, "ci_low": -1.250399138, "ci_high": 0.1760552106, "p_value": 0.1206326781, "tau2": 0.794330181, "i2": 95.51382791, "h2": 22.2907187, "q": 123.7292744, "pi_low": -2.712641319, "pi_high": 1.638297392}),
    # normand_smd: rma(yi, vi, method="REML", test="z", control=tight); predict() for pi.lb, pi.ub
    ("normand_smd", "reml", False, {"estimate": -0.5371082584, "se": 0.3086614903, "ci_low": -1.142073663, "ci_high": 0.06785714593, "p_value": 0.08183782058, "tau2": 0.7908429138, "i2": 95.49493707, "h2": 22.19724821, "q": 123.7292744, "pi_low": -2.382094336, "pi_high": 1.307877819}),
    # normand_smd: rma(yi, vi, method="REML", test="knha", control=tight); predict() for pi.lb, pi.ub
    ("normand_smd", "reml", True, {"estimate": -0.5371082584, "se": 0.3092856339, "ci_low": -1.250322209, "ci_high": 0.1761056922, "p_value": 0.1206645322, "tau2": 0.7908429138, "i2": 95.49493707, "h2": 22.19724821, "q": 123.7292744, "pi_low": -2.708306999, "pi_high": 1.634090482}),
    # issue14: rma(yi, vi, method="DL", test="z"); predict() for pi.lb, pi.ub
    ("issue14", "dl", False, {"estimate": 0.1769230769, "se": 0.06793662205, "ci_low": 0.04376974448, "ci_high": 0.3100764094, "p_value": 0.009207901183, "tau2": 0.0, "i2": 0.0, "h2": 1.0, "q": 1.384615385, "pi_low": 0.04376974448, "pi_high": 0.3100764094}),
    # issue14: rma(yi, vi, method="DL", test="knha"); predict() for pi.lb, pi.ub
    ("issue14", "dl", True, {"estimate": 0.1769230769, "se": 0.05652668637, "ci_low": -0.0662916245, "ci_high": 0.4201377783, "p_value": 0.08870682049, "tau2": 0.0, "i2": 0.0, "h2": 1.0, "q": 1.384615385, "pi_low": -0.0662916245, "pi_high": 0.4201377783}),
    # issue14: rma(yi, vi, method="PM", test="z", control=tight); predict() for pi.lb, pi.ub
    ("issue14", "pm", False, {"estimate": 0.1769230769, "se": 0.06793662205, "ci_low": 0.04376974448, "ci_high": 0.3100764094, "p_value": 0.009207901183, "tau2": 0.0, "i2": 0.0, "h2": 1.0, "q": 1.384615385, "pi_low": 0.04376974448, "pi_high": 0.3100764094}),
    # issue14: rma(yi, vi, method="PM", test="knha", control=tight); predict() for pi.lb, pi.ub
    ("issue14", "pm", True, {"estimate": 0.1769230769, "se": 0.05652668637, "ci_low": -0.0662916245, "ci_high": 0.4201377783, "p_value": 0.08870682049, "tau2": 0.0, "i2": 0.0, "h2": 1.0, "q": 1.384615385, "pi_low": -0.0662916245, "pi_high": 0.4201377783}),
    # issue14: rma(yi, vi, method="REML", test="z", control=tight); predict() for pi.lb, pi.ub
    ("issue14", "reml", False, {"estimate": 0.1769230769, "se": 0.06793662205, "ci_low": 0.04376974448, "ci_high": 0.3100764094, "p_value": 0.009207901183, "tau2": 0.0, "i2": 0.0, "h2": 1.0, "q": 1.384615385, "pi_low": 0.04376974448, "pi_high": 0.3100764094}),
    # issue14: rma(yi, vi, method="REML", test="knha", control=tight); predict() for pi.lb, pi.ub
    ("issue14", "reml", True, {"estimate": 0.1769230769, "se": 0.05652668637, "ci_low": -0.0662916245, "ci_high": 0.4201377783, "p_value": 0.08870682049, "tau2": 0.0, "i2": 0.0, "h2": 1.0, "q": 1.384615385, "pi_low": -0.0662916245, "pi_high": 0.4201377783}),
]


@pytest.mark.parametrize("dataset, method, hk, expected", RANDOM_EFFECTS_CASES,
                         ids=[f"{c[0]}-{c[1]}-{'knha' if c[2] else 'z'}" for c in RANDOM_EFFECTS_CASES])
def test_random_effects_match_metafor(dataset, method, hk, expected):
    y, v = _studies(dataset)
    meta = cu.meta_analysis(y, v, method=method, hartung_knapp=hk)
    p, h = meta.pooled, meta.heterogeneity
    tol = TOLERANCE[method]
    for field, value in expected.items():
        got = h["h2"] if field == "h2" else p[field]
        assert got == pytest.approx(value, rel=tol, abs=tol), field
    assert p["n"] == y.size
    assert p.attrs["test"] == ("Hartung–Knapp t" if hk else "z")


@pytest.mark.parametrize("dataset, method, expected", [
    # rma(yi, vi, method=...) with metafor's default control  ->  b, se, tau2, I2
    ("bcg", "pm", (-0.7149704056, 0.1808979841, 0.3180937119, 92.33090029)),
    ("bcg", "reml", (-0.7145323484, 0.1797815318, 0.313243326, 92.22138607)),
    ("niel", "pm", (-0.9547791734, 0.2346183079, 0.0, 0.0)),
    ("niel", "reml", (-0.9601520478, 0.2374723286, 0.01394840576, 1.327111804)),
    ("hack", "pm", (0.2091980566, 0.04519243143, 0.01289857295, 19.47260706)),
    ("hack", "reml", (0.2188897743, 0.04939579453, 0.02239517493, 29.56998177)),
    ("normand_smd", "pm", (-0.5371716939, 0.3092886937, 0.7943153579, 95.51374795)),
    ("normand_smd", "reml", (-0.5371082586, 0.3086614916, 0.790842921, 95.49493711)),
])
def test_metafor_defaults_stop_early(dataset, method, expected):
    # With its default stopping rule metafor is within 5e-5 of the exact root on tau^2 (I^2 within 0.05 points)
    y, v = _studies(dataset)
    p = cu.meta_analysis(y, v, method=method).pooled
    assert [p["estimate"], p["se"], p["tau2"]] == pytest.approx(list(expected[:3]), abs=5e-5)
    assert p["i2"] == pytest.approx(expected[3], abs=0.05)


def test_issue14_homogeneous_studies_no_longer_crash():
    # Found on main: cu.meta_analysis([0.1, 0.3, 0.2], [0.01, 0.02, 0.015]) raised "math domain error" (Q < k - 1)
    for method in ("dl", "pm", "reml"):
        meta = cu.meta_analysis([0.1, 0.3, 0.2], [0.01, 0.02, 0.015], method=method)
        # rma(c(.1,.3,.2), c(.01,.02,.015), method=...)  ->  tau^2 = 0, b = 0.1769230769, se = 0.06793662205
        assert meta.pooled["tau2"] == 0.0 and meta.heterogeneity["tau"] == 0.0
        assert meta.pooled["estimate"] == pytest.approx(0.1769230769, abs=1e-10)
        assert meta.pooled["se"] == pytest.approx(0.06793662205, abs=1e-10)
        assert meta.pooled["i2"] == 0.0


def test_nielweise2007_dl_gives_the_common_effect():
    # issue 14: metafor's dat.nielweise2007, escalc(measure="OR", ai, n1i, ci, n2i); rma(yi, vi, method="DL")
    # -> log OR -0.95478, SE 0.23462, tau^2 = 0 (Q = 15.99 on 17 df)
    y, v = _studies("niel")
    meta = cu.meta_analysis(y, v, method="dl")
    assert meta.pooled["estimate"] == pytest.approx(-0.95478, abs=5e-6)
    assert meta.pooled["se"] == pytest.approx(0.23462, abs=5e-6)
    assert meta.pooled["tau2"] == 0.0
    assert meta.heterogeneity["q"] == pytest.approx(15.98935997, abs=1e-7)
    fe = cu.meta_analysis(y, v, method="fe")
    assert meta.pooled["estimate"] == pytest.approx(fe.pooled["estimate"], abs=1e-14)
    # at tau^2 = 0 the prediction interval is the confidence interval (metafor predict())
    assert meta.pooled["pi_low"] == pytest.approx(meta.pooled["ci_low"], abs=1e-14)


def test_tau2_estimators_at_the_boundary():
    # All three estimators return exactly 0, never a negative value, when the studies agree more than chance
    # predicts; and a tiny positive excess gives a tiny positive tau^2 (continuity at the boundary).
    y = np.array([0.2, 0.2, 0.2, 0.2])
    v = np.array([0.01, 0.02, 0.03, 0.04])
    for method in ("dl", "pm", "reml"):
        assert cu.meta_analysis(y, v, method=method).pooled["tau2"] == 0.0
        spread = cu.meta_analysis(np.array([0.0, 0.5, -0.5, 0.3]), v, method=method).pooled["tau2"]
        assert spread > 0


def test_paule_mandel_solves_its_estimating_equation():
    for name in ("hack", "normand_smd"):
        y, v = _studies(name)
        t2 = cu.meta_analysis(y, v, method="pm").pooled["tau2"]
        w = 1 / (v + t2)
        q = np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2)
        assert q == pytest.approx(y.size - 1, abs=1e-8)


def test_hartung_knapp_uses_t_on_k_minus_1_df():
    y, v = _studies("hack")
    meta = cu.meta_analysis(y, v, method="reml", hartung_knapp=True)
    from scipy import stats

    crit = stats.t.ppf(0.975, 36)
    p = meta.pooled
    assert p["df"] == 36 and "z" not in p.index
    assert p["ci_high"] - p["estimate"] == pytest.approx(crit * p["se"], rel=1e-12)
    assert "t(36)" in meta.summary() and "Hartung–Knapp" in meta.method_label


def test_exponentiated_hartung_knapp_bcg():
    # predict(rma(yi, vi, data=dat.bcg escalc RR, method="REML", test="knha"), transf=exp)
    y, v = _studies("bcg")
    p = cu.meta_analysis(y, v, method="reml", hartung_knapp=True, exponentiate=True).pooled
    assert p["estimate"] == pytest.approx(math.exp(-0.7145323484), rel=2e-6)
    assert p["ci_low"] == pytest.approx(math.exp(-1.108443723), rel=2e-6)
    assert p["pi_high"] == pytest.approx(math.exp(0.5669522703), rel=2e-6)
    assert p.attrs["se_scale"] == "log"


def test_result_shape_is_float_with_text_in_attrs():
    y, v = _studies("bcg")
    p = cu.meta_analysis(y, v, method="reml").pooled
    assert p.dtype == np.float64
    assert list(p.index[:5]) == ["estimate", "se", "ci_low", "ci_high", "n"]
    assert {"tau2", "i2", "q", "pi_low", "pi_high", "p_value"} <= set(p.index)
    assert p.attrs["method"] == "random effects, REML τ²"
    assert p.round(2)["estimate"] == -0.71
    assert cu.meta_analysis(y, v).heterogeneity.dtype == np.float64


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "reml"}, "only one study.*REML.*τ²"),
    ({"method": "dl"}, "only one study.*DerSimonian"),
    ({"method": "reml", "hartung_knapp": True}, "only one study.*Hartung–Knapp.*degrees of freedom"),
    ({"method": "fe", "hartung_knapp": True}, "only one study.*Hartung–Knapp"),
])
def test_one_study_is_refused_with_a_reason(kwargs, message):
    with pytest.raises(MetaAnalysisError, match=message):
        cu.meta_analysis([0.3], [0.02], **kwargs)


@pytest.mark.parametrize("effect, variance, message", [
    (["0.1", "0.3", "0.2"], [0.01, 0.02, 0.015], "effect must be numbers, but one is the text.*pd.to_numeric"),
    ([0.1, 0.3, 0.2], ["0.01", "0.02", "0.015"], "variance must be numbers, but one is the text"),
    (pd.Series(["0.1", "0.3", "0.2"]), [0.01, 0.02, 0.015], "effect must be numbers, but one is the text"),
    (pd.Series(["0.1", "0.3", "0.2"], dtype="string"), [0.01, 0.02, 0.015], "effect must be numbers, but one is the text"),
    (np.array(["0.1", "0.3", "0.2"]), [0.01, 0.02, 0.015], "effect must be numbers, but one is the text"),
    ("0.1 0.3", [0.01, 0.02], "must be numbers"),
    ([True, False, True], [0.01, 0.02, 0.015], "true/false"),
    ([0.1, 0.3, 0.2], [0.01, -0.02, 0.015], "positive and finite.*study 2"),
    ([0.1, 0.3, 0.2], [0.01, 0.02], "3 values but variance has 2"),
])
def test_bad_inputs_get_clear_errors(effect, variance, message):
    for method in ("reml", "dl"):
        with pytest.raises(MetaAnalysisError, match=message):
            cu.meta_analysis(effect, variance, method=method)


def test_numeric_strings_are_refused_everywhere():
    with pytest.raises(MetaAnalysisError, match="is the text"):
        log_ratio_from_counts(["4"], [123], [11], [139])
    with pytest.raises(MetaAnalysisError, match="is the text"):
        cu.log_ratio_from_ci(["3.2"], [1.38], [7.41])
    with pytest.raises(MetaAnalysisError, match="is the text"):
        cu.meta_regression([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], ["1", "2", "3"])
    with pytest.raises(MetaAnalysisError, match="is the text"):
        cu.effect_from_means(["5"], [1], [10], [4], [1], [10])
    with pytest.raises(MetaAnalysisError, match="is the text"):
        cu.pool_2x2(["1", "2"], [10, 10], [1, 2], [10, 10])


def test_prediction_interval_options():
    y, v = _studies("hack")
    from scipy import stats

    hk = cu.meta_analysis(y, v, method="reml", hartung_knapp=True)
    higgins = cu.meta_analysis(y, v, method="reml", hartung_knapp=True, prediction="t")
    p = higgins.pooled
    half = stats.t.ppf(0.975, 35) * math.sqrt(p["tau2"] + p["se"] ** 2)
    assert p["pi_high"] == pytest.approx(p["estimate"] + half, rel=1e-12)
    assert higgins.pooled["pi_high"] > hk.pooled["pi_high"]
    assert hk.prediction == "hk" and higgins.prediction == "t"


def test_errors_belong_to_the_course_validation_kit():
    from course_utils._validate import CourseInputError

    assert issubclass(MetaAnalysisError, CourseInputError) and issubclass(MetaAnalysisError, ValueError)
    with pytest.raises(CourseInputError):
        cu.meta_analysis([0.1, 0.2], [0.1, -0.1])


def test_reml_where_fisher_scoring_oscillates():
    # Two made-up sets found by a random search (tests/data/metafor_reference.R, section 6).
    # rma(y19, v19, method="REML") fails in metafor 3.8-1 ("Fisher scoring algorithm did not converge");
    # rma(y19, v19, method="REML", control=list(stepadj=0.5, threshold=1e-12, maxiter=10000))
    #   -> tau^2 0.01953381039, b -0.190021391, se 0.1481745043
    y19 = [-0.220278, -0.039617, 0.131952, -0.667665, 0.579059, -0.391101, -0.423947, 0.057232]
    v19 = [0.215150, 0.234221, 0.082684, 0.594051, 0.522285, 0.487174, 0.032066, 0.346424]
    p = cu.meta_analysis(y19, v19, method="reml").pooled
    assert [p["tau2"], p["estimate"], p["se"]] == pytest.approx([0.01953381039, -0.190021391, 0.1481745043],
                                                               rel=1e-8)
    # rma(y932, v932, method="REML", control=list(threshold=1e-12)): "may have gotten stuck at a local maximum.
    # Setting tau^2 = 0." -> tau^2 0, b 0.0239382703 (the restricted likelihood is highest at the boundary)
    y932 = [-0.019435, 0.074833, -0.044065, -0.316712, 1.087490]
    v932 = [0.029369, 0.337654, 0.019284, 0.320420, 0.179786]
    p = cu.meta_analysis(y932, v932, method="reml").pooled
    assert p["tau2"] == 0.0
    assert p["estimate"] == pytest.approx(0.0239382703, rel=1e-8)
