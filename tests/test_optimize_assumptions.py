"""Plan warnings, one per cause and grouped across steps (placer.optimize.assumptions), and
the spot interruption odds they quote (placer.optimize.spot)."""

import math
from dataclasses import replace

import pytest
from fixtures.plan.factory import OPTIMIZER_DEFAULTS, config, flow, market, offer, pool, step

from placer.config import Constraints, StepUsage
from placer.flow import Decorator
from placer.optimize import plan_flow
from placer.optimize.spot import expected_factor, hazard_per_hour, interrupted

OFFERS = [
    offer("aws", "us-east-1", "m.large", 2, 8, 0.10, spot_usd_per_hour=0.03),
    offer("aws", "us-east-1", "g.l4", 8, 32, 0.80, gpu_count=1, gpu_model="L4"),
]
AWS = pool("aws", "aws", "us-east-1")
SPOT = pool("spot", "aws", "us-east-1", capacity_type="spot")


def decorated(name, nxt, *decorators, backend="kubernetes", **kw):
    made = step(name, nxt, **kw)
    return replace(made, decorators=tuple(decorators), backend=backend)


def linear(*middle):
    return flow(step("start", [middle[0].name], type="start"), *middle, step("end", []))


def warnings_of(f, pools=(AWS,), usage=None, **kw):
    """The plan's warnings but the one about the factory's steps without @kubernetes."""
    c = config(list(pools), usage or {}, **kw)
    warnings = plan_flow(f, c, market(OFFERS)).warnings
    return tuple(w for w in warnings if "no @kubernetes" not in w)


def test_spot_interruption_arithmetic():
    # 10% of nodes a day: lambda = -ln(0.9) / 24 = 0.0043900 per hour.
    assert hazard_per_hour(0.10) == pytest.approx(-math.log(0.9) / 24)
    # a 3 h task: interrupted with p = 1 - 0.9 ** (3/24) = 1.309%; its expected time with
    # restarts is (e^(3 lambda) - 1) / lambda = 3.0198 h, a factor 1.00661
    assert interrupted(3, 0.10) == pytest.approx(1 - 0.9 ** (3 / 24))
    assert expected_factor(3, 0.10) == pytest.approx(
        (0.9 ** (-3 / 24) - 1) / (3 * -math.log(0.9) / 24)
    )
    assert expected_factor(3, 0.0) == 1.0


def test_a_long_spot_task_without_retry_is_warned_and_its_restarts_priced():
    f = linear(decorated("work", ["end"]))
    usage = {"work": StepUsage(duration_hours=3.0, pools=("spot",))}
    result = plan_flow(f, config([AWS, SPOT], usage), market(OFFERS))
    work = result.steps["work"]
    # 3 h on half an m.large (1 of 2 vCPU) at the $0.03/h spot price, times the expected
    # restarts: 0.015 x 3.0198 = $0.0453
    expected = 0.03 * 0.5 * 3 * expected_factor(3, 0.10)
    assert float(work.cost.compute) == pytest.approx(expected, abs=1e-4)
    (warning,) = [w for w in result.warnings if "without @retry" in w]
    assert warning == (
        "long tasks on spot without @retry: an interruption fails the run (work: 3h00m a task "
        "in spot (10% of aws spot nodes lost a day): 1.3% a task, 1.3% a run of 1; the plan "
        "prices the restarts). To fix: @retry, or steps.<step>.exclude_pools for the spot pools"
    )
    assert work.warnings == (warning,)


def test_the_interruption_rate_is_overridable_per_cloud():
    # defaults.spot_interruption {aws: 30%}: lambda = -ln(0.7) / 24, a 3 h task is
    # interrupted with p = 1 - 0.7 ** (3/24) = 4.36% and costs x 1.0226
    f = linear(decorated("work", ["end"]))
    usage = {"work": StepUsage(duration_hours=3.0, pools=("spot",))}
    defaults = replace(OPTIMIZER_DEFAULTS, spot_interruption={"aws": 0.30})
    result = plan_flow(f, config([AWS, SPOT], usage, defaults=defaults), market(OFFERS))
    assert expected_factor(3, 0.30) == pytest.approx(1.0226, abs=1e-4)
    expected = 0.03 * 0.5 * 3 * expected_factor(3, 0.30)
    assert float(result.steps["work"].cost.compute) == pytest.approx(expected, abs=1e-4)
    (warning,) = [w for w in result.warnings if "without @retry" in w]
    assert "(30% of aws spot nodes lost a day): 4.4% a task" in warning


def test_retry_or_a_short_task_silences_the_spot_warning():
    retried = linear(decorated("work", ["end"], Decorator("retry", {}, 3)))
    usage = {"work": StepUsage(duration_hours=3.0, pools=("spot",))}
    assert not any("@retry" in w for w in warnings_of(retried, (AWS, SPOT), usage))
    short = {"work": StepUsage(duration_hours=0.5, pools=("spot",))}
    unretried = linear(decorated("work", ["end"]))
    assert not any("@retry" in w for w in warnings_of(unretried, (AWS, SPOT), short))


def test_a_timeout_shorter_than_the_planned_task_is_warned():
    timed = linear(decorated("work", ["end"], Decorator("timeout", {"minutes": 90}, 3)))
    (warning,) = warnings_of(timed, usage={"work": StepUsage(duration_hours=2.0)})
    assert warning == (
        "@timeout ends tasks before they finish: work: @timeout 1h30m < 2h00m planned on "
        "m.large (aws). To fix: raise the timeout, or give the step faster hardware "
        "(steps.<step>.gpu_model, pools)"
    )
    assert not warnings_of(timed, usage={"work": StepUsage(duration_hours=1.0)})


def test_steps_apply_would_move_are_one_warning_per_kind():
    f = flow(
        decorated("start", ["a"], backend="local"),
        decorated("a", ["b"], Decorator("batch", {"cpu": 1}, 5), backend="batch"),
        decorated("b", ["end"], Decorator("batch", {}, 9), backend="batch"),
        decorated("end", [], backend="local"),
    )
    assert plan_flow(f, config([AWS]), market(OFFERS)).warnings == (
        "a, b: @batch, which `placer apply` turns into @kubernetes; the plan prices them on "
        "Kubernetes. To fix: `placer plan --keep-batch` (or constraints.keep_batch) leaves "
        "them on AWS Batch",
        "start, end: no @kubernetes, so they run wherever the flow is launched; the plan prices "
        "them on Kubernetes, where `placer apply` sends them (under Argo Workflows every step "
        "runs there anyway)",
    )


def test_keep_batch_prices_batch_steps_as_ec2_and_marks_them():
    f = linear(decorated("work", ["end"], Decorator("batch", {}, 3), backend="batch"))
    c = config([AWS], constraints=Constraints(keep_batch=True))
    result = plan_flow(f, c, market(OFFERS))
    work = result.steps["work"]
    assert (work.pool, work.backend, dict(work.node_selector)) == ("aws-batch", "batch", {})
    assert work.region == "us-east-1"  # the datastore's region
    assert result.baselines["as_written"].assignment["work"] == "aws-batch"
    assert result.warnings[-1] == (
        "left on AWS Batch (--keep-batch) and priced as EC2 on demand in us-east-1, whole "
        "instances' nominal size: work (m.large); `placer apply` does not touch them"
    )
    assert result.steps["start"].backend == "kubernetes"


def test_an_assumed_gpu_reference_is_one_warning_for_every_step():
    f = flow(
        step("start", ["a", "b"], type="split"),
        decorated("a", ["join"], gpu=1),
        decorated("b", ["join"], gpu=1),
        step("join", ["end"], type="join"),
        step("end", [], type="end"),
    )
    defaults = replace(OPTIMIZER_DEFAULTS, reference_gpu=None)
    (warning,) = warnings_of(f, defaults=defaults)
    assert warning == (
        "a, b: durations taken as measured on an A100-40GB (nothing says which GPU) and scaled "
        "to each GPU. To fix: steps.<step>.reference, gpu_model or defaults.reference_gpu"
    )
    said = {"a": StepUsage(reference="L4"), "b": StepUsage(gpu_model="L4")}
    assert warnings_of(f, usage=said, defaults=defaults) == ()


def test_the_default_cpu_reference_is_one_warning_naming_the_scaled_steps_and_the_way_out():
    turin = [offer("aws", "us-east-1", "m8a.xlarge", 4, 16, 0.20)]
    f = linear(step("a", ["b"]), step("b", ["end"]))
    usage = {"a": StepUsage(duration_hours=1.0), "b": StepUsage(duration_hours=1.0)}
    c = config([AWS], usage, defaults=replace(OPTIMIZER_DEFAULTS, reference_cpu="m6i"))
    warnings = [w for w in plan_flow(f, c, market(turin)).warnings if "m6i" in w]
    (warning,) = warnings
    assert warning.startswith("durations taken as measured on m6i (defaults.reference_cpu, unset)")
    # AMD Turin is 1.65x an m6i vCPU in the generation table: 60 min / 1.65 = 36 min
    assert "on AMD Turin, a core per vCPU (2025): " in warning
    assert "a 1h00m -> 36m, b 1h00m -> 36m" in warning
    assert warning.endswith("or `any` to plan the durations as given on every CPU")
    as_given = config([AWS], usage, defaults=OPTIMIZER_DEFAULTS)  # reference_cpu: any
    assert not [w for w in plan_flow(f, as_given, market(turin)).warnings if "m6i" in w]
