"""The authoring tool tools/convert_exercises.py: first-format checks to one-line checks, and re-hashing.

``convert`` is run on a small first-format lesson in a temporary folder (no kernel);
``rehash_entries`` is given the values a solution notebook would produce.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import ROOT
import course_utils.exercises as exercises
from course_utils import check


@pytest.fixture()
def tool(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("convert_exercises", ROOT / "tools" / "convert_exercises.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["convert_exercises"] = module
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "EXERCISE_DIR", tmp_path)
    monkeypatch.setattr(module, "VALUES_FILE", tmp_path / "values.json")
    return module


def key(value):
    return "ck1:" + base64.b64encode(json.dumps(value).encode()).decode()


def old_lesson(path):
    nb = new_notebook(cells=[
        new_markdown_cell("# Lesson 97 — Toy"),
        new_code_cell("from course_utils import check"),
        new_markdown_cell("**Exercise 1.** A share."),
        new_code_cell("### BEGIN SOLUTION\nanswer_1 = 0.25\n### END SOLUTION"),
        new_code_cell(f'check.number(answer_1, "{key(0.25)}", tol=0.001, name="Exercise 1",\n'
                      '             hint="Divide by the total.")'),
        new_code_cell("### BEGIN SOLUTION\nanswer_2 = 'b'\n### END SOLUTION"),
        new_code_cell(f'check.choice(answer_2, "{key("b")}", options=["a", "b", "c"], name="Exercise 2")'),
        new_code_cell("### BEGIN SOLUTION\nanswer_3 = False\n### END SOLUTION"),
        new_code_cell(f'check.truth(answer_3, "{key(False)}", name="Exercise 3", hint="Think.")'),
    ])
    nbformat.write(nb, path)
    return path


def test_convert_turns_old_checks_into_one_line_checks_and_a_lesson_file(tool, tmp_path, monkeypatch):
    path = old_lesson(tmp_path / "97_toy.ipynb")
    ids = tool.convert(path)
    assert ids == ["97.1", "97.2", "97.3"]
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[4].source == 'check("97.1", answer_1)'
    assert nb.cells[4].metadata["course"] == {"exercise": "97.1", "role": "check"}
    assert nb.cells[3].metadata["course"] == {"exercise": "97.1", "role": "answer"}
    assert nb.cells[6].source == 'check("97.2", answer_2)' and nb.cells[8].source == 'check("97.3", answer_3)'
    text = (tmp_path / "97.json").read_text(encoding="utf-8")
    assert "ck1:" not in text and "MC4yNQ" not in text and "0.25" not in text
    data = json.loads(text)
    assert data["exercises"]["97.1"]["tol"] == 0.001 and data["exercises"]["97.1"]["hints"] == ["Divide by the total."]
    assert data["exercises"]["97.2"]["options"] == ["a", "b", "c"]
    # the converted file works with the real check
    monkeypatch.setattr(exercises, "_read", lambda lesson: data)
    check("97.1", 0.2505)
    check("97.2", "B")
    check("97.3", False)
    with pytest.raises(check.ExerciseIncorrect):
        check("97.1", 0.3)


def test_rehash_hashes_mistakes_and_refuses_what_cannot_be_told_apart(tool, tmp_path, monkeypatch):
    data = {"lesson": "97", "salt": "s", "exercises": {
        "97.1": {"kind": "number", "tol": 0.001, "expects": "a proportion", "hints": ["h"], "mistakes": [
            {"name": "percent", "transform": "percent", "feedback": "A percentage."},
            {"name": "unweighted", "compute": "x", "feedback": "Unweighted."}]},
    }}
    values = {"97.1": {"answer": 0.25, "mistakes": {"unweighted": 0.31}}}
    record = tool.rehash_entries("97", data, values)
    assert record == {"97.1": {"answer": 0.25, "mistakes": {"percent": 25.0, "unweighted": 0.31}}}
    monkeypatch.setattr(exercises, "_read", lambda lesson: data)
    with pytest.raises(check.ExerciseIncorrect) as info:
        check("97.1", 25.04)
    assert info.value.mistake == "percent"
    with pytest.raises(check.ExerciseIncorrect) as info:
        check("97.1", 0.31)
    assert info.value.mistake == "unweighted"
    # a mistake within the tolerance of the answer, and a hint that gives the answer, are refused
    data["exercises"]["97.1"]["mistakes"][1]["compute"] = "y"
    with pytest.raises(tool.AuthoringError, match="too close"):
        tool.rehash_entries("97", data, {"97.1": {"answer": 0.25, "mistakes": {"unweighted": 0.2504}}})
    data["exercises"]["97.1"]["mistakes"].pop()
    data["exercises"]["97.1"]["hints"] = ["It is 0.25."]
    with pytest.raises(tool.AuthoringError, match="contains the answer"):
        tool.rehash_entries("97", data, {"97.1": {"answer": 0.25, "mistakes": {}}})
