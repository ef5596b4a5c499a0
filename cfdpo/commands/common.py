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
import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from ..corpus.masking import mask_program
from ..scoring import CompileScorer
from ..scoring.diagnostics import Diagnostic, error_kind, normalise_message

__all__ = [
    "CommonArguments",
    "make_scorer",
    "make_exec_scorer",
    "config_defaults",
    "parse_shard",
    "prepare_prompts",
    "sample_and_score",
    "read_jsonl",
    "append_jsonl",
    "write_jsonl",
    "summarise_samples",
]

log = logging.getLogger(__name__)


def _default_data() -> str:
    from ..corpus.codenet import sample_corpus_path

    return str(sample_corpus_path())


@dataclass
class CommonArguments:
    """Arguments shared by ``evaluate`` and ``build-prefs`` (YAML keys = these field names)."""

    out: str = field(default="runs/run", metadata={"help": "Run directory (created; resumed when it exists)."})
    model: str = field(default="smollm2-135m-instruct",
                       metadata={"help": "HF model id or local path; default: the bundled SmolLM2-135M-Instruct."})
    adapter: str | None = field(default=None, metadata={"help": "PEFT adapter directory to apply to --model."})
    data: str = field(default_factory=_default_data,
                      metadata={"help": "CodeNet-layout corpus root (default: the bundled sample)."})
    split: str = field(default="test", metadata={"help": "Split to use: train or test."})
    train_per_problem: int = field(default=5, metadata={"help": "Train programs per problem (paper: 5)."})
    test_per_problem: int = field(default=2, metadata={"help": "Test programs per problem (paper: 2)."})
    limit: int | None = field(default=None, metadata={"help": "Use at most this many programs of the split."})
    max_program_chars: int | None = field(default=None, metadata={
        "help": "Skip corpus programs longer than this many characters (long prompts are slow on a CPU)."})
    require_tests: bool = field(default=False, metadata={"help": "Use only problems that have sample tests."})
    compile_check: bool = field(default=True, metadata={"help": "Drop corpus programs that do not compile cleanly."})
    mask_ratio: float = field(default=0.1, metadata={"help": "Fraction of characters masked from the end (paper: 0.1)."})
    mask_mode: str = field(default="chars", metadata={"help": "chars (paper) or lines."})
    prompt_format: str = field(default="raw", metadata={"help": "raw (continue the code) or chat (fenced answer)."})
    seed: int = field(default=0, metadata={"help": "Seed for the split and for sampling."})
    batch_size: int = field(default=8, metadata={"help": "Prompts per generation batch."})
    max_new_tokens: int | None = field(default=None,
                                       metadata={"help": "Fixed token budget; default 2x the reference length + 16."})
    shard: str = field(default="0/1", metadata={"help": "I/N: process the I-th of N contiguous shards (job arrays)."})
    std: str = field(default="c++17", metadata={"help": "C++ standard passed as -std= (paper: c++17)."})
    compile_mode: str = field(default="link", metadata={"help": "link, object or syntax."})
    warnings: str = field(default="error",
                          metadata={"help": "error: a compile with warnings is bad (paper); allow: only errors are bad."})
    gxx_flags: str = field(default="", metadata={"help": "Extra g++ flags, space separated (e.g. '-Wall')."})
    compile_timeout_s: float = field(default=30.0, metadata={"help": "Wall-clock limit per compile, seconds."})
    compile_memory_mb: int = field(default=2048, metadata={"help": "Address-space limit per compile, MiB."})
    workers: int | None = field(default=None, metadata={"help": "Parallel compiles (default: CPU count)."})
    no_compile_cache: bool = field(default=False, metadata={"help": "Do not use the shared compile-result cache."})
    no_pch: bool = field(default=False, metadata={"help": "Do not compile against precompiled include preambles."})
    syntax_first: bool = field(default=False,
                               metadata={"help": "Run -fsyntax-only first and stop on an error (fast when most fail)."})
    no_fast_link: bool = field(default=False, metadata={
        "help": "Link with the default linker only (by default GNU gold links first and the default linker "
                "re-links whenever gold fails or prints anything, so verdicts and diagnostics are the same)."})
    isolation: str = field(default="auto", metadata={
        "help": "Sandbox for compiling and running: auto (bubblewrap namespaces when usable), bwrap or rlimits."})
    run_tests: bool = field(default=False, metadata={
        "help": "Run compiled completions on the problem's sample tests (executes model-written code in a "
                "sandbox; opt-in). Adds pass@1 and exec verdicts."})
    time_limit_s: float = field(default=2.0, metadata={"help": "CPU seconds per test run (--run_tests)."})
    run_memory_mb: int = field(default=512, metadata={"help": "Address-space limit per test run, MiB."})
    float_tolerance: float | None = field(default=None,
                                          metadata={"help": "Compare float output tokens within this tolerance."})
    threads: int | None = field(default=None, metadata={"help": "torch CPU threads (default: $CFDPO_THREADS or CPUs)."})
    device: str | None = field(default=None, metadata={"help": "cpu or cuda (default: cuda when available)."})


#: keys that may change between a run and its resumption
RESUME_IGNORE = ("out", "workers", "threads", "device", "no_compile_cache", "no_pch", "syntax_first",
                 "no_fast_link")


def config_defaults(args: Any) -> dict[str, Any]:
    """Default values of an arguments dataclass (for resuming runs recorded before an option existed)."""
    return asdict(type(args)())


def make_scorer(args: CommonArguments) -> CompileScorer:
    """The compile scorer described by the arguments (its policy goes into results)."""
    return CompileScorer(
        std=args.std,
        mode=args.compile_mode,
        warnings=args.warnings,
        timeout_s=args.compile_timeout_s,
        memory_mb=args.compile_memory_mb,
        extra_flags=tuple(args.gxx_flags.split()),
        max_stderr_chars=4000,
        cache_dir=None if args.no_compile_cache else compile_cache_dir(),
        pch=not args.no_pch,
        pch_dir=os.path.join(compile_cache_dir(), "pch") if not args.no_pch else None,
        syntax_first=args.syntax_first,
        isolation=args.isolation,
        fast_link=not args.no_fast_link,
    )


def make_exec_scorer(args: CommonArguments, scorer: CompileScorer) -> Any:
    """The execution scorer for ``--run_tests`` (None without it)."""
    if not args.run_tests:
        return None
    from ..scoring.execution import ExecutionScorer

    return ExecutionScorer(scorer, time_limit_s=args.time_limit_s, memory_mb=args.run_memory_mb,
                           float_tolerance=args.float_tolerance, isolation=args.isolation)


def compile_cache_dir() -> str:
    """The shared compile-result cache: ``$CFDPO_CACHE/compile`` (default ``~/.cache/cfdpo/compile``)."""
    from ..generation.models import cache_dir

    return str(cache_dir() / "compile")


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


# ---------------------------------------------------------------------------- JSONL
def read_jsonl(path: str | Path, repair: bool = False) -> list[dict[str, Any]]:
    """Read a JSONL file (missing file: no rows).

    With ``repair``, an unterminated last line (a write cut by a crash: every
    row this package appends ends with a newline) is cut off the file first.

    Raises:
        ValueError: a line that is not valid JSON, naming the file and line.
    """
    path = Path(path)
    if not path.is_file():
        return []
    data = path.read_bytes()
    if repair and data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        log.warning("%s: dropping a torn last line (%d bytes) left by an interrupted run", path, len(data) - keep)
        with open(path, "r+b") as f:
            f.truncate(keep)
        data = data[:keep]
    rows: list[dict[str, Any]] = []
    for i, raw in enumerate(data.split(b"\n"), start=1):
        if raw.strip():
            try:
                rows.append(json.loads(raw))
            except ValueError as e:
                raise ValueError(f"{path}:{i}: not valid JSON ({e})") from e
    return rows


def append_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """Append rows with one write and an fsync (a batch lands whole or is torn at the end)."""
    payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    with open(path, "a", encoding="utf-8") as f:
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write a JSONL file atomically (temp file + rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


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
        rows = read_jsonl(path)
        log.info("reusing %d prompts from %s", len(rows), path)
        return rows
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
    )
    rows: list[dict[str, Any]] = []
    mask_skipped = 0
    for prog in ds:
        try:
            m = mask_program(prog["source"], args.mask_ratio, args.mask_mode)
        except ValueError as e:
            mask_skipped += 1
            log.warning("%s/%s: %s", prog["problem_id"], prog["submission_id"], e)
            continue
        rows.append({
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
        })
    # order by length (stable), so that a generation batch holds prompts of similar length and
    # similar token budgets: on a CPU, one long prompt in a batch of short ones multiplies its cost
    rows.sort(key=lambda r: len(r["prompt"]) + 2 * len(r["reference_completion"]))
    batches = _batches(len(rows), args.batch_size)
    lo = shard_i * len(batches) // shard_n
    hi = (shard_i + 1) * len(batches) // shard_n
    start = batches[lo][0] if lo < len(batches) else len(rows)
    end = batches[hi - 1][1] if hi > lo else start
    rows = rows[start:end]
    corpus = report.to_dict()
    corpus["mask_skipped"] = mask_skipped
    corpus["shard"] = {"index": shard_i, "count": shard_n, "rows": [start, end]}
    write_json(out / "corpus_report.json", corpus)
    write_jsonl(path, rows)
    log.info("prepared %d prompts (%s)", len(rows), json.dumps(corpus["skipped"]))
    return rows


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

    from ..corpus.prompts import clean_completion
    from ..generation.hf import generate_completions

    path = out / "samples.jsonl"
    existing = read_jsonl(path, repair=True)
    have = {(r["prompt_id"], r["sample_index"]) for r in existing}
    n = decoding.num_samples
    todo = [
        (a, b) for a, b in _batches(len(prompts), args.batch_size)
        if any((p["id"], k) not in have for p in prompts[a:b] for k in range(n))
    ]
    done_prompts = len(prompts) - sum(b - a for a, b in todo)
    if existing:
        log.info("%s: %d rows present, %d of %d batches to go", path, len(existing), len(todo),
                 len(_batches(len(prompts), args.batch_size)))
    model = tok = None
    model_name = args.model + (f"+{args.adapter}" if args.adapter else "")
    dec_json = json.dumps(asdict(decoding), sort_keys=True)
    with tqdm(total=len(prompts), initial=done_prompts, desc="sample+score", unit="prompt") as bar:
        for a, b in todo:
            if model is None:
                model, tok = load()
            batch = prompts[a:b]
            outs = generate_completions(
                model, tok, [p["prompt"] for p in batch], [p["reference_completion"] for p in batch],
                decoding, args.prompt_format, seed_key=batch[0]["id"],
            )
            rows: list[dict[str, Any]] = []
            for p, comps in zip(batch, outs):
                for k, raw in enumerate(comps):
                    if (p["id"], k) in have:
                        continue
                    comp, steps = clean_completion(p["prompt"], raw, args.prompt_format)
                    rows.append({
                        "id": f"{p['id']}#{k}", "prompt_id": p["id"], "problem_id": p["problem_id"],
                        "sample_index": k, "prompt": p["prompt"], "completion": comp, "raw_completion": raw,
                        "cleanup": steps, "model": model_name, "decoding": dec_json, "seed": decoding.seed,
                    })
            results = scorer.score_many([r["prompt"] + r["completion"] for r in rows], workers=args.workers)
            for r, res in zip(rows, results):
                r.update(verdict=res.verdict.value, good=res.good,
                         diagnostics=[d.to_dict() for d in res.diagnostics], compile_ms=round(res.elapsed_ms, 1))
            if executor is not None:
                run_tests_on(rows, {p["id"]: p for p in batch}, executor, args.workers)
            append_jsonl(path, rows)
            existing.extend(rows)
            bar.update(b - a)
    order = {p["id"]: i for i, p in enumerate(prompts)}
    existing.sort(key=lambda r: (order.get(r["prompt_id"], len(order)), r["sample_index"]))
    return existing


def run_tests_on(rows: list[dict[str, Any]], prompts: dict[str, dict[str, Any]], executor: Any,
                 workers: int | None) -> None:
    """Run the rows that compiled (``ok`` or ``warning``) on their prompt's tests; update rows in place."""
    from ..scoring.execution import row_tests

    todo = []
    for r in rows:
        tests = row_tests(prompts[r["prompt_id"]])
        r.update(exec_verdict=None, tests_passed=0, tests_total=len(tests), passed=False)
        if tests and r["verdict"] in ("ok", "warning"):
            todo.append((r, tests))
        elif tests:
            r["exec_verdict"] = "not_built"
    results = executor.run_many([r["prompt"] + r["completion"] for r, _ in todo], [t for _, t in todo], workers)
    for (r, _), res in zip(todo, results):
        r.update(exec_verdict=res.verdict.value, tests_passed=res.passed, passed=res.ok,
                 tests=[{k: v for k, v in t.to_dict().items() if k != "stdout"} for t in res.tests])


def summarise_samples(samples: list[dict[str, Any]], top: int = 10) -> dict[str, Any]:
    """Compile rate, verdict counts, error kinds, frequent errors and clean-up counts; with test runs,
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
        "passed": passed,
        "n_with_tests": len(tested),
        "exec_verdicts": dict(sorted(Counter(s["exec_verdict"] for s in tested).items())),
    }
