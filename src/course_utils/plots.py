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

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from numpy.typing import ArrayLike

    from course_utils.meta_bias import TrimAndFill
    from course_utils.metaanalysis import MetaAnalysis, MetaRegression

__all__ = ["PALETTE", "set_style", "finish", "estimate_plot", "forest_plot", "funnel_plot", "meta_regression_plot"]

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

    Examples
    --------
    >>> import matplotlib as mpl
    >>> set_style("notebook")
    >>> mpl.rcParams["figure.dpi"], mpl.rcParams["axes.titlelocation"]
    (80.0, 'left')
    >>> set_style()
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


def finish(ax: Axes, *, title: str, xlabel: str, ylabel: str) -> Axes:
    """Label a plot fully (title and axis labels with units) and return it.

    Parameters
    ----------
    ax : matplotlib Axes
        The plot to label.
    title : str
        The figure's title (its take-away, or what is shown).
    xlabel, ylabel : str
        Axis labels, with units.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax`` itself, labelled.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> ax = finish(ax, title="Stress by age", xlabel="age (years)", ylabel="PSS-10 score (0-40)")
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('age (years)', 'PSS-10 score (0-40)')
    >>> plt.close(fig)
    """
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


# --------------------------------------------------------------------------- estimates with intervals


def _estimate_rows(results: Any, *, missing_interval: bool = False) -> Any:
    """A DataFrame (estimate, ci_low, ci_high; index = labels) from a frame, a mapping or a list of results."""
    import pandas as pd

    if isinstance(results, pd.DataFrame):
        frame = results
    elif isinstance(results, pd.Series):
        frame = results.to_frame().T
    elif isinstance(results, dict):
        frame = pd.DataFrame({str(k): pd.Series(v) for k, v in results.items()}).T
    elif isinstance(results, (list, tuple)):
        frame = pd.DataFrame([pd.Series(r) for r in results])
        frame.index = [str(getattr(r, "name", None) or i + 1) for i, r in enumerate(results)]
    else:
        raise TypeError(
            f"estimate_plot needs a DataFrame of results, a dict of name -> result or a list of results, "
            f"not {type(results).__name__}"
        )
    missing = [c for c in ("estimate", "ci_low", "ci_high") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"estimate_plot needs columns estimate, ci_low and ci_high; missing {missing} "
            f"(has {list(frame.columns)}). Pass results from course_utils (make_result / result_frame)."
        )
    if frame.empty:
        raise ValueError("estimate_plot got no results to draw; pass at least one row")
    raw = frame[["estimate", "ci_low", "ci_high"]]
    out = raw.apply(pd.to_numeric, errors="coerce")
    not_numbers = out.isna() & raw.notna()
    # a missing interval is allowed only where asked (published values without a CI); text never is
    missing = out[["estimate"]].isna() if missing_interval else out.isna()
    bad = out.index[missing.any(axis=1) | not_numbers.any(axis=1)].tolist()
    if bad:
        raise ValueError(f"estimate_plot: rows {bad} have a missing or non-numeric estimate or interval; drop or fix them")
    return out


#: ticks for a log axis spanning little more than a doubling
_FINE_RATIO_TICKS = (0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10)

#: (colour, line style, width) of extra reference lines, in order; style, not colour, tells them apart
_REFERENCE_STYLES: list[tuple[str, str, float]] = [("black", "--", 1.5), ("grey", ":", 3.0), ("black", "-.", 1.5)]


def estimate_plot(
    results: pd.DataFrame | pd.Series | dict[str, pd.Series] | list[pd.Series] | tuple[pd.Series, ...],
    *,
    title: str,
    xlabel: str,
    null: float | None = None,
    truth: float | None = None,
    log: bool = False,
    annotate: bool = True,
    references: dict[str, float] | None = None,
    compare: pd.DataFrame | pd.Series | dict[str, pd.Series] | list[pd.Series] | tuple[pd.Series, ...] | None = None,
    labels: tuple[str, str] = ("estimate", "comparison"),
    ax: Axes | None = None,
) -> Axes:
    """Estimates with their confidence intervals, one row each, top to bottom in the given order.

    The plot lessons use to compare methods (crude vs adjusted, ITT vs per-protocol, each
    study of a claim): a point per estimate, a line for its interval, a dashed line at the
    null value and, for synthetic data, a dotted line at the true effect.  The figure is
    sized to the number of rows and its text is legible at projector size.

    Parameters
    ----------
    results : DataFrame, dict or list
        Rows with ``estimate``, ``ci_low``, ``ci_high`` (a result frame; a dict of label ->
        result Series; a list of results, labelled by their ``name``).
    title, xlabel : str
        What is compared, and the estimate's scale with units (e.g. "odds ratio (log scale)").
    null : float, optional
        The no-effect value (1 for ratios, 0 for differences): a dashed line.
    truth : float, optional
        The true effect of synthetic data: a dotted line, labelled.
    log : bool
        A log axis (for ratios), ticks as plain numbers.
    annotate : bool
        Print "estimate (low to high)" at the right of each row.
    references : dict of str -> float, optional
        Other labelled reference lines, e.g. ``{"all adults, weighted": 8.0}``: black or
        grey, told apart by line style (dashed, dotted, dash-dot), named in the legend.
    compare : DataFrame, dict or list, optional
        A second set of estimates for the same rows (e.g. published values to check against),
        drawn just below each row as open circles; a missing interval (NaN) draws the point alone.
    labels : (str, str)
        Legend names of ``results`` and ``compare`` (used only with ``compare``).
    ax : matplotlib Axes, optional
        Draw into this Axes; default: a new figure sized to the rows.

    Returns
    -------
    matplotlib.axes.Axes
        The labelled plot.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"estimate": [2.3, 1.2], "ci_low": [2.0, 0.9], "ci_high": [2.6, 1.6]},
    ...                     index=["crude", "adjusted"])
    >>> ax = estimate_plot(rows, title="Kratom and depression (SYNTHETIC)", xlabel="odds ratio",
    ...                    null=1, truth=1, log=True)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['crude', 'adjusted']
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt

    rows = _estimate_rows(results)
    other = None
    if compare is not None:
        other = _estimate_rows(compare, missing_interval=True)
        if list(other.index) != list(rows.index):
            raise ValueError(f"estimate_plot: compare has rows {list(other.index)}, results {list(rows.index)}; "
                             "give the same rows in the same order")
    references = dict(references or {})
    for name, value in references.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
            raise ValueError(f"estimate_plot: reference {name!r} must be a number, not {value!r}")
    if len(references) > len(_REFERENCE_STYLES):
        raise ValueError(f"estimate_plot draws at most {len(_REFERENCE_STYLES)} reference lines; got {len(references)}")
    if log and ((rows <= 0).any().any() or any(v <= 0 for v in references.values())
                or (other is not None and (other <= 0).any().any())):
        raise ValueError("estimate_plot(log=True) needs positive estimates, limits and references (ratios); use log=False")
    n = len(rows)
    legend = truth is not None or bool(references) or other is not None
    if ax is None:
        # wide enough that long row labels and the printed intervals leave room for the data
        width = max(plt.rcParams["figure.figsize"][0], 13)
        per_row = 0.9 if other is not None else 0.6  # two points a row need more room
        _, ax = plt.subplots(figsize=(width, max(2.6, 1.2 + per_row * n + (0.6 if legend else 0.0))))
    y = list(range(n))[::-1]
    shift = 0.15 if other is not None else 0.0
    for k, (label, row) in enumerate(rows.iterrows()):
        ax.plot([row["ci_low"], row["ci_high"]], [y[k] + shift] * 2, color=PALETTE[0], lw=2.5, solid_capstyle="butt")
        ax.plot(row["estimate"], y[k] + shift, marker="s", markersize=10, color=PALETTE[0], markeredgecolor="black",
                linestyle="none", label=labels[0] if k == 0 and other is not None else "_nolegend_")
    if other is not None:
        for k, (label, row) in enumerate(other.iterrows()):
            if row[["ci_low", "ci_high"]].notna().all():
                ax.plot([row["ci_low"], row["ci_high"]], [y[k] - shift] * 2, color=PALETTE[1], lw=2.5,
                        solid_capstyle="butt")
            ax.plot(row["estimate"], y[k] - shift, marker="o", markersize=10, color=PALETTE[1], markerfacecolor="white",
                    markeredgewidth=2, linestyle="none", label=labels[1] if k == 0 else "_nolegend_")
    ax.set_yticks(y)
    ax.set_yticklabels([str(i) for i in rows.index])
    ax.set_ylim(-0.7, n - 0.3)
    low, high = float(rows["ci_low"].min()), float(rows["ci_high"].max())
    if other is not None:
        low = min(low, float(other[["estimate", "ci_low"]].min().min()))
        high = max(high, float(other[["estimate", "ci_high"]].max().max()))
    lines: list[float] = [v for v in (null, truth) if v is not None] + list(references.values())
    for value in lines:
        low, high = min(low, value), max(high, value)
    if log:
        pad = (high / low) ** 0.08
        ax.set_xlim(low / pad, high * pad)
        _ratio_axis(ax, low / pad, high * pad)
        fine = [t for t in _FINE_RATIO_TICKS if low / pad <= t <= high * pad]
        if len(ax.get_xticks()) < 4 and len(fine) > len(ax.get_xticks()):
            from matplotlib.ticker import FixedLocator

            ax.xaxis.set_major_locator(FixedLocator(fine))  # a narrow range: 0.7, 1, 1.5, 2, 3 …
    else:
        pad = (high - low) * 0.08 or 1.0
        ax.set_xlim(low - pad, high + pad)
    if null is not None:
        ax.axvline(null, color="black", lw=1.2, ls="--", zorder=1.5)
    if truth is not None:
        ax.axvline(truth, color=PALETTE[5], lw=2, ls=":", zorder=1.5, label="true effect (synthetic data)")
    for (name, value), (colour, style, width) in zip(references.items(), _REFERENCE_STYLES):
        ax.axvline(value, color=colour, lw=width, ls=style, zorder=1.5, label=name)
    if legend:
        # below the axes, so the legend never hides an estimate
        handles, names = ax.get_legend_handles_labels()
        engine = ax.figure.get_layout_engine()
        if engine is not None and type(engine).__name__ == "ConstrainedLayoutEngine":
            ax.figure.legend(handles, names, loc="outside lower center", ncol=len(names), frameon=False)
        else:
            ax.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=len(names), frameon=False)
    if annotate:
        for k, (_, row) in enumerate(rows.iterrows()):
            ax.annotate(f"{row['estimate']:.2f} ({row['ci_low']:.2f} to {row['ci_high']:.2f})", xy=(1.0, y[k] + shift),
                        xycoords=("axes fraction", "data"), xytext=(8, 0), textcoords="offset points",
                        va="center", ha="left")
    ax.grid(axis="y", visible=False)
    return finish(ax, title=title, xlabel=xlabel, ylabel="")


# --------------------------------------------------------------------------- meta-analysis plots

_RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)


def _tick_text(value: float) -> str:
    return f"{value:g}"


def _ratio_axis(axis: Any, low: float, high: float) -> None:
    """Log scale with plain-number ticks (0.1, 0.2, 0.5, 1, 2 …) covering [low, high]."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    axis.set_xscale("log")
    ticks = [t for t in _RATIO_TICKS if low <= t <= high]
    axis.xaxis.set_major_locator(FixedLocator(ticks))
    axis.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _tick_text(v)))
    axis.xaxis.set_minor_locator(NullLocator())


def _meta_parts(meta: Any) -> tuple[Any, Any, bool, str]:
    """(studies frame, pooled Series or None, ratio?, method label) from a MetaAnalysis or a DataFrame."""
    import pandas as pd

    if hasattr(meta, "studies") and hasattr(meta, "pooled"):
        short = {"fe": "fixed effect", "dl": "random effects, DL", "pm": "random effects, PM"}
        return meta.studies, meta.pooled, bool(meta.exponentiate), short.get(getattr(meta, "method", ""), "")
    if isinstance(meta, pd.DataFrame):
        missing = [c for c in ("estimate", "ci_low", "ci_high") if c not in meta.columns]
        if missing:
            raise ValueError(
                f"forest_plot needs columns estimate, ci_low and ci_high; missing {missing}. "
                "Pass the result of course_utils.meta_analysis or a result frame."
            )
        return meta, None, False, ""
    raise TypeError(
        f"expected the result of course_utils.meta_analysis or a DataFrame of results, got {type(meta).__name__}"
    )


def forest_plot(
    meta: MetaAnalysis | pd.DataFrame,
    *,
    title: str = "",
    xlabel: str | None = None,
    ratio: bool | None = None,
    favours: tuple[str, str] | None = None,
    estimate_label: str | None = None,
    label_heading: str = "Study",
    prediction: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """A publication-style forest plot.

    One row per study — a square whose area is proportional to the study's
    weight, with its 95% CI — then the pooled estimate as a diamond (its width is
    the 95% CI) and, for a random-effects model, the 95% prediction interval as
    a bar.  Study labels sit on the left; estimate, CI and weight are printed on
    the right.  Ratios are drawn on a log axis with a reference line at 1
    (at 0 for differences).  Shapes and labels, not colour, carry the meaning.

    Parameters
    ----------
    meta : MetaAnalysis or pandas.DataFrame
        The result of :func:`course_utils.meta_analysis`, or a result frame with
        ``estimate``, ``ci_low``, ``ci_high`` (and optionally ``weight`` in percent),
        e.g. published estimates to show side by side without pooling.
    title, xlabel : str
        Labels; ``xlabel`` defaults to "Ratio (log scale)" or "Effect".
    ratio : bool, optional
        Draw on a log axis around 1.  Default: ``meta.exponentiate`` for a
        MetaAnalysis, otherwise True when every value is positive.
    favours : (str, str), optional
        What the left and right of the reference line favour, e.g. ``("BCG", "control")``.
    estimate_label : str, optional
        Heading of the right-hand column (default "Ratio [95% CI]" or "Estimate [95% CI]").
    label_heading : str, default "Study"
        Heading of the left-hand column of row labels.
    prediction : bool, default True
        Draw the prediction interval when there is one.
    ax : matplotlib Axes, optional
        Draw into this Axes (its figure should leave room on the right); default: a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The plot (rows, pooled diamond and the printed columns).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import course_utils as cu
    >>> m = cu.meta_analysis([-0.9, -1.6, -0.2], [0.33, 0.19, 0.05], exponentiate=True)
    >>> ax = forest_plot(m, title="Three trials")
    >>> ax.get_xscale()
    'log'
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Polygon

    studies, pooled, is_ratio, method_label = _meta_parts(meta)
    if ratio is not None:
        is_ratio = bool(ratio)
    elif pooled is None:
        values = studies[["estimate", "ci_low", "ci_high"]].to_numpy(float)
        is_ratio = bool(np.all(values[np.isfinite(values)] > 0))
    est = studies["estimate"].to_numpy(float)
    lo = studies["ci_low"].to_numpy(float)
    hi = studies["ci_high"].to_numpy(float)
    k = len(studies)
    weights = studies["weight"].to_numpy(float) if "weight" in studies.columns else None
    show_pi = (
        prediction and pooled is not None and "pi_low" in pooled.index
        and np.isfinite(float(pooled["pi_low"]))
    )

    # rows from the top: header (k + 1 ... ) then studies, a gap, pooled, prediction interval
    y_header = k + 1.0
    y_studies = np.arange(k, 0, -1, dtype=float)
    y_pooled = -0.5
    y_pi = -1.5
    rows = 1 + k + (2 if pooled is not None else 0) + (1 if show_pi else 0)
    if ax is None:
        width = plt.rcParams["figure.figsize"][0]
        _, ax = plt.subplots(figsize=(max(width, 13), 2.2 + 0.45 * rows))

    sizes = 320 * weights / np.nanmax(weights) if weights is not None else np.full(k, 80.0)
    ax.hlines(y_studies, lo, hi, color="black", linewidth=1.6, zorder=2)
    ax.scatter(est, y_studies, s=sizes, marker="s", color=PALETTE[0], edgecolor="black", zorder=3,
               label="study estimate (area ∝ weight)" if weights is not None else "estimate with 95% CI")

    all_values = [lo, hi]
    labels = [label_heading] + [str(i) for i in studies.index]
    ypos = [y_header] + list(y_studies)
    unit = "Ratio" if is_ratio else "Estimate"
    right = [estimate_label or f"{unit} [95% CI]" + ("   Weight" if weights is not None else "")]
    for i in range(k):
        text = f"{est[i]:.2f} [{lo[i]:.2f}, {hi[i]:.2f}]"
        if weights is not None:
            text += f"  {weights[i]:5.1f}%"
        right.append(text)

    if pooled is not None:
        p_est, p_lo, p_hi = (float(pooled[c]) for c in ("estimate", "ci_low", "ci_high"))
        diamond = Polygon(
            [(p_lo, y_pooled), (p_est, y_pooled + 0.32), (p_hi, y_pooled), (p_est, y_pooled - 0.32)],
            closed=True, facecolor=PALETTE[1], edgecolor="black", zorder=3, label="pooled estimate (95% CI)",
        )
        ax.add_patch(diamond)
        ax.axvline(p_est, color=PALETTE[1], linestyle=":", linewidth=1.2, zorder=1)
        labels.append("Pooled" + (f" ({method_label})" if method_label else ""))
        ypos.append(y_pooled)
        right.append(f"{p_est:.2f} [{p_lo:.2f}, {p_hi:.2f}]" + ("  100.0%" if weights is not None else ""))
        all_values += [np.array([p_lo, p_hi])]
        if show_pi:
            pi_lo, pi_hi = float(pooled["pi_low"]), float(pooled["pi_high"])
            ax.hlines(y_pi, pi_lo, pi_hi, color=PALETTE[5], linewidth=4, zorder=2,
                      label="95% prediction interval")
            ax.plot([pi_lo, pi_hi], [y_pi, y_pi], marker="|", markersize=14, color=PALETTE[5],
                    linestyle="none", zorder=3)
            labels.append("Prediction interval")
            ypos.append(y_pi)
            right.append(f"[{pi_lo:.2f}, {pi_hi:.2f}]")
            all_values += [np.array([pi_lo, pi_hi])]

    values = np.concatenate([np.atleast_1d(v) for v in all_values])
    values = values[np.isfinite(values)]
    reference = 1.0 if is_ratio else 0.0
    if is_ratio:
        if np.any(values <= 0):
            raise ValueError("ratio=True needs positive estimates and CI limits; pass ratio=False for differences")
        low, high = min(values.min(), 1.0) / 1.25, max(values.max(), 1.0) * 1.25
        _ratio_axis(ax, low, high)
        ax.set_xlim(low, high)
    else:
        span = max(values.max(), 0.0) - min(values.min(), 0.0)
        ax.set_xlim(min(values.min(), 0.0) - 0.08 * span, max(values.max(), 0.0) + 0.08 * span)
    ax.axvline(reference, color="black", linewidth=1.2, zorder=1)

    bottom = min(ypos) - 0.8
    ax.set_ylim(bottom, y_header + 0.7)
    ax.set_yticks(ypos, labels)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.get_yticklabels()[0].set_fontweight("bold")
    twin = ax.twinx()
    twin.set_ylim(ax.get_ylim())
    twin.set_yticks(ypos, right)
    twin.tick_params(axis="y", length=0)
    twin.grid(False)
    for tick in twin.get_yticklabels():
        tick.set_fontfamily("monospace")
    twin.get_yticklabels()[0].set_fontweight("bold")
    twin.get_yticklabels()[0].set_fontfamily(plt.rcParams["font.family"])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
        twin.spines[side].set_visible(False)
    if xlabel is None:
        xlabel = "Ratio (log scale)" if is_ratio else "Effect"
    if favours:
        xlabel = f"{xlabel}\n← favours {favours[0]}    |    favours {favours[1]} →"
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    if title:
        ax.set_title(title)
    handles, names = ax.get_legend_handles_labels()
    engine = ax.figure.get_layout_engine()
    if engine is not None and type(engine).__name__ == "ConstrainedLayoutEngine":
        # below the whole figure, so it never overlaps the axis label however few rows there are
        ax.figure.legend(handles, names, loc="outside lower center", ncol=3, frameon=False, fontsize="small")
    else:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22 if favours else -0.16), ncol=3, frameon=False,
                  fontsize="small")
    return ax


def funnel_plot(
    meta: MetaAnalysis,
    *,
    title: str = "",
    xlabel: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A funnel plot: each study's estimate against its standard error, with pseudo-95% limits.

    The vertical axis is the standard error, inverted so that large, precise
    studies sit at the top.  The dashed funnel is pooled estimate ± 1.96 × SE:
    without small-study effects and heterogeneity, about 95% of studies fall
    inside it, scattered symmetrically.  A missing corner (typically small studies
    with null or unfavourable results) suggests publication bias or other
    small-study effects — or heterogeneity; the plot cannot tell which.

    Parameters
    ----------
    meta : MetaAnalysis
        The result of :func:`course_utils.meta_analysis` (ratios are drawn on a log axis).
    title, xlabel : str
        Labels (``xlabel`` defaults to "Ratio (log scale)" or "Effect").
    ax : matplotlib Axes, optional
        Draw into this Axes; default: a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The plot, its standard-error axis inverted.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import course_utils as cu
    >>> m = cu.meta_analysis([-0.9, -1.6, -0.2], [0.33, 0.19, 0.05], exponentiate=True)
    >>> ax = funnel_plot(m)
    >>> bool(ax.yaxis_inverted()), ax.get_ylabel()
    (True, 'Standard error (log scale units)')
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt
    import numpy as np

    if not (hasattr(meta, "log_effect") and hasattr(meta, "pooled")):
        raise TypeError(f"funnel_plot takes the result of course_utils.meta_analysis, got {type(meta).__name__}")
    y = np.asarray(meta.log_effect, dtype=float)
    se = np.sqrt(np.asarray(meta.variance, dtype=float))
    centre = float(meta.pooled["log_estimate"])
    is_ratio = bool(meta.exponentiate)
    tf = np.exp if is_ratio else (lambda t: t)
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 6))
    se_max = se.max() * 1.1
    grid = np.linspace(0, se_max, 100)
    left, right_ = tf(centre - 1.96 * grid), tf(centre + 1.96 * grid)
    ax.fill_betweenx(grid, left, right_, color=PALETTE[4], alpha=0.15, linewidth=0)
    ax.plot(left, grid, color="black", linestyle="--", linewidth=1.2, label="pseudo-95% limits")
    ax.plot(right_, grid, color="black", linestyle="--", linewidth=1.2)
    ax.axvline(tf(centre), color=PALETTE[1], linewidth=2, label="pooled estimate")
    ax.scatter(tf(y), se, s=70, marker="o", color=PALETTE[0], edgecolor="black", zorder=3, label="study")
    if is_ratio:
        low = min(tf(y).min(), left.min()) / 1.15
        high = max(tf(y).max(), right_.max()) * 1.15
        _ratio_axis(ax, low, high)
        ax.set_xlim(low, high)
    ax.set_ylim(se_max, 0)
    ax.set_ylabel("Standard error (log scale units)" if is_ratio else "Standard error")
    ax.set_xlabel(xlabel or ("Ratio (log scale)" if is_ratio else "Effect"))
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False, markerscale=0.6)
    return ax


def meta_regression_plot(
    moderator: ArrayLike,
    meta: MetaAnalysis,
    fit: MetaRegression,
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A bubble plot for a meta-regression: each study's effect against the moderator.

    Bubble area is proportional to the study's random-effects weight; the line
    and band are the fitted average effect and its 95% CI from ``fit``.

    Parameters
    ----------
    moderator : array-like
        The moderator value of each study (same order as the meta-analysis).
    meta : MetaAnalysis
        The result of :func:`course_utils.meta_analysis` (gives effects and weights).
    fit : MetaRegression
        The result of :func:`course_utils.meta_regression` on the same studies.
    title, xlabel, ylabel : str
        Labels (give ``xlabel`` with units).
    ax : matplotlib Axes, optional
        Draw into this Axes; default: a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The bubble plot with the fitted line and its band.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import course_utils as cu
    >>> y, v, x = [-0.9, -1.6, -0.2, -0.5], [0.33, 0.19, 0.05, 0.1], [44, 55, 13, 30]
    >>> ax = meta_regression_plot(x, cu.meta_analysis(y, v, exponentiate=True), cu.meta_regression(y, v, x))
    >>> ax.get_yscale()
    'log'
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt
    import numpy as np

    x = np.asarray(moderator, dtype=float)
    y = np.asarray(meta.log_effect, dtype=float)
    if x.size != y.size:
        raise ValueError(f"moderator has {x.size} values for {y.size} studies; give one per study, in the same order")
    is_ratio = bool(meta.exponentiate)
    tf = np.exp if is_ratio else (lambda t: t)
    weights = meta.studies["weight"].to_numpy(float)
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 6))
    grid = np.linspace(x.min(), x.max(), 50)
    line = fit.predict(grid, exponentiate=is_ratio)
    ax.fill_between(grid, line["ci_low"], line["ci_high"], color=PALETTE[1], alpha=0.2, linewidth=0,
                    label="95% CI of the fitted line")
    ax.plot(grid, line["estimate"], color=PALETTE[1], linewidth=2.5, label="fitted average effect")
    ax.scatter(x, tf(y), s=30 + 600 * weights / weights.max(), marker="o", color=PALETTE[0], alpha=0.7,
               edgecolor="black", zorder=3, label="study (area ∝ weight\nin the meta-analysis)")
    ax.axhline(1.0 if is_ratio else 0.0, color="black", linewidth=1.2)
    if is_ratio:
        values = np.concatenate([tf(y), line["ci_low"], line["ci_high"], [1.0]])
        low, high = values.min() / 1.3, values.max() * 1.3
        ax.set_yscale("log")
        from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

        ax.yaxis.set_major_locator(FixedLocator([t for t in _RATIO_TICKS if low <= t <= high]))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _tick_text(v)))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_ylim(low, high)
    ax.set_xlabel(xlabel or fit.moderator)
    ax.set_ylabel(ylabel or ("Ratio (log scale)" if is_ratio else "Effect"))
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False, markerscale=0.6)
    return ax


def trim_and_fill_plot(tf: TrimAndFill, *, title: str = "", xlabel: str | None = None,
                       ax: Axes | None = None) -> Axes:
    """A funnel plot of a trim-and-fill analysis: observed studies filled, imputed ones hollow.

    Draws :func:`funnel_plot` of the observed studies (funnel around their pooled
    estimate), adds the studies trim-and-fill imputed as hollow circles and the
    adjusted pooled estimate as a dotted line, so the figure shows what was invented.
    Marker fill and line style, not colour, tell observed from imputed.

    Parameters
    ----------
    tf : TrimAndFill
        The result of :func:`course_utils.trim_and_fill`.
    title, xlabel : str
        Labels (``xlabel`` defaults to "Ratio (log scale)" or "Effect").
    ax : matplotlib Axes, optional
        Draw into this Axes; default: a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The funnel plot with the imputed studies and the adjusted estimate.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import course_utils as cu
    >>> m = cu.meta_analysis([0.1, 0.3, 0.5, 0.6, 0.9], [0.01, 0.02, 0.04, 0.06, 0.1], method="fe")
    >>> ax = trim_and_fill_plot(cu.trim_and_fill(m))
    >>> len(ax.collections) >= 3
    True
    >>> plt.close(ax.figure)
    """
    import numpy as np

    if not (hasattr(tf, "original") and hasattr(tf, "filled") and hasattr(tf, "adjusted")):
        raise TypeError(f"trim_and_fill_plot takes the result of course_utils.trim_and_fill, got {type(tf).__name__}")
    ax = funnel_plot(tf.original, title=title, xlabel=xlabel, ax=ax)
    is_ratio = bool(tf.original.exponentiate)
    y = np.asarray(tf.filled["effect"], dtype=float)
    se = np.sqrt(np.asarray(tf.filled["variance"], dtype=float))
    shown = np.exp(y) if is_ratio else y
    if y.size:
        ax.scatter(shown, se, s=70, marker="o", facecolor="white", edgecolor="black", linewidth=1.5, zorder=4,
                   label="imputed by trim-and-fill")
    adjusted = float(tf.adjusted.pooled["log_estimate"])
    ax.axvline(np.exp(adjusted) if is_ratio else adjusted, color="black", linestyle=":", linewidth=2,
               label="pooled with imputed studies")
    if is_ratio and y.size:
        low, high = ax.get_xlim()
        low, high = min(low, shown.min() / 1.15), max(high, shown.max() * 1.15)
        _ratio_axis(ax, low, high)
        ax.set_xlim(low, high)
    bottom, top = ax.get_ylim()
    if y.size and se.max() * 1.1 > bottom:
        ax.set_ylim(se.max() * 1.1, top)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False, markerscale=0.6)
    return ax
