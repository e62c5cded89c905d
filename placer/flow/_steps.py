"""Reading one step method: its decorators and the transition in its last statement.

This mirrors `metaflow.graph.DAGNode._parse` (Metaflow 2.19) on the AST, but refuses
what Metaflow would only fail on later (a target not written `self.name`, a foreach
attribute that is not a string literal).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, NoReturn

from placer.errors import FlowError
from placer.flow._model import Decorator, Unevaluated
from placer.flow._names import Names, dotted, is_missing
from placer.flow._source import Source

# Metaflow step decorators that turn a plain method into an error when @step is missing.
STEP_DECORATORS = frozenset(
    "kubernetes batch resources retry catch timeout environment conda pypi card parallel "
    "secrets".split()
)
_ONCE = frozenset({"kubernetes", "batch", "resources", "retry", "catch", "timeout", "parallel"})


@dataclass(frozen=True)
class Transition:
    """What a step's tail `self.next(...)` says (Metaflow's node type before start/end)."""

    type: str | None = None  # None: no valid `self.next` (fine only for the end step)
    next: tuple[str, ...] = ()
    line: int = 0  # line of the `self.next` call, 0 when there is none
    foreach: str | None = None
    num_parallel: int | None = None
    condition: str | None = None
    switch_cases: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RawStep:
    """A step as written, before the graph gives it start/end types and foreach context."""

    name: str
    line: int
    decorators: tuple[Decorator, ...]
    num_args: int
    is_start: bool
    is_end: bool
    transition: Transition


def read_steps(cls_chain: list[ast.ClassDef], source: Source, names: Names) -> list[RawStep]:
    """Every @step method of the flow (inherited ones first), later definitions winning."""
    steps: dict[str, RawStep] = {}
    for cls in cls_chain:
        for node in cls.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                step = _read_method(node, source, names)
                if step is not None:
                    steps.pop(step.name, None)
                    steps[step.name] = step
                else:
                    steps.pop(node.name, None)  # a plain method overrides an inherited step
    return list(steps.values())


def _read_method(
    func: ast.FunctionDef | ast.AsyncFunctionDef, source: Source, names: Names
) -> RawStep | None:
    decos = [_read_decorator(d, names) for d in func.decorator_list]
    step_at = [i for i, d in enumerate(decos) if d.name == "step"]
    if not step_at:
        _refuse_stray_decorators(func, decos, source)
        return None
    _check_innermost(func, decos, step_at[0], source)
    _check_duplicates(func, decos, source)
    marker = decos[-1]
    return RawStep(
        name=func.name,
        line=func.lineno,
        decorators=tuple(decos[:-1]),
        num_args=len(func.args.args),
        is_start=marker.args.get("start") is True,
        is_end=marker.args.get("end") is True,
        transition=read_transition(func, source, names),
    )


def _read_decorator(node: ast.expr, names: Names) -> Decorator:
    expr = node.func if isinstance(node, ast.Call) else node
    written = dotted(expr)
    name = names.metaflow_name(expr) or written
    args = _call_args(node, names) if isinstance(node, ast.Call) else {}
    return Decorator(name, args, node.lineno, alias=written if written != name else None)


def _call_args(call: ast.Call, names: Names) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for kw in call.keywords:
        key = kw.arg if kw.arg is not None else "**"
        args[key] = _value(kw.value, names)
    if call.args:
        args["_args"] = tuple(_value(a, names) for a in call.args)
    return args


def _value(node: ast.expr, names: Names) -> Any:
    value = names.literal(node)
    return Unevaluated(_unparse(node)) if is_missing(value) else value


def _unparse(node: ast.expr) -> str:
    """The expression's source; `ast.unparse` recurses, so very deep ones are elided."""
    try:
        return ast.unparse(node)
    except RecursionError:
        return "<expression too deeply nested to show>"


def _check_innermost(
    func: ast.FunctionDef | ast.AsyncFunctionDef, decos: list[Decorator], at: int, source: Source
) -> None:
    if at == len(decos) - 1:
        return
    below = decos[at + 1]
    raise FlowError(
        f"@step must be the innermost decorator of step '{func.name}' "
        f"(found above @{below.alias or below.name})",
        source.where(decos[at].line),
        f"move @step directly above `def {func.name}`, or run `placer apply --fix-order`",
    )


def _check_duplicates(
    func: ast.FunctionDef | ast.AsyncFunctionDef, decos: list[Decorator], source: Source
) -> None:
    seen: set[str] = set()
    for deco in decos:
        if deco.name in _ONCE and deco.name in seen:
            raise FlowError(
                f"step '{func.name}' has @{deco.name} twice",
                source.where(deco.line),
                f"keep one @{deco.name} and merge their arguments",
            )
        seen.add(deco.name)


def _refuse_stray_decorators(
    func: ast.FunctionDef | ast.AsyncFunctionDef, decos: list[Decorator], source: Source
) -> None:
    for deco in decos:
        if deco.name in STEP_DECORATORS:
            raise FlowError(
                f"@{deco.name} is applied to '{func.name}', which is not a @step",
                source.where(deco.line),
                f"add @step directly above `def {func.name}` (below @{deco.name})",
            )


def read_transition(
    func: ast.FunctionDef | ast.AsyncFunctionDef, source: Source, names: Names
) -> Transition:
    """The step's tail `self.next(...)`, or an empty Transition when there is none."""
    tail = func.body[-1]
    call = tail.value if isinstance(tail, ast.Expr) else None
    if not (isinstance(call, ast.Call) and dotted(call.func) == "self.next"):
        return Transition()
    return _Tail(func.name, call, source, names).read()


@dataclass
class _Tail:
    """Decodes one `self.next(...)` call, raising FlowError for forms Metaflow refuses."""

    step: str
    call: ast.Call
    source: Source
    names: Names

    def read(self) -> Transition:
        keywords = {kw.arg: kw.value for kw in self.call.keywords}
        if None in keywords:
            self._fail("`self.next` cannot take **kwargs", "pass foreach=/condition= explicitly")
        if len(self.call.args) == 1 and isinstance(self.call.args[0], ast.Dict):
            return self._switch(self.call.args[0], keywords)
        targets = tuple(self._target(a) for a in self.call.args)
        if not targets:
            self._fail("`self.next()` names no step", "write `self.next(self.<next step>)`")
        if not keywords:
            kind = "split" if len(targets) > 1 else "linear"
            return Transition(kind, targets, self.call.lineno)
        return self._keyword_form(targets, keywords)

    def _keyword_form(
        self, targets: tuple[str, ...], keywords: dict[str | None, Any]
    ) -> Transition:
        if len(keywords) > 1 or not ({"foreach", "num_parallel"} & keywords.keys()):
            used = ", ".join(f"{k}=" for k in keywords)
            self._fail(f"unsupported `self.next` arguments ({used})", _FORMS)
        if len(targets) != 1:
            self._fail("a foreach `self.next` must name exactly one step", _FORMS)
        if "foreach" in keywords:
            value = self.names.literal(keywords["foreach"])
            if not isinstance(value, str):
                self._fail("foreach= must be a string literal", 'write foreach="<artifact name>"')
            return Transition("foreach", targets, self.call.lineno, foreach=value)
        value = self.names.literal(keywords["num_parallel"])
        if not isinstance(value, int) or isinstance(value, bool):
            self._fail("num_parallel= must be a literal integer", "write num_parallel=<N>")
        return Transition("foreach", targets, self.call.lineno, num_parallel=value)

    def _switch(self, cases: ast.Dict, keywords: dict[str | None, Any]) -> Transition:
        if set(keywords) != {"condition"}:
            self._fail("a switch `self.next({...})` needs condition= and nothing else", _FORMS)
        condition = self.names.literal(keywords["condition"])
        if not isinstance(condition, str):
            self._fail("condition= must be a string literal", 'write condition="<artifact>"')
        out: dict[str, str] = {}
        for key, value in zip(cases.keys, cases.values, strict=True):
            out[self._case_key(key)] = self._target(value)
        if not out:
            self._fail("a switch needs at least one case", _FORMS)
        targets = tuple(out.values())
        return Transition(
            "split-switch", targets, self.call.lineno, condition=condition, switch_cases=out
        )

    def _case_key(self, key: ast.expr | None) -> Any:
        if isinstance(key, ast.Constant) and isinstance(key.value, str | int | float | bool):
            return key.value
        text = dotted(key) if key is not None else "**"
        parts = text.split(".")
        if len(parts) == 3 and parts[0] == "self":
            return f"config:{parts[1]}.{parts[2]}"  # Metaflow's form for self.config.key
        self._fail(
            f"switch case key `{text}` is not a literal",
            "use string or number literals (or self.<config>.<key>) as case keys",
        )

    def _target(self, node: ast.expr) -> str:
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
        ):
            return node.attr
        self._fail(
            f"`self.next` target `{ast.unparse(node)}` is not a literal step reference",
            "name the step directly, e.g. `self.next(self.train)`",
        )

    def _fail(self, headline: str, hint: str) -> NoReturn:
        raise FlowError(
            f"step '{self.step}': {headline}", self.source.where(self.call.lineno), hint
        )


_FORMS = (
    'use self.next(self.a), self.next(self.a, self.b), self.next(self.a, foreach="items") '
    'or self.next({"x": self.a, "y": self.b}, condition="var")'
)
