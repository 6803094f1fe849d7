"""The course website, built with Jupyter Book 1.x from the lessons' stored outputs.

``build_site`` writes a small Jupyter Book (``_config.yml``, ``_toc.yml``, the lessons, a setup
page, a glossary, a references page from the course's evidence base and, in the instructor
edition, the instructor guide) to a temporary folder and builds it with Sphinx.  Nothing is
executed and nothing is fetched: MathJax 2.7 comes from the ``jupyter-server-mathjax`` package
and is served by the site itself, and the theme's assets are in the site's ``_static`` folder.

Editions
--------
``student`` (the default)
    The lessons as students get them (``course_build.student.student_notebook``): solution
    blocks replaced by placeholders, worked solutions removed, no instructor guide.
``instructor``
    The lessons as stored, each solution collapsed under a "Show solution" toggle, plus the
    instructor guide (``instructors/*.md``) as its own part.

Jupyter Book rather than hand-written HTML: instructors know it, and it gives the sidebar, the
in-page table of contents, offline full-text search, prev/next links and the glossary and
cross-reference machinery for free.  Jupyter Book 2 (mystmd) downloads its theme at build time,
so it cannot build offline; 1.x can.
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from course_build._common import _CHECKOUT, SOLUTION_BEGIN, SOLUTION_END, BuildError, _fresh_dir, lesson_paths
from course_build.student import has_solution, student_notebook

_BOOK = Path(__file__).with_name("book")

COURSE_TITLE = "Kratom, depression and stress: judging the evidence with data"
EDITIONS = ("student", "instructor")

#: Prompts of the instructor edition's solution toggles.
SHOW_SOLUTION = "Show solution"
HIDE_SOLUTION = "Hide solution"

_FIGURE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
_CAPTION = re.compile(r"^\*\*Figure \d+[a-z]?\.\*\*")

# MathJax 2.7 as the course has always used it (see the old nbconvert template): no web font
# placeholder at about:blank (Chromium logs a console error for it), TeX from \( \) and \[ \].
_MATHJAX_PATH = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
_MATHJAX2_CONFIG: dict[str, Any] = {
    "TeX": {"equationNumbers": {"autoNumber": "AMS", "useLabelIds": True}},
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": True,
        "processEnvironments": True,
        # MyST marks notebook sections tex2jax_ignore and the formulas "math"
        "processClass": "math|tex2jax_process|mathjax_process|output_area",
    },
    "HTML-CSS": {
        "availableFonts": [],
        "preferredFont": None,
        "webFont": "STIX-Web",
        "imageFont": None,
        "styles": {"@font-face": {"font-family": "MathJax_Blank", "src": "local('MathJax_Blank')"}},
    },
    "displayAlign": "center",
    "messageStyle": "none",
}


# --------------------------------------------------------------------------- small helpers


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


def _plain(markdown: str) -> str:
    text = re.sub(r"[*_`]", "", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](link) -> text
    text = re.sub(r"\$([^$]*)\$", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _figure_outputs(cell: Any) -> list[Any]:
    return [o for o in cell.get("outputs", []) if any(k in o.get("data", {}) for k in _FIGURE_TYPES)]


def add_figure_alt_text(nb: Any) -> int:
    """Give every figure its caption as text alternative; return how many figures got one.

    The caption is the first paragraph of the Markdown cell after the figure, which the lesson
    standard requires to start ``**Figure N.**``.  Each figure output gets it in
    ``output.metadata.course_alt``; the cell gets ``metadata.mystnb.image.alt`` (Jupyter Book's
    alt text, one per cell: the captions of a cell's figures joined).
    """
    count = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        figures = _figure_outputs(cell)
        if not figures:
            continue
        captions = []
        for nxt in nb.cells[i + 1 :]:
            if nxt.cell_type == "markdown" and _CAPTION.match(nxt.source):
                captions.append(_plain(re.split(r"\n\s*\n", nxt.source)[0]))
                if len(captions) >= len(figures):
                    break
            else:
                break
        if not captions:
            continue
        for k, output in enumerate(figures):
            output.setdefault("metadata", {})["course_alt"] = captions[min(k, len(captions) - 1)]
            count += 1
        mystnb = cell.setdefault("metadata", {}).setdefault("mystnb", {})
        mystnb.setdefault("image", {})["alt"] = " ".join(captions)
    return count


# --------------------------------------------------------------------------- evidence base


@dataclass
class Evidence:
    """The course's evidence base: references (``R..``) and facts, as the site shows them.

    ``references`` and ``facts`` are lists of row dicts with the columns of the datasets
    ``course_references`` (id, citation, doi, url, kind, note) and ``course_facts`` (id,
    statement, figure, population, design, reference_id, location, confidence).
    """

    references: list[dict[str, Any]] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    #: where each id is cited: id -> list of (page docname, page title)
    cited_in: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    REFERENCE_COLUMNS = ("id", "citation", "doi", "url", "kind", "note")
    FACT_COLUMNS = ("id", "statement", "figure", "population", "design", "reference_id", "location", "confidence")

    @classmethod
    def from_frames(cls, references: Any, facts: Any) -> "Evidence":
        """From two DataFrames with the columns above (missing values become empty)."""
        for frame, columns, what in (
            (references, cls.REFERENCE_COLUMNS, "course_references"),
            (facts, cls.FACT_COLUMNS, "course_facts"),
        ):
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise BuildError(
                    f"{what} lacks column(s) {missing} (has {list(frame.columns)}); "
                    "the references page needs them"
                )
        refs = [_clean_row(r) for r in references.to_dict("records")]
        fcts = [_clean_row(r) for r in facts.to_dict("records")]
        known = {r["id"] for r in refs}
        dangling = [f"{f['id']} -> {r}" for f in fcts for r in _ref_ids(f["reference_id"]) if r not in known]
        if dangling:
            raise BuildError(f"course_facts cite reference ids not in course_references: {dangling}")
        return cls(refs, fcts)

    @classmethod
    def from_course(cls) -> "Evidence | None":
        """The evidence base shipped with ``course_utils`` (None if this checkout has none yet)."""
        import course_utils

        listing = course_utils.list_datasets()
        names = set(listing["name"]) if "name" in listing.columns else set(listing.index)
        if not {"course_references", "course_facts"} <= names:
            return None
        return cls.from_frames(course_utils.load("course_references"), course_utils.load("course_facts"))

    def ids(self) -> dict[str, str]:
        """id -> label of its entry on the references page (facts win over references)."""
        out = {r["id"]: _label("ref", r["id"]) for r in self.references}
        out.update({f["id"]: _label("fact", f["id"]) for f in self.facts})
        return out

    def reference_ids(self) -> set[str]:
        return {r["id"] for r in self.references}


def _ref_ids(value: str) -> list[str]:
    """A fact's reference ids: one, or several separated by ';'."""
    return [r.strip() for r in re.split(r"[;,]", value or "") if r.strip()]


def _clean_row(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if value is None or (isinstance(value, float) and value != value):
            value = ""
        out[str(key)] = str(value).strip() if not isinstance(value, str) else value.strip()
    return out


def _label(kind: str, ident: str) -> str:
    return f"{kind}-{ident.lower()}"


def _md_escape(text: str) -> str:
    return text.replace("*", r"\*").replace("_", r"\_").replace("`", r"\`").replace("$", r"\$")


def _role_text(text: str) -> str:
    """Text inside a MyST role (``{ref}`text <target>```): no escapes there, only no backticks or <>."""
    return text.replace("`", "'").replace("<", "(").replace(">", ")")


def references_page(evidence: Evidence | None, titles: Mapping[str, str]) -> str:
    """The MyST source of the references page: every reference, then every fact, with targets."""
    lines = [
        "# References and facts",
        "",
        "Every published figure the course uses is recorded here, in the course's own words, with "
        "where in the source it stands. Ids such as *E4* in the lessons link to their entry. In a "
        "notebook, `cu.fact(\"E4\")` and `cu.reference(\"R3\")` print the same record.",
        "",
    ]
    if evidence is None:
        lines += ["```{note}", "This checkout has no evidence base yet (datasets `course_references` "
                  "and `course_facts`).", "```", ""]
        return "\n".join(lines)

    def used(ident: str) -> str:
        pages = evidence.cited_in.get(ident, [])
        if not pages:
            return ""
        links = ", ".join(f"{{doc}}`{_role_text(title)} <{doc}>`" for doc, title in dict.fromkeys(pages))
        return f" *Cited in:* {links}."

    lines += ["## References", ""]
    for ref in evidence.references:
        link = ""
        if ref["doi"]:
            doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", ref["doi"])
            link = f" DOI: [{doi}](https://doi.org/{doi})."
        elif ref["url"]:
            link = f" <{ref['url']}>"
        kind = f" ({_md_escape(ref['kind'])})" if ref["kind"] else ""
        note = f" {_md_escape(ref['note'])}" if ref["note"] else ""
        lines += [f"({_label('ref', ref['id'])})=", "", f"**{ref['id']}**{kind}. {_md_escape(ref['citation'])}{link}{note}{used(ref['id'])}", ""]
    lines += ["## Facts", ""]
    for fact in evidence.facts:
        parts = [f"**{fact['id']}.** {_md_escape(fact['statement'])}"]
        if fact["figure"]:
            parts.append(f"Figure: {_md_escape(fact['figure'])}.")
        who = "; ".join(_md_escape(fact[k]) for k in ("population", "design") if fact[k])
        if who:
            parts.append(f"Population and design: {who}.")
        if fact["reference_id"]:
            where = f", {_md_escape(fact['location'])}" if fact["location"] else ""
            sources = "; ".join(f"{{ref}}`{_role_text(r)} <{_label('ref', r)}>`" for r in _ref_ids(fact["reference_id"]))
            parts.append(f"Source: {sources}{where}.")
        if fact["confidence"]:
            parts.append(f"Confidence: {_md_escape(fact['confidence'])}.")
        lines += [f"({_label('fact', fact['id'])})=", "", " ".join(parts) + used(fact["id"]), ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- glossary


@dataclass(frozen=True)
class Term:
    term: str
    patterns: tuple[str, ...]
    definition: str

    def regex(self) -> re.Pattern[str]:
        parts = []
        for p in self.patterns:
            sensitive = p.upper() == p  # acronyms (ITT, GRADE, DAG) match in capitals only
            parts.append(p if sensitive else f"(?i:{p})")
        return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


def glossary_terms(path: str | os.PathLike | None = None) -> list[Term]:
    """The glossary (``course_build/book/glossary.yml``)."""
    import yaml

    entries = yaml.safe_load(Path(path or _BOOK / "glossary.yml").read_text(encoding="utf-8"))
    return [Term(e["term"], tuple(e["match"]), " ".join(e["definition"].split())) for e in entries]


def glossary_page(terms: Sequence[Term]) -> str:
    lines = ["# Glossary", "", "The course's key terms, in alphabetical order. Terms link here from "
             "the lessons (their first use in each lesson).", "", "```{glossary}"]
    for t in sorted(terms, key=lambda t: t.term.lower().lstrip("τ")):
        lines += [t.term, f"  {t.definition}", ""]
    lines.append("```")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- linking Markdown

# Spans of a Markdown line never touched: code, math, links, images, HTML, roles, autolinks.
_PROTECTED = re.compile(
    r"(`+[^`]*`+|\$\$.*?\$\$|\$[^$\n]+\$|!?\[[^\]]*\]\([^)]*\)|\[[^\]]*\]|<[^>\n]+>|\{[a-z:]+\}`[^`]*`"
    r"|https?://\S+|\\\(.*?\\\)|\\\[.*?\\\])"
)


class _Linker:
    """Links glossary terms (first use per page) and evidence ids (every use) in lesson Markdown."""

    def __init__(self, terms: Sequence[Term], evidence: Evidence | None, docname: str, title: str):
        # longer phrases first, so "residual confounding" links to its own entry
        ordered = sorted(terms, key=lambda t: -max(len(p) for p in t.patterns))
        self.terms = [(t, t.regex()) for t in ordered]
        self.seen: set[str] = set()
        self.evidence = evidence
        self.docname, self.title = docname, title
        self.ids = evidence.ids() if evidence else {}
        self.ref_ids = evidence.reference_ids() if evidence else set()
        alternatives = "|".join(sorted(map(re.escape, self.ids), key=len, reverse=True))
        self.id_regex = (
            re.compile(r"(?<![\w./-])(?:(reference|ref\.|fact)\s+)?(" + alternatives + r")(?![\w-])")
            if self.ids
            else None
        )
        self.links = 0
        self._held: list[str] = []

    def _hold(self, text: str) -> str:
        self._held.append(text)
        return f"\x00{len(self._held) - 1}\x00"

    def _ids(self, text: str) -> str:
        if self.id_regex is None:
            return text

        def sub(m: re.Match[str]) -> str:
            word, ident = m.group(1), m.group(2)
            wants_ref = bool(word) and word.startswith("ref") and ident in self.ref_ids
            label = _label("ref", ident) if wants_ref else self.ids[ident]
            assert self.evidence is not None
            self.evidence.cited_in.setdefault(ident, []).append((self.docname, self.title))
            self.links += 1
            prefix = f"{word} " if word else ""
            return prefix + self._hold(f"{{ref}}`{ident} <{label}>`")

        return self.id_regex.sub(sub, text)

    def _terms(self, text: str) -> str:
        for term, regex in self.terms:
            if term.term in self.seen:
                continue
            m = regex.search(text)
            if m:
                self.seen.add(term.term)
                self.links += 1
                text = text[: m.start()] + self._hold(f"{{term}}`{m.group(0)} <{term.term}>`") + text[m.end():]
        return text

    def line(self, line: str) -> str:
        self._held = []
        pieces = _PROTECTED.split(line)
        out = [piece if k % 2 else self._terms(self._ids(piece)) for k, piece in enumerate(pieces)]
        return re.sub("\x00(\\d+)\x00", lambda m: self._held[int(m.group(1))], "".join(out))

    def markdown(self, source: str) -> str:
        lines, fence, display_math = [], None, False
        for line in source.split("\n"):
            stripped = line.lstrip()
            marker = re.match(r"(`{3,}|~{3,})", stripped)
            if marker:
                fence = None if fence and stripped.startswith(fence) else (fence or marker.group(1))
                lines.append(line)
                continue
            if line.count("$$") % 2 == 1:
                display_math = not display_math
                lines.append(line)
                continue
            if fence or display_math or stripped.startswith("#") or re.match(r"^\(.*\)=$", stripped):
                lines.append(line)
                continue
            lines.append(self.line(line))
        return "\n".join(lines)


# --------------------------------------------------------------------------- editions of a lesson


def _solution_cell(cell: Any) -> bool:
    role = cell.get("metadata", {}).get("course", {}).get("role")
    return role == "answer" or "solution" in _tags(cell) or (cell.cell_type == "code" and has_solution(cell))


_MD_SOLUTION = re.compile(rf"{re.escape(SOLUTION_BEGIN)}\s*\n?(.*?)\n?\s*{re.escape(SOLUTION_END)}", re.S)


def instructor_notebook(nb: Any) -> Any:
    """The lesson with every solution collapsed under a "Show solution" toggle (a copy)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code" and _solution_cell(cell):
            tags = _tags(cell)
            if "hide-input" not in tags:
                cell.setdefault("metadata", {})["tags"] = tags + ["hide-input"]
            mystnb = cell.metadata.setdefault("mystnb", {})
            mystnb["code_prompt_show"] = SHOW_SOLUTION
            mystnb["code_prompt_hide"] = HIDE_SOLUTION
        elif cell.cell_type == "markdown" and SOLUTION_BEGIN in cell.source:
            cell.source = _MD_SOLUTION.sub(
                lambda m: "\n:::{admonition} Solution\n:class: dropdown solution\n\n" + m.group(1).strip() + "\n:::\n",
                cell.source,
            )
    return nb


def _page_notebook(nb: Any, edition: str, name: str) -> Any:
    if edition == "student":
        return student_notebook(nb, name=name, keep_outputs=True)
    return instructor_notebook(nb)


# --------------------------------------------------------------------------- the book


def _config(edition: str) -> dict[str, Any]:
    label = "student edition" if edition == "student" else "instructor edition"
    return {
        "title": COURSE_TITLE,
        "author": "The course's authors (lesson text and figures CC BY 4.0, code MIT)",
        "copyright": "2026",
        "logo": "",
        "only_build_toc_files": True,
        "exclude_patterns": ["_build", "**.ipynb_checkpoints"],
        "execute": {"execute_notebooks": "off"},
        "parse": {"myst_enable_extensions": ["amsmath", "colon_fence", "deflist", "dollarmath", "html_image", "substitution"]},
        "html": {
            "use_repository_button": False,
            "use_issues_button": False,
            "use_edit_page_button": False,
            "use_multitoc_numbering": False,
            "home_page_in_navbar": True,
            "extra_footer": f"<p>{html.escape(label.capitalize())}. Not medical advice; the course recommends no treatment.</p>",
        },
        "launch_buttons": {"notebook_interface": "jupyterlab", "binderhub_url": "", "jupyterhub_url": "", "thebe": False, "colab_url": ""},
        "repository": {"url": "", "path_to_book": "", "branch": "main"},
        "sphinx": {
            "local_extensions": {"course_site_ext": str(_BOOK)},
            "config": {
                "html_favicon": "favicon.svg",
                "mathjax_path": _MATHJAX_PATH,
                "mathjax2_config": _MATHJAX2_CONFIG,
                "mathjax3_config": None,
                "html_show_sourcelink": False,
                "html_copy_source": False,
                "html_last_updated_fmt": None,
                "html_theme_options": {
                    "use_download_button": False,
                    "use_fullscreen_button": False,
                    "show_toc_level": 2,
                    "navigation_with_keys": False,
                },
                "nb_merge_streams": True,
                "myst_update_mathjax": False,  # it would write a MathJax 3 config over MathJax 2's
                "suppress_warnings": ["mystnb.unknown_mime_type", "myst.header", "misc.highlighting_failure"],
                "html_context": {"course_edition": edition, "default_mode": "light"},
            }
        },
    }


def _index_page(edition: str, lessons: Sequence[tuple[str, str]]) -> str:
    if edition == "student":
        edition_note = "This is the **student edition**: the exercises are left open for you."
    else:
        edition_note = (
            "This is the **instructor edition**: each exercise's solution is collapsed under "
            f"*{SHOW_SOLUTION}*, and the instructor guide is the last part of the sidebar."
        )
    items = "\n".join(f"{i + 1}. {{doc}}`{_role_text(title)} <{doc}>`" for i, (doc, title) in enumerate(lessons))
    return f"""# {COURSE_TITLE}

An open course in Jupyter notebooks. It starts from a claim that circulates widely,
*"kratom treats depression by lowering cortisol"*, and teaches you to take such a claim apart
with public survey and trial data: confounding, selection bias, randomised trials,
meta-analysis and grading the evidence.

{edition_note}

```{{admonition}} Safety
This course is about analysing data on depression, stress and drug use. It is not medical
advice and does not recommend kratom or any other treatment. If you are struggling, talk to a
health professional or someone you trust; each lesson lists where to get help.
```

## Lessons

{items}

Start with {{doc}}`setup`. Key terms are in the {{doc}}`glossary`, and every published figure
the course cites is in {{doc}}`references`.
"""


def _instructor_pages(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    pages = sorted(folder.glob("*.md"))
    readme = [p for p in pages if p.name.lower() == "readme.md"]
    return readme + [p for p in pages if p not in readme]


def _fix_instructor_links(text: str, lesson_names: set[str]) -> str:
    """Links from the guide to ``../notebooks/NN.ipynb`` point at the lesson pages of the site."""

    def sub(m: re.Match[str]) -> str:
        name = Path(m.group(2)).name
        if name in lesson_names:
            return f"]({'../' + name})"
        return m.group(0)

    return re.sub(r"\]\(((?:\.\./)?notebooks/)?([^)#\s]+\.ipynb)\)", sub, text)


def _write_book(
    src: Path, paths: Sequence[Path], edition: str, evidence: Evidence | None, instructors: Path | None
) -> tuple[list[str], int]:
    import nbformat
    import yaml

    terms = glossary_terms()
    lessons: list[tuple[str, str]] = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        title = _lesson_title(nb, path.stem)
        page = _page_notebook(nb, edition, path.name)
        add_figure_alt_text(page)
        linker = _Linker(terms, evidence, path.stem, title)
        for cell in page.cells:
            if cell.cell_type == "markdown":
                cell.source = linker.markdown(cell.source)
        page.metadata.setdefault("course", {})["edition"] = edition
        page.metadata.pop("widgets", None)
        nbformat.write(page, src / path.name)
        lessons.append((path.stem, title))

    guide: list[str] = []
    if edition == "instructor" and instructors is not None:
        (src / "instructors").mkdir()
        names = {p.name for p in paths}
        for md in _instructor_pages(instructors):
            text = _fix_instructor_links(md.read_text(encoding="utf-8"), names)
            title_match = re.search(r"^# (.+)$", text, re.M)
            linker = _Linker([], evidence, f"instructors/{md.stem}", title_match.group(1) if title_match else md.stem)
            (src / "instructors" / md.name).write_text(linker.markdown(text), encoding="utf-8")
            guide.append(f"instructors/{md.stem}")

    shutil.copy2(_BOOK / "setup.md", src / "setup.md")
    shutil.copy2(_BOOK / "favicon.svg", src / "favicon.svg")
    (src / "glossary.md").write_text(glossary_page(terms), encoding="utf-8")
    (src / "references.md").write_text(references_page(evidence, dict(lessons)), encoding="utf-8")
    (src / "index.md").write_text(_index_page(edition, lessons), encoding="utf-8")
    (src / "_config.yml").write_text(yaml.safe_dump(_config(edition), sort_keys=False, allow_unicode=True), encoding="utf-8")
    parts: list[dict[str, Any]] = [
        {"caption": "Getting started", "chapters": [{"file": "setup"}]},
        {"caption": "Lessons", "chapters": [{"file": doc} for doc, _ in lessons]},
        {"caption": "Reference", "chapters": [{"file": "glossary"}, {"file": "references"}]},
    ]
    if guide:
        parts.append({"caption": "Instructor guide", "chapters": [{"file": doc} for doc in guide]})
    toc = {"format": "jb-book", "root": "index", "parts": parts}
    (src / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
    return [doc for doc, _ in lessons], sum(len(v) for v in (evidence.cited_in.values() if evidence else []))


def _run_jupyter_book(src: Path, work: Path) -> Path:
    try:
        import jupyter_book  # noqa: F401
    except ImportError as exc:
        raise BuildError(
            "the course website needs Jupyter Book 1.x (the `site` dependency group): "
            "run `uv sync --locked --group site` or `bash scripts/setup.sh`"
        ) from exc
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    cmd = [
        sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
        "build", str(src), "--path-output", str(work), "--builder", "html", "--quiet", "--keep-going",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    html_dir = work / "_build" / "html"
    if proc.returncode != 0 or not (html_dir / "index.html").exists():
        raise BuildError(
            "Jupyter Book could not build the site:\n" + (proc.stdout[-4000:] + "\n" + proc.stderr[-4000:]).strip()
        )
    return html_dir


_REMOTE = re.compile(r"""<(script|link|img|iframe|source|video|audio)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""", re.I)


def remote_resources(page_html: str) -> list[str]:
    """Tags of a page that would make the browser load something from the internet."""
    return [m.group(0) for m in _REMOTE.finditer(page_html)]


def build_site(
    out: str | os.PathLike = "build/site",
    edition: str = "student",
    notebooks: str | os.PathLike | None = None,
    *,
    instructors: str | os.PathLike | None = None,
    evidence: Evidence | None = None,
    keep_source: bool = False,
) -> list[Path]:
    """Build the course website with Jupyter Book into ``out``; return the lesson pages.

    Parameters
    ----------
    out : path
        Output folder (replaced if it holds an earlier build).  Open ``out/index.html``.
    edition : {"student", "instructor"}
        ``student`` (default): exercises open, no solutions, no instructor guide.
        ``instructor``: solutions collapsed under "Show solution", plus the instructor guide.
    notebooks : path, optional
        The lessons' folder (default: ``notebooks/``).
    instructors : path, optional
        The instructor guide's folder (default: ``instructors/`` beside ``notebooks/``).
    evidence : Evidence, optional
        The evidence base for the references page (default: the datasets ``course_references``
        and ``course_facts``).
    keep_source : bool
        Also keep the generated book sources in ``out/_book`` (to debug a build).

    Notes
    -----
    Pages are rendered from the *stored* outputs (nothing is executed): run
    ``tools/nbtools.py execute`` first if a lesson changed.

    Examples
    --------
    >>> build_site("build/site")                          # doctest: +SKIP
    >>> build_site("build/site-instructor", "instructor")  # doctest: +SKIP
    """
    if edition == "solution":  # the old name of the instructor edition
        edition = "instructor"
    if edition not in EDITIONS:
        raise BuildError(f"edition must be 'student' or 'instructor', not {edition!r}")
    paths = lesson_paths(notebooks)
    if instructors is None:
        candidate = paths[0].parent.parent / "instructors"
        instructors = candidate if candidate.is_dir() else _CHECKOUT / "instructors"
    if evidence is None:
        evidence = Evidence.from_course()
    else:
        evidence = copy.deepcopy(evidence)
        evidence.cited_in = {}
    out = Path(out)
    _fresh_dir(out)  # check early that we may replace it
    with tempfile.TemporaryDirectory(prefix="course-site-") as tmp:
        src = Path(tmp) / "book"
        src.mkdir()
        docs, _ = _write_book(src, paths, edition, evidence, Path(instructors))
        html_dir = _run_jupyter_book(src, Path(tmp))
        out = _fresh_dir(out)
        shutil.copytree(html_dir, out, dirs_exist_ok=True)
        if keep_source:
            shutil.copytree(src, out / "_book")
    shutil.rmtree(out / "_static" / "mathjax", ignore_errors=True)
    shutil.copytree(mathjax_dir(), out / "_static" / "mathjax")
    (out / ".nojekyll").write_text("", encoding="utf-8")
    (out / "course-site.json").write_text(
        json.dumps({"edition": edition, "lessons": [f"{d}.html" for d in docs]}, indent=1), encoding="utf-8"
    )
    remote = {p.name: remote_resources(p.read_text(encoding="utf-8")) for p in out.rglob("*.html")}
    remote = {k: v for k, v in remote.items() if v}
    if remote:
        raise BuildError(f"the site would load files from the internet: {remote}")
    return [out / f"{d}.html" for d in docs]
