"""The student edition: exercises open, solutions removed, outputs cleared.

``course build student`` turns each solution notebook into its student edition:
code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes a placeholder
that keeps the variable the check reads, cells tagged ``solution`` are removed,
outputs are cleared, and check cells are tagged ``raises-exception`` so that *Run
all* walks through the whole lesson.

>>> from course_build.student import student_source
>>> print(student_source("### BEGIN SOLUTION\\nanswer_1 = len(df)\\n### END SOLUTION", later=["answer_1"]))
answer_1 = ...  # YOUR ANSWER HERE
"""


import argparse
import ast
import copy
import html
import os
import re
import shutil
import sys
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from course_build._common import (
    CHECK_CALL,
    PLACEHOLDER,
    SOLUTION_BEGIN,
    SOLUTION_END,
    BuildError,
    _fresh_dir,
    lesson_paths,
)

def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


#: A check cell of the exercise format: ``check("05.1", answer)``.
EXERCISE_CHECK = re.compile(r"""\bcheck\(\s*["'](\d\d\.\d+)["']\s*,""")


def is_check_cell(cell: Any) -> bool:
    """True for a code cell that checks an exercise: ``check("05.1", x)`` or a first-format ``check.number(...)``."""
    if cell.get("cell_type") != "code":
        return False
    source = cell.get("source", "")
    role = cell.get("metadata", {}).get("course", {}).get("role")
    return role == "check" or bool(EXERCISE_CHECK.search(source)) or bool(CHECK_CALL.search(source))


def is_legacy_check_cell(cell: Any) -> bool:
    """True for a first-format check (``check.number(answer, "ck1:...", ...)``): its key decodes to the answer."""
    return cell.get("cell_type") == "code" and bool(CHECK_CALL.search(cell.get("source", "")))


def has_solution(cell: Any) -> bool:
    """True for a cell holding a ``### BEGIN SOLUTION`` block."""
    return SOLUTION_BEGIN in cell.get("source", "")


def _assigned_names(block: str) -> list[str]:
    names: list[str] = []

    def collect(target: ast.AST) -> None:
        if isinstance(target, ast.Name):
            if target.id not in names:
                names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                collect(elt)
        elif isinstance(target, ast.Starred):
            collect(target.value)

    for node in ast.parse(block).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                collect(target)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            collect(node.target)
    return names


def student_source(source: str, *, later: Iterable[str] = (), where: str = "a cell") -> str:
    """Replace every solution block in a code cell's source by a placeholder.

    Parameters
    ----------
    source : str
        The cell's code.
    later : iterable of str
        Code that runs after this block (later cells); only the assigned names that
        this code reads get a placeholder, so helper variables of the model answer
        do not give the method away.  If none is read later, every assigned name is kept.
    where : str
        Names the notebook and cell in error messages.

    Raises
    ------
    BuildError
        A block is not closed, is not valid Python, or assigns no variable.
    """
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    later_text = "\n".join(later)
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith(SOLUTION_BEGIN):
            indent = line[: len(line) - len(line.lstrip())]
            try:
                end = next(j for j in range(i + 1, len(lines)) if lines[j].strip().startswith(SOLUTION_END))
            except StopIteration:
                raise BuildError(f"{where}: `{SOLUTION_BEGIN}` has no matching `{SOLUTION_END}`; add it") from None
            block_lines = lines[i + 1 : end]
            block = "\n".join(line[len(indent) :] if line.startswith(indent) else line for line in block_lines)
            try:
                names = _assigned_names(block)
            except SyntaxError as exc:
                raise BuildError(f"{where}: the solution block is not valid Python ({exc.msg}); fix it") from None
            if not names:
                raise BuildError(
                    f"{where}: the solution block assigns no variable; put the answer in a variable "
                    "(e.g. `answer_1 = ...`) that the check cell reads, as CONTRIBUTING.md asks"
                )
            rest = "\n".join(lines[end + 1 :]) + "\n" + later_text
            used = [n for n in names if re.search(rf"(?<![\w.]){re.escape(n)}\b", rest)]
            out.extend(f"{indent}{name} = {PLACEHOLDER}" for name in (used or names))
            i = end + 1
            continue
        if line.strip().startswith(SOLUTION_END):
            raise BuildError(f"{where}: `{SOLUTION_END}` without a `{SOLUTION_BEGIN}` before it; fix the markers")
        out.append(line)
        i += 1
    return "\n".join(out)


def _student_markdown(source: str, where: str) -> str:
    pattern = re.compile(rf"{re.escape(SOLUTION_BEGIN)}.*?{re.escape(SOLUTION_END)}", re.S)
    text = pattern.sub("*Your answer here.*", source)
    if SOLUTION_BEGIN in text or SOLUTION_END in text:
        raise BuildError(f"{where}: unbalanced solution markers in a Markdown cell; fix the markers")
    return text


def student_notebook(nb: Any, *, name: str = "notebook", keep_outputs: bool = False) -> Any:
    """The student edition of one solution notebook (a new object; ``nb`` is not changed).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A lesson notebook (solution edition).
    name : str
        Used in error messages.
    keep_outputs : bool
        False (the student edition): clear every output.  True (the student website):
        keep stored outputs except those of exercise and check cells.
    """
    import nbformat

    nb = copy.deepcopy(nb)
    cells = [c for c in nb.cells if "solution" not in _tags(c)]
    code_sources = [c.source if c.cell_type == "code" else "" for c in cells]
    new_cells = []
    for index, cell in enumerate(cells):
        where = f"{name}, cell {cell.get('id', index)}"
        if cell.cell_type == "markdown" and (SOLUTION_BEGIN in cell.source or SOLUTION_END in cell.source):
            cell.source = _student_markdown(cell.source, where)
        if cell.cell_type == "code":
            exercise = has_solution(cell) or SOLUTION_END in cell.source
            if exercise:
                cell.source = student_source(cell.source, later=code_sources[index + 1 :], where=where)
            if is_legacy_check_cell(cell):
                warnings.warn(
                    f"{where}: a first-format check (check.number/choice/truth/between/columns with a \"ck1:\" key) "
                    "shows the answer to anyone who decodes it; convert the lesson with "
                    "`python tools/convert_exercises.py convert NOTEBOOK` then `... rehash NOTEBOOK` (CONTRIBUTING.md section 8)",
                    UserWarning, stacklevel=2,
                )
            check = is_check_cell(cell)
            if check:
                tags = _tags(cell)
                if "raises-exception" not in tags:
                    cell.metadata["tags"] = tags + ["raises-exception"]
            if not keep_outputs or exercise or check:
                cell.outputs = []
                cell.execution_count = None
        new_cells.append(cell)
    nb.cells = new_cells
    meta = nb.metadata.get("course", {})
    meta.pop("executed_with", None)
    meta["edition"] = "student"
    nb.metadata["course"] = meta
    nbformat.validate(nb)
    return nb


_STUDENT_README = """\
# Student edition

These are the course's lessons with the exercises left open.

* Open a lesson in JupyterLab and run it from the top (*Run > Run All Cells* works:
  the check cells are tagged so that an unanswered exercise does not stop the run).
* Each exercise cell holds `name = ...  # YOUR ANSWER HERE`. Replace the `...`
  with your answer, run the cell, then run the check cell below it, e.g.
  `check("05.1", mh_pain)`.
* A check says ✅ when you are right, ❌ with what to change when you are not yet
  (a common mistake is named), and ⏳ while the exercise is unanswered.
* Stuck? `hint("05.1")` prints a hint; call it again for the next one.
* The lessons need the `course-utils` package (it carries the datasets); install it
  as the course's README explains.

The lessons analyse data on depression, stress and drug use. They are not medical
advice and do not recommend kratom or any other treatment.
"""


def build_student(out: str | os.PathLike = "build/student", notebooks: str | os.PathLike | None = None) -> list[Path]:
    """Write the student edition of every lesson to ``out``; return the notebook paths.

    Other files beside the lessons in ``notebooks/`` (for example images a lesson
    shows) are copied too; the datasets are not (they come with ``course_utils``).
    """
    import nbformat

    paths = lesson_paths(notebooks)
    out = _fresh_dir(Path(out))
    source_dir = paths[0].parent
    for item in sorted(source_dir.iterdir()):
        if item.suffix == ".ipynb" or item.name.startswith(".") or item.name == "__pycache__":
            continue
        if item.is_dir():
            shutil.copytree(item, out / item.name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy2(item, out / item.name)
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        student = student_notebook(nb, name=path.name)
        target = out / path.name
        nbformat.write(student, target)
        written.append(target)
    (out / "README.md").write_text(_STUDENT_README, encoding="utf-8")
    return written


# --------------------------------------------------------------------------- the website
