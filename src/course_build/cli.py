"""``course build ...``: the command-line entry points of the build tools."""


import argparse
import ast
import copy
import html
import os
import re
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from course_build._common import BuildError
from course_build.classroom.cli import add_cli as add_class_cli
from course_build.site import build_site
from course_build.student import build_student

def _cmd_student(args: argparse.Namespace) -> int:
    try:
        written = build_student(args.out, args.notebooks)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote the student edition of {len(written)} lesson(s) to {args.out}/")
    return 0


def _cmd_site(args: argparse.Namespace) -> int:
    if args.out is None:
        args.out = "build/site" if args.edition == "student" else "build/site-instructor"
    try:
        written = build_site(args.out, args.edition, args.notebooks, keep_source=args.keep_source)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote the {args.edition} edition of the course website ({len(written)} lesson page(s)); "
          f"open {args.out}/index.html")
    return 0


def add_cli(commands: Any) -> None:
    """Add ``course build student`` and ``course build site`` to the ``course`` command."""
    build = commands.add_parser("build", help="build the student edition or the course website")
    targets = build.add_subparsers(dest="target", required=True, metavar="TARGET")
    student = targets.add_parser("student", help="the lessons with exercises open, outputs cleared")
    student.add_argument("--out", default="build/student", help="output folder (default: build/student)")
    student.add_argument("--notebooks", default=None, help="lessons folder (default: notebooks/)")
    student.set_defaults(func=_cmd_student)
    site = targets.add_parser("site", help="the course website (Jupyter Book, offline, from stored outputs)")
    site.add_argument(
        "--edition", choices=["student", "instructor"], default="student",
        help="student (default: exercises open, no solutions) or instructor (solutions collapsed, instructor guide)",
    )
    site.add_argument("--out", default=None, help="output folder (default: build/site, or build/site-instructor)")
    site.add_argument("--keep-source", action="store_true", help="keep the generated book sources in OUT/_book")
    site.add_argument("--notebooks", default=None, help="lessons folder (default: notebooks/)")
    site.set_defaults(func=_cmd_site)
    add_class_cli(commands)  # course class init, course grade (instructors; issue 11)


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - thin wrapper
    """``python -m course_build student|site ...``."""
    parser = argparse.ArgumentParser(prog="python -m course_build")
    add_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["build", *(argv if argv is not None else sys.argv[1:])])
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
