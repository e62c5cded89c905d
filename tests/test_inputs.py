"""Reading only regular files, up to a cap; outputs that would destroy an input."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from placer.errors import InputError, PlanError
from placer.inputs import check_output, inside, project_root, read_regular


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "flow.py"
    os.mkfifo(fifo)
    result: list[BaseException] = []

    def read() -> None:
        try:
            read_regular(fifo, "flow file", 100)
        except InputError as exc:
            result.append(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive(), "reading a FIFO blocked"
    assert "is not a regular file (a FIFO, device or socket)" in str(result[0])


def test_devices_directories_and_big_files_are_refused(tmp_path):
    with pytest.raises(InputError, match="is not a regular file"):
        read_regular(Path("/dev/zero"), "plan file", 100)
    with pytest.raises(InputError, match="is a directory, not a plan file"):
        read_regular(tmp_path, "plan file", 100)
    big = tmp_path / "plan.json"
    big.write_bytes(b"x" * 2_000_000)
    with pytest.raises(PlanError, match="the plan file is larger than 1 MB"):
        read_regular(big, "plan file", 1024 * 1024, PlanError)
    assert read_regular(big, "plan file", 2_000_000) == b"x" * 2_000_000
    with pytest.raises(InputError, match="plan file not found"):
        read_regular(tmp_path / "missing.json", "plan file", 100)


def test_check_output_refuses_inputs_directories_and_devices(tmp_path):
    flow = tmp_path / "flow.py"
    flow.write_text("x")
    (tmp_path / "hard.py").hardlink_to(flow)
    for same in (flow, tmp_path / "hard.py", tmp_path / "." / "flow.py"):
        with pytest.raises(InputError, match="is the same file as"):
            check_output(same, [flow])
    with pytest.raises(InputError, match="--out is a directory"):
        check_output(tmp_path, [flow])
    with pytest.raises(InputError, match="not a regular file"):
        check_output(Path("/dev/null"), [flow])
    check_output(tmp_path / "new.json", [flow, None])  # fine: a new file


def test_project_root_and_inside(tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "flows").mkdir()
    assert project_root(repo / "flows") == repo
    assert project_root(tmp_path) == tmp_path
    (repo / "flows" / "out").symlink_to(tmp_path)
    assert inside(repo / "flows" / "x.py", repo)
    assert not inside(repo / "flows" / "out" / "x.py", repo)


def test_an_output_a_symlink_sends_out_of_the_project_is_refused(tmp_path):
    # issue 14: a pull request commits `.placer/head/x.json -> ~/.bashrc` (or `.placer -> /`)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "out").mkdir()
    (repo / "out" / "plan.json").symlink_to(victim)
    (repo / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    for out in (repo / "out" / "plan.json", repo / "elsewhere" / "new.json"):
        with pytest.raises(InputError) as info:
            check_output(out, [])
        assert info.value.headline.startswith("--out resolves to ")
        assert f"outside the project ({repo})" in info.value.headline
    (repo / "inner.json").symlink_to(repo / "out" / "real.json")
    check_output(repo / "inner.json", [])  # a link that stays in the project is fine
    check_output(tmp_path / "plain.json", [])  # outside any repository, no link: fine
    assert victim.read_text() == "precious\n"
