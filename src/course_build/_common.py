"""Shared pieces of the course's build tools: locating lessons, output folders, errors.

The build tools (student edition, website, class grading) live outside the runtime
library ``course_utils``: learners never import them, and their dependencies are
installed by the commands that need them.
"""


import argparse
import ast
import copy
import html
import os
import re
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
#: What replaces an answer in the student edition (the check raises ExerciseNotAnswered on ``...``).
PLACEHOLDER = "...  # YOUR ANSWER HERE"
#: A check cell calls one of the course's checks.
CHECK_CALL = re.compile(r"\bcheck\.(?:number|choice|truth|between|columns)\s*\(")
#: Lessons are ``NN_slug.ipynb``.
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
#: Marker file that lets ``build_site``/``build_student`` replace an earlier build safely.
_MARKER = ".course-build"

_CHECKOUT = Path(__file__).resolve().parents[2]


class BuildError(ValueError):
    """A notebook cannot be turned into an edition; the message names the notebook, the cell and the fix."""


# --------------------------------------------------------------------------- locating lessons


def _default_notebooks() -> Path:
    here = Path("notebooks")
    if here.is_dir():
        return here
    if (_CHECKOUT / "notebooks").is_dir():
        return _CHECKOUT / "notebooks"
    raise BuildError(
        "no notebooks/ folder here: run `course build ...` from the course repository, "
        "or pass --notebooks PATH"
    )


def lesson_paths(notebooks: str | os.PathLike | None = None) -> list[Path]:
    """The lesson notebooks (``NN_slug.ipynb``) in order.

    Raises
    ------
    BuildError
        If the folder does not exist or holds no lesson.
    """
    folder = Path(notebooks) if notebooks is not None else _default_notebooks()
    if not folder.is_dir():
        raise BuildError(f"{folder} is not a folder; pass the course's notebooks/ folder")
    paths = sorted(folder.glob(LESSON_GLOB))
    if not paths:
        raise BuildError(f"no lesson notebooks (NN_slug.ipynb) in {folder}")
    return paths


# --------------------------------------------------------------------------- the student transform



# --------------------------------------------------------------------------- output folders


def _fresh_dir(out: Path) -> Path:
    """Create ``out`` empty; replace it only if it is empty or an earlier build of ours."""
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise BuildError(f"{out} exists and is a file; choose another --out")
        if any(out.iterdir()) and not (out / _MARKER).exists():
            raise BuildError(
                f"{out} exists, is not empty and was not made by `course build`; "
                "choose another --out or remove it yourself"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / _MARKER).write_text("made by `course build`; safe to delete\n", encoding="utf-8")
    return out


