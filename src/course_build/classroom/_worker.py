"""A grading worker: imports nbgrader once, then autogrades the students it is sent.

``python -m course_build.classroom._worker ROOT ASSIGNMENT`` reads one student id per
line on stdin; for each it runs nbgrader's autograde (in this process, with the course's
``nbgrader_config.py`` from ROOT: sandboxed kernel, restored cells) and feedback, then
writes one JSON line on stdout: the scores of every test cell, whether a cell timed out,
and nbgrader's error if it failed.  ROOT is this worker's own copy of the course with its
own gradebook, so workers never write to the same SQLite file; the parent process writes
the class's gradebook (the CSV) in one place.  The parent kills the worker if a
submission runs over its wall-clock limit and starts a new one.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

_TIMEOUT_ERRORS = {"CellTimeoutError", "KeyboardInterrupt", "DeadKernelError"}


def _scan_outputs(path: Path) -> dict[str, Any]:
    import nbformat

    if not path.is_file():
        return {"timed_out": False, "dead_kernel": False}
    nb = nbformat.read(path, as_version=4)
    enames = [o.get("ename") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    return {"timed_out": any(e in ("CellTimeoutError", "KeyboardInterrupt") for e in enames),
            "dead_kernel": "DeadKernelError" in enames}


def main() -> int:
    root, assignment = Path(sys.argv[1]).resolve(), sys.argv[2]
    os.chdir(root)
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    # The protocol runs on private (non-inheritable) copies of stdin/stdout; fds 0-2 become
    # /dev/null and a log file, so a kernel (student code) can neither read the next student's
    # id nor print a fake reply.
    commands = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    log = os.open(str(root / "worker.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    db_url = coursedir.db_url
    print(json.dumps({"ready": True}), file=replies, flush=True)
    for line in commands:
        student = line.strip()
        if not student:
            continue
        sink = io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
            result = api.autograde(assignment, student, force=True, create=True)
            t1 = time.perf_counter()
            want_feedback = os.environ.get("COURSE_GRADE_FEEDBACK", "1") == "1"
            feedback = (api.generate_feedback(assignment, student, force=True)
                        if result.get("success") and want_feedback else {})
        t2 = time.perf_counter()
        reply: dict[str, Any] = {"student": student, "success": bool(result.get("success")),
                                 "error": ((result.get("error") or "") + "\n" + (result.get("log") or ""))[-4000:], "scores": {}, "max": {},
                                 "seconds": {"autograde": t1 - t0, "feedback": t2 - t1}}
        if not result.get("success") and any(
                word in reply["error"] for word in ("CellTimeoutError", "UnresponsiveKernelError", "TimeoutError")):
            reply["timed_out"] = True
        if result.get("success"):
            with Gradebook(db_url) as gb:
                sub = gb.find_submission(assignment, student)
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        if grade.auto_score is not None or grade.max_score:
                            reply["scores"][grade.name] = float(grade.score or 0.0)
                            reply["max"][grade.name] = float(grade.max_score or 0.0)
            autograded = root / "autograded" / student / assignment
            for nb_path in sorted(autograded.glob("*.ipynb")):
                scan = _scan_outputs(nb_path)
                reply["timed_out"] = reply.get("timed_out", False) or scan["timed_out"]
                reply["dead_kernel"] = reply.get("dead_kernel", False) or scan["dead_kernel"]
            reply["feedback"] = [str(p) for p in sorted((root / "feedback" / student / assignment).glob("*.html"))]
            reply["feedback_ok"] = bool(feedback.get("success"))
        print(json.dumps(reply), file=replies, flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
