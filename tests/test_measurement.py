"""SYNTHETIC measurement-error simulation against Spearman's (1904) attenuation formula."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from course_utils.simulate.measurement import attenuation_curve, expected_observed_correlation, noisy_measures


def test_formula():
    # Spearman 1904: r_observed = r_true * sqrt(rel_x * rel_y)
    assert expected_observed_correlation(0.5, 1, 1) == 0.5
    assert expected_observed_correlation(0.5, 0.64, 1.0) == pytest.approx(0.4)
    assert expected_observed_correlation(-0.6, 0.5, 0.5) == pytest.approx(-0.3)


def test_large_sample_matches_formula():
    df = noisy_measures(n=400_000, correlation=0.5, reliability_x=0.6, reliability_y=0.8, seed=3)
    assert df["x_true"].corr(df["y_true"]) == pytest.approx(0.5, abs=0.005)
    observed = df["x_obs"].corr(df["y_obs"])
    assert observed == pytest.approx(0.5 * math.sqrt(0.6 * 0.8), abs=0.005)
    # reliability really is the true share of the observed variance
    assert df["x_true"].var() / df["x_obs"].var() == pytest.approx(0.6, abs=0.01)
    # regression dilution: slope of y_true on x_obs shrinks by rel_x
    slope = np.polyfit(df["x_obs"], df["y_true"], 1)[0]
    assert slope == pytest.approx(0.5 * 0.6, abs=0.005)


def test_perfect_reliability_adds_no_error_and_is_deterministic():
    a = noisy_measures(n=100, seed=8)
    assert (a["x_obs"] == a["x_true"]).all() and (a["y_obs"] == a["y_true"]).all()
    pd.testing.assert_frame_equal(a, noisy_measures(n=100, seed=8))
    assert not a.equals(noisy_measures(n=100, seed=9))
    assert a.attrs["synthetic"] is True


def test_curve_tracks_formula():
    curve = attenuation_curve((1.0, 0.7, 0.4), correlation=0.5, n=500, replications=300, seed=5)
    assert list(curve.index) == [1.0, 0.7, 0.4]
    assert np.allclose(curve["expected"], [0.5, 0.35, 0.2])
    assert np.allclose(curve["mean_observed"], curve["expected"], atol=0.01)
    assert (curve["q05"] < curve["mean_observed"]).all() and (curve["mean_observed"] < curve["q95"]).all()
    pd.testing.assert_frame_equal(curve, attenuation_curve((1.0, 0.7, 0.4), n=500, replications=300, seed=5))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"reliability_x": 0}, ValueError, "reliability_x must be in \\(0, 1\\]"),
        ({"reliability_y": 1.2}, ValueError, "reliability_y must be in \\(0, 1\\]"),
        ({"correlation": 1.0}, ValueError, "correlation must be in \\(-1, 1\\)"),
        ({"correlation": "high"}, TypeError, "correlation is a number strictly between -1 and 1"),
        ({"n": 2}, ValueError, "a whole number of at least 3"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        noisy_measures(**kwargs)


def test_bad_curve_arguments():
    with pytest.raises(ValueError, match="each reliability must be in \\(0, 1\\]"):
        attenuation_curve((1.0, -0.2))
    with pytest.raises(ValueError, match="replications must be a whole number of at least 1"):
        attenuation_curve(replications=0)
