"""course_utils.survey against R's survey package (Lumley), version 4.1.1.

Reference values were printed once by R (``options(digits = 10)``) from the
designs below, on the api data exported to tests/data (see tests/data/README.md):

    library(survey); data(api)
    dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat)
    dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1)
    dclus2f <- svydesign(id = ~dnum, weights = ~pw, data = apiclus2)   # ultimate clusters

Designs *with* a finite-population correction, multistage designs, design-based
regression (svyglm), ratios (svyratio) and the Rao-Scott test (svychisq) are
tested further down on the api designs and on three more datasets of the survey
package, exported once to tests/data (nhanes, mu284, fpc; see
tests/data/README.md).  Every R call is written beside its numbers; R is not
needed to run the tests.  The survey
package's own documentation (Lumley, "Summary statistics" example page,
http://r-survey.r-forge.r-project.org/survey/example-summary.html) prints the
dclus1 results *with* fpc; test_published_example_page converts ours to check
against those printed numbers too.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from course_utils.survey import SurveyColumnError, SurveyDesign, SurveyDesignError

DATA = Path(__file__).parent / "data"
REL = 1e-5  # at least 5 significant digits


@pytest.fixture(scope="module")
def apistrat() -> pd.DataFrame:
    return pd.read_csv(DATA / "apistrat.csv")


@pytest.fixture(scope="module")
def apiclus1() -> pd.DataFrame:
    return pd.read_csv(DATA / "apiclus1.csv")


@pytest.fixture(scope="module")
def dstrat(apistrat) -> SurveyDesign:
    return SurveyDesign(apistrat, weight="pw", strata="stype")


@pytest.fixture(scope="module")
def dclus1(apiclus1) -> SurveyDesign:
    return SurveyDesign(apiclus1, weight="pw", psu="dnum")


def close(actual: float, expected: float, rel: float = REL) -> bool:
    return actual == pytest.approx(expected, rel=rel)


# ---------------------------------------------------------------- means
def test_stratified_mean(dstrat):
    # svymean(~api00, dstrat, deff = TRUE)  ->  mean 662.2873632  SE 9.5361323  DEff 1.23724
    r = dstrat.mean("api00")
    assert close(r["estimate"], 662.2873632)
    assert close(r["se"], 9.5361323)
    assert close(r["deff"], 1.23724)
    assert r["n"] == 200
    # degf(dstrat) -> 197 ; confint(svymean(~api00, dstrat), df = degf(dstrat)) -> 643.4813566 681.0933697
    assert r["df"] == 197
    assert close(r["ci_low"], 643.4813566) and close(r["ci_high"], 681.0933697)


def test_cluster_mean_and_deff(dclus1):
    # svymean(~api00 + enroll, dclus1, deff = TRUE)
    #   api00  644.169399  SE 23.779011  DEff 9.53480
    #   enroll 549.715847  SE 45.645873  DEff 2.87996
    r = dclus1.mean("api00")
    assert close(r["estimate"], 644.169399)
    assert close(r["se"], 23.779011)
    assert close(r["deff"], 9.53480)
    e = dclus1.mean("enroll")
    assert close(e["estimate"], 549.715847) and close(e["se"], 45.645873) and close(e["deff"], 2.87996)
    # degf(dclus1) -> 14 ; confint(svymean(~api00, dclus1), df = degf(dclus1)) -> 593.1684933 695.1703046
    assert r["df"] == 14
    assert close(r["ci_low"], 593.1684933) and close(r["ci_high"], 695.1703046)


def test_published_example_page(dclus1, apiclus1):
    """Lumley's example page prints, for dclus1 WITH fpc = ~fpc (15 of 757 districts):
    svymean(~api00, dclus1): 644.17, SE 23.542; svymean(~api00+api99+stype, dclus1):
    api99 606.978142 SE 24.2250, stypeE 0.786885, stypeH 0.076503, stypeM 0.136612;
    svytotal(~enroll, dclus1): 3404940.13, SE 932235.03.
    Our with-replacement SE times sqrt(1 - 15/757) must give those SEs."""
    fpc = math.sqrt(1 - 15 / apiclus1["fpc"].iloc[0])
    assert apiclus1["fpc"].nunique() == 1 and apiclus1["fpc"].iloc[0] == 757
    assert close(dclus1.mean("api00")["se"] * fpc, 23.542, rel=5e-5)
    api99 = dclus1.mean("api99")
    assert close(api99["estimate"], 606.978142) and close(api99["se"] * fpc, 24.2250, rel=5e-5)
    props = dclus1.proportion("stype")["estimate"]
    assert np.allclose(props[["E", "H", "M"]].to_numpy(), [0.786885, 0.076503, 0.136612], rtol=0, atol=5e-7)  # printed to 6 decimals
    total = dclus1.total("enroll")
    assert close(total["estimate"], 3404940.13) and close(total["se"] * fpc, 932235.03, rel=5e-6)


def test_total(dclus1):
    # svytotal(~enroll, dclus1, deff = TRUE) -> total 3404940.13  SE 941610.74
    r = dclus1.total("enroll")
    assert close(r["estimate"], 3404940.13) and close(r["se"], 941610.74)


# ---------------------------------------------------------------- proportions
def test_proportion_of_factor_levels(dclus1):
    # svymean(~sch.wide, dclus1, deff = TRUE)
    #   sch.wideNo 0.125683060 SE 0.020564237 DEff 0.72173 ; sch.wideYes 0.874316940 (same SE, DEff)
    r = dclus1.proportion("sch.wide")
    assert list(r.index) == ["No", "Yes"]
    assert close(r.loc["No", "estimate"], 0.125683060) and close(r.loc["Yes", "estimate"], 0.874316940)
    assert close(r.loc["No", "se"], 0.020564237) and close(r.loc["Yes", "se"], 0.020564237)
    assert close(r.loc["Yes", "deff"], 0.72173)


def test_proportion_of_boolean_and_01(apistrat, dstrat):
    # svymean(~I(awards == "Yes"), dstrat, deff = TRUE) -> TRUE 0.638936064 SE 0.034897518 DEff 1.08556
    data = apistrat.assign(award=apistrat["awards"] == "Yes", award01=(apistrat["awards"] == "Yes").astype(int))
    design = SurveyDesign(data, weight="pw", strata="stype")
    for column in ("award", "award01"):
        r = design.proportion(column)
        assert close(r["estimate"], 0.638936064) and close(r["se"], 0.034897518) and close(r["deff"], 1.08556)


def test_proportion_of_stratum_variable_has_zero_se(dstrat):
    # svymean(~stype, dstrat, deff = TRUE) -> E 0.71375524 H 0.12189216 M 0.16435261, SE 0, DEff 0
    r = dstrat.proportion("stype")
    assert np.allclose(r["estimate"].to_numpy(), [0.71375524, 0.12189216, 0.16435261], rtol=1e-7)
    assert np.allclose(r["se"].to_numpy(), 0, atol=1e-12)


def test_logit_interval(apiclus1, apistrat):
    # confint(svyciprop(~I(sch.wide == "Yes"), dclus1, method = "logit")) -> 0.8232180268 0.9122206241
    design = SurveyDesign(apiclus1.assign(yes=apiclus1["sch.wide"] == "Yes"), weight="pw", psu="dnum")
    r = design.proportion("yes", ci="logit")
    assert close(r["ci_low"], 0.8232180268) and close(r["ci_high"], 0.9122206241)
    # confint(svyciprop(~I(awards == "Yes"), dstrat, method = "logit")) -> 0.5676900557 0.7045512912
    design = SurveyDesign(apistrat.assign(yes=apistrat["awards"] == "Yes"), weight="pw", strata="stype")
    r = design.proportion("yes", ci="logit")
    assert close(r["ci_low"], 0.5676900557) and close(r["ci_high"], 0.7045512912)


# ---------------------------------------------------------------- domains (by=)
def test_by_group_stratified(dstrat):
    # svyby(~api00, ~stype, dstrat, svymean, deff = TRUE)
    #   E 674.43 se 12.52494283 DEff 1.023142792 ; H 625.82 15.45774200 1.070921984 ; M 636.60 16.62820324 1.051652891
    r = dstrat.mean("api00", by="stype")
    assert np.allclose(r["estimate"], [674.43, 625.82, 636.60], rtol=1e-9)
    assert np.allclose(r["se"], [12.52494283, 15.45774200, 16.62820324], rtol=1e-8)
    assert np.allclose(r["deff"], [1.023142792, 1.070921984, 1.051652891], rtol=1e-8)
    assert r["n"].tolist() == [100, 50, 50]


def test_by_group_cluster_keeps_all_psus(dclus1):
    # svyby(~api00, ~stype, dclus1, svymean, deff = TRUE)
    #   E 648.8680556 se 22.58731307 DEff 6.716766656 ; H 618.5714286 38.40262823 2.273304990 ;
    #   M 631.4400000 31.92736929 2.207644324
    # confint(svyby(~api00, ~stype, dclus1, svymean), df = degf(dclus1))
    #   E 600.4230872 697.3130239 ; H 536.2059828 700.9368744 ; M 562.9626034 699.9173966
    r = dclus1.mean("api00", by="stype")
    assert np.allclose(r["estimate"], [648.8680556, 618.5714286, 631.44], rtol=1e-9)
    assert np.allclose(r["se"], [22.58731307, 38.40262823, 31.92736929], rtol=1e-8)
    assert np.allclose(r["deff"], [6.716766656, 2.273304990, 2.207644324], rtol=1e-8)
    assert np.allclose(r["ci_low"], [600.4230872, 536.2059828, 562.9626034], rtol=1e-8)
    assert np.allclose(r["ci_high"], [697.3130239, 700.9368744, 699.9173966], rtol=1e-8)


def test_by_group_proportions(dclus1):
    # svyby(~sch.wide, ~stype, dclus1, svymean)
    #   E No 0.08333333333 se 0.02119532294 ; H No 0.21428571429 se 0.09238176461 ; M No 0.32 se 0.11060353908
    r = dclus1.proportion("sch.wide", by="stype")
    assert r.index.names == ["stype", "sch.wide"]
    no = r.xs("No", level="sch.wide")
    assert np.allclose(no["estimate"], [0.08333333333, 0.21428571429, 0.32], rtol=1e-9)
    assert np.allclose(no["se"], [0.02119532294, 0.09238176461, 0.11060353908], rtol=1e-8)


def test_stratified_clustered_design(apistrat):
    # dsn <- svydesign(id = ~dnum, strata = ~stype, weights = ~pw, data = apistrat, nest = TRUE)
    # options(survey.lonely.psu = "adjust")   (dsn has single-PSU strata? no: degf(dsn) -> 159)
    # svymean(~api00, dsn, deff = TRUE) -> 662.287363 SE 11.189632 DEff 1.7035
    # svyby(~api00, ~awards, dsn, svymean, deff = TRUE)
    #   No 633.7349117 se 17.50644592 DEff 1.770521947 ; Yes 678.4224056 se 14.58885506 DEff 1.730228798
    design = SurveyDesign(apistrat, weight="pw", strata="stype", psu="dnum", nest=True)
    assert design.df == 159
    r = design.mean("api00")
    assert close(r["se"], 11.189632) and close(r["deff"], 1.7035, rel=5e-5)
    by = design.mean("api00", by="awards")
    assert np.allclose(by["se"], [17.50644592, 14.58885506], rtol=1e-8)
    assert np.allclose(by["deff"], [1.770521947, 1.730228798], rtol=1e-8)


def test_two_stage_sample_as_ultimate_clusters():
    # dclus2f <- svydesign(id = ~dnum, weights = ~pw, data = apiclus2); degf -> 39
    # svymean(~enroll, dclus2f, deff = TRUE, na.rm = TRUE) -> 526.262642 SE 82.004535 DEff 6.39971
    data = pd.read_csv(DATA / "apiclus2.csv")
    design = SurveyDesign(data, weight="pw", psu="dnum")
    with pytest.warns(UserWarning, match=r"left out 6 of 126 rows with missing values in .enroll."):
        r = design.mean("enroll", dropna=True)
    assert design.df == 39
    assert close(r["estimate"], 526.262642) and close(r["se"], 82.004535) and close(r["deff"], 6.39971)
    assert r["n"] == 120 and r["n_dropped"] == 6


def test_missing_outcome_with_dropna(dclus1, apiclus1):
    # svymean(~avg.ed, dclus1, na.rm = TRUE, deff = TRUE) -> 2.62152865 SE 0.10645956 DEff 4.42561
    # sum(is.na(apiclus1$avg.ed)) -> 26
    with pytest.warns(UserWarning, match=r"left out 26 of 183 rows with missing values in 'avg.ed' \(26 rows\) \(dropna=True\)"):
        r = dclus1.mean("avg.ed", dropna=True)
    assert close(r["estimate"], 2.62152865) and close(r["se"], 0.10645956) and close(r["deff"], 4.42561)
    assert r["n"] == 183 - 26 and r["n_dropped"] == 26


# ---------------------------------------------------------------- single-PSU strata
def test_single_psu_options_match_r(apistrat):
    # dlon <- svydesign(id = ~1, strata = ~cname, weights = ~pw, data = apistrat)  # 13 counties have 1 school
    # options(survey.lonely.psu = "adjust"); svymean(~api00, dlon) -> 662.28736 SE 9.02671 ; degf(dlon) -> 160
    # options(survey.lonely.psu = "remove"); svymean(~api00, dlon) -> SE 8.92538
    center = SurveyDesign(apistrat, weight="pw", strata="cname", single_psu="center")
    assert center.df == 160
    assert close(center.mean("api00")["se"], 9.02671)
    remove = SurveyDesign(apistrat, weight="pw", strata="cname", single_psu="remove")
    assert close(remove.mean("api00")["se"], 8.92538)


def test_single_psu_fails_by_default(apistrat):
    # options(survey.lonely.psu = "fail"); svymean(~api00, dlon)
    #   -> Error: Stratum (Amador) has only one PSU at stage 1
    with pytest.raises(SurveyDesignError, match=r"13 stratum/strata of 'cname' have a single PSU \(Amador, "):
        SurveyDesign(apistrat, weight="pw", strata="cname")
    with pytest.raises(SurveyDesignError, match="single_psu='center'"):
        SurveyDesign(apistrat, weight="pw", strata="cname")


def test_unknown_single_psu_option(apistrat):
    with pytest.raises(ValueError, match="single_psu must be one of 'fail', 'center', 'remove'"):
        SurveyDesign(apistrat, weight="pw", single_psu="adjust-ish")


# ---------------------------------------------------------------- bad input
@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame(
        {"y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "w": [1.0, 2.0, 1.0, 2.0, 1.0, 2.0], "h": [1, 1, 1, 2, 2, 2],
         "p": [1, 2, 2, 1, 2, 2], "cat": list("abcabc")}
    )


def test_not_a_dataframe():
    with pytest.raises(TypeError, match="data must be a pandas DataFrame"):
        SurveyDesign([[1, 2]], weight="w")


def test_missing_weight_column_suggests(small):
    with pytest.raises(KeyError, match=r"weight column 'W' is not in the data\. Did you mean 'w'\?"):
        SurveyDesign(small, weight="W")


def test_missing_strata_and_outcome_columns(small):
    with pytest.raises(KeyError, match="strata column 'stratum' is not in the data"):
        SurveyDesign(small, weight="w", strata="stratum")
    design = SurveyDesign(small, weight="w", strata="h", psu="p", nest=True)
    with pytest.raises(KeyError, match=r"outcome column 'yy' is not in the data\. Did you mean 'y'\?"):
        design.mean("yy")
    with pytest.raises(KeyError, match="by column 'group' is not in the data"):
        design.mean("y", by="group")


def test_negative_weights(small):
    bad = small.assign(w=[1.0, -2.0, 1.0, 2.0, 1.0, 2.0])
    with pytest.raises(SurveyDesignError, match=r"'w' has 1 negative value\(s\) \(rows 1\); weights count the people"):
        SurveyDesign(bad, weight="w")


def test_zero_sum_weights(small):
    with pytest.raises(SurveyDesignError, match="the weights in 'w' sum to zero"):
        SurveyDesign(small.assign(w=0.0), weight="w")


def test_missing_weights(small):
    bad = small.assign(w=[1.0, np.nan, 1.0, np.nan, 1.0, 2.0])
    with pytest.raises(SurveyDesignError, match=r"'w' has 2 missing value\(s\) \(rows 1, 3\)"):
        SurveyDesign(bad, weight="w")


def test_non_numeric_weights(small):
    with pytest.raises(TypeError, match="weight column 'cat' must be numeric"):
        SurveyDesign(small, weight="cat")


def test_missing_strata_or_psu_codes(small):
    with pytest.raises(SurveyDesignError, match=r"stratum column 'h' has 1 missing value\(s\)"):
        SurveyDesign(small.assign(h=[1, 1, None, 2, 2, 2]), weight="w", strata="h")
    with pytest.raises(SurveyDesignError, match=r"PSU column 'p' has 1 missing value\(s\)"):
        SurveyDesign(small.assign(p=[1, 2, 2, None, 2, 2]), weight="w", strata="h", psu="p", nest=True)


def test_non_numeric_outcome_for_mean(small):
    design = SurveyDesign(small, weight="w", strata="h", psu="p", nest=True)
    with pytest.raises(TypeError, match=r"mean\(\) needs a numeric outcome, but 'cat'.*use proportion\('cat'\)"):
        design.mean("cat")
    coded = SurveyDesign(small.assign(cat=small["cat"].astype("category")), weight="w")
    with pytest.raises(TypeError, match=r"mean\(\) needs a numeric outcome, but 'cat' has dtype category"):
        coded.mean("cat")


def test_proportion_of_a_score_is_refused(small):
    design = SurveyDesign(small, weight="w", strata="h", psu="p", nest=True)
    with pytest.raises(ValueError, match=r"needs 0/1 values, but 'y' holds 1, 2, 3, 4, 5, 6\. Use mean\('y'\)"):
        design.proportion("y")


def test_missing_outcome_values_raise_unless_dropna(small):
    data = small.assign(y=[1.0, np.nan, 3.0, 4.0, 5.0, 6.0])
    design = SurveyDesign(data, weight="w", strata="h", psu="p", nest=True)
    with pytest.raises(SurveyDesignError, match=r"missing values in 'y' \(1 row\); pass dropna=True to analyse the 5 complete"):
        design.mean("y")
    with pytest.warns(UserWarning, match=r"left out 1 of 6 rows with missing values in 'y'"):
        r = design.mean("y", dropna=True)
    assert r["n"] == 5 and r["n_dropped"] == 1


def test_missing_group_values(small):
    design = SurveyDesign(small.assign(g=["a", None, "a", "b", "b", "b"]), weight="w", strata="h", psu="p", nest=True)
    with pytest.raises(SurveyDesignError, match=r"grouping column 'g' has 1 missing value\(s\)"):
        design.mean("y", by="g")


def test_no_degrees_of_freedom(small):
    with pytest.raises(SurveyDesignError, match=r"no degrees of freedom are left"):
        SurveyDesign(small.assign(p=1, h=[1, 1, 1, 1, 1, 1]), weight="w", strata="h", psu="p",
                     single_psu="center", nest=True)


def test_bad_ci_option(small):
    design = SurveyDesign(small.assign(b=[0, 1, 0, 1, 1, 0]), weight="w")
    with pytest.raises(ValueError, match="ci must be 'wald' or 'logit'"):
        design.proportion("b", ci="exact")


# ---------------------------------------------------------------- synthetic survey
@pytest.mark.timing
def test_on_synthetic_survey_weights_matter_and_fast():
    import time

    from course_utils.simulate import nsduh_like

    data = nsduh_like()
    start = time.perf_counter()
    design = SurveyDesign(data, weight="ANALWT2_C", strata="VESTR_C", psu="VEREP", nest=True)
    r = design.proportion("AMDEYR")
    by = design.proportion("kratom_py", by="CATAG6")
    elapsed = time.perf_counter() - start
    assert design.df == 50
    assert r["deff"] > 1  # weights and clustering cost precision
    assert r["estimate"] < data["AMDEYR"].mean()  # young adults (more depression) are oversampled
    assert list(by.index) == ["18-25", "26-34", "35-49", "50-64", "65+"]
    assert elapsed < 1.0


def test_total_with_lonely_psu_centres_at_the_average_psu_total():
    # R survey:::onestage with survey.lonely.psu = "adjust": a lonely PSU's total is centred at
    # colSums(x) / (number of PSUs in the design), not at 0.  By hand for this design:
    # PSU totals of w*y: stratum 1 -> 1, 0, 1; stratum 2 -> 2, 0; stratum 3 (lonely) -> 0; total 4.
    # stratum 1: (1/9 + 4/9 + 1/9) * 3/2 = 1; stratum 2: (1 + 1) * 2/1 = 4;
    # stratum 3: (0 - 4/6)**2 = 4/9  ->  variance 49/9, SE 7/3.
    df = pd.DataFrame({"y": [1, 0, 1, 1, 0, 0], "w": [1, 2, 1, 2, 1, 2],
                       "h": [1, 1, 1, 2, 2, 3], "psu": [1, 2, 3, 1, 2, 3]})
    r = SurveyDesign(df, weight="w", strata="h", psu="psu", single_psu="center", nest=True).total("y")
    assert r["estimate"] == pytest.approx(4.0)
    assert r["se"] == pytest.approx(7 / 3, rel=1e-12)


def test_infinite_outcome_is_an_error(small):
    design = SurveyDesign(small.assign(y=[1.0, np.inf, 3.0, 4.0, 5.0, 6.0]), weight="w", strata="h", psu="p", nest=True)
    for estimate in (design.mean, design.total):
        with pytest.raises(SurveyDesignError, match=r"outcome 'y' has 1 infinite value\(s\) \(rows 1\)"):
            estimate("y")


# ================================================================ issue 13: fpc and multistage designs
# R (survey 4.1.1), options(digits = 12); p <- function(x) print(c(coef(x), SE(x)))
@pytest.fixture(scope="module")
def apiclus2() -> pd.DataFrame:
    return pd.read_csv(DATA / "apiclus2.csv")


@pytest.fixture(scope="module")
def nhanes() -> pd.DataFrame:
    data = pd.read_csv(DATA / "nhanes.csv")
    data["race"] = data["race"].astype("category")  # R: factor(race)
    data["agecat"] = pd.Categorical(data["agecat"], categories=["(0,19]", "(19,39]", "(39,59]", "(59,Inf]"])
    data["adult"] = (data["agecat"] != "(0,19]").astype(float)
    return data


@pytest.fixture(scope="module")
def dnhanes(nhanes) -> SurveyDesign:
    # dnh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)
    return SurveyDesign(nhanes, weight="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", nest=True)


@pytest.fixture(scope="module")
def dclus2(apiclus2) -> SurveyDesign:
    # dclus2 <- svydesign(id = ~dnum + snum, weights = ~pw, fpc = ~fpc1 + fpc2, data = apiclus2)
    return SurveyDesign(apiclus2, weight="pw", psu=["dnum", "snum"], fpc=["fpc1", "fpc2"])


def test_fpc_one_stage_cluster(apiclus1):
    # dclus1f <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1)
    # p(svymean(~api00, dclus1f)) -> 644.1693989071 23.5422406938 ; p(svytotal(~enroll, dclus1f)) -> 3404940.134529 932235.027041
    design = SurveyDesign(apiclus1, weight="pw", psu="dnum", fpc="fpc")
    assert close(design.mean("api00")["se"], 23.5422406938, rel=1e-10)
    total = design.total("enroll")
    assert close(total["estimate"], 3404940.134529, rel=1e-10) and close(total["se"], 932235.027041, rel=1e-10)
    assert design.df == 14  # degf(dclus1f) -> 14


def test_fpc_stratified_as_population_size_or_fraction(apistrat):
    # dstratf <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
    # p(svymean(~api00, dstratf)) -> 662.28736315932 9.40894080278 ; p(svytotal(~enroll, dstratf)) -> 3687177.532438 114641.716101
    design = SurveyDesign(apistrat, weight="pw", strata="stype", fpc="fpc")
    assert close(design.mean("api00")["se"], 9.40894080278, rel=1e-10)
    total = design.total("enroll")
    assert close(total["estimate"], 3687177.532438, rel=1e-10) and close(total["se"], 114641.716101, rel=1e-10)
    # frac$f <- ave(rep(1, 200), frac$stype, FUN = sum) / frac$fpc  (sampling fractions)
    # p(svymean(~api00, svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~f, data = frac))) -> same 9.40894080278
    fraction = apistrat.groupby("stype")["pw"].transform("size") / apistrat["fpc"]
    by_fraction = SurveyDesign(apistrat.assign(f=fraction), weight="pw", strata="stype", fpc="f")
    assert close(by_fraction.mean("api00")["se"], 9.40894080278, rel=1e-10)


def test_two_stage_design_with_fpc(dclus2):
    # p(svymean(~api00, dclus2)) -> 670.8118081181 30.0990273768 ; degf(dclus2) -> 39
    # p(svytotal(~enroll, dclus2, na.rm = TRUE)) -> 2639272.930000 799637.773648
    r = dclus2.mean("api00")
    assert close(r["estimate"], 670.8118081181, rel=1e-10) and close(r["se"], 30.0990273768, rel=1e-10)
    assert dclus2.df == 39
    with pytest.warns(UserWarning, match="left out 6 of 126 rows"):
        total = dclus2.total("enroll", dropna=True)
    assert close(total["estimate"], 2639272.93, rel=1e-10) and close(total["se"], 799637.773648, rel=1e-10)


def test_second_stage_adds_variance(apiclus2, dclus2):
    # only the first stage: svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc1, data = apiclus2)
    # p(svymean(~api00, dclus2s1)) -> 670.8118081181 29.8891624725 (smaller than the two-stage 30.0990273768)
    one = SurveyDesign(apiclus2, weight="pw", psu="dnum", fpc="fpc1")
    assert close(one.mean("api00")["se"], 29.8891624725, rel=1e-10)
    assert one.mean("api00")["se"] < dclus2.mean("api00")["se"]


def test_two_stage_mu284():
    # dmu <- svydesign(id = ~id1 + id2, fpc = ~n1 + n2, data = mu284); mu284$w <- weights(dmu)
    # p(svytotal(~y1, dmu)) -> 15080.00000000 2274.25470087 ; p(svymean(~y1, dmu)) -> 44.35294117647 2.27365272782
    # degf(dmu) -> 4
    data = pd.read_csv(DATA / "mu284.csv")
    design = SurveyDesign(data, weight="w", psu=["id1", "id2"], fpc=["n1", "n2"])
    total = design.total("y1")
    assert close(total["estimate"], 15080.0, rel=1e-10) and close(total["se"], 2274.25470087, rel=1e-10)
    mean = design.mean("y1")
    assert close(mean["estimate"], 44.35294117647, rel=1e-10) and close(mean["se"], 2.27365272782, rel=1e-10)
    assert design.df == 4


def test_stratified_cluster_fpc_with_nested_psu_codes():
    # data(fpc): PSUs numbered 1.. within each stratum.
    # dfpc <- svydesign(weights = ~weight, ids = ~psuid, strata = ~stratid, fpc = ~Nh, variables = ~x,
    #                   data = fpc, nest = TRUE)
    # p(svymean(~x, dfpc)) -> 5.44814811813 0.61604071981 ; p(svytotal(~x, dfpc)) -> 147.0999991894 16.6330994349
    # degf(dfpc) -> 6 ; without fpc: p(svymean(~x, dfpc0)) -> 5.448148118125 0.741268326769
    data = pd.read_csv(DATA / "fpc.csv")
    design = SurveyDesign(data, weight="weight", strata="stratid", psu="psuid", fpc="Nh", nest=True)
    assert design.df == 6
    assert close(design.mean("x")["se"], 0.61604071981, rel=1e-10)
    total = design.total("x")
    assert close(total["estimate"], 147.0999991894, rel=1e-10) and close(total["se"], 16.6330994349, rel=1e-10)
    no_fpc = SurveyDesign(data, weight="weight", strata="stratid", psu="psuid", nest=True)
    assert close(no_fpc.mean("x")["se"], 0.741268326769, rel=1e-10)


def test_psu_in_two_strata_is_an_error_unless_nested():
    # svydesign(weights = ~weight, ids = ~psuid, strata = ~stratid, variables = ~x, data = fpc, nest = FALSE)
    #   -> Error: Clusters not nested in strata at top level; you may want nest=TRUE.
    data = pd.read_csv(DATA / "fpc.csv")
    with pytest.raises(SurveyDesignError, match=r"3 PSU code\(s\) of 'psuid' appear in more than one stratum of "
                                                r"'stratid' \(PSU 1 is in strata 1, 2\).*pass nest=True"):
        SurveyDesign(data, weight="weight", strata="stratid", psu="psuid")


def test_fpc_smaller_than_the_sample(apistrat, apiclus1):
    # bad$fpc2 <- 50; svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc2, data = bad)
    #   -> Error in as.fpc(...): FPC implies >100% sampling in some strata
    with pytest.raises(SurveyDesignError, match=r"'fpc2' \(stage 1\) says a stratum has 50 units in the population, "
                                                r"but the sample has 100 units from it \(1 stratum"):
        SurveyDesign(apistrat.assign(fpc2=50), weight="pw", strata="stype", fpc="fpc2")
    with pytest.raises(SurveyDesignError, match=r"15 units from it"):  # 15 districts sampled, fpc says 10
        SurveyDesign(apiclus1.assign(fpc=10), weight="pw", psu="dnum", fpc="fpc")


def test_fpc_bad_inputs(apistrat, apiclus2):
    with pytest.raises(SurveyDesignError, match=r"fpc needs one column per stage of sampling: psu names 2 stage\(s\)"):
        SurveyDesign(apiclus2, weight="pw", psu=["dnum", "snum"], fpc="fpc1")
    with pytest.raises(SurveyDesignError, match=r"'fpc' \(stage 1\) varies within 1 stratum"):
        SurveyDesign(apistrat.assign(fpc=apistrat["fpc"] + np.arange(200) * (apistrat["stype"] == "H")),
                     weight="pw", strata="stype", fpc="fpc")
    with pytest.raises(SurveyDesignError, match=r"'fpc' has 1 missing, zero, negative"):
        SurveyDesign(apistrat.assign(fpc=apistrat["fpc"].where(apistrat.index != 3)), weight="pw", strata="stype",
                     fpc="fpc")
    with pytest.raises(TypeError, match="fpc column 'stype' must be numeric"):
        SurveyDesign(apistrat, weight="pw", strata="stype", fpc="stype")
    with pytest.raises(SurveyColumnError, match=r"fpc column 'fcp' is not in the data\. Did you mean 'fpc'"):
        SurveyDesign(apistrat, weight="pw", strata="stype", fpc="fcp")


# ================================================================ domains: degrees of freedom
def test_domain_df_design_default_and_domain_option(dclus1):
    # confint(svyby(~api00, ~stype, dclus1, svymean), df = degf(dclus1))  ->  H 536.205982757 700.936874386
    # sub <- subset(dclus1, stype == "H"); degf(sub) -> 7
    # confint(svymean(~api00, sub), df = degf(sub)) -> 527.7636425 709.3792146
    design_df = dclus1.mean("api00", by="stype").loc["H"]
    assert design_df["df"] == 14
    assert close(design_df["ci_low"], 536.205982757, rel=1e-10) and close(design_df["ci_high"], 700.936874386, rel=1e-10)
    own = dclus1.mean("api00", by="stype", df="domain").loc["H"]
    assert own["df"] == 7 and close(own["se"], design_df["se"], rel=1e-12)
    assert close(own["ci_low"], 527.7636425, rel=1e-9) and close(own["ci_high"], 709.3792146, rel=1e-9)


def test_domain_df_two_stage(dclus2):
    # sub <- subset(dclus2, stype == "E"); degf(sub) -> 34 ; p(svymean(~api00, sub)) -> 692.8104008667 29.9266042374
    # confint(svymean(~api00, sub), df = degf(sub)) -> 631.992223723 753.628578011
    e = dclus2.mean("api00", by="stype", df="domain").loc["E"]
    assert e["df"] == 34 and close(e["se"], 29.9266042374, rel=1e-10)
    assert close(e["ci_low"], 631.992223723, rel=1e-10) and close(e["ci_high"], 753.628578011, rel=1e-10)


def test_domain_df_nhanes(dnhanes):
    # subn <- subset(dnh, agecat == "(0,19]"); degf(subn) -> 16 ; degf(dnh) -> 16
    # confint(svymean(~HI_CHOL, subn, na.rm = TRUE), df = degf(subn)) -> 0.003006693395 0.01431384123
    with pytest.warns(UserWarning, match="left out"):
        young = dnhanes.mean("HI_CHOL", by="agecat", dropna=True, df="domain").loc["(0,19]"]
    assert young["df"] == 16
    assert close(young["ci_low"], 0.003006693395, rel=1e-9) and close(young["ci_high"], 0.01431384123, rel=1e-9)


def test_domain_df_without_a_psu_of_its_own_is_an_error(small):
    design = SurveyDesign(small.assign(g=["a", "b", "b", "b", "b", "b"]), weight="w", strata="h", psu="p", nest=True)
    with pytest.raises(SurveyDesignError, match=r"this domain lies in 1 PSU\(s\) of 1 stratum/strata.*df='design'"):
        design.mean("y", by="g", df="domain")
    with pytest.raises(ValueError, match="df must be 'design'"):
        design.mean("y", df="psu")


# ================================================================ issue 14: zero weights are reported
def test_zero_weight_rows_are_reported(apistrat):
    # R: svymean(~api00, svydesign(id = ~1, strata = ~stype, weights = ~w0, data = z)) with w0 = 0 for two rows
    # equals the estimate without those rows; n must say what was used.
    data = apistrat.assign(w0=np.where(apistrat.index.isin([0, 5]), 0.0, apistrat["pw"]))
    with pytest.warns(UserWarning, match=r"2 row\(s\) have weight 0 in 'w0' \(rows 0, 5\).*n_zero_weight"):
        design = SurveyDesign(data, weight="w0", strata="stype")
    r = design.mean("api00")
    assert r["n"] == 198 and r["n_zero_weight"] == 2
    assert design.n_zero_weight == 2
    by = design.mean("api00", by="stype")
    assert by["n_zero_weight"].sum() == 2 and by["n"].sum() == 198
    kept = data[data["w0"] > 0]
    assert close(r["estimate"], float(np.average(kept["api00"], weights=kept["w0"])), rel=1e-12)


# ================================================================ issue 13: design-based regression (svyglm)
# Logistic models: R's glm stops at a relative deviance change of 1e-8 and takes its working weights
# (hence the SEs) from the iteration before the last, so its default SEs are accurate to about 1e-6.
# The logistic references below were therefore printed with
#   tight <- glm.control(epsilon = 1e-14, maxit = 100); svyglm(..., control = tight)
# (the default-control values agree with them to 2e-6).
def test_glm_gaussian_stratified(dstrat):
    # g1 <- svyglm(api00 ~ ell + meals + mobility, design = dstrat); summary(g1)$coefficients
    #   (Intercept) 820.8873159056 10.2564899371 p 1.536497117e-150 ; ell -0.4805866122 0.3977074728 p 2.283673062e-01
    #   meals -3.1415353100 0.2883000541 p 7.051730906e-22 ; mobility 0.2257132102 0.4026907625 p 5.757766435e-01
    # g1$df.residual -> 194 ; confint(g1) -> ell -1.2649721483 0.303798924
    # confint(g1, ddf = degf(dstrat)) -> ell -1.2648971809 0.3037239566 ; meals -3.7100858020 -2.5729848179
    fit = dstrat.glm("api00 ~ ell + meals + mobility")
    assert fit.index.tolist() == ["Intercept", "ell", "meals", "mobility"]
    assert np.allclose(fit["estimate"], [820.8873159056, -0.4805866122, -3.1415353100, 0.2257132102], rtol=1e-9)
    assert np.allclose(fit["se"], [10.2564899371, 0.3977074728, 0.2883000541, 0.4026907625], rtol=1e-9)
    assert (fit["df"] == 197).all() and (fit["n"] == 200).all()
    assert np.allclose(fit.loc[["ell", "meals"], "ci_low"], [-1.2648971809, -3.7100858020], rtol=1e-9)
    assert np.allclose(fit.loc[["ell", "meals"], "ci_high"], [0.3037239566, -2.5729848179], rtol=1e-9)
    r_default = dstrat.glm("api00 ~ ell + meals + mobility", df="residual")
    assert (r_default["df"] == 194).all()
    assert np.allclose(r_default["p_value"], [1.536497117e-150, 2.283673062e-01, 7.051730906e-22, 5.757766435e-01],
                       rtol=1e-8)
    assert close(r_default.loc["ell", "ci_low"], -1.2649721483, rel=1e-9)
    assert fit.attrs["measure"] == "coefficient" and "svyglm" in fit.attrs["method"]


def test_glm_gaussian_two_stage_and_fpc(dclus2, apiclus1):
    # g2 <- svyglm(api00 ~ ell + meals + mobility, design = dclus2); summary(g2)$coefficients
    #   (Intercept) 811.4907225022 30.2338302726 ; ell -2.0591641824 1.3798436533
    #   meals -1.7771813339 1.0830020888 ; mobility 0.3252517488 0.6103138166
    # confint(g2, ddf = degf(dclus2)) -> (Intercept) 750.3370285318 872.6444164725 ; mobility -0.9092244664 1.5597279640
    fit = dclus2.glm("api00 ~ ell + meals + mobility")
    assert np.allclose(fit["estimate"], [811.4907225022, -2.0591641824, -1.7771813339, 0.3252517488], rtol=1e-9)
    assert np.allclose(fit["se"], [30.2338302726, 1.3798436533, 1.0830020888, 0.6103138166], rtol=1e-9)
    assert np.allclose(fit.loc[["Intercept", "mobility"], "ci_low"], [750.3370285318, -0.9092244664], rtol=1e-9)
    assert np.allclose(fit.loc[["Intercept", "mobility"], "ci_high"], [872.6444164725, 1.5597279640], rtol=1e-9)
    # g3 <- svyglm(api00 ~ ell + meals + mobility, design = dclus1f); summary(g3, df.resid = degf(dclus1f))
    #   (Intercept) 819.279051139125 21.389971265152 p 1.41856904228e-15 ; meals -3.123204264899 0.278083043761
    #   p 2.17761812903e-08 ; mobility -0.168919682187 0.444918419151 p 7.09891602809e-01
    fpc = SurveyDesign(apiclus1, weight="pw", psu="dnum", fpc="fpc").glm("api00 ~ ell + meals + mobility")
    assert np.allclose(fpc.loc[["Intercept", "meals", "mobility"], "se"],
                       [21.389971265152, 0.278083043761, 0.444918419151], rtol=1e-9)
    assert np.allclose(fpc.loc[["Intercept", "meals", "mobility"], "p_value"],
                       [1.41856904228e-15, 2.17761812903e-08, 7.09891602809e-01], rtol=1e-8)


def test_glm_logistic_cluster_with_odds_ratios(apiclus1):
    # b1 <- svyglm(I(sch.wide == "Yes") ~ ell + meals, design = dclus1, family = quasibinomial, control = tight)
    #   summary(b1)$coefficients: (Intercept) 1.8995569111364 0.51504314142527 p 0.00310224009650 ;
    #   ell 0.0399254107978 0.01256781175725 p 0.00796840692799 ; meals -0.0191146824662 0.00891420448111
    #   p 0.05318205001199
    # exp(confint(b1, ddf = degf(dclus1))) -> ell 1.013054612482 1.06916790403 ; meals 0.962487933453 1.00000438465
    design = SurveyDesign(apiclus1.assign(yes=apiclus1["sch.wide"] == "Yes"), weight="pw", psu="dnum")
    fit = design.glm("yes ~ ell + meals", family="binomial", df="residual")
    assert np.allclose(fit["estimate"], [1.8995569111364, 0.0399254107978, -0.0191146824662], rtol=1e-9)
    assert np.allclose(fit["se"], [0.51504314142527, 0.01256781175725, 0.00891420448111], rtol=1e-9)
    assert np.allclose(fit["p_value"], [0.00310224009650, 0.00796840692799, 0.05318205001199], rtol=1e-8)
    odds = design.glm("yes ~ ell + meals", family="binomial", odds_ratios=True)
    assert np.allclose(odds["estimate"], np.exp([1.8995569111364, 0.0399254107978, -0.0191146824662]), rtol=1e-9)
    assert np.allclose(odds.loc[["ell", "meals"], "ci_low"], [1.013054612482, 0.962487933453], rtol=1e-9)
    assert np.allclose(odds.loc[["ell", "meals"], "ci_high"], [1.06916790403, 1.00000438465], rtol=1e-9)
    assert np.allclose(odds["se"], fit["se"])  # the SE stays on the log scale
    assert odds.attrs["measure"] == "odds ratio" and odds.attrs["se_scale"] == "log"


def test_glm_logistic_stratified_categorical(apistrat):
    # b3 <- svyglm(I(comp.imp == "Yes") ~ meals + stype, design = dstrat, family = quasibinomial, control = tight)
    # summary(b3, df.resid = degf(dstrat))$coefficients
    #   (Intercept) 1.33867878681531 0.42951411412579 p 2.10212719754e-03 ; meals -0.00454768288267 0.00647138034583
    #   stypeH -1.86600236734875 0.41888831457330 p 1.40717891833e-05 ; stypeM -1.20950664693250 0.37161084127419
    design = SurveyDesign(apistrat.assign(ci=(apistrat["comp.imp"] == "Yes").astype(int)), weight="pw", strata="stype")
    fit = design.glm("ci ~ meals + stype", family="binomial")
    assert fit.index.tolist() == ["Intercept", "stype[T.H]", "stype[T.M]", "meals"]
    terms = ["Intercept", "meals", "stype[T.H]", "stype[T.M]"]
    assert np.allclose(fit.loc[terms, "estimate"],
                       [1.33867878681531, -0.00454768288267, -1.86600236734875, -1.20950664693250], rtol=1e-9)
    assert np.allclose(fit.loc[terms, "se"],
                       [0.42951411412579, 0.00647138034583, 0.41888831457330, 0.37161084127419], rtol=1e-9)
    assert np.allclose(fit.loc[["Intercept", "stype[T.H]"], "p_value"], [2.10212719754e-03, 1.40717891833e-05],
                       rtol=1e-8)


def test_glm_logistic_nhanes_with_dropped_rows(dnhanes):
    # b2 <- svyglm(HI_CHOL ~ factor(race) + agecat + RIAGENDR, design = dnh, family = quasibinomial, control = tight)
    # summary(b2)$coefficients (df.residual 9 = degf 16 + 1 - 8; length(b2$na.action) -> 745 rows dropped):
    #   (Intercept) -4.9507437207052 0.2878950831398 p 3.42505958853e-08 ; factor(race)3 -0.4332186438079
    #   0.1511928618252 p 1.86176530401e-02 ; agecat(39,59] 3.2123604341709 0.3558678466741 ;
    #   RIAGENDR 0.2127604952033 0.0846125715719 p 3.30643066855e-02
    # exp(confint(b2, ddf = degf(dnh))) -> RIAGENDR 1.03395355403319 1.4801317943670 ;
    #   agecat(39,59] 11.68089148413589 52.8134856510217
    with pytest.raises(SurveyDesignError, match=r"missing values in 'HI_CHOL' \(745 rows\); pass dropna=True"):
        dnhanes.glm("HI_CHOL ~ race + agecat + RIAGENDR", family="binomial")
    with pytest.warns(UserWarning, match="left out 745 of 8591 rows"):
        fit = dnhanes.glm("HI_CHOL ~ race + agecat + RIAGENDR", family="binomial", dropna=True, df="residual")
    assert (fit["df"] == 9).all() and (fit["n_dropped"] == 745).all() and (fit["n"] == 8591 - 745).all()
    terms = ["Intercept", "race[T.3]", "agecat[T.(39,59]]", "RIAGENDR"]
    assert np.allclose(fit.loc[terms, "estimate"],
                       [-4.9507437207052, -0.4332186438079, 3.2123604341709, 0.2127604952033], rtol=1e-9)
    assert np.allclose(fit.loc[terms, "se"], [0.2878950831398, 0.1511928618252, 0.3558678466741, 0.0846125715719],
                       rtol=1e-9)
    assert np.allclose(fit.loc[["Intercept", "race[T.3]", "RIAGENDR"], "p_value"],
                       [3.42505958853e-08, 1.86176530401e-02, 3.30643066855e-02], rtol=1e-8)
    with pytest.warns(UserWarning):
        odds = dnhanes.glm("HI_CHOL ~ race + agecat + RIAGENDR", family="binomial", dropna=True, odds_ratios=True)
    assert (odds["df"] == 16).all()
    assert np.allclose(odds.loc[["RIAGENDR", "agecat[T.(39,59]]"], "ci_low"], [1.03395355403319, 11.68089148413589],
                       rtol=1e-9)
    assert np.allclose(odds.loc[["RIAGENDR", "agecat[T.(39,59]]"], "ci_high"], [1.4801317943670, 52.8134856510217],
                       rtol=1e-9)


def test_glm_result_is_numeric_and_rounds(dstrat):
    fit = dstrat.glm("api00 ~ ell", level=0.9)
    assert all(str(t) == "float64" for t in fit.dtypes)
    fit.round(2)  # the course's result shape: rounds directly
    assert fit.loc["ell", "ci_high"] - fit.loc["ell", "ci_low"] < \
        dstrat.glm("api00 ~ ell").loc["ell", "ci_high"] - dstrat.glm("api00 ~ ell").loc["ell", "ci_low"]


def test_glm_bad_inputs(dstrat, small):
    with pytest.raises(ValueError, match="family must be 'gaussian'"):
        dstrat.glm("api00 ~ ell", family="poisson")
    with pytest.raises(ValueError, match="odds_ratios=True needs family='binomial'"):
        dstrat.glm("api00 ~ ell", odds_ratios=True)
    with pytest.raises(SurveyDesignError, match="a model formula looks like"):
        dstrat.glm("api00")
    with pytest.raises(SurveyDesignError, match=r"the outcome of 'api0 ~ ell' is not a column.*Did you mean 'api00'"):
        dstrat.glm("api0 ~ ell")
    with pytest.raises(SurveyDesignError, match=r"needs a 0/1 \(or True/False\) outcome, but 'api00' holds"):
        dstrat.glm("api00 ~ ell", family="binomial")
    with pytest.raises(SurveyDesignError, match="could not build a model"):
        dstrat.glm("api00 ~ nosuchcolumn")
    with pytest.raises(ValueError, match="df must be 'design', 'domain', 'residual' or a positive number"):
        dstrat.glm("api00 ~ ell", df="psu")
    design = SurveyDesign(small.assign(x2=small["y"] * 2), weight="w", strata="h", psu="p", nest=True)
    with pytest.raises(SurveyDesignError, match="some terms are redundant"):
        design.glm("y ~ x2 + y")


# ================================================================ issue 13: ratios (svyratio)
def test_ratio_against_r(dclus1, dstrat, dclus2, dnhanes):
    # svyratio(~api.stu, ~enroll, dclus1) -> 0.8497087417 SE 0.008470640195
    # confint(svyratio(~api.stu, ~enroll, dclus1), df = degf(dclus1)) -> 0.8315410254 0.8678764581
    r = dclus1.ratio("api.stu", "enroll")
    assert close(r["estimate"], 0.8497087417, rel=1e-9) and close(r["se"], 0.008470640195, rel=1e-9)
    assert close(r["ci_low"], 0.8315410254, rel=1e-9) and close(r["ci_high"], 0.8678764581, rel=1e-9)
    # svyratio(~api.stu, ~enroll, dstrat) -> 0.8369568869 SE 0.007970259044
    # confint(svyratio(~api.stu, ~enroll, dstrat), df = degf(dstrat)) -> 0.821238906185 0.852674867696
    s = dstrat.ratio("api.stu", "enroll")
    assert close(s["estimate"], 0.8369568869, rel=1e-9) and close(s["se"], 0.007970259044, rel=1e-9)
    assert close(s["ci_low"], 0.821238906185, rel=1e-10) and close(s["ci_high"], 0.852674867696, rel=1e-10)
    # svyratio(~api.stu, ~enroll, dclus2, na.rm = TRUE) -> 0.8197370421 SE 0.01885056331
    with pytest.warns(UserWarning, match="left out 6 of 126 rows"):
        c = dclus2.ratio("api.stu", "enroll", dropna=True)
    assert close(c["estimate"], 0.8197370421, rel=1e-9) and close(c["se"], 0.01885056331, rel=1e-9)
    assert c["n_dropped"] == 6
    # nh2$adult <- as.numeric(nh2$agecat != "(0,19]"); svyratio(~HI_CHOL, ~adult, dnh2, na.rm = TRUE)
    #   -> 0.1381897691 SE 0.006317789376
    with pytest.warns(UserWarning):
        n = dnhanes.ratio("HI_CHOL", "adult", dropna=True)
    assert close(n["estimate"], 0.1381897691, rel=1e-9) and close(n["se"], 0.006317789376, rel=1e-9)


def test_ratio_of_ones_is_the_mean(dclus1):
    ones = SurveyDesign(dclus1.data.assign(one=1.0), weight="pw", psu="dnum")
    r, m = ones.ratio("api00", "one"), ones.mean("api00")
    assert close(r["estimate"], m["estimate"], rel=1e-12) and close(r["se"], m["se"], rel=1e-10)


def test_ratio_bad_inputs(dstrat, small):
    with pytest.raises(TypeError, match=r"ratio\(\) needs numeric columns, but 'stype'"):
        dstrat.ratio("api00", "stype")
    with pytest.raises(SurveyDesignError, match="the estimated total of the denominator 'zero' is 0"):
        SurveyDesign(small.assign(zero=0.0), weight="w").ratio("y", "zero")
    with pytest.raises(SurveyColumnError, match="ratio column 'enrol' is not in the data"):
        dstrat.ratio("api00", "enrol")


# ================================================================ issue 13: Rao-Scott test (svychisq)
def test_chisq_rao_scott_against_r(dclus1, dstrat, dnhanes):
    # svychisq(~sch.wide + stype, dclus1) -> F = 5.0904626, ndf = 1.4946398, ddf = 20.9249569, p-value = 0.02307162
    #   (x$statistic 5.090462615 ; x$parameter 1.494639778 20.924956888 ; x$p.value 0.02307161683)
    t = dclus1.chisq("sch.wide", "stype")
    assert close(t["statistic"], 5.090462615, rel=1e-9)
    assert close(t["ndf"], 1.494639778, rel=1e-9) and close(t["ddf"], 20.924956888, rel=1e-9)
    assert close(t["p_value"], 0.02307161683, rel=1e-8)
    # svychisq(~awards + yr.rnd, dstrat) -> F 2.900659159 ; ndf 1 ddf 197 ; p 0.09012040139
    s = dstrat.chisq("awards", "yr.rnd")
    assert close(s["statistic"], 2.900659159, rel=1e-9) and s["ndf"] == pytest.approx(1.0)
    assert s["ddf"] == pytest.approx(197.0) and close(s["p_value"], 0.09012040139, rel=1e-8)
    # svychisq(~race + HI_CHOL, dnh) (na.rm = TRUE) -> F 3.151338622 ; ndf 1.922976679 ddf 30.767626871 ;
    #   p 0.05867474369
    with pytest.warns(UserWarning, match="left out 745 of 8591 rows"):
        n = dnhanes.chisq("race", "HI_CHOL", dropna=True)
    assert close(n["statistic"], 3.151338622, rel=1e-9)
    assert close(n["ndf"], 1.922976679, rel=1e-9) and close(n["ddf"], 30.767626871, rel=1e-9)
    assert close(n["p_value"], 0.05867474369, rel=1e-8)
    # svychisq(~race + agecat, dnh) -> F 21.13130878 ; ndf 4.67302466 ddf 74.76839456 ; p 1.145213005e-12
    a = dnhanes.chisq("race", "agecat")
    assert close(a["statistic"], 21.13130878, rel=1e-9) and close(a["ndf"], 4.67302466, rel=1e-9)
    assert close(a["p_value"], 1.145213005e-12, rel=1e-6)


def test_chisq_bad_inputs(dstrat, small):
    with pytest.raises(SurveyDesignError, match=r"at least two categories in each variable; 'one' has 1"):
        SurveyDesign(small.assign(one="a"), weight="w").chisq("one", "cat")
    with pytest.raises(SurveyColumnError, match="row column 'award' is not in the data"):
        dstrat.chisq("award", "stype")


def test_errors_belong_to_the_course_validation_kit(small):
    from course_utils._validate import CourseInputError
    from course_utils.nsduh import NsduhReadError

    assert issubclass(SurveyDesignError, CourseInputError) and issubclass(NsduhReadError, CourseInputError)
    with pytest.raises(CourseInputError):
        SurveyDesign(small, weight="W")  # a SurveyColumnError: both a KeyError and a CourseInputError
    with pytest.raises(KeyError):
        SurveyDesign(small, weight="W")


def test_single_unit_at_a_later_stage_matches_r():
    # mu <- mu284[-c(6, 11), ]  # PSU id1 == 19 keeps one of its second-stage units (n2 = 5)
    # d <- svydesign(id = ~id1 + id2, fpc = ~n1 + n2, data = mu)   (weights(d): n1/5 * n2/(units kept))
    # svytotal(~y1, d) -> Error: Stratum (1.19) has only one PSU at stage 2
    # options(survey.lonely.psu = "remove"); p(svytotal(~y1, d)) -> 14813.33333333 2378.05032187
    # options(survey.lonely.psu = "adjust"); p(svytotal(~y1, d)) -> 14813.33333333 2447.71798484
    #                                        p(svymean(~y1, d))  -> 43.56862745098 2.35835715783
    data = pd.read_csv(DATA / "mu284.csv").drop(index=[5, 10]).reset_index(drop=True)
    data["w2"] = data["n1"] / 5 * data["n2"] / data.groupby("id1")["id2"].transform("size")
    with pytest.raises(SurveyDesignError, match=r"1 unit\(s\) of stage 1 have a single sampled unit at stage 2"):
        SurveyDesign(data, weight="w2", psu=["id1", "id2"], fpc=["n1", "n2"])
    remove = SurveyDesign(data, weight="w2", psu=["id1", "id2"], fpc=["n1", "n2"], single_psu="remove")
    assert close(remove.total("y1")["estimate"], 14813.33333333, rel=1e-10)
    assert close(remove.total("y1")["se"], 2378.05032187, rel=1e-10)
    center = SurveyDesign(data, weight="w2", psu=["id1", "id2"], fpc=["n1", "n2"], single_psu="center")
    assert close(center.total("y1")["se"], 2447.71798484, rel=1e-10)
    assert close(center.mean("y1")["se"], 2.35835715783, rel=1e-10)


def test_glm_and_mean_with_zero_weight_rows_match_r(apistrat):
    # z <- apistrat; z$w0 <- ifelse(seq_len(200) %in% c(4, 8), 0, z$pw)   (rows 3 and 7 counting from 0)
    # d0 <- svydesign(id = ~1, strata = ~stype, weights = ~w0, data = z)
    # summary(svyglm(api00 ~ ell + meals, design = d0))$coefficients
    #   (Intercept) 823.399014741795 8.913112198382 ; ell -0.445390644257 0.402747419244
    #   meals -3.131944483496 0.282052673499
    # p(svymean(~api00, d0)) -> 662.95768908949 9.58319505243
    # A zero-weight row enters no estimating equation but still counts as a sampled unit (R: prob = Inf).
    data = apistrat.assign(w0=np.where(apistrat.index.isin([3, 7]), 0.0, apistrat["pw"]))
    with pytest.warns(UserWarning, match="weight 0"):
        design = SurveyDesign(data, weight="w0", strata="stype")
    fit = design.glm("api00 ~ ell + meals")
    assert np.allclose(fit["estimate"], [823.399014741795, -0.445390644257, -3.131944483496], rtol=1e-10)
    assert np.allclose(fit["se"], [8.913112198382, 0.402747419244, 0.282052673499], rtol=1e-10)
    assert (fit["n"] == 198).all() and (fit["n_zero_weight"] == 2).all()
    mean = design.mean("api00")
    assert close(mean["estimate"], 662.95768908949, rel=1e-10) and close(mean["se"], 9.58319505243, rel=1e-10)


def test_glm_within_a_domain_matches_r(dclus2, dnhanes):
    # sub <- subset(dclus2, stype == "E"); degf(sub) -> 34
    # g <- svyglm(api00 ~ ell + meals + mobility, design = sub); summary(g)$coefficients   (g$df.residual -> 31)
    #   (Intercept) 876.52933242215 21.020075916780 p 8.49997137616e-29 ; ell -1.52615236909 1.364643542624
    #   meals -2.16348384943 0.925688238271 p 2.60653245498e-02 ; mobility -1.07312198370 0.824988668767
    elementary = SurveyDesign(dclus2.data.assign(E=dclus2.data["stype"] == "E"), weight="pw", psu=["dnum", "snum"],
                              fpc=["fpc1", "fpc2"])
    fit = elementary.glm("api00 ~ ell + meals + mobility", domain="E", df="residual")
    assert (fit["df"] == 31).all() and fit.attrs["domain"] == "E"
    assert (elementary.glm("api00 ~ ell", domain="E", df="domain")["df"] == 34).all()  # degf(sub)
    assert (elementary.glm("api00 ~ ell", domain="E")["df"] == 39).all()  # degf(dclus2)
    assert np.allclose(fit["estimate"], [876.52933242215, -1.52615236909, -2.16348384943, -1.07312198370], rtol=1e-10)
    assert np.allclose(fit["se"], [21.020075916780, 1.364643542624, 0.925688238271, 0.824988668767], rtol=1e-10)
    assert np.allclose(fit.loc[["Intercept", "meals"], "p_value"], [8.49997137616e-29, 2.60653245498e-02], rtol=1e-8)
    # adults <- subset(dnh, agecat != "(0,19]"); degf(adults) -> 16
    # b <- svyglm(HI_CHOL ~ factor(race) + RIAGENDR, design = adults, family = quasibinomial, control = tight)
    #   summary(b)$coefficients: (Intercept) -2.1714947821291 0.1299966202660 ; factor(race)3 -0.3628264669776
    #   0.1583674256487 p 4.08544407793e-02 ; RIAGENDR 0.2202634621499 0.0798704798920 p 1.73510888947e-02
    #   b$df.residual -> 12 ; length(b$na.action) -> 363
    # exp(confint(b, ddf = degf(dnh))) -> RIAGENDR 1.0522656574985 1.476362534685
    with pytest.warns(UserWarning, match="left out 363 of"):
        adults = dnhanes.glm("HI_CHOL ~ race + RIAGENDR", family="binomial", domain="adult", dropna=True,
                             df="residual")
    assert (adults["df"] == 12).all() and (adults["n_dropped"] == 363).all()
    terms = ["Intercept", "race[T.3]", "RIAGENDR"]
    assert np.allclose(adults.loc[terms, "estimate"], [-2.1714947821291, -0.3628264669776, 0.2202634621499],
                       rtol=1e-9)
    assert np.allclose(adults.loc[terms, "se"], [0.1299966202660, 0.1583674256487, 0.0798704798920], rtol=1e-9)
    assert np.allclose(adults.loc[["race[T.3]", "RIAGENDR"], "p_value"], [4.08544407793e-02, 1.73510888947e-02],
                       rtol=1e-8)
    with pytest.warns(UserWarning):
        odds = dnhanes.glm("HI_CHOL ~ race + RIAGENDR", family="binomial", domain="adult", dropna=True,
                           odds_ratios=True)
    assert close(odds.loc["RIAGENDR", "ci_low"], 1.0522656574985, rel=1e-8)
    assert close(odds.loc["RIAGENDR", "ci_high"], 1.476362534685, rel=1e-8)


def test_glm_domain_bad_inputs(dstrat, apistrat):
    with pytest.raises(SurveyDesignError, match=r"domain column 'stype' must be True/False or 1/0"):
        dstrat.glm("api00 ~ ell", domain="stype")
    design = SurveyDesign(apistrat.assign(none=False, gap=np.where(apistrat.index == 2, np.nan, 1.0)), weight="pw",
                          strata="stype")
    with pytest.raises(SurveyDesignError, match=r"the domain 'none' is empty"):
        design.glm("api00 ~ ell", domain="none")
    with pytest.raises(SurveyDesignError, match=r"domain column 'gap' has 1 missing value"):
        design.glm("api00 ~ ell", domain="gap")
    with pytest.raises(SurveyColumnError, match="domain column 'adults' is not in the data"):
        design.glm("api00 ~ ell", domain="adults")
