"""Exercise feedback (check.py): clear pass, informative hint, never the answer."""

import pytest

from course_utils import check


def test_pass_message_is_fixed(capsys):
    check.number(0.25, check.encode(0.25), name="Exercise 1")
    check.number(0.25, check.encode(0.25), name="Exercise 1")
    out = capsys.readouterr().out.splitlines()
    assert out == ["✅ Exercise 1: correct.", "✅ Exercise 1: correct."]


def test_wrong_answer_raises_with_hint_but_not_the_answer():
    key = check.encode(0.4321)
    with pytest.raises(check.ExerciseIncorrect) as info:
        check.number(0.5, key, tol=0.001, name="Q2", hint="Use the weights.")
    message = str(info.value)
    assert "Use the weights." in message and "Q2" in message
    assert "0.4321" not in message and key not in message
    assert isinstance(info.value, AssertionError)  # so nbval and pytest see a failure


def test_unanswered_placeholder_says_what_to_do():
    with pytest.raises(check.ExerciseNotAnswered, match=r"Replace the `...`"):
        check.number(..., check.encode(1), name="Q")


@pytest.mark.parametrize("bad", ["abc", [1, 2], float("nan")])
def test_non_numbers_get_a_hint(bad):
    with pytest.raises(check.ExerciseIncorrect, match="not yet"):
        check.number(bad, check.encode(1.0), tol=0.1)


def test_relative_tolerance():
    check.number(104, check.encode(100), rel=0.05)
    with pytest.raises(check.ExerciseIncorrect):
        check.number(106, check.encode(100), rel=0.05)


def test_choice_ignores_case_and_validates_options():
    check.choice(" C", check.encode("c"), options="abcd")
    check.choice("b", check.encode(["a", "b"]))
    with pytest.raises(check.ExerciseIncorrect, match="Answer with one of"):
        check.choice("e", check.encode("c"), options="abcd")
    with pytest.raises(check.ExerciseIncorrect):
        check.choice("a", check.encode("c"), options="abcd")


def test_truth_requires_a_bool():
    check.truth(True, check.encode(True))
    with pytest.raises(check.ExerciseIncorrect, match="True or False"):
        check.truth("True", check.encode(True))
    with pytest.raises(check.ExerciseIncorrect):
        check.truth(False, check.encode(True))


def test_between_and_columns():
    import pandas as pd

    check.between(0.5, 0, 1)
    with pytest.raises(check.ExerciseIncorrect):
        check.between(2, 0, 1)
    check.columns(pd.DataFrame({"a": [1]}), ["a"])
    with pytest.raises(check.ExerciseIncorrect, match="Missing: b"):
        check.columns(pd.DataFrame({"a": [1]}), ["a", "b"])


def test_damaged_key_is_reported():
    with pytest.raises(ValueError, match="damaged"):
        check.number(1, "ck1:!!!not-base64")


def test_encode_round_trips():
    for value in [3, 0.125, "b", True, ["a", "b"]]:
        assert check._decode(check.encode(value)) == value
