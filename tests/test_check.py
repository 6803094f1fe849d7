"""The exercise engine (course_utils.check, course_utils.exercises) on hand-made exercises.

The lessons' own exercises are tested in test_exercises.py; here a fake lesson "99"
exercises every kind, the tolerance grid at its edges, text normalisation, named
mistakes, odd answer types, hints, rules and the short display of a failed check.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import course_utils
import course_utils.exercises as exercises
from course_utils import check, hint
from course_utils.exercises import apply_transform, hash_answer, mistake_grid

SALT = "test-salt"


def _entry(eid, spec, answer, mistakes=()):
    spec = dict(spec)
    spec.setdefault("title", eid)
    spec.setdefault("expects", "a single number (float)" if spec["kind"] == "number" else "an answer")
    spec.setdefault("hints", ["first hint", "second hint"])
    if answer is not None:
        spec["answer"] = [hash_answer(spec, SALT, eid, answer)]
    spec["mistakes"] = []
    for name, value, feedback in mistakes:
        mistake = {"name": name, "feedback": feedback, "transform": name if name in ("percent", "negate") else "x"}
        grid = mistake_grid(spec, mistake) if spec["kind"] == "number" else spec
        spec["mistakes"].append({**mistake, "hash": [hash_answer(grid, SALT, eid, value)]})
    return spec


def problems_if_short(answer):
    return [] if isinstance(answer, str) and len(answer) <= 5 else ["Write at most five letters."]


def problems_raise(answer):
    raise RuntimeError("validator broke")


FAKE = {
    "lesson": "99",
    "salt": SALT,
    "exercises": {
        "99.1": _entry("99.1", {"kind": "number", "tol": 0.001}, 0.25,
                       [("percent", 25.0, "That is a percentage; give a proportion."),
                        ("negate", -0.25, "Reversed sign: subtract the other way round.")]),
        "99.2": _entry("99.2", {"kind": "number", "rel": 0.01}, 2.5,
                       [("reciprocal", 0.4, "The other group is the reference.")]),
        "99.3": _entry("99.3", {"kind": "choice", "options": ["18-25", "26-34", "35+"]}, "18-25",
                       [("older", "26-34", "That group is older.")]),
        "99.4": _entry("99.4", {"kind": "truth"}, False, [("other", True, "Think again about the design.")]),
        "99.5": _entry("99.5", {"kind": "set"}, ["age", "sex"]),
        "99.6": _entry("99.6", {"kind": "list"}, ["a", "b"]),
        "99.7": _entry("99.7", {"kind": "rule", "validator": "test_check:problems_if_short"}, None),
        "99.8": _entry("99.8", {"kind": "rule", "validator": "test_check:problems_raise"}, None),
        "99.9": _entry("99.9", {"kind": "number", "tol": 0.5}, 120.0),
        "99.10": _entry("99.10", {"kind": "text"}, "very low"),
    },
}


@pytest.fixture(autouse=True)
def fake_lesson(monkeypatch):
    real = exercises._read

    def read(lesson):
        return FAKE if lesson == "99" else real(lesson)

    monkeypatch.setattr(exercises, "_read", read)
    monkeypatch.setattr(check, "_HINTS_SHOWN", {})


def fails(eid, answer):
    with pytest.raises(check.ExerciseIncorrect) as info:
        check(eid, answer)
    return info.value


# --------------------------------------------------------------------------- passing and failing


def test_api_is_a_callable_module_with_hint():
    from course_utils import check as c, hint as h

    assert callable(c) and c.ExerciseIncorrect is check.ExerciseIncorrect and h is hint
    assert course_utils.hint is hint and issubclass(check.ExerciseIncorrect, AssertionError)


def test_pass_message_is_fixed(capsys):
    check("99.1", 0.25)
    check("99.1", np.float64(0.2504))
    assert capsys.readouterr().out.splitlines() == ["✅ 99.1: correct.", "✅ 99.1: correct."]


@pytest.mark.parametrize("offset", np.linspace(-0.5, 0.5, 11))
def test_absolute_tolerance_accepts_everything_within_and_nothing_far(offset, monkeypatch):
    # put the right answer anywhere relative to the grid (offset in units of the tolerance)
    tol = 0.001
    truth = 0.25 + offset * tol
    spec = {"kind": "number", "tol": tol}
    entry = _entry("99.1", spec, truth)
    monkeypatch.setitem(FAKE["exercises"], "99.1", entry)
    for value in (truth - tol, truth - 0.999 * tol, truth, truth + 0.999 * tol, truth + tol * (1 - 1e-9)):
        check("99.1", value)
    for value in (truth - 1.51 * tol, truth + 1.51 * tol, truth + 3 * tol):
        assert fails("99.1", value).reason == "wrong"


@pytest.mark.parametrize("truth", [2.5, 0.0123, -7.0, 1234.5])
def test_relative_tolerance_on_both_sides(truth, monkeypatch):
    rel = 0.01
    monkeypatch.setitem(FAKE["exercises"], "99.2", _entry("99.2", {"kind": "number", "rel": rel}, truth))
    for value in (truth * (1 - rel), truth, truth * (1 + rel)):
        check("99.2", value)
    for value in (truth * (1 - 1.6 * rel), truth * (1 + 1.6 * rel), -truth):
        fails("99.2", value)


def test_named_mistakes_get_their_own_feedback():
    assert fails("99.1", 25.0).mistake == "percent"
    assert "percentage" in str(fails("99.1", 25.02)), "a percentage is matched to 100 times the tolerance"
    err = fails("99.1", -0.25)
    assert err.mistake == "negate" and "Reversed sign" in str(err)
    assert fails("99.2", 0.4).mistake == "reciprocal"
    assert fails("99.3", "26–34").mistake == "older"
    assert fails("99.4", np.bool_(True)).mistake == "other"
    generic = fails("99.1", 0.3)
    assert generic.reason == "wrong" and generic.mistake is None


def test_text_is_normalised_dashes_case_and_spaces(capsys):
    for answer in ("18-25", "18–25", " 18 — 25 ", "18\u221225"):
        check("99.3", answer)
    check("99.10", "  Very   LOW ")
    assert capsys.readouterr().out.count("correct") == 5
    err = fails("99.3", "18 to 25")
    assert err.reason == "form" and "'18-25', '26-34', '35+'" in str(err)


def test_truth_accepts_numpy_bools_and_explains_text(capsys):
    check("99.4", False)
    check("99.4", np.bool_(False))
    assert "without quotes" in str(fails("99.4", "False"))
    assert fails("99.4", 0).reason == "form"


def test_sets_ignore_order_and_lists_do_not(capsys):
    check("99.5", ["Sex", "age"])
    check("99.5", {"age", "sex"})
    check("99.5", pd.Index(["sex", "age"]))
    check("99.6", ["a", "b"])
    fails("99.6", ["b", "a"])
    assert fails("99.5", "age, sex").reason == "form"


ODD = [
    [0.25], (0.25,), {0.25}, {"a": 0.25}, pd.Series([0.25]), pd.Series([0.25, 0.3]),
    pd.DataFrame({"estimate": [0.25]}), np.array([0.25, 0.3]), np.bool_(True), True, "0.25",
    "a quarter", None, float("nan"), float("inf"), complex(1, 1), object(), b"0.25",
]


@pytest.mark.parametrize("eid", ["99.1", "99.2", "99.3", "99.4", "99.5", "99.6", "99.9", "99.10"])
@pytest.mark.parametrize("answer", ODD, ids=lambda a: type(a).__name__)
def test_odd_answer_types_get_a_not_yet_message_never_a_crash(eid, answer, capsys):
    try:
        check(eid, answer)
    except check.ExerciseIncorrect as err:
        text = str(err)
        assert text.startswith(f"❌ {eid}: not yet."), text
        assert len(err._render_traceback_()) <= 4 and len(text.splitlines()) <= 4
        if err.reason == "form":
            assert "Expected:" in text
        return
    # an odd type can only pass if it *is* a right answer in another form
    assert (eid, type(answer)) in {("99.5", set)} or isinstance(answer, (np.ndarray,)), (eid, answer)


def test_specific_advice_for_common_wrong_forms():
    assert "without quotes" in str(fails("99.1", "0.25"))
    assert "one value" in str(fails("99.1", pd.Series([0.25])))
    assert "NaN" in str(fails("99.1", float("nan")))
    assert "DataFrame" in str(fails("99.1", pd.DataFrame({"a": [1]})))
    assert "None" in str(fails("99.1", None))
    assert "truth value" in str(fails("99.1", np.bool_(True)))


def test_unanswered_placeholder_says_what_to_do():
    with pytest.raises(check.ExerciseNotAnswered, match=r"Replace the `...`") as info:
        check("99.1", ...)
    assert info.value.reason == "unanswered" and len(str(info.value).splitlines()) <= 4


def test_integer_answers_and_numpy_integers(capsys):
    check("99.9", 120)
    check("99.9", np.int64(120))
    fails("99.9", 122)


def test_unknown_ids_are_reported_with_the_lessons_ids():
    with pytest.raises(exercises.ExerciseDataError, match="99.1, 99.2"):
        check("99.42", 1)
    with pytest.raises(exercises.ExerciseDataError, match="not an exercise id"):
        check("Exercise 1", 1)
    with pytest.raises(exercises.ExerciseDataError, match="no exercise file for lesson '98'"):
        check("98.1", 1)


# --------------------------------------------------------------------------- hints and rules


def test_hint_gives_the_next_hint_each_call(capsys):
    hint("99.1")
    hint("99.1")
    hint("99.1")
    hint("99.1", 1)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "💡 99.1 hint 1 of 2: first hint"
    assert out[1] == "💡 99.1 hint 2 of 2: second hint"
    assert "last hint" in out[2] and out[3].endswith("first hint")


def test_failed_check_mentions_hint_but_does_not_show_it():
    text = str(fails("99.1", 0.3))
    assert 'hint("99.1")' in text and "first hint" not in text


def test_rule_exercises_pass_fail_and_survive_a_broken_validator(capsys):
    check("99.7", "abc")
    err = fails("99.7", "abcdefgh")
    assert err.reason == "rule" and "five letters" in str(err)
    err = fails("99.8", "x")
    assert "could not be checked" in str(err) and "RuntimeError" in str(err)


# --------------------------------------------------------------------------- storage


def test_stored_hashes_are_not_the_answer_nor_an_encoding_of_it():
    import base64
    import re

    def leaves(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key != "options":
                    yield from leaves(value)
        elif isinstance(node, list):
            for value in node:
                yield from leaves(value)
        else:
            yield node

    stored = [v for v in leaves(FAKE["exercises"]) if not isinstance(v, str) or not re.fullmatch(r"[0-9a-f]{24}", v)]
    for plain in ("0.25", "18-25", "120.0", "very low"):
        for enc in (plain, base64.b64encode(plain.encode()).decode(), plain.encode().hex()):
            assert not any(enc in str(v) for v in stored), enc


def test_hash_depends_on_salt_and_id():
    spec = {"kind": "number", "tol": 0.001}
    assert hash_answer(spec, "a", "99.1", 0.25) != hash_answer(spec, "b", "99.1", 0.25)
    assert hash_answer(spec, "a", "99.1", 0.25) != hash_answer(spec, "a", "99.2", 0.25)


def test_transforms():
    assert apply_transform("percent", 0.25) == 25.0
    assert apply_transform("reciprocal", 4.0) == 0.25
    assert apply_transform("not", False) is True
    assert math.isclose(apply_transform("log", math.e), 1.0)
    with pytest.raises(exercises.ExerciseDataError, match="unknown mistake transform"):
        apply_transform("sideways", 1.0)


# --------------------------------------------------------------------------- first format (lesson 09 until converted)


def test_first_format_still_works_until_lesson_09_is_converted(capsys):
    check.number(0.25, check.encode(0.25), tol=0.001, name="Exercise 1")
    with pytest.raises(check.ExerciseIncorrect, match="Use the weights."):
        check.number(0.5, check.encode(0.25), tol=0.001, name="Q2", hint="Use the weights.")
    check.choice(" C", check.encode("c"), options="abcd")
    check.truth(True, check.encode(True))
    check.between(0.5, 0, 1)
    check.columns(pd.DataFrame({"a": [1]}), ["a"])
    with pytest.raises(check.ExerciseNotAnswered):
        check.number(..., check.encode(1))
