"""Planning a trial: sample size and power."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["sample_size", "power", "sample_size_binary"]


# ------------------------------------------------------------------ power and sample size

def _check_prob(value: float, name: str, low_open: bool = True) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number between 0 and 1, got {value!r}") from None
    if not (0 < v < 1):
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value!r}")
    return v


def _check_effect(effect: float) -> float:
    try:
        v = float(effect)
    except (TypeError, ValueError):
        raise TypeError(f"effect_size must be a number (a standardised difference such as 0.3), got {effect!r}") from None
    if not math.isfinite(v) or v == 0:
        raise ValueError(
            f"effect_size must be a non-zero finite standardised difference (e.g. 0.24 or 0.5), got {effect!r}; "
            "no trial can be powered to detect an effect of exactly zero"
        )
    return abs(v)


def _check_ratio(ratio: Any) -> float:
    try:
        v = float(ratio)
    except (TypeError, ValueError):
        raise TypeError(f"ratio (n_treatment / n_control) must be a number, got {ratio!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"ratio (n_treatment / n_control) must be positive, got {ratio!r}")
    return v


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

    Returns
    -------
    pandas.Series
        ``n_control_exact``, ``n_control``, ``n_treatment`` (rounded up),
        ``n_total``, ``n_to_randomise`` (after the dropout allowance), and the
        inputs.

    Examples
    --------
    Cohen (1988): d = 0.5, power 0.80, two-sided alpha 0.05 needs 64 per group.

    >>> int(sample_size(0.5)["n_control"])
    64
    """
    from statsmodels.stats.power import TTestIndPower

    d = _check_effect(effect_size)
    power_ = _check_prob(power, "power")
    alpha_ = _check_prob(alpha, "alpha")
    if not (0 <= float(dropout) < 1):
        raise ValueError(f"dropout is the expected share with no outcome, in [0, 1); got {dropout!r}")
    if not float(ratio) > 0:
        raise ValueError(f"ratio (n_treatment / n_control) must be positive, got {ratio!r}")
    n1 = float(TTestIndPower().solve_power(effect_size=d, power=power_, alpha=alpha_, ratio=float(ratio),
                                           alternative="two-sided"))
    n_c = math.ceil(n1 - 1e-9)
    n_t = math.ceil(n1 * float(ratio) - 1e-9)
    total = n_c + n_t
    return pd.Series(
        {
            "effect_size": d,
            "power": power_,
            "alpha": alpha_,
            "ratio": float(ratio),
            "dropout": float(dropout),
            "n_control_exact": n1,
            "n_control": n_c,
            "n_treatment": n_t,
            "n_total": total,
            "n_to_randomise": math.ceil(total / (1 - float(dropout)) - 1e-9),
        },
        name="sample size",
        dtype=object,
    ).infer_objects()


def power(effect_size: float, n_per_arm: int, *, alpha: float = 0.05, ratio: float = 1.0) -> float:
    """Power of a two-sided two-sample t test (``TTestIndPower``) with ``n_per_arm`` in the control arm.

    Examples
    --------
    >>> round(power(0.5, 64), 3)
    0.801
    """
    from statsmodels.stats.power import TTestIndPower

    d = _check_effect(effect_size)
    ratio = _check_ratio(ratio)
    if isinstance(n_per_arm, bool) or not float(n_per_arm) >= 2:
        raise ValueError(f"n_per_arm must be at least 2, got {n_per_arm!r}")
    return float(TTestIndPower().power(effect_size=d, nobs1=float(n_per_arm), alpha=_check_prob(alpha, "alpha"),
                                       ratio=float(ratio), alternative="two-sided"))


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

    Examples
    --------
    >>> int(sample_size_binary(0.3, 0.5)["n_control"])
    93
    """
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    p1 = _check_prob(p_treatment, "p_treatment")
    p0 = _check_prob(p_control, "p_control")
    ratio = _check_ratio(ratio)
    if p1 == p0:
        raise ValueError("p_treatment equals p_control: there is no difference to detect")
    h = abs(float(proportion_effectsize(p1, p0)))
    n1 = float(NormalIndPower().solve_power(effect_size=h, power=_check_prob(power, "power"),
                                            alpha=_check_prob(alpha, "alpha"), ratio=float(ratio),
                                            alternative="two-sided"))
    if not (0 <= float(dropout) < 1):
        raise ValueError(f"dropout is the expected share with no outcome, in [0, 1); got {dropout!r}")
    n_c = math.ceil(n1 - 1e-9)
    n_t = math.ceil(n1 * float(ratio) - 1e-9)
    return pd.Series(
        {
            "p_treatment": p1,
            "p_control": p0,
            "cohens_h": h,
            "power": float(power),
            "alpha": float(alpha),
            "n_control_exact": n1,
            "n_control": n_c,
            "n_treatment": n_t,
            "n_total": n_c + n_t,
            "n_to_randomise": math.ceil((n_c + n_t) / (1 - float(dropout)) - 1e-9),
        },
        name="sample size",
        dtype=object,
    ).infer_objects()
