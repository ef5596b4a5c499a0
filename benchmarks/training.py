"""Training step cost: DPO against SFT on the same rows, and DPO today against DPO with cheaper settings.

    python benchmarks/training.py --pairs runs/prefs/preferences.jsonl --rows 16 --steps 4

Takes the ``--rows`` pairs with the longest prompts from a build-prefs file (the expensive case)
and trains ``--steps`` steps of batch ``--batch`` from the base model, each setting in its own
process (so its peak resident memory is its own):

  (a) ``dpo-today``: DPO as the recipes ran it: full-length prompts, ``max_length 768``, the
      reference forward pass on every step, the plain forward pass on every row (``--share_prompt false``);
  (b) ``dpo-cheap``: prompts cut from their start so the completion and the lines before it stay
      (``truncation_mode keep_end``, ``max_length --cheap-max-length``), reference log-probs
      precomputed once (``precompute_ref_log_probs``), each pair's shared prompt read once and logits
      only at completion positions (``share_prompt``, cfdpo's default); the loss is on completion tokens
      only in both (TRL's completion mask);
  (c) ``sft``: SFT on (prompt, chosen) of the same rows at the same max_length and truncation as (b);
  (d) ``dpo-cheap-bf16`` and ``sft-bf16``: (b) and (c) in bf16 mixed precision on the CPU
      (``--bf16 true --use_cpu true``; left out with ``--no-bf16``).

Prints per setting the seconds per step, pairs (or rows) per second, tokens per second and peak
RSS, then ``dpo_over_sft=<(b) s/step / (c) s/step> pairs_per_s_gain=<(b) pairs/s / (a) pairs/s>`` and, with
(d), ``bf16_speedup=<(b) s/step / (d) s/step> bf16_sft_speedup=<...> bf16_loss_diff=<largest |loss| gap of
(d) against (b), (c) over the first step>`` (the first step's loss: the same weights and batch in both).
Timing comes from the trainer's own ``train_runtime`` (the precompute pass of (b) included).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _worker(kind: str, rows_path: str, out: str, steps: int, batch: int, max_length: int, threads: int) -> None:
    import torch
    from trl import DPOConfig, ModelConfig, SFTConfig

    from cfdpo.stages.training_runs import TrainDataArguments

    torch.set_num_threads(threads)
    import transformers

    timing: dict[str, float] = {}
    original = transformers.Trainer.train

    def timed_train(self, *args, **kwargs):  # the trainer's own train_runtime (no checkpoint is written)
        out = original(self, *args, **kwargs)
        timing["train_runtime"] = out.metrics["train_runtime"]
        losses.extend(h["loss"] for h in self.state.log_history if "loss" in h)
        return out

    losses: list[float] = []
    transformers.Trainer.train = timed_train
    bf16 = kind.endswith("-bf16")
    kind = kind.removesuffix("-bf16")
    common = dict(
        output_dir=out,
        max_steps=steps,
        per_device_train_batch_size=batch,
        learning_rate=1e-4,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        seed=0,
        bf16=bf16,
        use_cpu=bf16,
        gradient_checkpointing=False,
        max_length=max_length,
    )
    model = ModelConfig(model_name_or_path=None, use_peft=True, lora_r=16, lora_alpha=16)
    if kind == "sft":
        from cfdpo.stages.sft import run as sft_run

        sft_run(
            TrainDataArguments(train_file=rows_path, use_unsloth=False), SFTConfig(truncation_mode="keep_end", **common), model
        )
    else:
        from cfdpo.stages.dpo import PreferenceArguments
        from cfdpo.stages.dpo import run as dpo_run

        extra = dict(truncation_mode="keep_end", precompute_ref_log_probs=True) if kind == "dpo-cheap" else {}
        # today: the plain forward pass on every row, as before the shared-prompt path
        dpo_run(
            TrainDataArguments(train_file=rows_path, use_unsloth=False),
            PreferenceArguments(share_prompt=kind == "dpo-cheap"),
            DPOConfig(beta=0.1, **common, **extra),
            model,
        )
    runtime = timing.get("train_runtime")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps({"runtime_s": runtime, "peak_rss_mb": round(peak_mb), "losses": losses}), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", required=True, help="a preferences.jsonl (or its build-prefs run directory)")
    ap.add_argument("--rows", type=int, default=16, help="pairs with the longest prompts to train on")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--today-max-length", type=int, default=768)
    ap.add_argument("--cheap-max-length", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-bf16", action="store_true", help="leave out the bf16 settings (d)")
    ap.add_argument("--worker", nargs=6, metavar=("KIND", "ROWS", "OUT", "STEPS", "BATCH", "MAXLEN"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        kind, rows, out, steps, batch, maxlen = a.worker
        _worker(kind, rows, out, int(steps), int(batch), int(maxlen), a.threads)
        return 0
    from transformers import AutoTokenizer

    from cfdpo.jsonl import read_jsonl, write_jsonl
    from cfdpo.model_files import resolve_model

    path = Path(a.pairs)
    pairs = read_jsonl(path / "preferences.jsonl" if path.is_dir() else path)
    pairs = sorted(pairs, key=lambda r: -len(r["prompt"]))[: a.rows]
    tok = AutoTokenizer.from_pretrained(resolve_model(None))

    def ntok(text: str) -> int:
        return len(tok(text, add_special_tokens=False)["input_ids"])

    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="cfdpo-bench-train-") as tmp:
        dpo_rows = Path(tmp) / "pairs.jsonl"
        write_jsonl(dpo_rows, [{"prompt": r["prompt"], "chosen": r["chosen"], "rejected": r["rejected"]} for r in pairs])
        sft_rows = Path(tmp) / "sft.jsonl"
        write_jsonl(sft_rows, [{"prompt": r["prompt"], "completion": r["chosen"]} for r in pairs])
        plan = [
            ("dpo-today", dpo_rows, a.today_max_length),
            ("dpo-cheap", dpo_rows, a.cheap_max_length),
            ("sft", sft_rows, a.cheap_max_length),
        ]
        if not a.no_bf16:
            plan += [("dpo-cheap-bf16", dpo_rows, a.cheap_max_length), ("sft-bf16", sft_rows, a.cheap_max_length)]
        for kind, rows, maxlen in plan:
            cmd = [
                sys.executable,
                __file__,
                "--threads",
                str(a.threads),
                "--pairs",
                a.pairs,
                "--worker",
                kind,
                str(rows),
                str(Path(tmp) / kind),
                str(a.steps),
                str(a.batch),
                str(maxlen),
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
            if proc.returncode != 0 or line is None:
                print(proc.stderr[-3000:])
                raise SystemExit(f"{kind} failed")
            res = json.loads(line[len("RESULT ") :])
            n = a.steps * a.batch
            seqs = 2 if kind.startswith("dpo") else 1
            tokens = sum(min(maxlen, ntok(r["prompt"]) + ntok(r["chosen"])) for r in pairs[:n]) + (
                sum(min(maxlen, ntok(r["prompt"]) + ntok(r["rejected"])) for r in pairs[:n]) if seqs == 2 else 0
            )
            res.update(
                s_per_step=res["runtime_s"] / a.steps,
                rows_per_s=n / res["runtime_s"],
                tokens_per_s=tokens / res["runtime_s"],
                max_length=maxlen,
            )
            results[kind] = res
            print(
                f"{kind:14s} max_length {maxlen:4d}: {res['s_per_step']:.2f} s/step, {res['rows_per_s']:.3f} rows/s, "
                f"{res['tokens_per_s']:.0f} tokens/s, peak RSS {res['peak_rss_mb']} MB",
                flush=True,
            )
    print(
        f"dpo_over_sft={results['dpo-cheap']['s_per_step'] / results['sft']['s_per_step']:.2f} "
        f"pairs_per_s_gain={results['dpo-cheap']['rows_per_s'] / results['dpo-today']['rows_per_s']:.2f}"
    )
    if not a.no_bf16:
        gap = max(abs(results[f"{k}-bf16"]["losses"][0] - results[k]["losses"][0]) for k in ("dpo-cheap", "sft"))
        print(
            f"bf16_speedup={results['dpo-cheap']['s_per_step'] / results['dpo-cheap-bf16']['s_per_step']:.2f} "
            f"bf16_sft_speedup={results['sft']['s_per_step'] / results['sft-bf16']['s_per_step']:.2f} "
            f"bf16_loss_diff={gap:.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
