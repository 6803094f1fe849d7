"""The public API is documented and typed the same way everywhere (issue 14, item 6).

For every public callable a learner reaches (``cu.NAME`` and the public names of each
module's ``__all__``): a NumPy-style docstring with ``Parameters`` (when it takes any),
``Returns`` (functions that return something) and ``Examples``; and type hints without
``Any`` where the type is known.  ``mypy`` (strict-ish settings in pyproject.toml) must be
clean on ``src/course_utils``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import course_utils

ROOT = Path(__file__).resolve().parents[1]


def _public() -> dict[str, object]:
    found: dict[str, object] = {}
    modules = [course_utils] + [
        importlib.import_module(m.name)
        for m in pkgutil.walk_packages(course_utils.__path__, "course_utils.")
        if not m.name.rsplit(".", 1)[-1].startswith("_")
    ]
    for module in modules:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name, None)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                qual = f"{obj.__module__}.{obj.__qualname__}"
                found.setdefault(qual, obj)
    return found


PUBLIC = _public()
FUNCTIONS = {k: v for k, v in PUBLIC.items() if inspect.isfunction(v)}


def test_there_is_a_public_api_to_check():
    assert len(FUNCTIONS) > 40


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_numpy_docstring_with_parameters_returns_and_example(name):
    func = FUNCTIONS[name]
    doc = inspect.getdoc(func) or ""
    assert doc, f"{name} has no docstring"
    params = [p for p in inspect.signature(func).parameters.values() if p.name not in {"self", "cls"}]
    missing = []
    if params and "Parameters\n----------" not in doc:
        missing.append("Parameters")
    returns = inspect.signature(func).return_annotation
    if returns not in (None, "None", inspect.Signature.empty) and "Returns\n-------" not in doc and "Yields\n------" not in doc:
        missing.append("Returns")
    if "Examples\n--------" not in doc:
        missing.append("Examples")
    assert not missing, f"{name}'s docstring lacks a NumPy section: {', '.join(missing)}"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_signature_is_typed_without_any(name):
    func = FUNCTIONS[name]
    sig = inspect.signature(func)
    untyped = [p.name for p in sig.parameters.values()
               if p.annotation is inspect.Parameter.empty and p.name not in {"self", "cls"}]
    assert not untyped, f"{name}: parameters without a type hint: {untyped}"
    assert sig.return_annotation is not inspect.Signature.empty, f"{name} has no return type"
    text = str(sig)
    assert not re.search(r"\bAny\b", text), (
        f"{name}{text} uses Any: give the type that is known (a DataFrame, a float, a Sequence[str], ...)"
    )


@pytest.mark.slow
def test_mypy_is_clean_on_the_library():
    mypy = Path(sys.executable).with_name("mypy")
    if not mypy.exists():
        mypy = Path(shutil.which("mypy") or "mypy")
    result = subprocess.run([str(mypy), "--no-error-summary"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, "mypy reports errors in src/course_utils:\n" + result.stdout[-6000:]
