"""Accelerator names: one canonical name per model, with the aliases clouds and users write.

Matching is exact on canonical names, never by prefix (a prefix made ``A10`` match A100):

* ``resolve("a100 80gb")`` -> ``"A100-80GB"``; ``resolve("nvidia-tesla-t4")`` -> ``"T4"``.
* A plain model name means one model: ``A100`` is the A100 40 GB (NVIDIA's original, what
  AWS p4d and GCP a2-highgpu carry), ``H100`` the 80 GB SXM part, ``V100`` the 16 GB part.
* To accept every size of a model, say so with a family wildcard: ``A100*`` matches
  A100-40GB and A100-80GB, ``H100*`` matches H100 and H100-NVL (the family, not a string
  prefix: ``A10*`` is A10 and A10G, never A100).
* An unknown name raises :class:`UnknownAccelerator` with the nearest names (did you mean).

Memory is per device, in GiB as the vendors quote it (GB on datasheets; close enough for
fitting a model, and never used for money).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Accelerator:
    """One accelerator model: canonical name, vendor kind, memory per device, family."""

    name: str
    kind: str  # "nvidia" | "amd" | "trainium" | "inferentia" | "tpu" | "gaudi"
    memory_gib: float
    family: str
    aliases: tuple[str, ...] = ()


def _a(name: str, kind: str, memory: float, family: str = "", *aliases: str) -> Accelerator:
    return Accelerator(name, kind, memory, family or name, aliases)


ACCELERATORS: tuple[Accelerator, ...] = (
    _a("T4", "nvidia", 16, "", "tesla-t4", "nvidia-tesla-t4"),
    _a("T4G", "nvidia", 16, "T4", "t4g"),
    _a("L4", "nvidia", 24, "", "nvidia-l4"),
    _a("A10", "nvidia", 24, "A10"),
    _a("A10G", "nvidia", 24, "A10"),
    _a("A100-40GB", "nvidia", 40, "A100", "A100", "a100-40g", "a100-sxm4-40gb",
       "nvidia-tesla-a100"),
    _a("A100-80GB", "nvidia", 80, "A100", "a100-80g", "a100-sxm4-80gb", "nvidia-a100-80gb"),
    _a("H100", "nvidia", 80, "H100", "h100-80gb", "h100-sxm", "nvidia-h100-80gb",
       "h100-mega", "h100-mega-80gb", "nvidia-h100-mega-80gb"),
    _a("H100-NVL", "nvidia", 94, "H100", "h100nvl", "h100-94gb"),
    _a("H200", "nvidia", 141, "", "h200-141gb", "nvidia-h200-141gb"),
    _a("B200", "nvidia", 180, "", "nvidia-b200"),
    _a("GB200", "nvidia", 186, ""),
    _a("L40S", "nvidia", 48, "L40"),
    _a("L40", "nvidia", 48, "L40"),
    _a("V100", "nvidia", 16, "V100", "tesla-v100", "nvidia-tesla-v100", "v100-16gb"),
    _a("V100-32GB", "nvidia", 32, "V100", "v100-32g"),
    _a("P100", "nvidia", 16, "", "tesla-p100", "nvidia-tesla-p100"),
    _a("P4", "nvidia", 8, "", "tesla-p4", "nvidia-tesla-p4"),
    _a("K80", "nvidia", 12, "", "tesla-k80", "nvidia-tesla-k80"),
    _a("M60", "nvidia", 8, "", "tesla-m60"),
    _a("RTX-PRO-6000", "nvidia", 96, "", "rtx-pro-6000", "nvidia-rtx-pro-6000"),
    _a("MI300X", "amd", 192, "", "instinct-mi300x"),
    _a("MI25", "amd", 16, "", "radeon-instinct-mi25"),
    _a("Radeon-Pro-V520", "amd", 8, "", "radeon-pro-v520", "v520"),
    _a("trn1", "trainium", 32, "", "trainium", "trainium1"),
    _a("trn2", "trainium", 96, "", "trainium2"),
    _a("inf1", "inferentia", 8, "", "inferentia", "inferentia1"),
    _a("inf2", "inferentia", 32, "", "inferentia2"),
    _a("Gaudi", "gaudi", 32, "", "gaudi-hl-205", "hl-205"),
    _a("tpu-v4", "tpu", 32, "", "tpu-v4-podslice"),
    _a("tpu-v5e", "tpu", 16, "", "tpu-v5-lite", "tpu-v5-lite-podslice", "tpu-v5litepod", "v5e"),
    _a("tpu-v5p", "tpu", 95, "", "tpu-v5p-slice", "v5p"),
    _a("tpu-v6e", "tpu", 32, "", "tpu-v6e-slice", "trillium", "v6e"),
)  # fmt: skip

BY_NAME: dict[str, Accelerator] = {a.name: a for a in ACCELERATORS}


class UnknownAccelerator(ValueError):
    """A name the table does not know; ``suggestions`` are the nearest canonical names."""

    def __init__(self, name: str, suggestions: tuple[str, ...]) -> None:
        near = " or ".join(repr(s) for s in suggestions)
        hint = f" (did you mean {near}?)" if suggestions else ""
        super().__init__(f"unknown accelerator model {name!r}{hint}")
        self.name = name
        self.suggestions = suggestions


def _key(text: str) -> str:
    """A spelling-insensitive key: lower case, no vendor words, one separator."""
    key = re.sub(r"[\s_/]+", "-", text.strip().lower())
    key = re.sub(r"^(nvidia|amd|aws|google|tesla)-", "", key)
    key = re.sub(r"^(nvidia|tesla)-", "", key)
    return key.strip("-")


def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for accelerator in ACCELERATORS:
        for spelling in (accelerator.name, *accelerator.aliases):
            index.setdefault(_key(spelling), accelerator.name)
            index.setdefault(_key(spelling).replace("-", ""), accelerator.name)
    return index


_INDEX = _index()


@functools.lru_cache(maxsize=512)
def canonical(name: str) -> str | None:
    """The canonical name of an accelerator spelling, or None if the table lacks it."""
    key = _key(name)
    return _INDEX.get(key) or _INDEX.get(key.replace("-", ""))


def resolve(name: str) -> str:
    """The canonical name, or :class:`UnknownAccelerator` with did-you-mean suggestions."""
    found = canonical(name)
    if found is None:
        raise UnknownAccelerator(name, suggest(name))
    return found


def suggest(name: str, choices: Iterable[str] | None = None) -> tuple[str, ...]:
    """Up to three canonical names close to ``name``."""
    names = list(choices) if choices is not None else [a.name for a in ACCELERATORS]
    lowered = {n.lower(): n for n in names}
    near = difflib.get_close_matches(name.strip().lower(), list(lowered), n=3, cutoff=0.5)
    return tuple(lowered[n] for n in near)


@functools.lru_cache(maxsize=512)
def wanted(spec: str) -> frozenset[str]:
    """The canonical names a ``gpu_model`` value accepts: one model, or a family with ``*``.

    Raises :class:`UnknownAccelerator` for a name (or family) the table does not know.
    """
    text = spec.strip()
    if text.endswith("*"):
        family = text[:-1].rstrip("-")
        head = canonical(family)
        families = {a.family for a in ACCELERATORS if a.family.lower() == family.lower()}
        if head is not None:
            families.add(BY_NAME[head].family)
        if not families:
            raise UnknownAccelerator(spec, tuple(f"{s}*" for s in suggest(family, _families())))
        return frozenset(a.name for a in ACCELERATORS if a.family in families)
    return frozenset({resolve(text)})


def _families() -> list[str]:
    return sorted({a.family for a in ACCELERATORS})


def matches(offer_model: str | None, spec: str) -> bool:
    """Whether a node's accelerator (as the catalog names it) satisfies ``spec`` exactly."""
    if not offer_model:
        return False
    model = canonical(offer_model)
    return model is not None and model in wanted(spec)


def memory_gib(name: str | None) -> float:
    """Memory per device of a known accelerator, else 0."""
    model = canonical(name) if name else None
    return BY_NAME[model].memory_gib if model else 0.0


def kind_of(name: str | None) -> str | None:
    """The vendor kind of a known accelerator ("nvidia", "tpu", ...), else None."""
    model = canonical(name) if name else None
    return BY_NAME[model].kind if model else None
