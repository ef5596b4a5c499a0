"""Generation speed of vLLM against transformers, on the same masked programs, in one run.

    python benchmarks/generation.py --corpus ../shared/corpora/codechef --n 200 --sample-n 50

Programs over ``--max-program-chars`` (default 1500, the loop recipe's limit) are left out, as there.

Both backends get the same prompts (test split, compile-checked, masked as ``cfdpo evaluate`` masks them),
the same per-prompt token budgets and the same stop rule, each with its command default batch size
(transformers 8, vLLM 256) and engine settings (vLLM: eager, 0.25 of memory; each dtype of ``--vllm-dtypes``,
default bfloat16 then float32). The backends run one after the other, never side by side. Measured for each:

  greedy    one completion per test prompt (``cfdpo evaluate``);
  sampling  ``--num-samples`` completions per train prompt at temperature 1, top-p 0.95 (``cfdpo build-prefs``);
  start     loading the model / starting the engine;
  scoring   clean-up and g++ verdicts of every completion.

Tokens are counted by re-tokenising each completion with the model's tokenizer (the same count for both).
Prints a table and ends with one line per vLLM dtype, and one for ``auto`` (what ``--vllm_dtype auto`` runs
on a CPU: float32 for greedy decoding, bfloat16 for sampling; from the two runs, with both engines' starts)::

    dtype=<vLLM dtype> speedup=<min of the two> speedup_greedy=<vLLM tok/s / transformers tok/s>
    speedup_sampling=<...> end_to_end=<transformers (start + generation + scoring) / vLLM (...)>
    same_verdicts=<share of greedy prompts whose verdicts agree> same_completions=<share of identical greedy
    completions>

``--dump DIR`` writes each backend's greedy completions and verdicts (``greedy-<backend>.jsonl``) to see where
they part.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cfdpo.corpus.prompts import clean_completion
from cfdpo.generation.backend import generate_completions
from cfdpo.generation.decoding import DecodingConfig
from cfdpo.generation.fit import PromptFitter
from cfdpo.stages.evaluate import EvaluateArguments
from cfdpo.stages.records import start_run


def prompts_for(corpus: str, split: str, n: int, work: Path, max_chars: int | None) -> tuple[Any, list[dict[str, Any]]]:
    args = EvaluateArguments(data=corpus, split=split, limit=n, out=str(work / split), backend="hf", max_program_chars=max_chars)
    work.joinpath(split).mkdir(parents=True, exist_ok=True)
    return start_run(args, work / split)


def generate(
    model: Any, tok: Any, prompts: list[dict[str, Any]], decoding: DecodingConfig, batch_size: int
) -> tuple[list[list[str]], float, int]:
    """Completions of every prompt in the command's batches; returns (completions, seconds, tokens)."""
    fitter = PromptFitter(model, tok, "raw", decoding)
    outs: list[list[str]] = []
    t0 = time.perf_counter()
    for a in range(0, len(prompts), batch_size):
        batch = prompts[a : a + batch_size]
        texts = [fitter.fit(p["prompt"])[0] or p["prompt"][-2000:] for p in batch]
        outs += generate_completions(
            model,
            tok,
            [p["prompt"] for p in batch],
            [p["reference_completion"] for p in batch],
            decoding,
            "raw",
            seed_key=batch[0]["id"],
            model_prompts=texts,
        )
    seconds = time.perf_counter() - t0
    tokens = sum(len(tok(c, add_special_tokens=False)["input_ids"]) for o in outs for c in o)
    return outs, seconds, tokens


def score(scorer: Any, prompts: list[dict[str, Any]], outs: list[list[str]]) -> tuple[list[list[bool]], float]:
    t0 = time.perf_counter()
    programs = [p["prompt"] + clean_completion(p["prompt"], c, "raw")[0] for p, o in zip(prompts, outs) for c in o]
    res = scorer.score_many(programs)
    k = len(outs[0]) if outs else 1
    good = [r.good for r in res]
    return [good[i * k : (i + 1) * k] for i in range(len(outs))], time.perf_counter() - t0


def run_backend(
    name: str,
    load: Any,
    release: Any,
    scorer: Any,
    tests: list[dict[str, Any]],
    train: list[dict[str, Any]],
    num_samples: int,
    batch_size: int,
) -> dict[str, Any]:
    t0 = time.perf_counter()
    model, tok = load()
    start = time.perf_counter() - t0
    greedy = DecodingConfig(do_sample=False)
    sampled = DecodingConfig(do_sample=True, temperature=1.0, top_p=0.95, num_samples=num_samples)
    g_outs, g_s, g_tok = generate(model, tok, tests, greedy, batch_size)
    s_outs, s_s, s_tok = generate(model, tok, train, sampled, batch_size)
    release()
    g_good, g_score = score(scorer, tests, g_outs)
    s_good, s_score = score(scorer, train, s_outs)
    row = dict(
        backend=name,
        start_s=start,
        greedy_s=g_s,
        greedy_tokens=g_tok,
        greedy_tok_s=g_tok / g_s,
        sampling_s=s_s,
        sampling_tokens=s_tok,
        sampling_tok_s=s_tok / s_s,
        scoring_s=g_score + s_score,
        compile_rate=sum(g[0] for g in g_good) / len(g_good),
        sample_compile_rate=sum(sum(g) for g in s_good) / max(1, sum(len(g) for g in s_good)),
        verdicts=[g[0] for g in g_good],
        completions=[o[0] for o in g_outs],
    )
    row["total_s"] = start + g_s + s_s + row["scoring_s"]
    print(
        f"{name:6s} start {start:6.1f}s | greedy {g_s:7.1f}s {g_tok:6d} tok {row['greedy_tok_s']:6.1f} tok/s "
        f"compile {row['compile_rate']:.3f} | sampling {s_s:7.1f}s {s_tok:6d} tok {row['sampling_tok_s']:6.1f} tok/s "
        f"compile {row['sample_compile_rate']:.3f} | scoring {row['scoring_s']:5.1f}s | total {row['total_s']:7.1f}s",
        flush=True,
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="../shared/corpora/codechef")
    ap.add_argument("--n", type=int, default=200, help="test prompts, greedy")
    ap.add_argument("--sample-n", type=int, default=50, help="train prompts, sampled")
    ap.add_argument("--num-samples", type=int, default=4)
    ap.add_argument("--hf-batch", type=int, default=8)
    ap.add_argument("--vllm-batch", type=int, default=256)
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument(
        "--vllm-dtypes",
        default="bfloat16,float32",
        help="vLLM dtypes to run, comma-separated (bfloat16 is the CPU default; float32 agrees more)",
    )
    ap.add_argument(
        "--max-program-chars", type=int, default=1500, help="skip longer programs, as the loop recipe does (0: no limit)"
    )
    ap.add_argument("--dump", default=None, help="write each backend's greedy completions and verdicts here")
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from cfdpo.generation.models import load_model, set_torch_threads
    from cfdpo.generation.vllm_engine import VLLMOptions, load_vllm, release_engine, vllm_unavailable

    why = vllm_unavailable()
    if why:
        sys.exit(f"benchmarks/generation.py: {why}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="cfdpo-genbench-") as d:
        scorer, tests = prompts_for(a.corpus, "test", a.n, Path(d), a.max_program_chars or None)
        _, train = prompts_for(a.corpus, "train", a.sample_n, Path(d), a.max_program_chars or None)
        print(f"{len(tests)} test prompts (greedy), {len(train)} train prompts x {a.num_samples} samples", flush=True)

        def load_hf() -> Any:
            set_torch_threads(None)
            return load_model(a.model, None, "cpu")

        hf = run_backend("hf", load_hf, lambda: None, scorer, tests, train, a.num_samples, a.hf_batch)
        for dtype in a.vllm_dtypes.split(","):

            def load_vl(dtype: str = dtype) -> Any:
                return load_vllm(a.model, None, "cpu", VLLMOptions(dtype=dtype))

            rows.append(run_backend(f"vllm-{dtype}", load_vl, release_engine, scorer, tests, train, a.num_samples, a.vllm_batch))
    if a.dump:
        Path(a.dump).mkdir(parents=True, exist_ok=True)
        for row in [hf, *rows]:
            with open(Path(a.dump) / f"greedy-{row['backend']}.jsonl", "w") as f:
                f.writelines(
                    json.dumps({"id": p["id"], "completion": c, "good": v}) + "\n"
                    for p, c, v in zip(tests, row["completions"], row["verdicts"])
                )
    by = {r["backend"]: r for r in rows}
    if "vllm-float32" in by and "vllm-bfloat16" in by:  # what --vllm_dtype auto runs on a CPU
        g, smp = by["vllm-float32"], by["vllm-bfloat16"]
        rows.append(
            {
                **g,
                "backend": "vllm-auto",
                "sampling_tok_s": smp["sampling_tok_s"],
                "total_s": g["start_s"] + g["greedy_s"] + smp["start_s"] + smp["sampling_s"] + g["scoring_s"],
            }
        )
    for vl in rows:
        sg = vl["greedy_tok_s"] / hf["greedy_tok_s"]
        ss = vl["sampling_tok_s"] / hf["sampling_tok_s"]
        same = sum(x == y for x, y in zip(hf["verdicts"], vl["verdicts"])) / len(hf["verdicts"])
        same_c = sum(x == y for x, y in zip(hf["completions"], vl["completions"])) / len(hf["completions"])
        print(
            f"dtype={vl['backend'].removeprefix('vllm-')} speedup={min(sg, ss):.2f} speedup_greedy={sg:.2f} "
            f"speedup_sampling={ss:.2f} end_to_end={hf['total_s'] / vl['total_s']:.2f} same_verdicts={same:.3f} "
            f"same_completions={same_c:.3f}"
        )


if __name__ == "__main__":
    main()
