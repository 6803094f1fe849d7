"""Forest, funnel and meta-regression plots: what is drawn, and that nothing is clipped."""

from __future__ import annotations

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402

import course_utils as cu  # noqa: E402
from course_utils import plots  # noqa: E402


@pytest.fixture(scope="module")
def bcg_meta():
    plots.set_style()
    bcg = cu.load("bcg")
    labels = [f"Trial {s} ({y}, {lat}°)" for s, y, lat in zip(bcg["study"], bcg["year"], bcg["latitude"])]
    tab = cu.log_ratio_from_counts(bcg["bcg_tb"], bcg["bcg_vacc"], bcg["no_vacc_tb"], bcg["no_vacc"],
                                   labels=labels)
    return bcg, tab, cu.meta_analysis(tab["log_ratio"], tab["variance"], exponentiate=True)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _inside_figure(fig, artists) -> bool:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    for artist in artists:
        if not artist.get_text():
            continue
        ext = artist.get_window_extent(renderer)
        if ext.x0 < box.x0 - 1 or ext.x1 > box.x1 + 1 or ext.y0 < box.y0 - 1 or ext.y1 > box.y1 + 1:
            return False
    return True


def test_forest_plot_draws_studies_diamond_and_prediction_interval(bcg_meta):
    _, tab, meta = bcg_meta
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plots.forest_plot(meta, title="BCG", xlabel="Risk ratio (log scale)", favours=("BCG", "control"))
        ax.figure.canvas.draw()
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "Study" and labels[1].startswith("Trial 1 (1948")
    assert labels[-2] == "Pooled (random effects, DL)" and labels[-1] == "Prediction interval"
    diamonds = [p for p in ax.patches if isinstance(p, Polygon)]
    assert len(diamonds) == 1
    xs = diamonds[0].get_xy()[:, 0]
    assert xs.min() == pytest.approx(meta.pooled["ci_low"]) and xs.max() == pytest.approx(meta.pooled["ci_high"])
    # the reference line sits at 1 for ratios
    assert any(np.allclose(line.get_xdata(), [1.0, 1.0]) for line in ax.get_lines())
    # right-hand column states each estimate, CI and weight
    twin = [a for a in ax.figure.axes if a is not ax][0]
    right = [t.get_text() for t in twin.get_yticklabels()]
    assert right[1] == "0.41 [0.13, 1.26]    5.0%"
    assert right[-2] == "0.49 [0.34, 0.70]  100.0%"
    assert right[-1] == "[0.16, 1.54]"
    assert "favours BCG" in ax.get_xlabel()


def test_forest_plot_square_area_is_proportional_to_weight(bcg_meta):
    _, _, meta = bcg_meta
    ax = plots.forest_plot(meta)
    squares = [c for c in ax.collections if c.get_label().startswith("study estimate")][0]
    sizes = squares.get_sizes()
    w = meta.studies["weight"].to_numpy()
    assert np.allclose(sizes / w, sizes[0] / w[0])  # area (points²) proportional to weight
    assert sizes.argmax() == w.argmax()


def test_forest_plot_labels_are_not_clipped(bcg_meta):
    _, _, meta = bcg_meta
    ax = plots.forest_plot(meta, title="A long title for the BCG trials", xlabel="Risk ratio (log scale)")
    fig = ax.figure
    twin = [a for a in fig.axes if a is not ax][0]
    artists = list(ax.get_yticklabels()) + list(twin.get_yticklabels()) + list(ax.get_xticklabels())
    artists += [ax.xaxis.label, ax.title]
    artists += [text for legend in fig.legends for text in legend.get_texts()]
    assert fig.legends, "the legend sits below the figure (outside the axes)"
    assert _inside_figure(fig, artists)
    # the legend does not overlap the x-axis label, even with only two rows
    small = plots.forest_plot(pd.DataFrame({"estimate": [2.3, 1.2], "ci_low": [1.8, 0.9], "ci_high": [3.0, 1.6]},
                                           index=["crude", "adjusted"]), xlabel="Odds ratio (log scale)")
    small.figure.canvas.draw()
    renderer = small.figure.canvas.get_renderer()
    label_box = small.xaxis.label.get_window_extent(renderer)
    legend_box = small.figure.legends[0].get_window_extent(renderer)
    assert not label_box.overlaps(legend_box)


def test_forest_plot_of_a_plain_results_frame_without_pooling():
    frame = pd.DataFrame({"estimate": [3.2, 4.3], "ci_low": [1.38, 2.61], "ci_high": [7.41, 7.19]},
                         index=["opioid use disorder", "cannabis use disorder"])
    ax = plots.forest_plot(frame, xlabel="Adjusted odds ratio (log scale)")
    assert ax.get_xscale() == "log"
    assert not [p for p in ax.patches if isinstance(p, Polygon)]  # nothing pooled, no diamond
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Study", "opioid use disorder", "cannabis use disorder"]


def test_forest_plot_differences_use_a_linear_axis_at_zero():
    meta = cu.meta_analysis([0.2, -0.1, 0.4], [0.01, 0.02, 0.03], method="fe")
    ax = plots.forest_plot(meta)
    assert ax.get_xscale() == "linear"
    assert any(np.allclose(line.get_xdata(), [0.0, 0.0]) for line in ax.get_lines())
    assert "Prediction interval" not in [t.get_text() for t in ax.get_yticklabels()]


def test_forest_plot_bad_input():
    with pytest.raises(TypeError, match="meta_analysis"):
        plots.forest_plot([1, 2, 3])
    with pytest.raises(ValueError, match="missing \\['ci_low', 'ci_high'\\]"):
        plots.forest_plot(pd.DataFrame({"estimate": [1.0]}))
    with pytest.raises(ValueError, match="ratio=True needs positive"):
        plots.forest_plot(pd.DataFrame({"estimate": [0.1], "ci_low": [-0.2], "ci_high": [0.4]}), ratio=True)


def test_funnel_plot_limits_are_pooled_plus_minus_196_se(bcg_meta):
    _, _, meta = bcg_meta
    ax = plots.funnel_plot(meta, xlabel="Risk ratio (log scale)")
    assert ax.yaxis_inverted()
    assert ax.get_xscale() == "log"
    limit = [line for line in ax.get_lines() if line.get_label() == "pseudo-95% limits"][0]
    x, y = limit.get_xdata(), limit.get_ydata()
    centre = meta.pooled["log_estimate"]
    assert x[-1] == pytest.approx(math.exp(centre - 1.96 * y[-1]))
    points = [c for c in ax.collections if c.get_label() == "study"][0].get_offsets()
    assert len(points) == 13
    assert np.allclose(np.sort(points[:, 1]), np.sort(meta.studies["se"].to_numpy()))
    with pytest.raises(TypeError, match="meta_analysis"):
        plots.funnel_plot(pd.DataFrame())


def test_meta_regression_plot(bcg_meta):
    bcg, tab, meta = bcg_meta
    fit = cu.meta_regression(tab["log_ratio"], tab["variance"], bcg["latitude"])
    ax = plots.meta_regression_plot(bcg["latitude"], meta, fit, xlabel="Latitude (degrees from the equator)")
    assert ax.get_yscale() == "log"
    line = [ln for ln in ax.get_lines() if ln.get_label() == "fitted average effect"][0]
    assert line.get_ydata()[0] == pytest.approx(math.exp(0.259544 - 0.029229 * 13), rel=1e-4)
    with pytest.raises(ValueError, match="one per study"):
        plots.meta_regression_plot([1, 2], meta, fit)
