"""Performance budget of the course, measured on this machine (maintainer tool, not a test).

Measures, with the project's ``python3`` kernel exactly as CI runs the lessons:

* each lesson's execution time (nbclient, as ``tools/nbtools.py execute`` does; best of
  ``--repeat`` runs);
* the **floor**: a notebook whose one cell only imports the course's libraries
  (``course_utils`` and every module in it, pandas, NumPy, SciPy, statsmodels, matplotlib,
  seaborn) and sets the course style -- the cost every lesson pays before doing anything;
* the whole suite of lessons, serial and with 2 workers (wall clock);
* ``import course_utils`` in a fresh interpreter, and which heavy libraries it pulls in;
* with ``--test-suite``, the README's whole test command (pytest over ``tests`` and
  ``notebooks`` with nbval), serial and with 2 workers;
* with ``--grading N``, grading N submissions of one lesson (``--grading-lesson``, default 04)
  with ``course grade`` (nbgrader autograde in the sandbox, feedback HTML included), serial and
  on 2 workers: submissions per minute and the ratio to the grading floor (the floor
  notebook's kernel start + imports, per submission, divided by the workers; goal ≤ 1.5);
* the install time from the lock: ``uv sync --locked`` into a fresh environment in a
  temporary folder (``--cold`` also measures it with an empty package cache, which
  downloads every wheel);

then prints a Markdown table and the ratio suite ÷ floor (serial suite ÷ (floor × number
of lessons)).  Budgets: **no lesson over 15 s**, **suite within 1.5 × the floor**.
Exit status 1 when a budget is broken.

Usage::

    .venv/bin/python tools/benchmark.py                 # everything but the cold install
    .venv/bin/python tools/benchmark.py --cold          # also a cold-cache install
    .venv/bin/python tools/benchmark.py --skip-install --repeat 3
    .venv/bin/python tools/benchmark.py notebooks/03_*.ipynb
    .venv/bin/python tools/benchmark.py notebooks/04_*.ipynb --skip-install --grading 60

Run it on an otherwise idle machine: other work on the 2 cores inflates every number.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSON_BUDGET_S = 15.0
SUITE_RATIO_BUDGET = 1.5
HEAVY = ("scipy", "statsmodels", "seaborn", "matplotlib", "networkx")

FLOOR_CODE = """\
import importlib, pkgutil
import course_utils as cu
from course_utils import check, plots
for _m in pkgutil.walk_packages(cu.__path__, "course_utils."):
    if not _m.name.endswith("__main__"):
        importlib.import_module(_m.name)
import numpy, pandas, scipy.stats, statsmodels.api, matplotlib.pyplot, seaborn
plots.set_style()
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def execute_seconds(path: str) -> float:
    """Wall-clock seconds to execute one notebook (kernel start included), file untouched.

    Errors do not stop the run (every cell is timed); :func:`errors_in` reports them.
    """
    import nbformat
    from nbclient import NotebookClient

    os.environ.update({k: v for k, v in _env().items() if k not in os.environ})
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=600, kernel_name="python3", allow_errors=True,
        resources={"metadata": {"path": str(Path(path).parent)}},
    ).execute()
    seconds = time.perf_counter() - start
    _ERRORS[path] = [
        f"cell {i}: {o.ename}" for i, c in enumerate(nb.cells) if c.cell_type == "code"
        for o in c.outputs if o.output_type == "error"
    ]
    return seconds


_ERRORS: dict[str, list[str]] = {}


def floor_notebook(folder: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(FLOOR_CODE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "floor.ipynb"
    nbformat.write(nb, path)
    return path


def import_profile() -> tuple[float, list[str]]:
    code = (
        "import sys, time; t = time.perf_counter(); import course_utils; "
        "print(time.perf_counter() - t); print(','.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    times, loaded = [], set()
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_env()).stdout
        seconds, modules = out.splitlines()
        times.append(float(seconds))
        loaded = set(modules.split(","))
    return min(times), sorted(m for m in HEAVY if m in loaded)


def _uv() -> str | None:
    for candidate in (shutil.which("uv"), str(ROOT / ".tools" / "bin" / "uv")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def install_seconds(cold: bool) -> float | None:
    """``uv sync --locked`` into a fresh environment (warm or empty package cache)."""
    uv = _uv()
    if uv is None:
        return None
    with tempfile.TemporaryDirectory(prefix="course-install-") as tmp:
        env = _env()
        env.update(UV_PROJECT_ENVIRONMENT=str(Path(tmp) / "venv"), UV_PYTHON_DOWNLOADS="never")
        env.pop("VIRTUAL_ENV", None)
        if cold:
            env["UV_CACHE_DIR"] = str(Path(tmp) / "cache")
        python = shutil.which("python3") or sys.executable
        start = time.perf_counter()
        subprocess.run([uv, "sync", "--locked", "--quiet", "--python", python], cwd=ROOT, env=env, check=True)
        return time.perf_counter() - start


def pytest_seconds(extra: list[str]) -> tuple[float, int]:
    """Wall-clock seconds of the README's test command (without set-up), and pytest's exit code."""
    command = [sys.executable, "-m", "pytest", "tests", "notebooks", "--nbval", "--nbval-current-env",
               "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-q", "-p", "no:cacheprovider", *extra]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, proc.returncode


def run_suite(paths: list[str], workers: int) -> float:
    start = time.perf_counter()
    if workers == 1:
        for p in paths:
            execute_seconds(p)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            list(pool.map(execute_seconds, paths))
    return time.perf_counter() - start


GRADING_RATIO_BUDGET = 1.5


def grading_seconds(n: int, lesson: str, floor: float) -> dict:
    """Grade ``n`` copies of the lesson's full solution with ``course grade``, serial and on 2 workers.

    The nbgrader course is made once beforehand (not timed).  The floor per submission is the
    floor notebook's time (kernel start + imports), measured in this run.
    """
    import copy

    import nbformat

    sys.path.insert(0, str(ROOT / "src"))
    from course_build.classroom.grade import grade
    from course_build.classroom.nbgrader_course import init_course

    out: dict = {"grading_n": n, "grading_lesson": lesson, "grading_floor_s": floor}
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        sources = init_course(course, lessons=[lesson], progress=False)
        assignment, name = sources[0].parent.name, sources[0].name
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"],
                       cwd=course, check=True, capture_output=True, env=_env())
        release = nbformat.read(course / "release" / assignment / name, as_version=4)
        source = nbformat.read(sources[0], as_version=4)
        answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                   if c.metadata.get("nbgrader", {}).get("solution")}
        full = copy.deepcopy(release)
        for cell in full.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in answers:
                cell.source = answers[gid]
        subs = Path(tmp) / "submissions"
        for i in range(n):
            (subs / f"student{i:03d}").mkdir(parents=True)
            nbformat.write(full, subs / f"student{i:03d}" / name)
        for workers in (1, 2):
            start = time.perf_counter()
            results = grade(lesson, subs, Path(tmp) / f"grades{workers}.csv", course=course, workers=workers,
                            progress=False)
            seconds = time.perf_counter() - start
            bad = [r.student for r in results if r.status != "graded" or sum(r.scores.values()) != sum(r.max_scores.values())]
            out[f"grading_{workers}w_s"] = seconds
            out[f"grading_{workers}w_per_min"] = n / seconds * 60
            out[f"grading_{workers}w_over_floor"] = seconds / (n * floor / workers)
            out[f"grading_{workers}w_not_full_marks"] = bad
            print(f"  grading {n} x lesson {lesson}, {workers} worker(s): {seconds:.1f} s"
                  + (f" ({len(bad)} not at full marks!)" if bad else ""), file=sys.stderr)
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="lessons to time (default: notebooks/NN_*.ipynb)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per lesson and per suite timing; the best is kept (default 1)")
    parser.add_argument("--skip-install", action="store_true", help="do not time the install from the lock")
    parser.add_argument("--cold", action="store_true", help="also time a cold-cache install (downloads every wheel)")
    parser.add_argument("--test-suite", action="store_true",
                        help="also time the README's test command (pytest + nbval), serial and on 2 workers")
    parser.add_argument("--grading", type=int, default=0, metavar="N",
                        help="also time grading N submissions with `course grade`, serial and on 2 workers")
    parser.add_argument("--grading-lesson", default="04", help="the lesson graded by --grading (default 04)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    paths = [str(Path(p).resolve()) for p in args.notebooks] or [
        str(p) for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    ]
    if not paths:
        print("no lessons to time", file=sys.stderr)
        return 2
    os.environ.update({k: v for k, v in _env().items() if k not in os.environ})
    results: dict = {"machine": machine(), "lessons": {}}
    print(f"machine: {results['machine']}", file=sys.stderr)

    import_s, heavy = import_profile()
    results["import_course_utils_s"], results["heavy_on_import"] = import_s, heavy

    # The floor is measured between the lessons (one run before each, plus a warm-up), so that
    # changes in the machine's load during the benchmark affect floor and lessons alike.
    floors = []
    with tempfile.TemporaryDirectory() as tmp:
        floor_path = str(floor_notebook(Path(tmp)))
        execute_seconds(floor_path)  # warm the OS file cache once
        for p in paths:
            floors.append(execute_seconds(floor_path))
            best = min(execute_seconds(p) for _ in range(max(1, args.repeat)))
            results["lessons"][Path(p).name] = best
            if _ERRORS.get(p):
                results.setdefault("errors", {})[Path(p).name] = _ERRORS[p]
            print(f"  {Path(p).name}: {best:.1f} s (floor run: {floors[-1]:.1f} s)"
                  + (f"  (errors: {_ERRORS[p]})" if _ERRORS.get(p) else ""), file=sys.stderr)
    floor = statistics.median(floors)
    results["floor_s"] = floor

    # best of --repeat, like the lessons: a single run is easily inflated by other work on the machine
    serial = min(run_suite(paths, 1) for _ in range(max(1, args.repeat)))
    parallel = min(run_suite(paths, 2) for _ in range(max(1, args.repeat)))
    results.update(suite_serial_s=serial, suite_2_workers_s=parallel, n_lessons=len(paths))
    ratio = serial / (floor * len(paths))
    results["suite_over_floor"] = ratio

    if args.test_suite:
        for label, workers in (("tests_serial", ["-p", "no:xdist"]), ("tests_2_workers", ["-n", "2", "--dist", "loadfile"])):
            seconds, code = pytest_seconds(workers)
            results[f"{label}_s"], results[f"{label}_exit"] = seconds, code

    if args.grading:
        results.update(grading_seconds(args.grading, args.grading_lesson, floor))
        ok_grading = all(results[f"grading_{w}w_over_floor"] <= GRADING_RATIO_BUDGET for w in (1, 2))
    else:
        ok_grading = True

    if not args.skip_install:
        results["install_warm_s"] = install_seconds(cold=False)
        if args.cold:
            results["install_cold_s"] = install_seconds(cold=True)

    over = {k: v for k, v in results["lessons"].items() if v > LESSON_BUDGET_S}
    ok = not over and ratio <= SUITE_RATIO_BUDGET and ok_grading
    print(_table(results, over, ratio, ok))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0 if ok else 1


def _table(r: dict, over: dict, ratio: float, ok: bool) -> str:
    def s(x):
        return "n/a" if x is None else f"{x:.1f} s"

    lines = [
        f"Measured on: {r['machine']}",
        "",
        "| what | time | budget |",
        "|---|---:|---|",
    ]
    for name, seconds in r["lessons"].items():
        lines.append(f"| `{name}` | {s(seconds)} | ≤ {LESSON_BUDGET_S:.0f} s {'✗ OVER' if name in over else '✓'} |")
    n = r["n_lessons"]
    lines += [
        f"| floor: kernel start + course imports (one notebook) | {s(r['floor_s'])} | |",
        f"| floor × {n} lessons | {s(r['floor_s'] * n)} | |",
        f"| all {n} lessons, serial | {s(r['suite_serial_s'])} | ≤ 1.5 × floor {'✓' if ratio <= SUITE_RATIO_BUDGET else '✗ OVER'} |",
        f"| all {n} lessons, 2 workers | {s(r['suite_2_workers_s'])} | |",
        f"| **suite ÷ floor** | **{ratio:.2f}** | ≤ {SUITE_RATIO_BUDGET} |",
        f"| `import course_utils` (fresh interpreter) | {r['import_course_utils_s'] * 1000:.0f} ms | "
        f"heavy libraries loaded: {', '.join(r['heavy_on_import']) or 'none'} |",
    ]
    for key, label in (("tests_serial", "serial"), ("tests_2_workers", "2 workers")):
        if f"{key}_s" in r:
            status = "passed" if r[f"{key}_exit"] == 0 else f"pytest exit {r[f'{key}_exit']}"
            lines.append(f"| README test command (pytest + nbval), {label} | {s(r[f'{key}_s'])} | {status} |")
    if "grading_n" in r:
        n_sub, lesson = r["grading_n"], r["grading_lesson"]
        for w in (1, 2):
            sec, ratio_g = r[f"grading_{w}w_s"], r[f"grading_{w}w_over_floor"]
            label = "serial" if w == 1 else f"{w} workers"
            lines.append(f"| grading {n_sub} submissions of lesson {lesson} (`course grade`), {label} | {s(sec)} "
                         f"({n_sub / sec * 60:.1f} / min) | ÷ floor ({n_sub} × {r['grading_floor_s']:.1f} s ÷ {w}) = "
                         f"{ratio_g:.2f} {'✓' if ratio_g <= GRADING_RATIO_BUDGET else '✗ OVER'} (≤ {GRADING_RATIO_BUDGET}) |")
    if "install_warm_s" in r:
        lines.append(f"| install from uv.lock, warm cache (`uv sync --locked`) | {s(r['install_warm_s'])} | |")
    if "install_cold_s" in r:
        lines.append(f"| install from uv.lock, empty cache (downloads) | {s(r['install_cold_s'])} | |")
    for name, errors in r.get("errors", {}).items():
        lines.append(f"\nwarning: {name} raised errors while timed ({', '.join(errors)}); its time may be off.")
    lines += ["", "Budgets " + ("met." if ok else "BROKEN: see ✗ above.")]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
