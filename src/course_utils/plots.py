"""Figures in the course style: seaborn, a colour-blind-safe palette, projector-sized text.

Call :func:`set_style` once at the top of a lesson.  Functions here take data
or result objects and return a matplotlib ``Axes`` (or ``Figure``); they never
compute estimates themselves.

Examples
--------
>>> from course_utils import plots
>>> plots.set_style()
>>> len(plots.PALETTE)
8
"""

from __future__ import annotations

from typing import Any

__all__ = ["PALETTE", "set_style", "finish"]

#: Okabe & Ito (2008) colour-blind-safe palette (https://jfly.uni-koeln.de/color/),
#: also seaborn's "colorblind" family.  Pair colour with marker or line style
#: so that no meaning is carried by colour alone.
PALETTE: list[str] = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
]

MARKERS: list[str] = ["o", "s", "^", "D", "v", "P", "X", "*"]


def set_style(context: str = "talk") -> None:
    """Apply the course style: white grid, Okabe–Ito palette, large fonts, fixed DPI.

    Parameters
    ----------
    context : {"talk", "notebook", "poster"}
        seaborn context; "talk" is readable at projector size.
    """
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context=context, style="whitegrid", palette=PALETTE)
    mpl.rcParams.update(
        {
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "figure.figsize": (9, 5.5),
            "figure.constrained_layout.use": True,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "svg.hashsalt": "course",  # deterministic SVG ids
        }
    )


def finish(ax: Any, *, title: str, xlabel: str, ylabel: str) -> Any:
    """Label a plot fully (title and axis labels with units) and return it."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax
