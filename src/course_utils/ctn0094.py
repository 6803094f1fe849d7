"""The CTN-0094 trial data (real): one analysis table for X:BOT and its relapse outcome.

The ``ctn0094_*`` datasets hold the harmonised, de-identified data of three
NIDA Clinical Trials Network trials of treatment for opioid use disorder
(``cu.describe("ctn0094_everybody")``).  This module joins the tables a lesson
needs into one row per randomised participant of CTN-0051 (X:BOT, extended-
release naltrexone vs buprenorphine-naloxone) and approximates the trial's
primary outcome from the derived weekly patterns:

* a **use week** is a study week with a urine screen positive for a non-study
  opioid (``+`` or ``*`` in ``ctn0094_weekly_use``), a scheduled screen not
  provided (``o``, counted as use, as in the trial), or self-reported opioid
  use on at least one day (``+`` or ``*`` in ``ctn0094_weekly_tlfb``);
* **relapse** is four consecutive use weeks, counted from week 3 to week 24
  after randomisation.

The trial's own definition (ClinicalTrials.gov NCT02032433, primary outcome;
Lee JD et al. *Lancet* 2018;391:309-318, doi:10.1016/S0140-6736(17)32812-X,
Methods) also counts seven consecutive days of self-reported use, and used the
trial's visit windows rather than the harmonised strict 7-day weeks; those
differences are why the reproduced proportions differ a little from the
published ones.

Examples
--------
>>> relapsed("--ooo+--", "--------")
True
>>> relapsed("--o-o-o-", "--------")
False
>>> relapse_week("-" * 5 + "+" * 4, "-" * 9)
6
"""

from __future__ import annotations

import pandas as pd

from course_utils._validate import CourseInputError


class PatternError(CourseInputError):
    """A weekly pattern or window that the relapse rule cannot score."""


#: ``project`` label of X:BOT in ``ctn0094_everybody``.
XBOT = "CTN-0051 (X:BOT)"
#: X:BOT's arms as named in ``ctn0094_randomization`` -> the names used in the trial report.
XBOT_ARMS = {"Inpatient BUP": "BUP-NX", "Inpatient NR-NTX": "XR-NTX"}
#: Weekly symbols that count as a use week.
UDS_USE = frozenset("+*o")
TLFB_USE = frozenset("+*")
_SYMBOLS = frozenset("+-*o_")


def _check_word(word: object, which: str) -> str:
    if word is None or (isinstance(word, float) and word != word) or word is pd.NA:
        return ""
    if not isinstance(word, str):
        raise TypeError(f"{which} pattern must be a string of weekly symbols (+ - * o _), got {type(word).__name__}")
    strays = sorted(set(word) - _SYMBOLS)
    if strays:
        raise PatternError(
            f"{which} pattern {word!r} holds {strays}: only + - * o _ are weekly symbols "
            "(pass the phase_1 column of ctn0094_weekly_use / ctn0094_weekly_tlfb)"
        )
    return word


def use_weeks(uds: str, tlfb: str, *, first_week: int = 3, last_week: int = 24) -> list[bool]:
    """Use week (True/False) for each study week from ``first_week`` to ``last_week``.

    Character k of a pattern (counting from 1) is study week k.  The pattern
    ends at the person's last protocol week (``end_week``, 22 to 24 in X:BOT);
    weeks after it are not scored, so the list can be shorter than the window.

    Examples
    --------
    >>> use_weeks("-+o-_", "---*-", first_week=1, last_week=8)
    [False, True, True, True, False]
    """
    u, t = _check_word(uds, "urine-screen"), _check_word(tlfb, "self-report")
    if not 1 <= first_week <= last_week:
        raise PatternError(f"need 1 <= first_week <= last_week, got {first_week} and {last_week}")
    weeks = []
    for week in range(first_week, min(last_week, max(len(u), len(t))) + 1):
        u_sym = u[week - 1] if week <= len(u) else "_"
        t_sym = t[week - 1] if week <= len(t) else "_"
        weeks.append(u_sym in UDS_USE or t_sym in TLFB_USE)
    return weeks


def relapse_week(uds: str, tlfb: str, *, first_week: int = 3, last_week: int = 24, run: int = 4) -> int | None:
    """First week of the first run of ``run`` consecutive use weeks, or None if there is none.

    Examples
    --------
    >>> relapse_week("--++++", "------") is None   # run starts in week 3, needs weeks 3-6
    False
    >>> relapse_week("------", "------", last_week=6) is None
    True
    """
    if run < 1:
        raise PatternError(f"run must be at least 1 week, got {run}")
    streak = 0
    for offset, use in enumerate(use_weeks(uds, tlfb, first_week=first_week, last_week=last_week)):
        streak = streak + 1 if use else 0
        if streak == run:
            return first_week + offset - run + 1
    return None


def relapsed(uds: str, tlfb: str, *, first_week: int = 3, last_week: int = 24, run: int = 4) -> bool:
    """True if the person had ``run`` consecutive use weeks between ``first_week`` and ``last_week``.

    Examples
    --------
    >>> relapsed("++++" + "-" * 20, "-" * 24)   # weeks 1-2 do not count
    False
    """
    return relapse_week(uds, tlfb, first_week=first_week, last_week=last_week, run=run) is not None


def _days_before_consent(substance: str) -> pd.Series:
    from course_utils.datasets import load

    use = load("ctn0094_drug_use")
    rows = use[use["substance"] == substance]
    return rows.set_index("who")["days_before_consent"].astype("float64")


def xbot() -> pd.DataFrame:
    """One row per participant randomised in X:BOT (570), with arm, induction, relapse and baseline data.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``who``.  Columns: ``arm`` ("BUP-NX" or "XR-NTX"),
        ``xrntx`` (1 for XR-NTX), ``randomised_day`` (study day), ``inducted``
        (received any study medication), ``induction_delay`` (days from
        randomisation to the first dose; missing if never inducted),
        ``relapse`` and ``relapse_week`` (see the module text), the baseline
        characteristics ``age``, ``is_male``, ``race``, ``is_hispanic``,
        ``used_iv``, ``pain``, ``major_dep`` (history of major depression),
        ``asi_depression`` (ASI serious depression item), ``anx_pan``,
        ``site``, ``heroin_days`` and ``opioid_days`` (self-reported use days
        before consent; 0 when the timeline follow-back has no use day of
        that substance), and ``uds_phase_1`` / ``tlfb_phase_1`` (the weekly
        patterns the outcome was derived from).  Missing baseline values stay
        missing.

    Examples
    --------
    >>> table = xbot()
    >>> table.groupby("arm", observed=True)["inducted"].agg(["sum", "size"])
            sum  size
    arm
    BUP-NX  270   287
    XR-NTX  204   283
    """
    from course_utils.datasets import load

    people = load("ctn0094_everybody")
    ids = people.loc[people["project"] == XBOT, "who"]
    rand = load("ctn0094_randomization")
    rand = rand[(rand["which"] == 1) & rand["who"].isin(ids)].set_index("who")
    table = pd.DataFrame(index=pd.Index(rand.index.astype("int64"), name="who"))
    table["arm"] = pd.Categorical(rand["treatment"].astype(str).map(XBOT_ARMS).to_numpy(), categories=["BUP-NX", "XR-NTX"])
    table["xrntx"] = (table["arm"] == "XR-NTX").astype("int64")
    table["randomised_day"] = rand["when"].astype("float64").to_numpy()

    doses = load("ctn0094_treatment")
    first_dose = doses[doses["who"].isin(table.index)].groupby("who")["when"].min().astype("float64")
    table["inducted"] = table.index.isin(first_dose.index)
    table["induction_delay"] = first_dose.reindex(table.index) - table["randomised_day"]

    uds = load("ctn0094_weekly_use").set_index("who")["phase_1"].reindex(table.index)
    tlfb = load("ctn0094_weekly_tlfb").set_index("who")["phase_1"].reindex(table.index)
    weeks = [relapse_week(u, t) for u, t in zip(uds.tolist(), tlfb.tolist())]
    table["relapse"] = [w is not None for w in weeks]
    table["relapse_week"] = pd.Series([float("nan") if w is None else float(w) for w in weeks], index=table.index)

    demo = load("ctn0094_demographics").set_index("who")
    psych = load("ctn0094_psychiatric").set_index("who")
    for column in ("age", "is_male", "race", "is_hispanic"):
        table[column] = demo[column].reindex(table.index)
    table["age"] = table["age"].astype("float64")
    table["used_iv"] = load("ctn0094_iv_use").set_index("who")["used_iv"].reindex(table.index)
    table["pain"] = load("ctn0094_pain").set_index("who")["pain"].reindex(table.index)
    table["major_dep"] = psych["has_major_dep"].reindex(table.index)
    table["asi_depression"] = psych["depression"].reindex(table.index)
    table["anx_pan"] = psych["has_anx_pan"].reindex(table.index)
    table["site"] = load("ctn0094_site").set_index("who")["site_masked"].reindex(table.index)
    # no row in ctn0094_drug_use = no use day reported for that substance -> 0 days
    table["heroin_days"] = _days_before_consent("Heroin").reindex(table.index).fillna(0.0)
    table["opioid_days"] = _days_before_consent("Opioid").reindex(table.index).fillna(0.0)
    table["uds_phase_1"] = uds
    table["tlfb_phase_1"] = tlfb
    return table
