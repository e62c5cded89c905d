"""The flow's DAG: start/end, node types, Metaflow's structural rules, foreach context.

Metaflow's own `FlowGraph` walks every path from `start` (exponential on chains of
splits). Here every rule is checked in one topological pass: each edge carries the stack
of open splits as (split, branch) pairs, a split pushes, its join pops, and a step
reached twice must be reached with the same stack (or be the join that closes it).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from placer.errors import FlowError
from placer.flow._source import Source
from placer.flow._steps import RawStep

_RESERVED = frozenset({"name", "next", "input", "index", "cmd"})
_VALID_NAME = re.compile(r"[a-z0-9_]+")
OpenSplits = tuple[tuple[str, str], ...]  # (split step, branch taken), outermost first


@dataclass(frozen=True)
class Node:
    """A step's place in the DAG."""

    type: str
    foreach_stack: tuple[str, ...]


def build_graph(steps: list[RawStep], source: Source) -> dict[str, Node]:
    """Check the DAG and return every step's node type and enclosing foreach steps."""
    by_name = {s.name: s for s in steps}
    start, end = _start_and_end(by_name, source)
    types = {s.name: _node_type(s, start, end) for s in steps}
    _Checker(by_name, types, source, start, end).check_steps()
    order = _topological(by_name, types, start, source)
    stacks = _Walk(by_name, types, source).run(order, end)
    return {
        name: Node(types[name], tuple(s for s, _ in stacks[name] if types[s] == "foreach"))
        for name in by_name
    }


def _start_and_end(steps: Mapping[str, RawStep], source: Source) -> tuple[str, str]:
    if len(steps) == 1:
        only = next(iter(steps))
        return only, only
    return _resolve(steps, source, "start"), _resolve(steps, source, "end")


def _resolve(steps: Mapping[str, RawStep], source: Source, role: str) -> str:
    marked = [s for s in steps.values() if getattr(s, f"is_{role}")]
    if len(marked) > 1:
        names = ", ".join(s.name for s in marked)
        raise FlowError(
            f"several steps are marked @step({role}=True): {names}",
            marked[1].where(),
            f"keep {role}=True on exactly one step",
        )
    if marked and role in steps and marked[0].name != role:
        raise FlowError(
            f"step '{marked[0].name}' is marked @step({role}=True) but a step named "
            f"'{role}' also exists",
            marked[0].where(),
            f"rename the step '{role}' or drop the annotation",
        )
    if marked:
        return marked[0].name
    if role not in steps:
        raise FlowError(
            f"the flow has no {role} step",
            str(source.path),
            f"add a step named '{role}' (or mark one with @step({role}=True))",
        )
    return role


def _node_type(step: RawStep, start: str, end: str) -> str:
    kind = step.transition.type
    if kind == "linear" and step.num_args > 1:
        kind = "join"
    if step.name == end:
        return "end"
    if step.name == start and kind in (None, "linear"):
        return "start"
    return kind or "linear"  # no tail self.next: refused by the checker


@dataclass
class _Checker:
    """Per-step rules from Metaflow's lint: names, arguments, transitions, targets."""

    steps: Mapping[str, RawStep]
    types: Mapping[str, str]
    source: Source
    start: str
    end: str

    def check_steps(self) -> None:
        for step in self.steps.values():
            self._name(step)
            self._args(step)
            self._tail(step)
            self._targets(step)
        for step in self.steps.values():
            self._shape(step)

    def _fail(self, where: str, headline: str, hint: str) -> None:
        raise FlowError(headline, where, hint)

    def _name(self, step: RawStep) -> None:
        if step.name in _RESERVED:
            self._fail(
                step.where(), f"step name '{step.name}' is reserved by Metaflow", "rename the step"
            )
        if not _VALID_NAME.fullmatch(step.name) or step.name.startswith("_"):
            self._fail(
                step.where(),
                f"step name '{step.name}' is not valid in Metaflow",
                "use lowercase letters, digits and underscores (not leading)",
            )

    def _args(self, step: RawStep) -> None:
        if step.num_args == 0:
            self._fail(
                step.where(),
                f"step '{step.name}' is missing the 'self' argument",
                f"write `def {step.name}(self)`",
            )
        if step.num_args > 2:
            self._fail(
                step.where(),
                f"step '{step.name}' takes too many arguments",
                "steps take (self), join steps (self, inputs)",
            )
        kind = self.types[step.name]
        if step.num_args == 2 and kind not in ("join", "end"):
            self._fail(
                step.where(),
                f"step '{step.name}' takes `inputs` (a join) but is a {kind}",
                "put the split and the join in separate steps",
            )

    def _tail(self, step: RawStep) -> None:
        transition = step.transition
        if step.name == self.end:
            if transition.type is not None:
                self._fail(
                    step.where(transition.line),
                    f"the end step '{step.name}' calls self.next()",
                    "remove the self.next() call from the end step",
                )
            if step.num_args > 1:
                self._fail(
                    step.where(),
                    f"the end step '{step.name}' is a join (takes inputs)",
                    f"add a join step before '{step.name}'",
                )
        elif transition.type is None:
            self._fail(
                step.where(),
                f"the last statement of step '{step.name}' is not self.next(...)",
                f"end `def {step.name}` with `self.next(self.<next step>)`",
            )

    def _targets(self, step: RawStep) -> None:
        for target in step.transition.next:
            if target not in self.steps:
                from difflib import get_close_matches  # only on the error path

                close = get_close_matches(target, list(self.steps), n=1)
                hint = (
                    f"did you mean self.{close[0]}?"
                    if close
                    else "define that step or fix the name"
                )
                self._fail(
                    step.where(step.transition.line),
                    f"step '{step.name}' goes to unknown step '{target}'",
                    hint,
                )
            if target == self.start:
                self._fail(
                    step.where(step.transition.line),
                    f"step '{step.name}' goes back to the start step '{target}'",
                    "the start step cannot have incoming transitions",
                )

    def _shape(self, step: RawStep) -> None:
        kind, nxt = self.types[step.name], step.transition.next
        if kind == "split" and len(set(nxt)) < len(nxt):
            self._fail(
                step.where(step.transition.line),
                f"split step '{step.name}' names the same step twice",
                "list each branch once in self.next(...)",
            )
        if kind == "split-switch" and len(nxt) < 2:
            self._fail(
                step.where(step.transition.line),
                f"switch step '{step.name}' has fewer than 2 cases",
                "give the switch at least two distinct targets",
            )
        joins = [t for t in nxt if self.types[t] == "join"]
        if kind in ("split", "foreach", "split-switch") and joins:
            self._fail(
                step.where(step.transition.line),
                f"{kind} step '{step.name}' goes straight to the join '{joins[0]}'",
                "put at least one step between the split and its join",
            )
        self._parallel(step, kind)

    def _parallel(self, step: RawStep, kind: str) -> None:
        is_parallel = any(d.name == "parallel" for d in step.decorators)
        if step.transition.num_parallel is not None:
            body = self.steps[step.transition.next[0]]
            if not any(d.name == "parallel" for d in body.decorators):
                self._fail(
                    step.where(step.transition.line),
                    f"step '{step.name}' uses num_parallel= but '{body.name}' lacks @parallel",
                    f"add @parallel to step '{body.name}'",
                )
        if is_parallel and kind != "end":
            after = step.transition.next[0]
            if self.types[after] != "join":
                self._fail(
                    step.where(),
                    f"@parallel step '{step.name}' is not followed by a join",
                    f"make '{after}' a join: `def {after}(self, inputs)`",
                )


def _edges(step: RawStep) -> list[str]:
    """Distinct out-edges, without a switch's edge back to itself (a loop Metaflow allows)."""
    seen = dict.fromkeys(t for t in step.transition.next)
    if step.transition.type == "split-switch":
        seen.pop(step.name, None)
    return list(seen)


def _topological(
    steps: Mapping[str, RawStep], types: Mapping[str, str], start: str, source: Source
) -> list[str]:
    reachable = _reachable(steps, start)
    for name, step in steps.items():
        if name not in reachable:
            raise FlowError(
                f"step '{name}' is unreachable from the start step '{start}'",
                step.where(),
                f"add self.next(self.{name}) in another step, or remove '{name}'",
            )
    indegree = dict.fromkeys(steps, 0)
    for step in steps.values():
        for target in _edges(step):
            indegree[target] += 1
    order, ready = [], deque([start])
    while ready:
        name = ready.popleft()
        order.append(name)
        for target in _edges(steps[name]):
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    if len(order) < len(steps):
        looped = next(s for s in steps.values() if indegree[s.name] > 0)
        raise FlowError(
            f"there is a loop in the flow through step '{looped.name}'",
            looped.where(),
            "fix the self.next() transitions so no step leads back to an earlier one",
        )
    return order


def _reachable(steps: Mapping[str, RawStep], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for target in _edges(steps[todo.pop()]):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


@dataclass
class _Walk:
    """Propagates open splits along edges in topological order, checking joins."""

    steps: Mapping[str, RawStep]
    types: Mapping[str, str]
    source: Source

    def run(self, order: list[str], end: str) -> dict[str, OpenSplits]:
        arriving: dict[str, list[tuple[str, OpenSplits]]] = {n: [] for n in self.steps}
        stacks: dict[str, OpenSplits] = {}
        for name in order:
            stack = self._stack(name, arriving[name])
            stacks[name] = stack
            splits = self.types[name] in ("split", "foreach")
            for target in _edges(self.steps[name]):
                arriving[target].append((name, stack + ((name, target),) if splits else stack))
        if stacks[end]:
            self._fail(
                end,
                f"the end step '{end}' is reached before the split at "
                f"'{stacks[end][-1][0]}' is joined",
                f"add a join step before '{end}'",
            )
        return stacks

    def _fail(self, name: str, headline: str, hint: str) -> None:
        raise FlowError(headline, self.steps[name].where(), hint)

    def _stack(self, name: str, arriving: list[tuple[str, OpenSplits]]) -> OpenSplits:
        if self.types[name] == "join":
            return self._join(name, arriving)
        if not arriving:  # the start step
            return ()
        first = arriving[0][1]
        for parent, stack in arriving[1:]:
            if stack != first:
                self._fail(
                    name,
                    f"step '{name}' is reached from '{arriving[0][0]}' and "
                    f"'{parent}', which are in different branches",
                    f"make '{name}' a join step: `def {name}(self, inputs)`",
                )
        return first

    def _join(self, name: str, arriving: list[tuple[str, OpenSplits]]) -> OpenSplits:
        if not arriving or any(not stack for _, stack in arriving):
            self._fail(
                name,
                f"join step '{name}' is not preceded by a split",
                "add a split (or foreach) before it, or drop its `inputs` argument",
            )
        outer = arriving[0][1][:-1]
        split = arriving[0][1][-1][0]
        if any(stack[:-1] != outer or stack[-1][0] != split for _, stack in arriving):
            self._fail(
                name,
                f"join step '{name}' joins steps from unrelated splits",
                "make every join close exactly one split",
            )
        branches = {stack[-1][1] for _, stack in arriving}
        expected = self.steps[split].transition.next
        if branches != set(expected):
            missing = ", ".join(sorted(set(expected) - branches)) or "none"
            self._fail(
                name,
                f"join step '{name}' does not join every branch of '{split}' (missing: {missing})",
                f"lead every branch of '{split}' into '{name}'",
            )
        return outer
