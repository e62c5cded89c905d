"""Pictures (placer.output.plot, `plan --plot`, `report --plot`, `frontier --plot`): they are
written, non-trivial (PNG dimensions, file size) and name the steps (SVG text); matplotlib
is loaded only by these options."""

from __future__ import annotations

import io
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from placer.cli import main
from placer.cli._env import Environment

ROOT = Path(__file__).resolve().parent.parent
GPU = ROOT / "examples" / "gpu_training" / "trainflow.py"
BRANCHING = ROOT / "examples" / "branching" / "branchflow.py"
STEPS = ("start", "prepare", "train", "evaluate", "end")


@pytest.fixture(autouse=True)
def snapshot_prices(tmp_path, monkeypatch):
    monkeypatch.setenv("PLACER_CACHE_DIR", str(tmp_path / "no-cache"))


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, width=120))
    return code, out.getvalue(), err.getvalue()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def svg_texts(path: Path) -> str:
    """Every text the SVG draws, joined (fonts are kept as <text>, not paths)."""
    svg = path.read_text(encoding="utf-8")
    return " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))


def test_plan_plot_draws_every_step_and_the_data_crossing_clouds(tmp_path):
    svg = tmp_path / "plan.svg"
    code, out, err = run("plan", str(GPU), "--plot", str(svg))
    assert code == 0, err
    assert f"picture written to {svg}" in out
    texts = svg_texts(svg)
    for name in STEPS:
        assert name in texts
    assert "train x4" in texts  # the foreach drawn once, with its width
    assert "aws-use1" in texts and "g6.xlarge" in texts and "/run" in texts
    png = tmp_path / "plan.png"
    assert run("plan", str(GPU), "--plot", str(png))[0] == 0
    width, height = png_size(png)
    assert width >= 600 and height >= 200 and png.stat().st_size > 10_000


def test_an_edge_between_regions_is_labelled_with_gb_and_cost(tmp_path):
    # train on GCP: its 4 tasks read 40 GB each from S3, so prepare -> train moves 160 GB.
    config = tmp_path / "placer.yaml"
    text = (GPU.parent / "placer.yaml").read_text()
    config.write_text(text.replace("gpu_model: L4", "gpu_model: L4\n    pools: [gcp-usc1]"))
    svg = tmp_path / "plan.svg"
    assert run("plan", str(GPU), "--config", str(config), "--plot", str(svg))[0] == 0
    assert re.search(r"160 GB, \$\d+\.\d\d", svg_texts(svg))


def test_report_plot_stacks_compute_and_egress_and_shows_the_change(tmp_path):
    head, base = tmp_path / "head.json", tmp_path / "base.json"
    assert run("plan", str(GPU), "--out", str(head))[0] == 0
    assert run("plan", str(BRANCHING), "--out", str(base))[0] == 0
    svg = tmp_path / "bars.svg"
    code, _, err = run("report", str(head), "--plot", str(svg))
    assert code == 0 and f"wrote {svg}" in err
    texts = svg_texts(svg)
    assert all(name in texts for name in STEPS)
    assert "compute" in texts and "egress" in texts and "cost per month (USD)" in texts
    compare = tmp_path / "compare.png"
    assert run("report", str(head), "--compare-to", str(head), "--plot", str(compare))[0] == 0
    width, height = png_size(compare)
    assert width >= 600 and height >= 400 and compare.stat().st_size > 10_000


def test_a_picture_needs_a_png_or_svg_name_and_nothing_is_written(tmp_path):
    target = tmp_path / "plan.gif"
    code, out, err = run("plan", str(GPU), "--plot", str(target))
    assert code == 2 and out == ""
    assert err.startswith("error: --plot: cannot draw plan.gif") and not target.exists()


def _imported(code: str) -> str:
    """Modules a fresh interpreter imports running `code` (python -X importtime)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return done.stderr


def test_help_and_a_plain_plan_do_not_import_matplotlib(tmp_path):
    assert "matplotlib" not in _imported("import placer.cli")
    plain = (
        "import io, sys\nfrom placer.cli import main\nfrom placer.cli._env import Environment\n"
        f"sys.exit(main(['plan', {str(GPU)!r}], Environment(stdout=io.StringIO())))"
    )
    assert "matplotlib" not in _imported(plain)
    drawn = plain.replace("'plan', ", f"'plan', '--plot', {str(tmp_path / 'p.png')!r}, ")
    assert "matplotlib" in _imported(drawn)  # the check can fail: --plot does import it
