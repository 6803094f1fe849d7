"""course_utils: helpers for the open course on kratom, depression and stress.

The public API is flat: ``import course_utils as cu`` then ``cu.load("nhefs")``.
Importing this package is cheap; statsmodels, seaborn and scipy are imported
inside the functions that need them.
"""

from course_utils.datasets import cite, describe, list_datasets, load, verify
from course_utils.results import make_result, result_frame
from course_utils.survey import SurveyDesign
from course_utils.nsduh import read_puf
from course_utils.evidence import assess_certainty, evidence_profile, profile_from_table
from course_utils.metaanalysis import log_ratio_from_counts, meta_analysis, meta_regression, funnel_asymmetry_test
from course_utils.trials import (
    analysis_populations,
    ancova,
    attrition,
    balance_table,
    cohens_d,
    hedges_g,
    mixed_model,
    sample_size,
)

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
    "log_ratio_from_counts",
    "meta_analysis",
    "meta_regression",
    "funnel_asymmetry_test",
    "analysis_populations",
    "ancova",
    "attrition",
    "balance_table",
    "cohens_d",
    "hedges_g",
    "mixed_model",
    "sample_size",
]
