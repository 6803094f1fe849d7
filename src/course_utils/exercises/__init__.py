"""The course's exercises: one data file per lesson, and how answers are compared.

Each lesson ``NN`` has a file ``NN.json`` beside this module.  It holds, for every
exercise id (``"05.1"`` is exercise 1 of lesson 05), what a check needs: the kind of
answer, the tolerance, the hints, the points, the feedback for named mistakes, and the
expected answer **only as salted hashes of its normalised form** -- never the answer
itself, nor any reversible encoding of it.  A check normalises the learner's answer
the same way and compares hashes.

Normalisation
-------------
* **numbers** are put on the exercise's tolerance grid: with an absolute tolerance
  ``tol`` the cell is ``round(2 x / tol)``; with a relative tolerance ``rel`` it is
  ``round(2 log|x| / -log(1 - rel))`` (and the sign).  A check tries the cell of the
  answer and the two cells on each side, so every value within the tolerance passes
  (and none further than 1.5 times the tolerance);
* **text** is Unicode-normalised (NFKC), case-folded, stripped, inner spaces collapsed
  and every kind of dash (``–``, ``—``, ``−``) made ``-``, so ``"18–25"`` matches ``"18-25"``;
* **True/False** includes NumPy booleans; **sets** ignore order, **lists** do not.

Named mistakes are stored the same way: each is declared as a transform of the right
answer (``"percent"`` = x 100, ``"negate"``, ``"reciprocal"`` ...) or as a value the
authoring tool computes in the solution notebook (``"compute"``), and the file keeps
the hash of that value with the mistake's own feedback.  ``tools/convert_exercises.py``
writes and re-hashes these files; see CONTRIBUTING.md section 8.

This is a courtesy against reading the answer off a notebook, not security: anyone can
test guesses against a hash.  Graded work is graded by the instructor's tools.

Examples
--------
>>> from course_utils.exercises import load_lesson
>>> [e.id for e in load_lesson("05")][:2]
['05.1', '05.2']
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

__all__ = [
    "Exercise",
    "ExerciseDataError",
    "TRANSFORMS",
    "KINDS",
    "load_lesson",
    "get_exercise",
    "lessons",
    "digest",
    "tokens",
    "normalise_text",
]

#: Exercise kinds a check understands.
KINDS = ("number", "choice", "text", "truth", "set", "list", "range", "columns", "rule")
#: Work factor of the answer hash (PBKDF2-SHA256); a check costs a few milliseconds.
ITERATIONS = 2_000
#: Grid cells per tolerance: a check accepts every value within the tolerance, none beyond 1.5 times it.
GRID_SPLIT = 2
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")


class ExerciseDataError(LookupError):
    """An exercise id or exercise file is missing or damaged (a course bug, not the learner's)."""


# --------------------------------------------------------------------------- transforms of the right answer


def _round_to(digits: int) -> Any:
    return lambda x: round(x, digits)


#: Named mistakes declared as a transform of the right answer (numbers).
TRANSFORMS: dict[str, Any] = {
    "percent": lambda x: 100.0 * x,  # a percentage where a proportion is asked
    "proportion": lambda x: x / 100.0,  # a proportion where a percentage is asked
    "negate": lambda x: -x,  # the reversed sign / direction
    "reciprocal": lambda x: 1.0 / x,  # the other group as reference (ratio measures)
    "complement": lambda x: 1.0 - x,  # the other outcome (1 - p)
    "log": lambda x: math.log(x),  # a ratio left on the log scale ...
    "exp": lambda x: math.exp(x),  # ... or exponentiated when the log is asked
    "double": lambda x: 2.0 * x,
    "half": lambda x: x / 2.0,
    "round0": _round_to(0),
    "round1": _round_to(1),
    "round2": _round_to(2),
}


def apply_transform(name: str, value: Any) -> Any:
    """The value of the named mistake for a right answer ``value``.

    ``name`` is a key of :data:`TRANSFORMS`, ``"times:K"`` / ``"plus:K"`` for a
    constant factor or shift, or ``"not"`` (the other answer of a True/False exercise).

    >>> apply_transform("percent", 0.25), apply_transform("times:3", 2.0)
    (25.0, 6.0)
    """
    if name == "not":  # the other truth value (True/False exercises)
        return not bool(value)
    if name.startswith("times:"):
        return float(value) * float(name.split(":", 1)[1])
    if name.startswith("plus:"):
        return float(value) + float(name.split(":", 1)[1])
    try:
        return float(TRANSFORMS[name](float(value)))
    except KeyError:
        raise ExerciseDataError(f"unknown mistake transform {name!r}; use one of {sorted(TRANSFORMS)} or times:K, plus:K") from None


# --------------------------------------------------------------------------- normalisation and hashing


def normalise_text(value: str) -> str:
    """Text as a check compares it: NFKC, case-folded, stripped, one space, plain dashes.

    Parameters
    ----------
    value : str
        The text to normalise (anything else is first turned into text with ``str``).

    Returns
    -------
    str
        The normalised text; spaces around a dash are removed too.

    Examples
    --------
    >>> normalise_text("  Per–Protocol  analysis ")
    'per-protocol analysis'
    >>> normalise_text("  18\u201325 ") == normalise_text("18-25")
    True
    """
    text = unicodedata.normalize("NFKC", str(value)).translate(_DASHES).casefold().strip()
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"\s*-\s*", "-", text)


def _grid_cell(x: float, tol: float | None, rel: float | None) -> tuple[str, int]:
    if rel:
        if x == 0:
            return "r0", 0
        sign = "+" if x > 0 else "-"
        return "r" + sign, math.floor(math.log(abs(x)) / (-math.log1p(-rel) / GRID_SPLIT) + 0.5)
    step = (tol if tol else 1e-9) / GRID_SPLIT
    return "n", math.floor(x / step + 0.5)


def tokens(spec: Mapping[str, object], value: float | str | Sequence[str], *, neighbours: bool = True) -> list[str]:
    """The normalised forms of an (already type-checked) answer that a check hashes.

    For a number these are its cell on the tolerance grid (cells of half the
    tolerance) and, with ``neighbours``, the two cells on either side: every value
    within the tolerance of the answer shares one of them, and no value further than
    1.5 times the tolerance does.  For other kinds there is one token.

    Parameters
    ----------
    spec : mapping
        The exercise's entry from its lesson file; ``"kind"`` and, for numbers,
        ``"tol"`` (absolute) or ``"rel"`` (relative tolerance) are read.
    value : float, str, bool or sequence of str
        The answer, already of the form the kind needs (a number, text, a truth
        value, or a list of names for ``"set"`` and ``"list"``).
    neighbours : bool, optional
        For numbers, also return the two grid cells on each side (default True).

    Returns
    -------
    list of str
        The tokens; hash each with :func:`digest`.

    Raises
    ------
    ExerciseDataError
        If the kind stores no hashed answer (``"range"``, ``"columns"``, ``"rule"``).

    Examples
    --------
    >>> tokens({"kind": "number", "tol": 0.1}, 1.0)
    ['n:18', 'n:19', 'n:20', 'n:21', 'n:22']
    >>> tokens({"kind": "number", "tol": 0.1}, 1.0, neighbours=False)
    ['n:20']
    >>> tokens({"kind": "set"}, ["Stress", "age"]) == tokens({"kind": "set"}, ["AGE", "stress"])
    True
    >>> tokens({"kind": "truth"}, False)
    ['b:false']
    """
    kind = spec["kind"]
    if kind == "number":
        x = float(cast(float, value))
        prefix, k = _grid_cell(x, cast("float | None", spec.get("tol")), cast("float | None", spec.get("rel")))
        if prefix == "r0":
            return ["r0"]
        ks = range(k - GRID_SPLIT, k + GRID_SPLIT + 1) if neighbours else (k,)
        return [f"{prefix}:{j}" for j in ks]
    if kind in ("choice", "text"):
        return ["s:" + normalise_text(cast(str, value))]
    if kind == "truth":
        return ["b:" + ("true" if bool(value) else "false")]
    if kind == "set":
        return ["set:" + "\x1f".join(sorted({normalise_text(v) for v in cast("Iterable[str]", value)}))]
    if kind == "list":
        return ["list:" + "\x1f".join(normalise_text(v) for v in cast("Iterable[str]", value))]
    raise ExerciseDataError(f"exercise kind {kind!r} stores no hashed answer")


def digest(salt: str, exercise_id: str, token: str) -> str:
    """The stored form of one normalised answer: salted PBKDF2-SHA256, 24 hex digits.

    Parameters
    ----------
    salt : str
        The lesson file's salt.
    exercise_id : str
        The exercise's id, e.g. ``"05.1"``; it is hashed with the token, so the same
        answer hashes differently in each exercise.
    token : str
        One normalised answer, from :func:`tokens`.

    Returns
    -------
    str
        The first 24 hexadecimal digits of the PBKDF2-SHA256 hash.

    Examples
    --------
    >>> h = digest("salt", "05.1", "n:20")
    >>> len(h), h == digest("salt", "05.2", "n:20")
    (24, False)
    """
    data = f"{exercise_id}|{token}".encode("utf-8")
    return hashlib.pbkdf2_hmac("sha256", data, salt.encode("utf-8"), ITERATIONS).hex()[:24]


def hash_answer(spec: dict[str, Any], salt: str, exercise_id: str, value: Any) -> str:
    """The hash to store for a right answer (or a mistake's value) ``value``."""
    return digest(salt, exercise_id, tokens(spec, value, neighbours=False)[0])


#: How a transform scales an absolute tolerance (a percentage is matched to 100 times the tolerance).
_TOL_SCALE = {"percent": 100.0, "proportion": 0.01, "double": 2.0, "half": 0.5}


def mistake_grid(spec: dict[str, Any], mistake: dict[str, Any]) -> dict[str, Any]:
    """The tolerance a named mistake is matched with: its own ``tol``/``rel``, else one scaled
    from the exercise's (``percent`` matches 100 times the absolute tolerance), else the exercise's."""
    grid = {"kind": spec["kind"]}
    if "tol" in mistake or "rel" in mistake:
        grid.update({k: mistake[k] for k in ("tol", "rel") if k in mistake})
        return grid
    transform = mistake.get("transform", "")
    if spec.get("tol") and not spec.get("rel"):
        scale = _TOL_SCALE.get(transform, 1.0)
        if transform.startswith("times:"):
            scale = abs(float(transform.split(":", 1)[1])) or 1.0
        grid["tol"] = spec["tol"] * scale
    else:
        grid.update({k: spec[k] for k in ("tol", "rel") if k in spec})
    return grid


def grid_distance(spec: dict[str, Any], a: float, b: float) -> int:
    """How many grid cells lie between two numbers (authoring: a mistake needs ``2 * GRID_SPLIT + 1``)."""
    pa, ka = _grid_cell(float(a), spec.get("tol"), spec.get("rel"))
    pb, kb = _grid_cell(float(b), spec.get("tol"), spec.get("rel"))
    if pa != pb:
        return 10**9
    return abs(ka - kb)


# --------------------------------------------------------------------------- the exercise files


@dataclass(frozen=True)
class Exercise:
    """One exercise as its lesson file describes it (no answer in it, only hashes)."""

    id: str
    kind: str
    title: str
    points: float
    expects: str
    hints: tuple[str, ...]
    salt: str
    spec: dict[str, Any] = field(repr=False)

    @property
    def lesson(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def variable(self) -> str | None:
        """The variable the check cell reads, if the file names it."""
        return self.spec.get("variable")

    @property
    def mistakes(self) -> list[dict[str, Any]]:
        return list(self.spec.get("mistakes", []))


def lessons() -> list[str]:
    """The lessons that have an exercise file, e.g. ``['00', '01', ...]``.

    Returns
    -------
    list of str
        Two-digit lesson numbers, sorted.

    Examples
    --------
    >>> "05" in lessons()
    True
    """
    folder = resources.files(__name__)
    return sorted(p.name[:2] for p in folder.iterdir() if re.fullmatch(r"\d\d\.json", p.name))


@lru_cache(maxsize=None)
def _read(lesson: str) -> dict[str, Any]:
    resource = resources.files(__name__) / f"{lesson}.json"
    try:
        text = resource.read_text(encoding="utf-8")
    except FileNotFoundError:
        have = ", ".join(lessons()) or "none"
        raise ExerciseDataError(f"no exercise file for lesson {lesson!r} (lessons with exercises: {have})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExerciseDataError(
            f"the exercise file of lesson {lesson} is damaged ({exc}); reinstall course_utils or restore "
            f"src/course_utils/exercises/{lesson}.json from the course repository"
        ) from None
    return data


def _make(exercise_id: str, entry: dict[str, Any], salt: str) -> Exercise:
    kind = entry.get("kind")
    if kind not in KINDS:
        raise ExerciseDataError(f"exercise {exercise_id}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    return Exercise(
        id=exercise_id,
        kind=kind,
        title=entry.get("title", f"Exercise {exercise_id}"),
        points=float(entry.get("points", 1)),
        expects=entry.get("expects", ""),
        hints=tuple(entry.get("hints", ())),
        salt=salt,
        spec=entry,
    )


def load_lesson(lesson: str | int) -> list[Exercise]:
    """The exercises of one lesson, in order.

    Parameters
    ----------
    lesson : str or int
        ``"05"`` or ``5``.

    Raises
    ------
    ExerciseDataError
        If the lesson has no exercise file or the file is damaged.

    Returns
    -------
    list of Exercise
        The lesson's exercises in the order of its file.

    Examples
    --------
    >>> load_lesson(5)[0].id
    '05.1'
    """
    key = f"{int(lesson):02d}" if isinstance(lesson, int) or str(lesson).isdigit() else str(lesson)
    data = _read(key)
    salt = data.get("salt", "")
    return [_make(eid, entry, salt) for eid, entry in data.get("exercises", {}).items()]


def get_exercise(exercise_id: str) -> Exercise:
    """One exercise by id (``"05.1"``).

    Parameters
    ----------
    exercise_id : str
        ``"NN.K"``: exercise K of lesson NN; surrounding spaces are ignored.

    Returns
    -------
    Exercise
        The exercise as its lesson file describes it (hashes, hints, points).

    Raises
    ------
    ExerciseDataError
        If there is no such exercise; the message lists the lesson's ids.

    Examples
    --------
    >>> ex = get_exercise("05.1")
    >>> ex.lesson, ex.kind
    ('05', 'number')
    """
    if not isinstance(exercise_id, str) or not re.fullmatch(r"\d\d\.\d+", exercise_id.strip()):
        raise ExerciseDataError(
            f"{exercise_id!r} is not an exercise id; ids look like \"05.1\" (lesson 05, exercise 1)"
        )
    exercise_id = exercise_id.strip()
    found = {e.id: e for e in load_lesson(exercise_id[:2])}
    if exercise_id not in found:
        raise ExerciseDataError(
            f"lesson {exercise_id[:2]} has no exercise {exercise_id}; its exercises are {', '.join(found) or 'none'}"
        )
    return found[exercise_id]


def is_number(value: Any) -> bool:
    """A real number that is not a bool (NumPy numbers count; NumPy bools do not)."""
    if isinstance(value, bool) or type(value).__name__ in ("bool_", "bool"):
        return False
    if isinstance(value, numbers.Real):
        return True
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    return getattr(value, "shape", None) == () and kind in ("i", "u", "f")
