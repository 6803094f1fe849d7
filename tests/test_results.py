"""The one result shape (results.py)."""

import math

import pandas as pd
import pytest

from course_utils.results import critical_value, from_ratio_log_ci, make_result, result_frame


def test_normal_critical_value_is_1_96():
    # Standard normal 97.5th percentile, 1.959964 (any statistical table).
    assert critical_value() == pytest.approx(1.959964, abs=1e-6)


def test_t_critical_value_matches_table():
    # Student t, 10 df, 97.5th percentile = 2.228139 (standard t table).
    assert critical_value(df=10) == pytest.approx(2.228139, abs=1e-6)


def test_result_has_the_five_fields_in_order_and_ci_from_se():
    r = make_result(2.5, se=0.5, n=100, name="x")
    assert list(r.index[:5]) == ["estimate", "se", "ci_low", "ci_high", "n"]
    assert r["ci_low"] == pytest.approx(2.5 - 1.959964 * 0.5, abs=1e-6)
    assert r["ci_high"] == pytest.approx(2.5 + 1.959964 * 0.5, abs=1e-6)
    assert r["n"] == 100 and r.name == "x"


def test_t_interval_and_extra_fields():
    r = make_result(1.0, se=1.0, df=10, p_value=0.3)
    assert r["ci_high"] == pytest.approx(1 + 2.228139, abs=1e-6)
    assert r["df"] == 10 and r["p_value"] == 0.3


def test_given_ci_is_kept_and_half_ci_rejected():
    r = make_result(1.0, ci_low=0.5, ci_high=2.0)
    assert (r["ci_low"], r["ci_high"]) == (0.5, 2.0)
    assert math.isnan(r["se"])
    with pytest.raises(ValueError, match="both ci_low and ci_high"):
        make_result(1.0, ci_low=0.5)


def test_bad_level_and_df_are_explained():
    with pytest.raises(ValueError, match="level must be a number between 0 and 1"):
        critical_value(level=95)
    with pytest.raises(ValueError, match="more PSUs than strata"):
        critical_value(df=0)


def test_ratio_ci_is_symmetric_on_log_scale():
    # OR 2 with SE(log OR) 0.1: CI exp(log 2 ± 1.96·0.1) = 1.6441 to 2.4330.
    r = from_ratio_log_ci(math.log(2), 0.1, n=10)
    assert r["estimate"] == pytest.approx(2.0)
    assert r["ci_low"] == pytest.approx(1.6441, abs=1e-4)
    assert r["ci_high"] == pytest.approx(2.4330, abs=1e-4)
    assert r["ci_low"] * r["ci_high"] == pytest.approx(4.0)


def test_result_frame_one_row_per_group():
    frame = result_frame({"a": make_result(1.0, se=0.1, n=5), "b": make_result(2.0, se=0.2, n=6)}, "group")
    assert list(frame.index) == ["a", "b"] and frame.index.name == "group"
    assert frame["estimate"].dtype == float
    assert frame.loc["b", "n"] == 6
    assert isinstance(frame, pd.DataFrame)


def test_result_is_numeric_so_it_rounds_and_compares():
    # The defect of issue 14: an object-dtype Series made r.round(2) raise TypeError.
    r = make_result(0.1234, se=0.01, n=50, measure="risk difference", method="Wald", stabilized=True)
    assert r.dtype == "float64"
    assert r.round(2)["estimate"] == 0.12
    assert r["ci_low"] < r["estimate"] < r["ci_high"]
    assert r.attrs == {"level": 0.95, "measure": "risk difference", "method": "Wald", "stabilized": True}
    assert r.name == "risk difference", "the measure names the Series when no name is given"


def test_confidence_level_can_be_asked_for():
    # 90% normal interval: 1.644854 (standard normal table, 95th percentile).
    r = make_result(1.0, se=1.0, level=0.9)
    assert r["ci_high"] == pytest.approx(1 + 1.644854, abs=1e-6)
    assert r.attrs["level"] == 0.9
    ratio = from_ratio_log_ci(0.0, 1.0, level=0.9)
    assert ratio["ci_high"] == pytest.approx(math.exp(1.644854), rel=1e-6)
    with pytest.raises(ValueError, match="level must be a number"):
        make_result(1.0, se=1.0, level=95)


def test_text_in_a_number_field_is_refused_and_extras_keep_their_order():
    with pytest.raises(TypeError, match="estimate must be a number.*pd.to_numeric"):
        make_result("0.5", se=0.1)
    with pytest.raises(TypeError, match="n must be a number"):
        make_result(1.0, se=0.1, n="12")
    r = make_result(1.0, se=0.1, p_value=0.04, df=12)
    assert list(r.index) == ["estimate", "se", "ci_low", "ci_high", "n", "df", "p_value"]


def test_result_frame_keeps_shared_and_per_row_metadata():
    rows = {
        "risk difference": make_result(0.1, se=0.01, n=10, se_scale="difference"),
        "risk ratio": from_ratio_log_ci(0.2, 0.05, n=10, p_value=0.01),
    }
    frame = result_frame(rows)
    assert list(frame.columns) == ["estimate", "se", "ci_low", "ci_high", "n", "p_value"]
    assert math.isnan(frame.loc["risk difference", "p_value"])
    assert frame.attrs["level"] == 0.95
    assert frame.attrs["rows"]["risk ratio"] == {"se_scale": "log"}
    assert frame.round(3).loc["risk ratio", "estimate"] == pytest.approx(1.221)
    with pytest.raises(ValueError, match="at least one row"):
        result_frame({})
