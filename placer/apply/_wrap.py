"""Wrap a decorator that a rewrite made too long, the way black and ruff format would.

Only a decorator placer changed, on one line, without comments inside, and longer than
the project's line length (88 unless its pyproject.toml says otherwise) is wrapped: one
argument per line with a trailing comma, and a dict argument that is still too long one
entry per line. Everything else keeps its layout.
"""

from __future__ import annotations

import libcst as cst

from placer.apply._nodes import code


def wrap_if_long(decorator: cst.Decorator, indent: str, limit: int = 88) -> cst.Decorator:
    """`decorator` (a method decorator, at one `indent`) wrapped if longer than `limit`."""
    call = decorator.decorator
    if not isinstance(call, cst.Call) or not call.args:
        return decorator
    text = code(call)
    if "\n" in text or "#" in text or len(indent) + 1 + len(text) <= limit:
        return decorator
    if any(arg.keyword is None or arg.star for arg in call.args):
        return decorator
    lines = [f"@{code(call.func)}("]
    for arg in call.args:
        lines.extend(_arg_lines(arg, indent, limit))
    lines.append(")")
    snippet = "\n".join(lines) + f"\ndef f():\n{indent}pass\n"
    function = cst.parse_module(snippet).body[0]
    assert isinstance(function, cst.FunctionDef)
    return decorator.with_changes(decorator=function.decorators[0].decorator)


def _arg_lines(arg: cst.Arg, indent: str, limit: int) -> list[str]:
    assert arg.keyword is not None
    one = f"{indent}{arg.keyword.value}={code(arg.value).strip()},"
    value = arg.value
    if len(indent) + len(one) <= limit or not isinstance(value, cst.Dict):
        return [one]
    entries = [f"{indent * 2}{code(e).strip().rstrip(',')}," for e in value.elements]
    return [f"{indent}{arg.keyword.value}={{", *entries, f"{indent}}},"]
