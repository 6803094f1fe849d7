"""GRADE-style certainty: one test per rule and per bad input.

Rules (course facts K1–K3): randomised evidence starts high and observational low
(Balshem et al. J Clin Epidemiol 2011;64:401–406); five domains rate down by 1 or 2
levels; large effect (≥2-fold: +1, ≥5-fold: +2), dose–response and plausible
confounding rate observational evidence up (Guyatt et al. GRADE guidelines 9,
J Clin Epidemiol 2011, doi:10.1016/j.jclinepi.2011.06.004).  The worked examples
below follow GRADE's own illustrations: an RCT body of evidence with one serious
concern is "moderate"; an observational body with a two-fold effect is "moderate",
with a five-fold effect "high".
"""

from __future__ import annotations

import pandas as pd
import pytest

import course_utils as cu
from course_utils import evidence
from course_utils.evidence import GradeError, assess_certainty, large_effect_upgrade


# ------------------------------------------------------------------ starting level

def test_randomised_starts_high_and_observational_low():
    assert assess_certainty("randomised").level == "high"
    assert assess_certainty("RCT").level == "high"
    assert assess_certainty("randomized trial").level == "high"
    assert assess_certainty("observational").level == "low"
    assert evidence.start_level("non-randomised") == "low"


# ------------------------------------------------------------------ each downgrade domain

@pytest.mark.parametrize("domain", evidence.DOWNGRADE_DOMAINS)
def test_each_downgrade_domain_rates_down_one_or_two_levels(domain):
    assert assess_certainty("randomised", downgrades={domain: -1}).level == "moderate"
    assert assess_certainty("randomised", downgrades={domain: -2}).level == "low"
    assert assess_certainty("randomised", downgrades={domain: 0}).level == "high"


def test_downgrades_add_up():
    a = assess_certainty("randomised", downgrades={"risk_of_bias": -1, "imprecision": -1, "indirectness": -1})
    assert a.level == "very low"
    assert a.score == 1
    assert [s.level_after for s in a.steps if s.change] == ["moderate", "low", "very low"]


def test_observational_one_serious_concern_is_very_low():
    a = assess_certainty("observational", downgrades={"risk_of_bias": -1})
    assert a.level == "very low"


# ------------------------------------------------------------------ each upgrade domain

def test_large_effect_thresholds_follow_grade_9():
    assert large_effect_upgrade(1.99) == 0
    assert large_effect_upgrade(2.0) == 1
    assert large_effect_upgrade(4.99) == 1
    assert large_effect_upgrade(5.0) == 2
    assert large_effect_upgrade(0.5) == 1  # a halving is a two-fold change
    assert large_effect_upgrade(0.2) == 2
    assert large_effect_upgrade(3.20) == 1  # Palamar 2021 AOR for prescription opioid use disorder (B1)


def test_large_effect_rates_up_observational_evidence():
    assert assess_certainty("observational", upgrades={"large_effect": 1}).level == "moderate"
    assert assess_certainty("observational", upgrades={"large_effect": 2}).level == "high"


def test_dose_response_rates_up_one_level():
    assert assess_certainty("observational", upgrades={"dose_response": 1}).level == "moderate"


def test_plausible_confounding_rates_up_one_level():
    assert assess_certainty("observational", upgrades={"plausible_confounding": 1}).level == "moderate"


def test_upgrades_after_downgrades_add_a_note():
    a = assess_certainty("observational", downgrades={"imprecision": -1}, upgrades={"dose_response": 1},
                         reasons={"imprecision": "wide CI", "dose_response": "gradient across doses"})
    assert a.level == "low"
    assert any("rating up after rating down" in note for note in a.notes)


# ------------------------------------------------------------------ explanation and profile

def test_explanation_lists_each_step_and_the_meaning():
    a = assess_certainty(
        "observational", outcome="depression", downgrades={"risk_of_bias": -1},
        reasons={"risk_of_bias": "confounding by other drug use", "indirectness": "general population"},
    )
    text = a.explain()
    assert "observational evidence starts at 'low'" in text
    assert "Risk of bias: rate down 1 level → 'very low' — confounding by other drug use." in text
    assert "Indirectness: already at 'very low', no level left to rate down — general population." in text
    b = assess_certainty("randomised", reasons={"imprecision": "CI excludes no effect"})
    assert "Imprecision: not rated down — CI excludes no effect." in b.explain()
    assert "Result: VERY LOW certainty. Any estimate of effect is very uncertain." in text
    assert "indirectness" not in text.split("No serious concern recorded for:")[1].split("\n")[0]


def test_missing_reason_is_flagged():
    a = assess_certainty("randomised", downgrades={"imprecision": -1})
    assert "no reason recorded for: imprecision." in a.explain()


def test_level_meanings_follow_k3():
    assert evidence.LEVEL_MEANING["high"].startswith("Further research is very unlikely")
    assert evidence.LEVEL_MEANING["very low"] == "Any estimate of effect is very uncertain."
    assert assess_certainty("randomised", downgrades={"inconsistency": -1}).meaning.startswith(
        "Further research is likely to have an important impact")


def test_evidence_profile_table():
    profile = cu.evidence_profile([
        assess_certainty("randomised", outcome="pain tolerance", downgrades={"indirectness": -1,
                         "imprecision": -1}, n_studies=1, effect="longer tolerance after kratom"),
        assess_certainty("observational", outcome="depression", downgrades={"risk_of_bias": -1}),
    ])
    assert list(profile.index) == ["pain tolerance", "depression"]
    assert profile.loc["pain tolerance", "certainty"] == "low"
    assert profile.loc["depression", "certainty"] == "very low"
    assert profile.loc["pain tolerance", "imprecision"] == -1
    assert profile["certainty"].cat.ordered
    assert profile["certainty"].min() == "very low"
    assert profile.loc["pain tolerance", "n_studies"] == 1
    assert pd.isna(profile.loc["depression", "n_studies"])
    for column in ("risk_of_bias", "large_effect", "meaning", "reasons", "effect", "start"):
        assert column in profile.columns


def test_profile_from_table():
    table = pd.DataFrame({
        "outcome": ["A", "B"],
        "design": ["randomised", "observational"],
        "risk_of_bias": [-1, 0],
        "large_effect": [0, 1],
        "risk_of_bias_reason": ["unblinded", None],
        "large_effect_reason": [None, "RR about 3"],
    })
    profile = cu.profile_from_table(table)
    assert profile["certainty"].tolist() == ["moderate", "moderate"]
    assert "risk of bias: unblinded" in profile.loc["A", "reasons"]


# ------------------------------------------------------------------ bad inputs

def test_unknown_downgrade_domain_suggests_the_right_one():
    with pytest.raises(GradeError, match=r"unknown downgrade domain 'risk_bias'.*Did you mean 'risk_of_bias'"):
        assess_certainty("randomised", downgrades={"risk_bias": -1})


def test_upgrade_domain_given_as_downgrade_is_explained():
    with pytest.raises(GradeError, match="is a reason to rate up: put it in upgrades"):
        assess_certainty("observational", downgrades={"large_effect": -1})


def test_unknown_upgrade_domain():
    with pytest.raises(GradeError, match="unknown upgrade domain 'biological_plausibility'"):
        assess_certainty("observational", upgrades={"biological_plausibility": 1})


def test_unknown_design():
    with pytest.raises(GradeError, match="unknown design 'mouse study'.*indirectness"):
        assess_certainty("mouse study")


def test_downgrade_below_very_low_raises():
    with pytest.raises(GradeError, match="would go below 'very low'.*no level below very low"):
        assess_certainty("observational", downgrades={"risk_of_bias": -1, "indirectness": -1})
    with pytest.raises(GradeError, match="below 'very low'"):
        assess_certainty("randomised", downgrades={"risk_of_bias": -2, "imprecision": -2})


def test_upgrade_for_randomised_evidence_raises():
    with pytest.raises(GradeError, match="claimed for randomised evidence.*GRADE guidelines 9"):
        assess_certainty("randomised", upgrades={"large_effect": 1})


def test_upgrade_above_high_raises():
    with pytest.raises(GradeError, match="above 'high'"):
        assess_certainty("observational", upgrades={"large_effect": 2, "dose_response": 1})


@pytest.mark.parametrize("value, message", [(1, "write downgrades as negative numbers"), (-3, "must be 0, -1"),
                                            (-0.5, "whole number of levels"), (True, "whole number")])
def test_downgrade_values_are_checked(value, message):
    with pytest.raises(GradeError, match=message):
        assess_certainty("randomised", downgrades={"imprecision": value})


@pytest.mark.parametrize("domain, value", [("large_effect", 3), ("dose_response", 2),
                                           ("plausible_confounding", -1)])
def test_upgrade_values_are_checked(domain, value):
    with pytest.raises(GradeError, match=f"upgrade for '{domain}' must be between 0"):
        assess_certainty("observational", upgrades={domain: value})


def test_reason_for_unknown_domain_raises():
    with pytest.raises(GradeError, match="not a GRADE domain"):
        assess_certainty("randomised", reasons={"vibes": "promising"})


def test_downgrades_must_be_a_dict():
    with pytest.raises(GradeError, match="must be a dict"):
        assess_certainty("randomised", downgrades=[("risk_of_bias", -1)])


@pytest.mark.parametrize("ratio", [0, -2, float("nan"), "big"])
def test_large_effect_bad_ratio(ratio):
    with pytest.raises(GradeError, match="ratio must be"):
        large_effect_upgrade(ratio)


def test_profile_bad_inputs():
    with pytest.raises(GradeError, match="at least one assessment"):
        cu.evidence_profile([])
    with pytest.raises(GradeError, match="takes results of assess_certainty"):
        cu.evidence_profile(["high"])
    a = assess_certainty("randomised", outcome="same")
    with pytest.raises(GradeError, match="repeated"):
        cu.evidence_profile([a, a])
    with pytest.raises(GradeError, match=r"unknown column.*'risk_of_bais' \(did you mean 'risk_of_bias'\?\)"):
        cu.profile_from_table(pd.DataFrame({"outcome": ["A"], "design": ["randomised"], "risk_of_bais": [-1]}))
    with pytest.raises(GradeError, match="needs a column 'design'"):
        cu.profile_from_table(pd.DataFrame({"outcome": ["A"]}))


# ------------------------------------------------------------------ plain-language statements

def test_plain_language_follows_grade_26_wording():
    # GRADE guidelines 26 (Santesso 2020): high "results in", moderate "likely results in", low "may result in"
    assert cu.plain_language("high", "X", "a large reduction in Y") == "X results in a large reduction in Y."
    assert cu.plain_language("moderate", "X", "a large reduction in Y") == "X likely results in a large reduction in Y."
    assert cu.plain_language("low", "X", "a large reduction in Y.") == "X may result in a large reduction in Y."
    a = assess_certainty("observational", downgrades={"indirectness": -1})
    assert cu.plain_language(a, "kratom", "lower cortisol") == (
        "The evidence is very uncertain about whether kratom results in lower cortisol.")


def test_plain_language_bad_input():
    with pytest.raises(GradeError, match="level must be one of"):
        cu.plain_language("certain", "X", "Y")
    with pytest.raises(GradeError, match="effect must be a non-empty phrase"):
        cu.plain_language("low", "X", " ")


# ------------------------------------------------------------------ evidence map

def test_evidence_map_counts_distinct_studies_per_claim():
    claims, studies = cu.load("kratom_claims"), cu.load("kratom_studies")
    m = evidence.evidence_map(claims, studies)
    assert list(m.columns) == list(evidence.EVIDENCE_TYPES)
    assert m.loc["K04"].to_dict() == {"human trial": 0, "human observational": 0, "animal experiment": 1,
                                      "in vitro": 0, "review": 0, "regulatory statement": 0}
    assert m.loc["K08", "human trial"] == 1  # the pain-tolerance trial (E1)
    assert m.loc["K05", "human trial"] == 0  # no depression trial (E4)
    assert m.loc["K10"].sum() == 0


def test_evidence_map_bad_input():
    claims, studies = cu.load("kratom_claims"), cu.load("kratom_studies")
    with pytest.raises(KeyError, match="lacks column"):
        evidence.evidence_map(claims.drop(columns="study_ids"), studies)
    bad = claims.copy()
    bad.loc[0, "study_ids"] = "nobody2099"
    with pytest.raises(KeyError, match="nobody2099"):
        evidence.evidence_map(bad, studies)
