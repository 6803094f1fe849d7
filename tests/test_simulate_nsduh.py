"""The SYNTHETIC NSDUH-like survey: shape, determinism, calibration, and known truth recovered."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from course_utils.simulate import nsduh_like, nsduh_like_dag, nsduh_like_graph
from course_utils.simulate.nsduh_like import (
    ADJUSTMENT_SET,
    CALIBRATION_TARGETS,
    NSDUH_LIKE_COLUMNS,
    NSDUH_LIKE_DAG,
)
from course_utils.survey import SurveyDesign


@pytest.fixture(scope="module")
def default() -> pd.DataFrame:
    return nsduh_like()


def weighted_or(df: pd.DataFrame, exposure: str = "kratom_py", outcome: str = "AMDEYR") -> float:
    w = df["ANALWT2_C"]
    x, y = df[exposure] == 1, df[outcome] == 1
    a, b, c, d = w[x & y].sum(), w[x & ~y].sum(), w[~x & y].sum(), w[~x & ~y].sum()
    return float(a * d / (b * c))


def adjusted_log_or(df: pd.DataFrame, adjust: tuple[str, ...] = ADJUSTMENT_SET) -> tuple[float, float]:
    import statsmodels.formula.api as smf

    terms = " + ".join(["kratom_py", *(f"C({c})" if c in ("CATAG6", "IRSEX") else c for c in adjust)])
    fit = smf.logit(f"AMDEYR ~ {terms}", data=df).fit(disp=0)
    return float(fit.params["kratom_py"]), float(fit.bse["kratom_py"])


# ---------------------------------------------------------------- shape
def test_columns_types_and_labels(default):
    assert tuple(default.columns) == NSDUH_LIKE_COLUMNS
    assert len(default) == 60_000
    assert default.attrs["synthetic"] is True and "SYNTHETIC" in default.attrs["title"]
    assert default["CATAG6"].cat.categories.tolist() == ["18-25", "26-34", "35-49", "50-64", "65+"]
    assert default["IRSEX"].cat.categories.tolist() == ["male", "female"]
    binary = [c for c in NSDUH_LIKE_COLUMNS[6:] if c != "KSSLR6MON"]
    for column in binary:
        assert set(default[column].unique()) <= {0, 1}, column
    assert default["KSSLR6MON"].between(0, 24).all()
    assert (default["SPDPSTMON"] == (default["KSSLR6MON"] >= 13)).all()
    assert default["opioid_ud_py"].le(default["opioid_misuse_py"]).all()  # disorder only among misuse
    assert default["VESTR_C"].nunique() == 50 and set(default["VEREP"]) == {1, 2}
    assert default["ANALWT2_C"].gt(0).all()


@pytest.mark.timing
def test_deterministic_per_seed_and_fast():
    start = time.perf_counter()
    a = nsduh_like(seed=5)
    elapsed = time.perf_counter() - start
    b = nsduh_like(seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(nsduh_like(seed=6))
    assert elapsed < 1.0, f"60,000 rows took {elapsed:.2f} s"


def test_effect_parameter_changes_only_downstream_columns():
    a, b = nsduh_like(seed=9), nsduh_like(seed=9, kratom_effect=math.log(2))
    upstream = [c for c in NSDUH_LIKE_COLUMNS if c not in ("AMDEYR", "KSSLR6MON", "SPDPSTMON")]
    pd.testing.assert_frame_equal(a[upstream], b[upstream])
    assert (b["AMDEYR"] >= a["AMDEYR"]).all()  # same uniforms: a harmful effect can only add cases


# ---------------------------------------------------------------- calibration
def test_calibration_targets_default_dataset(default):
    design = SurveyDesign(default, weight="ANALWT2_C", strata="VESTR_C", psu="VEREP", nest=True)
    kratom = design.proportion("kratom_py")["estimate"]
    mde = design.proportion("AMDEYR")["estimate"]
    spd = design.proportion("SPDPSTMON")["estimate"]
    assert 0.005 <= kratom <= 0.009, kratom  # target 0.7% (Palamar 2021)
    assert 0.07 <= mde <= 0.09, mde  # target ~8% (NSDUH 2019-2022 adults 7.8-8.8%)
    assert 0.025 <= spd <= 0.045, spd  # anchor 3.4% (NHIS, Weissman 2015)
    assert 1.5 <= weighted_or(default) <= 3.0  # target ~2 (Adzrago 2022 RRR 2.04)
    assert set(CALIBRATION_TARGETS) == {"kratom_py", "AMDEYR", "crude_or_kratom_AMDEYR", "SPDPSTMON"}
    assert all("doi" in t["source"] or "NCHS" in t["source"] or "NSDUH" in t["source"]
               for t in CALIBRATION_TARGETS.values())


def test_crude_or_about_two_in_a_large_sample():
    big = nsduh_like(n=1_000_000, seed=2024)
    assert 1.7 <= weighted_or(big) <= 2.5
    w = big["ANALWT2_C"]
    assert np.average(big["kratom_py"], weights=w) == pytest.approx(0.007, abs=0.0012)


def test_weighted_and_unweighted_differ(default):
    unweighted = (default["CATAG6"] == "18-25").mean()
    weighted = np.average(default["CATAG6"] == "18-25", weights=default["ANALWT2_C"])
    assert unweighted > 0.27 and weighted < 0.17  # young adults oversampled, weights undo it
    assert default["ANALWT2_C"].sum() == pytest.approx(250_000_000, rel=1e-6)


# ---------------------------------------------------------------- known truth
@pytest.mark.slow
@pytest.mark.parametrize("effect", [0.0, math.log(1.5)])
def test_adjusted_analysis_recovers_true_effect(effect):
    df = nsduh_like(n=400_000, seed=31, kratom_effect=effect)
    est, se = adjusted_log_or(df)
    assert abs(est - effect) < 3 * se, (est, se, effect)
    assert se < 0.06  # precise enough that the test can fail
    crude = math.log(weighted_or(df))
    assert crude - effect > 0.4  # the crude association is confounded upwards


@pytest.mark.slow
def test_omitting_self_medication_confounder_biases():
    df = nsduh_like(n=400_000, seed=31, kratom_effect=0.0)
    est, se = adjusted_log_or(df, tuple(c for c in ADJUSTMENT_SET if c != "depression_history"))
    assert est - 1.96 * se > 0.05  # a spurious harmful "effect" when depression history is left out


# ---------------------------------------------------------------- the diagram
def test_dag_as_data():
    edges = {(c, e): coef for c, e, coef in NSDUH_LIKE_DAG}
    assert edges[("kratom_py", "AMDEYR")] == 0.0
    assert ("depression_history", "kratom_py") in edges  # self-medication
    for shared in ("chronic_pain", "child_adversity", "cannabis_py", "opioid_misuse_py"):
        assert (shared, "kratom_py") in edges and (shared, "AMDEYR") in edges
    assert ("AMDEYR", "KSSLR6MON") in edges  # distress is downstream of the outcome
    assert ("kratom_py", "AMDEYR", 0.25) in nsduh_like_dag(0.25)


def test_adjustment_set_satisfies_backdoor():
    from course_utils import dags

    graph = nsduh_like_graph()
    assert dags.satisfies_backdoor(graph, "kratom_py", "AMDEYR", ADJUSTMENT_SET)
    assert not dags.satisfies_backdoor(graph, "kratom_py", "AMDEYR", [])
    without_history = [c for c in ADJUSTMENT_SET if c != "depression_history"]
    assert not dags.satisfies_backdoor(graph, "kratom_py", "AMDEYR", without_history)


# ---------------------------------------------------------------- bad input
def test_bad_arguments():
    with pytest.raises(ValueError, match=r"n=50 is too small: the design has 100 PSUs, so use n >= 1000"):
        nsduh_like(n=50)
    with pytest.raises(TypeError, match="n is the number of respondents, a whole number; got 6000.5"):
        nsduh_like(n=6000.5)
    with pytest.raises(TypeError, match=r"kratom_effect is a number on the log-odds scale \(e.g. math.log\(1.5\)\)"):
        nsduh_like(kratom_effect="big")
    with pytest.raises(ValueError, match="kratom_effect must be in \\[-5, 5\\]"):
        nsduh_like(kratom_effect=float("inf"))
    with pytest.raises(ValueError, match="seed must be a non-negative whole number"):
        nsduh_like(seed=-1)


# ---------------------------------------------------------------- the registered dataset
@pytest.mark.timing
def test_registered_dataset_is_the_generator_default(default):
    import course_utils as cu

    listed = cu.list_datasets().loc["synthetic_nsduh"]
    assert listed["kind"] == "synthetic" and listed["title"].startswith("SYNTHETIC")
    start = time.perf_counter()
    loaded = cu.load("synthetic_nsduh")
    assert time.perf_counter() - start < 0.5  # about 50 ms warm on the course machine
    assert loaded.attrs["synthetic"] is True
    for column in NSDUH_LIKE_COLUMNS:
        if column == "ANALWT2_C":
            assert np.allclose(loaded[column], default[column], atol=0.005)
        else:
            assert loaded[column].astype(str).tolist() == default[column].astype(str).tolist(), column
    described = cu.describe("synthetic_nsduh")
    assert list(described.index) == list(NSDUH_LIKE_COLUMNS)
    assert described["description"].str.len().min() > 20
    assert "SYNTHETIC" in cu.cite("synthetic_nsduh")
