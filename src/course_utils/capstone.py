"""Checkpoints for the capstone (lesson 12): structure and consistency of a student's own work.

The capstone has no single right answer: each student chooses an option (A–F), asks
their own question and reaches their own verdict.  Its checkpoints therefore check
that each part of the report is *complete and consistent*, not that it equals a
model answer:

==========  ===========================  ==============================================
checkpoint  answer                       what it checks (:func:`check_*`)
==========  ===========================  ==============================================
``12.1``    ``pico`` (dict)              an option A–F; population, exposure,
                                         comparison, outcome and the question filled in
``12.2``    ``diagram`` (dict)           a valid diagram holding the exposure, the outcome
                                         and a directed path between them; at least one
                                         confounder (or, for a randomised exposure, no
                                         arrow into it and another cause of the outcome);
                                         the adjusted set blocks every back-door path it can
``12.3``    ``analysis`` (dict)          a result with a finite estimate inside its 95% CI,
                                         from the option's dataset, ``n`` matching the
                                         dataset's rows or the stated subset ``rows``
``12.4``    ``threats`` (dict)           confounding, selection, measurement and chance,
                                         each with a reason in words
``12.5``    ``grading`` (dict)           a :func:`course_utils.evidence.assess_certainty`
                                         result with a reason for every GRADE domain and
                                         the starting design that fits the option
``12.6``    ``appraisal`` (dict)         at most 250 words that state the certainty of
                                         the grade (and no other), word the finding to
                                         match it, say what would change the verdict,
                                         and give no treatment advice
==========  ===========================  ==============================================

Each ``check_*`` function is pure: it takes the answer and returns a list of
problems, each saying what is missing and what to do; an empty list means the
checkpoint passes.  The exercise engine calls them as exercises of kind
``"rule"`` (``src/course_utils/exercises/12.json``): a check cell is
``check("12.1", pico)``, and ``hint("12.1")`` gives the next hint.

Examples
--------
>>> from course_utils import capstone
>>> capstone.check_pico({"option": "B", "population": "adults with depression in primary care",
...     "exposure": "computerised CBT (Beat the Blues)", "comparison": "treatment as usual",
...     "outcome": "BDI-II score after treatment",
...     "question": "In adults with depression, does Beat the Blues lower BDI-II scores compared with usual care?"})
[]
>>> capstone.check_pico({"option": "B", "population": ..., "exposure": "x y", "comparison": "x y",
...                      "outcome": "BDI score", "question": "Does it work?"})[0]
'Fill in the population: who the question is about (P of PICO), e.g. "adults with depression treated in primary care".'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import EllipsisType
from typing import TYPE_CHECKING, Any, TypedDict

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from typing_extensions import Unpack

__all__ = [
    "OPTIONS",
    "Option",
    "check_pico",
    "check_diagram",
    "check_analysis",
    "check_threats",
    "check_grade",
    "check_appraisal",
    "stated_certainty",
    "unanswered",
    "answer",
    "show_diagram",
]

#: The words of a report that cannot be checked for meaning are checked for length: at least this many.
MIN_REASON_WORDS = 4
MAX_APPRAISAL_WORDS = 250
MIN_APPRAISAL_WORDS = 60


@dataclass(frozen=True)
class Option:
    """One capstone option: its question, the datasets it may use and the design of its evidence."""

    letter: str
    title: str
    datasets: tuple[str, ...]
    design: str  # "randomised" or "observational": where GRADE starts for the body of evidence
    dataset_prefix: str = ""  # any dataset whose name starts with this also belongs to the option


#: The six options of the capstone (the table in section 2 of the lesson).
OPTIONS: dict[str, Option] = {
    "A": Option("A", "kratom use and depression (synthetic survey, published estimates)",
                ("synthetic_nsduh", "kratom_studies"), "observational"),
    "B": Option("B", "computerised CBT (Beat the Blues) and depression scores", ("btheb",), "randomised"),
    "C": Option("C", "BCG vaccine and tuberculosis (meta-analysis of trials)", ("bcg",), "randomised"),
    "D": Option("D", "quitting smoking and weight gain (NHEFS cohort)", ("nhefs",), "observational"),
    "E": Option("E", "how common kratom use is, and why published figures disagree",
                ("synthetic_nsduh", "kratom_prevalence"), "observational"),
    "F": Option("F", "a history of major depression and relapse in the X:BOT trial (CTN-0094)",
                (), "observational", dataset_prefix="ctn0094_"),
}

#: The column that identifies a row (a person, a trial, an estimate) in each dataset an option may use.
ID_COLUMNS: dict[str, str] = {
    "synthetic_nsduh": "QUESTID2",
    "kratom_studies": "finding_id",
    "btheb": "patient_id",
    "bcg": "study",
    "nhefs": "seqn",
    "kratom_prevalence": "estimate_id",
}
_CTN_ID = "who"

_PICO_FIELDS: dict[str, tuple[str, str]] = {
    "population": ("the population", 'who the question is about (P of PICO), e.g. "adults with depression treated in primary care"'),
    "exposure": ("the exposure", 'the intervention or exposure (I/E of PICO), e.g. "computerised CBT (Beat the Blues)"'),
    "comparison": ("the comparison", 'what the exposure is compared with (C of PICO), e.g. "treatment as usual"'),
    "outcome": ("the outcome", 'what is measured, with its scale and time (O of PICO), e.g. "BDI-II score at 8 months"'),
    "question": ("the question", "the question in one sentence, ending with a question mark"),
}
_THREATS: dict[str, str] = {
    "confounding": "common causes of exposure and outcome that were not (or could not be) adjusted for",
    "selection": "who is in the data and who is missing (sampling, drop-out, survival)",
    "measurement": "how exposure and outcome were measured (self-report, scales, timing)",
    "chance": "how wide the interval is and what it rules out",
}
_PLACEHOLDER_TEXT = re.compile(r"^\s*(\.\.\.|…|todo|tbd|your answer( here)?|fill in|xxx+)\s*\.?\s*$", re.I)


# --------------------------------------------------------------------------- small helpers


def _is_placeholder(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip() or bool(_PLACEHOLDER_TEXT.match(value))
    return value is ... or value is None


def _words(text: str) -> list[str]:
    return re.findall(r"[\w’'’-]+", text)


def unanswered(answer: object) -> bool:
    """True when an answer is still the starting cell's placeholder (``...``) everywhere.

    A dict counts as unanswered when every value other than ``option`` is ``...``
    (or ``None``), so that an untouched starting cell is reported as *not answered
    yet* rather than as wrong.

    Parameters
    ----------
    answer : object
        A checkpoint's answer: usually a dict, or ``...`` itself.  Empty text and
        placeholder text such as ``"TODO"`` count as unanswered too.

    Returns
    -------
    bool
        True if nothing has been filled in yet.

    Examples
    --------
    >>> unanswered(...), unanswered({"option": ..., "population": ..., "exposure": ...})
    (True, True)
    >>> unanswered({"option": "B", "population": "adults", "exposure": ...})
    False
    """
    if _is_placeholder(answer):
        return True
    if isinstance(answer, Mapping):
        values = [v for k, v in answer.items() if k != "option"]
        return bool(values) and all(_is_placeholder(v) for v in values)
    return False


def answer(**fields: object) -> dict[str, object] | EllipsisType:
    """Collect the parts of one checkpoint's answer into a dict (``...`` while none is filled in).

    The starting cells end with ``pico = capstone.answer(option=option, population=population, ...)``.
    While every part (other than ``option``) is still the placeholder ``...``, the
    result is ``...`` itself, so the check says *not answered yet* instead of
    listing every empty field.

    Parameters
    ----------
    **fields : object
        The parts of the answer by name, e.g. ``option``, ``population``.

    Returns
    -------
    dict or Ellipsis
        The parts as a dict, or ``...`` while none of them (other than
        ``option``) is filled in (see :func:`unanswered`).

    Examples
    --------
    >>> answer(option="B", population=..., outcome=...)
    Ellipsis
    >>> answer(option="B", population="adults", outcome=...)
    {'option': 'B', 'population': 'adults', 'outcome': Ellipsis}
    """
    return ... if unanswered(fields) else dict(fields)


def _require_mapping(answer: Any, what: str, keys: Iterable[str]) -> list[str]:
    if not isinstance(answer, Mapping):
        listed = ", ".join(keys)
        return [f"{what} should be a dict with the keys {listed} (the starting cell builds it); "
                f"got {type(answer).__name__}. Run the starting cell again and fill in its `...`."]
    return []


def _option(answer: Mapping[str, Any]) -> tuple[Option | None, list[str]]:
    value = answer.get("option", ...)
    if _is_placeholder(value):
        return None, ['Choose your option first: set `option = "A"` (or "B" … "F") in the cell under '
                      '"Your choice", run it, then run this cell again.']
    key = str(value).strip().upper() if isinstance(value, str) else None
    if key not in OPTIONS:
        return None, [f"option is {value!r}; it should be one of the letters {', '.join(OPTIONS)} (a string, e.g. \"B\")."]
    return OPTIONS[key], []


def _text_problem(value: Any, name: str, explain: str, min_words: int) -> str | None:
    if _is_placeholder(value):
        return f"Fill in {name}: {explain}."
    if not isinstance(value, str):
        return f"{name.capitalize()} should be text (a str in quotes), got {type(value).__name__}: {explain}."
    if len(_words(value)) < min_words:
        return f"{name.capitalize()} ({value.strip()!r}) is too short: write at least {min_words} words, {explain}."
    return None


# --------------------------------------------------------------------------- 12.1 question


def check_pico(answer: object) -> list[str]:
    """Checkpoint 12.1: the question as PICO, every field filled in.

    Parameters
    ----------
    answer : dict
        ``option`` ("A"–"F"), ``population``, ``exposure`` (``intervention`` is
        accepted instead), ``comparison``, ``outcome``, ``question`` — text.

    Returns
    -------
    list of str
        The problems found (empty: the checkpoint passes).

    Examples
    --------
    >>> check_pico({"option": "Z"})[0]
    'option is \\'Z\\'; it should be one of the letters A, B, C, D, E, F (a string, e.g. "B").'
    """
    problems = _require_mapping(answer, "Your PICO answer", ["option", *_PICO_FIELDS])
    if problems:
        return problems
    assert isinstance(answer, Mapping)  # _require_mapping has checked it
    answer = dict(answer)
    if "exposure" not in answer and "intervention" in answer:
        answer["exposure"] = answer["intervention"]
    _, problems = _option(answer)
    for key, (name, explain) in _PICO_FIELDS.items():
        min_words = 6 if key == "question" else 2
        problem = _text_problem(answer.get(key, ...), name, explain, min_words)
        if problem:
            problems.append(problem)
    if problems:
        return problems
    if answer["exposure"].strip().lower() == answer["comparison"].strip().lower():
        problems.append("The comparison is the same as the exposure: say what the exposure is compared with "
                        '(e.g. "no vaccination", "treatment as usual", "kept smoking").')
    if not answer["question"].strip().endswith("?"):
        problems.append("Write the question as a question, ending with a question mark.")
    return problems


# --------------------------------------------------------------------------- 12.2 diagram


def check_diagram(answer: object) -> list[str]:
    """Checkpoint 12.2: a causal diagram that holds the question and justifies the adjustment.

    Parameters
    ----------
    answer : dict
        ``edges`` (a list of ``(cause, effect)`` pairs, as for
        :func:`course_utils.dags.draw_dag`), ``exposure`` and ``outcome`` (node
        names), ``adjusted`` (the variables the analysis adjusts for, possibly
        empty), optionally ``unobserved`` (unmeasured nodes) and ``randomised``
        (True when the exposure was assigned at random).

    Returns
    -------
    list of str
        The problems found (empty: the checkpoint passes).  Checked: the diagram
        is acyclic; exposure and outcome are nodes with a directed path from one to
        the other; at least one confounder (a common cause) — or, for a randomised
        exposure, no arrow into the exposure except from the randomisation, and at
        least one other cause of the outcome; the adjusted set holds no exposure,
        outcome, consequence of the exposure or of the outcome, or unmeasured
        variable; and it blocks every back-door path whenever some set of measured
        variables can.

    Examples
    --------
    >>> edges = [("pain", "kratom"), ("pain", "depression"), ("kratom", "depression")]
    >>> check_diagram({"edges": edges, "exposure": "kratom", "outcome": "depression", "adjusted": ["pain"]})
    []
    >>> check_diagram({"edges": edges, "exposure": "kratom", "outcome": "depression", "adjusted": []})[0][:60]
    'The adjusted set leaves a back-door path open: kratom ← pain'
    """
    import networkx as nx

    from course_utils import dags

    problems = _require_mapping(answer, "Your diagram answer", ["edges", "exposure", "outcome", "adjusted"])
    if problems:
        return problems

    assert isinstance(answer, Mapping)  # _require_mapping has checked it
    edges = answer.get("edges", ...)
    if _is_placeholder(edges):
        return ['Fill in edges: the arrows of your diagram as a list of (cause, effect) pairs, '
                'e.g. [("pain", "kratom"), ("pain", "depression"), ("kratom", "depression")].']
    try:
        graph = dags.as_digraph(edges)
    except dags.DagError as exc:
        return [f"The edges do not make a causal diagram: {exc}."]
    if graph.number_of_edges() == 0:
        return ["The diagram has no arrows: add the arrows (cause, effect) of your question."]
    nodes = ", ".join(repr(n) for n in graph.nodes)
    for role in ("exposure", "outcome"):
        value = answer.get(role, ...)
        if _is_placeholder(value):
            problems.append(f"Fill in {role}: the name of the {role} node in your diagram (one of {nodes}).")
        elif not isinstance(value, Hashable) or value not in graph:
            problems.append(f"The {role} {value!r} is not a node of your diagram; its nodes are {nodes}. "
                            "Use the same spelling in edges and here.")
    if problems:
        return problems
    exposure, outcome = answer["exposure"], answer["outcome"]
    if exposure == outcome:
        return ["Exposure and outcome are the same node: the diagram needs both, as two nodes."]
    if not nx.has_path(graph, exposure, outcome):
        problems.append(f"There is no directed path from {exposure!r} to {outcome!r}: draw the arrow of the effect "
                        f"your question asks about, ({exposure!r}, {outcome!r}), even if you think it may be null.")
        return problems
    unobserved = answer.get("unobserved", [])
    unobserved = [] if _is_placeholder(unobserved) else unobserved
    adjusted = answer.get("adjusted", [])
    if _is_placeholder(adjusted):
        return ["Fill in adjusted: the list of variables your analysis adjusts for ([] if none), "
                "each a node of the diagram."]
    if isinstance(adjusted, str) or not isinstance(adjusted, Iterable) or isinstance(unobserved, str) \
            or not isinstance(unobserved, Iterable):
        return ['adjusted and unobserved must be lists of node names, e.g. ["age", "sex"] (or []), '
                f"got {type(adjusted).__name__} and {type(unobserved).__name__}."]
    adjusted, unobserved = list(adjusted), list(unobserved)
    for name, members in (("adjusted", adjusted), ("unobserved", unobserved)):
        unknown = [m for m in members if not isinstance(m, Hashable) or m not in graph]
        if unknown:
            problems.append(f"{name} names {', '.join(repr(m) for m in unknown)}, not a node of your diagram "
                            f"(its nodes are {nodes}).")
    if problems:
        return problems
    randomised = answer.get("randomised", False)
    if _is_placeholder(randomised):
        return ["Fill in randomised: True if the exposure was assigned at random (options B and C), otherwise False."]
    if not isinstance(randomised, bool):
        return [f"randomised must be True or False, got {randomised!r}."]
    roles = dags.dag_roles(graph, exposure, outcome)
    confounders = [n for n in roles.index if roles.loc[n, "confounder"]]
    if randomised:
        parents = [p for p in graph.predecessors(exposure) if "random" not in str(p).lower()]
        if parents:
            problems.append(
                f"You say the exposure was randomised, yet {', '.join(repr(p) for p in parents)} has an arrow into "
                f"{exposure!r}. In a randomised comparison only the random allocation causes the arm: remove "
                "that arrow (keep the variable's arrow to the outcome), or set randomised=False.")
        others = [p for p in nx.ancestors(graph, outcome) if p != exposure and p not in nx.ancestors(graph, exposure)
                  and p not in nx.descendants(graph, exposure)]
        if not others:
            problems.append(
                f"Add at least one other cause of {outcome!r} (for example the baseline score or severity): "
                "randomisation balances such prognostic variables between the arms, and the diagram should "
                "show what it balanced.")
    elif not confounders:
        problems.append(
            f"The diagram has no confounder: add at least one common cause of {exposure!r} and {outcome!r} "
            "(a variable with a path into each, not through the exposure). If the exposure was randomised, "
            "set randomised=True.")
    if problems:
        return problems
    if exposure in adjusted or outcome in adjusted:
        return ["The adjusted set contains the exposure or the outcome: list only the other variables you adjust for."]
    hidden = [m for m in adjusted if m in unobserved]
    if hidden:
        return [f"{', '.join(repr(m) for m in hidden)} is marked unobserved, so it cannot be adjusted for: "
                "take it out of adjusted (it belongs in your threats)."]
    after_exposure = nx.descendants(graph, exposure)
    bad = [m for m in adjusted if m in after_exposure]
    if bad:
        return [f"{', '.join(repr(m) for m in bad)} is affected by the exposure (a mediator, or a consequence of "
                "the exposure or the outcome): adjusting for it blocks part of the effect or opens a path through a "
                "collider. Take it out of adjusted."]
    if not randomised and not dags.satisfies_backdoor(graph, exposure, outcome, adjusted):
        possible = dags.backdoor_adjustment_sets(graph, exposure, outcome, unobserved=unobserved, minimal=True) \
            if len(graph) <= dags.MAX_CANDIDATES + 2 else [()]
        if possible:
            paths = dags.dag_paths(graph, exposure, outcome, adjusted)
            open_path = paths[(paths["kind"] == "back-door") & paths["open"]]["path"]
            shown = open_path.iloc[0] if len(open_path) else "a path through a collider you adjusted for"
            problems.append(
                f"The adjusted set leaves a back-door path open: {shown}. Adjust for a measured variable on it "
                "(or explain in your diagram why the arrow is not there).")
        elif not unobserved:
            problems.append("No set of variables can block every back-door path, yet no variable is marked "
                            "unobserved: mark the unmeasured common causes in unobserved.")
    return problems


# --------------------------------------------------------------------------- 12.3 analysis


def _dataset_belongs(option: Option, dataset: str) -> bool:
    return dataset in option.datasets or bool(option.dataset_prefix and dataset.startswith(option.dataset_prefix))


def _allowed_datasets(option: Option) -> str:
    names = [repr(d) for d in option.datasets]
    if option.dataset_prefix:
        names.append(f"any dataset whose name starts {option.dataset_prefix!r}")
    return ", ".join(names)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number


def _ids(frame: pd.DataFrame, column: str | None) -> pd.Index | None:
    """The identifiers of a table's rows, from the column ``column`` or an index of that name."""
    if not column:
        return None
    if column in frame.columns:
        values = frame[column]
    elif column in (frame.index.names or []):
        values = frame.index.get_level_values(column).to_series()
    else:
        return None
    return pd.Index(pd.Series(values).dropna().unique())


def check_analysis(answer: object, *, load: Callable[[str], pd.DataFrame] | None = None) -> list[str]:
    """Checkpoint 12.3: an estimate with its 95% CI, computed from the option's dataset.

    Parameters
    ----------
    answer : dict
        ``option``; ``dataset`` (the name given to ``cu.load``); ``result`` — a
        result Series of the course's functions (``estimate``, ``ci_low``,
        ``ci_high``, ``n``), or a one-row DataFrame of them; optionally ``rows`` —
        the DataFrame the estimate was computed from, when that is a subset of
        the dataset (complete cases, one trial, one group).
    load : callable, optional
        How to load a dataset (default :func:`course_utils.datasets.load`); for tests.

    Returns
    -------
    list of str
        The problems found (empty: the checkpoint passes).  Checked: the fields
        exist and are finite numbers; ``ci_low <= estimate <= ci_high`` with a
        real interval; ``n`` is a whole number equal to the dataset's rows or to
        the rows of ``rows``, whose identifiers (e.g. ``patient_id``) all belong to
        the dataset.

    Examples
    --------
    >>> check_analysis({"option": "B", "dataset": ..., "result": ..., "rows": None})
    ["Fill in dataset: the name of the dataset you analysed, as given to cu.load (for option B: 'btheb')."]
    >>> check_analysis({"option": "B", "dataset": "nhefs", "result": ..., "rows": None})[0][:47]
    "dataset is 'nhefs', which is not a dataset of o"
    """
    problems = _require_mapping(answer, "Your analysis answer", ["option", "dataset", "result", "rows"])
    if problems:
        return problems
    assert isinstance(answer, Mapping)  # _require_mapping has checked it
    option, problems = _option(answer)
    if option is None:
        return problems
    dataset = answer.get("dataset", ...)
    if _is_placeholder(dataset):
        return [f"Fill in dataset: the name of the dataset you analysed, as given to cu.load (for option "
                f"{option.letter}: {_allowed_datasets(option)})."]
    if not isinstance(dataset, str) or not _dataset_belongs(option, dataset):
        return [f"dataset is {dataset!r}, which is not a dataset of option {option.letter}: use "
                f"{_allowed_datasets(option)} (the name you passed to cu.load)."]
    result = answer.get("result", ...)
    if _is_placeholder(result):
        return ["Fill in result: the result your analysis returned (a Series with estimate, ci_low, ci_high and n "
                "from one of the course's functions)."]
    if isinstance(result, pd.DataFrame):
        if len(result) != 1:
            return [f"result is a table of {len(result)} rows; choose the row of your main analysis, "
                    "e.g. table.loc['odds ratio'] or table.iloc[0]."]
        result = result.iloc[0]
    if not isinstance(result, (pd.Series, Mapping)):
        return [f"result should be the Series a course function returns (with estimate, ci_low, ci_high, n), "
                f"got {type(result).__name__}. A number typed by hand has no interval: keep the whole result."]
    fields = {}
    for key in ("estimate", "ci_low", "ci_high", "n"):
        if key not in result:
            problems.append(f"result has no {key!r}: pass the whole result of the course function "
                            "(it has estimate, se, ci_low, ci_high, n), not a part of it.")
            continue
        number = _as_number(result[key])
        if number is None or not math.isfinite(number):
            problems.append(f"result[{key!r}] is {result[key]!r}, not a finite number: check for missing values "
                            "or an empty selection before the analysis.")
        else:
            fields[key] = number
    if problems:
        return problems
    est, low, high, n = fields["estimate"], fields["ci_low"], fields["ci_high"], fields["n"]
    if not low < high:
        problems.append(f"The interval ({low:g} to {high:g}) is not an interval: ci_low must be below ci_high.")
    elif not low <= est <= high:
        problems.append(f"The estimate {est:g} lies outside its interval ({low:g} to {high:g}): estimate and "
                        "interval must be on the same scale (a ratio with a ratio CI, not a log-ratio).")
    if n <= 0 or n != int(n):
        problems.append(f"n is {n:g}; it should be the number of rows (people, trials) analysed, a positive whole number.")
    if problems:
        return problems
    if load is None:
        from course_utils.datasets import load as default_load

        load = default_load
    loader: Callable[[str], pd.DataFrame] = load
    try:
        data = loader(dataset)
    except Exception as exc:  # the loader's own message says what to do
        return [f"Could not load {dataset!r}: {exc}"]
    n = int(n)
    rows = answer.get("rows", None)
    if rows is None or rows is ...:
        if n != len(data):
            problems.append(
                f"n is {n}, but {dataset} has {len(data)} rows. If you analysed a subset (complete cases, one "
                "trial, a merged table), put that DataFrame in the answer as 'rows' so the checkpoint can "
                "compare n with it.")
        return problems
    if not isinstance(rows, pd.DataFrame):
        return [f"rows should be the DataFrame you analysed (a subset of {dataset}), got {type(rows).__name__}."]
    if n != len(rows):
        return [f"n is {n}, but rows has {len(rows)} rows: rows should be exactly the data the estimate was computed "
                "from (e.g. data.dropna(subset=[...]) when the function used complete cases)."]
    id_column = _CTN_ID if dataset.startswith("ctn0094_") else ID_COLUMNS.get(dataset)
    row_ids, data_ids = _ids(rows, id_column), _ids(data, id_column)
    if row_ids is not None and data_ids is not None:
        stray = row_ids.difference(data_ids)
        if len(stray):
            problems.append(f"rows holds {len(stray)} {id_column} value(s) that are not in {dataset} "
                            f"(e.g. {stray[0]!r}): the rows must come from the option's dataset.")
    elif len(rows) > len(data):
        problems.append(f"rows has {len(rows)} rows, more than {dataset} ({len(data)}): keep its identifier "
                        f"column{' ' + repr(id_column) if id_column else ''} so the checkpoint can match the rows.")
    return problems


# --------------------------------------------------------------------------- 12.4 threats


def check_threats(answer: object) -> list[str]:
    """Checkpoint 12.4: the threats to validity, each named and explained in words.

    Parameters
    ----------
    answer : dict
        ``confounding``, ``selection``, ``measurement`` and ``chance`` (text); any
        further threats under keys of your own (e.g. ``"attrition"``).

    Returns
    -------
    list of str
        The problems found (empty: the checkpoint passes).

    Examples
    --------
    >>> check_threats({"confounding": ..., "selection": ..., "measurement": ..., "chance": ...})[0][:40]
    'Fill in confounding: common causes of ex'
    """
    problems = _require_mapping(answer, "Your threats answer", list(_THREATS))
    if problems:
        return problems
    assert isinstance(answer, Mapping)  # _require_mapping has checked it
    for key, explain in _THREATS.items():
        problem = _text_problem(answer.get(key, ...), key, explain + " and their likely direction", MIN_REASON_WORDS + 4)
        if problem:
            problems.append(problem)
    for key, value in answer.items():
        if key not in _THREATS and not isinstance(value, str):
            problems.append(f"threat {key!r} should be explained in words (a str), got {type(value).__name__}.")
    return problems


# --------------------------------------------------------------------------- 12.5 grade


def check_grade(answer: object) -> list[str]:
    """Checkpoint 12.5: a GRADE-style certainty rating with a reason for every domain.

    Parameters
    ----------
    answer : dict
        ``option`` and ``grade``, the result of
        :func:`course_utils.evidence.assess_certainty` for the body of evidence.

    Returns
    -------
    list of str
        The problems found (empty: the checkpoint passes).  Checked: the grade
        comes from ``assess_certainty``; it names its outcome; it starts from the
        design of the option's evidence (randomised trials for B and C,
        observational studies for A, D, E and F); every downgrade domain
        (:data:`course_utils.evidence.DOWNGRADE_DOMAINS`) and every upgrade used
        has a reason of a few words — "no serious concern" is a reason too.

    Examples
    --------
    >>> check_grade({"option": "B", "grade": ...})
    ['Fill in grade: the result of cu.assess_certainty(design, outcome=..., downgrades=..., reasons=...).']
    >>> from course_utils import evidence
    >>> g = evidence.assess_certainty("observational", outcome="BDI-II score")
    >>> check_grade({"option": "B", "grade": g})[0][:56]
    "Option B starts as 'randomised' evidence (its evidence c"
    """
    from course_utils import evidence

    problems = _require_mapping(answer, "Your grading answer", ["option", "grade"])
    if problems:
        return problems

    assert isinstance(answer, Mapping)  # _require_mapping has checked it
    option, problems = _option(answer)
    if option is None:
        return problems
    grade = answer.get("grade", ...)
    if _is_placeholder(grade):
        return ["Fill in grade: the result of cu.assess_certainty(design, outcome=..., downgrades=..., reasons=...)."]
    if not isinstance(grade, evidence.Certainty):
        return [f"grade should be the result of cu.assess_certainty(...), got {type(grade).__name__}; "
                "it records the start, every rating and its reason."]
    if not grade.outcome.strip():
        problems.append("Name the outcome the grade is about: pass outcome=\"...\" to cu.assess_certainty.")
    if grade.design != option.design:
        why = ("its evidence comes from randomised trials" if option.design == "randomised"
               else "its question is answered by observational (non-randomised) comparisons")
        problems.append(f"Option {option.letter} starts as {option.design!r} evidence ({why}), but the grade starts "
                        f"from {grade.design!r}: change the first argument of cu.assess_certainty.")
    missing = [d for d in evidence.DOWNGRADE_DOMAINS if len(_words(str(grade.reasons.get(d, "")))) < MIN_REASON_WORDS - 1]
    missing += [d for d, v in grade.upgrades.items() if v and len(_words(str(grade.reasons.get(d, "")))) < MIN_REASON_WORDS - 1]
    if missing:
        problems.append(
            "Give a reason (a few words, in reasons={...}) for every GRADE domain, also where you do not rate "
            f"down (\"no serious concern: ...\"); missing or too short for: {', '.join(missing)}.")
    return problems


# --------------------------------------------------------------------------- 12.6 appraisal

_LEVEL_PATTERN = r"very\s+low|low|moderate|high"
_CERTAINTY_WORDS = r"certainty|confidence|certain|quality of (?:the )?evidence"
_CONDITIONAL = re.compile(r"\b(?:would|could|if|unless|until)\b|\b(?:rais|rise|lift|mov|lower|upgrad|downgrad)\w*\b[^.;!?]*\bto\b",
                          re.I)
_ADVICE = re.compile(
    r"\b(we|i) (?:would )?(?:recommend|advise|suggest)\b|\bis recommended\b|\bshould (?:not )?(?:take|use|try|start|avoid|"
    r"stop|quit|buy|switch to|be given|be prescribed)\b|\b(?:safe|effective) (?:treatment|option) for\b", re.I)
_OVERCLAIM = re.compile(r"\b(proves?|proven|definitely|certainly|conclusively|there is no doubt|establish(?:es|ed))\b", re.I)
_HEDGE = {
    "very low": re.compile(r"\bvery uncertain\b|\bcannot tell\b|\bdo(?:es)? not know\b|\bunknown\b", re.I),
    "low": re.compile(r"\bmay\b|\bmight\b|\bcould\b|\bpossibly\b|\buncertain\b", re.I),
    "moderate": re.compile(r"\bprobably\b|\blikely\b|\bprobable\b", re.I),
    "high": re.compile(r".", re.S),
}
_HEDGE_EXAMPLE = {
    "very low": '"the evidence is very uncertain about whether …"',
    "low": '"… may …"',
    "moderate": '"… probably …" or "… likely …"',
    "high": "",
}


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n\s*\n", text) if s.strip()]


def stated_certainty(text: str) -> list[str]:
    """The certainty levels a text states as its verdict, in order of first mention.

    A level counts when it stands next to a certainty word ("low certainty", "our
    certainty ... is very low", "confidence is moderate"), and GRADE's own wording
    "the evidence is very uncertain" counts as *very low*, in a sentence that is not
    conditional (sentences with *would*, *could*, *if* ... describe what would
    change the verdict, not the verdict).

    Parameters
    ----------
    text : str
        The appraisal (or any text).

    Returns
    -------
    list of str
        The levels found, each one of ``"high"``, ``"moderate"``, ``"low"`` and
        ``"very low"``; empty when the text states none.

    Examples
    --------
    >>> stated_certainty("Our certainty in any effect is very low. A trial could raise it to moderate.")
    ['very low']
    >>> stated_certainty("This is high-certainty evidence; low mood is common.")
    ['high']
    >>> stated_certainty("The evidence is very uncertain about whether kratom lowers cortisol.")
    ['very low']
    """
    found: list[str] = []
    level = rf"(?P<level>{_LEVEL_PATTERN})"
    before = re.compile(rf"\b{level}[\s-]+(?:{_CERTAINTY_WORDS})\b", re.I)
    after = re.compile(rf"\b(?:{_CERTAINTY_WORDS})\b[^.;:!?]{{0,80}}?\b(?:is|was|remains|are|as|:|—|-)\s+"
                       rf"(?:(?:therefore|only|still|at best|rated|graded|judged|now)\s+)*{level}\b", re.I)
    grade_very_low = re.compile(r"\bevidence is very uncertain\b", re.I)  # GRADE's wording for very low
    for sentence in _sentences(text):
        if _CONDITIONAL.search(sentence):
            continue
        hits = sorted([(m.start("level"), m.group("level")) for p in (before, after) for m in p.finditer(sentence)]
                      + [(m.start(), "very low") for m in grade_very_low.finditer(sentence)])
        for _, word in hits:
            key = re.sub(r"\s+", " ", word.lower())
            if key not in found:
                found.append(key)
    return found


def check_appraisal(answer: object) -> list[str]:
    """Checkpoint 12.6: a plain-language appraisal that states the grade's certainty and matches it.

    Parameters
    ----------
    answer : dict
        ``text`` (the appraisal, at most 250 words) and ``grade`` (the
        :func:`course_utils.evidence.assess_certainty` result of checkpoint 12.5).

    Returns
    -------
    list of str
        The problems found (empty: the checkpoint passes).  Checked: 60–250 words;
        the text states a certainty (see :func:`stated_certainty`), and it is the
        grade's level and no other; its wording matches the level (GRADE's
        plain-language verbs: *may* for low, *probably* for moderate, *very
        uncertain* for very low; no "proves" below moderate); it says what would
        change the verdict; it gives no treatment advice.

    Examples
    --------
    >>> from course_utils import evidence
    >>> g = evidence.assess_certainty("randomised", outcome="x", downgrades={"imprecision": -1, "risk_of_bias": -1})
    >>> check_appraisal({"text": "The certainty of the evidence is high. " * 12, "grade": g})[0][:58]
    'Your appraisal states high certainty, but your grade (chec'
    """
    from course_utils import evidence

    problems = _require_mapping(answer, "Your appraisal answer", ["text", "grade"])
    if problems:
        return problems

    assert isinstance(answer, Mapping)  # _require_mapping has checked it
    grade = answer.get("grade", ...)
    if not isinstance(grade, evidence.Certainty):
        return ["grade should be your grade from checkpoint 12.5 (the result of cu.assess_certainty): "
                "run the grade cell first."]
    text = answer.get("text", ...)
    problem = _text_problem(text, "the appraisal", "what is known, how sure we can be, what would change the verdict",
                            MIN_APPRAISAL_WORDS)
    if problem:
        return [problem]
    n_words = len(_words(text))
    if n_words > MAX_APPRAISAL_WORDS:
        problems.append(f"The appraisal has {n_words} words; the brief allows at most {MAX_APPRAISAL_WORDS}: "
                        "cut detail a general reader does not need.")
    level = grade.level
    stated = stated_certainty(text)
    if not stated:
        problems.append(f'State the certainty in words, as a verdict, e.g. "our certainty in this finding is '
                        f'{level}" (your grade from checkpoint 12.5 is {level}).')
    elif stated != [level]:
        others = [s for s in stated if s != level]
        problems.append(f"Your appraisal states {' and '.join(others)} certainty, but your grade (checkpoint 12.5) is "
                        f"{level}: the verdict in words must match the grade. Change the text, or revisit the grade "
                        "and say why.")
    if problems:
        return problems
    if not _HEDGE[level].search(text):
        problems.append(f"The wording does not match {level} certainty: GRADE's plain-language statements use "
                        f"{_HEDGE_EXAMPLE[level]} for it (lesson 11, cu.plain_language).")
    if level in ("low", "very low"):
        strong = _OVERCLAIM.search(text)
        if strong:
            problems.append(f'"{strong.group(0)}" claims more than {level} certainty allows: say what the evidence '
                            "suggests, not what it proves.")
    if not any(_CONDITIONAL.search(s) for s in _sentences(text)):
        problems.append('Say what would change the verdict, e.g. "a randomised trial in … would be needed to …".')
    advice = _ADVICE.search(text)
    if advice:
        problems.append(f'"{advice.group(0)}" reads as advice: an appraisal describes the evidence and gives no '
                        "treatment advice (pointing to a health professional is fine).")
    return problems


# --------------------------------------------------------------------------- drawing the diagram


class DrawOptions(TypedDict, total=False):
    """The options :func:`show_diagram` passes on to :func:`course_utils.dags.draw_dag`."""

    ax: Axes | None
    highlight: bool | Mapping[Hashable, str]
    paths: Sequence[Sequence[Hashable]]
    label_side: Mapping[Hashable, str] | None
    legend: bool


def show_diagram(diagram: object, *, title: str | None = None, figsize: tuple[float, float] | None = None,
                 **kwargs: Unpack[DrawOptions]) -> Axes | None:
    """Draw the diagram of checkpoint 12.2 with :func:`course_utils.dags.draw_dag`, or say what is missing.

    Parameters
    ----------
    diagram : dict
        The answer of checkpoint 12.2 (``edges``, ``exposure``, ``outcome``,
        ``adjusted``, optionally ``unobserved``, ``positions``, ``labels``).
    title : str, optional
        Default: the diagram's own ``title``, or "Your causal diagram".
    figsize : (width, height), optional
        Size of a new figure in inches (ignored when ``ax`` is passed).
    **kwargs
        Passed on to ``draw_dag``: ``ax``, ``highlight``, ``paths``,
        ``label_side``, ``legend``.

    Returns
    -------
    matplotlib.axes.Axes or None
        None, with a printed note, while the diagram is not filled in yet.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> ax = show_diagram({"edges": [("pain", "kratom"), ("pain", "depression"), ("kratom", "depression")],
    ...                    "exposure": "kratom", "outcome": "depression", "adjusted": ["pain"]})
    >>> sorted(t.get_text() for t in ax.texts if t.get_text())
    ['Your causal diagram', 'depression', 'kratom', 'pain']
    >>> plt.close(ax.figure)
    >>> show_diagram({"edges": ..., "exposure": ..., "outcome": ...}) is None
    ⏳ Nothing to draw yet: fill in edges, exposure and outcome in the cell above, then run this cell.
    True
    """
    from course_utils import dags

    if not isinstance(diagram, Mapping) or any(_is_placeholder(diagram.get(k, ...)) for k in ("edges", "exposure", "outcome")):
        print("⏳ Nothing to draw yet: fill in edges, exposure and outcome in the cell above, then run this cell.")
        return None
    adjusted = diagram.get("adjusted", [])
    unobserved = diagram.get("unobserved", [])
    positions, labels = diagram.get("positions"), diagram.get("labels")
    if title is None:
        own = diagram.get("title")
        title = "Your causal diagram" if _is_placeholder(own) else str(own)
    if figsize is not None and "ax" not in kwargs:
        import matplotlib.pyplot as plt

        _, kwargs["ax"] = plt.subplots(figsize=figsize)
    return dags.draw_dag(
        diagram["edges"], None if _is_placeholder(positions) else positions, exposure=diagram["exposure"], outcome=diagram["outcome"],
        adjusted=[] if _is_placeholder(adjusted) else adjusted,
        unobserved=[] if _is_placeholder(unobserved) else unobserved,
        labels=None if _is_placeholder(labels) else labels, title=title, **kwargs)
