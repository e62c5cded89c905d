"""The accelerator name table (pricing.accelerators): canonical names, aliases, families."""

import pytest

from pricing.accelerators import (
    ACCELERATORS,
    UnknownAccelerator,
    canonical,
    matches,
    memory_gib,
    resolve,
    wanted,
)


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("A100", "A100-40GB"),  # a plain A100 is the 40 GB part (AWS p4d, GCP a2-highgpu)
        ("a100 80gb", "A100-80GB"),
        ("nvidia-a100-80gb", "A100-80GB"),  # GKE's accelerator label
        ("nvidia-tesla-t4", "T4"),
        ("NVIDIA H100 NVL", "H100-NVL"),
        ("nvidia-h100-mega-80gb", "H100"),
        ("A10", "A10"),
        ("a10g", "A10G"),
        ("TPU v5e", "tpu-v5e"),
        ("tpu-v5-lite-podslice", "tpu-v5e"),
        ("Trainium", "trn1"),
        ("inferentia2", "inf2"),
        ("L40S", "L40S"),
        ("v6e", "tpu-v6e"),
    ],
)
def test_aliases_resolve_to_one_canonical_name(spelling: str, name: str) -> None:
    assert canonical(spelling) == name


def test_every_alias_is_unambiguous() -> None:
    seen: dict[str, str] = {}
    for accelerator in ACCELERATORS:
        for spelling in (accelerator.name, *accelerator.aliases):
            assert seen.setdefault(spelling.lower(), accelerator.name) == accelerator.name
            assert canonical(spelling) == accelerator.name


def test_matching_is_exact_a10_never_a100() -> None:
    assert not matches("A100-40GB", "A10")
    assert not matches("A100-80GB", "A10")
    assert not matches("A10G", "A10")  # a different part (AWS's), asked for by name
    assert matches("A10", "A10")
    assert matches("A100", "A100")  # an old cache's spelling of the 40 GB part
    assert not matches("A100-80GB", "A100")
    assert not matches("H100-NVL", "H100")
    assert not matches(None, "T4")


def test_a_family_wildcard_takes_every_size_of_that_model_only() -> None:
    assert wanted("A100*") == {"A100-40GB", "A100-80GB"}
    assert wanted("H100*") == {"H100", "H100-NVL"}
    assert wanted("A10*") == {"A10", "A10G"}  # the family, not the prefix: no A100
    assert matches("A100-80GB", "A100*") and not matches("A10G", "A100*")


def test_unknown_names_suggest_the_nearest() -> None:
    with pytest.raises(UnknownAccelerator) as info:
        resolve("H10")
    assert "H100" in info.value.suggestions
    assert "did you mean 'H100'" in str(info.value)
    with pytest.raises(UnknownAccelerator) as info:
        wanted("X100*")
    assert "H100*" in info.value.suggestions


def test_memory_per_device() -> None:
    assert (memory_gib("A100"), memory_gib("A100-80GB"), memory_gib("H100 NVL")) == (40, 80, 94)
    assert memory_gib("no such part") == 0 and memory_gib(None) == 0
