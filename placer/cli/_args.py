"""Options whose value may be left out, e.g. `placer learn FLOW --write` (the placer.yaml in
effect) or `--write other.yaml`. typer's parser has no such options (click's `flag_value`),
so `main()` fills the value in before parsing: an option that ends the line, or is followed
by another option, gets its default here."""

from __future__ import annotations

from collections.abc import Sequence

# command -> option -> the value it takes when given alone
OPTIONAL_VALUES: dict[str, dict[str, str]] = {
    "learn": {"--write": ""},
    "plan": {"--from-runs": "10"},
}


def fill_optional_values(args: Sequence[str]) -> list[str]:
    """`args` with every bare optional-value option written as `--option=value`."""
    out = list(args)
    command = next((a for a in out if not a.startswith("-")), None)
    options = OPTIONAL_VALUES.get(command or "", {})
    for i, arg in enumerate(out):
        if arg == "--":
            break
        if arg in options:
            following = out[i + 1] if i + 1 < len(out) else None
            if following is None or following.startswith("-"):
                out[i] = f"{arg}={options[arg]}"
    return out
