"""``course grade LESSON SUBMISSIONS --out FILE.csv``: grade a folder of submissions with nbgrader.

SUBMISSIONS holds one folder per student with that lesson's notebook (as an LMS
download gives them).  Each submission is autograded by nbgrader in the grading sandbox
(:mod:`course_build.classroom._sandbox`): read-only and test cells restored from the
instructor-only source, hidden tests run, no network, a memory cap, a per-cell timeout,
and a wall-clock limit per submission.  The result is one CSV row per student: one
column per exercise id (points), ``total``, ``max``, and ``status`` (``graded``,
``missing``, ``timed out`` or ``error``), plus nbgrader's feedback HTML per student.

Workers (``--workers N``) each keep their own copy of the course and gradebook; this
process collects their results and writes the CSV once, atomically.
"""

from __future__ import annotations

import csv
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from course_build._common import BuildError
from course_build.classroom.nbgrader_course import exercise_of, init_course, select_lessons

STATUSES = ("graded", "missing", "timed out", "error")


@dataclass
class Result:
    """One student's grading result."""

    student: str
    status: str
    scores: dict[str, float] = field(default_factory=dict)
    max_scores: dict[str, float] = field(default_factory=dict)
    note: str = ""
    feedback: str = ""
    seconds: float = 0.0


def _safe_id(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]", "_", name).strip("_")[:60] or "student"
    sid, k = base, 1
    while sid in taken:
        k += 1
        sid = f"{base}_{k}"
    taken.add(sid)
    return sid


def _find_notebook(folder: Path, expected: str) -> Path | None:
    """The student's notebook in their folder: the exact name, else the only .ipynb."""
    exact = folder / expected
    if exact.is_file():
        return exact
    found = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    stem = Path(expected).stem
    named = [p for p in found if stem in p.stem]
    if len(named) == 1:
        return named[0]
    return found[0] if len(found) == 1 else None


def _env() -> dict[str, str]:
    """This environment's executables first on PATH (nbgrader runs ``alembic`` from PATH)."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _nbgrader(args: Sequence[str], cwd: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, capture_output=True, text=True,
                          env=_env())
    if proc.returncode != 0:
        raise BuildError(f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")


class _Worker:
    """A ``_worker`` process with its own course copy; restarted after a kill."""

    def __init__(self, root: Path, assignment: str, feedback: bool = True) -> None:
        self.root, self.assignment, self.feedback = root, assignment, feedback
        self.proc: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()

    def start(self, timeout: float) -> None:
        self.lines = queue.Queue()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "course_build.classroom._worker", str(self.root), self.assignment],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            start_new_session=True, env={**_env(), "COURSE_GRADE_FEEDBACK": "1" if self.feedback else "0"},
        )
        lines = self.lines
        stdout = self.proc.stdout
        assert stdout is not None

        def pump() -> None:
            for line in stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        ready = self._read(timeout)
        if not ready or not ready.get("ready"):
            self.kill()
            raise BuildError(f"the grading worker did not start; see {self.root / 'worker.log'}")

    def _read(self, timeout: float) -> dict[str, Any] | None:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            return None
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            return {}

    def grade(self, student: str, timeout: float) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(student + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return {"student": student, "success": False, "error": "worker died"}
        return self._read(timeout)

    def kill(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, 9)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            pass
        self.kill()


def _progress(done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    rate = done / max(time.monotonic() - started, 1e-9) * 60
    sys.stderr.write(f"\r grading [{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {rate:5.1f}/min")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def grade(
    lesson: str,
    submissions: str | os.PathLike,
    out: str | os.PathLike,
    *,
    course: str | os.PathLike | None = None,
    notebooks: str | os.PathLike | None = None,
    workers: int = 1,
    timeout: int = 60,
    submission_timeout: float = 600.0,
    memory_mb: int = 2048,
    feedback_dir: str | os.PathLike | None = None,
    feedback: bool = True,
    progress: bool = True,
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Autograde every student's folder in ``submissions``; write the CSV gradebook to ``out``.

    Parameters
    ----------
    lesson : str
        The lesson's number (``"04"``) or file name.
    submissions : path
        One folder per student, each holding that lesson's notebook.
    out : path
        The CSV file to write (replaced atomically).
    course : path, optional
        An nbgrader course made by ``course class init``; by default one is made for this
        lesson in a temporary folder from the solution notebooks.
    workers : int
        Submissions graded at once (each has its own kernel in the sandbox).
    timeout : int
        Seconds a cell may run.
    submission_timeout : float
        Wall-clock seconds a whole submission may take; past it the submission is
        stopped and marked ``timed out``.
    feedback_dir : path, optional
        Where per-student feedback HTML goes (default: next to ``out``, ``<stem>-feedback/``).
    feedback : bool
        Write nbgrader's feedback HTML (about 1 s per submission); False skips it.

    Returns
    -------
    list of Result
        One per student folder, sorted by folder name.
    """
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise BuildError(f"{submissions} is not a folder; pass the folder that holds one folder per student")
    out = Path(out)
    feedback_root = Path(feedback_dir) if feedback_dir is not None else out.with_name(out.stem + "-feedback")
    work = Path(tempfile.mkdtemp(prefix="course-grade-"))
    try:
        if course is None:
            base = work / "course"
            init_course(base, lessons=[lesson], notebooks=notebooks, timeout=timeout, memory_mb=memory_mb,
                        progress=progress)
        else:
            base = Path(course).resolve()
            if not (base / "nbgrader_config.py").is_file():
                raise BuildError(f"{base} is not a course folder (no nbgrader_config.py); make one with `course class init`")
        sources = sorted(base.glob("source/*/*.ipynb"))
        want = Path(str(lesson)).name.removesuffix(".ipynb")
        key = want.zfill(2) if want.isdigit() else want
        match = [p for p in sources if p.parent.name == key or p.parent.name[:2] == key]
        if not match:
            raise BuildError(f"the course has no assignment for lesson {lesson!r}; "
                             f"it has {', '.join(p.parent.name for p in sources) or 'none'}")
        assignment, nb_name = match[0].parent.name, match[0].name
        if course is None:
            _nbgrader(["generate_assignment", assignment, "--force"], base)
        elif not (base / "gradebook.db").is_file() or not (base / "release" / assignment).is_dir():
            _nbgrader(["generate_assignment", assignment, "--force"], base)
        template = work / "template"
        template.mkdir()
        shutil.copy2(base / "nbgrader_config.py", template / "nbgrader_config.py")
        shutil.copy2(base / "gradebook.db", template / "gradebook.db")
        shutil.copytree(base / "source" / assignment, template / "source" / assignment)
        # per-cell timeout and memory cap of this run
        with open(template / "nbgrader_config.py", "a", encoding="utf-8") as fh:
            fh.write(f"\nc.Execute.timeout = {int(timeout)}\nc.SandboxKernelManager.memory_mb = {int(memory_mb)}\n")

        taken: set[str] = set()
        students = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
        results: dict[str, Result] = {}
        todo: list[tuple[str, str, Path]] = []
        for folder in students:
            sid = _safe_id(folder.name, taken)
            found = _find_notebook(folder, nb_name)
            if found is None:
                results[folder.name] = Result(folder.name, "missing", note="no notebook in the folder")
            else:
                todo.append((folder.name, sid, found))
        n_workers = max(1, min(int(workers), len(todo) or 1))
        roots = []
        for k in range(n_workers):
            root = work / f"worker{k}"
            shutil.copytree(template, root)
            roots.append(root)
        jobs: queue.Queue[tuple[str, str, Path]] = queue.Queue()
        for item in todo:
            jobs.put(item)
        lock = threading.Lock()
        started = time.monotonic()
        done = [len(results)]
        total = len(students)
        if progress and total:
            _progress(done[0], total, started)

        def record(res: Result) -> None:
            with lock:
                results[res.student] = res
                done[0] += 1
                if progress:
                    _progress(done[0], total, started)
                if on_result is not None:
                    on_result(res)

        def run(root: Path) -> None:
            worker = _Worker(root, assignment, feedback)
            worker.start(timeout=300)
            try:
                while True:
                    try:
                        name, sid, path = jobs.get_nowait()
                    except queue.Empty:
                        return
                    target = root / "submitted" / sid / assignment
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target / nb_name)
                    t0 = time.monotonic()
                    reply = worker.grade(sid, submission_timeout)
                    seconds = time.monotonic() - t0
                    if reply is None:  # over the wall-clock limit (or the worker died): stop it, start afresh
                        worker.kill()
                        record(Result(name, "timed out", note=f"stopped after {submission_timeout:.0f} s", seconds=seconds))
                        worker.start(timeout=300)
                        continue
                    if reply.get("student") == sid and reply.get("timed_out") and not reply.get("success"):
                        record(Result(name, "timed out", note="a cell did not stop at the time limit", seconds=seconds))
                        continue
                    if reply.get("student") != sid or not reply.get("success"):
                        err = str(reply.get("error", "")).strip().splitlines()
                        record(Result(name, "error", note=(err[-1] if err else "nbgrader failed")[:300], seconds=seconds))
                        continue
                    status = "timed out" if reply.get("timed_out") else "graded"
                    note = "a cell ran past the time limit" if reply.get("timed_out") else ""
                    if reply.get("dead_kernel"):
                        status, note = "error", "the kernel died (memory or a crash); later cells did not run"
                    fb = ""
                    for html_path in reply.get("feedback", []):
                        dest = feedback_root / f"{sid}.html"
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(html_path, dest)
                        fb = str(dest)
                    record(Result(name, status, scores=dict(reply.get("scores", {})),
                                  max_scores=dict(reply.get("max", {})), note=note, feedback=fb, seconds=seconds))
            finally:
                worker.stop()

        errors: list[BaseException] = []

        def guarded(root: Path) -> None:
            try:
                run(root)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=guarded, args=(root,)) for root in roots]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        ordered = [results[p.name] for p in students]
        exercises = _exercise_columns(base / "source" / assignment / nb_name)
        write_csv(out, ordered, exercises)
        return ordered
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _exercise_columns(source: Path) -> list[tuple[str, str, float]]:
    """(exercise id, nbgrader cell id, points) of the assignment's test cells, in order."""
    import nbformat

    nb = nbformat.read(source, as_version=4)
    cols = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            gid = meta["grade_id"]
            cols.append((exercise_of(gid) or gid, gid, float(meta.get("points", 0))))
    return cols


def write_csv(out: Path, results: Sequence[Result], exercises: Sequence[tuple[str, str, float]]) -> None:
    """Write the gradebook: student, one column per exercise, total, max, status, note (atomic)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    max_total = sum(p for _, _, p in exercises)
    fd, tmp = tempfile.mkstemp(prefix=out.name, dir=out.parent)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", *[ex for ex, _, _ in exercises], "total", "max", "status", "note"])
        for res in results:
            row_scores = [round(float(res.scores.get(gid, 0.0)), 4) for _, gid, _ in exercises]
            writer.writerow([res.student, *row_scores, round(sum(row_scores), 4), max_total, res.status, res.note])
    os.replace(tmp, out)
