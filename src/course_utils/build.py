"""Build the course's two editions and its website from the lesson notebooks.

The notebooks in ``notebooks/`` are the *solution edition* (answers filled in,
outputs stored).  From them this module makes:

* the **student edition** (:func:`build_student`, ``course build student``): each
  exercise's code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes a
  placeholder that keeps the variable the check reads (``answer_1 = ...  # YOUR ANSWER
  HERE``), cells tagged ``solution`` are removed, outputs are cleared, and check cells
  are tagged ``raises-exception`` so that *Run all* walks through the whole lesson,
  each unanswered check saying "not answered yet" (``ExerciseNotAnswered``);
* the **website** (:func:`build_site`, ``course build site``): one offline HTML page per
  lesson from the stored outputs plus a table of contents, with MathJax served from
  the site itself (from the ``jupyter-server-mathjax`` package), so nothing is fetched
  from the internet.  ``--edition student`` shows the lessons with the exercises open.

Examples
--------
::

    course build student                      # -> build/student/
    course build site                         # -> build/site/index.html (solution edition)
    course build site --edition student --out build/site-student

>>> from course_utils.build import student_source
>>> print(student_source("### BEGIN SOLUTION\\nanswer_1 = len(df)\\n### END SOLUTION", later=["answer_1"]))
answer_1 = ...  # YOUR ANSWER HERE
"""

from __future__ import annotations

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

__all__ = [
    "BuildError",
    "SOLUTION_BEGIN",
    "SOLUTION_END",
    "PLACEHOLDER",
    "lesson_paths",
    "is_check_cell",
    "has_solution",
    "student_source",
    "student_notebook",
    "build_student",
    "build_site",
    "add_cli",
]

SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
#: What replaces an answer in the student edition (the check raises ExerciseNotAnswered on ``...``).
PLACEHOLDER = "...  # YOUR ANSWER HERE"
#: A check cell calls one of the course's checks.
CHECK_CALL = re.compile(r"\bcheck\.(?:number|choice|truth|between|columns)\s*\(")
#: Lessons are ``NN_slug.ipynb``.
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
#: Marker file that lets ``build_site``/``build_student`` replace an earlier build safely.
_MARKER = ".course-build"

_CHECKOUT = Path(__file__).resolve().parents[2]


class BuildError(ValueError):
    """A notebook cannot be turned into an edition; the message names the notebook, the cell and the fix."""


# --------------------------------------------------------------------------- locating lessons


def _default_notebooks() -> Path:
    here = Path("notebooks")
    if here.is_dir():
        return here
    if (_CHECKOUT / "notebooks").is_dir():
        return _CHECKOUT / "notebooks"
    raise BuildError(
        "no notebooks/ folder here: run `course build ...` from the course repository, "
        "or pass --notebooks PATH"
    )


def lesson_paths(notebooks: str | os.PathLike | None = None) -> list[Path]:
    """The lesson notebooks (``NN_slug.ipynb``) in order.

    Raises
    ------
    BuildError
        If the folder does not exist or holds no lesson.
    """
    folder = Path(notebooks) if notebooks is not None else _default_notebooks()
    if not folder.is_dir():
        raise BuildError(f"{folder} is not a folder; pass the course's notebooks/ folder")
    paths = sorted(folder.glob(LESSON_GLOB))
    if not paths:
        raise BuildError(f"no lesson notebooks (NN_slug.ipynb) in {folder}")
    return paths


# --------------------------------------------------------------------------- the student transform


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_check_cell(cell: Any) -> bool:
    """True for a code cell that calls a ``course_utils.check`` function."""
    return cell.get("cell_type") == "code" and bool(CHECK_CALL.search(cell.get("source", "")))


def has_solution(cell: Any) -> bool:
    """True for a cell holding a ``### BEGIN SOLUTION`` block."""
    return SOLUTION_BEGIN in cell.get("source", "")


def _assigned_names(block: str) -> list[str]:
    names: list[str] = []

    def collect(target: ast.AST) -> None:
        if isinstance(target, ast.Name):
            if target.id not in names:
                names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                collect(elt)
        elif isinstance(target, ast.Starred):
            collect(target.value)

    for node in ast.parse(block).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                collect(target)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            collect(node.target)
    return names


def student_source(source: str, *, later: Iterable[str] = (), where: str = "a cell") -> str:
    """Replace every solution block in a code cell's source by a placeholder.

    Parameters
    ----------
    source : str
        The cell's code.
    later : iterable of str
        Code that runs after this block (later cells); only the assigned names that
        this code reads get a placeholder, so helper variables of the model answer
        do not give the method away.  If none is read later, every assigned name is kept.
    where : str
        Names the notebook and cell in error messages.

    Raises
    ------
    BuildError
        A block is not closed, is not valid Python, or assigns no variable.
    """
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    later_text = "\n".join(later)
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith(SOLUTION_BEGIN):
            indent = line[: len(line) - len(line.lstrip())]
            try:
                end = next(j for j in range(i + 1, len(lines)) if lines[j].strip().startswith(SOLUTION_END))
            except StopIteration:
                raise BuildError(f"{where}: `{SOLUTION_BEGIN}` has no matching `{SOLUTION_END}`; add it") from None
            block_lines = lines[i + 1 : end]
            block = "\n".join(line[len(indent) :] if line.startswith(indent) else line for line in block_lines)
            try:
                names = _assigned_names(block)
            except SyntaxError as exc:
                raise BuildError(f"{where}: the solution block is not valid Python ({exc.msg}); fix it") from None
            if not names:
                raise BuildError(
                    f"{where}: the solution block assigns no variable; put the answer in a variable "
                    "(e.g. `answer_1 = ...`) that the check cell reads, as CONTRIBUTING.md asks"
                )
            rest = "\n".join(lines[end + 1 :]) + "\n" + later_text
            used = [n for n in names if re.search(rf"(?<![\w.]){re.escape(n)}\b", rest)]
            out.extend(f"{indent}{name} = {PLACEHOLDER}" for name in (used or names))
            i = end + 1
            continue
        if line.strip().startswith(SOLUTION_END):
            raise BuildError(f"{where}: `{SOLUTION_END}` without a `{SOLUTION_BEGIN}` before it; fix the markers")
        out.append(line)
        i += 1
    return "\n".join(out)


def _student_markdown(source: str, where: str) -> str:
    pattern = re.compile(rf"{re.escape(SOLUTION_BEGIN)}.*?{re.escape(SOLUTION_END)}", re.S)
    text = pattern.sub("*Your answer here.*", source)
    if SOLUTION_BEGIN in text or SOLUTION_END in text:
        raise BuildError(f"{where}: unbalanced solution markers in a Markdown cell; fix the markers")
    return text


def student_notebook(nb: Any, *, name: str = "notebook", keep_outputs: bool = False) -> Any:
    """The student edition of one solution notebook (a new object; ``nb`` is not changed).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A lesson notebook (solution edition).
    name : str
        Used in error messages.
    keep_outputs : bool
        False (the student edition): clear every output.  True (the student website):
        keep stored outputs except those of exercise and check cells.
    """
    import nbformat

    nb = copy.deepcopy(nb)
    cells = [c for c in nb.cells if "solution" not in _tags(c)]
    code_sources = [c.source if c.cell_type == "code" else "" for c in cells]
    new_cells = []
    for index, cell in enumerate(cells):
        where = f"{name}, cell {cell.get('id', index)}"
        if cell.cell_type == "markdown" and (SOLUTION_BEGIN in cell.source or SOLUTION_END in cell.source):
            cell.source = _student_markdown(cell.source, where)
        if cell.cell_type == "code":
            exercise = has_solution(cell) or SOLUTION_END in cell.source
            if exercise:
                cell.source = student_source(cell.source, later=code_sources[index + 1 :], where=where)
            check = is_check_cell(cell)
            if check:
                tags = _tags(cell)
                if "raises-exception" not in tags:
                    cell.metadata["tags"] = tags + ["raises-exception"]
            if not keep_outputs or exercise or check:
                cell.outputs = []
                cell.execution_count = None
        new_cells.append(cell)
    nb.cells = new_cells
    meta = nb.metadata.get("course", {})
    meta.pop("executed_with", None)
    meta["edition"] = "student"
    nb.metadata["course"] = meta
    nbformat.validate(nb)
    return nb


# --------------------------------------------------------------------------- output folders


def _fresh_dir(out: Path) -> Path:
    """Create ``out`` empty; replace it only if it is empty or an earlier build of ours."""
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise BuildError(f"{out} exists and is a file; choose another --out")
        if any(out.iterdir()) and not (out / _MARKER).exists():
            raise BuildError(
                f"{out} exists, is not empty and was not made by `course build`; "
                "choose another --out or remove it yourself"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / _MARKER).write_text("made by `course build`; safe to delete\n", encoding="utf-8")
    return out


_STUDENT_README = """\
# Student edition

These are the course's lessons with the exercises left open.

* Open a lesson in JupyterLab and run it from the top (*Run > Run All Cells* works:
  the check cells are tagged so that an unanswered exercise does not stop the run).
* Each exercise cell holds `answer_N = ...  # YOUR ANSWER HERE`. Replace the `...`
  with your answer, run the cell, then run the check cell below it.
* A check says ✅ when you are right, ❌ with a hint when you are not yet, and ⏳ while
  the exercise is unanswered.
* The lessons need the `course-utils` package (it carries the datasets); install it
  as the course's README explains.

The lessons analyse data on depression, stress and drug use. They are not medical
advice and do not recommend kratom or any other treatment.
"""


def build_student(out: str | os.PathLike = "build/student", notebooks: str | os.PathLike | None = None) -> list[Path]:
    """Write the student edition of every lesson to ``out``; return the notebook paths.

    Other files beside the lessons in ``notebooks/`` (for example images a lesson
    shows) are copied too; the datasets are not (they come with ``course_utils``).
    """
    import nbformat

    paths = lesson_paths(notebooks)
    out = _fresh_dir(Path(out))
    source_dir = paths[0].parent
    for item in sorted(source_dir.iterdir()):
        if item.suffix == ".ipynb" or item.name.startswith(".") or item.name == "__pycache__":
            continue
        if item.is_dir():
            shutil.copytree(item, out / item.name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy2(item, out / item.name)
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        student = student_notebook(nb, name=path.name)
        target = out / path.name
        nbformat.write(student, target)
        written.append(target)
    (out / "README.md").write_text(_STUDENT_README, encoding="utf-8")
    return written


# --------------------------------------------------------------------------- the website

_TEMPLATES = Path(__file__).with_name("site_templates")


def mathjax_dir() -> Path:
    """MathJax 2.7's files, as shipped by the ``jupyter-server-mathjax`` package."""
    try:
        import jupyter_server_mathjax
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise BuildError(
            "the site needs the jupyter-server-mathjax package for offline math; "
            "run `bash scripts/setup.sh` or `uv sync --locked`"
        ) from exc
    static = Path(jupyter_server_mathjax.__file__).with_name("static")
    if not (static / "MathJax.js").exists():  # pragma: no cover
        raise BuildError(f"MathJax.js is missing from {static}; reinstall jupyter-server-mathjax")
    return static


def _lesson_title(nb: Any, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _lesson_time(nb: Any) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"\*Time:\s*([^*·]+?)\s*(?:·|\*)", cell.source)
            if match:
                return match.group(1).strip()
    return ""


def _sections(page_html: str) -> list[tuple[str, str]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page_html, "html.parser")
    found = []
    for h2 in soup.find_all("h2"):
        anchor = h2.get("id")
        for a in h2.find_all("a", class_="anchor-link"):
            a.decompose()
        if anchor:
            found.append((str(anchor), h2.get_text(" ", strip=True)))
    return found


_FIGURE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
_CAPTION = re.compile(r"^\*\*Figure \d+[a-z]?\.\*\*")


def _plain(markdown: str) -> str:
    text = re.sub(r"[*_`]", "", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](link) -> text
    text = re.sub(r"\$([^$]*)\$", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def add_figure_alt_text(nb: Any) -> int:
    """Give every figure output its caption as text alternative (``output.metadata.course_alt``).

    The caption is the first paragraph of the Markdown cell after the figure, which the lesson
    standard requires to start ``**Figure N.**``.  Returns how many figures got one.
    """
    count = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        figures = [o for o in cell.get("outputs", []) if any(k in o.get("data", {}) for k in _FIGURE_TYPES)]
        captions = []
        for nxt in nb.cells[i + 1 :]:
            if nxt.cell_type == "markdown" and _CAPTION.match(nxt.source):
                captions.append(_plain(re.split(r"\n\s*\n", nxt.source)[0]))
                if len(captions) >= len(figures):
                    break
            else:
                break
        for k, output in enumerate(figures):
            if captions:
                output.setdefault("metadata", {})["course_alt"] = captions[min(k, len(captions) - 1)]
                count += 1
    return count


def _nav(prev: tuple[str, str] | None, nxt: tuple[str, str] | None) -> str:
    parts = ['<a href="index.html">Contents</a>']
    if prev:
        parts.insert(0, f'<a href="{prev[0]}" rel="prev">← {html.escape(prev[1])}</a>')
    if nxt:
        parts.append(f'<a href="{nxt[0]}" rel="next">{html.escape(nxt[1])} →</a>')
    return '<nav class="course-nav" aria-label="Lessons">' + " · ".join(parts) + "</nav>"


_INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 52rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #1a1a1a; }}
h1 {{ font-size: 1.8rem; }}
ol.lessons > li {{ margin-bottom: 1rem; }}
ol.lessons a.lesson {{ font-weight: 600; font-size: 1.1rem; }}
.time {{ color: #555; }}
ul.sections {{ margin: .25rem 0 0 0; }}
.edition {{ display: inline-block; border: 1px solid #0072B2; color: #0072B2; padding: 0 .4rem;
            border-radius: .25rem; font-size: .9rem; }}
.safety {{ border-left: 4px solid #0072B2; padding: .5rem 1rem; background: #f4f8fb; }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
<p><span class="edition">{edition_label}</span> {edition_note}</p>
<p class="safety">This course is about analysing data on depression, stress and drug use. It is
not medical advice and does not recommend kratom or any other treatment. If you are struggling,
talk to a health professional or someone you trust; each lesson lists where to get help.</p>
<h2 id="contents">Contents</h2>
<ol class="lessons">
{items}
</ol>
</main>
</body>
</html>
"""

COURSE_TITLE = "Kratom, depression and stress: judging the evidence with data"


def build_site(
    out: str | os.PathLike = "build/site",
    edition: str = "solution",
    notebooks: str | os.PathLike | None = None,
) -> list[Path]:
    """Write an offline HTML site of the lessons to ``out``; return the lesson pages.

    Parameters
    ----------
    out : path
        Output folder (replaced if it holds an earlier build).
    edition : {"solution", "student"}
        ``solution``: the lessons as stored (answers and all outputs).  ``student``: the
        exercises open (placeholders; exercise and check outputs removed).
    notebooks : path, optional
        The lessons' folder (default: ``notebooks/``).

    Notes
    -----
    Pages are rendered from the *stored* outputs (nothing is executed): run
    ``tools/nbtools.py execute`` first if a lesson changed.  Figures are embedded in
    the pages; MathJax is copied to ``_static/mathjax``.
    """
    import nbformat
    from nbconvert import HTMLExporter

    if edition not in {"solution", "student"}:
        raise BuildError(f"edition must be 'solution' or 'student', not {edition!r}")
    paths = lesson_paths(notebooks)
    out = _fresh_dir(Path(out))
    shutil.copytree(mathjax_dir(), out / "_static" / "mathjax")

    exporter = HTMLExporter(
        template_name="course",
        extra_template_basedirs=[str(_TEMPLATES)],
        mathjax_url="_static/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        theme="light",
    )
    lessons = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if edition == "student":
            nb = student_notebook(nb, name=path.name, keep_outputs=True)
        page = path.with_suffix(".html").name
        lessons.append((path, nb, page, _lesson_title(nb, path.stem)))

    written, items = [], []
    for i, (path, nb, page, title) in enumerate(lessons):
        prev = (lessons[i - 1][2], lessons[i - 1][3]) if i > 0 else None
        nxt = (lessons[i + 1][2], lessons[i + 1][3]) if i + 1 < len(lessons) else None
        nb.metadata["title"] = f"{title} · {COURSE_TITLE}"
        add_figure_alt_text(nb)
        resources = {
            "metadata": {"name": path.stem, "path": str(path.parent)},
            "course": {"nav": _nav(prev, nxt), "edition": edition},
        }
        body, _ = exporter.from_notebook_node(nb, resources=resources)
        (out / page).write_text(body, encoding="utf-8")
        written.append(out / page)
        time = _lesson_time(nb)
        sections = "".join(
            f'<li><a href="{page}#{html.escape(anchor, quote=True)}">{html.escape(text)}</a></li>'
            for anchor, text in _sections(body)
        )
        items.append(
            f'<li><a class="lesson" href="{page}">{html.escape(title)}</a>'
            + (f' <span class="time">({html.escape(time)})</span>' if time else "")
            + (f'<ul class="sections">{sections}</ul>' if sections else "")
            + "</li>"
        )
    if edition == "solution":
        label, note = "Solution edition", "Lessons with model answers and stored outputs, for instructors."
    else:
        label, note = "Student edition", "Lessons with the exercises left open."
    index = _INDEX.format(
        title=html.escape(COURSE_TITLE), edition_label=label, edition_note=note, items="\n".join(items)
    )
    (out / "index.html").write_text(index, encoding="utf-8")
    return written


# --------------------------------------------------------------------------- command line


def _cmd_student(args: argparse.Namespace) -> int:
    try:
        written = build_student(args.out, args.notebooks)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote the student edition of {len(written)} lesson(s) to {args.out}/")
    return 0


def _cmd_site(args: argparse.Namespace) -> int:
    try:
        written = build_site(args.out, args.edition, args.notebooks)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {len(written)} lesson page(s) ({args.edition} edition); open {args.out}/index.html")
    return 0


def add_cli(commands: Any) -> None:
    """Add ``course build student`` and ``course build site`` to the ``course`` command."""
    build = commands.add_parser("build", help="build the student edition or the course website")
    targets = build.add_subparsers(dest="target", required=True, metavar="TARGET")
    student = targets.add_parser("student", help="the lessons with exercises open, outputs cleared")
    student.add_argument("--out", default="build/student", help="output folder (default: build/student)")
    student.add_argument("--notebooks", default=None, help="lessons folder (default: notebooks/)")
    student.set_defaults(func=_cmd_student)
    site = targets.add_parser("site", help="offline HTML site of the lessons with a table of contents")
    site.add_argument("--edition", choices=["solution", "student"], default="solution")
    site.add_argument("--out", default="build/site", help="output folder (default: build/site)")
    site.add_argument("--notebooks", default=None, help="lessons folder (default: notebooks/)")
    site.set_defaults(func=_cmd_site)


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - thin wrapper
    """``python -m course_utils.build student|site ...``."""
    parser = argparse.ArgumentParser(prog="python -m course_utils.build")
    add_cli(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["build", *(argv if argv is not None else sys.argv[1:])])
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
