"""Exercise feedback for the notebooks.

A check either prints a short, fixed pass message or raises
:class:`ExerciseIncorrect` (a subclass of ``AssertionError``) with a hint.  It
never prints the expected answer, and its messages never vary from run to run,
so the stored outputs of the solution notebooks are stable under nbval.

Expected values are written in the notebook in an *encoded* form made with
:func:`encode`, so that a learner reading the check cell is not handed the
answer.  This is a courtesy, not security: the encoding is plain base64.

Examples
--------
>>> from course_utils import check
>>> key = check.encode(0.25)
>>> check.number(0.2504, key, tol=0.001, name="Exercise 1")
✅ Exercise 1: correct.
>>> check.number(0.5, key, tol=0.001, name="Exercise 1", hint="Divide by the total.")
Traceback (most recent call last):
...
course_utils.check.ExerciseIncorrect: ❌ Exercise 1: not yet. Divide by the total.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable
from typing import Any

__all__ = [
    "ExerciseIncorrect",
    "ExerciseNotAnswered",
    "encode",
    "number",
    "choice",
    "truth",
    "between",
    "columns",
    "passed",
]

_PREFIX = "ck1:"


class ExerciseIncorrect(AssertionError):
    """The answer given is not (yet) right; the message carries a hint."""


class ExerciseNotAnswered(ExerciseIncorrect):
    """The exercise still holds its placeholder (``...``)."""


def encode(value: Any) -> str:
    """Encode an expected answer for use in a check cell.

    Examples
    --------
    >>> encode(3)
    'ck1:Mw=='
    """
    text = json.dumps(value, sort_keys=True)
    return _PREFIX + base64.b64encode(text.encode("utf-8")).decode("ascii")


def _decode(key: Any) -> Any:
    if isinstance(key, str) and key.startswith(_PREFIX):
        try:
            return json.loads(base64.b64decode(key[len(_PREFIX):]).decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(
                f"the check key {key!r} is damaged; restore the check cell from the course "
                "repository (it was made with course_utils.check.encode)"
            ) from exc
    return key


def passed(name: str, note: str = "") -> None:
    """Print the fixed pass message."""
    print(f"✅ {name}: correct." + (f" {note}" if note else ""))


def _fail(name: str, hint: str) -> None:
    raise ExerciseIncorrect(f"❌ {name}: not yet." + (f" {hint}" if hint else ""))


def _require_answer(answer: Any, name: str) -> None:
    if answer is ... or answer is None:
        raise ExerciseNotAnswered(
            f"⏳ {name}: not answered yet. Replace the `...` in the exercise cell with your answer, "
            "run that cell, then run this check again."
        )


def _as_float(answer: Any, name: str) -> float:
    try:
        value = float(answer)
    except (TypeError, ValueError):
        _fail(name, f"Expected a single number, got {type(answer).__name__}.")
    if math.isnan(value):
        _fail(name, "Your answer is NaN (missing): check for missing values or an empty selection.")
    return value


def number(
    answer: Any,
    expected: Any,
    *,
    tol: float | None = None,
    rel: float | None = None,
    name: str = "Exercise",
    hint: str = "",
    note: str = "",
) -> None:
    """Check a numeric answer within an absolute (``tol``) or relative (``rel``) tolerance.

    Examples
    --------
    >>> number(10.4, encode(10), rel=0.05, name="Q")
    ✅ Q: correct.
    """
    _require_answer(answer, name)
    target = float(_decode(expected))
    value = _as_float(answer, name)
    if tol is None and rel is None:
        tol = 1e-9 * max(1.0, abs(target))
    ok = (tol is not None and abs(value - target) <= tol) or (
        rel is not None and abs(value - target) <= rel * abs(target)
    )
    if not ok:
        _fail(name, hint)
    passed(name, note)


def between(
    answer: Any, low: float, high: float, *, name: str = "Exercise", hint: str = "", note: str = ""
) -> None:
    """Check that a number lies in an openly stated range (for answers that may vary).

    Examples
    --------
    >>> between(0.5, 0, 1, name="Q")
    ✅ Q: correct.
    """
    _require_answer(answer, name)
    value = _as_float(answer, name)
    if not low <= value <= high:
        _fail(name, hint)
    passed(name, note)


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().casefold()
    return value


def choice(
    answer: Any,
    expected: Any,
    *,
    options: Iterable[Any] | None = None,
    name: str = "Exercise",
    hint: str = "",
    note: str = "",
) -> None:
    """Check a multiple-choice answer (case and surrounding spaces are ignored).

    ``expected`` may be one encoded option or an encoded list of acceptable options.

    Examples
    --------
    >>> choice("B ", encode("b"), options="abcd", name="Q")
    ✅ Q: correct.
    """
    _require_answer(answer, name)
    if options is not None:
        allowed = {_normalise(o) for o in options}
        if _normalise(answer) not in allowed:
            shown = ", ".join(repr(o) for o in options)
            _fail(name, f"Answer with one of: {shown}.")
    target = _decode(expected)
    targets = target if isinstance(target, list) else [target]
    if _normalise(answer) not in {_normalise(t) for t in targets}:
        _fail(name, hint)
    passed(name, note)


def truth(answer: Any, expected: Any, *, name: str = "Exercise", hint: str = "", note: str = "") -> None:
    """Check a True/False answer.

    Examples
    --------
    >>> truth(False, encode(False), name="Q")
    ✅ Q: correct.
    """
    _require_answer(answer, name)
    if not isinstance(answer, bool):
        _fail(name, "Answer with True or False (no quotes).")
    if answer is not bool(_decode(expected)):
        _fail(name, hint)
    passed(name, note)


def columns(
    frame: Any, required: Iterable[str], *, name: str = "Exercise", hint: str = "", note: str = ""
) -> None:
    """Check that a DataFrame (or Series index) has the required columns.

    Examples
    --------
    >>> import pandas as pd
    >>> columns(pd.DataFrame({"a": [1], "b": [2]}), ["a"], name="Q")
    ✅ Q: correct.
    """
    _require_answer(frame, name)
    have = list(getattr(frame, "columns", getattr(frame, "index", [])))
    missing = [c for c in required if c not in have]
    if missing:
        _fail(name, f"Missing: {', '.join(map(str, missing))}. " + hint)
    passed(name, note)
