"""Determinism and drift.

* **Second execution.**  nbval executes every lesson once and compares it with the
  stored outputs; here each lesson is executed a second time and compared again, after
  the same sanitising (``tests/nbval_sanitize.cfg``) -- *including figures*, which nbval
  skips: a PNG must come out byte for byte the same.  Together: two executions, both
  identical to what is stored.
* **Staleness advice.**  ``tools/nbtools.py execute`` records what can change a notebook's
  outputs (locked package versions, the code of the course_utils modules without their
  docstrings, datapackage.json, the notebook's code cells), and ``nbtools.py stale`` lists
  lessons to re-execute.  It is not a gate: nbval and the second execution above already
  prove that stored outputs are what the tree produces, so a docstring edit never forces a
  re-execution.  The tests below check that the advice names real changes and only those.
* **Seeded randomness.**  Every random draw in ``src/`` and ``notebooks/`` goes through
  ``course_utils.seeding.rng(seed, stream)``: the scanner below rejects NumPy's global
  state, unseeded generators, the ``random`` module, pandas ``.sample``/SciPy ``.rvs``
  without ``random_state``, and seaborn's bootstrap confidence intervals without ``seed``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import NOTEBOOKS, ROOT, cell_label, lesson_params, nbtools, read_nb, rel, sanitize

# --------------------------------------------------------------------------- second execution

SKIP_KEYS = {"application/vnd.jupyter.widget-view+json"}


def comparable(cell) -> list[dict]:
    """A code cell's outputs as plain data: streams merged, sanitised, prompts and metadata dropped."""
    out: list[dict] = []
    for o in cell.get("outputs", []):
        kind = o["output_type"]
        if kind == "stream":
            if out and out[-1]["type"] == "stream" and out[-1]["name"] == o["name"]:
                out[-1]["text"] += o["text"]
                continue
            out.append({"type": "stream", "name": o["name"], "text": o["text"]})
        elif kind in {"display_data", "execute_result"}:
            data = {}
            for key, value in o.get("data", {}).items():
                if key in SKIP_KEYS:
                    continue
                data[key] = "".join(value) if isinstance(value, list) else value
            out.append({"type": "data", "data": data})
        elif kind == "error":
            out.append({"type": "error", "ename": o["ename"], "evalue": o["evalue"]})
    for item in out:
        if item["type"] == "stream":
            item["text"] = sanitize(item["text"])
        elif item["type"] == "data":
            item["data"] = {k: (v if k in {"image/png", "image/jpeg"} else sanitize(v)) for k, v in item["data"].items()}
        else:
            item["evalue"] = sanitize(item["evalue"])
    return out


def describe_difference(stored: list[dict], fresh: list[dict]) -> str:
    if len(stored) != len(fresh):
        return f"{len(stored)} stored output(s), {len(fresh)} in the fresh run"
    for k, (a, b) in enumerate(zip(stored, fresh)):
        if a == b:
            continue
        if a["type"] != b["type"]:
            return f"output {k}: stored {a['type']}, fresh {b['type']}"
        if a["type"] == "data":
            for key in sorted(set(a["data"]) | set(b["data"])):
                x, y = a["data"].get(key), b["data"].get(key)
                if x != y:
                    if key in {"image/png", "image/jpeg"}:
                        return f"output {k}: the figure ({key}) differs (unseeded randomness, or a bootstrap CI without seed=?)"
                    return f"output {k} [{key}]: {_first_diff(x or '', y or '')}"
        return f"output {k}: {_first_diff(str(a), str(b))}"
    return "outputs differ"


def _first_diff(a: str, b: str) -> str:
    for n, (x, y) in enumerate(zip(a.splitlines(), b.splitlines())):
        if x != y:
            return f"line {n + 1}: stored {x[:120]!r} vs fresh {y[:120]!r}"
    return f"stored {a[-120:]!r} vs fresh {b[-120:]!r}"


def test_comparison_sees_figures_and_sanitises_like_nbval():
    from nbformat.v4 import new_code_cell, new_output

    def cell(png, text):
        return new_code_cell("x", outputs=[
            new_output("stream", name="stdout", text=text[:5]), new_output("stream", name="stdout", text=text[5:]),
            new_output("display_data", data={"image/png": png, "text/plain": "<Figure size 720x440 with 1 Axes>"}),
        ])

    same_a = comparable(cell("iVBOR1", "Time:                    10:01:02 at 0x7f00aa11bb22"))
    same_b = comparable(cell("iVBOR1", "Time:                    11:22:33 at 0x7f00ffeeddcc"))
    assert same_a == same_b, "timestamps and memory addresses are sanitised, split streams merged"
    other = comparable(cell("iVBOR2", "Time:                    10:01:02 at 0x7f00aa11bb22"))
    assert "figure (image/png) differs" in describe_difference(same_a, other)


@pytest.mark.slow
@pytest.mark.parametrize("lesson", lesson_params())
def test_second_execution_gives_the_stored_outputs(lesson):
    from nbclient.exceptions import CellExecutionError

    stored = read_nb(lesson)
    if not any(c.get("outputs") for c in stored.cells if c.cell_type == "code"):
        pytest.fail(f"{rel(lesson)} has no stored outputs: execute it with `.venv/bin/python tools/nbtools.py execute {rel(lesson)}`")
    try:
        fresh = nbtools().run(lesson, timeout=300)
    except CellExecutionError as exc:
        pytest.fail(f"{rel(lesson)} no longer executes without error (re-execute and fix it):\n{exc}")
    assert len(fresh.cells) == len(stored.cells)
    problems = []
    for i, (a, b) in enumerate(zip(stored.cells, fresh.cells)):
        if a.cell_type != "code":
            continue
        x, y = comparable(a), comparable(b)
        if x != y:
            problems.append(f"{cell_label(lesson, i, a)}: {describe_difference(x, y)}")
    assert not problems, (
        f"{rel(lesson)} does not execute to the same outputs twice (after sanitising). Seed every draw with "
        "course_utils.seeding.rng, round floating output, avoid timestamps/paths; then re-execute with "
        f"`.venv/bin/python tools/nbtools.py execute {rel(lesson)}`:\n" + "\n".join(problems)
    )


# --------------------------------------------------------------------------- staleness


def test_staleness_names_what_changed(tmp_path):
    import shutil

    import nbformat

    tools = nbtools()
    (tmp_path / "src" / "course_utils").mkdir(parents=True)
    (tmp_path / "datasets").mkdir()
    (tmp_path / "uv.lock").write_text('[[package]]\nname = "pandas"\nversion = "2.2.0"\n')
    (tmp_path / "src" / "course_utils" / "causal.py").write_text('"""Doc."""\n\ndef f():\n    """Doc."""\n    return 1  # one\n')
    (tmp_path / "datasets" / "datapackage.json").write_text("{}\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nb.metadata["course"] = {"executed_with": tools.fingerprint(nb, tmp_path)}
    path = tmp_path / "01_x.ipynb"
    nbformat.write(nb, path)
    assert tools.stale_reasons(path, tmp_path) == []
    # docstrings, comments and lock-file lines other than versions cannot change outputs
    (tmp_path / "src" / "course_utils" / "causal.py").write_text(
        '"""Another doc."""\r\n\r\ndef f():\r\n    """Other."""\r\n    return 1  # changed comment\r\n'
    )
    (tmp_path / "uv.lock").write_text('# re-locked\n[[package]]\nname = "pandas"\nversion = "2.2.0"\nsource = {}\n')
    assert tools.stale_reasons(path, tmp_path) == []
    (tmp_path / "src" / "course_utils" / "causal.py").write_text("def f():\r\n    return 2\r\n")
    (tmp_path / "uv.lock").write_text('[[package]]\nname = "pandas"\nversion = "2.2.3"\n')
    (tmp_path / "datasets" / "datapackage.json").write_text('{"a": 1}\n')
    nb.cells[0].source = "1 + 2"
    nbformat.write(nb, path)
    reasons = "\n".join(tools.stale_reasons(path, tmp_path))
    for expected in ("uv.lock changed", "src/course_utils/causal.py", "datapackage.json changed", "code cells were edited"):
        assert expected in reasons
    shutil.rmtree(tmp_path / "src" / "course_utils")
    (tmp_path / "src" / "course_utils").mkdir()
    assert "removed: src/course_utils/causal.py" in "\n".join(tools.stale_reasons(path, tmp_path))
    nb.metadata.pop("course")
    nbformat.write(nb, path)
    assert "no execution fingerprint" in tools.stale_reasons(path, tmp_path)[0]


# --------------------------------------------------------------------------- seeded randomness

ALLOWED_NUMPY_RANDOM = {"Generator", "SeedSequence", "BitGenerator"}  # types, fine in annotations
SEEDING = ROOT / "src" / "course_utils" / "seeding.py"
SEABORN_BOOTSTRAP = {"barplot", "pointplot", "lineplot", "regplot", "lmplot", "catplot", "relplot"}


class RandomnessScanner(ast.NodeVisitor):
    """Find random draws that bypass ``course_utils.seeding.rng``."""

    def __init__(self, allow_numpy_random: bool = False):
        self.allow_numpy_random = allow_numpy_random
        self.numpy = {"numpy"}
        self.numpy_random = set()
        self.seaborn = set()
        self.findings: list[tuple[int, str]] = []

    def flag(self, node, message):
        self.findings.append((getattr(node, "lineno", 0), message))

    def visit_Import(self, node):
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            if alias.name == "random":
                self.flag(node, "the `random` module: use course_utils.seeding.rng(seed, stream)")
            elif alias.name == "numpy":
                self.numpy.add(bound)
            elif alias.name == "numpy.random":
                (self.numpy_random if alias.asname else self.numpy).add(bound)
            elif alias.name == "seaborn":
                self.seaborn.add(bound)
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        if node.module == "random":
            self.flag(node, "`from random import ...`: use course_utils.seeding.rng(seed, stream)")
        elif node.module == "numpy":
            for alias in node.names:
                if alias.name == "random":
                    self.numpy_random.add(alias.asname or "random")
        elif node.module == "numpy.random" and not self.allow_numpy_random:
            for alias in node.names:
                if alias.name not in ALLOWED_NUMPY_RANDOM:
                    self.flag(node, f"`from numpy.random import {alias.name}`: use course_utils.seeding.rng(seed, stream)")
        self.generic_visit(node)

    def visit_Attribute(self, node):
        value = node.value
        is_np_random = (
            isinstance(value, ast.Attribute) and value.attr == "random" and isinstance(value.value, ast.Name)
            and value.value.id in self.numpy
        ) or (isinstance(value, ast.Name) and value.id in self.numpy_random)
        if is_np_random and node.attr not in ALLOWED_NUMPY_RANDOM and not self.allow_numpy_random:
            what = "an unseeded/separately seeded generator" if node.attr == "default_rng" else "NumPy's global random state"
            self.flag(node, f"np.random.{node.attr}: {what}; use course_utils.seeding.rng(seed, stream)")
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        keywords = {k.arg for k in node.keywords}
        if isinstance(func, ast.Attribute):
            if func.attr == "sample" and "random_state" not in keywords and not _is_name(func.value, "random"):
                self.flag(node, ".sample(...) without random_state=: pass random_state=rng(seed, stream)")
            if func.attr == "rvs" and "random_state" not in keywords:
                self.flag(node, ".rvs(...) without random_state=: pass random_state=rng(seed, stream)")
            if func.attr in SEABORN_BOOTSTRAP and isinstance(func.value, ast.Name) and func.value.id in self.seaborn:
                self._seaborn(node, func.attr, keywords)
        self.generic_visit(node)

    def _seaborn(self, node, name, keywords):
        kw = {k.arg: k.value for k in node.keywords}
        if "seed" in keywords:
            return
        kind = kw.get("kind")
        kind = kind.value if isinstance(kind, ast.Constant) else None
        if name == "catplot" and kind not in {"bar", "point"}:
            return
        if name == "relplot" and kind != "line":
            return
        if name in {"regplot", "lmplot"}:
            if isinstance(kw.get("ci"), ast.Constant) and kw["ci"].value is None:
                return
            self.flag(node, f"sns.{name} bootstraps its CI: pass seed=... or ci=None")
            return
        errorbar = kw.get("errorbar")
        if errorbar is not None:
            first = errorbar.elts[0] if isinstance(errorbar, ast.Tuple) and errorbar.elts else errorbar
            if not (isinstance(first, ast.Constant) and first.value == "ci"):
                return  # None, "sd", "se", "pi": no bootstrap
        self.flag(node, f"sns.{name} bootstraps a confidence interval: pass seed=... (or errorbar='se'/None)")


def _is_name(node, name):
    return isinstance(node, ast.Name) and node.id == name


def scan_source(source: str, *, allow_numpy_random: bool = False) -> list[tuple[int, str]]:
    scanner = RandomnessScanner(allow_numpy_random)
    scanner.visit(ast.parse(source))
    return scanner.findings


def test_scanner_catches_unseeded_randomness():
    bad = """
import random
import numpy as np
import numpy.random as npr
import seaborn as sns
from numpy.random import normal
x = np.random.normal(size=3)
g = np.random.default_rng()
np.random.seed(1)
y = npr.uniform()
df.sample(5)
stats.norm.rvs(size=3)
sns.barplot(data=d, x="a", y="b")
sns.regplot(data=d, x="a", y="b")
sns.catplot(data=d, x="a", y="b", kind="point")
"""
    assert len(scan_source(bad)) == 11, scan_source(bad)
    good = """
import numpy as np
import seaborn as sns
from course_utils.seeding import rng
def f(gen: np.random.Generator) -> None: ...
x = rng(1, "a").normal(size=3)
df.sample(5, random_state=rng(2))
stats.norm.rvs(size=3, random_state=rng(3))
sns.barplot(data=d, x="a", y="b", errorbar="se")
sns.pointplot(data=d, x="a", y="b", seed=4)
sns.lineplot(data=d, x="a", y="b", errorbar=None)
sns.regplot(data=d, x="a", y="b", ci=None)
sns.catplot(data=d, x="a", y="b", kind="box")
sns.boxplot(data=d, x="a", y="b")
"""
    assert scan_source(good) == []


def _sources():
    for path in sorted((ROOT / "src").rglob("*.py")):
        yield rel(path), path.read_text(encoding="utf-8"), path == SEEDING
    from test_notebook_quality import python_source

    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = read_nb(path)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                yield cell_label(path, i, cell), python_source(cell.source), False


def test_every_random_draw_goes_through_course_seeding():
    problems = []
    for where, source, is_seeding in _sources():
        try:
            findings = scan_source(source, allow_numpy_random=is_seeding)
        except SyntaxError as exc:
            problems.append(f"{where}: cannot parse ({exc.msg})")
            continue
        problems += [f"{where}, line {line}: {message}" for line, message in findings]
    assert not problems, (
        "random draws that bypass course_utils.seeding.rng (see its docstring; CONTRIBUTING.md, Module rules):\n"
        + "\n".join(problems)
    )
