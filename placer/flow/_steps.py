"""Reading one step method: its decorators and the transition in its last statement.

This mirrors `metaflow.graph.DAGNode._parse` (Metaflow 2.19) on the AST, but refuses
what Metaflow would only fail on later (a target not written `self.name`, a foreach
attribute that is not a string). Decorators and their arguments are evaluated where
they are written (the step's class body and module), so a step inherited from a base
class in another module reads that module's imports and constants, and a decorator
kept in a variable (`gpu_step = kubernetes(gpu=1)`, maybe in another module) counts as
the Metaflow decorator it holds.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from placer.errors import FlowError
from placer.flow._classes import ClassChain
from placer.flow._evaluate import Evaluator
from placer.flow._model import Decorator, Unevaluated
from placer.flow._values import (
    DecoratorRef,
    ExternalRef,
    FlowSelf,
    MetaflowRef,
    Unknown,
    Where,
    is_data,
    source_of,
)

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
    file: Path
    owner: str  # the class defining it

    def where(self, line: int | None = None) -> str:
        return f"{self.file}:{line or self.line}"


@dataclass
class StepReader:
    """Reads the steps of a flow's classes with one evaluator (shared caches)."""

    evaluator: Evaluator
    chain: ClassChain
    warn: Callable[[str], None]

    def read_steps(self) -> list[RawStep]:
        """Every @step method of the flow (inherited ones first), later definitions winning."""
        steps: dict[str, RawStep] = {}
        for module, cls in reversed(self.chain):
            for node in cls.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    # decorators run in the class body, before the method's name is bound
                    where = self.evaluator.in_class(module, cls, node)
                    step = self._read_method(node, where)
                    if step is None:
                        steps.pop(node.name, None)  # a plain method hides an inherited step
                    else:
                        steps[step.name] = step  # an override keeps the base's position
        return list(steps.values())

    def _read_method(
        self, func: ast.FunctionDef | ast.AsyncFunctionDef, where: Where
    ) -> RawStep | None:
        decos = [self._decorator(d, where) for d in func.decorator_list]
        step_at = [i for i, d in enumerate(decos) if d.name == "step"]
        file = where.module.path
        if not step_at:
            _refuse_stray_decorators(func, decos, file)
            return None
        _check_innermost(func, decos, step_at[0], file)
        _check_duplicates(func, decos, file)
        marker = decos[-1]
        assert where.cls is not None
        return RawStep(
            name=func.name,
            line=func.lineno,
            decorators=tuple(decos[:-1]),
            num_args=len(func.args.args),
            is_start=marker.args.get("start") is True,
            is_end=marker.args.get("end") is True,
            transition=self._transition(func, where),
            file=file,
            owner=where.cls.name,
        )

    def _decorator(self, node: ast.expr, where: Where) -> Decorator:
        expr = node.func if isinstance(node, ast.Call) else node
        written = dotted(expr)
        target = self.evaluator.reference(expr, where)
        if isinstance(target, DecoratorRef) and not isinstance(node, ast.Call):
            held = target.call  # `@gpu_step` where gpu_step = kubernetes(gpu=1)
            args, configs = self._call_args(held, target.where)
            alias = written if written != target.name else None
            file = target.where.module.path
            return Decorator(target.name, args, held.lineno, alias, file, configs)
        name = written
        if isinstance(target, MetaflowRef) and target.path and "." not in target.path:
            name = target.path
        elif isinstance(target, ExternalRef | Unknown):
            self._unseen_decorator(written, target, where, node.lineno)
        args, configs = (
            self._call_args(node, where) if isinstance(node, ast.Call) else ({}, frozenset())
        )
        alias = written if written != name else None
        return Decorator(name, args, node.lineno, alias, where.module.path, configs)

    def _unseen_decorator(self, written: str, target: Any, where: Where, line: int) -> None:
        last = written.rpartition(".")[2]
        if last not in STEP_DECORATORS | {"step"}:
            return
        if isinstance(target, Unknown) and not target.soft:
            return
        origin = f"'{target.path}'" if isinstance(target, ExternalRef) else target.reason
        self.warn(
            f"{where.module.path}:{line}: @{written} comes from {origin}, outside what "
            f"placer can read; it is taken to be Metaflow's @{last}"
        )

    def _call_args(self, call: ast.Call, where: Where) -> tuple[dict[str, Any], frozenset[str]]:
        args: dict[str, Any] = {}
        configs: set[str] = set()
        for kw in call.keywords:
            before = self.evaluator.config_reads
            if kw.arg is None:
                spread = self.evaluator.value(kw.value, where)
                if isinstance(spread, dict) and all(isinstance(k, str) for k in spread):
                    args.update(spread)  # `@kubernetes(**config.k8s)`: Metaflow unpacks it
                    if self.evaluator.config_reads > before:
                        configs.update(spread)
                    continue
                args["**"] = _unevaluated(kw.value, spread)
                continue
            if kw.arg in args:  # Python refuses the file; Metaflow would never run it
                raise FlowError(
                    f"keyword argument repeated: {kw.arg}=",
                    f"{where.module.path}:{kw.value.lineno}",
                    f"keep one {kw.arg}= in the decorator",
                )
            args[kw.arg] = self._value(kw.value, where)
            if self.evaluator.config_reads > before:
                configs.add(kw.arg)
        if call.args:
            args["_args"] = tuple(self._value(a, where) for a in call.args)
        return args, frozenset(configs)

    def _value(self, node: ast.expr, where: Where) -> Any:
        value = self.evaluator.value(node, where)
        return value if is_data(value) else _unevaluated(node, value)

    def _transition(self, func: ast.FunctionDef | ast.AsyncFunctionDef, where: Where) -> Transition:
        """The step's tail `self.next(...)`, or an empty Transition when there is none."""
        tail = func.body[-1]
        call = tail.value if isinstance(tail, ast.Expr) else None
        if not (isinstance(call, ast.Call) and dotted(call.func) == "self.next"):
            return Transition()
        # the body runs once the module has: its globals, and the flow through `self`
        inside = Where(where.module, extra={"self": FlowSelf(tuple(self.chain))})
        return _Tail(func.name, call, where.module.path, self.evaluator, inside, self.warn).read()


def _unevaluated(node: ast.expr, value: Any) -> Unevaluated:
    if isinstance(value, Unknown):
        return Unevaluated(source_of(node), value.reason, value.soft)
    if isinstance(value, ExternalRef):
        return Unevaluated(source_of(node), f"'{value.path}' is outside the project", True)
    return Unevaluated(source_of(node), "not plain data")


def _because(reason: str) -> str:
    return f" ({reason})" if reason else ""


def dotted(node: ast.expr) -> str:
    """`a.b.c` for a Name/Attribute chain, else the expression's source text."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return source_of(node)


def _check_innermost(
    func: ast.FunctionDef | ast.AsyncFunctionDef, decos: list[Decorator], at: int, file: Path
) -> None:
    if at == len(decos) - 1:
        return
    below = decos[at + 1]
    raise FlowError(
        f"@step must be the innermost decorator of step '{func.name}' "
        f"(found above @{below.alias or below.name})",
        f"{file}:{func.decorator_list[at].lineno}",
        f"move @step directly above `def {func.name}`, or run `placer apply --fix-order`",
    )


def _check_duplicates(
    func: ast.FunctionDef | ast.AsyncFunctionDef, decos: list[Decorator], file: Path
) -> None:
    seen: set[str] = set()
    for deco, node in zip(decos, func.decorator_list, strict=True):
        if deco.name in _ONCE and deco.name in seen:
            raise FlowError(
                f"step '{func.name}' has @{deco.name} twice",
                f"{file}:{node.lineno}",
                f"keep one @{deco.name} and merge their arguments",
            )
        seen.add(deco.name)


def _refuse_stray_decorators(
    func: ast.FunctionDef | ast.AsyncFunctionDef, decos: list[Decorator], file: Path
) -> None:
    for deco, node in zip(decos, func.decorator_list, strict=True):
        if deco.name in STEP_DECORATORS:
            raise FlowError(
                f"@{deco.name} is applied to '{func.name}', which is not a @step",
                f"{file}:{node.lineno}",
                f"add @step directly above `def {func.name}` (below @{deco.name})",
            )


@dataclass
class _Tail:
    """Decodes one `self.next(...)` call, raising FlowError for forms Metaflow refuses."""

    step: str
    call: ast.Call
    file: Path
    evaluator: Evaluator
    where: Where
    warn: Callable[[str], None]

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
            value = self.evaluator.value(keywords["foreach"], self.where)
            if not isinstance(value, str):
                self._fail("foreach= must be a string", 'write foreach="<artifact name>"')
            return Transition("foreach", targets, self.call.lineno, foreach=value)
        count = self._num_parallel(keywords["num_parallel"])
        return Transition("foreach", targets, self.call.lineno, num_parallel=count)

    def _num_parallel(self, node: ast.expr) -> int | None:
        """The number of parallel tasks, or None (a warning) when it is not static."""
        self.evaluator.context = f"{self.file}:{self.call.lineno}: step '{self.step}'"
        try:
            value = self.evaluator.value(node, self.where)
        finally:
            self.evaluator.context = ""
        if isinstance(value, Unknown):
            self.warn(
                f"{self.file}:{self.call.lineno}: step '{self.step}': num_parallel="
                f"{source_of(node)} is not static{_because(value.reason)}; its task count "
                "comes from placer.yaml (steps.<step>.tasks or defaults.foreach_width)"
            )
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            self._fail(
                f"num_parallel={source_of(node)} is {value!r}, not a whole number >= 1",
                "write num_parallel=<N>",
            )
        return value

    def _switch(self, cases: ast.Dict, keywords: dict[str | None, Any]) -> Transition:
        if set(keywords) != {"condition"}:
            self._fail("a switch `self.next({...})` needs condition= and nothing else", _FORMS)
        node = keywords["condition"]  # Metaflow's graph reads only a literal here
        condition = node.value if isinstance(node, ast.Constant) else None
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
            f"`self.next` target `{source_of(node)}` is not a literal step reference",
            "name the step directly, e.g. `self.next(self.train)`",
        )

    def _fail(self, headline: str, hint: str) -> NoReturn:
        raise FlowError(f"step '{self.step}': {headline}", f"{self.file}:{self.call.lineno}", hint)


_FORMS = (
    'use self.next(self.a), self.next(self.a, self.b), self.next(self.a, foreach="items") '
    'or self.next({"x": self.a, "y": self.b}, condition="var")'
)
