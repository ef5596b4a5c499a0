"""DPOP on three kinds of pairs, same model, data and steps: which feedback helps?

1. samples once: ``cfdpo build-prefs --run_tests`` on the train split (4 samples per prompt, each
   compiled and run on the problem's sample tests);
2. three preference sets from those same samples (the sample files are copied, so nothing is
   sampled again): ``compile`` (the paper: bad samples vs the reference), ``graded`` (error <
   warning < ok < pass) and ``graded+synthetic`` (plus corrupted references confirmed bad by g++);
3. ``cfdpo dpo --loss_type dpop`` from the base model on each, with the same seed and steps;
4. ``cfdpo evaluate --run_tests`` of the base model and the three adapters on the same test prompts.

Prints one table: compile rate and pass@1 per model, and the pair counts. Every command it runs is
printed first, so any step can be rerun by hand; each step reuses its output directory when done.

    python benchmarks/pair_policies.py --data ../shared/corpora/codechef --out runs/pair-policies
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
from pathlib import Path


def sh(cmd: list[str]) -> None:
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="../shared/corpora/codechef")
    ap.add_argument("--out", default="runs/pair-policies")
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--prefs-limit", type=int, default=40, help="train programs to sample on")
    ap.add_argument("--eval-limit", type=int, default=40, help="test programs to evaluate on")
    ap.add_argument("--num-samples", type=int, default=4)
    ap.add_argument("--max-program-chars", type=int, default=1500)
    ap.add_argument("--steps", type=int, default=30, help="DPOP steps (batch 2)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    out = Path(a.out)
    cfdpo = [shutil.which("cfdpo") or "cfdpo"]
    common = [
        "--data",
        a.data,
        "--model",
        a.model,
        "--require_tests",
        "true",
        "--max_program_chars",
        str(a.max_program_chars),
        "--threads",
        str(a.threads),
    ]
    sampled = out / "prefs-graded"
    sh(
        [
            *cfdpo,
            "build-prefs",
            *common,
            "--limit",
            str(a.prefs_limit),
            "--num_samples",
            str(a.num_samples),
            "--run_tests",
            "true",
            "--out",
            str(sampled),
        ]
    )
    variants = {
        "compile": ["--pairs", "paper"],
        "graded": ["--run_tests", "true", "--pairs", "graded"],
        "graded+synthetic": ["--run_tests", "true", "--pairs", "graded+synthetic"],
    }
    for name, flags in variants.items():
        d = out / f"prefs-{name}"
        if d != sampled:
            d.mkdir(parents=True, exist_ok=True)
            for f in ("prompts.jsonl", "samples.jsonl", "corpus_report.json"):
                if not (d / f).exists():
                    shutil.copy(sampled / f, d / f)
            if not (d / "prefs_summary.json").exists():
                sh(
                    [
                        *cfdpo,
                        "build-prefs",
                        *common,
                        "--limit",
                        str(a.prefs_limit),
                        "--num_samples",
                        str(a.num_samples),
                        *flags,
                        "--out",
                        str(d),
                    ]
                )
    for name in variants:
        d = out / f"dpop-{name}"
        if not (d / "adapter_model.safetensors").exists():
            sh(
                [
                    *cfdpo,
                    "dpo",
                    "--config",
                    "recipes/smollm2-135m/dpop.yaml",
                    "--train_file",
                    str(out / f"prefs-{name}"),
                    "--output_dir",
                    str(d),
                    "--max_steps",
                    str(a.steps),
                    "--save_steps",
                    str(a.steps),
                    "--model_name_or_path",
                    a.model,
                ]
            )
    evals = {"base": None, **{n: str(out / f"dpop-{n}") for n in variants}}
    rows = []
    for name, adapter in evals.items():
        d = out / f"eval-{name.replace('+', '-')}"
        if not (d / "results.json").exists():
            sh(
                [
                    *cfdpo,
                    "evaluate",
                    *common,
                    "--split",
                    "test",
                    "--limit",
                    str(a.eval_limit),
                    "--run_tests",
                    "true",
                    "--out",
                    str(d),
                    *(["--adapter", adapter] if adapter else []),
                ]
            )
        r = json.loads((d / "results.json").read_text())
        pairs = None
        if name != "base":
            pairs = json.loads((out / f"prefs-{name}" / "prefs_summary.json").read_text())["pairs_kept"]
        rows.append((name, r["n"], r["compile_rate"], r.get("pass_at_1"), r.get("n_with_tests"), pairs))
    print("\n| DPOP pairs | pairs | programs | compile rate % | pass@1 % |")
    print("|---|---:|---:|---:|---:|")
    for name, n, cr, p1, nt, pairs in rows:
        print(
            f"| {name if name != 'base' else 'base model (no DPOP)'} | {pairs if pairs is not None else '-'} | {n} "
            f"| {100 * (cr or 0):.2f} | {100 * (p1 or 0):.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
