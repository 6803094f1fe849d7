"""GRADE-style certainty of a body of evidence, and evidence profiles.

GRADE rates the certainty of a *body of evidence for one outcome* — not of a
single study — on four levels: high, moderate, low, very low.  The rules
encoded here (course reference facts K1–K3):

1. **Start** by design: randomised trials start *high*; observational studies
   start *low* (Balshem H et al. GRADE guidelines 3: rating the quality of
   evidence. J Clin Epidemiol 2011;64(4):401–406, doi:10.1016/j.jclinepi.2010.07.015;
   Guyatt GH et al. BMJ 2008;336:924–926, doi:10.1136/bmj.39489.470347.AD).
2. **Rate down** for five domains, each by 0, 1 ("serious") or 2 ("very serious")
   levels: risk of bias, inconsistency, indirectness, imprecision, publication
   bias (Balshem 2011; Guyatt GH et al. BMJ 2008;336:995, doi:10.1136/bmj.39490.551019.BE).
3. **Rate up** — observational evidence only — for a large effect (one level
   for at least a two-fold change in risk, two levels for at least a five-fold
   change), a dose–response gradient, and when all plausible confounding would
   have *reduced* the observed effect (Guyatt GH et al. GRADE guidelines 9:
   rating up the quality of evidence. J Clin Epidemiol 2011;64(12):1311–1316,
   doi:10.1016/j.jclinepi.2011.06.004).
4. **Meaning** of the result (K3): high — further research is very unlikely to
   change our confidence in the estimate; moderate — further research is likely
   to have an important impact and may change the estimate; low — very likely to
   have an important impact and likely to change the estimate; very low — any
   estimate is very uncertain.

GRADE itself has no level below *very low* or above *high*.  Rather than
silently flooring or capping, this module **raises an error** when the ratings
add up to a level outside the scale, so that the person grading has to decide
which concerns to record and say so in the reasons (the lesson explains why).

GRADE is a structured judgement, not a calculation: the function records the
judgements and adds them up transparently; the judgements themselves (and their
reasons) are the grader's.

Examples
--------
>>> from course_utils import evidence
>>> a = evidence.assess_certainty(
...     "observational", outcome="kratom use and depression",
...     downgrades={"risk_of_bias": -1},
...     reasons={"risk_of_bias": "cross-sectional; confounding not controlled",
...              "indirectness": "users in general, not people treated for depression"})
>>> a.level
'very low'
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = [
    "LEVELS",
    "LEVEL_MEANING",
    "DOWNGRADE_DOMAINS",
    "UPGRADE_DOMAINS",
    "GradeError",
    "Certainty",
    "assess_certainty",
    "large_effect_upgrade",
    "start_level",
    "evidence_profile",
    "profile_from_table",
    "plain_language",
    "evidence_map",
]

#: Certainty levels from lowest to highest (index + 1 is the level's score).
LEVELS: tuple[str, ...] = ("very low", "low", "moderate", "high")

#: What each level means for a reader (fact K3, GRADE as reproduced in applying papers).
LEVEL_MEANING: dict[str, str] = {
    "high": "Further research is very unlikely to change our confidence in the estimate of effect.",
    "moderate": "Further research is likely to have an important impact on our confidence in the estimate "
                "and may change the estimate.",
    "low": "Further research is very likely to have an important impact on our confidence in the estimate "
           "and is likely to change the estimate.",
    "very low": "Any estimate of effect is very uncertain.",
}

#: The five reasons to rate down (each 0, −1 or −2).
DOWNGRADE_DOMAINS: tuple[str, ...] = (
    "risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias",
)

#: The three reasons to rate up (observational evidence only) and the most each may add.
UPGRADE_DOMAINS: dict[str, int] = {"large_effect": 2, "dose_response": 1, "plausible_confounding": 1}

_DOMAIN_WORDS = {
    "risk_of_bias": "risk of bias",
    "inconsistency": "inconsistency",
    "indirectness": "indirectness",
    "imprecision": "imprecision",
    "publication_bias": "publication bias",
    "large_effect": "large effect",
    "dose_response": "dose–response gradient",
    "plausible_confounding": "all plausible confounding would reduce the effect",
}

_DESIGNS = {
    "randomised": "randomised",
    "randomized": "randomised",
    "rct": "randomised",
    "randomised trial": "randomised",
    "randomized trial": "randomised",
    "randomised controlled trial": "randomised",
    "observational": "observational",
    "non-randomised": "observational",
    "nonrandomised": "observational",
    "non-randomized": "observational",
}


class GradeError(ValueError):
    """An assessment that GRADE's rules do not allow (the message says which rule and what to do)."""


def start_level(design: str) -> str:
    """The GRADE starting level for a body of evidence from ``design``.

    ``design`` is ``"randomised"`` (also "randomized", "RCT", "randomised trial")
    or ``"observational"`` (also "non-randomised").  Randomised evidence starts
    *high*, observational evidence *low* (K1; Balshem et al. 2011).

    Parameters
    ----------
    design : str
        ``"randomised"`` (or ``"rct"``) or ``"observational"``.

    Returns
    -------
    str
        ``"high"`` for randomised trials, ``"low"`` for observational studies (fact K1).

    Examples
    --------
    >>> start_level("RCT"), start_level("observational")
    ('high', 'low')
    """
    key = _design(design)
    return "high" if key == "randomised" else "low"


def _design(design: str) -> str:
    if not isinstance(design, str):
        raise GradeError(f"design must be a string such as 'randomised' or 'observational', got {design!r}")
    key = design.strip().lower()
    if key not in _DESIGNS:
        raise GradeError(
            f"unknown design {design!r}. GRADE starts from the design of the body of evidence: use "
            "'randomised' (randomised trials) or 'observational' (surveys, cohorts, case–control studies, "
            "case series). Animal and laboratory studies do not answer a question about people: grade them "
            "as 'observational' evidence with a serious or very serious downgrade for indirectness, or leave "
            "them out of the profile."
        )
    return _DESIGNS[key]


def large_effect_upgrade(ratio: float) -> int:
    """Levels to rate up for the size of a relative effect (risk, odds or hazard ratio).

    One level when the ratio is at least 2 (or at most 1/2), two levels when it
    is at least 5 (or at most 1/5) — GRADE guidelines 9 (Guyatt et al. 2011,
    fact K2), which applies this to rigorous observational studies only.

    Parameters
    ----------
    ratio : float
        A relative effect (risk, odds or hazard ratio), above 0; below 1 is read as its inverse.

    Returns
    -------
    int
        0, 1 (at least two-fold) or 2 (at least five-fold) levels, GRADE's rule (fact K2).

    Examples
    --------
    >>> large_effect_upgrade(1.9), large_effect_upgrade(2.0), large_effect_upgrade(0.15)
    (0, 1, 2)
    """
    try:
        r = float(ratio)
    except (TypeError, ValueError) as exc:
        raise GradeError(f"ratio must be a number (e.g. a risk ratio), got {ratio!r}") from exc
    if not math.isfinite(r) or r <= 0:
        raise GradeError(f"a ratio must be a positive, finite number, got {ratio!r}")
    fold = max(r, 1 / r)
    if fold >= 5:
        return 2
    if fold >= 2:
        return 1
    return 0


@dataclass(frozen=True)
class Step:
    """One step of an assessment: a domain, its change in levels, the level after it, the reason."""

    domain: str
    change: int
    level_after: str
    reason: str


@dataclass(frozen=True)
class Certainty:
    """A GRADE-style certainty rating with the steps that led to it.

    Use :meth:`explain` for the readable step-by-step account and
    :meth:`as_series` for one row of an evidence profile.
    """

    outcome: str
    design: str
    start: str
    level: str
    downgrades: Mapping[str, int]
    upgrades: Mapping[str, int]
    reasons: Mapping[str, str]
    steps: tuple[Step, ...]
    n_studies: int | None = None
    effect: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def score(self) -> int:
        """1 (very low) to 4 (high)."""
        return LEVELS.index(self.level) + 1

    @property
    def meaning(self) -> str:
        """What the level means for a reader (K3)."""
        return LEVEL_MEANING[self.level]

    def explain(self) -> str:
        """The assessment, step by step, in plain words."""
        title = self.outcome or "this outcome"
        lines = [f"Certainty of evidence for: {title}"]
        lines.append(f"  Start: {self.design} evidence starts at '{self.start}'.")
        for step in self.steps:
            if step.change == 0:
                if step.reason and step.domain in DOWNGRADE_DOMAINS:
                    why = ("already at 'very low', no level left to rate down" if step.level_after == "very low"
                           else "not rated down")
                    lines.append(f"  {_DOMAIN_WORDS[step.domain].capitalize()}: {why} — {step.reason}.")
                continue
            verb = "rate down" if step.change < 0 else "rate up"
            amount = abs(step.change)
            words = f"{verb} {amount} level{'s' if amount > 1 else ''}"
            reason = f" — {step.reason}" if step.reason else ""
            lines.append(f"  {_DOMAIN_WORDS[step.domain].capitalize()}: {words} → '{step.level_after}'{reason}.")
        unchanged = [d for d in DOWNGRADE_DOMAINS if self.downgrades.get(d, 0) == 0 and not self.reasons.get(d)]
        if unchanged:
            lines.append("  No serious concern recorded for: " + ", ".join(_DOMAIN_WORDS[d] for d in unchanged) + ".")
        for note in self.notes:
            lines.append(f"  Note: {note}")
        lines.append(f"  Result: {self.level.upper()} certainty. {self.meaning}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.explain()

    def as_series(self) -> pd.Series:
        """One row of an evidence profile."""
        row: dict[str, Any] = {
            "outcome": self.outcome,
            "n_studies": self.n_studies if self.n_studies is not None else pd.NA,
            "design": self.design,
            "start": self.start,
        }
        for domain in DOWNGRADE_DOMAINS:
            row[domain] = int(self.downgrades.get(domain, 0))
        for domain in UPGRADE_DOMAINS:
            row[domain] = int(self.upgrades.get(domain, 0))
        row["effect"] = self.effect
        row["certainty"] = self.level
        row["reasons"] = "; ".join(f"{_DOMAIN_WORDS[d]}: {r}" for d, r in self.reasons.items() if r)
        return pd.Series(row, name=self.outcome)


def _check_domains(given: Mapping[str, Any] | None, allowed: Iterable[str], kind: str) -> dict[str, int]:
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise GradeError(f"{kind} must be a dict such as {{'risk_of_bias': -1}}, got {type(given).__name__}")
    allowed = list(allowed)
    out: dict[str, int] = {}
    for domain, value in given.items():
        if domain not in allowed:
            other = list(UPGRADE_DOMAINS) if kind == "downgrades" else list(DOWNGRADE_DOMAINS)
            if domain in other:
                hint = (f" {domain!r} is a reason to rate {'up' if kind == 'downgrades' else 'down'}: "
                        f"put it in {'upgrades' if kind == 'downgrades' else 'downgrades'}.")
            else:
                close = difflib.get_close_matches(str(domain), allowed + other, n=1, cutoff=0.6)
                hint = f" Did you mean {close[0]!r}?" if close else ""
            raise GradeError(
                f"unknown {kind[:-1]} domain {domain!r}.{hint} GRADE's {kind} domains are: {', '.join(allowed)}."
            )
        if isinstance(value, bool) or not isinstance(value, int):
            raise GradeError(f"{kind} for {domain!r} must be a whole number of levels, got {value!r}")
        out[domain] = value
    return out


def assess_certainty(
    design: str,
    *,
    outcome: str = "",
    downgrades: Mapping[str, int] | None = None,
    upgrades: Mapping[str, int] | None = None,
    reasons: Mapping[str, str] | None = None,
    n_studies: int | None = None,
    effect: str = "",
) -> Certainty:
    """Rate the certainty of a body of evidence for one outcome, GRADE-style.

    Parameters
    ----------
    design : {"randomised", "observational"}
        The design of the body of evidence; sets the starting level (high / low).
    outcome : str
        The outcome (or claim) the evidence is about.
    downgrades : dict, optional
        Domain → 0, −1 (serious concern) or −2 (very serious concern), for the
        domains in :data:`DOWNGRADE_DOMAINS`.  Domains left out count as 0.
    upgrades : dict, optional
        Domain → levels to rate up, for observational evidence only:
        ``large_effect`` 0/1/2 (see :func:`large_effect_upgrade`), ``dose_response``
        0/1, ``plausible_confounding`` 0/1.
    reasons : dict, optional
        Domain → a short reason, shown in the explanation and the profile.  Give
        one for every non-zero rating: GRADE asks graders to justify each step.
    n_studies : int, optional
        Number of studies in the body of evidence (shown in the profile).
    effect : str, optional
        A short statement of the effect estimate (shown in the profile).

    Returns
    -------
    Certainty
        ``.level`` ("high", "moderate", "low", "very low"), ``.explain()``,
        ``.as_series()``.

    Raises
    ------
    GradeError
        An unknown design or domain; a downgrade that is not 0, −1 or −2; an
        upgrade outside its range; any upgrade for randomised evidence; ratings
        that add up to below *very low* or above *high*; a reason given for a
        domain that does not exist.

    Examples
    --------
    >>> assess_certainty("randomised", downgrades={"imprecision": -1}).level
    'moderate'
    >>> assess_certainty("observational", upgrades={"large_effect": 2}).level
    'high'
    """
    kind = _design(design)
    start = "high" if kind == "randomised" else "low"
    down = _check_domains(downgrades, DOWNGRADE_DOMAINS, "downgrades")
    up = _check_domains(upgrades, UPGRADE_DOMAINS, "upgrades")
    why = dict(reasons or {})
    for domain in why:
        if domain not in DOWNGRADE_DOMAINS and domain not in UPGRADE_DOMAINS:
            raise GradeError(
                f"a reason was given for {domain!r}, which is not a GRADE domain; domains are "
                f"{', '.join(DOWNGRADE_DOMAINS + tuple(UPGRADE_DOMAINS))}"
            )
    for domain, value in down.items():
        if value not in (0, -1, -2):
            hint = " (write downgrades as negative numbers)" if value in (1, 2) else ""
            raise GradeError(
                f"downgrade for {domain!r} must be 0, -1 (serious) or -2 (very serious), got {value}{hint}"
            )
    for domain, value in up.items():
        top = UPGRADE_DOMAINS[domain]
        if not 0 <= value <= top:
            raise GradeError(f"upgrade for {domain!r} must be between 0 and {top}, got {value}")
    if kind == "randomised" and any(up.values()):
        named = ", ".join(d for d, v in up.items() if v)
        raise GradeError(
            f"upgrades ({named}) were claimed for randomised evidence. GRADE rates up only observational "
            "evidence (GRADE guidelines 9, Guyatt et al. 2011): randomised evidence already starts at 'high'. "
            "Remove the upgrades, or set design='observational' if the studies were not randomised."
        )
    score = LEVELS.index(start) + 1
    steps: list[Step] = []
    for domain in DOWNGRADE_DOMAINS:
        change = down.get(domain, 0)
        score += change
        if score < 1:
            total = sum(down.values())
            raise GradeError(
                f"the downgrades add up to {total} levels from '{start}', which would go below 'very low' "
                f"(at {_DOMAIN_WORDS[domain]}). GRADE has no level below very low: record only as many "
                "levels as reach 'very low' (for example −1 instead of −2 where the concern is less central) "
                "and describe the remaining concerns in `reasons`."
            )
        steps.append(Step(domain, change, LEVELS[score - 1], why.get(domain, "")))
    notes: list[str] = []
    if any(up.values()) and any(down.values()):
        notes.append(
            "GRADE rates up rigorous observational evidence (K2); rating up after rating down needs a "
            "particularly clear justification."
        )
    for domain in UPGRADE_DOMAINS:
        change = up.get(domain, 0)
        score += change
        if score > len(LEVELS):
            raise GradeError(
                f"the upgrades would take the rating above 'high' (at {_DOMAIN_WORDS[domain]}). GRADE has no "
                "level above high: record only the upgrades needed to reach it."
            )
        steps.append(Step(domain, change, LEVELS[score - 1], why.get(domain, "")))
    missing_reason = [d for d, v in {**down, **up}.items() if v and not why.get(d)]
    if missing_reason:
        notes.append("no reason recorded for: " + ", ".join(_DOMAIN_WORDS[d] for d in missing_reason) + ".")
    return Certainty(
        outcome=outcome,
        design=kind,
        start=start,
        level=LEVELS[score - 1],
        downgrades=down,
        upgrades=up,
        reasons=why,
        steps=tuple(steps),
        n_studies=n_studies,
        effect=effect,
        notes=tuple(notes),
    )


def evidence_profile(assessments: Iterable[Certainty]) -> pd.DataFrame:
    """An evidence profile: one row per outcome with every rating and the certainty.

    Columns: ``n_studies``, ``design``, ``start``, the five downgrade domains
    (0/−1/−2), the three upgrade domains, ``effect``, ``certainty`` (an ordered
    categorical, very low < low < moderate < high), ``meaning`` and ``reasons``;
    indexed by ``outcome``.

    Parameters
    ----------
    assessments : iterable of Certainty
        One assessment per outcome, from :func:`assess_certainty`.

    Returns
    -------
    pandas.DataFrame
        One row per outcome: the start level, every domain's rating and reason, the certainty.

    Examples
    --------
    >>> p = evidence_profile([assess_certainty("randomised", outcome="A"),
    ...                       assess_certainty("observational", outcome="B")])
    >>> p["certainty"].tolist()
    ['high', 'low']
    """
    items = list(assessments)
    if not items:
        raise GradeError("evidence_profile needs at least one assessment (from assess_certainty)")
    bad = [type(a).__name__ for a in items if not isinstance(a, Certainty)]
    if bad:
        raise GradeError(f"evidence_profile takes results of assess_certainty, got {', '.join(bad)}")
    outcomes = [a.outcome for a in items]
    duplicated = sorted({o for o in outcomes if outcomes.count(o) > 1})
    if duplicated:
        raise GradeError(f"each outcome may appear once in a profile; repeated: {duplicated}")
    frame = pd.DataFrame([a.as_series() for a in items]).set_index("outcome")
    frame["n_studies"] = frame["n_studies"].astype("Int64")
    frame["certainty"] = pd.Categorical(frame["certainty"], categories=list(LEVELS), ordered=True)
    frame.insert(frame.columns.get_loc("certainty") + 1, "meaning", [LEVEL_MEANING[a.level] for a in items])
    for column in list(DOWNGRADE_DOMAINS) + list(UPGRADE_DOMAINS):
        frame[column] = frame[column].astype("int64")
    return frame


def profile_from_table(table: pd.DataFrame) -> pd.DataFrame:
    """Build an evidence profile from a table of judgements (one row per outcome).

    The table needs the columns ``outcome`` and ``design``; it may have any of the
    domain columns (missing ones count as 0), ``n_studies``, ``effect`` and, for
    reasons, columns named ``<domain>_reason``.  Any other column is an error
    (so a misspelt domain is never ignored).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per outcome with the design and the judgement for each domain (the columns
        :func:`assess_certainty` takes as arguments).

    Returns
    -------
    pandas.DataFrame
        The evidence profile, as :func:`evidence_profile` returns it.

    Examples
    --------
    >>> t = pd.DataFrame({"outcome": ["A"], "design": ["observational"], "risk_of_bias": [-1],
    ...                   "risk_of_bias_reason": ["not adjusted"]})
    >>> profile_from_table(t).loc["A", "certainty"]
    'very low'
    """
    if not isinstance(table, pd.DataFrame):
        raise GradeError(f"profile_from_table takes a DataFrame, got {type(table).__name__}")
    for needed in ("outcome", "design"):
        if needed not in table.columns:
            raise GradeError(f"the judgements table needs a column {needed!r}")
    domains = list(DOWNGRADE_DOMAINS) + list(UPGRADE_DOMAINS)
    known = {"outcome", "design", "n_studies", "effect"} | set(domains) | {f"{d}_reason" for d in domains}
    unknown = [c for c in table.columns if c not in known]
    if unknown:
        hints = []
        for column in unknown:
            close = difflib.get_close_matches(column, sorted(known), n=1, cutoff=0.6)
            hints.append(f"{column!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise GradeError(f"unknown column(s) in the judgements table: {', '.join(hints)}")
    assessments = []
    for _, row in table.iterrows():
        down = {d: int(row[d]) for d in DOWNGRADE_DOMAINS if d in table.columns and not pd.isna(row[d])}
        up = {d: int(row[d]) for d in UPGRADE_DOMAINS if d in table.columns and not pd.isna(row[d])}
        why = {d: str(row[f"{d}_reason"]) for d in domains
               if f"{d}_reason" in table.columns and not pd.isna(row[f"{d}_reason"]) and str(row[f"{d}_reason"])}
        n = row["n_studies"] if "n_studies" in table.columns and not pd.isna(row["n_studies"]) else None
        assessments.append(
            assess_certainty(
                str(row["design"]), outcome=str(row["outcome"]), downgrades=down, upgrades=up, reasons=why,
                n_studies=int(n) if n is not None else None,
                effect=str(row["effect"]) if "effect" in table.columns and not pd.isna(row["effect"]) else "",
            )
        )
    return evidence_profile(assessments)


#: GRADE guidelines 26 (Santesso N et al. J Clin Epidemiol 2020;119:126–135,
#: doi:10.1016/j.jclinepi.2019.10.014): findings are worded by certainty —
#: high "results in", moderate "likely results in", low "may result in".
#: For very low certainty the course says the evidence is very uncertain (K3).
_VERBS = {"high": "results in", "moderate": "likely results in", "low": "may result in"}


def plain_language(level: str | Certainty, intervention: str, effect: str) -> str:
    """A one-sentence plain-language statement whose wording matches the certainty.

    Parameters
    ----------
    level : str or Certainty
        "high", "moderate", "low" or "very low" (or an assessment).
    intervention : str
        What was given or done, e.g. "kratom".
    effect : str
        The effect as a noun phrase, e.g. "a small increase in pain tolerance".

    Returns
    -------
    str
        One sentence whose hedging matches the certainty level.

    Examples
    --------
    >>> plain_language("low", "Kratom", "an increase in cold-pressor pain tolerance")
    'Kratom may result in an increase in cold-pressor pain tolerance.'
    >>> plain_language("very low", "kratom", "lower cortisol")
    'The evidence is very uncertain about whether kratom results in lower cortisol.'
    """
    key = level.level if isinstance(level, Certainty) else level
    if key not in LEVELS:
        raise GradeError(f"level must be one of {', '.join(LEVELS)}, got {key!r}")
    for name, text in (("intervention", intervention), ("effect", effect)):
        if not isinstance(text, str) or not text.strip():
            raise GradeError(f"{name} must be a non-empty phrase, got {text!r}")
    intervention, effect = intervention.strip(), effect.strip().rstrip(".")
    if key == "very low":
        return f"The evidence is very uncertain about whether {intervention} results in {effect}."
    return f"{intervention} {_VERBS[key]} {effect}."


EVIDENCE_TYPES: tuple[str, ...] = (
    "human trial", "human observational", "animal experiment", "in vitro", "review", "regulatory statement",
)


def evidence_map(claims: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    """How many distinct studies of each kind bear on each claim.

    Parameters
    ----------
    claims : DataFrame
        ``kratom_claims`` (needs ``claim_id`` and ``study_ids``, ';'-separated).
    studies : DataFrame
        ``kratom_studies`` (needs ``study_id`` and ``evidence_type``).

    Returns
    -------
    pandas.DataFrame
        One row per claim (index ``claim_id``), one column per evidence type
        (human trial, human observational, animal experiment, in vitro, review,
        regulatory statement), counts of distinct studies; 0 where none.

    Raises
    ------
    KeyError
        A required column is missing, or a claim points to a study_id that is not in ``studies``.

    Examples
    --------
    >>> import course_utils as cu
    >>> m = evidence_map(cu.load("kratom_claims"), cu.load("kratom_studies"))
    >>> int(m.loc["K04", "animal experiment"]), int(m.loc["K04", "human trial"])
    (1, 0)
    """
    for frame, needed, name in ((claims, ("claim_id", "study_ids"), "claims"),
                                (studies, ("study_id", "evidence_type"), "studies")):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise KeyError(f"{name} lacks column(s) {missing}; pass cu.load('kratom_claims') and cu.load('kratom_studies')")
    kinds = studies.drop_duplicates("study_id").set_index("study_id")["evidence_type"].astype(str)
    rows = {}
    for claim_id, cell in zip(claims["claim_id"], claims["study_ids"]):
        ids = [] if pd.isna(cell) or not str(cell).strip() else [x.strip() for x in str(cell).split(";")]
        unknown = [x for x in ids if x not in kinds.index]
        if unknown:
            raise KeyError(f"claim {claim_id} points to study_id(s) {unknown} that are not in the studies table")
        counts = kinds.loc[ids].value_counts() if ids else pd.Series(dtype="int64")
        rows[claim_id] = {kind: int(counts.get(kind, 0)) for kind in EVIDENCE_TYPES}
    frame = pd.DataFrame.from_dict(rows, orient="index")[list(EVIDENCE_TYPES)]
    frame.index.name = "claim_id"
    return frame
