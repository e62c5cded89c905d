"""Is the plan still about these files? (sha256 of the flow and of placer.yaml.)"""

from __future__ import annotations

import hashlib
from pathlib import Path

from placer.errors import ApplyError
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


def config_changed(plan: Plan, plan_path: Path) -> ApplyError | None:
    """An error saying placer.yaml changed (or vanished) since the plan; None if it did not."""
    if not plan.config_file or not plan.config_sha256:
        return None
    path = locate(plan.config_file, plan_path)
    if not path.exists():
        return ApplyError("the config file the plan was made with is missing", str(path), _HINT)
    if sha256_of(path.read_bytes()) != plan.config_sha256:
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
