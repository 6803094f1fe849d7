"""Pooling 2x2 tables (Mantel-Haenszel OR/RR/RD, Peto OR) against R's metafor::rma.mh and rma.peto.

Reference values: tests/data/metafor_reference.R (metafor 3.8-1, run once; output in metafor_reference.txt).
Data: dat.bcg (13 BCG trials, large), dat.nielweise2007 (18 catheter trials, rare events, zero cells and one
table with no events: study 15), dat.hine1989 (6 lidocaine studies), dat.collins1985a (H2 antagonists in
upper gastrointestinal bleeding: the 25 trials with counts of persistent or recurrent bleeding; one,
Colecchia, with no events).  Provenance: tests/data/README.md.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import course_utils as cu
from course_utils.metaanalysis import MetaAnalysis, MetaAnalysisError

DATA = Path(__file__).parent / "data"


def _tables(name: str) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    if name == "bcg":
        b = cu.load("bcg")
        return b["bcg_tb"], b["bcg_vacc"], b["no_vacc_tb"], b["no_vacc"]
    if name == "niel":
        d = pd.read_csv(DATA / "nielweise2007.csv")
        return d["ai"], d["n1i"], d["ci"], d["n2i"]
    if name == "hine":
        d = pd.read_csv(DATA / "hine1989.csv")
        return d["ai"], d["n1i"], d["ci"], d["n2i"]
    d = pd.read_csv(DATA / "collins1985a.csv")
    d = d[d["b.xti"].notna()]  # two trials report no counts for this outcome; metafor drops them too (k = 25)
    return d["b.xti"].astype(int), d["nti"], d["b.xci"].astype(int), d["nci"]


CASES = [
    # rma.mh(ai, n1i, ci, n2i, measure="OR")  [bcg]  b, se, ci.lb, ci.ub, pval, QE, QEp, I2, k
    ("bcg", "mh", "OR", [-0.4734109884, 0.0410077784, -0.5537847571, -0.3930372196, 7.877167325e-31, 163.9425796, 8.249452551e-29, 92.68036404, 13.0]),
    # rma.mh(ai, n1i, ci, n2i, measure="RR")  [bcg]  b, se, ci.lb, ci.ub, pval, QE, QEp, I2, k
    ("bcg", "mh", "RR", [-0.4537096047, 0.03933736687, -0.530809427, -0.3766097824, 8.911379671e-31, 152.5675536, 1.707587532e-26, 92.1346317, 13.0]),
    # rma.mh(ai, n1i, ci, n2i, measure="RD")  [bcg]  b, se, ci.lb, ci.ub, pval, QE, QEp, I2, k
    ("bcg", "mh", "RD", [-0.003288181833, 0.0002866567485, -0.003850018736, -0.00272634493, 1.849445346e-30, 386.7759418, 2.382062565e-75, 96.89742854, 13.0]),
    # rma.peto(ai, n1i, ci, n2i)  [bcg]
    ("bcg", "peto", "OR", [-0.4744463109, 0.04065908074, -0.5541366448, -0.394755977, 1.838073386e-31, 167.7301675, 1.389754347e-29, 92.84565193, 13.0]),
    # rma.mh(ai, n1i, ci, n2i, measure="OR")  [niel]  b, se, ci.lb, ci.ub, pval, QE, QEp, I2, k
    ("niel", "mh", "OR", [-1.208704833, 0.2224454213, -1.644689847, -0.7727198184, 5.519297402e-08, 16.86365729, 0.394472399, 5.121411543, 18.0]),
    # rma.mh(ai, n1i, ci, n2i, measure="RR")  [niel]  b, se, ci.lb, ci.ub, pval, QE, QEp, I2, k
    ("niel", "mh", "RR", [-1.177771944, 0.2181679439, -1.605373257, -0.7501706316, 6.721358831e-08, 16.3881482, 0.426214667, 2.368468927, 18.0]),
    # rma.mh(ai, n1i, ci, n2i, measure="RD")  [niel]  b, se, ci.lb, ci.ub, pval, QE, QEp, I2, k
    ("niel", "mh", "RD", [-0.02426218744, 0.004224309157, -0.03254168125, -0.01598269364, 9.275651269e-09, 56.25141394, 2.211513198e-06, 71.55627054, 18.0]),
    # rma.peto(ai, n1i, ci, n2i)  [niel]
    ("niel", "peto", "OR", [-1.105744947, 0.191587337, -1.481249227, -0.7302406663, 7.857229107e-09, 18.73450929, 0.2826707794, 14.59610841, 18.0]),
    # rma.mh(ai, n1i, ci, n2i, measure="OR")  [hine]  b, se, ci.lb, ci.ub, pval, QE, QEp, I2, k
    ("hine", "mh", "OR", [0.5818198971, 0.2808046747, 0.03145284807, 1.132186946, 0.03826789516, 1.515264, 0.9113016596, 0.0, 6.0]),
    # rma.mh(ai, n1i, ci, n2i, measure="RR")  [hine]  b, se, ci.lb, ci.ub, pval, QE, QEp, I2, k
    ("hine", "mh", "RR", [0.5507351853, 0.2665718964, 0.02826386908, 1.073206502, 0.03882931293, 1.5798496, 0.9036753214, 0.0, 6.0]),
    # rma.mh(ai, n1i, ci, n2i, measure="RD")  [hine]  b, se, ci.lb, ci.ub, pval, QE, QEp, I2, k
    ("hine", "mh", "RD", [0.02808326516, 0.0133343625, 0.001948394892, 0.05421813542, 0.03519720206, 0.8705397402, 0.9723176677, 0.0, 6.0]),
    # rma.peto(ai, n1i, ci, n2i)  [hine]
    ("hine", "peto", "OR", [0.5637576661, 0.2695171938, 0.03551367311, 1.092001659, 0.03646252039, 1.4130844, 0.922876647, 0.0, 6.0]),
    # rma.mh(ai, n1i, ci, n2i, measure="OR")  [collins]  b, se, ci.lb, ci.ub, pval, QE, QEp, I2, k
    ("collins", "mh", "OR", [-0.1211132297, 0.09935627471, -0.3158479498, 0.07362149036, 0.2228520969, 34.81739268, 0.05422683298, 33.94106155, 25.0]),
    # rma.mh(ai, n1i, ci, n2i, measure="RR")  [collins]  b, se, ci.lb, ci.ub, pval, QE, QEp, I2, k
    ("collins", "mh", "RR", [-0.09389922616, 0.07717586301, -0.2451611381, 0.05736268582, 0.2237215668, 32.36077841, 0.09286991701, 28.92630793, 25.0]),
    # rma.mh(ai, n1i, ci, n2i, measure="RD")  [collins]  b, se, ci.lb, ci.ub, pval, QE, QEp, I2, k
    ("collins", "mh", "RD", [-0.02045879433, 0.01677925096, -0.0533455219, 0.01242793325, 0.2227336585, 41.23141217, 0.01114089006, 44.21728777, 25.0]),
    # rma.peto(ai, n1i, ci, n2i)  [collins]
    ("collins", "peto", "OR", [-0.1215544587, 0.09949983904, -0.3165705597, 0.07346164227, 0.2218381855, 37.90762122, 0.0260590635, 39.32618492, 25.0]),
]


@pytest.mark.parametrize("dataset, method, measure, expected", CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_two_by_two_pooling_matches_metafor(dataset, method, measure, expected):
    b, se, lo, hi, pval, qe, qep, i2, k = expected
    meta = cu.pool_2x2(*_tables(dataset), method=method, measure=measure)
    p, h = meta.pooled, meta.heterogeneity
    ratio = measure != "RD"
    assert p["log_estimate"] == pytest.approx(b, rel=1e-9, abs=1e-12)
    assert p["se"] == pytest.approx(se, rel=1e-9)
    assert p["estimate"] == pytest.approx(math.exp(b) if ratio else b, rel=1e-9, abs=1e-12)
    assert p["ci_low"] == pytest.approx(math.exp(lo) if ratio else lo, rel=1e-9, abs=1e-12)
    assert p["ci_high"] == pytest.approx(math.exp(hi) if ratio else hi, rel=1e-9, abs=1e-12)
    assert p["p_value"] == pytest.approx(pval, rel=1e-6)
    assert h["q"] == pytest.approx(qe, rel=1e-8) and p["q"] == h["q"]
    assert h["p_value"] == pytest.approx(qep, rel=1e-6)
    assert p["i2"] == pytest.approx(i2, rel=1e-8, abs=1e-10)
    assert p["n"] == k
    assert p.dtype == "float64" and p.attrs["se_scale"] == ("log" if ratio else "same")


@pytest.mark.parametrize("dataset, cmh, cmh_p", [
    ("bcg", 135.7087149, 2.310574143e-31),  # rma.mh(..., measure="OR")$CO, $COp  [bcg]
    ("niel", 32.35445933, 1.284620683e-08),  # rma.mh(..., measure="OR")$CO, $COp  [niel]
    ("hine", 3.851509827, 0.04970123141),  # rma.mh(..., measure="OR")$CO, $COp  [hine]
    ("collins", 1.387856925, 0.2387673473),  # rma.mh(..., measure="OR")$CO, $COp  [collins]
])
def test_cochran_mantel_haenszel_test_matches_metafor(dataset, cmh, cmh_p):
    p = cu.pool_2x2(*_tables(dataset), measure="OR").pooled
    assert p["cmh"] == pytest.approx(cmh, rel=1e-9)
    assert p["cmh_p"] == pytest.approx(cmh_p, rel=1e-6)


def test_result_is_a_meta_analysis_for_plots_and_summaries():
    meta = cu.pool_2x2(*_tables("niel"), measure="OR")
    assert isinstance(meta, MetaAnalysis) and meta.method == "mh"
    # the table with no events (study 15) has no estimate of its own: left out of .studies and Q, kept in k
    assert len(meta.studies) == 17 and meta.pooled["n"] == 18 and meta.heterogeneity["df"] == 16
    assert meta.studies["weight"].sum() == pytest.approx(100)
    assert "Mantel–Haenszel" in meta.summary() and "prediction" not in meta.summary()
    assert meta.pooled.attrs["measure"] == "odds ratio"


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "peto", "measure": "RR"}, "odds ratio only"),
    ({"method": "ivw"}, "'mh'.*'peto'"),
    ({"measure": "HR"}, "'OR', 'RR' or 'RD'"),
])
def test_bad_options(kwargs, message):
    with pytest.raises(MetaAnalysisError, match=message):
        cu.pool_2x2([1, 2], [10, 10], [3, 4], [10, 10], **kwargs)


@pytest.mark.parametrize("counts, message", [
    (([0, 0], [10, 10], [0, 0], [10, 10]), "cannot be estimated|0 or infinite"),
    (([5], [3], [1], [10]), "more events than people"),
    (([1, 2], [10, 10], [1], [10, 10]), "equal lengths"),
    (([1], [0], [1], [10]), "more events than people|size 0"),
    (([], [], [], []), "no studies"),
])
def test_bad_tables(counts, message):
    with pytest.raises(MetaAnalysisError, match=message):
        cu.pool_2x2(*counts)
    with pytest.raises(MetaAnalysisError):
        cu.pool_2x2(*counts, method="peto")
