"""Peak concurrent demand of a DAG: the heaviest set of steps that can run at the same time.

Two steps can run at the same time when neither is an ancestor of the other, so the peak
is the maximum-weight antichain. By Dilworth's theorem (in its min-flow form) it equals
the least flow from a source to a sink along DAG edges that passes at least `weight(v)`
through every step `v`. The ILP states exactly that flow (see problem.py); this module
computes it for a fixed placement, for checks and baselines: a feasible flow of value
``sum(weights)`` is reduced by a max flow from sink to source (Dinic).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping


class _Net:
    """A residual network with float capacities."""

    def __init__(self, size: int) -> None:
        self.adj: list[list[int]] = [[] for _ in range(size)]
        self.to: list[int] = []
        self.cap: list[float] = []

    def arc(self, u: int, v: int, cap_uv: float, cap_vu: float) -> None:
        self.adj[u].append(len(self.to))
        self.to.append(v)
        self.cap.append(cap_uv)
        self.adj[v].append(len(self.to))
        self.to.append(u)
        self.cap.append(cap_vu)

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


def heaviest_antichain(
    nodes: Iterable[str], edges: Iterable[tuple[str, str]], weight: Mapping[str, float]
) -> tuple[float, tuple[str, ...]]:
    """The peak and the steps that reach it (those the final min cut separates)."""
    names = list(nodes)
    total = sum(max(0.0, weight.get(n, 0.0)) for n in names)
    if total <= 0:
        return 0.0, ()
    index = {n: i for i, n in enumerate(names)}
    big = total + 1.0
    net = _Net(2 + 2 * len(names))  # 0 = source, 1 = sink, then (in, out) per node
    for n, i in index.items():
        w = max(0.0, weight.get(n, 0.0))
        v_in, v_out = 2 + 2 * i, 3 + 2 * i
        # Residual of arc a = u->v carrying f >= lb: u->v can grow (big), v->u shrink (f - lb).
        net.arc(0, v_in, big, w)  # source -> in, flow w, lower bound 0
        net.arc(v_in, v_out, big, 0.0)  # through the node, flow w, lower bound w
        net.arc(v_out, 1, big, w)  # out -> sink, flow w, lower bound 0
    for u, v in edges:
        if u in index and v in index:
            net.arc(3 + 2 * index[u], 2 + 2 * index[v], big, 0.0)
    eps = 1e-9 * big
    value = total - net.max_flow(1, 0, eps=eps)
    seen = net.reachable(1, eps)
    chosen = tuple(n for n, i in index.items() if seen[3 + 2 * i] and not seen[2 + 2 * i])
    return value, chosen
