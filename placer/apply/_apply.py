"""`placer apply` as a library call: plan in, what would be written out; then write it.

`apply_plan` never touches the disk except to read; `write_outcome` is the only writer.
Staleness rule: the plan records the sha256 of the flow (and config) it was made from.
A flow whose sha256 differs is refused, unless rewriting it is a no-op and every step of
the flow is in the plan: then the plan is already applied (typically by an earlier
`placer apply` of the same plan) and nothing is written. Selectors mode edits no flow:
it refuses a changed config, and a changed flow only when its steps differ from the
plan's. `--force` skips every check.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from placer.apply._config_mode import (
    PLACEMENT_FILE,
    placement_document,
    placement_result,
    rewrite_for_config,
)
from placer.apply._facts import PLACEMENT_CONFIG, FlowFacts, flow_facts
from placer.apply._mutator_mode import (
    carries_mutator,
    ignored_by_stale_check,
    mutator_files,
    mutator_warning,
)
from placer.apply._project import line_length
from placer.apply._result import ApplyOutcome, FileResult
from placer.apply._rewrite import decorators_edit, fix_order_only, rewrite
from placer.apply._selectors import Format, render, selectors_document, with_option
from placer.apply._stale import (
    check_priced,
    config_changed,
    locate,
    plan_flow_path,
    sha256_of,
    sources_changed,
    steps_changed,
)
from placer.atomic import write_all_atomic
from placer.errors import ApplyError, FlowError
from placer.flow import Flow
from placer.flow._project import project_root
from placer.inputs import (
    MAX_DOCUMENT_BYTES,
    MAX_FLOW_BYTES,
    check_output,
    inside,
    project_of,
    read_regular,
)
from placer.labels import COMPUTE_POOL_LABEL
from placer.plan import Plan

Mode = Literal["decorators", "config", "selectors", "mutator"]


@dataclass(frozen=True)
class ApplyOptions:
    """The choices of one `placer apply` run (see `placer apply --help`)."""

    mode: Mode = "decorators"
    right_size: bool = False
    fix_order: bool = False
    force: bool = False
    flow: Path | None = None  # default: the plan's flow.file
    out: Path | None = None  # selectors: the document; else the flow (and files beside it)
    format: Format = "json"


def apply_plan(plan: Plan, plan_path: Path, options: ApplyOptions) -> ApplyOutcome:
    """Everything applying `plan` would write, with changes and warnings. Reads only.

    A stale plan (what it priced is no longer what the flow, placer.yaml or a file the
    flow reads says) is refused with StalePlan naming the first difference, unless
    `--force`. A flow that differs only in placement, formatting or comments is fine.
    """
    _check_compute_pools(plan, plan_path)
    if options.mode == "selectors":
        return _selectors(plan, plan_path, options)
    flow_path = options.flow or plan_flow_path(plan, plan_path)
    source = _read_flow(flow_path)
    if options.out is not None and not _same(options.out, flow_path):
        check_output(options.out, _inputs(plan, plan_path, flow_path))
    if not options.force and (error := config_changed(plan, plan_path)):
        raise error
    edited = sha256_of(source) != plan.flow_sha256  # by an earlier apply, or by someone
    flow, unreadable = _read_now(plan, plan_path, flow_path, options)
    if edited and not options.force:
        check_priced(plan, flow_path, flow, unreadable, options.right_size)
    facts = _flow_facts(flow, unreadable, options, edited)
    target = options.out or flow_path
    if not options.force:
        written = _written_by_apply(facts, flow_path, target)
        if error := sources_changed(plan, flow_path, written, plan_path):
            raise error
    files = _rewrite_files(plan, plan_path, flow_path, source, options, facts)
    applied = edited and not any(f.changed for f in files)
    notes = (f"{flow_path} already matches the plan",) if applied else ()
    return ApplyOutcome(plan.flow, files, already_applied=applied, notes=notes)


def _check_compute_pools(plan: Plan, plan_path: Path) -> None:
    """A plan may repeat the compute-pool label in node_selector, but not contradict it.

    `placer plan` writes the full selector with `compute_pool` beside it; older and
    hand-made plans leave the label out. Both mean the same; two pools mean damage.
    """
    for name, step in plan.steps.items():
        label = step.node_selector.get(COMPUTE_POOL_LABEL)
        if step.compute_pool and label is not None and label != step.compute_pool:
            raise ApplyError(
                f"node_selector has {COMPUTE_POOL_LABEL}={label} but compute_pool is "
                f"{step.compute_pool}",
                f"{plan_path}: steps.{name}",
                "re-run `placer plan`",
            )


def fix_order(flow_path: Path) -> ApplyOutcome:
    """Only move misplaced `@step` decorators innermost (no plan needed). Reads only."""
    result = fix_order_only(_read_flow(flow_path), flow_path)
    return ApplyOutcome("", (result,))


def write_outcome(outcome: ApplyOutcome) -> list[Path]:
    """Write the changed files atomically, all or none; return the paths written.

    Each file must still hold what apply read (compare-and-swap under a lock per file), so
    a concurrent apply or an editor's save is never lost: the write is refused instead.
    A file derived from the repository never leaves it through a symlink.
    """
    changed = [result for result in outcome.files if result.changed]
    for result in changed:
        _check_within(result)
    try:
        write_all_atomic([(r.path, r.after, r.before) for r in changed])
    except OSError as exc:  # a missing directory, no permission, a full disk
        raise ApplyError(
            f"cannot write: {exc.strerror or exc}",
            str(getattr(exc, "filename", None) or changed[0].path),
            "check the directory exists and is writable",
        ) from None
    return [result.path for result in changed]


def _check_within(result: FileResult) -> None:
    if result.within is not None and not inside(result.path, result.within):
        real = Path(os.path.realpath(result.path))
        raise ApplyError(
            f"refusing to write through a symlink to {real}, outside the project ({result.within})",
            str(result.path),
            "replace the symlink with a regular file (or pass the real path with --flow/--out)",
        )


def _read_flow(path: Path) -> bytes:
    return read_regular(
        path, "flow file", MAX_FLOW_BYTES, ApplyError, "pass the flow with --flow PATH"
    )


def _same(a: Path, b: Path) -> bool:
    from placer.inputs import same_file

    return same_file(a, b)


def _inputs(plan: Plan, plan_path: Path, flow_path: Path | None) -> list[Path | None]:
    """The files an apply reads: an output landing on one of them would destroy it."""
    config = locate(plan.config_file, plan_path) if plan.config_file else None
    return [plan_path, flow_path, config]


def _read_now(
    plan: Plan, plan_path: Path, flow_path: Path, options: ApplyOptions
) -> tuple[Flow | None, FlowError | None]:
    """The flow as apply is about to leave it (the placement Config holding the plan's
    placement, placer's own mutator not run), or why it cannot be read."""
    from placer.flow import read_flow

    read_options = dataclasses.replace(
        plan.read_options(plan_path),
        assumed_values={PLACEMENT_CONFIG: placement_document(plan, options.right_size)},
        run_placer_mutator=False,
    )
    try:
        return read_flow(flow_path, plan.flow, read_options), None
    except FlowError as exc:
        return None, exc


def _flow_facts(
    flow: Flow | None, unreadable: FlowError | None, options: ApplyOptions, edited: bool
) -> FlowFacts:
    """What the flow reader sees that the flow file alone does not (inherited steps,
    Config wiring, the placement Config's file).

    Decorators mode (and --fix-order, and an edited flow under --force) goes on without
    them when the flow cannot be read; config and mutator modes need them and say why.
    """
    if unreadable is None:
        return flow_facts(flow)
    if options.mode == "decorators" or options.fix_order or edited:
        return FlowFacts()
    raise unreadable


def _written_by_apply(facts: FlowFacts, flow_path: Path, target: Path) -> frozenset[Path]:
    """Files apply itself rewrites that the flow reads: a changed one is not news."""
    written = {(flow_path.parent / PLACEMENT_FILE).resolve(), *ignored_by_stale_check(target)}
    if facts.placement is not None and facts.placement.default_file is not None:
        written.add(facts.placement.default_file.resolve())
    return frozenset(written)


def _rewrite_files(
    plan: Plan,
    plan_path: Path,
    flow_path: Path,
    source: bytes,
    options: ApplyOptions,
    facts: FlowFacts,
) -> tuple[FileResult, ...]:
    files = _mode_files(plan, plan_path, flow_path, source, options, facts)
    if options.mode == "mutator" or not carries_mutator(source, plan.flow):
        return files
    *others, flow = files
    warned = dataclasses.replace(flow, warnings=(*flow.warnings, mutator_warning(plan.flow)))
    return (*others, warned)


def _mode_files(
    plan: Plan,
    plan_path: Path,
    flow_path: Path,
    source: bytes,
    options: ApplyOptions,
    facts: FlowFacts,
) -> tuple[FileResult, ...]:
    """The files of one mode; the rewritten flow is the last."""
    target = options.out or flow_path
    width = line_length(flow_path)
    if options.mode == "decorators":
        edit = decorators_edit(plan, options.right_size, options.fix_order, facts)
        result = rewrite(source, flow_path, plan, edit, line_length=width, facts=facts)
        return (_retarget(result, target),)
    if options.mode == "mutator":
        if options.fix_order:
            source = fix_order_only(source, flow_path).after
        files = mutator_files(source, flow_path, target, plan, options.right_size, facts)
        return tuple(_derived(f, options) for f in files)
    placement_path = _placement_path(facts, flow_path, target)
    if options.out is not None:
        check_output(placement_path, _inputs(plan, plan_path, flow_path), "--out")
    flow = rewrite_for_config(
        source, flow_path, plan, options.right_size, options.fix_order, width, facts
    )
    placement = placement_result(placement_path, plan, options.right_size, options.force)
    placement = dataclasses.replace(placement, within=project_of(placement_path))
    return placement, _retarget(flow, target)


def _placement_path(facts: FlowFacts, flow_path: Path, target: Path) -> Path:
    """The file the flow's `placement` Config really reads (next to `target` when the flow
    declares none yet); it must stay inside the flow's project."""
    config = facts.placement
    if config is None:
        return target.parent / PLACEMENT_FILE
    where = f"{config.file}:{config.line}"
    if config.attr != PLACEMENT_CONFIG:
        raise ApplyError(
            f"the flow's Config '{PLACEMENT_CONFIG}' is held by attribute '{config.attr}'; "
            f"config mode reads it as `{PLACEMENT_CONFIG}`",
            where,
            f'declare it as `{PLACEMENT_CONFIG} = Config("{PLACEMENT_CONFIG}", '
            'default="placement.json")`, or use --mode mutator',
        )
    if config.default_file is None:
        raise ApplyError(
            f"the flow's Config '{PLACEMENT_CONFIG}' has no default= file for config mode to "
            "write the placement to",
            where,
            f'declare it as `{PLACEMENT_CONFIG} = Config("{PLACEMENT_CONFIG}", '
            'default="placement.json")`, or use --mode mutator',
        )
    path = target.parent / os.path.relpath(config.default_file, flow_path.parent)
    root = project_root(target.resolve().parent)
    if not path.resolve().is_relative_to(root):
        raise ApplyError(
            f"the flow's Config '{PLACEMENT_CONFIG}' reads {path}, which resolves outside "
            f"the flow's project ({root})",
            where,
            "point its default= at a file inside the repository",
        )
    return path


def _derived(result: FileResult, options: ApplyOptions) -> FileResult:
    """A file apply derives from the repository stays in its project (not `--out`)."""
    if options.out is not None and result.path == options.out:
        return result
    return dataclasses.replace(result, within=project_of(result.path))


def _retarget(result: FileResult, target: Path) -> FileResult:
    """The same rewrite, written to `target` (`--out`) and compared with what is there.

    Rewritten in place, the flow must stay in its project; `--out` is the user's choice."""
    if target == result.path:
        return dataclasses.replace(result, within=project_of(target))
    return dataclasses.replace(result, path=target, before=_current(target))


def _selectors(plan: Plan, plan_path: Path, options: ApplyOptions) -> ApplyOutcome:
    flow_path = options.flow or locate(plan.flow_file, plan_path)
    if not options.force and (
        error := config_changed(plan, plan_path) or steps_changed(plan, flow_path, plan_path)
    ):
        raise error
    text = render(selectors_document(plan, options.right_size), options.format).encode()
    hint = with_option(plan)
    notes: tuple[str, ...] = ()
    if hint:
        notes = (f"all steps share one selector; equivalent option: {hint}",)
        notes += _static_kubernetes_note(flow_path, plan, plan_path)
    if options.out is None:
        return ApplyOutcome(plan.flow, (), notes=notes, stdout=text.decode())
    check_output(options.out, _inputs(plan, plan_path, flow_path))
    result = FileResult(options.out, _current(options.out), text)
    return ApplyOutcome(plan.flow, (result,), notes=notes)


def _current(out: Path) -> bytes | None:
    """What `--out` holds now (None: nothing yet); a directory there is an error."""
    if out.is_dir():
        raise ApplyError("--out is a directory", str(out), f"give a file path, e.g. {out}/FILE")
    if not os.path.lexists(out):
        return None
    return read_regular(out, "--out file", MAX_DOCUMENT_BYTES * 4, ApplyError)


def _static_kubernetes_note(flow_path: Path, plan: Plan, plan_path: Path) -> tuple[str, ...]:
    """Metaflow's `--with` skips steps with a static @kubernetes: say which, if readable."""
    from placer.flow import read_flow

    try:
        flow = read_flow(flow_path, plan.flow, plan.read_options(plan_path))
    except FlowError:
        return ()  # no flow at hand (or not readable): the document stands on its own
    static = [s.name for s in flow.steps.values() if s.decorator("kubernetes") is not None]
    if not static:
        return ()
    return (
        f"--with does not reach steps with a static @kubernetes: {', '.join(static)} "
        "(--mode mutator places every step at deploy time)",
    )
