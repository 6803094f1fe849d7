"""A SYNTHETIC adult survey shaped like the NSDUH public-use file, with known truth.

Nothing here is real data about real people.  :func:`nsduh_like` draws a
stratified, clustered, weighted sample of adults from a documented causal
model, so that a lesson can compare what a survey analysis *finds* with what is
*true*: the causal effect of kratom on past-year depression is the parameter
``kratom_effect`` (log-odds scale, default 0 = no effect), and the
kratom–depression association in the data comes from shared causes and from
self-medication.

Column names
------------
Upper-case names are those of the NSDUH public-use file (2021+ design
variables, as documented in the NSDUH public-use-file codebooks; see ``course_utils.nsduh``), so that code written for the
synthetic survey runs on the real file read with
:func:`course_utils.nsduh.read_puf`:

=================  ===========================================================
``QUESTID2``       respondent identifier (synthetic: 1..n)
``VESTR_C``        variance stratum (synthetic codes 1..50)
``VEREP``          variance PSU within stratum (1 or 2)
``ANALWT2_C``      analysis weight (persons represented)
``CATAG6``         age group: 18-25, 26-34, 35-49, 50-64, 65+ (NSDUH codes 2..6)
``IRSEX``          sex: male / female (NSDUH codes 1, 2)
``AMDEYR``         past-year major depressive episode, 1 = yes, 0 = no
``KSSLR6MON``      K6 psychological-distress score, past month, 0..24
``SPDPSTMON``      serious psychological distress, past month (K6 >= 13), 1/0
=================  ===========================================================

Lower-case names are course names.  They have no NSDUH counterpart
(``child_adversity``, ``chronic_pain``, ``depression_history``) or their NSDUH
item names were not verified from a codebook (``kratom_py``, ``cannabis_py``,
``opioid_misuse_py``, ``opioid_ud_py``), so the reader takes those names as
arguments.  All indicators are coded 1 = yes, 0 = no (the real file codes many
yes/no recodes 1/2; :func:`course_utils.nsduh.read_puf` recodes them).

Generating model
----------------
Every arrow and coefficient is listed in :data:`NSDUH_LIKE_DAG` (log-odds for
binary variables).  In words:

* age group, sex and childhood adversity are exogenous;
* adversity, age and sex cause chronic pain, an earlier depressive episode
  (``depression_history``), cannabis use and opioid misuse (and, through
  misuse, opioid use disorder);
* kratom use is caused by pain, adversity, cannabis use, opioid misuse and use
  disorder, age, sex, and by earlier depression (self-medication);
* past-year depression (``AMDEYR``) is caused by depression history, adversity,
  pain, opioid misuse/use disorder, cannabis use, age, sex — and by kratom use
  with coefficient ``kratom_effect``;
* the K6 distress score is caused by current depression, pain and adversity;
  ``SPDPSTMON`` is K6 >= 13.

Because every common cause of kratom use and depression is a column, a
logistic regression of ``AMDEYR`` on ``kratom_py`` adjusted for
:data:`ADJUSTMENT_SET` estimates ``kratom_effect`` without bias; the crude
association does not.  ``KSSLR6MON`` and ``SPDPSTMON`` are *descendants* of the
outcome: adjusting for them is a mistake.

Sample design
-------------
50 strata × 2 PSUs; each PSU adds a random intercept (on the log-odds of
kratom use, of depression and of distress, drawn independently), so people in
one PSU resemble each other and design effects exceed 1.  Adults aged 18–25 are
oversampled (as NSDUH oversamples young people); weights undo this, so weighted
and unweighted estimates differ.

Calibration
-----------
See :data:`CALIBRATION_TARGETS` (published figures, cited) and
:data:`ASSUMPTIONS` (every other number, stated as an assumption).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from course_utils._validate import bounded_number
from course_utils._validate import expit as _expit
from course_utils.seeding import rng

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "nsduh_like",
    "nsduh_like_dag",
    "nsduh_like_graph",
    "NSDUH_LIKE_DAG",
    "NSDUH_LIKE_COLUMNS",
    "ADJUSTMENT_SET",
    "CALIBRATION_TARGETS",
    "ASSUMPTIONS",
    "AGE_GROUPS",
]

#: Age groups (labels) and their NSDUH ``CATAG6`` codes (adults only).
AGE_GROUPS: dict[int, str] = {2: "18-25", 3: "26-34", 4: "35-49", 5: "50-64", 6: "65+"}
SEXES: dict[int, str] = {1: "male", 2: "female"}

#: Column order of the synthetic survey.
NSDUH_LIKE_COLUMNS: tuple[str, ...] = (
    "QUESTID2",
    "VESTR_C",
    "VEREP",
    "ANALWT2_C",
    "CATAG6",
    "IRSEX",
    "child_adversity",
    "chronic_pain",
    "depression_history",
    "cannabis_py",
    "opioid_misuse_py",
    "opioid_ud_py",
    "kratom_py",
    "AMDEYR",
    "KSSLR6MON",
    "SPDPSTMON",
)

#: A sufficient adjustment set for the effect of ``kratom_py`` on ``AMDEYR``.
ADJUSTMENT_SET: tuple[str, ...] = (
    "CATAG6",
    "IRSEX",
    "child_adversity",
    "chronic_pain",
    "depression_history",
    "cannabis_py",
    "opioid_misuse_py",
    "opioid_ud_py",
)

N_STRATA = 50
PSUS_PER_STRATUM = 2

# ------------------------------------------------------------------ the model
# Log-odds coefficients.  Age effects are relative to 50-64 and listed per
# group; "female" is relative to male.  Intercepts were solved numerically so
# that the weighted targets in CALIBRATION_TARGETS are met (see
# tools/export_synthetic.py --calibrate); every other value is an assumption.
_AGE_ORDER = ("18-25", "26-34", "35-49", "50-64", "65+")

_P_ADVERSITY = 0.15

_PAIN = {"intercept": -1.75, "age": (-1.0, -0.6, -0.2, 0.0, 0.2), "female": 0.2, "child_adversity": 0.7}
_HISTORY = {"intercept": -2.45, "age": (0.1, 0.1, 0.05, 0.0, -0.3), "female": 0.5, "child_adversity": 1.0}
_CANNABIS = {"intercept": -2.2, "age": (1.4, 1.0, 0.5, 0.0, -1.2), "female": -0.3, "child_adversity": 0.5,
             "depression_history": 0.4}
_MISUSE = {"intercept": -4.1, "age": (0.6, 0.5, 0.3, 0.0, -0.6), "female": -0.2, "child_adversity": 0.6,
           "chronic_pain": 1.2, "cannabis_py": 1.0, "depression_history": 0.4}
_UD_GIVEN_MISUSE = {"intercept": -1.5, "child_adversity": 0.4, "chronic_pain": 0.3}
_KRATOM: dict[str, Any] = {"intercept": -5.964, "age": (0.3, 0.6, 0.5, 0.0, -1.0), "female": -0.3, "child_adversity": 0.3,
           "chronic_pain": 0.8, "depression_history": 0.6, "cannabis_py": 1.4, "opioid_misuse_py": 0.5,
           "opioid_ud_py": 1.0, "psu_sd": 0.4}
_DEPRESSION: dict[str, Any] = {"intercept": -3.643, "age": (0.7, 0.45, 0.2, 0.0, -0.5), "female": 0.5, "child_adversity": 0.5,
               "chronic_pain": 0.5, "depression_history": 2.0, "cannabis_py": 0.3, "opioid_misuse_py": 0.4,
               "opioid_ud_py": 0.5, "psu_sd": 0.15}
_K6: dict[str, Any] = {"intercept": -2.32, "AMDEYR": 1.5, "chronic_pain": 0.35, "child_adversity": 0.3, "female": 0.15,
       "person_sd": 0.9, "psu_sd": 0.1}

# Age-group shares in the (synthetic) population and in the sample.
_POP_AGE_SHARE = (0.14, 0.16, 0.25, 0.24, 0.21)
_SAMPLE_AGE_SHARE = (0.30, 0.18, 0.22, 0.17, 0.13)
_POPULATION = 250_000_000

#: The causal diagram as data: (cause, effect, coefficient on the log-odds scale
#: of the effect, or None for a structural/deterministic link).  The edge
#: ``kratom_py -> AMDEYR`` carries the parameter ``kratom_effect`` (shown with
#: its default, 0.0); :func:`nsduh_like_dag` returns the list for any value.
NSDUH_LIKE_DAG: tuple[tuple[str, str, float | None], ...]


def _edges(kratom_effect: float) -> tuple[tuple[str, str, float | None], ...]:
    edges: list[tuple[str, str, float | None]] = []

    def add(effect: str, spec: Mapping[str, Any]) -> None:
        for cause, coef in spec.items():
            if cause in ("intercept", "psu_sd", "person_sd"):
                continue
            if cause == "age":
                edges.append(("CATAG6", effect, None))
            elif cause == "female":
                edges.append(("IRSEX", effect, float(coef)))
            else:
                edges.append((cause, effect, float(coef)))

    add("chronic_pain", _PAIN)
    add("depression_history", _HISTORY)
    add("cannabis_py", _CANNABIS)
    add("opioid_misuse_py", _MISUSE)
    edges.append(("opioid_misuse_py", "opioid_ud_py", None))
    add("opioid_ud_py", _UD_GIVEN_MISUSE)
    add("kratom_py", _KRATOM)
    add("AMDEYR", _DEPRESSION)
    edges.append(("kratom_py", "AMDEYR", float(kratom_effect)))
    add("KSSLR6MON", _K6)
    edges.append(("KSSLR6MON", "SPDPSTMON", None))
    return tuple(edges)


NSDUH_LIKE_DAG = _edges(0.0)

#: Published figures the defaults were calibrated to (weighted, default seed).
CALIBRATION_TARGETS: dict[str, dict[str, Any]] = {
    "kratom_py": {
        "target": 0.007,
        "what": "past-year kratom use, weighted prevalence",
        "source": "Palamar JJ. Am J Prev Med 2021;61(2):240-245. doi:10.1016/j.amepre.2021.02.004 "
        "(NSDUH 2019, age 12+: 0.7%, 95% CI 0.6-0.8)",
    },
    "AMDEYR": {
        "target": 0.08,
        "what": "past-year major depressive episode among adults, weighted prevalence",
        "source": "NIMH / SAMHSA summaries of NSDUH: adults 7.8% (2019), 8.3% (2021), 8.8% (2022) "
        "(course facts N1-N2; medium/low confidence)",
    },
    "crude_or_kratom_AMDEYR": {
        "target": 2.0,
        "what": "crude (weighted) odds ratio of past-year depression, kratom users vs non-users, "
        "with kratom_effect = 0",
        "source": "Adzrago D et al. Drug Alcohol Depend 2022;239:109605. doi:10.1016/j.drugalcdep.2022.109605 "
        "(NSDUH 2020: MDE associated with kratom use, RRR 2.04, 95% CI 1.24-3.34) - an adjusted "
        "relative risk ratio used only as an order of magnitude",
    },
    "SPDPSTMON": {
        "target": 0.034,
        "what": "serious psychological distress (K6 >= 13), weighted prevalence",
        "source": "Weissman J et al. NCHS Data Brief No. 203, 2015 (NHIS 2009-2013 adults: 3.4%) - a "
        "different survey, used as an anchor; K6 cut-off 13 from Kessler RC et al. Arch Gen "
        "Psychiatry 2003;60(2):184-189",
    },
}

#: Every other number in the model, stated as an assumption (not a published figure).
ASSUMPTIONS: dict[str, str] = {
    "population": f"weights sum to {_POPULATION:,} adults (a round number, not an official count)",
    "age shares": "population age shares 18-25/26-34/35-49/50-64/65+ = "
    + "/".join(f"{s:.2f}" for s in _POP_AGE_SHARE)
    + "; sample shares "
    + "/".join(f"{s:.2f}" for s in _SAMPLE_AGE_SHARE)
    + " (young adults oversampled)",
    "sex": "half of the population is female; sex is unrelated to sampling",
    "child_adversity": f"{_P_ADVERSITY:.0%} of adults had high childhood adversity",
    "coefficients": "all log-odds coefficients in NSDUH_LIKE_DAG other than kratom -> AMDEYR are assumptions "
    "chosen to give plausible orders of magnitude (for kratom use, cannabis and opioid use disorder "
    "coefficients of the same order as the adjusted odds ratios reported by Palamar 2021); they are "
    "not estimates",
    "intercepts": "intercepts were solved so that the calibration targets are met; the other marginal "
    "prevalences (chronic pain, depression history, cannabis use, opioid misuse and use disorder) "
    "follow from the assumptions and are not calibrated to published figures",
    "clustering": "PSU random intercepts, normal with SD 0.4 (kratom), 0.15 (depression) and 0.1 "
    "(distress) on the log-odds scale; stratum population sizes vary (log-normal, SD 0.25); "
    "non-response adjustments multiply weights by a log-normal factor (SD 0.3)",
    "K6": "K6 score = Binomial(24, p) with logit p = linear predictor + normal person effect (SD 0.9)",
}


def nsduh_like_dag(kratom_effect: float = 0.0) -> list[tuple[str, str, float | None]]:
    """The causal diagram of :func:`nsduh_like` as a list of (cause, effect, coefficient).

    Coefficients are on the log-odds scale of the effect (``None`` for the
    age-group effects, which differ by group, and for structural links).

    Parameters
    ----------
    kratom_effect : float
        The true effect of kratom use on depression, log-odds scale (0 = none).

    Returns
    -------
    list of (str, str, float or None)
        One edge per arrow; the coefficient is None where the arrow has no single number.

    Examples
    --------
    >>> edges = nsduh_like_dag(kratom_effect=0.4)
    >>> [e for e in edges if e[:2] == ("kratom_py", "AMDEYR")]
    [('kratom_py', 'AMDEYR', 0.4)]
    """
    return list(_edges(_check_effect(kratom_effect)))


def nsduh_like_graph(kratom_effect: float = 0.0) -> "nx.DiGraph":
    """The causal diagram as a :class:`networkx.DiGraph` (edge attribute ``coef``), ready to draw.

    Parameters
    ----------
    kratom_effect : float
        The true effect of kratom use on depression, log-odds scale (0 = none).

    Returns
    -------
    networkx.DiGraph
        The diagram; each edge's ``coef`` attribute holds its coefficient.

    Examples
    --------
    >>> g = nsduh_like_graph()
    >>> g.has_edge("depression_history", "kratom_py")
    True
    """
    import networkx as nx

    graph = nx.DiGraph()
    for cause, effect, coef in nsduh_like_dag(kratom_effect):
        graph.add_edge(cause, effect, coef=coef)
    return graph


def _check_effect(kratom_effect: float) -> float:
    return bounded_number(
        kratom_effect, "kratom_effect", -5, 5,
        meaning="a number on the log-odds scale (e.g. math.log(1.5)); -5 to 5 is an odds ratio of about 0.007 to 148",
        hint="pass math.log(OR) for an odds ratio OR",
    )


def _linear(spec: Mapping[str, Any], age_idx: np.ndarray, cols: Mapping[str, np.ndarray]) -> np.ndarray:
    eta = np.full(age_idx.shape, float(spec["intercept"]))
    for name, coef in spec.items():
        if name in ("intercept", "psu_sd", "person_sd"):
            continue
        if name == "age":
            eta += np.asarray(coef, dtype=float)[age_idx]
        else:
            eta += float(coef) * cols[name]
    return eta


def nsduh_like(
    n: int = 60_000,
    seed: int | None = None,
    kratom_effect: float = 0.0,
) -> pd.DataFrame:
    """Draw a SYNTHETIC NSDUH-like adult survey with a known causal effect of kratom on depression.

    Parameters
    ----------
    n : int, default 60_000
        Number of respondents (at least 1,000 so that every PSU has people).
    seed : int, optional
        Seed for :func:`course_utils.seeding.rng`; the course seed when omitted.
        The same ``(n, seed, kratom_effect)`` always gives the same data.
    kratom_effect : float, default 0.0
        The true causal effect of past-year kratom use on past-year major
        depressive episode, as a log odds ratio conditional on the other causes
        (0 = no effect; ``math.log(1.5)`` = odds 1.5 times higher).

    Returns
    -------
    pandas.DataFrame
        One row per respondent, columns :data:`NSDUH_LIKE_COLUMNS` (see the
        module docstring).  ``CATAG6`` and ``IRSEX`` are labelled categoricals;
        indicators are 0/1 integers.  ``attrs`` records that the data are
        synthetic, the call, and the true effect.

    Raises
    ------
    ValueError
        ``n`` too small or not whole, ``kratom_effect`` not a finite log-odds ratio.

    Examples
    --------
    >>> df = nsduh_like(n=5_000, seed=1)
    >>> df.attrs["synthetic"], len(df)
    (True, 5000)
    >>> sorted(df["kratom_py"].unique().tolist())
    [0, 1]
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n is the number of respondents, a whole number; got {n!r}")
    if n < 1_000:
        raise ValueError(
            f"n={n} is too small: the design has {N_STRATA * PSUS_PER_STRATUM} PSUs, so use n >= 1000 "
            "(the default is 60,000, about the size of one NSDUH year)"
        )
    effect = _check_effect(kratom_effect)
    n = int(n)

    # ---- design: strata, PSUs, age groups with oversampling of 18-25
    g_design = rng(seed, "nsduh_like/design")
    n_psu = N_STRATA * PSUS_PER_STRATUM
    psu = np.sort(np.arange(n) % n_psu)  # balanced PSU sizes
    stratum = psu // PSUS_PER_STRATUM + 1
    verep = psu % PSUS_PER_STRATUM + 1
    age_idx = g_design.choice(5, size=n, p=np.asarray(_SAMPLE_AGE_SHARE))
    female = (g_design.random(n) < 0.5).astype(np.int64)
    stratum_size = np.exp(g_design.normal(0.0, 0.25, N_STRATA))[stratum - 1]
    nonresponse = np.exp(g_design.normal(0.0, 0.3, n))
    base = np.asarray(_POP_AGE_SHARE)[age_idx] / np.asarray(_SAMPLE_AGE_SHARE)[age_idx]
    weight = base * stratum_size * nonresponse
    weight = weight * (_POPULATION / weight.sum())

    # ---- PSU random intercepts (independent for each outcome)
    g_psu = rng(seed, "nsduh_like/psu")
    psu_kratom = g_psu.normal(0.0, float(_KRATOM["psu_sd"]), n_psu)[psu]
    psu_dep = g_psu.normal(0.0, float(_DEPRESSION["psu_sd"]), n_psu)[psu]
    psu_k6 = g_psu.normal(0.0, _K6["psu_sd"], n_psu)[psu]

    # ---- people: follow the DAG in causal order
    g = rng(seed, "nsduh_like/people")
    u = g.random((8, n))  # one uniform per binary node, drawn up front so streams stay aligned
    cols: dict[str, np.ndarray] = {"female": female.astype(float)}
    cols["child_adversity"] = (u[0] < _P_ADVERSITY).astype(float)
    cols["chronic_pain"] = (u[1] < _expit(_linear(_PAIN, age_idx, cols))).astype(float)
    cols["depression_history"] = (u[2] < _expit(_linear(_HISTORY, age_idx, cols))).astype(float)
    cols["cannabis_py"] = (u[3] < _expit(_linear(_CANNABIS, age_idx, cols))).astype(float)
    cols["opioid_misuse_py"] = (u[4] < _expit(_linear(_MISUSE, age_idx, cols))).astype(float)
    p_ud = _expit(_linear(_UD_GIVEN_MISUSE, age_idx, cols)) * cols["opioid_misuse_py"]
    cols["opioid_ud_py"] = (u[5] < p_ud).astype(float)
    eta_k = _linear(_KRATOM, age_idx, cols) + psu_kratom
    cols["kratom_py"] = (u[6] < _expit(eta_k)).astype(float)
    eta_d = _linear(_DEPRESSION, age_idx, cols) + psu_dep + effect * cols["kratom_py"]
    cols["AMDEYR"] = (u[7] < _expit(eta_d)).astype(float)
    person = g.normal(0.0, _K6["person_sd"], n)
    p_k6 = _expit(_linear(_K6, age_idx, cols) + person + psu_k6)
    k6 = g.binomial(24, p_k6)

    frame = pd.DataFrame(
        {
            "QUESTID2": np.arange(1, n + 1, dtype=np.int64),
            "VESTR_C": stratum.astype(np.int64),
            "VEREP": verep.astype(np.int64),
            "ANALWT2_C": np.round(weight, 2),
            "CATAG6": pd.Categorical.from_codes(age_idx, categories=list(_AGE_ORDER), ordered=True),
            "IRSEX": pd.Categorical.from_codes(female, categories=["male", "female"]),
        }
    )
    for name in NSDUH_LIKE_COLUMNS[6:14]:
        frame[name] = cols[name].astype(np.int64)
    frame["KSSLR6MON"] = k6.astype(np.int64)
    frame["SPDPSTMON"] = (k6 >= 13).astype(np.int64)
    frame = frame[list(NSDUH_LIKE_COLUMNS)]
    frame.attrs.update(
        {
            "name": "synthetic_nsduh",
            "synthetic": True,
            "title": "SYNTHETIC NSDUH-like adult survey (simulated; not real people)",
            "call": f"nsduh_like(n={n}, seed={seed!r}, kratom_effect={effect!r})",
            "kratom_effect": effect,
            "design": {"weight": "ANALWT2_C", "strata": "VESTR_C", "psu": "VEREP"},
        }
    )
    return frame
