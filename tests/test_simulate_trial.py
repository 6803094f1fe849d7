"""Tests for the SYNTHETIC trial and observational generators (course_utils.simulate.trial).

The truth is known because we set it: these tests check that the simulation behaves as its
documented model says -- randomisation recovers the set effect, self-selection does not,
informative dropout biases the complete-case estimate -- with samples large enough that a
broken model would fail them (the CIs are about ±0.3 points wide at n = 2,000 per arm).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_utils import dags, trials
from course_utils.simulate import observational, trial
from course_utils.simulate.trial import OBSERVATIONAL_DAG, TRIAL_ASSUMPTIONS, TRIAL_DAG

EFFECT = -3.0
ARMS = {"treatment": "treatment", "control": "placebo"}
OBS = {"treatment": "treatment", "control": "no treatment"}


def test_deterministic_per_seed():
    a = trial(50, EFFECT, dropout=0.2, mechanism="informative", nonadherence=0.1, seed=7)
    b = trial(50, EFFECT, dropout=0.2, mechanism="informative", nonadherence=0.1, seed=7)
    pd.testing.assert_frame_equal(a, b)
    c = trial(50, EFFECT, dropout=0.2, mechanism="informative", nonadherence=0.1, seed=8)
    assert not a["baseline"].equals(c["baseline"])
    pd.testing.assert_frame_equal(observational(100, EFFECT, seed=3), observational(100, EFFECT, seed=3))


def test_shape_labels_and_synthetic_metadata():
    df = trial(30, EFFECT, seed=1)
    assert df["arm"].value_counts().to_dict() == {"placebo": 30, "treatment": 30}
    assert list(df.columns) == ["id", "arm", "baseline", "followup", "dropped_out", "adherent", "followup_full"]
    assert df.attrs["synthetic"] is True and df.attrs["name"].startswith("synthetic_")
    assert df.attrs["true_effect"] == EFFECT
    assert "trial(n_per_arm=30" in df.attrs["call"]
    assert set(TRIAL_ASSUMPTIONS) >= {"baseline", "follow-up", "informative dropout"}


def test_dags_are_acyclic_and_name_their_unmeasured_node():
    for dag in (TRIAL_DAG, OBSERVATIONAL_DAG):
        graph = dags.as_digraph(dag)
        assert set(dag["positions"]) == set(graph.nodes)
        assert dag["unobserved"] == ["chronicity"]
    assert not any(effect == "randomised arm" for _, effect in TRIAL_DAG["edges"])  # nothing causes the arm


def test_randomisation_recovers_the_set_effect_within_its_ci():
    df = trial(2000, EFFECT, seed=11)
    crude = trials.mean_difference(df, "followup", "arm", **ARMS)
    adjusted = trials.ancova(df, "followup", "arm", "baseline", **ARMS)
    for r in (crude, adjusted):
        assert r["ci_low"] < EFFECT < r["ci_high"]
    assert adjusted["se"] < crude["se"]  # adjusting for a prognostic baseline narrows the CI


def test_randomisation_balances_baseline():
    df = trial(2000, EFFECT, seed=11)
    tab = trials.balance_table(df, "arm", ["baseline"], **ARMS)
    assert abs(tab.loc["baseline", "smd"]) < 0.1


def test_ci_coverage_over_many_seeds():
    covered = 0
    for seed in range(60):
        r = trials.mean_difference(trial(100, EFFECT, seed=seed), "followup", "arm", **ARMS)
        covered += r["ci_low"] < EFFECT < r["ci_high"]
    assert covered >= 51  # nominal 95%: 57 of 60 expected; 51 leaves room for chance only


def test_confounded_observational_comparison_misses_the_effect():
    df = observational(4000, EFFECT, seed=11)
    crude = trials.mean_difference(df, "followup", "group", **OBS)
    adjusted = trials.ancova(df, "followup", "group", "baseline", **OBS)
    assert not crude["ci_low"] < EFFECT < crude["ci_high"]
    assert crude["estimate"] > 0  # self-medication by the most chronic makes the treatment look harmful
    assert not adjusted["ci_low"] < EFFECT < adjusted["ci_high"]  # baseline adjustment is not enough: U unmeasured
    tab = trials.balance_table(df, "group", ["baseline"], **OBS)
    assert tab.loc["baseline", "smd"] > 0.3


def test_no_confounding_makes_observation_as_good_as_randomised():
    df = observational(4000, EFFECT, confounding=0.0, seed=11)
    r = trials.mean_difference(df, "followup", "group", **OBS)
    assert r["ci_low"] < EFFECT < r["ci_high"]


def test_informative_dropout_biases_the_complete_case_estimate():
    df = trial(2000, EFFECT, dropout=0.3, mechanism="informative", seed=11)
    complete = trials.mean_difference(df, "followup", "arm", **ARMS)
    everyone = trials.mean_difference(df, "followup_full", "arm", **ARMS)  # only a simulation has these
    assert everyone["ci_low"] < EFFECT < everyone["ci_high"]
    assert complete["estimate"] < EFFECT - 1.0  # flatters the treatment by more than a point
    assert not complete["ci_low"] < EFFECT < complete["ci_high"]
    shares = df.groupby("arm")["dropped_out"].mean()
    assert shares["treatment"] == pytest.approx(0.3, abs=0.03) and shares["placebo"] == pytest.approx(0.3, abs=0.03)


def test_random_dropout_leaves_the_complete_case_estimate_unbiased():
    df = trial(2000, EFFECT, dropout=0.3, mechanism="random", seed=11)
    r = trials.mean_difference(df, "followup", "arm", **ARMS)
    assert r["ci_low"] < EFFECT < r["ci_high"]
    assert int(r["n_missing"]) == int(df["dropped_out"].sum())


def test_nonadherence_dilutes_itt_and_biases_per_protocol():
    df = trial(3000, EFFECT, nonadherence=0.3, seed=11)
    itt = trials.mean_difference(df, "followup", "arm", **ARMS)
    assert itt["ci_low"] < EFFECT * 0.7 < itt["ci_high"]  # ITT = effect of being offered the treatment
    pp = trials.analysis_populations(df, "followup", "arm", adherent="adherent", **ARMS).loc["per protocol"]
    assert pp["estimate"] < EFFECT - 0.5  # the most chronic stopped, so completers look better than the truth
    assert df.loc[df["arm"] == "treatment", "adherent"].mean() == pytest.approx(0.7, abs=0.03)
    assert df.loc[df["arm"] == "placebo", "adherent"].all()


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n_per_arm": 1, "effect": -3}, ValueError, "n_per_arm must be at least 2"),
    ({"n_per_arm": 10.5, "effect": -3}, TypeError, "whole number"),
    ({"n_per_arm": 10, "effect": "big"}, TypeError, "effect is the true difference"),
    ({"n_per_arm": 10, "effect": -3, "dropout": 1.2}, ValueError, r"dropout must be in \[0, 1\) \(a proportion"),
    ({"n_per_arm": 10, "effect": -3, "dropout": 0.2, "mechanism": "MNAR"}, ValueError,
     "mechanism must be 'random' or 'informative'"),
    ({"n_per_arm": 10, "effect": -3, "nonadherence": -0.1}, ValueError, "nonadherence must be in \\[0, 1\\) \\(a proportion"),
])
def test_trial_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        trial(**kwargs)


def test_observational_bad_input():
    with pytest.raises(ValueError, match="confounding must be"):
        observational(100, EFFECT, confounding=np.inf)
    with pytest.raises(ValueError, match="n must be at least 4"):
        observational(2, EFFECT)
