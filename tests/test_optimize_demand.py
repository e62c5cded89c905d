"""Tasks, waves and per-pod demand (placer.optimize.demand)."""

import pytest
from fixtures.plan.factory import config, flow, pool, step

from placer.config import Constraints, Defaults, StepUsage
from placer.errors import ConfigError, ExitStatus
from placer.optimize.demand import demands, tasks_per_run

POOLS = [pool("aws", "aws", "us-east-1")]


def nested():
    return flow(
        step("start", ["outer"], type="start"),
        step("outer", ["inner"], type="foreach"),
        step("inner", ["body"], type="foreach", foreach_stack=("outer",)),
        step("body", ["after"], foreach_stack=("outer", "inner")),
        step("after", ["ijoin"], foreach_stack=("outer", "inner")),
        step("ijoin", ["ojoin"], type="join", foreach_stack=("outer",)),
        step("ojoin", ["end"], type="join"),
        step("end", [], type="end"),
    )


def test_nested_foreach_multiplies_default_widths():
    tasks = tasks_per_run(nested(), config(POOLS, defaults=Defaults(foreach_width=3)))
    assert tasks == {
        "start": 1,
        "outer": 1,
        "inner": 3,
        "body": 9,
        "after": 9,
        "ijoin": 3,
        "ojoin": 1,
        "end": 1,
    }


def test_explicit_tasks_on_the_first_body_step_carry_through_its_foreach():
    usage = {"inner": StepUsage(tasks=4), "body": StepUsage(tasks=20)}
    tasks = tasks_per_run(nested(), config(POOLS, usage, defaults=Defaults(foreach_width=3)))
    assert (tasks["inner"], tasks["body"], tasks["after"], tasks["ijoin"]) == (4, 20, 20, 4)


def test_num_parallel_counts_nodes():
    f = flow(
        step("start", ["train"], type="foreach", num_parallel=4),
        step("train", ["join"], foreach_stack=("start",)),
        step("join", ["end"], type="join"),
        step("end", [], type="end"),
    )
    assert tasks_per_run(f, config(POOLS))["train"] == 4


def test_waves_and_concurrency_follow_max_workers():
    f = flow(
        step("start", ["work"], type="foreach"),
        step("work", ["join"], foreach_stack=("start",), cpu=2, memory_mb=2048, gpu=1),
        step("join", ["end"], type="join"),
        step("end", [], type="end"),
    )
    c = config(
        POOLS,
        {"work": StepUsage(tasks=40, duration_hours=0.5, input_gb=3)},
        constraints=Constraints(max_workers=16),
    )
    work = demands(f, c)["work"]
    # 40 tasks, 16 at a time: waves of 16, 16 and 8.
    assert (work.tasks, work.concurrent_tasks, work.waves) == (40, 16, 3)
    # memory=2048 is sent to Kubernetes as "2048M": 2.048e9 bytes = 1.9073 GiB, not 2 GiB.
    assert (work.cpu, work.gpu) == (2.0, 1)
    assert work.memory_gib == pytest.approx(2.048e9 / 2**30)
    assert (work.task_hours, work.input_gb, work.output_gb) == (0.5, 3.0, 0.0)


def test_tasks_on_a_step_outside_any_foreach_is_an_error():
    f = flow(step("start", ["work"], type="start"), step("work", ["end"]), step("end", []))
    with pytest.raises(ConfigError) as info:
        demands(f, config(POOLS, {"work": StepUsage(tasks=4)}))
    assert info.value.exit_status == ExitStatus.BAD_INPUT
    assert info.value.headline == (
        "steps.work.tasks is 4, but work is not inside a foreach: Metaflow runs it once per run"
    )
    assert demands(f, config(POOLS, {"work": StepUsage(tasks=1)}))["work"].tasks == 1


def gpu_flow():
    return flow(
        step("start", ["train"], type="start"), step("train", ["end"], gpu=1), step("end", [])
    )


def test_the_reference_hardware_of_a_step_and_where_it_comes_from():
    def ref(usage=None, **defaults):
        base = Defaults(**defaults)
        d = demands(gpu_flow(), config(POOLS, {"train": usage or StepUsage()}, defaults=base))
        return d["train"].reference_label, d["train"].reference_from, d["start"].reference_label

    assert ref() == ("A100-40GB", "assumed", "m6i")
    assert ref(reference_gpu="H100", reference_cpu="n2") == (
        "H100", "defaults.reference_gpu", "n2"
    )  # fmt: skip
    assert ref(StepUsage(gpu_model="L4*")) == ("L4", "steps.train.gpu_model", "m6i")
    assert ref(StepUsage(reference="T4", gpu_model="L4")) == ("T4", "steps.train.reference", "m6i")
    assert ref(StepUsage(reference="any"))[:2] == ("any", "steps.train.reference")
    assert (
        demands(gpu_flow(), config(POOLS, defaults=Defaults(reference_cpu="any")))[
            "start"
        ].reference
        is None
    )


def test_a_reference_of_the_wrong_kind_is_an_error():
    with pytest.raises(ConfigError, match="steps.train.reference is m6i, not an accelerator"):
        demands(gpu_flow(), config(POOLS, {"train": StepUsage(reference="m6i")}))
    with pytest.raises(ConfigError, match="steps.start.reference is H100, an accelerator"):
        demands(gpu_flow(), config(POOLS, {"start": StepUsage(reference="H100")}))
