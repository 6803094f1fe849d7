"""``course class init DIR`` and ``course grade LESSON SUBMISSIONS --out FILE.csv``.

Both need the ``instructor`` dependency group (nbgrader, JupyterHub); when it is not
installed they say how to get it (``bash scripts/instructor.sh``, which installs it).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections import Counter
from typing import Any

from course_build._common import BuildError

_MISSING = (
    "error: the instructor tools are not installed (nbgrader). Run `bash scripts/instructor.sh` "
    "from the course repository (it installs the `instructor` dependency group), or "
    "`uv sync --group instructor`, then run this command again."
)


def _have_nbgrader() -> bool:
    return importlib.util.find_spec("nbgrader") is not None


def _cmd_class_init(args: argparse.Namespace) -> int:
    if not _have_nbgrader():
        print(_MISSING, file=sys.stderr)
        return 3
    from course_build.classroom.nbgrader_course import init_course

    try:
        written = init_course(args.dir, lessons=args.lessons, notebooks=args.notebooks, course_id=args.course_id,
                              exchange=args.exchange, timeout=args.timeout, memory_mb=args.memory_mb)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote an nbgrader course with {len(written)} assignment(s) to {args.dir}/")
    print(f"Next: cd {args.dir} && nbgrader generate_assignment {written[0].parent.name if written else 'LESSON'}")
    return 0


def _cmd_grade(args: argparse.Namespace) -> int:
    if not _have_nbgrader():
        print(_MISSING, file=sys.stderr)
        return 3
    from course_build.classroom.grade import grade

    try:
        results = grade(args.lesson, args.submissions, args.out, course=args.course, notebooks=args.notebooks,
                        workers=args.workers, timeout=args.timeout, submission_timeout=args.submission_timeout,
                        memory_mb=args.memory_mb, feedback_dir=args.feedback, feedback=not args.no_feedback,
                        progress=not args.quiet)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    counts = Counter(r.status for r in results)
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    print(f"Wrote {args.out}: {len(results)} student(s) ({summary}).")
    return 0


def add_cli(commands: Any) -> None:
    """Add ``course class init`` and ``course grade`` to the ``course`` command."""
    klass = commands.add_parser("class", help="run a class with nbgrader (instructors)")
    actions = klass.add_subparsers(dest="action", required=True, metavar="ACTION")
    init = actions.add_parser("init", help="write an nbgrader course (one assignment per lesson) from the solutions")
    init.add_argument("dir", help="the course folder to create")
    init.add_argument("--lessons", nargs="+", default=None, help="lesson numbers, e.g. 04 05 (default: all)")
    init.add_argument("--notebooks", default=None, help="lessons folder (default: notebooks/)")
    init.add_argument("--course-id", default="kratom-evidence")
    init.add_argument("--exchange", default="/srv/nbgrader/exchange", help="nbgrader exchange folder on the hub")
    init.add_argument("--timeout", type=int, default=60, help="seconds a cell may run when grading")
    init.add_argument("--memory-mb", type=int, default=2048, help="memory cap of a grading kernel")
    init.set_defaults(func=_cmd_class_init)

    g = commands.add_parser("grade", help="autograde a folder of submissions into a CSV gradebook (instructors)")
    g.add_argument("lesson", help="the lesson's number (04) or file name")
    g.add_argument("submissions", help="folder with one folder per student holding the notebook")
    g.add_argument("--out", required=True, help="the CSV gradebook to write")
    g.add_argument("--course", default=None, help="an nbgrader course from `course class init` (default: made here)")
    g.add_argument("--notebooks", default=None, help="lessons folder (default: notebooks/)")
    g.add_argument("--workers", type=int, default=2, help="submissions graded at once (default: 2)")
    g.add_argument("--timeout", type=int, default=60, help="seconds a cell may run (default: 60)")
    g.add_argument("--submission-timeout", type=float, default=600.0, help="seconds a whole submission may run")
    g.add_argument("--memory-mb", type=int, default=2048, help="memory cap of each grading kernel (MB)")
    g.add_argument("--feedback", default=None, help="folder for per-student feedback HTML (default: beside --out)")
    g.add_argument("--no-feedback", action="store_true", help="skip the feedback HTML (faster)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.set_defaults(func=_cmd_grade)
