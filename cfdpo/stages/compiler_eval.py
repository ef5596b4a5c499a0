"""The ``cfdpo compiler-eval`` stage: a model answers compiler tasks, the LLVM tools score the answers.

Tasks and metrics are LLM Compiler's (Cummins et al. 2024, arXiv 2407.02524);
see :mod:`cfdpo.evaluation.compiler_tasks`. Rows come from cfdpo's own
datasets: ``pass-lists emulate`` (``emulation.jsonl``), ``pass-lists tune``
(``tuning.jsonl``) and ``llvm-ir --disassembly`` (``disassembly.jsonl``).

The model reads each row's instruction (``raw``: LLM Compiler's
``[INST] ... [/INST]`` text; ``chat``: the instruction as the user turn of the
model's chat template), greedy, through the same generation code as
``evaluate``. A row whose instruction does not fit the context with room for
``max_new_tokens`` is skipped (an IR prompt cut short would be a different
question) and listed in ``skipped.jsonl``; ``limit`` counts rows that fit, in
file order. Answers and their scores are appended to ``predictions.jsonl``
batch by batch, so a killed run resumes; ``results.json`` holds the metrics
with 95% Wilson intervals, the config, seed, LLVM and package versions;
``report.md`` a table.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .configs import GenerationOptions
from .model_configs import ModelOptions

__all__ = ["DATA_FILES", "CompilerEvalArguments", "format_report", "load_rows", "render_instruction", "run"]

log = logging.getLogger(__name__)

#: the rows file each task reads when ``data`` is a directory, and the command that makes it
DATA_FILES = {
    "emulate": ("emulation.jsonl", "cfdpo pass-lists emulate"),
    "tune": ("tuning.jsonl", "cfdpo pass-lists tune"),
    "disassemble": ("disassembly.jsonl", "cfdpo llvm-ir --disassembly"),
}


@dataclass(kw_only=True)
class CompilerEvalArguments(GenerationOptions, ModelOptions):
    """``cfdpo compiler-eval`` arguments (YAML keys = these field names): the generation and model groups plus
    the task's own."""

    task: str = field(metadata={"help": "emulate, tune or disassemble."})
    data: str = field(
        metadata={"help": "Rows file (emulation.jsonl, tuning.jsonl, disassembly.jsonl) or the directory holding it."}
    )
    out: str = field(default="runs/compiler-eval", metadata={"help": "Run directory (resumed when it exists)."})
    limit: int | None = field(default=None, metadata={"help": "Evaluate at most this many rows (that fit)."})
    prompt_format: str = field(
        default="chat",
        metadata={"help": "chat (the instruction as the chat template's user turn) or raw (LLM Compiler's [INST] text)."},
    )
    max_prompt_tokens: int | None = field(
        default=None, metadata={"help": "Skip rows whose instruction is longer (default: the context minus max_new_tokens)."}
    )
    max_new_tokens: int = field(default=1024, metadata={"help": "Tokens generated per answer, at most."})
    batch_size: int = field(default=4, metadata={"help": "Rows per generation batch."})
    llvm_version: int | None = field(
        default=None, metadata={"help": "LLVM release of the tools (default: the rows' release, else the newest complete one)."}
    )
    timeout_s: float = field(default=60.0, metadata={"help": "Per llvm-as / opt / llc call, seconds."})
    validate: bool = field(
        default=True,
        metadata={"help": "tune: differential testing of predicted pass lists on rows that carry a program and tests."},
    )
    time_limit_s: float = field(default=2.0, metadata={"help": "CPU seconds per test run (tune validation)."})
    workers: int | None = field(default=None, metadata={"help": "Parallel scoring (default: CPU count)."})

    def __post_init__(self) -> None:
        """Check every value before any work (raises :class:`~cfdpo.errors.OptionError`)."""
        from ..evaluation.compiler_tasks import TASKS
        from ..options import at_least, choice, positive

        choice("task", self.task, TASKS)
        self.check_generation_options()
        self.check_model_options()
        choice("prompt_format", self.prompt_format, ("chat", "raw"))
        at_least("limit", self.limit, 1, optional=True)
        at_least("max_prompt_tokens", self.max_prompt_tokens, 16, optional=True)
        at_least("max_new_tokens", self.max_new_tokens, 1)
        at_least("batch_size", self.batch_size, 1)
        positive("timeout_s", self.timeout_s)
        positive("time_limit_s", self.time_limit_s)
        at_least("workers", self.workers, 1, optional=True)


def load_rows(task: str, data: str | Path) -> tuple[Path, list[dict[str, Any]]]:
    """The task's rows file (``data`` itself, or the task's file inside the directory ``data``) and its rows.

    Tuning rows without their program are joined by ``id`` with ``programs.jsonl`` beside them
    (``source``, ``language``, ``tests``, ``include_dir``), so that differential testing can run.

    Raises:
        InputError: a missing file, an empty one, a malformed line or a row that does not fit the task's
            schema (:data:`cfdpo.schemas.SCHEMAS`; naming the file and line).
    """
    from ..errors import InputError
    from ..jsonl import read_jsonl
    from ..schemas import read_rows

    path = Path(data)
    name, maker = DATA_FILES[task]
    if path.is_dir():
        path = path / name
        if not path.is_file():
            raise InputError(f"{data}: no {name} in this directory (make it with `{maker}`)")
    elif not path.is_file():
        raise InputError(f"{data}: no such file or directory")
    try:
        rows = read_rows({"emulate": "emulation", "tune": "tuning", "disassemble": "disassembly"}[task], path)
    except InputError as e:
        raise InputError(f"{e} (make the rows with `{maker}`)") from None
    if not rows:
        raise InputError(f"{path}: no rows")
    progs = path.parent / "programs.jsonl"
    if task == "tune" and progs.is_file() and any("source" not in r for r in rows):
        by_id = {p["id"]: p for p in read_jsonl(progs, repair=True)}
        for r in rows:
            p = by_id.get(r["id"])
            if p is not None and "source" not in r:
                r.update({k: p.get(k) for k in ("source", "language", "tests", "include_dir")})
    return path, rows


def render_instruction(prompt: str, prompt_format: str, tokenizer: Any) -> str:
    """The model input for an LLM Compiler instruction: as written (``raw``) or, for ``chat``, the text
    inside ``[INST] ... [/INST]`` as the user turn of the tokenizer's chat template (a plain
    ``User:/Assistant:`` transcript when it has none)."""
    if prompt_format == "raw":
        return prompt
    body = prompt.removeprefix("[INST] ").removesuffix(" [/INST]")
    if getattr(tokenizer, "chat_template", None):
        return str(tokenizer.apply_chat_template([{"role": "user", "content": body}], tokenize=False, add_generation_prompt=True))
    return f"User: {body}\n\nAssistant: "


def _fmt_rate(r: dict[str, Any]) -> str:
    if r.get("rate") is None:
        return "n/a"
    return f"{100 * r['rate']:.1f}% [{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}] ({r['k']}/{r['n']})"


def format_report(results: dict[str, Any]) -> str:
    """A markdown table of one compiler-eval result (rates with 95% Wilson intervals)."""
    m = results["metrics"]
    lines = [
        f"# compiler-eval: {results['task']}",
        "",
        f"Model `{results['model']}`, {m['n']} rows of `{results['rows_file']}` "
        f"({results['skipped']} skipped as too long), greedy, {results['config']['prompt_format']} prompts.",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    for k, v in m.items():
        if k == "n":
            continue
        if isinstance(v, dict) and "rate" in v:
            lines.append(f"| {k} | {_fmt_rate(v)} |")
        elif isinstance(v, float):
            lines.append(f"| {k} | {v:.4f} |")
        else:
            lines.append(f"| {k} | {v} |")
    return "\n".join(lines) + "\n"


def run(a: CompilerEvalArguments) -> dict[str, Any]:
    """Evaluate (or resume evaluating) a model on one compiler task; returns the results written.

    Raises:
        InputError: bad rows (see :func:`load_rows`) or no row fits the model.
        FileNotFoundError: no complete LLVM toolchain.
    """
    from tqdm.auto import tqdm

    from ..compiler_data.llvm_ir import find_llvm
    from ..errors import InputError
    from ..evaluation.compiler_tasks import (
        STOP_PATTERNS,
        row_key,
        score_disassembly,
        score_emulation,
        score_tuning,
        summarise,
        task_prompt,
    )
    from ..generation.backend import generate_answers
    from ..generation.decoding import DecodingConfig
    from ..generation.fit import prompt_token_limit
    from ..jsonl import append_jsonl, read_jsonl, write_jsonl
    from ..model_files import check_model
    from ..runinfo import check_or_write_run_config, environment_info, run_directory, write_json
    from .common import load_generator
    from .records import generation_record

    t0 = time.time()
    path, rows = load_rows(a.task, a.data)
    tc = find_llvm(a.llvm_version or rows[0].get("llvm_version"))
    check_model(a.model, a.adapter)
    with run_directory(a.out) as out:
        check_or_write_run_config(
            out,
            {**asdict(a), "rows_file": str(path.resolve()), "llvm": tc.to_dict()},
            ignore=(
                "out",
                "workers",
                "batch_size",
                "threads",
                "device",
                "data",
                "vllm_memory",
                "vllm_kv_cache_gb",
                "vllm_compile",
                "tensor_parallel_size",
            ),
        )
        model, tok = load_generator(a)
        decoding = DecodingConfig(do_sample=False, max_new_tokens=a.max_new_tokens, stop_on_complete=False, seed=a.seed)
        limit = prompt_token_limit(model, tok, decoding, a.max_prompt_tokens)
        chosen, skipped = [], []
        for r in rows:
            text = render_instruction(task_prompt(a.task, r), a.prompt_format, tok)
            n_tok = len(tok(text, add_special_tokens=False)["input_ids"])
            if n_tok > limit:
                skipped.append({"key": row_key(a.task, r), "reason": "prompt_too_long", "tokens": n_tok, "limit": limit})
                continue
            chosen.append((r, text, n_tok))
            if a.limit and len(chosen) >= a.limit:
                break
        write_jsonl(out / "skipped.jsonl", skipped)
        if not chosen:
            raise InputError(
                f"{path}: none of {len(rows)} rows fits the model's {limit} prompt tokens "
                f"(--max_prompt_tokens / --max_new_tokens)"
            )
        pred_path = out / "predictions.jsonl"
        done = {p["key"] for p in read_jsonl(pred_path, repair=True)}
        todo = [c for c in chosen if row_key(a.task, c[0]) not in done]
        executor = None
        if a.task == "tune" and a.validate:
            from ..scoring.execution import ExecutionScorer

            executor = ExecutionScorer(time_limit_s=a.time_limit_s)

        def score(item: tuple[dict[str, Any], str]) -> dict[str, Any]:
            row, answer = item
            if a.task == "emulate":
                return score_emulation(row, answer, tc, a.timeout_s)
            if a.task == "tune":
                return score_tuning(row, answer, tc, a.timeout_s, executor)
            return score_disassembly(row, answer, tc, a.timeout_s)

        model_name = a.model + (f"+{a.adapter}" if a.adapter else "")
        with (
            ThreadPoolExecutor(max_workers=a.workers) as pool,
            tqdm(total=len(chosen), initial=len(chosen) - len(todo), desc=f"compiler-eval {a.task}", unit="row") as bar,
        ):
            for i in range(0, len(todo), a.batch_size):
                batch = todo[i : i + a.batch_size]
                answers = generate_answers(
                    model, tok, [t for _, t, _ in batch], decoding, STOP_PATTERNS[a.task], seed_key=row_key(a.task, batch[0][0])
                )
                scores = list(pool.map(score, [(r, ans) for (r, _, _), ans in zip(batch, answers)]))
                append_jsonl(
                    pred_path,
                    [
                        {
                            "key": row_key(a.task, r),
                            "id": r["id"],
                            "task": a.task,
                            "model": model_name,
                            "prompt_tokens": n_tok,
                            "answer": ans,
                            **s,
                        }
                        for (r, _, n_tok), ans, s in zip(batch, answers, scores)
                    ],
                )
                bar.update(len(batch))
        keys = {row_key(a.task, r) for r, _, _ in chosen}
        preds = [p for p in read_jsonl(pred_path) if p["key"] in keys]
        results = {
            "task": a.task,
            "model": model_name,
            "rows_file": str(path),
            "rows_in_file": len(rows),
            "skipped": len(skipped),
            "prompt_token_limit": limit,
            "metrics": summarise(a.task, preds),
            "config": asdict(a),
            "generation": generation_record(a),
            "seed": a.seed,
            "llvm": tc.to_dict(),
            "environment": environment_info(),
            "wall_s": round(time.time() - t0, 1),
        }
        write_json(out / "results.json", results)
        (out / "report.md").write_text(format_report(results), encoding="utf-8")
    return results
