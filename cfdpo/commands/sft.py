"""``cfdpo sft --config recipes/<model>/sft.yaml [overrides]``: supervised fine-tuning with LoRA.

TRL's SFTTrainer on (prompt, completion) rows with completion-only loss: the
masked programs of the corpus's train split and their reference remainders (or
any prompt/completion JSONL via ``--train_file``). QLoRA (4-bit NF4) and unsloth
on CUDA with the ``gpu`` extra; plain LoRA in fp32 on CPU. The adapter is saved
in ``--output_dir`` and loads with ``cfdpo evaluate --model BASE --adapter DIR``.
An interrupted run resumes from its last checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from trl import ModelConfig, SFTConfig

    from ..stages.sft import run
    from ..stages.train_common import TrainDataArguments, check_training_args
    from ._parser import parse

    data_args, train_args, model_args = parse([TrainDataArguments, SFTConfig, ModelConfig], argv,
                                              prog="cfdpo sft", description=__doc__, check=check_training_args)
    print(f"wrote {run(data_args, train_args, model_args)}")
    return 0
