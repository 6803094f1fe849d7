"""``course class init DIR``: an nbgrader course made from the solution edition.

Each lesson becomes one nbgrader assignment (``source/NN_slug/NN_slug.ipynb``):

* the exercise cell (``### BEGIN SOLUTION`` ... ``### END SOLUTION``) is an nbgrader
  *solution* cell; on release its block becomes the course's placeholder
  (``answer = ...  # YOUR ANSWER HERE``), by the same function as ``course build student``;
* the exercise's check cell is an autograded *test* cell worth the exercise's points,
  read-only, and carries a **hidden test** between nbgrader's ``### BEGIN HIDDEN TESTS`` /
  ``### END HIDDEN TESTS`` markers: the expected value, computed here by running the
  solution notebook, written inline as a literal and compared with plain Python (no call
  into ``course_utils``, so a student who redefines ``check`` or patches the package
  from a cell still fails it).  nbgrader strips hidden tests from the release, and they
  exist nowhere in the package: only in this instructor-only source folder;
* every other cell (narrative, set-up, figures) is read-only: nbgrader restores it
  from the source before grading, so editing it changes nothing.

Extra instructor-written hidden tests (e.g. a property the answer must have) can be
kept in ``instructors/hidden_tests/NN.json`` as ``{"04.1": ["assert 2 < or_by_hand < 3"]}``;
they are added to the exercise's hidden block.
"""

from __future__ import annotations

import ast
import copy
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from course_build._common import _CHECKOUT, SOLUTION_BEGIN, BuildError, lesson_paths

COURSE_ID = "kratom-evidence"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
#: new-style check call ``check("04.1", x)`` and old-style ``check.number(x, "ck1:...", ...)``
_NEW_CHECK = re.compile(r"^\s*check\s*\(\s*['\"](\d\d\.\d+)['\"]", re.M)
_OLD_CHECK = re.compile(r"\bcheck\.(number|choice|truth|between|columns)\s*\(")
_EXERCISE_NAME = re.compile(r"Exercise\s+(\d+)")
_MARKER = ".course-class"


@dataclass
class Exercise:
    """One exercise of a lesson as the nbgrader source needs it."""

    id: str
    answer_expr: str
    points: float = 1.0
    tol: float | None = None
    answer_cell: int | None = None
    check_cell: int = -1
    expected: dict[str, Any] = field(default_factory=dict)
    extra_hidden: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading a lesson


def _course_meta(cell: Any) -> dict[str, Any]:
    meta = cell.get("metadata", {}).get("course", {})
    return meta if isinstance(meta, dict) else {}


def _lesson_number(path: Path) -> str:
    return path.name[:2]


def _check_call(source: str) -> ast.Call | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id == "check":
                return node
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "check":
                return node
    return None


def _exercise_points(lesson: str) -> dict[str, dict[str, Any]]:
    """Points and tolerances from the package's exercise file, when the engine has one."""
    try:
        from course_utils.exercises import load_lesson  # type: ignore[import-not-found]
    except ImportError:
        return {}
    try:
        entries = load_lesson(lesson)
    except Exception:  # noqa: BLE001 - a lesson without an exercise file
        return {}
    out: dict[str, dict[str, Any]] = {}
    items: Iterable[Any] = entries.values() if isinstance(entries, dict) else entries
    for entry in items:
        spec = entry if isinstance(entry, dict) else dict(getattr(entry, "spec", {}) or {})
        ex_id = getattr(entry, "id", None) or spec.get("id")
        if ex_id:
            points = getattr(entry, "points", None) or spec.get("points", 1)
            out[str(ex_id)] = {"points": points, "tol": spec.get("tol", spec.get("tolerance"))}
    return out


def find_exercises(nb: Any, lesson: str, *, name: str = "notebook") -> list[Exercise]:
    """The exercises of a solution notebook, in order, with their check cells.

    A check cell is one whose metadata says ``{"course": {"role": "check"}}``, or that
    calls ``check("NN.k", answer)`` (the exercise engine) or an old-style
    ``check.number(answer, "ck1:...")``.  Its exercise cell is the nearest cell above it
    with a ``### BEGIN SOLUTION`` block.
    """
    known = _exercise_points(lesson)
    exercises: list[Exercise] = []
    last_answer: int | None = None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = _course_meta(cell)
        source = cell.source
        if meta.get("role") == "answer" or SOLUTION_BEGIN in source:
            last_answer = index
        is_check = meta.get("role") == "check" or bool(_NEW_CHECK.search(source)) or bool(_OLD_CHECK.search(source))
        if not is_check:
            continue
        call = _check_call(source)
        if call is None:
            raise BuildError(f"{name}, cell {cell.get('id', index)}: a check cell without a readable check call")
        if isinstance(call.func, ast.Name):  # check("04.1", x)
            if len(call.args) < 2 or not isinstance(call.args[0], ast.Constant):
                raise BuildError(f"{name}, cell {cell.get('id', index)}: expected check(\"NN.k\", answer)")
            ex_id = str(meta.get("exercise") or call.args[0].value)
            expr = ast.unparse(call.args[1])
            tol = None
        else:  # check.number(x, "ck1:...", tol=..., name="Exercise 2")
            if not call.args:
                raise BuildError(f"{name}, cell {cell.get('id', index)}: the check call has no answer argument")
            expr = ast.unparse(call.args[0])
            kw = {k.arg: k.value for k in call.keywords}
            tol = float(ast.literal_eval(kw["tol"])) if "tol" in kw else None
            label = ast.literal_eval(kw["name"]) if "name" in kw else ""
            m = _EXERCISE_NAME.search(str(label))
            ex_id = str(meta.get("exercise") or f"{lesson}.{m.group(1) if m else len(exercises) + 1}")
        info = known.get(ex_id, {})
        if info.get("tol") is not None:
            tol = float(info["tol"])
        exercises.append(Exercise(id=ex_id, answer_expr=expr, points=float(info.get("points", 1) or 1),
                                  tol=tol, answer_cell=last_answer, check_cell=index))
        last_answer = None
    return exercises


# --------------------------------------------------------------------------- expected values

_CAPTURE_PRELUDE = '''\
def __course_encode__(v):
    import numbers
    try:
        import numpy as _np
        np_bool, np_num = (_np.bool_,), (_np.number,)
    except ImportError:
        np_bool, np_num = (), ()
    def scalar(x):
        if isinstance(x, (bool,) + np_bool):
            return {"kind": "bool", "value": bool(x)}
        if isinstance(x, numbers.Number) or isinstance(x, np_num):
            try:
                return {"kind": "number", "value": float(x)}
            except (TypeError, ValueError):
                return None
        if isinstance(x, str):
            return {"kind": "str", "value": x}
        return None
    s = scalar(v)
    if s is not None:
        return s
    if isinstance(v, (list, tuple)):
        items = [scalar(x) for x in v]
        if all(i is not None for i in items):
            return {"kind": "seq", "value": items}
    if isinstance(v, (set, frozenset)) and all(isinstance(x, str) for x in v):
        return {"kind": "set", "value": sorted(v)}
    return {"kind": "other", "type": type(v).__name__}
__course_captured__ = {}
'''


def capture_expected(nb: Any, exercises: Sequence[Exercise], *, cwd: Path, timeout: int = 600) -> None:
    """Run the solution notebook and store each exercise's answer value in ``expected``.

    The value is read right after the exercise's check cell ran, by a cell added to a
    copy of the notebook (the lesson file is not changed).
    """
    import nbformat
    from nbclient import NotebookClient

    run = copy.deepcopy(nb)
    by_cell = {ex.check_cell: ex for ex in exercises}
    cells = [nbformat.v4.new_code_cell(_CAPTURE_PRELUDE)]
    for index, cell in enumerate(run.cells):
        cells.append(cell)
        if index in by_cell:
            ex = by_cell[index]
            cells.append(nbformat.v4.new_code_cell(
                f"__course_captured__[{ex.id!r}] = __course_encode__({ex.answer_expr})"))
    cells.append(nbformat.v4.new_code_cell("import json as _j; print('__CAPTURED__' + _j.dumps(__course_captured__))"))
    run.cells = cells
    client = NotebookClient(run, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute()
    except Exception as exc:  # noqa: BLE001
        raise BuildError(f"running the solution notebook to read the expected answers failed: {exc}") from None
    text = "".join(o.get("text", "") for o in run.cells[-1].get("outputs", []) if o.get("output_type") == "stream")
    captured = json.loads(text.split("__CAPTURED__", 1)[1])
    for ex in exercises:
        ex.expected = captured.get(ex.id, {"kind": "other", "type": "missing"})


def hidden_test(ex: Exercise) -> list[str]:
    """The hidden test lines for one exercise (plain Python, nothing from course_utils).

    >>> hidden_test(Exercise("04.1", "x", tol=0.005, expected={"kind": "number", "value": 2.206}))
    ['assert abs(float(x) - 2.206) <= 0.005, "hidden test of 04.1"']
    """
    kind = ex.expected.get("kind")
    msg = f'"hidden test of {ex.id}"'
    x = ex.answer_expr
    lines: list[str] = []
    if kind == "number":
        value = float(ex.expected["value"])
        tol = ex.tol if ex.tol is not None else max(1e-9, 1e-6 * abs(value))
        if math.isfinite(value):
            lines.append(f"assert abs(float({x}) - {value!r}) <= {tol!r}, {msg}")
    elif kind == "bool":
        lines.append(f"assert type({x}).__name__ in ('bool', 'bool_') and bool({x}) is {bool(ex.expected['value'])}, {msg}")
    elif kind == "str":
        lines.append(f"assert isinstance({x}, str) and {x}.strip().casefold() == {str(ex.expected['value']).strip().casefold()!r}, {msg}")
    elif kind == "seq":
        items = ex.expected["value"]
        lines.append(f"assert len({x}) == {len(items)}, {msg}")
        for i, item in enumerate(items):
            sub = Exercise(ex.id, f"{x}[{i}]", tol=ex.tol, expected=item)
            lines.extend(hidden_test(sub))
    elif kind == "set":
        lines.append(f"assert sorted(str(v) for v in {x}) == {ex.expected['value']!r}, {msg}")
    lines.extend(ex.extra_hidden)
    return lines


# --------------------------------------------------------------------------- the source notebook


def _nbgrader_meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
                   points: float | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
                            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def grade_id(ex_id: str, role: str) -> str:
    """nbgrader's cell id for an exercise's cell: ``check_04_1`` / ``answer_04_1``."""
    return f"{role}_{ex_id.replace('.', '_')}"


def exercise_of(grade_cell_id: str) -> str | None:
    """The exercise id of a check cell's nbgrader id (``check_04_1`` -> ``04.1``)."""
    m = re.fullmatch(r"check_(\d\d)_(\d+)", grade_cell_id)
    return f"{m.group(1)}.{m.group(2)}" if m else None


def source_notebook(nb: Any, exercises: Sequence[Exercise], *, name: str = "notebook") -> Any:
    """The nbgrader source notebook of a lesson (a new object)."""
    import nbformat

    nb = copy.deepcopy(nb)
    by_check = {ex.check_cell: ex for ex in exercises}
    by_answer = {ex.answer_cell: ex for ex in exercises if ex.answer_cell is not None}
    cells = []
    for index, cell in enumerate(nb.cells):
        tags = list(cell.get("metadata", {}).get("tags", []))
        if "solution" in tags:
            continue  # instructor-only worked example: not in the release, not graded
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        if index in by_check:
            ex = by_check[index]
            hidden = hidden_test(ex)
            source = cell.source.rstrip("\n")
            if hidden:
                source += "\n" + "\n".join([HIDDEN_BEGIN, *hidden, HIDDEN_END])
            cell.source = source
            cell.metadata["nbgrader"] = _nbgrader_meta(grade_id(ex.id, "check"), grade=True, locked=True,
                                                       points=ex.points)
            cell.metadata.setdefault("course", {}).update({"exercise": ex.id, "role": "check"})
            if "raises-exception" not in tags:
                cell.metadata["tags"] = tags + ["raises-exception"]
            cell.metadata["editable"] = False
            cell.metadata["deletable"] = False
        elif index in by_answer:
            ex = by_answer[index]
            cell.metadata["nbgrader"] = _nbgrader_meta(grade_id(ex.id, "answer"), solution=True)
            cell.metadata.setdefault("course", {}).update({"exercise": ex.id, "role": "answer"})
        elif SOLUTION_BEGIN in cell.source:
            cell.metadata["nbgrader"] = _nbgrader_meta(f"written_{cell.get('id', index)}", solution=True)
        else:
            cell.metadata["nbgrader"] = _nbgrader_meta(f"cell_{cell.get('id', index)}", locked=True)
            cell.metadata["editable"] = False
            cell.metadata["deletable"] = False
        cells.append(cell)
    nb.cells = cells
    meta = nb.metadata.get("course", {})
    meta.pop("executed_with", None)
    meta["edition"] = "nbgrader-source"
    nb.metadata["course"] = meta
    nbformat.validate(nb)
    return nb


def _extra_hidden(lesson: str, hidden_dir: Path | None) -> dict[str, list[str]]:
    folder = hidden_dir if hidden_dir is not None else _CHECKOUT / "instructors" / "hidden_tests"
    path = folder / f"{lesson}.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): [str(line) for line in v] for k, v in data.items()}


# --------------------------------------------------------------------------- the course folder

_CONFIG = '''\
"""nbgrader configuration of the course (written by `course class init`; edit freely).

Run nbgrader from this folder: `nbgrader generate_assignment LESSON`, `nbgrader autograde
LESSON`, `nbgrader generate_feedback LESSON`, `nbgrader export`.  See instructors/grading.md.
"""
import os
import sys

from course_build.classroom import nbgrader_plugins as course

c = get_config()  # noqa: F821 - provided by nbgrader when it reads this file
# nbgrader runs `alembic` (its database migrations) from PATH: use this environment's
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.student_id = "*"  # the instructor grades everyone (students' config names themselves)
c.Exchange.root = {exchange!r}  # release / fetch / submit / collect meet here on a hub

# Release: solution blocks become the course's placeholder (`answer = ...  # YOUR ANSWER HERE`),
# the same transform as `course build student`; hidden tests are removed.
c.GenerateAssignment.preprocessors = course.release_preprocessors()

# Grading: outputs cleared, read-only and test cells restored from the source, deleted test
# cells put back, then every submission runs in the sandbox (no network, memory cap, only its
# own folder writable) with a per-cell timeout.
c.OverwriteCells.add_missing_cells = True
c.Autograde.autograde_preprocessors = course.autograde_preprocessors()
c.GenerateFeedback.preprocessors = course.feedback_preprocessors()  # no hidden test reaches students
c.Execute.timeout = {timeout}  # seconds per cell
c.SandboxKernelManager.memory_mb = {memory_mb}
c.SandboxKernelManager.require_sandbox = True  # set False only on a machine without bubblewrap
'''

_README = """\
# nbgrader course (made by `course class init`)

* `source/LESSON/` holds the instructor version of each lesson: solutions and **hidden
  tests**. Never give this folder to students.
* `nbgrader generate_assignment LESSON` makes the student release in `release/LESSON/`.
* `course grade LESSON SUBMISSIONS --course .` grades a folder of downloaded submissions;
  on a hub, `nbgrader release_assignment`, `collect`, `autograde`, `generate_feedback`, `export`.

See `instructors/grading.md` in the course repository.
"""


def init_course(
    out: str | os.PathLike,
    *,
    lessons: Sequence[str] | None = None,
    notebooks: str | os.PathLike | None = None,
    course_id: str = COURSE_ID,
    exchange: str = "/srv/nbgrader/exchange",
    timeout: int = 60,
    memory_mb: int = 2048,
    hidden_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> list[Path]:
    """Write an nbgrader course folder from the solution notebooks; return the source notebooks.

    Parameters
    ----------
    out : path
        The course folder (created; an existing one is updated only if it was made by this
        command or is empty).
    lessons : sequence of str, optional
        Lesson numbers (``"04"``) or file names; default every lesson with an exercise.
    notebooks : path, optional
        The lessons folder (default: the course's ``notebooks/``).
    """
    import nbformat

    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / _MARKER).exists():
        raise BuildError(f"{out} exists, is not empty and was not made by `course class init`; choose another folder")
    paths = select_lessons(lessons, notebooks)
    (out / "source").mkdir(parents=True, exist_ok=True)
    (out / _MARKER).write_text("made by `course class init`\n", encoding="utf-8")
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        lesson = _lesson_number(path)
        exercises = find_exercises(nb, lesson, name=path.name)
        if not exercises:
            if lessons:
                raise BuildError(f"{path.name} has no exercise with a check cell; nothing to grade")
            continue
        extra = _extra_hidden(lesson, Path(hidden_dir) if hidden_dir else None)
        for ex in exercises:
            ex.extra_hidden = extra.get(ex.id, [])
        if progress:
            print(f"== {path.stem}: running the solution to record the expected answers", flush=True)
        capture_expected(nb, exercises, cwd=path.parent)
        for ex in exercises:
            if not hidden_test(ex):
                print(f"warning: {ex.id}: the answer is a {ex.expected.get('type')}; no hidden value test "
                      "(only the check grades it); add one in instructors/hidden_tests/", flush=True)
        source = source_notebook(nb, exercises, name=path.name)
        folder = out / "source" / path.stem
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        nbformat.write(source, target)
        written.append(target)
    (out / "nbgrader_config.py").write_text(
        _CONFIG.format(course_id=course_id, exchange=exchange, timeout=int(timeout), memory_mb=int(memory_mb)),
        encoding="utf-8")
    (out / "README.md").write_text(_README, encoding="utf-8")
    return written


def select_lessons(lessons: Sequence[str] | None, notebooks: str | os.PathLike | None = None) -> list[Path]:
    """Lesson notebooks named by number (``"4"``, ``"04"``), stem or file name (all if None)."""
    paths = lesson_paths(notebooks)
    if not lessons:
        return paths
    chosen = []
    for want in lessons:
        w = Path(str(want)).name.removesuffix(".ipynb")
        key = w.zfill(2) if w.isdigit() else w
        match = [p for p in paths if p.stem == key or p.name[:2] == key]
        if not match:
            raise BuildError(f"no lesson {want!r}; lessons are {', '.join(p.stem for p in paths)}")
        chosen.extend(m for m in match if m not in chosen)
    return chosen
