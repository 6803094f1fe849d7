"""A SYNTHETIC randomised placebo-controlled trial of a depression treatment, and its observational twin.

Nothing here is real data about real people, and the "treatment" is not any
real product: it is a hypothetical pill in a simulation whose true effect you
set.  The point is to see, with the truth known, what randomisation fixes
(confounding) and what it does not (attrition that depends on how people are
doing).

Generating model
----------------
The same people model serves both functions (all numbers are teaching
assumptions, listed in :data:`TRIAL_ASSUMPTIONS`; scores are on a BDI-II-like
0-63 scale, higher = more symptoms, but they are not BDI-II data):

* ``chronicity`` *U* ~ Normal(0, 1): how entrenched a person's depression is.
  A real trial never measures it.
* ``baseline`` = 27 + 5 U + Normal(0, 3)
* ``followup`` = 21 + 0.5 (baseline - 27) + 3 U + ``effect`` × received + Normal(0, 5).
  Without treatment the average score falls from 27 to 21 (natural course and
  regression to the mean -- why a trial needs a placebo arm).

In :func:`trial` the arm is assigned by a fair coin (exactly ``n_per_arm`` per
arm, shuffled), so it is independent of U and of the baseline.  "received" is 1
for a participant in the treatment arm who takes the treatment.  Optional
complications:

* ``nonadherence``: a share of the treatment arm stops taking it (received = 0);
  people with more chronic depression are more likely to stop
  (log-odds + 1 per SD of U), so a per-protocol analysis compares unlike groups.
* ``dropout`` with ``mechanism="random"``: each participant's follow-up score
  goes missing with the same probability (missing completely at random).
* ``dropout`` with ``mechanism="informative"``: in the treatment arm, people
  whose score is not improving leave (log-odds + 1.5 per SD of their own change
  in score); in the placebo arm dropout is at random.  Each arm loses about the
  share ``dropout``.  A complete-case analysis then sees only the treatment-arm
  people who did well, and flatters the treatment.

In :func:`observational` nobody is randomised: people *choose* the treatment,
and those with more chronic depression seek it more (log-odds ``confounding``
per SD of U, the self-medication pattern).  Because U also makes the follow-up
score worse, a naive comparison makes the treatment look worse than it is --
and adjusting for the baseline score removes only part of that, since U is
unmeasured.

The causal diagram is :data:`TRIAL_DAG` (randomised) and
:data:`OBSERVATIONAL_DAG` (self-selected): mappings with ``"edges"`` (cause, effect),
``"positions"`` and ``"unobserved"``, ready for :func:`course_utils.dags.draw_dag`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from course_utils._validate import bounded_number
from course_utils._validate import expit as _expit
from course_utils.seeding import rng

__all__ = [
    "trial",
    "observational",
    "TRIAL_DAG",
    "OBSERVATIONAL_DAG",
    "TRIAL_ASSUMPTIONS",
]

_BASE_MEAN, _BASE_U, _BASE_SD = 27.0, 5.0, 3.0
_FU_MEAN, _FU_SLOPE, _FU_U, _FU_SD = 21.0, 0.5, 3.0, 5.0
_NONADHERE_U = 1.0
_DROPOUT_CHANGE = 1.5

#: Causal diagram of the randomised trial, with positions for ``dags.draw_dag``.
#: "randomised arm" has no parents: that is what randomisation buys.
TRIAL_DAG: dict[str, Any] = {
    "edges": [
        ("chronicity", "baseline score"),
        ("chronicity", "follow-up score"),
        ("baseline score", "follow-up score"),
        ("randomised arm", "treatment taken"),
        ("chronicity", "treatment taken"),
        ("treatment taken", "follow-up score"),
        ("follow-up score", "dropped out"),
        ("randomised arm", "dropped out"),
    ],
    "positions": {
        "randomised arm": (0.0, 2.0),
        "treatment taken": (2.0, 1.0),
        "chronicity": (0.0, -2.0),
        "baseline score": (2.0, -2.0),
        "follow-up score": (4.0, 0.0),
        "dropped out": (6.0, 2.0),
    },
    "unobserved": ["chronicity"],
}

#: Causal diagram of the observational comparison: people choose the treatment.
OBSERVATIONAL_DAG: dict[str, Any] = {
    "edges": [
        ("chronicity", "baseline score"),
        ("chronicity", "follow-up score"),
        ("baseline score", "follow-up score"),
        ("chronicity", "chose treatment"),
        ("chose treatment", "follow-up score"),
    ],
    "positions": {
        "chose treatment": (2.0, 1.0),
        "chronicity": (0.0, -2.0),
        "baseline score": (2.0, -2.0),
        "follow-up score": (4.0, 0.0),
    },
    "unobserved": ["chronicity"],
}

#: Every number in the model, stated as an assumption (none is a published figure).
TRIAL_ASSUMPTIONS: dict[str, str] = {
    "scale": "scores are continuous, on a BDI-II-like scale (higher = more symptoms); not clipped to 0-63",
    "baseline": f"baseline = {_BASE_MEAN:g} + {_BASE_U:g} U + Normal(0, {_BASE_SD:g}), U ~ Normal(0, 1) unmeasured",
    "follow-up": f"follow-up = {_FU_MEAN:g} + {_FU_SLOPE:g} (baseline - {_BASE_MEAN:g}) + {_FU_U:g} U "
    f"+ effect x received + Normal(0, {_FU_SD:g})",
    "nonadherence": f"P(stop) = expit(a + {_NONADHERE_U:g} U) in the treatment arm, a solved so that the share "
    "stopping equals nonadherence",
    "informative dropout": f"treatment arm: P(drop) = expit(a + {_DROPOUT_CHANGE:g} z), z = standardised change in "
    "score (follow-up - baseline), a solved so that the arm loses the share dropout; placebo arm: at random",
    "observational choice": "P(choose treatment) = expit(a + confounding x U), a solved so that half choose it",
}


def _solve_intercept(slope_term: np.ndarray, share: float) -> float:
    """Intercept a with mean(expit(a + slope_term)) == share (bisection, deterministic)."""
    lo, hi = -30.0, 30.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if float(np.mean(_expit(mid + slope_term))) < share:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _check_n(n: Any, name: str, minimum: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name} must be a whole number, got {n!r}")
    if n < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {n}")
    return int(n)


def _check_share(value: Any, name: str) -> float:
    return bounded_number(value, name, 0, 1, include_high=False, meaning="a proportion (e.g. 0.2 for 20%)")


def _check_effect(effect: Any) -> float:
    return bounded_number(effect, "effect", -30, 30, meaning="the true difference in follow-up score, in points")


def _people(n: int, g: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u = g.normal(0.0, 1.0, n)
    baseline = _BASE_MEAN + _BASE_U * u + g.normal(0.0, _BASE_SD, n)
    noise = g.normal(0.0, _FU_SD, n)
    return u, baseline, noise


def _followup(u: np.ndarray, baseline: np.ndarray, noise: np.ndarray, received: np.ndarray, effect: float) -> np.ndarray:
    return _FU_MEAN + _FU_SLOPE * (baseline - _BASE_MEAN) + _FU_U * u + effect * received + noise


def trial(
    n_per_arm: int,
    effect: float,
    dropout: float = 0.0,
    *,
    mechanism: str = "random",
    nonadherence: float = 0.0,
    seed: int | None = None,
) -> pd.DataFrame:
    """Simulate a SYNTHETIC randomised placebo-controlled trial with a known treatment effect.

    Parameters
    ----------
    n_per_arm : int
        Participants randomised to each arm (at least 2).
    effect : float
        True effect of *taking* the treatment on the follow-up score, in score
        points (negative = fewer symptoms).  With full adherence this is also
        the intention-to-treat effect.
    dropout : float, default 0
        Expected share of each arm whose follow-up score is missing.
    mechanism : {"random", "informative"}
        How dropout happens (see the module docstring).
    nonadherence : float, default 0
        Share of the treatment arm that stops taking the treatment.
    seed : int, optional
        Seed for :func:`course_utils.seeding.rng`.

    Returns
    -------
    pandas.DataFrame
        One row per participant: ``id``, ``arm`` ("placebo"/"treatment"),
        ``baseline``, ``followup`` (NaN if dropped out), ``dropped_out``,
        ``adherent`` (took the allocated pill; always true in the placebo arm),
        and ``followup_full`` -- the follow-up score *including* those who
        dropped out, which only a simulation can know.  ``attrs`` holds the
        true effect, the call, the DAG and ``synthetic=True``.

    Examples
    --------
    >>> df = trial(100, effect=-3.0, seed=1)
    >>> df["arm"].value_counts().to_dict()
    {'placebo': 100, 'treatment': 100}
    >>> df.attrs["synthetic"], df.attrs["true_effect"]
    (True, -3.0)
    """
    n_arm = _check_n(n_per_arm, "n_per_arm", 2)
    eff = _check_effect(effect)
    drop = _check_share(dropout, "dropout")
    nonadh = _check_share(nonadherence, "nonadherence")
    if mechanism not in ("random", "informative"):
        raise ValueError(f"mechanism must be 'random' or 'informative', got {mechanism!r}")
    n = 2 * n_arm
    u, baseline, noise = _people(n, rng(seed, "trial/people"))
    g = rng(seed, "trial/assignment")
    treated = np.zeros(n, dtype=bool)
    treated[g.permutation(n)[:n_arm]] = True

    g_adh = rng(seed, "trial/adherence")
    adherent = np.ones(n, dtype=bool)
    if nonadh > 0:
        a = _solve_intercept(_NONADHERE_U * u[treated], nonadh)
        stop = g_adh.random(n) < _expit(a + _NONADHERE_U * u)
        adherent = ~(stop & treated)
    received = (treated & adherent).astype(float)
    full = _followup(u, baseline, noise, received, eff)

    g_drop = rng(seed, "trial/dropout")
    draw = g_drop.random(n)
    dropped = np.zeros(n, dtype=bool)
    if drop > 0:
        if mechanism == "random":
            dropped = draw < drop
        else:
            change = full - baseline
            z = (change - change.mean()) / change.std()
            a = _solve_intercept(_DROPOUT_CHANGE * z[treated], drop)
            p = np.where(treated, _expit(a + _DROPOUT_CHANGE * z), drop)
            dropped = draw < p
    observed = np.where(dropped, np.nan, full)

    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1, dtype=np.int64),
            "arm": np.where(treated, "treatment", "placebo"),
            "baseline": np.round(baseline, 1),
            "followup": np.round(observed, 1),
            "dropped_out": dropped,
            "adherent": adherent,
            "followup_full": np.round(full, 1),
        }
    )
    frame.attrs.update(
        {
            "name": "synthetic_trial",
            "synthetic": True,
            "title": "SYNTHETIC randomised placebo-controlled trial (simulated; not real people or a real product)",
            "call": f"trial(n_per_arm={n_arm}, effect={eff!r}, dropout={drop!r}, mechanism={mechanism!r}, "
            f"nonadherence={nonadh!r}, seed={seed!r})",
            "true_effect": eff,
            "dag": TRIAL_DAG,
            "assumptions": dict(TRIAL_ASSUMPTIONS),
        }
    )
    return frame


def observational(
    n: int,
    effect: float,
    *,
    confounding: float = 1.5,
    seed: int | None = None,
) -> pd.DataFrame:
    """Simulate a SYNTHETIC observational comparison: people choose the treatment themselves.

    Same people and outcome model as :func:`trial`, but the choice to take
    the treatment depends on unmeasured chronicity U (log-odds ``confounding``
    per SD of U; 0 = no confounding, which makes the choice as good as random).

    Returns
    -------
    pandas.DataFrame
        ``id``, ``group`` ("treatment"/"no treatment"), ``baseline``,
        ``followup`` (no dropout here), and ``attrs`` with the true effect,
        the call, the DAG and ``synthetic=True``.

    Parameters
    ----------
    n : int
        People in the comparison.
    effect : float
        The true effect of the treatment on the follow-up score, in points.
    confounding : float
        How strongly the unmeasured trait drives both the choice and the outcome (0 = none).
    seed : int, optional
        Seed for :func:`course_utils.seeding.rng`.

    Examples
    --------
    >>> df = observational(400, effect=-3.0, seed=1)
    >>> sorted(df["group"].unique().tolist())
    ['no treatment', 'treatment']
    """
    n_all = _check_n(n, "n", 4)
    eff = _check_effect(effect)
    try:
        conf = float(confounding)
    except (TypeError, ValueError):
        raise TypeError(f"confounding is a log-odds per SD of chronicity, got {confounding!r}") from None
    if not math.isfinite(conf) or abs(conf) > 10:
        raise ValueError(f"confounding must be a finite log-odds between -10 and 10, got {confounding!r}")
    u, baseline, noise = _people(n_all, rng(seed, "observational/people"))
    a = _solve_intercept(conf * u, 0.5)
    chose = rng(seed, "observational/choice").random(n_all) < _expit(a + conf * u)
    if chose.all() or not chose.any():
        raise ValueError("everyone made the same choice; use a larger n or weaker confounding")
    full = _followup(u, baseline, noise, chose.astype(float), eff)
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n_all + 1, dtype=np.int64),
            "group": np.where(chose, "treatment", "no treatment"),
            "baseline": np.round(baseline, 1),
            "followup": np.round(full, 1),
        }
    )
    frame.attrs.update(
        {
            "name": "synthetic_observational",
            "synthetic": True,
            "title": "SYNTHETIC observational comparison (simulated; people chose the treatment)",
            "call": f"observational(n={n_all}, effect={eff!r}, confounding={conf!r}, seed={seed!r})",
            "true_effect": eff,
            "dag": OBSERVATIONAL_DAG,
            "assumptions": dict(TRIAL_ASSUMPTIONS),
        }
    )
    return frame
