"""regression_effect(..., cov_type=...): every named standard error is what it says (issue 13 item 4).

Reference numbers: R 4.2.2 with sandwich 3.0.2, run once (calls beside the numbers) on
datasets/nhefs.csv (rows with wt82_71 observed, as What If's nhefs.nmv) and on
datasets/synthetic_nsduh.csv (SYNTHETIC survey; all 60,000 rows).
statsmodels' discrete models return HC0 under every "HC*" name; R's sandwich::vcovHC does not.
"""

from __future__ import annotations

import pytest

import course_utils as cu
from course_utils import causal
from course_utils.causal import CausalInputError


def meta(result, key):
    """A text field of a result, wherever the result shape keeps it (attrs or the Series)."""
    return result.attrs.get(key, result.get(key))


@pytest.fixture(scope="module")
def nhefs():
    return cu.load("nhefs", codes=True).dropna(subset=["wt82_71"])


@pytest.fixture(scope="module")
def nsduh():
    return cu.load("synthetic_nsduh", codes=True)


# Both logistic fits with glm.control(epsilon = 1e-14, maxit = 100) so R iterates to full convergence
# (its default 1e-8 stops early enough to move the 7th digit of the SE).
# f <- glm(death ~ qsmk + sex + age + race, family = binomial(), data = d, control = glm.control(epsilon = 1e-14, maxit = 100))
# sqrt(sandwich::vcovHC(f, type = TYPE)["qsmk", "qsmk"]); coef(f)["qsmk"] = -0.0160061710
NHEFS_LOGIT = {"HC0": 0.1617489577, "HC1": 0.1620077977, "HC2": 0.1621927806, "HC3": 0.1626386088}
# h <- glm(AMDEYR ~ kratom_py + chronic_pain + factor(CATAG6), family = binomial(), data = s, control = <as above>)
# sqrt(sandwich::vcovHC(h, type = TYPE)["kratom_py", "kratom_py"]); coef(h)["kratom_py"] = 0.6676831360
NSDUH_LOGIT = {"HC0": 0.1231832096, "HC1": 0.1231903959, "HC2": 0.1233435118, "HC3": 0.1235040472}
# g <- lm(wt82_71 ~ qsmk + sex + age, data = d); sqrt(sandwich::vcovHC(g, type = TYPE)["qsmk", "qsmk"])
NHEFS_LM = {"HC0": 0.4708333926, "HC1": 0.4714358668, "HC3": 0.4724879944}


@pytest.mark.parametrize("cov_type", list(NHEFS_LOGIT))
def test_logistic_sandwich_nhefs_matches_r(nhefs, cov_type):
    r = causal.regression_effect(nhefs, "death ~ qsmk + sex + age + race", "qsmk", cov_type=cov_type)
    assert r["se"] == pytest.approx(NHEFS_LOGIT[cov_type], abs=1e-8)
    assert r["estimate"] == pytest.approx(2.718281828459045 ** -0.0160061710, abs=1e-9)
    assert meta(r, "cov_type") == cov_type


@pytest.mark.parametrize("cov_type", list(NSDUH_LOGIT))
def test_logistic_sandwich_synthetic_nsduh_matches_r(nsduh, cov_type):
    r = causal.regression_effect(nsduh, "AMDEYR ~ kratom_py + chronic_pain + C(CATAG6)", "kratom_py",
                                 cov_type=cov_type)
    assert r["se"] == pytest.approx(NSDUH_LOGIT[cov_type], abs=1e-8)
    assert r["n"] == 60000


def test_hc1_differs_from_hc0_as_r_says(nhefs):
    """The issue's finding: HC1 on a logistic model returned the HC0 value."""
    f = "death ~ qsmk + sex + age + race"
    hc0 = causal.regression_effect(nhefs, f, "qsmk", cov_type="HC0")["se"]
    hc1 = causal.regression_effect(nhefs, f, "qsmk", cov_type="HC1")["se"]
    n, k = 1566, 5
    assert hc1 == pytest.approx(hc0 * (n / (n - k)) ** 0.5, rel=1e-12) and hc1 != hc0


@pytest.mark.parametrize("cov_type", list(NHEFS_LM))
def test_linear_sandwich_matches_r(nhefs, cov_type):
    r = causal.regression_effect(nhefs, "wt82_71 ~ qsmk + sex + age", "qsmk", cov_type=cov_type)
    assert r["se"] == pytest.approx(NHEFS_LM[cov_type], abs=1e-8)


def test_unknown_cov_type_is_refused(nhefs):
    with pytest.raises(CausalInputError, match="cov_type must be one of 'nonrobust', 'HC0', 'HC1'"):
        causal.regression_effect(nhefs, "death ~ qsmk", "qsmk", cov_type="HC4")
    with pytest.raises(CausalInputError, match="cov_type"):
        causal.regression_effect(nhefs, "death ~ qsmk", "qsmk", cov_type="robust")
