"""Finding the FlowSpec subclass in the flow file, and the classes its steps come from.

Base classes are followed into the project's other modules (`class Training(Pipeline)`
with `Pipeline` in `common/pipeline.py`) and ordered as Python's MRO (C3). A base placer
cannot see (a module outside the project, an import cycle) is a warning: the flow keeps
the steps placer can read.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from placer.errors import FlowError
from placer.flow._evaluate import Evaluator
from placer.flow._project import Module
from placer.flow._values import ClassRef, ExternalRef, MetaflowRef, Unknown, source_of

ClassChain = list[tuple[Module, ast.ClassDef]]  # the flow class first, as Python's MRO


@dataclass
class Classes:
    """Class resolution over the project, with warnings for bases it cannot see."""

    evaluator: Evaluator
    warn: Callable[[str], None]

    def find_flow_class(self, main: Module, wanted: str | None) -> ast.ClassDef:
        """The flow class: `wanted`, else the only FlowSpec subclass, else the one
        `__main__` runs. A class whose bases placer cannot see may be the flow: chosen
        only when no class is known to be one, with a warning."""
        classes = {n.name: n for n in main.tree.body if isinstance(n, ast.ClassDef)}
        kinds = {name: self._is_flow(ClassRef(main, node), ()) for name, node in classes.items()}
        flows = [classes[n] for n, kind in kinds.items() if kind is True]
        maybe = [classes[n] for n, kind in kinds.items() if kind is None]
        if wanted is not None:
            return self._pick_named(main, flows + maybe, classes, wanted)
        if not flows and len(maybe) == 1:
            return maybe[0]
        if not flows and maybe:
            return _pick_main(main, maybe)
        if not flows:
            raise FlowError(
                "no FlowSpec subclass found",
                str(main.path),
                "define `class MyFlow(FlowSpec)` (imported from metaflow) in this file",
            )
        return flows[0] if len(flows) == 1 else _pick_main(main, flows)

    def chain(self, main: Module, flow: ast.ClassDef) -> ClassChain:
        """The flow class and every project class it inherits from, in MRO order."""
        return [(ref.module, ref.node) for ref in self._mro(ClassRef(main, flow), ())]

    def _bases(self, ref: ClassRef, warn: bool) -> tuple[list[ClassRef], bool, bool]:
        """The project classes among `ref`'s bases, whether FlowSpec is among them, and
        whether a base is out of placer's sight (outside the project, or a cycle)."""
        out, flowspec, unseen = [], False, False
        for base in ref.node.bases:
            value = self.evaluator.reference(base, self.evaluator.at_class(ref.module, ref.node))
            if isinstance(value, ClassRef):
                out.append(value)
            elif value == MetaflowRef("FlowSpec"):
                flowspec = True
            elif isinstance(value, ExternalRef) or (isinstance(value, Unknown) and value.soft):
                unseen = True
                if not warn:
                    continue
                self.warn(
                    f"{ref.module.path}:{ref.node.lineno}: base class "
                    f"'{source_of(base)}' of '{ref.node.name}' {_unseen(value)}; "
                    "its steps and Configs are not read (pass --path DIR if it is in "
                    "another directory)"
                )
        return out, flowspec, unseen

    def _is_flow(self, ref: ClassRef, seen: tuple[ClassRef, ...]) -> bool | None:
        """True when FlowSpec is among its ancestors, None when an unseen base might be."""
        if ref in seen:
            return False
        bases, flowspec, unseen = self._bases(ref, warn=False)
        if flowspec:
            return True
        answers = [self._is_flow(base, (*seen, ref)) for base in bases]
        if True in answers:
            return True
        return None if unseen or None in answers else False

    def _mro(self, ref: ClassRef, seen: tuple[ClassRef, ...]) -> list[ClassRef]:
        if ref in seen:
            cycle = " -> ".join(c.node.name for c in (*seen, ref))
            self.warn(f"{ref.module.path}:{ref.node.lineno}: class inheritance cycle ({cycle})")
            return []
        bases, _, _ = self._bases(ref, warn=True)
        lines = [self._mro(base, (*seen, ref)) for base in bases]
        merged = _c3([*lines, list(bases)])
        if merged is None:  # Python refuses such a hierarchy; keep a depth-first order
            merged = list(dict.fromkeys(c for line in lines for c in line))
        return [ref, *merged]

    def _pick_named(
        self,
        main: Module,
        flows: list[ast.ClassDef],
        classes: dict[str, ast.ClassDef],
        wanted: str,
    ) -> ast.ClassDef:
        for cls in flows:
            if cls.name == wanted:
                return cls
        known = ", ".join(c.name for c in flows) or "none"
        what = "is not a FlowSpec subclass" if wanted in classes else "is not defined"
        raise FlowError(
            f"class '{wanted}' {what} in this file",
            str(main.path),
            f"pass one of the flow classes to --flow-class ({known})",
        )


def _unseen(value: ExternalRef | Unknown) -> str:
    if isinstance(value, ExternalRef):
        return f"comes from '{value.path}', which is not in the flow's project"
    return f"cannot be read ({value.reason})"


def _c3(sequences: list[list[ClassRef]]) -> list[ClassRef] | None:
    """Python's C3 merge; None when no consistent order exists."""
    seqs = [list(s) for s in sequences if s]
    out: list[ClassRef] = []
    while seqs:
        head = next((s[0] for s in seqs if not any(s[0] in t[1:] for t in seqs)), None)
        if head is None:
            return None
        out.append(head)
        seqs = [[c for c in s if c != head] for s in seqs]
        seqs = [s for s in seqs if s]
    return out


def _pick_main(main: Module, flows: list[ast.ClassDef]) -> ast.ClassDef:
    run = _main_block_calls(main.tree)
    chosen = [c for c in flows if c.name in run]
    if len(chosen) == 1:
        return chosen[0]
    names = ", ".join(c.name for c in flows)
    raise FlowError(
        f"several FlowSpec subclasses ({names}) and no single one run by `__main__`",
        str(main.path),
        "pass --flow-class NAME",
    )


def _main_block_calls(module: ast.Module) -> set[str]:
    """Names called inside `if __name__ == "__main__":` blocks."""
    called: set[str] = set()
    for node in module.body:
        if isinstance(node, ast.If) and _is_main_test(node.test):
            for inner in node.body:
                for sub in ast.walk(inner):
                    if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                        called.add(sub.func.id)
    return called


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    has_main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return has_name and has_main
