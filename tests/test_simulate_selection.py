"""Tests for the SYNTHETIC selection generators (course_utils.simulate.selection).

The population is the synthetic NSDUH-like survey with no causal effect of kratom on
depression (``kratom_effect=0``).  The convenience survey's model sets 40% of past-year users
feeling helped; the tests check that the self-selected respondents report benefit far more
often than that truth, that removing self-selection removes the gap, and that selecting on a
common effect distorts an association.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from course_utils import dags
from course_utils.simulate import convenience_sample, nsduh_like, selected_sample, two_directions
from course_utils.simulate.selection import CONVENIENCE_DAG, CONVENIENCE_MODEL


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return nsduh_like(n=60_000, seed=2026)


def _odds_ratio(df: pd.DataFrame, a: str = "kratom_py", b: str = "AMDEYR") -> float:
    t = pd.crosstab(df[a], df[b])
    return t.loc[1, 1] * t.loc[0, 0] / (t.loc[1, 0] * t.loc[0, 1])


def test_self_selected_benefit_share_far_above_population_truth(population):
    sample = convenience_sample(population, seed=1)
    truth = sample.attrs["truth"]["share_helped"]
    assert truth == pytest.approx(0.40, abs=0.06)  # the model's 40%, in a few hundred users
    share = sample["helped"].mean()
    se = math.sqrt(share * (1 - share) / len(sample))
    assert share > 0.7 and share - truth > 0.3
    assert share - 1.96 * se > truth + 0.2  # not a chance difference
    assert (sample["experience"] == "harmed").mean() < sample.attrs["truth"]["share_harmed"] / 2
    assert sample["still_using"].mean() > sample.attrs["truth"]["share_still_using"] + 0.3


def test_without_self_selection_the_sample_tells_the_truth(population):
    users = convenience_sample(population, seed=1, selection=0, keep_nonrespondents=True)
    respondents = users[users["responded"]]
    truth = users.attrs["truth"]["share_helped"]
    share = respondents["helped"].mean()
    se = math.sqrt(truth * (1 - truth) / len(respondents))
    assert abs(share - truth) < 3 * se
    # rescaled so that the expected number of respondents does not depend on selection
    selected = convenience_sample(population, seed=1)
    assert abs(len(respondents) - len(selected)) < 0.35 * len(selected)


def test_keep_nonrespondents_returns_every_user(population):
    users = convenience_sample(population, seed=1, keep_nonrespondents=True)
    assert len(users) == int(population["kratom_py"].sum()) == users.attrs["truth"]["n_users"]
    assert users["responded"].sum() == users.attrs["truth"]["n_respondents"]
    # people who stopped are rarely reached: response rate among stoppers far below current users
    rates = users.groupby("still_using")["responded"].mean()
    assert rates[True] > 3 * rates[False]


def test_convenience_sample_is_deterministic_and_labelled(population):
    a = convenience_sample(population, seed=5)
    b = convenience_sample(population, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs["synthetic"] is True and a.attrs["name"].startswith("synthetic_")
    assert sum(CONVENIENCE_MODEL["experience"].values()) == pytest.approx(1.0)
    dags.as_digraph(CONVENIENCE_DAG)  # a valid acyclic diagram


def test_convenience_sample_requires_a_use_column():
    with pytest.raises(KeyError, match=r"no column 'kratom_py' \(past-year kratom use\).*nsduh_like"):
        convenience_sample(pd.DataFrame({"x": [0, 1]}))


def test_convenience_sample_rejects_bad_codes():
    with pytest.raises(ValueError, match=r"must hold only 0 and 1, found \[2.0\]"):
        convenience_sample(pd.DataFrame({"kratom_py": [0, 1, 2]}), weight=None)
    with pytest.raises(TypeError, match="coded 1 = yes, 0 = no"):
        convenience_sample(pd.DataFrame({"kratom_py": pd.Categorical(["yes", "no"])}), weight=None)
    with pytest.raises(ValueError, match="1 missing value"):
        convenience_sample(pd.DataFrame({"kratom_py": [0.0, 1.0, None]}), weight=None)
    with pytest.raises(KeyError, match="pass weight=None"):
        convenience_sample(pd.DataFrame({"kratom_py": [0, 1]}))
    with pytest.raises(ValueError, match="nobody in the population used kratom"):
        convenience_sample(pd.DataFrame({"kratom_py": [0, 0]}), weight=None)
    with pytest.raises(ValueError, match="selection must be in \\[0, 3\\]"):
        convenience_sample(pd.DataFrame({"kratom_py": [0, 1]}), weight=None, selection=-1)


def test_selecting_on_a_collider_reverses_the_association(population):
    assert _odds_ratio(population) > 1.5  # crude association in the population (confounding, self-medication)
    selected = selected_sample(population, {"kratom_py": 3.0, "AMDEYR": 3.0}, base_rate=0.02, seed=1)
    assert _odds_ratio(selected) < 1.0  # among the selected, the association flips
    assert selected.attrs["synthetic"] is True


def test_selection_at_random_leaves_the_association_alone(population):
    selected = selected_sample(population, {"kratom_py": 0.0, "AMDEYR": 0.0}, base_rate=0.5, seed=1)
    assert _odds_ratio(selected) == pytest.approx(_odds_ratio(population), rel=0.35)


def test_selected_sample_bad_input(population):
    with pytest.raises(TypeError, match="inclusion maps column"):
        selected_sample(population, {})
    with pytest.raises(ValueError, match="base_rate must be strictly between 0 and 1"):
        selected_sample(population, {"kratom_py": 1.0}, base_rate=1.5)


def test_two_directions_give_the_same_table():
    df = two_directions(20_000, seed=4)
    a = df[df["world"] == "kratom → depression"]
    b = df[df["world"] == "depression → kratom"]
    for col in ("kratom", "depression"):
        assert a[col].mean() == pytest.approx(b[col].mean(), abs=0.015)
    # P(depression | kratom) is 0.20 vs 0.10 in both worlds although the arrow points opposite ways
    for world in (a, b):
        assert world.loc[world["kratom"] == 1, "depression"].mean() == pytest.approx(0.20, abs=0.02)
        assert world.loc[world["kratom"] == 0, "depression"].mean() == pytest.approx(0.10, abs=0.01)
    # Bayes' rule by hand: P(D) = 0.2*0.2 + 0.8*0.1 = 0.12; P(K | D) = 0.04 / 0.12 = 1/3
    reverse = df.attrs["model"]["depression → kratom"]
    assert reverse["P(depression)"] == pytest.approx(0.12)
    assert reverse["P(kratom | depression)"] == pytest.approx(1 / 3)
    assert reverse["P(kratom | no depression)"] == pytest.approx(0.16 / 0.88)


def test_two_directions_bad_input():
    with pytest.raises(ValueError, match="p_kratom must be a probability"):
        two_directions(100, p_kratom=1.5)
    with pytest.raises(ValueError, match="n must be a whole number"):
        two_directions(5)
