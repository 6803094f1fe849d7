"""Causal diagrams (DAGs): draw them, name the roles of their variables, find adjustment sets.

A causal diagram is a list of arrows ``(cause, effect)``.  This module

* draws a diagram with fixed, readable positions (:func:`draw_dag`), showing the
  role of each variable by marker **shape and colour** (never colour alone),
  adjusted variables in a frame and unmeasured ones with a dashed outline;
* names the role of each variable relative to an exposure and an outcome
  (:func:`dag_roles`: confounder, mediator, collider);
* lists every path between exposure and outcome and whether it is open given an
  adjustment set (:func:`dag_paths`);
* lists the sets of measured variables that satisfy Pearl's back-door criterion
  (:func:`backdoor_adjustment_sets`), by checking every subset with
  d-separation (``networkx.is_d_separator``) — fine for the small diagrams of a
  course, not meant for graphs with dozens of nodes.

Edges may be given as a list of pairs (or of ``(cause, effect, coefficient)``
triples; the third item is ignored), a ``networkx.DiGraph``, a mapping
``{parent: [children, ...]}``, a two-column DataFrame (``from``/``to``), or a
mapping with an ``"edges"`` key (and optionally ``"positions"``), the way the
synthetic-data generators in :mod:`course_utils.simulate` expose their diagrams.

Examples
--------
>>> from course_utils import dags
>>> edges = [("pain", "kratom"), ("pain", "depression"), ("kratom", "depression")]
>>> dags.dag_roles(edges, "kratom", "depression")["role"].to_dict()
{'pain': 'confounder', 'kratom': 'exposure', 'depression': 'outcome'}
>>> dags.backdoor_adjustment_sets(edges, "kratom", "depression")
[('pain',)]
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any

import pandas as pd

__all__ = [
    "ROLE_STYLES",
    "as_digraph",
    "dag_roles",
    "dag_paths",
    "satisfies_backdoor",
    "backdoor_adjustment_sets",
    "layered_positions",
    "draw_dag",
]

#: How each role is drawn: marker shape AND colour (Okabe–Ito), plus the legend text.
ROLE_STYLES: dict[str, dict[str, str]] = {
    "exposure": {"marker": "s", "color": "#0072B2", "label": "exposure"},
    "outcome": {"marker": "D", "color": "#D55E00", "label": "outcome"},
    "confounder": {"marker": "^", "color": "#E69F00", "label": "confounder (common cause)"},
    "mediator": {"marker": "o", "color": "#009E73", "label": "mediator (on the causal path)"},
    "collider": {"marker": "v", "color": "#CC79A7", "label": "collider (common effect on a path)"},
    "other": {"marker": "h", "color": "#BBBBBB", "label": "other variable"},
}
_LABEL_OFFSETS = {  # direction (dx, dy) and text alignment for each label side
    "below": (0, -1, "center", "top"),
    "above": (0, 1, "center", "bottom"),
    "left": (-1, 0, "right", "center"),
    "right": (1, 0, "left", "center"),
}
_ROLE_ORDER = ("exposure", "outcome", "confounder", "mediator", "collider", "other")

MAX_CANDIDATES = 16
MAX_PATHS = 500


class DagError(ValueError):
    """The diagram is not a valid directed acyclic graph, or a name is not in it."""


# ------------------------------------------------------------------ input


def as_digraph(edges: Any) -> Any:
    """Turn any accepted edge description into a ``networkx.DiGraph`` (checked to be acyclic).

    Parameters
    ----------
    edges : list of (cause, effect) pairs, networkx.DiGraph, mapping, or DataFrame
        See the module docstring for the accepted forms.

    Returns
    -------
    networkx.DiGraph
        Nodes in order of first appearance.

    Raises
    ------
    DagError
        A malformed edge, an arrow from a node to itself, or a cycle (named).

    Examples
    --------
    >>> g = as_digraph([("a", "b"), ("b", "c")])
    >>> list(g.nodes)
    ['a', 'b', 'c']
    """
    import networkx as nx

    if isinstance(edges, nx.DiGraph):
        graph = nx.DiGraph(edges)
    else:
        pairs = _edge_pairs(edges)
        graph = nx.DiGraph()
        for i, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) not in (2, 3):
                raise DagError(
                    f"edge {i} is {pair!r}; each edge must be a pair (cause, effect), e.g. ('pain', 'kratom'), "
                    "optionally with a third item such as a coefficient"
                )
            cause, effect = pair[0], pair[1]
            if not isinstance(cause, Hashable) or not isinstance(effect, Hashable):
                raise DagError(f"edge {i} ({pair!r}) names an unhashable node; use strings as node names")
            graph.add_edge(cause, effect)
    loops = [u for u, v in graph.edges if u == v]
    if loops:
        raise DagError(f"{loops[0]!r} has an arrow to itself; a causal diagram cannot contain self-loops")
    if not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        shown = " → ".join(str(u) for u, _ in cycle) + f" → {cycle[0][0]}"
        raise DagError(
            f"the diagram has a cycle ({shown}); a causal diagram must be acyclic. "
            "Feedback over time is drawn with time-indexed nodes, e.g. 'depression_2019' → 'kratom_2020'."
        )
    return graph


def _edge_pairs(edges: Any) -> list[Any]:
    if isinstance(edges, pd.DataFrame):
        cols = ["from", "to"] if {"from", "to"} <= set(edges.columns) else list(edges.columns[:2])
        if len(cols) < 2:
            raise DagError("an edge table needs two columns: 'from' (cause) and 'to' (effect)")
        return list(edges[cols].itertuples(index=False, name=None))
    if isinstance(edges, Mapping):
        if "edges" in edges:
            return _edge_pairs(edges["edges"])
        pairs = []
        for parent, children in edges.items():
            if isinstance(children, (str, bytes)) or not isinstance(children, Iterable):
                children = [children]
            pairs.extend((parent, child) for child in children)
        return pairs
    if isinstance(edges, (str, bytes)) or not isinstance(edges, Iterable):
        raise DagError(
            f"edges must be a list of (cause, effect) pairs, a networkx.DiGraph, a mapping or a DataFrame; "
            f"got {type(edges).__name__}"
        )
    return list(edges)


def _require_nodes(graph: Any, **named: Any) -> None:
    nodes = list(graph.nodes)
    for role, node in named.items():
        members = node if isinstance(node, (set, frozenset, list, tuple)) else [node]
        for member in members:
            if member not in graph:
                raise DagError(
                    f"{role} {member!r} is not a node of the diagram; nodes are: "
                    f"{', '.join(repr(n) for n in nodes)}"
                )


# ------------------------------------------------------------------ roles


def dag_roles(edges: Any, exposure: Hashable, outcome: Hashable) -> pd.DataFrame:
    """The role of every variable relative to an exposure and an outcome.

    Definitions (for a directed acyclic graph):

    * **confounder** — a common cause: an ancestor of the exposure that also has a
      directed path to the outcome not passing through the exposure;
    * **mediator** — on a directed path from exposure to outcome;
    * **collider** — a variable where two arrowheads meet on some path between
      exposure and outcome (e.g. ``kratom → clinic ← depression``); adjusting for
      it, or selecting on it, opens that path.

    A variable can have more than one role; ``role`` shows the first in the order
    confounder, mediator, collider, and the boolean columns show all.

    Returns
    -------
    pandas.DataFrame
        Indexed by node (order of appearance) with ``role``, ``confounder``,
        ``mediator``, ``collider``.

    Examples
    --------
    >>> edges = [("kratom", "sleep"), ("sleep", "depression"), ("kratom", "clinic"), ("depression", "clinic")]
    >>> dag_roles(edges, "kratom", "depression")["role"].tolist()
    ['exposure', 'mediator', 'outcome', 'collider']
    """
    import networkx as nx

    graph = as_digraph(edges)
    _require_nodes(graph, exposure=exposure, outcome=outcome)
    if exposure == outcome:
        raise DagError("exposure and outcome must be different nodes")
    without_exposure = graph.subgraph([n for n in graph if n != exposure])
    anc_exposure = nx.ancestors(graph, exposure)
    anc_outcome_direct = nx.ancestors(without_exposure, outcome)
    desc_exposure = nx.descendants(graph, exposure)
    anc_outcome = nx.ancestors(graph, outcome)
    colliders = _colliders_on_paths(graph, exposure, outcome)
    rows = {}
    for node in graph:
        flags = {
            "confounder": node in anc_exposure and node in anc_outcome_direct,
            "mediator": node in desc_exposure and node in anc_outcome,
            "collider": node in colliders,
        }
        if node == exposure:
            role = "exposure"
        elif node == outcome:
            role = "outcome"
        else:
            role = next((r for r in ("confounder", "mediator", "collider") if flags[r]), "other")
        rows[node] = {"role": role, **flags}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "node"
    return frame


def _skeleton_paths(graph: Any, source: Hashable, target: Hashable) -> list[list[Hashable]]:
    import networkx as nx

    paths = []
    for path in nx.all_simple_paths(graph.to_undirected(as_view=True), source, target):
        paths.append(path)
        if len(paths) > MAX_PATHS:
            raise DagError(
                f"more than {MAX_PATHS} paths join {source!r} and {target!r}; these helpers are for small "
                "teaching diagrams — simplify the diagram"
            )
    return paths


def _is_collider(graph: Any, before: Hashable, node: Hashable, after: Hashable) -> bool:
    return graph.has_edge(before, node) and graph.has_edge(after, node)


def _colliders_on_paths(graph: Any, exposure: Hashable, outcome: Hashable) -> set[Hashable]:
    """Nodes that are a collider on at least one simple path between exposure and outcome.

    ``c`` is one exactly when two of its parents ``a`` and ``b`` can be joined to the exposure
    and the outcome by two vertex-disjoint paths that avoid ``c`` (then ``exposure … a → c ← b … outcome``
    is a simple path).  Checked with a max-flow (node connectivity) from {exposure, outcome} to
    {a, b}, so it stays fast on dense diagrams where listing every path would not.
    """
    import networkx as nx

    found: set[Hashable] = set()
    skeleton = graph.to_undirected()
    source, sink = ("__source__",), ("__sink__",)
    for node in graph:
        if node in (exposure, outcome):
            continue
        parents = list(graph.predecessors(node))
        rest = skeleton.subgraph([n for n in skeleton if n != node]).copy()
        rest.add_edges_from([(source, exposure), (source, outcome)])
        for a, b in combinations(parents, 2):
            flow = rest.copy()
            flow.add_edges_from([(a, sink), (b, sink)])
            if nx.node_connectivity(flow, source, sink) >= 2:
                found.add(node)
                break
    return found


# ------------------------------------------------------------------ paths and adjustment


def dag_paths(
    edges: Any, exposure: Hashable, outcome: Hashable, adjusted: Iterable[Hashable] = ()
) -> pd.DataFrame:
    """Every path between exposure and outcome, its kind, and whether it is open.

    A path is **open** (transmits association) given the adjusted set when every
    non-collider on it is unadjusted and every collider on it is adjusted for or
    has an adjusted descendant.  ``kind`` is ``"causal"`` (all arrows point from
    exposure to outcome), ``"back-door"`` (starts with an arrow *into* the
    exposure) or ``"non-causal"`` (any other path, e.g. through a collider).

    Returns
    -------
    pandas.DataFrame
        One row per path: ``path`` (drawn with arrows), ``kind``, ``open``,
        ``colliders`` (names on the path, comma-separated).

    Examples
    --------
    >>> edges = [("pain", "kratom"), ("pain", "depression"), ("kratom", "depression")]
    >>> dag_paths(edges, "kratom", "depression", adjusted=["pain"])[["path", "open"]].values.tolist()
    [['kratom → depression', True], ['kratom ← pain → depression', False]]
    """
    import networkx as nx

    graph = as_digraph(edges)
    adjusted = set(adjusted)
    _require_nodes(graph, exposure=exposure, outcome=outcome, adjusted=adjusted)
    rows = []
    for path in _skeleton_paths(graph, exposure, outcome):
        text = str(path[0])
        forward = True
        for a, b in zip(path, path[1:]):
            if graph.has_edge(a, b):
                text += f" → {b}"
            else:
                text += f" ← {b}"
                forward = False
        colliders, is_open = [], True
        for before, node, after in zip(path, path[1:], path[2:]):
            if _is_collider(graph, before, node, after):
                colliders.append(str(node))
                if node not in adjusted and not (nx.descendants(graph, node) & adjusted):
                    is_open = False
            elif node in adjusted:
                is_open = False
        kind = "causal" if forward else ("back-door" if graph.has_edge(path[1], path[0]) else "non-causal")
        rows.append({"path": text, "kind": kind, "open": is_open, "colliders": ", ".join(colliders)})
    order = {"causal": 0, "back-door": 1, "non-causal": 2}
    # a fixed order (kind, then length, then text): networkx's path search order can depend on hashing
    rows.sort(key=lambda r: (order[r["kind"]], len(r["path"]), r["path"]))
    return pd.DataFrame(rows, columns=["path", "kind", "open", "colliders"])


def satisfies_backdoor(
    edges: Any, exposure: Hashable, outcome: Hashable, adjusted: Iterable[Hashable]
) -> bool:
    """Whether ``adjusted`` satisfies the back-door criterion for exposure → outcome.

    The criterion (Pearl): no adjusted variable is a descendant of the exposure,
    and the adjusted set blocks every path that starts with an arrow into the
    exposure — checked as d-separation of exposure and outcome in the diagram
    with the exposure's outgoing arrows removed.

    Examples
    --------
    >>> edges = [("pain", "kratom"), ("pain", "depression"), ("kratom", "depression")]
    >>> satisfies_backdoor(edges, "kratom", "depression", []), satisfies_backdoor(edges, "kratom", "depression", ["pain"])
    (False, True)
    """
    import networkx as nx

    graph = as_digraph(edges)
    adjusted = set(adjusted)
    _require_nodes(graph, exposure=exposure, outcome=outcome, adjusted=adjusted)
    if {exposure, outcome} & adjusted:
        raise DagError("the adjusted set cannot contain the exposure or the outcome")
    if adjusted & nx.descendants(graph, exposure):
        return False
    return _blocks_backdoor(graph, exposure, outcome, adjusted)


def _blocks_backdoor(graph: Any, exposure: Hashable, outcome: Hashable, adjusted: set[Hashable]) -> bool:
    import networkx as nx

    cut = graph.copy()
    cut.remove_edges_from(list(graph.out_edges(exposure)))
    return bool(nx.is_d_separator(cut, {exposure}, {outcome}, set(adjusted)))


def backdoor_adjustment_sets(
    edges: Any,
    exposure: Hashable,
    outcome: Hashable,
    *,
    unobserved: Iterable[Hashable] = (),
    minimal: bool = False,
) -> list[tuple[Hashable, ...]]:
    """All sets of measured variables that satisfy the back-door criterion.

    Every subset of the candidate variables (all nodes except the exposure, the
    outcome, the exposure's descendants and the ``unobserved`` ones) is checked.

    Parameters
    ----------
    edges, exposure, outcome
        The diagram and the effect of interest.
    unobserved : iterable, optional
        Variables that were not measured and so cannot be adjusted for.
    minimal : bool, default False
        Only the sets none of whose proper subsets is also valid.

    Returns
    -------
    list of tuple
        Sorted by size then by node order; ``[()]`` means no adjustment is
        needed, ``[]`` means no set of measured variables works.

    Raises
    ------
    DagError
        Unknown node names, or more than 16 candidate variables (too many subsets).

    Examples
    --------
    >>> edges = [("U", "kratom"), ("U", "depression"), ("kratom", "depression")]
    >>> backdoor_adjustment_sets(edges, "kratom", "depression", unobserved=["U"])
    []
    """
    import networkx as nx

    graph = as_digraph(edges)
    hidden = set(unobserved)
    _require_nodes(graph, exposure=exposure, outcome=outcome, unobserved=hidden)
    excluded = {exposure, outcome} | nx.descendants(graph, exposure) | hidden
    candidates = [n for n in graph if n not in excluded]
    if len(candidates) > MAX_CANDIDATES:
        raise DagError(
            f"{len(candidates)} candidate variables means {2 ** len(candidates):,} subsets to check; "
            f"this helper handles at most {MAX_CANDIDATES}. Use networkx.find_minimal_d_separator for larger graphs."
        )
    valid: list[tuple[Hashable, ...]] = []
    for size in range(len(candidates) + 1):
        for subset in combinations(candidates, size):
            if minimal and any(set(v) <= set(subset) for v in valid):
                continue
            if _blocks_backdoor(graph, exposure, outcome, set(subset)):
                valid.append(subset)
    return valid


# ------------------------------------------------------------------ drawing


def layered_positions(edges: Any) -> dict[Hashable, tuple[float, float]]:
    """Deterministic left-to-right positions: causes left of their effects.

    Each node's column is its topological generation; nodes within a column are
    spread vertically in order of first appearance.

    Examples
    --------
    >>> layered_positions([("a", "b"), ("a", "c")])
    {'a': (0.0, 0.0), 'b': (2.0, 0.75), 'c': (2.0, -0.75)}
    """
    import networkx as nx

    graph = as_digraph(edges)
    order = {node: i for i, node in enumerate(graph)}
    positions = {}
    for column, generation in enumerate(nx.topological_generations(graph)):
        nodes = sorted(generation, key=order.__getitem__)
        for k, node in enumerate(nodes):
            positions[node] = (2.0 * column, 1.5 * ((len(nodes) - 1) / 2 - k))
    return {node: positions[node] for node in graph}


def draw_dag(
    edges: Any,
    positions: Mapping[Hashable, tuple[float, float]] | None = None,
    *,
    exposure: Hashable | None = None,
    outcome: Hashable | None = None,
    highlight: bool | Mapping[Hashable, str] = True,
    adjusted: Iterable[Hashable] = (),
    unobserved: Iterable[Hashable] = (),
    paths: Sequence[Sequence[Hashable]] = (),
    labels: Mapping[Hashable, str] | None = None,
    label_side: Mapping[Hashable, str] | None = None,
    title: str | None = None,
    legend: bool = True,
    ax: Any = None,
) -> Any:
    """Draw a causal diagram with fixed positions and role-coded nodes.

    Parameters
    ----------
    edges
        The arrows (see the module docstring for accepted forms).
    positions : mapping node -> (x, y), optional
        Where each node sits; default :func:`layered_positions` (or the
        ``"positions"`` entry when ``edges`` is a mapping that has one).
    exposure, outcome : node, optional
        When both are given and ``highlight`` is True, every node's role is found
        with :func:`dag_roles` and drawn with its own marker shape and colour.
    highlight : bool or mapping node -> role
        True: show detected roles; False: draw all nodes alike; a mapping sets
        roles by hand (keys of :data:`ROLE_STYLES`), overriding detected ones.
    adjusted : iterable
        Variables adjusted for (stratified, conditioned or selected on): drawn in
        a black square frame.
    unobserved : iterable
        Unmeasured variables: hollow marker with a dashed outline, dashed arrows.
    paths : sequence of node sequences
        Paths to emphasise (e.g. an open back-door path): their arrows are drawn
        thick and dashed.
    labels : mapping node -> text, optional
        Display names (default: the node names).
    label_side : mapping node -> {"below", "above", "left", "right"}, optional
        Where a node's name goes relative to its marker.  By default a name
        goes above a node that sits higher than the average of its neighbours
        (so arrows leave it downwards) and below otherwise; override it when an
        arrow would still cross the name.
    title : str, optional
    legend : bool, default True
        A legend naming each role shown (shape + colour + words).
    ax : matplotlib Axes, optional
        Draw into this Axes; by default a new figure sized to the diagram.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = draw_dag([("pain", "kratom"), ("pain", "depression"), ("kratom", "depression")],
    ...               {"pain": (1, 1), "kratom": (0, 0), "depression": (2, 0)},
    ...               exposure="kratom", outcome="depression")
    >>> sorted(t.get_text() for t in ax.texts if t.get_text())
    ['depression', 'kratom', 'pain']
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if positions is None and isinstance(edges, Mapping) and "positions" in edges:
        positions = edges["positions"]
    graph = as_digraph(edges)
    adjusted, unobserved = set(adjusted), set(unobserved)
    _require_nodes(graph, adjusted=adjusted, unobserved=unobserved)
    pos = dict(layered_positions(graph) if positions is None else positions)
    missing = [n for n in graph if n not in pos]
    if missing:
        raise DagError(f"positions are missing for: {', '.join(repr(n) for n in missing)}; give (x, y) for every node")
    roles = _node_roles(graph, exposure, outcome, highlight)
    labels = {n: str(n) for n in graph} | dict(labels or {})
    emphasised = {(a, b) for path in paths for a, b in zip(path, path[1:])}

    if ax is None:
        xs = [p[0] for p in pos.values()]
        ys = [p[1] for p in pos.values()]
        width = min(14.0, max(7.0, 2.0 * (max(xs) - min(xs)) + 4.0))
        height = min(9.0, max(3.5, 1.6 * (max(ys) - min(ys)) + 2.8))
        _, ax = plt.subplots(figsize=(width, height))
    sides = {n: _default_side(graph, pos, n) for n in graph} | dict(label_side or {})
    bad_sides = {n: s for n, s in sides.items() if s not in _LABEL_OFFSETS}
    if bad_sides:
        raise DagError(f"label_side must be one of {', '.join(_LABEL_OFFSETS)}; got {bad_sides!r}")
    marker_size = 26.0  # points (diameter)
    def shrink(node: Hashable) -> float:  # stop arrows at the frame or ring drawn around a node
        extra = 14 if node in adjusted else (12 if node in unobserved else 0)
        return (marker_size + extra) / 2 + 5

    for cause, effect in graph.edges:
        key_on = (cause, effect) in emphasised or (effect, cause) in emphasised
        dashed = key_on or cause in unobserved
        ax.annotate(
            "",
            xy=pos[effect],
            xytext=pos[cause],
            arrowprops={
                "arrowstyle": "-|>,head_length=0.8,head_width=0.4",
                "color": "#000000" if key_on else "#444444",
                "lw": 3.2 if key_on else 1.8,
                "linestyle": (0, (5, 3)) if dashed else "-",
                "shrinkA": shrink(cause),
                "shrinkB": shrink(effect),
            },
            zorder=1,
        )
    for node in graph:
        style = ROLE_STYLES[roles[node]]
        hollow = node in unobserved
        ax.plot(
            *pos[node],
            marker=style["marker"],
            markersize=marker_size,
            markerfacecolor="white" if hollow else style["color"],
            markeredgecolor=style["color"] if hollow else "#222222",
            markeredgewidth=2.5 if hollow else 1.2,
            linestyle="none",
            zorder=3,
        )
        if hollow:  # a dashed ring makes "unmeasured" visible without colour
            ax.plot(*pos[node], marker="o", markersize=marker_size + 12, markerfacecolor="none",
                    markeredgecolor="#222222", markeredgewidth=1.2, linestyle="none", zorder=2,
                    dashes=(2, 2))
        if node in adjusted:
            ax.plot(*pos[node], marker="s", markersize=marker_size + 14, markerfacecolor="none",
                    markeredgecolor="#000000", markeredgewidth=2.5, linestyle="none", zorder=2)
        dx, dy, ha, va = _LABEL_OFFSETS[sides[node]]
        gap = marker_size / 2 + (17 if node in adjusted or node in unobserved else 10)
        ax.annotate(
            labels[node] + (" (unmeasured)" if hollow else ""),
            xy=pos[node],
            xytext=(dx * gap, dy * gap),
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=13,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
            zorder=4,
        )
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 1.0, max(xs) + 1.0)
    ax.set_ylim(min(ys) - 0.9, max(ys) + 0.7)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    if legend:
        handles = []
        for role in _ROLE_ORDER:
            if role in roles.values():
                st = ROLE_STYLES[role]
                handles.append(Line2D([], [], marker=st["marker"], color=st["color"], markeredgecolor="#222222",
                                      linestyle="none", markersize=12, label=st["label"]))
        if adjusted:
            handles.append(Line2D([], [], marker="s", markerfacecolor="none", markeredgecolor="#000000",
                                  markeredgewidth=2, linestyle="none", markersize=14, label="adjusted for (framed)"))
        if unobserved:
            handles.append(Line2D([], [], color="#444444", linestyle=(0, (5, 3)), lw=1.8,
                                  label="unmeasured (dashed)"))
        if emphasised:
            handles.append(Line2D([], [], color="#000000", linestyle=(0, (5, 3)), lw=3.2,
                                  label="highlighted path (thick)"))
        if handles:
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=12)
    return ax


def _default_side(graph: Any, pos: Mapping[Hashable, tuple[float, float]], node: Hashable) -> str:
    neighbours = list(graph.predecessors(node)) + list(graph.successors(node))
    if not neighbours:
        return "below"
    mean_y = sum(pos[n][1] for n in neighbours) / len(neighbours)
    return "above" if pos[node][1] > mean_y + 1e-9 else "below"


def _node_roles(graph: Any, exposure: Any, outcome: Any, highlight: Any) -> dict[Hashable, str]:
    roles = {n: "other" for n in graph}
    if exposure is not None:
        _require_nodes(graph, exposure=exposure)
    if outcome is not None:
        _require_nodes(graph, outcome=outcome)
    if highlight is False:
        return roles
    if exposure is not None and outcome is not None:
        roles.update(dag_roles(graph, exposure, outcome)["role"].to_dict())
    else:
        if exposure is not None:
            roles[exposure] = "exposure"
        if outcome is not None:
            roles[outcome] = "outcome"
    if isinstance(highlight, Mapping):
        _require_nodes(graph, highlight=list(highlight))
        for node, role in highlight.items():
            if role not in ROLE_STYLES:
                raise DagError(f"unknown role {role!r} for {node!r}; roles are: {', '.join(ROLE_STYLES)}")
            roles[node] = role
    return roles
