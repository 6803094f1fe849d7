"""course_utils: helpers for the open course on kratom, depression and stress.

The public API is flat: ``import course_utils as cu`` then ``cu.load("nhefs")``.
Importing this package is cheap; statsmodels, seaborn and scipy are imported
inside the functions that need them.
"""

from course_utils.datasets import cite, describe, list_datasets, load, verify
from course_utils.results import make_result, result_frame
from course_utils.survey import SurveyDesign
from course_utils.nsduh import read_puf
from course_utils.evidence import assess_certainty, evidence_profile, plain_language, profile_from_table
from course_utils.metaanalysis import (
    funnel_asymmetry_test,
    log_ratio_from_ci,
    log_ratio_from_counts,
    meta_analysis,
    meta_regression,
)
from course_utils.trials import (
    analysis_populations,
    ancova,
    attrition,
    cohens_d,
    hedges_g,
    mixed_model,
    sample_size,
)

from course_utils.causal import (
    association_measures,
    e_value,
    ip_weights,
    ipw_effect,
    mantel_haenszel,
    positivity_check,
    propensity_scores,
    regression_effect,
    standardized_effect,
    stratum_odds_ratios,
    two_by_two,
    weight_diagnostics,
)
from course_utils.dags import backdoor_adjustment_sets, dag_paths, dag_roles, draw_dag
from course_utils.check import hint  # `from course_utils import check, hint` (check is the callable module)

__version__ = "0.1.0"

__all__ = [
    "cite",
    "describe",
    "list_datasets",
    "load",
    "verify",
    "make_result",
    "result_frame",
    "SurveyDesign",
    "read_puf",
    "assess_certainty",
    "evidence_profile",
    "profile_from_table",
    "plain_language",
    "log_ratio_from_counts",
    "log_ratio_from_ci",
    "meta_analysis",
    "meta_regression",
    "funnel_asymmetry_test",
    "analysis_populations",
    "ancova",
    "attrition",
    "cohens_d",
    "hedges_g",
    "mixed_model",
    "sample_size",
    "association_measures",
    "e_value",
    "ip_weights",
    "ipw_effect",
    "mantel_haenszel",
    "positivity_check",
    "propensity_scores",
    "regression_effect",
    "standardized_effect",
    "stratum_odds_ratios",
    "two_by_two",
    "weight_diagnostics",
    "backdoor_adjustment_sets",
    "dag_paths",
    "dag_roles",
    "draw_dag",
    "check",
    "hint",
]
