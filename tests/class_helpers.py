"""Shared pieces of the class-grading tests (tests/test_class_*.py).

A small fixture lesson in the exercise engine's format (``check("90.1", x)`` check cells
with ``{"course": {"exercise": ..., "role": ...}}`` metadata; a wrong answer raises an
``AssertionError`` subclass), and helpers that turn a release notebook into submissions.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import IN_CI, ROOT

FIXTURE_LESSON = "90_fixture"

_CHECK_DEF = '''\
# The fixture's stand-in for the course's check engine (same contract: prints a pass
# message or raises an AssertionError subclass).
class ExerciseIncorrect(AssertionError):
    """Not (yet) right."""

_KEYS = {"90.1": 42, "90.2": "collider"}

def check(exercise, value):
    if value is ...:
        raise ExerciseIncorrect(f"⏳ {exercise}: not answered yet.")
    if value != _KEYS[exercise]:
        raise ExerciseIncorrect(f"❌ {exercise}: not yet.")
    print(f"✅ {exercise}: correct.")'''


def write_fixture_lesson(folder: Path) -> Path:
    """Write ``90_fixture.ipynb`` (two exercises) into ``folder`` and return its path."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    def ex(cell: Any, exercise: str, role: str) -> Any:
        cell.metadata["course"] = {"exercise": exercise, "role": role}
        return cell

    cells = [
        new_markdown_cell("# Lesson 90 — Fixture\n\n*Synthetic two-exercise lesson for the grading tests.*", id="title"),
        new_code_cell(_CHECK_DEF, id="setup"),
        new_markdown_cell("**Exercise 1.** What is six times seven?", id="ex1-prompt"),
        ex(new_code_cell("### BEGIN SOLUTION\nanswer_1 = 6 * 7\n### END SOLUTION", id="ex1-answer"), "90.1", "answer"),
        ex(new_code_cell('check("90.1", answer_1)', id="ex1-check"), "90.1", "check"),
        new_markdown_cell("**Exercise 2.** Name the node where two arrowheads meet.", id="ex2-prompt"),
        ex(new_code_cell('### BEGIN SOLUTION\nanswer_2 = "collider"\n### END SOLUTION', id="ex2-answer"), "90.2", "answer"),
        ex(new_code_cell('check("90.2", answer_2)', id="ex2-check"), "90.2", "check"),
    ]
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}})
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{FIXTURE_LESSON}.ipynb"
    nbformat.write(nb, path)
    return path


def require_instructor_tools() -> None:
    """Skip locally (fail in CI) when nbgrader or a working bubblewrap is missing."""
    problems = []
    if importlib.util.find_spec("nbgrader") is None:
        problems.append("nbgrader is not installed (scripts/test.sh installs the instructor group)")
    else:
        from course_build.classroom._sandbox import bwrap_works

        if not bwrap_works():
            problems.append("bubblewrap is missing or cannot create namespaces (apt-get install bubblewrap)")
    if problems:
        if IN_CI:
            pytest.fail("; ".join(problems))
        pytest.skip("; ".join(problems))


def cells_by_id(nb: Any) -> dict[str, Any]:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.get("metadata", {})}


def solution_answers(source_nb: Any) -> dict[str, str]:
    """grade_id -> the solution code (markers removed) of every answer cell of a source notebook."""
    out = {}
    for gid, cell in cells_by_id(source_nb).items():
        if gid.startswith("answer_"):
            lines = [ln for ln in cell.source.split("\n") if "### BEGIN SOLUTION" not in ln and "### END SOLUTION" not in ln]
            out[gid] = "\n".join(lines)
    return out


def fill(release_nb: Any, answers: dict[str, str]) -> Any:
    """A copy of the release notebook with the given answer cells' code (by grade id)."""
    nb = copy.deepcopy(release_nb)
    for gid, cell in cells_by_id(nb).items():
        if gid in answers:
            cell.source = answers[gid]
    return nb


def save_submission(submissions: Path, student: str, nb: Any, name: str) -> Path:
    import nbformat

    folder = submissions / student
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(nb, path)
    return path


def read_gradebook(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def scores(row: dict[str, str], exercises: list[str]) -> list[float]:
    return [float(row[e]) for e in exercises]


def course_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYTHONHASHSEED", "0")
    return env
