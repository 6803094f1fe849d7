"""Author and execute lesson notebooks (maintainer tool, not needed by learners).

The ``.ipynb`` files in ``notebooks/`` are the source of truth.  This module
helps write one from Python and execute it the way CI does, so that the stored
outputs nbval compares are the ones the locked environment produces::

    .venv/bin/python tools/nbtools.py execute notebooks/02_survey_weights.ipynb

In a script::

    from nbtools import md, code, write
    write("notebooks/99_demo.ipynb", [md("# Title"), code("1 + 1")])

Cell ids are made deterministic (``cell-NN``) so diffs stay small.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (kratom-evidence course)", "language": "python"}


def md(source: str) -> nbformat.NotebookNode:
    """A Markdown cell (the text is dedented and stripped)."""
    return new_markdown_cell(dedent(source).strip())


def code(source: str, *, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    """A code cell; ``tags`` e.g. ("raises-exception",) or ("solution",)."""
    cell = new_code_cell(dedent(source).strip())
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.setdefault("language_info", {"name": "python"})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
    return nb


def write(path: str | os.PathLike, cells: list[nbformat.NotebookNode]) -> Path:
    """Write cells as a notebook (not executed)."""
    nb = _normalise(new_notebook(cells=cells))
    path = Path(path)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return path


def execute(path: str | os.PathLike, timeout: int = 300) -> Path:
    """Execute a notebook in place with the project's python3 kernel, as CI does."""
    from nbclient import NotebookClient

    os.environ.setdefault("PYTHONHASHSEED", "0")
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nb = _normalise(nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "execute":
        raise SystemExit("usage: python tools/nbtools.py execute NOTEBOOK.ipynb [...]")
    for arg in sys.argv[2:]:
        print("executed", execute(arg))
