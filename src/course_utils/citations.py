"""The course's own evidence base: look up a cited fact or reference.

Every figure the course takes from a publication is a row of the dataset
``course_facts`` (an id such as ``"E4"``, the statement in the course's words, the
figure, population, design, where in the source it stands, and confidence), and
every publication is a row of ``course_references`` (full citation, DOI or URL).
Lessons cite facts by id; these functions print a citation a learner can follow,
without anything outside the repository.

Examples
--------
>>> import course_utils as cu
>>> print(cu.fact("R3"))  # doctest: +NORMALIZE_WHITESPACE
R3. The MRC streptomycin trial allocated 55 patients to streptomycin and 52 to bed rest;
4 and 14 died.
  Figure: 4/55 vs 14/52 deaths (patients with pulmonary tuberculosis, UK; randomised trial)
  Where: primary source (abstract or full text) · confidence: high (counts); the time window of the deaths was not verified
  Source: [mrc1948] Medical Research Council. Streptomycin treatment of pulmonary tuberculosis.
  BMJ 1948;2:769–782. (DOI not verified; the counts are also reported in Senn S, Dicing with Death.)
>>> cu.reference("palamar2021").link
'https://doi.org/10.1016/j.amepre.2021.02.004'
"""

from __future__ import annotations

import difflib
import textwrap
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

__all__ = ["Fact", "Reference", "fact", "reference", "facts", "references", "UnknownCitation"]


class UnknownCitation(KeyError):
    """A fact or reference id that is not in the course's evidence base."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0])


@dataclass(frozen=True)
class Reference:
    """One publication the course cites (a row of ``course_references``)."""

    id: str
    citation: str
    doi: str
    url: str
    kind: str
    note: str

    @property
    def link(self) -> str:
        """Where to read it: the DOI as a URL, else the URL, else ``""``."""
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return self.url

    def __str__(self) -> str:
        text = f"[{self.id}] {self.citation}"
        if self.link:
            text += f" {self.link}"
        if self.note:
            text += f" ({self.note})"
        return text

    def _repr_markdown_(self) -> str:
        link = f" <{self.link}>" if self.link else ""
        note = f" *({self.note})*" if self.note else ""
        return f"**[{self.id}]** {self.citation}{link}{note}"


@dataclass(frozen=True)
class Fact:
    """One verified figure the course cites (a row of ``course_facts``)."""

    id: str
    statement: str
    figure: str
    population: str
    design: str
    reference_ids: tuple[str, ...]
    location: str
    confidence: str

    @property
    def references(self) -> tuple[Reference, ...]:
        """The publications the fact comes from."""
        return tuple(reference(r) for r in self.reference_ids)

    def __str__(self) -> str:
        lines = textwrap.wrap(f"{self.id}. {self.statement}", width=96)
        context = "; ".join(p for p in (self.population, self.design) if p and p != "—")
        lines.append(f"  Figure: {self.figure}" + (f" ({context})" if context else ""))
        lines.append(f"  Where: {self.location} · confidence: {self.confidence}")
        for ref in self.references:
            wrapped = textwrap.wrap(str(ref), width=94)
            lines.append("  Source: " + wrapped[0])
            lines.extend("  " + w for w in wrapped[1:])
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        sources = "; ".join(r._repr_markdown_() for r in self.references)
        return (
            f"**{self.id}.** {self.statement}  \nFigure: {self.figure} · {self.population} · {self.design}  \n"
            f"Where: {self.location} · confidence: {self.confidence}  \nSource: {sources}"
        )


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA else str(value)


@lru_cache(maxsize=1)
def _facts() -> dict[str, Fact]:
    from course_utils.datasets import load

    table = load("course_facts")
    return {
        _text(row.id): Fact(
            id=_text(row.id),
            statement=_text(row.statement),
            figure=_text(row.figure),
            population=_text(row.population),
            design=_text(row.design),
            reference_ids=tuple(r.strip() for r in _text(row.reference_id).split(";") if r.strip()),
            location=_text(row.location),
            confidence=_text(row.confidence),
        )
        for row in table.itertuples(index=False)
    }


@lru_cache(maxsize=1)
def _references() -> dict[str, Reference]:
    from course_utils.datasets import load

    table = load("course_references")
    return {
        _text(row.id): Reference(
            id=_text(row.id),
            citation=_text(row.citation),
            doi=_text(row.doi),
            url=_text(row.url),
            kind=_text(row.kind),
            note=_text(row.note),
        )
        for row in table.itertuples(index=False)
    }


def _unknown(kind: str, key: object, known: list[str], other: list[str], other_kind: str) -> UnknownCitation:
    if not isinstance(key, str):
        return UnknownCitation(f"a {kind} id is text such as {known[0]!r}, got {type(key).__name__} {key!r}")
    if key in other:
        return UnknownCitation(f"{key!r} is not a {kind} id but a {other_kind} id: use cu.{other_kind}({key!r})")
    close = difflib.get_close_matches(key, known, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return UnknownCitation(
        f"{key!r} is not a {kind} in the course's evidence base.{hint} "
        f"cu.{kind}s() lists all {len(known)} of them."
    )


def fact(fact_id: str) -> Fact:
    """A cited fact by its id (for example ``"E4"``); print it for the full citation.

    Parameters
    ----------
    fact_id : str
        The id used in the lessons, e.g. ``"B3"``.

    Returns
    -------
    Fact
        With ``statement``, ``figure``, ``location``, ``confidence`` and its ``references``.

    Raises
    ------
    UnknownCitation
        If the id is not in ``course_facts`` (the message suggests close ids).

    Examples
    --------
    >>> fact("B3").figure.split(";")[0]
    'MDE RRR 2.04 (1.24–3.34)'
    >>> fact("Z9")
    Traceback (most recent call last):
    ...
    course_utils.citations.UnknownCitation: 'Z9' is not a fact in the course's evidence base. cu.facts() lists all 79 of them.
    """
    table = _facts()
    if isinstance(fact_id, str) and fact_id.strip() in table:
        return table[fact_id.strip()]
    raise _unknown("fact", fact_id, sorted(table), sorted(_references()), "reference")


def reference(reference_id: str) -> Reference:
    """A publication by its id (for example ``"palamar2021"``).

    Parameters
    ----------
    reference_id : str
        The id in ``course_references`` (first author or agency and year).

    Returns
    -------
    Reference
        With ``citation``, ``doi``, ``url``, ``link`` and ``note``.

    Raises
    ------
    UnknownCitation
        If the id is unknown; a fact id gets a pointer to :func:`fact`.

    Examples
    --------
    >>> reference("vanderweele2017").link
    'https://pubmed.ncbi.nlm.nih.gov/28693043/'
    >>> reference("R2")
    Traceback (most recent call last):
    ...
    course_utils.citations.UnknownCitation: 'R2' is not a reference id but a fact id: use cu.fact('R2')
    """
    table = _references()
    if isinstance(reference_id, str) and reference_id.strip() in table:
        return table[reference_id.strip()]
    raise _unknown("reference", reference_id, sorted(table), sorted(_facts()), "fact")


def facts() -> pd.DataFrame:
    """Every fact, as the ``course_facts`` table.

    Returns
    -------
    pandas.DataFrame
        One row per fact.

    Examples
    --------
    >>> len(facts()) >= 60
    True
    """
    from course_utils.datasets import load

    return load("course_facts")


def references() -> pd.DataFrame:
    """Every reference, as the ``course_references`` table.

    Returns
    -------
    pandas.DataFrame
        One row per publication.

    Examples
    --------
    >>> "palamar2021" in set(references()["id"])
    True
    """
    from course_utils.datasets import load

    return load("course_references")
