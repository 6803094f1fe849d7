"""The student edition: ``course build student``.

* the transform on small, hand-made notebooks (placeholders, removed cells, errors);
* on every lesson: no solution text survives, every check cell survives, outputs are
  cleared, the notebook is valid;
* every student notebook runs top to bottom, and the only errors are the checks of the
  unanswered exercises, each raising ``ExerciseNotAnswered`` -- so a student can work
  through a lesson in order (and *Run all* does not stop at the first check).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import ROOT, cell_label, lesson_params, lesson_paths, read_nb, rel, snapshot_notebooks
import course_build as build
from course_build import BuildError, student_notebook, student_source

# --------------------------------------------------------------------------- the transform


def test_placeholder_keeps_only_the_variable_the_check_reads():
    source = "### BEGIN SOLUTION\nsub = df[df.x > 1]\nanswer_2 = sub.y.mean()\n### END SOLUTION"
    out = student_source(source, later=['check("99.2", answer_2)'])
    assert out == "answer_2 = ...  # YOUR ANSWER HERE"
    assert "sub" not in out and "mean" not in out


def test_placeholder_keeps_code_around_the_block_and_indentation():
    source = (
        "# Hint: use len()\n"
        "def f(df):\n"
        "    ### BEGIN SOLUTION\n"
        "    n = len(df)\n"
        "    ### END SOLUTION\n"
        "    return n\n"
        "answer = f(df)"
    )
    out = student_source(source)
    assert out == "# Hint: use len()\ndef f(df):\n    n = ...  # YOUR ANSWER HERE\n    return n\nanswer = f(df)"


def test_placeholder_unpacks_tuples_and_falls_back_to_every_assigned_name():
    out = student_source("### BEGIN SOLUTION\nlow, high = 1, 2\n### END SOLUTION")
    assert out.splitlines() == ["low = ...  # YOUR ANSWER HERE", "high = ...  # YOUR ANSWER HERE"]


@pytest.mark.parametrize(
    "source, message",
    [
        ("### BEGIN SOLUTION\nanswer = 1\n", "no matching"),
        ("answer = 1\n### END SOLUTION", "without a"),
        ("### BEGIN SOLUTION\nlen(df)\n### END SOLUTION", "assigns no variable"),
        ("### BEGIN SOLUTION\nanswer = (\n### END SOLUTION", "not valid Python"),
    ],
)
def test_bad_solution_blocks_are_reported_with_where_and_what_to_do(source, message):
    with pytest.raises(BuildError, match=message) as info:
        student_source(source, where="notebooks/99_x.ipynb, cell 7")
    assert "notebooks/99_x.ipynb, cell 7" in str(info.value)


def _toy_notebook():
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Lesson 99 — Toy"),
            new_code_cell("x = 2", outputs=[new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]),
            new_markdown_cell("**Exercise 1.** Double x."),
            new_code_cell(
                "### BEGIN SOLUTION\nanswer_1 = 2 * x\n### END SOLUTION\nanswer_1",
                outputs=[new_output("execute_result", data={"text/plain": "4"}, execution_count=2)],
            ),
            new_code_cell(
                'check("99.1", answer_1)',
                outputs=[new_output("stream", name="stdout", text="✅ 99.1: correct.\n")],
                metadata={"course": {"exercise": "99.1", "role": "check"}},
            ),
            new_markdown_cell("Model answer: it is 4.\n\n### BEGIN SOLUTION\nFour, because 2 × 2.\n### END SOLUTION"),
            new_code_cell("print('the worked answer', 2 * x)"),
        ]
    )
    nb.cells[-1].metadata["tags"] = ["solution"]
    nb.metadata["course"] = {"executed_with": {"code": "abc"}}
    return nb


def test_student_notebook_on_a_toy_lesson():
    nb = _toy_notebook()
    student = student_notebook(nb, name="toy.ipynb")
    nbformat.validate(student)
    sources = [c.source for c in student.cells]
    assert len(student.cells) == len(nb.cells) - 1, "the cell tagged 'solution' is removed"
    assert "answer_1 = ...  # YOUR ANSWER HERE\nanswer_1" in sources
    assert 'check("99.1", answer_1)' in sources, "the one-line check is kept"
    assert student.cells[4].metadata["course"] == {"exercise": "99.1", "role": "check"}
    assert "raises-exception" in student.cells[4].metadata["tags"]
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code"), "outputs cleared"
    assert all(c.get("execution_count") is None for c in student.cells if c.cell_type == "code")
    assert "Four, because" not in "".join(sources) and "*Your answer here.*" in sources[5]
    assert student.metadata["course"] == {"edition": "student"}, "the solution's execution fingerprint is dropped"
    assert nb.cells[3].source.startswith("### BEGIN"), "the input notebook is not modified"


def test_check_cells_are_recognised_in_both_formats_and_the_first_format_warns():
    new = new_code_cell('check("05.1", mh_pain)')
    by_metadata = new_code_cell("check('05.1',\n      mh_pain)", metadata={"course": {"exercise": "05.1", "role": "check"}})
    old = new_code_cell('check.number(x, "ck1:MQ==", tol=0.1)')
    assert build.is_check_cell(new) and build.is_check_cell(by_metadata) and build.is_check_cell(old)
    assert not build.is_check_cell(new_code_cell("positivity_check(df)")) and not build.is_check_cell(new_markdown_cell('check("05.1", x)'))
    nb = _toy_notebook()
    nb.cells[4] = old
    with pytest.warns(UserWarning, match="convert the lesson with"):
        student_notebook(nb, name="toy.ipynb")


def test_student_notebook_for_the_website_keeps_narrative_outputs_only():
    student = student_notebook(_toy_notebook(), name="toy.ipynb", keep_outputs=True)
    assert student.cells[1].outputs, "ordinary outputs are kept for the student website"
    assert not student.cells[3].outputs and not student.cells[4].outputs, "exercise and check outputs are removed"


def test_build_refuses_to_overwrite_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(BuildError, match="not made by `course build`"):
        build.build_student(tmp_path, ROOT / "notebooks")
    assert (tmp_path / "precious.txt").exists()


def test_build_says_where_the_notebooks_are_missing(tmp_path):
    with pytest.raises(BuildError, match="no lesson notebooks"):
        build.build_student(tmp_path / "out", tmp_path)


# --------------------------------------------------------------------------- the real lessons

SOLUTION_BLOCK = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def test_default_notebooks_folder_is_found_from_the_repository(monkeypatch):
    monkeypatch.chdir(ROOT)
    found = build.lesson_paths()
    assert [p.name for p in found] == [p.name for p in lesson_paths()]
    assert all(p.resolve().parent == ROOT / "notebooks" for p in found)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    if not lesson_paths():
        pytest.skip("no lessons in notebooks/ yet")
    return snapshot_notebooks(tmp_path_factory.mktemp("snapshot") / "notebooks")


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory, snapshot):
    """The student edition built once with the real ``course`` command (from a snapshot of notebooks/)."""
    out = tmp_path_factory.mktemp("edition") / "student"
    course = Path(sys.executable).with_name("course")
    assert course.exists(), f"the `course` console script is missing beside {sys.executable}; run scripts/setup.sh"
    proc = subprocess.run(
        [str(course), "build", "student", "--notebooks", str(snapshot), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, f"`course build student` failed:\n{proc.stdout}\n{proc.stderr}"
    assert "Wrote the student edition" in proc.stdout
    return out


def test_student_edition_has_every_lesson_and_a_readme(student_dir):
    assert sorted(p.name for p in student_dir.glob("*.ipynb")) == [p.name for p in lesson_paths()]
    assert "YOUR ANSWER HERE" in (student_dir / "README.md").read_text(encoding="utf-8")
    assert not (student_dir / "datasets").exists(), "data come with the installed course_utils, not the edition"


@pytest.mark.parametrize("lesson", lesson_params())
def test_no_solution_survives_and_every_check_does(lesson, student_dir, snapshot):
    solution = read_nb(snapshot / lesson.name)
    student_path = student_dir / lesson.name
    student = nbformat.read(student_path, as_version=4)
    nbformat.validate(student)
    text = "\n".join(c.source for c in student.cells)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text, f"{rel(lesson)}: solution markers survive"
    other = "\n".join(SOLUTION_BLOCK.sub("", c.source) for c in solution.cells if "solution" not in c.metadata.get("tags", []))
    leaked = []
    for i, cell in enumerate(solution.cells):
        blocks = SOLUTION_BLOCK.findall(cell.source)
        if "solution" in cell.metadata.get("tags", []):
            blocks.append(cell.source)
        for block in blocks:
            for line in block.splitlines():
                line = line.strip()
                # a line that also appears outside every solution is not a leak (e.g. `df.head()`)
                if len(line) >= 6 and not line.startswith("#") and line not in other and line in text:
                    leaked.append(f"{cell_label(lesson, i, cell)}: {line!r}")
    assert not leaked, "solution text survives in the student edition:\n" + "\n".join(leaked)
    checks = [c.source for c in solution.cells if build.is_check_cell(c)]
    student_checks = [c.source for c in student.cells if build.is_check_cell(c)]
    assert student_checks == checks, f"{rel(lesson)}: check cells must survive unchanged in the student edition"
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code"), f"{rel(lesson)}: outputs not cleared"


@pytest.mark.slow
@pytest.mark.parametrize("lesson", lesson_params())
def test_student_notebook_runs_and_fails_only_at_its_checks(lesson, student_dir):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = student_dir / lesson.name
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        failing = next(
            ((i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code" and not build.is_check_cell(c)
             and any(o.output_type == "error" for o in c.get("outputs", []))), None)
        if failing and build.PLACEHOLDER in failing[1].source:
            advice = ("this exercise cell's own code fails on the placeholder `...` (for example a line after "
                      "`### END SOLUTION` that computes with the answer): move that line inside the solution "
                      "block, or leave the answer's display to the check")
        else:
            advice = ("a cell that is not a check fails in the student edition: does it use a variable that only "
                      "the model answer defines? Compute it outside the solution block")
        where = cell_label(lesson, failing[0], failing[1]) if failing else rel(lesson)
        pytest.fail(f"student edition of {where}: {advice}.\n{exc}")
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if build.is_check_cell(cell):
            if [e.ename for e in errors] != ["ExerciseNotAnswered"]:
                got = ", ".join(f"{e.ename}: {e.evalue}" for e in errors) or "it passed"
                problems.append(
                    f"{cell_label(lesson, i, cell)}: an unanswered check must raise ExerciseNotAnswered, but {got}"
                )
        elif errors:
            problems.append(f"{cell_label(lesson, i, cell)}: {errors[0].ename}: {errors[0].evalue}")
    assert not problems, "student edition problems:\n" + "\n".join(problems)
