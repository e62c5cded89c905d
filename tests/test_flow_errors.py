"""Bad input: every case exits 2 with one line naming the file, the line and the fix."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pytest

from placer.cli import main
from placer.cli._env import Environment

SEED = Path("/work/shared/seed/crosscloudflow.py")

GOOD = """\
from metaflow import FlowSpec, kubernetes, step


class F(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    F()
"""


def graph(path: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["graph", str(path), *extra], Environment(stdout=out, stderr=err, width=100))
    return code, out.getvalue(), err.getvalue()


def bad(tmp_path: Path, source: str, name: str = "flow.py") -> str:
    """Run `placer graph` on `source`; assert exit 2 and a single error line; return it."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    code, out, err = graph(path)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1
    assert "Traceback" not in err
    return err.removeprefix("error: ").rstrip("\n")


def edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def test_the_good_flow_is_accepted(tmp_path):
    path = tmp_path / "flow.py"
    path.write_text(GOOD)
    assert graph(path)[0] == 0


def test_syntax_error_names_the_line(tmp_path):
    msg = bad(tmp_path, edit("        self.next(self.end)", "        self.next(self.end"))
    assert msg.startswith(f"{tmp_path / 'flow.py'}:7: not valid Python")
    assert "To fix: fix the syntax error" in msg


def test_no_flowspec_subclass(tmp_path):
    msg = bad(tmp_path, "class F:\n    pass\n")
    assert msg.startswith(f"{tmp_path / 'flow.py'}: no FlowSpec subclass found")
    assert "To fix: define `class MyFlow(FlowSpec)`" in msg


@pytest.mark.parametrize(
    "imports, base, origin",
    [
        ("from mybase import BaseFlow", "BaseFlow", "mybase.BaseFlow"),
        ("import mybase", "mybase.Base", "mybase.Base"),
    ],
)
def test_flow_class_whose_steps_are_all_in_a_missing_module(tmp_path, imports, base, origin):
    # the flow may well be valid; placer cannot find the other module, and says so
    source = f"{imports}\n\n\nclass F({base}):\n    pass\n"
    msg = bad(tmp_path, source)
    assert msg.startswith(f"{tmp_path / 'flow.py'}:4: flow class 'F' has no @step methods")
    assert (
        f"note: {tmp_path / 'flow.py'}:4: base class '{base}' of 'F' comes from '{origin}', "
        "which is not in the flow's project" in msg
    )


def test_plain_classes_are_no_flow(tmp_path):
    msg = bad(tmp_path, "class H(object):\n    pass\n\n\nclass E(Exception):\n    pass\n")
    assert msg.startswith(f"{tmp_path / 'flow.py'}: no FlowSpec subclass found")


def test_several_flows_without_main_ask_for_flow_class(tmp_path):
    source = GOOD.replace('if __name__ == "__main__":\n    F()\n', "class G(F):\n    pass\n")
    msg = bad(tmp_path, source)
    assert "several FlowSpec subclasses (F, G)" in msg
    assert msg.endswith("To fix: pass --flow-class NAME")


def test_several_flows_main_block_picks_one(tmp_path):
    path = tmp_path / "flow.py"
    path.write_text(GOOD.replace("if __name__", "class G(F):\n    pass\n\n\nif __name__"))
    code, out, _ = graph(path, "--format", "json")
    assert code == 0 and '"flow": "F"' in out
    code, out, _ = graph(path, "--format", "json", "--flow-class", "G")
    assert code == 0 and '"flow": "G"' in out


def test_unknown_flow_class(tmp_path):
    path = tmp_path / "flow.py"
    path.write_text(GOOD)
    code, _, err = graph(path, "--flow-class", "Nope")
    assert code == 2
    assert "class 'Nope' is not defined" in err and "--flow-class (F)" in err


def test_last_statement_not_self_next(tmp_path):
    msg = bad(
        tmp_path, edit("        self.next(self.end)", "        self.next(self.end)\n        x = 1")
    )
    assert msg.startswith(f"{tmp_path / 'flow.py'}:6: the last statement of step 'start'")
    assert "To fix: end `def start` with `self.next(self.<next step>)`" in msg


def test_non_literal_next_target(tmp_path):
    msg = bad(tmp_path, edit("self.next(self.end)", "self.next(getattr(self, 'end'))"))
    assert msg.startswith(f"{tmp_path / 'flow.py'}:7: step 'start': `self.next` target")
    assert "is not a literal step reference" in msg and "To fix: name the step directly" in msg


def test_unknown_target_suggests_a_name(tmp_path):
    msg = bad(tmp_path, edit("self.next(self.end)", "self.next(self.edn)"))
    assert msg == (
        f"{tmp_path / 'flow.py'}:7: step 'start' goes to unknown step 'edn'. "
        "To fix: did you mean self.end?"
    )


def test_missing_start(tmp_path):
    msg = bad(tmp_path, GOOD.replace("def start", "def begin"))
    assert msg.startswith(f"{tmp_path / 'flow.py'}: the flow has no start step")
    assert "add a step named 'start'" in msg


def test_missing_end(tmp_path):
    source = GOOD.replace("def end", "def finish").replace("self.end", "self.finish")
    msg = bad(tmp_path, source)
    assert msg.startswith(f"{tmp_path / 'flow.py'}: the flow has no end step")


def test_unreachable_step(tmp_path):
    source = edit(
        "    @step\n    def end",
        "    @step\n    def orphan(self):\n        self.next(self.end)\n\n    @step\n    def end",
    )
    msg = bad(tmp_path, source)
    assert msg.startswith(f"{tmp_path / 'flow.py'}:10: step 'orphan' is unreachable")
    assert "To fix: add self.next(self.orphan) in another step, or remove 'orphan'" in msg


def test_step_not_innermost_on_the_seed_read_in_place():
    assert SEED.exists()  # read where it lies (a read-only directory): nothing is written
    code, out, err = graph(SEED)
    assert code == 2 and out == ""
    assert err == (
        f"error: {SEED}:6: @step must be the innermost decorator of step 'start' (found above "
        "@kubernetes). To fix: move @step directly above `def start`, or run "
        "`placer apply --fix-order`\n"
    )


def test_unknown_kubernetes_argument(tmp_path):
    source = edit("    @step\n    def start", "    @kubernetes(cpus=2)\n    @step\n    def start")
    msg = bad(tmp_path, source)
    assert msg == (
        f"{tmp_path / 'flow.py'}:5: step 'start' has an unknown @kubernetes argument 'cpus'. "
        "To fix: did you mean cpu=?"
    )


@pytest.mark.parametrize(
    "selector, detail",
    [
        ('"provider"', "no '=' in 'provider'"),
        ('"a=b, c=d"', "spaces"),
        ('"a=b,a=c"', "key 'a' twice"),
        ('""', "no '=' in ''"),
        ("{'a': 1}", "cannot parse"),
        ("some_function()", "cannot parse (some_function())"),
    ],
)
def test_unparseable_node_selector(tmp_path, selector, detail):
    deco = f"    @kubernetes(node_selector={selector})\n    @step\n    def start"
    msg = bad(tmp_path, edit("    @step\n    def start", deco))
    assert msg.startswith(f"{tmp_path / 'flow.py'}:5: step 'start' has ")
    assert detail in msg
    assert "To fix: " in msg


def test_not_utf8(tmp_path):
    path = tmp_path / "flow.py"
    path.write_bytes(b"# ok\nname = '\xff\xfe'\n")
    code, _, err = graph(path)
    assert code == 2
    assert err == f"error: {path}:2: not a UTF-8 text file. To fix: save the flow file as UTF-8\n"


def test_expression_too_deep_for_the_parser(tmp_path):
    # Python's own compiler refuses this file too; it is bad input, not a placer bug (exit 1)
    msg = bad(tmp_path, GOOD + "X = 1" + "+1" * 5000 + "\n")
    assert msg.startswith(f"{tmp_path / 'flow.py'}: not valid Python")
    assert "To fix: " in msg


def test_empty_file(tmp_path):
    msg = bad(tmp_path, "\n  \n")
    assert msg.startswith(f"{tmp_path / 'flow.py'}: the flow file is empty")


def test_directory(tmp_path):
    code, _, err = graph(tmp_path)
    assert code == 2
    assert err == (
        f"error: {tmp_path}: is a directory, not a flow file. "
        "To fix: pass the flow's .py file itself\n"
    )


def test_missing_file(tmp_path):
    code, _, err = graph(tmp_path / "nope.py")
    assert code == 2
    assert (
        err
        == f"error: {tmp_path / 'nope.py'}: no such file. To fix: check the path to the flow file\n"
    )


def test_path_through_a_file(tmp_path):
    (tmp_path / "flow.py").write_text(GOOD)
    code, _, err = graph(tmp_path / "flow.py" / "x.py")
    assert code == 2
    assert err == (
        f"error: {tmp_path / 'flow.py' / 'x.py'}: no such file. "
        "To fix: check the path to the flow file\n"
    )


def test_symlink_loop(tmp_path):
    loop = tmp_path / "loop.py"
    loop.symlink_to(loop)
    code, _, err = graph(loop)
    assert code == 2
    assert err == (
        f"error: {loop}: cannot read the file (Too many levels of symbolic links). "
        "To fix: check the path to the flow file\n"
    )


def test_file_name_too_long(tmp_path):
    path = tmp_path / ("f" * 300 + ".py")
    code, _, err = graph(path)
    assert code == 2
    assert err == (
        f"error: {path}: cannot read the file (File name too long). "
        "To fix: check the path to the flow file\n"
    )


# Metaflow's other structural rules, also refused in one line.


def test_loop(tmp_path):
    source = edit(
        "    @step\n    def end",
        "    @step\n    def a(self):\n        self.next(self.b)\n\n"
        "    @step\n    def b(self):\n        self.next(self.a)\n\n    @step\n    def end",
    ).replace("self.next(self.end)", "self.next(self.a, self.end)")
    msg = bad(tmp_path, source)
    assert "there is a loop in the flow through step" in msg


def test_join_without_split(tmp_path):
    msg = bad(
        tmp_path,
        edit(
            "def start(self):\n        self.next(self.end)",
            "def start(self):\n        self.next(self.mid)\n\n"
            "    @step\n    def mid(self, inputs):\n        self.next(self.end)",
        ),
    )
    assert msg.startswith(f"{tmp_path / 'flow.py'}:10: join step 'mid' is not preceded by a split")


def test_foreach_needs_a_string_literal(tmp_path):
    msg = bad(tmp_path, edit("self.next(self.end)", "self.next(self.end, foreach=self.items)"))
    assert msg.startswith(f"{tmp_path / 'flow.py'}:7: step 'start': foreach= must be a string")


def test_cpu_from_a_function_call(tmp_path):
    source = edit(
        "    @step\n    def start", "    @kubernetes(cpu=compute())\n    @step\n    def start"
    )
    msg = bad(tmp_path, source)
    assert "sets cpu=compute() in @kubernetes, which placer cannot evaluate" in msg
    assert "To fix: write cpu= as a literal number" in msg


def test_kubernetes_and_batch_together(tmp_path):
    source = GOOD.replace("kubernetes, step", "batch, kubernetes, step").replace(
        "    @step\n    def start", "    @batch\n    @kubernetes\n    @step\n    def start"
    )
    msg = bad(tmp_path, source)
    assert "step 'start' is marked for both @kubernetes and @batch" in msg


def test_decorator_on_a_method_without_step(tmp_path):
    source = edit(
        "    @step\n    def end",
        "    @kubernetes\n    def helper(self):\n        pass\n\n    @step\n    def end",
    )
    msg = bad(tmp_path, source)
    assert msg.startswith(
        f"{tmp_path / 'flow.py'}:9: @kubernetes is applied to 'helper', which is not a @step"
    )


def test_bad_toleration_keys(tmp_path):
    tol = "[{'key': 'gpu', 'effects': 'NoSchedule'}]"
    deco = f"    @kubernetes(tolerations={tol})\n    @step\n    def start"
    msg = bad(tmp_path, edit("    @step\n    def start", deco))
    assert "has a toleration with unknown keys ['effects']" in msg


def test_debug_shows_the_traceback(tmp_path):
    path = tmp_path / "flow.py"
    path.write_text("")
    err = io.StringIO()
    code = main(["--debug", "graph", str(path)], Environment(stdout=io.StringIO(), stderr=err))
    assert code == 2  # --debug adds the traceback; bad input stays exit 2
    assert err.getvalue().startswith("Traceback (most recent call last):")
    assert "the flow file is empty" in err.getvalue().splitlines()[-1]


def test_config_json_missing(tmp_path):
    source = (
        GOOD.replace("kubernetes, step", "Config, config_expr, kubernetes, step")
        .replace(
            "class F(FlowSpec):\n",
            "class F(FlowSpec):\n    placement = Config('placement', default='placement.json')\n\n",
        )
        .replace(
            "    @step\n    def start",
            "    @kubernetes(node_selector=config_expr('placement.steps.start.node_selector'))\n"
            "    @step\n    def start",
        )
    )
    msg = bad(tmp_path, source)
    assert msg.startswith(
        f"{tmp_path / 'flow.py'}:5: the Config default 'placement.json' is not next to the flow"
    )
    assert "To fix: create the file (or run `placer apply` again if it wrote it)" in msg


@pytest.mark.parametrize(
    "deco, detail, fix",
    [
        (
            '@kubernetes("big")',
            "passes @kubernetes arguments placer cannot read",
            "pass @kubernetes arguments by keyword",
        ),
        (
            '@kubernetes(cpu="lots")',
            "has cpu='lots' in @kubernetes, which is not a number",
            "write cpu= as a number",
        ),
        (
            "@kubernetes(memory=0)",
            "asks for memory=0; it must be greater than 0",
            "set memory= to a positive number",
        ),
        (
            "@kubernetes(cpu=1e999)",
            "asks for cpu=inf; it must be a finite number",
            "set cpu= to the amount the step needs",
        ),
        (
            "@kubernetes(gpu=1.5)",
            "asks for gpu=1.5; it must be a whole number",
            "write gpu= as an integer",
        ),
        (
            '@kubernetes(gpu=1, gpu_vendor="intel")',
            "asks for gpu_vendor='intel'",
            'use gpu_vendor="nvidia" or "amd"',
        ),
    ],
)
def test_bad_kubernetes_values(tmp_path, deco, detail, fix):
    msg = bad(tmp_path, edit("    @step\n    def start", f"    {deco}\n    @step\n    def start"))
    assert msg.startswith(f"{tmp_path / 'flow.py'}:5: step 'start' {detail}")
    assert f"To fix: {fix}" in msg


# The other rules docs/flow-reader.md lists, each refused in one line with its line and fix.
# A body is the class body (its first line is line 5); `START`/`END` are plain steps.

START = "@step\ndef start(self):\n    self.next(self.a)\n\n"
END = "\n@step\ndef end(self):\n    pass\n"


def flow(body: str) -> str:
    header = "from metaflow import FlowSpec, batch, kubernetes, parallel, resources, step\n\n\n"
    return header + "class F(FlowSpec):\n" + textwrap.indent(body, "    ")


def step_(name: str, tail: str, args: str = "self", decos: str = "") -> str:
    return f"{decos}@step\ndef {name}({args}):\n    {tail}\n\n"


RULES = [
    # (body, line, headline, hint)
    (
        "def helper(self):\n    pass\n",
        4,
        "flow class 'F' has no @step methods",
        "decorate the flow's steps with @step",
    ),
    (
        "@step\ndef start(self):\n    self.next(self.a, self.b)\n\n"
        + step_("a", "self.next(self.c, self.d)")
        + step_("b", "self.next(self.j)")
        + step_("c", "self.next(self.j)")
        + step_("d", "self.next(self.end)")
        + step_("j", "self.next(self.end)", args="self, inputs")
        + END,
        26,
        "join step 'j' joins steps from unrelated splits",
        "make every join close exactly one split",
    ),
    (
        "@step(start=True)\ndef a(self):\n    self.next(self.b)\n\n"
        "@step(start=True)\ndef b(self):\n    self.next(self.end)\n" + END,
        10,
        "several steps are marked @step(start=True): a, b",
        "keep start=True on exactly one step",
    ),
    (
        "@step(start=True)\ndef a(self):\n    self.next(self.start)\n\n"
        + step_("start", "self.next(self.end)")
        + END,
        6,
        "step 'a' is marked @step(start=True) but a step named 'start' also exists",
        "rename the step 'start' or drop the annotation",
    ),
    (
        "@step\ndef start(self):\n    self.next(self.input)\n\n"
        + step_("input", "self.next(self.end)")
        + END,
        10,
        "step name 'input' is reserved by Metaflow",
        "rename the step",
    ),
    (
        START + step_("a", "self.next(self.Bad)") + step_("Bad", "self.next(self.end)") + END,
        14,
        "step name 'Bad' is not valid in Metaflow",
        "use lowercase letters, digits and underscores",
    ),
    (
        START + step_("a", "self.next(self.end)", args="") + END,
        10,
        "step 'a' is missing the 'self' argument",
        "write `def a(self)`",
    ),
    (
        START + step_("a", "self.next(self.end)", args="self, x, y") + END,
        10,
        "step 'a' takes too many arguments",
        "steps take (self), join steps (self, inputs)",
    ),
    (
        START + step_("a", "self.next(self.b, self.c)", args="self, inputs") + END,
        10,
        "step 'a' takes `inputs` (a join) but is a split",
        "put the split and the join in separate steps",
    ),
    (
        START
        + step_("a", "self.next(self.end)")
        + "@step\ndef end(self):\n    self.next(self.a)\n",
        15,
        "the end step 'end' calls self.next()",
        "remove the self.next() call from the end step",
    ),
    (
        "@step\ndef start(self):\n    self.next(self.a, self.a)\n\n"
        + step_("a", "self.next(self.end)")
        + END,
        7,
        "split step 'start' names the same step twice",
        "list each branch once in self.next(...)",
    ),
    (
        "@step\ndef start(self):\n    self.next({'x': self.a}, condition='mode')\n\n"
        + step_("a", "self.next(self.end)")
        + END,
        7,
        "switch step 'start' has fewer than 2 cases",
        "give the switch at least two distinct targets",
    ),
    (
        "@step\ndef start(self):\n    self.next(self.a, foreach='xs')\n\n"
        + step_("a", "self.next(self.end)", args="self, inputs")
        + END,
        7,
        "foreach step 'start' goes straight to the join 'a'",
        "put at least one step between the split and its join",
    ),
    (
        "@step\ndef start(self):\n    self.next(self.a, self.b)\n\n"
        + step_("a", "self.next(self.j)")
        + step_("b", "self.next(self.end)")
        + step_("j", "self.next(self.end)", args="self, inputs")
        + END,
        18,
        "join step 'j' does not join every branch of 'start' (missing: b)",
        "lead every branch of 'start' into 'j'",
    ),
    (
        "@step\ndef start(self):\n    self.next(self.a, self.b)\n\n"
        + step_("a", "self.next(self.c)")
        + step_("b", "self.next(self.c)")
        + step_("c", "self.next(self.end)")
        + END,
        18,
        "step 'c' is reached from 'a' and 'b', which are in different branches",
        "make 'c' a join step: `def c(self, inputs)`",
    ),
    (
        "@step\ndef start(self):\n    self.next(self.a, foreach='xs')\n\n"
        + step_("a", "self.next(self.end)")
        + END,
        15,
        "the end step 'end' is reached before the split at 'start' is joined",
        "add a join step before 'end'",
    ),
    (
        "@step\ndef start(self):\n    self.next(self.a, num_parallel=2)\n\n"
        + step_("a", "self.next(self.j)")
        + step_("j", "self.next(self.end)", args="self, inputs")
        + END,
        7,
        "step 'start' uses num_parallel= but 'a' lacks @parallel",
        "add @parallel to step 'a'",
    ),
    (
        START + step_("a", "self.next(self.start)") + END,
        11,
        "step 'a' goes back to the start step 'start'",
        "the start step cannot have incoming transitions",
    ),
    (
        START + step_("a", "self.next(**targets)") + END,
        11,
        "step 'a': `self.next` cannot take **kwargs",
        "pass foreach=/condition= explicitly",
    ),
    (
        START + step_("a", "self.next()") + END,
        11,
        "step 'a': `self.next()` names no step",
        "write `self.next(self.<next step>)`",
    ),
    (
        START + step_("a", "self.next(self.end, timeout=3)") + END,
        11,
        "step 'a': unsupported `self.next` arguments (timeout=)",
        "use self.next(self.a)",
    ),
    (
        START + step_("a", "self.next(self.end, num_parallel='4')") + END,
        11,
        "step 'a': num_parallel='4' is '4', not a whole number >= 1",
        "write num_parallel=<N>",
    ),
    (
        START + step_("a", "self.next({'x': self.b, 'y': self.end}, condition=c)") + END,
        11,
        "step 'a': condition= must be a string literal",
        'write condition="<artifact>"',
    ),
    (
        START + step_("a", "self.next({'x': self.b, 'y': self.end})") + END,
        11,
        "step 'a': a switch `self.next({...})` needs condition= and nothing else",
        "use self.next(self.a)",
    ),
    (
        START + step_("a", "self.next({k: self.b, 'y': self.end}, condition='c')") + END,
        11,
        "step 'a': switch case key `k` is not a literal",
        "use string or number literals",
    ),
    (
        START
        + step_("a", "self.next(self.end)", decos="@resources(cpu=1)\n@resources(cpu=2)\n")
        + END,
        10,
        "step 'a' has @resources twice",
        "keep one @resources and merge their arguments",
    ),
    (
        START + step_("a", "self.next(self.end)", decos="@resources(cpus=1)\n") + END,
        9,
        "step 'a' has an unknown @resources argument 'cpus'",
        "did you mean cpu=?",
    ),
    (
        START + step_("a", "self.next(self.end)", decos="@batch(queues='q')\n") + END,
        9,
        "step 'a' has an unknown @batch argument 'queues'",
        "did you mean queue=?",
    ),
    (
        START + step_("a", "self.next(self.end)", decos="@kubernetes(**opts)\n") + END,
        9,
        "step 'a' passes @kubernetes arguments placer cannot read",
        "pass @kubernetes arguments by keyword",
    ),
    (
        START + step_("a", "self.next(self.end)", decos="@kubernetes(compute_pool=3)\n") + END,
        9,
        "step 'a' has compute_pool=3",
        'write compute_pool="<pool name>"',
    ),
    (
        START + step_("a", "self.next(self.end)", decos="@kubernetes(tolerations='gpu')\n") + END,
        9,
        "step 'a' has tolerations that are not a list of dicts",
        "write tolerations=[{",
    ),
    (
        START
        + step_("a", "self.next(self.end)", decos="@kubernetes(node_selector={'a': 'b c'})\n")
        + END,
        9,
        "step 'a' has an unparseable node_selector entry 'a'='b c' (empty key or spaces)",
        'write node_selector="key=value,key2=value2" or a dict of strings',
    ),
]


@pytest.mark.parametrize("body, line, headline, hint", RULES)
def test_metaflow_rules_each_refused_in_one_line(tmp_path, body, line, headline, hint):
    msg = bad(tmp_path, flow(body))
    where, _, rest = msg.partition(": ")
    assert where == f"{tmp_path / 'flow.py'}:{line}"
    what, _, fix = rest.partition(". To fix: ")
    assert what == headline
    assert fix.startswith(hint)


def test_an_integer_beyond_any_float_is_not_finite(tmp_path):
    huge = "1" + "0" * 400
    msg = bad(
        tmp_path,
        edit("    @step\n    def start", f"    @kubernetes(cpu={huge})\n    @step\n    def start"),
    )
    assert msg == (
        f"{tmp_path / 'flow.py'}:5: step 'start' asks for cpu=10000000000000000000...; it must "
        "be a finite number. To fix: set cpu= to the amount the step needs, e.g. cpu=2"
    )


def test_a_repeated_keyword_python_refuses_is_refused(tmp_path):
    msg = bad(
        tmp_path,
        edit(
            "    @step\n    def start",
            "    @kubernetes(cpu=2, cpu=1)\n    @step\n    def start",
        ),
    )
    assert msg == (
        f"{tmp_path / 'flow.py'}:5: keyword argument repeated: cpu=. "
        "To fix: keep one cpu= in the decorator"
    )


def test_a_flow_file_over_the_size_cap_is_refused_unread(tmp_path):
    from placer.errors import FlowError
    from placer.flow import read_flow
    from placer.inputs import MAX_FLOW_BYTES

    path = tmp_path / "flow.py"
    with path.open("wb") as handle:  # sparse: no need to write 8 MB
        handle.truncate(MAX_FLOW_BYTES + 1)
    with pytest.raises(FlowError, match="is larger than 8 MB"):
        read_flow(path)
