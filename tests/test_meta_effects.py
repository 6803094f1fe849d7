"""Effect sizes from summary data (MD, SMD, RD) against R's metafor::escalc.

Reference values: tests/data/metafor_reference.R (metafor 3.8-1, run once; output in metafor_reference.txt).
Data: dat.normand1999 (9 stroke-unit comparisons, length of stay), the first five rows of dat.curtis1998
(plant biomass under CO2; printed into the test below), dat.hine1989 and dat.nielweise2007 (2x2 counts).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import course_utils as cu
from course_utils.metaanalysis import MetaAnalysisError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def normand() -> pd.DataFrame:
    return pd.read_csv(DATA / "normand1999.csv")


def _means(d: pd.DataFrame, measure: str) -> pd.DataFrame:
    return cu.effect_from_means(d["m1i"], d["sd1i"], d["n1i"], d["m2i"], d["sd2i"], d["n2i"], measure=measure,
                                labels=d["source"])


def test_mean_difference_matches_escalc(normand):
    t = _means(normand, "MD")
    # escalc(measure="MD", m1i, sd1i, n1i, m2i, sd2i, n2i, data=dat.normand1999)$yi and $vi
    assert t["effect"].tolist() == pytest.approx([-20.0, -2.0, -55.0, -71.0, -4.0, 1.0, 11.0, -10.0, 7.0], rel=1e-9, abs=1e-12)
    assert t["variance"].tolist() == pytest.approx([40.50802316, 2.080645161, 15.69840376, 150.2222222, 17.30769231, 1.16734143, 94.58912656, 6.310879285, 19.84230769], rel=1e-9)
    assert t.attrs["measure"] == "mean difference"
    assert t.index[0] == "Edinburgh" and t["n"].iloc[0] == 311


def test_standardised_mean_difference_matches_escalc(normand):
    t = _means(normand, "SMD")
    # escalc(measure="SMD", ..., data=dat.normand1999)$yi (Hedges' g, exact J) and $vi (vtype="LS")
    assert t["effect"].tolist() == pytest.approx([-0.3551696409, -0.3479400227, -2.31756916, -1.887982253, -0.3839641412, 0.1721486691, 0.2720520739, -0.4245962719, 0.2895562301], rel=1e-9)
    assert t["variance"].tolist() == pytest.approx([0.01306467554, 0.0644688761, 0.04581211028, 0.1606177359, 0.2054332784, 0.03691057, 0.06026712584, 0.01486303842, 0.03627173416], rel=1e-9)
    assert "large-sample" in t.attrs["variance"] and "LS" in t.attrs["variance"]
    assert t["se"].tolist() == pytest.approx(np.sqrt(t["variance"]).tolist())


def test_smd_on_small_groups_matches_escalc():
    # dat.curtis1998[1:5, c("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")] (groups of 3 to 5 plants, where the
    # small-sample correction J matters): escalc(measure="SMD", ...)$yi, $vi
    m1 = [6.8169, 2.5961, 2.99, 5.91, 4.61]
    sd1 = [1.769982, 0.6674662, 0.856, 1.742, 1.407]
    n1 = [3, 5, 5, 5, 4]
    m2 = [3.945, 2.2512, 1.93, 6.62, 4.1]
    sd2 = [1.115797, 0.3275839, 0.552, 1.631, 1.257]
    n2 = [5, 5, 5, 5, 4]
    t = cu.effect_from_means(m1, sd1, n1, m2, sd2, n2)
    assert t["effect"].tolist() == pytest.approx([1.822154353, 0.5921891502, 1.328569919, -0.3798236601, 0.3320563312], rel=1e-8)
    assert t["variance"].tolist() == pytest.approx([0.7408487387, 0.4175343995, 0.4882549014, 0.4072133006, 0.5068913379], rel=1e-8)


def test_risk_difference_matches_escalc():
    hine = pd.read_csv(DATA / "hine1989.csv")
    t = cu.risk_difference_from_counts(hine["ai"], hine["n1i"], hine["ci"], hine["n2i"])
    # escalc(measure="RD", ai, n1i, ci, n2i, data=dat.hine1989)
    assert t["effect"].tolist() == pytest.approx([0.02802623733, 0.0, 0.01971112999, 0.01796116505, 0.03533447684, 0.04403131115], rel=1e-9, abs=1e-12)
    assert t["variance"].tolist() == pytest.approx([0.001775747745, 0.003756574005, 0.000813233989, 0.001089975195, 0.0008011403299, 0.0006132030614], rel=1e-9)
    niel = pd.read_csv(DATA / "nielweise2007.csv")
    t = cu.risk_difference_from_counts(niel["ai"], niel["n1i"], niel["ci"], niel["n2i"])
    # escalc(measure="RD", ..., data=dat.nielweise2007): 0.5 added to the cells of tables with a zero (add=1/2,
    # to="only0"), including study 15 (0/118 vs 0/105)
    assert t["effect"].tolist() == pytest.approx([-0.02538751268, -0.06298701299, -0.03653846154, -0.05092773165, -0.005103977728, -0.01857289678, -0.01120202611, -0.03776853777, -0.1741567411, -0.007543885101, -0.1079219288, -0.01838147529, -0.01261398176, -0.02902554961, -0.0005153004598, -0.003727137468, -0.005388742093, 0.04800724638], rel=1e-9, abs=1e-12)
    assert t["variance"].tolist() == pytest.approx([0.0002802784071, 0.002743856687, 0.0002715457157, 0.0004067440599, 0.0004461424149, 0.000304131763, 0.0001269745461, 0.001427639648, 0.001565751626, 0.0002097912711, 0.00168087533, 0.0005184434738, 0.0002421261506, 0.0004848338581, 7.944980417e-05, 2.935829488e-05, 3.108059632e-05, 0.001122523195], rel=1e-9)
    assert bool(t["zero_corrected"].iloc[14]) and not bool(t["zero_corrected"].iloc[4])


def test_zero_event_table_has_a_real_interval():
    # issue 14: a 0/10 vs 0/10 table must not give a zero-width interval; with 0.5 per cell p = 0.5/11 in both
    t = cu.risk_difference_from_counts([0], [10], [0], [10])
    p = 0.5 / 11
    assert t["effect"].iloc[0] == 0.0
    assert t["variance"].iloc[0] == pytest.approx(2 * p * (1 - p) / 11)
    assert t["ci_high"].iloc[0] - t["ci_low"].iloc[0] > 0.2


def test_pooled_smd_normand_reml():
    # rma(yi, vi, data=escalc("SMD", ..., dat.normand1999), method="REML", control=tight): b, se
    t = cu.effect_from_means(*(pd.read_csv(DATA / "normand1999.csv")[c] for c in
                               ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")))
    p = cu.meta_analysis(t["effect"], t["variance"], method="reml").pooled
    assert p["estimate"] == pytest.approx(-0.5371082584, abs=1e-8)


@pytest.mark.parametrize("args, kwargs, message", [
    (([5], [0], [10], [4], [1], [10]), {}, "standard deviations must be positive"),
    (([5], [1], [1], [4], [1], [10]), {}, "whole numbers ≥ 2"),
    (([5], [1], [10.5], [4], [1], [10]), {}, "whole numbers ≥ 2"),
    (([5, 6], [1], [10], [4], [1], [10]), {}, "equal lengths"),
    (([float("nan")], [1], [10], [4], [1], [10]), {}, "missing summary data"),
    (([5], [1], [10], [4], [1], [10]), {"measure": "ROM"}, "'SMD'.*'MD'"),
    ((["5"], [1], [10], [4], [1], [10]), {}, "is the text"),
    (([], [], [], [], [], []), {}, "no studies"),
])
def test_effect_from_means_bad_input(args, kwargs, message):
    with pytest.raises(MetaAnalysisError, match=message):
        cu.effect_from_means(*args, **kwargs)


@pytest.mark.parametrize("args, message", [
    (([5], [3], [1], [10]), "more events than people"),
    (([1], [10], [-1], [10]), "whole numbers"),
    (([1, 2], [10, 10], [1], [10]), "equal lengths"),
    ((["1"], [10], [1], [10]), "is the text"),
])
def test_risk_difference_bad_input(args, message):
    with pytest.raises(MetaAnalysisError, match=message):
        cu.risk_difference_from_counts(*args)
    with pytest.raises(MetaAnalysisError, match="zero_correction"):
        cu.risk_difference_from_counts([1], [10], [1], [10], zero_correction=-1)
