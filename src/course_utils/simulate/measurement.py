"""SYNTHETIC demonstration of how measurement error weakens an association.

A questionnaire score is the trait it measures plus error.  If ``x`` and ``y``
are measured with *reliabilities* ``rel_x`` and ``rel_y`` (the share of a
score's variance that is true-score variance), the expected correlation of the
observed scores is the true correlation times ``sqrt(rel_x * rel_y)``
(Spearman's attenuation; Spearman C. The proof and measurement of association
between two things. Am J Psychol 1904;15(1):72-101, part II, "attenuation";
JSTOR 1412159).  Error in ``x`` alone also flattens a regression slope of ``y``
on ``x`` by the factor ``rel_x`` ("regression dilution").

The functions here draw seeded, SYNTHETIC data (no real people) so a lesson can
show this happening rather than assert it.

Generating model (standardised): ``(x_true, y_true)`` bivariate normal with
correlation ``correlation``; ``x_obs = x_true + e_x`` with
``Var(e_x) = (1 - rel_x) / rel_x`` so that ``Var(x_true) / Var(x_obs) = rel_x``;
likewise for ``y``.

Examples
--------
>>> from course_utils.simulate.measurement import expected_observed_correlation
>>> round(expected_observed_correlation(0.5, 0.8, 0.8), 3)
0.4
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from course_utils._validate import bounded_number
from course_utils.seeding import rng

__all__ = ["noisy_measures", "attenuation_curve", "expected_observed_correlation"]


def _check_reliability(value: float, name: str) -> float:
    return bounded_number(value, name, 0, 1, include_low=False,
                          meaning="a number between 0 and 1: the share of a score's variance that is true variance")


def _check_correlation(value: float) -> float:
    return bounded_number(value, "correlation", -1, 1, include_low=False, include_high=False,
                          meaning="a number strictly between -1 and 1")


def expected_observed_correlation(correlation: float, reliability_x: float, reliability_y: float = 1.0) -> float:
    """The correlation expected between error-laden scores: ``correlation * sqrt(rel_x * rel_y)``.

    Parameters
    ----------
    correlation : float
        The true correlation, in (-1, 1).
    reliability_x, reliability_y : float
        The two scores' reliabilities, in (0, 1].

    Returns
    -------
    float
        The attenuated correlation.

    Examples
    --------
    >>> expected_observed_correlation(0.6, 1.0, 1.0)
    0.6
    >>> round(expected_observed_correlation(0.6, 0.5), 4)
    0.4243
    """
    r = _check_correlation(correlation)
    return r * math.sqrt(_check_reliability(reliability_x, "reliability_x") *
                         _check_reliability(reliability_y, "reliability_y"))


def noisy_measures(
    n: int = 500,
    correlation: float = 0.5,
    reliability_x: float = 1.0,
    reliability_y: float = 1.0,
    seed: int | None = None,
) -> pd.DataFrame:
    """Draw SYNTHETIC true scores and error-laden observed scores.

    Parameters
    ----------
    n : int, default 500
        Number of simulated people.
    correlation : float, default 0.5
        Correlation of the true scores.
    reliability_x, reliability_y : float, default 1.0
        Reliability of each observed score (1 = no measurement error).
    seed : int, optional
        Seed for :func:`course_utils.seeding.rng` (course seed when omitted).

    Returns
    -------
    pandas.DataFrame
        Columns ``x_true``, ``y_true``, ``x_obs``, ``y_obs``; ``attrs`` marks
        the data as synthetic and records the arguments.

    Examples
    --------
    >>> df = noisy_measures(n=1000, reliability_x=0.5, seed=1)
    >>> list(df.columns), df.attrs["synthetic"]
    (['x_true', 'y_true', 'x_obs', 'y_obs'], True)
    >>> bool((df["y_obs"] == df["y_true"]).all())
    True
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 3:
        raise ValueError(f"n is the number of simulated people, a whole number of at least 3; got {n!r}")
    r = _check_correlation(correlation)
    rel_x = _check_reliability(reliability_x, "reliability_x")
    rel_y = _check_reliability(reliability_y, "reliability_y")
    g = rng(seed, "measurement/noisy_measures")
    z = g.standard_normal((2, int(n)))
    x_true = z[0]
    y_true = r * z[0] + math.sqrt(1 - r * r) * z[1]
    e = g.standard_normal((2, int(n)))
    x_obs = x_true + math.sqrt((1 - rel_x) / rel_x) * e[0]
    y_obs = y_true + math.sqrt((1 - rel_y) / rel_y) * e[1]
    frame = pd.DataFrame({"x_true": x_true, "y_true": y_true, "x_obs": x_obs, "y_obs": y_obs})
    frame.attrs.update({
        "synthetic": True,
        "call": f"noisy_measures(n={n}, correlation={r}, reliability_x={rel_x}, reliability_y={rel_y}, seed={seed!r})",
    })
    return frame


def attenuation_curve(
    reliabilities: Sequence[float] = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3),
    correlation: float = 0.5,
    n: int = 500,
    replications: int = 200,
    seed: int | None = None,
) -> pd.DataFrame:
    """Simulate, for each reliability (the same for both scores), the observed correlation.

    Each row summarises ``replications`` SYNTHETIC samples of size ``n``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``reliability`` with ``true_correlation``, ``expected``
        (Spearman's formula), ``mean_observed``, ``q05`` and ``q95`` (5th and
        95th percentiles of the observed correlation across replications).

    Parameters
    ----------
    reliabilities : sequence of float
        Reliabilities in (0, 1] to simulate, the same for both scores.
    correlation : float
        The true correlation between the two traits, in (-1, 1).
    n : int
        People per replication.
    replications : int
        Replications per reliability.
    seed : int, optional
        Seed for :func:`course_utils.seeding.rng` (default: the course seed).

    Examples
    --------
    >>> curve = attenuation_curve((1.0, 0.5), n=200, replications=50, seed=2)
    >>> float(curve.loc[0.5, "expected"])
    0.25
    """
    r = _check_correlation(correlation)
    if not isinstance(replications, (int, np.integer)) or replications < 1:
        raise ValueError(f"replications must be a whole number of at least 1, got {replications!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 3:
        raise ValueError(f"n is the sample size of each replication, a whole number of at least 3; got {n!r}")
    rows = []
    for rel in reliabilities:
        rel = _check_reliability(rel, "each reliability")
        g = rng(seed, f"measurement/attenuation/{rel!r}")
        z = g.standard_normal((replications, 4, int(n)))
        x = z[:, 0] + math.sqrt((1 - rel) / rel) * z[:, 2]
        y = r * z[:, 0] + math.sqrt(1 - r * r) * z[:, 1] + math.sqrt((1 - rel) / rel) * z[:, 3]
        xc = x - x.mean(axis=1, keepdims=True)
        yc = y - y.mean(axis=1, keepdims=True)
        observed = (xc * yc).sum(axis=1) / np.sqrt((xc**2).sum(axis=1) * (yc**2).sum(axis=1))
        rows.append({
            "reliability": rel,
            "true_correlation": r,
            "expected": expected_observed_correlation(r, rel, rel),
            "mean_observed": float(observed.mean()),
            "q05": float(np.quantile(observed, 0.05)),
            "q95": float(np.quantile(observed, 0.95)),
        })
    frame = pd.DataFrame(rows).set_index("reliability")
    frame.attrs["synthetic"] = True
    return frame
