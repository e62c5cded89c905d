"""Peak concurrent demand of a DAG: the heaviest set of steps that can run at the same time.

Two steps can run at the same time when neither is an ancestor of the other, so the peak
is the maximum-weight antichain. By Dilworth's theorem (in its min-flow form) it equals
the least flow from a source to a sink along DAG edges that passes at least `weight(v)`
through every step `v`. The ILP states exactly that flow (see problem.py); this module
computes it for a fixed placement, for checks and baselines: a feasible flow of value
``sum(weights)`` is reduced by a max flow from sink to source (Dinic).

Steps of weight zero cannot add to an antichain, so the network only needs the weighted
steps, joined wherever one reaches another (the order induced by the DAG): with few weighted
steps (a pool's share of a large flow) that network is far smaller than the whole DAG.
The reachability of a DAG is computed once and kept for the next calls.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from functools import lru_cache


class _Net:
    """A residual network with float capacities.

    Arc ``2k`` is the k-th arc as given (tail -> head, "can grow" capacity), arc ``2k + 1``
    its reverse, whose capacity is the flow above the arc's lower bound ("can shrink").
    """

    def __init__(self, size: int) -> None:
        self.adj: list[list[int]] = [[] for _ in range(size)]
        self.to: list[int] = []
        self.cap: list[float] = []
        self.lower: list[float] = []  # per given arc: its lower bound

    def arc(self, u: int, v: int, cap_uv: float, cap_vu: float, lower: float = 0.0) -> None:
        self.adj[u].append(len(self.to))
        self.to.append(v)
        self.cap.append(cap_uv)
        self.adj[v].append(len(self.to))
        self.to.append(u)
        self.cap.append(cap_vu)
        self.lower.append(lower)

    def max_flow(self, s: int, t: int, eps: float) -> float:
        total = 0.0
        while (level := self._levels(s, t, eps)) is not None:
            cursor = [0] * len(self.adj)
            while (pushed := self._push(s, t, level, cursor, eps)) > eps:
                total += pushed
        return total

    def reachable(self, s: int, eps: float) -> list[bool]:
        """Nodes reachable from `s` through arcs with capacity left."""
        seen = [False] * len(self.adj)
        seen[s] = True
        stack = [s]
        while stack:
            u = stack.pop()
            for e in self.adj[u]:
                if self.cap[e] > eps and not seen[self.to[e]]:
                    seen[self.to[e]] = True
                    stack.append(self.to[e])
        return seen

    def _levels(self, s: int, t: int, eps: float) -> list[int] | None:
        level = [-1] * len(self.adj)
        level[s] = 0
        queue = deque([s])
        while queue:
            u = queue.popleft()
            for e in self.adj[u]:
                if self.cap[e] > eps and level[self.to[e]] < 0:
                    level[self.to[e]] = level[u] + 1
                    queue.append(self.to[e])
        return level if level[t] >= 0 else None

    def _push(self, s: int, t: int, level: list[int], cursor: list[int], eps: float) -> float:
        """One augmenting path in the level graph (iterative: paths can be long)."""
        path: list[int] = []
        u = s
        while u != t:
            while cursor[u] < len(self.adj[u]):
                e = self.adj[u][cursor[u]]
                if self.cap[e] > eps and level[self.to[e]] == level[u] + 1:
                    break
                cursor[u] += 1
            else:
                if not path:
                    return 0.0
                level[u] = -1  # a dead end: never enter it again in this phase
                u = self.to[path.pop() ^ 1]
                cursor[u] += 1
                continue
            e = self.adj[u][cursor[u]]
            path.append(e)
            u = self.to[e]
        pushed = min(self.cap[e] for e in path)
        for e in path:
            self.cap[e] -= pushed
            self.cap[e ^ 1] += pushed
        return pushed


def peak(
    nodes: Iterable[str], edges: Iterable[tuple[str, str]], weight: Mapping[str, float]
) -> float:
    """The largest total weight of steps no two of which are ordered by the DAG."""
    return heaviest_antichain(nodes, edges, weight)[0]


def peak_bound(
    nodes: tuple[str, ...], edges: tuple[tuple[str, str], ...], weight: Mapping[str, float]
) -> float:
    """An upper bound on :func:`peak`, in one pass: the value of a greedy flow that chains
    each step's weight on to its children (any flow covering the weights bounds the least).
    """
    w = {n: max(0.0, weight.get(n, 0.0)) for n in nodes}
    _, fed, _ = _chain(nodes, edges, w)
    return sum(w[n] - fed[n] for n in nodes)


def heaviest_antichain(
    nodes: Iterable[str], edges: Iterable[tuple[str, str]], weight: Mapping[str, float]
) -> tuple[float, tuple[str, ...]]:
    """The peak and the steps that reach it (those the final min cut separates)."""
    flow = least_flow(nodes, edges, weight)
    return flow.value, flow.antichain()


def least_flow(
    nodes: Iterable[str], edges: Iterable[tuple[str, str]], weight: Mapping[str, float]
) -> LeastFlow:
    """A least flow covering the weights (its value is the peak) over the smaller network:
    the weighted steps joined by the order they inherit from the DAG when they are few,
    else the whole DAG (``LeastFlow.whole``)."""
    names, edges = tuple(nodes), tuple(edges)
    induced = _induced(names, edges, weight)
    if induced is None:
        return LeastFlow.build(names, edges, weight, whole=True)
    heavy = tuple(n for n in names if weight.get(n, 0.0) > 0)
    return LeastFlow.build(heavy, induced, weight, whole=False)


def whole_dag(nodes: tuple[str, ...], weight: Mapping[str, float]) -> bool:
    """Whether :func:`least_flow` uses the whole DAG for these weights (most are positive)."""
    return sum(1 for n in nodes if weight.get(n, 0.0) > 0) * 4 > len(nodes)


def _flow_value(net: _Net) -> float:
    """Flow out of the source (node 0): the reverse capacity of its arcs (lower bound 0)."""
    return sum(net.cap[e ^ 1] for e in net.adj[0] if e % 2 == 0)


def _chain(
    names: tuple[str, ...], edges: tuple[tuple[str, str], ...], w: Mapping[str, float]
) -> tuple[list[float], dict[str, float], dict[str, float]]:
    """A first flow better than one path per step: greedily pass each step's flow on to a
    child (parents in topological order), so chains share a path. Returns the flow on each
    edge, and per step the flow it receives from parents and passes to children."""
    fed, passed = dict.fromkeys(names, 0.0), dict.fromkeys(names, 0.0)
    down = descendants(names, edges)
    rank = {n: -down[n].bit_count() for n in names}  # ancestors reach more: they come first
    order = sorted(range(len(edges)), key=lambda k: rank[edges[k][0]])
    flows = [0.0] * len(edges)
    for k in order:
        u, v = edges[k]
        amount = min(w[u] - passed[u], w[v] - fed[v])
        if amount > 0:
            flows[k] = amount
            passed[u] += amount
            fed[v] += amount
    return flows, fed, passed


@lru_cache(maxsize=8)
def descendants(nodes: tuple[str, ...], edges: tuple[tuple[str, str], ...]) -> dict[str, int]:
    """Per node, a bitset (bit i = ``nodes[i]``) of the nodes it reaches, itself excluded."""
    bit = {n: 1 << i for i, n in enumerate(nodes)}
    children: dict[str, list[str]] = {n: [] for n in nodes}
    indegree = dict.fromkeys(nodes, 0)
    for u, v in edges:
        if u in bit and v in bit:
            children[u].append(v)
            indegree[v] += 1
    order = [n for n in nodes if indegree[n] == 0]
    for u in order:  # Kahn's algorithm: `order` grows while it is walked
        for v in children[u]:
            indegree[v] -= 1
            if indegree[v] == 0:
                order.append(v)
    down = dict.fromkeys(nodes, 0)
    for u in reversed(order):
        for v in children[u]:
            down[u] |= down[v] | bit[v]
    return down


def _induced(
    nodes: tuple[str, ...], edges: tuple[tuple[str, str], ...], weight: Mapping[str, float]
) -> tuple[tuple[str, str], ...] | None:
    """The order among the weighted nodes as few edges as possible (reduced_order), when
    they are few; None when the whole DAG is the smaller network (weights on most nodes)."""
    if whole_dag(nodes, weight):
        return None
    return reduced_order(nodes, edges, [n for n in nodes if weight.get(n, 0.0) > 0])


class LeastFlow:
    """A least flow covering weighted steps, kept so that the peak once one step leaves is
    re-measured from it: relaxing the step's lower bound and pushing back the flow that can
    now return takes a few augmenting paths (milliseconds at 2000 steps) instead of
    building and solving the network again (a tenth of a second). The greedy repair asks
    that of many steps of one large pool.

    :meth:`antichain` is the steps the residual network separates, the same for every
    least flow of the network (the min cut nearest the sink). ``whole``: the network is
    the whole DAG's (every step a node), not only the weighted steps' order.
    """

    def __init__(
        self, index: dict[str, int], net: _Net, value: float, eps: float, whole: bool
    ) -> None:
        self.index, self.net, self.value, self.eps, self.whole = index, net, value, eps, whole

    @classmethod
    def build(
        cls,
        nodes: Iterable[str],
        edges: Iterable[tuple[str, str]],
        weight: Mapping[str, float],
        whole: bool = True,
    ) -> LeastFlow:
        """The least flow (its value is the peak) for the weighted steps, over the network
        of `nodes` and `edges`: the greedy chain's flow, reduced by a max flow from sink
        to source."""
        names = tuple(nodes)
        index = {n: i for i, n in enumerate(names)}
        edges = tuple((u, v) for u, v in edges if u in index and v in index)
        w = {n: max(0.0, weight.get(n, 0.0)) for n in names}
        big = sum(w.values()) + 1.0
        chained, fed, passed = _chain(names, edges, w)
        net = _Net(2 + 2 * len(names))  # 0 = source, 1 = sink, then (in, out) per node
        for n, i in index.items():
            v_in, v_out = 2 + 2 * i, 3 + 2 * i
            # Residual of arc u->v carrying f >= lb: u->v can grow (big), v->u shrink (f - lb).
            net.arc(0, v_in, big, w[n] - fed[n])  # source -> in, lower bound 0
            net.arc(v_in, v_out, big, 0.0, w[n])  # through: given arc 3i + 1, lower bound w
            net.arc(v_out, 1, big, w[n] - passed[n])  # out -> sink, lower bound 0
        for (u, v), flow in zip(edges, chained, strict=True):
            net.arc(3 + 2 * index[u], 2 + 2 * index[v], big, flow)
        eps = 1e-9 * big
        return cls(index, net, _flow_value(net) - net.max_flow(1, 0, eps=eps), eps, whole)

    def without(self, step: str) -> LeastFlow:
        """The least flow once `step` weighs nothing (this one is left as it is)."""
        if step not in self.index:
            return self  # not a node: it weighed nothing already
        net = _Net(0)
        net.adj, net.to = self.net.adj, self.net.to  # the layout never changes
        net.cap, net.lower = list(self.net.cap), list(self.net.lower)
        k = 3 * self.index[step] + 1
        freed = net.lower[k]
        net.cap[2 * k + 1] += freed  # the flow through it may now shrink to 0
        net.lower[k] = 0.0
        pushed = _augment(net, 1, 0, freed, self.eps)
        return LeastFlow(self.index, net, self.value - pushed, self.eps, self.whole)

    def antichain(self) -> tuple[str, ...]:
        """The heaviest antichain: the steps the final min cut separates."""
        seen = self.net.reachable(1, self.eps)
        return tuple(n for n, i in self.index.items() if seen[3 + 2 * i] and not seen[2 + 2 * i])


def _augment(net: _Net, s: int, t: int, most: float, eps: float) -> float:
    """Push up to `most` more flow from s to t along shortest augmenting paths, each search
    stopping as soon as it reaches t (from a flow that was maximal before one arc grew by
    `most`, the few paths left all pass through it)."""
    pushed = 0.0
    while most - pushed > eps:
        via = [-1] * len(net.adj)
        via[s] = -2
        queue = deque([s])
        while queue and via[t] == -1:
            u = queue.popleft()
            for e in net.adj[u]:
                if net.cap[e] > eps and via[net.to[e]] == -1:
                    via[net.to[e]] = e
                    queue.append(net.to[e])
        if via[t] == -1:
            break
        path, v = [], t
        while v != s:
            path.append(via[v])
            v = net.to[via[v] ^ 1]
        amount = min(most - pushed, *(net.cap[e] for e in path))
        for e in path:
            net.cap[e] -= amount
            net.cap[e ^ 1] += amount
        pushed += amount
    return pushed


def reduced_order(
    nodes: tuple[str, ...], edges: tuple[tuple[str, str], ...], subset: Iterable[str]
) -> tuple[tuple[str, str], ...]:
    """The DAG's order among `subset` as few edges as possible: u -> v when u reaches v and
    no other member of the subset lies between them (the transitive reduction). Chains of the
    subset are exactly the paths of this smaller DAG, so it has the same antichains."""
    down = descendants(nodes, edges)
    position = {n: i for i, n in enumerate(nodes)}
    members = [n for n in subset if n in position]
    mask = 0
    for n in members:
        mask |= 1 << position[n]
    out = []
    for u in members:
        below = down[u] & mask
        covered, rest = 0, below
        while rest:
            low = rest & -rest
            covered |= down[nodes[low.bit_length() - 1]]
            rest ^= low
        direct = below & ~covered
        while direct:
            low = direct & -direct
            out.append((u, nodes[low.bit_length() - 1]))
            direct ^= low
    return tuple(out)
