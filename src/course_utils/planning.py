"""Planning a trial: sample size and power."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_utils._trial_common import TrialDataError
from course_utils.results import make_result

__all__ = ["sample_size", "power", "sample_size_binary"]


def _number(value: object, name: str, meaning: str) -> float:
    """A plain number; text (even "0.5") is refused, as everywhere in the course."""
    if isinstance(value, (str, bytes)):
        raise TrialDataError(f"{name} must be a number ({meaning}), but it is the text {value!r}; "
                             "convert with float() first")
    if isinstance(value, bool):
        raise TrialDataError(f"{name} must be a number ({meaning}), got {value!r}")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TrialDataError(f"{name} must be a number ({meaning}), got {value!r}") from None


# ------------------------------------------------------------------ power and sample size

def _check_prob(value: float, name: str) -> float:
    v = _number(value, name, "between 0 and 1")
    if not (0 < v < 1):
        raise TrialDataError(f"{name} must be strictly between 0 and 1, got {value!r}")
    return v


def _check_effect(effect: float) -> float:
    v = _number(effect, "effect_size", "a standardised difference such as 0.3")
    if not math.isfinite(v) or v == 0:
        raise TrialDataError(
            f"effect_size must be a non-zero finite standardised difference (e.g. 0.24 or 0.5), got {effect!r}; "
            "no trial can be powered to detect an effect of exactly zero"
        )
    return abs(v)


def _check_ratio(ratio: Any) -> float:
    v = _number(ratio, "ratio", "n_treatment / n_control")
    if not (math.isfinite(v) and v > 0):
        raise TrialDataError(f"ratio (n_treatment / n_control) must be positive, got {ratio!r}")
    return v


def _check_dropout(dropout: Any) -> float:
    v = _number(dropout, "dropout", "the expected share with no outcome")
    if not (0 <= v < 1):
        raise TrialDataError(f"dropout is the expected share with no outcome, in [0, 1); got {dropout!r}")
    return v


def _plan(n_exact: float, ratio: float, dropout: float, name: str, **inputs: float) -> pd.Series:
    n_c = math.ceil(n_exact - 1e-9)
    n_t = math.ceil(n_exact * ratio - 1e-9)
    total = n_c + n_t
    result = make_result(
        float(n_c), math.nan, math.nan, math.nan, n=float(total), name=name, **inputs, ratio=ratio,
        dropout=dropout, n_control_exact=n_exact, n_control=float(n_c), n_treatment=float(n_t),
        n_total=float(total), n_to_randomise=float(math.ceil(total / (1 - dropout) - 1e-9)),
    )
    result.attrs["meaning"] = "estimate = people needed in the control arm (rounded up); n = both arms"
    return result


def sample_size(
    effect_size: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    ratio: float = 1.0,
    dropout: float = 0.0,
) -> pd.Series:
    """People needed per arm to detect a standardised difference with a two-sided t test.

    Uses :class:`statsmodels.stats.power.TTestIndPower`.  ``ratio`` is
    n_treatment / n_control.  ``dropout`` (the share expected to give no
    outcome) inflates the number to randomise: ``n / (1 - dropout)`` -- an
    approximation that assumes the dropouts are otherwise like the rest.

    Parameters
    ----------
    effect_size : float
        The standardised difference to detect (Cohen's d), non-zero.
    power : float, default 0.8
        Probability of detecting it.
    alpha : float, default 0.05
        Two-sided significance level.
    ratio : float, default 1
        n_treatment / n_control.
    dropout : float, default 0
        Expected share of randomised people with no outcome, in [0, 1).

    Returns
    -------
    pandas.Series
        The course's result shape (float): ``estimate`` = ``n_control``
        (people needed in the control arm, rounded up), ``se``/``ci_low``/``ci_high``
        NaN, ``n`` = ``n_total`` (both arms); then the inputs,
        ``n_control_exact``, ``n_control``, ``n_treatment``, ``n_total`` and
        ``n_to_randomise`` (after the dropout allowance).

    Raises
    ------
    TrialDataError
        An input that is not a number (text such as ``"0.5"`` included) or out of range.

    Examples
    --------
    Cohen (1988): d = 0.5, power 0.80, two-sided alpha 0.05 needs 64 per group.

    >>> int(sample_size(0.5)["n_control"])
    64
    >>> sample_size(0.5, dropout=0.2)[["estimate", "n", "n_to_randomise"]].tolist()
    [64.0, 128.0, 160.0]
    """
    from statsmodels.stats.power import TTestIndPower

    d = _check_effect(effect_size)
    power_ = _check_prob(power, "power")
    alpha_ = _check_prob(alpha, "alpha")
    ratio_ = _check_ratio(ratio)
    dropout_ = _check_dropout(dropout)
    n1 = float(TTestIndPower().solve_power(effect_size=d, power=power_, alpha=alpha_, ratio=ratio_,
                                           alternative="two-sided"))
    return _plan(n1, ratio_, dropout_, "sample size", effect_size=d, power=power_, alpha=alpha_)


def power(effect_size: float, n_per_arm: int, *, alpha: float = 0.05, ratio: float = 1.0) -> pd.Series:
    """Power of a two-sided two-sample t test (``TTestIndPower``) with ``n_per_arm`` in the control arm.

    Parameters
    ----------
    effect_size : float
        The standardised difference (Cohen's d), non-zero.
    n_per_arm : int
        People with an outcome in the control arm (at least 2).
    alpha : float, default 0.05
        Two-sided significance level.
    ratio : float, default 1
        n_treatment / n_control.

    Returns
    -------
    pandas.Series
        The course's result shape (float): ``estimate`` = the power,
        ``se``/``ci_low``/``ci_high`` NaN, ``n`` = both arms; then
        ``effect_size``, ``alpha``, ``ratio``, ``n_control``, ``n_treatment``.

    Examples
    --------
    >>> float(power(0.5, 64)["estimate"].round(3))
    0.801
    """
    from statsmodels.stats.power import TTestIndPower

    d = _check_effect(effect_size)
    ratio_ = _check_ratio(ratio)
    n_c = _number(n_per_arm, "n_per_arm", "people in the control arm")
    if not n_c >= 2:
        raise TrialDataError(f"n_per_arm must be at least 2, got {n_per_arm!r}")
    alpha_ = _check_prob(alpha, "alpha")
    value = float(TTestIndPower().power(effect_size=d, nobs1=n_c, alpha=alpha_, ratio=ratio_,
                                        alternative="two-sided"))
    return make_result(value, math.nan, math.nan, math.nan, n=n_c * (1 + ratio_), name="power", effect_size=d,
                       alpha=alpha_, ratio=ratio_, n_control=n_c, n_treatment=n_c * ratio_)


def sample_size_binary(
    p_treatment: float,
    p_control: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    ratio: float = 1.0,
    dropout: float = 0.0,
) -> pd.Series:
    """People needed per arm to detect a difference between two proportions.

    Uses Cohen's h (``statsmodels.stats.proportion.proportion_effectsize``,
    the arcsine transformation) and :class:`statsmodels.stats.power.NormalIndPower`.

    Parameters
    ----------
    p_treatment, p_control : float
        The expected risks, strictly between 0 and 1 and different.
    power : float, default 0.8
    alpha : float, default 0.05
    ratio : float, default 1
        n_treatment / n_control.
    dropout : float, default 0
        Expected share with no outcome, in [0, 1).

    Returns
    -------
    pandas.Series
        As :func:`sample_size`, with ``p_treatment``, ``p_control`` and ``cohens_h``.

    Examples
    --------
    >>> int(sample_size_binary(0.3, 0.5)["n_control"])
    93
    """
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    p1 = _check_prob(p_treatment, "p_treatment")
    p0 = _check_prob(p_control, "p_control")
    ratio_ = _check_ratio(ratio)
    dropout_ = _check_dropout(dropout)
    power_ = _check_prob(power, "power")
    alpha_ = _check_prob(alpha, "alpha")
    if p1 == p0:
        raise TrialDataError("p_treatment equals p_control: there is no difference to detect")
    h = abs(float(proportion_effectsize(p1, p0)))
    n1 = float(NormalIndPower().solve_power(effect_size=h, power=power_, alpha=alpha_, ratio=ratio_,
                                            alternative="two-sided"))
    return _plan(n1, ratio_, dropout_, "sample size", p_treatment=p1, p_control=p0, cohens_h=h, power=power_,
                 alpha=alpha_)
