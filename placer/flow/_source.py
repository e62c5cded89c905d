"""Reading a flow file's bytes and parsing them, with one-line errors for bad files."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from pathlib import Path

from placer.errors import FlowError
from placer.inputs import MAX_FLOW_BYTES


@dataclass(frozen=True)
class Source:
    """A flow file's parsed module, its text and the SHA-256 of its bytes."""

    path: Path
    text: str
    module: ast.Module
    sha256: str

    def where(self, line: int | None) -> str:
        """`file:line` for error messages (just `file` without a line)."""
        return f"{self.path}:{line}" if line else str(self.path)


def read_source(path: Path) -> Source:
    """Read and parse `path`; never imports or executes it."""
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8-sig")  # a BOM is valid in Python source
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FlowError(
            "not a UTF-8 text file", f"{path}:{line}", "save the flow file as UTF-8"
        ) from None
    if not text.strip():
        raise FlowError("the flow file is empty", str(path), "point placer at a Metaflow flow file")
    module = parse_text(text, path)
    return Source(path, text, module, hashlib.sha256(data).hexdigest())


def _read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise FlowError(
                "is a directory, not a flow file", str(path), "pass the flow's .py file itself"
            )
        if path.exists() and not path.is_file():  # a FIFO or a device would never end
            raise FlowError("is not a regular file", str(path), "pass the flow's .py file itself")
        with path.open("rb") as handle:  # bounded: a file growing while read is refused too
            data = handle.read(MAX_FLOW_BYTES + 1)
        if len(data) > MAX_FLOW_BYTES:
            raise FlowError(
                f"is larger than {MAX_FLOW_BYTES // 2**20} MB",
                str(path),
                "placer reads flow files up to that size; check it is the right file",
            )
        return data
    except (FileNotFoundError, NotADirectoryError):
        raise FlowError("no such file", str(path), "check the path to the flow file") from None
    except PermissionError:
        raise FlowError(
            "cannot read the file (permission denied)", str(path), "make it readable"
        ) from None
    except OSError as exc:  # a name too long, a symlink loop: the path itself is wrong
        raise FlowError(
            f"cannot read the file ({exc.strerror or exc})",
            str(path),
            "check the path to the flow file",
        ) from None


def parse_text(text: str, path: Path) -> ast.Module:
    """Parse Python source, with one-line errors naming the file and line."""
    try:
        return ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        line = exc.lineno or 1
        raise FlowError(
            f"not valid Python: {exc.msg}", f"{path}:{line}", "fix the syntax error on that line"
        ) from None
    except ValueError as exc:  # e.g. source containing NUL bytes
        raise FlowError(f"not valid Python: {exc}", str(path), "fix the file") from None
    except (RecursionError, MemoryError):  # Python itself cannot compile such a file either
        raise FlowError(
            "not valid Python: an expression is nested too deeply for Python's parser",
            str(path),
            "split the long expression into smaller statements",
        ) from None
