"""The course website: ``course build site`` (offline HTML from the stored outputs).

Built once per edition; checked without a browser here (one page per lesson, its
figures embedded, a table of contents, nothing loaded from the internet).
``tests/test_browser.py`` opens the same pages in headless Chromium.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, lesson_params, lesson_paths, read_nb, rel, snapshot_notebooks
from course_build import site as build

FIGURE_TYPES = ("image/png", "image/svg+xml", "image/jpeg")


def figure_count(nb, edition: str = "solution") -> int:
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
    """Figure elements nbconvert wrote into a page: <img> outputs and inline SVG outputs."""
    imgs = [img for img in soup.select(".jp-OutputArea-output img") if img.get("src", "").startswith("data:image/")]
    svgs = soup.select(".jp-OutputArea-output.jp-RenderedSVG > svg, .jp-RenderedSVG svg")
    return imgs + svgs


def build_site_cli(out: Path, edition: str, notebooks: Path) -> Path:
    course = Path(sys.executable).with_name("course")
    assert course.exists(), f"the `course` console script is missing beside {sys.executable}; run scripts/setup.sh"
    proc = subprocess.run(
        [str(course), "build", "site", "--edition", edition, "--notebooks", str(notebooks), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"`course build site --edition {edition}` failed:\n{proc.stdout}\n{proc.stderr}"
    return out


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    if not lesson_paths():
        pytest.skip("no lessons in notebooks/ yet")
    base = tmp_path_factory.mktemp("sites")
    snapshot = snapshot_notebooks(base / "notebooks")
    sites = {edition: build_site_cli(base / edition, edition, snapshot) for edition in ("solution", "student")}
    sites["notebooks"] = snapshot
    return sites


@pytest.mark.parametrize("edition", ["solution", "student"])
def test_one_page_per_lesson_and_a_table_of_contents(sites, edition):
    site = sites[edition]
    pages = sorted(p.name for p in site.glob("[0-9][0-9]_*.html"))
    assert pages == [p.with_suffix(".html").name for p in lesson_paths()], "one page per lesson, named like it"
    index = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser")
    lesson_links = [a["href"] for a in index.select("ol.lessons a.lesson")]
    assert lesson_links == pages, "the table of contents lists every lesson, in order"
    for lesson in lesson_paths():
        title = build._lesson_title(read_nb(sites["notebooks"] / lesson.name), lesson.stem)
        assert title in index.get_text(), f"{rel(lesson)}: its title {title!r} is missing from the contents"
    # each lesson's sections are linked, and every anchor exists on its page
    for a in index.select("ul.sections a"):
        page, anchor = a["href"].split("#", 1)
        soup = BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser")
        assert soup.find(id=anchor) is not None, f"contents link {a['href']} points at no heading"
    assert (site / "_static" / "mathjax" / "MathJax.js").exists(), "MathJax must be served by the site itself"


@pytest.mark.parametrize("lesson", lesson_params())
def test_lesson_page_has_its_figures_and_no_remote_resources(sites, lesson):
    nb = read_nb(sites["notebooks"] / lesson.name)
    for edition in ("solution", "student"):
        site = sites[edition]
        page = site / lesson.with_suffix(".html").name
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        title = build._lesson_title(nb, lesson.stem)
        assert soup.title and title in soup.title.get_text(), f"{rel(page)}: title {title!r} missing"
        # every figure of the notebook appears on the page, except on the student page those of
        # solution-only cells (exercise cells carry no figures)
        expected = figure_count(nb, edition)
        got = len(page_figures(soup))
        assert got == expected, f"{edition} page of {rel(lesson)}: {got} figure(s) on the page, {expected} stored in the notebook"
        # every figure carries its caption as text alternative (img alt, or aria-label on inline SVG)
        unlabelled = [
            str(f)[:80] for f in page_figures(soup)
            if not (f.get("alt") or f.parent.get("aria-label") or "").startswith("Figure")
        ]
        assert not unlabelled, f"{edition} page of {rel(lesson)}: figures without their caption as alt text: {unlabelled}"
        # nothing the browser loads may come from the internet (links a reader clicks are fine)
        remote = [
            f"<{tag.name} {attr}={tag[attr]!r}>"
            for tag in soup.find_all(["script", "link", "img", "iframe", "source", "video", "audio"])
            for attr in ("src", "href")
            if tag.has_attr(attr) and re.match(r"(https?:)?//", tag[attr])
        ]
        assert not remote, f"{edition} page of {rel(lesson)} loads remote resources: {remote}"
        assert "cdn" not in " ".join(str(s) for s in soup.find_all("script")).lower(), "no CDN in page scripts"
        nav = soup.select("nav.course-nav a")
        assert any(a["href"] == "index.html" for a in nav), "every page links back to the contents"


@pytest.mark.parametrize("lesson", lesson_params())
def test_student_pages_hold_no_solutions(sites, lesson):
    page = sites["student"] / lesson.with_suffix(".html").name
    source = (sites["notebooks"] / lesson.name).read_text(encoding="utf-8")
    text = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").get_text()
    assert "BEGIN SOLUTION" not in text
    if "BEGIN SOLUTION" in source:
        assert "YOUR ANSWER HERE" in text, f"{rel(page)}: the exercises should show their placeholders"
    solution_text = BeautifulSoup((sites["solution"] / page.name).read_text(encoding="utf-8"), "html.parser").get_text()
    assert "BEGIN SOLUTION" in solution_text or "BEGIN SOLUTION" not in source


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
    assert "course_alt" not in nb.cells[2].outputs[0].get("metadata", {})


def test_site_rejects_an_unknown_edition(tmp_path):
    with pytest.raises(build.BuildError, match="edition must be"):
        build.build_site(tmp_path / "site", edition="teacher")
