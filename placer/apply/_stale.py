"""Is the plan still about these files? placer.yaml and the files the flow reads by
sha256; the flow itself by what the plan priced (`_priced`), so an applied, reformatted
or commented flow still fits its plan and a changed @resources does not."""

from __future__ import annotations

import hashlib
from pathlib import Path

from placer.errors import ApplyError, FlowError, StalePlan
from placer.flow import Flow
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


def config_changed(plan: Plan, plan_path: Path) -> StalePlan | None:
    """An error saying placer.yaml changed (or vanished) since the plan; None if it did not."""
    if not plan.config_file or not plan.config_sha256:
        return None
    path = locate(plan.config_file, plan_path)
    if not path.exists():
        return StalePlan("the config file the plan was made with is missing", str(path), _HINT)
    data = read_regular(path, "config file", MAX_CONFIG_BYTES, ApplyError)
    if sha256_of(data) != plan.config_sha256:
        return StalePlan("config file changed since the plan was made", str(path), _HINT)
    return None


def check_priced(
    plan: Plan,
    flow_path: Path,
    flow: Flow | None,
    unreadable: FlowError | None,
    right_size: bool = False,
) -> None:
    """Raise StalePlan when the flow (edited since the plan: a new sha256) no longer has
    what the plan priced, naming the first differing step and what changed; or when it is
    another flow, or no longer readable as the plan's flow."""
    if flow is None:
        raise _unreadable(plan, flow_path, unreadable)
    from placer.apply._priced import priced_change

    change = priced_change(plan, flow, right_size)
    if change is None:
        return
    where = f"{flow_path}:{change.line}" if change.line else str(flow_path)
    raise StalePlan(
        f"the flow changed since the plan was made: step '{change.step}': {change.what}",
        where,
        _HINT,
    )


def _unreadable(plan: Plan, flow_path: Path, error: FlowError | None) -> StalePlan:
    """A plan for another flow says so; anything else says why the flow cannot be read."""
    from placer.flow import read_flow

    try:
        other = read_flow(flow_path).name
    except FlowError:
        other = None
    if other is not None and other != plan.flow:
        return StalePlan(
            f"the plan is for {plan.flow}, but this file defines {other}",
            str(flow_path),
            "apply the plan to its own flow file (--flow PATH), or re-run `placer plan` "
            "on this one",
        )
    reason = error.headline if error is not None else "unknown"
    return StalePlan(
        f"the flow changed since the plan was made and cannot be read as {plan.flow}: {reason}",
        (error.location if error is not None else None) or str(flow_path),
        _HINT,
    )


_HINT = "re-run `placer plan` on the current files, or pass --force to apply this plan anyway"


def steps_changed(
    plan: Plan, flow_path: Path, plan_path: Path | None = None, right_size: bool = False
) -> StalePlan | None:
    """Selectors mode: a StalePlan when the flow at hand no longer has what the plan priced.

    That mode does not edit the flow, so a flow an earlier apply rewrote still fits the
    plan; no flow file at all means the document is wanted on its own.
    """
    if not flow_path.exists():
        return None
    source = read_regular(flow_path, "flow file", MAX_FLOW_BYTES, ApplyError)
    if sha256_of(source) == plan.flow_sha256:
        return None
    from placer.flow import read_flow

    try:
        flow: Flow | None = read_flow(flow_path, plan.flow, plan.read_options(plan_path))
        unreadable = None
    except FlowError as exc:
        flow, unreadable = None, exc
    try:
        check_priced(plan, flow_path, flow, unreadable, right_size)
    except StalePlan as exc:
        return exc
    return None


def sources_changed(
    plan: Plan, flow_path: Path, ignore: frozenset[Path], plan_path: Path | None = None
) -> StalePlan | None:
    """An error when another file the flow was read from (a base-class module, a Config
    file) changed or vanished since the plan; None when all match.

    Paths are relative to the flow file's directory, as the plan records them. The flow
    file itself is `check_priced`'s business, and files apply writes (`ignore`, e.g.
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
            return StalePlan(
                f"the plan lists {relative} as read by the flow, outside the flow's project",
                f"{plan.flow_file}: flow.sources",
                "re-run `placer plan`",
            )
        if not real.is_file():
            return StalePlan(
                f"{relative}, which the flow reads, is missing since the plan was made",
                str(path),
                _HINT,
            )
        if real.stat().st_size > MAX_FILE_BYTES or sha256_of(real.read_bytes()) != sha:
            return StalePlan(
                f"{relative}, which the flow reads, changed since the plan was made",
                str(path),
                _HINT,
            )
    return None
