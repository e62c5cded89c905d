"""read_flow on fixture flows: every Step field, computed by hand from the fixture source."""

from __future__ import annotations

import hashlib
from pathlib import Path

from placer.flow import Decorator, Resources, Unevaluated, read_flow

FLOWS = Path(__file__).parent / "fixtures" / "flows"


def test_aliases_resolve_to_metaflow_names_with_constants():
    flow = read_flow(FLOWS / "aliases.py")
    assert (flow.name, flow.line) == ("AliasFlow", 13)
    assert list(flow.steps) == ["start", "fan", "gather", "end"]
    start = flow.steps["start"]
    node_selector = {"outerbounds.co/provider": "gcp", "zone": "b"}
    assert start.decorators == (
        Decorator("kubernetes", {"cpu": 4, "node_selector": node_selector}, 14, alias="k8s"),
    )
    assert start.resources == Resources(4.0, 4096.0, 10240.0, 0, None)
    assert dict(start.placement.node_selector) == node_selector
    assert (start.type, start.foreach, start.line) == ("foreach", "items", 16)


def test_module_alias_and_compute_pool():
    fan = read_flow(FLOWS / "aliases.py").steps["fan"]
    assert [(d.name, d.alias, d.line) for d in fan.decorators] == [
        ("retry", None, 20),
        ("kubernetes", "mf.kubernetes", 21),
        ("resources", "res", 22),
    ]
    assert fan.decorator("kubernetes").args == {
        "compute_pool": "gpu-pool",
        "gpu": 2,
        "gpu_vendor": "AMD",
    }
    # cpu 1 (both defaults), memory max(4096, 16384), disk 10240 (@resources has none), gpu 2
    assert fan.resources == Resources(1.0, 16384.0, 10240.0, 2, "amd")
    assert fan.placement.compute_pool == "gpu-pool"
    assert dict(fan.placement.node_selector) == {"outerbounds.co/compute-pool": "gpu-pool"}
    assert fan.foreach_stack == ("start",) and fan.in_foreach


def test_resources_only_step_is_local_with_a_pod_request():
    gather = read_flow(FLOWS / "aliases.py").steps["gather"]
    assert (gather.type, gather.backend, gather.resources) == ("join", "local", None)
    assert gather.declared == Resources(2.0, 4096.0, 20480.0, 1, None)
    assert gather.pod_request == Resources(2.0, 4096.0, 20480.0, 1, "nvidia")
    assert gather.placement.is_empty and not gather.in_foreach


def test_batch_step_pod_request_as_if_converted_to_kubernetes():
    flow = read_flow(FLOWS / "parallel_batch.py")
    start, train, join = flow.steps["start"], flow.steps["train"], flow.steps["join"]
    assert (start.type, start.num_parallel, start.foreach) == ("foreach", 4, None)
    assert (train.backend, train.resources, train.foreach_stack) == ("batch", None, ("start",))
    # @batch(cpu=2, memory=30000) taken as @kubernetes arguments, max-merged with
    # @resources(cpu=8, memory=2048, gpu=1): cpu 8, memory 30000, disk default, gpu 1
    assert train.pod_request == Resources(8.0, 30000.0, 10240.0, 1, "nvidia")
    assert train.declared == Resources(8.0, 2048.0, 0.0, 1, None)
    assert join.pod_request == Resources(1.0, 4096.0, 10240.0, 0, None)
    assert join.declared == Resources(1.0, 500.0, 0.0, 0, None)


def test_nested_foreach_stack_split_and_switch():
    steps = read_flow(FLOWS / "nested.py").steps
    stacks = {name: s.foreach_stack for name, s in steps.items()}
    assert stacks == {
        "start": (),
        "a": ("start",),
        "b": ("start", "a"),
        "c": ("start", "a"),
        "d": ("start", "a"),
        "cd": ("start", "a"),
        "join_inner": ("start",),
        "route": ("start",),
        "x": ("start",),
        "y": ("start",),
        "after_switch": ("start",),
        "join_outer": (),
        "end": (),
    }
    route = steps["route"]
    assert (route.type, route.condition, dict(route.switch_cases)) == (
        "split-switch",
        "mode",
        {"x": "x", "y": "y"},
    )
    assert steps["after_switch"].type == "linear"  # a switch is not joined
    assert [steps[n].type for n in ("b", "cd", "join_inner")] == ["split", "join", "join"]


def test_inherited_steps_and_overrides():
    flow = read_flow(FLOWS / "two_flows.py")
    assert flow.name == "DerivedFlow"  # the class `__main__` runs
    assert {n: s.next for n, s in flow.steps.items()} == {
        "start": ("middle",),
        "end": (),
        "middle": ("extra",),
        "extra": ("end",),
    }
    base = read_flow(FLOWS / "two_flows.py", flow_class="BaseSteps")
    assert base.steps["middle"].next == ("end",)


def test_start_and_end_by_annotation():
    flow = read_flow(FLOWS / "annotated.py")
    assert flow.start.name == "begin"
    assert {n: s.type for n, s in flow.steps.items()} == {
        "begin": "split",
        "left": "linear",
        "right": "linear",
        "meet": "join",
        "finish": "end",
    }


def test_sha256_is_of_the_file_bytes():
    path = FLOWS / "nested.py"
    assert read_flow(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_reading_never_executes_the_file(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "flow.py"
    path.write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "from metaflow import FlowSpec, step, kubernetes\n"
        "import sys\nsys.exit(3)\n\n"
        "class F(FlowSpec):\n"
        "    @kubernetes(image=image_for('x'), node_selector='a=b')\n"
        "    @step\n    def start(self):\n        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    deco = read_flow(path).steps["start"].decorators[0]
    assert not marker.exists()
    assert deco.args["image"] == Unevaluated("image_for('x')")
    assert deco.args["node_selector"] == "a=b"


def test_parents_and_start_helpers():
    flow = read_flow(FLOWS / "nested.py")
    assert flow.parents("cd") == ("c", "d")
    assert flow.parents("after_switch") == ("x", "y")
    assert flow.start.name == "start"  # a foreach, not of type "start"
    assert flow.end.name == "end"


def test_single_step_flow_is_its_own_start_and_end(tmp_path):
    path = tmp_path / "one.py"
    path.write_text(
        "from metaflow import FlowSpec, step\n\n"
        "class One(FlowSpec):\n    @step\n    def only(self):\n        pass\n"
    )
    flow = read_flow(path)
    assert [(s.name, s.type, s.next) for s in flow.steps.values()] == [("only", "end", ())]


def test_string_node_selector_and_tolerations(tmp_path):
    path = tmp_path / "sel.py"
    tol = [{"key": "spot", "operator": "Exists", "effect": "NoSchedule"}]
    path.write_text(
        "from metaflow import FlowSpec, step, kubernetes\n\n"
        "class F(FlowSpec):\n"
        f"    @kubernetes(node_selector='a=b,c=d=e', compute_pool='p', tolerations={tol!r})\n"
        "    @step\n    def start(self):\n        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    placement = read_flow(path).steps["start"].placement
    # split on ',' then on the first '=' (Metaflow's parse_kube_keyvalue_list), then the pool
    assert dict(placement.node_selector) == {
        "a": "b",
        "c": "d=e",
        "outerbounds.co/compute-pool": "p",
    }
    assert placement.tolerations == tuple(tol)


def test_star_import_from_metaflow(tmp_path):
    path = tmp_path / "star.py"
    path.write_text(
        "from metaflow import *\nfrom mylib import kubernetes as kube\n\n"
        "class F(FlowSpec):\n"
        "    @kube(cpu=3)\n    @resources(cpu=2)\n"
        "    @step\n    def start(self):\n        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    start = read_flow(path).steps["start"]
    # `kube` comes from another library: not Metaflow's @kubernetes, so no Kubernetes request
    assert [d.name for d in start.decorators] == ["kube", "resources"]
    assert (start.backend, start.resources) == ("local", None)
    assert start.declared == Resources(2.0, 4096.0, 0.0, 0, None)


def test_config_mode_selectors_come_from_placement_json():
    # the shape `placer apply --mode config` writes: config_expr(...) or attribute access
    steps = read_flow(FLOWS / "config_mode" / "configflow.py").steps
    assert dict(steps["start"].placement.node_selector) == {"outerbounds.co/provider": "aws"}
    assert dict(steps["work"].placement.node_selector) == {
        "outerbounds.co/provider": "gcp",
        "outerbounds.co/compute-pool": "gcp-usc1",
    }
    assert steps["work"].resources == Resources(2.0, 4096.0, 10240.0, 0, None)


def test_config_default_value_literal(tmp_path):
    path = tmp_path / "cfg.py"
    path.write_text(
        "from metaflow import Config, FlowSpec, config_expr, kubernetes, step\n\n"
        "class F(FlowSpec):\n"
        "    sizes = Config('sizes', default_value={'start': {'cpu': 6}})\n\n"
        "    @kubernetes(cpu=config_expr('sizes.start.cpu'))\n"
        "    @step\n    def start(self):\n        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    assert read_flow(path).steps["start"].resources == Resources(6.0, 4096.0, 10240.0, 0, None)


def test_bom_and_crlf_are_read(tmp_path):
    path = tmp_path / "bom.py"
    source = (FLOWS / "annotated.py").read_text().replace("\n", "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + source.encode())
    flow = read_flow(path)
    assert flow.start.name == "begin" and flow.steps["meet"].line == 18
    assert flow.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_long_chains_and_deep_nesting_read_without_recursion_limits(tmp_path):
    # 1500 linear steps, then 400 nested foreaches: far past Python's recursion limit
    body = ["from metaflow import FlowSpec, step", "", "class Deep(FlowSpec):"]
    names = ["start"] + [f"l{i}" for i in range(1500)] + [f"f{i}" for i in range(400)]
    joins = [f"j{i}" for i in reversed(range(400))]
    chain = names + ["core"] + joins + ["end"]
    for here, after in zip(chain, chain[1:], strict=False):
        args = "self, inputs" if here in joins else "self"
        extra = ", foreach='xs'" if here.startswith("f") else ""
        body += ["    @step", f"    def {here}({args}):", f"        self.next(self.{after}{extra})"]
    body += ["    @step", "    def end(self):", "        pass", ""]
    path = tmp_path / "deep.py"
    path.write_text("\n".join(body))
    steps = read_flow(path).steps
    assert len(steps) == 1 + 1500 + 400 + 1 + 400 + 1
    assert steps["core"].foreach_stack == tuple(f"f{i}" for i in range(400))
    assert steps["j0"].foreach_stack == () and steps["j0"].type == "join"
    assert steps["j1"].foreach_stack == ("f0",)
    assert steps["l1499"].type == "linear" and steps["f0"].type == "foreach"


def test_deeply_nested_decorator_argument_is_kept_unevaluated(tmp_path):
    # valid Python that ast.unparse cannot show (it recurses): kept, not a crash
    path = tmp_path / "flow.py"
    path.write_text(
        "from metaflow import FlowSpec, retry, step\n\n\nclass F(FlowSpec):\n"
        f"    @retry(times={'+'.join(['n'] * 900)})\n"
        "    @step\n    def start(self):\n        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    retry = read_flow(path).steps["start"].decorator("retry")
    assert retry.args == {"times": Unevaluated("<expression too deeply nested to show>")}
    assert retry.line == 5


def test_switch_looping_on_itself():
    # Metaflow 2.19 allows a switch case back to the switch step itself (a retry loop)
    flow = read_flow(FLOWS / "switch_loop.py")
    attempt = flow.steps["attempt"]
    assert (attempt.type, attempt.condition) == ("split-switch", "status")
    assert dict(attempt.switch_cases) == {"again": "attempt", "done": "finish"}
    assert attempt.next == ("attempt", "finish")
    assert flow.parents("attempt") == ("start", "attempt")
    assert (flow.start.name, flow.end.name) == ("start", "end")
    assert flow.steps["finish"].type == "linear" and not attempt.in_foreach
