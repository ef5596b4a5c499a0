"""The ``cfdpo kto`` stage: KTO on unpaired compiler verdicts (Ethayarajh et al. 2024, arXiv 2402.01306).

Pair building keeps only programs that have both a good and a bad sample; KTO
learns from every judged sample on its own: (prompt, completion, label) with
label = the attempt succeeded (compiled under the run's warnings policy and,
when sample tests were run, passed them). Rows come straight from a
``build-prefs`` / ``evaluate`` / ``loop`` round's ``samples.jsonl`` (or a JSONL
of ``prompt, completion, label`` rows). TRL's ``KTOTrainer`` trains a LoRA
adapter (QLoRA with ``--load_in_4bit``) like ``cfdpo sft`` and ``cfdpo dpo``.

Class balance (KTO paper, Sec. 4.2 / TRL docs): the desirable and undesirable
weights should satisfy ``1 <= λ_D n_D / (λ_U n_U) <= 4/3``. Unless the
weights are set, cfdpo sets ``λ_U = 1`` and ``λ_D = n_U / n_D`` (the ratio is
then 1), the paper's advice for a dataset short of desirable examples, as a
compiler-judged sample set from a small model usually is.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .training_runs import TrainDataArguments

__all__ = ["balanced_weights", "kto_rows", "run"]

log = logging.getLogger(__name__)


def balanced_weights(n_desirable: int, n_undesirable: int) -> tuple[float, float]:
    """``(λ_D, λ_U)`` with ``λ_D n_D / (λ_U n_U) = 1`` (KTO paper Sec. 4.2: keep the ratio in [1, 4/3]).

    Raises:
        ValueError: either class is empty (KTO needs both).
    """
    if n_desirable < 1 or n_undesirable < 1:
        raise ValueError(f"KTO needs desirable and undesirable rows, got {n_desirable} and {n_undesirable}")
    return round(n_undesirable / n_desirable, 6), 1.0


def kto_rows(path: str, prompt_format: str, tokenizer: Any, limit: int | None = None) -> list[dict[str, Any]]:
    """Unpaired rows ``prompt, completion, label`` from a samples file or a run directory holding one.

    Scored samples (``prompt``, ``completion``, ``good``) are rendered like SFT rows (the model input;
    the completion fenced in ``chat`` format); rows that already have ``label`` are used as they are.

    Raises:
        InputError: no such file, a malformed line, or rows without the needed columns.
    """
    from ..corpus.prompts import format_answer, render_prompt
    from ..errors import InputError
    from ..evaluation.repair import attempt_succeeded
    from ..jsonl import read_jsonl

    p = Path(path)
    if p.is_dir():
        p = p / "samples.jsonl"
    if not p.is_file():
        raise InputError(f"--train_file {p}: no such file (a samples.jsonl or its run directory is expected)")
    from ..schemas import validate_rows

    try:
        rows = read_jsonl(p)
    except ValueError as e:
        raise InputError(str(e)) from None
    if not rows:
        raise InputError(f"{p}: no rows")
    validate_rows("kto_rows" if "label" in rows[0] else "samples", rows, p)
    out = []
    run_tests = any("exec_verdict" in r for r in rows)
    for i, r in enumerate(rows, 1):
        if "label" in r and "prompt" in r and "completion" in r:
            out.append({"prompt": r["prompt"], "completion": r["completion"], "label": bool(r["label"])})
        elif {"prompt", "completion", "good"} <= set(r):
            out.append(
                {
                    "prompt": render_prompt(r["prompt"], prompt_format, tokenizer),
                    "completion": format_answer(r["completion"], prompt_format),
                    "label": attempt_succeeded(r, run_tests),
                }
            )
        else:
            raise InputError(
                f"{p}:{i}: a KTO row needs prompt, completion and label (or a scored sample with good); has {', '.join(r)}"
            )
    return out[:limit] if limit else out


def run(data_args: TrainDataArguments, train_args: Any, model_args: Any) -> str:
    """Train and save the KTO adapter; returns the output directory.

    Raises:
        InputError: bad rows (see :func:`kto_rows`); ValueError: only one class of rows.
    """
    import datasets
    from trl import KTOTrainer

    from ..training.models import load_for_training
    from .training_runs import record_run, train_and_save, training_run

    if not data_args.train_file:
        raise ValueError("cfdpo kto needs --train_file: a samples.jsonl (build-prefs, evaluate, loop round) or its run directory")
    data_args.refuse_corpus_options("kto", ("limit", "prompt_format"))
    with training_run(data_args, train_args, model_args) as out:
        model, tok, peft_cfg = load_for_training(
            model_args, data_args.adapter, train_args.max_length or 2048, data_args.use_unsloth
        )
        rows = kto_rows(data_args.train_file, data_args.prompt_format, tok, data_args.limit)
        n_d = sum(r["label"] for r in rows)
        if train_args.desirable_weight == 1.0 and train_args.undesirable_weight == 1.0:
            train_args.desirable_weight, train_args.undesirable_weight = balanced_weights(n_d, len(rows) - n_d)
        else:
            balanced_weights(n_d, len(rows) - n_d)  # still refuse a single class
        log.info(
            "KTO on %d rows (%d desirable, %d undesirable; weights %.3g / %.3g)",
            len(rows),
            n_d,
            len(rows) - n_d,
            train_args.desirable_weight,
            train_args.undesirable_weight,
        )
        record_run(out, data_args, train_args, model_args)
        trainer = KTOTrainer(
            model=model,
            args=train_args,
            train_dataset=datasets.Dataset.from_list(rows),
            processing_class=tok,
            peft_config=peft_cfg,
        )
        train_and_save(trainer, tok, out)
        log.info("saved the KTO adapter to %s", out)
        return str(out)
