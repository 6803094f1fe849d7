"""Shared helpers for the delivery tests (editions, site, notebook quality, determinism).

Import them in a test module with ``from conftest import ...`` (pytest puts ``tests/`` on
``sys.path`` because it has no ``__init__.py``).
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import shutil
import sys
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TEMPLATE = ROOT / "tools" / "templates" / "lesson_template.ipynb"
SANITIZE_CFG = ROOT / "tests" / "nbval_sanitize.cfg"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def lesson_paths() -> list[Path]:
    """Every lesson notebook, ``notebooks/NN_slug.ipynb``, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def lesson_params() -> list:
    """``pytest.mark.parametrize`` values: one per lesson, with the file name as id."""
    return [pytest.param(p, id=p.name) for p in lesson_paths()]


def snapshot_notebooks(folder: Path) -> Path:
    """Copy ``notebooks/`` to ``folder`` so a test builds from, and compares with, one fixed state
    (authors rewrite notebooks while tests run on a shared machine)."""
    shutil.copytree(NOTEBOOKS, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return folder


def rel(path: Path) -> str:
    """A path relative to the repository (for messages)."""
    try:
        return Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


@lru_cache(maxsize=None)
def nbtools():
    """``tools/nbtools.py`` imported as a module."""
    spec = importlib.util.spec_from_file_location("nbtools", ROOT / "tools" / "nbtools.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["nbtools"] = module
    spec.loader.exec_module(module)
    return module


def read_nb(path: Path):
    import nbformat

    return nbformat.read(path, as_version=4)


def cell_label(nb_path: Path, index: int, cell) -> str:
    """``notebooks/03_x.ipynb, cell 12 (id cell-12, "first line…")`` for failure messages."""
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    if len(first) > 60:
        first = first[:57] + "..."
    return f'{rel(nb_path)}, cell {index} (id {cell.get("id", "?")}, {cell.cell_type}: "{first}")'


@lru_cache(maxsize=None)
def sanitizers() -> tuple[tuple[re.Pattern, str], ...]:
    """The regex replacements of ``tests/nbval_sanitize.cfg`` (what nbval applies)."""
    parser = configparser.ConfigParser()
    parser.read(SANITIZE_CFG, encoding="utf-8")
    return tuple((re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections())


def sanitize(text: str) -> str:
    for pattern, replacement in sanitizers():
        text = pattern.sub(replacement, text)
    return text


def chromium_path() -> str | None:
    """Debian's chromium (the browser tests never download a browser)."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    return None
