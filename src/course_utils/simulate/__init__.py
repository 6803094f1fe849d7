"""SYNTHETIC data for teaching: every dataset made here is simulated, not real people.

Each generator is deterministic per seed (draws come from
:func:`course_utils.seeding.rng`) and documents its generating model — the
causal diagram and the true effects — as data that a lesson can print or draw.
"""

from course_utils.simulate.measurement import attenuation_curve, expected_observed_correlation, noisy_measures
from course_utils.simulate.nsduh_like import NSDUH_LIKE_DAG, nsduh_like, nsduh_like_dag, nsduh_like_graph
from course_utils.simulate.selection import convenience_sample, selected_sample, two_directions
from course_utils.simulate.trial import observational, trial

__all__: list[str] = [
    "nsduh_like",
    "nsduh_like_dag",
    "nsduh_like_graph",
    "NSDUH_LIKE_DAG",
    "noisy_measures",
    "attenuation_curve",
    "expected_observed_correlation",
    "convenience_sample",
    "selected_sample",
    "two_directions",
    "trial",
    "observational",
]
