"""`course class init` and `course grade` on a small fixture lesson (issue 11, items 1-2).

The fixture lesson (tests/class_helpers.py) is in the exercise engine's format.  One
class of submissions is graded once through the real command line (`course grade`);
the tests then read its CSV gradebook and feedback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from class_helpers import (
    FIXTURE_LESSON,
    cells_by_id,
    course_env,
    fill,
    read_gradebook,
    require_instructor_tools,
    save_submission,
    scores,
    solution_answers,
    write_fixture_lesson,
)

pytestmark = pytest.mark.slow
EXERCISES = ["90.1", "90.2"]
NB_NAME = f"{FIXTURE_LESSON}.ipynb"


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    require_instructor_tools()
    tmp = tmp_path_factory.mktemp("class")
    notebooks = tmp / "notebooks"
    write_fixture_lesson(notebooks)
    course_dir = tmp / "course"
    proc = subprocess.run([sys.executable, "-m", "course_utils.cli", "class", "init", str(course_dir),
                           "--notebooks", str(notebooks), "--lessons", "90", "--timeout", "10"],
                          capture_output=True, text=True, env=course_env(), cwd=tmp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    gen = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", FIXTURE_LESSON, "--force"],
                         capture_output=True, text=True, env=course_env(), cwd=course_dir)
    assert gen.returncode == 0, gen.stdout + gen.stderr
    return {"tmp": tmp, "course": course_dir, "notebooks": notebooks,
            "source": course_dir / "source" / FIXTURE_LESSON / NB_NAME,
            "release": course_dir / "release" / FIXTURE_LESSON / NB_NAME}


@pytest.fixture(scope="module")
def graded(course: dict[str, Path]) -> dict[str, object]:
    import nbformat

    release = nbformat.read(course["release"], as_version=4)
    source = nbformat.read(course["source"], as_version=4)
    subs = course["tmp"] / "submissions"
    full = fill(release, solution_answers(source))
    save_submission(subs, "ada", full, NB_NAME)
    save_submission(subs, "ben", release, NB_NAME)  # the untouched student edition
    save_submission(subs, "cy", fill(release, {"answer_90_1": "answer_1 = 41", "answer_90_2": 'answer_2 = "collider"'}),
                    "90_fixture (1).ipynb")  # an LMS renames downloads
    (subs / "dee").mkdir()  # nothing handed in
    (subs / "eve").mkdir()
    (subs / "eve" / NB_NAME).write_text("{ this is not a notebook", encoding="utf-8")
    out = course["tmp"] / "grades.csv"
    proc = subprocess.run([sys.executable, "-m", "course_utils.cli", "grade", "90", str(subs), "--out", str(out),
                           "--course", str(course["course"]), "--workers", "2", "--timeout", "10"],
                          capture_output=True, text=True, env=course_env(), cwd=course["tmp"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {"csv": out, "rows": read_gradebook(out), "stdout": proc.stdout, "stderr": proc.stderr,
            "feedback": course["tmp"] / "grades-feedback"}


def test_source_has_graded_check_cells_with_hidden_tests(course: dict[str, Path]) -> None:
    import nbformat

    cells = cells_by_id(nbformat.read(course["source"], as_version=4))
    check = cells["check_90_1"]
    assert check.metadata["nbgrader"] == {"grade": True, "grade_id": "check_90_1", "locked": True, "points": 1.0,
                                          "schema_version": 3, "solution": False, "task": False}
    assert check.source.splitlines() == ['check("90.1", answer_1)', "### BEGIN HIDDEN TESTS",
                                         'assert abs(float(answer_1) - 42.0) <= 4.2e-05, "hidden test of 90.1"',
                                         "### END HIDDEN TESTS"]
    assert "casefold() == 'collider'" in cells["check_90_2"].source
    assert cells["answer_90_1"].metadata["nbgrader"]["solution"] is True
    # narrative and set-up cells are read-only (restored from the source when grading)
    assert cells["cell_setup"].metadata["nbgrader"]["locked"] is True
    assert cells["cell_title"].metadata["nbgrader"]["locked"] is True


def test_release_has_placeholders_and_no_hidden_tests(course: dict[str, Path]) -> None:
    text = course["release"].read_text(encoding="utf-8")
    assert "HIDDEN" not in text and "hidden test" not in text and "42.0" not in text
    import nbformat

    cells = cells_by_id(nbformat.read(course["release"], as_version=4))
    assert cells["answer_90_1"].source == "answer_1 = ...  # YOUR ANSWER HERE"  # the course's placeholder
    assert cells["check_90_1"].source == 'check("90.1", answer_1)'


def test_full_solution_scores_full_marks(graded: dict) -> None:
    row = graded["rows"]["ada"]
    assert scores(row, EXERCISES) == [1.0, 1.0]
    assert (row["total"], row["max"], row["status"]) == ("2.0", "2.0", "graded")


def test_untouched_student_edition_scores_zero(graded: dict) -> None:
    row = graded["rows"]["ben"]
    assert scores(row, EXERCISES) == [0.0, 0.0] and row["status"] == "graded"


def test_one_wrong_answer_costs_only_that_exercise(graded: dict) -> None:
    row = graded["rows"]["cy"]  # renamed file is found
    assert scores(row, EXERCISES) == [0.0, 1.0] and row["total"] == "1.0"


def test_missing_and_broken_submissions_have_a_status(graded: dict) -> None:
    rows = graded["rows"]
    assert rows["dee"]["status"] == "missing" and rows["dee"]["total"] == "0.0"
    assert rows["eve"]["status"] == "error" and rows["eve"]["total"] == "0.0"


def test_gradebook_columns(graded: dict) -> None:
    header = graded["csv"].read_text(encoding="utf-8").splitlines()[0]
    assert header == "student,90.1,90.2,total,max,status,note"
    assert list(graded["rows"]) == ["ada", "ben", "cy", "dee", "eve"]
    assert "5 student(s)" in graded["stdout"] and "grading [" in graded["stderr"]  # progress bar


def test_feedback_html_per_student_without_hidden_tests(graded: dict) -> None:
    folder = graded["feedback"]
    assert sorted(p.name for p in folder.glob("*.html")) == ["ada.html", "ben.html", "cy.html"]
    for page in folder.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "HIDDEN TESTS" not in text and "42.0" not in text
    assert "❌ 90.1: not yet." in (folder / "cy.html").read_text(encoding="utf-8")  # the check's feedback


def test_grade_without_nbgrader_course_builds_one(tmp_path: Path) -> None:
    """`course grade` with no --course makes the nbgrader course itself from the solution notebooks."""
    require_instructor_tools()
    from course_build.classroom.grade import grade

    notebooks = tmp_path / "notebooks"
    write_fixture_lesson(notebooks)
    subs = tmp_path / "subs"
    (subs / "nobody").mkdir(parents=True)
    res = grade("90", subs, tmp_path / "g.csv", notebooks=notebooks, progress=False)
    assert [(r.student, r.status) for r in res] == [("nobody", "missing")]
    assert (tmp_path / "g.csv").read_text(encoding="utf-8").splitlines() == [
        "student,90.1,90.2,total,max,status,note", "nobody,0.0,0.0,0.0,2.0,missing,no notebook in the folder"]


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    require_instructor_tools()
    from course_build._common import BuildError
    from course_build.classroom.grade import grade

    with pytest.raises(BuildError, match="is not a folder"):
        grade("90", tmp_path / "nope", tmp_path / "g.csv")
    (tmp_path / "subs").mkdir()
    with pytest.raises(BuildError, match="no lesson '77'"):
        grade("77", tmp_path / "subs", tmp_path / "g.csv")
    with pytest.raises(BuildError, match="not a course folder"):
        grade("04", tmp_path / "subs", tmp_path / "g.csv", course=tmp_path)
