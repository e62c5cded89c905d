"""Flows split over modules: base classes, constants and decorators from other files.

Metaflow is the oracle again: each project is imported here with its directory on
sys.path (tests may run flow code; placer never does) and `FlowGraph` is compared step
by step, including the file each step comes from. The rest pins Python's import rules
(packages, relative imports, star imports, aliases, re-exports) and what happens when a
module cannot be found or imports form a cycle: a warning, never a traceback.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import os
import sys
import textwrap
from pathlib import Path

import pytest
from fixtures.flow_oracle import ELEMENTS, assert_agrees, element_size, render_flow
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from metaflow.graph import FlowGraph
from metaflow.lint import linter

from placer.cli import main
from placer.cli._env import Environment
from placer.errors import FlowError
from placer.flow import ReadOptions, read_flow

ROOT = Path(__file__).resolve().parent.parent
INHERIT = ROOT / "tests" / "fixtures" / "projects" / "inherit"
_counter = itertools.count()


def write(root: Path, files: dict[str, str]) -> Path:
    """Write a project (relative path -> source) under `root`; return `root/flow.py`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root / "flow.py"


def metaflow_graph(flow: Path, class_name: str, *paths: Path) -> FlowGraph:
    """Import the flow with its directory (and `paths`) first on sys.path, as Python does."""
    saved_path, saved_modules = list(sys.path), set(sys.modules)
    sys.path[:0] = [str(flow.parent), *map(str, paths)]
    try:
        spec = importlib.util.spec_from_file_location(f"_project_flow_{next(_counter)}", flow)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return FlowGraph(getattr(module, class_name))
    finally:
        sys.path[:] = saved_path
        for name in set(sys.modules) - saved_modules:  # the next project reuses the names
            del sys.modules[name]


def assert_files_agree(flow, graph: FlowGraph) -> None:
    for name, step in flow.steps.items():
        assert Path(graph[name].source_file).resolve() == step.file.resolve(), name


def graph_cli(path: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["graph", str(path), *extra], Environment(stdout=out, stderr=err, width=100))
    return code, out.getvalue(), err.getvalue()


# --- the shared-pipeline fixture -----------------------------------------------------------


def test_inherited_steps_agree_with_metaflow():
    flow = read_flow(INHERIT / "flow.py")
    graph = metaflow_graph(INHERIT / "flow.py", "Training")
    linter.run_checks(graph)
    ours = {n: s for n, s in flow.steps.items()}
    # Metaflow cannot read num_parallel=WORKERS (a constant); placer can: compare the rest
    assert ours["evaluate"].num_parallel == 2 and graph["evaluate"].num_parallel is None
    graph["evaluate"].num_parallel = 2
    assert_agrees(flow, graph)
    assert_files_agree(flow, graph)
    assert not flow.warnings


def test_inherited_steps_keep_their_own_file_line_and_class():
    flow = read_flow(INHERIT / "flow.py")
    pipeline = INHERIT / "common" / "pipeline.py"
    assert (flow.steps["prepare"].file, flow.steps["prepare"].line) == (pipeline, 18)
    assert flow.steps["prepare"].owner == "Pipeline"
    assert (flow.steps["train"].file, flow.steps["train"].owner) == (
        INHERIT / "flow.py",
        "Training",
    )
    # the decorator held in a variable in decos.py, reached through a star import
    prep = flow.steps["prepare"].decorator("kubernetes")
    assert (prep.alias, prep.file, prep.line) == ("prep_pod", INHERIT / "common" / "decos.py", 7)
    assert prep.args == {"cpu": 2, "memory": 8192}  # PREP_CPU * 4096, from settings.py


def test_config_values_reach_the_request():
    train = read_flow(INHERIT / "flow.py").steps["train"]
    assert (train.resources.cpu, train.resources.memory_mb, train.resources.gpu) == (8, 32768, 1)
    assert dict(train.placement.node_selector) == {"team": "ml", "zone": "b"}
    assert train.decorator("kubernetes").config_args == {"memory", "node_selector"}
    assert train.decorator("resources").config_args == {"cpu"}


def test_every_file_read_is_recorded_with_its_sha256():
    flow = read_flow(INHERIT / "flow.py")
    names = {p.relative_to(INHERIT).as_posix() for p in flow.sources}
    assert names == {
        "flow.py",
        "config.json",
        "common/__init__.py",
        "common/pipeline.py",
        "common/decos.py",
        "common/settings.py",
    }
    assert flow.sources[INHERIT / "flow.py"] == flow.sha256
    assert list(flow.sources)[0] == INHERIT / "flow.py"


# --- generated projects against Metaflow ---------------------------------------------------

_STYLES = ("absolute", "relative", "star", "alias", "reexport")


def split_project(source: str, groups: int, style: str, package: str) -> dict[str, str]:
    """The generated flow's steps spread over a chain of base classes in a package."""
    header, _, body = source.partition("class GenFlow(FlowSpec):\n")
    methods = [m for m in body.split("\n\n") if m.strip()]
    chunks = ["\n\n".join(methods[i::groups]) or "    pass" for i in range(groups)]
    files = {f"{package}/__init__.py": ""}
    parent = "FlowSpec"
    for index, chunk in enumerate(chunks[:-1]):
        imports = "from metaflow import FlowSpec, parallel, step\n"
        if index:
            line, parent = _reference(style, package, index - 1, inside=True)
            imports += line
        files[f"{package}/m{index}.py"] = f"{imports}\n\nclass B{index}({parent}):\n{chunk}\n"
    last = groups - 2
    line, parent = _reference(style, package, last, inside=False)
    if style == "reexport":
        files[f"{package}/__init__.py"] = f"from .m{last} import B{last}\n"
    files["flow.py"] = f"{header}{line}\n\nclass GenFlow({parent}):\n{chunks[-1]}\n"
    return files


def _reference(style: str, package: str, index: int, inside: bool) -> tuple[str, str]:
    """(import line, base expression) for class B<index> in <package>/m<index>.py."""
    module = f".m{index}" if inside else f"{package}.m{index}"
    if style == "absolute":
        return f"import {package}.m{index}\n", f"{package}.m{index}.B{index}"
    if style == "star":
        return f"from {module} import *\n", f"B{index}"
    if style == "alias":
        return f"from {module} import B{index} as Base{index}\n", f"Base{index}"
    if style == "reexport" and not inside:
        return f"from {package} import B{index}\n", f"B{index}"
    return f"from {module} import B{index}\n", f"B{index}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    elements=st.lists(ELEMENTS, min_size=1, max_size=3).filter(
        lambda es: sum(map(element_size, es)) <= 18
    ),
    groups=st.integers(min_value=2, max_value=4),
    style=st.sampled_from(_STYLES),
)
def test_agrees_with_metaflow_on_generated_projects(tmp_path_factory, elements, groups, style):
    package = f"shared{next(_counter)}"
    source = render_flow(elements, False, [])
    root = tmp_path_factory.mktemp("proj")
    flow_path = write(root, split_project(source, groups, style, package))
    graph = metaflow_graph(flow_path, "GenFlow")
    linter.run_checks(graph)
    flow = read_flow(flow_path)
    assert_agrees(flow, graph)
    assert_files_agree(flow, graph)
    assert not flow.warnings


# --- Python's import rules -----------------------------------------------------------------

FLOW_TAIL = """
    @step
    def end(self):
        pass
"""


def _flow(imports: str, decorators: str, base: str = "FlowSpec") -> str:
    return (
        f"from metaflow import FlowSpec, step\n{imports}\n\n\nclass F({base}):\n"
        f"{decorators}\n    @step\n    def start(self):\n        self.next(self.end)\n" + FLOW_TAIL
    )


def _start(tmp_path: Path, files: dict[str, str], **options) -> object:
    return read_flow(write(tmp_path, files), options=ReadOptions(**options)).steps["start"]


def test_a_package_wins_over_a_module_of_the_same_name(tmp_path):
    start = _start(
        tmp_path,
        {
            "flow.py": _flow(
                "from sizes import CPU\nfrom metaflow import resources", "    @resources(cpu=CPU)"
            ),
            "sizes.py": "CPU = 1\n",
            "sizes/__init__.py": "CPU = 3\n",
        },
    )
    assert start.declared.cpu == 3  # Python imports the package, not sizes.py


def test_namespace_packages_merge_across_roots(tmp_path):
    extra = tmp_path / "lib"
    start = _start(
        tmp_path / "app",
        {
            "flow.py": _flow(
                "from ns.a import CPU\nfrom ns.b import MEM\nfrom metaflow import resources",
                "    @resources(cpu=CPU, memory=MEM)",
            ),
            "ns/a.py": "CPU = 5\n",
            "../lib/ns/b.py": "MEM = 9000\n",
        },
        paths=(extra,),
    )
    assert (start.declared.cpu, start.declared.memory_mb) == (5, 9000)


def test_the_flow_directory_comes_before_path(tmp_path):
    start = _start(
        tmp_path / "app",
        {
            "flow.py": _flow(
                "from sizes import CPU\nfrom metaflow import resources", "    @resources(cpu=CPU)"
            ),
            "sizes.py": "CPU = 2\n",
            "../lib/sizes.py": "CPU = 7\n",
        },
        paths=(tmp_path / "lib",),
    )
    assert start.declared.cpu == 2


def test_relative_imports_star_all_and_reexports(tmp_path):
    start = _start(
        tmp_path,
        {
            "flow.py": _flow("from pkg import CPU, MEM, k8s", "    @k8s(cpu=CPU, memory=MEM)"),
            "pkg/__init__.py": "from .sub import *\nfrom .sub.deep import MEM\n",
            "pkg/sub/__init__.py": "from ..base import CPU, _HIDDEN, k8s\n"
            "__all__ = ['CPU', 'k8s']\n",
            "pkg/sub/deep.py": "from .. import base\nMEM = base.MEM * 2\n",
            "pkg/base.py": "from metaflow import kubernetes as k8s\nCPU = 6\nMEM = 1000\n"
            "_HIDDEN = 1\n",
        },
    )
    assert start.decorator("kubernetes").alias == "k8s"
    assert (start.resources.cpu, start.resources.memory_mb) == (6, 2000)


def test_a_star_import_rebinds_an_earlier_name(tmp_path):
    start = _start(
        tmp_path,
        {
            "flow.py": _flow(
                "from metaflow import resources\nCPU = 1\nfrom sizes import *",
                "    @resources(cpu=CPU)",
            ),
            "sizes.py": "CPU = 4\n",
        },
    )
    assert start.declared.cpu == 4


def test_an_import_cycle_is_a_warning_not_a_traceback(tmp_path):
    flow = read_flow(
        write(
            tmp_path,
            {
                "flow.py": _flow(
                    "from a import CPU\nfrom metaflow import resources",
                    "    @resources(cpu=CPU, memory=1024)",
                ),
                "a.py": "from b import CPU\n",
                "b.py": "from a import CPU\n",
            },
        )
    )
    start = flow.steps["start"]
    assert start.declared.cpu == 1  # falls back to @resources' default
    [warning] = flow.warnings
    assert warning.startswith(f"{tmp_path / 'flow.py'}:7: step 'start': cpu=CPU in @resources")
    assert "an import cycle (a.CPU -> b.CPU -> a.CPU)" in warning


def test_a_base_class_in_a_missing_module_is_a_warning(tmp_path):
    path = write(
        tmp_path,
        {
            "flow.py": _flow("from shared.base import Base", "", base="Base"),
        },
    )
    code, out, err = graph_cli(path)
    assert code == 0 and "start" in out
    assert err == (
        f"warning: {path}:5: base class 'Base' of 'F' comes from 'shared.base.Base', which is "
        "not in the flow's project; its steps and Configs are not read (pass --path DIR if it "
        "is in another directory)\n"
    )
    # with --path, the same flow reads the base (and its steps) silently
    write(
        tmp_path / "lib",
        {"shared/base.py": "from metaflow import FlowSpec\n\n\nclass Base(FlowSpec):\n    pass\n"},
    )
    flow = read_flow(path, options=ReadOptions(paths=(tmp_path / "lib",)))
    assert flow.warnings == ()


def test_a_relative_import_in_the_flow_file_is_a_warning(tmp_path):
    flow = read_flow(write(tmp_path, {"flow.py": _flow("from .base import Base", "", "Base")}))
    assert "a relative import in a file run as a script" in flow.warnings[0]


def test_a_module_outside_the_project_through_a_symlink_is_refused(tmp_path):
    outside = tmp_path / "outside"
    write(outside, {"secret.py": "CPU = 3\n"})
    project = tmp_path / "project"
    write(
        project,
        {
            "flow.py": _flow(
                "from secret import CPU\nfrom metaflow import resources", "    @resources(cpu=CPU)"
            )
        },
    )
    os.symlink(outside / "secret.py", project / "secret.py")
    with pytest.raises(FlowError) as info:
        read_flow(project / "flow.py")
    assert info.value.location == str(project / "secret.py")
    assert (
        "resolves to" in info.value.headline and "outside the flow's project" in info.value.headline
    )


def test_path_adds_a_root_like_pythonpath(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path, {"shared/sizes.py": "CPU = 3\n"})
    path = write(
        tmp_path / "flows",
        {
            "flow.py": _flow(
                "from shared.sizes import CPU\nfrom metaflow import resources",
                "    @resources(cpu=CPU)",
            )
        },
    )
    assert read_flow(path).steps["start"].declared.cpu == 1  # not found: the default
    start = read_flow(path, options=ReadOptions(paths=(tmp_path,))).steps["start"]
    assert start.declared.cpu == 3


def test_an_error_in_a_base_module_names_that_file(tmp_path):
    path = write(
        tmp_path,
        {
            "flow.py": "from base import Base\n\n\nclass F(Base):\n    pass\n",
            "base.py": "from metaflow import FlowSpec, kubernetes, step\n\n\n"
            "class Base(FlowSpec):\n"
            "    @kubernetes(cpu=-1)\n    @step\n    def start(self):\n"
            "        self.next(self.end)\n\n"
            "    @step\n    def end(self):\n        pass\n",
        },
    )
    with pytest.raises(FlowError) as info:
        read_flow(path)
    assert info.value.location == f"{tmp_path / 'base.py'}:5"
    assert info.value.headline == "step 'start' asks for cpu=-1; it must be greater than 0"


# --- Configs -------------------------------------------------------------------------------


def _config_flow(declaration: str, decorators: str, imports: str = "") -> str:
    return _flow(
        f"from metaflow import Config, config_expr, kubernetes, resources\n{imports}",
        f"    {declaration}\n\n{decorators}",
    )


@pytest.mark.parametrize(
    "declaration, data_file, data",
    [
        ('cfg = Config("cfg", default="c.json")', "c.json", '{"cpu": 3, "mem": 5000}'),
        (
            'cfg = Config("cfg", default="c.yaml", parser=yaml_parser)',
            "c.yaml",
            "cpu: 3\nmem: 5000\n",
        ),
        (
            'cfg = Config("cfg", default="c.yaml", parser="yaml.safe_load")',
            "c.yaml",
            "cpu: 3\nmem: 5000\n",
        ),
        (
            'cfg = Config("cfg", default="c.yaml", parser=yaml.safe_load)',
            "c.yaml",
            "cpu: 3\nmem: 5000\n",
        ),
        (
            'cfg = Config("cfg", default="c.toml", parser=tomllib.loads)',
            "c.toml",
            "cpu = 3\nmem = 5000\n",
        ),
        ('cfg = Config("cfg", default_value={"cpu": 3, "mem": 5000})', None, None),
        ("cfg = Config('cfg', default_value='{\"cpu\": 3, \"mem\": 5000}')", None, None),
    ],
)
def test_config_sources_and_parsers(tmp_path, declaration, data_file, data):
    files = {
        "flow.py": _config_flow(
            declaration,
            '    @kubernetes(cpu=cfg.cpu, memory=config_expr("cfg.mem"))',
            "import tomllib\nimport yaml\nfrom metaflow import yaml_parser",
        )
    }
    if data_file:
        files[data_file] = data
    start = _start(tmp_path, files)
    assert (start.resources.cpu, start.resources.memory_mb) == (3, 5000)


@pytest.mark.parametrize(
    "expression",
    [
        'cfg["k8s"]["cpu"]',
        "cfg.k8s.cpu",
        'config_expr("cfg.k8s.cpu")',
        'config_expr("cfg")["k8s"].cpu',
        "config_expr(\"cfg.k8s.get('cpu', 1)\")",
        'config_expr("cfg.k8s.cpu * 1")',
    ],
)
def test_config_access_forms(tmp_path, expression):
    start = _start(
        tmp_path,
        {
            "flow.py": _config_flow(
                'cfg = Config("cfg", default="c.json")', f"    @kubernetes(cpu={expression})"
            ),
            "c.json": '{"k8s": {"cpu": 6}}',
        },
    )
    assert start.resources.cpu == 6


def test_a_config_unpacked_into_a_decorator(tmp_path):
    start = _start(
        tmp_path,
        {
            "flow.py": _config_flow(
                'cfg = Config("cfg", default="c.json")', "    @kubernetes(**cfg.k8s)"
            ),
            "c.json": '{"k8s": {"cpu": 2, "memory": 9000, "node_selector": "a=b"}}',
        },
    )
    assert (start.resources.cpu, start.resources.memory_mb) == (2, 9000)
    assert dict(start.placement.node_selector) == {"a": "b"}
    assert start.decorator("kubernetes").config_args == {"cpu", "memory", "node_selector"}


def test_flow_config_overrides_the_default_file(tmp_path):
    path = write(
        tmp_path,
        {
            "flow.py": _config_flow(
                'cfg = Config("cfg", default="c.json")', "    @kubernetes(cpu=cfg.cpu)"
            ),
            "c.json": '{"cpu": 2}',
            "prod.json": '{"cpu": 16}',
        },
    )
    options = ReadOptions(config_files={"cfg": tmp_path / "prod.json"})
    assert read_flow(path, options=options).steps["start"].resources.cpu == 16
    options = ReadOptions(config_values={"cfg": {"cpu": 32}})
    assert read_flow(path, options=options).steps["start"].resources.cpu == 32
    with pytest.raises(
        FlowError, match="the flow has no Config named 'nope' \\(its Configs: cfg\\)"
    ):
        read_flow(path, options=ReadOptions(config_files={"nope": tmp_path / "prod.json"}))


def test_a_custom_parser_is_a_warning_and_placer_yaml_can_give_the_value(tmp_path):
    path = write(
        tmp_path,
        {
            "flow.py": _config_flow(
                'cfg = Config("cfg", default="c.txt", parser=parse_it)',
                "    @kubernetes(cpu=cfg.cpu, memory=8000)",
                "def parse_it(text):\n    return {'cpu': int(text)}",
            ),
            "c.txt": "4",
        },
    )
    flow = read_flow(path)
    assert flow.steps["start"].resources.cpu == 1  # the default, with a warning
    assert flow.warnings[0] == (
        f"Config 'cfg' ({tmp_path / 'flow.py'}:8) is parsed by parse_it, which placer does not "
        "run; give its value in placer.yaml under flow_configs.cfg"
    )
    assert "step 'start': cpu=cfg.cpu in @kubernetes is not known statically" in flow.warnings[1]
    valued = read_flow(path, options=ReadOptions(config_values={"cfg": {"cpu": 4}}))
    assert valued.steps["start"].resources.cpu == 4 and not valued.warnings


def test_a_missing_config_key_is_an_error_naming_it(tmp_path):
    path = write(
        tmp_path,
        {
            "flow.py": _config_flow(
                'cfg = Config("cfg", default="c.json")', "    @kubernetes(cpu=cfg.gpus)"
            ),
            "c.json": '{"cpu": 2}',
        },
    )
    with pytest.raises(
        FlowError,
        match="sets cpu=cfg.gpus in @kubernetes, which placer cannot "
        r"evaluate without running the flow \(Config 'cfg' has no "
        "key 'gpus'\\)",
    ):
        read_flow(path)


def test_bad_config_json_names_the_file_and_line(tmp_path):
    path = write(
        tmp_path,
        {
            "flow.py": _config_flow(
                'cfg = Config("cfg", default="c.json")', "    @kubernetes(cpu=cfg.cpu)"
            ),
            "c.json": '{\n  "cpu": 2,\n}\n',
        },
    )
    with pytest.raises(FlowError) as info:
        read_flow(path)
    assert info.value.location == f"{tmp_path / 'c.json'}:3"
    assert info.value.headline.startswith("Config 'cfg' is not valid JSON")


@pytest.mark.parametrize("where", ["absolute", "parent", "symlink"])
def test_a_config_file_outside_the_project_is_refused(tmp_path, where):
    # issue 14 item 1: a Config must not read /etc/... or ~/.aws/... into the plan
    secret = tmp_path / "secret.json"
    secret.write_text('{"client_secret": "hunter2"}')
    project = tmp_path / "repo"
    default = {"absolute": str(secret), "parent": "../secret.json", "symlink": "link.json"}[where]
    path = write(
        project,
        {
            "flow.py": _config_flow(
                f'creds = Config("creds", default="{default}")',
                '    @kubernetes(compute_pool=config_expr("creds.client_secret"))',
            )
        },
    )
    if where == "symlink":
        os.symlink(secret, project / "link.json")
    code, out, err = graph_cli(path)
    assert code == 2 and "hunter2" not in out + err
    assert err.startswith(f"error: {project / default if where != 'absolute' else secret}: the ")
    assert "outside the flow's project" in err


def test_a_config_file_in_the_repository_is_inside_the_project(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "c.json").write_text('{"cpu": 5}')
    start = _start(
        tmp_path / "flows",
        {
            "flow.py": _config_flow(
                'cfg = Config("cfg", default="../configs/c.json")', "    @kubernetes(cpu=cfg.cpu)"
            )
        },
    )
    assert start.resources.cpu == 5


# --- num_parallel --------------------------------------------------------------------------

PARALLEL = """\
from metaflow import Config, FlowSpec, Parameter, config_expr, parallel, step
{imports}


class P(FlowSpec):
    cfg = Config("cfg", default_value={{"workers": 3}})
    width = Parameter("width", default=5)

    @step
    def start(self):
        self.next(self.work, num_parallel={value})

    @parallel
    @step
    def work(self):
        self.next(self.join)

    @step
    def join(self, inputs):
        self.next(self.end)

    @step
    def end(self):
        pass
"""


@pytest.mark.parametrize(
    "value, imports, expected",
    [
        ("WORKERS", "from settings import WORKERS", 4),
        ("settings.WORKERS * 2", "import settings", 8),
        ("self.cfg.workers", "", 3),
        ('self.cfg["workers"]', "", 3),
        ('config_expr("cfg.workers")', "", 3),
        ("self.width", "", 5),
    ],
)
def test_num_parallel_is_evaluated(tmp_path, value, imports, expected):
    path = write(
        tmp_path,
        {"flow.py": PARALLEL.format(value=value, imports=imports), "settings.py": "WORKERS = 4\n"},
    )
    flow = read_flow(path)
    assert flow.steps["start"].num_parallel == expected
    graph = metaflow_graph(path, "P")
    linter.run_checks(graph)  # Metaflow reads the same graph (num_parallel only at run time)
    assert graph["start"].parallel_foreach and flow.steps["start"].type == graph["start"].type
    if value == "self.width":
        assert flow.warnings == (
            f"{path}:11: step 'start': self.width is Parameter 'width': placer uses its default "
            "5; a run may pass another value",
        )
    else:
        assert not flow.warnings


def test_num_parallel_placer_cannot_know_is_a_warning(tmp_path):
    path = write(tmp_path, {"flow.py": PARALLEL.format(value="len(self.items)", imports="")})
    flow = read_flow(path)
    assert flow.steps["start"].num_parallel is None
    assert flow.warnings == (
        f"{path}:11: step 'start': num_parallel=len(self.items) is not static; its task count "
        "comes from placer.yaml (steps.<step>.tasks or defaults.foreach_width)",
    )


# --- random import graphs: Python itself is the oracle --------------------------------------

_NAMES = ("A", "B", "C")
_statement = st.one_of(
    st.tuples(st.just("const"), st.sampled_from(_NAMES), st.integers(-3, 9)),
    st.tuples(st.just("attr"), st.sampled_from(_NAMES), st.integers(0, 3), st.sampled_from(_NAMES)),
    st.tuples(st.just("from"), st.sampled_from(_NAMES), st.integers(0, 3), st.sampled_from(_NAMES)),
    st.tuples(st.just("star"), st.integers(0, 3)),
    st.tuples(st.just("all"), st.lists(st.sampled_from(_NAMES), max_size=2, unique=True)),
    st.tuples(st.just("plus"), st.sampled_from(_NAMES), st.sampled_from(_NAMES)),
)


def _module_source(index: int, statements, prefix: str, acyclic: bool) -> str:
    """Every name defined first, then the statements; `acyclic`: imports only point to
    modules with a higher index (so Python's result does not depend on import order)."""
    lines = [f"{name} = {10 * index + i}" for i, name in enumerate(_NAMES)]
    for statement in statements:
        kind, target = statement[0], None
        if kind in ("attr", "from", "star"):
            target = statement[2] if kind != "star" else statement[1]
            if acyclic and target <= index:
                continue
        if kind == "const":
            lines.append(f"{statement[1]} = {statement[2]}")
        elif kind == "attr":
            lines += [
                f"import {prefix}{target}",
                f"{statement[1]} = {prefix}{target}.{statement[3]}",
            ]
        elif kind == "from":
            lines.append(f"from {prefix}{target} import {statement[3]} as {statement[1]}")
        elif kind == "star":
            lines.append(f"from {prefix}{target} import *")
        elif kind == "all":
            lines.append(f"__all__ = {list(statement[1])!r}")
        else:
            lines.append(f"{statement[1]} = {statement[2]} + 1")
    return "\n".join(lines) + "\n"


def _python_value(root: Path, module: str) -> object:
    """`module.A` as Python imports it (None when Python refuses the module graph)."""
    saved_path, saved_modules = list(sys.path), set(sys.modules)
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(module).A
    except (ImportError, AttributeError, NameError, TypeError, RecursionError):
        return None  # a cycle Python cannot finish, a name missing when it is imported
    finally:
        sys.path[:] = saved_path
        for name in set(sys.modules) - saved_modules:
            del sys.modules[name]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    modules=st.lists(st.lists(_statement, max_size=5), min_size=4, max_size=4),
    acyclic=st.booleans(),
)
@example(  # a cycle where placer reads m0's last B (-1) and Python the B m1 saw first (1)
    modules=[[("const", "B", 1), ("star", 1)], [("const", "B", -1), ("attr", "A", 0, "B")], [], []],
    acyclic=False,
)
def test_random_import_graphs_agree_with_python(tmp_path_factory, modules, acyclic):
    prefix = f"rm{next(_counter)}_"
    root = tmp_path_factory.mktemp("imports")
    files = {
        f"{prefix}{k}.py": _module_source(k, s, prefix, acyclic) for k, s in enumerate(modules)
    }
    files["flow.py"] = _flow(
        f"from metaflow import resources\nfrom {prefix}0 import A", "    @resources(cpu=A)"
    )
    path = write(root, files)
    python = _python_value(root, f"{prefix}0")
    event(f"{'acyclic' if acyclic else 'any'}: Python {'refuses' if python is None else 'imports'}")
    try:
        flow = read_flow(path)  # never anything but a Flow or a FlowError
    except FlowError as exc:
        if python is not None and python < 0:  # read right, refused as a size (test_flow_resources)
            assert "it must be 0 or more" in exc.headline
            return
        if not acyclic and "it must be 0 or more" in exc.headline:
            return  # in a cycle placer may read another value (below), here a negative one
        assert python is None
        return
    if acyclic:  # import order cannot matter: placer must find Python's value, silently
        assert python is not None
        assert flow.steps["start"].declared.cpu == float(python)
        assert flow.warnings == ()
