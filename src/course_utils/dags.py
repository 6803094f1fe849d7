"""Causal diagrams (DAGs): draw them, name the roles of their variables, find adjustment sets.

A causal diagram is a list of arrows ``(cause, effect)``.  This module

* draws a diagram with fixed, readable positions (:func:`draw_dag`), showing the
  role of each variable by marker **shape and colour** (never colour alone),
  adjusted variables in a frame and unmeasured ones with a dashed outline.  Each
  variable is a box holding its marker and its name; the figure is as wide as the
  boxes need, so names stay at least 14 px high when it is shown 1024 px wide, and
  arrows are routed around the boxes by graphviz (``neato``, Debian's ``graphviz``
  package) so that no arrow crosses a name (straight box-to-box arrows without it);
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
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import pandas as pd

if TYPE_CHECKING:
    import networkx as nx
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

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

#: The forms a diagram's arrows may take (see the module docstring): a ``networkx.DiGraph``,
#: a two-column DataFrame, a mapping (``{parent: [children]}`` or one with an ``"edges"`` key)
#: or a list of ``(cause, effect)`` pairs (or ``(cause, effect, coefficient)`` triples).
Edges: TypeAlias = "nx.DiGraph | pd.DataFrame | Mapping[Hashable, object] | Iterable[Sequence[Hashable]]"

MAX_CANDIDATES = 16
MAX_PATHS = 500


class DagError(ValueError):
    """The diagram is not a valid directed acyclic graph, or a name is not in it."""


# ------------------------------------------------------------------ input


def as_digraph(edges: Edges) -> nx.DiGraph:
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
        pairs: list[tuple[Hashable, object]] = []
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


def dag_roles(edges: Edges, exposure: Hashable, outcome: Hashable) -> pd.DataFrame:
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

    Parameters
    ----------
    edges : Edges
        The diagram's arrows (see the module docstring for the accepted forms).
    exposure, outcome : node
        The exposure and the outcome; two different nodes of the diagram.

    Raises
    ------
    DagError
        An invalid diagram, a name that is not a node, or exposure == outcome.

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
    edges: Edges, exposure: Hashable, outcome: Hashable, adjusted: Iterable[Hashable] = ()
) -> pd.DataFrame:
    """Every path between exposure and outcome, its kind, and whether it is open.

    A path is **open** (transmits association) given the adjusted set when every
    non-collider on it is unadjusted and every collider on it is adjusted for or
    has an adjusted descendant.  ``kind`` is ``"causal"`` (all arrows point from
    exposure to outcome), ``"back-door"`` (starts with an arrow *into* the
    exposure) or ``"non-causal"`` (any other path, e.g. through a collider).

    Parameters
    ----------
    edges : Edges
        The diagram's arrows (see the module docstring for the accepted forms).
    exposure, outcome : node
        The two ends of the paths.
    adjusted : iterable of nodes, optional
        The variables adjusted for (default none).

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
    rows.sort(key=lambda r: (order[str(r["kind"])], len(str(r["path"])), str(r["path"])))
    return pd.DataFrame(rows, columns=["path", "kind", "open", "colliders"])


def satisfies_backdoor(
    edges: Edges, exposure: Hashable, outcome: Hashable, adjusted: Iterable[Hashable]
) -> bool:
    """Whether ``adjusted`` satisfies the back-door criterion for exposure → outcome.

    The criterion (Pearl): no adjusted variable is a descendant of the exposure,
    and the adjusted set blocks every path that starts with an arrow into the
    exposure — checked as d-separation of exposure and outcome in the diagram
    with the exposure's outgoing arrows removed.

    Parameters
    ----------
    edges : Edges
        The diagram's arrows (see the module docstring for the accepted forms).
    exposure, outcome : node
        The effect of interest.
    adjusted : iterable of nodes
        The proposed adjustment set (it may be empty).

    Returns
    -------
    bool
        True if adjusting for ``adjusted`` closes every back-door path and adds no
        bias through a descendant of the exposure.

    Raises
    ------
    DagError
        A name that is not a node, or an adjusted set holding the exposure or outcome.

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
    edges: Edges,
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


def layered_positions(edges: Edges) -> dict[Hashable, tuple[float, float]]:
    """Deterministic left-to-right positions: causes left of their effects.

    Each node's column is its topological generation; nodes within a column are
    spread vertically in order of first appearance.

    Parameters
    ----------
    edges : Edges
        The diagram's arrows (see the module docstring for the accepted forms).

    Returns
    -------
    dict
        Node -> ``(x, y)``: columns 2 apart, rows 1.5 apart, centred on ``y = 0``.

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
    edges: Edges,
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
    ax: Axes | None = None,
) -> Axes:
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
        The Axes drawn into.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = draw_dag([("pain", "kratom"), ("pain", "depression"), ("kratom", "depression")],
    ...               {"pain": (1, 1), "kratom": (0, 0), "depression": (2, 0)},
    ...               exposure="kratom", outcome="depression")
    >>> sorted(t.get_text() for t in ax.texts if t.get_text())
    ['depression', 'kratom', 'pain']
    >>> import matplotlib.pyplot as plt
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if positions is None and isinstance(edges, Mapping) and "positions" in edges:
        positions = cast("Mapping[Hashable, tuple[float, float]]", edges["positions"])
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
    sides = {n: "below" for n in graph} | dict(label_side or {})
    bad_sides = {n: s for n, s in sides.items() if s not in _LABEL_OFFSETS}
    if bad_sides:
        raise DagError(f"label_side must be one of {', '.join(_LABEL_OFFSETS)}; got {bad_sides!r}")

    # 1. Each node is a box holding its marker and its (wrapped) name, sized in points.  In a
    #    caller's figure the names grow with its width, so they stay legible at 1024 px.
    font_pt = DAG_FONT_PT if ax is None else max(DAG_FONT_PT, legible_points(float(cast("Figure", ax.figure).get_size_inches()[0])))
    texts = {n: _wrap(labels[n] + (" (unmeasured)" if n in unobserved else "")) for n in graph}
    boxes = {n: _node_box(texts[n], sides[n], font_pt, framed=n in adjusted or n in unobserved) for n in graph}
    # 2. Spread the given positions just enough that no two boxes touch; 3. route the arrows
    #    around the boxes (graphviz), or straight from box edge to box edge without it.
    scale = _spread(pos, boxes)
    centres = {n: (pos[n][0] * scale, pos[n][1] * scale) for n in graph}
    routes = _route_edges(graph, centres, boxes)

    xs = [centres[n][0] + sx * boxes[n][0] / 2 for n in graph for sx in (-1, 1)]
    ys = [centres[n][1] + sy * boxes[n][1] / 2 for n in graph for sy in (-1, 1)]
    margin = 12.0
    xlim = (min(xs) - margin, max(xs) + margin)
    ylim = (min(ys) - margin, max(ys) + margin + (font_pt * 2.2 if title else 0))
    legend_rows = 0
    handles = []
    if legend:
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
    ncol = 1
    if ax is None:
        # the figure is as wide as the diagram, its title and its legend need
        width_pt, height_pt = xlim[1] - xlim[0], ylim[1] - ylim[0]
        if title:
            width_pt = max(width_pt, _text_size(title, font_pt + 1, "bold")[0] + 3 * margin)
        ncol, legend_w = _legend_columns([str(h.get_label()) for h in handles], font_pt, width_pt)
        width_pt = max(width_pt, legend_w + 2 * margin)
        extra = (width_pt - (xlim[1] - xlim[0])) / 2
        xlim = (xlim[0] - extra, xlim[1] + extra)
        legend_rows = -(-len(handles) // ncol) if handles else 0
        legend_pt = legend_rows * font_pt * 1.9 + (8 if legend_rows else 0)
        fig = plt.figure(figsize=(width_pt / 72, (height_pt + legend_pt) / 72), layout="none")
        total = height_pt + legend_pt
        ax = fig.add_axes((0, legend_pt / total, 1, height_pt / total))
    elif handles:
        ncol = min(3, len(handles))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()
    # points per data unit in these axes (1 for a figure drawn here; less in a caller's small axes)
    fig = cast("Figure", ax.figure)  # an Axes drawn into here lives in a Figure, not a SubFigure
    bbox = ax.get_position()
    fig_w, fig_h = fig.get_size_inches()
    k = min(bbox.width * fig_w * 72 / (xlim[1] - xlim[0]), bbox.height * fig_h * 72 / (ylim[1] - ylim[0]))
    k = min(k, 1.0)
    marker_pt = _MARKER_PT * k

    for (cause, effect), verts in routes.items():
        key_on = (cause, effect) in emphasised or (effect, cause) in emphasised
        dashed = key_on or cause in unobserved
        arrow = _arrow(verts, key_on=key_on, dashed=dashed, k=k)
        ax.add_patch(arrow)
        arrow.set_gid(f"dag-edge:{cause}->{effect}")
        arrow._course_polyline = _flatten(verts)
    for node in graph:
        style = ROLE_STYLES[roles[node]]
        hollow = node in unobserved
        w, h = boxes[node]
        cx, cy = centres[node]
        mx, my, tx, ty, ha, va = _inside(sides[node], cx, cy, w, h, font_pt)
        ax.plot(mx, my, marker=style["marker"], markersize=marker_pt,
                markerfacecolor="white" if hollow else style["color"],
                markeredgecolor=style["color"] if hollow else "#222222",
                markeredgewidth=2.5 if hollow else 1.2, linestyle="none", zorder=3)
        if hollow:  # a dashed ring makes "unmeasured" visible without colour
            ax.plot(mx, my, marker="o", markersize=marker_pt + 12 * k, markerfacecolor="none",
                    markeredgecolor="#222222", markeredgewidth=1.2, linestyle="none", zorder=2, dashes=(2, 2))
        if node in adjusted:
            ax.plot(mx, my, marker="s", markersize=marker_pt + 14 * k, markerfacecolor="none",
                    markeredgecolor="#000000", markeredgewidth=2.5, linestyle="none", zorder=2)
        text = ax.text(tx, ty, texts[node], ha=ha, va=va, fontsize=font_pt * k, linespacing=1.1,
                       multialignment="center", zorder=4,
                       bbox={"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
        text.set_gid(f"dag-label:{node}")
    if title:
        ax.text((xlim[0] + xlim[1]) / 2, ylim[1] - margin / 2, title, ha="center", va="top",
                fontsize=(font_pt + 1) * k, fontweight="bold")
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol,
                  frameon=False, fontsize=font_pt * k, handletextpad=0.4, columnspacing=1.2)
    return ax


#: Text of a figure shown 1024 px wide (a projector) must be at least this many pixels high.
LEGIBLE_PX = 14.0


def legible_points(figure_width_in: float, *, shown_px: float = 1024.0, minimum_px: float = LEGIBLE_PX + 1) -> float:
    """Font size (points) that is ``minimum_px`` high when a figure this wide is shown ``shown_px`` wide.

    A figure ``w`` inches wide shown 1024 px wide maps one point to ``1024 / (72 w)`` pixels,
    so a 16-inch figure needs about 17-point text to be 15 px high.

    Examples
    --------
    >>> round(legible_points(16.0), 1)
    16.9
    """
    return minimum_px * 72.0 * figure_width_in / shown_px


#: Font size of a diagram's names (points).  A diagram drawn by :func:`draw_dag` is as wide as
#: its boxes need, so at 1024 px wide its names are at least ``LEGIBLE_PX`` high.
DAG_FONT_PT = 14.0
_MARKER_PT = 24.0
_WRAP = 16
def _wrap(text: str) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, _WRAP, break_long_words=False)) or text


def _text_size(text: str, font_pt: float, weight: str = "normal") -> tuple[float, float]:
    """Width and height of a (multi-line) label in points, as matplotlib renders it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(dpi=72)
    canvas = FigureCanvasAgg(fig)
    t = fig.text(0, 0, text, fontsize=font_pt, linespacing=1.1, multialignment="center", fontweight=weight)
    box = t.get_window_extent(canvas.get_renderer())
    return float(box.width), float(box.height)


def _legend_columns(labels: Sequence[str], font_pt: float, width_pt: float) -> tuple[int, float]:
    """The most legend columns (at most 3) that fit ``width_pt``, and the legend's width then."""
    if not labels:
        return 1, 0.0
    sizes = [_text_size(label, font_pt)[0] + 2.4 * font_pt for label in labels]  # handle and padding
    for ncol in range(min(3, len(labels)), 0, -1):
        columns = [max(sizes[i::ncol]) for i in range(ncol)]
        width = sum(columns) + (ncol - 1) * 1.2 * font_pt
        if width <= width_pt or ncol == 1:
            return ncol, width
    return 1, max(sizes)  # pragma: no cover


def _node_box(text: str, side: str, font_pt: float, *, framed: bool) -> tuple[float, float]:
    tw, th = _text_size(text, font_pt)
    tw, th = tw + 6, th + 4
    m = _MARKER_PT + (16 if framed else 0)
    gap = 4.0
    if side in ("below", "above"):  # 4 pt margin on the marker's side, 10 pt on the name's
        return max(tw, m) + 16, m + gap + th + 14
    return m + gap + tw + 14, max(m, th) + 16


def _inside(side: str, cx: float, cy: float, w: float, h: float,
            font_pt: float) -> tuple[float, float, float, float, str, str]:
    """Marker centre and label anchor inside a node box."""
    half_w, half_h = w / 2 - 4, h / 2 - 4
    m = min(2 * half_w, 2 * half_h, _MARKER_PT + 16)
    if side == "below":
        return cx, cy + half_h - m / 2, cx, cy + half_h - m - 2, "center", "top"
    if side == "above":
        return cx, cy - half_h + m / 2, cx, cy - half_h + m + 2, "center", "bottom"
    if side == "right":
        return cx - half_w + m / 2, cy, cx - half_w + m + 2, cy, "left", "center"
    return cx + half_w - m / 2, cy, cx + half_w - m - 2, cy, "right", "center"


def _spread(pos: Mapping[Hashable, tuple[float, float]], boxes: Mapping[Hashable, tuple[float, float]]) -> float:
    """Points per position unit so that every pair of boxes is at least 28 pt apart along some axis."""
    nodes = list(pos)
    scale = 40.0
    gap = 28.0
    for a, b in combinations(nodes, 2):
        dx, dy = abs(pos[a][0] - pos[b][0]), abs(pos[a][1] - pos[b][1])
        need_x = (boxes[a][0] + boxes[b][0]) / 2 + gap
        need_y = (boxes[a][1] + boxes[b][1]) / 2 + gap
        options = [need_x / dx] if dx > 1e-9 else []
        options += [need_y / dy] if dy > 1e-9 else []
        if options:
            scale = max(scale, min(options))
    return scale


def graphviz_available() -> bool:
    """True when graphviz's ``neato`` is installed (Debian: ``apt-get install graphviz``)."""
    import shutil

    return shutil.which("neato") is not None


def _route_edges(graph: Any, centres: Mapping[Hashable, tuple[float, float]],
                 boxes: Mapping[Hashable, tuple[float, float]]) -> dict[tuple[Hashable, Hashable], list[Any]]:
    """Each arrow as Bezier vertices (points): routed around the boxes by graphviz, else straight."""
    if graphviz_available():
        routed = _graphviz_routes(graph, centres, boxes)
        if routed is not None:
            return routed
    return {(a, b): _straight(centres[a], boxes[a], centres[b], boxes[b]) for a, b in graph.edges}


def _clip_to_box(inside: tuple[float, float], outside: tuple[float, float], box: tuple[float, float]) -> tuple[float, float]:
    (x0, y0), (x1, y1) = inside, outside
    dx, dy = x1 - x0, y1 - y0
    ts = []
    if dx:
        ts.append((box[0] / 2) / abs(dx))
    if dy:
        ts.append((box[1] / 2) / abs(dy))
    t = min(ts) if ts else 0.0
    return (x0 + dx * t, y0 + dy * t)


def _straight(a: tuple[float, float], box_a: tuple[float, float], b: tuple[float, float],
              box_b: tuple[float, float]) -> list[Any]:
    return [("M", _clip_to_box(a, b, box_a)), ("L", _clip_to_box(b, a, box_b))]


def _graphviz_routes(graph: Any, centres: Mapping[Hashable, tuple[float, float]],
                     boxes: Mapping[Hashable, tuple[float, float]]) -> dict[tuple[Hashable, Hashable], list[Any]] | None:
    """Spline routes from graphviz (``neato -n2``: our positions kept, edges routed around nodes)."""
    import json
    import subprocess

    ids = {node: f"n{i}" for i, node in enumerate(graph)}
    lines = ['digraph G {', '  graph [splines=true, outputorder=edgesfirst, esep="+6"];',
             '  node [shape=box, fixedsize=true, label=""];', '  edge [arrowhead=normal, arrowsize=0.9];']
    for node in graph:
        (x, y), (w, h) = centres[node], boxes[node]
        lines.append(f'  {ids[node]} [pos="{x:.2f},{y:.2f}!", width={w / 72:.4f}, height={h / 72:.4f}];')
    for a, b in graph.edges:
        lines.append(f"  {ids[a]} -> {ids[b]};")
    lines.append("}")
    try:
        proc = subprocess.run(["neato", "-n2", "-Tjson"], input="\n".join(lines), capture_output=True,
                              text=True, timeout=60, check=True)
        layout = json.loads(proc.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    names = {obj["_gvid"]: obj["name"] for obj in layout.get("objects", [])}
    back = {v: k for k, v in ids.items()}
    # graphviz translates the drawing (its bounding box starts at 0, 0): undo that
    first = layout["objects"][0]
    gx, gy = (float(v) for v in first["pos"].split(",")[:2])
    ox, oy = centres[back[first["name"]]][0] - gx, centres[back[first["name"]]][1] - gy
    routes = {}
    for edge in layout.get("edges", []):
        a, b = back[names[edge["tail"]]], back[names[edge["head"]]]
        routes[(a, b)] = _spline(edge.get("pos", ""), ox, oy)
    if len(routes) != graph.number_of_edges() or any(not r for r in routes.values()):
        return None
    return routes


def _spline(spec: str, ox: float = 0.0, oy: float = 0.0) -> list[Any]:
    """Graphviz's edge ``pos`` ("e,x,y p0 p1 p2 p3 ...") as Bezier vertices ending at the arrow tip."""
    end = None
    points = []
    for item in spec.split():
        if item.startswith("e,"):
            _, x, y = item.split(",")
            end = (float(x) + ox, float(y) + oy)
        elif item.startswith("s,"):
            continue
        else:
            x, y = item.split(",")[:2]
            points.append((float(x) + ox, float(y) + oy))
    if len(points) < 4:
        return []
    verts: list[Any] = [("M", points[0])]
    for i in range(1, len(points) - 2, 3):
        verts.append(("C", points[i], points[i + 1], points[i + 2]))
    if end is not None:
        verts.append(("L", end))
    return verts


def _flatten(verts: Sequence[Any], steps: int = 12) -> list[tuple[float, float]]:
    """The route as a polyline (Bezier curves sampled) in data coordinates."""
    out: list[tuple[float, float]] = []
    current = (0.0, 0.0)
    for v in verts:
        if v[0] in ("M", "L"):
            current = v[1]
            out.append(current)
        else:
            p0, (p1, p2, p3) = current, v[1:]
            for s in range(1, steps + 1):
                t = s / steps
                u = 1 - t
                out.append((u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                            u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1]))
            current = p3
    return out


def _arrow(verts: Sequence[Any], *, key_on: bool, dashed: bool, k: float) -> Any:
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    points, codes = [], []
    for v in verts:
        if v[0] == "M":
            points.append(v[1]); codes.append(Path.MOVETO)
        elif v[0] == "L":
            points.append(v[1]); codes.append(Path.LINETO)
        else:
            points += list(v[1:]); codes += [Path.CURVE4] * 3
    return FancyArrowPatch(
        path=Path(points, codes),
        arrowstyle="-|>,head_length=0.8,head_width=0.4",
        mutation_scale=10 * k,
        color="#000000" if key_on else "#444444",
        lw=(3.2 if key_on else 1.8) * k,
        linestyle=(0, (5, 3)) if dashed else "-",
        shrinkA=0,
        shrinkB=0,
        zorder=1,
    )


def _segment_hits_box(p: tuple[float, float], q: tuple[float, float], box: Any) -> bool:
    """Liang-Barsky: does the segment p-q pass through the rectangle ``box`` (display coords)?"""
    (x0, y0), (x1, y1) = p, q
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for edge_p, edge_q in ((-dx, x0 - box.x0), (dx, box.x1 - x0), (-dy, y0 - box.y0), (dy, box.y1 - y0)):
        if edge_p == 0:
            if edge_q < 0:
                return False
            continue
        t = edge_q / edge_p
        if edge_p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def label_edge_crossings(ax: Any) -> list[tuple[str, str]]:
    """(node, arrow) pairs of a diagram drawn by :func:`draw_dag` where an arrow crosses a name.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = draw_dag([("a", "b"), ("b", "c"), ("a", "c")], exposure="a", outcome="c")
    >>> label_edge_crossings(ax)
    []
    """
    renderer = ax.figure.canvas.get_renderer()
    found = []
    edges = [(p.get_gid(), ax.transData.transform(p._course_polyline)) for p in ax.patches
             if (p.get_gid() or "").startswith("dag-edge:")]
    for text in ax.texts:
        gid = text.get_gid() or ""
        if not gid.startswith("dag-label:"):
            continue
        box = text.get_window_extent(renderer).padded(-1.0)  # touching the edge of a name is not crossing it
        for edge, line in edges:
            if any(_segment_hits_box(tuple(p), tuple(q), box) for p, q in zip(line[:-1], line[1:])):
                found.append((gid.split(":", 1)[1], edge.split(":", 1)[1]))
    return found


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
