"""Author the course's exercise files (maintainer tool, not needed by learners).

Two commands::

    # 1. turn a lesson's first-format check cells (check.number(answer, "ck1:...", tol=...,
    #    name=..., hint=...), check.choice, check.truth, check.between, check.columns) into
    #    one-line checks `check("09.1", answer)` with cell metadata, and write the lesson's
    #    exercise file src/course_utils/exercises/09.json (answers hashed from the old keys)
    .venv/bin/python tools/convert_exercises.py convert notebooks/09_real_trial.ipynb

    # 2. execute the solution notebook, read every exercise's answer (and the value of each
    #    mistake declared with "compute") from the kernel, and re-hash the lesson's file;
    #    also refreshes the test key tests/data/exercise_key.json
    .venv/bin/python tools/convert_exercises.py rehash notebooks/09_real_trial.ipynb

Then edit the lesson's ``NN.json`` by hand (``expects``, ``hints``, ``feedback``,
``mistakes``; see CONTRIBUTING.md section 8), run ``rehash`` again, re-execute the
notebook with ``tools/nbtools.py execute`` and check it with nbval.

A mistake is declared as a transform of the right answer, ``{"name": "percent",
"transform": "percent", "feedback": "..."}`` (see ``course_utils.exercises.TRANSFORMS``),
or as an expression evaluated in the solution notebook after the exercise,
``{"name": "unweighted", "compute": "survey['SPDPSTMON'].mean()", "feedback": "..."}``.
A wrong option of a choice exercise is named in ``tools/exercise_values.json``
(``{"05.3": {"confounder": "chronic_pain"}}``), outside the package, so the lesson
file never lists which options are wrong.  ``rehash`` refuses a mistake whose value is within the tolerance of the right answer
(it could never be told apart) and a hint that contains the answer.
"""

from __future__ import annotations

import argparse
import ast
import base64
import json
import math
import os
import re
import secrets
import sys
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from course_utils.exercises import GRID_SPLIT, apply_transform, grid_distance, hash_answer, mistake_grid  # noqa: E402

EXERCISE_DIR = ROOT / "src" / "course_utils" / "exercises"
KEY_FILE = ROOT / "tests" / "data" / "exercise_key.json"
#: Wrong options named by a mistake of a choice exercise (kept out of the package: listing them
#: beside the options would give the answer away by elimination).
VALUES_FILE = ROOT / "tools" / "exercise_values.json"
OLD_CALL = re.compile(r"\bcheck\.(number|choice|truth|between|columns)\s*\(")
NEW_CALL = re.compile(r"""^\s*check\(\s*["'](\d\d\.\d+)["']\s*,\s*(.+?)\s*\)\s*$""")
SOLUTION_BEGIN = "### BEGIN SOLUTION"
MARK = "@@EXERCISE@@"


class AuthoringError(ValueError):
    """A notebook or exercise file cannot be converted; the message says where and what to fix."""


def lesson_of(path: Path) -> str:
    match = re.match(r"(\d\d)_", Path(path).name)
    if not match:
        raise AuthoringError(f"{path}: a lesson notebook is named NN_slug.ipynb")
    return match.group(1)


def exercise_file(lesson: str) -> Path:
    return EXERCISE_DIR / f"{lesson}.json"


def read_lesson_file(lesson: str) -> dict[str, Any]:
    path = exercise_file(lesson)
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"lesson": lesson, "salt": secrets.token_hex(8), "exercises": {}}


def write_lesson_file(lesson: str, data: dict[str, Any]) -> Path:
    path = exercise_file(lesson)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _decode_key(key: Any) -> Any:
    if isinstance(key, str) and key.startswith("ck1:"):
        return json.loads(base64.b64decode(key[4:]).decode("utf-8"))
    return key


def _literal(node: ast.AST | None) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise AuthoringError(f"expected a literal, got `{ast.unparse(node)}`") from None


def _old_calls(source: str) -> list[ast.Call]:
    calls = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "check"
                and node.func.attr in {"number", "choice", "truth", "between", "columns"}):
            calls.append(node)
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def entry_from_call(call: ast.Call) -> tuple[dict[str, Any], Any, str]:
    """(entry without hashes, plain expected value or None, answer expression) of one old call."""
    kw = {k.arg: k.value for k in call.keywords}
    kind_of = {"number": "number", "choice": "choice", "truth": "truth", "between": "range", "columns": "columns"}
    kind = kind_of[call.func.attr]  # type: ignore[attr-defined]
    answer_expr = ast.unparse(call.args[0])
    entry: dict[str, Any] = {"kind": kind, "title": _literal(kw.get("name")) or "Exercise", "points": 1}
    expected = None
    if kind in ("number", "choice", "truth"):
        expected = _decode_key(_literal(call.args[1] if len(call.args) > 1 else kw.get("expected")))
    if kind == "number":
        if "rel" in kw:
            entry["rel"] = float(_literal(kw["rel"]))
        else:
            tol = _literal(kw.get("tol"))
            if tol is None and float(expected).is_integer():
                tol = 0.4  # a count: every whole number is its own grid cell
            entry["tol"] = float(tol) if tol is not None else 1e-9 * max(1.0, abs(float(expected)))
        entry["expects"] = "a whole number (an integer)" if float(expected).is_integer() and entry.get("tol") == 0.4 \
            else "a single number (float)"
    elif kind == "choice":
        try:
            options = _literal(kw.get("options"))
        except AuthoringError:  # an expression: evaluated in the notebook by `rehash`
            entry["options_compute"] = ast.unparse(kw["options"])
            options = None
        if options is not None or "options_compute" in entry:
            if options is not None:
                entry["options"] = list(options)
            entry["expects"] = "one of the options, as text in quotes"
        else:
            entry["expects"] = "text in quotes"
    elif kind == "truth":
        entry["expects"] = "True or False (no quotes)"
    elif kind == "range":
        entry["low"], entry["high"] = float(_literal(call.args[1])), float(_literal(call.args[2]))
        entry["expects"] = f"a single number between {entry['low']:g} and {entry['high']:g}"
    elif kind == "columns":
        entry["required"] = list(_literal(call.args[1]))
        entry["expects"] = "a table (DataFrame) with the columns " + ", ".join(entry["required"])
    hint = _literal(kw.get("hint"))
    entry["hints"] = [hint] if hint else []
    note = _literal(kw.get("note"))
    if note:
        entry["note"] = note
    entry["mistakes"] = default_mistakes(entry, expected, hint)
    return entry, expected, answer_expr


def default_mistakes(entry: dict[str, Any], expected: Any, hint: str | None) -> list[dict[str, Any]]:
    """Mistakes that are plausible whatever the question: a percentage for a proportion, the other
    truth value.  Review them and add the question's own (see CONTRIBUTING.md section 8)."""
    if entry["kind"] == "number" and expected is not None and 0 < abs(float(expected)) < 1 and "tol" in entry:
        return [{"name": "percent", "transform": "percent",
                 "feedback": "That looks like a percentage (100 times too large); give the value on the scale asked."}]
    if entry["kind"] == "truth":
        return [{"name": "other", "transform": "not",
                 "feedback": hint or "Reread the statement: which part of it does the lesson's evidence contradict or support?"}]
    return []


def _set_role(cell: Any, exercise_id: str, role: str) -> None:
    course = dict(cell.metadata.get("course", {}))
    course.update({"exercise": exercise_id, "role": role})
    cell.metadata["course"] = course


def convert(path: Path) -> list[str]:
    """Convert a notebook's first-format checks in place; return the new exercise ids."""
    lesson = lesson_of(path)
    nb = nbformat.read(path, as_version=4)
    data = read_lesson_file(lesson)
    exercises: dict[str, Any] = data.setdefault("exercises", {})
    taken = [int(k.split(".")[1]) for k in exercises]
    number = max(taken, default=0)
    new_ids = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not OLD_CALL.search(cell.source):
            continue
        lines = []
        for call in _old_calls(cell.source):
            number += 1
            exercise_id = f"{lesson}.{number}"
            entry, expected, answer_expr = entry_from_call(call)
            if entry["hints"]:
                print(f"  {exercise_id}: review the hint taken over from the old cell (does it give the answer away?)")
            if expected is not None:
                entry["answer"] = [hash_answer(entry, data["salt"], exercise_id, expected)]
            old = exercises.get(exercise_id, {})
            exercises[exercise_id] = {**entry, **{k: v for k, v in old.items() if k in ("mistakes", "hints", "expects")}}
            for mistake in exercises[exercise_id]["mistakes"]:
                if "transform" in mistake and expected is not None and entry["kind"] in ("number", "truth"):
                    from course_utils.exercises import mistake_grid as _grid
                    wrong = apply_transform(mistake["transform"], expected)
                    grid = _grid(entry, mistake) if entry["kind"] == "number" else entry
                    mistake["hash"] = [hash_answer(grid, data["salt"], exercise_id, wrong)]
            exercises[exercise_id]["variable"] = answer_expr
            lines.append(f'check("{exercise_id}", {answer_expr})')
            new_ids.append(exercise_id)
            answer_cell = next((c for c in reversed(nb.cells[:index]) if c.cell_type == "code" and SOLUTION_BEGIN in c.source), None)
            if answer_cell is not None:
                _set_role(answer_cell, exercise_id, "answer")
            _set_role(cell, exercise_id, "check")
        cell.source = "\n".join(lines)
    write_lesson_file(lesson, data)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return new_ids


# --------------------------------------------------------------------------- rehash from the solution notebook

_PLAIN = '''
def _course_plain(v):
    import math
    if v is ... or v is None:
        return None
    if type(v).__name__ in ("bool", "bool_"):
        return bool(v)
    if isinstance(v, str):
        return v
    if hasattr(v, "tolist") and getattr(v, "shape", None) == ():
        v = v.tolist()
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, (list, tuple, set, frozenset)) or type(v).__name__ in ("Index", "Series"):
        items = list(v)
        return sorted(items) if isinstance(v, (set, frozenset)) else items
    return repr(v)
'''


def _recorder(exercise_id: str, answer_expr: str, computes: dict[str, str]) -> str:
    parts = [f"_course_values = {{'id': {exercise_id!r}, 'answer': _course_plain({answer_expr}), 'mistakes': {{}}}}"]
    for name, expr in computes.items():
        parts.append(
            "try:\n"
            f"    _course_values['mistakes'][{name!r}] = _course_plain({expr})\n"
            "except Exception as _course_exc:\n"
            f"    _course_values['mistakes'][{name!r}] = 'ERROR: ' + repr(_course_exc)"
        )
    parts.append(f"import json as _course_json\nprint({MARK!r} + _course_json.dumps(_course_values))")
    return "\n".join(parts)


def solution_values(path: Path, data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Execute the solution notebook and return each exercise's answer and computed mistakes."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(_PLAIN))
    seen = []
    for cell in nb.cells:
        match = NEW_CALL.match(cell.source) if cell.cell_type == "code" else None
        if not match:
            continue
        exercise_id, answer_expr = match.groups()
        entry = data["exercises"].get(exercise_id)
        if entry is None:
            raise AuthoringError(f"{path}: the check of {exercise_id} has no entry in {exercise_file(lesson_of(path))}")
        computes = {m["name"]: m["compute"] for m in entry.get("mistakes", []) if "compute" in m}
        if "options_compute" in entry:
            computes["__options__"] = entry["options_compute"]
        cell.source = _recorder(exercise_id, answer_expr, computes)
        seen.append(exercise_id)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else ""
            for line in text.splitlines():
                if line.startswith(MARK):
                    record = json.loads(line[len(MARK):])
                    values[record["id"]] = record
    missing = [e for e in seen if e not in values]
    if missing:
        raise AuthoringError(f"{path}: no value recorded for {', '.join(missing)}")
    return values


def _text_forms(value: Any) -> list[str]:
    if isinstance(value, float):
        forms = {repr(value)}
        for d in range(2, 7):
            text = f"{value:.{d}f}".rstrip("0").rstrip(".")
            if len(text.replace("-", "").replace(".", "").lstrip("0")) >= 3:
                forms.add(text)
        return sorted(forms)
    return []


def rehash_entries(lesson: str, data: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Re-hash answers and mistakes from plain values; return the test key records."""
    salt = data["salt"]
    authored = json.loads(VALUES_FILE.read_text(encoding="utf-8")) if VALUES_FILE.exists() else {}
    key = {}
    problems = []
    for exercise_id, entry in data["exercises"].items():
        if entry["kind"] in ("rule", "range", "columns"):
            continue
        if exercise_id not in values:
            problems.append(f"{exercise_id}: not found in the notebook (no check cell `check(\"{exercise_id}\", ...)`)")
            continue
        answer = values[exercise_id]["answer"]
        if "options_compute" in entry:
            options = values[exercise_id]["mistakes"].pop("__options__")
            if not isinstance(options, list):
                problems.append(f"{exercise_id}: options_compute gave {options!r}, not a list")
                continue
            entry["options"] = [str(o) for o in options]
        if answer is None:
            problems.append(f"{exercise_id}: the solution's answer is None or `...`")
            continue
        entry["answer"] = [hash_answer(entry, salt, exercise_id, answer)] + [
            hash_answer(entry, salt, exercise_id, alt) for alt in entry.get("also_accept_values", [])
        ]
        record: dict[str, Any] = {"answer": answer, "mistakes": {}}
        for mistake in entry.get("mistakes", []):
            name = mistake["name"]
            if "transform" in mistake:
                wrong = apply_transform(mistake["transform"], answer)
            elif name in authored.get(exercise_id, {}):
                wrong = authored[exercise_id][name]
            elif "compute" in mistake:
                wrong = values[exercise_id]["mistakes"].get(name)
                if isinstance(wrong, str) and wrong.startswith("ERROR: ") and entry["kind"] != "choice":
                    problems.append(f"{exercise_id}: mistake {name!r}: its compute expression failed: {wrong}")
                    continue
            else:
                problems.append(f"{exercise_id}: mistake {name!r} needs a 'transform' or a 'compute'")
                continue
            if entry["kind"] == "number":
                wrong = float(wrong) if isinstance(wrong, int) and not isinstance(wrong, bool) else wrong
                if not isinstance(wrong, float) or not math.isfinite(wrong):
                    problems.append(f"{exercise_id}: mistake {name!r} has no finite value ({wrong!r})")
                    continue
                if grid_distance(entry, wrong, answer) < 2 * GRID_SPLIT + 1:
                    problems.append(
                        f"{exercise_id}: mistake {name!r} ({wrong:.6g}) is too close to the answer ({answer:.6g}) to be told "
                        "apart at this tolerance; drop it or tighten the tolerance")
                    continue
            elif wrong == answer:
                problems.append(f"{exercise_id}: mistake {name!r} equals the right answer")
                continue
            grid = mistake_grid(entry, mistake) if entry["kind"] == "number" else entry
            if entry["kind"] == "number" and grid_distance(grid, wrong, answer) < 2 * GRID_SPLIT + 1:
                problems.append(f"{exercise_id}: mistake {name!r} ({wrong:.6g}) overlaps the answer at its own tolerance")
                continue
            mistake["hash"] = [hash_answer(grid, salt, exercise_id, wrong)]
            same = [n for n, v in record["mistakes"].items() if v == wrong]
            if same:
                problems.append(f"{exercise_id}: mistakes {same[0]!r} and {name!r} have the same value ({wrong!r}); keep one")
            record["mistakes"][name] = wrong
        for h in entry.get("hints", []) + [m.get("feedback", "") for m in entry.get("mistakes", [])]:
            for form in _text_forms(answer):
                if form in h:
                    problems.append(f"{exercise_id}: a hint or feedback contains the answer ({form}): {h!r}")
        key[exercise_id] = record
    if problems:
        raise AuthoringError(f"lesson {lesson}:\n  " + "\n  ".join(problems))
    return key


def rehash(path: Path) -> list[str]:
    lesson = lesson_of(path)
    data = read_lesson_file(lesson)
    values = solution_values(path, data)
    key = rehash_entries(lesson, data, values)
    write_lesson_file(lesson, data)
    all_keys = json.loads(KEY_FILE.read_text(encoding="utf-8")) if KEY_FILE.exists() else {}
    all_keys = {k: v for k, v in all_keys.items() if not k.startswith(lesson + ".")}
    all_keys.update(key)
    KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    KEY_FILE.write_text(json.dumps(dict(sorted(all_keys.items())), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return sorted(key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/convert_exercises.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["convert", "rehash"])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    try:
        for path in args.notebooks:
            if args.command == "convert":
                ids = convert(path)
                print(f"{path}: converted {len(ids)} check(s): {', '.join(ids) or '-'}; now run `rehash` on it")
            else:
                ids = rehash(path)
                print(f"{path}: re-hashed {len(ids)} exercise(s) from the executed solution: {', '.join(ids)}")
    except AuthoringError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
