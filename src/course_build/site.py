"""The course website: one offline HTML page per lesson from the stored outputs.

MathJax is served from the site itself (from the ``jupyter-server-mathjax``
package), so nothing is fetched from the internet.
"""


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

from course_build._common import BuildError, _fresh_dir, lesson_paths
from course_build.student import student_notebook


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


