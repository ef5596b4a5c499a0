"""What ``evaluate`` and ``build-prefs`` share: arguments, prompt preparation,
resumable sampling + scoring, and the JSONL files that hold each stage.

Resumability: every stage writes into the run directory. ``prompts.jsonl`` is
written once (atomically). ``samples.jsonl`` is appended one whole batch at a
time (one ``write`` + fsync); on restart, a torn last line is cut off, the rows
already present are kept, and only batches with missing rows are generated
again, so a killed run continues with no row lost or duplicated. Batches have
fixed boundaries and per-batch seeds, so a regenerated batch gives the same rows.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..corpus.masking import mask_program
from ..errors import InputError, OptionError
from ..evaluation.stats import wilson_interval
from ..jsonl import append_jsonl, read_jsonl, write_jsonl
from ..scoring import CompileScorer
from ..scoring.diagnostics import Diagnostic, error_kind, normalise_message
from .batch import BatchGenerator, BatchRows, judge_rows, make_exec_scorer
from .configs import CompileOptions, CorpusOptions, ExecutorOptions, GenerationOptions, TestOptions

__all__ = [
    "CommonArguments",
    "append_jsonl",
    "config_defaults",
    "generation_record",
    "load_generator",
    "make_exec_scorer",
    "make_scorer",
    "parse_shard",
    "prepare_prompts",
    "prompt_fit_summary",
    "read_jsonl",
    "sample_and_score",
    "summarise_samples",
    "write_jsonl",
]

log = logging.getLogger(__name__)


@dataclass
class CommonArguments(CorpusOptions, CompileOptions, TestOptions, GenerationOptions, ExecutorOptions):
    """Arguments shared by ``evaluate`` and ``build-prefs`` (YAML keys = these field names): the corpus,
    compile, test, generation and executor option groups (:mod:`cfdpo.stages.configs`) plus the model and
    decoding."""

    out: str = field(default="runs/run", metadata={"help": "Run directory (created; resumed when it exists)."})
    model: str = field(
        default="smollm2-135m-instruct",
        metadata={"help": "HF model id or local path; default: the bundled SmolLM2-135M-Instruct."},
    )
    adapter: str | None = field(default=None, metadata={"help": "PEFT adapter directory to apply to --model."})
    seed: int = field(default=0, metadata={"help": "Seed for the split and for sampling."})
    batch_size: int | None = field(
        default=None,
        metadata={
            "help": "Prompts per generation batch (default: 8 with transformers; 256 with vLLM, whose engine batches "
            "continuously)."
        },
    )
    max_new_tokens: int | None = field(
        default=None, metadata={"help": "Fixed token budget; default per prompt: 2x its reference's tokens + 16, at most 1024."}
    )
    shard: str = field(default="0/1", metadata={"help": "I/N: process the I-th of N contiguous shards (job arrays)."})
    threads: int | None = field(default=None, metadata={"help": "torch CPU threads (default: $CFDPO_THREADS or CPUs)."})
    device: str | None = field(default=None, metadata={"help": "cpu, cuda or cuda:N (default: cuda when available)."})
    max_prompt_tokens: int | None = field(
        default=None,
        metadata={
            "help": "Longest prompt given to the model, in tokens (default: the model's context minus the "
            "generation budget). Longer prompts follow --long_prompts."
        },
    )
    long_prompts: str = field(
        default="truncate",
        metadata={
            "help": "truncate: cut a long prompt from its start at a line boundary, keeping the lines just before "
            "the masked part (the full program is still what g++ judges); skip: leave it out, counted "
            "in results and listed in skipped.jsonl."
        },
    )

    def __post_init__(self) -> None:
        """Check every value before any work (raises :class:`~cfdpo.errors.OptionError`)."""
        from ..options import at_least, choice, device

        self.check_corpus_options()
        self.check_compile_options()
        self.check_test_options()
        self.check_generation_options()
        self.check_executor_options()
        at_least("batch_size", self.batch_size, 1, optional=True)
        at_least("max_new_tokens", self.max_new_tokens, 1, optional=True)
        try:
            parse_shard(self.shard)
        except ValueError as e:
            raise OptionError("shard", str(e).split(" ", 1)[1]) from None
        at_least("threads", self.threads, 1, optional=True)
        device("device", self.device)
        at_least("max_prompt_tokens", self.max_prompt_tokens, 16, optional=True)
        choice("long_prompts", self.long_prompts, ("truncate", "skip"))
        if not self.model:
            raise OptionError("model", "must name a model (an HF id or a local directory)")

    def generation_batch_size(self) -> int:
        """``batch_size``, or its default for the backend that will generate."""
        if self.batch_size:
            return self.batch_size
        from ..generation.vllm_engine import resolve_backend

        return 256 if resolve_backend(self.backend) == "vllm" else 8


#: keys that may change between a run and its resumption
RESUME_IGNORE = (
    "out",
    "workers",
    "threads",
    "device",
    "no_compile_cache",
    "no_pch",
    "syntax_first",
    "repair_turns",
    "no_fast_link",
    "vllm_memory",
    "vllm_kv_cache_gb",
    "vllm_compile",
    "tensor_parallel_size",
    "batch_size",
    "executor",
    "ray_address",
    "ray_generators",
)


def config_defaults(args: Any) -> dict[str, Any]:
    """Default values of an arguments dataclass (for resuming runs recorded before an option existed)."""
    return asdict(type(args)())


def load_generator(args: Any, sampling: bool = False) -> tuple[Any, Any]:
    """``(model, tokenizer)`` for generation by ``args.backend`` (:class:`GenerationOptions`): a vLLM engine
    (kept alive across calls for the same model and options; ``sampling`` picks its dtype under ``auto``, see
    :func:`cfdpo.generation.vllm_engine.engine_dtype`) or a transformers model on ``args.device``.

    Raises:
        InputError: ``--backend vllm`` cannot be used here, or the model / adapter cannot be had.
    """
    from ..generation.models import load_model, set_torch_threads
    from ..generation.vllm_engine import load_vllm, resolve_backend

    set_torch_threads(args.threads)
    if resolve_backend(args.backend) == "vllm":
        return load_vllm(args.model, args.adapter, args.device, args.vllm_options(args.seed, sampling, _seqs(args)))
    return load_model(args.model, args.adapter, args.device)


def _seqs(args: Any) -> int:
    """Sequences a vLLM engine runs at once for these arguments: the batch times the samples per prompt."""
    return int(getattr(args, "batch_size", None) or 256) * int(getattr(args, "num_samples", None) or 1)


def generation_record(args: Any, sampling: bool = False) -> dict[str, Any]:
    """The backend that generated (``auto`` resolved) and, for vLLM, its engine options (``sampling`` as for
    :func:`load_generator`)."""
    from ..generation.vllm_engine import options_record, resolve_backend

    backend = resolve_backend(args.backend)
    rec: dict[str, Any] = {"backend": backend, "asked": args.backend}
    if backend == "vllm":
        rec["vllm"] = options_record(args.vllm_options(args.seed, sampling, _seqs(args)))
    return rec


def make_scorer(args: CommonArguments) -> CompileScorer:
    """The compile scorer described by the arguments (its policy goes into results)."""
    return args.compile_scorer()


def compile_cache_dir() -> str:
    """The shared compile-result cache: ``$CFDPO_CACHE/compile`` (default ``~/.cache/cfdpo/compile``)."""
    from ..tempdirs import compile_cache_dir as where

    return where()


def parse_shard(spec: str) -> tuple[int, int]:
    """Parse ``I/N`` (0 <= I < N).

    Raises:
        ValueError: a malformed spec.
    """
    try:
        i, n = (int(x) for x in spec.split("/"))
    except ValueError as e:
        raise ValueError(f"--shard must look like I/N, got {spec!r}") from e
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"--shard I/N needs 0 <= I < N, got {spec!r}")
    return i, n


# -------------------------------------------------------------------------- prompts
def _batches(n: int, size: int) -> list[tuple[int, int]]:
    return [(i, min(i + size, n)) for i in range(0, n, size)]


def prepare_prompts(args: CommonArguments, scorer: CompileScorer | None, out: Path) -> list[dict[str, Any]]:
    """Load the corpus, mask it and take this shard's prompts; reuse ``prompts.jsonl`` if present.

    Prompts are ordered by length (prompt + twice the reference), so batches pad
    little. Shards are made of whole generation batches, so the concatenation of
    all shards' rows equals an unsharded run's rows.
    """
    path = out / "prompts.jsonl"
    if path.is_file():
        reused = read_jsonl(path)
        log.info("reusing %d prompts from %s", len(reused), path)
        return reused
    from ..corpus.codenet import load_codenet
    from ..runinfo import write_json

    shard_i, shard_n = parse_shard(args.shard)
    splits = (args.split,)
    ds, report = load_codenet(
        args.data,
        train_per_problem=args.train_per_problem,
        test_per_problem=args.test_per_problem,
        seed=args.seed,
        scorer=scorer if args.compile_check else None,
        splits=splits,
        limit=args.limit,
        workers=args.workers,
        max_chars=args.max_program_chars,
        require_tests=args.require_tests,
        holdout=args.holdout,
        skip=args.skip,
        validation_problems=args.validation_problems,
    )
    rows: list[dict[str, Any]] = []
    skipped = list(report.skipped_files)
    mask_skipped = 0
    for prog in ds:
        try:
            m = mask_program(prog["source"], args.mask_ratio, args.mask_mode)
        except ValueError as e:
            mask_skipped += 1
            skipped.append(
                {
                    "stage": "mask",
                    "reason": "mask_failed",
                    "problem_id": prog["problem_id"],
                    "path": f"{prog['problem_id']}/{prog['submission_id']}",
                    "detail": str(e),
                }
            )
            continue
        rows.append(
            {
                "id": f"{prog['problem_id']}/{prog['submission_id']}",
                "problem_id": prog["problem_id"],
                "submission_id": prog["submission_id"],
                "prompt": m.prompt,
                "reference_completion": m.reference_completion,
                "mask_ratio": args.mask_ratio,
                "mask_mode": args.mask_mode,
                "prompt_format": args.prompt_format,
                "split": prog["split"],
                "sample_input": prog["sample_input"],
                "sample_output": prog["sample_output"],
                "tests": json.loads(prog["tests"] or "[]"),
            }
        )
    # order by length (stable), so that a generation batch holds prompts of similar length and
    # similar token budgets: on a CPU, one long prompt in a batch of short ones multiplies its cost
    rows.sort(key=lambda r: len(r["prompt"]) + 2 * len(r["reference_completion"]))
    batches = _batches(len(rows), args.generation_batch_size())
    lo = shard_i * len(batches) // shard_n
    hi = (shard_i + 1) * len(batches) // shard_n
    start = batches[lo][0] if lo < len(batches) else len(rows)
    end = batches[hi - 1][1] if hi > lo else start
    rows = rows[start:end]
    corpus = report.to_dict()
    corpus["mask_skipped"] = mask_skipped
    corpus["shard"] = {"index": shard_i, "count": shard_n, "rows": [start, end]}
    if mask_skipped:
        log.warning(
            "skipped %d: mask_failed (%s)",
            mask_skipped,
            ", ".join(r["path"] for r in skipped if r["reason"] == "mask_failed")[:200],
        )
    if not rows:
        raise InputError(f"--data {args.data}: no programs left for split {args.split}: {_empty_reason(corpus)}")
    write_json(out / "corpus_report.json", corpus)
    write_jsonl(out / "skipped.jsonl", skipped)
    write_jsonl(path, rows)
    log.info("prepared %d prompts (%s)", len(rows), json.dumps(corpus["skipped"]))
    return rows


def _empty_reason(corpus: dict[str, Any]) -> str:
    """Which filters removed what, for the error of an empty selection."""
    skipped = {k: v for k, v in corpus["skipped"].items() if v}
    parts = [f"{corpus['problems_seen']} problem(s) seen, {corpus['problems_kept']} kept"]
    if skipped:
        parts.append("skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(skipped.items(), key=lambda kv: -kv[1])))
    if corpus.get("mask_skipped"):
        parts.append(f"mask_failed {corpus['mask_skipped']}")
    if corpus["programs_kept"] and corpus["shard"]["count"] > 1:
        parts.append(f"shard {corpus['shard']['index']}/{corpus['shard']['count']} is empty")
    return "; ".join(parts)


# ------------------------------------------------------------------------- sampling
def sample_and_score(
    prompts: list[dict[str, Any]],
    args: CommonArguments,
    decoding: Any,
    scorer: CompileScorer,
    out: Path,
    load: Callable[[], tuple[Any, Any]],
    executor: Any = None,
) -> list[dict[str, Any]]:
    """Generate ``decoding.num_samples`` completions per prompt, clean and score them.

    Appends to ``out/samples.jsonl`` batch by batch and resumes from it.

    Prompts longer than the model can take (``args.max_prompt_tokens``, by default
    the model's context minus the generation budget) are truncated from their start
    for the model (``long_prompts=truncate``: rows record ``prompt_truncated_chars``;
    g++ still judges the full program) or skipped (``skip``). A batch whose
    generation fails (e.g. out of memory) is retried one prompt at a time, so one
    bad prompt never costs the others their rows. Skipped prompts are listed in
    ``out/skipped.jsonl`` (stage ``generate``) and are not retried on resume.

    With ``args.executor == "ray"`` the batches are generated by Ray actors (one engine a node) and judged by
    scorer actors (:mod:`cfdpo.stages.ray_sampling`); this process still writes every row, batch by batch in
    prompt order, so the files and the resume contract are the same.

    Args:
        prompts: prompt rows (from :func:`prepare_prompts`).
        args: the command's arguments.
        decoding: a :class:`~cfdpo.generation.hf.DecodingConfig`.
        scorer: the compile scorer.
        out: run directory.
        load: returns ``(model, tokenizer)``; called only if work remains.
        executor: an :class:`~cfdpo.scoring.execution.ExecutionScorer` (``--run_tests``): programs that
            build are run on their prompt's tests and rows get ``exec_verdict``, ``tests_passed``,
            ``tests_total`` and ``passed``.

    Returns:
        All scored sample rows, in prompt order then sample index.
    """
    from tqdm.auto import tqdm

    path = out / "samples.jsonl"
    skipped_path = out / "skipped.jsonl"
    existing = read_jsonl(path, repair=True)
    gone = {r["id"] for r in read_jsonl(skipped_path, repair=True) if r.get("stage") == "generate"}
    have = {(r["prompt_id"], r["sample_index"]) for r in existing}
    n = decoding.num_samples
    todo = [
        (a, b)
        for a, b in _batches(len(prompts), args.generation_batch_size())
        if any((p["id"], k) not in have and p["id"] not in gone for p in prompts[a:b] for k in range(n))
    ]
    done_prompts = len(prompts) - sum(b - a for a, b in todo)
    if existing:
        log.info(
            "%s: %d rows present, %d of %d batches to go",
            path,
            len(existing),
            len(todo),
            len(_batches(len(prompts), args.generation_batch_size())),
        )
    with tqdm(total=len(prompts), initial=done_prompts, desc="sample+score", unit="prompt") as bar:
        if args.executor == "ray":
            from .ray_sampling import ray_batches

            batches = ray_batches(prompts, todo, have, gone, args, decoding, load, out)
        else:
            batches = _local_batches(prompts, todo, have, gone, args, decoding, scorer, load, executor)
        for a, b, rows, skip_rows in batches:
            if skip_rows:
                log.warning(
                    "skipped %d prompt(s) in this batch: %s",
                    len(skip_rows),
                    ", ".join(f"{r['id']} ({r['reason']})" for r in skip_rows[:3]),
                )
                append_jsonl(skipped_path, skip_rows)
            append_jsonl(path, rows)
            existing.extend(rows)
            bar.update(b - a)
    order = {p["id"]: i for i, p in enumerate(prompts)}
    existing.sort(key=lambda r: (order.get(r["prompt_id"], len(order)), r["sample_index"]))
    return existing


def _local_batches(
    prompts: list[dict[str, Any]],
    todo: list[tuple[int, int]],
    have: set[tuple[str, int]],
    gone: set[str],
    args: CommonArguments,
    decoding: Any,
    scorer: CompileScorer,
    load: Callable[[], tuple[Any, Any]],
    executor: Any,
) -> Iterator[BatchRows]:
    """The batches of ``todo`` generated and judged in this process, in order (the model loads at the first)."""
    gen: BatchGenerator | None = None
    for a, b in todo:
        if gen is None:
            gen = BatchGenerator(load, args, decoding)
        rows, skip_rows = gen.generate(prompts[a:b], have, gone)
        judge_rows(rows, prompts[a:b], scorer, executor, args.workers)
        yield a, b, rows, skip_rows


def prompt_fit_summary(args: CommonArguments, out: Path, samples: list[dict[str, Any]]) -> dict[str, Any]:
    """How long prompts were handled: the policy, the limit asked for, prompts truncated and skipped."""
    skipped = Counter(r["reason"] for r in read_jsonl(out / "skipped.jsonl") if r.get("stage") == "generate")
    return {
        "long_prompts": args.long_prompts,
        "max_prompt_tokens": args.max_prompt_tokens or "model context - generation budget",
        "truncated": len({s["prompt_id"] for s in samples if s.get("prompt_truncated_chars")}),
        "skipped": dict(skipped),
    }


def start_run(args: CommonArguments, out: Path) -> tuple[CompileScorer, list[dict[str, Any]]]:
    """Record (or check, when resuming) the run config in ``out``, build the scorer, prepare the prompts."""
    from ..runinfo import check_or_write_run_config

    check_or_write_run_config(out, asdict(args), ignore=RESUME_IGNORE, defaults=config_defaults(args))
    scorer = make_scorer(args)
    return scorer, prepare_prompts(args, scorer, out)


def run_record(
    args: CommonArguments, scorer: CompileScorer, executor: Any, t0: float, sampling: bool = False, out: Path | None = None
) -> dict[str, Any]:
    """What every evaluate / build-prefs result records about how it was made: scorer policy and speed-ups,
    execution limits, the resolved config, seed, generation backend (``sampling``: build-prefs), where it ran
    (``executor``: local, or the Ray cluster's resources and lost actors from ``out/ray_cluster.json``),
    environment (versions, git commit) and wall time."""
    import time

    from ..runinfo import environment_info

    return {
        "scorer": scorer.config(),
        "scorer_speedups": scorer.speedups(),
        "execution": executor.config() if executor is not None else None,
        "config": asdict(args),
        "generation": generation_record(args, sampling),
        "executor": executor_record(args, out),
        "seed": args.seed,
        "environment": environment_info(),
        "wall_s": round(time.time() - t0, 1),
    }


def executor_record(args: CommonArguments, out: Path | None) -> dict[str, Any]:
    """Where the run's sampling and judging ran: ``{"executor": "local"}``, or with ``--executor ray`` the
    record :func:`cfdpo.stages.ray_sampling.ray_batches` wrote (cluster resources, nodes, lost actors; only
    ``executor`` and ``address`` when every row was already there)."""
    if args.executor != "ray":
        return {"executor": "local"}
    path = out / "ray_cluster.json" if out is not None else None
    if path is not None and path.is_file():
        return dict(json.loads(path.read_text()))
    return {"executor": "ray", "address": args.ray_address}


def summarise_samples(samples: list[dict[str, Any]], top: int = 10) -> dict[str, Any]:
    """Compile rate (with its 95% Wilson interval), verdict counts, error kinds, frequent errors and clean-up counts; with test runs,
    pass@1 (share of samples passing all their tests, over samples whose problem has tests) and exec verdicts."""
    n = len(samples)
    good = sum(bool(s["good"]) for s in samples)
    verdicts = Counter(s["verdict"] for s in samples)
    kinds: Counter = Counter()
    messages: Counter = Counter()
    for s in samples:
        for d in s.get("diagnostics") or []:
            diag = Diagnostic.from_dict(d)
            if diag.is_error:
                kinds[error_kind(diag)] += 1
                messages[normalise_message(diag.message)] += 1
    cleanup = Counter(step for s in samples for step in s.get("cleanup") or [])
    return {
        "n": n,
        "compile_rate": round(good / n, 4) if n else None,
        "compile_rate_ci": [round(x, 4) for x in wilson_interval(good, n)],
        "compiled": good,
        "verdicts": dict(sorted(verdicts.items())),
        "error_kinds": dict(kinds.most_common()),
        "top_errors": messages.most_common(top),
        "cleanup_applied": dict(sorted(cleanup.items())),
        **_exec_summary(samples),
    }


def _exec_summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    if not any("exec_verdict" in s for s in samples):
        return {}
    tested = [s for s in samples if s.get("tests_total")]
    passed = sum(bool(s.get("passed")) for s in tested)
    return {
        "pass_at_1": round(passed / len(tested), 4) if tested else None,
        "pass_at_1_ci": [round(x, 4) for x in wilson_interval(passed, len(tested))],
        "passed": passed,
        "n_with_tests": len(tested),
        "exec_verdicts": dict(sorted(Counter(s["exec_verdict"] for s in tested).items())),
    }
