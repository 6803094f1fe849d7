"""The course website: ``course build site`` (Jupyter Book 1.x, offline, from stored outputs).

Both editions are built once (about 15 s each) and checked without a browser: one page per
lesson in the sidebar, in-page contents, every figure with its caption as alt text, nothing
loaded from the internet, no solution text in the student edition, solutions collapsed in the
instructor edition, every citation and glossary link resolving.  ``tests/test_browser.py``
opens the same site in headless Chromium.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, lesson_params, lesson_paths, read_nb, rel, snapshot_notebooks
from course_build import site as build
from course_build._common import SOLUTION_BEGIN, SOLUTION_END

pytest.importorskip("jupyter_book", reason="the site needs the `site` dependency group (uv sync --group site)")

FIGURE_TYPES = ("image/png", "image/svg+xml", "image/jpeg")
FIXTURE_EVIDENCE = ROOT / "tests" / "data" / "evidence"


def figure_count(nb, edition: str = "instructor") -> int:
    """Figure outputs stored in a notebook: what its page in ``edition`` must show.

    The student edition drops cells tagged ``solution`` (e.g. the capstone's worked
    example), and their figures with them.
    """
    return sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code"
        and not (edition == "student" and "solution" in cell.get("metadata", {}).get("tags", []))
        for out in cell.get("outputs", [])
        if out.get("output_type") in {"display_data", "execute_result"}
        and any(k in out.get("data", {}) for k in FIGURE_TYPES)
    )


def page_figures(soup) -> list:
    """Figures of a lesson page: the images of its code cells' outputs."""
    return soup.select("main .cell_output img")


def fixture_evidence() -> build.Evidence:
    return build.Evidence.from_frames(
        pd.read_csv(FIXTURE_EVIDENCE / "course_references.csv", dtype=str, keep_default_na=False),
        pd.read_csv(FIXTURE_EVIDENCE / "course_facts.csv", dtype=str, keep_default_na=False),
    )


def site_evidence() -> build.Evidence:
    """The course's own evidence base once it exists; the small fixture before that."""
    return build.Evidence.from_course() or fixture_evidence()


def build_site_cli(out: Path, edition: str, notebooks: Path) -> Path:
    course = Path(sys.executable).with_name("course")
    assert course.exists(), f"the `course` console script is missing beside {sys.executable}; run scripts/setup.sh"
    proc = subprocess.run(
        [str(course), "build", "site", "--edition", edition, "--notebooks", str(notebooks), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"`course build site --edition {edition}` failed:\n{proc.stdout}\n{proc.stderr}"
    assert "open" in proc.stdout and "index.html" in proc.stdout, proc.stdout
    return out


def built_sites(tmp_path_factory) -> dict[str, Path]:
    """Both editions, built once per test process (test_browser.py reuses them)."""
    base = tmp_path_factory.getbasetemp() / "course-sites"
    out: dict[str, Path] = {"notebooks": base / "notebooks", "student": base / "student", "instructor": base / "instructor"}
    if (base / "done").exists():
        return out
    if base.exists():
        import shutil

        shutil.rmtree(base)
    base.mkdir()
    snapshot = snapshot_notebooks(base / "notebooks")
    if build.Evidence.from_course() is not None:  # the real evidence base: the command as users run it
        build_site_cli(base / "student", "student", snapshot)
    else:
        build.build_site(base / "student", "student", snapshot, evidence=fixture_evidence())
    build.build_site(base / "instructor", "instructor", snapshot, instructors=ROOT / "instructors", evidence=site_evidence())
    (base / "done").write_text("ok", encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    if not lesson_paths():
        pytest.skip("no lessons in notebooks/ yet")
    return built_sites(tmp_path_factory)


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _lesson_pages() -> list[str]:
    return [p.with_suffix(".html").name for p in lesson_paths()]


@pytest.mark.slow
@pytest.mark.parametrize("edition", ["student", "instructor"])
def test_sidebar_lists_every_lesson_and_the_extra_pages(sites, edition):
    site = sites[edition]
    assert sorted(p.name for p in site.glob("[0-9][0-9]_*.html")) == _lesson_pages(), "one page per lesson, named like it"
    for page in ["index.html", "search.html", "setup.html", "glossary.html", "references.html", *_lesson_pages()]:
        soup = _soup(site / page)
        sidebar = [a["href"].split("#")[0] or page for a in soup.select("nav.bd-docs-nav a.reference.internal")]
        lessons = [h for h in sidebar if re.match(r"\d\d_", h)]
        assert [Path(h).name for h in lessons] == _lesson_pages(), f"{edition}/{page}: the sidebar lists every lesson in order"
        for extra in ("setup.html", "glossary.html", "references.html"):
            assert any(h.endswith(extra) for h in sidebar), f"{edition}/{page}: the sidebar links {extra}"
        guide = [h for h in sidebar if "instructors/" in h]
        if edition == "instructor":
            assert len(guide) == len(list((ROOT / "instructors").glob("*.md"))), "every instructor page is in the sidebar"
        else:
            assert not guide, "the student edition has no instructor guide"
    assert (site / "_static" / "mathjax" / "MathJax.js").exists(), "MathJax must be served by the site itself"
    assert (site / "searchindex.js").exists(), "offline search needs its index"
    assert (edition == "instructor") == (site / "instructors").is_dir()


@pytest.mark.slow
@pytest.mark.parametrize("lesson", lesson_params())
def test_lesson_page_has_contents_figures_with_alt_text_and_no_remote_resources(sites, lesson):
    nb = read_nb(sites["notebooks"] / lesson.name)
    title = build._lesson_title(nb, lesson.stem)
    sections = [c for c in nb.cells if c.cell_type == "markdown" and re.search(r"^## ", c.source, re.M)]
    for edition in ("student", "instructor"):
        page = sites[edition] / lesson.with_suffix(".html").name
        text = page.read_text(encoding="utf-8")
        soup = BeautifulSoup(text, "html.parser")
        shown = soup.title.get_text().replace("\u2019", "'") if soup.title else ""  # Sphinx's smart quotes
        assert title in shown, f"{rel(page)}: title {title!r} missing"
        if sections:
            toc = soup.select("nav.page-toc a")
            assert len(toc) >= len(sections), f"{edition} page of {rel(lesson)}: in-page contents has {len(toc)} entries"
        expected = figure_count(nb, edition)
        figures = page_figures(soup)
        assert len(figures) == expected, f"{edition} page of {rel(lesson)}: {len(figures)} figure(s), {expected} stored"
        for img in figures:
            assert (page.parent / img["src"]).exists(), f"{edition} page of {rel(lesson)}: {img['src']} missing"
        unlabelled = [f["src"] for f in figures if not f.get("alt", "").startswith("Figure")]
        assert not unlabelled, f"{edition} page of {rel(lesson)}: figures without their caption as alt text: {unlabelled}"
        assert not build.remote_resources(text), f"{edition} page of {rel(lesson)} loads remote resources"
        scripts = " ".join(s.get("src", "") + s.get_text() for s in soup.find_all("script")).lower()
        assert "cdn" not in scripts and "unpkg" not in scripts, "no CDN in page scripts"


def _solution_lines(nb) -> list[str]:
    """Distinctive lines of a lesson's solutions (code between the markers, worked-solution cells)."""
    lines = []
    for cell in nb.cells:
        block = re.findall(rf"{re.escape(SOLUTION_BEGIN)}(.*?){re.escape(SOLUTION_END)}", cell.source, re.S)
        if "solution" in cell.get("metadata", {}).get("tags", []):
            block.append(cell.source)
        for text in block:
            lines += [ln.strip() for ln in text.splitlines() if len(ln.strip()) >= 25 and not ln.strip().startswith("#")]
    return lines


@pytest.mark.slow
@pytest.mark.parametrize("lesson", lesson_params())
def test_student_edition_holds_no_solution_and_instructor_edition_collapses_them(sites, lesson):
    nb = read_nb(sites["notebooks"] / lesson.name)
    name = lesson.with_suffix(".html").name
    student = _soup(sites["student"] / name).get_text()
    assert "BEGIN SOLUTION" not in student and "END SOLUTION" not in student
    solutions = _solution_lines(nb)
    instructor_only = [ln for ln in solutions if ln not in student_visible_source(nb)]
    leaked = [ln for ln in instructor_only if ln in student]
    assert not leaked, f"student page of {rel(lesson)} shows solution code: {leaked[:3]}"
    if any(SOLUTION_BEGIN in c.source for c in nb.cells if c.cell_type == "code"):
        assert "YOUR ANSWER HERE" in student, f"{name}: the exercises should show their placeholders"
        soup = _soup(sites["instructor"] / name)
        toggles = soup.select("details.hide")
        hidden = " ".join(d.get_text() for d in toggles)
        assert all(t.select_one("summary").get_text(" ", strip=True).startswith(build.SHOW_SOLUTION) for t in toggles)
        assert "BEGIN SOLUTION" in hidden, f"instructor page of {rel(lesson)}: solutions sit in the toggles"
        outside = soup.select_one("main").get_text()
        for d in toggles:
            outside = outside.replace(d.get_text(), "")
        assert "BEGIN SOLUTION" not in outside, f"instructor page of {rel(lesson)}: a solution is not collapsed"


def student_visible_source(nb) -> str:
    """Source text that the student edition keeps (lines a solution may share with it)."""
    from course_build.student import student_notebook

    return "\n".join(c.source for c in student_notebook(nb, keep_outputs=True).cells)


@pytest.mark.slow
def test_search_index_and_no_solutions_in_the_student_index(sites):
    student = (sites["student"] / "searchindex.js").read_text(encoding="utf-8")
    assert "mantel" in student.lower(), "the search index holds the lessons' words"
    assert "glossary" in student.lower() and "references" in student.lower()


@pytest.mark.slow
def test_every_citation_and_glossary_link_resolves(sites):
    for edition in ("student", "instructor"):
        site = sites[edition]
        refs = _soup(site / "references.html")
        glossary = _soup(site / "glossary.html")
        linked = 0
        for page in site.rglob("*.html"):
            for a in _soup(page).select("main a[href]"):
                href = a["href"]
                for target, soup in (("references.html#", refs), ("glossary.html#", glossary)):
                    if target in href:
                        anchor = href.split("#", 1)[1]
                        assert soup.find(id=anchor) is not None, f"{edition}/{page.name}: {href} resolves to nothing"
                        linked += 1
        assert linked > 20, f"{edition}: only {linked} citation/glossary links in the whole site"
    # every id a lesson cites (as a word: "E4", "fact E4") that the evidence base knows is a link
    evidence = site_evidence()
    ids = set(evidence.ids())
    for lesson in lesson_paths():
        soup = _soup(sites["student"] / lesson.with_suffix(".html").name)
        for p in soup.select("main p, main li, main td"):
            if p.find_parent(["pre", "code"]) or p.find_parent(class_="cell_output"):
                continue
            text = "".join(str(t) for t in p.find_all(string=True, recursive=True)
                           if not t.find_parent("a") and not t.find_parent("code") and not t.find_parent(class_="math"))
            bare = [w for w in re.findall(r"\b[A-Z]\d{1,2}\b", text) if w in ids]
            assert not bare, f"{lesson.name}: cited id(s) {bare} are not linked to the references page"


def test_glossary_has_the_course_terms_and_links_once_per_lesson():
    terms = {t.term for t in build.glossary_terms()}
    for needed in ("Confounding", "Collider", "Intention-to-treat (ITT)", "Per-protocol analysis",
                   "τ² (tau-squared)", "Certainty of evidence", "E-value"):
        assert needed in terms
    linker = build._Linker(build.glossary_terms(), None, "x", "X")
    out = linker.markdown(
        "## Confounding in a heading\n"
        "Confounding is here, and confounding again; `confounding` in code; $confounding$ in math.\n"
        "```python\nconfounding = 1\n```\n"
        "A [link about confounding](x.md) and a collider, an ITT analysis, τ² and E-values."
    )
    assert out.count("{term}") == 5, out
    assert "## Confounding in a heading" in out
    assert "{term}`Confounding <Confounding>` is here, and confounding again" in out
    assert "`confounding` in code; $confounding$ in math" in out and "confounding = 1" in out
    assert "[link about confounding](x.md)" in out
    assert "{term}`ITT <Intention-to-treat (ITT)>`" in out and "{term}`E-values <E-value>`" in out
    assert "{term}`τ² <τ² (tau-squared)>`" in out
    # acronyms match in capitals only: "grade" the verb is not GRADE
    assert "{term}" not in build._Linker(build.glossary_terms(), None, "x", "X").line("we grade the itt")


def test_citations_link_to_the_references_page_and_are_recorded():
    evidence = fixture_evidence()
    linker = build._Linker([], evidence, "05_lesson", "Lesson 05")
    out = linker.markdown("No trial (E4); see reference R3 and fact B3, not E44 or `E4` or B3x.")
    assert "({ref}`E4 <fact-e4>`)" in out
    assert "reference {ref}`R3 <ref-r3>`" in out and "fact {ref}`B3 <fact-b3>`" in out
    assert "E44" in out and "`E4`" in out and "B3x" in out and out.count("{ref}") == 3
    assert evidence.cited_in["E4"] == [("05_lesson", "Lesson 05")]
    page = build.references_page(evidence, {})
    assert "(ref-r3)=" in page and "(fact-e4)=" in page
    assert "https://doi.org/10.0000/fixture.r3" in page
    assert "{ref}`R3 <ref-r3>`, Table 1" in page, "a fact names its reference and where in it the figure stands"
    assert "{doc}`Lesson 05 <05_lesson>`" in page, "the references page says where each entry is cited"
    assert "Source: {ref}`R9 <ref-r9>`; {ref}`R3 <ref-r3>`, p. 2." in page, "a fact may cite several references"


def test_evidence_tables_are_checked():
    refs = pd.read_csv(FIXTURE_EVIDENCE / "course_references.csv", dtype=str)
    facts = pd.read_csv(FIXTURE_EVIDENCE / "course_facts.csv", dtype=str)
    with pytest.raises(build.BuildError, match=r"lacks column\(s\) \['doi'\]"):
        build.Evidence.from_frames(refs.drop(columns="doi"), facts)
    bad = facts.copy()
    bad.loc[0, "reference_id"] = "R404"
    with pytest.raises(build.BuildError, match="R404"):
        build.Evidence.from_frames(refs, bad)


def test_figure_alt_text_comes_from_the_caption():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    nb = new_notebook(cells=[
        new_code_cell("plot()", outputs=[new_output("display_data", data={"image/png": "iVBOR", "text/plain": "<Figure>"})]),
        new_markdown_cell("**Figure 1.** Depression falls with *age* ($p$ < 0.05).\n\nMore text."),
        new_code_cell("x", outputs=[new_output("display_data", data={"image/png": "iVBOR"})]),
        new_markdown_cell("No caption here."),
    ])
    assert build.add_figure_alt_text(nb) == 1
    assert nb.cells[0].outputs[0].metadata["course_alt"] == "Figure 1. Depression falls with age (p < 0.05)."
    assert nb.cells[0].metadata["mystnb"]["image"]["alt"] == "Figure 1. Depression falls with age (p < 0.05)."
    assert "course_alt" not in nb.cells[2].outputs[0].get("metadata", {})


def test_remote_resources_are_detected():
    assert build.remote_resources('<script src="https://cdn.example/x.js"></script><link href="//f.example/a.css">')
    assert not build.remote_resources('<a href="https://doi.org/10.1/x">x</a><script src="_static/x.js"></script>')


def test_site_rejects_an_unknown_edition(tmp_path):
    with pytest.raises(build.BuildError, match="edition must be"):
        build.build_site(tmp_path / "site", edition="teacher")
