"""Author and execute lesson notebooks (maintainer tool, not needed by learners).

The ``.ipynb`` files in ``notebooks/`` are the source of truth.  This module
helps write one from Python and execute it the way CI does, so that the stored
outputs nbval compares are the ones the locked environment produces::

    .venv/bin/python tools/nbtools.py execute notebooks/02_survey_weights.ipynb
    .venv/bin/python tools/nbtools.py stale            # which notebooks need re-executing

In a script::

    from nbtools import md, code, write
    write("notebooks/99_demo.ipynb", [md("# Title"), code("1 + 1")])

Cell ids are made deterministic (``cell-NN``) so diffs stay small.

Staleness fingerprint
---------------------
:func:`execute` records in the notebook's metadata (``metadata.course.executed_with``)
a fingerprint of what can change its stored outputs:

* ``packages`` -- the name and version of every package in ``uv.lock`` (not the rest of
  the lock file, so re-locking without a version change is not a change);
* ``course_utils`` -- one hash per module in ``src/course_utils/**/*.py`` of its *code*:
  the syntax tree with docstrings removed (comments never reach it), so editing a
  docstring or a comment does not mark lessons stale;
* ``datapackage`` -- ``datasets/datapackage.json``, which holds the sha256 of every data file;
* ``code`` -- the notebook's own code cells.

``stale`` lists the notebooks whose record differs from the tree: a quick way to know
which lessons to re-execute after a change.  It is advice, not a test: the test command
proves freshness itself, because nbval (full mode) re-executes every lesson and compares
every output with the stored one, and ``tests/test_determinism.py`` executes each lesson a
second time and compares again, figures included.
Text files are hashed with line endings normalised, so a Windows checkout agrees.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (kratom-evidence course)", "language": "python"}

#: Where the fingerprint lives in ``notebook.metadata``.
METADATA_KEY = "course"
#: Modules left out of the fingerprint because no lesson executes them (maintainer tooling).
NOT_USED_BY_LESSONS: tuple[str, ...] = ()


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


# --------------------------------------------------------------------------- fingerprint


def _hash_text_file(path: Path) -> str:
    data = path.read_bytes().replace(b"\r\n", b"\n")
    return hashlib.sha256(data).hexdigest()[:16]


def _hash_code_cells(nb: nbformat.NotebookNode) -> str:
    sources = [cell.source.replace("\r\n", "\n") for cell in nb.cells if cell.cell_type == "code"]
    return hashlib.sha256(json.dumps(sources).encode("utf-8")).hexdigest()[:16]


def _hash_module_code(path: Path) -> str:
    """Hash a module's syntax tree without docstrings: only code changes count."""
    text = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return _hash_text_file(path)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode("utf-8")).hexdigest()[:16]


def _hash_locked_versions(lock: Path) -> str:
    """Hash the ``name``/``version`` pairs of ``uv.lock`` (what can change outputs)."""
    if not lock.exists():
        return "absent"
    pairs = []
    name = None
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith("name = "):
            name = line.split("=", 1)[1].strip().strip('"')
        elif line.startswith("version = ") and name is not None:
            pairs.append(f"{name}=={line.split('=', 1)[1].strip().strip(chr(34))}")
            name = None
        elif line.startswith("[[package]]"):
            name = None
    return hashlib.sha256("\n".join(sorted(pairs)).encode("utf-8")).hexdigest()[:16]


def _module_hashes(root: Path) -> dict[str, str]:
    package = root / "src" / "course_utils"
    out = {}
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        if "__pycache__" in path.parts or rel in NOT_USED_BY_LESSONS:
            continue
        out[rel] = _hash_module_code(path)
    return out


def fingerprint(nb: nbformat.NotebookNode, root: Path = ROOT) -> dict:
    """What a notebook's outputs depend on, as short hashes (see the module docstring)."""
    datapackage = root / "datasets" / "datapackage.json"
    return {
        "packages": _hash_locked_versions(root / "uv.lock"),
        "course_utils": _module_hashes(root),
        "datapackage": _hash_text_file(datapackage) if datapackage.exists() else "absent",
        "code": _hash_code_cells(nb),
    }


def recorded_fingerprint(nb: nbformat.NotebookNode) -> dict | None:
    """The fingerprint stored by :func:`execute`, or None if it was never recorded."""
    return nb.metadata.get(METADATA_KEY, {}).get("executed_with")


def stale_reasons(path: str | os.PathLike, root: Path = ROOT) -> list[str]:
    """Why a notebook's stored outputs may no longer match the code (empty list: up to date)."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    old = recorded_fingerprint(nb)
    if old is None:
        return ["it has no execution fingerprint (it was not executed with tools/nbtools.py execute)"]
    new = fingerprint(nb, root)
    reasons = []
    if old.get("packages") != new["packages"]:
        reasons.append("uv.lock changed (package versions)")
    old_mods, new_mods = old.get("course_utils", {}), new["course_utils"]
    changed = sorted(m for m in new_mods if m in old_mods and old_mods[m] != new_mods[m])
    added = sorted(set(new_mods) - set(old_mods))
    removed = sorted(set(old_mods) - set(new_mods))
    for label, names in (("changed", changed), ("added", added), ("removed", removed)):
        if names:
            shown = ", ".join(f"src/course_utils/{n}" for n in names)
            reasons.append(f"course_utils module(s) {label}: {shown}")
    if old.get("datapackage") != new["datapackage"]:
        reasons.append("datasets/datapackage.json changed (a dataset or its metadata)")
    if old.get("code") != new["code"]:
        reasons.append("the notebook's own code cells were edited after it was executed")
    return reasons


# --------------------------------------------------------------------------- execution


def _client(nb: nbformat.NotebookNode, path: Path, timeout: int):
    from nbclient import NotebookClient

    os.environ.setdefault("PYTHONHASHSEED", "0")
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )


def run(path: str | os.PathLike, timeout: int = 300) -> nbformat.NotebookNode:
    """Execute a notebook as CI does and return it, leaving the file untouched."""
    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    _client(nb, path, timeout).execute()
    return _normalise(nb)


def execute(path: str | os.PathLike, timeout: int = 300) -> Path:
    """Execute a notebook in place with the project's python3 kernel, as CI does.

    Also records the staleness fingerprint (see the module docstring).
    """
    path = Path(path).resolve()
    nb = run(path, timeout)
    nb.metadata[METADATA_KEY] = {"executed_with": fingerprint(nb)}
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return path


def _main(argv: list[str]) -> int:
    usage = (
        "usage: python tools/nbtools.py execute NOTEBOOK.ipynb [...]\n"
        "       python tools/nbtools.py stale [NOTEBOOK.ipynb ...]   (default: notebooks/*.ipynb)"
    )
    if not argv or argv[0] not in {"execute", "stale"} or (argv[0] == "execute" and len(argv) < 2):
        print(usage, file=sys.stderr)
        return 2
    if argv[0] == "execute":
        for arg in argv[1:]:
            print("executed", execute(arg))
        return 0
    paths = [Path(a) for a in argv[1:]] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    n_stale = 0
    for p in paths:
        reasons = stale_reasons(p)
        n_stale += bool(reasons)
        print(f"{'STALE' if reasons else 'ok   '} {p}" + "".join(f"\n      - {r}" for r in reasons))
    if n_stale:
        print(f"{n_stale} stale: re-execute with `.venv/bin/python tools/nbtools.py execute NOTEBOOK`.")
    return 1 if n_stale else 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
