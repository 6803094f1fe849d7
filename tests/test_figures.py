"""Figures read at projector size, and causal diagrams have no name crossed by an arrow.

A figure is shown 1024 px wide (a projector, or a laptop screen with the sidebar closed); then
every piece of its text must be at least 14 px high (``dags.LEGIBLE_PX``).  A figure ``w``
inches wide maps one point to ``1024 / (72 w)`` pixels, so the check needs only the figure's
width and each text's font size, which matplotlib knows exactly.

Every lesson figure is re-drawn here from the lesson's own code, with matplotlib's Agg
backend: each cell that stored a figure (or draws a causal diagram) runs, in one pass per
lesson, with only the earlier cells it needs (found by the names it reads).  On every
diagram drawn by ``dags.draw_dag`` no arrow may cross a name.  The course's plot functions
are checked on small inputs.
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


def _figure_cell_ids(nb) -> set[str]:
    """Cells whose stored outputs hold a figure, or that draw a causal diagram."""
    return {
        c.get("id", "")
        for c in nb.cells
        if c.cell_type == "code"
        and ("draw_dag(" in c.source or any("image/png" in o.get("data", {}) for o in c.get("outputs", [])))
    }


def figure_program(nb) -> list[tuple[str, str, bool]]:
    """(cell id, source, draws a figure) for one pass over a lesson: its figure cells and the
    earlier cells they need (found by the names they read), in lesson order."""
    cells = _code_cells(nb)
    wanted = _figure_cell_ids(nb)
    info = [(cid, src, *_names(src)) for cid, src in cells]
    chosen: set[int] = set()
    for k, (cid, _, loaded, _) in enumerate(info):
        if cid not in wanted:
            continue
        chosen.add(k)
        need = set(loaded)
        for j in range(k - 1, -1, -1):
            if info[j][3] & need:
                chosen.add(j)
                need = (need - info[j][3]) | info[j][2]
    return [(info[j][0], info[j][1], info[j][0] in wanted) for j in sorted(chosen)]


def _lesson_params():
    return [pytest.param(p, id=p.stem) for p in lesson_paths() if _figure_cell_ids(read_nb(p))]


@pytest.mark.slow
@pytest.mark.parametrize("lesson", _lesson_params())
def test_every_lesson_figure_is_legible_and_no_arrow_crosses_a_name(lesson, no_show, capsys):
    """Re-draw each figure of the lesson from its own code and measure it."""
    namespace: dict = {"__name__": "__lesson__"}
    problems = []
    measured = 0
    for cell_id, source, draws in figure_program(read_nb(lesson)):
        before = set(plt.get_fignums())
        exec(compile(source, f"{lesson.name}:{cell_id}", "exec"), namespace)
        if not draws:
            continue
        for number in sorted(set(plt.get_fignums()) - before):
            fig = plt.figure(number)
            fig.canvas.draw()
            measured += 1
            small = small_texts(fig)
            if small:
                problems.append(f"cell {cell_id}: text under {dags.LEGIBLE_PX} px at 1024 px wide: {small[:4]}")
            for ax in fig.axes:
                crossings = dags.label_edge_crossings(ax)
                if crossings:
                    problems.append(f"cell {cell_id}: arrows cross names: {crossings}")
            plt.close(fig)
    capsys.readouterr()  # the lesson's prints
    assert measured, f"{rel(lesson)}: no figure was re-drawn"
    assert not problems, f"{rel(lesson)}:\n" + "\n".join(problems)


@pytest.fixture
def no_show(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    plt.close("all")
    yield
    plt.close("all")


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


def test_estimate_plot_takes_results_and_refuses_bad_input(no_show):
    from course_utils.results import make_result

    crude = make_result(0.83, 0.05, 0.74, 0.93, n=1000, name="crude")
    adjusted = make_result(0.35, 0.08, 0.20, 0.51, n=1000, name="adjusted")
    ax = plots.estimate_plot([crude, adjusted], title="Risk difference", xlabel="risk difference (percentage points)",
                             null=0.0, truth=0.0)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["crude", "adjusted"]
    assert [t.get_text() for t in ax.texts] == ["0.83 (0.74 to 0.93)", "0.35 (0.20 to 0.51)"]
    ax = plots.estimate_plot({"ITT": crude, "per protocol": adjusted}, title="t", xlabel="x")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ITT", "per protocol"]
    rows = pd.DataFrame({"estimate": [1.2], "ci_low": [0.9], "ci_high": [1.6]}, index=["a"])
    with pytest.raises(ValueError, match=r"missing \['ci_high'\]"):
        plots.estimate_plot(rows.drop(columns="ci_high"), title="t", xlabel="x")
    with pytest.raises(ValueError, match="non-numeric"):
        plots.estimate_plot(rows.assign(estimate=["big"]), title="t", xlabel="x")
    with pytest.raises(ValueError, match="positive"):
        plots.estimate_plot(rows.assign(ci_low=[-0.1]), title="t", xlabel="x", log=True)
    with pytest.raises(ValueError, match="no results"):
        plots.estimate_plot(rows.iloc[:0], title="t", xlabel="x")
    with pytest.raises(TypeError, match="not str"):
        plots.estimate_plot("crude", title="t", xlabel="x")


def test_estimate_plot_draws_labelled_reference_lines(no_show):
    rows = pd.DataFrame({"estimate": [12.6, 3.8], "ci_low": [11.0, 3.0], "ci_high": [14.2, 4.6]},
                        index=["18-25", "65+"])
    refs = {"all adults, weighted": 8.0, "all interviews, unweighted": 9.2}
    ax = plots.estimate_plot(rows, title="t", xlabel="%", references=refs, annotate=False)
    lines = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert set(lines) == set(refs), "each reference is a line named in the legend"
    assert lines["all adults, weighted"].get_xdata()[0] == 8.0
    assert lines["all adults, weighted"].get_linestyle() != lines["all interviews, unweighted"].get_linestyle()
    legend = ax.get_legend() or ax.figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == list(refs)
    left, right = ax.get_xlim()
    assert left < 3.0 and right > 14.2
    with pytest.raises(ValueError, match="must be a number"):
        plots.estimate_plot(rows, title="t", xlabel="x", references={"mean": "8"})
    with pytest.raises(ValueError, match="positive"):
        plots.estimate_plot(rows, title="t", xlabel="x", references={"zero": 0.0}, log=True)


def test_estimate_plot_log_axis_over_a_narrow_range_gets_enough_ticks(no_show):
    rows = pd.DataFrame({"estimate": [2.32, 1.07], "ci_low": [1.82, 0.76], "ci_high": [2.95, 1.49]},
                        index=["crude", "IP weighting"])
    ax = plots.estimate_plot(rows, title="t", xlabel="odds ratio (log scale)", truth=1, log=True)
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.7", "1", "1.5", "2", "3"]


def test_estimate_plot_compares_two_sets_of_estimates(no_show):
    ours = pd.DataFrame({"estimate": [2.54, 3.44], "ci_low": [1.66, 2.41], "ci_high": [3.42, 4.47]},
                        index=["unadjusted", "IP weighting"])
    book = pd.DataFrame({"estimate": [2.5, 3.4], "ci_low": [float("nan"), 2.4], "ci_high": [float("nan"), 4.5]},
                        index=ours.index)
    ax = plots.estimate_plot(ours, title="t", xlabel="kg", compare=book, labels=("ours", "published"))
    legend = ax.get_legend() or ax.figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["ours", "published"]
    open_points = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert [float(line.get_xdata()[0]) for line in open_points] == [2.5, 3.4], "every published point is drawn"
    intervals = [line for line in ax.get_lines() if line.get_marker() in ("None", "") and len(line.get_xdata()) == 2
                 and line.get_color() == plots.PALETTE[1]]
    assert len(intervals) == 1, "no interval is drawn where none was published"
    assert [t.get_text() for t in ax.texts] == ["2.54 (1.66 to 3.42)", "3.44 (2.41 to 4.47)"]
    with pytest.raises(ValueError, match="same rows"):
        plots.estimate_plot(ours, title="t", xlabel="kg", compare=book.iloc[::-1])
    with pytest.raises(ValueError, match="non-numeric"):
        plots.estimate_plot(ours, title="t", xlabel="kg", compare=book.assign(estimate=["2.5", "about 3"]))
    with pytest.raises(ValueError, match="missing"):
        plots.estimate_plot(book, title="t", xlabel="kg")
