"""One batch of sampling and judging: the code that runs the same in the process of
:func:`cfdpo.stages.sampling.sample_and_score` and in each Ray actor of :mod:`cfdpo.stages.ray_sampling`.

:class:`BatchGenerator` fits a batch's prompts to the model, generates (one prompt at a time when the batch
fails) and cleans the completions into unscored sample rows; :func:`judge_rows` scores them with g++ and,
with tests, runs those that build (:func:`run_tests_on`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from ..scoring import CompileScorer

__all__ = ["BatchGenerator", "BatchRows", "judge_rows", "make_exec_scorer", "run_tests_on"]

log = logging.getLogger(__name__)


def make_exec_scorer(args: Any, scorer: CompileScorer) -> Any:
    """The execution scorer for ``--run_tests`` (None without it), from ``args``' test options and isolation."""
    if not args.run_tests:
        return None
    from ..scoring.execution import ExecutionScorer

    return ExecutionScorer(
        scorer,
        time_limit_s=args.time_limit_s,
        memory_mb=args.run_memory_mb,
        float_tolerance=args.float_tolerance,
        isolation=args.isolation,
    )


#: one batch's outcome: its prompt range ``[a, b)``, its scored rows and its skip rows
BatchRows = tuple[int, int, list[dict[str, Any]], list[dict[str, Any]]]


class BatchGenerator:
    """Generates one batch of sample rows at a time: fits each prompt to the model, generates (retrying one
    prompt at a time when a batch fails), cleans the completions. The model is loaded on first use.

    The same object runs in the process of ``sample_and_score`` and in each Ray generation actor
    (:mod:`cfdpo.stages.ray_sampling`), so both give the same rows for the same batch and seed.
    """

    def __init__(self, load: Callable[[], tuple[Any, Any]], args: Any, decoding: Any) -> None:
        self.load, self.args, self.decoding = load, args, decoding
        self.model: Any = None
        self.tok: Any = None
        self.fitter: Any = None
        self.model_name = args.model + (f"+{args.adapter}" if args.adapter else "")
        self.dec_json = json.dumps(asdict(decoding), sort_keys=True)

    def generate(
        self, batch_prompts: list[dict[str, Any]], have: set[tuple[str, int]], gone: set[str]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Unscored sample rows of ``batch_prompts`` (but the ``(prompt_id, sample_index)`` in ``have`` and the
        prompts in ``gone``) and the skip rows of prompts that were too long or whose generation failed."""
        from ..corpus.prompts import clean_completion
        from ..generation.fit import PromptFitter

        args, decoding = self.args, self.decoding
        if self.model is None:
            self.model, self.tok = self.load()
            self.fitter = PromptFitter(self.model, self.tok, args.prompt_format, decoding, args.max_prompt_tokens)
        fitter = self.fitter
        batch, fitted, skip_rows = [], [], []
        for p in batch_prompts:
            if p["id"] in gone:
                continue
            text, dropped = fitter.fit(p["prompt"]) if args.long_prompts == "truncate" else fitter.check(p["prompt"])
            if text is None:
                skip_rows.append(gen_skip(p, "prompt_too_long", f"over {fitter.limit} tokens"))
                continue
            batch.append(p)
            fitted.append((text, dropped))
        outs, failed = _generate_isolated(self.model, self.tok, batch, [t for t, _ in fitted], decoding, args.prompt_format)
        skip_rows += [gen_skip(p, "generation_failed", err) for p, err in failed]
        rows: list[dict[str, Any]] = []
        for p, (_, dropped), comps in zip(batch, fitted, outs):
            for k, raw in enumerate(comps or []):
                if (p["id"], k) in have:
                    continue
                comp, steps = clean_completion(p["prompt"], raw, args.prompt_format)
                rows.append(
                    {
                        "id": f"{p['id']}#{k}",
                        "prompt_id": p["id"],
                        "problem_id": p["problem_id"],
                        "sample_index": k,
                        "prompt": p["prompt"],
                        "completion": comp,
                        "raw_completion": raw,
                        "cleanup": steps,
                        "model": self.model_name,
                        "decoding": self.dec_json,
                        "seed": decoding.seed,
                        "prompt_truncated_chars": dropped,
                        **({"feedback": p["feedback"]} if p.get("feedback") else {}),
                    }
                )
        return rows, skip_rows


def judge_rows(
    rows: list[dict[str, Any]], batch_prompts: list[dict[str, Any]], scorer: CompileScorer, executor: Any, workers: int | None
) -> list[dict[str, Any]]:
    """Score sample rows with g++ in place (``verdict``, ``good``, ``diagnostics``, ``compile_ms``) and, with an
    execution scorer, run those that build on their prompt's tests (:func:`run_tests_on`); returns ``rows``."""
    results = scorer.score_many([r["prompt"] + r["completion"] for r in rows], workers=workers)
    for r, res in zip(rows, results):
        r.update(
            verdict=res.verdict.value,
            good=res.good,
            diagnostics=[d.to_dict() for d in res.diagnostics],
            compile_ms=round(res.elapsed_ms, 1),
        )
    if executor is not None:
        run_tests_on(rows, {p["id"]: p for p in batch_prompts}, executor, workers)
    return rows


def gen_skip(p: dict[str, Any], reason: str, detail: str) -> dict[str, Any]:
    return {
        "stage": "generate",
        "reason": reason,
        "id": p["id"],
        "problem_id": p["problem_id"],
        "path": p["id"],
        "detail": detail[:300],
        "prompt_chars": len(p["prompt"]),
    }


def _generate_isolated(
    model: Any, tok: Any, batch: list[dict[str, Any]], texts: list[str], decoding: Any, prompt_format: str
) -> tuple[list[list[str] | None], list[tuple[dict[str, Any], str]]]:
    """Generate for a batch; when that fails (out of memory, ...), retry one prompt at a time.

    Returns the completions per prompt (None for a prompt that failed alone) and the failures.
    """
    from ..generation.backend import generate_completions

    if not batch:
        return [], []

    def gen(items: list[dict[str, Any]], model_texts: list[str]) -> list[list[str]]:
        return generate_completions(
            model,
            tok,
            [p["prompt"] for p in items],
            [p["reference_completion"] for p in items],
            decoding,
            prompt_format,
            seed_key=items[0]["id"],
            model_prompts=model_texts,
            feedbacks=[p.get("feedback") for p in items],
        )

    try:
        return list(gen(batch, texts)), []
    except (RuntimeError, MemoryError) as e:
        if len(batch) == 1:
            return [None], [(batch[0], f"{type(e).__name__}: {e}")]
        log.warning(
            "generation failed for a batch of %d (%s: %s); retrying one prompt at a time",
            len(batch),
            type(e).__name__,
            str(e)[:200],
        )
    outs: list[list[str] | None] = []
    failed: list[tuple[dict[str, Any], str]] = []
    for p, t in zip(batch, texts):
        try:
            outs.append(gen([p], [t])[0])
        except (RuntimeError, MemoryError) as e:
            outs.append(None)
            failed.append((p, f"{type(e).__name__}: {e}"))
    return outs, failed


def run_tests_on(rows: list[dict[str, Any]], prompts: dict[str, dict[str, Any]], executor: Any, workers: int | None) -> None:
    """Run the rows that compiled (``ok`` or ``warning``) on their prompt's tests; update rows in place.

    ``passed`` is the one definition of success used by pass@1, graded ranks, repair and compare: the
    sample is ``good`` under the warnings policy *and* passes all its tests (a program with warnings under
    ``--warnings error`` still runs, for its ``exec_verdict``, but never passes).
    """
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
        r.update(
            exec_verdict=res.verdict.value,
            tests_passed=res.passed,
            passed=res.ok and bool(r["good"]),
            tests=[{k: v for k, v in t.to_dict().items() if k != "stdout"} for t in res.tests],
        )
