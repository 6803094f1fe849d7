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
        ([0.1], [0.1], "at least 2 studies"),
        ([0.1, 0.2, 0.3], [0.1, 0.2], "one effect and one variance per study"),
        ([0.1, float("inf")], [0.1, 0.1], "infinite effect"),
    ],
)
def test_bad_study_data_is_refused(effect, variance, message):
    with pytest.raises(MetaAnalysisError, match=message):
        cu.meta_analysis(effect, variance)


def test_unknown_method_and_prediction_are_refused():
    with pytest.raises(MetaAnalysisError, match="unknown method 'reml'"):
        cu.meta_analysis([0.1, 0.2], [0.1, 0.1], method="reml")
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
    with pytest.raises(MetaAnalysisError, match="'RR'.*'OR'"):
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
