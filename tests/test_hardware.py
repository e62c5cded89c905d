"""Relative throughput of accelerators and CPU generations (placer.hardware), and durations
scaled by it from the reference hardware (placer.optimize.demand.task_hours_on)."""

import pytest

from placer.hardware import (
    ACCELERATORS,
    Hardware,
    accelerator,
    cpu_generation,
    cpu_reference,
    hardware_of,
)
from placer.optimize.demand import Demand, task_hours_on
from pricing import Offer, accelerators


def test_every_accelerator_row_is_a_canonical_name_with_a_source():
    for name, row in ACCELERATORS.items():
        assert accelerators.canonical(name) == name
        assert row.factor > 0 and row.source


def test_accelerators_are_found_through_the_alias_table():
    assert accelerator("A100").factor == 1.0  # A100 is the 40 GB part
    assert accelerator("nvidia-h100-80gb").factor == 1.75
    assert accelerator("tpu-v5-lite-podslice").factor == 0.58
    assert accelerator("A10").factor == accelerator("A10G").factor == 0.39
    assert accelerator("inf2") is None  # an inference chip: no training figure
    assert accelerator(None) is None


@pytest.mark.parametrize(
    ("cloud", "name", "label", "factor"),
    [
        ("aws", "m6i.large", "Ice Lake (2021)", 1.0),
        ("aws", "m7i.2xlarge", "Sapphire Rapids (2023)", 1.15),
        ("aws", "m5.large", "Skylake/Cascade Lake (2017-19)", 0.85),
        ("aws", "c5a.xlarge", "AMD Naples/Rome (2018-20)", 0.75),
        ("aws", "m7a.large", "AMD Genoa, a core per vCPU (2023)", 1.45),
        ("aws", "c7g.large", "Graviton3 (2022)", 1.25),
        ("aws", "x2gd.large", "Graviton2 (2020)", 1.0),
        ("aws", "i4i.large", "Ice Lake (2021)", 1.0),
        ("aws", "m4.large", "Haswell/Broadwell (2014-16)", 0.7),
        ("gcp", "n2-standard-8", "Cascade Lake/Ice Lake, Rome/Milan (2019-21)", 0.95),
        ("gcp", "c4a-standard-4", "Google Axion, a core per vCPU (2024)", 1.45),
        ("azure", "Standard_D4s_v5", "Ice Lake/Milan (2021)", 1.0),
        ("azure", "Standard_F8s_v2", "Cascade Lake, high clock (2019)", 0.95),
        ("azure", "Standard_D8as_v6", "AMD Genoa (2024)", 1.2),
    ],
)
def test_cpu_generations(cloud, name, label, factor):
    found = cpu_generation(cloud, name)
    assert (found.label, found.factor) == (label, factor)


def test_unknown_families_have_no_generation():
    assert cpu_generation("aws", "aws.2x8") is None
    assert cpu_reference("bogus") is None
    assert cpu_reference("m6i").factor == cpu_reference("n2d-standard-4").factor + 0.05


def demand(hours=2.0, reference="A100-40GB", gpu=1, **overrides) -> Demand:
    ref = accelerator(reference) if gpu else cpu_reference(reference)
    return Demand(
        "train", 4, 16.0, gpu, None, None, "x86_64", 4, 4, 1, hours, 0.0, 0.0,
        reference=ref, reference_label=reference, reference_from="steps.train.reference",
        **overrides,
    )  # fmt: skip


def on(model: str) -> Hardware:
    return hardware_of(Offer("aws", "r", "x", 8, 32, 1.0, gpu_count=1, gpu_model=model), True)


def test_durations_scale_by_relative_throughput_from_the_reference():
    # 2 h on an A100 (1.0): an H100 (1.75) takes 2 / 1.75 = 1.1429 h, a T4 (0.21) 9.524 h.
    assert task_hours_on(demand(), on("H100")) == (pytest.approx(2 / 1.75), "table")
    assert task_hours_on(demand(), on("T4")) == (pytest.approx(2 / 0.21), "table")
    assert task_hours_on(demand(), on("A100-80GB")) == (2.0, "reference")
    # measured on an L4 (0.27): the same step takes 2 x 0.27 / 1.75 h on an H100
    assert task_hours_on(demand(reference="L4"), on("H100"))[0] == pytest.approx(2 * 0.27 / 1.75)


def test_a_step_overrides_the_table():
    mine = demand(speedup=(("H100", 3.0),), durations=(("T4", 5.0),))
    assert task_hours_on(mine, on("H100")) == (pytest.approx(2 / 3.0), "speedup")
    assert task_hours_on(mine, on("T4")) == (5.0, "durations")
    assert task_hours_on(mine, on("L4")) == (pytest.approx(2 / 0.27), "table")


def test_unknown_hardware_and_any_are_not_scaled():
    assert task_hours_on(demand(), on("inf2")) == (2.0, "unknown")
    anywhere = Demand("s", 1, 1.0, 0, None, None, "x86_64", 1, 1, 1, 2.0, 0.0, 0.0)
    cpu = hardware_of(Offer("aws", "r", "m7i.large", 2, 8, 0.1), False)
    assert task_hours_on(anywhere, cpu) == (2.0, "any")
    # a CPU step measured on m6i (1.0) runs 2 / 1.15 h on Sapphire Rapids
    assert task_hours_on(demand(gpu=0, reference="m6i"), cpu) == (pytest.approx(2 / 1.15), "table")
