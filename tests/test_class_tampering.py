"""Grades that cannot be faked (issue 11, item 3), on the real lesson 04.

`course class init` builds the nbgrader course from the solution edition of lesson 04;
every submission starts from nbgrader's release.  The full solution must score full
marks, the untouched student edition 0, and each tampering attempt must earn nothing for
the exercises it touched while the honest answers around it keep their points.  All
submissions are graded in one `course grade` run (2 workers); each test reads one row.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from class_helpers import (
    cells_by_id,
    course_env,
    fill,
    read_gradebook,
    require_instructor_tools,
    save_submission,
    scores,
    solution_answers,
)
from conftest import NOTEBOOKS

pytestmark = pytest.mark.slow
LESSON = "04_association_causation"
NB_NAME = f"{LESSON}.ipynb"
EX = ["04.1", "04.2", "04.3", "04.4"]
WRONG = {"answer_04_1": "or_by_hand = 1.0", "answer_04_2": "crude_or_men = 0.54"}

# A stand-in for `check` that passes anything, in either API (check("04.1", x) or check.number(...)).
_FAKE_CHECK = '''\
class _AlwaysRight:
    def __call__(self, *args, **kwargs):
        print("✅ correct.")
    def __getattr__(self, name):
        return self
'''


def _edit_check(nb, gid: str, source: str):
    cells_by_id(nb)[gid].source = source
    return nb


def _delete_check(nb, gid: str):
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != gid]
    return nb


def _insert_before_imports(nb, source: str):
    import nbformat

    nb.cells.insert(0, nbformat.v4.new_code_cell(source))
    return nb


def _insert_after(nb, gid: str, source: str):
    import nbformat

    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == gid)
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source))
    return nb


def _paste_pass(nb, gid: str):
    import nbformat

    cell = cells_by_id(nb)[gid]
    cell.execution_count = 7
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="✅ 04.2: correct.\n")]
    return nb


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    require_instructor_tools()
    import nbformat

    from course_build.classroom.nbgrader_course import init_course

    tmp = tmp_path_factory.mktemp("tamper")
    course = tmp / "course"
    init_course(course, lessons=["04"], notebooks=NOTEBOOKS, progress=False)
    gen = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", LESSON, "--force"],
                         cwd=course, capture_output=True, text=True, env=course_env())
    assert gen.returncode == 0, gen.stdout + gen.stderr
    release = nbformat.read(course / "release" / LESSON / NB_NAME, as_version=4)
    right = solution_answers(nbformat.read(course / "source" / LESSON / NB_NAME, as_version=4))
    one_wrong = {**right, "answer_04_2": WRONG["answer_04_2"]}
    two_wrong = {**right, **WRONG}
    subs = {
        "full_solution": fill(release, right),
        "student_edition": release,
        # 04.2 wrong and its check cell replaced by a print of the pass message
        "edit_check": _edit_check(fill(release, one_wrong), "check_04_2", 'print("✅ 04.2: correct.")'),
        # 04.2 wrong and its check cell deleted
        "delete_check": _delete_check(fill(release, one_wrong), "check_04_2"),
        # 04.1 and 04.2 wrong; `check` redefined after the lesson's imports, so every check passes
        "redefine_check": _insert_after(fill(release, two_wrong), "answer_04_1", _FAKE_CHECK + "check = _AlwaysRight()"),
        # 04.1 and 04.2 wrong; course_utils' checks replaced before the lesson imports them
        "patch_course_utils": _insert_before_imports(fill(release, two_wrong), _FAKE_CHECK + (
            "import sys, course_utils, course_utils.check as _real\n"
            "for _name in dir(_real):\n"
            "    if not _name.startswith('_') and callable(getattr(_real, _name)):\n"
            "        setattr(_real, _name, _AlwaysRight())\n"
            "course_utils.check = _AlwaysRight()\n"
            "sys.modules['course_utils.check'] = course_utils.check")),
        # 04.2 wrong with a pasted "✅ correct" output under its check cell
        "paste_output": _paste_pass(fill(release, one_wrong), "check_04_2"),
    }
    folder = tmp / "submissions"
    for student, nb in subs.items():
        save_submission(folder, student, nb, NB_NAME)
    out = tmp / "grades.csv"
    proc = subprocess.run([sys.executable, "-m", "course_utils.cli", "grade", "04", str(folder), "--out", str(out),
                           "--course", str(course), "--workers", "2", "--quiet"],
                          capture_output=True, text=True, env=course_env(), cwd=tmp)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return read_gradebook(out)


def test_full_solution_scores_full_marks(gradebook: dict) -> None:
    row = gradebook["full_solution"]
    assert scores(row, EX) == [1.0, 1.0, 1.0, 1.0] and row["status"] == "graded"


def test_untouched_student_edition_scores_zero(gradebook: dict) -> None:
    assert scores(gradebook["student_edition"], EX) == [0.0, 0.0, 0.0, 0.0]


def test_editing_a_check_cell_earns_nothing(gradebook: dict) -> None:
    assert scores(gradebook["edit_check"], EX) == [1.0, 0.0, 1.0, 1.0]


def test_deleting_a_check_cell_earns_nothing(gradebook: dict) -> None:
    assert scores(gradebook["delete_check"], EX) == [1.0, 0.0, 1.0, 1.0]


def test_redefining_check_earns_nothing(gradebook: dict) -> None:
    assert scores(gradebook["redefine_check"], EX) == [0.0, 0.0, 1.0, 1.0]


def test_patching_course_utils_earns_nothing(gradebook: dict) -> None:
    assert scores(gradebook["patch_course_utils"], EX) == [0.0, 0.0, 1.0, 1.0]


def test_pasting_a_pass_message_earns_nothing(gradebook: dict) -> None:
    assert scores(gradebook["paste_output"], EX) == [1.0, 0.0, 1.0, 1.0]


def test_the_course_package_holds_no_hidden_test(gradebook: dict) -> None:
    """Hidden tests live only in the instructor's nbgrader source, never in what students install."""
    root = Path(__file__).resolve().parents[1]
    for folder in (root / "src" / "course_utils", root / "notebooks"):
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix in {".py", ".json", ".ipynb", ".toml"}:
                assert "BEGIN HIDDEN TESTS" not in path.read_text(encoding="utf-8", errors="replace"), path
