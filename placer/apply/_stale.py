"""Is the plan still about these files? (sha256 of the flow and of placer.yaml.)"""

from __future__ import annotations

import hashlib
from pathlib import Path

from placer.errors import ApplyError
from placer.inputs import MAX_CONFIG_BYTES, MAX_FLOW_BYTES, inside, project_of, read_regular
from placer.plan import Plan


def sha256_of(data: bytes) -> str:
    """Hex sha256, as plan files record it."""
    return hashlib.sha256(data).hexdigest()


def locate(recorded: str, plan_path: Path) -> Path:
    """A path recorded in a plan: absolute, else relative to the plan's directory, else cwd."""
    path = Path(recorded)
    if path.is_absolute():
        return path
    beside_plan = plan_path.parent / path
    return beside_plan if beside_plan.exists() else path


def plan_flow_path(plan: Plan, plan_path: Path) -> Path:
    """The flow file a plan names, which apply may rewrite.

    A plan file can be edited by hand, so the file it names (absolute, with `..`, or
    through a symlink) must resolve inside the plan's project: the repository holding the
    plan (the nearest directory above it with `.git`), else the plan's own directory.
    Anything else is applied only with `--flow PATH`, which names the file on the
    command line.
    """
    if not plan.flow_file.strip():
        raise ApplyError("the plan names no flow file", f"{plan_path}: flow.file", _FLOW_HINT)
    path = locate(plan.flow_file, plan_path)
    root = project_of(plan_path)
    if not inside(path, root):
        raise ApplyError(
            f"the plan names the flow file {plan.flow_file!r}, which is outside the plan's "
            f"project ({root})",
            f"{plan_path}: flow.file",
            _FLOW_HINT,
        )
    return path


_FLOW_HINT = "pass the flow with --flow PATH to apply this plan to it"


def config_changed(plan: Plan, plan_path: Path) -> ApplyError | None:
    """An error saying placer.yaml changed (or vanished) since the plan; None if it did not."""
    if not plan.config_file or not plan.config_sha256:
        return None
    path = locate(plan.config_file, plan_path)
    if not path.exists():
        return ApplyError("the config file the plan was made with is missing", str(path), _HINT)
    data = read_regular(path, "config file", MAX_CONFIG_BYTES, ApplyError)
    if sha256_of(data) != plan.config_sha256:
        return ApplyError("config file changed since the plan was made", str(path), _HINT)
    return None


def flow_changed(plan: Plan, flow_path: Path, source: bytes) -> ApplyError | None:
    """An error saying the flow changed since the plan; None if its sha256 matches."""
    if sha256_of(source) == plan.flow_sha256:
        return None
    return ApplyError(
        f"flow file changed since the plan was made (sha256 {sha256_of(source)[:12]}, "
        f"plan has {plan.flow_sha256[:12]})",
        str(flow_path),
        _HINT,
    )


_HINT = "re-run `placer plan` on the current files, or pass --force to apply this plan anyway"


def steps_changed(plan: Plan, flow_path: Path, plan_path: Path | None = None) -> ApplyError | None:
    """Selectors mode: an error when the flow at hand no longer has the plan's steps.

    That mode does not edit the flow, so a flow an earlier apply rewrote (a new sha256,
    the same steps) still fits the plan; no flow file at all means the document is wanted
    on its own.
    """
    if not flow_path.exists():
        return None
    stale = flow_changed(
        plan, flow_path, read_regular(flow_path, "flow file", MAX_FLOW_BYTES, ApplyError)
    )
    if stale is None:
        return None
    from placer.errors import FlowError
    from placer.flow import read_flow

    try:
        steps = set(read_flow(flow_path, plan.flow, plan.read_options(plan_path)).steps)
    except FlowError:
        return stale  # it changed so much placer cannot read it as this flow
    return stale if steps != set(plan.steps) else None


def sources_changed(
    plan: Plan, flow_path: Path, ignore: frozenset[Path], plan_path: Path | None = None
) -> ApplyError | None:
    """An error when another file the flow was read from (a base-class module, a Config
    file) changed or vanished since the plan; None when all match.

    Paths are relative to the flow file's directory, as the plan records them. The flow
    file itself is `flow_changed`'s business, and files apply writes (`ignore`, e.g.
    placement.json) are expected to change. Entries leaving the flow's project (and the
    `--path` directories and `--flow-config` files the plan was made with) are refused: a
    plan is input from a pull request too.
    """
    from placer.flow._project import MAX_FILE_BYTES, project_root

    base = flow_path.parent
    beside = plan_path or flow_path
    roots = (
        project_root(base.resolve()),
        *(locate(p, beside).resolve() for p in plan.flow_paths),
    )
    given = {locate(f, beside).resolve() for f in plan.flow_config_files.values()}
    flow_real = flow_path.resolve()
    for relative, sha in plan.flow_sources.items():
        path = base / relative
        real = path.resolve()
        if real == flow_real or real in ignore:
            continue
        if real not in given and not any(real.is_relative_to(r) for r in roots):
            return ApplyError(
                f"the plan lists {relative} as read by the flow, outside the flow's project",
                f"{plan.flow_file}: flow.sources",
                "re-run `placer plan`",
            )
        if not real.is_file():
            return ApplyError(
                f"{relative}, which the flow reads, is missing since the plan was made",
                str(path),
                _HINT,
            )
        if real.stat().st_size > MAX_FILE_BYTES or sha256_of(real.read_bytes()) != sha:
            return ApplyError(
                f"{relative}, which the flow reads, changed since the plan was made",
                str(path),
                _HINT,
            )
    return None
