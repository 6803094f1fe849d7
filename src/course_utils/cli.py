"""The ``course`` command for learners, instructors and maintainers.

Examples
--------
::

    course datasets list            # what data the course has (real or synthetic)
    course datasets info nhefs      # data dictionary and citation of one dataset
    course datasets verify          # check every file against its sha256 hash
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

import pandas as pd

from course_utils import datasets


def _datasets_list(args: argparse.Namespace) -> int:
    with pd.option_context("display.width", 160, "display.max_colwidth", 48, "display.max_rows", 200):
        print(datasets.list_datasets()[["kind", "rows", "columns", "title"]].to_string())
    return 0


def _datasets_info(args: argparse.Namespace) -> int:
    print(datasets.cite(args.name))
    print()
    with pd.option_context("display.width", 200, "display.max_colwidth", 90, "display.max_rows", 500):
        print(datasets.describe(args.name)[["type", "unit", "description", "categories"]].to_string())
    return 0


def _datasets_verify(args: argparse.Namespace) -> int:
    report = datasets.verify(raise_on_error=False)
    for name, row in report.iterrows():
        print(f"{'ok  ' if row['ok'] else 'FAIL'} {row['file']}")
    bad = report[~report["ok"]]
    if len(bad):
        for row in bad.itertuples():
            print(f"{row.file}: expected sha256 {row.expected}, actual {row.actual}", file=sys.stderr)
        print(f"{len(bad)} file(s) failed. {datasets.RESTORE_HINT}", file=sys.stderr)
        return 1
    print(f"All {len(report)} data files match their sha256 hashes.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed so tests and docs can inspect it)."""
    parser = argparse.ArgumentParser(prog="course", description="Tools for the kratom-evidence course.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = commands.add_parser("datasets", help="list, describe and verify the course datasets")
    data_cmds = data.add_subparsers(dest="action", required=True, metavar="ACTION")
    data_cmds.add_parser("list", help="list every dataset").set_defaults(func=_datasets_list)
    info = data_cmds.add_parser("info", help="data dictionary and citation of one dataset")
    info.add_argument("name")
    info.set_defaults(func=_datasets_info)
    data_cmds.add_parser("verify", help="check every data file against its sha256 hash").set_defaults(
        func=_datasets_verify
    )
    _add_build_commands(commands)
    return parser


def _add_build_commands(commands: argparse._SubParsersAction) -> None:
    """``course build ...`` (student edition, website), added when the builders exist."""
    import importlib.util

    if importlib.util.find_spec("course_build") is None:
        return
    from course_build.cli import add_cli

    add_cli(commands)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``course`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except datasets.DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
