"""Peak concurrent demand: the heaviest antichain of a DAG (placer.optimize.antichain)."""

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from placer.optimize.antichain import LeastFlow, heaviest_antichain, least_flow, peak

DIAMOND = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]


def test_parallel_branches_add_up_and_sequences_do_not():
    assert peak("abcd", DIAMOND, {"a": 5, "b": 2, "c": 3, "d": 1}) == 5
    assert peak("abcd", DIAMOND, {"a": 1, "b": 2, "c": 3, "d": 1}) == 5
    assert heaviest_antichain("abcd", DIAMOND, {"b": 2, "c": 3})[1] == ("b", "c")
    assert peak("abc", [("a", "b"), ("b", "c")], {"a": 1, "b": 2, "c": 3}) == 3


def test_two_chains_pair_their_heaviest_steps():
    # a -> b -> c and a -> d -> e: b or c runs beside d or e; best pair c (3) + d (4).
    edges = [("a", "b"), ("b", "c"), ("a", "d"), ("d", "e")]
    assert peak("abcde", edges, {"b": 2, "c": 3, "d": 4, "e": 1}) == 7


def test_a_long_chain_does_not_recurse_too_deep():
    names = [f"s{i}" for i in range(3000)]
    edges = list(zip(names, names[1:], strict=False))
    assert peak(names, edges, {n: 1.0 for n in names}) == 1.0


@st.composite
def dags(draw):
    n = draw(st.integers(1, 7))
    edges = [(u, v) for u in range(n) for v in range(u + 1, n) if draw(st.booleans())]
    weights = draw(st.lists(st.sampled_from([0, 0.5, 1, 2, 3.5]), min_size=n, max_size=n))
    return n, edges, weights


def _reach(n, edges):
    reach = {i: set() for i in range(n)}
    for u, v in sorted(edges, reverse=True):
        reach[u] |= {v} | reach[v]
    return reach


@settings(max_examples=200, deadline=None)
@given(dags())
def test_peak_equals_brute_force_over_all_antichains(case):
    n, edges, weights = case
    reach = _reach(n, edges)
    best = 0.0
    for k in range(1, n + 1):
        for group in itertools.combinations(range(n), k):
            if all(b not in reach[a] for a in group for b in group if a != b):
                best = max(best, sum(weights[i] for i in group))
    names = [str(i) for i in range(n)]
    value, chosen = heaviest_antichain(
        names, [(str(u), str(v)) for u, v in edges], dict(zip(names, weights, strict=True))
    )
    ids = [int(c) for c in chosen]
    assert abs(value - best) < 1e-9
    assert all(b not in reach[a] for a in ids for b in ids if a != b)  # really an antichain
    assert abs(sum(weights[i] for i in ids) - best) < 1e-9


@st.composite
def sparse_dags(draw):
    """Larger DAGs with few weighted steps: the network over the weighted steps alone."""
    n = draw(st.integers(8, 14))
    edges = [(u, v) for u in range(n) for v in range(u + 1, n) if draw(st.integers(0, 4)) == 0]
    weights = draw(st.lists(st.sampled_from([0, 0, 0, 0, 0, 0, 1, 2.5]), min_size=n, max_size=n))
    return n, edges, weights


@settings(max_examples=200, deadline=None)
@given(sparse_dags())
def test_peak_over_the_weighted_steps_alone_equals_brute_force(case):
    n, edges, weights = case
    reach = _reach(n, edges)
    heavy = [i for i in range(n) if weights[i] > 0]
    best = 0.0
    for k in range(1, len(heavy) + 1):
        for group in itertools.combinations(heavy, k):
            if all(b not in reach[a] for a in group for b in group if a != b):
                best = max(best, sum(weights[i] for i in group))
    names = [str(i) for i in range(n)]
    value, chosen = heaviest_antichain(
        names, [(str(u), str(v)) for u, v in edges], dict(zip(names, weights, strict=True))
    )
    ids = [int(c) for c in chosen]
    assert abs(value - best) < 1e-9
    assert all(b not in reach[a] for a in ids for b in ids if a != b)
    assert abs(sum(weights[i] for i in ids) - best) < 1e-9


def test_a_chain_through_unweighted_steps_still_orders_its_ends():
    # a -> x -> y -> b: only a and b are weighted, and they are ordered through x and y.
    names = ["a", "x", "y", "b", "c", "d", "e", "f", "g"]
    edges = [("a", "x"), ("x", "y"), ("y", "b")]
    assert peak(names, edges, {"a": 3, "b": 2}) == 3
    assert peak(names, edges, {"a": 3, "b": 2, "g": 1}) == 4


# -- LeastFlow: the greedy repair re-measures a pool's peak without one step from it -------


def test_least_flow_re_measures_the_peak_when_a_step_leaves():
    # start -> {a, b, c} -> join; a -> a2 -> join. Weights: a 3, a2 5, b 4, c 2.
    # Antichains: {a, b, c} = 9, {a2, b, c} = 11 (the peak); without a2: {a, b, c} = 9;
    # without b as well: {a, c} = 5 or {a2, c} = 7.
    nodes = ("start", "a", "a2", "b", "c", "join")
    edges = (("start", "a"), ("start", "b"), ("start", "c"), ("a", "a2"))
    edges += (("a2", "join"), ("b", "join"), ("c", "join"))
    weight = {"a": 3.0, "a2": 5.0, "b": 4.0, "c": 2.0}
    flow = LeastFlow.build(nodes, edges, weight)
    assert flow.value == pytest.approx(11.0)
    assert flow.antichain() == ("a2", "b", "c")
    assert flow.without("a2").value == pytest.approx(9.0)
    assert flow.without("a2").antichain() == ("a", "b", "c")
    assert flow.without("b").value == pytest.approx(7.0)
    assert flow.without("a2").without("b").value == pytest.approx(5.0)
    assert flow.value == pytest.approx(11.0)  # the original is left as it was


@pytest.mark.parametrize("seed", range(3))
def test_least_flow_agrees_with_heaviest_antichain_on_random_dags(seed):
    rng = random.Random(seed)
    nodes = tuple(f"n{i}" for i in range(40))
    edges = tuple(sorted({(nodes[p], nodes[i]) for i in range(1, 40) for p in _parents(rng, i)}))
    weight = {n: float(rng.choice([0, 1, 2, 4, 8])) for n in nodes}
    flow = LeastFlow.build(nodes, edges, weight)
    for gone in rng.sample(nodes, 8):
        assert least_flow(nodes, edges, weight).whole  # the network LeastFlow.build makes
        expected = heaviest_antichain(nodes, edges, weight)
        assert (flow.value, flow.antichain()) == (pytest.approx(expected[0]), expected[1])
        weight[gone] = 0.0
        flow = flow.without(gone)


def _parents(rng: random.Random, i: int) -> list[int]:
    return rng.sample(range(i), min(i, rng.choice([1, 1, 2, 3])))
