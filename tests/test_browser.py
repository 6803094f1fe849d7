"""Open every page of the course website in headless Chromium.

The site is built (both editions), served from 127.0.0.1 by a local HTTP server, and
each page is opened with Debian's ``chromium`` driven by Playwright (its own browser
download is never used).  Each page must load with status 200, log no console error,
raise no page error, make no failed request and no request outside 127.0.0.1, show
every figure (``<img>`` decoded with a natural width > 0, inline SVG with a size), and
typeset every formula with the site's own MathJax (no MathJax error).

Chromium comes from ``apt-get install chromium`` (``scripts/test.sh`` installs it when
run as root).  Without it the test fails in CI (``CI=true``) and is skipped locally.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from conftest import IN_CI, chromium_path, lesson_paths, read_nb, snapshot_notebooks
import course_build as build
from test_site import figure_count

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

PAGE_STATE = """() => {
  const imgs = Array.from(document.images).map(i => ({src: i.src.slice(0, 40), complete: i.complete,
                                                       width: i.naturalWidth}));
  const svgs = Array.from(document.querySelectorAll('.jp-RenderedSVG svg')).map(s => {
      const r = s.getBoundingClientRect(); return {width: r.width, height: r.height}; });
  const scripts = Array.from(document.querySelectorAll('script[type^="math/tex"]'));
  const unrendered = scripts.filter(s => !document.getElementById(s.id + '-Frame')).length;
  return {imgs, svgs, math: scripts.length, unrendered,
          mathErrors: document.querySelectorAll('.MathJax_Error, merror, .noError').length,
          mathjax: typeof window.MathJax !== 'undefined' && !!window.MathJax.Hub,
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
    root = tmp_path_factory.mktemp("served")
    snapshot = snapshot_notebooks(tmp_path_factory.mktemp("snapshot") / "notebooks")
    for edition in ("solution", "student"):
        build.build_site(root / edition, edition=edition, notebooks=snapshot)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}", snapshot
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


def _open(context, url: str, origin: str) -> tuple[dict, list[str]]:
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
        page.close()
    return state, problems


def _pages() -> list:
    names = ["index.html"] + [p.with_suffix(".html").name for p in lesson_paths()]
    return [pytest.param(edition, name, id=f"{edition}/{name}") for edition in ("solution", "student") for name in names]


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
    if name != "index.html":
        assert state["mathjax"], f"{where}: MathJax did not load from _static/mathjax"
        assert state["unrendered"] == 0, f"{where}: {state['unrendered']} of {state['math']} formula(s) not typeset"
        assert state["mathErrors"] == 0, f"{where}: MathJax reported {state['mathErrors']} error(s) in formulas"
        lesson = Path(name).with_suffix(".ipynb").name
        expected = figure_count(read_nb(snapshot / lesson), edition)
        shown = len([i for i in state["imgs"] if i["src"].startswith("data:image/")]) + len(state["svgs"])
        assert shown == expected, f"{where}: {shown} figure(s) rendered, {expected} stored in {lesson}"


def test_math_rendering_is_really_checked(served_sites, browser_context, tmp_path):
    """The checks above can fail: a formula MathJax cannot parse is reported."""
    root, origin, _ = served_sites
    page = root / "solution" / "_selftest.html"
    good = (root / "solution" / lesson_paths()[0].with_suffix(".html").name).read_text(encoding="utf-8")
    page.write_text(good.replace("<main>", r"<main><p>$\frac{1}{$ and $x^2$</p>", 1), encoding="utf-8")
    try:
        state, problems = _open(browser_context, f"{origin}/solution/_selftest.html", origin)
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
    page = root / "solution" / "_selftest2.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>t</title></head><body><p>" + "x" * 200 + "</p>"
        '<img src="missing.png"><img src="http://127.0.0.2:9/remote.png">'
        "<script>console.error('boom')</script></body></html>",
        encoding="utf-8",
    )
    try:
        state, problems = _open(browser_context, f"{origin}/solution/_selftest2.html", origin)
    finally:
        page.unlink()
    text = "\n".join(problems)
    assert "console error: boom" in text
    assert "HTTP 404" in text and "missing.png" in text
    assert "request outside the local site: http://127.0.0.2:9/remote.png" in text
    assert any(not i["complete"] or i["width"] == 0 for i in state["imgs"])
