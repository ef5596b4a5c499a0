"""``cfdpo sft --config recipes/<model>/sft.yaml [overrides]``: supervised fine-tuning with LoRA.

TRL's SFTTrainer on (prompt, completion) rows with completion-only loss: the
masked programs of the corpus's train split and their reference remainders (or
any prompt/completion JSONL via ``--train_file``). QLoRA (4-bit NF4) and unsloth
on CUDA with the ``gpu`` extra; plain LoRA in fp32 on CPU. The adapter is saved
in ``--output_dir`` and loads with ``cfdpo evaluate --model BASE --adapter DIR``.
An interrupted run resumes from its last checkpoint.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def run(data_args: Any, train_args: Any, model_args: Any) -> str:
    """Train and save the adapter; returns the output directory."""
    from trl import SFTTrainer

    from ..training.models import load_for_training
    from .training_runs import record_run, sft_rows, train_and_save, training_run

    with training_run(data_args, train_args, model_args) as out:
        model, tok, peft_cfg = load_for_training(
            model_args, data_args.adapter, train_args.max_length or 2048, data_args.use_unsloth
        )
        ds = sft_rows(data_args, train_args.seed, out, tok)
        if len(ds) == 0:
            raise ValueError("no training rows: check --data / --train_file and --limit")
        record_run(out, data_args, train_args, model_args)
        trainer = SFTTrainer(model=model, args=train_args, train_dataset=ds, processing_class=tok, peft_config=peft_cfg)
        train_and_save(trainer, tok, out)
        log.info("saved the SFT adapter to %s (%d rows)", out, len(ds))
        return str(out)
