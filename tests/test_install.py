"""The core install is the judge alone: a fresh venv with only cfdpo (no torch, transformers or trl) scores a
program and computes a reward; the ML stack is in extras, the exact pins in constraints.txt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

HEAVY = ("torch", "transformers", "trl", "peft", "datasets", "accelerate", "vllm")


@pytest.mark.slow
def test_a_core_only_venv_scores_and_rewards(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    venv = tmp_path / "core"
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    wheel = next(wheels.glob("cfdpo-*.whl"))
    inst = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-index", "--no-deps", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert inst.returncode == 0, inst.stderr[-2000:]
    code = (
        "import importlib.metadata as m, importlib.util, json\n"
        "core = [r for r in m.requires('cfdpo') if 'extra ==' not in r]\n"
        "from cfdpo.scoring import CompileScorer\n"
        "from cfdpo.rewards import RewardConfig, graded_reward\n"
        "v = CompileScorer(isolation='rlimits').score('int main(){}').verdict.value\n"
        "r = RewardConfig(isolation='rlimits', run_tests=False, cache=False).graded()(['int main() {\\n'], ['  x;\\n}'])\n"
        f"print(json.dumps({{'core': core, 'verdict': v, 'reward': r, 'heavy': [h for h in {HEAVY!r} "
        "if importlib.util.find_spec(h)]}))\n"
    )
    out = subprocess.run([str(py), "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    import json

    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["heavy"] == []  # nothing of the ML stack in that venv
    assert got["core"] == ["pyyaml", "tqdm"]
    assert got["verdict"] == "ok" and 0.05 < got["reward"][0] <= 0.25  # 'x' was not declared: an error tier
    (tmp_path / "a.cpp").write_text("int main() { return 0; }\n")
    cli = subprocess.run(
        [str(venv / "bin" / "cfdpo"), "score", "--isolation", "rlimits", "--no_compile_cache", "a.cpp"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert cli.returncode == 0 and cli.stdout.startswith("ok"), cli.stdout + cli.stderr[-2000:]  # the command too


def test_the_exact_pins_live_in_constraints_and_the_package_declares_ranges() -> None:
    import tomllib

    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert not any(d.split(";")[0].strip().startswith(HEAVY) for d in meta["dependencies"])
    train = meta["optional-dependencies"]["train"]
    assert any(d.startswith("torch>=") for d in train) and not any("==" in d for d in train)
    pins = dict(
        line.split("==") for line in (REPO / "constraints.txt").read_text().splitlines() if line and not line.startswith("#")
    )
    assert pins["torch"] == "2.13.0" and pins["trl"] == "1.14.2" and pins["transformers"] == "5.17.0"
    assert "-c constraints.txt" in (REPO / "Makefile").read_text()
