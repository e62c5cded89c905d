"""The flow's project: which files placer may read on the flow's behalf, and its modules.

A module is found the way Python finds it when the flow runs as `python flow.py`: the
flow's directory first on the path, then the `--path` directories (like PYTHONPATH). A
regular package (a directory with `__init__.py`) wins over a module file of the same
name in the same directory; directories without `__init__.py` are namespace packages
that merge across path entries. Modules outside those roots (the standard library,
installed packages, Metaflow) are never read.

Every file read on the flow's behalf (modules, Config files) must resolve, after
symlinks, inside the project: the repository root above the flow (the nearest directory
holding `.git`), else the flow's own directory, or a `--path` directory. Each file is
parsed once; `files` records what was read and its sha256, for stale-plan checks.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from placer.errors import FlowError
from placer.flow._source import Source, parse_text

MAX_FILE_BYTES = 8 * 1024 * 1024  # a module or Config file larger than this is refused


@dataclass(frozen=True, eq=False)  # identity: each module is loaded once
class Module:
    """One parsed module of the project (the flow file is `__main__`)."""

    name: str  # dotted name; "__main__" for the flow file
    source: Source
    package: str | None  # the package relative imports start from; None: no parent package
    search: tuple[Path, ...] = ()  # a package's __path__ (directories of its submodules)

    @property
    def path(self) -> Path:
        return self.source.path

    @property
    def tree(self) -> ast.Module:
        return self.source.module


@dataclass
class Project:
    """The flow's module search path and project boundary; reads and caches files."""

    flow_path: Path
    paths: Sequence[Path] = ()
    files: dict[Path, str] = field(default_factory=dict)  # every file read -> sha256
    _modules: dict[str, Module | None] = field(default_factory=dict)
    _sources: dict[Path, Source] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.roots = (self.flow_path.parent, *self.paths)
        resolved = self.flow_path.resolve()
        self.boundaries = (project_root(resolved.parent), *(p.resolve() for p in self.paths))

    def main(self, source: Source) -> Module:
        """The flow file itself, as the `__main__` module."""
        self.files[source.path] = source.sha256
        self._sources[source.path.resolve()] = source
        module = Module("__main__", source, None)
        self._modules["__main__"] = module
        return module

    def module(self, dotted: str) -> Module | None:
        """The project module `dotted` (e.g. `common.pipeline`), or None if not found."""
        if dotted not in self._modules:
            self._modules[dotted] = None  # a module importing itself while loading
            self._modules[dotted] = self._load(dotted)
        return self._modules[dotted]

    def _load(self, dotted: str) -> Module | None:
        parent, _, last = dotted.rpartition(".")
        if parent:
            owner = self.module(parent)
            if owner is None or not owner.search:
                return None
            places: Sequence[Path] = owner.search
        else:
            places = self.roots
        found = _find(places, last)
        if found is None:
            return None
        file, search = found
        package = dotted if search else parent
        if file is None:  # a namespace package: no code of its own
            empty = Source(search[0], "", ast.Module(body=[], type_ignores=[]), "")
            return Module(dotted, empty, package, search)
        return Module(dotted, self.read_module(file), package, search)

    def read_module(self, path: Path) -> Source:
        """Parse a module file (once), after checking it stays inside the project."""
        real = self.inside(path, "module")
        if real not in self._sources:
            data = self.read_bytes(path, real)
            text = _decode(data, path)
            self._sources[real] = Source(path, text, parse_text(text, path), _sha(data))
        return self._sources[real]

    def read_data(self, path: Path, what: str) -> bytes:
        """The bytes of a data file (a Config default) the flow reads, inside the project."""
        return self.read_bytes(path, self.inside(path, what))

    def read_bytes(self, path: Path, real: Path) -> bytes:
        if not real.is_file():
            raise FlowError("is not a regular file", str(path), "point the flow at a regular file")
        if real.stat().st_size > MAX_FILE_BYTES:
            raise FlowError(
                f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
                str(path),
                "placer reads flow modules and Config files up to that size",
            )
        try:
            data = real.read_bytes()
        except OSError as exc:
            raise FlowError(
                f"cannot read the file ({exc.strerror or exc})", str(path), "make it readable"
            ) from None
        self.files[path] = _sha(data)
        return data

    def inside(self, path: Path, what: str) -> Path:
        """`path` resolved after symlinks; FlowError when that leaves the project."""
        try:
            real = path.resolve(strict=True)
        except FileNotFoundError:
            raise FlowError(f"the {what} file does not exist", str(path), _MISSING) from None
        except (OSError, RuntimeError) as exc:  # a symlink loop, a name too long
            raise FlowError(f"cannot read the {what} file ({exc})", str(path), _MISSING) from None
        if not any(real.is_relative_to(b) for b in self.boundaries):
            raise FlowError(
                f"the {what} file resolves to {real}, outside the flow's project "
                f"({self.boundaries[0]})",
                str(path),
                "keep files the flow reads inside its repository (or pass its directory "
                "with --path)",
            )
        return real


_MISSING = "check the path (relative paths start at the flow's directory)"


def project_root(directory: Path) -> Path:
    """The repository root above `directory` (holding `.git`), else `directory` itself."""
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return directory


def _find(places: Sequence[Path], name: str) -> tuple[Path | None, tuple[Path, ...]] | None:
    """(file, package search path) of `name` in `places`, as Python's path finder does."""
    portions: list[Path] = []
    for directory in places:
        package = directory / name
        init = package / "__init__.py"
        if init.is_file():
            return init, (package,)
        module = directory / f"{name}.py"
        if module.is_file():
            return module, ()
        if package.is_dir():
            portions.append(package)
    return (None, tuple(portions)) if portions else None


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FlowError("not a UTF-8 text file", f"{path}:{line}", "save it as UTF-8") from None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
