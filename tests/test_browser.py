"""Open the course website in headless Chromium.

Both editions are built (Jupyter Book, see ``tests/test_site.py``), served from 127.0.0.1 by a
local HTTP server, and each page is opened with Debian's ``chromium`` driven by Playwright (its
own browser download is never used).  Each page must load with status 200, log no console error,
raise no page error, make no failed request and no request outside 127.0.0.1, show every figure
(``<img>`` decoded with a natural width > 0), and typeset every formula with the site's own
MathJax (no MathJax error).  Search must find a word that only one lesson uses, a solution toggle
must open and close, and the student edition must show no solution.  Screenshots of the index,
a lesson and a search are written to ``build/screenshots/`` (``SCREENSHOTS`` below).

Chromium comes from ``apt-get install chromium`` (``scripts/test.sh`` installs it when run as
root).  Without it the test fails in CI (``CI=true``) and is skipped locally.
"""

from __future__ import annotations

import collections
import functools
import http.server
import re
import threading
from pathlib import Path

import pytest

from conftest import IN_CI, ROOT, chromium_path, lesson_paths, read_nb
from test_site import built_sites, figure_count

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

#: Where the screenshots go (index, a lesson, search results, a solution toggle).
SCREENSHOTS = ROOT / "build" / "screenshots"

PAGE_STATE = """() => {
  const imgs = Array.from(document.images).map(i => ({src: i.src.slice(-60), complete: i.complete,
                                                       width: i.naturalWidth,
                                                       output: !!i.closest('.cell_output')}));
  const svgs = Array.from(document.querySelectorAll('.cell_output .output > svg')).map(s => {
      const r = s.getBoundingClientRect(); return {width: r.width, height: r.height}; });
  const scripts = Array.from(document.querySelectorAll('script[type^="math/tex"]'));
  const unrendered = scripts.filter(s => !document.getElementById(s.id + '-Frame')).length;
  return {imgs, svgs, math: scripts.length, unrendered,
          mathErrors: document.querySelectorAll('.MathJax_Error, merror, .noError').length,
          mathjax: typeof window.MathJax !== 'undefined' && !!window.MathJax.Hub,
          mathSpans: document.querySelectorAll('main span.math.notranslate, main div.math.notranslate').length,
          solutionText: /BEGIN SOLUTION|END SOLUTION/.test(document.body ? document.body.innerText : ''),
          title: document.title, bodyText: document.body ? document.body.innerText.length : 0};
}"""

MATHJAX_IDLE = """() => window.MathJax && MathJax.Hub && MathJax.Hub.queue
   && MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0
   && document.readyState === 'complete'"""


def _need_chromium() -> str:
    path = chromium_path()
    if path is None:
        message = (
            "headless Chromium is needed for the website test: install Debian's package with "
            "`apt-get update && apt-get install -y chromium` (scripts/test.sh does this when run as root)"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def served_sites(tmp_path_factory):
    """Both editions of the site, served on 127.0.0.1 (a free port)."""
    if not lesson_paths():
        pytest.skip("no lessons in notebooks/ yet")
    sites = built_sites(tmp_path_factory)
    root = sites["student"].parent
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}", sites["notebooks"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    executable = _need_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - it is locked in the test group
        pytest.fail("playwright is missing: run `bash scripts/setup.sh` (uv sync --locked)")
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=CHROMIUM_ARGS, timeout=60_000,
        )
        try:
            yield context
        finally:
            context.close()


def _open(context, url: str, origin: str, *, keep: bool = False):
    problems: list[str] = []
    page = context.new_page()
    page.set_default_timeout(30_000)

    def only_local(route):
        if route.request.url.startswith(origin) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            problems.append(f"request outside the local site: {route.request.url}")
            route.abort()

    page.route("**/*", only_local)
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request {r.url}: {r.failure}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status} for {r.url}") if r.status >= 400 else None)
    try:
        response = page.goto(url, wait_until="load")
        if response is None or response.status != 200:
            problems.append(f"status {response.status if response else 'none'}")
        state = page.evaluate(PAGE_STATE)
        if state["mathjax"]:
            page.wait_for_function(MATHJAX_IDLE, timeout=30_000)
            state = page.evaluate(PAGE_STATE)
        page.wait_for_timeout(100)  # let late console messages arrive
    finally:
        if not keep:
            page.close()
    if keep:
        return state, problems, page
    return state, problems


EXTRA_PAGES = ["index.html", "search.html", "setup.html", "glossary.html", "references.html"]


def _pages() -> list:
    lessons = [p.with_suffix(".html").name for p in lesson_paths()]
    guide = sorted(p.with_suffix(".html").name for p in (ROOT / "instructors").glob("*.md"))
    params = [pytest.param("student", name, id=f"student/{name}") for name in EXTRA_PAGES + lessons]
    # the instructor edition shares the student pages' theme and figures: its index, the first and
    # last lesson (the capstone's worked solution has figures of its own) and a few guide pages
    some = EXTRA_PAGES[:1] + sorted({lessons[0], lessons[-1], *[n for n in lessons if n.startswith("05_")]})
    params += [pytest.param("instructor", name, id=f"instructor/{name}") for name in some]
    params += [pytest.param("instructor", f"instructors/{name}", id=f"instructor/instructors/{name}") for name in guide[:3]]
    return params


@pytest.mark.parametrize("edition, name", _pages())
def test_page_loads_cleanly_and_renders_figures_and_math(served_sites, browser_context, edition, name):
    root, origin, snapshot = served_sites
    state, problems = _open(browser_context, f"{origin}/{edition}/{name}", origin)
    where = f"{edition}/{name}"
    assert not problems, f"{where}:\n" + "\n".join(problems)
    assert state["bodyText"] > 100, f"{where}: the page is (nearly) empty"
    broken = [i for i in state["imgs"] if not i["complete"] or i["width"] <= 0]
    assert not broken, f"{where}: figure(s) did not render: {broken}"
    flat = [s for s in state["svgs"] if s["width"] <= 0 or s["height"] <= 0]
    assert not flat, f"{where}: inline SVG figure(s) have no size: {flat}"
    if state["mathSpans"]:
        assert state["mathjax"], f"{where}: MathJax did not load from _static/mathjax"
        assert state["math"] >= state["mathSpans"], f"{where}: MathJax found {state['math']} of {state['mathSpans']} formulas"
        assert state["unrendered"] == 0, f"{where}: {state['unrendered']} of {state['math']} formula(s) not typeset"
        assert state["mathErrors"] == 0, f"{where}: MathJax reported {state['mathErrors']} error(s) in formulas"
    if edition == "student":
        assert not state["solutionText"], f"{where}: the student edition shows solution text"
    if re.match(r"\d\d_", name):
        lesson = Path(name).with_suffix(".ipynb").name
        expected = figure_count(read_nb(snapshot / lesson), edition)
        shown = len([i for i in state["imgs"] if i["output"]])  # Jupyter Book writes SVG figures as <img> too
        assert shown == expected, f"{where}: {shown} figure(s) rendered, {expected} stored in {lesson}"


def test_some_lesson_has_math_and_it_is_typeset(served_sites, browser_context):
    """At least one lesson has formulas, so the math checks above check something."""
    root, origin, _ = served_sites
    with_math = [p.name for p in sorted((root / "student").glob("[0-9][0-9]_*.html"))
                 if 'class="math' in p.read_text(encoding="utf-8")]
    assert with_math, "no lesson page has a formula"
    state, problems = _open(browser_context, f"{origin}/student/{with_math[0]}", origin)
    assert not problems and state["mathjax"] and state["math"] > 0 and state["unrendered"] == 0


def _word_in_one_lesson(root: Path) -> tuple[str, str]:
    """A word of at least 9 letters that the student site shows in exactly one lesson and nowhere else."""
    from bs4 import BeautifulSoup

    where: dict[str, set[str]] = collections.defaultdict(set)
    # The site's search stems words ("iterative" also finds "iteration"), so a word counts as
    # one lesson's only if no other page has any word sharing its first six letters.
    stems: dict[str, set[str]] = collections.defaultdict(set)
    for page in sorted((root / "student").glob("*.html")):
        text = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").get_text(" ").lower()
        for word in set(re.findall(r"\b[a-z]{9,}\b", text)):
            where[word].add(page.name)
        for word in set(re.findall(r"\b[a-z]{6,}", text)):
            stems[word[:6]].add(page.name)
    lessons = {p.with_suffix(".html").name for p in lesson_paths()}
    only = sorted((w, next(iter(p))) for w, p in where.items()
                  if len(p) == 1 and next(iter(p)) in lessons and stems[w[:6]] == p)
    assert only, "no word appears in one lesson only"
    return only[len(only) // 2]


def test_search_finds_a_word_that_only_one_lesson_uses(served_sites, browser_context):
    root, origin, _ = served_sites
    word, lesson = _word_in_one_lesson(root)
    state, problems, page = _open(browser_context, f"{origin}/student/search.html?q={word}", origin, keep=True)
    try:
        page.wait_for_selector("#search-results ul.search li", timeout=30_000)
        page.wait_for_function("() => /Search finished/.test(document.querySelector('#search-results').innerText)")
        hits = page.eval_on_selector_all("#search-results ul.search li > a", "as => as.map(a => a.getAttribute('href'))")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "search.png"))
    finally:
        page.close()
    assert not problems, "\n".join(problems)
    pages = [h.split("?")[0].split("#")[0] for h in hits]
    assert pages == [lesson], f"searching {word!r}: expected only {lesson}, got {pages}"


def test_screenshots_of_index_and_a_lesson(served_sites, browser_context):
    root, origin, _ = served_sites
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    lesson = [p for p in lesson_paths() if p.name.startswith("05_")] or lesson_paths()
    for name, url in (("index", "index.html"), ("lesson", lesson[0].with_suffix(".html").name)):
        state, problems, page = _open(browser_context, f"{origin}/student/{url}", origin, keep=True)
        try:
            page.set_viewport_size({"width": 1280, "height": 900})
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
        finally:
            page.close()
        assert not problems
    for name in ("index", "lesson", "search"):
        if name != "search" or (SCREENSHOTS / "search.png").exists():
            assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000, f"{name}.png is (nearly) blank"


def test_a_solution_toggle_opens_and_closes(served_sites, browser_context):
    root, origin, snapshot = served_sites
    lesson = next(p for p in lesson_paths() if "BEGIN SOLUTION" in p.read_text(encoding="utf-8"))
    url = f"{origin}/instructor/{lesson.with_suffix('.html').name}"
    state, problems, page = _open(browser_context, url, origin, keep=True)
    try:
        toggle = page.locator("details.hide").first
        code = toggle.locator(".cell_input pre").first
        summary = toggle.locator("summary")
        assert toggle.get_attribute("open") is None and not code.is_visible(), "a solution starts collapsed"
        assert "Show solution" in summary.inner_text()
        summary.click()
        page.wait_for_function("() => document.querySelector('details.hide').open")
        assert code.is_visible() and "BEGIN SOLUTION" in code.inner_text()
        assert "Hide solution" in summary.inner_text()
        toggle.scroll_into_view_if_needed()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "solution-open.png"))
        summary.click()
        page.wait_for_function("() => !document.querySelector('details.hide').open")
        assert not code.is_visible(), "a second click collapses the solution again"
    finally:
        page.close()
    assert not problems, "\n".join(problems)


def test_math_rendering_is_really_checked(served_sites, browser_context, tmp_path):
    """The checks above can fail: a formula MathJax cannot parse is reported."""
    root, origin, _ = served_sites
    with_math = [p for p in sorted((root / "student").glob("[0-9][0-9]_*.html")) if 'class="math' in p.read_text(encoding="utf-8")]
    page = root / "student" / "_selftest.html"
    good = with_math[0].read_text(encoding="utf-8")
    broken = r'<p><span class="math notranslate nohighlight">\(\frac{1}{\)</span> and <span class="math">\(x^2\)</span></p>'
    page.write_text(re.sub(r"(<main[^>]*>)", lambda m: m.group(1) + broken, good, count=1), encoding="utf-8")
    try:
        state, problems = _open(browser_context, f"{origin}/student/_selftest.html", origin)
    finally:
        page.unlink()
    assert state["math"] >= 2
    assert state["mathErrors"] >= 1, "a broken formula must be detected"


def test_page_problems_are_really_detected(served_sites, browser_context):
    """The checks above can fail: a console error, a missing file and an outside request are reported.

    The outside address is another loopback address (127.0.0.2); the request is aborted
    by the test's router before anything is sent.
    """
    root, origin, _ = served_sites
    page = root / "student" / "_selftest2.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>t</title></head><body><p>" + "x" * 200 + "</p>"
        '<img src="missing.png"><img src="http://127.0.0.2:9/remote.png">'
        "<script>console.error('boom')</script></body></html>",
        encoding="utf-8",
    )
    try:
        state, problems = _open(browser_context, f"{origin}/student/_selftest2.html", origin)
    finally:
        page.unlink()
    text = "\n".join(problems)
    assert "console error: boom" in text
    assert "HTTP 404" in text and "missing.png" in text
    assert "request outside the local site: http://127.0.0.2:9/remote.png" in text
    assert any(not i["complete"] or i["width"] == 0 for i in state["imgs"])
