"""Exercise checks for the notebooks: ``check("05.1", answer)`` and ``hint("05.1")``.

A check cell is one line, ``check("05.1", mh_pain)``.  It looks the exercise up in its
lesson's file (:mod:`course_utils.exercises`), which stores the expected answer only
as salted hashes, and either prints a short, fixed pass message or raises
:class:`ExerciseIncorrect` -- an ``AssertionError``, so nbval and *Run All* see a
failure -- whose notebook display is at most four lines and no traceback.  A named
mistake (a percentage for a proportion, the reversed sign, the other group as
reference ...) gets its own feedback; an answer of the wrong type (a list, a Series,
text, None, NaN ...) is told what form is expected.  ``hint("05.1")`` prints the next
hint each time it is called.

Examples
--------
>>> from course_utils import check, hint
>>> check("05.1", [2.0])
Traceback (most recent call last):
...
course_utils.check.ExerciseIncorrect: ❌ 05.1: not yet. You gave a list of 1 item(s).
   Expected: the Mantel-Haenszel odds ratio itself (not its logarithm), as one number.
   Stuck? hint("05.1") gives a hint (2 available).

The functions of the first exercise format (``number``, ``choice``, ``truth``,
``between``, ``columns`` with ``"ck1:..."`` keys) remain only until every lesson is
converted with ``tools/convert_exercises.py``; new lessons must not use them.
"""

from __future__ import annotations

import base64
import importlib
import json
import math
import sys
import types
from collections.abc import Iterable
from typing import Any

from course_utils.exercises import (
    Exercise,
    ExerciseDataError,
    digest,
    get_exercise,
    is_number,
    mistake_grid,
    normalise_text,
    tokens,
)

__all__ = [
    "check",
    "hint",
    "ExerciseIncorrect",
    "ExerciseNotAnswered",
    "ExerciseDataError",
    # first format, kept until lesson 09 is converted
    "encode",
    "number",
    "choice",
    "truth",
    "between",
    "columns",
    "passed",
]

_PREFIX = "ck1:"
#: At most this many lines in a failed check's display.
MAX_LINES = 4


class ExerciseIncorrect(AssertionError):
    """The answer is not (yet) right.  The message says what to change.

    Attributes
    ----------
    exercise_id : str or None
    reason : str
        ``"wrong"`` (not the expected answer), ``"mistake"`` (a named mistake;
        see ``mistake``), ``"form"`` (the answer has the wrong type or form),
        ``"unanswered"`` or ``"rule"``.
    mistake : str or None
        The name of the mistake recognised, if any.
    """

    def __init__(self, message: str, *, exercise_id: str | None = None, reason: str = "wrong",
                 mistake: str | None = None) -> None:
        super().__init__(message)
        self.exercise_id = exercise_id
        self.reason = reason
        self.mistake = mistake

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the message, at most four lines."""
        return str(self).splitlines()[:MAX_LINES]


class ExerciseNotAnswered(ExerciseIncorrect):
    """The exercise still holds its placeholder (``...``)."""


def _short_error(self: BaseException) -> list[str]:
    return str(self).splitlines()[:MAX_LINES]


# an unknown exercise id is a course bug, but its display is kept short too
ExerciseDataError._render_traceback_ = _short_error  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- describing answers


class _Form(Exception):
    """Internal: the answer has the wrong form; the text says what was given."""


def _describe(value: Any) -> str:
    module = type(value).__module__.split(".")[0]
    name = type(value).__name__
    if value is None:
        return "None (a cell that only prints, or a function that returns nothing, gives None)"
    if module == "pandas" and name == "Series":
        return f"a pandas Series of {len(value)} value(s), not one value"
    if module == "pandas" and name == "DataFrame":
        return "a pandas DataFrame (a whole table)"
    if module == "numpy" and name == "ndarray":
        return f"a NumPy array of shape {tuple(value.shape)}"
    if isinstance(value, bool) or name in ("bool_", "bool"):
        return f"the truth value {bool(value)}"
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f"the text {shown!r}"
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return f"a {name} of {len(value)} item(s)"
    return f"a value of type {name}"


def _as_number(value: Any) -> float:
    if is_number(value):
        x = float(value)
        if math.isnan(x):
            raise _Form("your answer is NaN (missing): look for missing values or an empty selection")
        if math.isinf(x):
            raise _Form("your answer is infinite: look for a division by zero")
        return x
    if isinstance(value, str):
        try:
            float(value.replace(",", ""))
        except ValueError:
            raise _Form(f"you gave {_describe(value)}") from None
        raise _Form(f"you gave {_describe(value)}: write the number without quotes")
    if type(value).__name__ == "Series" and len(value) == 1:
        raise _Form("you gave a pandas Series holding one value: take the value itself (e.g. `s.iloc[0]`)")
    if type(value).__name__ == "Series":
        raise _Form(f"you gave {_describe(value)}: pick the one number asked for (e.g. `result[\"estimate\"]`)")
    if type(value).__name__ == "DataFrame":
        raise _Form("you gave a pandas DataFrame: select the one cell asked for (e.g. `table.loc[row, column]`)")
    raise _Form(f"you gave {_describe(value)}")


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool) or type(value).__name__ in ("bool_", "bool"):
        return bool(value)
    if isinstance(value, str) and normalise_text(value) in ("true", "false", "yes", "no"):
        word = "True" if normalise_text(value) in ("true", "yes") else "False"
        raise _Form(f"you gave {_describe(value)}: write {word} without quotes")
    raise _Form(f"you gave {_describe(value)}")


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _Form(f"you gave {_describe(value)}: write the answer as text, in quotes")


def _as_items(value: Any) -> list[str]:
    if isinstance(value, str):
        raise _Form(f"you gave {_describe(value)}: give a list of names, e.g. [\"a\", \"b\"]")
    module = type(value).__module__.split(".")[0]
    if isinstance(value, (list, tuple, set, frozenset)) or (module == "pandas" and type(value).__name__ in ("Index", "Series")):
        items = list(value)
        if all(isinstance(v, str) for v in items):
            return items
        raise _Form("your list holds items that are not text: give the names, in quotes")
    raise _Form(f"you gave {_describe(value)}")


# --------------------------------------------------------------------------- the check


def _lines(first: str, *more: str) -> str:
    return "\n".join([first, *[f"   {m}" for m in more if m]][:MAX_LINES])


def _hint_line(ex: Exercise) -> str:
    n = len(ex.hints)
    if not n:
        return ""
    return f'Stuck? hint("{ex.id}") gives a hint ({n} available).'


def _fail(ex: Exercise, text: str, *, reason: str, mistake: str | None = None, expects: bool = False) -> None:
    more = [f"Expected: {ex.expects}." if expects and ex.expects else "", _hint_line(ex)]
    raise ExerciseIncorrect(_lines(f"❌ {ex.id}: not yet. {text}", *more), exercise_id=ex.id, reason=reason,
                            mistake=mistake)


def _pass(ex: Exercise) -> None:
    note = ex.spec.get("note", "")
    print(f"✅ {ex.id}: correct." + (f" {note}" if note else ""))


def _compare(ex: Exercise, value: Any) -> None:
    spec = ex.spec
    cache: dict[tuple[Any, Any], set[str]] = {}

    def candidates(grid: dict[str, Any]) -> set[str]:
        key = (grid.get("tol"), grid.get("rel"))
        if key not in cache:
            cache[key] = {digest(ex.salt, ex.id, t) for t in tokens(grid, value)}
        return cache[key]

    if candidates(spec) & set(spec.get("answer", [])):
        _pass(ex)
        return
    for mistake in spec.get("mistakes", []):
        grid = mistake_grid(spec, mistake) if spec["kind"] == "number" else spec
        if candidates(grid) & set(mistake.get("hash", [])):
            _fail(ex, mistake["feedback"], reason="mistake", mistake=mistake.get("name"))
    _fail(ex, spec.get("feedback") or "That is not the answer this exercise expects.", reason="wrong")


def _check_rule(ex: Exercise, answer: Any) -> None:
    target = ex.spec.get("validator", "")
    module_name, _, function_name = target.partition(":")
    try:
        validator = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError, ValueError):
        raise ExerciseDataError(f"exercise {ex.id}: its validator {target!r} cannot be found") from None
    try:
        problems = list(validator(answer))
    except Exception as exc:  # the learner's answer broke the validator: say so briefly
        _fail(ex, f"this answer could not be checked ({type(exc).__name__}: {exc}).", reason="form", expects=True)
    if problems:
        more = f"({len(problems) - 1} more problem(s) after you fix this one.)" if len(problems) > 1 else ""
        raise ExerciseIncorrect(_lines(f"❌ {ex.id}: not yet. {problems[0]}", more, _hint_line(ex)),
                                exercise_id=ex.id, reason="rule")
    _pass(ex)


def check(exercise_id: str, answer: object) -> None:
    """Check the answer to one exercise.

    Parameters
    ----------
    exercise_id : str
        The exercise's id, e.g. ``"05.1"`` (lesson 05, exercise 1).
    answer : object
        The learner's answer (usually a variable the exercise cell assigned).

    Raises
    ------
    ExerciseNotAnswered
        The answer is still the placeholder ``...``.
    ExerciseIncorrect
        The answer is not right yet; the message says why, in at most four lines.
    ExerciseDataError
        There is no such exercise (a typo in the id, or a course bug).

    Examples
    --------
    >>> check("05.1", ...)
    Traceback (most recent call last):
    ...
    course_utils.check.ExerciseNotAnswered: ⏳ 05.1: not answered yet. ...
    """
    ex = get_exercise(exercise_id)
    if answer is ...:
        more = f"Expected: {ex.expects}." if ex.expects else ""
        raise ExerciseNotAnswered(
            _lines(f"⏳ {ex.id}: not answered yet. Replace the `...` in the exercise cell with your answer, "
                   "run that cell, then run this check again.", more),
            exercise_id=ex.id, reason="unanswered")
    try:
        if ex.kind == "rule":
            _check_rule(ex, answer)
            return
        if ex.kind == "number":
            _compare(ex, _as_number(answer))
        elif ex.kind == "truth":
            _compare(ex, _as_bool(answer))
        elif ex.kind in ("choice", "text"):
            text = _as_text(answer)
            options = ex.spec.get("options")
            if options and normalise_text(text) not in {normalise_text(o) for o in options}:
                shown = ", ".join(repr(o) for o in options)
                raise _Form(f"{text!r} is not one of the options; answer with one of: {shown}")
            _compare(ex, text)
        elif ex.kind in ("set", "list"):
            _compare(ex, _as_items(answer))
        elif ex.kind == "range":
            x = _as_number(answer)
            if not ex.spec["low"] <= x <= ex.spec["high"]:
                _fail(ex, ex.spec.get("feedback") or f"expected a value between {ex.spec['low']} and {ex.spec['high']}.",
                      reason="wrong")
            _pass(ex)
        elif ex.kind == "columns":
            have = getattr(answer, "columns", None)
            if have is None:
                raise _Form(f"you gave {_describe(answer)}, not a table with columns")
            missing = [c for c in ex.spec.get("required", []) if c not in list(have)]
            if missing:
                _fail(ex, f"the table lacks the column(s) {', '.join(map(str, missing))}.", reason="wrong")
            _pass(ex)
    except _Form as problem:
        text = str(problem)
        _fail(ex, text[:1].upper() + text[1:] + ".", reason="form", expects=True)
    except ExerciseIncorrect:
        raise
    except Exception as exc:  # never a crash from inside the checker
        _fail(ex, f"this answer could not be checked ({_describe(answer)}; {type(exc).__name__}).", reason="form",
              expects=True)


_HINTS_SHOWN: dict[str, int] = {}


def hint(exercise_id: str, number: int | None = None) -> None:
    """Print the next hint for an exercise (or hint ``number``, counting from 1).

    Each call shows the next hint; after the last one it says so.

    Parameters
    ----------
    exercise_id : str
        The exercise's id, e.g. ``"05.3"``.
    number : int, optional
        Show this hint (1 is the first; out-of-range numbers are clipped to the
        hints there are) instead of the next one.

    Examples
    --------
    >>> hint("05.3", 1)  # doctest: +ELLIPSIS
    💡 05.3 hint 1 of 2: For each option ask: ...
    """
    ex = get_exercise(exercise_id)
    n = len(ex.hints)
    if not n:
        print(f"💡 {ex.id}: this exercise has no hints; reread the section the exercise refers to.")
        return
    if number is None:
        k = _HINTS_SHOWN.get(ex.id, 0) + 1
        if k > n:
            print(f'💡 {ex.id}: that was the last hint ({n} of {n}). hint("{ex.id}", 1) shows the first again.')
            return
    else:
        k = min(max(int(number), 1), n)
    _HINTS_SHOWN[ex.id] = max(k, _HINTS_SHOWN.get(ex.id, 0))
    print(f"💡 {ex.id} hint {k} of {n}: {ex.hints[k - 1]}")


class _CallableModule(types.ModuleType):
    """``from course_utils import check`` gives this module; calling it runs :func:`check`."""

    def __call__(self, exercise_id: str, answer: object) -> None:
        check(exercise_id, answer)


sys.modules[__name__].__class__ = _CallableModule


# --------------------------------------------------------------------------- first format (legacy)
# Kept importable only until lesson 09 is converted (tools/convert_exercises.py);
# a converted lesson never uses these, and their keys are base64, not hashes.


def _legacy_fail(name: str, hint: str) -> None:
    raise ExerciseIncorrect(f"❌ {name}: not yet." + (f" {hint}" if hint else ""))


def passed(name: str, note: str = "") -> None:
    """Print the fixed pass message (first format).

    Parameters
    ----------
    name : str
        The exercise's name, shown in the message.
    note : str, optional
        A remark appended after "correct.".

    Examples
    --------
    >>> passed("Q", "Well spotted.")
    ✅ Q: correct. Well spotted.
    """
    print(f"✅ {name}: correct." + (f" {note}" if note else ""))


def encode(value: object) -> str:
    """Encode an expected answer for use in a check cell.

    The key is base64 of the value's JSON, not a hash: it hides the answer from a
    glance only.

    Parameters
    ----------
    value : object
        A JSON-serialisable answer (a number, text, a truth value or a list of them).

    Returns
    -------
    str
        The key, ``"ck1:"`` followed by the base64 text.

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
        _legacy_fail(name, f"Expected a single number, got {type(answer).__name__}.")
    if math.isnan(value):
        _legacy_fail(name, "Your answer is NaN (missing): check for missing values or an empty selection.")
    return value


def number(
    answer: object,
    expected: object,
    *,
    tol: float | None = None,
    rel: float | None = None,
    name: str = "Exercise",
    hint: str = "",
    note: str = "",
) -> None:
    """Check a numeric answer within an absolute (``tol``) or relative (``rel``) tolerance.

    Parameters
    ----------
    answer : object
        The learner's answer; it must convert to one number.
    expected : object
        The expected number, usually as a key from :func:`encode`.
    tol, rel : float, optional
        Absolute and relative tolerance; the answer passes if either holds. With
        neither, the absolute tolerance is ``1e-9 * max(1, abs(expected))``.
    name : str, optional
        The exercise's name, shown in the messages.
    hint : str, optional
        Text added to the failure message.
    note : str, optional
        Text added to the pass message.

    Raises
    ------
    ExerciseNotAnswered
        The answer is ``...`` or None.
    ExerciseIncorrect
        The answer is not a number, is NaN, or lies outside the tolerance.

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
        _legacy_fail(name, hint)
    passed(name, note)


def between(
    answer: object, low: float, high: float, *, name: str = "Exercise", hint: str = "", note: str = ""
) -> None:
    """Check that a number lies in an openly stated range (for answers that may vary).

    Parameters
    ----------
    answer : object
        The learner's answer; it must convert to one number.
    low, high : float
        The range, both ends included.
    name : str, optional
        The exercise's name, shown in the messages.
    hint : str, optional
        Text added to the failure message.
    note : str, optional
        Text added to the pass message.

    Examples
    --------
    >>> between(0.5, 0, 1, name="Q")
    ✅ Q: correct.
    """
    _require_answer(answer, name)
    value = _as_float(answer, name)
    if not low <= value <= high:
        _legacy_fail(name, hint)
    passed(name, note)


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().casefold()
    return value


def choice(
    answer: object,
    expected: object,
    *,
    options: Iterable[object] | None = None,
    name: str = "Exercise",
    hint: str = "",
    note: str = "",
) -> None:
    """Check a multiple-choice answer (case and surrounding spaces are ignored).

    ``expected`` may be one encoded option or an encoded list of acceptable options.

    Parameters
    ----------
    answer : object
        The learner's answer, usually text.
    expected : object
        The right option, or a list of acceptable options, usually as a key from
        :func:`encode`.
    options : iterable, optional
        The options offered; an answer that is none of them is told to pick one.
    name : str, optional
        The exercise's name, shown in the messages.
    hint : str, optional
        Text added to the failure message.
    note : str, optional
        Text added to the pass message.

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
            _legacy_fail(name, f"Answer with one of: {shown}.")
    target = _decode(expected)
    targets = target if isinstance(target, list) else [target]
    if _normalise(answer) not in {_normalise(t) for t in targets}:
        _legacy_fail(name, hint)
    passed(name, note)


def truth(answer: object, expected: object, *, name: str = "Exercise", hint: str = "", note: str = "") -> None:
    """Check a True/False answer.

    Parameters
    ----------
    answer : object
        The learner's answer; it must be ``True`` or ``False`` (not text).
    expected : object
        The right truth value, usually as a key from :func:`encode`.
    name : str, optional
        The exercise's name, shown in the messages.
    hint : str, optional
        Text added to the failure message.
    note : str, optional
        Text added to the pass message.

    Examples
    --------
    >>> truth(False, encode(False), name="Q")
    ✅ Q: correct.
    """
    _require_answer(answer, name)
    if not isinstance(answer, bool):
        _legacy_fail(name, "Answer with True or False (no quotes).")
    if answer is not bool(_decode(expected)):
        _legacy_fail(name, hint)
    passed(name, note)


def columns(
    frame: object, required: Iterable[str], *, name: str = "Exercise", hint: str = "", note: str = ""
) -> None:
    """Check that a DataFrame (or Series index) has the required columns.

    Parameters
    ----------
    frame : object
        The learner's table: a DataFrame, or a Series whose index is checked.
    required : iterable of str
        The column names that must be present.
    name : str, optional
        The exercise's name, shown in the messages.
    hint : str, optional
        Text added to the failure message.
    note : str, optional
        Text added to the pass message.

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
        _legacy_fail(name, f"Missing: {', '.join(map(str, missing))}. " + hint)
    passed(name, note)
