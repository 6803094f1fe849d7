"""course_utils.survey against R's survey package (Lumley), version 4.1.1.

Reference values were printed once by R (``options(digits = 10)``) from the
designs below, on the api data exported to tests/data (see tests/data/README.md):

    library(survey); data(api)
    dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat)
    dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1)
    dclus2f <- svydesign(id = ~dnum, weights = ~pw, data = apiclus2)   # ultimate clusters

No finite-population correction (fpc) is given, because course_utils.survey
treats PSUs as drawn with replacement, as NSDUH analyses do.  The survey
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

from course_utils.survey import SurveyDesign, SurveyDesignError

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
    design = SurveyDesign(apistrat, weight="pw", strata="stype", psu="dnum")
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
    r = design.mean("enroll", na_rm=True)
    assert design.df == 39
    assert close(r["estimate"], 526.262642) and close(r["se"], 82.004535) and close(r["deff"], 6.39971)
    assert r["n"] == 120 and r["n_missing"] == 6


def test_missing_outcome_with_na_rm(dclus1, apiclus1):
    # svymean(~avg.ed, dclus1, na.rm = TRUE, deff = TRUE) -> 2.62152865 SE 0.10645956 DEff 4.42561
    # sum(is.na(apiclus1$avg.ed)) -> 26
    r = dclus1.mean("avg.ed", na_rm=True)
    assert close(r["estimate"], 2.62152865) and close(r["se"], 0.10645956) and close(r["deff"], 4.42561)
    assert r["n"] == 183 - 26 and r["n_missing"] == 26


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
    design = SurveyDesign(small, weight="w", strata="h", psu="p")
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
        SurveyDesign(small.assign(p=[1, 2, 2, None, 2, 2]), weight="w", strata="h", psu="p")


def test_non_numeric_outcome_for_mean(small):
    design = SurveyDesign(small, weight="w", strata="h", psu="p")
    with pytest.raises(TypeError, match=r"mean\(\) needs a numeric outcome, but 'cat'.*use proportion\('cat'\)"):
        design.mean("cat")
    coded = SurveyDesign(small.assign(cat=small["cat"].astype("category")), weight="w")
    with pytest.raises(TypeError, match=r"mean\(\) needs a numeric outcome, but 'cat' has dtype category"):
        coded.mean("cat")


def test_proportion_of_a_score_is_refused(small):
    design = SurveyDesign(small, weight="w", strata="h", psu="p")
    with pytest.raises(ValueError, match=r"needs 0/1 values, but 'y' holds 1, 2, 3, 4, 5, 6\. Use mean\('y'\)"):
        design.proportion("y")


def test_missing_outcome_values_raise_unless_na_rm(small):
    data = small.assign(y=[1.0, np.nan, 3.0, 4.0, 5.0, 6.0])
    design = SurveyDesign(data, weight="w", strata="h", psu="p")
    with pytest.raises(SurveyDesignError, match=r"outcome 'y' has 1 missing value\(s\).*Pass na_rm=True"):
        design.mean("y")
    r = design.mean("y", na_rm=True)
    assert r["n"] == 5 and r["n_missing"] == 1


def test_missing_group_values(small):
    design = SurveyDesign(small.assign(g=["a", None, "a", "b", "b", "b"]), weight="w", strata="h", psu="p")
    with pytest.raises(SurveyDesignError, match=r"grouping column 'g' has 1 missing value\(s\)"):
        design.mean("y", by="g")


def test_no_degrees_of_freedom(small):
    with pytest.raises(SurveyDesignError, match=r"no degrees of freedom are left"):
        SurveyDesign(small.assign(p=1, h=[1, 1, 1, 1, 1, 1]), weight="w", strata="h", psu="p",
                     single_psu="center")


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
    design = SurveyDesign(data, weight="ANALWT2_C", strata="VESTR_C", psu="VEREP")
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
    r = SurveyDesign(df, weight="w", strata="h", psu="psu", single_psu="center").total("y")
    assert r["estimate"] == pytest.approx(4.0)
    assert r["se"] == pytest.approx(7 / 3, rel=1e-12)


def test_infinite_outcome_is_an_error(small):
    design = SurveyDesign(small.assign(y=[1.0, np.inf, 3.0, 4.0, 5.0, 6.0]), weight="w", strata="h", psu="p")
    for estimate in (design.mean, design.total):
        with pytest.raises(SurveyDesignError, match=r"outcome 'y' has 1 infinite value\(s\) \(rows 1\)"):
            estimate("y")
