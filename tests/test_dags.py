"""Tests for course_utils.dags: roles, paths and back-door sets against textbook examples.

Sources:

* [Pearl] Pearl J. Causality, 2nd ed. (Cambridge University Press, 2009), section 3.3.1,
  Figure 3.4 and the text after the back-door definition: Z1 = {X3, X4} and Z2 = {X4, X5}
  satisfy the back-door criterion relative to (Xi, Xj); Z3 = {X4} does not, because it does
  not block the path (Xi, X3, X1, X4, X2, X5, Xj).  (Chapter 3 is public at
  http://bayes.cs.ucla.edu/BOOK-2K/ch3-3.pdf.)
* [M-bias] Greenland S, Pearl J, Robins JM. Causal diagrams for epidemiologic research.
  Epidemiology 1999;10(1):37–48: conditioning on a collider of two independent causes of
  exposure and outcome (the "M" structure) creates bias where none existed.
* The three elementary structures — fork (confounder), chain (mediator), collider — as
  defined in Hernán & Robins, Causal Inference: What If, chapters 6–8.
"""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import io

import matplotlib.pyplot as plt
import networkx as nx
import pandas as pd
import pytest

from course_utils import dags
from course_utils.dags import DagError
from course_utils.seeding import rng

PEARL_3_4 = [
    ("X1", "X3"), ("X1", "X4"), ("X2", "X4"), ("X2", "X5"), ("X3", "Xi"), ("X4", "Xi"),
    ("X4", "Xj"), ("X5", "Xj"), ("Xi", "X6"), ("X6", "Xj"),
]
M_BIAS = [("A", "X"), ("A", "M"), ("B", "M"), ("B", "Y"), ("X", "Y")]


def test_pearl_figure_3_4_backdoor_sets():
    # [Pearl] the two sets named as satisfying the criterion, and the one named as failing
    assert dags.satisfies_backdoor(PEARL_3_4, "Xi", "Xj", ["X3", "X4"])
    assert dags.satisfies_backdoor(PEARL_3_4, "Xi", "Xj", ["X4", "X5"])
    assert not dags.satisfies_backdoor(PEARL_3_4, "Xi", "Xj", ["X4"])
    # the path Pearl names is the one X4 alone leaves open (X4 is a collider on it)
    paths = dags.dag_paths(PEARL_3_4, "Xi", "Xj", adjusted=["X4"]).set_index("path")
    named = "Xi ← X3 ← X1 → X4 ← X2 → X5 → Xj"
    assert paths.loc[named, "open"] and paths.loc[named, "kind"] == "back-door"
    assert paths.loc[named, "colliders"] == "X4"
    minimal = dags.backdoor_adjustment_sets(PEARL_3_4, "Xi", "Xj", minimal=True)
    assert ("X3", "X4") in minimal and ("X4", "X5") in minimal
    assert all("X4" in s for s in dags.backdoor_adjustment_sets(PEARL_3_4, "Xi", "Xj"))
    # X6 lies on the causal path, so no valid set contains it (criterion (i))
    assert not dags.satisfies_backdoor(PEARL_3_4, "Xi", "Xj", ["X3", "X4", "X6"])


def test_m_bias():
    # [M-bias] no adjustment is needed; adjusting for the collider M alone opens X ← A → M ← B → Y
    assert dags.backdoor_adjustment_sets(M_BIAS, "X", "Y", minimal=True) == [()]
    assert not dags.satisfies_backdoor(M_BIAS, "X", "Y", ["M"])
    assert dags.satisfies_backdoor(M_BIAS, "X", "Y", ["M", "A"])
    roles = dags.dag_roles(M_BIAS, "X", "Y")
    assert roles.loc["M", "role"] == "collider"
    assert roles.loc["A", "role"] == "other" and not roles.loc["A", "confounder"]


def test_elementary_structures():
    fork = [("pain", "kratom"), ("pain", "depression")]
    chain = [("kratom", "sleep"), ("sleep", "depression")]
    collider = [("kratom", "clinic"), ("depression", "clinic")]
    assert dags.dag_roles(fork, "kratom", "depression").loc["pain", "role"] == "confounder"
    assert dags.dag_roles(chain, "kratom", "depression").loc["sleep", "role"] == "mediator"
    assert dags.dag_roles(collider, "kratom", "depression").loc["clinic", "role"] == "collider"
    # a fork must be adjusted for; a collider must not be
    assert dags.backdoor_adjustment_sets(fork, "kratom", "depression") == [("pain",)]
    assert dags.dag_paths(collider, "kratom", "depression")["open"].tolist() == [False]
    assert dags.dag_paths(collider, "kratom", "depression", adjusted=["clinic"])["open"].tolist() == [True]
    # an unmeasured common cause leaves no valid set
    hidden = fork + [("kratom", "depression")]
    assert dags.backdoor_adjustment_sets(hidden, "kratom", "depression", unobserved=["pain"]) == []


def _random_dag(seed: int, n: int = 7, p: float = 0.35) -> list[tuple[str, str]]:
    """A random DAG on V0..V{n-1} (arrows from lower to higher index) with a causal path V0 ⇝ V{n-1}."""
    g = rng(seed, "test_dags")
    names = [f"V{i}" for i in range(n)]
    while True:
        edges = [(names[i], names[j]) for i, j in itertools.combinations(range(n), 2) if g.random() < p]
        graph = nx.DiGraph(edges)
        if {names[0], names[-1]} <= set(graph) and nx.has_path(graph, names[0], names[-1]):
            return edges


@pytest.mark.parametrize("seed", range(40))
def test_backdoor_by_d_separation_agrees_with_path_blocking(seed):
    """Two independent algorithms: networkx d-separation (backdoor_adjustment_sets) and listing
    every back-door path and checking it is blocked (dag_paths), on random small DAGs."""
    edges = _random_dag(seed)
    graph = nx.DiGraph(edges)
    exposure, outcome = "V0", "V6"
    descendants = nx.descendants(graph, exposure)
    candidates = [v for v in graph if v not in {exposure, outcome} | descendants]
    valid = set(dags.backdoor_adjustment_sets(edges, exposure, outcome))
    for size in range(len(candidates) + 1):
        for subset in itertools.combinations(candidates, size):
            paths = dags.dag_paths(edges, exposure, outcome, adjusted=subset)
            blocked = not paths.loc[paths["kind"] == "back-door", "open"].any()
            assert (subset in valid) == blocked, (edges, subset)


@pytest.mark.parametrize("seed", range(25))
def test_collider_role_agrees_with_path_listing(seed):
    edges = _random_dag(seed + 100, n=6, p=0.45)
    listed = set()
    for text in dags.dag_paths(edges, "V0", "V5")["colliders"]:
        listed |= {c for c in text.split(", ") if c}
    flagged = set(dags.dag_roles(edges, "V0", "V5").query("collider").index)
    assert flagged == listed


def test_survey_dag_roles_and_adjustment_set():
    from course_utils.simulate import nsduh_like_dag
    from course_utils.simulate.nsduh_like import ADJUSTMENT_SET

    edges = nsduh_like_dag()  # (cause, effect, coefficient) triples are accepted
    sets = dags.backdoor_adjustment_sets(edges, "kratom_py", "AMDEYR", minimal=True)
    assert [set(s) for s in sets] == [set(ADJUSTMENT_SET)]
    roles = dags.dag_roles(edges, "kratom_py", "AMDEYR")
    assert set(roles.query("role == 'confounder'").index) == set(ADJUSTMENT_SET)
    assert roles.loc["KSSLR6MON", "role"] == "collider"  # depression → K6 ← pain → kratom


def test_accepted_edge_forms_give_the_same_graph():
    pairs = [("a", "b"), ("a", "c"), ("b", "c")]
    forms = [
        pairs,
        [(u, v, 0.5) for u, v in pairs],
        nx.DiGraph(pairs),
        {"a": ["b", "c"], "b": "c"},
        pd.DataFrame(pairs, columns=["from", "to"]),
        {"edges": pairs, "positions": {}},
    ]
    for form in forms:
        assert sorted(dags.as_digraph(form).edges) == sorted(pairs)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: dags.as_digraph([("a", "b"), ("b", "c"), ("c", "a")]), DagError, r"cycle \(a → b → c → a\)"),
        (lambda: dags.as_digraph([("a", "a")]), DagError, "arrow to itself"),
        (lambda: dags.as_digraph([("a",)]), DagError, r"edge 0 is \('a',\); each edge must be a pair"),
        (lambda: dags.as_digraph("a -> b"), DagError, "list of \\(cause, effect\\) pairs"),
        (lambda: dags.dag_roles([("a", "b")], "a", "z"), DagError, "outcome 'z' is not a node.*'a', 'b'"),
        (lambda: dags.satisfies_backdoor([("a", "b")], "a", "b", ["a"]), DagError, "cannot contain the exposure"),
        (lambda: dags.draw_dag([("a", "b")], {"a": (0, 0)}), DagError, "positions are missing for: 'b'"),
        (lambda: dags.draw_dag([("a", "b")], highlight={"a": "villain"}), DagError, "unknown role 'villain'"),
        (lambda: dags.draw_dag([("a", "b")], label_side={"a": "top"}), DagError, "label_side must be one of"),
    ],
)
def test_bad_input_messages(call, error, message):
    with pytest.raises(error, match=message):
        call()
    plt.close("all")


def test_too_many_candidates_is_refused():
    star = [(f"C{i}", "X") for i in range(17)] + [(f"C{i}", "Y") for i in range(17)] + [("X", "Y")]
    with pytest.raises(DagError, match="17 candidate variables.*find_minimal_d_separator"):
        dags.backdoor_adjustment_sets(star, "X", "Y")


def _png(ax) -> bytes:
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    plt.close(ax.figure)
    return buffer.getvalue()


def test_draw_dag_is_deterministic_and_codes_roles_by_shape_and_colour():
    edges = [("pain", "kratom"), ("pain", "depression"), ("kratom", "sleep"), ("sleep", "depression"),
             ("kratom", "clinic"), ("depression", "clinic"), ("U", "kratom"), ("U", "depression")]
    pos = {"pain": (1, 1), "kratom": (0, 0), "sleep": (1, 0), "depression": (2, 0), "clinic": (1, -1),
           "U": (1, 2)}
    kwargs = dict(exposure="kratom", outcome="depression", adjusted=["pain"], unobserved=["U"],
                  paths=[["kratom", "U", "depression"]], title="test")
    first = _png(dags.draw_dag(edges, pos, **kwargs))
    second = _png(dags.draw_dag(edges, pos, **kwargs))
    assert first == second
    ax = dags.draw_dag(edges, pos, **kwargs)
    markers = {line.get_marker(): line.get_markerfacecolor() for line in ax.lines}
    shown = {dags.ROLE_STYLES[r]["marker"] for r in ("exposure", "outcome", "confounder", "mediator", "collider")}
    assert shown <= set(markers)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "collider (common effect on a path)" in legend and "adjusted for (framed)" in legend
    assert "U (unmeasured)" in [t.get_text() for t in ax.texts]
    plt.close("all")
    # every role has its own marker shape, so colour is never the only cue
    assert len({s["marker"] for s in dags.ROLE_STYLES.values()}) == len(dags.ROLE_STYLES)


def test_draw_dag_into_given_axes_and_default_layout():
    fig, axes = plt.subplots(1, 2)
    out = dags.draw_dag([("a", "b"), ("b", "c")], ax=axes[1], legend=False)
    assert out is axes[1] and out.get_legend() is None
    assert dags.layered_positions([("a", "b"), ("b", "c")]) == {"a": (0.0, 0.0), "b": (2.0, 0.0), "c": (4.0, 0.0)}
    plt.close(fig)


def test_path_listing_does_not_depend_on_string_hashing():
    """Notebook outputs must not change between kernels (PYTHONHASHSEED differs per process)."""
    import json
    import subprocess
    import sys

    script = (
        "import json; from course_utils import dags; "
        "e=[('adversity','pain'),('adversity','history'),('pain','kratom'),('pain','dep'),"
        "('history','kratom'),('history','dep'),('kratom','dep'),('kratom','survey'),('dep','survey')]; "
        "print(json.dumps(dags.dag_paths(e,'kratom','dep')['path'].tolist()))"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                       env={**__import__("os").environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
    assert len(json.loads(outputs.pop())) == 6
