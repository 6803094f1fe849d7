"""SYNTHETIC selection: who ends up in a sample, and what that does to the answer.

Nothing here is real data about real people.  Three generators, each with its
generating model documented as data:

* :func:`convenience_sample` -- an online survey of people who use kratom,
  recruited through advocacy channels, drawn from a synthetic population such
  as :func:`course_utils.simulate.nsduh_like`.  Shows how "most users say it
  helped" arises even when kratom has no effect on depression in the
  population, because people who stopped (for harm or no benefit) are rarely
  reached and people who feel it helped are keen to answer.
* :func:`selected_sample` -- any sample whose chance of inclusion depends on
  named columns (e.g. on kratom use *and* on depression, as in a clinic or a
  forum): conditioning on a common effect -- a collider -- distorts the
  association between its causes.
* :func:`two_directions` -- two synthetic worlds, one where kratom use causes
  depression and one where depression causes kratom use (self-medication),
  built to have the same cross-sectional 2×2 table: the table alone cannot tell
  the direction.

Convenience-sample model (:data:`CONVENIENCE_MODEL`)
----------------------------------------------------
For every past-year user in the population (column ``use``, 1 = yes):

1. ``experience`` of kratom for mood: "helped", "no difference" or "harmed"
   (bad effects, dependence or withdrawal), with probabilities 0.40 / 0.40 /
   0.20.  In this model perceived benefit is *not* caused by any effect of
   kratom on depression: it is drawn independently of the person's depression
   (expectation, natural ups and downs, regression to the mean).  With
   :func:`nsduh_like`'s default ``kratom_effect=0`` kratom has no causal effect
   on depression at all.
2. ``still_using`` (used in the past month): probability 0.70 if helped, 0.30
   if no difference, 0.10 if harmed -- people stop when it does nothing or
   hurts.  Overall about 0.42 of past-year users are current users, close to
   the NSDUH 2019 ratio of past-month (0.3%, SAMHSA 2019 NSDUH key indicators)
   to past-year use (0.7%, Palamar 2021, doi:10.1016/j.amepre.2021.02.004).
3. ``responded`` to an online survey advertised on advocacy channels:
   probability ``base × current^s × helped^s × harmed^s`` with
   base 0.04, a factor 5 for current users, 3 for "helped", 0.5 for "harmed",
   and ``s = selection`` (1 by default; 0 makes everyone equally likely to
   answer, i.e. a random sample of users).  For ``s`` other than 1 the
   probabilities are rescaled so that the expected number of respondents is
   the same as with ``s = 1``: samples are compared at equal size.

All numbers except the two prevalences quoted in step 2 are teaching
assumptions.  Respondents would report "helped" about four times in five,
although only 40% of all past-year users in the model feel that way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from course_utils._validate import bounded_number
from course_utils.seeding import rng

__all__ = [
    "convenience_sample",
    "selected_sample",
    "two_directions",
    "CONVENIENCE_MODEL",
    "CONVENIENCE_DAG",
    "TWO_DIRECTIONS_DEFAULTS",
]

#: The generating model of :func:`convenience_sample` (all values are teaching assumptions).
CONVENIENCE_MODEL: dict[str, Any] = {
    "experience": {"helped": 0.40, "no difference": 0.40, "harmed": 0.20},
    "still_using_given_experience": {"helped": 0.70, "no difference": 0.30, "harmed": 0.10},
    "response": {"base": 0.04, "current_user_factor": 5.0, "helped_factor": 3.0, "harmed_factor": 0.5},
    "true_effect_of_kratom_on_depression": "none in this model (perceived benefit is drawn independently "
    "of depression); with nsduh_like(kratom_effect=0) there is no causal effect at all",
}

#: Causal diagram of the convenience survey, with positions for drawing (``dags.draw_dag``).
CONVENIENCE_DAG: dict[str, Any] = {
    "edges": [
        ("used kratom (past year)", "experience: helped?"),
        ("experience: helped?", "still using"),
        ("still using", "answered the survey"),
        ("experience: helped?", "answered the survey"),
        ("depression", "used kratom (past year)"),
    ],
    "positions": {
        "depression": (0.0, 0.0),
        "used kratom (past year)": (2.0, 0.0),
        "experience: helped?": (4.0, 0.0),
        "still using": (6.0, 1.0),
        "answered the survey": (6.0, -1.0),
    },
}

#: Defaults of :func:`two_directions`: the shared 2×2 distribution (teaching assumptions).
TWO_DIRECTIONS_DEFAULTS: dict[str, float] = {
    "p_kratom": 0.20,
    "p_depression_if_kratom": 0.20,
    "p_depression_if_no_kratom": 0.10,
}


def _require_indicator(population: pd.DataFrame, column: str, what: str) -> np.ndarray:
    if column not in population.columns:
        shown = ", ".join(repr(c) for c in list(population.columns)[:20])
        raise KeyError(
            f"the population has no column {column!r} ({what}); its columns are: {shown}. "
            "Make the population with course_utils.simulate.nsduh_like(), or pass the name of your column."
        )
    series = population[column]
    if isinstance(series.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
    ):
        raise TypeError(
            f"column {column!r} ({what}) must be coded 1 = yes, 0 = no (or true/false), but it holds "
            f"{series.dtype} values; load the dataset with codes=True or recode it"
        )
    if series.isna().any():
        raise ValueError(
            f"column {column!r} ({what}) has {int(series.isna().sum())} missing value(s); "
            "decide how to treat them before sampling"
        )
    values = series.astype(float).to_numpy()
    odd = sorted(float(v) for v in set(np.unique(values)) - {0.0, 1.0})
    if odd:
        raise ValueError(f"column {column!r} ({what}) must hold only 0 and 1, found {odd[:5]}")
    return values.astype(bool)


def _weights(population: pd.DataFrame, weight: str | None) -> np.ndarray:
    if weight is None:
        return np.ones(len(population))
    if weight not in population.columns:
        raise KeyError(
            f"no weight column {weight!r} in the population; pass weight=None for an unweighted population "
            "(every row counts once) or the name of the survey weight column"
        )
    w = pd.to_numeric(population[weight], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise ValueError(f"weight column {weight!r} must hold non-negative numbers with none missing")
    return w


def _check_selection(selection: Any) -> float:
    return bounded_number(selection, "selection", 0, 3,
                          meaning="a number between 0 (no selection) and 3 (1 = the default strength)")


def _response_probability(still: np.ndarray, experience: np.ndarray, s: float) -> np.ndarray:
    r = CONVENIENCE_MODEL["response"]
    return (
        r["base"]
        * np.where(still, r["current_user_factor"] ** s, 1.0)
        * np.where(experience == "helped", r["helped_factor"] ** s, 1.0)
        * np.where(experience == "harmed", r["harmed_factor"] ** s, 1.0)
    )


def convenience_sample(
    population: pd.DataFrame,
    *,
    seed: int | None = None,
    selection: float = 1.0,
    use: str = "kratom_py",
    weight: str | None = "ANALWT2_C",
    keep_nonrespondents: bool = False,
) -> pd.DataFrame:
    """A SYNTHETIC online survey of people who use kratom, recruited through advocacy channels.

    Parameters
    ----------
    population : DataFrame
        A (synthetic) population survey with a 0/1 column of past-year kratom
        use, such as ``course_utils.simulate.nsduh_like()``.
    seed : int, optional
        Seed for :func:`course_utils.seeding.rng`.
    selection : float, default 1
        Strength of self-selection (see the module docstring); 0 gives a
        random sample of users.
    use : str, default "kratom_py"
        Column of past-year use (1 = yes, 0 = no).
    weight : str or None, default "ANALWT2_C"
        Survey weight column, used for the population truth; None = unweighted.
    keep_nonrespondents : bool, default False
        Return every past-year user with a ``responded`` column -- the view a
        real researcher never has -- instead of only the respondents.

    Returns
    -------
    pandas.DataFrame
        The respondents (or all users): the population's columns plus
        ``experience`` ("helped"/"no difference"/"harmed"), ``helped``,
        ``still_using`` (and ``responded``).  ``attrs["truth"]`` holds the
        population values among all past-year users (weighted): ``share_helped``,
        ``share_harmed``, ``share_still_using``, ``n_users``; ``attrs`` also
        holds the model, the call and ``synthetic=True``.

    Raises
    ------
    KeyError
        The population lacks the use (or weight) column.
    TypeError, ValueError
        The use column is not coded 0/1, or has missing values; ``selection``
        out of range.

    Examples
    --------
    >>> from course_utils.simulate import nsduh_like
    >>> sample = convenience_sample(nsduh_like(n=20_000, seed=3), seed=3)
    >>> sample.attrs["synthetic"], sample["experience"].cat.categories.tolist()
    (True, ['helped', 'no difference', 'harmed'])
    """
    if not isinstance(population, pd.DataFrame):
        raise TypeError(f"population must be a pandas DataFrame, got {type(population).__name__}")
    s = _check_selection(selection)
    users_mask = _require_indicator(population, use, "past-year kratom use")
    w_all = _weights(population, weight)
    if not users_mask.any():
        raise ValueError(f"nobody in the population used kratom (column {use!r} is all 0): no one to survey")
    users = population[users_mask].copy()
    w = w_all[users_mask]
    n = len(users)

    g = rng(seed, "convenience_sample")
    u_exp, u_cont, u_resp = g.random((3, n))
    exp_labels = list(CONVENIENCE_MODEL["experience"])
    cum = np.cumsum(list(CONVENIENCE_MODEL["experience"].values()))
    exp_idx = np.searchsorted(cum, u_exp, side="right").clip(max=len(exp_labels) - 1)
    experience = np.asarray(exp_labels, dtype=object)[exp_idx]
    p_cont = np.array([CONVENIENCE_MODEL["still_using_given_experience"][e] for e in experience])
    still = u_cont < p_cont
    p_resp = np.minimum(_response_probability(still, experience, s), 1.0)
    if s != 1.0:  # same expected number of respondents as with the default selection
        p_default = np.minimum(_response_probability(still, experience, 1.0), 1.0)
        p_resp = np.minimum(p_resp * p_default.mean() / p_resp.mean(), 1.0)
    responded = u_resp < p_resp

    users["experience"] = pd.Categorical(experience, categories=exp_labels)
    users["helped"] = experience == "helped"
    users["still_using"] = still
    truth = {
        "share_helped": float(np.average(experience == "helped", weights=w)),
        "share_harmed": float(np.average(experience == "harmed", weights=w)),
        "share_still_using": float(np.average(still, weights=w)),
        "n_users": int(n),
        "n_respondents": int(responded.sum()),
    }
    if keep_nonrespondents:
        users["responded"] = responded
        out = users
    else:
        out = users[responded].copy()
    if len(out) == 0:
        raise ValueError("no one answered the survey; use a larger population (e.g. nsduh_like(n=60_000))")
    out.attrs = {
        "name": "synthetic_convenience_sample",
        "synthetic": True,
        "title": "SYNTHETIC online survey of people who use kratom (simulated; not real people)",
        "call": f"convenience_sample(population, seed={seed!r}, selection={s!r}, use={use!r}, weight={weight!r})",
        "truth": truth,
        "model": CONVENIENCE_MODEL,
        "dag": CONVENIENCE_DAG,
    }
    return out


def selected_sample(
    population: pd.DataFrame,
    inclusion: Mapping[str, float],
    *,
    base_rate: float = 0.02,
    seed: int | None = None,
) -> pd.DataFrame:
    """A SYNTHETIC sample whose chance of inclusion depends on named 0/1 columns.

    ``P(included) = expit(logit(base_rate) + sum(coef × column))``.  When two
    columns both raise the chance of inclusion, inclusion is a common effect
    (a *collider*) of them, and among those included their association is
    distorted -- even reversed -- although nothing changed in the population.

    Parameters
    ----------
    population : DataFrame
    inclusion : mapping of column -> log-odds coefficient
        E.g. ``{"kratom_py": 2.5, "AMDEYR": 2.5}`` for a place where both
        kratom users and people with depression are more likely to be found.
    base_rate : float
        Inclusion probability for someone with every listed column 0.
    seed : int, optional

    Returns
    -------
    pandas.DataFrame
        The included rows; ``attrs`` holds the inclusion model, the call and
        ``synthetic=True``.

    Examples
    --------
    >>> import pandas as pd
    >>> pop = pd.DataFrame({"a": [0, 1] * 500, "b": [0, 0, 1, 1] * 250})
    >>> len(selected_sample(pop, {"a": 1.0}, base_rate=0.5, seed=1)) > 0
    True
    """
    if not isinstance(population, pd.DataFrame):
        raise TypeError(f"population must be a pandas DataFrame, got {type(population).__name__}")
    if not isinstance(inclusion, Mapping) or not inclusion:
        raise TypeError('inclusion maps column -> log-odds coefficient, e.g. {"kratom_py": 2.0}')
    try:
        base = float(base_rate)
    except (TypeError, ValueError):
        raise TypeError(f"base_rate must be a probability, got {base_rate!r}") from None
    if not 0 < base < 1:
        raise ValueError(f"base_rate must be strictly between 0 and 1, got {base_rate!r}")
    eta = np.full(len(population), math.log(base / (1 - base)))
    for column, coef in inclusion.items():
        values = _require_indicator(population, column, "a cause of inclusion")
        try:
            c = float(coef)
        except (TypeError, ValueError):
            raise TypeError(f"the coefficient for {column!r} must be a number, got {coef!r}") from None
        eta += c * values
    p = 1 / (1 + np.exp(-eta))
    keep = rng(seed, "selected_sample").random(len(population)) < p
    if not keep.any():
        raise ValueError("nobody was included; raise base_rate or the coefficients")
    out = population[keep].copy()
    out.attrs = {
        "name": "synthetic_selected_sample",
        "synthetic": True,
        "title": "SYNTHETIC selected sample (inclusion depends on the listed columns)",
        "inclusion": {k: float(v) for k, v in inclusion.items()},
        "base_rate": base,
        "call": f"selected_sample(population, {dict(inclusion)!r}, base_rate={base!r}, seed={seed!r})",
    }
    return out


def two_directions(
    n: int = 10_000,
    *,
    seed: int | None = None,
    p_kratom: float = TWO_DIRECTIONS_DEFAULTS["p_kratom"],
    p_depression_if_kratom: float = TWO_DIRECTIONS_DEFAULTS["p_depression_if_kratom"],
    p_depression_if_no_kratom: float = TWO_DIRECTIONS_DEFAULTS["p_depression_if_no_kratom"],
) -> pd.DataFrame:
    """Two SYNTHETIC worlds with opposite causal directions and the same 2×2 distribution.

    World "kratom → depression": kratom use is drawn first (``p_kratom``), then
    depression with ``p_depression_if_kratom`` / ``p_depression_if_no_kratom``.
    World "depression → kratom" (self-medication): depression is drawn first,
    then kratom use, with probabilities from Bayes' rule so that the joint
    distribution of the two variables is identical.  A cross-sectional survey of
    either world gives the same table (up to chance), so the table cannot say
    which arrow is real.

    Returns
    -------
    pandas.DataFrame
        ``world``, ``kratom`` (0/1), ``depression`` (0/1); ``n`` rows per world.

    Parameters
    ----------
    n : int
        People in each world.
    seed : int, optional
        Seed for :func:`course_utils.seeding.rng`.
    p_kratom : float
        Share who use kratom.
    p_depression_if_kratom, p_depression_if_no_kratom : float
        Shares with depression among users and non-users (the same 2×2 table in both worlds).

    Examples
    --------
    >>> df = two_directions(2_000, seed=1)
    >>> df.groupby("world")["depression"].size().tolist()
    [2000, 2000]
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 10:
        raise ValueError(f"n must be a whole number of at least 10, got {n!r}")
    probs = {"p_kratom": p_kratom, "p_depression_if_kratom": p_depression_if_kratom,
             "p_depression_if_no_kratom": p_depression_if_no_kratom}
    for name, value in probs.items():
        if not isinstance(value, (int, float)) or not 0 < float(value) < 1:
            raise ValueError(f"{name} must be a probability strictly between 0 and 1, got {value!r}")
    pk, p1, p0 = float(p_kratom), float(p_depression_if_kratom), float(p_depression_if_no_kratom)
    pd_ = pk * p1 + (1 - pk) * p0
    pk_if_d = pk * p1 / pd_
    pk_if_nod = pk * (1 - p1) / (1 - pd_)

    g = rng(seed, "two_directions")
    u = g.random((4, int(n)))
    k_a = (u[0] < pk).astype(np.int64)
    d_a = (u[1] < np.where(k_a == 1, p1, p0)).astype(np.int64)
    d_b = (u[2] < pd_).astype(np.int64)
    k_b = (u[3] < np.where(d_b == 1, pk_if_d, pk_if_nod)).astype(np.int64)
    frame = pd.DataFrame(
        {
            "world": ["kratom → depression"] * int(n) + ["depression → kratom"] * int(n),
            "kratom": np.concatenate([k_a, k_b]),
            "depression": np.concatenate([d_a, d_b]),
        }
    )
    frame.attrs = {
        "name": "synthetic_two_directions",
        "synthetic": True,
        "title": "SYNTHETIC: two causal worlds with the same 2x2 table",
        "model": {
            "kratom → depression": {"P(kratom)": pk, "P(depression | kratom)": p1,
                                    "P(depression | no kratom)": p0},
            "depression → kratom": {"P(depression)": pd_, "P(kratom | depression)": pk_if_d,
                                    "P(kratom | no depression)": pk_if_nod},
        },
        "call": f"two_directions(n={int(n)}, seed={seed!r}, p_kratom={pk!r}, "
        f"p_depression_if_kratom={p1!r}, p_depression_if_no_kratom={p0!r})",
    }
    return frame
