"""Figures read at projector size, and causal diagrams have no name crossed by an arrow.

A figure is shown 1024 px wide (a projector, or a laptop screen with the sidebar closed); then
every piece of its text must be at least 14 px high (``dags.LEGIBLE_PX``).  A figure ``w``
inches wide maps one point to ``1024 / (72 w)`` pixels, so the check needs only the figure's
width and each text's font size, which matplotlib knows exactly.

The causal diagrams of every lesson are re-drawn here from the lesson's own code: each
``draw_dag`` cell is run with the earlier cells it needs (found by the names it uses), with
matplotlib's Agg backend.  The course's plot functions are checked on small inputs.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from conftest import lesson_paths, read_nb, rel  # noqa: E402
from course_utils import dags, plots  # noqa: E402

SHOWN_PX = 1024.0


def small_texts(fig) -> list[tuple[str, float]]:
    """(text, height in px at 1024 px wide) of every visible text of ``fig`` below the minimum."""
    width_in = float(fig.get_size_inches()[0])
    out = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip():
            continue
        if text.axes is not None and not text.axes.get_visible():
            continue
        px = text.get_fontsize() * SHOWN_PX / (72.0 * width_in)
        if px < dags.LEGIBLE_PX - 1e-6:
            out.append((text.get_text()[:40], round(px, 1)))
    return out


# --------------------------------------------------------------------------- running a lesson's DAG cells


def _names(source: str) -> tuple[set[str], set[str]]:
    """Names a cell reads (before defining them) and names it defines."""
    tree = ast.parse(source)
    stored, loaded = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (stored if isinstance(node.ctx, ast.Store) else loaded).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stored |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stored.add(node.name)
    return loaded - set(dir(builtins)), stored


def _code_cells(nb) -> list[tuple[str, str]]:
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.source.lstrip().startswith(("%", "!")):
            continue
        try:
            ast.parse(cell.source)
        except SyntaxError:  # a student-edition placeholder or a magic
            continue
        cells.append((cell.get("id", ""), cell.source))
    return cells


def dag_cell_programs(nb) -> list[tuple[str, list[str]]]:
    """For each cell that draws a diagram: the sources to run (its dependencies, then itself)."""
    cells = _code_cells(nb)
    info = [(cid, src, *_names(src)) for cid, src in cells]
    programs = []
    for k, (cid, src, loaded, _) in enumerate(info):
        if "draw_dag(" not in src:
            continue
        need, chosen = set(loaded), set()
        for j in range(k - 1, -1, -1):
            _, _, dep_loaded, dep_stored = info[j]
            if dep_stored & need:
                chosen.add(j)
                need = (need - dep_stored) | dep_loaded
        programs.append((cid, [info[j][1] for j in sorted(chosen)] + [src]))
    return programs


def _lesson_dag_params():
    params = []
    for lesson in lesson_paths():
        for cid, _ in dag_cell_programs(read_nb(lesson)):
            params.append(pytest.param(lesson, cid, id=f"{lesson.stem}:{cid}"))
    return params


@pytest.fixture
def no_show(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    plt.close("all")
    yield
    plt.close("all")


@pytest.mark.parametrize("lesson, cell_id", _lesson_dag_params())
def test_lesson_diagrams_are_legible_and_no_arrow_crosses_a_name(lesson, cell_id, no_show):
    programs = dict(dag_cell_programs(read_nb(lesson)))
    namespace: dict = {"__name__": "__lesson__"}
    for source in programs[cell_id]:
        exec(compile(source, f"{lesson.name}:{cell_id}", "exec"), namespace)
    figures = [plt.figure(n) for n in plt.get_fignums()]
    assert figures, f"{rel(lesson)} cell {cell_id} drew no figure"
    for fig in figures:
        fig.canvas.draw()
        small = small_texts(fig)
        assert not small, f"{rel(lesson)} cell {cell_id}: text under {dags.LEGIBLE_PX} px at 1024 px wide: {small}"
        for ax in fig.axes:
            crossings = dags.label_edge_crossings(ax)
            assert not crossings, f"{rel(lesson)} cell {cell_id}: arrows cross names: {crossings}"


# --------------------------------------------------------------------------- the checks themselves


def test_the_checks_can_fail(no_show):
    """A 16-inch diagram with 10-point names (lesson 05 before) fails both checks."""
    fig, ax = plt.subplots(figsize=(16, 9))
    ax.text(0.5, 0.5, "tiny", fontsize=10)
    assert small_texts(fig) == [("tiny", 8.9)]
    # an arrow through another node's name is found
    ax2 = dags.draw_dag([("a", "c"), ("b", "c")], {"a": (0, 0), "b": (1, 0), "c": (2, 0)})
    ax2.figure.canvas.draw()
    assert dags.label_edge_crossings(ax2) == []
    bx, by = next(t for t in ax2.texts if t.get_gid() == "dag-label:b").get_position()
    edge = next(p for p in ax2.patches if p.get_gid() == "dag-edge:a->c")
    edge._course_polyline = [(bx - 200.0, by - 6.0), (bx + 200.0, by - 6.0)]
    assert ("b", "a->c") in dags.label_edge_crossings(ax2)


def test_diagrams_route_arrows_with_graphviz_when_installed():
    """graphviz is a system package (scripts/setup.sh installs it as root); CI must have it."""
    from conftest import IN_CI

    if IN_CI:
        assert dags.graphviz_available(), "graphviz is missing: apt-get install graphviz (scripts/setup.sh does)"
    if not dags.graphviz_available():
        pytest.skip("graphviz not installed")
    routes = dags._route_edges(dags.as_digraph([("a", "b")]), {"a": (0.0, 0.0), "b": (200.0, 0.0)},
                               {"a": (60.0, 50.0), "b": (60.0, 50.0)})
    verts = routes[("a", "b")]
    assert verts[0][0] == "M" and any(v[0] == "C" for v in verts), "graphviz gives a spline"
    start, end = verts[0][1], verts[-1][1]
    assert start[0] == pytest.approx(30.0, abs=2) and end[0] == pytest.approx(170.0, abs=2), "arrows stop at the boxes"


# --------------------------------------------------------------------------- the course's plot functions


def test_estimate_plot_and_meta_plots_are_legible(no_show):
    plots.set_style()
    rows = pd.DataFrame({"estimate": [1.2, 0.8, 1.0], "ci_low": [0.9, 0.6, 0.7], "ci_high": [1.6, 1.1, 1.4]},
                        index=["crude", "adjusted", "IP weighted"])
    ax = plots.estimate_plot(rows, title="Three estimates", xlabel="odds ratio", null=1.0, log=True)
    ax.figure.canvas.draw()
    assert not small_texts(ax.figure), small_texts(ax.figure)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["crude", "adjusted", "IP weighted"], "estimates listed top to bottom in the given order"
    assert ax.get_xscale() == "log"
